// The normal case: PRE-PREPARE, PREPARE, COMMIT, and handing out commits in height order.
// Each decision that could fork the chain is a call into safety.h (Rules 1-4).
#include <algorithm>
#include <utility>

#include "colend/common/check.h"
#include "colend/consensus/certificates.h"
#include "replica_impl.h"

namespace colend::consensus {
namespace {

// PRE-PREPAREs at most this many times MaxInFlight above the committed height are parked
// (deferred); higher ones make the replica sync instead.
constexpr std::uint64_t kParkDepth = 3;

}  // namespace

void Replica::Impl::HandlePrePrepare(OpenedMessage message) {
  const proto::PrePrepare& pp = message.message.pre_prepare();
  const std::uint64_t view = pp.view();
  const std::uint64_t sequence = pp.sequence();
  if (message.sender() != validators_->Primary(view)) {
    ++counters_.not_from_primary;
    return;
  }
  if (view < view_ || sequence <= low_) {
    ++counters_.stale;
    return;
  }
  if (sequence > high() || view > view_ + 1) {
    ++counters_.out_of_window;
    return;
  }
  if (BeyondEpoch(sequence)) {
    ++counters_.beyond_epoch;  // the next epoch's set orders it (safety.cc, E1)
    return;
  }
  Result<ParsedBlock> parsed =
      ParseProposedBlock(pp, message.envelope, options_.chain_id, options_.hash);
  if (!parsed.ok() || !parsed->has_body) {
    // A proposal comes with its transactions; only quoted PRE-PREPAREs come without.
    ++counters_.invalid_proposals;
    return;
  }
  // The parsed block holds the transactions from here on; the envelope is kept as evidence.
  message.envelope.clear_transactions();
  // Sizes first, before anything is parked: a block over the limits is refused whatever
  // else holds (Rule 1), and parking is bounded in height too, so a faulty primary cannot
  // make this replica hold more than a few blocks' worth of its messages.
  if (parsed->header.tx_count() > params().max_block_txs ||
      parsed->tx_bytes > params().max_block_bytes) {
    ++counters_.invalid_proposals;
    return;
  }
  if (sequence > committed_height_ + kParkDepth * params().MaxInFlight()) {
    ++counters_.out_of_window;
    RequestSync(sequence - params().MaxInFlight(), {message.sender()});
    return;
  }
  BlockRef block = std::make_shared<const ParsedBlock>(std::move(parsed).value());
  if (view > view_ || !active_) {
    // Its view has not started here (NEW-VIEW not seen yet): park it.
    if (view == view_) AskForNewView(message.sender(), view);
    Defer(std::move(message), std::move(block));
    return;
  }
  if (sequence <= reproposal_top_) {
    // Fixed by this view's NEW-VIEW; a second PRE-PREPARE here contradicts it (Rule 1).
    bool same = false;
    if (const Slot* slot = FindSlot(sequence); slot != nullptr) {
      const auto it = slot->accepted.find(view);
      same = it != slot->accepted.end() && it->second.block->hash == block->hash;
    }
    if (same) {
      ++counters_.duplicates;
    } else {
      ++counters_.equivocations;
    }
    return;
  }
  const Outcome outcome = AcceptFresh(message, block, now_, /*checked=*/false);
  if (outcome == Outcome::kDeferred || outcome == Outcome::kNeedsCheck) {
    Defer(std::move(message), std::move(block), outcome == Outcome::kDeferred);
    if (outcome == Outcome::kNeedsCheck) {
      const auto it = deferred_.find(std::make_pair(view, sequence));
      if (it != deferred_.end() && !it->second.checking && !it->second.checked) {
        RequestCheck(view, sequence, it->second);
      }
    }
  }
}

void Replica::Impl::RequestCheck(std::uint64_t view, std::uint64_t sequence, Deferred& entry) {
  entry.checking = true;
  ++counters_.proposal_checks;
  CheckProposalAction check;
  check.view = view;
  check.sequence = sequence;
  check.block_hash = entry.block->hash;
  check.block = std::shared_ptr<const proto::Block>(entry.block, &entry.block->block);
  Emit(std::move(check));
}

void Replica::Impl::Defer(OpenedMessage message, BlockRef block, bool count) {
  const proto::PrePrepare& pp = message.message.pre_prepare();
  const auto key = std::make_pair(pp.view(), pp.sequence());
  const auto it = deferred_.find(key);
  if (it != deferred_.end()) {
    if (it->second.block->hash == block->hash) {
      ++counters_.duplicates;
    } else {
      ++counters_.equivocations;
    }
    return;
  }
  if (count) ++counters_.deferred;
  deferred_.emplace(key, Deferred{std::move(message), std::move(block), now_});
}

// Rule 1 for a fresh proposal in the current view.
Replica::Impl::Outcome Replica::Impl::AcceptFresh(const OpenedMessage& message,
                                                  const BlockRef& block, std::uint64_t arrival_ms,
                                                  bool checked) {
  const proto::PrePrepare& pp = message.message.pre_prepare();
  const std::uint64_t view = pp.view();
  const std::uint64_t sequence = pp.sequence();
  if (const Slot* slot = FindSlot(sequence); slot != nullptr) {
    const auto it = slot->accepted.find(view);
    if (it != slot->accepted.end()) {
      if (it->second.block->hash == block->hash) {
        ++counters_.duplicates;
      } else {
        ++counters_.equivocations;
      }
      return Outcome::kRejected;
    }
  }
  if (sequence <= committed_height_) {
    const auto it = committed_hashes_.find(sequence);
    if (it == committed_hashes_.end() || it->second != block->hash) {
      ++counters_.conflicts;  // a different block where this replica has one committed
      return Outcome::kRejected;
    }
  }
  // Not too far ahead of this replica's own commits (ConsensusParams::MaxInFlight): it waits
  // until the replica has committed more, which bounds what its VIEW-CHANGE can quote.
  if (sequence > committed_height_ + params().MaxInFlight()) {
    // The primary could only propose this far after executing sequence - L: the blocks
    // below are committed somewhere. Fetch them rather than wait (a replica that was paused
    // or slow would otherwise defer every proposal and drop out of the view).
    RequestSync(sequence - params().MaxInFlight(), {message.sender()});
    return Outcome::kDeferred;
  }
  // R1' (safety.cc, "Epochs"): executed s - G, so this replica knows whether a validator-set
  // change ends its epoch below s. Executing lags committing by moments; wait for it.
  if (sequence > executed_height_ + params().EpochDelay()) return Outcome::kDeferred;
  if (BeyondEpoch(sequence)) {
    ++counters_.beyond_epoch;
    return Outcome::kRejected;
  }
  // The parent must be the block this replica holds at sequence - 1 in this view's chain.
  const std::optional<Link> parent = LinkAt(sequence - 1, view);
  if (!parent.has_value() || !parent->timestamp_ms.has_value()) {
    if (sequence - 1 == low_ && committed_height_ < low_) RequestSync(low_, {});
    return Outcome::kDeferred;
  }
  const Status header =
      safety::CheckFreshProposal(*block, view, sequence, *validators_,
                                 safety::ParentFacts{parent->hash, *parent->timestamp_ms},
                                 arrival_ms, params(), RootsFor(sequence),
                                 FillerAllowed(sequence));
  if (!header.ok()) {
    ++counters_.invalid_proposals;
    return Outcome::kRejected;
  }
  bool conflict = false;
  const std::optional<std::set<crypto::Digest>> ancestors =
      AncestorTransactions(sequence, view, parent->hash, &conflict);
  if (conflict) {
    ++counters_.invalid_proposals;
    return Outcome::kRejected;
  }
  if (!ancestors.has_value()) return Outcome::kDeferred;
  for (const crypto::Digest& tx : block->tx_hashes) {
    if (ancestors->count(tx) != 0) {
      ++counters_.invalid_proposals;
      return Outcome::kRejected;
    }
  }
  // What only the node can judge (its transactions) is checked off this thread: the
  // proposal waits, deferred, for the answer (OnProposalChecked).
  if (!checked) return Outcome::kNeedsCheck;
  AcceptProposal(view, sequence, AcceptedProposal{message.envelope, block, false});
  return Outcome::kAccepted;
}

void Replica::Impl::AcceptProposal(std::uint64_t view, std::uint64_t sequence,
                                   AcceptedProposal proposal) {
  const crypto::Digest hash = proposal.block->hash;
  SlotAt(sequence).accepted[view] = std::move(proposal);
  ++counters_.accepted;
  // Rule 2: PREPARE what was accepted. The primary's PRE-PREPARE is its own vote.
  if (!IsPrimary(view)) SendPrepare(view, sequence, hash);
}

void Replica::Impl::SendPrepare(std::uint64_t view, std::uint64_t sequence,
                                const crypto::Digest& hash) {
  Slot& slot = SlotAt(sequence);
  if (const auto it = slot.sent_prepare.find(view); it != slot.sent_prepare.end()) {
    if (it->second != hash) ++counters_.refused_double_vote;  // signed another before a crash
    return;
  }
  proto::ConsensusMessage message = NewMessage();
  proto::Prepare* prepare = message.mutable_prepare();
  prepare->set_view(view);
  prepare->set_sequence(sequence);
  prepare->set_block_hash(DigestBytes(hash));
  const std::optional<proto::ConsensusEnvelope> envelope = Seal(message);
  if (!envelope.has_value()) return;
  proto::ConsensusWalRecord record;
  *record.mutable_sent() = *envelope;
  Persist(std::move(record), WalKey{WalKind::kSent, view, sequence});
  slot.sent_prepare[view] = hash;
  slot.prepares.Add(view, hash, self(), *envelope);
  Broadcast(*envelope);
}

void Replica::Impl::SendCommit(std::uint64_t view, std::uint64_t sequence,
                               const crypto::Digest& hash) {
  Slot& slot = SlotAt(sequence);
  if (const auto it = slot.sent_commit.find(view); it != slot.sent_commit.end()) {
    if (it->second != hash) ++counters_.refused_double_vote;
    return;
  }
  proto::ConsensusMessage message = NewMessage();
  proto::Commit* commit = message.mutable_commit();
  commit->set_view(view);
  commit->set_sequence(sequence);
  commit->set_block_hash(DigestBytes(hash));
  const std::optional<proto::ConsensusEnvelope> envelope = Seal(message);
  if (!envelope.has_value()) return;
  proto::ConsensusWalRecord record;
  *record.mutable_sent() = *envelope;
  Persist(std::move(record), WalKey{WalKind::kSent, view, sequence});
  slot.sent_commit[view] = hash;
  slot.commits.Add(view, hash, self(), *envelope);
  Broadcast(*envelope);
}

namespace {

void CountVote(VoteBook::AddResult result, ReplicaCounters& counters) {
  switch (result) {
    case VoteBook::AddResult::kAdded:
      break;
    case VoteBook::AddResult::kDuplicate:
      ++counters.duplicates;
      break;
    case VoteBook::AddResult::kConflicting:
      ++counters.equivocations;
      break;
    case VoteBook::AddResult::kDropped:
      ++counters.stale;
      break;
  }
}

}  // namespace

void Replica::Impl::HandlePrepare(const OpenedMessage& message) {
  const proto::Prepare& prepare = message.message.prepare();
  const std::optional<crypto::Digest> hash = DigestFromBytes(prepare.block_hash());
  if (!hash.has_value()) {
    ++counters_.malformed;
    return;
  }
  if (message.sender() == validators_->Primary(prepare.view())) {
    ++counters_.not_from_primary;  // the primary's vote is its PRE-PREPARE
    return;
  }
  if (prepare.view() < view_ || prepare.sequence() <= low_) {
    ++counters_.stale;
    return;
  }
  if (prepare.sequence() > high() || prepare.view() > view_ + 1) {
    ++counters_.out_of_window;
    return;
  }
  CountVote(SlotAt(prepare.sequence())
                .prepares.Add(prepare.view(), *hash, message.sender(), message.envelope),
            counters_);
  if (prepare.view() == view_ && !active_) AskForNewView(message.sender(), view_);
}

// COMMITs count in any view: a quorum for one (view, hash) proves the block final whatever
// view this replica is in now.
void Replica::Impl::HandleCommit(const OpenedMessage& message) {
  const proto::Commit& commit = message.message.commit();
  const std::optional<crypto::Digest> hash = DigestFromBytes(commit.block_hash());
  if (!hash.has_value()) {
    ++counters_.malformed;
    return;
  }
  if (commit.sequence() <= std::max(low_, committed_height_)) {
    ++counters_.stale;
    return;
  }
  if (commit.sequence() > high()) {
    ++counters_.out_of_window;
    return;
  }
  CountVote(SlotAt(commit.sequence())
                .commits.Add(commit.view(), *hash, message.sender(), message.envelope),
            counters_);
  if (commit.view() == view_ && !active_) AskForNewView(message.sender(), view_);
}

bool Replica::Impl::PrepareWhatWeCan() {
  bool progress = false;
  for (auto it = slots_.upper_bound(low_); it != slots_.end(); ++it) {
    const Slot& slot = it->second;
    if (slot.prepared_views.count(view_) != 0 || slot.accepted.count(view_) == 0) continue;
    if (TryMarkPrepared(view_, it->first)) progress = true;
  }
  return progress;
}

// Rules 2 and 3: prepared, and the parent anchored or prepared in the same view -> COMMIT.
bool Replica::Impl::TryMarkPrepared(std::uint64_t view, std::uint64_t sequence) {
  Slot& slot = SlotAt(sequence);
  const AcceptedProposal& proposal = slot.accepted.at(view);
  const BlockRef block = proposal.block;
  const VoteBook::Votes* prepares = slot.prepares.Find(view, block->hash);
  const std::size_t count = prepares == nullptr ? 0 : prepares->size();
  if (!safety::PreparedQuorum(count, *validators_)) return false;
  const std::optional<crypto::Digest> parent = DigestFromBytes(block->header.parent_hash());
  if (!parent.has_value()) return false;
  const safety::ParentState state = ParentStateFor(sequence, view, *parent);
  if (state == safety::ParentState::kConflicts) ++counters_.conflicts;
  if (!safety::MayCommit(state)) return false;

  slot.prepared_views.insert(view);
  PreparedSummary summary;
  summary.view = view;
  summary.sequence = sequence;
  summary.block = block;
  *summary.certificate.mutable_pre_prepare() = proposal.envelope;
  if (prepares != nullptr) {  // none at all with a single validator
    for (const auto& [sender, envelope] : *prepares) {
      if (static_cast<std::size_t>(summary.certificate.prepares_size()) + 1 >=
          validators_->quorum()) {
        break;
      }
      *summary.certificate.add_prepares() = envelope;
    }
  }
  proto::ConsensusWalRecord record;
  *record.mutable_prepared() = summary.certificate;
  // The WAL keeps the body too: after a restart this replica still holds what it prepared.
  if (block->has_body) {
    *record.mutable_prepared()->mutable_pre_prepare()->mutable_transactions() =
        block->block.transactions();
  }
  Persist(std::move(record), WalKey{WalKind::kPrepared, view, sequence});
  if (!slot.best_prepared.has_value() || slot.best_prepared->view < view) {
    slot.best_prepared = std::move(summary);
  }
  SendCommit(view, sequence, block->hash);
  return true;
}

safety::ParentState Replica::Impl::ParentStateFor(std::uint64_t sequence, std::uint64_t view,
                                                  const crypto::Digest& parent) const {
  const std::optional<Link> link = LinkAt(sequence - 1, view);
  if (link.has_value() && link->anchored) {
    return link->hash == parent ? safety::ParentState::kAnchored : safety::ParentState::kConflicts;
  }
  const Slot* previous = FindSlot(sequence - 1);
  if (previous != nullptr && previous->prepared_views.count(view) != 0) {
    const auto it = previous->accepted.find(view);
    if (it != previous->accepted.end() && it->second.block->hash == parent) {
      return safety::ParentState::kPreparedInView;
    }
  }
  return safety::ParentState::kNotYet;
}

std::optional<Replica::Impl::Link> Replica::Impl::LinkAt(std::uint64_t sequence,
                                                         std::uint64_t view) const {
  if (sequence == committed_height_) {
    return Link{committed_hash_, committed_timestamp_, true};
  }
  if (sequence == base()) return Link{genesis_.hash, options_.genesis.timestamp_ms, true};
  if (sequence < committed_height_) {
    const auto it = committed_hashes_.find(sequence);
    if (it == committed_hashes_.end()) return std::nullopt;
    Link link{it->second, std::nullopt, true};
    const Slot* slot = FindSlot(sequence);
    if (slot != nullptr && slot->committed_block) {
      link.timestamp_ms = slot->committed_block->header.timestamp_ms();
    }
    return link;
  }
  if (sequence == low_) return Link{stable_.block_hash, std::nullopt, true};
  if (const Slot* slot = FindSlot(sequence); slot != nullptr) {
    const auto it = slot->accepted.find(view);
    if (it != slot->accepted.end()) {
      return Link{it->second.block->hash, it->second.block->header.timestamp_ms(), false};
    }
  }
  return std::nullopt;
}

std::optional<std::set<crypto::Digest>> Replica::Impl::AncestorTransactions(std::uint64_t sequence,
                                                                            std::uint64_t view,
                                                                            crypto::Digest parent,
                                                                            bool* conflict) const {
  std::set<crypto::Digest> txs;
  crypto::Digest expected = parent;
  for (std::uint64_t s = sequence - 1; s > index_height_; --s) {
    const Slot* slot = FindSlot(s);
    BlockRef block;
    if (s <= committed_height_) {  // committed during this input
      const auto hash = committed_hashes_.find(s);
      if (hash != committed_hashes_.end() && hash->second != expected) {
        *conflict = true;
        return std::nullopt;
      }
      if (slot != nullptr && slot->committed_block && slot->committed_block->hash == expected) {
        block = slot->committed_block;
      }
    } else if (slot != nullptr) {
      const auto it = slot->accepted.find(view);
      if (it != slot->accepted.end() && it->second.block->hash == expected) {
        block = it->second.block;
      }
    }
    // Without an ancestor's body its transactions are unknown: wait (safety.cc, "Block
    // bodies": it is fetched once final).
    if (!block || !block->has_body) return std::nullopt;
    txs.insert(block->tx_hashes.begin(), block->tx_hashes.end());
    const std::optional<crypto::Digest> next = DigestFromBytes(block->header.parent_hash());
    if (!next.has_value()) return std::nullopt;
    expected = *next;
  }
  const std::optional<Link> base = LinkAt(std::min(index_height_, sequence - 1), view);
  if (!base.has_value()) return std::nullopt;
  if (base->hash != expected) {
    *conflict = true;
    return std::nullopt;
  }
  return txs;
}

std::optional<safety::ExpectedRoots> Replica::Impl::RootsFor(std::uint64_t height) const {
  if (height <= params().execution_lag) {
    return safety::ExpectedRoots{options_.genesis.state_root, options_.genesis.receipts_root};
  }
  const auto it = roots_.find(height - params().execution_lag);
  if (it == roots_.end()) return std::nullopt;
  return it->second;
}

BlockRef Replica::Impl::DeferredBlock(std::uint64_t sequence, const crypto::Digest& hash) const {
  for (const auto& [key, deferred] : deferred_) {
    if (key.second == sequence && deferred.block->hash == hash) return deferred.block;
  }
  return nullptr;
}

BlockRef Replica::Impl::BlockWithBody(std::uint64_t sequence, const crypto::Digest& hash) const {
  if (const Slot* slot = FindSlot(sequence); slot != nullptr) {
    BlockRef block = slot->FindBlock(hash);
    if (block && block->has_body) return block;
  }
  BlockRef deferred = DeferredBlock(sequence, hash);
  return deferred && deferred->has_body ? deferred : nullptr;
}

// Rule 4: a quorum of COMMITs with the block in hand; then hand out in height order.
bool Replica::Impl::CommitWhatWeCan() {
  for (auto it = slots_.upper_bound(committed_height_); it != slots_.end(); ++it) {
    if (!it->second.ready.has_value() && !it->second.committed) {
      FindCommitQuorum(it->first, it->second);
    }
  }
  bool progress = false;
  for (Slot* slot = FindSlot(committed_height_ + 1); slot != nullptr && slot->ready.has_value();
       slot = FindSlot(committed_height_ + 1)) {
    Slot::Ready ready = std::move(*slot->ready);
    slot->ready.reset();
    if (ready.block->header.parent_hash() != DigestBytes(committed_hash_)) {
      // Only possible with more than f faulty validators: refuse to hand out a fork.
      ++counters_.conflicts;
      break;
    }
    CommitBlock(committed_height_ + 1, std::move(ready.block), std::move(ready.certificate));
    progress = true;
  }
  FetchGapBelowFinalBlocks();
  return progress;
}

// A later height is final here (a commit quorum with its block) but the next one is stuck:
// its COMMITs were lost, typically while this replica was down. Votes arrive out of order
// all the time, so wait a little before fetching the gap through sync.
void Replica::Impl::FetchGapBelowFinalBlocks() {
  std::uint64_t top_ready = 0;
  std::vector<std::string> peers;
  for (auto it = slots_.upper_bound(committed_height_ + 1); it != slots_.end(); ++it) {
    if (!it->second.ready.has_value()) continue;
    top_ready = it->first;
    peers.clear();
    for (const proto::CommitSignature& c : it->second.ready->certificate.commits()) {
      if (c.validator() != self()) peers.push_back(c.validator());
    }
  }
  const Slot* next = FindSlot(committed_height_ + 1);
  if (top_ready == 0 || (next != nullptr && next->ready.has_value())) {
    gap_since_.reset();
    return;
  }
  if (!gap_since_.has_value()) gap_since_ = now_;
  if (now_ >= *gap_since_ + params().view_change_timeout_ms / 4) {
    RequestSync(top_ready, std::move(peers));
  }
}

void Replica::Impl::FindCommitQuorum(std::uint64_t sequence, Slot& slot) {
  for (const auto& [key, votes] : slot.commits.all()) {
    if (!safety::CommitQuorum(votes.size(), *validators_)) continue;
    const auto& [view, hash] = key;
    BlockRef block = BlockWithBody(sequence, hash);
    if (!block) {
      // Final, but this replica never saw the block, or saw only its header (a re-proposal
      // quoted in NEW-VIEW): fetch it with its certificate.
      std::vector<std::string> peers;
      for (const auto& [sender, envelope] : votes) {
        if (sender != self()) peers.push_back(sender);
      }
      RequestSync(sequence, std::move(peers));
      continue;
    }
    slot.ready = Slot::Ready{
        block, BuildCommitCertificate(sequence, view, hash, votes, validators_->quorum())};
    return;
  }
}

void Replica::Impl::CommitBlock(std::uint64_t height, BlockRef block,
                                proto::CommitCertificate certificate) {
  COLEND_CHECK(block->has_body);
  committed_certificate_ = certificate;
  Emit(CommitAction{height, block->block, std::move(certificate)});
  committed_height_ = height;
  committed_hash_ = block->hash;
  committed_timestamp_ = block->header.timestamp_ms();
  committed_hashes_[height] = block->hash;
  if (Slot* slot = FindSlot(height); slot != nullptr) {
    slot->committed = true;
    slot->committed_block = std::move(block);
    slot->ready.reset();
  }
  ++counters_.committed_blocks;
  pacemaker_.ResetBackoff();
  restart_view_change_timer_ = true;
}

bool Replica::Impl::RetryDeferred() {
  bool progress = false;
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    const auto [view, sequence] = it->first;
    if (view < view_ || sequence <= low_ || (view == view_ && sequence <= reproposal_top_)) {
      it = deferred_.erase(it);
      continue;
    }
    if (view > view_ || it->second.checking) {
      ++it;
      continue;
    }
    const Outcome outcome = AcceptFresh(it->second.message, it->second.block,
                                        it->second.arrival_ms, it->second.checked);
    if (outcome == Outcome::kDeferred) {
      ++it;
      continue;
    }
    if (outcome == Outcome::kNeedsCheck) {
      RequestCheck(view, sequence, it->second);
      ++it;
      continue;
    }
    if (outcome == Outcome::kAccepted) progress = true;
    it = deferred_.erase(it);
  }
  return progress;
}

}  // namespace colend::consensus
