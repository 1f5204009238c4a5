// The node's half of checking a proposed block: what the consensus core cannot judge on
// its own (transaction signatures and member keys, sizes, nonces, contract pre-checks, and
// that no transaction was already committed).
#ifndef COLEND_CONSENSUS_PROPOSAL_VALIDATOR_H_
#define COLEND_CONSENSUS_PROPOSAL_VALIDATOR_H_

#include "colend/common/status.h"
#include "colend/proto/block.pb.h"

namespace colend::consensus {

// Thread safety: called only from the replica's thread (strand).
class ProposalValidator {
 public:
  virtual ~ProposalValidator() = default;

  // OK if an honest node may vote for `block` (header already parsed and checked by the
  // core: chain, height, parent, time, proposer, tx_count, tx_root, limits, and no
  // transaction repeated within the block or in its uncommitted ancestors). The node checks
  // every transaction and that none is in a committed block: its committed index must
  // include every block handed out by a CommitAction returned from an earlier Replica call
  // (the core itself covers blocks committed during the current call). Called for fresh
  // proposals only, at most once per accepted PRE-PREPARE; never for re-proposals, which a
  // quorum has already checked.
  virtual Status ValidateProposal(const proto::BlockHeader& header, const proto::Block& block) = 0;
};

// Accepts everything; for tests that exercise only the consensus rules.
class AcceptAllProposals final : public ProposalValidator {
 public:
  Status ValidateProposal(const proto::BlockHeader&, const proto::Block&) override {
    return Status::Ok();
  }
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_PROPOSAL_VALIDATOR_H_
