// Checkpoints (stable at a quorum: move the low watermark, drop the old log), execution
// results, and catching up through sync.
#include <algorithm>
#include <utility>

#include "colend/consensus/certificates.h"
#include "replica_impl.h"

namespace colend::consensus {

Actions Replica::Impl::OnBlockExecuted(std::uint64_t now, std::uint64_t height,
                                       const crypto::Digest& state,
                                       const crypto::Digest& receipts,
                                       std::uint64_t epoch_end) {
  Begin(now);
  if (!recovered_ || height == 0 || height > committed_height_) {
    ++counters_.bad_inputs;
    return Finish();
  }
  roots_[height] = safety::ExpectedRoots{state, receipts};
  if (height <= executed_height_) return Finish();  // reported again (after a restart)
  executed_height_ = height;
  // A validator-set change decided by this block ends the epoch G - 1 blocks later; a
  // second change before that end belongs to the next epoch (safety.cc, "Epochs").
  if (epoch_end != 0 && epoch_end_ == 0 && epoch_end >= height) epoch_end_ = epoch_end;
  if (height % params().checkpoint_period == 0 && height > low_) SendCheckpoint(height);
  return Finish();
}

void Replica::Impl::SendCheckpoint(std::uint64_t height) {
  const auto hash = committed_hashes_.find(height);
  if (hash == committed_hashes_.end()) return;
  const crypto::Digest& root = roots_.at(height).state_root;
  proto::ConsensusMessage message = NewMessage();
  proto::Checkpoint* checkpoint = message.mutable_checkpoint();
  checkpoint->set_sequence(height);
  checkpoint->set_state_root(DigestBytes(root));
  checkpoint->set_block_hash(DigestBytes(hash->second));
  const std::optional<proto::ConsensusEnvelope> envelope = Seal(message);
  if (!envelope.has_value()) return;
  proto::ConsensusWalRecord record;
  *record.mutable_sent() = *envelope;
  Persist(std::move(record), WalKey{WalKind::kSent, 0, height});
  Broadcast(*envelope);
  own_checkpoints_[height] = *envelope;
  AddCheckpointVote(height, root, hash->second, *envelope);
}

void Replica::Impl::HandleCheckpoint(const OpenedMessage& message) {
  const proto::Checkpoint& checkpoint = message.message.checkpoint();
  const std::uint64_t sequence = checkpoint.sequence();
  const std::optional<crypto::Digest> root = DigestFromBytes(checkpoint.state_root());
  const std::optional<crypto::Digest> hash = DigestFromBytes(checkpoint.block_hash());
  if (!root || !hash || sequence == 0 || sequence % params().checkpoint_period != 0) {
    ++counters_.malformed;
    return;
  }
  NoteExecutedEvidence(message.sender(), sequence);
  if (sequence <= low_) {
    ++counters_.stale;
    return;
  }
  if (sequence > std::max(high(), committed_height_ + params().window)) {
    ++counters_.out_of_window;
    return;
  }
  for (const auto& [key, votes] : checkpoint_votes_[sequence]) {
    if (votes.count(message.sender()) == 0) continue;
    if (key == CheckpointKey{*root, *hash}) {
      ++counters_.duplicates;
    } else {
      ++counters_.equivocations;
    }
    return;
  }
  AddCheckpointVote(sequence, *root, *hash, message.envelope);
}

void Replica::Impl::AddCheckpointVote(std::uint64_t sequence, const crypto::Digest& root,
                                      const crypto::Digest& hash,
                                      const proto::ConsensusEnvelope& envelope) {
  VoteBook::Votes& votes = checkpoint_votes_[sequence][CheckpointKey{root, hash}];
  votes.emplace(envelope.sender(), envelope);
  if (votes.size() < validators_->quorum()) return;
  CheckpointSummary stable;
  stable.sequence = sequence;
  stable.block_hash = hash;
  stable.state_root = root;
  stable.certificate.set_sequence(sequence);
  for (const auto& [sender, vote] : votes) {
    if (static_cast<std::size_t>(stable.certificate.checkpoints_size()) >= validators_->quorum()) {
      break;
    }
    *stable.certificate.add_checkpoints() = vote;
  }
  AdoptCheckpoint(stable, true);
}

void Replica::Impl::AdoptCheckpoint(const CheckpointSummary& checkpoint, bool persist) {
  if (checkpoint.sequence <= low_) return;
  if (const auto it = committed_hashes_.find(checkpoint.sequence);
      it != committed_hashes_.end() && it->second != checkpoint.block_hash) {
    ++counters_.conflicts;  // a quorum disagrees with this replica's chain: > f faulty
    return;
  }
  low_ = checkpoint.sequence;
  stable_ = checkpoint;
  if (persist) {
    proto::ConsensusWalRecord record;
    *record.mutable_stable_checkpoint() = checkpoint.certificate;
    Persist(std::move(record), WalKey{WalKind::kStableCheckpoint, 0, checkpoint.sequence});
  }
  ++counters_.stable_checkpoints;
  CollectGarbage();
  Emit(CompactWalAction{low_, view_});
  if (committed_height_ < low_) {
    std::vector<std::string> peers;
    for (const proto::ConsensusEnvelope& vote : checkpoint.certificate.checkpoints()) {
      if (vote.sender() != self()) peers.push_back(vote.sender());
    }
    RequestSync(low_, std::move(peers));
  }
}

// Everything at or below the stable checkpoint is settled: a quorum executed it, and a
// VIEW-CHANGE now proves it with the checkpoint certificate instead of the log.
void Replica::Impl::CollectGarbage() {
  slots_.erase(slots_.begin(), slots_.upper_bound(low_));
  checkpoint_votes_.erase(checkpoint_votes_.begin(), checkpoint_votes_.upper_bound(low_));
  own_checkpoints_.erase(own_checkpoints_.begin(), own_checkpoints_.upper_bound(low_));
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    it = it->first.second <= low_ ? deferred_.erase(it) : std::next(it);
  }
  // Roots are needed for proposals above low (h - L) and for checkpoints not yet sent.
  const std::uint64_t keep_roots = std::min(
      low_ + 1 > params().execution_lag ? low_ + 1 - params().execution_lag : 0, executed_height_);
  roots_.erase(roots_.begin(), roots_.lower_bound(keep_roots));
  committed_hashes_.erase(committed_hashes_.begin(),
                          committed_hashes_.lower_bound(std::min(low_, committed_height_)));
}

void Replica::Impl::RebroadcastCheckpoints() {
  for (const auto& [sequence, envelope] : own_checkpoints_) Broadcast(envelope);
}

// Catching up: CHECKPOINTs above our committed height from f + 1 validators include an
// honest one, which has executed that far: blocks up to there can be fetched.
void Replica::Impl::NoteExecutedEvidence(const std::string& sender, std::uint64_t sequence) {
  std::uint64_t& highest = executed_evidence_[sender];
  highest = std::max(highest, sequence);
  std::vector<std::pair<std::uint64_t, std::string>> ahead;
  for (const auto& [peer, height] : executed_evidence_) {
    if (peer != self() && height > committed_height_) ahead.emplace_back(height, peer);
  }
  const std::size_t needed = validators_->max_faulty() + 1;
  if (ahead.size() < needed) return;
  std::sort(ahead.begin(), ahead.end(), std::greater<>());
  std::vector<std::string> peers;
  for (std::size_t i = 0; i < needed; ++i) peers.push_back(ahead[i].second);
  RequestSync(ahead[needed - 1].first, std::move(peers));
}

void Replica::Impl::RequestSync(std::uint64_t target, std::vector<std::string> peers) {
  if (target <= committed_height_) return;
  // The same request again only after a while (the node keeps trying on its own).
  if (target <= sync_target_ && now_ < sync_requested_at_ + params().view_change_timeout_ms) {
    return;
  }
  sync_target_ = std::max(sync_target_, target);
  sync_requested_at_ = now_;
  ++counters_.sync_requests;
  Emit(RequestSyncAction{sync_target_, std::move(peers)});
}

Result<Actions> Replica::Impl::OnSyncedBlock(std::uint64_t now,
                                             const proto::CertifiedBlock& certified) {
  if (!recovered_) return Status::FailedPrecondition("Recover first");
  Begin(now);
  const proto::CommitCertificate& certificate = certified.certificate();
  const std::uint64_t height = certificate.height();
  if (height <= committed_height_) return Finish();
  if (height != committed_height_ + 1) {
    return Status::OutOfRange("synced block at height " + std::to_string(height) + ", expected " +
                              std::to_string(committed_height_ + 1));
  }
  if (BeyondEpoch(height)) {
    return Status::OutOfRange("synced block at height " + std::to_string(height) +
                              " belongs to the next validator epoch");
  }
  // Which set certifies the block is known only once s - G is executed (R1').
  if (height > executed_height_ + params().EpochDelay()) {
    return Status::Unavailable("block " + std::to_string(height - params().EpochDelay()) +
                               " is not executed yet: the validator set of height " +
                               std::to_string(height) + " is not known");
  }
  COLEND_RETURN_IF_ERROR(VerifyCommitCertificate(certificate, certified.block(), *validators_,
                                                 options_.chain_id, options_.hash,
                                                 *options_.verifier, context_.epoch));
  Result<ParsedBlock> parsed = ParseBlock(certified.block(), options_.chain_id, options_.hash);
  if (!parsed.ok()) return parsed.status();
  if (parsed->header.parent_hash() != DigestBytes(committed_hash_)) {
    ++counters_.conflicts;
    return Status::InvalidArgument("synced block does not extend the committed chain");
  }
  if (height == low_ && parsed->hash != stable_.block_hash) {
    ++counters_.conflicts;
    return Status::InvalidArgument("synced block contradicts the stable checkpoint");
  }
  ++counters_.synced_blocks;
  CommitBlock(height, std::make_shared<const ParsedBlock>(std::move(parsed).value()), certificate);
  return Finish();
}

}  // namespace colend::consensus
