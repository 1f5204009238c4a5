// NodeHealth: which nodes colend-bench believes answer, which one a sender uses next, and
// for how long each node was unreachable (for the report).
//
// A node is up until a call to it fails without an answer (connection refused or reset,
// timeout): MarkDown. Senders never pick a down node. A down node is probed again once a
// second, by its watcher thread: NextProbe says when, ProbeSucceeded / ProbeFailed record
// the outcome. The 1 s floor keeps a node whose calls keep failing from flapping up on
// every 5 ms block poll, and keeps senders off it until it really answers again.
//
// Times are injected (no clock is read here) so tests can drive it.
// Thread safety: every method may be called from any thread at any time (one mutex).
#ifndef COLEND_TOOLS_BENCH_NODE_HEALTH_H_
#define COLEND_TOOLS_BENCH_NODE_HEALTH_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace colend::bench {

class NodeHealth {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kProbeInterval{1000};

  // One stretch of unreachability, in seconds since `start`.
  struct Outage {
    double from_s = 0;
    double to_s = 0;       // the end of the report when still down
    bool ongoing = false;  // still down at the end of the report
  };
  struct NodeReport {
    bool up = true;  // at the end of the report
    std::vector<Outage> outages;
    double unreachable_s = 0;  // total of the outages
    std::string last_error;    // why it was last marked down; empty if never
  };

  // `nodes` nodes, all up; `start` is time 0 of the report.
  NodeHealth(std::size_t nodes, Clock::time_point start);

  // A call to `node` got no answer at `now`. No-op (but `why` is kept) when already down.
  void MarkDown(std::size_t node, Clock::time_point now, const std::string& why);

  bool IsUp(std::size_t node) const;
  std::size_t UpCount() const;

  // When `node`, down, should be probed next (1 s after it went down or after the last
  // failed probe); `now`-independent, so for an up node it is the time it was last marked up.
  Clock::time_point NextProbe(std::size_t node) const;
  void ProbeSucceeded(std::size_t node, Clock::time_point now);
  void ProbeFailed(std::size_t node, Clock::time_point now);

  // The next up node in round-robin order, skipping `avoid` when another node is up;
  // nullopt when every node is down.
  std::optional<std::size_t> Pick(std::optional<std::size_t> avoid = std::nullopt);

  // Each node's outages up to `end` (an ongoing outage ends there).
  std::vector<NodeReport> Report(Clock::time_point end) const;

 private:
  struct State {
    bool up = true;
    Clock::time_point since{};       // when it went down, or came back up
    Clock::time_point next_probe{};  // while down
    std::vector<Outage> closed;      // finished outages
    std::string last_error;
  };
  double Seconds(Clock::time_point t) const;

  const Clock::time_point start_;
  mutable std::mutex mu_;
  std::vector<State> nodes_;   // guarded by mu_
  std::size_t next_pick_ = 0;  // guarded by mu_
};

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_NODE_HEALTH_H_
