#include "node_health.h"

#include <algorithm>

namespace colend::bench {

NodeHealth::NodeHealth(std::size_t nodes, Clock::time_point start) : start_(start), nodes_(nodes) {
  for (State& s : nodes_) s.since = start;
}

double NodeHealth::Seconds(Clock::time_point t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void NodeHealth::MarkDown(std::size_t node, Clock::time_point now, const std::string& why) {
  std::lock_guard lock(mu_);
  State& s = nodes_[node];
  s.last_error = why;
  if (!s.up) return;
  s.up = false;
  s.since = now;
  s.next_probe = now + kProbeInterval;
}

bool NodeHealth::IsUp(std::size_t node) const {
  std::lock_guard lock(mu_);
  return nodes_[node].up;
}

std::size_t NodeHealth::UpCount() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(nodes_.begin(), nodes_.end(), [](const State& s) { return s.up; }));
}

NodeHealth::Clock::time_point NodeHealth::NextProbe(std::size_t node) const {
  std::lock_guard lock(mu_);
  const State& s = nodes_[node];
  return s.up ? s.since : s.next_probe;
}

void NodeHealth::ProbeSucceeded(std::size_t node, Clock::time_point now) {
  std::lock_guard lock(mu_);
  State& s = nodes_[node];
  if (s.up) return;
  s.closed.push_back(Outage{Seconds(s.since), Seconds(now), false});
  s.up = true;
  s.since = now;
}

void NodeHealth::ProbeFailed(std::size_t node, Clock::time_point now) {
  std::lock_guard lock(mu_);
  State& s = nodes_[node];
  if (!s.up) s.next_probe = now + kProbeInterval;
}

std::optional<std::size_t> NodeHealth::Pick(std::optional<std::size_t> avoid) {
  std::lock_guard lock(mu_);
  const std::size_t n = nodes_.size();
  std::optional<std::size_t> fallback;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_pick_ + k) % n;
    if (!nodes_[i].up) continue;
    if (avoid.has_value() && *avoid == i) {
      fallback = i;
      continue;
    }
    next_pick_ = i + 1;
    return i;
  }
  if (fallback.has_value()) next_pick_ = *fallback + 1;
  return fallback;
}

std::vector<NodeHealth::NodeReport> NodeHealth::Report(Clock::time_point end) const {
  std::lock_guard lock(mu_);
  std::vector<NodeReport> out;
  for (const State& s : nodes_) {
    NodeReport r;
    r.up = s.up;
    r.outages = s.closed;
    if (!s.up) r.outages.push_back(Outage{Seconds(s.since), Seconds(end), true});
    for (const Outage& o : r.outages) r.unreachable_s += o.to_s - o.from_s;
    r.last_error = s.last_error;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace colend::bench
