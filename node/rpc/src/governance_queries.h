// Read-only queries of the governance state for the RPC methods: the validator schedule
// (getValidators), the certificate revocation list (getRevokedCertificates) and the
// proposals (getProposals), over the contracts' readers (colend/contracts/validators.h,
// records.h). Each returns the method's result object (docs/api.md).
//
// Thread safety: stateless functions; the reader/scanner must be a consistent snapshot.
#ifndef COLEND_NODE_RPC_SRC_GOVERNANCE_QUERIES_H_
#define COLEND_NODE_RPC_SRC_GOVERNANCE_QUERIES_H_

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "colend/common/result.h"
#include "colend/contracts/state.h"
#include "colend/node/node_api.h"

namespace colend::node::rpc {

namespace json = boost::json;

struct ValidatorsQuery {
  // The height whose set is asked for; std::nullopt: the set that orders the next block.
  std::optional<std::uint64_t> height;
  // This node's consensus view and last committed height (GetConsensusStatus).
  std::uint64_t view = 0;
  std::uint64_t committed_height = 0;
};

// {"epoch", "start_height", "decided_at_height", "validators": [{"node_id", "member_id",
// "public_key"}], "view"?, "primary"?, "next"?}. The current epoch is the one ordering the
// next block (max(committed, executed) + 1); "view" and "primary" (validators[view mod n])
// are given only for it; "next" (epoch, start_height, validators), only when no height
// was asked, is the first epoch decided but not yet started. kInvalidArgument if the
// height is above the executed height (head.height).
Result<json::value> GetValidators(const contracts::StateReader& reader, const StateHead& head,
                                  const ValidatorsQuery& query);

// {"revoked": [{"fingerprint", "reason", "revoked_at_height"}]} by fingerprint.
Result<json::value> ListRevokedCertificates(const contracts::StateScanner& scanner);

// {"proposals": [ProposalJson...]} by proposal id; `status` ("OPEN", "PASSED", "REJECTED",
// "FAILED") keeps only those, empty keeps all.
Result<json::value> ListProposals(const contracts::StateScanner& scanner,
                                  const std::string& status);

// The node ids of the latest decided validator set run by each member (getMembers).
Result<std::map<std::string, json::array>> ValidatorsByMember(const contracts::StateReader& reader);

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_GOVERNANCE_QUERIES_H_
