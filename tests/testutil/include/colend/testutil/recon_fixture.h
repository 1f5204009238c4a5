// colend-recon's chain side for tests without a node: a small hand-made ChainSnapshot and the
// control identities of a ReconResult (tools/recon/recon.h). Shared by the reconciler's unit
// tests (tests/e2e/recon_unit_test.cc) and its fuzz target (tests/fuzz/recon_ledger_fuzzer.cc).
//
// Header-only, and it needs tools/recon on the include path ("recon.h"): colend_recon_lib
// exports it, the fuzz target adds it (it compiles the reconciler's sources itself).
#ifndef COLEND_TESTUTIL_RECON_FIXTURE_H_
#define COLEND_TESTUTIL_RECON_FIXTURE_H_

#include <cstdint>
#include <string>

#include "recon.h"

namespace colend::testutil {

// PARTNER_A's side: three 20/80 loans with LEAD (L-3 repaid), their origination events, a
// repayment on L-1, a reversed repayment and its reversal plus a live repayment on L-2, one
// loan with PARTNER_B only (L-B) out of scope, one position and one closed settlement batch.
// Chain id "test-chain", height 42, events not marked as loaded: callers set what they need.
inline recon::ChainSnapshot PartnerAChainSnapshot() {
  recon::ChainSnapshot s;
  s.bank = "PARTNER_A";
  s.chain_id = "test-chain";
  s.height = 42;
  s.head_height = 42;
  s.block_hash = std::string(64, 'a');
  s.timestamp_ms = 1764577200123;
  s.counterparties = {"LEAD"};
  for (int i = 1; i <= 3; ++i) {
    recon::ChainLoan loan;
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
  s.events.push_back({"L-2", "R-3", "RecordRepayment", "LEAD", "OK", 10000, 0, 0, 13});
  s.out_of_scope_loans = {"L-B"};
  s.positions.push_back({"LEAD", "CNY", -123456, {{"funding", -480000}, {"principal", 16000}}});
  s.settlements.push_back(
      {"b-1", "LEAD", "CNY", -1000, "CLOSED", "2026-12-01", "PARTNER_A", 20, 3});
  return s;
}

// The control identities recon.h promises for every ReconResult: each ledger row and each
// chain record accounted for exactly once. Returns "" when both hold, else which one broke
// and its two sides.
inline std::string ReconIdentityViolation(const recon::ReconResult& r) {
  using recon::BreakType;
  std::uint64_t mismatches = 0;
  for (BreakType t :
       {BreakType::kAmountMismatch, BreakType::kStatusMismatch, BreakType::kSplitRatioMismatch}) {
    mismatches += r.totals.at(t).count;
  }
  const std::uint64_t rows =
      r.matched + mismatches + r.totals.at(BreakType::kMissingOnChain).count +
      r.totals.at(BreakType::kDuplicate).count + r.out_of_scope + r.malformed.size();
  if (r.ledger_rows != rows) {
    return "ledger rows " + std::to_string(r.ledger_rows) + " != accounted " + std::to_string(rows);
  }
  const std::uint64_t records =
      r.matched + mismatches + r.totals.at(BreakType::kMissingInLedger).count;
  if (r.chain_loans + r.chain_events != records) {
    return "chain records " + std::to_string(r.chain_loans + r.chain_events) + " != accounted " +
           std::to_string(records);
  }
  return "";
}

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_RECON_FIXTURE_H_
