#include "event_hub.h"

#include <algorithm>
#include <vector>

namespace colend::node::rpc {

EventHub::EventHub(std::size_t ring, std::size_t max_subscriptions)
    : ring_size_(std::max<std::size_t>(ring, 1)), max_subscriptions_(max_subscriptions) {}

void EventHub::Publish(std::shared_ptr<const BlockEvent> event) {
  if (!event) return;
  std::vector<std::shared_ptr<EventSink>> sinks;
  {
    std::lock_guard lock(mu_);
    head_ = std::max(head_, event->height);
    ring_.push_back(event);
    while (ring_.size() > ring_size_) ring_.pop_front();
    sinks.reserve(sinks_.size());
    for (auto it = sinks_.begin(); it != sinks_.end();) {
      if (auto sink = it->second.lock()) {
        sinks.push_back(std::move(sink));
        ++it;
      } else {
        it = sinks_.erase(it);
      }
    }
  }
  // OnBlock only posts to the session's executor. The last reference to a session may be
  // the one held here: its destructor then runs on this thread, which only unregisters.
  for (const auto& sink : sinks) sink->OnBlock(event);
}

std::uint64_t EventHub::Register(const std::shared_ptr<EventSink>& sink, std::uint64_t committed) {
  std::lock_guard lock(mu_);
  sinks_[sink.get()] = sink;
  return std::max(head_, committed);
}

void EventHub::Unregister(const EventSink* sink) {
  std::lock_guard lock(mu_);
  sinks_.erase(sink);
}

std::shared_ptr<const BlockEvent> EventHub::Recent(std::uint64_t height) const {
  std::lock_guard lock(mu_);
  if (ring_.empty() || height < ring_.front()->height || height > ring_.back()->height) {
    return nullptr;
  }
  const auto& event = ring_[static_cast<std::size_t>(height - ring_.front()->height)];
  return event->height == height ? event : nullptr;
}

bool EventHub::AcquireSubscription() {
  std::lock_guard lock(mu_);
  if (subscriptions_ >= max_subscriptions_) return false;
  ++subscriptions_;
  return true;
}

void EventHub::ReleaseSubscriptions(std::size_t n) {
  std::lock_guard lock(mu_);
  subscriptions_ -= std::min(n, subscriptions_);
}

std::size_t EventHub::subscriptions() const {
  std::lock_guard lock(mu_);
  return subscriptions_;
}

}  // namespace colend::node::rpc
