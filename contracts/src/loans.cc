// Loans: OriginateLoan and ApproveLoan (docs/domain.md).
#include <algorithm>
#include <string>
#include <vector>

#include "checked.h"
#include "colend/common/split.h"
#include "colend/contracts/books.h"
#include "colend/contracts/conservation.h"
#include "colend/contracts/records.h"
#include "contract_state.h"
#include "tx_env.h"
#include "validation.h"

namespace colend::contracts {
namespace {

constexpr std::uint32_t kMaxAnnualRateBp = 100'000;  // 1,000 % a year
constexpr std::uint32_t kMaxTermMonths = 600;

// The loan turns ACTIVE. FRONTED: the lead has paid the borrower the whole loan, so each
// partner owes the lead its share (`funding`), value-dated at the disbursement.
void Activate(TxEnv& env, proto::LoanRecord& loan, const proto::AgreementRecord& agreement) {
  loan.set_status(proto::LOAN_STATUS_ACTIVE);
  if (agreement.disbursement() != proto::DISBURSEMENT_MODE_FRONTED) return;
  for (const proto::LoanLeg& leg : loan.legs()) {
    if (leg.bank() == loan.lead()) continue;
    env.Post(leg.bank(), loan.lead(), loan.currency(), proto::POSTING_COMPONENT_FUNDING,
             leg.share(), loan.value_date());
  }
}

}  // namespace

Verdict OriginateLoanHandler(TxEnv& env) {
  const proto::OriginateLoan& o = env.body.originate_loan();
  if (!IsObjectId(o.loan_id())) {
    return Verdict::Reject(ErrorCode::kBadField, "loan_id must be 1-64 letters, digits or . _ : -");
  }
  if (!IsBorrowerRef(o.borrower_ref())) {
    return Verdict::Reject(ErrorCode::kPiiRejected,
                           "borrower_ref must be 64 lower-case hex characters of a keyed hash "
                           "computed off-chain, never a name, id number or phone number");
  }
  if (!IsDate(o.value_date())) {
    return Verdict::Reject(ErrorCode::kBadField, "value_date must be a date YYYY-MM-DD");
  }
  if (o.principal() <= 0) {
    return Verdict::Reject(ErrorCode::kBadAmount, "principal must be positive");
  }
  if (o.annual_rate_bp() > kMaxAnnualRateBp) {
    return Verdict::Reject(ErrorCode::kBadField, "annual_rate_bp must be at most 100000");
  }
  if (o.term_months() == 0 || o.term_months() > kMaxTermMonths) {
    return Verdict::Reject(ErrorCode::kBadField, "term_months must be between 1 and 600");
  }
  // Staged for changing: an accepted origination always writes the agreement (a rejected
  // transaction's view is dropped with it).
  COLEND_ASSIGN_OR_FAULT(
      proto::AgreementRecord * found,
      MutableRecord<proto::AgreementRecord>(env.view, keys::Agreement(o.agreement_id())));
  if (found == nullptr) {
    return Verdict::Reject(ErrorCode::kNoAgreement, "no agreement " + o.agreement_id());
  }
  proto::AgreementRecord& agreement = *found;
  if (agreement.lead() != env.signer()) {
    return Verdict::Reject(ErrorCode::kNotLead, env.signer() + " is not the lead of agreement " +
                                                    agreement.id() + " (" + agreement.lead() +
                                                    " is)");
  }
  if (agreement.status() != proto::AGREEMENT_STATUS_ACTIVE) {
    return Verdict::Reject(ErrorCode::kAgreementNotActive,
                           "agreement " + agreement.id() + " is not active");
  }
  const std::string loan_key = keys::Loan(o.loan_id());
  std::string unused;
  if (env.view.Get(loan_key, &unused)) {
    return Verdict::Reject(ErrorCode::kLoanExists, "loan " + o.loan_id() + " already exists");
  }
  COLEND_ASSIGN_OR_FAULT(const proto::NetworkRules* stored_rules,
                          PeekRecord<proto::NetworkRules>(env.view, keys::kRules));
  const proto::NetworkRules& rules =
      stored_rules != nullptr ? *stored_rules : proto::NetworkRules::default_instance();
  for (const proto::AgreementParty& party : agreement.parties()) {
    if (party.share_bp() < rules.min_funder_bp()) {
      return Verdict::Reject(ErrorCode::kBelowMinShare,
                             party.bank() + " funds " + std::to_string(party.share_bp()) +
                                 " bp of each loan, below the network minimum of " +
                                 std::to_string(rules.min_funder_bp()) + " bp");
    }
  }

  std::vector<SplitWeight> weights;
  weights.reserve(agreement.parties_size());
  for (const proto::AgreementParty& party : agreement.parties()) {
    weights.push_back({party.bank(), party.share_bp()});
  }
  // The agreement's shares are checked when it is proposed (positive, summing to 10,000 bp)
  // and the principal is positive, so the split cannot fail for this transaction's sake.
  const Amount principal = Amount::FromMinor(o.principal());
  COLEND_ASSIGN_OR_FAULT(std::vector<Amount> shares,
                         SplitByBasisPoints(principal, weights, agreement.lead()));
  COLEND_FAULT_IF_ERROR(
      CheckSplitConserves("principal " + principal.ToString() + " of loan " + o.loan_id(),
                          principal, shares));

  for (int i = 0; i < agreement.parties_size(); ++i) {
    proto::AgreementParty& party = *agreement.mutable_parties(i);
    COLEND_ASSIGN_OR_VERDICT(std::int64_t after,
                             CheckedAdd(party.outstanding(), shares[i].minor()));
    // A limit binds new exposure only. A bank that a correction (a Reverse) left above its
    // limit refuses every loan that needs a share of it, until repayments bring it back
    // under; a party whose share of this loan rounds to 0 takes on nothing and is not asked.
    if (party.has_limit() && shares[i].is_positive() && after > party.max_outstanding()) {
      std::string why = party.bank() + " would have " + std::to_string(after) +
                        " outstanding under agreement " + agreement.id() +
                        ", above its limit of " + std::to_string(party.max_outstanding());
      if (const std::int64_t already = LimitExcessOf(party); already > 0) {
        why += " (it is already " + std::to_string(already) + " above it)";
      }
      return Verdict::Reject(ErrorCode::kLimitExceeded, why);
    }
    party.set_outstanding(after);
  }
  agreement.set_loan_count(agreement.loan_count() + 1);

  proto::LoanRecord loan;
  loan.set_id(o.loan_id());
  loan.set_agreement_id(agreement.id());
  loan.set_lead(agreement.lead());
  loan.set_currency(agreement.currency());
  loan.set_borrower_ref(o.borrower_ref());
  loan.set_principal(o.principal());
  loan.set_annual_rate_bp(o.annual_rate_bp());
  loan.set_term_months(o.term_months());
  loan.set_value_date(o.value_date());
  loan.set_originated_at_height(env.ctx.height);
  const bool per_loan = agreement.approval() == proto::APPROVAL_MODE_PER_LOAN;
  for (int i = 0; i < agreement.parties_size(); ++i) {
    const proto::AgreementParty& party = agreement.parties(i);
    proto::LoanLeg* leg = loan.add_legs();
    leg->set_bank(party.bank());
    leg->set_share_bp(party.share_bp());
    leg->set_share(shares[i].minor());
    leg->set_outstanding(shares[i].minor());
    leg->set_approved(!per_loan || party.bank() == agreement.lead());
  }
  env.SetLoan(o.loan_id(), loan);
  if (per_loan) {
    loan.set_status(proto::LOAN_STATUS_PENDING_APPROVAL);
  } else {
    Activate(env, loan, agreement);
  }
  // The loan is written as bytes (a block touches it once); the agreement is staged.
  WriteRecord(env.view, loan_key, loan);
  return Verdict::Accept();
}

Verdict ApproveLoanHandler(TxEnv& env) {
  const std::string& id = env.body.approve_loan().loan_id();
  COLEND_ASSIGN_OR_FAULT(auto found, ReadLoan(env.view, id));
  if (!found.has_value()) return Verdict::Reject(ErrorCode::kNoLoan, "no loan " + id);
  proto::LoanRecord& loan = *found;
  proto::LoanLeg* leg = FindLeg(loan, env.signer());
  if (leg == nullptr || env.signer() == loan.lead()) {
    return Verdict::Reject(ErrorCode::kNotAParty,
                           env.signer() + " is not a partner of loan " + id);
  }
  if (loan.status() != proto::LOAN_STATUS_PENDING_APPROVAL) {
    return Verdict::Reject(ErrorCode::kNotPendingApproval,
                           "loan " + id + " is not waiting for approval");
  }
  if (leg->approved()) {
    return Verdict::Reject(ErrorCode::kAlreadyApproved,
                           env.signer() + " has already approved loan " + id);
  }
  leg->set_approved(true);
  env.SetLoan(id, loan);
  const bool all = std::all_of(loan.legs().begin(), loan.legs().end(),
                               [](const proto::LoanLeg& l) { return l.approved(); });
  if (all) {
    COLEND_ASSIGN_OR_FAULT(auto agreement, ReadAgreement(env.view, loan.agreement_id()));
    if (!agreement.has_value()) {
      return Verdict::Fault(Status::Corruption("loan " + id + " names missing agreement " +
                                               loan.agreement_id()));
    }
    Activate(env, loan, *agreement);
  }
  WriteRecord(env.view, keys::Loan(id), loan);
  return Verdict::Accept();
}

}  // namespace colend::contracts
