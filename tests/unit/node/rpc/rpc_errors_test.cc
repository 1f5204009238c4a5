// The JSON-RPC server end to end (rpc_server_fixture.h): every error code, the envelope
// (ids, batches, notifications), and after each bad request the server still answers.
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

}  // namespace
}  // namespace colend::node
