// Servicing: RecordRepayment, ChargeOff, RecordRecovery and Reverse (docs/domain.md).
//
// Every amount is split with the largest-remainder rule (common/split.h) by the banks'
// current balances: a repayment by outstanding principal, a recovery by the loss still
// open. The lead, as servicer, received the cash, so it owes each partner that partner's
// parts; each partner owes the lead the service fee on its interest.
#include <string>
#include <string_view>
#include <vector>

#include "checked.h"
#include "colend/common/split.h"
#include "colend/contracts/conservation.h"
#include "colend/contracts/records.h"
#include "contract_state.h"
#include "tx_env.h"
#include "validation.h"

namespace colend::contracts {
namespace {

// Splits `amount` (`what` names it: "principal", "interest", …) across the loan's legs by
// `weight_of`. The caller has checked that the amount is not negative and that the weights'
// total fits (Total) and is positive, so the split cannot fail for the transaction's sake:
// a failure, or parts that do not sum to the amount, is a fault.
Outcome<std::vector<Amount>> SplitBy(std::string_view what, std::int64_t amount,
                                     const proto::LoanRecord& loan,
                                     std::int64_t (*weight_of)(const proto::LoanLeg&)) {
  std::vector<SplitWeight> weights;
  weights.reserve(loan.legs_size());
  for (const proto::LoanLeg& leg : loan.legs()) weights.push_back({leg.bank(), weight_of(leg)});
  const Amount total = Amount::FromMinor(amount);
  COLEND_ASSIGN_OR_FAULT(std::vector<Amount> parts, SplitByWeights(total, weights, loan.lead()));
  COLEND_FAULT_IF_ERROR(CheckSplitConserves(
      std::string(what) + " " + total.ToString() + " of loan " + loan.id(), total, parts));
  return parts;
}

std::int64_t OutstandingOf(const proto::LoanLeg& leg) { return leg.outstanding(); }
std::int64_t OpenLossOf(const proto::LoanLeg& leg) { return leg.loss() - leg.recovered(); }

Outcome<std::int64_t> Total(const proto::LoanRecord& loan,
                            std::int64_t (*weight_of)(const proto::LoanLeg&)) {
  std::int64_t total = 0;
  for (const proto::LoanLeg& leg : loan.legs()) {
    COLEND_ASSIGN_OR_VERDICT(total, CheckedAdd(total, weight_of(leg)));
  }
  return total;
}

// Reads the loan a servicing event names and checks that the signer is its lead.
Verdict LoadServicedLoan(TxEnv& env, const std::string& id, std::optional<proto::LoanRecord>* out) {
  COLEND_ASSIGN_OR_FAULT(*out, ReadLoan(env.view, id));
  if (!out->has_value()) return Verdict::Reject(ErrorCode::kNoLoan, "no loan " + id);
  if ((*out)->lead() != env.signer()) {
    return Verdict::Reject(ErrorCode::kNotLead, env.signer() + " is not the lead (servicer) of loan " +
                                                    id + " (" + (*out)->lead() + " is)");
  }
  env.SetLoan(id, **out);
  return Verdict::Accept();
}

// Stages the agreement of `loan` for changing in place (every accepted servicing event
// writes it): the block keeps it decoded, so a block of events under one agreement parses
// and serialises it once. The loan itself, touched by one event in a block, is read and
// written as bytes.
Outcome<proto::AgreementRecord*> LoadAgreementOf(StateView& view, const proto::LoanRecord& loan) {
  COLEND_ASSIGN_OR_FAULT(
      proto::AgreementRecord * agreement,
      MutableRecord<proto::AgreementRecord>(view, keys::Agreement(loan.agreement_id())));
  if (agreement == nullptr) {
    return Verdict::Fault(Status::Corruption("loan " + loan.id() + " names missing agreement " +
                                             loan.agreement_id()));
  }
  return agreement;
}

Verdict CheckValueDate(const std::string& date, const proto::LoanRecord& loan) {
  if (!IsDate(date)) return Verdict::Reject(ErrorCode::kBadField, "value_date must be a date YYYY-MM-DD");
  if (date < loan.value_date()) {
    return Verdict::Reject(ErrorCode::kBadField, "value_date " + date +
                                                     " is before the loan's value date " +
                                                     loan.value_date());
  }
  return Verdict::Accept();
}

// Changes a party's exposure under the agreement by `delta` (outstanding) and `loss_delta`.
// Servicing records facts, so no limit applies here: a limit binds new exposure only
// (OriginateLoan). A reversal that restores principal may leave a bank above its limit; the
// agreement then refuses originations that need that bank's share until it is back under.
Verdict AdjustExposure(proto::AgreementRecord& agreement, const std::string& bank,
                       std::int64_t delta, std::int64_t loss_delta) {
  proto::AgreementParty* party = FindParty(agreement, bank);
  if (party == nullptr) {
    return Verdict::Fault(
        Status::Corruption("agreement " + agreement.id() + " has no party " + bank));
  }
  COLEND_ASSIGN_OR_VERDICT(std::int64_t outstanding, CheckedAdd(party->outstanding(), delta));
  COLEND_ASSIGN_OR_VERDICT(std::int64_t loss, CheckedAdd(party->loss(), loss_delta));
  party->set_outstanding(outstanding);
  party->set_loss(loss);
  return Verdict::Accept();
}

}  // namespace

Verdict RecordRepaymentHandler(TxEnv& env) {
  const proto::RecordRepayment& r = env.body.record_repayment();
  std::optional<proto::LoanRecord> found;
  COLEND_RETURN_IF_NOT_ACCEPTED(LoadServicedLoan(env, r.loan_id(), &found));
  proto::LoanRecord& loan = *found;
  if (loan.status() != proto::LOAN_STATUS_ACTIVE) {
    return Verdict::Reject(ErrorCode::kLoanNotActive, "loan " + loan.id() + " is not active");
  }
  COLEND_RETURN_IF_NOT_ACCEPTED(CheckValueDate(r.value_date(), loan));
  if (r.principal() < 0 || r.interest() < 0 || r.penalty() < 0) {
    return Verdict::Reject(ErrorCode::kBadAmount, "principal, interest and penalty must not be negative");
  }
  if (r.principal() == 0 && r.interest() == 0 && r.penalty() == 0) {
    return Verdict::Reject(ErrorCode::kBadAmount, "a repayment must pay something");
  }
  COLEND_ASSIGN_OR_VERDICT(std::int64_t outstanding, Total(loan, OutstandingOf));
  if (outstanding == 0) {
    // Never reached while the state is sound (a loan paid off is REPAID), but nothing could
    // be split by outstanding: the repayment's own failure, not the node's.
    return Verdict::Reject(ErrorCode::kLoanNotActive,
                           "loan " + loan.id() + " has no principal outstanding");
  }
  if (r.principal() > outstanding) {
    return Verdict::Reject(ErrorCode::kOverpayment,
                           "principal " + std::to_string(r.principal()) +
                               " is above the outstanding " + std::to_string(outstanding) +
                               " of loan " + loan.id());
  }
  COLEND_ASSIGN_OR_VERDICT(auto principal,
                           SplitBy("principal", r.principal(), loan, OutstandingOf));
  COLEND_ASSIGN_OR_VERDICT(auto interest, SplitBy("interest", r.interest(), loan, OutstandingOf));
  COLEND_ASSIGN_OR_VERDICT(auto penalty, SplitBy("penalty", r.penalty(), loan, OutstandingOf));
  COLEND_ASSIGN_OR_VERDICT(proto::AgreementRecord * staged, LoadAgreementOf(env.view, loan));
  proto::AgreementRecord& agreement = *staged;

  env.record.set_kind(proto::EVENT_KIND_REPAYMENT);
  for (int i = 0; i < loan.legs_size(); ++i) {
    proto::LoanLeg& leg = *loan.mutable_legs(i);
    const std::int64_t p = principal[i].minor();
    leg.set_outstanding(leg.outstanding() - p);  // p <= outstanding by the split
    COLEND_RETURN_IF_NOT_ACCEPTED(AdjustExposure(agreement, leg.bank(), -p, 0));
    proto::LegDelta* delta = env.record.add_deltas();
    delta->set_bank(leg.bank());
    delta->set_principal(p);
    if (leg.bank() == loan.lead()) continue;
    const std::string& lead = loan.lead();
    env.Post(lead, leg.bank(), loan.currency(), proto::POSTING_COMPONENT_PRINCIPAL, p, r.value_date());
    env.Post(lead, leg.bank(), loan.currency(), proto::POSTING_COMPONENT_INTEREST,
             interest[i].minor(), r.value_date());
    env.Post(lead, leg.bank(), loan.currency(), proto::POSTING_COMPONENT_PENALTY,
             penalty[i].minor(), r.value_date());
    // service_fee_bp is at most 10,000 (checked when the agreement is proposed), so the fee
    // is at most the interest part and always fits.
    COLEND_ASSIGN_OR_FAULT(Amount fee, ApplyBasisPoints(interest[i], agreement.service_fee_bp()));
    env.Post(leg.bank(), lead, loan.currency(), proto::POSTING_COMPONENT_SERVICE_FEE, fee.minor(),
             r.value_date());
  }
  COLEND_FAULT_IF_ERROR(CheckJournalMatchesParts(env.record, loan.lead()));
  if (r.principal() == outstanding) loan.set_status(proto::LOAN_STATUS_REPAID);
  WriteRecord(env.view, keys::Loan(loan.id()), loan);
  return Verdict::Accept();  // the agreement is staged (LoadAgreementOf)
}

Verdict ChargeOffHandler(TxEnv& env) {
  const proto::ChargeOff& c = env.body.charge_off();
  std::optional<proto::LoanRecord> found;
  COLEND_RETURN_IF_NOT_ACCEPTED(LoadServicedLoan(env, c.loan_id(), &found));
  proto::LoanRecord& loan = *found;
  if (loan.status() != proto::LOAN_STATUS_ACTIVE) {
    return Verdict::Reject(ErrorCode::kLoanNotActive, "loan " + loan.id() + " is not active");
  }
  COLEND_RETURN_IF_NOT_ACCEPTED(CheckValueDate(c.value_date(), loan));
  COLEND_ASSIGN_OR_VERDICT(proto::AgreementRecord * staged, LoadAgreementOf(env.view, loan));
  proto::AgreementRecord& agreement = *staged;
  for (proto::LoanLeg& leg : *loan.mutable_legs()) {
    const std::int64_t lost = leg.outstanding();
    COLEND_RETURN_IF_NOT_ACCEPTED(AdjustExposure(agreement, leg.bank(), -lost, lost));
    leg.set_loss(lost);
    leg.set_outstanding(0);
  }
  loan.set_status(proto::LOAN_STATUS_CHARGED_OFF);
  WriteRecord(env.view, keys::Loan(loan.id()), loan);
  return Verdict::Accept();  // the agreement is staged (LoadAgreementOf)
}

Verdict RecordRecoveryHandler(TxEnv& env) {
  const proto::RecordRecovery& r = env.body.record_recovery();
  std::optional<proto::LoanRecord> found;
  COLEND_RETURN_IF_NOT_ACCEPTED(LoadServicedLoan(env, r.loan_id(), &found));
  proto::LoanRecord& loan = *found;
  if (loan.status() != proto::LOAN_STATUS_CHARGED_OFF) {
    return Verdict::Reject(ErrorCode::kLoanNotChargedOff,
                           "loan " + loan.id() + " is not charged off");
  }
  COLEND_RETURN_IF_NOT_ACCEPTED(CheckValueDate(r.value_date(), loan));
  if (r.amount() <= 0) return Verdict::Reject(ErrorCode::kBadAmount, "amount must be positive");
  COLEND_ASSIGN_OR_VERDICT(std::int64_t open_loss, Total(loan, OpenLossOf));
  if (r.amount() > open_loss) {
    return Verdict::Reject(ErrorCode::kOverpayment,
                           "recovery " + std::to_string(r.amount()) + " is above the loss of " +
                               std::to_string(open_loss) + " still open on loan " + loan.id());
  }
  COLEND_ASSIGN_OR_VERDICT(auto parts, SplitBy("recovery", r.amount(), loan, OpenLossOf));
  COLEND_ASSIGN_OR_VERDICT(proto::AgreementRecord * staged, LoadAgreementOf(env.view, loan));
  proto::AgreementRecord& agreement = *staged;
  env.record.set_kind(proto::EVENT_KIND_RECOVERY);
  for (int i = 0; i < loan.legs_size(); ++i) {
    proto::LoanLeg& leg = *loan.mutable_legs(i);
    const std::int64_t part = parts[i].minor();
    leg.set_recovered(leg.recovered() + part);  // part <= open loss by the split
    COLEND_RETURN_IF_NOT_ACCEPTED(AdjustExposure(agreement, leg.bank(), 0, -part));
    proto::LegDelta* delta = env.record.add_deltas();
    delta->set_bank(leg.bank());
    delta->set_recovered(part);
    if (leg.bank() == loan.lead()) continue;
    env.Post(loan.lead(), leg.bank(), loan.currency(), proto::POSTING_COMPONENT_RECOVERY, part,
             r.value_date());
  }
  COLEND_FAULT_IF_ERROR(CheckJournalMatchesParts(env.record, loan.lead()));
  WriteRecord(env.view, keys::Loan(loan.id()), loan);
  return Verdict::Accept();  // the agreement is staged (LoadAgreementOf)
}

Verdict ReverseHandler(TxEnv& env) {
  const proto::Reverse& v = env.body.reverse();
  const std::string target_key = keys::Tx(env.signer(), v.target_id());
  COLEND_ASSIGN_OR_FAULT(auto found, ReadRecord<proto::TxRecord>(env.view, target_key));
  if (!found.has_value() || !found->accepted()) {
    return Verdict::Reject(ErrorCode::kNoEvent, "no accepted transaction " + v.target_id() +
                                                    " of " + env.signer() + " to reverse");
  }
  proto::TxRecord& target = *found;
  if (target.kind() != proto::EVENT_KIND_REPAYMENT && target.kind() != proto::EVENT_KIND_RECOVERY) {
    return Verdict::Reject(ErrorCode::kNotReversible,
                           v.target_id() + " is not a repayment or a recovery");
  }
  if (!target.reversed_by().empty()) {
    return Verdict::Reject(ErrorCode::kNotReversible,
                           v.target_id() + " was already reversed by " + target.reversed_by());
  }
  COLEND_ASSIGN_OR_FAULT(auto loan_found, ReadLoan(env.view, target.loan_id()));
  if (!loan_found.has_value()) {
    return Verdict::Fault(Status::Corruption("event " + v.target_id() + " names missing loan " +
                                             target.loan_id()));
  }
  proto::LoanRecord& loan = *loan_found;
  const bool repayment = target.kind() == proto::EVENT_KIND_REPAYMENT;
  if (repayment && loan.status() == proto::LOAN_STATUS_CHARGED_OFF) {
    return Verdict::Reject(ErrorCode::kNotReversible,
                           "loan " + loan.id() + " was charged off after repayment " +
                               v.target_id() + "; a charged-off loan's repayment is never reversed");
  }
  COLEND_ASSIGN_OR_VERDICT(proto::AgreementRecord * staged, LoadAgreementOf(env.view, loan));
  proto::AgreementRecord& agreement = *staged;
  env.record.set_kind(proto::EVENT_KIND_REVERSAL);
  env.SetLoan(loan.id(), loan);
  for (const proto::LegDelta& delta : target.deltas()) {
    proto::LoanLeg* leg = FindLeg(loan, delta.bank());
    if (leg == nullptr) {
      return Verdict::Fault(Status::Corruption("event " + v.target_id() + " names bank " +
                                               delta.bank() + " not on loan " + loan.id()));
    }
    COLEND_ASSIGN_OR_VERDICT(std::int64_t outstanding,
                             CheckedAdd(leg->outstanding(), delta.principal()));
    leg->set_outstanding(outstanding);
    leg->set_recovered(leg->recovered() - delta.recovered());
    COLEND_RETURN_IF_NOT_ACCEPTED(
        AdjustExposure(agreement, delta.bank(), delta.principal(), delta.recovered()));
  }
  if (repayment && loan.status() == proto::LOAN_STATUS_REPAID) {
    std::int64_t total = 0;
    for (const proto::LoanLeg& leg : loan.legs()) total += leg.outstanding();
    if (total > 0) loan.set_status(proto::LOAN_STATUS_ACTIVE);
  }
  // Exact compensating entries: the same postings with the opposite sign and value date.
  for (const proto::JournalLine& line : target.journal()) {
    env.Post(line.debtor(), line.creditor(), target.currency(), line.component(), -line.amount(),
             target.value_date());
  }
  COLEND_FAULT_IF_ERROR(CheckReversalMirrors(env.record, target));
  target.set_reversed_by(env.id());
  WriteRecord(env.view, target_key, target);
  WriteRecord(env.view, keys::Loan(loan.id()), loan);
  return Verdict::Accept();  // the agreement is staged (LoadAgreementOf)
}

}  // namespace colend::contracts
