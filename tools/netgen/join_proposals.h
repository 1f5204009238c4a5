// The governance transactions a joining bank needs (join.h), as docs/api.md's JSON
// ("Governance transactions"): an AddMember proposal for the bank and its client key, and a
// ChangeValidatorSet proposal for a set extended by the bank's node. Each is written the way
// contracts::TransactionBodyToJson prints a body and checked to read back with
// TransactionBodyFromJson; "id" is "propose:<proposal id>", as colend-cli's default.
//
// Thread safety: stateless functions.
#ifndef COLEND_TOOLS_NETGEN_JOIN_PROPOSALS_H_
#define COLEND_TOOLS_NETGEN_JOIN_PROPOSALS_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "colend/common/result.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "colend/proto/tx.pb.h"

namespace colend::netgen {

// The string member `key` of `o`; InvalidArgument naming `where` if it is missing or not a
// string.
Result<std::string> StringField(const boost::json::object& o, std::string_view key,
                                const std::string& where);

// The proposal ids the two transactions carry.
std::string AddMemberProposalId(const std::string& bank);
std::string ValidatorSetProposalId(const std::string& bank);

// The AddMember proposal, signed by member `signer`, one line of JSON and a newline.
Result<std::string> AddMemberJson(const std::string& bank, const std::string& legal_name,
                                  const std::string& signer, const crypto::PublicKey& client_key);

// A ChangeValidatorSet proposal for `validators`, sorted by node id (byte-wise, as the
// contract requires), signed by member `signer`.
Result<std::string> ChangeValidatorSetJson(const std::string& proposal_id,
                                           const std::string& description,
                                           const std::string& signer,
                                           std::vector<proto::Validator> validators);

// The ChangeValidatorSet proposal: `validators` and the node `node_id` of `bank` with
// `node_key`, sorted by node id (byte-wise, as the contract requires).
Result<std::string> ValidatorSetJson(const std::string& bank, const std::string& node_id,
                                     const std::string& signer,
                                     std::vector<proto::Validator> validators,
                                     const crypto::PublicKey& node_key);

// The validators of a getValidators result (the "result" object, or the whole JSON-RPC
// response): its `next`, the latest decided set, if it names one, else the set in force.
// Public keys must be keys of `suite`. kInvalidArgument with a sentence otherwise.
Result<std::vector<proto::Validator>> ReadValidatorsJson(const std::filesystem::path& file,
                                                         crypto::CryptoSuite suite);

}  // namespace colend::netgen

#endif  // COLEND_TOOLS_NETGEN_JOIN_PROPOSALS_H_
