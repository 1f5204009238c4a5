#include "join_proposals.h"

#include <algorithm>
#include <utility>

#include <boost/json.hpp>

#include "colend/common/bytes.h"
#include "colend/common/files.h"
#include "colend/contracts/tx_json.h"

namespace colend::netgen {

namespace fs = std::filesystem;
namespace json = boost::json;

Result<std::string> StringField(const json::object& o, std::string_view key,
                                const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return Status::InvalidArgument(where + ": \"" + std::string(key) +
                                   "\" is missing or not a string");
  }
  return std::string(v->as_string());
}

namespace {

// A GovernanceProposal transaction (docs/api.md) as JSON, checked to read back.
Result<std::string> ProposalJson(const std::string& signer, const std::string& proposal_id,
                                 proto::TransactionBody body) {
  body.set_signer(signer);
  body.set_id("propose:" + proposal_id);
  body.mutable_governance_proposal()->set_proposal_id(proposal_id);
  const std::string text = contracts::TransactionBodyToJson(body);
  COLEND_RETURN_IF_ERROR(contracts::TransactionBodyFromJson(text).status());
  return text + "\n";
}

}  // namespace

Result<std::string> AddMemberJson(const std::string& bank, const std::string& legal_name,
                                  const std::string& signer, const crypto::PublicKey& client_key) {
  proto::TransactionBody body;
  proto::GovernanceProposal* gp = body.mutable_governance_proposal();
  gp->set_description("admit " + bank + " as a member");
  proto::AddMember* add = gp->mutable_add_member();
  add->set_member_id(bank);
  add->set_legal_name(legal_name);
  proto::ClientKey* key = add->add_client_keys();
  key->set_key_id(ToString(client_key.key_id()));
  COLEND_ASSIGN_OR_RETURN(const Bytes der, client_key.ToDer());
  key->set_public_key(ToString(der));
  return ProposalJson(signer, AddMemberProposalId(bank), std::move(body));
}

Result<std::string> ChangeValidatorSetJson(const std::string& proposal_id,
                                           const std::string& description,
                                           const std::string& signer,
                                           std::vector<proto::Validator> validators) {
  // The contract takes the set sorted by node_id, byte-wise.
  std::sort(validators.begin(), validators.end(),
            [](const proto::Validator& a, const proto::Validator& b) {
              return a.node_id() < b.node_id();
            });
  proto::TransactionBody body;
  proto::GovernanceProposal* gp = body.mutable_governance_proposal();
  gp->set_description(description);
  for (proto::Validator& v : validators) {
    *gp->mutable_change_validator_set()->add_validators() = std::move(v);
  }
  return ProposalJson(signer, proposal_id, std::move(body));
}

Result<std::string> ValidatorSetJson(const std::string& bank, const std::string& node_id,
                                     const std::string& signer,
                                     std::vector<proto::Validator> validators,
                                     const crypto::PublicKey& node_key) {
  proto::Validator added;
  added.set_node_id(node_id);
  added.set_member_id(bank);
  COLEND_ASSIGN_OR_RETURN(const Bytes der, node_key.ToDer());
  added.set_public_key(ToString(der));
  const std::string description = "add " + node_id + ", the node of " + bank + ", to the " +
                                  std::to_string(validators.size()) + " validators";
  validators.push_back(std::move(added));
  return ChangeValidatorSetJson(ValidatorSetProposalId(bank), description, signer,
                                std::move(validators));
}

std::string AddMemberProposalId(const std::string& bank) {
  return "JOIN-" + bank + "-MEMBER";
}
std::string ValidatorSetProposalId(const std::string& bank) {
  return "JOIN-" + bank + "-VALIDATOR";
}

Result<std::vector<proto::Validator>> ReadValidatorsJson(const fs::path& file,
                                                         crypto::CryptoSuite suite) {
  COLEND_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(file.string()));
  const std::string where = "--validators-json " + file.string();
  json::error_code jec;
  json::value v = json::parse(text, jec);
  if (jec || !v.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
  if (const json::value* result = v.as_object().if_contains("result")) v = *result;
  if (!v.is_object()) return Status::InvalidArgument(where + ": \"result\" is not an object");
  const json::value* set = &v;
  if (const json::value* next = v.as_object().if_contains("next");
      next != nullptr && next->is_object()) {
    set = next;
  }
  const json::value* list = set->as_object().if_contains("validators");
  if (list == nullptr || !list->is_array() || list->as_array().empty()) {
    return Status::InvalidArgument(where + ": not a getValidators result (no \"validators\")");
  }
  std::vector<proto::Validator> out;
  for (const json::value& entry : list->as_array()) {
    if (!entry.is_object())
      return Status::InvalidArgument(where + ": a validator is not an object");
    proto::Validator validator;
    COLEND_ASSIGN_OR_RETURN(*validator.mutable_node_id(),
                            StringField(entry.as_object(), "node_id", where));
    COLEND_ASSIGN_OR_RETURN(*validator.mutable_member_id(),
                            StringField(entry.as_object(), "member_id", where));
    COLEND_ASSIGN_OR_RETURN(const std::string pem,
                            StringField(entry.as_object(), "public_key", where));
    Result<crypto::PublicKey> key = crypto::PublicKey::FromPem(suite, pem);
    if (!key.ok()) {
      return Status::InvalidArgument(where + ": the key of " + validator.node_id() + " is not a " +
                                     std::string(suite.name()) +
                                     " public key: " + key.status().message());
    }
    COLEND_ASSIGN_OR_RETURN(const Bytes der, key->ToDer());
    validator.set_public_key(ToString(der));
    out.push_back(std::move(validator));
  }
  return out;
}

}  // namespace colend::netgen
