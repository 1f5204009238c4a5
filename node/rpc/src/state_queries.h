// Read-only queries of the contract state for the RPC methods, over the contracts' record
// layout (contracts/records.h). Each returns the method's result object.
//
// Indexes: the state keeps no loan index by agreement or bank, so listLoans with a filter
// parses the loan records in key order until it has `limit` matches (a page costs the
// loans scanned to fill it, never the whole prefix). The cursor is the last loan id of the
// previous page; the next page starts right after it through prefix scans alone (the
// StateScanner has no seek), so paging never re-reads earlier loans.
//
// Thread safety: stateless functions; the reader/scanner must be a consistent snapshot.
#ifndef COLEND_NODE_RPC_SRC_STATE_QUERIES_H_
#define COLEND_NODE_RPC_SRC_STATE_QUERIES_H_

#include <boost/json.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "colend/common/result.h"
#include "colend/contracts/state.h"

namespace colend::node::rpc {

namespace json = boost::json;

struct LoanQuery {
  std::optional<std::string> agreement_id;
  std::optional<std::string> bank;
  std::optional<std::string> cursor;  // exclusive: the last loan id already seen
  std::size_t limit = 100;            // >= 1
  // At most this many loans are examined (parsed and filtered) per call, matching or not,
  // so a filter that matches little costs a bounded scan, not the whole loan book. >= 1.
  std::size_t scan_budget = 10'000;
};

// {"loans": [LoanJson...], "next_cursor": <last loan id> or null when there are no more}.
// When the scan budget runs out first, next_cursor is the last loan id examined (the page
// may hold fewer than `limit` loans, even none): the next page continues from there.
Result<json::value> ListLoans(const contracts::StateScanner& scanner, const LoanQuery& query);

// LoanJson of one loan, or kNotFound.
Result<json::value> GetLoan(const contracts::StateReader& reader, std::string_view loan_id);

// {"agreements": [AgreementJson...]} in id order.
Result<json::value> ListAgreements(const contracts::StateScanner& scanner);

// AgreementJson of one agreement, or kNotFound.
Result<json::value> GetAgreement(const contracts::StateReader& reader,
                                 std::string_view agreement_id);

// {"members": [MemberJson...]} in id order (from meta/members), each with "validators": the
// node ids it runs in the latest decided validator set (which may not be in force yet).
Result<json::value> ListMembers(const contracts::StateReader& reader);

struct SettlementQuery {
  std::string bank;          // empty = every bank
  std::string counterparty;  // empty = every counterparty
  std::string status;        // empty, "CLOSED", "PAID" or "CONFIRMED"
};

// {"settlements": [SettlementJson...]} in closing order.
Result<json::value> ListSettlements(const contracts::StateReader& reader,
                                    const SettlementQuery& query);

// Calls fn(key, value) for every key under `prefix` that sorts after prefix + `after`, in
// ascending order, until fn returns false. `after` must consist of record-id characters
// ([A-Za-z0-9._:-]); keys under `prefix` are assumed to hold only those too.
void ScanAfter(const contracts::StateScanner& scanner, std::string_view prefix,
               std::string_view after,
               const std::function<bool(std::string_view, std::string_view)>& fn);

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_STATE_QUERIES_H_
