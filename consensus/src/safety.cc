// THE SAFETY RULES OF COLEND'S PBFT, AND WHY THEY ARE SAFE
// ========================================================
//
// Setting. n = 3f + 1 validators, at most f byzantine; a quorum Q is 2f + 1 (in general
// ceil((n + f + 1) / 2)), so any two quorums share at least f + 1 validators, hence at
// least one honest one. Messages are signed; honest replicas persist what they sign before
// sending it (Persist actions), so a restart never makes an honest replica sign two
// different PREPAREs, COMMITs or PRE-PREPAREs for one (view, sequence), nor sign anything in
// a view lower than one it has asked to leave. Sequence numbers are heights: each orders one
// block, and a block names its parent's hash, so the committed blocks must form ONE chain.
// Timers, back-off and batching (pacemaker.cc) decide only WHEN things happen; nothing
// below depends on time except the fresh-proposal timestamp window, which can only make a
// replica refuse to vote (a liveness matter).
//
// The rules an honest replica follows:
//
//   Rule 1 (accept). In view v it accepts at most one PRE-PREPARE per sequence s. A fresh
//     proposal (not re-proposed by NEW-VIEW) must come from the primary of v, with
//     header.view = v, height = s, at least one and at most max_block_txs transactions and
//     max_block_bytes, a timestamp after its parent's and at most max_clock_drift_ms ahead
//     of the replica's clock, and (when the replica has executed s - L) the replica's own roots.
//     Its parent must be the block the replica holds at s - 1 *in the chain of view v*:
//     the committed block (or genesis), or the PRE-PREPARE it accepted at (v, s - 1). A
//     replica without that parent defers the message; it never guesses. It also holds
//     every uncommitted ancestor of the proposal and refuses one that repeats any of their
//     transactions (the node's validator checks the committed ones), and it runs the
//     node's check of its transactions (CheckProposalAction). Re-proposals in a
//     NEW-VIEW skip the content checks: Rule 6 forces them, and each was prepared, i.e.
//     checked by at least f + 1 honest replicas, against the same ancestors (the parent
//     hash fixes the ancestors).
//
//   Rule 2 (prepared). The accepted PRE-PREPARE plus Q - 1 matching PREPAREs from other
//     validators. The replica PREPAREs what it accepted, once per (view, sequence).
//
//   Rule 3 (commit, the chain rule). The replica sends COMMIT for (v, s, B), and only then
//     counts itself "prepared" for VIEW-CHANGE purposes, when B is prepared in v AND B's
//     parent is anchored for it (committed at s - 1 with that hash, or the stable
//     checkpoint, or genesis) or is itself prepared, by this rule, in the same view v.
//     PREPAREs of all heights still run in parallel; only the COMMIT of s waits for s - 1.
//
//   Rule 4 (committed). A quorum of COMMITs for (v, s, hash) from distinct validators, with
//     the block in hand. Blocks are handed to the node in height order, each extending the
//     last; those COMMITs, verbatim, are the commit certificate.
//
//   Rule 5 (what NEW-VIEW re-proposes). From the quorum of VIEW-CHANGEs it quotes: let C be
//     the highest anchor among them (hash H_C). A VIEW-CHANGE's anchor is the block its
//     sender committed last, proven by that block's commit certificate, or else its stable
//     checkpoint; either way a block proven final. Walk s = C + 1, C + 2, ...: take
//     the prepared certificate for s with the highest view among all the VIEW-CHANGEs (ties
//     broken by block hash); stop at the first s that has none, or whose block's parent is
//     not the block chosen at s - 1 (H_C for C + 1). Re-propose exactly the blocks walked,
//     unchanged (same header bytes), each in a new PRE-PREPARE of the new view. Fresh
//     proposals of the new view start above the last one (their parent is that block).
//
//   Rule 6 (enter a view). A replica enters view v > 0 only through a NEW-VIEW from v's
//     primary that quotes a quorum of valid VIEW-CHANGEs for v and carries exactly Rule 5's
//     re-proposals, which it recomputes. After sending VIEW-CHANGE for v it never signs a
//     PRE-PREPARE, PREPARE or COMMIT of a lower view. A VIEW-CHANGE carries the replica's
//     stable checkpoint certificate, optionally the commit certificate of its last
//     committed block (its anchor, when above the checkpoint), and, for each sequence above
//     its anchor, its Rule-3 prepared certificate from the highest view. Nothing at or below
//     a block the replica committed is quoted, so the message holds only what is in flight.
//     A replica entering a view whose anchor it has not committed fetches the blocks up to
//     it by sync (each verified by its commit certificate) before voting above it.
//
// The argument. Say a set of validators "backs" (v, s, B) when at least f + 1 honest
// replicas are prepared for it in the sense of Rule 3.
//
//   L1 (one block per view and sequence). Two valid prepared certificates for (v, s) name
//     the same block: their 2 * Q signers overlap in an honest replica, which accepted only
//     one PRE-PREPARE at (v, s) (Rules 1-2 and the WAL).
//
//   L2 (backed blocks come with backed parents). If (v, s, B) is backed, then B's parent P
//     is backed at s - 1 (in v, or in the view where it committed) or lies at or below a
//     stable checkpoint. Each of those f + 1 honest replicas had P prepared in v or anchored
//     (Rule 3). If all had P prepared in v, P is backed in v. If one had P committed, a
//     quorum of COMMITs for P exists, of which f + 1 honest, each prepared by Rule 3, so P
//     is backed. If P is under a stable checkpoint, a quorum executed it. Committed blocks
//     are backed (Rule 4: f + 1 honest COMMITs, each sent under Rule 3).
//
//   L3 (a backed block survives every later view change). If (w, s, B) is backed, every
//     NEW-VIEW accepted by an honest replica for a view u > w either has C >= s with B on
//     the checkpointed chain, or re-proposes B at s. By induction on u. The quorum of
//     VIEW-CHANGEs in NEW-VIEW(u) shares an honest member r with the f + 1 that back B
//     (Q + f + 1 > n). r sent its VIEW-CHANGE after preparing B (it stops voting in w once
//     it asks to leave), so either r's anchor is >= s (then C >= s, and the block at s
//     below the anchor is committed, hence backed, hence B by L1 and this lemma in earlier
//     views; committed blocks form one chain, so it lies on the chain ending at H_C), or r
//     quotes a certificate for s from a view >= w: r omits only sequences at or below its
//     anchor, and if r committed s its anchor (its last committed height) is >= s. Any valid certificate for s from a
//     view in [w, u) names B: in w by L1, in a view between by the induction hypothesis (its
//     primary had to re-propose B at s, and honest replicas accept no other PRE-PREPARE at a
//     sequence the NEW-VIEW covers). So the highest-view certificate at s is B's. By L2 the
//     same holds at every height from C + 1 up to s, and consecutive backed blocks link by
//     parent hash, so Rule 5's walk neither stops nor turns aside below s. Hence B is
//     re-proposed at s.
//
//   Agreement. If B commits at s in view w, it is backed (L2). Any other block B' at s
//     that commits does so in some view u; if u = w, B' = B by L1; if u > w, NEW-VIEW(u)
//     re-proposed B at s (L3) and B' = B by L1 in u; symmetrically if u < w. Blocks handed
//     out are a chain (Rule 4 checks each extends the last; by L2 and L3 the committed
//     block at s - 1 is the parent named by the one at s).
//
//   Why Rule 5 stops at a gap or a fork instead of filling it. A block above a gap or a
//     broken parent link cannot have committed: by L2 its ancestors down to C are backed,
//     and by the L3 argument each would appear, linked, in the walk. So dropping everything
//     from the first gap or break upward never loses a committed block, and never puts a
//     block in the new view whose parent is missing (no "null request" hole in a chain).
//     The transactions of dropped blocks are still in the pools and are proposed again.
//
//   Why the chain rule sits on COMMIT and not on PREPARE. Rule 3 is what makes L2 true:
//     without it, a block could commit at s while its parent was prepared by fewer than
//     f + 1 honest replicas, and a later NEW-VIEW could legitimately pick a different
//     parent at s - 1, orphaning a committed block. Putting the wait on PREPARE would also
//     be safe but would serialise the whole pipeline.
//
//   Block bodies. Votes, certificates and the rules above are about block hashes, i.e.
//     header bytes; a header's tx_count and tx_root fix its transactions. So the signed
//     PRE-PREPARE carries the header only, the transactions ride beside it in the envelope
//     (checked against the header before anything else), and evidence (prepared
//     certificates in VIEW-CHANGE, re-proposals in NEW-VIEW) quotes headers alone: a
//     VIEW-CHANGE is a few kilobytes whatever the block size. A replica needs a block's
//     transactions only to check a fresh proposal above it (the ancestors' transactions,
//     Rule 1), to propose above it, and to hand the committed block to the node. It keeps
//     the bodies it received (in its WAL too, for the blocks it prepared); for a
//     re-proposed block it never received it votes by hash like everyone, and once the
//     block is final it fetches it by height from a peer that committed it, checked by
//     its commit certificate and hash, like any block it missed (RequestSync). Until then
//     it defers fresh proposals above that block and, as primary, proposes none. This
//     costs liveness nothing: a re-proposed block was prepared by at least f + 1 honest
//     replicas, which hold its body, vote for it, and commit and serve it.
//
//   Epochs (validator-set changes). The chain is cut into epochs; epoch e orders the heights
//     (base_e, end_e] with one validator set V_e, and a replica serves exactly one epoch:
//     its messages carry the epoch, and it accepts messages (quoted ones and the COMMITs of
//     commit certificates included) only for its own. When the block at height h decides
//     a new set (governance, executed identically everywhere), epoch e ends at
//     end_e = h + G - 1 with G = ConsensusParams::EpochDelay(), and epoch e + 1 starts
//     from base_{e+1} = end_e as its genesis: its replica is built once end_e is committed
//     and executed, with a fresh view 0, its base as stable checkpoint and the new set.
//     The rules that make the cut safe:
//       R1' (know before voting). A replica takes a fresh PRE-PREPARE at s only once it has
//         *executed* s - G (before epochs: committed). An honest primary proposes s only
//         after executing s - L >= s - G, so this costs nothing in the normal case.
//       E1 (nothing above the end). A replica that knows end_e accepts no PRE-PREPARE above
//         it and proposes nothing above it. It learns end_e when it executes h.
//     Claim: no block above end_e commits in epoch e. A commit at s needs a quorum of
//     COMMITs, hence f + 1 honest replicas prepared at s, each of which accepted a
//     PRE-PREPARE at s, fresh (R1': it had executed s - G >= h, so it knew end_e < s and
//     refused, E1) or re-proposed by a NEW-VIEW, which re-proposes only prepared blocks
//     (Rule 5), themselves first accepted fresh by f + 1 honest replicas: by induction on
//     views none exists. Every honest replica therefore agrees on where epoch e ends and
//     on its last block (Agreement within the epoch), so every epoch e + 1 replica starts
//     from the same base block and the same state; agreement inside epoch e + 1 is the
//     argument above with genesis replaced by the base. A set decided in a block of an
//     epoch that already has a decided end changes the epoch after (end_{e+1} is then
//     h' + G - 1 > end_e). Liveness: heights up to a known end may be empty blocks
//     ("fillers", allowed only at s <= end_e by a replica that knows end_e), so an idle
//     chain still reaches the boundary within G blocks of the decision. The old set keeps
//     ordering until end_e: a change never needs the new set to be live before it starts.
//     A replica of V_e that is not in V_{e+1} stops voting at end_e; its later messages
//     name a sender outside the set and count for nothing. A replica outside an epoch's
//     set (joining) runs as an observer: it signs nothing and follows by sync.
//
//   Restarts. Recover() rebuilds from the WAL: the highest view, every message signed
//     (never re-signed differently), every prepared certificate. A replica restarted in a
//     view v > 0 treats itself as still changing to v until a NEW-VIEW for v reaches it
//     again (peers forward theirs when they see its VIEW-CHANGE): acting in v without
//     having checked NEW-VIEW(v) could let a byzantine primary slip a block under a
//     committed one.
#include "safety.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace colend::consensus::safety {

Status CheckFreshProposal(const ParsedBlock& block, std::uint64_t view, std::uint64_t sequence,
                          const ValidatorSet& validators, const ParentFacts& parent,
                          std::uint64_t arrival_ms, const ConsensusParams& params,
                          const std::optional<ExpectedRoots>& roots, bool filler) {
  const proto::BlockHeader& header = block.header;
  if (header.height() != sequence) {
    return Status::InvalidArgument("header height differs from the PRE-PREPARE sequence");
  }
  if (header.view() != view) {
    return Status::InvalidArgument("a fresh proposal's header must name the view it is in");
  }
  if (header.proposer() != validators.Primary(view)) {
    return Status::InvalidArgument("header proposer is not the primary of the view");
  }
  if (header.tx_count() == 0 && !filler) {
    return Status::InvalidArgument("empty block (an idle chain makes no blocks; only the "
                                   "heights before a known epoch end may be empty)");
  }
  if (header.tx_count() > params.max_block_txs || block.tx_bytes > params.max_block_bytes) {
    return Status::InvalidArgument("block exceeds the size limits");
  }
  if (header.parent_hash() != DigestBytes(parent.hash)) {
    return Status::InvalidArgument("parent hash is not the block this replica holds below it");
  }
  const std::uint64_t timestamp = header.timestamp_ms();
  if (timestamp <= parent.timestamp_ms) {
    return Status::InvalidArgument("timestamp not after the parent's");
  }
  // Only a timestamp from the future is refused. A block is never "too old": a replica may
  // handle an honest PRE-PREPARE seconds after it was made (a CPU stall, a long queue, a
  // paused process), and refusing it for the replica's own delay would stall the view for
  // everyone (the parent-timestamp rule above already stops a primary from going back).
  if (timestamp > arrival_ms + params.max_clock_drift_ms) {
    return Status::InvalidArgument("timestamp more than max_clock_drift_ms ahead of this "
                                   "replica's clock");
  }
  if (roots.has_value() && (header.state_root() != DigestBytes(roots->state_root) ||
                            header.receipts_root() != DigestBytes(roots->receipts_root))) {
    return Status::InvalidArgument("header roots differ from this replica's execution");
  }
  std::set<crypto::Digest> seen;
  for (const crypto::Digest& tx : block.tx_hashes) {
    if (!seen.insert(tx).second) return Status::InvalidArgument("transaction repeated in block");
  }
  return Status::Ok();
}

bool PreparedQuorum(std::size_t prepares, const ValidatorSet& validators) {
  return prepares + 1 >= validators.quorum();
}

bool MayCommit(ParentState parent) {
  return parent == ParentState::kAnchored || parent == ParentState::kPreparedInView;
}

bool CommitQuorum(std::size_t commits, const ValidatorSet& validators) {
  return commits >= validators.quorum();
}

NewViewPlan PlanNewView(std::uint64_t view, std::span<const ViewChangeSummary> view_changes) {
  NewViewPlan plan;
  plan.view = view;
  // C: the highest stable checkpoint quoted (ties: the first in the given order; two valid
  // certificates for one sequence name the same block, by quorum intersection).
  const ViewChangeSummary* highest = &view_changes.front();
  for (const ViewChangeSummary& vc : view_changes) {
    if (vc.checkpoint.sequence > highest->checkpoint.sequence) highest = &vc;
  }
  plan.checkpoint = highest->checkpoint;
  // C: the highest anchor quoted, a checkpoint or a committed block (ties: the first; two
  // final blocks at one height are the same block).
  plan.anchor = view_changes.front().anchor;
  for (const ViewChangeSummary& vc : view_changes) {
    if (vc.anchor.sequence > plan.anchor.sequence) plan.anchor = vc.anchor;
  }

  // For each sequence above C, the certificate from the highest view.
  std::map<std::uint64_t, const PreparedSummary*> best;
  for (const ViewChangeSummary& vc : view_changes) {
    for (const PreparedSummary& p : vc.prepared) {
      if (p.sequence <= plan.anchor.sequence) continue;
      auto [it, inserted] = best.emplace(p.sequence, &p);
      if (inserted) continue;
      const PreparedSummary* current = it->second;
      if (p.view > current->view ||
          (p.view == current->view && p.block->hash < current->block->hash)) {
        it->second = &p;
      }
    }
  }

  // Walk up from C while the chosen blocks link; stop at the first gap or break.
  crypto::Digest previous = plan.anchor.block_hash;
  for (std::uint64_t s = plan.anchor.sequence + 1;; ++s) {
    const auto it = best.find(s);
    if (it == best.end()) break;
    if (it->second->block->header.parent_hash() != DigestBytes(previous)) break;
    plan.reproposals.push_back(it->second);
    previous = it->second->block->hash;
  }
  plan.top = plan.anchor.sequence + plan.reproposals.size();
  return plan;
}

Result<VerifiedNewView> VerifyNewView(const OpenedMessage& opened, const ChainContext& context,
                                      const GenesisFacts& genesis, const ConsensusParams& params) {
  if (!opened.message.has_new_view()) return Status::InvalidArgument("not a NEW-VIEW");
  const proto::NewView& nv = opened.message.new_view();
  const std::string& primary = context.validators->Primary(nv.view());
  if (nv.view() == 0 || opened.sender() != primary) {
    return Status::InvalidArgument("NEW-VIEW not from the primary of its view");
  }
  std::vector<ViewChangeSummary> view_changes;
  std::set<std::string> senders;
  for (const proto::ConsensusEnvelope& envelope : nv.view_changes()) {
    COLEND_ASSIGN_OR_RETURN(OpenedMessage vc, OpenEnvelope(envelope, context));
    COLEND_ASSIGN_OR_RETURN(
        ViewChangeSummary summary,
        VerifyViewChange(vc, context, genesis, params.checkpoint_period, params.window));
    if (summary.new_view != nv.view()) {
      return Status::InvalidArgument("NEW-VIEW quotes a VIEW-CHANGE for another view");
    }
    if (!senders.insert(summary.sender).second) {
      return Status::InvalidArgument("NEW-VIEW quotes one validator twice");
    }
    view_changes.push_back(std::move(summary));
  }
  if (view_changes.size() < context.validators->quorum()) {
    return Status::InvalidArgument("NEW-VIEW quotes fewer than a quorum of VIEW-CHANGEs");
  }

  const NewViewPlan plan = PlanNewView(nv.view(), view_changes);
  if (static_cast<std::size_t>(nv.pre_prepares_size()) != plan.reproposals.size()) {
    return Status::InvalidArgument("NEW-VIEW re-proposes " +
                                   std::to_string(nv.pre_prepares_size()) + " blocks, not " +
                                   std::to_string(plan.reproposals.size()));
  }
  VerifiedNewView verified;
  verified.view = nv.view();
  verified.checkpoint = plan.checkpoint;
  verified.anchor = plan.anchor;
  verified.top = plan.top;
  for (std::size_t i = 0; i < plan.reproposals.size(); ++i) {
    const PreparedSummary& expected = *plan.reproposals[i];
    COLEND_ASSIGN_OR_RETURN(OpenedMessage pp,
                            OpenEnvelope(nv.pre_prepares(static_cast<int>(i)), context));
    if (pp.sender() != primary || !pp.message.has_pre_prepare()) {
      return Status::InvalidArgument("NEW-VIEW PRE-PREPARE not from its primary");
    }
    if (!pp.envelope.transactions().empty()) {
      return Status::InvalidArgument("NEW-VIEW re-proposal carries transactions");
    }
    const proto::PrePrepare& p = pp.message.pre_prepare();
    if (p.view() != nv.view() || p.sequence() != expected.sequence ||
        p.header() != expected.block->block.header()) {
      return Status::InvalidArgument("NEW-VIEW re-proposal at sequence " +
                                     std::to_string(expected.sequence) +
                                     " differs from what the VIEW-CHANGEs require");
    }
    verified.reproposals.push_back(Reproposal{expected.sequence, pp.envelope, expected.block});
  }
  verified.envelope = opened.envelope;
  return verified;
}

}  // namespace colend::consensus::safety
