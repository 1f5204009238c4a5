#include "send_scheduler.h"

#include <algorithm>

namespace colend::bench {

SendScheduler::SendScheduler(std::size_t fresh, double rate, Clock::time_point start,
                             Clock::time_point deadline, std::chrono::milliseconds max_catch_up)
    : fresh_(fresh),
      rate_(rate),
      deadline_(deadline),
      max_catch_up_(max_catch_up),
      slot_base_(start) {}

SendScheduler::Clock::time_point SendScheduler::SlotTime() const {
  // Rounded, not truncated: k / rate in floating point may fall a hair short of the exact
  // slot, and truncating would then place two slots closer than 1 / rate.
  return slot_base_ + std::chrono::round<Clock::duration>(std::chrono::duration<double>(
                          static_cast<double>(slots_since_base_) / rate_));
}

SendScheduler::Poll SendScheduler::TryTakeLocked(Clock::time_point now) {
  Poll p;
  if (now >= deadline_) {
    while (!retries_.empty()) {
      abandoned_.push_back(retries_.top().index);
      retries_.pop();
    }
    p.done = true;
    return p;
  }
  const bool fresh_left = next_fresh_ < fresh_;
  const bool retry_due = !retries_.empty() && retries_.top().at <= now;
  if (!fresh_left && !retry_due) {
    if (retries_.empty() && in_flight_ == 0) {
      p.done = true;
    } else {
      // Nothing to send until a retry's time or an answer comes back (Retry/Finish wake
      // the waiters).
      p.wake = retries_.empty() ? deadline_ : std::min(retries_.top().at, deadline_);
    }
    return p;
  }
  // Slots that came before any work was there were idle: drop them. A fresh transaction is
  // always there, so only a retry waited for can open such a gap.
  if (!fresh_left && SlotTime() < retries_.top().at) {
    slot_base_ = retries_.top().at;
    slots_since_base_ = 0;
  }
  // Senders more than max_catch_up_ behind the schedule give up the older slots.
  if (const Clock::time_point oldest = now - max_catch_up_; SlotTime() < oldest) {
    slots_dropped_behind_ += static_cast<std::uint64_t>(
        std::chrono::duration<double>(oldest - SlotTime()).count() * rate_);
    slot_base_ = oldest;
    slots_since_base_ = 0;
  }
  if (const Clock::time_point slot = SlotTime(); slot > now) {
    p.wake = std::min(slot, deadline_);
    return p;
  }
  Work w;
  if (retry_due) {
    w.index = retries_.top().index;
    w.retry = true;
    retries_.pop();
  } else {
    w.index = next_fresh_++;
  }
  ++slots_since_base_;
  ++slots_used_;
  ++in_flight_;
  p.work = w;
  return p;
}

SendScheduler::Poll SendScheduler::TryTake(Clock::time_point now) {
  std::lock_guard lock(mu_);
  return TryTakeLocked(now);
}

std::optional<SendScheduler::Work> SendScheduler::Take() {
  std::unique_lock lock(mu_);
  for (;;) {
    Poll p = TryTakeLocked(Clock::now());
    if (p.work.has_value()) return p.work;
    if (p.done) {
      cv_.notify_all();  // the other senders are done too
      return std::nullopt;
    }
    cv_.wait_until(lock, p.wake);
  }
}

void SendScheduler::Finish(std::size_t /*index*/) {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  cv_.notify_all();
}

void SendScheduler::Retry(std::size_t index, Clock::time_point due) {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
    if (due >= deadline_) {
      abandoned_.push_back(index);
    } else {
      retries_.push(Due{due, index});
    }
  }
  // A waiter may be sleeping until a later retry, or until the deadline.
  cv_.notify_all();
}

std::size_t SendScheduler::fresh_taken() const {
  std::lock_guard lock(mu_);
  return next_fresh_;
}

std::uint64_t SendScheduler::slots_used() const {
  std::lock_guard lock(mu_);
  return slots_used_;
}

std::uint64_t SendScheduler::slots_dropped_behind() const {
  std::lock_guard lock(mu_);
  return slots_dropped_behind_;
}

std::size_t SendScheduler::waiting_retries() const {
  std::lock_guard lock(mu_);
  return retries_.size();
}

std::vector<std::size_t> SendScheduler::abandoned() const {
  std::lock_guard lock(mu_);
  std::vector<std::size_t> out = abandoned_;
  auto copy = retries_;
  while (!copy.empty()) {
    out.push_back(copy.top().index);
    copy.pop();
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace colend::bench
