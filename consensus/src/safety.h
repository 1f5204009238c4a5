// The safety rules of colend's PBFT, in one place. safety.cc states the argument; the
// replica (replica_*.cc) calls these functions at every decision that could fork the chain.
//
// Thread safety: pure functions.
#ifndef COLEND_CONSENSUS_SRC_SAFETY_H_
#define COLEND_CONSENSUS_SRC_SAFETY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "colend/common/result.h"
#include "colend/consensus/messages.h"
#include "colend/consensus/params.h"
#include "colend/consensus/validator_set.h"
#include "evidence.h"

namespace colend::consensus::safety {

// --- Rule 1: accepting a fresh PRE-PREPARE (header checks; the replica adds the chain,
// duplicate and transaction checks, see safety.cc) ------------------------------------------

struct ParentFacts {
  crypto::Digest hash{};
  std::uint64_t timestamp_ms = 0;
};

struct ExpectedRoots {
  crypto::Digest state_root{};
  crypto::Digest receipts_root{};
};

// OK if `block`, proposed fresh by the primary of `view` at `sequence`, is one an honest
// replica may accept given its parent and the replica's clock when the message arrived.
// `roots` are the replica's own roots after executing sequence - L, if it has them.
// `filler`: the replica knows its epoch ends at or above `sequence`, so an empty block is
// allowed there ("Epochs"); anywhere else a block must carry transactions.
Status CheckFreshProposal(const ParsedBlock& block, std::uint64_t view, std::uint64_t sequence,
                          const ValidatorSet& validators, const ParentFacts& parent,
                          std::uint64_t arrival_ms, const ConsensusParams& params,
                          const std::optional<ExpectedRoots>& roots, bool filler = false);

// --- Rules 2-4: prepared, commit, committed --------------------------------------------------

// Rule 2: prepared = the accepted PRE-PREPARE (the primary's vote) plus PREPAREs for the
// same (view, sequence, hash) from `prepares` distinct other validators make a quorum.
bool PreparedQuorum(std::size_t prepares, const ValidatorSet& validators);

// Rule 3: where the block's parent stands for this replica.
enum class ParentState {
  kAnchored,        // committed here, or the stable checkpoint (or genesis), same hash
  kPreparedInView,  // this replica is prepared for the parent in the same view
  kNotYet,          // neither (yet)
  kConflicts,       // this replica committed another block at the parent's height
};
// A replica sends COMMIT (and counts itself prepared for VIEW-CHANGE) only when the block
// is prepared AND its parent is anchored or prepared in the same view.
bool MayCommit(ParentState parent);

// Rule 4: committed = COMMITs for the same (view, sequence, hash) from a quorum.
bool CommitQuorum(std::size_t commits, const ValidatorSet& validators);

// --- Rules 5-6: NEW-VIEW ---------------------------------------------------------------------

// What the primary of `view` must re-propose, computed from the VIEW-CHANGEs it quotes.
struct NewViewPlan {
  std::uint64_t view = 0;
  CheckpointSummary checkpoint;                     // the highest stable checkpoint quoted
  Anchor anchor;                                    // the highest anchor quoted (C)
  std::vector<const PreparedSummary*> reproposals;  // sequences anchor+1 .. top
  std::uint64_t top = 0;                            // last re-proposed sequence (or anchor)
};

// Rule 5. REQUIRES: every summary is a verified VIEW-CHANGE for `view`, from distinct
// validators, at least a quorum of them. The plan points into `view_changes`.
NewViewPlan PlanNewView(std::uint64_t view, std::span<const ViewChangeSummary> view_changes);
// The plan would point into a temporary.
NewViewPlan PlanNewView(std::uint64_t view, std::vector<ViewChangeSummary>&& view_changes) = delete;

// A NEW-VIEW that passed Rule 6.
struct Reproposal {
  std::uint64_t sequence = 0;
  proto::ConsensusEnvelope envelope;  // the new primary's PRE-PREPARE, verbatim
  BlockRef block;
};
struct VerifiedNewView {
  std::uint64_t view = 0;
  CheckpointSummary checkpoint;
  Anchor anchor;
  std::vector<Reproposal> reproposals;
  std::uint64_t top = 0;
  proto::ConsensusEnvelope envelope;
};

// Rule 6: `opened` is a NEW-VIEW from the primary of its view, quoting a quorum of valid
// VIEW-CHANGEs for that view from distinct validators, whose PRE-PREPAREs are exactly
// PlanNewView's re-proposals (same blocks, byte for byte, signed by that primary).
Result<VerifiedNewView> VerifyNewView(const OpenedMessage& opened, const ChainContext& context,
                                      const GenesisFacts& genesis, const ConsensusParams& params);

}  // namespace colend::consensus::safety

#endif  // COLEND_CONSENSUS_SRC_SAFETY_H_
