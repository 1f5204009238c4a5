// Persistence and recovery: a restarted replica never signs a second, different vote for a
// slot, sends again exactly what it signed, waits for NEW-VIEW in a view it may have been
// in, and refuses a WAL it did not write.
#include <gtest/gtest.h>

#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus::testing {
namespace {

std::vector<proto::ConsensusEnvelope> SentBy(Harness& h, const std::string& from,
                                             const std::string& kind) {
  std::vector<proto::ConsensusEnvelope> out;
  for (const InFlight& m : h.network()) {
    if (m.from == from && KindOf(m.envelope) == kind) out.push_back(m.envelope);
  }
  return out;
}

TEST(RecoveryTest, ARestartedReplicaNeverPreparesASecondBlockForOneSlot) {
  Harness h(4);
  h.StartAll();
  const proto::Block a = h.FirstBlock({"a"});
  const proto::Block b = h.FirstBlock({"b"});
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, a)));  // node-1 PREPAREs A (persisted)
  const std::vector<proto::ConsensusEnvelope> before = SentBy(h, "node-1", "prepare");
  ASSERT_EQ(before.size(), 3u);
  h.DropWhere([](const InFlight&) { return true; });

  h.Crash(1);
  h.Restart(1);
  // It sends its PREPARE for A again, byte for byte.
  const std::vector<proto::ConsensusEnvelope> again = SentBy(h, "node-1", "prepare");
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].body(), before[0].body());
  EXPECT_EQ(again[0].signature(), before[0].signature());
  h.DropWhere([](const InFlight&) { return true; });

  // The (byzantine) primary now offers B for the same slot: no PREPARE for it.
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, b)));
  for (const proto::ConsensusEnvelope& e : SentBy(h, "node-1", "prepare")) {
    proto::ConsensusMessage message;
    message.ParseFromString(e.body());
    EXPECT_NE(message.prepare().block_hash(), HashOf(b));
  }
  EXPECT_EQ(h.replica(1).counters().refused_double_vote, 1u);
}

TEST(RecoveryTest, ARestartedPrimaryDoesNotProposeASecondBlockAtAHeight) {
  Harness h(4);
  h.StartAll();
  h.Submit("a");
  h.AdvanceTime(h.params().batch_timeout_ms);
  const std::vector<proto::ConsensusEnvelope> first = SentBy(h, "node-0", "pre_prepare");
  ASSERT_EQ(first.size(), 3u);
  h.DropWhere([](const InFlight&) { return true; });  // nobody got it
  h.Crash(0);
  h.Restart(0);
  const std::vector<proto::ConsensusEnvelope> again = SentBy(h, "node-0", "pre_prepare");
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].body(), first[0].body());  // the same block, the same bytes
  h.Submit("b");
  h.Run(300);
  ASSERT_GE(h.Committed(2), 2u);
  EXPECT_EQ(h.node(2).commits[0].block.transactions(0), "a");
  EXPECT_EQ(h.node(0).proposal_requests.back().height, 2u);  // asked for 2, never 1 again
}

TEST(RecoveryTest, RestartingInAViewWaitsForItsNewView) {
  Harness h(4);
  h.StartAll();
  h.Crash(0);
  h.Submit("a");
  h.Run(3'000, 50);
  ASSERT_EQ(h.replica(2).status().view, 1u);
  ASSERT_EQ(h.Committed(2), 1u);
  h.Crash(2);
  h.Restart(2);
  // It may have acted in view 1, so it does not act there until it has the NEW-VIEW...
  EXPECT_FALSE(h.replica(2).status().view_active);
  // ...which its peers send once they see its VIEW-CHANGE again.
  h.Run(3'000, 50);
  EXPECT_TRUE(h.replica(2).status().view_active);
  EXPECT_EQ(h.replica(2).status().view, 1u);
  h.Submit("b");
  h.Run(500);
  EXPECT_EQ(h.Committed(2), 2u);
}

TEST(RecoveryTest, ReplicasCrashAndRestartWhileTheChainGrows) {
  Harness h(4);
  h.StartAll();
  for (int round = 0; round < 12; ++round) {
    for (int k = 0; k < 3; ++k) h.Submit("tx-" + std::to_string(round) + "-" + std::to_string(k));
    h.Run(100);
    const std::size_t victim = 1 + static_cast<std::size_t>(round) % 3;
    h.Crash(victim);
    h.Restart(victim);
    h.ServeSync(victim, 0);
  }
  h.Run(5'000, 50);
  for (std::size_t i = 1; i < h.size(); ++i) h.ServeSync(i, 0);
  for (std::size_t i = 0; i < h.size(); ++i) {
    std::size_t txs = 0;
    for (const CommitAction& c : h.node(i).commits) txs += c.block.transactions_size();
    EXPECT_EQ(txs, 36u) << h.id(i);
    EXPECT_EQ(h.node(i).commits.back().block.header(), h.node(0).commits.back().block.header());
    // Compaction keeps the WAL to the window's worth of records.
    EXPECT_LT(h.node(i).wal.size(), 8u * 6u) << h.id(i);
  }
}

TEST(RecoveryTest, RecoverRefusesAForeignWalAndASecondCall) {
  Harness h(4);
  h.StartAll();
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, h.FirstBlock({"a"}))));
  ASSERT_FALSE(h.node(1).wal.empty());
  RecoveryState foreign;
  for (const PersistAction& p : h.node(1).wal) foreign.records.push_back(p.record);

  std::unique_ptr<Replica> replica = h.NewReplica(2);
  EXPECT_EQ(replica->Recover(h.now(), foreign).status().code(), StatusCode::kCorruption);
  replica = h.NewReplica(2);
  RecoveryState empty_record;
  empty_record.records.emplace_back();
  EXPECT_EQ(replica->Recover(h.now(), empty_record).status().code(), StatusCode::kCorruption);
  replica = h.NewReplica(1);
  EXPECT_TRUE(replica->Recover(h.now(), foreign).ok());  // its own WAL
  EXPECT_EQ(replica->Recover(h.now(), foreign).status().code(), StatusCode::kFailedPrecondition);
  // Inputs before Recover are refused, not acted on.
  std::unique_ptr<Replica> early = h.NewReplica(3);
  EXPECT_TRUE(
      early->OnMessage(h.now(), h.Sign(0, PrePrepareMessage(0, 1, h.FirstBlock({"a"})))).empty());
  EXPECT_EQ(early->counters().bad_inputs, 1u);
}

}  // namespace
}  // namespace colend::consensus::testing
