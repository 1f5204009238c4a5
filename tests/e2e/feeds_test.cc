// The banks' feeds end to end on a real 4-bank network with bearer tokens: the per-bank
// event index (listEvents) as the nodes' own execution writes it, the same on every node and
// after a restart; WebSocket subscriptions with the token, live and resumed from a height;
// and colend-cli watch, replayed and live.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "colend/testutil/process_util.h"
#include "local_network.h"
#include "ws_client.h"

namespace colend::e2e {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using testutil::ReadFile;
using testutil::RunCommand;
using testutil::RunResult;
using testutil::ScratchDir;
using testutil::WriteFile;

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kLead = 0;
constexpr std::size_t kPartnerA = 1;
constexpr std::size_t kPartnerB = 2;
constexpr int kCommitTimeoutMs = 30000;
constexpr char kRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

class FeedsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    net_ = LocalNetwork::Create(scratch_.Path("net"), kBanks, "--rpc-tokens", &error);
    ASSERT_NE(net_, nullptr) << error;
    ASSERT_TRUE(net_->StartAll()) << net_->Log(0);
    url_ = "http://127.0.0.1:" + std::to_string(net_->bank(kPartnerA).rpc_port);
    token_ = net_->bank(kPartnerA).rpc_token;
    ASSERT_FALSE(token_.empty());
    token_file_ = scratch_.Path("partner_a.token");
    WriteFile(token_file_, token_ + "\n");
    fs::permissions(token_file_, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
  }

  void Submit(std::size_t signer, const std::string& tx_json) {
    const json::value r = net_->Send(signer % net_->size(), net_->Sign(signer, tx_json));
    ASSERT_TRUE(r.is_object() && r.as_object().contains("result"))
        << tx_json << " -> " << json::serialize(r);
    hashes_.push_back(std::string(r.at("result").at("tx_hash").as_string()));
  }

  // Every submitted transaction has a receipt on `bank`'s node.
  void WaitCommitted(std::size_t bank = kPartnerA) {
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          for (const std::string& h : hashes_) {
            if (!net_->Result(bank, "getTransactionReceipt", json::object{{"tx_hash", h}})
                     .is_object()) {
              return false;
            }
          }
          return true;
        },
        kCommitTimeoutMs))
        << net_->Log(bank);
  }

  // Every page of `bank`'s events on node `i`, `limit` at a time.
  json::array Events(std::size_t i, const std::string& bank, std::uint64_t limit = 1000) {
    json::array all;
    json::object params{{"bank", bank}, {"from_height", 1}, {"limit", limit}};
    while (true) {
      const json::value page = net_->Result(i, "listEvents", params);
      EXPECT_TRUE(page.is_object()) << json::serialize(net_->Rpc(i, "listEvents", params));
      if (!page.is_object()) return all;
      for (const json::value& e : page.at("events").as_array()) all.push_back(e);
      if (page.at("next_from_height").is_null()) return all;
      params["from_height"] = page.at("next_from_height");
      params["from_index"] = page.at("next_from_index");
    }
  }

  static std::vector<std::string> Ids(const json::array& events) {
    std::vector<std::string> ids;
    for (const json::value& e : events) {
      ids.push_back(std::string(e.at("tx").at("id").as_string()) +
                    (e.at("status").as_string() == "ok" ? "" : "!"));
    }
    return ids;
  }

  std::string Cli(const std::string& args) const {
    return std::string(COLEND_CLI_PATH) + " watch --rpc " + url_ + " --token-file " + token_file_ +
           " " + args;
  }

  ScratchDir scratch_{"colend-feeds"};
  std::unique_ptr<LocalNetwork> net_;
  std::string url_, token_, token_file_;
  std::vector<std::string> hashes_;
};

TEST_F(FeedsE2eTest, EventIndexSubscriptionsAndWatchOnRealNodes) {
  // The upgrade needs the node's token.
  EXPECT_EQ(tools::SubscriptionClient::Connect(url_, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(tools::SubscriptionClient::Connect(url_, std::string(40, 'x')).status().code(),
            StatusCode::kPermissionDenied);
  // A live subscriber from before the traffic.
  auto live = tools::SubscriptionClient::Connect(url_, token_);
  ASSERT_TRUE(live.ok()) << live.status();
  Result<std::string> live_id =
      (*live)->Subscribe(json::object{{"topic", "positions"}, {"bank", "PARTNER_A"}});
  ASSERT_TRUE(live_id.ok()) << live_id.status();

  // Two agreements (LEAD with PARTNER_A, LEAD with PARTNER_B), a loan under each, repayments,
  // a reversal, and a refused transaction of PARTNER_B.
  for (const auto& [ag, partner] : {std::pair{"AG-A", "PARTNER_A"}, {"AG-B", "PARTNER_B"}}) {
    Submit(kLead, std::string(R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-)") + ag +
                      R"(","agreement_id":")" + ag +
                      R"(","currency":"CNY","shares":{"LEAD":2000,")" + partner +
                      R"(":8000},"service_fee_bp":1500})");
  }
  WaitCommitted();
  Submit(kPartnerA,
         R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a-A","agreement_id":"AG-A"})");
  Submit(kPartnerB,
         R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"a-B","agreement_id":"AG-B"})");
  WaitCommitted();
  for (const auto& [ag, loan] : {std::pair{"AG-A", "L-A"}, {"AG-B", "L-B"}}) {
    Submit(
        kLead,
        std::string(R"({"type":"OriginateLoan","signer":"LEAD","id":")") + loan +
            R"(","agreement_id":")" + ag + R"(","loan_id":")" + loan + R"(","borrower_ref":")" +
            kRef +
            R"(","principal":"100000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})");
  }
  WaitCommitted();
  for (const auto& [loan, id] : {std::pair{"L-A", "R-A"}, {"L-B", "R-B"}}) {
    Submit(kLead, std::string(R"({"type":"RecordRepayment","signer":"LEAD","id":")") + id +
                      R"(","loan_id":")" + loan +
                      R"(","principal":"10000","interest":"1200","value_date":"2026-12-21"})");
  }
  Submit(kPartnerB,
         R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"x-1","agreement_id":"AG-NONE"})");
  WaitCommitted();
  Submit(kLead,
         R"({"type":"Reverse","signer":"LEAD","id":"V-A","target_id":"R-A","reason":"bounced"})");
  WaitCommitted();

  // listEvents: each bank's own transactions and those on its agreements and loans.
  const json::array a_events = Events(kPartnerA, "PARTNER_A");
  EXPECT_EQ(Ids(a_events), (std::vector<std::string>{"p-AG-A", "a-A", "L-A", "R-A", "V-A"}));
  // (R-B and x-1 share a block, in the pool's order; "!" marks the rejection.)
  std::vector<std::string> b_ids = Ids(Events(kPartnerA, "PARTNER_B"));
  ASSERT_EQ(b_ids.size(), 5u);
  std::sort(b_ids.begin() + 3, b_ids.end());
  EXPECT_EQ(b_ids, (std::vector<std::string>{"p-AG-B", "a-B", "L-B", "R-B", "x-1!"}));
  // The repayment's postings name PARTNER_A.
  bool posted = false;
  for (const json::value& p : a_events.at(3).at("postings").as_array()) {
    posted = posted || p.at("creditor") == "PARTNER_A" || p.at("debtor") == "PARTNER_A";
  }
  EXPECT_TRUE(posted) << json::serialize(a_events.at(3));
  // Every node indexed the same events; pages of 2 give the same sequence.
  WaitCommitted(kLead);
  EXPECT_EQ(json::serialize(Events(kLead, "PARTNER_A")), json::serialize(a_events));
  EXPECT_EQ(json::serialize(Events(kPartnerA, "PARTNER_A", 2)), json::serialize(a_events));
  // Errors.
  EXPECT_EQ(
      net_->Rpc(kPartnerA, "listEvents", json::object{{"bank", "NOBODY"}}).at("error").at("code"),
      -32002);
  EXPECT_EQ(net_->Rpc(kPartnerA, "listEvents", json::object{{"bank", "LEAD"}, {"limit", 5000}})
                .at("error")
                .at("code"),
            -32602);

  // The live subscriber got one table per block with an event of PARTNER_A, in order.
  std::set<std::uint64_t> event_heights;
  for (const json::value& e : a_events)
    event_heights.insert(e.at("height").to_number<std::uint64_t>());
  std::vector<std::uint64_t> notified;
  json::object last;
  while (notified.size() < event_heights.size()) {
    Result<json::object> note = (*live)->Next(kCommitTimeoutMs);
    ASSERT_TRUE(note.ok()) << note.status();
    notified.push_back(note->at("height").to_number<std::uint64_t>());
    last = *note;
  }
  EXPECT_EQ(notified, std::vector<std::uint64_t>(event_heights.begin(), event_heights.end()));
  const json::value positions = net_->Result(
      kPartnerA, "getPositions", json::object{{"bank", "PARTNER_A"}, {"height", notified.back()}});
  ASSERT_TRUE(positions.is_object());
  EXPECT_EQ(json::serialize(last.at("result").at("positions")),
            json::serialize(positions.at("positions")));

  // A new connection resumes blocks from height 1: every height once, in order.
  const std::uint64_t head = net_->Height(kPartnerA);
  auto resumed = tools::SubscriptionClient::Connect(url_, token_);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE((*resumed)->Subscribe(json::object{{"topic", "blocks"}, {"from_height", 1}}).ok());
  for (std::uint64_t h = 1; h <= head; ++h) {
    Result<json::object> note = (*resumed)->Next(kCommitTimeoutMs);
    ASSERT_TRUE(note.ok()) << note.status();
    EXPECT_EQ(note->at("height").to_number<std::uint64_t>(), h);
  }

  // colend-cli watch, replayed from block 1: its last table is the positions now.
  const std::string net_lead =
      std::string(positions.at("positions").at(0).at("net_a_owes_b").as_string());
  RunResult watch = RunCommand(Cli("--bank PARTNER_A --from-height 1 --blocks " +
                                   std::to_string(event_heights.size()) + " --timeout 20"),
                               true);
  ASSERT_EQ(watch.exit_code, 0) << watch.output;
  const std::string final_table = watch.stdout_text.substr(
      watch.stdout_text.rfind("height " + std::to_string(notified.back())));
  // The pair is (LEAD, PARTNER_A): PARTNER_A's side is the negated "LEAD owes PARTNER_A".
  const std::string a_side = net_lead.front() == '-' ? net_lead.substr(1) : "-" + net_lead;
  EXPECT_NE(final_table.find("LEAD"), std::string::npos) << watch.stdout_text;
  EXPECT_NE(final_table.find(" " + a_side + " "), std::string::npos) << watch.stdout_text;

  // --json: each update is the notification, one JSON line.
  RunResult as_json = RunCommand(Cli("--bank PARTNER_A --from-height 1 --once --json"), true);
  ASSERT_EQ(as_json.exit_code, 0) << as_json.output;
  const json::value first = json::parse(as_json.stdout_text);
  EXPECT_EQ(first.at("topic"), "positions");
  EXPECT_EQ(first.at("height").to_number<std::uint64_t>(), *event_heights.begin());

  // colend-cli watch --once, live: it prints the positions now, then the next change.
  const std::string out = scratch_.Path("watch.out");
  // In the background, detached from RunCommand's pipe (which it would otherwise hold open).
  ASSERT_EQ(RunCommand("(" + Cli("--bank PARTNER_A --once --timeout 30") + " > " + out +
                       " 2>&1; echo \"exit $?\" >> " + out + ") < /dev/null > /dev/null 2>&1 &")
                .exit_code,
            0);
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] { return ReadFile(out).find("height ") != std::string::npos; }, 10000))
      << ReadFile(out);
  Submit(
      kLead,
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-A2","loan_id":"L-A","principal":"5000","interest":"0","value_date":"2026-12-22"})");
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] { return ReadFile(out).find("exit ") != std::string::npos; }, kCommitTimeoutMs))
      << ReadFile(out);
  const std::string live_out = ReadFile(out);
  std::size_t tables = 0;
  for (std::size_t at = live_out.find("height "); at != std::string::npos;
       at = live_out.find("height ", at + 1)) {
    ++tables;
  }
  EXPECT_EQ(tables, 2u) << live_out;

  // The index survives a restart of the node.
  WaitCommitted();
  const json::array before = Events(kPartnerA, "PARTNER_A");
  EXPECT_EQ(before.size(), 6u);
  EXPECT_EQ(net_->Stop(kPartnerA), 0);
  ASSERT_TRUE(net_->Start(kPartnerA)) << net_->Log(kPartnerA);
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] { return net_->Result(kPartnerA, "getBlockNumber").is_number(); }, kCommitTimeoutMs));
  EXPECT_EQ(json::serialize(Events(kPartnerA, "PARTNER_A")), json::serialize(before));

  // A settlement cut-off: the settlements topic shows the batch the block closed.
  hashes_.clear();
  Submit(
      kPartnerA,
      R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2026-12-31"})");
  WaitCommitted();
  const json::value receipt =
      net_->Result(kPartnerA, "getTransactionReceipt", json::object{{"tx_hash", hashes_.back()}});
  ASSERT_TRUE(receipt.is_object());
  ASSERT_EQ(receipt.at("status"), "ok") << json::serialize(receipt);
  auto settlements = tools::SubscriptionClient::Connect(url_, token_);
  ASSERT_TRUE(settlements.ok()) << settlements.status();
  ASSERT_TRUE((*settlements)
                  ->Subscribe(json::object{
                      {"topic", "settlements"}, {"bank", "PARTNER_A"}, {"from_height", 1}})
                  .ok());
  Result<json::object> closed = (*settlements)->Next(kCommitTimeoutMs);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->at("height"), receipt.at("height"));
  const json::object& batch = closed->at("result").at("settlements").at(0).as_object();
  EXPECT_EQ(batch.at("closed_by"), "PARTNER_A");
  EXPECT_EQ(batch.at("status"), "CLOSED");
}

}  // namespace
}  // namespace colend::e2e
