// The node's half of checking a proposed block: what the consensus core cannot judge on
// its own (transaction signatures and member keys, sizes, nonces, contract pre-checks, and
// that no transaction was already committed).
#ifndef COLEND_CONSENSUS_PROPOSAL_VALIDATOR_H_
#define COLEND_CONSENSUS_PROPOSAL_VALIDATOR_H_

#include "colend/common/status.h"
#include "colend/proto/block.pb.h"

namespace colend::consensus {

// How a host answers a CheckProposalAction (actions.h): the replica emits the action, the
// host runs the check (colend-node on its "colend-check" thread, the simulator at once) and
// gives the verdict back with Replica::OnProposalChecked. The replica never calls it.
// Thread safety: the implementation's own; colend-node's may run beside the event loop.
class ProposalValidator {
 public:
  virtual ~ProposalValidator() = default;

  // OK if an honest node may vote for `block` (header already parsed and checked by the
  // core: chain, height, parent, time, proposer, tx_count, tx_root, limits, and no
  // transaction repeated within the block or in its uncommitted ancestors). The node checks
  // every transaction. A check that depends on the node's state (a transaction already
  // committed) needs every block committed before the check to be in the node's index:
  // ActionLoop issues checks only when no commit is queued. Asked for fresh proposals
  // only, once per PRE-PREPARE the replica would otherwise accept; never for re-proposals,
  // which a quorum has already checked.
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
