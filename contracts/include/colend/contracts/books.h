// The books as JSON, exactly as docs/api.md specifies ("Books as JSON"): what colend-replay
// prints and what getBooks/getPositions return. Reads the state through ordered scans;
// position and settlement lists come from the pair and batch indexes, never from a scan of
// loans. Same state, same receipts -> same bytes.
#ifndef COLEND_CONTRACTS_BOOKS_H_
#define COLEND_CONTRACTS_BOOKS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/contracts/state.h"
#include "colend/proto/state.pb.h"

namespace colend::contracts {

// One line of the books' "receipts": the transaction's id and its outcome.
struct ReceiptLine {
  std::string id;
  bool ok = false;
  std::string code;     // rejections only
  std::string message;  // rejections only
};

struct BooksHeader {
  std::uint64_t height = 0;
  Bytes state_root;
};

// What a owes b over all components of a position (its net_a_owes_b); kOutOfRange if the
// sum leaves 64 bits. The contract refuses a posting that would make a position's net do
// so, since the books show it.
Result<std::int64_t> NetOfComponents(const proto::ComponentAmounts& amounts);

// Which positions to include: all, or those of one bank, optionally with one counterparty.
struct PositionFilter {
  std::string bank;
  std::string counterparty;
};

// The unsettled positions (order and omissions of docs/api.md), as a JSON array; the text
// form is its serialisation (what colend-replay prints).
Result<boost::json::array> Positions(const StateReader& state, const PositionFilter& filter = {});
Result<std::string> PositionsJson(const StateReader& state, const PositionFilter& filter = {});

// The whole books object: height, state_root, loans, positions, settlements, over_limit,
// receipts; and its text.
Result<boost::json::object> Books(const StateReader& reader, const StateScanner& scanner,
                                  const BooksHeader& header,
                                  const std::vector<ReceiptLine>& receipts);
Result<std::string> BooksJson(const StateReader& reader, const StateScanner& scanner,
                              const BooksHeader& header, const std::vector<ReceiptLine>& receipts);

// A party of an agreement whose outstanding principal is above its limit. Only a correction
// (a Reverse that restores principal) can put it there: a limit binds new exposure only.
struct LimitExcess {
  std::string agreement_id;
  std::string bank;
  std::string currency;
  std::int64_t outstanding = 0;
  std::int64_t max_outstanding = 0;
  std::int64_t excess = 0;  // outstanding - max_outstanding, > 0
};

// How far `party`'s outstanding principal is above its limit: 0 when it has none or is
// within it.
std::int64_t LimitExcessOf(const proto::AgreementParty& party);

// The parties of `agreement` above their limits, in party (bank) order.
std::vector<LimitExcess> LimitExcessesOf(const proto::AgreementRecord& agreement);

// Every party above its limit, by agreement id then bank.
Result<std::vector<LimitExcess>> ReadLimitExcesses(const StateScanner& scanner);

// Typed views used by queries and tests.
Result<std::vector<proto::PositionRecord>> ReadPositions(const StateReader& state);
Result<std::vector<proto::SettlementBatchRecord>> ReadSettlements(const StateReader& state);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_BOOKS_H_
