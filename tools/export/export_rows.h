// The rows colend-export writes for one block (docs/export.md has every table and column).
// Plain data: the chain reader fills them from the node's JSON-RPC answers, the loan book
// brings the loans up to the block, the database writes them in one SQL transaction.
#ifndef COLEND_TOOLS_EXPORT_EXPORT_ROWS_H_
#define COLEND_TOOLS_EXPORT_EXPORT_ROWS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace colend::exporter {

struct BlockRow {
  std::uint64_t height = 0;
  std::string hash;  // hex
  std::int64_t timestamp_ms = 0;
  std::uint32_t tx_count = 0;
  std::uint32_t accepted = 0;
  std::string state_root;  // this node's state root after the block, hex
  std::string receipts_root;
};

struct PostingRow {
  std::string debtor;
  std::string creditor;
  std::string component;  // funding, principal, interest, service_fee, penalty, recovery
  std::int64_t amount = 0;
};

struct LegDeltaRow {
  std::string bank;
  std::int64_t principal = 0;  // principal repaid on the leg (its outstanding went down by it)
  std::int64_t recovered = 0;  // recovered on the leg's loss
};

// One transaction of the block with its receipt and, when accepted, what it did.
struct EventRow {
  std::uint32_t index = 0;
  std::string tx_hash;
  std::string signer;  // empty only for bytes that did not decode (no party, rejected)
  std::string tx_id;   // the signer's id
  std::string type;    // docs/api.md transaction type; empty as signer
  bool accepted = false;
  std::string code;     // rejections
  std::string message;  // rejections
  std::string loan_id;  // loan events; empty otherwise
  std::string currency;
  std::string value_date;  // YYYY-MM-DD or empty
  std::string tx_json;     // the transaction as the node printed it; empty as signer
  std::vector<PostingRow> postings;
  std::vector<LegDeltaRow> deltas;
};

struct LoanLegRow {
  std::string bank;
  std::uint32_t share_bp = 0;
  std::int64_t share = 0;
  std::int64_t outstanding = 0;
  std::int64_t loss = 0;
  std::int64_t recovered = 0;
  bool approved = false;
};

struct LoanRow {
  std::string loan_id;
  std::string agreement_id;
  std::string lead;
  std::string currency;
  std::string borrower_ref;
  std::int64_t principal = 0;
  std::uint32_t annual_rate_bp = 0;
  std::uint32_t term_months = 0;
  std::string value_date;
  std::string status;  // PENDING_APPROVAL, ACTIVE, REPAID, CHARGED_OFF
  std::uint64_t originated_at_height = 0;
  std::uint64_t updated_at_height = 0;
  std::vector<LoanLegRow> legs;  // by bank, as the node keeps them
};

// A pair's unsettled position per currency as of the block (getPositions at its height).
struct PositionRow {
  std::string a;
  std::string b;
  std::string currency;
  std::int64_t net_a_owes_b = 0;
  std::map<std::string, std::int64_t> components;  // zeros left out, as the node does
};

struct SettlementRow {
  std::string batch_id;
  std::string a;
  std::string b;
  std::string currency;
  std::int64_t net_a_owes_b = 0;
  std::string status;  // CLOSED, PAID, CONFIRMED
  std::string cutoff;
  std::string closed_by;
  std::uint64_t closed_at_height = 0;
  std::uint64_t posting_count = 0;
  std::string payment_ref;  // empty until paid
  std::optional<std::uint64_t> paid_at_height;
  std::optional<std::uint64_t> confirmed_at_height;
  std::map<std::string, std::int64_t> components;
};

// Everything one block changes in the export: written in one SQL transaction with the
// exported height.
struct BlockExport {
  BlockRow block;
  std::vector<EventRow> events;  // block order, every transaction of the block
  std::vector<LoanRow> new_loans;
  std::vector<LoanRow> changed_loans;  // loans already exported that the block changed
  // Replaces every position when set (the block posted or settled something).
  std::optional<std::vector<PositionRow>> positions;
  std::vector<SettlementRow> new_batches;
  std::vector<SettlementRow> changed_batches;  // status, payment_ref, paid/confirmed heights
};

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_EXPORT_ROWS_H_
