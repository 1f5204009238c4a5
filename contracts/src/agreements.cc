// Agreements: ProposeAgreement, AcceptAgreement, SuspendAgreement (docs/domain.md).
#include <algorithm>
#include <string>
#include <vector>

#include "colend/contracts/records.h"
#include "contract_state.h"
#include "tx_env.h"
#include "validation.h"

namespace colend::contracts {

Verdict ProposeAgreementHandler(TxEnv& env) {
  const proto::ProposeAgreement& p = env.body.propose_agreement();
  if (!IsObjectId(p.agreement_id())) {
    return Verdict::Reject(ErrorCode::kBadField,
                           "agreement_id must be 1-64 letters, digits or . _ : -");
  }
  if (!IsCurrency(p.currency())) {
    return Verdict::Reject(ErrorCode::kBadField,
                           "currency must be an ISO 4217 code of three upper-case letters");
  }
  if (p.disbursement() != proto::DISBURSEMENT_MODE_FRONTED &&
      p.disbursement() != proto::DISBURSEMENT_MODE_DIRECT) {
    return Verdict::Reject(ErrorCode::kBadField, "disbursement must be FRONTED or DIRECT");
  }
  if (p.approval() != proto::APPROVAL_MODE_PREAPPROVED &&
      p.approval() != proto::APPROVAL_MODE_PER_LOAN) {
    return Verdict::Reject(ErrorCode::kBadField, "approval must be PREAPPROVED or PER_LOAN");
  }
  if (p.service_fee_bp() > 10'000) {
    return Verdict::Reject(ErrorCode::kBadField, "service_fee_bp must be at most 10000");
  }
  const std::string key = keys::Agreement(p.agreement_id());
  COLEND_ASSIGN_OR_FAULT(auto existing, ReadRecord<proto::AgreementRecord>(env.view, key));
  if (existing.has_value()) {
    return Verdict::Reject(ErrorCode::kAgreementExists,
                           "agreement " + p.agreement_id() + " already exists");
  }

  // Protobuf maps have no order: sort the parties before anything depends on order.
  std::vector<std::pair<std::string, std::uint32_t>> shares(p.shares().begin(),
                                                            p.shares().end());
  std::sort(shares.begin(), shares.end());
  if (shares.size() < 2) {
    return Verdict::Reject(ErrorCode::kBadShares,
                           "an agreement needs the lead and at least one partner");
  }
  if (!p.shares().contains(env.signer())) {
    return Verdict::Reject(ErrorCode::kBadShares,
                           "shares must name the lead " + env.signer() + " (the signer)");
  }
  std::uint64_t sum = 0;
  for (const auto& [bank, bp] : shares) {
    if (bp == 0) return Verdict::Reject(ErrorCode::kBadShares, "share of " + bank + " is 0");
    sum += bp;
  }
  if (sum != 10'000) {
    return Verdict::Reject(ErrorCode::kBadShares,
                           "shares sum to " + std::to_string(sum) + " bp, not 10000");
  }
  for (const auto& [bank, bp] : shares) {
    COLEND_ASSIGN_OR_FAULT(bool active, IsActiveMember(env.view, bank));
    if (!active) {
      return Verdict::Reject(ErrorCode::kBadShares, bank + " is not an active member");
    }
  }
  COLEND_ASSIGN_OR_FAULT(proto::NetworkRules rules, ReadRules(env.view));
  for (const auto& [bank, bp] : shares) {
    if (bp < rules.min_funder_bp()) {
      return Verdict::Reject(ErrorCode::kBelowMinShare,
                             "share of " + bank + " is " + std::to_string(bp) +
                                 " bp, below the network minimum of " +
                                 std::to_string(rules.min_funder_bp()) + " bp");
    }
  }
  for (const auto& [bank, limit] : p.limits()) {
    if (!p.shares().contains(bank)) {
      return Verdict::Reject(ErrorCode::kBadField,
                             "limits names " + bank + ", which is not a party");
    }
    if (limit.max_outstanding() < 0) {
      return Verdict::Reject(ErrorCode::kBadAmount,
                             "limit of " + bank + " is negative");
    }
  }

  proto::AgreementRecord record;
  record.set_id(p.agreement_id());
  record.set_lead(env.signer());
  record.set_currency(p.currency());
  for (const auto& [bank, bp] : shares) {
    proto::AgreementParty* party = record.add_parties();
    party->set_bank(bank);
    party->set_share_bp(bp);
    auto limit = p.limits().find(bank);
    if (limit != p.limits().end()) {
      party->set_has_limit(true);
      party->set_max_outstanding(limit->second.max_outstanding());
    }
    party->set_accepted(bank == env.signer());
  }
  record.set_service_fee_bp(p.service_fee_bp());
  record.set_disbursement(p.disbursement());
  record.set_approval(p.approval());
  record.set_status(proto::AGREEMENT_STATUS_PROPOSED);
  WriteRecord(env.view, key, record);
  return Verdict::Accept();
}

Verdict AcceptAgreementHandler(TxEnv& env) {
  const std::string& id = env.body.accept_agreement().agreement_id();
  COLEND_ASSIGN_OR_FAULT(auto found, ReadAgreement(env.view, id));
  if (!found.has_value()) {
    return Verdict::Reject(ErrorCode::kNoAgreement, "no agreement " + id);
  }
  proto::AgreementRecord& agreement = *found;
  proto::AgreementParty* party = FindParty(agreement, env.signer());
  if (party == nullptr) {
    return Verdict::Reject(ErrorCode::kNotAParty,
                           env.signer() + " is not a party of agreement " + id);
  }
  if (agreement.status() == proto::AGREEMENT_STATUS_SUSPENDED) {
    return Verdict::Reject(ErrorCode::kAgreementNotActive, "agreement " + id + " is suspended");
  }
  if (party->accepted()) {
    return Verdict::Reject(ErrorCode::kAlreadyAccepted,
                           env.signer() + " has already accepted agreement " + id);
  }
  party->set_accepted(true);
  const bool all = std::all_of(agreement.parties().begin(), agreement.parties().end(),
                               [](const proto::AgreementParty& p) { return p.accepted(); });
  if (all) agreement.set_status(proto::AGREEMENT_STATUS_ACTIVE);
  WriteRecord(env.view, keys::Agreement(id), agreement);
  return Verdict::Accept();
}

Verdict SuspendAgreementHandler(TxEnv& env) {
  const std::string& id = env.body.suspend_agreement().agreement_id();
  COLEND_ASSIGN_OR_FAULT(auto found, ReadAgreement(env.view, id));
  if (!found.has_value()) {
    return Verdict::Reject(ErrorCode::kNoAgreement, "no agreement " + id);
  }
  proto::AgreementRecord& agreement = *found;
  if (FindParty(agreement, env.signer()) == nullptr) {
    return Verdict::Reject(ErrorCode::kNotAParty,
                           env.signer() + " is not a party of agreement " + id);
  }
  if (agreement.status() == proto::AGREEMENT_STATUS_SUSPENDED) {
    return Verdict::Reject(ErrorCode::kAgreementNotActive,
                           "agreement " + id + " is already suspended");
  }
  agreement.set_status(proto::AGREEMENT_STATUS_SUSPENDED);
  agreement.set_suspended_by(env.signer());
  WriteRecord(env.view, keys::Agreement(id), agreement);
  return Verdict::Accept();
}

}  // namespace colend::contracts
