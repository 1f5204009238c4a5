// The node queries on their own (node/core/src/node_queries.h), without a Node: blocks and
// transactions from a real in-memory store, positions as of a height and events with their
// typed outcomes, client submissions through a real pool (what is handed on to be relayed,
// and when nothing is), and the status snapshots the event loop publishes.
#include "node_queries.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "colend/contracts/records.h"
#include "colend/contracts/tx_decode.h"
#include "colend/crypto/keys.h"
#include "colend/node/memory_kv_store.h"
#include "colend/proto/tx.pb.h"
#include "storage_test_util.h"

namespace colend::node {
namespace {

constexpr char kChain[] = "chain-a";
const crypto::CryptoSuite kSuite = crypto::CryptoSuite::Standard();

// One member, "LEAD", with one key.
class OneKeyDirectory final : public KeyDirectory {
 public:
  explicit OneKeyDirectory(crypto::PublicKey key) : key_(std::move(key)) {}
  Result<crypto::PublicKey> ActiveKey(std::string_view signer, ByteView) const override {
    if (signer != "LEAD") return Status::NotFound("no member " + std::string(signer));
    return key_;
  }
  bool IsActiveMember(std::string_view signer) const override { return signer == "LEAD"; }
  bool IdCommitted(std::string_view, std::string_view) const override { return false; }

 private:
  crypto::PublicKey key_;
};

class NodeQueriesTest : public ::testing::Test {
 protected:
  NodeQueriesTest() {
    store_ = testing::OpenOrDie(std::make_unique<MemoryKvStore>());
    EXPECT_TRUE(testing::InitGenesis(
                    *store_, kChain,
                    {{"hist/a", "genesis"}, {contracts::keys::Member("LEAD"), "member record"}})
                    .ok());
    // Block 1: two transactions, "hist/a" rewritten.
    EXPECT_TRUE(store_->Commit(testing::MakeBlock(1, 2, {{"hist/a", "after 1"}})).ok());
    executor_.Load({}, 1);
    PoolOptions options;
    options.chain_id = kChain;
    options.suite = kSuite;
    options.verifier_threads = 0;
    Result<std::unique_ptr<TxPool>> pool =
        TxPool::Create(options, std::make_shared<OneKeyDirectory>(key_.public_key()));
    EXPECT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(pool).value();
  }

  NodeQueries::Host FakeHost() {
    NodeQueries::Host host;
    host.accepting = [this] { return accepting_; };
    host.admitted = [this](std::vector<std::string> txs, std::vector<Bytes> hashes) {
      std::lock_guard lock(mu_);
      relayed_.push_back(std::move(txs));
      relayed_hashes_.push_back(std::move(hashes));
    };
    host.peers = [this] { return peers_; };
    host.sync = [this] { return sync_; };
    return host;
  }

  NodeQueries Queries() {
    return NodeQueries(NodeIdentity{"LEAD-1", "LEAD", kChain, kSuite, testing::GenesisHash()},
                       *store_, executor_, *pool_, FakeHost());
  }

  std::string Signed(const std::string& id) {
    proto::TransactionBody body;
    body.set_chain_id(kChain);
    body.set_signer("LEAD");
    body.set_id(id);
    body.mutable_accept_agreement()->set_agreement_id("AG-1");
    Result<Bytes> signed_tx = contracts::SignTransaction(body, key_);
    EXPECT_TRUE(signed_tx.ok()) << signed_tx.status();
    return ToString(signed_tx.value());
  }

  static crypto::PrivateKey NewKey() {
    Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(kSuite);
    EXPECT_TRUE(key.ok()) << key.status();
    return std::move(key).value();
  }

  crypto::PrivateKey key_ = NewKey();
  std::unique_ptr<BlockStore> store_;
  Executor executor_{kChain, kSuite};
  std::unique_ptr<TxPool> pool_;
  bool accepting_ = true;
  std::vector<PeerInfo> peers_;
  NodeQueries::Host::SyncProgress sync_;
  std::mutex mu_;
  std::vector<std::vector<std::string>> relayed_;   // guarded by mu_
  std::vector<std::vector<Bytes>> relayed_hashes_;  // guarded by mu_
};

TEST_F(NodeQueriesTest, BlocksComeFromTheStore) {
  const NodeQueries queries = Queries();
  EXPECT_EQ(queries.BlockNumber(), 1u);
  const std::optional<BlockLookup> block = queries.BlockByNumber(1);
  ASSERT_TRUE(block.has_value());
  const StoredBlock expected = testing::MakeBlock(1, 2);
  EXPECT_EQ(block->block_hash, expected.block_hash);
  EXPECT_EQ(block->tx_hashes, expected.tx_hashes);
  EXPECT_EQ(block->block.block().transactions_size(), 2);
  const std::optional<BlockLookup> by_hash = queries.BlockByHash(expected.block_hash);
  ASSERT_TRUE(by_hash.has_value());
  EXPECT_EQ(by_hash->block.certificate().height(), 1u);
  EXPECT_FALSE(queries.BlockByNumber(0).has_value());  // genesis is no block
  EXPECT_FALSE(queries.BlockByNumber(2).has_value());
  EXPECT_FALSE(queries.BlockByHash(testing::TxHashOf(9, 9)).has_value());
}

TEST_F(NodeQueriesTest, ACommittedTransactionIsFoundWithItsReceipt) {
  const NodeQueries queries = Queries();
  const std::optional<TransactionLookup> tx = queries.FindTransaction(testing::TxHashOf(1, 1));
  ASSERT_TRUE(tx.has_value());
  EXPECT_FALSE(tx->pending);
  EXPECT_EQ(tx->height, 1u);
  EXPECT_EQ(tx->index, 1u);
  EXPECT_EQ(tx->signed_tx, "signed tx 1/1");
  ASSERT_TRUE(tx->receipt.has_value());
  EXPECT_EQ(tx->receipt->code(), "DUPLICATE");
  EXPECT_FALSE(queries.FindTransaction(testing::TxHashOf(2, 0)).has_value());
}

TEST_F(NodeQueriesTest, PositionsAboveTheHeadAreATypedAnswerNotAnError) {
  const NodeQueries queries = Queries();
  bool ran = false;
  Result<HistoryRead> read = queries.ReadPositionsAt(2, [&](const contracts::StateReader&) {
    ran = true;
    return Status::Ok();
  });
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, HistoryRead::kAboveHead);
  EXPECT_FALSE(ran);

  // Every version up to the head is kept: genesis and block 1 read their own values.
  for (const auto& [height, want] :
       std::map<std::uint64_t, std::string>{{0, "genesis"}, {1, "after 1"}}) {
    std::string value;
    read = queries.ReadPositionsAt(height, [&](const contracts::StateReader& r) {
      EXPECT_TRUE(r.Get("hist/a", &value));
      return Status::Ok();
    });
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, HistoryRead::kRead);
    EXPECT_EQ(value, want);
  }

  // The callback's own failure is the call's.
  read = queries.ReadPositionsAt(
      1, [](const contracts::StateReader&) { return Status::InvalidArgument("bad filter"); });
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "bad filter");
}

TEST_F(NodeQueriesTest, EventsOfANonMemberOrBelowTheIndexAreTypedAnswers) {
  const NodeQueries queries = Queries();
  BankEventPage page;
  Result<EventsListed> listed = queries.ListEvents(EventQuery{"NOBODY", 1, 0, 10, 10}, &page);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, EventsListed::kNotMember);
  EXPECT_EQ(page.head, 1u);
  EXPECT_EQ(page.indexed_from, 1u);

  page = {};
  listed = queries.ListEvents(EventQuery{"LEAD", 0, 0, 10, 10}, &page);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, EventsListed::kBelowIndex);
  EXPECT_EQ(page.indexed_from, 1u);
  EXPECT_TRUE(page.events.empty());

  page = {};
  listed = queries.ListEvents(EventQuery{"LEAD", 1, 0, 10, 10}, &page);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, EventsListed::kListed);
  EXPECT_TRUE(page.events.empty());  // the test blocks index no parties
}

TEST_F(NodeQueriesTest, AdmittedTransactionsAreHandedOnOncePerCall) {
  NodeQueries queries = Queries();
  const std::string a = Signed("tx-a");
  const std::string b = Signed("tx-b");
  const std::vector<SubmitResult> results = queries.SubmitTransactions({a, "not a tx", b, a});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].kind, SubmitResult::Kind::kAdmitted);
  EXPECT_EQ(results[1].kind, SubmitResult::Kind::kRejected);
  EXPECT_EQ(results[1].code, "MALFORMED");
  EXPECT_EQ(results[2].kind, SubmitResult::Kind::kAdmitted);
  EXPECT_EQ(results[3].kind, SubmitResult::Kind::kAdmitted);  // already pending: idempotent
  EXPECT_EQ(results[3].tx_hash, results[0].tx_hash);

  // New to the pool: a and b, once each, with their hashes; pending, and found as such.
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(relayed_.size(), 1u);
    EXPECT_EQ(relayed_[0], (std::vector<std::string>{a, b}));
    EXPECT_EQ(relayed_hashes_[0], (std::vector<Bytes>{results[0].tx_hash, results[2].tx_hash}));
  }
  const std::optional<TransactionLookup> pending = queries.FindTransaction(results[2].tx_hash);
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(pending->pending);
  EXPECT_EQ(pending->signed_tx, b);

  // One transaction alone: the same path.
  EXPECT_EQ(queries.SubmitTransaction(Signed("tx-c")).kind, SubmitResult::Kind::kAdmitted);
  EXPECT_EQ(queries.SubmitTransaction("junk").kind, SubmitResult::Kind::kRejected);
  std::lock_guard lock(mu_);
  EXPECT_EQ(relayed_.size(), 2u);
}

TEST_F(NodeQueriesTest, ANodeThatStoppedAcceptingAnswersBusyAndAdmitsNothing) {
  NodeQueries queries = Queries();
  accepting_ = false;
  const std::vector<SubmitResult> results = queries.SubmitTransactions({Signed("tx-a"), "x"});
  ASSERT_EQ(results.size(), 2u);
  for (const SubmitResult& r : results) {
    EXPECT_EQ(r.kind, SubmitResult::Kind::kBusy);
    EXPECT_EQ(r.busy_reason, "shutting_down");
    EXPECT_EQ(r.retry_after_ms, 1000u);
  }
  EXPECT_EQ(pool_->size(), 0u);
  std::lock_guard lock(mu_);
  EXPECT_TRUE(relayed_.empty());
}

TEST_F(NodeQueriesTest, StatusIsWhatTheEventLoopPublished) {
  NodeQueries queries = Queries();
  Result<consensus::ValidatorSet> set = consensus::ValidatorSet::Create({"A", "B", "C", "D"});
  ASSERT_TRUE(set.ok());
  queries.SetValidators(std::make_shared<const consensus::ValidatorSet>(std::move(set).value()));
  consensus::ReplicaStatus status;
  status.view = 6;
  status.view_active = false;
  status.committed_height = 9;
  status.epoch = 2;
  status.epoch_base = 4;
  consensus::ReplicaCounters counters;
  counters.view_changes = 3;
  queries.PublishConsensus(status, counters);
  const ConsensusStatus out = queries.GetConsensusStatus();
  EXPECT_EQ(out.view, 6u);
  EXPECT_EQ(out.primary, "C");
  EXPECT_TRUE(out.view_change_in_progress);
  EXPECT_EQ(out.committed_height, 9u);
  EXPECT_EQ(out.epoch, 2u);
  EXPECT_EQ(out.epoch_start, 5u);
  EXPECT_EQ(out.counters.at("view_changes"), 3u);

  // Sync: only heights this node believes, never below its own.
  sync_ = {true, 0};
  SyncStatus sync = queries.GetSyncStatus();
  EXPECT_TRUE(sync.syncing);
  EXPECT_EQ(sync.current_height, 1u);
  EXPECT_EQ(sync.target_height, 1u);
  sync_ = {true, 7};
  EXPECT_EQ(queries.GetSyncStatus().target_height, 7u);

  PeerInfo peer;
  peer.node_id = "B-1";
  peer.connected = true;
  peer.connects = 3;
  peer.frames_in = 5;
  peers_ = {peer};
  const std::vector<RpcPeerInfo> peers = queries.GetPeers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].node_id, "B-1");
  EXPECT_EQ(peers[0].reconnects, 2u);
  EXPECT_EQ(peers[0].messages_received, 5u);

  EXPECT_TRUE(pool_->Admit(Signed("tx-a")).status == AdmitStatus::kAdmitted);
  const NodeInfo info = queries.GetNodeInfo();
  EXPECT_EQ(info.node_id, "LEAD-1");
  EXPECT_EQ(info.member_id, "LEAD");
  EXPECT_EQ(info.chain_id, kChain);
  EXPECT_EQ(info.genesis_hash, testing::GenesisHash());
  EXPECT_EQ(info.height, 1u);
  EXPECT_EQ(info.executed_height, 1u);
  EXPECT_EQ(info.pool_size, 1u);
}

}  // namespace
}  // namespace colend::node
