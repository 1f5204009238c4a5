#include "governance_queries.h"

#include <algorithm>
#include <map>

#include "colend/contracts/records.h"
#include "colend/contracts/tx_json.h"
#include "colend/contracts/validators.h"
#include "colend/proto/state.pb.h"
#include "rpc_render.h"

namespace colend::node::rpc {
namespace {

json::array ValidatorListJson(const proto::ValidatorEpochRecord& epoch) {
  json::array validators;
  for (const proto::Validator& v : epoch.validators()) {
    json::object o;
    o["node_id"] = v.node_id();
    o["member_id"] = v.member_id();
    o["public_key"] = PublicKeyPem(AsBytes(v.public_key()));
    validators.push_back(std::move(o));
  }
  return validators;
}

std::string ProposalStatusName(proto::ProposalStatus status) {
  switch (status) {
    case proto::PROPOSAL_STATUS_OPEN:
      return "OPEN";
    case proto::PROPOSAL_STATUS_PASSED:
      return "PASSED";
    case proto::PROPOSAL_STATUS_REJECTED:
      return "REJECTED";
    case proto::PROPOSAL_STATUS_FAILED:
      return "FAILED";
    default:
      return "UNSPECIFIED";
  }
}

// The action as the transaction JSON writes it (docs/api.md, "Governance transactions"):
// the codec that reads proposals also prints them, so the two shapes cannot drift.
Result<json::value> ActionJson(const proto::ProposalRecord& record) {
  proto::TransactionBody body;
  *body.mutable_governance_proposal() = record.proposal();
  const json::object tx = contracts::TransactionBodyJson(body);
  const json::value* action = tx.if_contains("action");
  if (action == nullptr) {
    return Status::Corruption("proposal " + record.id() + " has no action the JSON can show");
  }
  return *action;
}

Result<json::object> ProposalJson(const proto::ProposalRecord& p) {
  json::object out;
  out["proposal_id"] = p.id();
  out["proposer"] = p.proposer();
  out["description"] = p.proposal().description();
  COLEND_ASSIGN_OR_RETURN(out["action"], ActionJson(p));
  out["status"] = ProposalStatusName(p.status());
  out["approvals"] = json::array(p.approvals().begin(), p.approvals().end());
  out["rejections"] = json::array(p.rejections().begin(), p.rejections().end());
  out["opened_at_height"] = p.opened_at_height();
  if (p.status() != proto::PROPOSAL_STATUS_OPEN) out["decided_at_height"] = p.decided_at_height();
  if (!p.failure().empty()) out["failure"] = p.failure();
  return out;
}

}  // namespace

Result<json::value> GetValidators(const contracts::StateReader& reader, const StateHead& head,
                                  const ValidatorsQuery& query) {
  if (query.height.has_value() && *query.height > head.height) {
    return Status::InvalidArgument("param \"height\": " + std::to_string(*query.height) +
                                   " is above the executed height " + std::to_string(head.height) +
                                   "; the set of a later height may still change");
  }
  // The set that orders the next block. Its epoch was decided at least G blocks earlier, so
  // the executed state knows it.
  const std::uint64_t next_height = std::max(query.committed_height, head.height) + 1;
  COLEND_ASSIGN_OR_RETURN(const proto::ValidatorEpochRecord current,
                          contracts::ValidatorEpochAt(reader, next_height));
  proto::ValidatorEpochRecord epoch = current;
  if (query.height.has_value()) {
    COLEND_ASSIGN_OR_RETURN(epoch, contracts::ValidatorEpochAt(reader, *query.height));
  }
  json::object out;
  out["epoch"] = epoch.epoch();
  out["start_height"] = epoch.start_height();
  out["decided_at_height"] = epoch.decided_at_height();
  out["validators"] = ValidatorListJson(epoch);
  if (epoch.epoch() == current.epoch() && epoch.validators_size() > 0) {
    out["view"] = query.view;
    const auto n = static_cast<std::uint64_t>(epoch.validators_size());
    out["primary"] = epoch.validators(static_cast<int>(query.view % n)).node_id();
  }
  if (!query.height.has_value()) {
    COLEND_ASSIGN_OR_RETURN(auto later,
                            contracts::ReadValidatorEpochs(reader, current.epoch() + 1));
    if (!later.empty()) {
      json::object next;
      next["epoch"] = later.front().epoch();
      next["start_height"] = later.front().start_height();
      next["validators"] = ValidatorListJson(later.front());
      out["next"] = std::move(next);
    }
  }
  return json::value(std::move(out));
}

Result<json::value> ListRevokedCertificates(const contracts::StateScanner& scanner) {
  COLEND_ASSIGN_OR_RETURN(auto revoked, contracts::ReadRevokedCertificates(scanner));
  json::array list;
  for (const proto::RevokedCertificate& r : revoked) {
    json::object o;
    o["fingerprint"] = r.fingerprint();
    o["reason"] = r.reason();
    o["revoked_at_height"] = r.revoked_at_height();
    list.push_back(std::move(o));
  }
  json::object out;
  out["revoked"] = std::move(list);
  return json::value(std::move(out));
}

Result<json::value> ListProposals(const contracts::StateScanner& scanner,
                                  const std::string& status) {
  json::array list;
  Status failed;
  scanner.Scan(contracts::keys::kProposalPrefix, [&](std::string_view key, std::string_view value) {
    proto::ProposalRecord record;
    if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      failed = Status::Corruption("state record at \"" + std::string(key) +
                                  "\" does not parse as ProposalRecord");
      return false;
    }
    if (!status.empty() && ProposalStatusName(record.status()) != status) return true;
    Result<json::object> json = ProposalJson(record);
    if (!json.ok()) {
      failed = json.status();
      return false;
    }
    list.push_back(std::move(json).value());
    return true;
  });
  COLEND_RETURN_IF_ERROR(failed);
  json::object out;
  out["proposals"] = std::move(list);
  return json::value(std::move(out));
}

Result<std::map<std::string, json::array>> ValidatorsByMember(
    const contracts::StateReader& reader) {
  COLEND_ASSIGN_OR_RETURN(const proto::ValidatorSchedule schedule,
                          contracts::ReadValidatorSchedule(reader));
  COLEND_ASSIGN_OR_RETURN(auto latest,
                          contracts::ReadValidatorEpochs(reader, schedule.latest_epoch()));
  std::map<std::string, json::array> out;
  for (const proto::ValidatorEpochRecord& epoch : latest) {
    for (const proto::Validator& v : epoch.validators())
      out[v.member_id()].push_back(json::string(v.node_id()));
  }
  return out;
}

}  // namespace colend::node::rpc
