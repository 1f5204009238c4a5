// The JSON of the contracts' records, in one place for every reader: the books
// (books.h), colend-replay and the node's queries (getLoan, listLoans, getAgreement,
// getSettlements) all render a record with these functions, so a field cannot drift
// between them. Amounts are decimal strings of minor units; enums drop their proto prefix
// (docs/api.md).
//
// Thread safety: pure functions.
#ifndef COLEND_CONTRACTS_RECORDS_JSON_H_
#define COLEND_CONTRACTS_RECORDS_JSON_H_

#include <boost/json/object.hpp>

#include "colend/proto/state.pb.h"

namespace colend::contracts {

enum class LoanJsonView {
  // What the books print per loan: status, principal, and per bank its share and
  // outstanding principal. The books' bytes are compared between banks, so this view only
  // changes with docs/api.md's "Books as JSON".
  kBooks,
  // Everything the record holds (getLoan, listLoans): the books' fields plus the loan's
  // terms and, per bank, share_bp, loss, recovered and approved.
  kFull,
};

boost::json::object LoanJson(const proto::LoanRecord& loan, LoanJsonView view);

// An agreement with its parties (share, acceptance, limit and excess, outstanding, loss).
boost::json::object AgreementJson(const proto::AgreementRecord& agreement);

// Amounts per posting component, in the order of docs/api.md, zeros omitted.
boost::json::object ComponentsJson(const proto::ComponentAmounts& amounts);

// A settlement batch as the books' "settlements" print it (getSettlements adds to it).
boost::json::object SettlementJson(const proto::SettlementBatchRecord& batch);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_RECORDS_JSON_H_
