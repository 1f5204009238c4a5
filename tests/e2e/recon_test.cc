// colend-recon end to end: a real 4-bank network made by colend-netgen, a co-lending day sent
// as signed transactions, then the colend-recon binary run as PARTNER_A's reconciliation team
// would run it against its own export. The expected books are worked out here from the
// transactions (every split below is exact: principals are multiples of 5,000, 20/80).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "colend/testutil/process_util.h"
#include "colend/testutil/rpc_client.h"
#include "local_network.h"

namespace colend::e2e {
namespace {

using testutil::ReadFile;
using testutil::RunCommand;
using testutil::RunResult;
using testutil::ScratchDir;
using testutil::WriteFile;

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kLead = 0;
constexpr std::size_t kPartnerA = 1;
constexpr std::size_t kPartnerB = 2;
constexpr int kCommitTimeoutMs = 60000;
constexpr int kLoans = 20;
constexpr char kRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr char kHeader[] =
    "record,loan_id,event_id,type,amount,interest,penalty,share_bp,share,outstanding,status\n";

std::string Recon(const std::string& args) {
  return std::string(COLEND_RECON_PATH) + " " + args;
}

std::int64_t Principal(int n) { return 100000 + 5000 * n; }
std::string LoanId(int n) { return "A-L" + std::to_string(n); }

// What PARTNER_A's own books say, worked out from the transactions sent below.
struct ExpectedBooks {
  struct Loan {
    std::int64_t principal = 0, share = 0, outstanding = 0;
    std::string status = "ACTIVE";
  };
  struct Event {
    std::string loan_id, id, type;
    std::int64_t amount = 0, interest = 0, penalty = 0;
    std::string status = "OK";
  };
  std::map<std::string, Loan> loans;
  std::vector<Event> events;

  std::string LoanRow(const std::string& id, const Loan& l, int share_bp = 8000,
                      std::int64_t outstanding_delta = 0) const {
    return "LOAN," + id + ",,," + std::to_string(l.principal) + ",,," + std::to_string(share_bp) +
           "," + std::to_string(l.share) + "," + std::to_string(l.outstanding + outstanding_delta) +
           "," + l.status + "\n";
  }
  static std::string EventRow(const Event& e, const std::string& status = "") {
    return "EVENT," + e.loan_id + "," + e.id + "," + e.type + "," + std::to_string(e.amount) + "," +
           std::to_string(e.interest) + "," + std::to_string(e.penalty) + ",,,," +
           (status.empty() ? e.status : status) + "\n";
  }
};

class ReconE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    net_ = LocalNetwork::Create(scratch_.Path("net"), kBanks, "", &error);
    ASSERT_NE(net_, nullptr) << error;
    ASSERT_TRUE(net_->StartAll()) << net_->Log(0);
    rpc_ = "http://127.0.0.1:" + std::to_string(net_->bank(kPartnerA).rpc_port);
  }

  void Submit(std::size_t signer, const std::string& tx_json) {
    const boost::json::value r = net_->Send(signer % net_->size(), net_->Sign(signer, tx_json));
    ASSERT_TRUE(r.is_object() && r.as_object().contains("result"))
        << tx_json << " -> " << boost::json::serialize(r);
    hashes_.push_back(std::string(r.at("result").at("tx_hash").as_string()));
  }

  // Every submitted transaction has a receipt at PARTNER_A's node, which has executed its head.
  void WaitCommitted() {
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          for (const std::string& h : hashes_) {
            const boost::json::value r = net_->Result(
                kPartnerA, "getTransactionReceipt", boost::json::object{{"tx_hash", h}});
            if (!r.is_object()) return false;
          }
          const boost::json::value info = net_->Result(kPartnerA, "getNodeInfo");
          return info.is_object() && info.at("executed_height") == info.at("height");
        },
        kCommitTimeoutMs))
        << net_->Log(kPartnerA);
  }

  // A co-lending day: two agreements, 20 loans with PARTNER_A (3 with PARTNER_B), repayments,
  // a full repayment, a refused over-payment, a charge-off and a recovery, a reversal and a
  // settlement cut-off.
  void RunDay() {
    for (const auto& [ag, partner] : {std::pair{"AG-A", "PARTNER_A"}, {"AG-B", "PARTNER_B"}}) {
      Submit(kLead, std::string(R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-)") + ag +
                        R"(","agreement_id":")" + ag +
                        R"(","currency":"CNY","shares":{"LEAD":2000,")" + partner +
                        R"(":8000},"service_fee_bp":1500})");
    }
    WaitCommitted();
    Submit(kPartnerA, R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a-A","agreement_id":"AG-A"})");
    Submit(kPartnerB, R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"a-B","agreement_id":"AG-B"})");
    WaitCommitted();
    auto originate = [&](const std::string& ag, const std::string& id, std::int64_t principal) {
      Submit(kLead, R"({"type":"OriginateLoan","signer":"LEAD","id":")" + id +
                        R"(","agreement_id":")" + ag + R"(","loan_id":")" + id +
                        R"(","borrower_ref":")" + kRef + R"(","principal":")" +
                        std::to_string(principal) +
                        R"(","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})");
    };
    for (int n = 0; n < kLoans; ++n) {
      originate("AG-A", LoanId(n), Principal(n));
      ExpectedBooks::Loan& l = books_.loans[LoanId(n)];
      l.principal = Principal(n);
      l.share = l.outstanding = Principal(n) * 8 / 10;
      books_.events.push_back({LoanId(n), LoanId(n), "OriginateLoan", Principal(n), 0, 0, "OK"});
    }
    for (int n = 0; n < 3; ++n) originate("AG-B", "B-L" + std::to_string(n), 200000);
    WaitCommitted();
    auto repay = [&](int n, std::int64_t principal, std::int64_t interest, std::int64_t penalty,
                     const std::string& id) {
      Submit(kLead, R"({"type":"RecordRepayment","signer":"LEAD","id":")" + id +
                        R"(","loan_id":")" + LoanId(n) + R"(","principal":")" +
                        std::to_string(principal) + R"(","interest":")" +
                        std::to_string(interest) + R"(","penalty":")" + std::to_string(penalty) +
                        R"(","value_date":"2026-12-21"})");
    };
    auto book_repayment = [&](int n, std::int64_t principal, std::int64_t interest,
                              std::int64_t penalty, const std::string& id) {
      books_.loans[LoanId(n)].outstanding -= principal * 8 / 10;
      books_.events.push_back({LoanId(n), id, "RecordRepayment", principal, interest, penalty, "OK"});
    };
    for (int n = 0; n < 5; ++n) {
      repay(n, 10000, 1200, n % 2 == 0 ? 0 : 50, "R-" + std::to_string(n));
      book_repayment(n, 10000, 1200, n % 2 == 0 ? 0 : 50, "R-" + std::to_string(n));
    }
    WaitCommitted();
    Submit(kPartnerA, R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2026-12-21"})");
    WaitCommitted();
    for (int n = 5; n < 10; ++n) {
      repay(n, 10000, 1200, n % 2 == 0 ? 0 : 50, "R-" + std::to_string(n));
      book_repayment(n, 10000, 1200, n % 2 == 0 ? 0 : 50, "R-" + std::to_string(n));
    }
    repay(10, Principal(10), 0, 0, "R-FULL");  // repays the loan: REPAID
    book_repayment(10, Principal(10), 0, 0, "R-FULL");
    books_.loans[LoanId(10)].status = "REPAID";
    repay(11, 99999999, 0, 0, "R-OVER");  // refused OVERPAYMENT: no event
    Submit(kLead, R"({"type":"ChargeOff","signer":"LEAD","id":"C-12","loan_id":"A-L12","value_date":"2027-04-01"})");
    books_.loans[LoanId(12)].outstanding = 0;
    books_.loans[LoanId(12)].status = "CHARGED_OFF";
    books_.events.push_back({LoanId(12), "C-12", "ChargeOff", 0, 0, 0, "OK"});
    WaitCommitted();
    Submit(kLead, R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-12","loan_id":"A-L12","amount":"1000","value_date":"2027-05-01"})");
    books_.events.push_back({LoanId(12), "RC-12", "RecordRecovery", 1000, 0, 0, "OK"});
    WaitCommitted();
    Submit(kLead, R"({"type":"Reverse","signer":"LEAD","id":"V-3","target_id":"R-3","reason":"bounced direct debit"})");
    books_.loans[LoanId(3)].outstanding += 8000;
    for (ExpectedBooks::Event& e : books_.events) {
      if (e.id == "R-3") e.status = "REVERSED";
    }
    books_.events.push_back({LoanId(3), "V-3", "Reverse", 0, 0, 0, "OK"});
    WaitCommitted();
  }

  std::string MatchingLedger() const {
    std::string csv = kHeader;
    for (const auto& [id, l] : books_.loans) csv += books_.LoanRow(id, l);
    for (const ExpectedBooks::Event& e : books_.events) csv += ExpectedBooks::EventRow(e);
    return csv;
  }

  ScratchDir scratch_{"colend-recon-e2e"};
  std::unique_ptr<LocalNetwork> net_;
  std::string rpc_;
  std::vector<std::string> hashes_;
  ExpectedBooks books_;
};

TEST_F(ReconE2eTest, ReconcilesAColendingDay) {
  ASSERT_NO_FATAL_FAILURE(RunDay());
  const std::string base = "--rpc " + rpc_ + " --bank PARTNER_A";

  // (1) A ledger that matches exactly: exit 0, the right totals.
  const std::string good = scratch_.Path("good.csv");
  WriteFile(good, MatchingLedger());
  RunResult r = RunCommand(Recon(base + " --ledger " + good + " --format json"), true);
  ASSERT_EQ(r.exit_code, 0) << r.output << r.stdout_text;
  // The events came from the node's per-bank index (listEvents), not a read of every block.
  const testutil::HttpReply metrics = testutil::HttpCall(
      "127.0.0.1", net_->bank(kPartnerA).rpc_port, "GET", "/metrics", "");
  EXPECT_NE(metrics.body.find("colend_rpc_requests_total{method=\"listEvents\"} "),
            std::string::npos);
  EXPECT_EQ(metrics.body.find("colend_rpc_requests_total{method=\"listEvents\"} 0\n"),
            std::string::npos);
  boost::json::value j = boost::json::parse(r.stdout_text);
  EXPECT_EQ(j.at("bank").as_string(), "PARTNER_A");
  EXPECT_EQ(j.at("chain_id").as_string(), net_->chain_id());
  EXPECT_EQ(j.at("counterparties"), boost::json::parse(R"(["LEAD"])"));
  const boost::json::object& lead = j.at("summary").as_array().at(0).as_object();
  EXPECT_EQ(lead.at("loans").as_int64(), kLoans);
  EXPECT_EQ(lead.at("principal").as_string(), "2950000");
  EXPECT_EQ(lead.at("bank_share").as_string(), "2360000");
  // 2,360,000 - 9 repayments x 8,000 - the full repayment's 120,000 - A-L12 charged off
  // (128,000 becomes loss).
  EXPECT_EQ(lead.at("bank_outstanding").as_string(), "2040000");
  EXPECT_EQ(lead.at("counterparty_outstanding").as_string(), "510000");
  ASSERT_EQ(lead.at("last_settlements").as_array().size(), 1u);
  EXPECT_EQ(lead.at("last_settlements").at(0).at("status").as_string(), "CLOSED");
  EXPECT_FALSE(lead.at("positions").as_array().empty());
  const boost::json::object& rc = j.at("reconciliation").as_object();
  EXPECT_EQ(rc.at("chain_loans").as_int64(), kLoans);
  EXPECT_EQ(rc.at("chain_events").as_int64(), static_cast<std::int64_t>(books_.events.size()));
  EXPECT_EQ(rc.at("matched").as_int64(), kLoans + static_cast<std::int64_t>(books_.events.size()));
  EXPECT_EQ(rc.at("break_count").as_int64(), 0);
  EXPECT_EQ(rc.at("ledger_outstanding").as_string(), "2040000");

  // (2) Every kind of break planted once.
  std::string planted = kHeader;
  for (const auto& [id, l] : books_.loans) {
    if (id == LoanId(15)) continue;                                   // MISSING_IN_LEDGER
    if (id == LoanId(16)) { planted += books_.LoanRow(id, l, 8000, 1); continue; }  // AMOUNT
    if (id == LoanId(17)) { planted += books_.LoanRow(id, l, 7000); continue; }     // SPLIT
    planted += books_.LoanRow(id, l);
  }
  for (const ExpectedBooks::Event& e : books_.events) {
    if (e.id == "R-3") { planted += ExpectedBooks::EventRow(e, "OK"); continue; }  // STATUS
    planted += ExpectedBooks::EventRow(e);
    if (e.id == "R-4") planted += ExpectedBooks::EventRow(e);                       // DUPLICATE
  }
  planted += "EVENT," + LoanId(5) + ",R-GHOST,RecordRepayment,999,0,0,,,,OK\n";  // ON_CHAIN
  const std::string bad = scratch_.Path("bad.csv");
  WriteFile(bad, planted);
  r = RunCommand(Recon(base + " --ledger " + bad + " --format json"), true);
  ASSERT_EQ(r.exit_code, 1) << r.output << r.stdout_text;
  j = boost::json::parse(r.stdout_text);
  const boost::json::object& rb = j.at("reconciliation").as_object();
  EXPECT_EQ(rb.at("break_count").as_int64(), 6);
  for (const char* type : {"MISSING_ON_CHAIN", "MISSING_IN_LEDGER", "AMOUNT_MISMATCH",
                           "STATUS_MISMATCH", "SPLIT_RATIO_MISMATCH", "DUPLICATE"}) {
    EXPECT_EQ(rb.at("breaks_by_type").at(type).at("count").as_int64(), 1) << type;
  }
  std::map<std::string, std::string> found;  // type -> loan/event
  for (const boost::json::value& b : rb.at("breaks").as_array()) {
    const boost::json::object& o = b.as_object();
    std::string what(o.at("loan_id").as_string());
    if (o.contains("event_id")) what += "/" + std::string(o.at("event_id").as_string());
    EXPECT_TRUE(found.emplace(std::string(o.at("type").as_string()), what).second);
  }
  EXPECT_EQ(found["MISSING_ON_CHAIN"], LoanId(5) + "/R-GHOST");
  EXPECT_EQ(found["MISSING_IN_LEDGER"], LoanId(15));
  EXPECT_EQ(found["AMOUNT_MISMATCH"], LoanId(16));
  EXPECT_EQ(found["STATUS_MISMATCH"], LoanId(3) + "/R-3");
  EXPECT_EQ(found["SPLIT_RATIO_MISMATCH"], LoanId(17));
  EXPECT_EQ(found["DUPLICATE"], LoanId(4) + "/R-4");
  EXPECT_EQ(rb.at("breaks_by_type").at("MISSING_ON_CHAIN").at("ledger_amount").as_string(), "999");
  EXPECT_NE(r.output.find("6 break(s)"), std::string::npos) << r.output;

  // (3) The same height twice: the same bytes, in every format.
  const std::string height = std::to_string(j.at("height").as_int64());
  for (const char* format : {"text", "csv", "json", "html"}) {
    const std::string args = base + " --height " + height + " --ledger " + bad + " --format " +
                             format + " --out " + scratch_.Path(std::string("r1.") + format);
    RunResult a = RunCommand(Recon(args), true);
    RunResult b = RunCommand(Recon(base + " --height " + height + " --ledger " + bad +
                                   " --format " + format + " --out " +
                                   scratch_.Path(std::string("r2.") + format)),
                             true);
    EXPECT_EQ(a.exit_code, 1) << a.output;
    EXPECT_EQ(b.exit_code, 1) << b.output;
    const std::string one = ReadFile(scratch_.Path(std::string("r1.") + format));
    EXPECT_FALSE(one.empty()) << format;
    EXPECT_EQ(one, ReadFile(scratch_.Path(std::string("r2.") + format))) << format;
  }
  const std::string text = ReadFile(scratch_.Path("r1.text"));
  EXPECT_NE(text.find("SPLIT_RATIO_MISMATCH"), std::string::npos) << text;
  EXPECT_NE(text.find(net_->chain_id()), std::string::npos);

  // (4) html: one self-contained page with a chart.
  const std::string html = ReadFile(scratch_.Path("r1.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);

  // (5) Problems that stop the run: a clear sentence, exit 2.
  const std::string malformed = scratch_.Path("malformed.csv");
  WriteFile(malformed, std::string(kHeader) + "LOAN,A-L1,,,12.50,,,8000,1,1,ACTIVE\n");
  r = RunCommand(Recon(base + " --ledger " + malformed), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("line 2"), std::string::npos) << r.output;
  WriteFile(malformed, "loan;amount\nA-L1;1\n");
  r = RunCommand(Recon(base + " --ledger " + malformed), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("header"), std::string::npos) << r.output;
  r = RunCommand(Recon(base + " --height 999999"), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("above"), std::string::npos) << r.output;
  r = RunCommand(Recon("--rpc " + rpc_ + " --bank NOBODY"), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("not a member"), std::string::npos) << r.output;

  // An older height: positions as of then; loans refused with a reason, not guessed.
  r = RunCommand(Recon(base + " --height 3 --ledger " + good), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("served at the head only"), std::string::npos) << r.output;
  r = RunCommand(Recon(base + " --height 3 --format json"), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = boost::json::parse(r.stdout_text);
  EXPECT_FALSE(j.at("loans_as_of_height").as_bool());
  EXPECT_EQ(j.at("height").as_int64(), 3);
  // ... and still the same bytes after the chain has moved on.
  Submit(kLead, R"({"type":"RecordRepayment","signer":"LEAD","id":"R-LATE","loan_id":"A-L0","principal":"5000","interest":"0","value_date":"2026-12-22"})");
  WaitCommitted();
  RunResult later = RunCommand(Recon(base + " --height 3 --format json"), true);
  EXPECT_EQ(later.exit_code, 0) << later.output;
  EXPECT_EQ(later.stdout_text, r.stdout_text);
  RunResult old_head = RunCommand(Recon(base + " --height " + height + " --format html"), true);
  EXPECT_EQ(old_head.exit_code, 0) << old_head.output;
  EXPECT_NE(old_head.stdout_text.find("loans not shown"), std::string::npos);

  // One counterparty: the same books, all in scope (every PARTNER_A loan is with LEAD); the
  // new repayment is now missing in the ledger.
  r = RunCommand(Recon(base + " --counterparty LEAD --ledger " + good + " --format json"), true);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  j = boost::json::parse(r.stdout_text);
  EXPECT_EQ(j.at("reconciliation").at("break_count").as_int64(), 2);  // the loan and the event
  EXPECT_EQ(j.at("reconciliation").at("breaks_by_type").at("AMOUNT_MISMATCH").at("count").as_int64(), 1);
  EXPECT_EQ(j.at("reconciliation").at("breaks_by_type").at("MISSING_IN_LEDGER").at("count").as_int64(), 1);
}

TEST(ReconCliTest, BadArgumentsAndUnreachableNodeExitTwo) {
  ScratchDir dir("colend-recon-cli");
  RunResult r = RunCommand(Recon("--help"), true);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.stdout_text.find("--ledger"), std::string::npos) << r.stdout_text;
  r = RunCommand(Recon("--bank PARTNER_A"), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunCommand(Recon("--rpc http://127.0.0.1:1 --bank PARTNER_A --format pdf"), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunCommand(Recon("--rpc http://127.0.0.1:1 --bank PARTNER_A --height -4"), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunCommand(Recon("--rpc ftp://example --bank PARTNER_A"), true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--rpc"), std::string::npos) << r.output;
  const int port = testutil::FreePortRun(1);
  r = RunCommand(Recon("--rpc http://127.0.0.1:" + std::to_string(port) +
                       " --bank PARTNER_A --timeout-ms 2000"),
                 true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("did not answer"), std::string::npos) << r.output;
  r = RunCommand(Recon("--rpc http://127.0.0.1:" + std::to_string(port) +
                       " --bank PARTNER_A --ledger " + dir.Path("missing.csv")),
                 true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no such file"), std::string::npos) << r.output;
  WriteFile(dir.Path("books.csv"), kHeader);
  r = RunCommand(Recon("--rpc http://127.0.0.1:" + std::to_string(port) +
                       " --bank PARTNER_A --ledger " + dir.Path("books.csv") + " --out " +
                       dir.Path("books.csv")),
                 true);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(ReadFile(dir.Path("books.csv")), kHeader);
}

}  // namespace
}  // namespace colend::e2e
