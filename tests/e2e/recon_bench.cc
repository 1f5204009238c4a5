// colend-recon at scale (label `slow`): a 1,000,000-row ledger (250,000 loans, 750,000 events,
// 1 % planted breaks) streamed against a snapshot of the same size. Prints the time; asserts
// only the counts (timing belongs to the reader, next to `openssl speed -seconds 1 sha256`).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "colend/testutil/process_util.h"
#include "recon.h"

namespace colend::recon {
namespace {

constexpr int kLoans = 250000;  // each with 3 events: 1,000,000 ledger rows

TEST(ReconBench, MillionLedgerRows) {
  testutil::ScratchDir dir("colend-recon-bench");
  ChainSnapshot s;
  s.bank = "PARTNER_A";
  s.height = 1;
  s.head_height = 1;
  s.counterparties = {"LEAD"};
  s.loans.reserve(kLoans);
  s.events.reserve(3 * kLoans);
  const std::string path = dir.Path("ledger.csv");
  std::uint64_t planted = 0;
  {
    std::ofstream out(path, std::ios::binary);
    out << "record,loan_id,event_id,type,amount,interest,penalty,share_bp,share,outstanding,status\n";
    char line[256];
    for (int i = 0; i < kLoans; ++i) {
      const std::string id = "L-" + std::to_string(1000000 + i);
      const std::int64_t principal = 800000 + (i % 1000) * 5;
      ChainLoan loan;
      loan.loan_id = id;
      loan.currency = "CNY";
      loan.status = "ACTIVE";
      loan.principal = principal;
      loan.legs = {{"LEAD", principal / 5, principal / 5 - 2000, 2000},
                   {"PARTNER_A", principal / 5 * 4, principal / 5 * 4 - 8000, 8000}};
      s.loans.push_back(loan);
      s.events.push_back({id, id, "OriginateLoan", "LEAD", "OK", principal, 0, 0, 1});
      s.events.push_back({id, "R1-" + id, "RecordRepayment", "LEAD", "OK", 10000, 1200, 0, 1});
      s.events.push_back({id, "R2-" + id, "RecordRepayment", "LEAD", "OK", 5000, 600, 0, 1});
      const bool bad = i % 100 == 0;  // an amount mismatch in 1 % of the loans
      planted += bad ? 1 : 0;
      std::snprintf(line, sizeof line, "LOAN,%s,,,%lld,,,8000,%lld,%lld,ACTIVE\n", id.c_str(),
                    static_cast<long long>(principal), static_cast<long long>(principal / 5 * 4),
                    static_cast<long long>(principal / 5 * 4 - 8000 + (bad ? 1 : 0)));
      out << line;
      std::snprintf(line, sizeof line, "EVENT,%s,%s,OriginateLoan,%lld,0,0,,,,OK\n", id.c_str(),
                    id.c_str(), static_cast<long long>(principal));
      out << line;
      out << "EVENT," << id << ",R1-" << id << ",RecordRepayment,10000,1200,0,,,,OK\n";
      out << "EVENT," << id << ",R2-" << id << ",RecordRepayment,5000,600,0,,,,OK\n";
    }
  }
  const auto start = std::chrono::steady_clock::now();
  Result<ReconResult> r = LedgerReconciler::ReconcileFile(s, path);
  const auto reconciled = std::chrono::steady_clock::now();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string report = RenderReport(Report{s, *r, "ledger.csv"}, Format::kJson);
  const auto rendered = std::chrono::steady_clock::now();
  EXPECT_EQ(r->ledger_rows, 1000000u);
  EXPECT_EQ(r->matched, 1000000u - planted);
  EXPECT_EQ(r->breaks.size(), planted);
  const double seconds = std::chrono::duration<double>(reconciled - start).count();
  const double render_s = std::chrono::duration<double>(rendered - reconciled).count();
  std::printf("colend-recon: 1,000,000 ledger rows (%.1f MB) reconciled in %.2f s "
              "(%.0f rows/s, SHA-256 included); json report (%zu bytes) in %.2f s\n",
              static_cast<double>(std::filesystem::file_size(path)) / 1e6, seconds,
              1e6 / seconds, report.size(), render_s);
  RecordProperty("reconcile_seconds", std::to_string(seconds));
}

}  // namespace
}  // namespace colend::recon
