// The pool's backpressure on its own (node/core/src/pool_backpressure.h): the capacity
// follows what the network commits in target_drain_ms, within min_txs..max_txs, and the
// retry hint is the time one block's worth of room takes to free up.
#include "pool_backpressure.h"

#include <gtest/gtest.h>

#include <chrono>

namespace colend::node {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

PoolBackpressureOptions Options() {
  PoolBackpressureOptions options;
  options.target_drain_ms = 2000;
  options.min_txs = 100;
  options.max_txs = 10'000;
  options.max_block_txs = 500;
  return options;
}

TEST(PoolBackpressureTest, TheCapacityIsWhatCommitsInTheDrainTime) {
  PoolBackpressure backpressure(Options());
  const Clock::time_point t0 = Clock::now();
  // Nothing committed yet: the minimum, and a 1 s hint.
  PoolBackpressure::Capacity c = backpressure.OnCommitted(0, t0);
  EXPECT_EQ(c.txs, 100u);
  EXPECT_EQ(c.retry_after_ms, 1000u);
  // 1,000 tx in 2 s: 500 tx/s, so 1,000 in the 2 s drain time; a block of 500 frees in 1 s.
  backpressure.OnCommitted(500, t0 + seconds(1));
  c = backpressure.OnCommitted(500, t0 + seconds(2));
  EXPECT_EQ(c.txs, 1000u);
  EXPECT_EQ(c.retry_after_ms, 1000u);
}

TEST(PoolBackpressureTest, TheCapacityStaysWithinItsBoundsAndForgetsOldCommits) {
  PoolBackpressure backpressure(Options());
  const Clock::time_point t0 = Clock::now();
  PoolBackpressure::Capacity c = backpressure.OnCommitted(1'000'000, t0);  // over 1 s at least
  EXPECT_EQ(c.txs, 10'000u);
  EXPECT_EQ(c.retry_after_ms, 50u);  // the hint's floor
  // 11 s later the burst is out of the 10 s window: nothing commits, the minimum again.
  c = backpressure.OnCommitted(0, t0 + seconds(11));
  EXPECT_EQ(c.txs, 100u);
  EXPECT_EQ(c.retry_after_ms, 1000u);
  c = backpressure.OnCommitted(1, t0 + seconds(12));  // 1 tx/s: a block in 500 s, capped
  EXPECT_EQ(c.retry_after_ms, 5000u);
}

TEST(PoolBackpressureTest, AMinimumAboveTheMaximumGivesTheMaximum) {
  PoolBackpressureOptions options = Options();
  options.min_txs = 50'000;
  PoolBackpressure backpressure(options);
  EXPECT_EQ(backpressure.OnCommitted(0, Clock::now()).txs, 10'000u);
}

}  // namespace
}  // namespace colend::node
