#include "peer_conduct.h"

#include <algorithm>

namespace colend::node {

std::optional<std::chrono::milliseconds> PeerConduct::OnBadMessages(
    const std::string& peer, std::uint64_t bad, std::chrono::steady_clock::time_point now) {
  Record& record = peers_[peer];
  if (now - record.window_start > options_.window) {
    record.window_start = now;
    record.bad_in_window = 0;
  }
  record.bad_in_window += static_cast<std::uint32_t>(bad);
  if (record.bad_in_window < options_.threshold) return std::nullopt;
  record.bad_in_window = 0;
  std::chrono::milliseconds bar = options_.first_bar;
  for (std::uint32_t i = 0; i < record.penalties && bar < options_.max_bar; ++i) bar *= 2;
  ++record.penalties;
  return std::min(bar, options_.max_bar);
}

std::string PeerConduct::Reason() const {
  return std::to_string(options_.threshold) +
         " consensus messages with a bad signature or that did not parse within " +
         (options_.window == std::chrono::minutes(1)
              ? std::string("a minute")
              : std::to_string(options_.window.count()) + " ms");
}

}  // namespace colend::node
