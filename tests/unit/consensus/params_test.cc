// The bounds a node checks at start-up: the largest consensus message the chain's parameters
// allow, against the p2p frame limit.
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

TEST(ConsensusParamsTest, ViewChangesQuoteBlocksByHeaderSoTheirSizeIgnoresTheBlockSize) {
  ConsensusParams p;
  p.execution_lag = 1;
  p.max_block_bytes = 4u << 20;
  p.max_block_txs = 2000;
  const std::uint64_t vc = p.MaxViewChangeBytes(4);
  const std::uint64_t nv = p.MaxNewViewBytes(4);
  // Three headers in flight with their votes, and two certificates: a few kilobytes.
  EXPECT_LT(vc, 16u << 10);
  EXPECT_GE(nv, 3 * vc);
  EXPECT_LT(nv, 64u << 10);
  p.max_block_bytes = 64u << 20;
  p.max_block_txs = 100'000;
  EXPECT_EQ(p.MaxViewChangeBytes(4), vc);
  EXPECT_EQ(p.MaxNewViewBytes(4), nv);
  p.window = 4000;  // nor does the checkpoint window
  p.checkpoint_period = 1000;
  EXPECT_EQ(p.MaxNewViewBytes(4), nv);
  // More blocks in flight and larger sets: larger, still small.
  p.execution_lag = 3;
  EXPECT_GT(p.MaxNewViewBytes(4), nv);
  EXPECT_GT(p.MaxNewViewBytes(31), p.MaxNewViewBytes(4));
  EXPECT_LT(p.MaxNewViewBytes(31), 4u << 20);
}

TEST(ConsensusParamsTest, TheLargestMessageIsAProposalWithAFullBlock) {
  ConsensusParams p;
  p.max_block_bytes = 4u << 20;
  p.max_block_txs = 2000;
  EXPECT_GE(p.MaxPrePrepareBytes(), (4u << 20) + 2000u * 2);
  EXPECT_LT(p.MaxPrePrepareBytes(), (4u << 20) + (64u << 10));
  EXPECT_EQ(p.MaxMessageBytes(4), p.MaxPrePrepareBytes());
  // Only with a tiny block and a large set does the NEW-VIEW dominate.
  p.max_block_bytes = 1024;
  p.max_block_txs = 1;
  EXPECT_EQ(p.MaxMessageBytes(100), p.MaxNewViewBytes(100));
}

}  // namespace
}  // namespace colend::consensus
