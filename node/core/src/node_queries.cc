#include "node_queries.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "colend/node/node.h"

namespace colend::node {
namespace {

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

NodeQueries::NodeQueries(NodeIdentity identity, const BlockStore& store, const Executor& executor,
                         TxPool& pool, Host host)
    : identity_(std::move(identity)),
      store_(store),
      executor_(executor),
      pool_(pool),
      host_(std::move(host)) {}

void NodeQueries::PublishConsensus(const consensus::ReplicaStatus& status,
                                   const consensus::ReplicaCounters& counters) {
  std::lock_guard lock(status_mu_);
  status_ = status;
  counters_ = counters;
}

void NodeQueries::SetValidators(std::shared_ptr<const consensus::ValidatorSet> validators) {
  std::lock_guard lock(status_mu_);
  validators_ = std::move(validators);
}

SubmitResult NodeQueries::SubmitTransaction(std::string signed_tx_bytes) {
  std::vector<std::string> one;
  one.push_back(std::move(signed_tx_bytes));
  return std::move(SubmitTransactions(std::move(one)).front());
}

// One transaction is a batch of one: Admit would verify on this thread, AdmitBatch on the
// verifier threads, and the answers are the same (txpool.h).
std::vector<SubmitResult> NodeQueries::SubmitTransactions(std::vector<std::string> signed_txs) {
  std::vector<SubmitResult> out;
  out.reserve(signed_txs.size());
  if (!host_.accepting()) {  // shutting down, or halted
    for (std::size_t i = 0; i < signed_txs.size(); ++i) out.push_back(ShuttingDown());
    return out;
  }
  std::vector<AdmitResult> admitted;
  if (signed_txs.size() == 1) {
    admitted.push_back(pool_.Admit(signed_txs.front()));
  } else {
    admitted = pool_.AdmitBatch(signed_txs, TxPool::Origin::kClient);
  }
  // What is new goes to the host in one call, to be relayed to the other validators (the
  // primary must see it) and to wake consensus.
  std::vector<std::string> relay;
  std::vector<Bytes> hashes;
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    out.push_back(FromAdmission(admitted[i]));
    if (admitted[i].status != AdmitStatus::kAdmitted) continue;
    hashes.push_back(admitted[i].tx_hash);
    relay.push_back(std::move(signed_txs[i]));
  }
  if (!relay.empty()) host_.admitted(std::move(relay), std::move(hashes));
  return out;
}

std::optional<TransactionLookup> NodeQueries::FindTransaction(ByteView tx_hash) const {
  Result<TxLocation> at = store_.FindTx(tx_hash);
  if (at.ok()) {
    Result<proto::CertifiedBlock> block = store_.GetBlock(at->height);
    Result<BlockMeta> meta = store_.GetMeta(at->height);
    if (block.ok() && meta.ok() &&
        static_cast<int>(at->index) < block->block().transactions_size()) {
      TransactionLookup out;
      out.signed_tx = block->block().transactions(static_cast<int>(at->index));
      out.height = at->height;
      out.index = at->index;
      out.block_hash = meta->block_hash;
      Result<proto::Receipt> receipt = store_.GetReceipt(*at);
      if (receipt.ok()) out.receipt = std::move(receipt).value();
      return out;
    }
  }
  std::optional<std::string> pending = pool_.Find(tx_hash);
  if (!pending.has_value()) return std::nullopt;
  TransactionLookup out;
  out.signed_tx = std::move(*pending);
  out.pending = true;
  return out;
}

std::uint64_t NodeQueries::BlockNumber() const {
  return store_.height();
}

std::optional<BlockLookup> NodeQueries::BlockByNumber(std::uint64_t height) const {
  if (height == 0 || height > store_.height()) return std::nullopt;
  Result<proto::CertifiedBlock> block = store_.GetBlock(height);
  Result<BlockMeta> meta = store_.GetMeta(height);
  Result<std::vector<Bytes>> hashes = store_.GetTxHashes(height);
  if (!block.ok() || !meta.ok() || !hashes.ok()) return std::nullopt;
  BlockLookup out;
  out.block = std::move(block).value();
  out.block_hash = meta->block_hash;
  out.tx_hashes = std::move(hashes).value();
  return out;
}

std::optional<BlockLookup> NodeQueries::BlockByHash(ByteView hash) const {
  Result<std::uint64_t> height = store_.FindBlockByHash(hash);
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
Status NodeQueries::ReadState(const StateFn& fn) const {
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<StateSnapshot> snapshot, store_.SnapshotState());
  StateHead head;
  head.height = snapshot->height();
  head.state_root = snapshot->state_root();
  const Status s = fn(*snapshot, *snapshot, head);
  if (!snapshot->status().ok()) return snapshot->status();
  return s;
}

Result<HistoryRead> NodeQueries::ReadPositionsAt(std::uint64_t height,
                                                 const PositionsFn& fn) const {
  // The store keeps every version of these keys: any height up to the head can be read.
  if (height > store_.height()) return HistoryRead::kAboveHead;
  HistoricalReader reader(store_, height);
  const Status s = fn(reader);
  if (!reader.status().ok()) return reader.status();
  if (!s.ok()) return s;
  return HistoryRead::kRead;
}

NodeInfo NodeQueries::GetNodeInfo() const {
  NodeInfo info;
  info.node_id = identity_.node_id;
  info.member_id = identity_.member_id;
  info.chain_id = identity_.chain_id;
  info.suite = identity_.suite;
  info.version = kNodeVersion;
  info.genesis_hash = identity_.genesis_hash;
  info.height = store_.height();
  {
    std::shared_lock lock(executor_.mutex());
    info.executed_height = executor_.height();
    info.state_root = executor_.state_root();
  }
  info.pool_size = pool_.size();
  info.pool_capacity = pool_.capacity();
  return info;
}

std::vector<RpcPeerInfo> NodeQueries::GetPeers() const {
  std::vector<RpcPeerInfo> out;
  for (const PeerInfo& p : host_.peers()) {
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

ConsensusStatus NodeQueries::GetConsensusStatus() const {
  std::lock_guard lock(status_mu_);
  ConsensusStatus out;
  out.view = status_.view;
  if (validators_ != nullptr) out.primary = validators_->Primary(status_.view);
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

SyncStatus NodeQueries::GetSyncStatus() const {
  SyncStatus out;
  out.current_height = store_.height();
  const Host::SyncProgress sync = host_.sync();
  out.syncing = sync.syncing;
  // Only heights this node believes: a peer's Hello claim counts once its commit
  // certificate verified (and sync aimed at it), never on the peer's word alone.
  out.target_height = std::max(sync.target, out.current_height);
  return out;
}

}  // namespace colend::node
