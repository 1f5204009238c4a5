// Quorum arithmetic, primary rotation, parameter validation and the WAL compaction rule.
#include <gtest/gtest.h>

#include "colend/consensus/actions.h"
#include "colend/consensus/params.h"
#include "colend/consensus/validator_set.h"

namespace colend::consensus {
namespace {

std::vector<std::string> Ids(std::size_t n) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back("node-" + std::string(1, char('a' + i)));
  return ids;
}

TEST(ValidatorSetTest, QuorumIsTwoFPlusOneForThreeFPlusOne) {
  // quorum by n = 1..10: ceil((n + f + 1) / 2) with f = floor((n - 1) / 3).
  const std::vector<std::size_t> expected = {0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7};
  for (std::size_t n = 1; n <= 10; ++n) {
    const ValidatorSet set = ValidatorSet::Create(Ids(n)).value();
    EXPECT_EQ(set.max_faulty(), (n - 1) / 3) << n;
    EXPECT_EQ(set.quorum(), expected[n]) << "n = " << n;
    // Any two quorums share an honest validator: 2q - n > f.
    EXPECT_GT(2 * set.quorum(), n + set.max_faulty()) << n;
    // A quorum can form without the f faulty ones.
    EXPECT_LE(set.quorum(), n - set.max_faulty()) << n;
  }
  EXPECT_EQ(ValidatorSet::Create(Ids(4)).value().quorum(), 3u);
  EXPECT_EQ(ValidatorSet::Create(Ids(7)).value().quorum(), 5u);
  EXPECT_EQ(ValidatorSet::Create(Ids(10)).value().quorum(), 7u);
}

TEST(ValidatorSetTest, PrimaryRotatesInIdOrder) {
  const ValidatorSet set = ValidatorSet::Create(Ids(4)).value();
  EXPECT_EQ(set.Primary(0), "node-a");
  EXPECT_EQ(set.Primary(1), "node-b");
  EXPECT_EQ(set.Primary(5), "node-b");
  EXPECT_EQ(set.IndexOf("node-c"), 2u);
  EXPECT_FALSE(set.Contains("node-z"));
}

TEST(ValidatorSetTest, RefusesUnsortedDuplicateOrEmptyIds) {
  EXPECT_FALSE(ValidatorSet::Create({}).ok());
  EXPECT_FALSE(ValidatorSet::Create({"b", "a"}).ok());
  EXPECT_FALSE(ValidatorSet::Create({"a", "a"}).ok());
  EXPECT_FALSE(ValidatorSet::Create({"", "a"}).ok());
}

TEST(ConsensusParamsTest, Validates) {
  EXPECT_TRUE(ConsensusParams().Validate().ok());
  ConsensusParams p;
  p.window = p.checkpoint_period - 1;
  EXPECT_FALSE(p.Validate().ok());
  p = ConsensusParams();
  p.execution_lag = 0;
  EXPECT_FALSE(p.Validate().ok());
  p = ConsensusParams();
  p.checkpoint_period = 0;
  EXPECT_FALSE(p.Validate().ok());
  p = ConsensusParams();
  p.max_block_txs = 0;
  EXPECT_FALSE(p.Validate().ok());
}

TEST(WalRuleTest, ObsoleteRecords) {
  // Stable checkpoint at 20, view 3.
  EXPECT_TRUE(WalRecordObsolete({WalKind::kView, 2, 0}, 20, 3));
  EXPECT_FALSE(WalRecordObsolete({WalKind::kView, 3, 0}, 20, 3));
  EXPECT_TRUE(WalRecordObsolete({WalKind::kStableCheckpoint, 0, 10}, 20, 3));
  EXPECT_FALSE(WalRecordObsolete({WalKind::kStableCheckpoint, 0, 20}, 20, 3));
  EXPECT_TRUE(WalRecordObsolete({WalKind::kSent, 3, 20}, 20, 3));
  EXPECT_FALSE(WalRecordObsolete({WalKind::kSent, 1, 21}, 20, 3));
  EXPECT_TRUE(WalRecordObsolete({WalKind::kPrepared, 2, 19}, 20, 3));
  EXPECT_TRUE(WalRecordObsolete({WalKind::kSent, 2, 0}, 20, 3));   // an old VIEW-CHANGE
  EXPECT_FALSE(WalRecordObsolete({WalKind::kSent, 3, 0}, 20, 3));  // this view's NEW-VIEW
}

}  // namespace
}  // namespace colend::consensus
