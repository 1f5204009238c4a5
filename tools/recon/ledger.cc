// The ledger side of colend-recon: a streaming CSV reader and the matcher (recon.h).
#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>

#include "colend/crypto/hash.h"
#include "recon.h"
#include "totals.h"

namespace colend::recon {
namespace {

constexpr std::size_t kColumnCount = std::size(kLedgerColumns);
enum Column : std::size_t {
  kRecord, kLoanId, kEventId, kType, kAmount, kInterest, kPenalty, kShareBp, kShare,
  kOutstanding, kStatus
};
constexpr std::size_t kMaxLineBytes = 64 * 1024;
// Read size. 64 KiB: one read call per 64 KiB costs nothing next to parsing it, and a buffer
// this small comes from the allocator's free lists; 1 MiB was a fresh mapping, zeroed and
// page-faulted in on every call, which was most of the fuzz target's time (README.md,
// "Long runs").
constexpr std::size_t kChunkBytes = 64 * 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits on commas; a field may be wrapped in double quotes (no commas or quotes inside).
bool SplitCsv(std::string_view line, std::vector<std::string_view>& fields, std::string* error) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    std::string_view field =
        Trim(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
    if (!field.empty() && field.front() == '"') {
      if (field.size() < 2 || field.back() != '"') {
        *error = "a quoted field must end with a quote (commas inside fields are not supported)";
        return false;
      }
      field = field.substr(1, field.size() - 2);
    }
    if (field.find('"') != std::string_view::npos) {
      *error = "a field contains a double quote";
      return false;
    }
    fields.push_back(field);
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

bool ParseInt(std::string_view s, std::int64_t* out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string Diff(std::string_view field, std::string_view ledger, std::string_view chain) {
  std::string out(field);
  out += ": ledger ";
  out += ledger.empty() ? "(empty)" : ledger;
  out += ", chain ";
  out += chain;
  return out;
}

std::string Diff(std::string_view field, std::int64_t ledger, std::int64_t chain) {
  return Diff(field, std::to_string(ledger), std::to_string(chain));
}

void AppendDetail(std::string& detail, const std::string& part) {
  if (part.empty()) return;
  if (!detail.empty()) detail += "; ";
  detail += part;
}

// Ledger text echoed into the report: printable ASCII only (ids and codes are ASCII on the
// chain), so a stray byte cannot break the report's JSON or HTML.
std::string Clean(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

std::int64_t EventTotal(std::int64_t amount, std::int64_t interest, std::int64_t penalty) {
  return AddSat(AddSat(amount, interest), penalty);
}

}  // namespace

// One parsed data row; views into the line being fed.
struct LedgerReconciler::Row {
  bool is_loan = false;
  std::string_view loan_id, event_id, type, status;
  std::int64_t amount = 0, interest = 0, penalty = 0, share_bp = 0, share = 0, outstanding = 0;
};

std::string_view BreakTypeName(BreakType type) {
  switch (type) {
    case BreakType::kMissingOnChain: return "MISSING_ON_CHAIN";
    case BreakType::kMissingInLedger: return "MISSING_IN_LEDGER";
    case BreakType::kAmountMismatch: return "AMOUNT_MISMATCH";
    case BreakType::kStatusMismatch: return "STATUS_MISMATCH";
    case BreakType::kSplitRatioMismatch: return "SPLIT_RATIO_MISMATCH";
    case BreakType::kDuplicate: return "DUPLICATE";
  }
  return "UNKNOWN";
}

const LoanLeg* ChainLoan::Leg(std::string_view bank) const {
  for (const LoanLeg& leg : legs) {
    if (leg.bank == bank) return &leg;
  }
  return nullptr;
}

LedgerReconciler::LedgerReconciler(const ChainSnapshot& snapshot) : snapshot_(snapshot) {
  loan_index_.reserve(snapshot.loans.size());
  for (std::size_t i = 0; i < snapshot.loans.size(); ++i) {
    loan_index_.emplace(snapshot.loans[i].loan_id, i);
  }
  event_index_.reserve(snapshot.events.size());
  for (std::size_t i = 0; i < snapshot.events.size(); ++i) {
    const ChainEvent& e = snapshot.events[i];
    event_index_.emplace(std::string(Key(e.loan_id, e.event_id, e.type)), i);
  }
  out_of_scope_.insert(snapshot.out_of_scope_loans.begin(), snapshot.out_of_scope_loans.end());
  loan_seen_.assign(snapshot.loans.size(), 0);
  event_seen_.assign(snapshot.events.size(), 0);
  result_.chain_loans = snapshot.loans.size();
  result_.chain_events = snapshot.events.size();
}

std::string_view LedgerReconciler::Key(std::string_view loan_id, std::string_view event_id,
                                       std::string_view type) {
  key_.assign(loan_id);
  key_ += '\x1f';
  key_ += event_id;
  key_ += '\x1f';
  key_ += type;
  return key_;
}

Status LedgerReconciler::FeedLine(std::string_view line, std::uint64_t line_number) {
  if (Trim(line).empty()) return Status::Ok();
  std::vector<std::string_view> fields;
  fields.reserve(16);
  std::string error;
  if (!have_header_) {
    if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // a UTF-8 BOM
    if (!SplitCsv(line, fields, &error)) {
      return Status::InvalidArgument("line " + std::to_string(line_number) + ": header: " + error);
    }
    columns_.assign(kColumnCount, -1);
    for (std::size_t f = 0; f < fields.size(); ++f) {
      for (std::size_t c = 0; c < kColumnCount; ++c) {
        if (fields[f] != kLedgerColumns[c]) continue;
        if (columns_[c] != -1) {
          return Status::InvalidArgument("line " + std::to_string(line_number) +
                                         ": header names column \"" + kLedgerColumns[c] +
                                         "\" twice");
        }
        columns_[c] = static_cast<int>(f);
      }
    }
    std::string missing;
    for (std::size_t c = 0; c < kColumnCount; ++c) {
      if (columns_[c] == -1) missing += std::string(missing.empty() ? "" : ", ") + kLedgerColumns[c];
    }
    if (!missing.empty()) {
      std::string expected;
      for (const char* c : kLedgerColumns) expected += std::string(expected.empty() ? "" : ",") + c;
      return Status::InvalidArgument("line " + std::to_string(line_number) +
                                     ": not a colend-recon ledger header: missing column(s) " +
                                     missing + "; expected " + expected);
    }
    have_header_ = true;
    return Status::Ok();
  }

  ++result_.ledger_rows;
  auto malformed = [&](std::string reason) {
    result_.malformed.push_back(MalformedRow{line_number, Clean(reason)});
    return Status::Ok();
  };
  if (!SplitCsv(line, fields, &error)) return malformed(error);
  auto field = [&](Column c) -> std::string_view {
    const auto i = static_cast<std::size_t>(columns_[c]);
    return i < fields.size() ? fields[i] : std::string_view();
  };
  std::size_t needed = 0;
  for (int c : columns_) needed = std::max(needed, static_cast<std::size_t>(c) + 1);
  if (fields.size() < needed) {
    return malformed("expected " + std::to_string(needed) + " fields, found " +
                     std::to_string(fields.size()));
  }
  Row row;
  const std::string_view record = field(kRecord);
  if (record == "LOAN") {
    row.is_loan = true;
  } else if (record != "EVENT") {
    return malformed("column record: expected LOAN or EVENT, found \"" + std::string(record) +
                     "\"");
  }
  row.loan_id = field(kLoanId);
  row.event_id = field(kEventId);
  row.type = field(kType);
  row.status = field(kStatus);
  auto required = [&](Column c, std::string_view value) -> bool {
    if (!value.empty()) return true;
    error = std::string("column ") + kLedgerColumns[c] + ": required for a " +
            std::string(record) + " row";
    return false;
  };
  auto integer = [&](Column c, bool is_required, std::int64_t* out) -> bool {
    const std::string_view v = field(c);
    if (v.empty()) {
      if (is_required) return required(c, v);
      *out = 0;
      return true;
    }
    if (!ParseInt(v, out)) {
      error = std::string("column ") + kLedgerColumns[c] + ": \"" + std::string(v.substr(0, 40)) +
              "\" is not an integer (amounts are integer minor units)";
      return false;
    }
    return true;
  };
  bool ok = required(kLoanId, row.loan_id) && required(kStatus, row.status);
  if (row.is_loan) {
    ok = ok && integer(kAmount, true, &row.amount) && integer(kShareBp, true, &row.share_bp) &&
         integer(kShare, true, &row.share) && integer(kOutstanding, true, &row.outstanding);
  } else {
    ok = ok && required(kEventId, row.event_id) && required(kType, row.type) &&
         integer(kAmount, false, &row.amount) && integer(kInterest, false, &row.interest) &&
         integer(kPenalty, false, &row.penalty);
  }
  if (!ok) return malformed(error);
  Handle(row, line_number);
  return Status::Ok();
}

void LedgerReconciler::Handle(const Row& row, std::uint64_t line) {
  auto add_break = [&](BreakType type, std::string detail, std::int64_t ledger_amount,
                       std::int64_t chain_amount) {
    Break b;
    b.type = type;
    b.line = line;
    b.record = row.is_loan ? "LOAN" : "EVENT";
    b.loan_id = Clean(row.loan_id);
    if (!row.is_loan) {
      b.event_id = Clean(row.event_id);
      b.event_type = Clean(row.type);
    }
    b.detail = Clean(detail);
    b.ledger_amount = ledger_amount;
    b.chain_amount = chain_amount;
    result_.breaks.push_back(std::move(b));
  };

  if (row.is_loan) {
    ++result_.ledger_loan_rows;
    result_.ledger_outstanding = AddSat(result_.ledger_outstanding, row.outstanding);
    key_.assign(row.loan_id);
    auto it = loan_index_.find(key_);
    if (it == loan_index_.end()) {
      if (out_of_scope_.count(key_) != 0) {
        ++result_.out_of_scope;
      } else if (!unknown_seen_.insert("L" + key_).second) {
        add_break(BreakType::kDuplicate, "loan row repeated; first at an earlier line",
                  row.outstanding, 0);
      } else {
        add_break(BreakType::kMissingOnChain, "no such loan of this bank on the chain",
                  row.outstanding, 0);
      }
      return;
    }
    const ChainLoan& loan = snapshot_.loans[it->second];
    const LoanLeg* leg = loan.Leg(snapshot_.bank);
    const std::int64_t chain_outstanding = leg != nullptr ? leg->outstanding : 0;
    if (loan_seen_[it->second] != 0) {
      add_break(BreakType::kDuplicate, "loan row repeated; first at an earlier line",
                row.outstanding, chain_outstanding);
      return;
    }
    loan_seen_[it->second] = 1;
    std::string ratio, amounts, status;
    if (leg == nullptr || row.share_bp != leg->share_bp) {
      ratio = Diff("share_bp", row.share_bp, leg != nullptr ? leg->share_bp : 0);
    }
    if (row.amount != loan.principal) AppendDetail(amounts, Diff("amount", row.amount, loan.principal));
    if (leg != nullptr && row.share != leg->share) {
      AppendDetail(amounts, Diff("share", row.share, leg->share));
    }
    if (row.outstanding != chain_outstanding) {
      AppendDetail(amounts, Diff("outstanding", row.outstanding, chain_outstanding));
    }
    if (row.status != loan.status) status = Diff("status", row.status, loan.status);
    std::string detail = ratio;
    AppendDetail(detail, amounts);
    AppendDetail(detail, status);
    if (!ratio.empty()) {
      add_break(BreakType::kSplitRatioMismatch, detail, row.outstanding, chain_outstanding);
    } else if (!amounts.empty()) {
      add_break(BreakType::kAmountMismatch, detail, row.outstanding, chain_outstanding);
    } else if (!status.empty()) {
      add_break(BreakType::kStatusMismatch, detail, row.outstanding, chain_outstanding);
    } else {
      ++result_.matched;
    }
    return;
  }

  ++result_.ledger_event_rows;
  const std::int64_t ledger_total = EventTotal(row.amount, row.interest, row.penalty);
  result_.ledger_event_amount = AddSat(result_.ledger_event_amount, ledger_total);
  Key(row.loan_id, row.event_id, row.type);
  auto it = event_index_.find(key_);
  if (it == event_index_.end()) {
    if (out_of_scope_.count(std::string(row.loan_id)) != 0) {
      ++result_.out_of_scope;
    } else if (!unknown_seen_.insert("E" + key_).second) {
      add_break(BreakType::kDuplicate, "event row repeated; first at an earlier line",
                ledger_total, 0);
    } else {
      add_break(BreakType::kMissingOnChain,
                "no accepted " + std::string(row.type) + " with this id on this loan",
                ledger_total, 0);
    }
    return;
  }
  const ChainEvent& e = snapshot_.events[it->second];
  const std::int64_t chain_total = EventTotal(e.amount, e.interest, e.penalty);
  if (event_seen_[it->second] != 0) {
    add_break(BreakType::kDuplicate, "event row repeated; first at an earlier line", ledger_total,
              chain_total);
    return;
  }
  event_seen_[it->second] = 1;
  std::string amounts;
  if (row.amount != e.amount) AppendDetail(amounts, Diff("amount", row.amount, e.amount));
  if (row.interest != e.interest) AppendDetail(amounts, Diff("interest", row.interest, e.interest));
  if (row.penalty != e.penalty) AppendDetail(amounts, Diff("penalty", row.penalty, e.penalty));
  const bool status_differs = row.status != e.status;
  std::string detail = amounts;
  if (status_differs) AppendDetail(detail, Diff("status", row.status, e.status));
  if (!amounts.empty()) {
    add_break(BreakType::kAmountMismatch, detail, ledger_total, chain_total);
  } else if (status_differs) {
    add_break(BreakType::kStatusMismatch, detail, ledger_total, chain_total);
  } else {
    ++result_.matched;
  }
}

ReconResult LedgerReconciler::Finish(std::string input_sha256) {
  for (std::size_t i = 0; i < snapshot_.loans.size(); ++i) {
    if (loan_seen_[i] != 0) continue;
    const ChainLoan& loan = snapshot_.loans[i];
    const LoanLeg* leg = loan.Leg(snapshot_.bank);
    Break b;
    b.type = BreakType::kMissingInLedger;
    b.record = "LOAN";
    b.loan_id = loan.loan_id;
    b.detail = "loan " + loan.status + " on the chain, no LOAN row";
    b.chain_amount = leg != nullptr ? leg->outstanding : 0;
    result_.breaks.push_back(std::move(b));
  }
  for (std::size_t i = 0; i < snapshot_.events.size(); ++i) {
    if (event_seen_[i] != 0) continue;
    const ChainEvent& e = snapshot_.events[i];
    Break b;
    b.type = BreakType::kMissingInLedger;
    b.record = "EVENT";
    b.loan_id = e.loan_id;
    b.event_id = e.event_id;
    b.event_type = e.type;
    b.detail = e.type + " by " + e.signer + " at height " + std::to_string(e.height) +
               ", no EVENT row";
    b.chain_amount = EventTotal(e.amount, e.interest, e.penalty);
    result_.breaks.push_back(std::move(b));
  }
  for (BreakType t : kAllBreakTypes) result_.totals[t] = BreakTotal{};
  for (const Break& b : result_.breaks) {
    BreakTotal& t = result_.totals[b.type];
    ++t.count;
    t.ledger_amount = AddSat(t.ledger_amount, b.ledger_amount);
    t.chain_amount = AddSat(t.chain_amount, b.chain_amount);
  }
  result_.input_sha256 = std::move(input_sha256);
  ReconResult out = std::move(result_);
  result_ = ReconResult{};
  return out;
}

Result<ReconResult> LedgerReconciler::ReconcileFile(const ChainSnapshot& snapshot,
                                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open the ledger " + path);
  LedgerReconciler reconciler(snapshot);
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
  std::vector<char> chunk(kChunkBytes);
  std::string carry;  // the start of a line split across chunks
  bool skipping = false;  // inside an over-long line
  std::uint64_t line_number = 0;
  bool saw_header = false;

  auto feed = [&](std::string_view line) -> Status {
    ++line_number;
    COLEND_RETURN_IF_ERROR(reconciler.FeedLine(line, line_number));
    saw_header = reconciler.have_header_;
    return Status::Ok();
  };
  auto too_long = [&]() -> Status {
    ++line_number;
    if (!saw_header) {
      return Status::InvalidArgument("line " + std::to_string(line_number) +
                                     ": header longer than " + std::to_string(kMaxLineBytes) +
                                     " bytes");
    }
    ++reconciler.result_.ledger_rows;
    reconciler.result_.malformed.push_back(
        MalformedRow{line_number, "line longer than " + std::to_string(kMaxLineBytes) + " bytes"});
    return Status::Ok();
  };

  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::size_t got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    hasher.Update(AsBytes(std::string_view(chunk.data(), got)));
    std::string_view data(chunk.data(), got);
    while (!data.empty()) {
      const std::size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        if (!skipping) {
          carry.append(data);
          if (carry.size() > kMaxLineBytes) {
            carry.clear();
            skipping = true;
          }
        }
        break;
      }
      std::string_view piece = data.substr(0, nl);
      data.remove_prefix(nl + 1);
      if (skipping) {
        skipping = false;
        COLEND_RETURN_IF_ERROR(too_long());
        continue;
      }
      if (!carry.empty()) {
        carry.append(piece);
        if (carry.size() > kMaxLineBytes) {
          carry.clear();
          COLEND_RETURN_IF_ERROR(too_long());
          continue;
        }
        COLEND_RETURN_IF_ERROR(feed(carry));
        carry.clear();
      } else {
        if (piece.size() > kMaxLineBytes) {
          COLEND_RETURN_IF_ERROR(too_long());
          continue;
        }
        COLEND_RETURN_IF_ERROR(feed(piece));
      }
    }
  }
  if (in.bad()) return Status::IoError("error reading the ledger " + path);
  if (skipping) {
    COLEND_RETURN_IF_ERROR(too_long());
  } else if (!carry.empty()) {
    COLEND_RETURN_IF_ERROR(feed(carry));
  }
  if (!saw_header) {
    return Status::InvalidArgument("the ledger " + path + " is empty: it needs a header row");
  }
  const crypto::Digest digest = hasher.Finish();
  return reconciler.Finish(ToHex(ByteView(digest.data(), digest.size())));
}

}  // namespace colend::recon
