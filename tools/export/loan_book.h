// Loan balances as of each block, from the chain's events: the node serves loans only at its
// head, so colend-export keeps each loan's status and legs by applying what each accepted
// event did (docs/export.md, "Why loans are kept from events"). The amounts are the node's own:
// an origination's legs come from the loan record (shares never change), a repayment's or
// recovery's from the deltas the contract recorded for it (listEvents), a reversal undoes its
// target's deltas. Only the rules that move a status are repeated here, each as the contract
// states it (contracts/src/loans.cc, servicing.cc). Anything that does not fit — a loan not in
// the state the event needs, a bank without a leg, a balance below zero, an overflow — is
// kCorruption: the export stops rather than write a wrong row.
#ifndef COLEND_TOOLS_EXPORT_LOAN_BOOK_H_
#define COLEND_TOOLS_EXPORT_LOAN_BOOK_H_

#include <cstdint>
#include <map>
#include <string>

#include "colend/common/status.h"
#include "export_rows.h"

namespace colend::exporter {

// True for the transaction types that change a loan once accepted.
bool IsLoanEventType(const std::string& type);

// Applies accepted `event` of block `height` to its loan in `loans` (by loan id; the loan must
// be there). For a Reverse, `target` is the reversed event with its deltas. An origination
// is not applied here: the caller adds the new loan as the node recorded it.
Status ApplyLoanEvent(const EventRow& event, std::uint64_t height, const EventRow* target,
                      std::map<std::string, LoanRow>* loans);

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_LOAN_BOOK_H_
