#include "loan_book.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "colend/common/result.h"

namespace colend::exporter {

namespace {

Status Unexpected(const EventRow& e, const std::string& why) {
  return Status::Corruption("event " + e.signer + "/" + e.tx_id + " (" + e.type + ") on loan " +
                            e.loan_id + ": " + why);
}

LoanLegRow* FindLeg(LoanRow& loan, const std::string& bank) {
  for (LoanLegRow& leg : loan.legs) {
    if (leg.bank == bank) return &leg;
  }
  return nullptr;
}

// a + b into *out, false on overflow or a negative result (no balance goes below zero).
bool AddBalance(std::int64_t a, std::int64_t b, std::int64_t* out) {
  return !__builtin_add_overflow(a, b, out) && *out >= 0;
}

bool SubBalance(std::int64_t a, std::int64_t b, std::int64_t* out) {
  return !__builtin_sub_overflow(a, b, out) && *out >= 0;
}

Result<std::int64_t> TotalOutstanding(const EventRow& e, const LoanRow& loan) {
  std::int64_t total = 0;
  for (const LoanLegRow& leg : loan.legs) {
    if (!AddBalance(total, leg.outstanding, &total)) return Unexpected(e, "outstanding overflows");
  }
  return total;
}

Status ApplyDeltas(const EventRow& e, const std::vector<LegDeltaRow>& deltas, int sign,
                   LoanRow& loan) {
  if (deltas.empty()) return Unexpected(e, "no leg deltas");
  for (const LegDeltaRow& d : deltas) {
    LoanLegRow* leg = FindLeg(loan, d.bank);
    if (leg == nullptr) return Unexpected(e, "bank " + d.bank + " has no leg");
    // Repaid principal lowers the outstanding; a reversal (sign -1) raises it back.
    const bool ok = sign > 0 ? SubBalance(leg->outstanding, d.principal, &leg->outstanding) &&
                                   AddBalance(leg->recovered, d.recovered, &leg->recovered)
                             : AddBalance(leg->outstanding, d.principal, &leg->outstanding) &&
                                   SubBalance(leg->recovered, d.recovered, &leg->recovered);
    if (!ok) return Unexpected(e, "bank " + d.bank + "'s leg would go below zero or overflow");
    if (leg->recovered > leg->loss) return Unexpected(e, "recovered above the loss");
  }
  return Status::Ok();
}

}  // namespace

bool IsLoanEventType(const std::string& type) {
  return type == "OriginateLoan" || type == "ApproveLoan" || type == "RecordRepayment" ||
         type == "ChargeOff" || type == "RecordRecovery" || type == "Reverse";
}

namespace {

Status ApplyToLoan(const EventRow& e, const EventRow* target, LoanRow& loan) {
  if (e.type == "OriginateLoan") return Status::Ok();
  if (e.type == "ApproveLoan") {
    LoanLegRow* leg = FindLeg(loan, e.signer);
    if (loan.status != "PENDING_APPROVAL" || leg == nullptr || leg->approved) {
      return Unexpected(e, "not a pending approval of " + e.signer);
    }
    leg->approved = true;
    if (std::all_of(loan.legs.begin(), loan.legs.end(),
                    [](const LoanLegRow& l) { return l.approved; })) {
      loan.status = "ACTIVE";
    }
    return Status::Ok();
  }
  if (e.type == "RecordRepayment") {
    if (loan.status != "ACTIVE") return Unexpected(e, "the loan is " + loan.status);
    COLEND_RETURN_IF_ERROR(ApplyDeltas(e, e.deltas, +1, loan));
    COLEND_ASSIGN_OR_RETURN(std::int64_t total, TotalOutstanding(e, loan));
    if (total == 0) loan.status = "REPAID";  // servicing.cc: principal == outstanding
    return Status::Ok();
  }
  if (e.type == "ChargeOff") {
    if (loan.status != "ACTIVE") return Unexpected(e, "the loan is " + loan.status);
    for (LoanLegRow& leg : loan.legs) {
      leg.loss = leg.outstanding;
      leg.outstanding = 0;
    }
    loan.status = "CHARGED_OFF";
    return Status::Ok();
  }
  if (e.type == "RecordRecovery") {
    if (loan.status != "CHARGED_OFF") return Unexpected(e, "the loan is " + loan.status);
    return ApplyDeltas(e, e.deltas, +1, loan);
  }
  if (e.type == "Reverse") {
    if (target == nullptr || target->loan_id != e.loan_id ||
        (target->type != "RecordRepayment" && target->type != "RecordRecovery")) {
      return Unexpected(e, "no exported repayment or recovery to reverse");
    }
    COLEND_RETURN_IF_ERROR(ApplyDeltas(e, target->deltas, -1, loan));
    if (target->type == "RecordRepayment" && loan.status == "REPAID") {
      COLEND_ASSIGN_OR_RETURN(std::int64_t total, TotalOutstanding(e, loan));
      if (total > 0) loan.status = "ACTIVE";
    }
    return Status::Ok();
  }
  return Unexpected(e, "not a loan event");
}

}  // namespace

Status ApplyLoanEvent(const EventRow& e, std::uint64_t height, const EventRow* target,
                      std::map<std::string, LoanRow>* loans) {
  auto it = loans->find(e.loan_id);
  if (it == loans->end()) return Unexpected(e, "the loan is not exported");
  // On a copy: an event that does not fit leaves the loan as it was.
  LoanRow loan = it->second;
  COLEND_RETURN_IF_ERROR(ApplyToLoan(e, target, loan));
  loan.updated_at_height = height;
  it->second = std::move(loan);
  return Status::Ok();
}

}  // namespace colend::exporter
