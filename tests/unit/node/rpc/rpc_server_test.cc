// The JSON-RPC server end to end: a real server on 127.0.0.1 (ephemeral port), a Beast
// client, and a FakeNode whose state the real contracts built (rpc_server_fixture.h). This
// file: every query method's happy path. Errors and the JSON-RPC envelope are in
// rpc_errors_test.cc, HTTP in rpc_http_test.cc, hostile clients in
// rpc_hostile_client_test.cc; after each bad request the server still answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "colend/node/metrics.h"
#include "colend/node/rpc_server.h"
#include "rpc_server_fixture.h"

namespace colend::node {
namespace {

namespace json = boost::json;
using testing::FakeNode;
using testing::Accept;
using testing::Agreement;
using testing::Loan;
using testing::Repay;
using testing::RpcServerTest;
using testing::HttpConnection;
using testing::HttpReply;

// ---- happy paths ------------------------------------------------------------------------

TEST_F(RpcServerTest, GetBlockNumber) {
  EXPECT_EQ(Result("getBlockNumber"), json::value(11));
}

TEST_F(RpcServerTest, GetTransactionAndReceiptOfCommittedTransactions) {
  auto block = node_.BlockByNumber(4);
  ASSERT_TRUE(block.has_value());
  const std::string hash = ToHex(block->tx_hashes[0]);
  json::value tx = Result("getTransaction", R"({"tx_hash":")" + hash + "\"}");
  EXPECT_EQ(tx.at("pending"), json::value(false));
  EXPECT_EQ(tx.at("height"), json::value(4));
  EXPECT_EQ(tx.at("index"), json::value(0));
  EXPECT_EQ(S(tx.at("block_hash")), ToHex(block->block_hash));
  EXPECT_EQ(S(tx.at("tx_hash")), hash);
  // The contracts' codec (docs/api.md): amounts as strings, fields in its order.
  EXPECT_EQ(S(tx.at("tx").at("type")), "RecordRepayment");
  EXPECT_EQ(S(tx.at("tx").at("principal")), "66667");
  EXPECT_EQ(S(tx.at("tx").at("penalty")), "0");

  json::value receipt = Result("getTransactionReceipt", R"({"tx_hash":")" + hash + "\"}");
  EXPECT_EQ(S(receipt.at("status")), "ok");
  EXPECT_EQ(receipt.at("height"), json::value(4));
  EXPECT_FALSE(receipt.as_object().contains("code"));

  json::value rejected =
      Result("getTransactionReceipt", R"({"tx_hash":")" + ToHex(rejected_hash_) + "\"}");
  EXPECT_EQ(S(rejected.at("status")), "rejected");
  EXPECT_EQ(S(rejected.at("code")), "OVERPAYMENT");
  EXPECT_FALSE(S(rejected.at("message")).empty());
}

TEST_F(RpcServerTest, GetBlockByNumberAndByHash) {
  json::value b = Result("getBlockByNumber", R"({"height":3})");
  EXPECT_EQ(b.at("header").at("height"), json::value(3));
  EXPECT_EQ(b.at("header").at("tx_count"), json::value(1));
  EXPECT_EQ(S(b.at("header").at("proposer")), "LEAD-1");
  EXPECT_EQ(S(b.at("header").at("tx_root")), ToHex(Bytes(32, 0x02)));
  ASSERT_EQ(b.at("transactions").as_array().size(), 1u);
  EXPECT_TRUE(b.at("transactions").at(0).is_string());
  EXPECT_EQ(b.at("certificate").at("height"), json::value(3));
  EXPECT_EQ(S(b.at("certificate").at("commits").at(0).at("validator")), "LEAD-1");

  const std::string hash = S(b.at("hash"));
  json::value full = Result("getBlockByHash", R"({"hash":")" + hash + R"(","full":true})");
  EXPECT_EQ(S(full.at("hash")), hash);
  EXPECT_EQ(S(full.at("transactions").at(0).at("tx").at("type")), "OriginateLoan");
  EXPECT_EQ(S(full.at("transactions").at(0).at("tx").at("principal")), "800000");
}

TEST_F(RpcServerTest, GetLoanHasTheBooksShape) {
  json::value loan = Result("getLoan", R"({"loan_id":"L-1"})");
  EXPECT_EQ(S(loan.at("status")), "ACTIVE");
  EXPECT_EQ(S(loan.at("principal")), "800000");
  EXPECT_EQ(S(loan.at("agreement_id")), "AG-1");
  EXPECT_EQ(S(loan.at("banks").at("LEAD").at("share")), "160000");
  EXPECT_EQ(S(loan.at("banks").at("PARTNER_A").at("share")), "640000");
  EXPECT_EQ(S(loan.at("banks").at("LEAD").at("outstanding")), "146667");
  EXPECT_EQ(S(loan.at("banks").at("PARTNER_A").at("outstanding")), "586666");
}

TEST_F(RpcServerTest, ListLoansPagesInKeyOrderAndFilters) {
  // Key order: L-1 < L-10 < L-2 < L-3.
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string params = R"({"limit":1)";
    if (!cursor.empty()) params += R"(,"cursor":")" + cursor + "\"";
    json::value r = Result("listLoans", params + "}");
    for (const auto& l : r.at("loans").as_array()) seen.push_back(S(l.at("loan_id")));
    if (r.at("next_cursor").is_null()) break;
    cursor = S(r.at("next_cursor"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"L-1", "L-10", "L-2", "L-3"}));

  json::value all = Result("listLoans");
  EXPECT_EQ(all.at("loans").as_array().size(), 4u);
  EXPECT_TRUE(all.at("next_cursor").is_null());

  json::value ag2 = Result("listLoans", R"({"agreement_id":"AG-2"})");
  ASSERT_EQ(ag2.at("loans").as_array().size(), 1u);
  EXPECT_EQ(S(ag2.at("loans").at(0).at("loan_id")), "L-2");

  json::value partner_a = Result("listLoans", R"({"bank":"PARTNER_A","limit":2})");
  ASSERT_EQ(partner_a.at("loans").as_array().size(), 2u);
  EXPECT_EQ(S(partner_a.at("next_cursor")), "L-10");
  json::value rest = Result("listLoans", R"({"bank":"PARTNER_A","limit":2,"cursor":"L-10"})");
  ASSERT_EQ(rest.at("loans").as_array().size(), 1u);
  EXPECT_EQ(S(rest.at("loans").at(0).at("loan_id")), "L-3");
  EXPECT_TRUE(rest.at("next_cursor").is_null());

  // A cursor that is not itself a loan still pages from its place in key order.
  json::value after = Result("listLoans", R"({"cursor":"L-11"})");
  ASSERT_EQ(after.at("loans").as_array().size(), 2u);
  EXPECT_EQ(S(after.at("loans").at(0).at("loan_id")), "L-2");
}

// A call examines at most list_scan_budget loans, matching or not: a filter that matches
// little pages through the loan book in bounded steps, each page saying where to go on, and
// every page names the height it was read at.
TEST_F(RpcServerTest, ListLoansStopsAtTheScanBudgetWithACursor) {
  RpcOptions options;
  options.list_scan_budget = 2;
  Start(options);
  // Key order L-1, L-10, L-2, L-3; only L-2 has PARTNER_B in it.
  json::value first = Result("listLoans", R"({"bank":"PARTNER_B"})");
  EXPECT_TRUE(first.at("loans").as_array().empty());
  EXPECT_EQ(S(first.at("next_cursor")), "L-10");  // L-1 and L-10 examined
  EXPECT_EQ(first.at("height"), json::value(11));
  json::value second = Result("listLoans", R"({"bank":"PARTNER_B","cursor":"L-10"})");
  ASSERT_EQ(second.at("loans").as_array().size(), 1u);
  EXPECT_EQ(S(second.at("loans").at(0).at("loan_id")), "L-2");
  EXPECT_TRUE(second.at("next_cursor").is_null());  // L-3 was the last loan
  // Unfiltered, the page limit comes first when it is smaller than the budget.
  json::value one = Result("listLoans", R"({"limit":1})");
  EXPECT_EQ(S(one.at("next_cursor")), "L-1");
  EXPECT_EQ(Result("listAgreements").at("height"), json::value(11));
  EXPECT_EQ(Result("getSettlements").at("height"), json::value(11));
}

// A reversal may leave a bank above its limit; the agreement says by how much.
TEST_F(RpcServerTest, AgreementsShowAPartyAboveItsLimit) {
  ASSERT_EQ(node_.Apply(R"({"type":"ProposeAgreement","signer":"LEAD","id":"AG-3","agreement_id":"AG-3",)"
                        R"("currency":"CNY","shares":{"LEAD":5000,"PARTNER_B":5000},)"
                        R"("limits":{"PARTNER_B":{"max_outstanding":"100000"}}})"),
            "ok");
  ASSERT_EQ(node_.Apply(Accept("PARTNER_B", "AG-3")), "ok");
  ASSERT_EQ(node_.Apply(Loan("L-30", "AG-3", "200000")), "ok");  // PARTNER_B 100000
  ASSERT_EQ(node_.Apply(Repay("R-30", "L-30", "100000")), "ok");  // PARTNER_B 50000
  ASSERT_EQ(node_.Apply(Loan("L-31", "AG-3", "100000")), "ok");  // PARTNER_B 100000
  json::value ag = Result("getAgreement", R"({"agreement_id":"AG-3"})");
  EXPECT_EQ(S(ag.at("parties").at("PARTNER_B").at("excess")), "0");
  EXPECT_FALSE(ag.at("parties").at("LEAD").as_object().contains("excess"));  // no limit
  ASSERT_EQ(node_.Apply(R"({"type":"Reverse","signer":"LEAD","id":"V-30","target_id":"R-30","reason":"bounced"})"),
            "ok");
  ag = Result("getAgreement", R"({"agreement_id":"AG-3"})");
  EXPECT_EQ(S(ag.at("parties").at("PARTNER_B").at("outstanding")), "150000");
  EXPECT_EQ(S(ag.at("parties").at("PARTNER_B").at("max_outstanding")), "100000");
  EXPECT_EQ(S(ag.at("parties").at("PARTNER_B").at("excess")), "50000");
  json::value books = Result("getBooks");
  ASSERT_EQ(books.at("over_limit").as_array().size(), 1u);
  EXPECT_EQ(S(books.at("over_limit").at(0).at("excess")), "50000");
  EXPECT_EQ(node_.Apply(Loan("L-32", "AG-3", "2")), "LIMIT_EXCEEDED");
}

TEST_F(RpcServerTest, AgreementsAndMembers) {
  json::value ag = Result("getAgreement", R"({"agreement_id":"AG-1"})");
  EXPECT_EQ(S(ag.at("status")), "ACTIVE");
  EXPECT_EQ(S(ag.at("lead")), "LEAD");
  EXPECT_EQ(S(ag.at("disbursement")), "FRONTED");
  EXPECT_EQ(S(ag.at("approval")), "PREAPPROVED");
  EXPECT_EQ(ag.at("parties").at("PARTNER_A").at("share_bp"), json::value(8000));
  EXPECT_EQ(ag.at("loan_count"), json::value(3));

  json::value list = Result("listAgreements");
  ASSERT_EQ(list.at("agreements").as_array().size(), 2u);
  EXPECT_EQ(S(list.at("agreements").at(1).at("agreement_id")), "AG-2");

  json::value members = Result("getMembers");
  ASSERT_EQ(members.at("members").as_array().size(), 3u);
  EXPECT_EQ(S(members.at("members").at(0).at("id")), "LEAD");
  EXPECT_EQ(S(members.at("members").at(0).at("status")), "ACTIVE");
  EXPECT_EQ(members.at("members").at(0).at("validators"), json::parse(R"(["LEAD-1","LEAD-2"])"));
  EXPECT_EQ(members.at("members").at(1).at("validators"), json::parse(R"(["PARTNER_A-1"])"));
}

TEST_F(RpcServerTest, PositionsNowAndAtAnEarlierHeight) {
  json::value now = Result("getPositions");
  EXPECT_EQ(now.at("height"), json::value(11));
  // Settled up to the cut-off: only the later loans' funding remains for LEAD/PARTNER_A.
  json::value early = Result("getPositions", R"({"height":4})");
  EXPECT_EQ(early.at("height"), json::value(4));
  ASSERT_EQ(early.at("positions").as_array().size(), 1u);
  const json::value& p = early.at("positions").at(0);
  EXPECT_EQ(S(p.at("a")), "LEAD");
  EXPECT_EQ(S(p.at("b")), "PARTNER_A");
  EXPECT_EQ(S(p.at("components").at("funding")), "-640000");
  EXPECT_EQ(S(p.at("components").at("principal")), "53334");
  EXPECT_EQ(S(p.at("components").at("interest")), "9600");

  json::value filtered = Result("getPositions", R"({"bank":"PARTNER_B"})");
  for (const auto& e : filtered.at("positions").as_array()) {
    EXPECT_TRUE(S(e.at("a")) == "PARTNER_B" || S(e.at("b")) == "PARTNER_B");
  }
  EXPECT_EQ(filtered.at("positions").as_array().size(), 1u);
  json::value none = Result("getPositions", R"({"bank":"PARTNER_A","counterparty":"PARTNER_B"})");
  EXPECT_TRUE(none.at("positions").as_array().empty());
  json::value genesis = Result("getPositions", R"({"height":0})");
  EXPECT_TRUE(genesis.at("positions").as_array().empty());
  Error("getPositions", R"({"height":12})", -32002);
}

TEST_F(RpcServerTest, SettlementsAndBooks) {
  json::value s = Result("getSettlements");
  ASSERT_EQ(s.at("settlements").as_array().size(), 1u);
  const json::value& b = s.at("settlements").at(0);
  EXPECT_EQ(S(b.at("a")), "LEAD");
  EXPECT_EQ(S(b.at("b")), "PARTNER_A");
  EXPECT_EQ(S(b.at("currency")), "CNY");
  EXPECT_EQ(S(b.at("status")), "CLOSED");
  EXPECT_TRUE(b.at("net_a_owes_b").is_string());
  EXPECT_EQ(Result("getSettlements", R"({"status":"PAID"})").at("settlements").as_array().size(),
            0u);
  EXPECT_EQ(Result("getSettlements", R"({"bank":"PARTNER_B"})").at("settlements").as_array().size(),
            0u);
  EXPECT_EQ(
      Result("getSettlements", R"({"bank":"LEAD","counterparty":"PARTNER_A","status":"CLOSED"})")
          .at("settlements")
          .as_array()
          .size(),
      1u);

  json::value books = Result("getBooks");
  EXPECT_EQ(books.at("height"), json::value(11));
  EXPECT_EQ(S(books.at("state_root")).size(), 64u);
  EXPECT_EQ(books.at("loans").as_object().size(), 4u);
}

TEST_F(RpcServerTest, OperationsViews) {
  json::value info = Result("getNodeInfo");
  EXPECT_EQ(S(info.at("node_id")), "LEAD-1");
  EXPECT_EQ(S(info.at("crypto_suite")), "standard");
  EXPECT_EQ(S(info.at("genesis_hash")), ToHex(Bytes(32, 0xab)));
  EXPECT_EQ(info.at("height"), json::value(11));
  EXPECT_EQ(S(info.at("state_root")), std::string(64, '0'));
  json::value peers = Result("getPeers");
  ASSERT_EQ(peers.at("peers").as_array().size(), 1u);
  EXPECT_EQ(peers.at("peers").at(0).at("connected"), json::value(true));
  json::value consensus = Result("getConsensusStatus");
  EXPECT_EQ(consensus.at("view"), json::value(2));
  EXPECT_EQ(consensus.at("counters").at("view_changes"), json::value(2));
  json::value sync = Result("getSyncStatus");
  EXPECT_EQ(sync.at("syncing"), json::value(false));
  json::value validators = Result("getValidators");
  EXPECT_EQ(validators.at("epoch"), json::value(0));
  EXPECT_EQ(validators.at("start_height"), json::value(1));
  EXPECT_EQ(validators.at("decided_at_height"), json::value(0));
  EXPECT_EQ(validators.at("validators").as_array().size(), 4u);
  EXPECT_EQ(validators.at("view"), json::value(2));
  EXPECT_EQ(S(validators.at("primary")), "PARTNER_A-1");  // view 2 of 4
  EXPECT_FALSE(validators.as_object().contains("next"));
  EXPECT_EQ(S(validators.at("validators").at(0).at("public_key"))
                .rfind("-----BEGIN PUBLIC KEY-----\n", 0),
            0u);
}

// A governance proposal by LEAD and the two approvals that pass it among 3 members, a
// block each; returns the height of the deciding vote.
std::uint64_t PassProposal(FakeNode& node, const std::string& id, const std::string& action) {
  EXPECT_EQ(node.Apply(R"({"type":"GovernanceProposal","signer":"LEAD","id":")" + id +
                       R"(","proposal_id":")" + id + R"(","description":"test","action":)" +
                       action + "}"),
            "ok");
  for (const char* voter : {"LEAD", "PARTNER_A"}) {
    EXPECT_EQ(node.Apply(R"({"type":"GovernanceVote","signer":")" + std::string(voter) +
                         R"(","id":"v-)" + id + voter + R"(","proposal_id":")" + id +
                         R"(","choice":"APPROVE"})"),
              "ok");
  }
  return node.BlockNumber();
}

TEST_F(RpcServerTest, ValidatorEpochsFromTheState) {
  // The genesis set without LEAD-2, keys as getValidators prints them.
  const json::value genesis = Result("getValidators");
  json::array kept;
  for (const json::value& v : genesis.at("validators").as_array()) {
    if (v.at("node_id") != json::value("LEAD-2")) kept.push_back(v);
  }
  const std::uint64_t decided = PassProposal(
      node_, "DROP-LEAD-2",
      R"({"type":"ChangeValidatorSet","validators":)" + json::serialize(kept) + "}");
  ASSERT_EQ(decided, 14u);  // epoch 1 orders from 14 + 3

  json::value now = Result("getValidators");
  EXPECT_EQ(now.at("epoch"), json::value(0));
  EXPECT_EQ(now.at("validators").as_array().size(), 4u);
  EXPECT_EQ(S(now.at("primary")), "PARTNER_A-1");
  ASSERT_TRUE(now.as_object().contains("next"));
  EXPECT_EQ(now.at("next").at("epoch"), json::value(1));
  EXPECT_EQ(now.at("next").at("start_height"), json::value(17));
  EXPECT_EQ(now.at("next").at("validators"), json::value(kept));
  json::value members = Result("getMembers");  // the latest decided set
  EXPECT_EQ(members.at("members").at(0).at("validators"), json::parse(R"(["LEAD-1"])"));

  // Two more blocks: height 17 is next, ordered by epoch 1.
  ASSERT_EQ(node_.Apply(Agreement("AG-9", R"({"LEAD":5000,"PARTNER_B":5000})")), "ok");
  ASSERT_EQ(node_.Apply(Accept("PARTNER_B", "AG-9")), "ok");
  now = Result("getValidators");
  EXPECT_EQ(now.at("epoch"), json::value(1));
  EXPECT_EQ(now.at("start_height"), json::value(17));
  EXPECT_EQ(now.at("decided_at_height"), json::value(14));
  EXPECT_EQ(now.at("validators"), json::value(kept));
  EXPECT_EQ(S(now.at("primary")), "PARTNER_B-1");  // view 2 of 3
  EXPECT_FALSE(now.as_object().contains("next"));

  json::value before = Result("getValidators", R"({"height":16})");
  EXPECT_EQ(before.at("epoch"), json::value(0));
  EXPECT_EQ(before.at("validators").as_array().size(), 4u);
  EXPECT_FALSE(before.as_object().contains("view"));
  EXPECT_FALSE(before.as_object().contains("primary"));
  EXPECT_FALSE(before.as_object().contains("next"));
  EXPECT_EQ(Result("getValidators", R"({"height":0})").at("epoch"), json::value(0));

  // Above the executed height (16): invalid params, with a sentence.
  json::object above = Call("getValidators", R"({"height":17})");
  ASSERT_TRUE(above.contains("error")) << json::serialize(above);
  EXPECT_EQ(above.at("error").at("code"), json::value(-32602));
  EXPECT_NE(std::string(above.at("error").at("message").as_string()).find("above the executed"),
            std::string::npos);
  EXPECT_EQ(Call("getValidators", R"({"height":"16"})").at("error").at("code"),
            json::value(-32602));
  EXPECT_EQ(Call("getValidators", R"({"epoch":1})").at("error").at("code"), json::value(-32602));
}

TEST_F(RpcServerTest, RevokedCertificatesAndProposals) {
  EXPECT_TRUE(Result("getRevokedCertificates").at("revoked").as_array().empty());
  EXPECT_TRUE(Result("getProposals").at("proposals").as_array().empty());
  const std::string fingerprint(64, 'c');
  const std::uint64_t h = PassProposal(
      node_, "REVOKE-1",
      R"({"type":"RevokeCertificate","fingerprint":")" + fingerprint + R"(","reason":"key leaked"})");
  json::value revoked = Result("getRevokedCertificates");
  ASSERT_EQ(revoked.at("revoked").as_array().size(), 1u);
  EXPECT_EQ(S(revoked.at("revoked").at(0).at("fingerprint")), fingerprint);
  EXPECT_EQ(S(revoked.at("revoked").at(0).at("reason")), "key leaked");
  EXPECT_EQ(revoked.at("revoked").at(0).at("revoked_at_height"), json::value(h));

  ASSERT_EQ(node_.Apply(R"({"type":"GovernanceProposal","signer":"PARTNER_A","id":"g2",)"
                        R"("proposal_id":"RULE-1","description":"min share",)"
                        R"("action":{"type":"SetNetworkRule","name":"min_funder_bp","value":500}})"),
            "ok");
  json::value all = Result("getProposals");
  ASSERT_EQ(all.at("proposals").as_array().size(), 2u);
  const json::value& passed = all.at("proposals").at(0);
  EXPECT_EQ(S(passed.at("proposal_id")), "REVOKE-1");
  EXPECT_EQ(S(passed.at("proposer")), "LEAD");
  EXPECT_EQ(S(passed.at("status")), "PASSED");
  EXPECT_EQ(S(passed.at("action").at("type")), "RevokeCertificate");
  EXPECT_EQ(S(passed.at("action").at("fingerprint")), fingerprint);
  EXPECT_EQ(passed.at("approvals"), json::parse(R"(["LEAD","PARTNER_A"])"));
  EXPECT_EQ(passed.at("decided_at_height"), json::value(h));
  const json::value& open = all.at("proposals").at(1);
  EXPECT_EQ(S(open.at("status")), "OPEN");
  EXPECT_FALSE(open.as_object().contains("decided_at_height"));
  json::value only_open = Result("getProposals", R"({"status":"OPEN"})");
  ASSERT_EQ(only_open.at("proposals").as_array().size(), 1u);
  EXPECT_EQ(S(only_open.at("proposals").at(0).at("proposal_id")), "RULE-1");
  EXPECT_EQ(Call("getProposals", R"({"status":"open"})").at("error").at("code"),
            json::value(-32602));
  EXPECT_EQ(Call("getRevokedCertificates", R"({"x":1})").at("error").at("code"),
            json::value(-32602));
}

}  // namespace
}  // namespace colend::node
