// The JSON of the governance payloads (GovernanceProposal with its actions, GovernanceVote),
// split from tx_json.cc to keep each file to one subject. Private to colend_contracts; the
// shapes are documented in docs/api.md, "Governance transactions".
#ifndef COLEND_CONTRACTS_SRC_GOVERNANCE_JSON_H_
#define COLEND_CONTRACTS_SRC_GOVERNANCE_JSON_H_

#include "colend/common/status.h"
#include "colend/proto/tx.pb.h"
#include "json_document.h"
#include "json_fields.h"

namespace colend::contracts::internal {

// Read the payload's fields from the transaction object `in` (which also holds "type",
// "signer" and "id"; the caller checks for unread keys).
Status ReadGovernanceProposal(ObjectReader& in, proto::GovernanceProposal* out);
Status ReadGovernanceVote(ObjectReader& in, proto::GovernanceVote* out);

// Write the payload's fields into the transaction object being written.
void WriteGovernanceProposal(const proto::GovernanceProposal& proposal, JsonWriter& out);
void WriteGovernanceVote(const proto::GovernanceVote& vote, JsonWriter& out);

}  // namespace colend::contracts::internal

#endif  // COLEND_CONTRACTS_SRC_GOVERNANCE_JSON_H_
