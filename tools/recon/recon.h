// colend-recon: the reconciliation report of one bank against the chain (README, "colend-recon").
//
// Three steps, each usable on its own:
//   1. FetchChain: the chain side at one height over JSON-RPC (loans of the bank, positions,
//      settlement batches, and with a ledger the events of the bank's loans) -> ChainSnapshot.
//   2. LedgerReconciler: streams the bank's own CSV export line by line against an in-memory
//      index of the snapshot; every ledger row and every chain record ends up matched or in
//      exactly one break -> ReconResult.
//   3. RenderReport: text, csv, json or html; the same snapshot and ledger give the same bytes
//      (no wall clock: the report time is the block timestamp of the height).
// RunRecon ties them together for the colend-recon program.
//
// Ownership: every type here is a plain value. Thread safety: none of the functions share
// state; a LedgerReconciler belongs to one thread.
#ifndef COLEND_TOOLS_RECON_RECON_H_
#define COLEND_TOOLS_RECON_RECON_H_

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend::tools {
class JsonRpcClient;
}  // namespace colend::tools

namespace colend::recon {

// One bank's leg of a loan (getLoan "banks" entry).
struct LoanLeg {
  std::string bank;
  std::int64_t share = 0;  // its share of the principal, minor units
  std::int64_t outstanding = 0;
  std::int32_t share_bp = 0;
};

struct ChainLoan {
  std::string loan_id;
  std::string agreement_id;
  std::string currency;
  std::string status;  // PENDING_APPROVAL, ACTIVE, REPAID, CHARGED_OFF
  std::int64_t principal = 0;
  std::vector<LoanLeg> legs;  // sorted by bank

  const LoanLeg* Leg(std::string_view bank) const;
};

// An accepted transaction on one of the bank's loans. Rejected transactions changed nothing
// and are not events.
struct ChainEvent {
  std::string loan_id;
  std::string event_id;  // the transaction's `id`
  std::string type;      // docs/api.md type: OriginateLoan, ApproveLoan, RecordRepayment, ...
  std::string signer;
  std::string status;  // OK, or REVERSED for a repayment/recovery reversed at or before the height
  std::int64_t amount = 0;  // principal (OriginateLoan, RecordRepayment) or amount (RecordRecovery)
  std::int64_t interest = 0;
  std::int64_t penalty = 0;
  std::uint64_t height = 0;
};

// The unsettled position of the bank against one counterparty, from the bank's side:
// positive = the bank owes the counterparty. Components likewise.
struct PositionRow {
  std::string counterparty;
  std::string currency;
  std::int64_t bank_owes = 0;
  std::map<std::string, std::int64_t> components;
};

struct SettlementRow {
  std::string batch_id;
  std::string counterparty;
  std::string currency;
  std::int64_t bank_owes = 0;  // positive = the bank pays
  std::string status;          // CLOSED / PAID / CONFIRMED; "n/a" below the head
  std::string cutoff;
  std::string closed_by;
  std::uint64_t closed_at_height = 0;
  std::uint64_t posting_count = 0;
};

// A party above its limit under an agreement the bank belongs to (a correction put it
// there; new loans needing its share are refused until it is back under).
struct LimitExcessRow {
  std::string agreement_id;
  std::string bank;
  std::string currency;
  std::int64_t outstanding = 0;
  std::int64_t max_outstanding = 0;
  std::int64_t excess = 0;
};

// The chain side of a report.
struct ChainSnapshot {
  std::string bank;
  std::string chain_id;
  std::uint64_t height = 0;       // the report's height
  std::uint64_t head_height = 0;  // the node's executed height when the report was read
  std::string block_hash;
  std::uint64_t timestamp_ms = 0;  // block timestamp at `height`: the report's time
  // Loans and settlement statuses are served at the head only: true when height == head.
  bool loans_at_height = true;
  bool events_loaded = false;
  std::vector<std::string> counterparties;  // sorted
  std::vector<ChainLoan> loans;             // in scope (the counterparty filter), sorted by id
  std::vector<std::string> out_of_scope_loans;  // the bank's loans outside --counterparty
  std::vector<ChainEvent> events;           // in scope, in chain order
  std::vector<PositionRow> positions;       // sorted by counterparty, currency
  std::vector<SettlementRow> settlements;   // in the order they were closed
  // Parties above their limits in the bank's agreements (in scope), by agreement then bank;
  // read at the head only, with the loans.
  std::vector<LimitExcessRow> over_limit;
};

struct FetchOptions {
  std::string bank;
  std::string counterparty;             // empty = every counterparty
  std::optional<std::uint64_t> height;  // empty = the head
  bool with_events = false;             // scan blocks 1..height for the bank's loan events
  int max_retries = 5;                  // head moved while reading: read again (no --height)
};

// Reads the chain side. kInvalidArgument for an unknown bank/counterparty or a height above
// the head; kFailedPrecondition when --height is older than the head and loans are needed
// (with_events); kUnavailable when the node does not answer.
Result<ChainSnapshot> FetchChain(tools::JsonRpcClient& client, const FetchOptions& options);

// ----- the ledger -----

// Columns of the ledger CSV (header row required; any order; extra columns are ignored).
inline constexpr const char* kLedgerColumns[] = {"record",   "loan_id",  "event_id", "type",
                                                 "amount",   "interest", "penalty",  "share_bp",
                                                 "share",    "outstanding", "status"};

enum class BreakType : std::uint8_t {
  kMissingOnChain,
  kMissingInLedger,
  kAmountMismatch,
  kStatusMismatch,
  kSplitRatioMismatch,
  kDuplicate,
};
inline constexpr BreakType kAllBreakTypes[] = {
    BreakType::kMissingOnChain,  BreakType::kMissingInLedger,    BreakType::kAmountMismatch,
    BreakType::kStatusMismatch,  BreakType::kSplitRatioMismatch, BreakType::kDuplicate};
// "MISSING_ON_CHAIN", "MISSING_IN_LEDGER", "AMOUNT_MISMATCH", "STATUS_MISMATCH",
// "SPLIT_RATIO_MISMATCH", "DUPLICATE".
std::string_view BreakTypeName(BreakType type);

struct Break {
  BreakType type = BreakType::kMissingOnChain;
  std::uint64_t line = 0;  // ledger line (1 = header); 0 for a chain record missing in the ledger
  std::string record;      // LOAN or EVENT
  std::string loan_id;
  std::string event_id;
  std::string event_type;
  std::string detail;  // e.g. "outstanding: ledger 100, chain 90"
  // The record's amount on each side (LOAN: the bank's outstanding; EVENT: amount + interest
  // + penalty); 0 for the side that has no record.
  std::int64_t ledger_amount = 0;
  std::int64_t chain_amount = 0;
};

struct MalformedRow {
  std::uint64_t line = 0;
  std::string reason;
};

struct BreakTotal {
  std::uint64_t count = 0;
  std::int64_t ledger_amount = 0;
  std::int64_t chain_amount = 0;
};

// The outcome of one ledger against one snapshot. Control identities (checked by tests):
//   ledger_rows = matched + mismatches + missing_on_chain + duplicates + out_of_scope + malformed
//   chain_records = matched + mismatches + missing_in_ledger
struct ReconResult {
  std::string input_sha256;  // of the ledger file's bytes
  std::uint64_t ledger_rows = 0;  // data rows (not the header, not blank lines)
  std::uint64_t ledger_loan_rows = 0;
  std::uint64_t ledger_event_rows = 0;
  std::uint64_t chain_loans = 0;
  std::uint64_t chain_events = 0;
  std::uint64_t matched = 0;
  std::uint64_t out_of_scope = 0;  // rows of the bank's loans outside --counterparty
  std::int64_t ledger_outstanding = 0;  // control amount: sum of LOAN rows' outstanding
  std::int64_t ledger_event_amount = 0;  // control amount: sum of EVENT rows' amounts
  std::vector<Break> breaks;  // ledger breaks in line order, then chain-only records by key
  std::vector<MalformedRow> malformed;
  std::map<BreakType, BreakTotal> totals;  // every type present, possibly 0

  std::uint64_t BreakCount() const { return breaks.size(); }
};

// Streams a ledger through an index of the snapshot. Usage: Begin / Feed lines / Finish, or
// ReconcileFile. Memory: the index of the chain side plus one bit per chain record and the
// keys of ledger rows not on the chain (for duplicates); ledger rows are not kept.
// Ownership: borrows the snapshot, owns its index and result. Thread safety: one thread.
class LedgerReconciler {
 public:
  // `snapshot` must outlive the reconciler.
  explicit LedgerReconciler(const ChainSnapshot& snapshot);

  // One physical line (without its newline), numbered from 1. The first non-blank line must
  // be the header; kInvalidArgument if it is not (the file cannot be read at all). Data rows
  // that do not parse become MalformedRows, not errors.
  Status FeedLine(std::string_view line, std::uint64_t line_number);
  // The chain records no row matched become MISSING_IN_LEDGER; fills the totals.
  ReconResult Finish(std::string input_sha256);

  // Reads `path` in chunks (hashing its bytes with SHA-256) and feeds every line.
  // kIoError if it cannot be read; kInvalidArgument for a bad header.
  static Result<ReconResult> ReconcileFile(const ChainSnapshot& snapshot, const std::string& path);

 private:
  struct Row;
  void Handle(const Row& row, std::uint64_t line);
  std::string_view Key(std::string_view loan_id, std::string_view event_id,
                       std::string_view type);

  const ChainSnapshot& snapshot_;
  std::unordered_map<std::string, std::size_t> loan_index_;
  std::unordered_map<std::string, std::size_t> event_index_;
  std::unordered_set<std::string> out_of_scope_;
  std::vector<std::uint8_t> loan_seen_;
  std::vector<std::uint8_t> event_seen_;
  std::unordered_set<std::string> unknown_seen_;  // ledger keys not on the chain
  std::vector<int> columns_;  // ledger column index of each kLedgerColumns entry
  bool have_header_ = false;
  std::string key_;
  ReconResult result_;
};

// ----- the report -----

enum class Format : std::uint8_t { kText, kCsv, kJson, kHtml };
// "text" | "csv" | "json" | "html".
Result<Format> ParseFormat(std::string_view name);

struct Report {
  ChainSnapshot chain;
  std::optional<ReconResult> recon;  // with --ledger
  std::string ledger_name;           // the file's base name as given (no directories)
};

std::string RenderReport(const Report& report, Format format);

// The program: fetches, reconciles, renders, writes. Returns the exit code: 0 no breaks,
// 1 breaks found, 2 could not run (bad arguments, node unreachable, unreadable or malformed
// ledger); the reason goes to `err`.
struct ReconOptions {
  std::string rpc_url;
  std::string token;
  std::string bank;
  std::string counterparty;
  std::optional<std::uint64_t> height;
  std::string ledger;  // path; empty = summary only
  std::string format = "text";
  std::string out;  // path; empty = `out` stream
  int timeout_ms = 10000;
};
int RunRecon(const ReconOptions& options, std::ostream& out, std::ostream& err);

}  // namespace colend::recon

#endif  // COLEND_TOOLS_RECON_RECON_H_
