// Money conservation: the invariants the settlement contract asserts wherever money moves,
// on every node and every transaction (not only in the tests):
//
//   - a split conserves its input: the parts of an amount split across banks (a loan's
//     principal by shares, a repayment or a recovery by balances) sum to that amount;
//   - a journal balances: per currency, what its lines make debtors owe equals what they
//     make creditors owed, so the booked postings sum to zero across the banks; a
//     servicing event's journal passes on exactly the partners' parts of its split, and a
//     reversal's journal is exactly the negation of the event it reverses;
//   - a settlement cut-off conserves the position: what the new batch takes plus the days
//     that stay unsettled equals the position before, component by component, and the
//     position is still the sum of its unsettled days.
//
// The contract computes these numbers itself, so a violation is never a transaction's fault:
// it is a bug, and Apply returns it as a fault that stops the node (apply.h) with the
// message these checks give, rather than book money that appears or vanishes. Each check
// is a pure function so that a test can show it fires (conservation_test.cc).
//
// Thread safety: pure functions.
#ifndef COLEND_CONTRACTS_CONSERVATION_H_
#define COLEND_CONTRACTS_CONSERVATION_H_

#include <span>
#include <string_view>

#include "colend/common/amount.h"
#include "colend/common/status.h"
#include "colend/proto/state.pb.h"

namespace colend::contracts {

// OK if `parts` sum to `total` exactly; kInternal otherwise, naming `what` (e.g. "principal
// 1000 of loan L1"), the total, the sum of the parts and their number.
Status CheckSplitConserves(std::string_view what, Amount total, std::span<const Amount> parts);

// OK if the journal of `record` balances per currency: every line names two different
// banks, and over all lines each bank's net (owed to it minus owed by it) sums to zero.
// kInternal otherwise, naming the transaction's loan (if any), the bank and the imbalance.
Status CheckJournalBalances(const proto::TxRecord& record);

// OK if a servicing event's journal passes on exactly the partners' parts of what the lead
// (the servicer) received: for a repayment (record.kind() REPAYMENT), the PRINCIPAL lines
// from `lead` to each partner sum to that partner's principal part in record.deltas(); for
// a recovery (RECOVERY), the RECOVERY lines to its recovered part; and no line of that
// component goes anywhere else. OK for any other kind. kInternal otherwise, naming the
// loan, the bank and both amounts.
Status CheckJournalMatchesParts(const proto::TxRecord& record, std::string_view lead);

// OK if `reversal`'s journal is `target`'s, line by line, with every amount negated: the
// exact compensating entries a Reverse books. kInternal otherwise, naming the first line
// that differs.
Status CheckReversalMirrors(const proto::TxRecord& reversal, const proto::TxRecord& target);

// OK if a settlement cut-off kept the pair's money: for every component (funding,
// principal, interest, service_fee, penalty, recovery), the position's total `before` the
// cut-off equals what the batch took plus the sum of the days still unsettled in `after`,
// and `after`'s total equals that sum. kInternal otherwise, naming `batch_id`, the
// component and both sides (a position whose total drifted from its days fires here).
Status CheckSettlementConserves(std::string_view batch_id, const proto::ComponentAmounts& before,
                                const proto::ComponentAmounts& batch,
                                const proto::PositionRecord& after);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_CONSERVATION_H_
