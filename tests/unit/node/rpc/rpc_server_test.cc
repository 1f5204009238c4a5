// The JSON-RPC server end to end: a real server on 127.0.0.1 (ephemeral port), a Beast
// client, and a FakeNode whose state the real contracts built. Every method's happy path,
// every error code, and after each bad request the server still answers.
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

// ---- errors -----------------------------------------------------------------------------

TEST_F(RpcServerTest, InvalidParamsNameTheField) {
  EXPECT_NE(Error("getLoan", "{}", -32602).find("\"loan_id\""), std::string::npos);
  EXPECT_NE(Error("getLoan", R"({"loan_id":5})", -32602).find("\"loan_id\": expected a string"),
            std::string::npos);
  EXPECT_NE(Error("getLoan", R"({"loan_id":"L-1","x":1})", -32602).find("\"x\""),
            std::string::npos);
  EXPECT_NE(Error("getLoan", R"({"loan_id":"L/1"})", -32602).find("\"loan_id\""),
            std::string::npos);
  EXPECT_NE(Error("getBlockByNumber", R"({"height":-1})", -32602)
                .find("\"height\": must not be negative"),
            std::string::npos);
  EXPECT_NE(Error("getBlockByNumber", R"({"height":"3"})", -32602).find("\"height\""),
            std::string::npos);
  EXPECT_NE(Error("getBlockByNumber", R"({"height":1.5})", -32602).find("\"height\""),
            std::string::npos);
  EXPECT_NE(Error("getBlockByNumber", R"({"height":1,"full":"yes"})", -32602).find("\"full\""),
            std::string::npos);
  EXPECT_NE(Error("getBlockByHash", R"({"hash":"zz"})", -32602).find("\"hash\": not hex"),
            std::string::npos);
  EXPECT_NE(Error("getBlockByHash", R"({"hash":"abcd"})", -32602)
                .find("\"hash\": expected 64 hex digits"),
            std::string::npos);
  EXPECT_NE(Error("getTransaction", R"({"tx_hash":"0x00"})", -32602).find("\"tx_hash\""),
            std::string::npos);
  EXPECT_NE(Error("sendTransaction", R"({"tx":"xyz"})", -32602).find("\"tx\""), std::string::npos);
  EXPECT_NE(Error("sendTransaction", "{}", -32602).find("\"tx\""), std::string::npos);
  EXPECT_NE(Error("listLoans", R"({"limit":0})", -32602).find("\"limit\""), std::string::npos);
  EXPECT_NE(Error("listLoans", R"({"limit":100000})", -32602).find("\"limit\""), std::string::npos);
  EXPECT_NE(Error("listLoans", R"({"bank":"lower"})", -32602).find("\"bank\""), std::string::npos);
  EXPECT_NE(Error("getPositions", R"({"height":-4})", -32602).find("\"height\""),
            std::string::npos);
  EXPECT_NE(Error("getSettlements", R"({"status":"OPEN"})", -32602).find("\"status\""),
            std::string::npos);
  EXPECT_NE(Error("getBlockNumber", R"({"x":1})", -32602).find("\"x\""), std::string::npos);
  EXPECT_NE(Error("getBlockNumber", R"([1])", -32602).find("named"), std::string::npos);
}

TEST_F(RpcServerTest, NotFound) {
  Error("getLoan", R"({"loan_id":"NOPE"})", -32002);
  Error("getAgreement", R"({"agreement_id":"NOPE"})", -32002);
  Error("getBlockByNumber", R"({"height":99})", -32002);
  Error("getBlockByNumber", R"({"height":0})", -32002);
  Error("getBlockByHash", R"({"hash":")" + std::string(64, 'e') + "\"}", -32002);
  Error("getTransaction", R"({"tx_hash":")" + std::string(64, 'e') + "\"}", -32002);
  Error("getTransactionReceipt", R"({"tx_hash":")" + std::string(64, 'E') + "\"}", -32002);
}

TEST_F(RpcServerTest, InternalErrorOnDamagedStoredData) {
  node_.AddCorruptTransaction(Bytes(32, 0x11));
  Error("getTransaction", R"({"tx_hash":")" + ToHex(Bytes(32, 0x11)) + "\"}", -32603);
}

TEST_F(RpcServerTest, EnvelopeErrors) {
  auto error_of = [&](const std::string& body) -> json::object {
    HttpReply reply = Post(body);
    EXPECT_EQ(reply.status, 200) << body;
    json::value v = json::parse(reply.body);
    ExpectStillServing();
    return v.as_object();
  };
  json::object r = error_of(R"({"jsonrpc":"2.0","id":1,"method":)");
  EXPECT_EQ(r["error"].at("code"), json::value(-32700));
  EXPECT_TRUE(r["id"].is_null());
  r = error_of("not json at all");
  EXPECT_EQ(r["error"].at("code"), json::value(-32700));
  r = error_of(R"({"jsonrpc":"1.0","id":"a","method":"getBlockNumber"})");
  EXPECT_EQ(r["error"].at("code"), json::value(-32600));
  EXPECT_EQ(r["id"], json::value("a"));
  r = error_of(R"({"id":2,"method":"getBlockNumber"})");
  EXPECT_EQ(r["error"].at("code"), json::value(-32600));
  r = error_of(R"({"jsonrpc":"2.0","id":{"x":1},"method":"getBlockNumber"})");
  EXPECT_EQ(r["error"].at("code"), json::value(-32600));
  EXPECT_TRUE(r["id"].is_null());
  r = error_of(R"({"jsonrpc":"2.0","id":3,"method":7})");
  EXPECT_EQ(r["error"].at("code"), json::value(-32600));
  r = error_of(R"({"jsonrpc":"2.0","id":3,"method":"getLoan","params":"L-1"})");
  EXPECT_EQ(r["error"].at("code"), json::value(-32600));
  r = error_of(R"({"jsonrpc":"2.0","id":null,"method":"noSuchMethod"})");
  EXPECT_EQ(r["error"].at("code"), json::value(-32601));
  EXPECT_TRUE(r["id"].is_null());
  r = error_of(R"("just a string")");
  EXPECT_EQ(r["error"].at("code"), json::value(-32600));
  r = error_of(R"([])");
  EXPECT_EQ(r["error"].at("code"), json::value(-32600));
}

TEST_F(RpcServerTest, StringIdsAreEchoed) {
  HttpReply reply = Post(R"({"jsonrpc":"2.0","id":"req-1","method":"getBlockNumber"})");
  EXPECT_EQ(reply.body, R"({"jsonrpc":"2.0","id":"req-1","result":11})");
}

TEST_F(RpcServerTest, BatchAnswersEveryRequestButNotifications) {
  HttpReply reply =
      Post(R"([{"jsonrpc":"2.0","id":1,"method":"getBlockNumber"},)"
           R"({"jsonrpc":"2.0","method":"getBlockNumber"},)"
           R"({"jsonrpc":"2.0","id":2,"method":"getLoan","params":{"loan_id":"L-2"}},)"
           R"(5,)"
           R"({"jsonrpc":"2.0","id":3,"method":"nope"}])");
  ASSERT_EQ(reply.status, 200);
  json::array responses = json::parse(reply.body).as_array();
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].at("result"), json::value(11));
  EXPECT_EQ(S(responses[1].at("result").at("loan_id")), "L-2");
  EXPECT_EQ(responses[2].at("error").at("code"), json::value(-32600));
  EXPECT_EQ(responses[3].at("error").at("code"), json::value(-32601));
}

TEST_F(RpcServerTest, BatchOverTheLimitIsRefused) {
  std::string body = "[";
  for (int i = 0; i < 101; ++i) {
    body += (i ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":1,"method":"getBlockNumber"})");
  }
  HttpReply reply = Post(body + "]");
  ASSERT_EQ(reply.status, 200);
  json::value v = json::parse(reply.body);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.at("error").at("code"), json::value(-32600));
  ExpectStillServing();
}

TEST_F(RpcServerTest, NotificationsGetNoResponse) {
  HttpReply reply = Post(R"({"jsonrpc":"2.0","method":"getBlockNumber"})");
  EXPECT_EQ(reply.status, 204);
  EXPECT_TRUE(reply.body.empty());
  // Even a failing notification is not answered.
  reply = Post(R"({"jsonrpc":"2.0","method":"noSuchMethod"})");
  EXPECT_EQ(reply.status, 204);
  reply = Post(R"([{"jsonrpc":"2.0","method":"getBlockNumber"},{"jsonrpc":"2.0","method":"x"}])");
  EXPECT_EQ(reply.status, 204);
  ExpectStillServing();
}

TEST_F(RpcServerTest, OversizedBodyIsRefusedBeforeParsing) {
  // Not even JSON: it is never parsed.
  const std::string body(64 * 1024 + 1, '[');
  HttpReply reply = Post(body);
  EXPECT_EQ(reply.status, 413) << reply.error;
  json::value v = json::parse(reply.body);
  EXPECT_EQ(v.at("error").at("code"), json::value(-32600));
  EXPECT_NE(S(v.at("error").at("message")).find("65536"), std::string::npos);
  ExpectStillServing();
}

TEST_F(RpcServerTest, MalformedHttpIsRefusedAndTheServerGoesOn) {
  HttpConnection c(server_->port());
  HttpReply reply = c.SendRaw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(reply.status, 400) << reply.error;
  ExpectStillServing();
}

TEST_F(RpcServerTest, PathsAndVerbs) {
  HttpConnection c(server_->port());
  EXPECT_EQ(c.Send("GET", "/", "").status, 405);
  EXPECT_EQ(c.Send("GET", "/nope", "").status, 404);
  EXPECT_EQ(c.Send("POST", "/health", "").status, 405);
  HttpReply health = c.Send("GET", "/health", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok","height":11})");
  ExpectStillServing();
}

// A Transfer-Encoding other than chunked leaves the body's length unknown: refused, not
// read as a request without a body followed by the body as the next request.
TEST_F(RpcServerTest, ATransferEncodingOtherThanChunkedIsRefused) {
  HttpConnection c(server_->port());
  HttpReply reply =
      c.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}");
  EXPECT_EQ(reply.status, 400) << reply.error;
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  ASSERT_FALSE(ec) << reply.body;
  EXPECT_EQ(v.at("error").at("code"), json::value(-32700));
  EXPECT_EQ(v.at("error").at("message"),
            json::value("malformed HTTP request: a Transfer-Encoding other than chunked is not "
                        "supported"));
  ExpectStillServing();
}

// The answer to a HEAD has no body (one would be read as the start of the next answer), and
// the connection serves on.
TEST_F(RpcServerTest, HeadIsAnsweredWithoutABody) {
  HttpConnection c(server_->port());
  HttpReply head = c.SendRaw("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(head.status, 405) << head.error;
  EXPECT_TRUE(head.body.empty()) << head.body;
  HttpReply health = c.Send("GET", "/health", "");
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(health.body, R"({"status":"ok","height":11})");
}

TEST_F(RpcServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpConnection c(server_->port());
  for (int i = 0; i < 5; ++i) {
    HttpReply reply = c.Send("POST", "/", R"({"jsonrpc":"2.0","id":1,"method":"getBlockNumber"})");
    EXPECT_EQ(reply.status, 200);
    EXPECT_TRUE(reply.keep_alive);
  }
}

TEST_F(RpcServerTest, IdleConnectionsAreClosed) {
  RpcOptions options;
  options.idle_timeout_ms = 100;
  Start(options);
  HttpConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.Send("GET", "/health", "").status, 200);
  // Nothing more is sent: the server closes the connection, and the blocking read in
  // SendRaw("") ends with end-of-stream rather than waiting forever.
  HttpReply after = c.SendRaw("");
  EXPECT_EQ(after.status, 0);
  EXPECT_FALSE(after.error.empty());
  ExpectStillServing();
}

TEST_F(RpcServerTest, ConcurrentClientsAreAllServed) {
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      HttpConnection c(server_->port());
      for (int i = 0; i < 20; ++i) {
        HttpReply r =
            c.Send("POST", "/",
                   R"({"jsonrpc":"2.0","id":1,"method":"getLoan","params":{"loan_id":"L-1"}})");
        if (r.status == 200 && r.body.find("\"result\"") != std::string::npos) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST_F(RpcServerTest, BearerToken) {
  RpcOptions options;
  options.bearer_token = "s3cret-token";
  Start(options);
  const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"getBlockNumber"})";
  HttpReply missing = Post(body);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(json::parse(missing.body).at("error").at("code"), json::value(-32003));
  EXPECT_EQ(Post(body, {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(Post(body, {{"Authorization", "Bearer s3cret-token-longer"}}).status, 401);
  EXPECT_EQ(Post(body, {{"Authorization", "Basic s3cret-token"}}).status, 401);
  EXPECT_EQ(Post(body, {{"Authorization", "Bearer "}}).status, 401);
  HttpReply ok = Post(body, {{"Authorization", "Bearer s3cret-token"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"jsonrpc":"2.0","id":1,"result":11})");
  // /health and /metrics stay open by default.
  HttpConnection c(server_->port());
  EXPECT_EQ(c.Send("GET", "/health", "").status, 200);
  EXPECT_EQ(c.Send("GET", "/metrics", "").status, 200);
}

TEST_F(RpcServerTest, MetricsCanRequireTheToken) {
  RpcOptions options;
  options.bearer_token = "t";
  options.metrics_require_token = true;
  Start(options);
  HttpConnection c(server_->port());
  EXPECT_EQ(c.Send("GET", "/metrics", "").status, 401);
  EXPECT_EQ(c.Send("GET", "/metrics", "", {{"Authorization", "Bearer t"}}).status, 200);
  EXPECT_EQ(c.Send("GET", "/health", "").status, 200);
}

// rpc.metrics_require_token: the metrics (peers, limits, volumes) only for the token's
// holder; a wrong, empty or differently-schemed token is the same 401 as none, and the
// answer carries no metric. /health stays open for supervisors.
TEST_F(RpcServerTest, ProtectedMetricsRefuseEveryWrongTokenAndLeakNothing) {
  RpcOptions options;
  options.bearer_token = "0123456789abcdef0123456789abcdef-metrics";
  options.metrics_require_token = true;
  Start(options);
  HttpConnection c(server_->port());
  for (const std::string& auth : {std::string("Bearer wrong"), std::string("Bearer "),
                                  std::string("Basic ") + options.bearer_token,
                                  std::string("Bearer ") + options.bearer_token + "x"}) {
    SCOPED_TRACE(auth);
    HttpReply refused = c.Send("GET", "/metrics", "", {{"Authorization", auth}});
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(json::parse(refused.body).at("error").at("code"), json::value(-32003));
    EXPECT_EQ(refused.body.find("colend_"), std::string::npos) << refused.body;
  }
  HttpReply ok =
      c.Send("GET", "/metrics", "", {{"Authorization", "bearer " + options.bearer_token}});
  EXPECT_EQ(ok.status, 200);  // the scheme name in any case, as for POST /
  EXPECT_NE(ok.body.find("colend_rpc_connections"), std::string::npos);
  EXPECT_EQ(c.Send("GET", "/health", "").status, 200);
}

// Requiring a token that does not exist would leave /metrics open while the operator
// believes it protected: refused when the server is made.
TEST_F(RpcServerTest, MetricsRequireTokenWithoutATokenIsRefused) {
  RpcOptions options;
  options.metrics_require_token = true;
  auto server = RpcServer::Create(options, node_, metrics_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("metrics_require_token"), std::string::npos);
}

TEST_F(RpcServerTest, ConnectionsBeyondTheCapAreToldToRetry) {
  RpcOptions options;
  options.max_connections = 1;
  Start(options);
  HttpConnection first(server_->port());
  EXPECT_EQ(first.Send("GET", "/health", "").status, 200);  // accepted and counted
  HttpConnection second(server_->port());
  HttpReply busy = second.Send("GET", "/health", "");
  EXPECT_EQ(busy.status, 503) << busy.error;
  EXPECT_EQ(json::parse(busy.body).at("error").at("code"), json::value(-32004));
  EXPECT_EQ(first.Send("GET", "/health", "").status, 200);  // the first one keeps working
}

// ---- hostile clients: deadlines, connection limits, ids --------------------------------

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Deadlines of a few hundred ms, so these tests wait that long rather than the production
// 10-30 s. kSlack absorbs a loaded, shared machine; a deadline that progress extends (the
// bug these tests guard against) would overrun it by seconds.
constexpr std::uint32_t kHeaderMs = 300;
constexpr std::uint32_t kBodyMs = 400;
constexpr std::uint32_t kDrainMs = 300;
constexpr milliseconds kSlack{1500};

RpcOptions ShortDeadlines() {
  RpcOptions options;
  options.header_timeout_ms = kHeaderMs;
  options.body_timeout_ms = kBodyMs;
  options.drain_timeout_ms = kDrainMs;
  return options;
}

json::object ErrorOfReply(const HttpReply& reply) {
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  EXPECT_FALSE(ec) << reply.body;
  if (ec || !v.is_object() || !v.as_object().contains("error")) return {};
  EXPECT_TRUE(v.at("id").is_null()) << reply.body;
  return v.at("error").as_object();
}

TEST_F(RpcServerTest, TricklingHeadersCannotExtendTheHeaderDeadline) {
  Start(ShortDeadlines());
  HttpConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  // One byte every 20 ms: 250 bytes of headers would take 5 s, each byte well within any
  // per-byte idle timer.
  const std::string request =
      "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(200, 'a') + "\r\n\r\n";
  const auto start = Clock::now();
  HttpReply reply = c.Trickle(request, milliseconds(20), milliseconds(5000));
  const milliseconds took = Since(start);
  EXPECT_EQ(reply.status, 408) << reply.error;
  EXPECT_FALSE(reply.keep_alive);
  json::object error = ErrorOfReply(reply);
  EXPECT_EQ(error["code"], json::value(-32600));
  EXPECT_EQ(S(error["message"]), "request headers not complete within 300 ms");
  EXPECT_GE(took, milliseconds(kHeaderMs - 100));
  EXPECT_LT(took, milliseconds(kHeaderMs) + kSlack);
  EXPECT_NE(metrics_.Render().find("colend_rpc_request_timeouts_total{phase=\"header\"} 1\n"),
            std::string::npos);
  ExpectStillServing();
}

TEST_F(RpcServerTest, TricklingABodyCannotExtendTheBodyDeadline) {
  Start(ShortDeadlines());
  HttpConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
  const auto start = Clock::now();
  // 1000 bytes at one per 20 ms would take 20 s.
  HttpReply reply = c.Trickle(std::string(1000, ' '), milliseconds(20), milliseconds(5000));
  const milliseconds took = Since(start);
  EXPECT_EQ(reply.status, 408) << reply.error;
  json::object error = ErrorOfReply(reply);
  EXPECT_EQ(error["code"], json::value(-32600));
  EXPECT_THAT(S(error["message"]), ::testing::StartsWith("request body not complete within 400 ms: "
                                                         "received "));
  EXPECT_THAT(S(error["message"]),
              ::testing::EndsWith("of the 1000 bytes Content-Length declares"));
  EXPECT_GE(took, milliseconds(kBodyMs - 100));
  EXPECT_LT(took, milliseconds(kBodyMs) + kSlack);
  ExpectStillServing();
}

// Content-Length promises more than is sent: the client is answered when the body deadline
// passes (408), or at once if it ends its side (400); never left waiting for nothing.
TEST_F(RpcServerTest, ABodyShorterThanItsContentLengthIsAnswered) {
  Start(ShortDeadlines());
  const std::string short_request =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"";
  {
    HttpConnection c(server_->port());
    ASSERT_TRUE(c.Write(short_request));
    const auto start = Clock::now();
    HttpReply reply = c.Read(milliseconds(5000));
    EXPECT_EQ(reply.status, 408) << reply.error;
    EXPECT_THAT(S(ErrorOfReply(reply)["message"]),
                ::testing::HasSubstr("received 10 of the 100 bytes"));
    EXPECT_GE(Since(start), milliseconds(kBodyMs - 100));
    EXPECT_LT(Since(start), milliseconds(kBodyMs) + kSlack);
  }
  {
    HttpConnection c(server_->port());
    ASSERT_TRUE(c.Write(short_request));
    c.ShutdownSend();
    const auto start = Clock::now();
    HttpReply reply = c.Read(milliseconds(5000));
    EXPECT_EQ(reply.status, 400) << reply.error;
    json::object error = ErrorOfReply(reply);
    EXPECT_EQ(error["code"], json::value(-32600));
    EXPECT_EQ(S(error["message"]), "request ended before it was complete");
    EXPECT_LT(Since(start), milliseconds(kBodyMs));  // not the deadline: at once
  }
  ExpectStillServing();
}

// What a live node saw: Content-Length far above the limit, then a byte now and then. The
// 413 comes from the headers alone, and the drain after it ends at its deadline however
// the client keeps trickling.
TEST_F(RpcServerTest, AnOversizedContentLengthIsRefusedAtOnceAndTheTricklerCutOff) {
  Start(ShortDeadlines());
  HttpConnection c(server_->port());
  ASSERT_TRUE(c.Write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{"));
  auto start = Clock::now();
  HttpReply reply = c.Read(milliseconds(5000));
  EXPECT_EQ(reply.status, 413) << reply.error;
  EXPECT_EQ(ErrorOfReply(reply)["code"], json::value(-32600));
  EXPECT_LT(Since(start), kSlack);
  start = Clock::now();
  bool reset = false;
  while (Since(start) < milliseconds(10000)) {
    if (!c.Write("x")) {
      reset = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(reset) << "the server kept reading a trickler for 10 s";
  EXPECT_LT(Since(start), milliseconds(kDrainMs) + kSlack);
  ExpectStillServing();
}

TEST_F(RpcServerTest, ConnectionsOverTheCapAreAnsweredAtOnceWithoutBeingRead) {
  RpcOptions options = ShortDeadlines();
  options.header_timeout_ms = 60000;  // the two holders keep their slots throughout
  options.max_connections = 2;
  Start(options);
  auto first = std::make_unique<HttpConnection>(server_->port());
  HttpConnection second(server_->port());
  // Accepted in order: the third is judged after both hold their slots. It sends nothing,
  // so its answer can only be the refusal made at accept.
  HttpConnection third(server_->port());
  const auto start = Clock::now();
  HttpReply busy = third.Read(milliseconds(5000));
  EXPECT_LT(Since(start), kSlack);
  EXPECT_EQ(busy.status, 503) << busy.error;
  json::object error = ErrorOfReply(busy);
  EXPECT_EQ(error["code"], json::value(-32004));
  EXPECT_EQ(S(error["message"]), "too many connections: retry later");
  EXPECT_NE(
      metrics_.Render().find("colend_rpc_connections_refused_total{limit=\"max_connections\"} 1\n"),
      std::string::npos);
  // A slot frees when its holder leaves (the server notices the close asynchronously).
  first.reset();
  int status = 0;
  for (const auto until = Clock::now() + milliseconds(5000); Clock::now() < until;) {
    HttpConnection again(server_->port());
    status = again.Send("GET", "/health", "").status;
    if (status == 200) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(status, 200);
}

// One address that exhausts its own limit does not lock out another: /health still answers.
// Linux routes all of 127.0.0.0/8 over loopback, so the client binds 127.0.0.2 to play a
// second host.
TEST_F(RpcServerTest, ThePerAddressLimitLeavesOtherAddressesServed) {
  RpcOptions options = ShortDeadlines();
  options.header_timeout_ms = 60000;
  options.max_connections_per_address = 2;
  Start(options);
  HttpConnection first(server_->port(), "127.0.0.2");
  if (!first.connected()) GTEST_SKIP() << "cannot connect from 127.0.0.2 on this host";
  HttpConnection second(server_->port(), "127.0.0.2");
  HttpConnection third(server_->port(), "127.0.0.2");
  HttpReply busy = third.Read(milliseconds(5000));
  EXPECT_EQ(busy.status, 503) << busy.error;
  json::object error = ErrorOfReply(busy);
  EXPECT_EQ(error["code"], json::value(-32004));
  EXPECT_EQ(S(error["message"]), "too many connections from 127.0.0.2 (at most 2): retry later");

  HttpConnection other(server_->port());
  HttpReply health = other.Send("GET", "/health", "");
  EXPECT_EQ(health.status, 200) << health.error;
  const std::string text = metrics_.Render();
  EXPECT_NE(text.find("colend_rpc_connections_refused_total{limit=\"max_connections_per_address\"} "
                      "1\n"),
            std::string::npos);
  EXPECT_NE(text.find("colend_rpc_connections 3\n"), std::string::npos) << text;
}

// The live-node incident, scaled down: 40 connections from one address, each declaring a
// 99,999,999-byte body and then sending a byte every 20 ms, against a server with room for
// 16. The per-address limit keeps them to 8 slots, so /health from another address answers
// throughout; and every one of them is answered and closed within the drain deadline
// however it trickles.
TEST_F(RpcServerTest, AFloodOfTricklersDoesNotStarveHealth) {
  RpcOptions options = ShortDeadlines();
  options.max_connections = 16;
  options.max_connections_per_address = 8;
  Start(options);
  std::vector<std::unique_ptr<HttpConnection>> flood;
  for (int i = 0; i < 40; ++i) {
    flood.push_back(std::make_unique<HttpConnection>(server_->port(), "127.0.0.2"));
    if (!flood.back()->connected()) GTEST_SKIP() << "cannot connect from 127.0.0.2 on this host";
    flood.back()->Write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{");
  }
  const auto start = Clock::now();
  std::vector<bool> open(flood.size(), true);
  int health_checks = 0;
  for (std::size_t still_open = flood.size();
       still_open > 0 && Since(start) < milliseconds(10000);) {
    still_open = 0;
    for (std::size_t i = 0; i < flood.size(); ++i) {
      if (open[i]) open[i] = flood[i]->Write("x");
      still_open += open[i] ? 1 : 0;
    }
    if (health_checks < 5) {
      HttpConnection health(server_->port());
      HttpReply reply = health.Send("GET", "/health", "");
      EXPECT_EQ(reply.status, 200) << reply.body << reply.error;
      ++health_checks;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(std::count(open.begin(), open.end(), true), 0);
  EXPECT_LT(Since(start), milliseconds(kDrainMs) + kSlack);
}

// Only a string, an integer or null is echoed as an id. Anything else is -32600 with
// "id": null and the request is not executed; the answer is JSON whatever the id was.
TEST_F(RpcServerTest, OnlyStringIntegerOrNullIdsAreEchoed) {
  for (const std::string bad : {"1e999", "-1e999", "1.5", "1e3", "0.0", "18446744073709551616",
                                "-9223372036854775809", "true", R"({"a":1})", "[1]"}) {
    SCOPED_TRACE(bad);
    HttpReply reply = Post(R"({"jsonrpc":"2.0","id":)" + bad + R"(,"method":"getBlockNumber"})");
    EXPECT_EQ(reply.status, 200);
    json::object error = ErrorOfReply(reply);  // parses strictly, and "id" is null
    EXPECT_EQ(error["code"], json::value(-32600));
  }
  for (const std::string good :
       {"18446744073709551615", "-9223372036854775808", "0", R"("x")", "null"}) {
    SCOPED_TRACE(good);
    HttpReply reply = Post(R"({"jsonrpc":"2.0","id":)" + good + R"(,"method":"getBlockNumber"})");
    EXPECT_EQ(reply.body, R"({"jsonrpc":"2.0","id":)" + good + R"(,"result":11})");
  }
  HttpReply batch = Post(R"([{"jsonrpc":"2.0","id":1e999,"method":"getBlockNumber"},)"
                         R"({"jsonrpc":"2.0","id":2,"method":"getBlockNumber"}])");
  EXPECT_EQ(batch.body, R"([{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":)"
                        R"("invalid request: \"id\" must be a string, an integer or null"}},)"
                        R"({"jsonrpc":"2.0","id":2,"result":11}])");

  // Not executed: the transaction sent with a fractional id is not in the pool.
  proto::TransactionBody body;
  body.set_chain_id("x");
  body.set_signer("LEAD");
  body.set_id("ap-ids");
  body.mutable_approve_loan()->set_loan_id("L-1");
  proto::SignedTransaction env;
  env.set_body(body.SerializeAsString());
  env.set_key_id(std::string(16, '\x05'));
  env.set_signature("sig");
  const std::string signed_bytes = env.SerializeAsString();
  auto decoded =
      contracts::DecodeTransaction(AsBytes(signed_bytes), crypto::CryptoSuite::Standard());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  HttpReply sent = Post(R"({"jsonrpc":"2.0","id":1.5,"method":"sendTransaction","params":{"tx":")" +
                        ToHex(AsBytes(signed_bytes)) + "\"}}");
  EXPECT_EQ(ErrorOfReply(sent)["code"], json::value(-32600));
  Error("getTransaction", R"({"tx_hash":")" + ToHex(decoded->tx_hash) + "\"}", -32002);
}

// A batch's answers stop at max_response_bytes: the answer that reaches it is whole, every
// later entry gets -32005 unexecuted (a notification nothing), and the server keeps serving.
TEST_F(RpcServerTest, BatchAnswersStopAtTheResponseLimit) {
  const std::string one_block =
      json::serialize(Call("getBlockByNumber", R"({"height":3,"full":true})"));
  ASSERT_GT(one_block.size(), 500u);
  RpcOptions options;
  options.max_response_bytes = 2 * one_block.size() + one_block.size() / 2;
  Start(options);
  std::string body = "[";
  for (int i = 0; i < 6; ++i) {
    body += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
            R"(,"method":"getBlockByNumber","params":{"height":3,"full":true}},)";
  }
  body += R"({"jsonrpc":"2.0","method":"getBlockNumber"},)";  // a notification: no answer
  body += R"({"jsonrpc":"2.0","id":"last","method":"getBlockNumber"}])";
  HttpReply reply = Post(body);
  ASSERT_EQ(reply.status, 200);
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  ASSERT_FALSE(ec) << reply.body;
  const json::array& answers = v.as_array();
  ASSERT_EQ(answers.size(), 7u);  // 6 + "last"; the notification gets none
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(answers[i].as_object().contains("result")) << i;  // the 3rd reaches the limit
  }
  const std::string message =
      "response too large: the answers before this request reached the limit of " +
      std::to_string(options.max_response_bytes) +
      " bytes (rpc.max_response_bytes); it was not executed: send it again in another batch";
  for (std::size_t i = 3; i < 7; ++i) {
    const json::object& answer = answers[i].as_object();
    ASSERT_TRUE(answer.contains("error")) << i;
    EXPECT_EQ(answer.at("error").at("code"), json::value(-32005));
    EXPECT_EQ(answer.at("error").at("message"), json::value(message));
  }
  EXPECT_EQ(answers[6].at("id"), json::value("last"));
  EXPECT_LT(reply.body.size(), options.max_response_bytes + one_block.size() + 4 * 300);
  // One request alone is answered whole (the limit is on batches), and the server serves on.
  EXPECT_TRUE(Call("getBlockByNumber", R"({"height":3,"full":true})").contains("result"));
}

TEST_F(RpcServerTest, MetricsAreValidPrometheusText) {
  // What the node registers.
  metrics_.RegisterGauge("colend_height", "Last committed height").Set(11);
  metrics_.RegisterGauge("colend_view", "Current PBFT view").Set(2);
  metrics_.RegisterCounter("colend_txs_committed_total", "Committed transactions").Increment(11);
  metrics_.RegisterGauge("colend_pool_size", "Transactions in the pool").Set(0);
  metrics_.RegisterGauge("colend_peers_connected", "Connected peers").Set(3);
  metrics_
      .RegisterHistogram("colend_commit_latency_seconds", "Submit-to-commit latency",
                         LatencyBucketsSeconds())
      .Observe(0.2);
  Result("getBlockNumber");
  Error("getLoan", "{}", -32602);

  HttpConnection c(server_->port());
  HttpReply reply = c.Send("GET", "/metrics", "");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
  const std::regex type(R"(# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))");
  const std::regex sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN))");
  std::istringstream lines(reply.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP", 0) == 0) {
      EXPECT_TRUE(std::regex_match(line, help)) << line;
    } else if (line.rfind("# TYPE", 0) == 0) {
      EXPECT_TRUE(std::regex_match(line, type)) << line;
    } else {
      EXPECT_TRUE(std::regex_match(line, sample)) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 10);
  const std::string& text = reply.body;
  EXPECT_NE(text.find("colend_height 11\n"), std::string::npos);
  EXPECT_NE(text.find("colend_txs_committed_total 11\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE colend_commit_latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("colend_commit_latency_seconds_bucket{le=\"0.25\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("colend_commit_latency_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("colend_commit_latency_seconds_count 1\n"), std::string::npos);
  EXPECT_NE(text.find("colend_rpc_requests_total{method=\"getBlockNumber\"} "), std::string::npos);
  EXPECT_NE(text.find("colend_rpc_errors_total{code=\"-32602\"} 1\n"), std::string::npos);
}

TEST_F(RpcServerTest, CreateRefusesBadOptions) {
  RpcOptions bad_host;
  bad_host.host = "not an address";
  EXPECT_EQ(RpcServer::Create(bad_host, node_, metrics_).status().code(),
            StatusCode::kInvalidArgument);
  RpcOptions no_threads;
  no_threads.threads = 0;
  EXPECT_EQ(RpcServer::Create(no_threads, node_, metrics_).status().code(),
            StatusCode::kInvalidArgument);
  for (auto zero : {&RpcOptions::header_timeout_ms, &RpcOptions::body_timeout_ms,
                    &RpcOptions::drain_timeout_ms, &RpcOptions::idle_timeout_ms}) {
    RpcOptions options;
    options.*zero = 0;
    EXPECT_EQ(RpcServer::Create(options, node_, metrics_).status().code(),
              StatusCode::kInvalidArgument);
  }
  RpcOptions no_per_address;
  no_per_address.max_connections_per_address = 0;
  EXPECT_EQ(RpcServer::Create(no_per_address, node_, metrics_).status().code(),
            StatusCode::kInvalidArgument);
  RpcOptions taken;
  taken.port = server_->port();
  EXPECT_EQ(RpcServer::Create(taken, node_, metrics_).status().code(), StatusCode::kIoError);
}

TEST_F(RpcServerTest, StopIsIdempotentAndClosesTheListener) {
  const std::uint16_t port = server_->port();
  server_->Stop();
  server_->Stop();
  HttpConnection c(port);
  EXPECT_FALSE(c.connected());
}

}  // namespace
}  // namespace colend::node
