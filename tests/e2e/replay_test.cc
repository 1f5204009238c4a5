// colend-replay as a bank's reconciliation team runs it: a real process over a JSON-lines
// file. The scenario below was worked by hand (30/70, fee 10 %, amounts chosen so every
// split has a remainder), independently of the contract code.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "colend/testutil/process_util.h"

namespace colend {
namespace {

using testutil::RunCommand;
using testutil::ScratchDir;
using testutil::WriteFile;

std::string Replay(const std::string& args) { return std::string(COLEND_REPLAY_PATH) + " " + args; }

// Agreement 30/70, FRONTED, fee 1000 bp. Loan 1,000,001:
//   LEAD 300000.3, PARTNER_B 700000.7 -> floors 300000 + 700000, remainders 3000 / 7000:
//   PARTNER_B 700001. PARTNER_B owes LEAD 700001 funding.
// Repayment principal 100000, interest 15000, penalty 333 by 300000 : 700001 (W 1000001):
//   principal LEAD 29999 r970001, PB 70000 r30000 -> LEAD +1: 30000 / 70000
//   interest  LEAD  4499 r995501, PB 10500 r4500  -> LEAD +1:  4500 / 10500
//   penalty   LEAD    99 r899901, PB   233 r100100 -> LEAD +1:  100 / 233
//   fee PB floor(10500 * 1000 / 10000) = 1050
// LEAD->PARTNER_B: funding -700001, principal 70000, interest 10500, penalty 233,
// service_fee -1050: net -620318. Outstanding 270000 / 630001.
// Cut-off 2026-11-30 settles the funding day: batch net -700001; left: net 79683.
constexpr char kDay[] =
    R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-b","agreement_id":"AG-B","currency":"CNY","shares":{"LEAD":3000,"PARTNER_B":7000},"service_fee_bp":1000})" "\n"
    R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"acc-b","agreement_id":"AG-B"})" "\n"
    R"({"type":"OriginateLoan","signer":"LEAD","id":"LB-1","agreement_id":"AG-B","loan_id":"LB-1","borrower_ref":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","principal":"1000001","annual_rate_bp":2400,"term_months":24,"value_date":"2026-11-21"})" "\n"
    "\n"
    R"({"type":"RecordRepayment","signer":"LEAD","id":"RB-1","loan_id":"LB-1","principal":"100000","interest":"15000","penalty":"333","value_date":"2026-12-15"})" "\n"
    R"({"type":"CloseSettlement","signer":"LEAD","id":"S-1","counterparty":"PARTNER_B","cutoff":"2026-11-30"})" "\n"
    R"({"type":"RecordRepayment","signer":"LEAD","id":"RB-2","loan_id":"LB-1","principal":900002,"interest":"0","value_date":"2026-12-16"})" "\n"
    R"({"type":"RecordRepayment","signer":"LEAD","id":"RB-3","loan_id":"LB-1","principal":"900002","interest":"0","value_date":"2026-12-16"})" "\n";

TEST(ReplayTest, PrintsTheHandCheckedBooks) {
  ScratchDir dir("colend-replay-test");
  WriteFile(dir.Path("day.jsonl"), kDay);
  auto r = RunCommand(Replay("--banks LEAD,PARTNER_A,PARTNER_B " + dir.Path("day.jsonl")), true);
  EXPECT_EQ(r.exit_code, 1) << r.output;  // one malformed line
  EXPECT_NE(r.output.find("line 7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("principal"), std::string::npos) << r.output;

  auto books = boost::json::parse(r.stdout_text).as_object();
  EXPECT_EQ(books["height"].as_int64(), 6);  // six transactions executed
  auto loan = books["loans"].as_object()["LB-1"].as_object();
  EXPECT_EQ(loan["status"].as_string(), "ACTIVE");
  auto banks = loan["banks"].as_object();
  EXPECT_EQ(banks["LEAD"].as_object()["share"].as_string(), "300000");
  EXPECT_EQ(banks["PARTNER_B"].as_object()["share"].as_string(), "700001");
  EXPECT_EQ(banks["LEAD"].as_object()["outstanding"].as_string(), "270000");
  EXPECT_EQ(banks["PARTNER_B"].as_object()["outstanding"].as_string(), "630001");

  auto positions = books["positions"].as_array();
  ASSERT_EQ(positions.size(), 1u);
  auto p = positions[0].as_object();
  EXPECT_EQ(p["a"].as_string(), "LEAD");
  EXPECT_EQ(p["b"].as_string(), "PARTNER_B");
  EXPECT_EQ(p["net_a_owes_b"].as_string(), "79683");
  auto c = p["components"].as_object();
  EXPECT_EQ(c["principal"].as_string(), "70000");
  EXPECT_EQ(c["interest"].as_string(), "10500");
  EXPECT_EQ(c["penalty"].as_string(), "233");
  EXPECT_EQ(c["service_fee"].as_string(), "-1050");
  EXPECT_FALSE(c.contains("funding"));

  auto settlements = books["settlements"].as_array();
  ASSERT_EQ(settlements.size(), 1u);
  EXPECT_EQ(settlements[0].as_object()["net_a_owes_b"].as_string(), "-700001");

  auto receipts = books["receipts"].as_array();
  ASSERT_EQ(receipts.size(), 7u);  // the blank line is not a transaction
  EXPECT_EQ(receipts[5].as_object()["code"].as_string(), "MALFORMED");
  EXPECT_EQ(receipts[5].as_object()["id"].as_string(), "RB-2");
  EXPECT_EQ(receipts[6].as_object()["code"].as_string(), "OVERPAYMENT");

  // The same input gives the same bytes, from a file or from stdin.
  auto again = RunCommand("cat " + dir.Path("day.jsonl") + " | " + Replay("--banks LEAD,PARTNER_A,PARTNER_B -"), true);
  EXPECT_EQ(again.stdout_text, r.stdout_text);
}

TEST(ReplayTest, NeverCrashesOnGarbageAndSaysWhyItCannotRun) {
  ScratchDir dir("colend-replay-test");
  std::string garbage;
  for (int i = 0; i < 20000; ++i) garbage.push_back(static_cast<char>((i * 7919 + i / 3) % 256));
  garbage += "\n{\"type\":\"OriginateLoan\",\"signer\":\"LEAD\"\n[1,2,3]\n{}\n\"x\"\n";
  garbage += std::string(2 << 20, '{') + "\n";  // an over-long line
  WriteFile(dir.Path("garbage.jsonl"), garbage);
  auto r = RunCommand(Replay("--banks LEAD,PARTNER_A " + dir.Path("garbage.jsonl")), true);
  EXPECT_EQ(r.exit_code, 1) << r.output.substr(0, 2000);
  EXPECT_NO_THROW((void)boost::json::parse(r.stdout_text));

  EXPECT_EQ(RunCommand(Replay("--banks LEAD " + dir.Path("missing.jsonl"))).exit_code, 2);
  auto neither = RunCommand(Replay(dir.Path("garbage.jsonl")));
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.output.find("--genesis"), std::string::npos) << neither.output;
  EXPECT_EQ(RunCommand(Replay("--banks lower_case -")).exit_code, 2);
  WriteFile(dir.Path("genesis.json"), "{\"chain_id\":");
  auto bad_genesis = RunCommand(Replay("--genesis " + dir.Path("genesis.json") + " -"));
  EXPECT_EQ(bad_genesis.exit_code, 2) << bad_genesis.output;
  auto help = RunCommand(Replay("--help"));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--banks"), std::string::npos);
}

}  // namespace
}  // namespace colend
