// Rule 5 of safety.cc on its own: what a NEW-VIEW must re-propose, given VIEW-CHANGEs.
#include <gtest/gtest.h>

#include "colend/consensus/messages.h"
#include "harness.h"
#include "safety.h"

namespace colend::consensus::testing {
namespace {

const crypto::Digest kGenesis = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes("g"));

BlockRef Block(std::uint64_t height, const crypto::Digest& parent, const std::string& tx) {
  const proto::Block block =
      MakeBlock(height, parent, 0, "node-0", {tx}, 1'000 + height, kGenesis, kGenesis);
  return std::make_shared<const ParsedBlock>(
      ParseBlock(block, kChainId, crypto::HashAlgorithm::kSha256).value());
}

PreparedSummary Cert(std::uint64_t view, const BlockRef& block) {
  PreparedSummary p;
  p.view = view;
  p.sequence = block->header.height();
  p.block = block;
  return p;
}

ViewChangeSummary VC(const std::string& sender, std::uint64_t checkpoint,
                     const crypto::Digest& checkpoint_hash, std::vector<PreparedSummary> certs) {
  ViewChangeSummary vc;
  vc.sender = sender;
  vc.new_view = 5;
  vc.checkpoint.sequence = checkpoint;
  vc.checkpoint.block_hash = checkpoint_hash;
  vc.anchor = Anchor{checkpoint, checkpoint_hash};
  vc.prepared = std::move(certs);
  return vc;
}

std::vector<crypto::Digest> Planned(const std::vector<ViewChangeSummary>& vcs) {
  const safety::NewViewPlan plan = safety::PlanNewView(5, vcs);
  std::vector<crypto::Digest> out;
  for (const PreparedSummary* p : plan.reproposals) out.push_back(p->block->hash);
  EXPECT_EQ(plan.top, plan.anchor.sequence + out.size());
  return out;
}

TEST(NewViewPlanTest, NothingPreparedMeansNothingReproposed) {
  EXPECT_TRUE(
      Planned({VC("a", 0, kGenesis, {}), VC("b", 0, kGenesis, {}), VC("c", 0, kGenesis, {})})
          .empty());
}

TEST(NewViewPlanTest, TheHighestViewWinsAtEachHeight) {
  const BlockRef x = Block(1, kGenesis, "x");
  const BlockRef y = Block(1, kGenesis, "y");
  const BlockRef y2 = Block(2, y->hash, "y2");
  EXPECT_EQ(Planned({VC("a", 0, kGenesis, {Cert(1, x)}),
                     VC("b", 0, kGenesis, {Cert(3, y), Cert(3, y2)}), VC("c", 0, kGenesis, {})}),
            (std::vector<crypto::Digest>{y->hash, y2->hash}));
}

TEST(NewViewPlanTest, StopsAtAGapRatherThanLeaveAHoleInTheChain) {
  const BlockRef b1 = Block(1, kGenesis, "1");
  const BlockRef b2 = Block(2, b1->hash, "2");
  const BlockRef b3 = Block(3, b2->hash, "3");
  // Nobody quotes height 2: height 3 cannot have committed, and cannot be re-proposed.
  EXPECT_EQ(Planned({VC("a", 0, kGenesis, {Cert(1, b1), Cert(1, b3)}), VC("b", 0, kGenesis, {}),
                     VC("c", 0, kGenesis, {})}),
            (std::vector<crypto::Digest>{b1->hash}));
  EXPECT_EQ(Planned({VC("a", 0, kGenesis, {Cert(1, b1), Cert(1, b2), Cert(1, b3)}),
                     VC("b", 0, kGenesis, {}), VC("c", 0, kGenesis, {})}),
            (std::vector<crypto::Digest>{b1->hash, b2->hash, b3->hash}));
}

TEST(NewViewPlanTest, StopsWhereTheChosenBlocksDoNotLink) {
  const BlockRef x1 = Block(1, kGenesis, "x1");
  const BlockRef y1 = Block(1, kGenesis, "y1");
  const BlockRef x2 = Block(2, x1->hash, "x2");
  // Height 1: y1 (view 4) beats x1 (view 2); height 2's best is x2, whose parent is x1.
  EXPECT_EQ(Planned({VC("a", 0, kGenesis, {Cert(2, x1), Cert(2, x2)}),
                     VC("b", 0, kGenesis, {Cert(4, y1)}), VC("c", 0, kGenesis, {})}),
            (std::vector<crypto::Digest>{y1->hash}));
}

TEST(NewViewPlanTest, StartsFromTheHighestCheckpointAndMustLinkToIt) {
  const crypto::Digest h4 = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes("block 4"));
  const BlockRef b3 = Block(3, kGenesis, "3");
  const BlockRef b5 = Block(5, h4, "5");
  const BlockRef stray5 = Block(5, kGenesis, "stray");
  const std::vector<ViewChangeSummary> vcs = {
      VC("a", 0, kGenesis, {Cert(1, b3)}), VC("b", 4, h4, {Cert(1, b5)}), VC("c", 0, kGenesis, {})};
  const safety::NewViewPlan plan = safety::PlanNewView(5, vcs);
  EXPECT_EQ(plan.checkpoint.sequence, 4u);
  ASSERT_EQ(plan.reproposals.size(), 1u);
  EXPECT_EQ(plan.reproposals[0]->block->hash, b5->hash);  // height 3 is under the checkpoint
  EXPECT_TRUE(Planned({VC("a", 4, h4, {Cert(1, stray5)}), VC("b", 0, kGenesis, {}),
                       VC("c", 0, kGenesis, {})})
                  .empty());
}

// A replica that committed up to 7 quotes that block's commit certificate as its anchor and
// nothing below it; the plan builds on the highest anchor, above every checkpoint.
TEST(NewViewPlanTest, BuildsOnTheHighestCommittedAnchor) {
  const crypto::Digest h7 = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes("block 7"));
  const BlockRef b8 = Block(8, h7, "8");
  const BlockRef b9 = Block(9, b8->hash, "9");
  const BlockRef old5 = Block(5, kGenesis, "5");
  ViewChangeSummary committed = VC("a", 4, kGenesis, {Cert(2, b8), Cert(2, b9)});
  committed.anchor = Anchor{7, h7};
  const std::vector<ViewChangeSummary> vcs = {committed, VC("b", 4, kGenesis, {Cert(1, old5)}),
                                              VC("c", 0, kGenesis, {Cert(1, b8)})};
  const safety::NewViewPlan plan = safety::PlanNewView(5, vcs);
  EXPECT_EQ(plan.checkpoint.sequence, 4u);  // the low watermark stays the checkpoint's
  EXPECT_EQ(plan.anchor.sequence, 7u);
  EXPECT_EQ(plan.anchor.block_hash, h7);
  ASSERT_EQ(plan.reproposals.size(), 2u);  // 5 is below the anchor: never re-proposed
  EXPECT_EQ(plan.reproposals[0]->block->hash, b8->hash);
  EXPECT_EQ(plan.reproposals[1]->block->hash, b9->hash);
  EXPECT_EQ(plan.top, 9u);
}

TEST(NewViewPlanTest, TiesInOneViewAreBrokenTheSameWayEverywhere) {
  const BlockRef x = Block(1, kGenesis, "x");
  const BlockRef y = Block(1, kGenesis, "y");
  const auto first = Planned({VC("a", 0, kGenesis, {Cert(2, x)}),
                              VC("b", 0, kGenesis, {Cert(2, y)}), VC("c", 0, kGenesis, {})});
  const auto second = Planned({VC("b", 0, kGenesis, {Cert(2, y)}),
                               VC("a", 0, kGenesis, {Cert(2, x)}), VC("c", 0, kGenesis, {})});
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace colend::consensus::testing
