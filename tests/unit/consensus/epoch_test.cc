// Validator epochs (consensus/src/safety.cc, "Epochs"): a decided change ends the epoch
// G - 1 blocks after the deciding block, the heights up to that end are filled even when
// nothing waits, nothing is ordered above it, another epoch's messages never count, and
// a replica outside the set (an observer) signs nothing.
#include <gtest/gtest.h>

#include <variant>

#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus::testing {
namespace {

std::string Tx(int i) { return "tx-" + std::to_string(i); }

// Starts `h` with a validator-set change decided by the block at `decided_at` and offers five
// transactions (blocks 1 and 2 at TestParams' 4 a block). Returns the epoch's end.
std::uint64_t StartWithAChangeDecidedAt(Harness& h, std::uint64_t decided_at) {
  const std::uint64_t end = decided_at + h.params().EpochDelay() - 1;
  h.epoch_end_after = [decided_at, end](std::uint64_t height) {
    return height == decided_at ? end : 0;
  };
  h.StartAll();
  for (int i = 0; i < 5; ++i) h.Submit(Tx(i));
  return end;
}

TEST(EpochTest, ADecidedChangeEndsTheEpochWithFillersAndNothingAbove) {
  Harness h(4);
  const std::uint64_t decided_at = 2;
  const std::uint64_t end = StartWithAChangeDecidedAt(h, decided_at);
  // Blocks 1 and 2; then the pools are empty.
  h.Run(2'000);
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h.Committed(i), end) << h.id(i);
    EXPECT_EQ(h.replica(i).status().epoch_end, end) << h.id(i);
  }
  // The heights between the decision and the end are empty blocks, counted as fillers.
  for (std::uint64_t height = decided_at + 1; height <= end; ++height) {
    EXPECT_EQ(h.node(0).commits[height - 1].block.transactions_size(), 0) << height;
  }
  std::uint64_t fillers = 0;
  for (std::size_t i = 0; i < h.size(); ++i) fillers += h.replica(i).counters().fillers;
  EXPECT_EQ(fillers, end - decided_at);
  // Nothing is ordered above the end by this epoch's set, however much waits.
  for (int i = 5; i < 20; ++i) h.Submit(Tx(i));
  h.Run(3'000);
  for (std::size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h.Committed(i), end) << h.id(i);
}

// The validators that committed the epoch's end move on to the next epoch and no longer answer
// its view changes: a replica left behind in them fetches the blocks up to the end by sync
// after its view change has timed out, instead of waiting for a quorum that never comes.
TEST(EpochTest, AReplicaLeftInAnEndedEpochsViewChangeSyncsToItsEnd) {
  Harness h(4);
  const std::uint64_t decided_at = 2;
  const std::uint64_t end = StartWithAChangeDecidedAt(h, decided_at);
  // Node 3 is cut off once it has committed the deciding block; the others reach the end.
  bool cut = false;
  const Harness::Filter reach_node3_until_cut = [&](const InFlight& m) {
    cut = cut || h.Committed(3) >= decided_at;
    return !cut || (m.to != h.id(3) && m.from != h.id(3));
  };
  h.Run(2'000, 10, reach_node3_until_cut);
  ASSERT_EQ(h.Committed(3), decided_at);
  ASSERT_EQ(h.replica(3).status().epoch_end, end);
  for (std::size_t i = 0; i < 3; ++i) ASSERT_EQ(h.Committed(i), end) << h.id(i);
  h.node(3).sync_requests.clear();
  // Work waits at node 3, so it asks for a view change, which times out unanswered.
  h.SubmitTo(3, Tx(99));
  h.Run(4 * h.params().view_change_timeout_ms, 10, reach_node3_until_cut);
  EXPECT_GE(h.replica(3).counters().view_changes, 1u);
  bool asked_for_the_end = false;
  for (const RequestSyncAction& r : h.node(3).sync_requests) {
    asked_for_the_end |= r.target_height == end;
  }
  EXPECT_TRUE(asked_for_the_end) << h.node(3).sync_requests.size() << " sync requests";
  EXPECT_EQ(h.ServeSync(3, 0), end - decided_at);
  EXPECT_EQ(h.Committed(3), end);
}

TEST(EpochTest, AnEmptyBlockIsRefusedWhereNoEpochEndIsKnown) {
  Harness h(4);
  h.StartAll();
  PrePrepareDraft draft;
  draft.block = h.FirstBlock({});
  proto::PrePrepare* pp = draft.message.mutable_pre_prepare();
  draft.message.set_chain_id(kChainId);
  pp->set_view(0);
  pp->set_sequence(1);
  pp->set_header(draft.block.header());
  const std::uint64_t before = h.replica(1).counters().invalid_proposals;
  h.Deliver(1, h.Sign(0, draft));
  EXPECT_EQ(h.replica(1).counters().invalid_proposals, before + 1);
  EXPECT_EQ(h.replica(1).counters().accepted, 0u);
}

TEST(EpochTest, AMessageOfAnotherEpochNeverCounts) {
  Harness h(4);
  h.StartAll();
  for (const std::uint64_t epoch : {std::uint64_t{1}, std::uint64_t{7}}) {
    proto::ConsensusMessage message;
    message.set_chain_id(kChainId);
    message.set_epoch(epoch);
    proto::Commit* commit = message.mutable_commit();
    commit->set_view(0);
    commit->set_sequence(1);
    commit->set_block_hash(std::string(32, 'x'));
    const std::uint64_t before = h.replica(1).counters().wrong_epoch;
    h.Deliver(1, h.Sign(2, message));
    EXPECT_EQ(h.replica(1).counters().wrong_epoch, before + 1);
  }
}

TEST(EpochTest, AnObserverSignsNothingAndFetchesWhatIsFinal) {
  Harness h(4);
  h.StartAll();
  ReplicaOptions options;
  options.chain_id = kChainId;
  options.self = "observer";
  options.validators = std::make_shared<const ValidatorSet>(h.validators());
  options.params = h.params();
  options.genesis = h.genesis();
  options.signer = std::make_shared<sim::FakeSigner>(sim::FakeSecret("observer", 1));
  options.verifier = std::make_shared<const sim::FakeVerifier>(h.verifier());
  ASSERT_FALSE(Replica::Create(options).ok()) << "outside the set only as an observer";
  options.observer = true;
  Result<std::unique_ptr<Replica>> observer = Replica::Create(options);
  ASSERT_TRUE(observer.ok()) << observer.status();
  Result<Actions> recovered = (*observer)->Recover(h.now(), RecoveryState{});
  ASSERT_TRUE(recovered.ok());
  EXPECT_TRUE((*observer)->status().observer);

  // Everything the validators send reaches the observer too.
  std::vector<Action> emitted;
  for (int i = 0; i < 4; ++i) h.Submit(Tx(i));
  h.Run(1'000, 10, [&](const InFlight& m) {
    if (m.to == h.id(1)) {  // one copy of each broadcast (node 1 is not the primary)
      for (Action& a : (*observer)->OnMessage(h.now(), m.envelope)) emitted.push_back(a);
    }
    return true;
  });
  ASSERT_GE(h.Committed(0), 1u);
  bool asked_to_sync = false;
  for (const Action& a : emitted) {
    EXPECT_FALSE(std::holds_alternative<BroadcastAction>(a)) << "an observer sent a message";
    EXPECT_FALSE(std::holds_alternative<SendAction>(a)) << "an observer sent a message";
    EXPECT_FALSE(std::holds_alternative<PersistAction>(a)) << "an observer wrote its WAL";
    asked_to_sync |= std::holds_alternative<RequestSyncAction>(a);
  }
  EXPECT_TRUE(asked_to_sync) << "a COMMIT quorum should make the observer fetch the block";
  // The fetched block commits at the observer, checked against the validators' certificate.
  proto::CertifiedBlock block;
  *block.mutable_block() = h.node(0).commits[0].block;
  *block.mutable_certificate() = h.node(0).commits[0].certificate;
  Result<Actions> synced = (*observer)->OnSyncedBlock(h.now(), block);
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_EQ((*observer)->status().committed_height, 1u);
}

}  // namespace
}  // namespace colend::consensus::testing
