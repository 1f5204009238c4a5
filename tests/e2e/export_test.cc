// colend-export end to end: a real 4-bank network made by colend-netgen, a real PostgreSQL
// server (initdb + pg_ctl in a temp dir, testutil::PostgresCluster), and the colend-export
// binary. The books in SQL must equal getBooks (and every loan listLoans shows) at the same
// height; a kill -9 of the exporter, or of the node it follows, mid-stream must leave no
// block, event or posting missing or doubled.
#include <sys/stat.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "colend/testutil/postgres_cluster.h"
#include "colend/testutil/process_util.h"
#include "local_network.h"

namespace colend::e2e {
namespace {

namespace json = boost::json;
using testutil::ChildProcess;
using testutil::PostgresCluster;
using testutil::RunCommand;
using testutil::RunResult;
using testutil::ScratchDir;

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kLead = 0;
constexpr std::size_t kPartnerA = 1;
constexpr std::size_t kPartnerB = 2;
constexpr int kCommitTimeoutMs = 60000;
constexpr char kRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr char kDb[] = "books";

class ExportE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pg_ = PostgresCluster::Start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    ASSERT_TRUE(pg_->CreateDatabase(kDb, &error)) << error;
    net_ = LocalNetwork::Create(scratch_.Path("net"), kBanks, "--rpc-tokens", &error);
    ASSERT_NE(net_, nullptr) << error;
    ASSERT_TRUE(net_->StartAll()) << net_->Log(0);
    token_file_ = scratch_.Path("token");
    testutil::WriteFile(token_file_, net_->bank(kPartnerA).rpc_token + "\n");
    ::chmod(token_file_.c_str(), 0600);
  }

  // colend-bench at 150 tx/s for `seconds` through LEAD and PARTNER_B (not the followed
  // node), on a thread the caller joins.
  std::thread SteadyLoad(int seconds) const {
    return std::thread([this, seconds] {
      const RunResult r = RunCommand(std::string(COLEND_BENCH_PATH) + " --network " +
                                         net_->root() +
                                         "/network.json --json --quiet --preload 20 --rate 150 "
                                         "--duration " + std::to_string(seconds) +
                                         " --via LEAD,PARTNER_B --mix 60,35,5",
                                     true);
      EXPECT_EQ(r.exit_code, 0) << r.output;
    });
  }

  std::string ExportArgs(std::size_t node) const {
    return std::string(COLEND_EXPORT_PATH) +
           " --rpc http://127.0.0.1:" + std::to_string(net_->bank(node).rpc_port) +
           " --token-file " + token_file_ + " --pg '" + pg_->ConnectionString(kDb) +
           "' --retry-ms 200 --quiet";
  }

  RunResult ExportOnce(const std::string& extra = "") const {
    return RunCommand(ExportArgs(kPartnerA) + " --once " + extra);
  }

  std::string Sql(const std::string& sql) const {
    std::string error;
    std::string out = pg_->Query(kDb, sql, &error);
    EXPECT_TRUE(error.empty()) << sql << ": " << error;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::uint64_t SqlNumber(const std::string& sql) const {
    const std::string s = Sql(sql);
    return s.empty() ? 0 : std::stoull(s);
  }
  std::uint64_t Exported() const {
    return SqlNumber("SELECT COALESCE(MAX(height), 0) FROM export_state");
  }

  void Submit(std::size_t signer, const std::string& tx_json) {
    const json::value r = net_->Send(signer, net_->Sign(signer, tx_json));
    ASSERT_TRUE(r.is_object() && r.as_object().contains("result"))
        << tx_json << " -> " << json::serialize(r);
    pending_.push_back(std::string(r.at("result").at("tx_hash").as_string()));
  }

  // Every submitted transaction has a receipt at PARTNER_A's node.
  void WaitCommitted() {
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          while (!pending_.empty()) {
            const json::value r = net_->Result(kPartnerA, "getTransactionReceipt",
                                               json::object{{"tx_hash", pending_.back()}});
            if (!r.is_object()) return false;
            pending_.pop_back();
          }
          return true;
        },
        kCommitTimeoutMs))
        << net_->Log(kPartnerA);
  }

  void Originate(const std::string& ag, const std::string& id, std::int64_t principal) {
    Submit(kLead, R"({"type":"OriginateLoan","signer":"LEAD","id":")" + id +
                      R"(","agreement_id":")" + ag + R"(","loan_id":")" + id +
                      R"(","borrower_ref":")" + kRef + R"(","principal":")" +
                      std::to_string(principal) +
                      R"(","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})");
  }
  void Repay(const std::string& loan, const std::string& id, std::int64_t principal,
             std::int64_t interest) {
    Submit(kLead, R"({"type":"RecordRepayment","signer":"LEAD","id":")" + id + R"(","loan_id":")" +
                      loan + R"(","principal":")" + std::to_string(principal) +
                      R"(","interest":")" + std::to_string(interest) +
                      R"(","penalty":"100","value_date":"2026-12-21"})");
  }

  // A co-lending day: a FRONTED 20/80 agreement with PARTNER_A and a DIRECT, PER_LOAN 30/70
  // one with PARTNER_B; loans, approvals (one loan left pending), repayments, a full
  // repayment reversed (REPAID back to ACTIVE), a refused over-payment, a charge-off with a
  // recovery reversed, and a settlement batch closed, paid and confirmed.
  void FirstHalfOfDay() {
    Submit(
        kLead,
        R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-1","agreement_id":"AG-1","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500})");
    Submit(
        kLead,
        R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-2","agreement_id":"AG-2","currency":"CNY","shares":{"LEAD":3000,"PARTNER_B":7000},"disbursement":"DIRECT","approval":"PER_LOAN"})");
    WaitCommitted();
    Submit(kPartnerA,
           R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a-1","agreement_id":"AG-1"})");
    Submit(kPartnerB,
           R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"a-2","agreement_id":"AG-2"})");
    WaitCommitted();
    for (int n = 1; n <= 30; ++n) Originate("AG-1", "L-" + std::to_string(n), 100000 + 3333 * n);
    for (int n = 1; n <= 5; ++n) Originate("AG-2", "M-" + std::to_string(n), 250001 + n);
    WaitCommitted();
    for (int n = 1; n <= 4; ++n) {
      Submit(kPartnerB, R"({"type":"ApproveLoan","signer":"PARTNER_B","id":"ap-)" +
                            std::to_string(n) + R"(","loan_id":"M-)" + std::to_string(n) + "\"}");
    }
    for (int n = 1; n <= 20; ++n)
      Repay("L-" + std::to_string(n), "R-" + std::to_string(n), 7777, 1500);
    WaitCommitted();
  }

  void SecondHalfOfDay() {
    Repay("M-1", "R-M1", 50000, 2000);
    Repay("L-21", "R-21", 100000 + 3333 * 21, 900);  // the whole principal: REPAID
    Repay("L-2", "R-over", 999999999, 0);            // over-payment: rejected
    Submit(
        kLead,
        R"({"type":"ChargeOff","signer":"LEAD","id":"C-22","loan_id":"L-22","value_date":"2027-01-05"})");
    WaitCommitted();
    Submit(
        kLead,
        R"({"type":"Reverse","signer":"LEAD","id":"V-1","target_id":"R-1","reason":"bounced direct debit"})");
    Submit(
        kLead,
        R"({"type":"Reverse","signer":"LEAD","id":"V-21","target_id":"R-21","reason":"keying error"})");
    Submit(
        kLead,
        R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-22","loan_id":"L-22","amount":"30001","value_date":"2027-02-01"})");
    WaitCommitted();
    Submit(
        kLead,
        R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-22b","loan_id":"L-22","amount":"5000","value_date":"2027-02-02"})");
    Submit(
        kLead,
        R"({"type":"Reverse","signer":"LEAD","id":"V-RC","target_id":"RC-22","reason":"returned"})");
    Submit(
        kPartnerA,
        R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2026-12-31"})");
    WaitCommitted();
    const json::value batches =
        net_->Result(kPartnerA, "getSettlements", json::object{{"bank", "PARTNER_A"}});
    ASSERT_TRUE(batches.is_object()) << net_->Log(kPartnerA);
    ASSERT_EQ(batches.at("settlements").as_array().size(), 1u) << json::serialize(batches);
    const json::object& batch = batches.at("settlements").as_array()[0].as_object();
    const std::string id(batch.at("batch_id").as_string());
    const bool a_pays = std::string(batch.at("net_a_owes_b").as_string())[0] != '-';
    const std::string payer(batch.at(a_pays ? "a" : "b").as_string());
    const std::string receiver(batch.at(a_pays ? "b" : "a").as_string());
    auto index_of = [](const std::string& bank) {
      for (std::size_t i = 0; i < kBanks.size(); ++i) {
        if (kBanks[i] == bank) return i;
      }
      return std::size_t{0};
    };
    Submit(index_of(payer), R"({"type":"ConfirmSettlement","signer":")" + payer +
                                R"(","id":"P-1","batch_id":")" + id +
                                R"(","payment_ref":"CNAPS-20270105-0001"})");
    WaitCommitted();
    Submit(index_of(receiver), R"({"type":"ConfirmSettlement","signer":")" + receiver +
                                   R"(","id":"P-2","batch_id":")" + id + "\"}");
    WaitCommitted();
  }

  // The node is idle and the export caught up: every table equals the node's books at the
  // exported height, and the ledger is whole (every height once, every transaction once).
  void ExpectSqlEqualsBooks(std::size_t node) {
    const json::value books = net_->Result(node, "getBooks");
    ASSERT_TRUE(books.is_object());
    const std::uint64_t height = books.at("height").to_number<std::uint64_t>();
    ASSERT_EQ(Exported(), height) << "the export is not at the books' height";

    // Blocks 1..height once each, and every transaction of them once.
    EXPECT_EQ(SqlNumber("SELECT COUNT(*) FROM blocks"), height);
    EXPECT_EQ(SqlNumber("SELECT COUNT(DISTINCT height) FROM blocks WHERE height BETWEEN 1 AND " +
                        std::to_string(height)),
              height);
    const std::uint64_t txs = SqlNumber("SELECT COALESCE(SUM(tx_count), 0) FROM blocks");
    EXPECT_GT(txs, 0u);
    EXPECT_EQ(SqlNumber("SELECT COUNT(*) FROM events"), txs);
    EXPECT_EQ(SqlNumber("SELECT COUNT(DISTINCT tx_hash) FROM events"), txs);
    EXPECT_EQ(SqlNumber("SELECT COUNT(*) FROM events WHERE status = 'ok'"),
              SqlNumber("SELECT SUM(accepted) FROM blocks"));
    // The state root after the exported block is this node's.
    EXPECT_EQ(Sql("SELECT state_root FROM blocks WHERE height = " + std::to_string(height)),
              std::string(books.at("state_root").as_string()));

    // Loans and legs: books' status, principal, share and outstanding for every loan, and
    // listLoans' loss, recovered and approval.
    std::map<std::string, std::string> want, got;
    for (const auto& [id, loan] : books.at("loans").as_object()) {
      std::string row = std::string(loan.at("status").as_string()) + " " +
                        std::string(loan.at("principal").as_string());
      for (const auto& [bank, leg] : loan.at("banks").as_object()) {
        row += " " + std::string(bank) + ":" + std::string(leg.at("share").as_string()) + "/" +
               std::string(leg.at("outstanding").as_string());
      }
      want[std::string(id)] = row;
    }
    for (const std::string& line :
         Lines(Sql("SELECT l.loan_id, l.status || ' ' || l.principal || ' ' || "
                   "string_agg(g.bank || ':' || g.share || '/' || g.outstanding, ' ' ORDER BY "
                   "g.bank) FROM loans l JOIN loan_legs g USING (loan_id) GROUP BY l.loan_id, "
                   "l.status, l.principal"))) {
      const std::size_t bar = line.find('|');
      got[line.substr(0, bar)] = line.substr(bar + 1);
    }
    EXPECT_EQ(got, want);
    EXPECT_FALSE(want.empty());

    std::map<std::string, std::string> want_legs, got_legs;
    json::value cursor = nullptr;
    do {
      json::object params{{"limit", 1000}};
      if (!cursor.is_null()) params["cursor"] = cursor;
      const json::value page = net_->Result(node, "listLoans", params);
      ASSERT_TRUE(page.is_object());
      for (const json::value& loan : page.at("loans").as_array()) {
        for (const auto& [bank, leg] : loan.at("banks").as_object()) {
          want_legs[std::string(loan.at("loan_id").as_string()) + "/" + std::string(bank)] =
              std::string(leg.at("loss").as_string()) + " " +
              std::string(leg.at("recovered").as_string()) + " " +
              (leg.at("approved").as_bool() ? "t" : "f") + " " +
              std::to_string(leg.at("share_bp").to_number<int>());
        }
      }
      cursor = page.at("next_cursor");
    } while (!cursor.is_null());
    for (const std::string& line :
         Lines(Sql("SELECT loan_id || '/' || bank, loss || ' ' || recovered || ' ' || "
                   "CASE WHEN approved THEN 't' ELSE 'f' END || ' ' || share_bp FROM loan_legs"))) {
      const std::size_t bar = line.find('|');
      got_legs[line.substr(0, bar)] = line.substr(bar + 1);
    }
    EXPECT_EQ(got_legs, want_legs);

    // Positions per pair and component, and settlement batches.
    std::set<std::string> want_positions, got_positions;
    for (const json::value& p : books.at("positions").as_array()) {
      want_positions.insert(PairLine(p.as_object()));
    }
    for (const std::string& line : Lines(
             Sql("SELECT p.a || ' ' || p.b || ' ' || p.currency || ' ' || p.net_a_owes_b || ' ' || "
                 "COALESCE((SELECT string_agg(component || '=' || amount, ',' ORDER BY component) "
                 "FROM position_components c WHERE (c.a, c.b, c.currency) = (p.a, p.b, "
                 "p.currency)), '') FROM positions p"))) {
      got_positions.insert(line);
    }
    EXPECT_EQ(got_positions, want_positions);
    std::set<std::string> want_batches, got_batches;
    for (const json::value& b : books.at("settlements").as_array()) {
      const json::object& o = b.as_object();
      const json::value* ref = o.if_contains("payment_ref");
      want_batches.insert(std::string(o.at("batch_id").as_string()) + " " +
                          std::string(o.at("status").as_string()) + " " +
                          (ref != nullptr ? std::string(ref->as_string()) : "-") + " " +
                          PairLine(o));
    }
    for (const std::string& line : Lines(Sql(
             "SELECT s.batch_id || ' ' || s.status || ' ' || COALESCE(s.payment_ref, '-') || ' ' "
             "|| s.a || ' ' || s.b || ' ' || s.currency || ' ' || s.net_a_owes_b || ' ' || "
             "COALESCE((SELECT string_agg(component || '=' || amount, ',' ORDER BY component) "
             "FROM settlement_components c WHERE c.batch_id = s.batch_id), '') "
             "FROM settlement_batches s"))) {
      got_batches.insert(line);
    }
    EXPECT_EQ(got_batches, want_batches);

    // Totals: outstanding per bank equals the books' legs summed.
    std::map<std::string, std::int64_t> outstanding;
    for (const auto& [id, loan] : books.at("loans").as_object()) {
      for (const auto& [bank, leg] : loan.at("banks").as_object()) {
        outstanding[std::string(bank)] +=
            std::stoll(std::string(leg.at("outstanding").as_string()));
      }
    }
    for (const auto& [bank, total] : outstanding) {
      EXPECT_EQ(Sql("SELECT SUM(outstanding) FROM loan_legs WHERE bank = '" + bank + "'"),
                std::to_string(total))
          << bank;
    }
  }

  // "a b currency net components" with the components sorted by name, as the SQL above
  // aggregates them.
  static std::string PairLine(const json::object& o) {
    std::map<std::string, std::string> sorted;
    for (const auto& [name, amount] : o.at("components").as_object()) {
      sorted[std::string(name)] = std::string(amount.as_string());
    }
    std::string joined;
    for (const auto& [name, amount] : sorted) {
      joined += (joined.empty() ? "" : ",") + name + "=" + amount;
    }
    return std::string(o.at("a").as_string()) + " " + std::string(o.at("b").as_string()) + " " +
           std::string(o.at("currency").as_string()) + " " +
           std::string(o.at("net_a_owes_b").as_string()) + " " + joined;
  }

  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) out.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  // Waits until the chain stops moving and the export reached its head.
  void WaitExportCaughtUp(std::size_t node, int timeout_ms) {
    std::uint64_t last_head = 0;
    int stable = 0;
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          const std::uint64_t head = net_->Height(node);
          stable = head == last_head ? stable + 1 : 0;
          last_head = head;
          return head > 0 && stable >= 10 && Exported() == head;
        },
        timeout_ms))
        << "exported " << Exported() << ", head " << last_head;
  }

  ScratchDir scratch_{"export-e2e"};
  std::unique_ptr<PostgresCluster> pg_;
  std::unique_ptr<LocalNetwork> net_;
  std::string token_file_;
  std::vector<std::string> pending_;
};

// A co-lending day exported in two runs of --once (the second resumes from the first's
// height) equals getBooks to the cent; a third run finds nothing to do and changes nothing;
// the schema is created once, versions 1 and 2, from an empty database; its guards fail with
// their own SQLSTATEs.
TEST_F(ExportE2eTest, CoLendingDayInSqlEqualsGetBooksAndRerunIsIdempotent) {
  FirstHalfOfDay();
  RunResult first = ExportOnce("--from-height 1");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(Sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM colend_export_schema"),
            "1,2");
  const std::uint64_t half = Exported();
  EXPECT_GT(half, 0u);
  // What colend-export tells apart by code (schema.cc): a block that does not follow the
  // exported height (another writer) and a database of another chain. Nothing changes.
  const std::string chain = Sql("SELECT chain_id FROM export_state");
  const auto guard_state = [&](std::uint64_t height, const std::string& chain_id) {
    return Sql(
        "CREATE FUNCTION pg_temp.guard(h BIGINT, c TEXT) RETURNS TEXT LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM colend_export_begin_block(h, c); RETURN 'ok'; "
        "EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$; "
        "SELECT pg_temp.guard(" + std::to_string(height) + ", '" + chain_id + "')");
  };
  EXPECT_EQ(guard_state(half + 1, chain), "ok");
  EXPECT_EQ(guard_state(half + 5, chain), "CX001");
  EXPECT_EQ(guard_state(half + 1, "another-chain"), "CX002");
  EXPECT_EQ(Exported(), half);
  EXPECT_EQ(SqlNumber("SELECT COUNT(*) FROM loans"), 35u);

  // A wrong --from-height is refused and writes nothing.
  RunResult wrong = ExportOnce("--from-height 1");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("resumes at " + std::to_string(half + 1)), std::string::npos)
      << wrong.output;

  SecondHalfOfDay();
  RunResult second = ExportOnce("--from-height " + std::to_string(half + 1));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  ExpectSqlEqualsBooks(kPartnerA);
  // The day's facts as the reports see them.
  EXPECT_EQ(Sql("SELECT status FROM loans WHERE loan_id = 'L-21'"), "ACTIVE");  // reversed
  EXPECT_EQ(Sql("SELECT status FROM loans WHERE loan_id = 'M-5'"), "PENDING_APPROVAL");
  EXPECT_EQ(Sql("SELECT status || ' ' || code FROM events WHERE tx_id = 'R-over'"),
            "rejected OVERPAYMENT");
  EXPECT_EQ(Sql("SELECT status FROM settlement_batches"), "CONFIRMED");

  const std::string counts =
      Sql("SELECT (SELECT COUNT(*) FROM blocks) || ' ' || (SELECT COUNT(*) FROM events) || ' ' "
          "|| (SELECT COUNT(*) FROM postings) || ' ' || (SELECT COUNT(*) FROM loan_legs)");
  RunResult again = ExportOnce();
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(Sql("SELECT (SELECT COUNT(*) FROM blocks) || ' ' || (SELECT COUNT(*) FROM events) "
                "|| ' ' || (SELECT COUNT(*) FROM postings) || ' ' || (SELECT COUNT(*) FROM "
                "loan_legs)"),
            counts);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM colend_export_schema"), "2");
}

// Under a steady load, the follower is killed with SIGKILL three times and restarted, then
// the node it follows is killed with SIGKILL and restarted: the export catches up with no
// height, event or posting missing or doubled, and its books equal the node's.
TEST_F(ExportE2eTest, KillNineOfExporterAndNodeMidStreamLosesAndDoublesNothing) {
  std::thread load = SteadyLoad(24);
  auto start_exporter = [&](ChildProcess& p) {
    ASSERT_TRUE(
        p.Start({"/bin/sh", "-c", "exec " + ExportArgs(kPartnerA)}, scratch_.Path("export.log")));
  };
  const auto pause = [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  {
    ChildProcess exporter;
    start_exporter(exporter);
    std::uint64_t last = 0;
    for (int round = 0; round < 3; ++round) {
      pause(2500);
      EXPECT_EQ(exporter.Signal(SIGKILL), 128 + SIGKILL);
      const std::uint64_t at_kill = Exported();
      EXPECT_GT(at_kill, last) << "the exporter made no progress in round " << round;
      EXPECT_LT(at_kill, net_->Height(kPartnerA) + 1);
      last = at_kill;
      start_exporter(exporter);
    }
    // The node the exporter follows dies mid-stream; the exporter waits and resumes.
    pause(2000);
    EXPECT_EQ(net_->Stop(kPartnerA, SIGKILL), 128 + SIGKILL);
    pause(2000);
    ASSERT_TRUE(net_->Start(kPartnerA)) << net_->Log(kPartnerA);
    load.join();
    WaitExportCaughtUp(kPartnerA, 120000);
    EXPECT_TRUE(exporter.running()) << testutil::ReadFile(scratch_.Path("export.log"));
    ExpectSqlEqualsBooks(kPartnerA);
  }
  EXPECT_GT(SqlNumber("SELECT COUNT(*) FROM loans"), 20u);
  const std::string log = testutil::ReadFile(scratch_.Path("export.log"));
  EXPECT_EQ(log.find("PostgreSQL: "), std::string::npos) << log;
  // The node's death was seen and waited out (--quiet logs failures only).
  EXPECT_NE(log.find("retrying every 200 ms"), std::string::npos) << log;
}

// Two followers on one database: the second waits for the writer lock and logs why, a
// --once run meanwhile exits 1 with the same sentence, and when the first is killed the
// second takes over from the exported height: the books equal the node's, nothing doubled.
TEST_F(ExportE2eTest, ASecondExporterWaitsAsAStandbyAndTakesOverWhenTheFirstDies) {
  std::thread load = SteadyLoad(12);
  const std::string waiting = "another colend-export is writing to this database";
  ChildProcess first;
  ASSERT_TRUE(
      first.Start({"/bin/sh", "-c", "exec " + ExportArgs(kPartnerA)}, scratch_.Path("first.log")));
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        return SqlNumber("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'export_state'") > 0 &&
               Exported() > 0;
      },
      60000))
      << testutil::ReadFile(scratch_.Path("first.log"));
  ChildProcess second;
  ASSERT_TRUE(second.Start({"/bin/sh", "-c", "exec " + ExportArgs(kPartnerA)},
                           scratch_.Path("second.log")));
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        return testutil::ReadFile(scratch_.Path("second.log")).find(waiting) != std::string::npos;
      },
      30000))
      << testutil::ReadFile(scratch_.Path("second.log"));
  EXPECT_TRUE(second.running());
  // Waiting costs the standby one connection, kept across its tries (every 200 ms): the
  // same backend asks for the lock again, no new one is opened per try.
  const std::string asking =
      "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_try_advisory_lock%' AND "
      "pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)";
  const std::string standby = Sql(asking);
  EXPECT_EQ(Lines(standby).size(), 1u) << standby;
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(Sql(asking), standby);
  const std::string holder = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted";
  const std::string first_writer = Sql(holder);
  EXPECT_EQ(Lines(first_writer).size(), 1u) << first_writer;
  const RunResult once = ExportOnce();
  EXPECT_EQ(once.exit_code, 1) << once.output;
  EXPECT_NE(once.output.find(waiting), std::string::npos) << once.output;

  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(first.Signal(SIGKILL), 128 + SIGKILL);
  const std::uint64_t at_kill = Exported();
  load.join();
  WaitExportCaughtUp(kPartnerA, 120000);
  // The second follower's writing connection holds the lock now.
  const std::string second_writer = Sql(holder);
  EXPECT_EQ(Lines(second_writer).size(), 1u) << second_writer;
  EXPECT_NE(second_writer, first_writer);
  if (at_kill < net_->Height(kPartnerA)) {
    EXPECT_GT(Exported(), at_kill);
  }
  EXPECT_TRUE(second.running()) << testutil::ReadFile(scratch_.Path("second.log"));
  ExpectSqlEqualsBooks(kPartnerA);
  const std::string log = testutil::ReadFile(scratch_.Path("second.log"));
  EXPECT_EQ(log.find("PostgreSQL: "), std::string::npos) << log;
}

// The pipelined catch-up: with a chain far ahead of the database, the exporter reads and
// builds blocks while its writer thread writes the earlier ones, several blocks queued
// between them. SIGKILL at moments spread over the catch-up, each restart resuming from the
// exported height: every height, event and posting ends up there exactly once and the books
// equal the node's, and the queue never let a block be written before the one below it.
TEST_F(ExportE2eTest, KillNineDuringPipelinedCatchUpLosesAndDoublesNothing) {
  const RunResult load = RunCommand(std::string(COLEND_BENCH_PATH) + " --network " + net_->root() +
                                        "/network.json --json --quiet --preload 20 --rate 400 "
                                        "--duration 12 --via LEAD,PARTNER_B --mix 60,35,5",
                                    true);
  ASSERT_EQ(load.exit_code, 0) << load.output;
  const std::uint64_t head = net_->Height(kPartnerA);
  // On a loaded machine the same load makes fewer, larger blocks (17 seen at load 10): still
  // a catch-up of several groups of transactions for the writer.
  ASSERT_GT(head, 10u);
  std::uint64_t last = 0;
  int mid_catch_up = 0;
  // Kill times (ms after each start), short first: each exporter resumes where the last one
  // was killed, so only kills before the catch-up ends can fall inside it, and how long it
  // takes depends on the machine's load. Some kills come before the first write (nothing
  // moves), some in the first groups written, some deep into the catch-up.
  for (const int after_ms : {60, 90, 120, 160, 220, 300, 450, 700, 1000, 1500}) {
    ChildProcess exporter;
    ASSERT_TRUE(exporter.Start({"/bin/sh", "-c", "exec " + ExportArgs(kPartnerA)},
                               scratch_.Path("export.log")));
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    EXPECT_EQ(exporter.Signal(SIGKILL), 128 + SIGKILL);
    if (SqlNumber("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'export_state'") == 0) {
      continue;  // killed before it made the schema
    }
    // One statement, one snapshot: the server may still be committing what the dead
    // exporter sent last, each block whole with its height. The database holds exactly the
    // blocks 1..height, each with all of its transactions.
    const std::vector<std::string> row = Lines(
        Sql("SELECT COALESCE((SELECT height FROM export_state), 0) || E'\\n' || "
            "(SELECT COUNT(*) FROM blocks) || E'\\n' || (SELECT COALESCE(MAX(height), 0) FROM "
            "blocks) || E'\\n' || (SELECT COUNT(*) FROM events) || E'\\n' || "
            "(SELECT COALESCE(SUM(tx_count), 0) FROM blocks)"));
    ASSERT_EQ(row.size(), 5u);
    const std::uint64_t at_kill = std::stoull(row[0]);
    EXPECT_GE(at_kill, last);
    EXPECT_LE(at_kill, net_->Height(kPartnerA));
    EXPECT_EQ(row[1], row[0]);
    EXPECT_EQ(row[2], row[0]);
    EXPECT_EQ(row[3], row[4]);
    if (at_kill > last && at_kill < head) ++mid_catch_up;
    last = at_kill;
  }
  EXPECT_GT(mid_catch_up, 0) << "no kill fell inside the catch-up; exported " << last << " of "
                             << head;
  ChildProcess follower;
  ASSERT_TRUE(follower.Start({"/bin/sh", "-c", "exec " + ExportArgs(kPartnerA)},
                             scratch_.Path("export.log")));
  WaitExportCaughtUp(kPartnerA, 120000);
  EXPECT_TRUE(follower.running()) << testutil::ReadFile(scratch_.Path("export.log"));
  ExpectSqlEqualsBooks(kPartnerA);
  EXPECT_GT(SqlNumber("SELECT COUNT(*) FROM loans"), 100u);
  EXPECT_GT(SqlNumber("SELECT COUNT(*) FROM events WHERE type = 'Reverse' AND status = 'ok'"), 0u);
}

}  // namespace
}  // namespace colend::e2e
