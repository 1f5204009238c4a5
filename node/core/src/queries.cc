// What the JSON-RPC workers ask of the node (NodeApi), and the pool's key directory. These
// run on RPC and verifier threads: they read the store (thread-safe) and its snapshots
// (state queries), the in-memory state under the executor's shared lock (the key directory's
// point reads), and snapshots the event loop publishes.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <shared_mutex>

#include <boost/asio/post.hpp>

#include "colend/contracts/records.h"
#include "colend/crypto/keys.h"
#include "node_impl.h"

namespace colend::node {
namespace {

std::string AsKey(ByteView bytes) { return std::string(bytes.begin(), bytes.end()); }

// The state as of an earlier height, for the keys the store versions (positions).
class HistoricalReader final : public contracts::StateReader {
 public:
  HistoricalReader(const BlockStore& store, std::uint64_t height)
      : store_(store), height_(height) {}
  bool Get(std::string_view key, std::string* value) const override {
    Result<std::optional<std::string>> v = store_.ReadStateAt(key, height_);
    if (!v.ok()) {
      if (status_.ok()) status_ = v.status();
      return false;
    }
    if (!v->has_value()) return false;
    *value = std::move(**v);
    return true;
  }
  const Status& status() const { return status_; }

 private:
  const BlockStore& store_;
  std::uint64_t height_;
  mutable Status status_;
};

}  // namespace

// --- KeyDirectory ---------------------------------------------------------------------

Result<crypto::PublicKey> StateKeyDirectory::ActiveKey(std::string_view signer,
                                                       ByteView key_id) const {
  std::shared_lock lock(executor_.mutex());
  COLEND_ASSIGN_OR_RETURN(std::optional<proto::MemberRecord> member,
                          contracts::ReadRecord<proto::MemberRecord>(
                              executor_.state(), contracts::keys::Member(signer)));
  if (!member.has_value()) {
    return Status::NotFound("\"" + std::string(signer) + "\" is not a member of this chain");
  }
  if (member->status() != proto::MEMBER_STATUS_ACTIVE) {
    return Status::PermissionDenied("member \"" + std::string(signer) + "\" is suspended");
  }
  for (const proto::ClientKey& key : member->client_keys()) {
    const ByteView id = AsBytes(key.key_id());
    if (std::equal(id.begin(), id.end(), key_id.begin(), key_id.end())) {
      return Parse(key.public_key());
    }
  }
  return Status::NotFound("member \"" + std::string(signer) + "\" has no active key " +
                          ToHex(key_id));
}

Result<crypto::PublicKey> StateKeyDirectory::Parse(const std::string& der) const {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(der); it != cache_.end()) return it->second;
  }
  COLEND_ASSIGN_OR_RETURN(crypto::PublicKey key,
                          crypto::PublicKey::FromDer(executor_.suite(), AsBytes(der)));
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= kMaxCachedKeys) cache_.clear();
  cache_.emplace(der, key);
  return key;
}

bool StateKeyDirectory::IsActiveMember(std::string_view signer) const {
  std::shared_lock lock(executor_.mutex());
  Result<std::optional<proto::MemberRecord>> member = contracts::ReadRecord<proto::MemberRecord>(
      executor_.state(), contracts::keys::Member(signer));
  return member.ok() && member->has_value() &&
         (*member)->status() == proto::MEMBER_STATUS_ACTIVE;
}

bool StateKeyDirectory::IdCommitted(std::string_view signer, std::string_view id) const {
  std::shared_lock lock(executor_.mutex());
  std::string ignored;
  return executor_.state().Get(contracts::keys::Tx(signer, id), &ignored);
}

// --- NodeApi ----------------------------------------------------------------------------

namespace {

SubmitResult ShuttingDown() {
  SubmitResult out;
  out.kind = SubmitResult::Kind::kBusy;
  out.message = "the node is shutting down";
  out.busy_reason = "shutting_down";
  out.retry_after_ms = 1000;
  return out;
}

SubmitResult FromAdmission(const AdmitResult& admitted) {
  SubmitResult out;
  out.tx_hash = admitted.tx_hash;
  out.code = admitted.code;
  out.message = admitted.message;
  switch (admitted.status) {
    case AdmitStatus::kAdmitted:
    case AdmitStatus::kAlreadyPending:
      out.kind = SubmitResult::Kind::kAdmitted;
      break;
    case AdmitStatus::kRejected:
      out.kind = SubmitResult::Kind::kRejected;
      break;
    case AdmitStatus::kBusy:
      out.kind = SubmitResult::Kind::kBusy;
      out.busy_reason = admitted.busy_reason;
      out.retry_after_ms = admitted.retry_after_ms;
      break;
  }
  return out;
}

}  // namespace

SubmitResult Node::Impl::SubmitTransaction(std::string signed_tx_bytes) {
  std::vector<std::string> one;
  one.push_back(std::move(signed_tx_bytes));
  return std::move(SubmitTransactions(std::move(one)).front());
}

// One transaction is a batch of one: Admit would verify on this thread, AdmitBatch on the
// verifier threads, and the answers are the same (txpool.h).
std::vector<SubmitResult> Node::Impl::SubmitTransactions(std::vector<std::string> signed_txs) {
  std::vector<SubmitResult> out;
  out.reserve(signed_txs.size());
  if (stopping_.load()) {  // set by shutdown and by a halt
    for (std::size_t i = 0; i < signed_txs.size(); ++i) out.push_back(ShuttingDown());
    return out;
  }
  std::vector<AdmitResult> admitted;
  if (signed_txs.size() == 1) {
    admitted.push_back(pool_->Admit(signed_txs.front()));
  } else {
    admitted = pool_->AdmitBatch(signed_txs, TxPool::Origin::kClient);
  }
  // Relay what is new to the other validators (the primary must see it) and wake
  // consensus: one post to the event loop for the whole call.
  std::vector<std::string> relay;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(latency_mu_);
    for (std::size_t i = 0; i < admitted.size(); ++i) {
      out.push_back(FromAdmission(admitted[i]));
      if (admitted[i].status != AdmitStatus::kAdmitted) continue;
      submitted_at_.emplace(AsKey(admitted[i].tx_hash), now);
      relay.push_back(std::move(signed_txs[i]));
    }
  }
  if (!relay.empty()) {
    boost::asio::post(io_, [this, txs = std::move(relay)]() mutable {
      for (std::string& tx : txs) QueueGossip(std::move(tx));
      loop_->OnPoolChanged();
    });
  }
  return out;
}

std::optional<TransactionLookup> Node::Impl::FindTransaction(ByteView tx_hash) const {
  Result<TxLocation> at = store_->FindTx(tx_hash);
  if (at.ok()) {
    Result<proto::CertifiedBlock> block = store_->GetBlock(at->height);
    Result<BlockMeta> meta = store_->GetMeta(at->height);
    if (block.ok() && meta.ok() &&
        static_cast<int>(at->index) < block->block().transactions_size()) {
      TransactionLookup out;
      out.signed_tx = block->block().transactions(static_cast<int>(at->index));
      out.height = at->height;
      out.index = at->index;
      out.block_hash = meta->block_hash;
      Result<proto::Receipt> receipt = store_->GetReceipt(*at);
      if (receipt.ok()) out.receipt = std::move(receipt).value();
      return out;
    }
  }
  std::optional<std::string> pending = pool_->Find(tx_hash);
  if (!pending.has_value()) return std::nullopt;
  TransactionLookup out;
  out.signed_tx = std::move(*pending);
  out.pending = true;
  return out;
}

std::uint64_t Node::Impl::BlockNumber() const { return store_->height(); }

std::optional<BlockLookup> Node::Impl::BlockByNumber(std::uint64_t height) const {
  if (height == 0 || height > store_->height()) return std::nullopt;
  Result<proto::CertifiedBlock> block = store_->GetBlock(height);
  Result<BlockMeta> meta = store_->GetMeta(height);
  Result<std::vector<Bytes>> hashes = store_->GetTxHashes(height);
  if (!block.ok() || !meta.ok() || !hashes.ok()) return std::nullopt;
  BlockLookup out;
  out.block = std::move(block).value();
  out.block_hash = meta->block_hash;
  out.tx_hashes = std::move(hashes).value();
  return out;
}

std::optional<BlockLookup> Node::Impl::BlockByHash(ByteView hash) const {
  Result<std::uint64_t> height = store_->FindBlockByHash(hash);
  if (!height.ok()) return std::nullopt;
  return BlockByNumber(*height);
}

// From a snapshot of the store, not the executor's in-memory state: a scan (listLoans,
// getBooks, ...) may take a while, and under the executor's lock it would hold up Apply,
// and with it every commit, for as long (a batch of such calls for much longer). The
// snapshot holds no lock, and every read of one call comes from the same committed height,
// the one StateHead names. (It can trail the executor by the block being stored; receipts
// and heights are served from the store too, so a client never sees a state older than a
// receipt it was given.)
Status Node::Impl::ReadState(const StateFn& fn) const {
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<StateSnapshot> snapshot, store_->SnapshotState());
  StateHead head;
  head.height = snapshot->height();
  head.state_root = snapshot->state_root();
  const Status s = fn(*snapshot, *snapshot, head);
  if (!snapshot->status().ok()) return snapshot->status();
  return s;
}

Status Node::Impl::ReadPositionsAt(std::uint64_t height, const PositionsFn& fn) const {
  if (height > store_->height()) {
    return Status::OutOfRange("height " + std::to_string(height) + " is above the last block, " +
                              std::to_string(store_->height()));
  }
  HistoricalReader reader(*store_, height);
  const Status s = fn(reader);
  if (!reader.status().ok()) return reader.status();
  return s;
}

NodeInfo Node::Impl::GetNodeInfo() const {
  NodeInfo info;
  info.node_id = config_.node_id;
  info.member_id = member_id_;
  info.chain_id = genesis_.chain_id;
  info.suite = suite_;
  info.version = kNodeVersion;
  info.genesis_hash = genesis_.genesis_hash;
  info.height = store_->height();
  {
    std::shared_lock lock(executor_.mutex());
    info.executed_height = executor_.height();
    info.state_root = executor_.state_root();
  }
  info.pool_size = pool_->size();
  info.pool_capacity = pool_->capacity();
  return info;
}

std::vector<RpcPeerInfo> Node::Impl::GetPeers() const {
  std::vector<RpcPeerInfo> out;
  for (const PeerInfo& p : p2p_->Peers()) {
    RpcPeerInfo info;
    info.node_id = p.node_id;
    info.address = p.address;
    info.connected = p.connected;
    info.best_height = p.best_height;
    info.messages_sent = p.frames_out;
    info.messages_received = p.frames_in;
    info.bytes_sent = p.bytes_out;
    info.bytes_received = p.bytes_in;
    info.reconnects = p.connects > 0 ? p.connects - 1 : 0;
    out.push_back(std::move(info));
  }
  return out;
}

ConsensusStatus Node::Impl::GetConsensusStatus() const {
  std::lock_guard lock(status_mu_);
  ConsensusStatus out;
  out.view = status_.view;
  out.primary = validators_->Primary(status_.view);
  out.view_change_in_progress = !status_.view_active;
  out.low_watermark = status_.low_watermark;
  out.high_watermark = status_.high_watermark;
  out.stable_checkpoint = status_.low_watermark;
  out.committed_height = status_.committed_height;
  out.executed_height = status_.executed_height;
  out.epoch = status_.epoch;
  out.epoch_start = status_.epoch_base + 1;
  out.epoch_end = status_.epoch_end;
  out.observer = status_.observer;
  const consensus::ReplicaCounters& c = counters_;
  out.counters = {
      {"messages", c.messages},
      {"unknown_sender", c.unknown_sender},
      {"bad_signature", c.bad_signature},
      {"malformed", c.malformed},
      {"wrong_chain", c.wrong_chain},
      {"not_from_primary", c.not_from_primary},
      {"stale", c.stale},
      {"out_of_window", c.out_of_window},
      {"duplicates", c.duplicates},
      {"equivocations", c.equivocations},
      {"invalid_proposals", c.invalid_proposals},
      {"invalid_evidence", c.invalid_evidence},
      {"deferred", c.deferred},
      {"proposals", c.proposals},
      {"accepted", c.accepted},
      {"refused_double_vote", c.refused_double_vote},
      {"committed_blocks", c.committed_blocks},
      {"synced_blocks", c.synced_blocks},
      {"stable_checkpoints", c.stable_checkpoints},
      {"view_changes", c.view_changes},
      {"new_views_sent", c.new_views_sent},
      {"new_views_entered", c.new_views_entered},
      {"sync_requests", c.sync_requests},
      {"conflicts", c.conflicts},
      {"bad_inputs", c.bad_inputs},
      {"wrong_epoch", c.wrong_epoch},
      {"beyond_epoch", c.beyond_epoch},
      {"fillers", c.fillers},
  };
  return out;
}

SyncStatus Node::Impl::GetSyncStatus() const {
  SyncStatus out;
  out.current_height = store_->height();
  out.syncing = sync_->syncing();
  // Only heights this node believes: a peer's Hello claim counts once its commit
  // certificate verified (and sync aimed at it), never on the peer's word alone.
  out.target_height = std::max(sync_->target_published(), out.current_height);
  return out;
}

}  // namespace colend::node
