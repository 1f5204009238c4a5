// PoolBackpressure: how many client transactions the pool admits (TxPool::SetCapacity).
// The pool admits from clients what the network commits in target_drain_ms at the rate of
// the last `window` (never below min_txs, never above max_txs), so an admitted transaction
// waits about that long and the excess is told BUSY at once instead of waiting seconds.
// The retry hint is the time one block's worth of room (max_block_txs) takes to free up,
// between 50 ms and 5 s (1 s while nothing commits).
//
// Ownership: plain value (the commits of the last window).
// Thread safety: one thread (the node's event loop, after each commit).
#ifndef COLEND_NODE_CORE_POOL_BACKPRESSURE_H_
#define COLEND_NODE_CORE_POOL_BACKPRESSURE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

#include "colend/node/config.h"

namespace colend::node {

// The node fills every field from its NodeConfig and the chain's parameters; the defaults are
// NodeConfig's, so that there is one place to change them.
struct PoolBackpressureOptions {
  std::uint32_t target_drain_ms = NodeConfig{}.pool_target_drain_ms;  // txpool.target_drain_ms
  std::uint32_t min_txs = NodeConfig{}.pool_min_txs;                  // txpool.min_txs
  std::uint32_t max_txs = NodeConfig{}.pool_max_txs;                  // txpool.max_txs
  std::uint32_t max_block_txs = 1000;  // the chain's consensus.max_block_txs
  std::chrono::milliseconds window = std::chrono::seconds(10);
};

class PoolBackpressure {
 public:
  struct Capacity {
    std::size_t txs = 0;               // TxPool::SetCapacity's capacity
    std::uint32_t retry_after_ms = 0;  // and its retry hint
  };

  explicit PoolBackpressure(PoolBackpressureOptions options) : options_(options) {}

  // A block of `committed_txs` transactions was stored at `now`: the pool's capacity now.
  Capacity OnCommitted(std::uint64_t committed_txs, std::chrono::steady_clock::time_point now);

 private:
  const PoolBackpressureOptions options_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> window_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_POOL_BACKPRESSURE_H_
