// FakeNode: a NodeApi over a real contract state. Each applied JSON line (docs/api.md) is
// executed by contracts::Replayer (so loans, positions and settlements are real) and
// becomes a one-transaction block with a header, a certificate and a receipt. Position
// versions are kept per height for getPositions {"height"}.
//
// Thread safety: every method takes one mutex, as the real node must be thread-safe.
#ifndef COLEND_TESTS_UNIT_NODE_RPC_FAKE_NODE_H_
#define COLEND_TESTS_UNIT_NODE_RPC_FAKE_NODE_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "colend/contracts/genesis.h"
#include "colend/contracts/records.h"
#include "colend/contracts/replay.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/node/node_api.h"

namespace colend::node::testing {

// A StateReader over a copied map (one version of the position records).
class MapReader final : public contracts::StateReader {
 public:
  explicit MapReader(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  bool Get(std::string_view key, std::string* value) const override {
    auto it = values_.find(key);
    if (it == values_.end()) return false;
    *value = it->second;
    return true;
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

class FakeNode final : public NodeApi {
 public:
  // Members LEAD, PARTNER_A and PARTNER_B (no client keys: the replay is unsigned); four
  // validators with real keys, in node id order LEAD-1, LEAD-2, PARTNER_A-1, PARTNER_B-1;
  // the default consensus parameters (execution_lag 1: validator activation delay 3).
  FakeNode() {
    contracts::Genesis genesis;
    genesis.chain_id = "colend-replay";
    for (const char* m : {"LEAD", "PARTNER_A", "PARTNER_B"}) {
      genesis.members.push_back({m, std::string(m) + " Bank", {}, std::nullopt});
    }
    for (const auto& [node, member] : std::vector<std::pair<std::string, std::string>>{
             {"LEAD-1", "LEAD"}, {"LEAD-2", "LEAD"}, {"PARTNER_A-1", "PARTNER_A"},
             {"PARTNER_B-1", "PARTNER_B"}}) {
      genesis.validators.push_back(NewValidator(node, member));
    }
    auto r = contracts::Replayer::FromGenesis(genesis);
    EXPECT_TRUE(r.ok()) << r.status();
    replayer_ = std::move(*r);
    root_ = replayer_->StateRoot();
    SnapshotPositions();  // height 0
  }

  // Executes one JSON line (docs/api.md) as block height()+1; returns "ok" or the rejection code.
  std::string Apply(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    auto body = contracts::TransactionBodyFromJson(line);
    EXPECT_TRUE(body.ok()) << body.status() << " in " << line;
    if (!body.ok()) return "BAD_TEST_LINE";
    body->set_chain_id(replayer_->chain_id());
    const std::string body_bytes = contracts::ReplayBodyBytes(*body);
    const crypto::Digest digest = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(body_bytes));
    const Bytes tx_hash(digest.begin(), digest.end());
    auto receipt = replayer_->ApplyBody(*body);
    EXPECT_TRUE(receipt.ok()) << receipt.status();
    if (!receipt.ok()) return "FAULT";
    root_ = replayer_->StateRoot();

    proto::SignedTransaction envelope;
    envelope.set_body(body_bytes);
    envelope.set_key_id(std::string(16, '\x01'));
    envelope.set_signature("sig");
    const std::string signed_tx = envelope.SerializeAsString();

    const std::uint64_t height = replayer_->height();
    proto::BlockHeader header;
    header.set_chain_id(replayer_->chain_id());
    header.set_height(height);
    header.set_parent_hash(blocks_.empty() ? std::string(32, '\0')
                                           : ToString(blocks_.back().block_hash));
    header.set_tx_root(std::string(32, '\x02'));
    header.set_receipts_root(std::string(32, '\x03'));
    header.set_state_root(std::string(root_.begin(), root_.end()));
    header.set_timestamp_ms(1764000000000 + height);
    header.set_proposer("LEAD-1");
    header.set_view(0);
    header.set_tx_count(1);
    BlockLookup block;
    *block.block.mutable_block()->mutable_header() = header.SerializeAsString();
    block.block.mutable_block()->add_transactions(signed_tx);
    const crypto::Digest block_hash =
        crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(block.block.block().header()));
    block.block_hash = Bytes(block_hash.begin(), block_hash.end());
    block.block.mutable_certificate()->set_height(height);
    block.block.mutable_certificate()->set_block_hash(ToString(block.block_hash));
    auto* commit = block.block.mutable_certificate()->add_commits();
    commit->set_validator("LEAD-1");
    commit->set_commit("c");
    commit->set_signature("s");
    block.tx_hashes.push_back(tx_hash);
    blocks_.push_back(block);

    TransactionLookup lookup;
    lookup.signed_tx = signed_tx;
    lookup.height = height;
    lookup.index = 0;
    lookup.block_hash = block.block_hash;
    lookup.receipt = *receipt;
    txs_[ToHex(tx_hash)] = lookup;
    last_tx_hash_ = tx_hash;
    SnapshotPositions();
    return receipt->status() == proto::RECEIPT_STATUS_OK ? "ok" : receipt->code();
  }

  // A validator with a fresh P-256 node key.
  static proto::Validator NewValidator(const std::string& node_id, const std::string& member) {
    auto key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard());
    EXPECT_TRUE(key.ok()) << key.status();
    proto::Validator v;
    v.set_node_id(node_id);
    v.set_member_id(member);
    if (key.ok()) v.set_public_key(ToString(key->public_key().ToDer().value_or(Bytes())));
    return v;
  }

  // The hash of the last applied transaction.
  Bytes last_tx_hash() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_tx_hash_;
  }

  // SubmitTransaction calls so far (sendTransactions submits through it, one by one).
  std::size_t submitted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return submitted_;
  }

  void set_busy(bool busy) {
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = busy;
  }

  // A transaction whose stored bytes are damaged (for the internal-error path).
  void AddCorruptTransaction(const Bytes& hash) {
    std::lock_guard<std::mutex> lock(mu_);
    TransactionLookup lookup;
    lookup.signed_tx = "\xff\xff\xff";
    lookup.pending = true;
    txs_[ToHex(hash)] = lookup;
  }

  SubmitResult SubmitTransaction(std::string signed_tx_bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++submitted_;
    SubmitResult out;
    if (busy_) {
      out.kind = SubmitResult::Kind::kBusy;
      out.message = "pool full: retry later";
      out.busy_reason = "pool_full";
      out.retry_after_ms = 350;
      return out;
    }
    auto decoded =
        contracts::DecodeTransaction(AsBytes(signed_tx_bytes), crypto::CryptoSuite::Standard());
    if (!decoded.ok()) {
      out.kind = SubmitResult::Kind::kRejected;
      out.code = "MALFORMED";
      out.message = decoded.status().message();
      return out;
    }
    out.kind = SubmitResult::Kind::kAdmitted;
    out.tx_hash = decoded->tx_hash;
    TransactionLookup lookup;
    lookup.signed_tx = std::move(signed_tx_bytes);
    lookup.pending = true;
    txs_.emplace(ToHex(out.tx_hash), lookup);  // an identical pending tx stays as it is
    return out;
  }

  std::optional<TransactionLookup> FindTransaction(ByteView tx_hash) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = txs_.find(ToHex(tx_hash));
    if (it == txs_.end()) return std::nullopt;
    return it->second;
  }

  std::uint64_t BlockNumber() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return blocks_.size();
  }

  std::optional<BlockLookup> BlockByNumber(std::uint64_t height) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (height == 0 || height > blocks_.size()) return std::nullopt;
    return blocks_[height - 1];
  }

  std::optional<BlockLookup> BlockByHash(ByteView hash) const override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const BlockLookup& b : blocks_) {
      if (ToHex(b.block_hash) == ToHex(hash)) return b;
    }
    return std::nullopt;
  }

  Status ReadState(const StateFn& fn) const override {
    std::lock_guard<std::mutex> lock(mu_);
    StateHead head;
    head.height = replayer_->height();
    head.state_root = root_;
    return fn(replayer_->state(), replayer_->state(), head);
  }

  Result<HistoryRead> ReadPositionsAt(std::uint64_t height, const PositionsFn& fn) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (height >= positions_.size()) return HistoryRead::kAboveHead;
    COLEND_RETURN_IF_ERROR(fn(*positions_[height]));
    return HistoryRead::kRead;
  }

  NodeInfo GetNodeInfo() const override {
    NodeInfo info;
    info.node_id = "LEAD-1";
    info.member_id = "LEAD";
    info.chain_id = replayer_->chain_id();
    info.version = "0.1.0";
    info.genesis_hash = Bytes(32, 0xab);
    info.height = BlockNumber();
    info.executed_height = info.height;
    return info;
  }

  std::vector<RpcPeerInfo> GetPeers() const override {
    RpcPeerInfo p;
    p.node_id = "PARTNER_A-1";
    p.address = "127.0.0.1:7001";
    p.connected = true;
    p.best_height = 3;
    p.messages_sent = 10;
    p.messages_received = 12;
    return {p};
  }

  ConsensusStatus GetConsensusStatus() const override {
    ConsensusStatus s;
    s.view = 2;
    s.primary = "PARTNER_A-1";
    s.low_watermark = 0;
    s.high_watermark = 400;
    s.committed_height = BlockNumber();
    s.executed_height = s.committed_height;
    s.counters = {{"view_changes", 2}, {"proposals", 7}};
    return s;
  }

  SyncStatus GetSyncStatus() const override {
    SyncStatus s;
    s.syncing = false;
    s.current_height = BlockNumber();
    s.target_height = s.current_height;
    return s;
  }

 private:
  // REQUIRES: mu_ held (or the constructor).
  void SnapshotPositions() {
    std::map<std::string, std::string, std::less<>> values;
    for (std::string_view prefix : {contracts::keys::kPositionPrefix, contracts::keys::kPairs}) {
      replayer_->state().Scan(prefix, [&](std::string_view k, std::string_view v) {
        values.emplace(std::string(k), std::string(v));
        return true;
      });
    }
    positions_.push_back(std::make_unique<MapReader>(std::move(values)));
  }

  mutable std::mutex mu_;
  std::unique_ptr<contracts::Replayer> replayer_;
  crypto::Digest root_{};
  std::vector<BlockLookup> blocks_;
  std::map<std::string, TransactionLookup> txs_;
  std::vector<std::unique_ptr<MapReader>> positions_;  // index = height
  Bytes last_tx_hash_;
  bool busy_ = false;
  std::size_t submitted_ = 0;
};

}  // namespace colend::node::testing

#endif  // COLEND_TESTS_UNIT_NODE_RPC_FAKE_NODE_H_
