// Fuzz target: a bank's ledger CSV for colend-recon (tools/recon/README.md, "The ledger CSV")
// against a small fixed chain snapshot, then the report in every format. The control
// identities of recon.h must hold for whatever the file holds.
//
// Most inputs are fed line by line to LedgerReconciler::FeedLine (split on '\n' as
// ReconcileFile does); one in 16 goes through ReconcileFile itself, from a file. The file path
// reads in 1 MiB chunks, which under ASan costs some 5 ms an input, ten times the rest.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recon.h"

using namespace colend;
using namespace colend::recon;

namespace {

// PARTNER_A's side of three 20/80 loans with LEAD (as tests/e2e/recon_unit_test.cc).
ChainSnapshot Snapshot() {
  ChainSnapshot s;
  s.bank = "PARTNER_A";
  s.chain_id = fuzz::kChainId;
  s.height = 42;
  s.head_height = 42;
  s.block_hash = std::string(64, 'a');
  s.timestamp_ms = 1764577200123;
  s.counterparties = {"LEAD"};
  for (int i = 1; i <= 3; ++i) {
    ChainLoan loan;
    loan.loan_id = "L-" + std::to_string(i);
    loan.agreement_id = "AG-1";
    loan.currency = "CNY";
    loan.status = i == 3 ? "REPAID" : "ACTIVE";
    loan.principal = 100000 * i;
    const std::int64_t out_a = i == 3 ? 0 : 80000 * i - 8000;
    const std::int64_t out_l = i == 3 ? 0 : 20000 * i - 2000;
    loan.legs = {{"LEAD", 20000 * i, out_l, 2000}, {"PARTNER_A", 80000 * i, out_a, 8000}};
    s.loans.push_back(loan);
    s.events.push_back({loan.loan_id, loan.loan_id, "OriginateLoan", "LEAD", "OK", loan.principal,
                        0, 0, static_cast<std::uint64_t>(i)});
  }
  s.events.push_back({"L-1", "R-1", "RecordRepayment", "LEAD", "OK", 10000, 1500, 0, 10});
  s.events.push_back({"L-2", "R-2", "RecordRepayment", "LEAD", "REVERSED", 5000, 100, 7, 11});
  s.events.push_back({"L-2", "V-2", "Reverse", "LEAD", "OK", 0, 0, 0, 12});
  s.out_of_scope_loans = {"L-B"};
  s.events_loaded = true;
  s.positions.push_back({"LEAD", "CNY", -123456, {{"funding", -480000}, {"principal", 16000}}});
  s.settlements.push_back({"b-1", "LEAD", "CNY", -1000, "CLOSED", "2026-12-01", "PARTNER_A", 20, 3});
  return s;
}

const std::string& LedgerPath() {
  static const std::string path = [] {
    // Under $TMPDIR: tools/fuzz.sh points it into its output directory.
    std::string p = (std::filesystem::temp_directory_path() /
                     ("colend-fuzz-ledger-" + std::to_string(getpid()) + ".csv"))
                        .string();
    std::atexit([] { std::remove(LedgerPath().c_str()); });
    return p;
  }();
  return path;
}

void CheckIdentities(const ReconResult& r) {
  std::uint64_t mismatches = 0;
  for (BreakType t : {BreakType::kAmountMismatch, BreakType::kStatusMismatch,
                      BreakType::kSplitRatioMismatch}) {
    mismatches += r.totals.at(t).count;
  }
  if (r.ledger_rows != r.matched + mismatches + r.totals.at(BreakType::kMissingOnChain).count +
                           r.totals.at(BreakType::kDuplicate).count + r.out_of_scope +
                           r.malformed.size()) {
    fuzz::Fail("ledger rows are not all accounted for");
  }
  if (r.chain_loans + r.chain_events !=
      r.matched + mismatches + r.totals.at(BreakType::kMissingInLedger).count) {
    fuzz::Fail("chain records are not all accounted for");
  }
}

Result<ReconResult> FromFile(const ChainSnapshot& snapshot, const std::uint8_t* data,
                             std::size_t size) {
  std::FILE* f = std::fopen(LedgerPath().c_str(), "wb");
  if (f == nullptr) fuzz::Fail("cannot write the ledger file");
  if (size > 0 && std::fwrite(data, 1, size, f) != size) fuzz::Fail("short write");
  std::fclose(f);
  return LedgerReconciler::ReconcileFile(snapshot, LedgerPath());
}

Result<ReconResult> FromLines(const ChainSnapshot& snapshot, std::string_view text) {
  LedgerReconciler reconciler(snapshot);
  std::uint64_t line_number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const Status fed = reconciler.FeedLine(line, ++line_number);
    if (!fed.ok()) return fed;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return reconciler.Finish(std::string(64, '0'));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ChainSnapshot snapshot = Snapshot();
  Result<ReconResult> result = size % 16 == 0 ? FromFile(snapshot, data, size)
                                              : FromLines(snapshot, fuzz::AsView(data, size));
  if (!result.ok()) return 0;
  CheckIdentities(*result);
  Report report;
  report.chain = snapshot;
  report.recon = std::move(result).value();
  report.ledger_name = "ledger.csv";
  for (Format format : {Format::kText, Format::kCsv, Format::kJson, Format::kHtml}) {
    (void)RenderReport(report, format);
  }
  return 0;
}
