#include "colend/consensus/replica.h"

#include <utility>
#include <variant>

#include "replica_impl.h"

namespace colend::consensus {

std::string_view TimerName(TimerId timer) {
  switch (timer) {
    case TimerId::kViewChange:
      return "view-change";
    case TimerId::kBatch:
      return "batch";
  }
  return "unknown";
}

bool WalRecordObsolete(const WalKey& key, std::uint64_t stable_sequence, std::uint64_t view) {
  switch (key.kind) {
    case WalKind::kView:
      return key.view < view;
    case WalKind::kStableCheckpoint:
      return key.sequence < stable_sequence;
    case WalKind::kSent:
    case WalKind::kPrepared:
      return key.sequence != 0 ? key.sequence <= stable_sequence : key.view < view;
  }
  return false;
}

// --- Replica: the public face -------------------------------------------------------------

Result<std::unique_ptr<Replica>> Replica::Create(ReplicaOptions options) {
  COLEND_RETURN_IF_ERROR(options.params.Validate());
  if (!options.validators || !options.signer || !options.verifier) {
    return Status::InvalidArgument("replica needs a validator set, a signer and a verifier");
  }
  if (!options.validators->Contains(options.self) && !options.observer) {
    return Status::InvalidArgument("'" + options.self + "' is not in the validator set");
  }
  if (options.chain_id.empty()) return Status::InvalidArgument("chain id is empty");
  return std::unique_ptr<Replica>(new Replica(std::make_unique<Impl>(std::move(options))));
}

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replica::~Replica() = default;

Result<Actions> Replica::Recover(std::uint64_t now_ms, const RecoveryState& state) {
  return impl_->Recover(now_ms, state);
}
Actions Replica::OnMessage(std::uint64_t now_ms, const proto::ConsensusEnvelope& envelope) {
  return impl_->OnMessage(now_ms, envelope);
}
Actions Replica::OnTimeout(std::uint64_t now_ms, TimerId timer) {
  return impl_->OnTimeout(now_ms, timer);
}
Actions Replica::OnPoolChanged(std::uint64_t now_ms, PoolStatus pool) {
  return impl_->OnPoolChanged(now_ms, pool);
}
Actions Replica::OnProposal(std::uint64_t now_ms, std::uint64_t height,
                            std::vector<std::string> transactions) {
  return impl_->OnProposal(now_ms, height, std::move(transactions));
}
Actions Replica::OnBlockExecuted(std::uint64_t now_ms, std::uint64_t height,
                                 const crypto::Digest& state_root,
                                 const crypto::Digest& receipts_root, std::uint64_t epoch_end) {
  return impl_->OnBlockExecuted(now_ms, height, state_root, receipts_root, epoch_end);
}
Result<Actions> Replica::OnSyncedBlock(std::uint64_t now_ms, const proto::CertifiedBlock& block) {
  return impl_->OnSyncedBlock(now_ms, block);
}
Actions Replica::OnProposalChecked(std::uint64_t now_ms, std::uint64_t view,
                                   std::uint64_t sequence, const crypto::Digest& block_hash,
                                   const Status& verdict) {
  return impl_->OnProposalChecked(now_ms, view, sequence, block_hash, verdict);
}
ReplicaStatus Replica::status() const {
  return impl_->status();
}
const ReplicaCounters& Replica::counters() const {
  return impl_->counters();
}

// --- Impl: inputs and plumbing ------------------------------------------------------------

Replica::Impl::Impl(ReplicaOptions options)
    : options_(std::move(options)),
      validators_(options_.validators),
      context_{options_.chain_id, options_.hash, validators_.get(), options_.verifier.get(),
               options_.genesis.epoch},
      genesis_{options_.genesis.hash,
               options_.genesis.height == 0 ? options_.genesis.state_root
                                            : options_.genesis.base_state_root,
               options_.genesis.height},
      pacemaker_(options_.params),
      observer_(options_.observer || !validators_->Contains(options_.self)) {
  // The epoch's base block is final: the first stable checkpoint and the first committed
  // block (Recover moves both up from the node's chain and WAL).
  stable_.sequence = genesis_.sequence;
  stable_.block_hash = genesis_.hash;
  stable_.state_root = genesis_.state_root;
  low_ = genesis_.sequence;
  committed_height_ = genesis_.sequence;
  executed_height_ = genesis_.sequence;
  committed_hash_ = options_.genesis.hash;
  committed_timestamp_ = options_.genesis.timestamp_ms;
  epoch_end_ = options_.epoch_end > genesis_.sequence ? options_.epoch_end : 0;
}

void Replica::Impl::Begin(std::uint64_t now) {
  out_.clear();
  now_ = now;
  index_height_ = committed_height_;
}

Actions Replica::Impl::Finish() {
  Settle();
  Actions out;
  out.swap(out_);
  return out;
}

Actions Replica::Impl::OnMessage(std::uint64_t now, const proto::ConsensusEnvelope& envelope) {
  Begin(now);
  ++counters_.messages;
  if (!recovered_) {
    ++counters_.bad_inputs;
    return {};
  }
  std::variant<OpenedMessage, RefusedEnvelope> checked = CheckEnvelope(envelope, context_);
  if (const auto* refused = std::get_if<RefusedEnvelope>(&checked)) {
    CountRefusal(refused->reason);
    return Finish();
  }
  Dispatch(std::get<OpenedMessage>(std::move(checked)));
  return Finish();
}

void Replica::Impl::CountRefusal(EnvelopeRefusal reason) {
  switch (reason) {
    case EnvelopeRefusal::kUnknownSender:
      ++counters_.unknown_sender;
      return;
    case EnvelopeRefusal::kBadSignature:
      ++counters_.bad_signature;
      return;
    case EnvelopeRefusal::kWrongChain:
      ++counters_.wrong_chain;
      return;
    case EnvelopeRefusal::kWrongEpoch:
      ++counters_.wrong_epoch;
      return;
    case EnvelopeRefusal::kMalformed:
      break;
  }
  ++counters_.malformed;
}

namespace {

// Views grow by one per failed view change (at most one per second or so); anything near
// 2^64 is forged, and refusing it keeps `view + 1` from ever wrapping.
constexpr std::uint64_t kMaxView = std::uint64_t{1} << 62;

std::uint64_t ViewOf(const proto::ConsensusMessage& m) {
  switch (m.payload_case()) {
    case proto::ConsensusMessage::kPrePrepare:
      return m.pre_prepare().view();
    case proto::ConsensusMessage::kPrepare:
      return m.prepare().view();
    case proto::ConsensusMessage::kCommit:
      return m.commit().view();
    case proto::ConsensusMessage::kViewChange:
      return m.view_change().new_view();
    case proto::ConsensusMessage::kNewView:
      return m.new_view().view();
    default:
      return 0;
  }
}

}  // namespace

void Replica::Impl::Dispatch(OpenedMessage message) {
  if (ViewOf(message.message) >= kMaxView) {
    ++counters_.malformed;
    return;
  }
  if (observer_) {
    // An observer takes part in nothing; COMMIT quorums tell it which blocks are final and
    // CHECKPOINTs how far the members have executed, and it fetches those blocks by sync.
    if (message.message.has_commit()) HandleCommit(message);
    if (message.message.has_checkpoint()) HandleCheckpoint(message);
    return;
  }
  switch (message.message.payload_case()) {
    case proto::ConsensusMessage::kPrePrepare:
    case proto::ConsensusMessage::kPrepare:
    case proto::ConsensusMessage::kCommit:
    case proto::ConsensusMessage::kNewView:
      FollowPeersAhead(message.sender(), ViewOf(message.message));
      break;
    default:
      break;
  }
  switch (message.message.payload_case()) {
    case proto::ConsensusMessage::kPrePrepare:
      HandlePrePrepare(std::move(message));
      break;
    case proto::ConsensusMessage::kPrepare:
      HandlePrepare(message);
      break;
    case proto::ConsensusMessage::kCommit:
      HandleCommit(message);
      break;
    case proto::ConsensusMessage::kCheckpoint:
      HandleCheckpoint(message);
      break;
    case proto::ConsensusMessage::kViewChange:
      HandleViewChange(message);
      break;
    case proto::ConsensusMessage::kNewView:
      HandleNewView(message);
      break;
    case proto::ConsensusMessage::PAYLOAD_NOT_SET:
      ++counters_.malformed;
      break;
  }
}

Actions Replica::Impl::OnTimeout(std::uint64_t now, TimerId timer) {
  Begin(now);
  if (!recovered_) return {};
  switch (timer) {
    case TimerId::kViewChange:
      if (pacemaker_.TakeViewChangeTimeout(now, out_)) OnViewChangeTimeout();
      break;
    case TimerId::kBatch:
      if (pacemaker_.TakeBatchTimeout(now, out_)) batch_due_ = true;
      break;
  }
  return Finish();
}

Actions Replica::Impl::OnPoolChanged(std::uint64_t now, PoolStatus pool) {
  Begin(now);
  if (!recovered_) return {};
  pool_ = pool;
  return Finish();
}

Actions Replica::Impl::OnProposalChecked(std::uint64_t now, std::uint64_t view,
                                         std::uint64_t sequence, const crypto::Digest& hash,
                                         const Status& verdict) {
  Begin(now);
  if (!recovered_) return {};
  const auto it = deferred_.find(std::make_pair(view, sequence));
  if (it == deferred_.end() || !it->second.checking || it->second.block->hash != hash) {
    ++counters_.stale;  // the view moved on, or the slot was settled meanwhile
    return Finish();
  }
  it->second.checking = false;
  if (!verdict.ok()) {
    ++counters_.invalid_proposals;
    deferred_.erase(it);
    return Finish();
  }
  it->second.checked = true;  // RetryDeferred (in Settle) accepts it if it still fits
  return Finish();
}

ReplicaStatus Replica::Impl::status() const {
  ReplicaStatus status;
  status.view = view_;
  status.view_active = active_;
  status.primary = IsPrimary(view_);
  status.low_watermark = low_;
  status.high_watermark = high();
  status.committed_height = committed_height_;
  status.executed_height = executed_height_;
  status.epoch = context_.epoch;
  status.epoch_base = base();
  status.epoch_end = epoch_end_;
  status.observer = observer_;
  return status;
}

void Replica::Impl::Persist(proto::ConsensusWalRecord record, WalKey key) {
  if (observer_) return;  // signs nothing, so has nothing it must not forget
  record.set_epoch(context_.epoch);
  Emit(PersistAction{std::move(record), key});
}

void Replica::Impl::PersistView(std::uint64_t view) {
  proto::ConsensusWalRecord record;
  record.set_view(view);
  Persist(std::move(record), WalKey{WalKind::kView, view, 0});
}

proto::ConsensusMessage Replica::Impl::NewMessage() const {
  proto::ConsensusMessage message;
  message.set_chain_id(options_.chain_id);
  message.set_epoch(context_.epoch);
  return message;
}

std::optional<proto::ConsensusEnvelope> Replica::Impl::Seal(
    const proto::ConsensusMessage& message) {
  if (observer_) return std::nullopt;  // an observer never signs
  Result<proto::ConsensusEnvelope> sealed = SealMessage(message, self(), *options_.signer);
  if (!sealed.ok()) {
    ++counters_.bad_inputs;
    return std::nullopt;
  }
  return std::move(sealed).value();
}

Slot* Replica::Impl::FindSlot(std::uint64_t sequence) {
  const auto it = slots_.find(sequence);
  return it == slots_.end() ? nullptr : &it->second;
}

const Slot* Replica::Impl::FindSlot(std::uint64_t sequence) const {
  const auto it = slots_.find(sequence);
  return it == slots_.end() ? nullptr : &it->second;
}

// After every input: follow the consequences (prepared -> COMMIT -> committed -> the next
// height's parent is anchored -> deferred PRE-PREPAREs become acceptable ...) until nothing
// changes, then decide about proposing and the view-change timer. Each pass walks the
// window once; the window is small, and this keeps every rule in one obvious order.
void Replica::Impl::Settle() {
  for (int round = 0; round < 1000; ++round) {
    bool progress = false;
    if (active_) progress |= PrepareWhatWeCan();
    progress |= CommitWhatWeCan();
    if (active_) progress |= RetryDeferred();
    if (!progress) break;
  }
  MaybePropose();
  UpdateViewChangeTimer();
}

bool Replica::Impl::HasPendingWork() const {
  if (pool_.pending_txs > 0) return true;
  // The epoch must reach its end (with fillers if need be) for the next set to start.
  if (epoch_end_ != 0 && committed_height_ < epoch_end_) return true;
  // A PRE-PREPARE waiting for its parent in this view is work; one parked for a later view
  // is not (else the next view's primary alone could push an idle chain into its view).
  for (const auto& [key, deferred] : deferred_) {
    if (key.first == view_) return true;
  }
  for (auto it = slots_.upper_bound(committed_height_); it != slots_.end(); ++it) {
    if (!it->second.accepted.empty()) return true;
  }
  return false;
}

// Liveness: the timer runs while the replica waits for something (a transaction in the pool,
// a proposal not yet committed, a view not yet started) and is restarted on every commit
// (CommitBlock cancels it; this re-arms it with a fresh deadline).
void Replica::Impl::UpdateViewChangeTimer() {
  const bool restart = restart_view_change_timer_;
  restart_view_change_timer_ = false;
  if (observer_) {
    pacemaker_.CancelViewChange(out_);  // an observer never asks for a view change
  } else if (!active_) {
    pacemaker_.EnsureViewChange(now_, out_);  // waiting for a view: the timer always runs
  } else if (HasPendingWork()) {
    if (restart) {
      pacemaker_.ArmViewChange(now_, out_);
    } else {
      pacemaker_.EnsureViewChange(now_, out_);
    }
  } else {
    pacemaker_.CancelViewChange(out_);
  }
}

}  // namespace colend::consensus
