// The governance actions on who runs the chain: the validator set with its epochs
// (validators.h) and the certificate revocation list. Split from governance.cc, which
// handles proposals and votes and calls these when an action applies.
#ifndef COLEND_CONTRACTS_SRC_VALIDATOR_GOVERNANCE_H_
#define COLEND_CONTRACTS_SRC_VALIDATOR_GOVERNANCE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "colend/common/status.h"
#include "colend/contracts/state.h"
#include "colend/proto/tx.pb.h"
#include "tx_env.h"
#include "verdict.h"

namespace colend::contracts {

// ChangeValidatorSet: checks the set (sorted, unique node ids and keys, active members,
// valid keys, not the set already decided) and decides it as a new epoch.
Verdict ChangeValidatorSetAction(TxEnv& env, const proto::ChangeValidatorSet& change);

// For SuspendMember: if the latest decided set has validators run by `member_id`, decides
// the set without them as a new epoch; BAD_VALIDATOR_SET if none would be left. Nothing
// changes if the member runs none.
Verdict RemoveMemberValidators(TxEnv& env, std::string_view member_id);

// RevokeCertificate: adds the fingerprint to the revocation list.
Verdict RevokeCertificateAction(TxEnv& env, const proto::RevokeCertificate& revoke);

// Genesis: "meta/validators", the schedule with `activation_delay` and epoch 0 holding
// `validators` (sorted here by node_id) from height 1. kInvalidArgument if
// activation_delay is 0 (a set would order the block that decided it).
Status WriteGenesisValidators(StateView& view, std::vector<proto::Validator> validators,
                              std::uint64_t activation_delay);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_VALIDATOR_GOVERNANCE_H_
