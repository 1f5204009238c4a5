// The bounds a node checks at start-up: the largest VIEW-CHANGE and NEW-VIEW the chain's
// parameters allow, against the p2p frame limit.
#include "colend/consensus/params.h"

#include <gtest/gtest.h>

namespace colend::consensus {
namespace {

TEST(ConsensusParamsTest, InFlightFollowsTheExecutionLag) {
  ConsensusParams p;
  p.execution_lag = 1;
  EXPECT_EQ(p.MaxInFlight(), 3u);
  p.execution_lag = 4;
  EXPECT_EQ(p.MaxInFlight(), 6u);
}

TEST(ConsensusParamsTest, LargestMessagesGrowWithBlocksInFlightNotWithTheWindow) {
  ConsensusParams p;
  p.execution_lag = 1;
  p.max_block_bytes = 4u << 20;
  p.max_block_txs = 2000;
  const std::uint64_t vc = p.MaxViewChangeBytes(4);
  // Three blocks of 4 MiB in flight, plus their votes and framing.
  EXPECT_GE(vc, 3u * (4u << 20));
  EXPECT_LT(vc, 3u * (4u << 20) + (256u << 10));
  // A quorum (3 of 4) of them plus three re-proposals: fits the 64 MiB default frame.
  const std::uint64_t nv = p.MaxNewViewBytes(4);
  EXPECT_GE(nv, 3 * vc + 3u * (4u << 20));
  EXPECT_LT(nv, 64u << 20);
  p.window = 4000;  // the checkpoint window plays no part any more
  p.checkpoint_period = 1000;
  EXPECT_EQ(p.MaxNewViewBytes(4), nv);
  // Larger lags and sets need a larger frame.
  p.execution_lag = 3;
  EXPECT_GT(p.MaxNewViewBytes(4), 64u << 20);
  p.execution_lag = 1;
  EXPECT_GT(p.MaxNewViewBytes(31), p.MaxNewViewBytes(4));
}

}  // namespace
}  // namespace colend::consensus
