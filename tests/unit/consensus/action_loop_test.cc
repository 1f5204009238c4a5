// ActionLoop (action_loop.h): the ordering rules colend-node and the simulator share, on a
// one-validator chain whose replica commits by itself.
#include "colend/consensus/action_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>

#include <string>
#include <vector>

#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus {
namespace {

using testing::Harness;

class RecordingHost final : public ActionHost {
 public:
  explicit RecordingHost(const GenesisInfo& genesis) : genesis_(genesis) {}

  std::uint64_t NowMs() override { return now; }
  void Send(const std::string& to, proto::ConsensusEnvelope) override { log.push_back("send " + to); }
  void Broadcast(proto::ConsensusEnvelope) override { log.push_back("broadcast"); }
  Status Persist(const PersistAction&) override {
    log.push_back("persist");
    return fail_persist ? Status::IoError("disk full") : Status::Ok();
  }
  void CompactWal(const CompactWalAction&) override { log.push_back("compact"); }
  Status Commit(CommitAction& commit) override {
    log.push_back("commit " + std::to_string(commit.height));
    for (const std::string& tx : commit.block.transactions()) std::erase(pool, tx);
    const crypto::Digest hash = BlockHash(crypto::HashAlgorithm::kSha256, commit.block.header());
    ExecutedRoots roots;
    roots.height = commit.height;
    roots.state_root = hash;
    roots.receipts_root = hash;
    // Executed at once, as colend-node does; the loop holds it until no commit is queued.
    if (loop != nullptr) loop->OnExecuted(roots);
    return Status::Ok();
  }
  void ArmTimer(TimerId timer, std::uint64_t delay_ms, std::uint64_t token) override {
    log.push_back("timer " + std::string(TimerName(timer)));
    armed[timer] = token;
    delays[timer] = delay_ms;
  }
  void RequestSync(const RequestSyncAction&) override { log.push_back("sync"); }
  void CheckProposal(const CheckProposalAction& check) override {
    log.push_back("check " + std::to_string(check.sequence));
    checks.push_back(check);
  }
  std::vector<std::string> Batch(const RequestProposalAction& request) override {
    log.push_back("batch " + std::to_string(request.height));
    std::vector<std::string> out;
    for (const std::string& tx : pool) {
      if (out.size() < request.max_txs) out.push_back(tx);
    }
    return out;
  }
  PoolStatus Pool() override {
    std::uint64_t bytes = 0;
    for (const std::string& tx : pool) bytes += tx.size();
    return PoolStatus{pool.size(), bytes};
  }
  void Halted(const Status& why) override {
    ++halts;
    halted_with = why;
  }
  Result<Epoch> NextEpoch(std::uint64_t, std::uint64_t) override {
    return Status::FailedPrecondition("no validator-set changes in this test");
  }

  std::size_t Count(const std::string& prefix) const {
    std::size_t n = 0;
    for (const std::string& entry : log) n += entry.rfind(prefix, 0) == 0;
    return n;
  }

  std::uint64_t now = 1'000;
  std::vector<std::string> pool;
  std::vector<std::string> log;
  std::map<TimerId, std::uint64_t> armed;
  std::map<TimerId, std::uint64_t> delays;
  std::vector<CheckProposalAction> checks;
  bool fail_persist = false;
  int halts = 0;
  Status halted_with = Status::Ok();
  ActionLoop* loop = nullptr;

 private:
  GenesisInfo genesis_;
};

class ActionLoopTest : public ::testing::Test {
 protected:
  ActionLoopTest() : harness_(1), host_(harness_.genesis()) {
    loop_ = std::make_unique<ActionLoop>(harness_.NewReplica(0), host_);
    host_.loop = loop_.get();
    EXPECT_TRUE(loop_->Recover(RecoveryState{}).ok());
  }

  Harness harness_;
  RecordingHost host_;
  std::unique_ptr<ActionLoop> loop_;
};

TEST_F(ActionLoopTest, commits_what_the_pool_offers_with_every_persist_before_the_commit) {
  host_.pool = {"tx:1", "tx:2", "tx:3"};
  loop_->Start();
  host_.now += 50;  // past the batch timeout
  loop_->OnTimeout(TimerId::kBatch, host_.armed[TimerId::kBatch]);
  ASSERT_GE(host_.Count("commit 1"), 1u);
  EXPECT_TRUE(host_.pool.empty());
  // The proposal was answered once per height asked, and the block's votes were made
  // durable before its commit.
  const auto commit = std::find(host_.log.begin(), host_.log.end(), "commit 1");
  EXPECT_NE(std::find(host_.log.begin(), commit, "persist"), commit);
  EXPECT_EQ(host_.Count("batch 1"), 1u);
  EXPECT_EQ(loop_->replica().status().committed_height, 1u);
  EXPECT_TRUE(loop_->halted().ok());
}

TEST_F(ActionLoopTest, a_stale_timer_token_is_ignored) {
  host_.pool = {"tx:1"};
  loop_->Start();
  ASSERT_TRUE(host_.armed.count(TimerId::kBatch));
  const std::uint64_t token = host_.armed[TimerId::kBatch];
  host_.now += 50;
  const std::size_t before = host_.log.size();
  loop_->OnTimeout(TimerId::kBatch, token + 1);  // not the arming the loop knows
  loop_->OnTimeout(TimerId::kBatch, token - 1);
  EXPECT_EQ(host_.log.size(), before);
  loop_->OnTimeout(TimerId::kBatch, token);
  EXPECT_GT(host_.log.size(), before);
}

TEST_F(ActionLoopTest, a_failed_persist_halts_once_and_nothing_follows) {
  host_.fail_persist = true;
  host_.pool = {"tx:1", "tx:2"};
  loop_->Start();
  host_.now += 50;
  loop_->OnTimeout(TimerId::kBatch, host_.armed[TimerId::kBatch]);
  ASSERT_EQ(host_.halts, 1);
  EXPECT_NE(host_.halted_with.message().find("disk full"), std::string::npos);
  EXPECT_FALSE(loop_->halted().ok());
  // After the failed persist nothing was sent or committed.
  const auto persist = std::find(host_.log.begin(), host_.log.end(), "persist");
  ASSERT_NE(persist, host_.log.end());
  EXPECT_EQ(std::next(persist), host_.log.end());
  const std::size_t after = host_.log.size();
  loop_->OnPoolChanged();
  loop_->OnTimeout(TimerId::kBatch, host_.armed[TimerId::kBatch]);
  EXPECT_EQ(host_.log.size(), after);
  EXPECT_EQ(host_.halts, 1);
}

TEST_F(ActionLoopTest, stop_performs_nothing_more) {
  host_.pool = {"tx:1"};
  loop_->Start();
  loop_->Stop();
  const std::size_t before = host_.log.size();
  host_.now += 50;
  loop_->OnTimeout(TimerId::kBatch, host_.armed[TimerId::kBatch]);
  loop_->OnPoolChanged();
  EXPECT_EQ(host_.log.size(), before);
  EXPECT_EQ(host_.halts, 0);
}

// The node's timers run on a steady clock, the replica's deadlines on the wall clock it is
// given. When the wall clock steps back (an NTP step, a resumed VM), a timer goes off
// before its deadline: it is set again for the rest (at most one whole timeout) instead of
// being lost with the pacemaker still counting it armed.
TEST_F(ActionLoopTest, a_timer_that_goes_off_before_its_deadline_is_set_again) {
  host_.now = 10'000'000;
  host_.pool = {"tx:1"};
  loop_->Start();
  ASSERT_TRUE(host_.armed.count(TimerId::kBatch));
  const std::uint64_t token = host_.armed[TimerId::kBatch];
  const std::uint64_t timeout = host_.delays[TimerId::kBatch];
  host_.now -= 3'600'000;  // an hour back
  loop_->OnTimeout(TimerId::kBatch, token);
  EXPECT_EQ(host_.Count("batch 1"), 0u);
  ASSERT_NE(host_.armed[TimerId::kBatch], token);     // set again
  EXPECT_EQ(host_.delays[TimerId::kBatch], timeout);  // for one timeout, not an hour
  host_.now += timeout;
  loop_->OnTimeout(TimerId::kBatch, host_.armed[TimerId::kBatch]);
  EXPECT_EQ(host_.Count("batch 1"), 1u);
  EXPECT_GE(host_.Count("commit 1"), 1u);
}

// Messages of the next epoch wait unverified until it starts: their number and their bytes
// are both bounded, the oldest dropped first, so padded ones cannot hold the node's memory.
TEST_F(ActionLoopTest, early_messages_are_bounded_in_bytes_too) {
  loop_->Start();
  proto::ConsensusRoute route;
  route.set_epoch(loop_->replica().status().epoch + 1);
  route.mutable_commit()->set_sequence(loop_->replica().status().committed_height + 1);
  proto::ConsensusEnvelope padded;
  padded.set_body(route.SerializeAsString());
  padded.set_sender("someone");
  padded.add_transactions(std::string(8u << 20, 'x'));    // 8 MiB, unverifiable for now
  for (int i = 0; i < 20; ++i) loop_->OnMessage(padded);  // 160 MiB offered
  const std::size_t held = ActionLoop::kMaxEarlyBytes / padded.ByteSizeLong();
  EXPECT_EQ(loop_->early_dropped(), 20 - held);
  // One beyond the whole bound is dropped at once.
  proto::ConsensusEnvelope huge = padded;
  huge.set_transactions(0, std::string(ActionLoop::kMaxEarlyBytes, 'y'));
  loop_->OnMessage(huge);
  EXPECT_EQ(loop_->early_dropped(), 20 - held + 1);
  EXPECT_TRUE(loop_->halted().ok());
}

// The sync client acts on a typed verdict: every way a fetched block can fare, from the
// replica's own codes (Replica::OnSyncedBlock), read in the loop and nowhere else.
TEST(ActionLoopSyncTest, a_synced_block_gets_a_typed_verdict) {
  using Kind = SyncedBlockVerdict::Kind;
  Harness chain(4);
  chain.StartAll();
  for (int i = 0; i < 20; ++i) chain.Submit("tx:" + std::to_string(i));
  chain.Run(2'000);
  const std::uint64_t g = chain.params().EpochDelay();
  ASSERT_GE(chain.Committed(0), g + 1);
  const auto certified = [&](std::uint64_t height) {
    proto::CertifiedBlock block;
    *block.mutable_block() = chain.node(0).commits[height - 1].block;
    *block.mutable_certificate() = chain.node(0).commits[height - 1].certificate;
    return block;
  };

  RecordingHost host(chain.genesis());  // host.loop unset: committed blocks stay unexecuted
  ActionLoop loop(chain.NewReplica(3), host);
  ASSERT_TRUE(loop.Recover(RecoveryState{}).ok());
  loop.Start();

  EXPECT_EQ(loop.OnSyncedBlock(certified(2)).kind, Kind::kNotNext);
  proto::CertifiedBlock forged = certified(1);
  forged.mutable_certificate()->clear_commits();
  const SyncedBlockVerdict invalid = loop.OnSyncedBlock(forged);
  EXPECT_EQ(invalid.kind, Kind::kInvalid);
  EXPECT_FALSE(invalid.reason.ok());
  for (std::uint64_t h = 1; h <= g; ++h) {
    EXPECT_TRUE(loop.OnSyncedBlock(certified(h)).accepted()) << h;
  }
  EXPECT_EQ(host.Count("commit "), g);
  EXPECT_TRUE(loop.OnSyncedBlock(certified(1)).accepted()) << "committed already: nothing to do";
  // Nothing is executed, so the set of height G + 1 is not known yet.
  EXPECT_EQ(loop.OnSyncedBlock(certified(g + 1)).kind, Kind::kEpochUnknown);
  loop.Stop();
  EXPECT_EQ(loop.OnSyncedBlock(certified(g + 1)).kind, Kind::kStopped);
}

}  // namespace
}  // namespace colend::consensus
