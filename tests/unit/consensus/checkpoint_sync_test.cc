// Checkpoints (stable at a quorum: low watermark, garbage collection, WAL compaction) and
// catching up through sync.
#include <gtest/gtest.h>

#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus::testing {
namespace {

std::string Tx(int i) {
  return "tx-" + std::to_string(i);
}

void SubmitBlocks(Harness& h, int blocks, int first = 0) {
  for (int i = first; i < first + 4 * blocks; ++i) h.Submit(Tx(i));  // full batches of 4
}

TEST(CheckpointTest, AStableCheckpointMovesTheLowWatermarkAndCompactsTheWal) {
  Harness h(4);  // K = 4
  h.StartAll();
  SubmitBlocks(h, 6);
  h.Run(300);
  for (std::size_t i = 0; i < h.size(); ++i) {
    ASSERT_EQ(h.Committed(i), 6u);
    EXPECT_EQ(h.replica(i).status().low_watermark, 4u);
    EXPECT_EQ(h.replica(i).counters().stable_checkpoints, 1u);
    bool compacted = false;
    for (const Action& a : h.node(i).all_actions) {
      if (const auto* c = std::get_if<CompactWalAction>(&a)) compacted |= c->stable_sequence == 4;
    }
    EXPECT_TRUE(compacted);
    bool stable_record = false;
    for (const PersistAction& p : h.node(i).wal) {
      EXPECT_FALSE(p.key.kind != WalKind::kStableCheckpoint && p.key.sequence != 0 &&
                   p.key.sequence <= 4)
          << "record for sequence " << p.key.sequence << " survived compaction";
      stable_record |= p.record.has_stable_checkpoint() &&
                       p.record.stable_checkpoint().sequence() == 4 &&
                       p.record.stable_checkpoint().checkpoints_size() == 3;
    }
    EXPECT_TRUE(stable_record);
  }
}

TEST(CheckpointTest, ACheckpointNeedsAQuorumOfMatchingVotes) {
  Harness h(4);
  h.StartAll();
  SubmitBlocks(h, 4);
  h.Run(300, 10,
        [](const InFlight& m) { return KindOf(m.envelope) != "checkpoint" || m.from == "node-0"; });
  // Its own and node-0's: 2 of 3.
  EXPECT_EQ(h.replica(1).status().low_watermark, 0u);
  proto::ConsensusMessage lie;
  lie.set_chain_id(kChainId);
  lie.mutable_checkpoint()->set_sequence(4);
  lie.mutable_checkpoint()->set_state_root(std::string(32, 'x'));
  lie.mutable_checkpoint()->set_block_hash(std::string(32, 'y'));
  h.Deliver(1, h.Sign(2, lie));  // a different state: does not match
  EXPECT_EQ(h.replica(1).status().low_watermark, 0u);
  h.Deliver(1, h.Sign(2, lie));
  EXPECT_EQ(h.replica(1).counters().duplicates, 1u);
}

TEST(SyncTest, AReplicaLeftBehindRequestsSyncAndCatchesUp) {
  Harness h(4);
  h.StartAll();
  const auto cut_off = [](const InFlight& m) { return m.from != "node-3" && m.to != "node-3"; };
  SubmitBlocks(h, 10);
  h.Run(500, 10, cut_off);
  ASSERT_EQ(h.Committed(0), 10u);
  ASSERT_EQ(h.Committed(3), 0u);
  // Checkpoints from f + 1 = 2 validators above its height: it asks to sync.
  for (std::size_t from : {0u, 1u}) {
    for (const Action& a : h.node(from).all_actions) {
      if (const auto* b = std::get_if<BroadcastAction>(&a);
          b != nullptr && KindOf(b->envelope) == "checkpoint") {
        h.Deliver(3, b->envelope);
      }
    }
  }
  ASSERT_FALSE(h.node(3).sync_requests.empty());
  EXPECT_EQ(h.node(3).sync_requests.back().target_height, 8u);
  EXPECT_EQ(h.ServeSync(3, 0), 10u);
  EXPECT_EQ(h.node(3).commits.back().block.header(), h.node(0).commits.back().block.header());
  EXPECT_EQ(h.replica(3).counters().synced_blocks, 10u);
  // And it takes part again.
  SubmitBlocks(h, 2, 100);
  h.Run(500);
  EXPECT_EQ(h.Committed(3), 12u);
}

TEST(SyncTest, ACommitQuorumForAnUnseenBlockRequestsSync) {
  Harness h(4);
  h.StartAll();
  h.Submit(Tx(1));
  h.Run(100, 10, [](const InFlight& m) {
    return !(m.to == "node-3" && KindOf(m.envelope) == "pre_prepare");
  });
  EXPECT_EQ(h.Committed(3), 0u);
  ASSERT_FALSE(h.node(3).sync_requests.empty());
  EXPECT_EQ(h.node(3).sync_requests.back().target_height, 1u);
  EXPECT_EQ(h.ServeSync(3, 0), 1u);
}

TEST(SyncTest, AHeightStuckBelowFinalOnesIsFetchedAfterAGracePeriod) {
  ConsensusParams params = TestParams();
  params.execution_lag = 2;
  Harness h(4, params);
  h.StartAll();
  SubmitBlocks(h, 2);  // heights 1 and 2 in flight together
  // node-3 never gets the COMMITs of height 1 (it was down when they were sent).
  const auto lost = [](const InFlight& m) {
    proto::ConsensusMessage message;
    message.ParseFromString(m.envelope.body());
    return m.to == "node-3" && message.has_commit() && message.commit().sequence() == 1;
  };
  h.DeliverAll([&](const InFlight& m) { return !lost(m); });
  ASSERT_EQ(h.Committed(0), 2u);
  EXPECT_EQ(h.Committed(3), 0u);                 // height 2 is final here, but cannot be handed out
  EXPECT_TRUE(h.node(3).sync_requests.empty());  // not at once: votes may just be late
  h.AdvanceTime(h.params().view_change_timeout_ms / 4);
  h.Deliver(3, h.Sign(1, PrepareMessage(0, 2, std::string(32, 'z'))));  // any input
  ASSERT_FALSE(h.node(3).sync_requests.empty());
  EXPECT_EQ(h.node(3).sync_requests.back().target_height, 2u);
  EXPECT_EQ(h.ServeSync(3, 0), 1u);  // height 1 by sync...
  EXPECT_EQ(h.Committed(3), 2u);     // ...and height 2 from its own commit quorum
}

TEST(SyncTest, SyncedBlocksAreChecked) {
  Harness h(4);
  h.StartAll();
  SubmitBlocks(h, 3);
  h.Run(300);
  Harness fresh(4);
  fresh.StartAll();
  Replica& r = fresh.replica(1);
  const auto certified = [&](std::size_t height) {
    proto::CertifiedBlock c;
    *c.mutable_block() = h.node(0).commits[height - 1].block;
    *c.mutable_certificate() = h.node(0).commits[height - 1].certificate;
    return c;
  };
  EXPECT_EQ(r.OnSyncedBlock(fresh.now(), certified(2)).status().code(), StatusCode::kOutOfRange);
  proto::CertifiedBlock forged = certified(1);
  forged.mutable_certificate()->mutable_commits()->RemoveLast();
  EXPECT_EQ(r.OnSyncedBlock(fresh.now(), forged).status().code(), StatusCode::kPermissionDenied);
  proto::CertifiedBlock swapped = certified(1);
  *swapped.mutable_block() = certified(2).block();
  EXPECT_FALSE(r.OnSyncedBlock(fresh.now(), swapped).ok());
  Result<Actions> ok = r.OnSyncedBlock(fresh.now(), certified(1));
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_FALSE(ok->empty());
  EXPECT_TRUE(std::holds_alternative<CommitAction>(ok->front()));
  Result<Actions> again = r.OnSyncedBlock(fresh.now(), certified(1));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());  // already committed
  EXPECT_EQ(r.status().committed_height, 1u);
}

}  // namespace
}  // namespace colend::consensus::testing
