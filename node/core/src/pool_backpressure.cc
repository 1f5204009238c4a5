#include "pool_backpressure.h"

#include <algorithm>

namespace colend::node {

PoolBackpressure::Capacity PoolBackpressure::OnCommitted(
    std::uint64_t committed_txs, std::chrono::steady_clock::time_point now) {
  window_.emplace_back(now, committed_txs);
  while (window_.size() > 1 && now - window_.front().first > options_.window) {
    window_.pop_front();
  }
  std::uint64_t txs = 0;
  for (const auto& [when, n] : window_) txs += n;
  const double span_s =
      std::max(1.0, std::chrono::duration<double>(now - window_.front().first).count());
  const double rate = static_cast<double>(txs) / span_s;  // tx/s
  const double wanted = rate * options_.target_drain_ms / 1000.0;
  Capacity out;
  out.txs = std::clamp<std::size_t>(static_cast<std::size_t>(wanted),
                                    std::min(options_.min_txs, options_.max_txs), options_.max_txs);
  const double block_ms =
      rate > 0 ? 1000.0 * static_cast<double>(options_.max_block_txs) / rate : 1000.0;
  out.retry_after_ms = static_cast<std::uint32_t>(std::clamp(block_ms, 50.0, 5000.0));
  return out;
}

}  // namespace colend::node
