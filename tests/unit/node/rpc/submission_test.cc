// Submission over JSON-RPC: sendTransaction and its bulk form sendTransactions, against the
// real server and a FakeNode (rpc_server_fixture.h). sendTransactions must answer each entry
// exactly as sendTransaction answers that transaction alone.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/proto/tx.pb.h"
#include "rpc_server_fixture.h"

namespace colend::node {
namespace {

namespace json = boost::json;
using testing::RpcServerTest;

// A well-formed (unsigned: FakeNode does not verify) transaction approving loan L-1.
std::string ApproveHex(const std::string& id) {
  proto::TransactionBody body;
  body.set_chain_id("x");
  body.set_signer("LEAD");
  body.set_id(id);
  body.mutable_approve_loan()->set_loan_id("L-1");
  proto::SignedTransaction env;
  env.set_body(body.SerializeAsString());
  env.set_key_id(std::string(16, '\x05'));
  env.set_signature("sig");
  return ToHex(AsBytes(env.SerializeAsString()));
}

std::string TxsParam(const std::vector<std::string>& hexes) {
  json::array txs;
  for (const std::string& h : hexes) txs.emplace_back(h);
  return json::serialize(json::object{{"txs", std::move(txs)}});
}

TEST_F(RpcServerTest, SendTransactionAdmitsAndGetTransactionShowsItPending) {
  proto::TransactionBody body;
  body.set_chain_id("x");
  body.set_signer("LEAD");
  body.set_id("ap-9");
  body.mutable_approve_loan()->set_loan_id("L-1");
  proto::SignedTransaction env;
  env.set_body(body.SerializeAsString());
  env.set_key_id(std::string(16, '\x05'));
  env.set_signature("sig");
  const std::string hex = ToHex(AsBytes(env.SerializeAsString()));
  json::value r = Result("sendTransaction", R"({"tx":")" + hex + "\"}");
  const std::string hash = S(r.at("tx_hash"));
  EXPECT_EQ(hash.size(), 64u);
  // Sending it again is admitted again (already pending), with the same hash.
  EXPECT_EQ(S(Result("sendTransaction", R"({"tx":")" + hex + "\"}").at("tx_hash")), hash);

  json::value tx = Result("getTransaction", R"({"tx_hash":")" + hash + "\"}");
  EXPECT_EQ(tx.at("pending"), json::value(true));
  EXPECT_EQ(S(tx.at("tx").at("type")), "ApproveLoan");
  EXPECT_EQ(S(tx.at("tx").at("loan_id")), "L-1");
  EXPECT_FALSE(tx.as_object().contains("height"));
  EXPECT_NE(
      Error("getTransactionReceipt", R"({"tx_hash":")" + hash + "\"}", -32002).find("pending"),
      std::string::npos);
}

TEST_F(RpcServerTest, RejectedTransactionCarriesTheCode) {
  json::object r = Call("sendTransaction", R"({"tx":"0a0b"})");
  ASSERT_TRUE(r.contains("error")) << json::serialize(r);
  EXPECT_EQ(r["error"].at("code"), json::value(-32001));
  EXPECT_EQ(S(r["error"].at("data").at("code")), "MALFORMED");
  ExpectStillServing();
}

TEST_F(RpcServerTest, BusyPool) {
  node_.set_busy(true);
  Error("sendTransaction", R"({"tx":"0a0b"})", -32004);
  json::object reply = Call("sendTransaction", R"({"tx":"0a0b"})");
  EXPECT_EQ(reply["error"].at("data").at("reason"), json::value("pool_full"));
  EXPECT_EQ(reply["error"].at("data").at("retry_after_ms"), json::value(350));
}


TEST_F(RpcServerTest, SendTransactionsAnswersEachEntryAsSendTransactionWould) {
  const std::string a = ApproveHex("ap-1");
  const std::string b = ApproveHex("ap-2");
  json::value r = Result("sendTransactions", TxsParam({a, "0a0b", b, a}));
  const json::array& results = r.at("results").as_array();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(r.at("admitted"), json::value(3));
  EXPECT_EQ(r.at("rejected"), json::value(1));
  EXPECT_EQ(r.at("busy"), json::value(0));
  // Entry 0 and 3 are the same transaction: admitted, then already pending, one hash.
  const std::string hash_a = S(results[0].at("tx_hash"));
  EXPECT_EQ(hash_a.size(), 64u);
  EXPECT_EQ(S(results[3].at("tx_hash")), hash_a);
  EXPECT_NE(S(results[2].at("tx_hash")), hash_a);
  // Entry 1 gets the error sendTransaction gives for it alone, whole.
  json::object alone = Call("sendTransaction", R"({"tx":"0a0b"})");
  ASSERT_TRUE(results[1].as_object().contains("error"));
  EXPECT_EQ(results[1].at("error"), alone.at("error"));
  EXPECT_EQ(results[1].at("error").at("code"), json::value(-32001));
  // What was admitted is pending, as if sent one by one.
  EXPECT_EQ(Result("getTransaction", R"({"tx_hash":")" + hash_a + "\"}").at("pending"),
            json::value(true));
  // The same hash sendTransaction reports.
  EXPECT_EQ(S(Result("sendTransaction", R"({"tx":")" + b + "\"}").at("tx_hash")),
            S(results[2].at("tx_hash")));
}

TEST_F(RpcServerTest, SendTransactionsWhenBusyGivesEachEntryTheRetryHint) {
  node_.set_busy(true);
  json::value r = Result("sendTransactions", TxsParam({ApproveHex("ap-1"), ApproveHex("ap-2")}));
  EXPECT_EQ(r.at("busy"), json::value(2));
  EXPECT_EQ(r.at("admitted"), json::value(0));
  for (const json::value& entry : r.at("results").as_array()) {
    EXPECT_EQ(entry.at("error").at("code"), json::value(-32004));
    EXPECT_EQ(entry.at("error").at("data").at("reason"), json::value("pool_full"));
    EXPECT_EQ(entry.at("error").at("data").at("retry_after_ms"), json::value(350));
  }
}

TEST_F(RpcServerTest, SendTransactionsRefusesBadParamsWholeAndSubmitsNothing) {
  const std::string good = ApproveHex("ap-7");
  EXPECT_NE(Error("sendTransactions", "{}", -32602).find("\"txs\""), std::string::npos);
  EXPECT_NE(Error("sendTransactions", R"({"txs":"0a0b"})", -32602).find("expected an array"),
            std::string::npos);
  EXPECT_NE(Error("sendTransactions", R"({"txs":[]})", -32602).find("1 to 1000"),
            std::string::npos);
  EXPECT_NE(Error("sendTransactions", R"({"txs":[")" + good + R"(","xyz"]})", -32602)
                .find("\"txs\"[1]: not hex"),
            std::string::npos);
  EXPECT_NE(Error("sendTransactions", R"({"txs":[")" + good + R"(",7]})", -32602)
                .find("\"txs\"[1]: expected a non-empty hex string, got "),
            std::string::npos);
  EXPECT_NE(Error("sendTransactions", R"({"txs":[""]})", -32602).find("\"txs\"[0]"),
            std::string::npos);
  Error("sendTransactions", R"({"txs":["0a0b"],"tx":"0a0b"})", -32602);
  std::vector<std::string> too_many(1001, "0a0b");
  EXPECT_NE(Error("sendTransactions", TxsParam(too_many), -32602).find("got 1001"),
            std::string::npos);
  // The good entry of a refused call was not submitted.
  json::value first = Result("sendTransactions", TxsParam({good}));
  const std::string hash = S(first.at("results").at(0).at("tx_hash"));
  EXPECT_EQ(node_.submitted(), 1u);
}

}  // namespace
}  // namespace colend::node
