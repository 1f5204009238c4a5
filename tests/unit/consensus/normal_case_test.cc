// The normal case: PRE-PREPARE / PREPARE / COMMIT, quorum edges, batching, pipelining,
// commits in height order, watermarks, and every kind of bad input being refused and counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <variant>

#include "colend/consensus/certificates.h"
#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus::testing {
namespace {

std::string Tx(int i) {
  return "tx-" + std::to_string(i);
}

Harness::Filter To(const std::string& to) {
  return [to](const InFlight& m) { return m.to == to; };
}
Harness::Filter Kind(const std::string& kind) {
  return [kind](const InFlight& m) { return KindOf(m.envelope) == kind; };
}
Harness::Filter And(Harness::Filter a, Harness::Filter b) {
  return [a, b](const InFlight& m) { return a(m) && b(m); };
}
Harness::Filter From(const std::string& from) {
  return [from](const InFlight& m) { return m.from == from; };
}

// How many messages of `kind` node `from` has queued.
std::size_t Queued(Harness& h, const std::string& from, const std::string& kind) {
  std::size_t count = 0;
  for (const InFlight& m : h.network()) count += m.from == from && KindOf(m.envelope) == kind;
  return count;
}

class ClusterSizeTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ClusterSizeTest, ReplicasCommitTheSameBlocksWithValidCertificates) {
  Harness h(GetParam());
  h.StartAll();
  for (int i = 0; i < 10; ++i) h.Submit(Tx(i));
  h.Run(300);
  const std::uint64_t height = h.Committed(0);
  ASSERT_GE(height, 3u);
  std::size_t txs = 0;
  for (const CommitAction& c : h.node(0).commits) txs += c.block.transactions_size();
  EXPECT_EQ(txs, 10u);
  for (std::size_t i = 0; i < h.size(); ++i) {
    ASSERT_EQ(h.Committed(i), height) << h.id(i);
    for (std::uint64_t k = 0; k < height; ++k) {
      const CommitAction& c = h.node(i).commits[k];
      EXPECT_EQ(c.block.header(), h.node(0).commits[k].block.header());
      EXPECT_EQ(c.height, k + 1);
      EXPECT_TRUE(VerifyCommitCertificate(c.certificate, c.block, h.validators(), kChainId,
                                          crypto::HashAlgorithm::kSha256, h.verifier())
                      .ok());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(N, ClusterSizeTest, ::testing::Values(4, 7, 10));
// Development chains with f = 0 (no fault tolerance, but the same code path).
INSTANTIATE_TEST_SUITE_P(Small, ClusterSizeTest, ::testing::Values(1, 2, 3));

class NormalCaseTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.StartAll(); }

  // The primary proposes one block (1 transaction, after the batch timeout).
  void ProposeOne() {
    h_.Submit(Tx(1));
    h_.AdvanceTime(h_.params().batch_timeout_ms);
    ASSERT_EQ(Queued(h_, "node-0", "pre_prepare"), 3u);
  }

  Harness h_{4};
};

TEST_F(NormalCaseTest, PreparedNeedsAPrePrepareAndQuorumMinusOnePrepares) {
  ProposeOne();
  // node-1 accepts the PRE-PREPARE: its own PREPARE is 1 of the 2 it needs.
  h_.DeliverWhere(And(To("node-1"), Kind("pre_prepare")));
  EXPECT_EQ(Queued(h_, "node-1", "prepare"), 3u);
  EXPECT_EQ(Queued(h_, "node-1", "commit"), 0u);
  // node-2's PREPARE arrives twice: counted once.
  h_.DeliverWhere(And(To("node-2"), Kind("pre_prepare")));
  const InFlight prepare =
      *std::find_if(h_.network().begin(), h_.network().end(), And(From("node-2"), To("node-1")));
  h_.Deliver(1, prepare.envelope);
  EXPECT_EQ(Queued(h_, "node-1", "commit"), 3u);  // prepared: PRE-PREPARE + 2 PREPAREs
  h_.Deliver(1, prepare.envelope);
  EXPECT_EQ(h_.replica(1).counters().duplicates, 1u);
  // A PREPARE from the primary is not a vote (its PRE-PREPARE is).
  h_.Deliver(1, h_.Sign(0, PrepareMessage(0, 1, HashOf(h_.FirstBlock({Tx(1)})))));
  EXPECT_EQ(h_.replica(1).counters().not_from_primary, 1u);
}

TEST_F(NormalCaseTest, CommittedNeedsAQuorumOfCommits) {
  ProposeOne();
  h_.DeliverWhere(Kind("pre_prepare"));
  h_.DeliverWhere(Kind("prepare"));
  // Everyone is prepared and has sent COMMIT. node-3 hears only node-2's: 2 of 3.
  h_.DeliverWhere(And(To("node-3"), From("node-2")));
  EXPECT_EQ(h_.Committed(3), 0u);
  h_.DeliverWhere(And(To("node-3"), From("node-2")));  // nothing new
  EXPECT_EQ(h_.Committed(3), 0u);
  h_.DeliverWhere(And(To("node-3"), From("node-0")));
  EXPECT_EQ(h_.Committed(3), 1u);
  EXPECT_EQ(h_.node(3).commits[0].certificate.commits_size(), 3);
}

TEST_F(NormalCaseTest, IdleChainMakesNoBlocksAndRunsNoViewChangeTimer) {
  h_.Run(10'000, 100);
  for (std::size_t i = 0; i < h_.size(); ++i) {
    EXPECT_EQ(h_.Committed(i), 0u);
    EXPECT_TRUE(h_.node(i).proposal_requests.empty());
    EXPECT_EQ(h_.node(i).timers.count(TimerId::kViewChange), 0u) << h_.id(i);
  }
  h_.Submit(Tx(1));
  EXPECT_EQ(h_.node(2).timers.count(TimerId::kViewChange), 1u);  // something is pending
  h_.Run(200);
  EXPECT_EQ(h_.Committed(2), 1u);
  EXPECT_EQ(h_.node(2).timers.count(TimerId::kViewChange), 0u);  // nothing pending again
}

TEST_F(NormalCaseTest, PrimaryWaitsForTheBatchTimeoutUnlessTheBatchIsFull) {
  h_.Submit(Tx(1));
  EXPECT_TRUE(h_.node(0).proposal_requests.empty());
  EXPECT_EQ(h_.node(0).timers.count(TimerId::kBatch), 1u);
  h_.AdvanceTime(h_.params().batch_timeout_ms - 1);
  EXPECT_TRUE(h_.node(0).proposal_requests.empty());
  h_.AdvanceTime(1);
  ASSERT_EQ(h_.node(0).proposal_requests.size(), 1u);
  EXPECT_EQ(h_.node(0).proposal_requests[0].height, 1u);
  // A full batch (max_block_txs = 4) goes at once, without the timer... once height 1 is
  // executed (L = 1), since its roots go into height 2's header.
  for (int i = 2; i <= 5; ++i) h_.Submit(Tx(i));
  EXPECT_EQ(h_.node(0).proposal_requests.size(), 1u);
  const std::uint64_t before = h_.now();
  h_.DeliverAll();  // no time passes
  EXPECT_EQ(h_.now(), before);
  ASSERT_EQ(h_.node(0).proposal_requests.size(), 2u);
  EXPECT_EQ(h_.node(0).proposal_requests[1].height, 2u);
  EXPECT_EQ(h_.Committed(0), 2u);
  EXPECT_EQ(h_.node(0).commits[1].block.transactions_size(), 4);
}

TEST(PipelineTest, PrimaryProposesUpToTheExecutionLagAhead) {
  for (const std::uint64_t lag : {1u, 3u}) {
    ConsensusParams params = TestParams();
    params.execution_lag = lag;
    Harness h(4, params);
    h.StartAll();
    for (int i = 0; i < 16; ++i) h.Submit(Tx(i));  // four full batches
    // Nothing delivered yet: heights 1..L carry the genesis roots and can all go out.
    EXPECT_EQ(h.node(0).proposal_requests.size(), lag) << "L = " << lag;
    h.Run(200);
    EXPECT_EQ(h.Committed(0), 4u);
  }
}

TEST(PipelineTest, CommitsAreHandedOutInHeightOrderEvenWhenVotesArriveOutOfOrder) {
  ConsensusParams params = TestParams();
  params.execution_lag = 2;
  Harness h(4, params);
  h.StartAll();
  for (int i = 0; i < 8; ++i) h.Submit(Tx(i));
  ASSERT_EQ(h.node(0).proposal_requests.size(), 2u);
  // Hold back everything about height 1; height 2 completes first.
  const auto about = [](std::uint64_t sequence) {
    return [sequence](const InFlight& m) {
      proto::ConsensusMessage message;
      message.ParseFromString(m.envelope.body());
      return (message.has_pre_prepare() && message.pre_prepare().sequence() == sequence) ||
             (message.has_prepare() && message.prepare().sequence() == sequence) ||
             (message.has_commit() && message.commit().sequence() == sequence);
    };
  };
  // Everyone prepares both heights, but the COMMITs of height 1 are held back.
  h.DeliverWhere([&](const InFlight& m) { return KindOf(m.envelope) != "commit"; });
  h.DeliverWhere([&](const InFlight& m) { return about(2)(m); });
  for (std::size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h.Committed(i), 0u);
  h.DeliverWhere(about(1));
  for (std::size_t i = 0; i < h.size(); ++i) {
    ASSERT_EQ(h.Committed(i), 2u);
    EXPECT_EQ(h.node(i).commits[0].height, 1u);
    EXPECT_EQ(h.node(i).commits[1].height, 2u);
  }
}

TEST(WatermarkTest, ThePrimaryStopsAtTheHighWatermarkUntilACheckpointIsStable) {
  Harness h(4);  // K = 4, W = 8
  h.StartAll();
  for (int i = 0; i < 48; ++i) h.Submit(Tx(i));
  // Every CHECKPOINT is lost: the low watermark stays at 0 and the window at (0, 8].
  const auto no_checkpoints = [](const InFlight& m) { return KindOf(m.envelope) != "checkpoint"; };
  h.Run(500, 10, no_checkpoints);
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h.Committed(i), 8u) << h.id(i);
    EXPECT_EQ(h.replica(i).status().low_watermark, 0u);
    EXPECT_EQ(h.replica(i).status().high_watermark, 8u);
  }
  const std::size_t requests = h.node(0).proposal_requests.size();
  h.Run(500, 10, no_checkpoints);  // still nothing beyond the window
  EXPECT_EQ(h.node(0).proposal_requests.size(), requests);
  EXPECT_EQ(h.Committed(0), 8u);
  // Once messages flow again, the view-change timer (work is pending) makes the replicas
  // send their checkpoints again; the checkpoint at 8 becomes stable and the rest follows.
  h.Run(10'000, 50);
  for (std::size_t i = 0; i < h.size(); ++i) {
    std::size_t txs = 0;
    for (const CommitAction& c : h.node(i).commits) txs += c.block.transactions_size();
    EXPECT_EQ(txs, 48u) << h.id(i);
    EXPECT_GE(h.replica(i).status().low_watermark, 8u);
  }
}

TEST_F(NormalCaseTest, MessagesOutsideTheWindowOrViewAreRefused) {
  const std::string hash(32, 'h');
  h_.Deliver(1, h_.Sign(2, PrepareMessage(0, h_.params().window + 1, hash)));
  EXPECT_EQ(h_.replica(1).counters().out_of_window, 1u);
  h_.Deliver(1, h_.Sign(2, PrepareMessage(0, 0, hash)));
  EXPECT_EQ(h_.replica(1).counters().stale, 1u);
  // A view far ahead, from the same validator as the PRE-PREPARE below: one validator
  // alone (it may be faulty) never pulls a replica into another view.
  h_.Deliver(1, h_.Sign(3, PrepareMessage(5, 1, hash)));
  EXPECT_EQ(h_.replica(1).counters().out_of_window, 2u);
  const proto::Block block = h_.FirstBlock({Tx(1)}, 3);
  h_.Deliver(1, h_.Sign(3, PrePrepareMessage(3, 1, block)));  // view 3 has not started
  EXPECT_EQ(h_.replica(1).counters().out_of_window, 3u);
  h_.Deliver(1, h_.Sign(2, PrePrepareMessage(0, 1, h_.FirstBlock({Tx(1)}))));  // not primary
  EXPECT_EQ(h_.replica(1).counters().not_from_primary, 1u);
  EXPECT_EQ(Queued(h_, "node-1", "prepare"), 0u);
}

TEST_F(NormalCaseTest, ForgedUnknownWrongChainAndMalformedMessagesAreRefused) {
  proto::ConsensusEnvelope forged = h_.Sign(2, PrepareMessage(0, 1, std::string(32, 'h')));
  forged.mutable_signature()->at(0) ^= 1;
  h_.Deliver(1, forged);
  proto::ConsensusEnvelope impersonated = h_.Sign(2, PrepareMessage(0, 1, std::string(32, 'h')));
  impersonated.set_sender("node-3");  // node-2's signature under node-3's name
  h_.Deliver(1, impersonated);
  EXPECT_EQ(h_.replica(1).counters().bad_signature, 2u);

  proto::ConsensusEnvelope stranger = forged;
  stranger.set_sender("mallory");
  h_.Deliver(1, stranger);
  EXPECT_EQ(h_.replica(1).counters().unknown_sender, 1u);

  h_.Deliver(1, h_.Sign(2, PrepareMessage(0, 1, std::string(32, 'h'), "another-chain")));
  EXPECT_EQ(h_.replica(1).counters().wrong_chain, 1u);

  proto::ConsensusMessage short_hash = PrepareMessage(0, 1, "short");
  h_.Deliver(1, h_.Sign(2, short_hash));
  proto::ConsensusEnvelope garbage = h_.Sign(2, short_hash);
  garbage.set_body("\xff\xff\xff");
  sim::FakeSigner key(sim::FakeSecret("node-2", 1));
  const Bytes signature = key.Sign(AsBytes(garbage.body())).value();
  garbage.set_signature(std::string(signature.begin(), signature.end()));
  h_.Deliver(1, garbage);
  proto::ConsensusMessage empty;
  empty.set_chain_id(kChainId);
  h_.Deliver(1, h_.Sign(2, empty));
  EXPECT_EQ(h_.replica(1).counters().malformed, 3u);
  EXPECT_TRUE(h_.network().empty());  // none of it caused anything
}

TEST_F(NormalCaseTest, InvalidProposalsGetNoVote) {
  const GenesisInfo& g = h_.genesis();
  const std::uint64_t now = h_.now();
  const auto block = [&](std::uint64_t height, const crypto::Digest& parent,
                         const std::string& proposer, const std::vector<std::string>& txs,
                         std::uint64_t ts, const crypto::Digest& state) {
    return MakeBlock(height, parent, 0, proposer, txs, ts, state, g.receipts_root);
  };
  const crypto::Digest other = g.state_root == crypto::Digest{} ? g.hash : crypto::Digest{};
  std::vector<std::pair<std::string, PrePrepareDraft>> cases = {
      {"wrong parent",
       PrePrepareMessage(0, 1, block(1, other, "node-0", {Tx(1)}, now, g.state_root))},
      {"wrong proposer",
       PrePrepareMessage(0, 1, block(1, g.hash, "node-1", {Tx(1)}, now, g.state_root))},
      {"empty", PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {}, now, g.state_root))},
      {"repeated tx",
       PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1), Tx(1)}, now, g.state_root))},
      {"too many", PrePrepareMessage(0, 1,
                                     block(1, g.hash, "node-0", {Tx(1), Tx(2), Tx(3), Tx(4), Tx(5)},
                                           now, g.state_root))},
      {"future",
       PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1)}, now + 60'000, g.state_root))},
      {"past",
       PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1)}, now - 60'000, g.state_root))},
      {"not after parent",
       PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1)}, g.timestamp_ms, g.state_root))},
      {"wrong roots", PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1)}, now, other))},
      {"height != sequence",
       PrePrepareMessage(0, 1, block(2, g.hash, "node-0", {Tx(1)}, now, g.state_root))},
      {"wrong chain in header",
       PrePrepareMessage(0, 1,
                         MakeBlock(1, g.hash, 0, "node-0", {Tx(1)}, now, g.state_root,
                                   g.receipts_root, "other"))},
  };
  PrePrepareDraft bad_root =
      PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1)}, now, g.state_root));
  bad_root.block.set_transactions(0, Tx(2));
  cases.emplace_back("tx_root mismatch", bad_root);
  // The transactions travel beside the signed header: without them, or with one too many,
  // the proposal is refused.
  PrePrepareDraft header_only =
      PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1)}, now, g.state_root));
  header_only.block.clear_transactions();
  cases.emplace_back("header without its transactions", header_only);
  PrePrepareDraft extra =
      PrePrepareMessage(0, 1, block(1, g.hash, "node-0", {Tx(1)}, now, g.state_root));
  extra.block.add_transactions(Tx(2));
  cases.emplace_back("a transaction beside the header's", extra);
  std::uint64_t expected = 0;
  for (const auto& [name, message] : cases) {
    // Each case goes to a fresh replica, so an earlier acceptance cannot mask a later one.
    Harness h(4);
    h.StartAll();
    h.Deliver(1, h.Sign(0, message));
    EXPECT_EQ(Queued(h, "node-1", "prepare"), 0u) << name;
    EXPECT_EQ(h.replica(1).counters().invalid_proposals, 1u) << name;
    ++expected;
  }
  // And the valid one is accepted.
  h_.Deliver(1, h_.Sign(0, PrePrepareMessage(
                               0, 1, block(1, g.hash, "node-0", {Tx(1)}, now, g.state_root))));
  EXPECT_EQ(Queued(h_, "node-1", "prepare"), 3u);
  EXPECT_EQ(expected, cases.size());
}

TEST(ProposalValidatorTest, ARefusedTransactionMeansNoVote) {
  Harness h(4);
  h.validate = [](const proto::Block& block) {
    for (const std::string& tx : block.transactions()) {
      if (tx == "bad") return Status::PermissionDenied("bad signature");
    }
    return Status::Ok();
  };
  h.StartAll();
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, h.FirstBlock({"good", "bad"}))));
  EXPECT_EQ(h.replica(1).counters().invalid_proposals, 1u);
  EXPECT_TRUE(h.network().empty());
}

// The node's check runs outside the replica (CheckProposalAction, answered later with
// OnProposalChecked): no vote before an Ok, none after a refusal, and a verdict for another
// block or view changes nothing.
TEST(ProposalValidatorTest, TheVoteWaitsForTheNodesCheck) {
  Harness h(4);
  h.StartAll();
  const proto::Block block = h.FirstBlock({"a", "b"});
  const crypto::Digest hash = *DigestFromBytes(HashOf(block));
  Actions actions = h.DeliverRaw(1, h.Sign(0, PrePrepareMessage(0, 1, block)));
  std::size_t checks = 0;
  for (const Action& a : actions) {
    if (const auto* check = std::get_if<CheckProposalAction>(&a)) {
      ++checks;
      EXPECT_EQ(check->view, 0u);
      EXPECT_EQ(check->sequence, 1u);
      EXPECT_EQ(check->block_hash, hash);
      EXPECT_EQ(check->block->transactions_size(), 2);
    }
    EXPECT_FALSE(std::holds_alternative<BroadcastAction>(a)) << "voted before the check";
  }
  ASSERT_EQ(checks, 1u);
  // The same PRE-PREPARE again while the check runs: no second check.
  actions = h.DeliverRaw(1, h.Sign(0, PrePrepareMessage(0, 1, block)));
  for (const Action& a : actions) EXPECT_FALSE(std::holds_alternative<CheckProposalAction>(a));
  // A verdict about another block or view is ignored.
  crypto::Digest other = hash;
  other[0] ^= 1;
  EXPECT_TRUE(h.replica(1).OnProposalChecked(h.now(), 0, 1, other, Status::Ok()).empty());
  EXPECT_TRUE(h.replica(1).OnProposalChecked(h.now(), 1, 1, hash, Status::Ok()).empty());
  EXPECT_EQ(h.replica(1).counters().accepted, 0u);
  // The real answer: accepted and voted for.
  actions = h.replica(1).OnProposalChecked(h.now(), 0, 1, hash, Status::Ok());
  EXPECT_EQ(h.replica(1).counters().accepted, 1u);
  EXPECT_TRUE(std::any_of(actions.begin(), actions.end(), [](const Action& a) {
    return std::holds_alternative<BroadcastAction>(a);
  }));
  // A second answer for the same block changes nothing.
  EXPECT_TRUE(h.replica(1).OnProposalChecked(h.now(), 0, 1, hash, Status::Ok()).empty());
}

TEST(ProposalValidatorTest, ARefusedCheckMeansNoVoteEver) {
  Harness h(4);
  h.StartAll();
  const proto::Block block = h.FirstBlock({"a"});
  const crypto::Digest hash = *DigestFromBytes(HashOf(block));
  h.DeliverRaw(1, h.Sign(0, PrePrepareMessage(0, 1, block)));
  const Actions refused = h.replica(1).OnProposalChecked(
      h.now(), 0, 1, hash, Status::PermissionDenied("bad signature"));
  EXPECT_EQ(h.replica(1).counters().invalid_proposals, 1u);
  for (const Action& a : refused) EXPECT_FALSE(std::holds_alternative<BroadcastAction>(a));
  // A late Ok for the refused block does not revive it.
  EXPECT_TRUE(h.replica(1).OnProposalChecked(h.now(), 0, 1, hash, Status::Ok()).empty());
  EXPECT_EQ(h.replica(1).counters().accepted, 0u);
}

TEST(ProposalValidatorTest, ATransactionOfAnUncommittedAncestorIsRefused) {
  ConsensusParams params = TestParams();
  params.execution_lag = 2;
  Harness h(4, params);
  h.StartAll();
  const GenesisInfo& g = h.genesis();
  const proto::Block first = h.FirstBlock({"a", "b"});
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, first)));
  ASSERT_EQ(h.replica(1).counters().accepted, 1u);
  const crypto::Digest parent = *DigestFromBytes(HashOf(first));
  const proto::Block again =
      MakeBlock(2, parent, 0, "node-0", {"c", "a"}, h.now() + 1, g.state_root, g.receipts_root);
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 2, again)));
  EXPECT_EQ(h.replica(1).counters().invalid_proposals, 1u);
  const proto::Block fine =
      MakeBlock(2, parent, 0, "node-0", {"c", "d"}, h.now() + 1, g.state_root, g.receipts_root);
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 2, fine)));
  EXPECT_EQ(h.replica(1).counters().equivocations, 0u);
  EXPECT_EQ(h.replica(1).counters().accepted, 2u);
}

TEST(ProposalValidatorTest, APrePrepareWaitsForItsParent) {
  ConsensusParams params = TestParams();
  params.execution_lag = 2;
  Harness h(4, params);
  h.StartAll();
  const GenesisInfo& g = h.genesis();
  const proto::Block first = h.FirstBlock({"a"});
  const proto::Block second = MakeBlock(2, *DigestFromBytes(HashOf(first)), 0, "node-0", {"b"},
                                        h.now() + 1, g.state_root, g.receipts_root);
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 2, second)));
  EXPECT_EQ(h.replica(1).counters().deferred, 1u);
  EXPECT_TRUE(h.network().empty());
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, first)));
  EXPECT_EQ(h.replica(1).counters().accepted, 2u);
  EXPECT_EQ(Queued(h, "node-1", "prepare"), 6u);
}

TEST(ProposalValidatorTest, AnEquivocatingPrimaryGetsOneVotePerSlot) {
  Harness h(4);
  h.StartAll();
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, h.FirstBlock({"a"}))));
  h.Deliver(1, h.Sign(0, PrePrepareMessage(0, 1, h.FirstBlock({"b"}))));
  EXPECT_EQ(h.replica(1).counters().equivocations, 1u);
  EXPECT_EQ(Queued(h, "node-1", "prepare"), 3u);
  // Votes: one per validator and slot; a second, different one is counted, not used.
  h.Deliver(1, h.Sign(2, PrepareMessage(0, 1, HashOf(h.FirstBlock({"a"})))));
  h.Deliver(1, h.Sign(2, PrepareMessage(0, 1, HashOf(h.FirstBlock({"b"})))));
  EXPECT_EQ(h.replica(1).counters().equivocations, 2u);
}

}  // namespace
}  // namespace colend::consensus::testing
