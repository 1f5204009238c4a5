// ChainReader: what colend-export reads from a node over JSON-RPC (docs/api.md), checked and
// turned into rows. Every answer is read strictly: a missing field, a wrong type, money that is
// not integer minor units, or an answer that contradicts another is an error, never a
// skipped row.
//
// Ownership: owns nothing; borrows the client. Thread safety: one thread, as the client.
#ifndef COLEND_TOOLS_EXPORT_CHAIN_READER_H_
#define COLEND_TOOLS_EXPORT_CHAIN_READER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "colend/common/result.h"
#include "export_rows.h"
#include "rpc_client.h"

namespace colend::exporter {

class ChainReader {
 public:
  explicit ChainReader(tools::JsonRpcClient* client) : client_(client) {}

  Result<std::string> ChainId();
  Result<std::uint64_t> Head();
  // The head and the member banks, in one round trip.
  Result<std::pair<std::uint64_t, std::vector<std::string>>> HeadAndMembers();

  // The events of `banks` in heights [from, to], one entry per (height, index), checked to
  // agree where two banks' indexes hold the same transaction. The banks are read in order and
  // the reading stops once every height of `tx_counts` (height -> its transaction count)
  // holds that many (every transaction concerns its signer, so some bank holds each).
  Result<std::map<std::uint64_t, std::vector<EventRow>>> Events(
      const std::vector<std::string>& banks, std::uint64_t from, std::uint64_t to,
      const std::map<std::uint64_t, std::uint32_t>& tx_counts);
  // A transaction of the block that no bank's index holds (bytes that did not decode): its
  // receipt, which must be a rejection.
  Result<EventRow> UnindexedEvent(std::uint64_t height, std::uint32_t index);

  // Loans originated at `height`, as they stood then: the fixed fields and each leg's share
  // from getLoan at the head (none of them changes after origination), the balances and
  // status an origination gives (outstanding = share; PENDING_APPROVAL under a PER_LOAN
  // agreement, with only the lead's leg approved; ACTIVE otherwise). With `positions`, also
  // the positions as of `height` (as Positions), asked in the same JSON-RPC batch.
  Result<std::vector<LoanRow>> OriginatedLoans(
      const std::vector<std::string>& ids, std::uint64_t height,
      std::optional<std::vector<PositionRow>>* positions = nullptr);
  Result<std::vector<PositionRow>> Positions(std::uint64_t height);
  // The batches `signer` closed with `counterparty` at `height`, as they stood then.
  Result<std::vector<SettlementRow>> ClosedBatches(const std::string& signer,
                                                   const std::string& counterparty,
                                                   std::uint64_t height);

 private:
  // The result of a call; a JSON-RPC error becomes a Status (kUnavailable when it is -32004
  // busy, so the caller retries).
  Result<boost::json::value> Call(const std::string& method, const boost::json::value& params);
  Result<bool> PerLoanApproval(const std::string& agreement_id);
  static Result<std::vector<std::string>> ParseMembers(const boost::json::value& v);
  static Result<std::vector<PositionRow>> ParsePositions(const boost::json::value& v,
                                                         std::uint64_t height);

  tools::JsonRpcClient* client_;
  std::map<std::string, bool>
      per_loan_;  // agreement id -> PER_LOAN (an agreement never changes it)
};

// The block row of a `blocks` notification's result (docs/api.md, "Notifications").
Result<BlockRow> BlockFromNotification(std::uint64_t height, const boost::json::object& result);

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_CHAIN_READER_H_
