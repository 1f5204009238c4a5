// View changes: the primary fails, a prepared block survives into the new view, NEW-VIEW is
// checked before a replica enters the view, back-off, joining, and not running ahead alone.
#include <gtest/gtest.h>

#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus::testing {
namespace {

std::vector<proto::ConsensusEnvelope> Take(Harness& h, const std::string& kind) {
  std::vector<proto::ConsensusEnvelope> out;
  for (const InFlight& m : h.network()) {
    if (KindOf(m.envelope) != kind) continue;
    bool seen = false;
    for (const auto& e : out)
      seen |= e.sender() == m.envelope.sender() && e.body() == m.envelope.body();
    if (!seen) out.push_back(m.envelope);
  }
  return out;
}

proto::ConsensusMessage NewViewMessage(std::uint64_t view,
                                       const std::vector<proto::ConsensusEnvelope>& vcs,
                                       const std::vector<proto::ConsensusEnvelope>& pps) {
  proto::ConsensusMessage message;
  message.set_chain_id(kChainId);
  message.mutable_new_view()->set_view(view);
  for (const auto& vc : vcs) *message.mutable_new_view()->add_view_changes() = vc;
  // Re-proposals are quoted by header, without their transactions.
  for (const auto& pp : pps) *message.mutable_new_view()->add_pre_prepares() = WithoutTransactions(pp);
  return message;
}

// Every replica is prepared for block A at height 1 (and has sent COMMIT), no COMMIT
// arrives anywhere, and the primary of view 0 crashes.
class PreparedThenPrimaryCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.StartAll();
    h_.Submit("tx-a");
    h_.AdvanceTime(h_.params().batch_timeout_ms);
    const std::vector<proto::ConsensusEnvelope> pps = Take(h_, "pre_prepare");
    ASSERT_EQ(pps.size(), 1u);
    proto::ConsensusMessage message;
    message.ParseFromString(pps[0].body());
    block_a_.set_header(message.pre_prepare().header());
    *block_a_.mutable_transactions() = pps[0].transactions();
    h_.DeliverWhere([](const InFlight& m) {
      return KindOf(m.envelope) == "pre_prepare" || KindOf(m.envelope) == "prepare";
    });
    ASSERT_EQ(Take(h_, "commit").size(), 4u);
    h_.DropWhere([](const InFlight&) { return true; });
    h_.Crash(0);
  }

  Harness h_{4};
  proto::Block block_a_;
};

TEST_F(PreparedThenPrimaryCrashTest, ThePreparedBlockIsCommittedUnchangedInTheNextView) {
  h_.Run(5'000, 50);
  for (std::size_t i = 1; i < h_.size(); ++i) {
    ASSERT_EQ(h_.Committed(i), 1u) << h_.id(i);
    EXPECT_EQ(h_.node(i).commits[0].block.header(), block_a_.header());  // same header bytes
    EXPECT_EQ(h_.node(i).commits[0].certificate.view(), 1u);
    EXPECT_EQ(h_.replica(i).status().view, 1u);
    EXPECT_TRUE(h_.replica(i).status().view_active);
    EXPECT_GE(h_.replica(i).counters().view_changes, 1u);
  }
  EXPECT_EQ(h_.replica(1).counters().new_views_sent, 1u);
  // The chain goes on in the new view with node-1 as primary.
  h_.Submit("tx-b");
  h_.Run(500);
  EXPECT_EQ(h_.Committed(2), 2u);
  proto::BlockHeader header;
  header.ParseFromString(h_.node(2).commits[1].block.header());
  EXPECT_EQ(header.proposer(), "node-1");
  EXPECT_EQ(header.view(), 1u);
  // Messages of the old view are now ignored.
  const std::uint64_t stale = h_.replica(2).counters().stale;
  h_.Deliver(2, h_.Sign(3, PrepareMessage(0, 2, std::string(32, 'x'))));
  EXPECT_EQ(h_.replica(2).counters().stale, stale + 1);
}

TEST_F(PreparedThenPrimaryCrashTest, NewViewIsCheckedBeforeTheViewIsEntered) {
  h_.AdvanceTime(h_.params().view_change_timeout_ms);  // everyone asks for view 1
  const std::vector<proto::ConsensusEnvelope> vcs = Take(h_, "view_change");
  ASSERT_EQ(vcs.size(), 3u);
  h_.DropWhere([](const InFlight&) { return true; });
  ASSERT_FALSE(h_.replica(2).status().view_active);

  const proto::ConsensusEnvelope pp_a = h_.Sign(1, PrePrepareMessage(1, 1, block_a_));
  const proto::Block block_b = h_.FirstBlock({"tx-b"});
  const proto::ConsensusEnvelope pp_b = h_.Sign(1, PrePrepareMessage(1, 1, block_b));
  proto::ConsensusEnvelope forged_vc = vcs[2];
  forged_vc.mutable_signature()->at(0) ^= 1;
  proto::ConsensusMessage vc_view_2;
  vc_view_2.set_chain_id(kChainId);
  vc_view_2.mutable_view_change()->set_new_view(2);
  vc_view_2.mutable_view_change()->mutable_stable_checkpoint()->set_sequence(0);

  const std::vector<std::pair<std::string, proto::ConsensusEnvelope>> bad = {
      {"leaves the prepared block out", h_.Sign(1, NewViewMessage(1, vcs, {}))},
      {"re-proposes another block", h_.Sign(1, NewViewMessage(1, vcs, {pp_b}))},
      {"re-proposes too much",
       h_.Sign(1, NewViewMessage(1, vcs, {pp_a, h_.Sign(1, PrePrepareMessage(1, 2, block_b))}))},
      {"two VIEW-CHANGEs", h_.Sign(1, NewViewMessage(1, {vcs[0], vcs[1]}, {pp_a}))},
      {"one VIEW-CHANGE twice", h_.Sign(1, NewViewMessage(1, {vcs[0], vcs[1], vcs[1]}, {pp_a}))},
      {"a forged VIEW-CHANGE", h_.Sign(1, NewViewMessage(1, {vcs[0], vcs[1], forged_vc}, {pp_a}))},
      {"a VIEW-CHANGE for view 2",
       h_.Sign(1, NewViewMessage(1, {vcs[0], vcs[1], h_.Sign(3, vc_view_2)}, {pp_a}))},
      {"a PRE-PREPARE of another view",
       h_.Sign(1, NewViewMessage(1, vcs, {h_.Sign(1, PrePrepareMessage(2, 1, block_a_))}))},
  };
  std::uint64_t rejected = h_.replica(2).counters().invalid_evidence;
  for (const auto& [why, envelope] : bad) {
    h_.Deliver(2, envelope);
    EXPECT_EQ(h_.replica(2).counters().invalid_evidence, ++rejected) << why;
    EXPECT_FALSE(h_.replica(2).status().view_active) << why;
  }
  // A re-proposal must come by header: with its transactions beside it, the NEW-VIEW is
  // refused (evidence stays small).
  proto::ConsensusMessage with_body = NewViewMessage(1, vcs, {});
  *with_body.mutable_new_view()->add_pre_prepares() = pp_a;
  ASSERT_FALSE(pp_a.transactions().empty());
  h_.Deliver(2, h_.Sign(1, with_body));
  EXPECT_EQ(h_.replica(2).counters().invalid_evidence, ++rejected);
  EXPECT_FALSE(h_.replica(2).status().view_active);
  // Nor may a VIEW-CHANGE quote a PRE-PREPARE with its transactions.
  proto::ConsensusMessage padded_vc;
  ASSERT_TRUE(padded_vc.ParseFromString(vcs[0].body()));
  ASSERT_GT(padded_vc.view_change().prepared_size(), 0);
  *padded_vc.mutable_view_change()->mutable_prepared(0)->mutable_pre_prepare()
       ->mutable_transactions() = pp_a.transactions();
  const std::size_t signer = static_cast<std::size_t>(vcs[0].sender().back() - '0');
  h_.Deliver(2, h_.Sign(1, NewViewMessage(1, {h_.Sign(signer, padded_vc), vcs[1], vcs[2]},
                                          {pp_a})));
  EXPECT_EQ(h_.replica(2).counters().invalid_evidence, ++rejected);
  EXPECT_FALSE(h_.replica(2).status().view_active);
  // From a validator that is not view 1's primary.
  h_.Deliver(2,
             h_.Sign(3, NewViewMessage(1, vcs, {h_.Sign(3, PrePrepareMessage(1, 1, block_a_))})));
  EXPECT_EQ(h_.replica(2).counters().not_from_primary, 1u);
  EXPECT_FALSE(h_.replica(2).status().view_active);

  h_.Deliver(2, h_.Sign(1, NewViewMessage(1, vcs, {pp_a})));
  EXPECT_TRUE(h_.replica(2).status().view_active);
  EXPECT_EQ(h_.replica(2).status().view, 1u);
  bool prepared_a = false;
  for (const InFlight& m : h_.network()) {
    proto::ConsensusMessage message;
    message.ParseFromString(m.envelope.body());
    prepared_a |= m.from == "node-2" && message.has_prepare() && message.prepare().view() == 1 &&
                  message.prepare().block_hash() == HashOf(block_a_);
  }
  EXPECT_TRUE(prepared_a);
}

TEST_F(PreparedThenPrimaryCrashTest, AReplicaThatMissedNewViewGetsItForwarded) {
  int dropped = 0;
  h_.Run(5'000, 50, [&](const InFlight& m) {
    if (m.to == "node-3" && KindOf(m.envelope) == "new_view" && dropped == 0) {
      ++dropped;
      return false;
    }
    return true;
  });
  EXPECT_EQ(dropped, 1);
  EXPECT_TRUE(h_.replica(3).status().view_active);
  EXPECT_EQ(h_.replica(3).status().view, 1u);
  EXPECT_EQ(h_.Committed(3), 1u);
}

std::vector<std::uint64_t> ViewChangeTimeouts(const Node& node) {
  std::vector<std::uint64_t> out;
  for (const Action& action : node.all_actions) {
    if (const auto* set = std::get_if<SetTimerAction>(&action);
        set != nullptr && set->timer == TimerId::kViewChange) {
      if (out.empty() || out.back() != set->delay_ms) out.push_back(set->delay_ms);
    }
  }
  return out;
}

TEST(ViewChangeTest, TimeoutsDoubleWhileViewChangesFailAndResetOnProgress) {
  Harness h(7);  // f = 2: the primaries of views 0 and 1 are both down
  h.StartAll();
  h.Crash(0);
  h.Crash(1);
  h.Submit("tx-a");
  h.Run(20'000, 50);
  for (std::size_t i = 2; i < h.size(); ++i) {
    ASSERT_EQ(h.Committed(i), 1u) << h.id(i);
    EXPECT_EQ(h.replica(i).status().view, 2u);
  }
  // 1 s waiting for view 0's primary, 2 s for view 1's (it never came), 4 s for view 2's,
  // then back to 1 s after the commit.
  const std::vector<std::uint64_t> timeouts = ViewChangeTimeouts(h.node(3));
  ASSERT_GE(timeouts.size(), 3u);
  EXPECT_EQ(timeouts[0], 1'000u);
  EXPECT_EQ(timeouts[1], 2'000u);
  EXPECT_EQ(timeouts[2], 4'000u);
  h.Submit("tx-b");
  h.Run(200);
  EXPECT_EQ(ViewChangeTimeouts(h.node(3)).back(), 1'000u);
}

TEST(ViewChangeTest, FPlusOneViewChangesMakeAReplicaJoin) {
  Harness h(4);
  h.StartAll();
  h.SubmitTo(2, "censored");  // the primary never sees it
  h.SubmitTo(3, "censored");
  h.AdvanceTime(h.params().view_change_timeout_ms);
  ASSERT_EQ(h.replica(2).status().view, 1u);
  ASSERT_EQ(h.replica(1).status().view, 0u);  // nothing pending at node-1: no timer
  h.DeliverWhere(
      [](const InFlight& m) { return m.to == "node-1" && KindOf(m.envelope) == "view_change"; });
  // node-1 joined (f + 1 = 2 asked), and as view 1's primary it then had a quorum.
  EXPECT_EQ(h.replica(1).status().view, 1u);
  EXPECT_EQ(h.replica(1).counters().view_changes, 1u);
  EXPECT_EQ(h.replica(1).counters().new_views_sent, 1u);
}

TEST(ViewChangeTest, AReplicaCutOffAloneDoesNotRunAhead) {
  Harness h(4);
  h.StartAll();
  h.SubmitTo(3, "only-node-3-has-it");
  h.Run(20'000, 50, [](const InFlight& m) { return m.from != "node-3" && m.to != "node-3"; });
  // It asked for view 1 and keeps asking for it, but does not escalate without a quorum.
  EXPECT_EQ(h.replica(3).status().view, 1u);
  EXPECT_FALSE(h.replica(3).status().view_active);
  std::size_t view_changes = 0;
  for (const Action& action : h.node(3).all_actions) {
    if (const auto* b = std::get_if<BroadcastAction>(&action)) {
      view_changes += KindOf(b->envelope) == "view_change";
    }
  }
  EXPECT_GE(view_changes, 3u);
  EXPECT_EQ(h.replica(3).counters().view_changes, 1u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(h.replica(i).status().view, 0u);
}

TEST(ViewChangeTest, TheNextPrimaryCannotPushAnIdleChainIntoItsView) {
  Harness h(4);
  h.StartAll();
  // node-1, primary of view 1, sends a PRE-PREPARE for view 1 out of turn: it is parked,
  // but nothing is pending in view 0, so no timer runs and nobody leaves view 0.
  h.Deliver(2, h.Sign(1, PrePrepareMessage(1, 1, h.FirstBlock({"x"}, 1))));
  EXPECT_EQ(h.replica(2).counters().deferred, 1u);
  EXPECT_EQ(h.node(2).timers.count(TimerId::kViewChange), 0u);
  h.Run(10'000, 100);
  EXPECT_EQ(h.replica(2).status().view, 0u);
  EXPECT_TRUE(h.replica(2).status().view_active);
}

// Many blocks committed since the last checkpoint, then the primary crashes: every
// VIEW-CHANGE is anchored on its sender's last committed block (by its commit certificate)
// and quotes nothing at or below it, so its size does not grow with the blocks since the
// checkpoint; the next view builds on that anchor.
TEST(ViewChangeTest, ViewChangesQuoteNothingAlreadyCommitted) {
  Harness h(4);
  h.StartAll();
  for (int i = 0; i < 6; ++i) {
    h.Submit("tx-" + std::to_string(i));
    h.Run(200);
  }
  ASSERT_EQ(h.Committed(1), 6u);
  ASSERT_LT(h.replica(1).status().low_watermark, 6u);  // no stable checkpoint covers them
  h.Crash(0);
  h.Submit("after");
  std::vector<proto::ConsensusEnvelope> vcs;
  h.Run(5'000, 50, [&](const InFlight& m) {
    if (KindOf(m.envelope) == "view_change") vcs.push_back(m.envelope);
    return true;
  });
  ASSERT_FALSE(vcs.empty());
  for (const proto::ConsensusEnvelope& e : vcs) {
    proto::ConsensusMessage m;
    ASSERT_TRUE(m.ParseFromString(e.body()));
    const proto::ViewChange& vc = m.view_change();
    ASSERT_TRUE(vc.has_committed()) << e.sender();
    EXPECT_EQ(vc.committed().height(), 6u);
    for (const proto::PreparedCertificate& p : vc.prepared()) {
      proto::ConsensusMessage pp;
      ASSERT_TRUE(pp.ParseFromString(p.pre_prepare().body()));
      EXPECT_GT(pp.pre_prepare().sequence(), 6u);
    }
  }
  for (std::size_t i = 1; i < h.size(); ++i) {
    EXPECT_EQ(h.replica(i).status().view, 1u);
    EXPECT_EQ(h.Committed(i), 7u) << h.id(i);
  }
}

// Evidence quotes blocks by header: with blocks of tens of kilobytes in flight, every
// VIEW-CHANGE and the NEW-VIEW stay a few kilobytes, and the prepared block still commits
// unchanged in the next view.
TEST(ViewChangeTest, ViewChangesQuoteBlocksByHeaderWhateverTheirSize) {
  Harness h(4);
  h.StartAll();
  std::vector<std::string> txs;
  for (int i = 0; i < 3; ++i) txs.push_back(std::string(20'000, static_cast<char>('a' + i)));
  for (const std::string& tx : txs) h.Submit(tx);
  h.AdvanceTime(h.params().batch_timeout_ms);
  h.DeliverWhere([](const InFlight& m) {
    return KindOf(m.envelope) == "pre_prepare" || KindOf(m.envelope) == "prepare";
  });
  h.DropWhere([](const InFlight&) { return true; });  // every COMMIT lost
  h.Crash(0);
  std::vector<proto::ConsensusEnvelope> evidence;
  h.Run(5'000, 50, [&](const InFlight& m) {
    const std::string kind = KindOf(m.envelope);
    if (kind == "view_change" || kind == "new_view") evidence.push_back(m.envelope);
    return true;
  });
  ASSERT_FALSE(evidence.empty());
  for (const proto::ConsensusEnvelope& e : evidence) {
    EXPECT_TRUE(e.transactions().empty());
    EXPECT_LT(e.ByteSizeLong(), 8u << 10) << KindOf(e) << " from " << e.sender();
  }
  for (std::size_t i = 1; i < h.size(); ++i) {
    ASSERT_EQ(h.Committed(i), 1u) << h.id(i);
    EXPECT_EQ(h.node(i).commits[0].block.transactions_size(), 3) << h.id(i);
    EXPECT_EQ(h.node(i).commits[0].certificate.view(), 1u);
  }
}

// A replica that never received a block's PRE-PREPARE gets it re-proposed by header in the
// next view: it votes on the hash like everyone, and once the block is final it fetches it
// by sync (checked by its commit certificate) before handing it on; fresh proposals above
// it wait for that, then the chain goes on.
TEST(ViewChangeTest, AReplicaWithoutAReproposedBlockVotesByHashAndFetchesItOnceFinal) {
  Harness h(4);
  h.StartAll();
  h.Submit("tx-a");
  h.AdvanceTime(h.params().batch_timeout_ms);
  h.DeliverWhere([](const InFlight& m) {
    return (KindOf(m.envelope) == "pre_prepare" && m.to != "node-3") ||
           KindOf(m.envelope) == "prepare";
  });
  h.DropWhere([](const InFlight&) { return true; });
  h.Crash(0);
  ASSERT_EQ(h.Committed(3), 0u);
  for (int step = 0; step < 200 && (h.Committed(1) == 0 || h.Committed(2) == 0); ++step) {
    h.Run(50, 10);
  }
  for (std::size_t i = 1; i < 3; ++i) ASSERT_EQ(h.Committed(i), 1u) << h.id(i);
  // node-3 voted for the block by hash (its COMMIT helped make the quorum) but has not got
  // it: it asked for it by sync.
  EXPECT_EQ(h.replica(3).status().view, 1u);
  EXPECT_EQ(h.Committed(3), 0u);
  bool voted = false;
  for (const Action& action : h.node(3).all_actions) {
    if (const auto* b = std::get_if<BroadcastAction>(&action)) {
      voted |= KindOf(b->envelope) == "commit";
    }
  }
  EXPECT_TRUE(voted);
  ASSERT_FALSE(h.node(3).sync_requests.empty());
  EXPECT_EQ(h.node(3).sync_requests.back().target_height, 1u);
  EXPECT_EQ(h.ServeSync(3, 1), 1u);
  ASSERT_EQ(h.Committed(3), 1u);
  EXPECT_EQ(h.node(3).commits[0].block.header(), h.node(1).commits[0].block.header());
  h.Submit("tx-b");
  h.Run(500);
  for (std::size_t i = 1; i < h.size(); ++i) EXPECT_EQ(h.Committed(i), 2u) << h.id(i);
}

// A replica that missed a view change (a crash and restart, a pause, a lost NEW-VIEW) sees
// f + 1 validators working in a higher view: it asks for that view and their NEW-VIEW lets
// it in, instead of staying in its old view as a primary nobody follows.
TEST(ViewChangeTest, AReplicaLeftBehindFollowsFPlusOnePeersIntoTheirView) {
  Harness h(4);
  h.StartAll();
  h.Crash(0);
  h.Submit("a");
  h.Run(5'000, 50);
  ASSERT_EQ(h.replica(1).status().view, 1u);
  ASSERT_EQ(h.Committed(1), 1u);
  h.Restart(0);  // its log knows view 0 only
  ASSERT_EQ(h.replica(0).status().view, 0u);
  h.Submit("b");
  h.Run(500, 10);  // less than a view-change timeout
  EXPECT_EQ(h.replica(0).status().view, 1u);
  EXPECT_TRUE(h.replica(0).status().view_active);
  EXPECT_EQ(h.Committed(1), 2u);
  h.ServeSync(0, 1);  // what it missed while down (the node's sync does this)
  EXPECT_EQ(h.replica(0).status().committed_height, 2u);
}

}  // namespace
}  // namespace colend::consensus::testing
