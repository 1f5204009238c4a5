// Recover: rebuild a replica from its WAL and the node's committed chain, so that after a
// crash it never signs anything that contradicts what it signed before (safety.cc,
// "Restarts").
#include <algorithm>
#include <utility>

#include "replica_impl.h"

namespace colend::consensus {

Status Replica::Impl::RestoreCommitted(const RecoveryState& state) {
  if (state.committed_height < base()) {
    return Status::InvalidArgument("committed height " + std::to_string(state.committed_height) +
                                   " is below the epoch's base block " +
                                   std::to_string(base()));
  }
  committed_height_ = state.committed_height;
  if (committed_height_ > 0) {
    if (state.committed_headers.empty()) {
      return Status::InvalidArgument("a committed height needs at least its header");
    }
    for (const std::string& bytes : state.committed_headers) {
      proto::BlockHeader header;
      if (!header.ParseFromString(bytes)) {
        return Status::Corruption("committed header does not parse");
      }
      committed_hashes_[header.height()] = BlockHash(options_.hash, bytes);
      if (header.height() == committed_height_) {
        committed_hash_ = committed_hashes_[header.height()];
        committed_timestamp_ = header.timestamp_ms();
      }
    }
    if (!committed_hashes_.count(committed_height_)) {
      return Status::InvalidArgument("the last committed header is not at the committed height");
    }
    if (state.committed_certificate.has_value() &&
        state.committed_certificate->height() == committed_height_ &&
        state.committed_certificate->block_hash() == DigestBytes(committed_hash_)) {
      committed_certificate_ = state.committed_certificate;
    }
  }
  for (const ExecutedRoots& executed : state.executed) {
    roots_[executed.height] = safety::ExpectedRoots{executed.state_root, executed.receipts_root};
    executed_height_ = std::max(executed_height_, executed.height);
  }
  return Status::Ok();
}

// What the WAL says, parsed and checked.
struct Replica::Impl::WalContents {
  std::uint64_t max_view = 0;
  std::optional<CheckpointSummary> stable;
  std::vector<PreparedSummary> prepared;
  std::vector<OpenedMessage> sent;
  // Filled by RestoreLog:
  bool acted_in_view = false;  // signed or prepared something in max_view
  std::uint64_t top_proposed = 0;
  std::vector<proto::ConsensusEnvelope> resend;
  std::optional<OpenedMessage> own_view_change;  // for max_view
  std::optional<OpenedMessage> own_new_view;     // for max_view
};

Result<Actions> Replica::Impl::Recover(std::uint64_t now, const RecoveryState& state) {
  if (recovered_) return Status::FailedPrecondition("Recover called twice");
  Begin(now);
  COLEND_RETURN_IF_ERROR(RestoreCommitted(state));
  WalContents wal;
  COLEND_RETURN_IF_ERROR(ReadWal(state, wal));
  recovered_ = true;
  view_ = wal.max_view;
  if (wal.stable.has_value() && wal.stable->sequence > base()) {
    low_ = wal.stable->sequence;
    stable_ = *wal.stable;
  }
  CollectGarbage();
  COLEND_RETURN_IF_ERROR(RestoreLog(wal));
  COLEND_RETURN_IF_ERROR(ResumeView(wal));
  if (active_) {
    for (const proto::ConsensusEnvelope& envelope : wal.resend) Broadcast(envelope);
  }
  RebroadcastCheckpoints();
  if (committed_height_ < low_) RequestSync(low_, {});
  return Finish();
}

Status Replica::Impl::ReadWal(const RecoveryState& state, WalContents& wal) {
  for (const proto::ConsensusWalRecord& record : state.records) {
    // Another epoch's entry is obsolete (the node deletes them at the switch; a crash may
    // leave some): its votes bind nothing in this epoch.
    if (record.epoch() != context_.epoch) continue;
    switch (record.entry_case()) {
      case proto::ConsensusWalRecord::kView:
        wal.max_view = std::max(wal.max_view, record.view());
        break;
      case proto::ConsensusWalRecord::kSent: {
        Result<OpenedMessage> opened = OpenEnvelope(record.sent(), context_);
        if (!opened.ok() || opened->sender() != self()) {
          return Status::Corruption("WAL holds a message this replica did not sign");
        }
        const proto::ConsensusMessage& m = opened->message;
        if (m.has_view_change()) wal.max_view = std::max(wal.max_view, m.view_change().new_view());
        if (m.has_new_view()) wal.max_view = std::max(wal.max_view, m.new_view().view());
        wal.sent.push_back(std::move(opened).value());
        break;
      }
      case proto::ConsensusWalRecord::kPrepared: {
        Result<PreparedSummary> prepared = VerifyPreparedCertificate(record.prepared(), context_);
        if (!prepared.ok()) return Status::Corruption("WAL prepared certificate is invalid");
        wal.prepared.push_back(std::move(prepared).value());
        break;
      }
      case proto::ConsensusWalRecord::kStableCheckpoint: {
        Result<CheckpointSummary> checkpoint = VerifyCheckpointCertificate(
            record.stable_checkpoint(), context_, genesis_, params().checkpoint_period);
        if (!checkpoint.ok()) return Status::Corruption("WAL checkpoint certificate is invalid");
        if (!wal.stable || wal.stable->sequence < checkpoint->sequence) {
          wal.stable = std::move(checkpoint).value();
        }
        break;
      }
      case proto::ConsensusWalRecord::ENTRY_NOT_SET:
        return Status::Corruption("empty WAL record");
    }
  }
  return Status::Ok();
}

// Prepared certificates (what a VIEW-CHANGE must still carry) and every message signed
// (never sign differently; send again what may not have arrived).
Status Replica::Impl::RestoreLog(WalContents& wal) {
  for (PreparedSummary& prepared : wal.prepared) {
    if (prepared.sequence <= low_) continue;
    // The WAL keeps the body with the PRE-PREPARE (the parsed block has it); quoted, it
    // goes without.
    prepared.certificate.mutable_pre_prepare()->clear_transactions();
    Slot& slot = SlotAt(prepared.sequence);
    slot.prepared_views.insert(prepared.view);
    wal.acted_in_view |= prepared.view == view_;
    if (!slot.accepted.count(prepared.view)) {
      slot.accepted[prepared.view] =
          AcceptedProposal{prepared.certificate.pre_prepare(), prepared.block, false};
    }
    if (!slot.best_prepared || slot.best_prepared->view < prepared.view) {
      slot.best_prepared = std::move(prepared);
    }
  }
  for (OpenedMessage& sent : wal.sent) {
    const proto::ConsensusMessage& m = sent.message;
    if (m.has_pre_prepare() || m.has_prepare() || m.has_commit()) {
      COLEND_RETURN_IF_ERROR(RestoreVote(sent, wal));
    } else if (m.has_checkpoint()) {
      const std::uint64_t sequence = m.checkpoint().sequence();
      const auto root = DigestFromBytes(m.checkpoint().state_root());
      const auto hash = DigestFromBytes(m.checkpoint().block_hash());
      if (!root || !hash) return Status::Corruption("WAL CHECKPOINT is malformed");
      if (sequence <= low_) continue;
      own_checkpoints_[sequence] = sent.envelope;
      checkpoint_votes_[sequence][CheckpointKey{*root, *hash}].emplace(self(), sent.envelope);
    } else if (m.has_view_change() && m.view_change().new_view() == view_) {
      wal.own_view_change = std::move(sent);
    } else if (m.has_new_view() && m.new_view().view() == view_) {
      wal.own_new_view = std::move(sent);
    }
  }
  return Status::Ok();
}

// A PRE-PREPARE (as primary), PREPARE or COMMIT this replica signed.
Status Replica::Impl::RestoreVote(const OpenedMessage& sent, WalContents& wal) {
  const proto::ConsensusMessage& m = sent.message;
  const std::uint64_t view = m.has_pre_prepare() ? m.pre_prepare().view()
                             : m.has_prepare()   ? m.prepare().view()
                                                 : m.commit().view();
  const std::uint64_t sequence = m.has_pre_prepare() ? m.pre_prepare().sequence()
                                 : m.has_prepare()   ? m.prepare().sequence()
                                                     : m.commit().sequence();
  if (sequence <= low_) return Status::Ok();
  wal.acted_in_view |= view == view_;
  Slot& slot = SlotAt(sequence);
  if (m.has_pre_prepare()) {
    Result<ParsedBlock> block =
        ParseProposedBlock(m.pre_prepare(), sent.envelope, options_.chain_id, options_.hash);
    if (!block.ok() || !block->has_body) {
      return Status::Corruption("WAL PRE-PREPARE block is invalid");
    }
    slot.accepted[view] =
        AcceptedProposal{WithoutTransactions(sent.envelope),
                         std::make_shared<const ParsedBlock>(std::move(block).value()), false};
    if (view == view_) wal.top_proposed = std::max(wal.top_proposed, sequence);
  } else {
    const std::optional<crypto::Digest> hash =
        DigestFromBytes(m.has_prepare() ? m.prepare().block_hash() : m.commit().block_hash());
    if (!hash) return Status::Corruption("WAL vote without a block hash");
    auto& sent_votes = m.has_prepare() ? slot.sent_prepare : slot.sent_commit;
    VoteBook& book = m.has_prepare() ? slot.prepares : slot.commits;
    sent_votes[view] = *hash;
    book.Add(view, *hash, self(), sent.envelope);
  }
  if (view == view_ && sequence > committed_height_) wal.resend.push_back(sent.envelope);
  return Status::Ok();
}

// Which view to act in (safety.cc, "Restarts"): view 0 needs no NEW-VIEW; a primary that
// sent NEW-VIEW re-enters with it; otherwise wait for NEW-VIEW(view_) with the VIEW-CHANGE
// already sent, or, if this replica may have acted inside view_ (so a VIEW-CHANGE for it
// would have to leave things out), ask for the next view.
Status Replica::Impl::ResumeView(WalContents& wal) {
  if (view_ == 0) {
    active_ = true;
    chain_top_ = wal.top_proposed;
  } else if (wal.own_new_view.has_value()) {
    Result<safety::VerifiedNewView> verified =
        safety::VerifyNewView(*wal.own_new_view, context_, genesis_, params());
    if (!verified.ok()) return Status::Corruption("WAL NEW-VIEW is invalid");
    active_ = false;
    EnterView(*verified);
    chain_top_ = std::max(chain_top_, wal.top_proposed);
    Broadcast(wal.own_new_view->envelope);
  } else if (wal.own_view_change.has_value()) {
    Result<ViewChangeSummary> summary = VerifyViewChange(
        *wal.own_view_change, context_, genesis_, params().checkpoint_period, params().window);
    if (!summary.ok()) return Status::Corruption("WAL VIEW-CHANGE is invalid");
    active_ = false;
    own_view_change_ = wal.own_view_change->envelope;
    view_changes_[self()] = std::move(summary).value();
    Broadcast(*own_view_change_);
    pacemaker_.ArmViewChange(now_, out_);
  } else if (wal.acted_in_view) {
    active_ = true;
    StartViewChange(view_ + 1);
  } else {
    active_ = false;
    SendViewChange();
    pacemaker_.ArmViewChange(now_, out_);
  }
  return Status::Ok();
}

}  // namespace colend::consensus
