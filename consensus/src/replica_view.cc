// View changes: VIEW-CHANGE, NEW-VIEW (Rules 5 and 6 of safety.cc) and the liveness rules
// around them (when to start, join, repeat or escalate a view change).
#include <algorithm>
#include <utility>

#include "colend/common/check.h"
#include "replica_impl.h"

namespace colend::consensus {

// Liveness. Active: nothing committed for a whole timeout while work was pending -> ask for
// the next view. Changing: if a quorum also wants this view but its primary has not started
// it, escalate to the next view with a longer timeout (exponential back-off); if not, this
// replica may be the one cut off: repeat its VIEW-CHANGE instead of running ahead alone.
void Replica::Impl::OnViewChangeTimeout() {
  if (active_) {
    pacemaker_.IncreaseBackoff();
    StartViewChange(view_ + 1);
    return;
  }
  if (ViewChangesAtOrAbove(view_) >= validators_->quorum()) {
    pacemaker_.IncreaseBackoff();
    StartViewChange(view_ + 1);
    return;
  }
  if (own_view_change_.has_value()) Broadcast(*own_view_change_);
  RebroadcastCheckpoints();
  // Validators that committed this epoch's last block have moved to the next epoch and no
  // longer answer its view changes; when they are the quorum this replica waits for, no view
  // of this epoch can complete. Its remaining blocks are fetched instead (verified by their
  // commit certificates; RequestSync repeats at most once per timeout).
  if (epoch_end_ != 0 && committed_height_ < epoch_end_) RequestSync(epoch_end_, {});
  pacemaker_.ArmViewChange(now_, out_);
}

std::size_t Replica::Impl::ViewChangesAtOrAbove(std::uint64_t view) const {
  std::size_t count = 0;
  for (const auto& [sender, summary] : view_changes_) {
    if (summary.new_view >= view) ++count;
  }
  return count;
}

void Replica::Impl::StartViewChange(std::uint64_t new_view) {
  COLEND_CHECK(new_view > view_);
  view_ = new_view;
  active_ = false;
  current_new_view_.reset();
  reproposal_top_ = 0;
  chain_top_ = 0;
  proposal_requested_ = 0;
  batch_due_ = false;
  pacemaker_.CancelBatch(out_);
  // Rule 6: from here on nothing is signed in a lower view, even after a restart.
  PersistView(new_view);
  SendViewChange();
  RebroadcastCheckpoints();
  pacemaker_.ArmViewChange(now_, out_);
  ++counters_.view_changes;
  TryBuildNewView();
}

void Replica::Impl::SendViewChange() {
  proto::ConsensusMessage message = NewMessage();
  proto::ViewChange* vc = message.mutable_view_change();
  vc->set_new_view(view_);
  *vc->mutable_stable_checkpoint() = stable_.certificate;
  vc->mutable_stable_checkpoint()->set_sequence(stable_.sequence);
  ViewChangeSummary summary;
  summary.sender = self();
  summary.new_view = view_;
  summary.checkpoint = stable_;
  summary.anchor = Anchor{stable_.sequence, stable_.block_hash};
  // Anchored on the last committed block when its certificate is at hand: nothing at or
  // below it is quoted, so the message holds only the few blocks still in flight.
  if (committed_certificate_.has_value() && committed_height_ > stable_.sequence &&
      committed_certificate_->height() == committed_height_) {
    *vc->mutable_committed() = *committed_certificate_;
    summary.anchor = Anchor{committed_height_, committed_hash_};
  }
  for (auto it = slots_.upper_bound(summary.anchor.sequence);
       it != slots_.end() && it->first <= high(); ++it) {
    const std::optional<PreparedSummary>& prepared = it->second.best_prepared;
    if (!prepared.has_value()) continue;
    // Never a certificate from the view being asked for: this replica has not entered it
    // (recovery turns a restart inside a view into a change to the next one).
    COLEND_CHECK(prepared->view < view_);
    // Quoted by header (safety.cc, "Block bodies").
    proto::PreparedCertificate* quoted = vc->add_prepared();
    *quoted = prepared->certificate;
    quoted->mutable_pre_prepare()->clear_transactions();
    summary.prepared.push_back(*prepared);
  }
  const std::optional<proto::ConsensusEnvelope> envelope = Seal(message);
  if (!envelope.has_value()) return;
  proto::ConsensusWalRecord record;
  *record.mutable_sent() = *envelope;
  Persist(std::move(record), WalKey{WalKind::kSent, view_, 0});
  Broadcast(*envelope);
  summary.envelope = *envelope;
  own_view_change_ = *envelope;
  view_changes_[self()] = std::move(summary);
}

void Replica::Impl::HandleViewChange(const OpenedMessage& message) {
  const std::uint64_t view = message.message.view_change().new_view();
  const std::string& sender = message.sender();
  if (view < view_ || (view == view_ && active_)) {
    // The sender is behind, or missed this view's NEW-VIEW: send it ours (rate-limited).
    ++counters_.stale;
    if (active_ && current_new_view_.has_value() && sender != self()) {
      const auto it = forwarded_new_view_at_.find(sender);
      if (it == forwarded_new_view_at_.end() ||
          now_ >= it->second + params().view_change_timeout_ms) {
        forwarded_new_view_at_[sender] = now_;
        Emit(SendAction{sender, *current_new_view_});
      }
    }
    return;
  }
  if (const auto it = view_changes_.find(sender);
      it != view_changes_.end() && it->second.new_view >= view) {
    ++counters_.duplicates;
    return;
  }
  Result<ViewChangeSummary> summary =
      VerifyViewChange(message, context_, genesis_, params().checkpoint_period, params().window);
  if (!summary.ok()) {
    ++counters_.invalid_evidence;
    return;
  }
  view_changes_[sender] = std::move(summary).value();
  JoinIfBehind();
  TryBuildNewView();
}

// Liveness: f + 1 validators asking for views above ours include an honest one, so follow
// them, to the highest view that at least f + 1 of them want.
void Replica::Impl::JoinIfBehind() {
  std::vector<std::uint64_t> views;
  for (const auto& [sender, summary] : view_changes_) {
    if (sender != self() && summary.new_view > view_) views.push_back(summary.new_view);
  }
  const std::size_t needed = validators_->max_faulty() + 1;
  if (views.size() < needed) return;
  std::sort(views.begin(), views.end(), std::greater<>());
  StartViewChange(views[needed - 1]);
}

void Replica::Impl::FollowPeersAhead(const std::string& sender, std::uint64_t view) {
  if (sender == self()) return;
  std::uint64_t& seen = peer_views_[sender];
  if (view <= seen) return;
  seen = view;
  if (view <= view_) return;
  std::vector<std::uint64_t> views;
  for (const auto& [peer, v] : peer_views_) {
    if (v > view_) views.push_back(v);
  }
  const std::size_t needed = validators_->max_faulty() + 1;
  if (views.size() < needed) return;
  std::sort(views.begin(), views.end(), std::greater<>());
  // At least one honest validator is in this view or above: it was started by a NEW-VIEW
  // this replica has not seen. Asking for it is the only way in (Rule 6).
  StartViewChange(views[needed - 1]);
}

// Rule 5, as the new primary: with a quorum of VIEW-CHANGEs for our view, re-propose what
// they require and start the view.
void Replica::Impl::TryBuildNewView() {
  if (active_ || !IsPrimary(view_)) return;
  std::vector<ViewChangeSummary> chosen;
  if (const auto own = view_changes_.find(self());
      own != view_changes_.end() && own->second.new_view == view_) {
    chosen.push_back(own->second);
  }
  for (const auto& [sender, summary] : view_changes_) {
    if (chosen.size() >= validators_->quorum()) break;
    if (sender != self() && summary.new_view == view_) chosen.push_back(summary);
  }
  if (chosen.size() < validators_->quorum()) return;
  const safety::NewViewPlan plan = safety::PlanNewView(view_, chosen);

  safety::VerifiedNewView verified;
  verified.view = view_;
  verified.checkpoint = plan.checkpoint;
  verified.anchor = plan.anchor;
  verified.top = plan.top;
  proto::ConsensusMessage message = NewMessage();
  proto::NewView* nv = message.mutable_new_view();
  nv->set_view(view_);
  for (const ViewChangeSummary& vc : chosen) *nv->add_view_changes() = vc.envelope;
  for (const PreparedSummary* prepared : plan.reproposals) {
    proto::ConsensusMessage pp_message = NewMessage();
    proto::PrePrepare* pp = pp_message.mutable_pre_prepare();
    pp->set_view(view_);
    pp->set_sequence(prepared->sequence);
    pp->set_header(prepared->block->block.header());  // unchanged: same header bytes
    const std::optional<proto::ConsensusEnvelope> envelope = Seal(pp_message);
    if (!envelope.has_value()) return;
    *nv->add_pre_prepares() = *envelope;
    verified.reproposals.push_back(
        safety::Reproposal{prepared->sequence, *envelope, prepared->block});
  }
  const std::optional<proto::ConsensusEnvelope> envelope = Seal(message);
  if (!envelope.has_value()) return;
  proto::ConsensusWalRecord record;
  *record.mutable_sent() = *envelope;
  Persist(std::move(record), WalKey{WalKind::kSent, view_, 0});
  Broadcast(*envelope);
  verified.envelope = *envelope;
  ++counters_.new_views_sent;
  EnterView(verified);
}

// Rule 6, as a replica.
void Replica::Impl::HandleNewView(const OpenedMessage& message) {
  const std::uint64_t view = message.message.new_view().view();
  if (view < view_ || (view == view_ && active_)) {
    ++counters_.stale;
    return;
  }
  if (message.sender() != validators_->Primary(view)) {
    ++counters_.not_from_primary;
    return;
  }
  Result<safety::VerifiedNewView> verified =
      safety::VerifyNewView(message, context_, genesis_, params());
  if (!verified.ok()) {
    ++counters_.invalid_evidence;
    return;
  }
  if (ConflictsWithCommitted(*verified)) {
    ++counters_.conflicts;  // only possible with more than f faulty validators
    return;
  }
  if (view > view_) PersistView(view);
  EnterView(*verified);
}

bool Replica::Impl::ConflictsWithCommitted(const safety::VerifiedNewView& new_view) const {
  const auto differs = [this](std::uint64_t height, const crypto::Digest& hash) {
    const auto it = committed_hashes_.find(height);
    return height <= committed_height_ && it != committed_hashes_.end() && it->second != hash;
  };
  if (differs(new_view.checkpoint.sequence, new_view.checkpoint.block_hash)) return true;
  if (differs(new_view.anchor.sequence, new_view.anchor.block_hash)) return true;
  for (const safety::Reproposal& r : new_view.reproposals) {
    if (differs(r.sequence, r.block->hash)) return true;
  }
  return false;
}

void Replica::Impl::EnterView(const safety::VerifiedNewView& new_view) {
  // The re-proposals come by header; where this replica holds a block's transactions (it
  // received the original PRE-PREPARE), it keeps using them. Looked up before older views'
  // proposals are dropped below.
  std::vector<BlockRef> reproposed;
  reproposed.reserve(new_view.reproposals.size());
  for (const safety::Reproposal& r : new_view.reproposals) {
    BlockRef body = r.block->has_body ? r.block : BlockWithBody(r.sequence, r.block->hash);
    reproposed.push_back(body ? std::move(body) : r.block);
  }
  view_ = new_view.view;
  active_ = true;
  current_new_view_ = new_view.envelope;
  own_view_change_.reset();
  asked_for_new_view_at_.clear();
  for (auto it = view_changes_.begin(); it != view_changes_.end();) {
    it = it->second.new_view <= view_ ? view_changes_.erase(it) : std::next(it);
  }
  if (new_view.checkpoint.sequence > low_) AdoptCheckpoint(new_view.checkpoint, true);
  // Old views' proposals and PREPAREs no longer matter; prepared certificates and COMMITs do.
  for (auto& [sequence, slot] : slots_) {
    slot.prepares.DropViewsBelow(view_);
    slot.accepted.erase(slot.accepted.begin(), slot.accepted.lower_bound(view_));
  }
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    it = it->first.first < view_ ? deferred_.erase(it) : std::next(it);
  }
  reproposal_top_ = new_view.top;
  chain_top_ = new_view.top;
  proposal_requested_ = 0;  // an answer for an older view would be refused anyway
  for (std::size_t i = 0; i < new_view.reproposals.size(); ++i) {
    const safety::Reproposal& r = new_view.reproposals[i];
    if (r.sequence <= low_) continue;
    AcceptProposal(view_, r.sequence, AcceptedProposal{r.envelope, reproposed[i], true});
  }
  ++counters_.new_views_entered;
  Emit(CompactWalAction{low_, view_});
  RebroadcastCheckpoints();
  restart_view_change_timer_ = true;
  // The new view builds on the anchor: a replica that has not committed up to it fetches
  // the blocks (each with its commit certificate) before it can vote on what follows.
  if (committed_height_ < new_view.anchor.sequence) {
    std::vector<std::string> peers;
    for (const auto& [peer, view] : peer_views_) {
      if (view >= view_) peers.push_back(peer);
    }
    RequestSync(new_view.anchor.sequence, std::move(peers));
  }
}

// A replica changing to view_ sees view_ traffic from `peer`: the view has started without
// it (its NEW-VIEW was lost). Showing its VIEW-CHANGE makes the peer forward the NEW-VIEW.
void Replica::Impl::AskForNewView(const std::string& peer, std::uint64_t view) {
  if (active_ || view != view_ || !own_view_change_.has_value() || peer == self()) return;
  const auto it = asked_for_new_view_at_.find(peer);
  if (it != asked_for_new_view_at_.end() && now_ < it->second + params().view_change_timeout_ms) {
    return;
  }
  asked_for_new_view_at_[peer] = now_;
  Emit(SendAction{peer, *own_view_change_});
}

}  // namespace colend::consensus
