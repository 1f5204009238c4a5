// The fixture of the JSON-RPC server tests: a real server on 127.0.0.1 (ephemeral port), a
// Beast client, and a FakeNode whose state the real contracts built (11 blocks: two
// agreements, four loans, a repayment, a settlement, and a rejected overpayment).
#ifndef COLEND_TESTS_UNIT_NODE_RPC_RPC_SERVER_FIXTURE_H_
#define COLEND_TESTS_UNIT_NODE_RPC_RPC_SERVER_FIXTURE_H_

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>

#include "colend/node/metrics.h"
#include "colend/node/rpc_server.h"
#include "fake_node.h"
#include "http_test_client.h"

namespace colend::node::testing {

namespace json = boost::json;

inline const std::string kBorrower = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

inline std::string Agreement(const std::string& id, const std::string& shares) {
  return R"({"type":"ProposeAgreement","signer":"LEAD","id":")" + id + R"(","agreement_id":")" +
         id + R"(","currency":"CNY","shares":)" + shares + "}";
}

inline std::string Accept(const std::string& bank, const std::string& agreement) {
  return R"({"type":"AcceptAgreement","signer":")" + bank + R"(","id":"acc-)" + agreement +
         R"(","agreement_id":")" + agreement + R"("})";
}

inline std::string Loan(const std::string& id, const std::string& agreement,
                 const std::string& principal) {
  return R"({"type":"OriginateLoan","signer":"LEAD","id":")" + id + R"(","agreement_id":")" +
         agreement + R"(","loan_id":")" + id + R"(","borrower_ref":")" + kBorrower +
         R"(","principal":")" + principal +
         R"(","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
}

inline std::string Repay(const std::string& id, const std::string& loan, const std::string& principal) {
  return R"({"type":"RecordRepayment","signer":"LEAD","id":")" + id + R"(","loan_id":")" + loan +
         R"(","principal":")" + principal + R"(","interest":"12000","value_date":"2026-12-21"})";
}

class RpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(node_.Apply(Agreement("AG-1", R"({"LEAD":2000,"PARTNER_A":8000})")), "ok");  // 1
    ASSERT_EQ(node_.Apply(Accept("PARTNER_A", "AG-1")), "ok");                             // 2
    ASSERT_EQ(node_.Apply(Loan("L-1", "AG-1", "800000")), "ok");                           // 3
    ASSERT_EQ(node_.Apply(Repay("R-1", "L-1", "66667")), "ok");                            // 4
    ASSERT_EQ(node_.Apply(Agreement("AG-2", R"({"LEAD":5000,"PARTNER_B":5000})")), "ok");  // 5
    ASSERT_EQ(node_.Apply(Accept("PARTNER_B", "AG-2")), "ok");                             // 6
    ASSERT_EQ(node_.Apply(Loan("L-2", "AG-2", "100000")), "ok");                           // 7
    ASSERT_EQ(node_.Apply(Loan("L-10", "AG-1", "200000")), "ok");                          // 8
    ASSERT_EQ(node_.Apply(Loan("L-3", "AG-1", "300000")), "ok");                           // 9
    ASSERT_EQ(node_.Apply(R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1",)"
                          R"("counterparty":"LEAD","cutoff":"2026-12-21"})"),
              "ok");                                                          // 10
    ASSERT_EQ(node_.Apply(Repay("R-2", "L-1", "999999999")), "OVERPAYMENT");  // 11
    rejected_hash_ = node_.last_tx_hash();
    Start(RpcOptions{});
  }

  void Start(RpcOptions options) {
    server_.reset();
    options.port = 0;
    if (options.max_body_bytes == RpcOptions{}.max_body_bytes) options.max_body_bytes = 64 * 1024;
    auto server = RpcServer::Create(options, node_, metrics_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_->Start();
  }

  HttpReply Post(const std::string& body, const std::map<std::string, std::string>& headers = {}) {
    HttpConnection c(server_->port());
    EXPECT_TRUE(c.connected());
    return c.Send("POST", "/", body, headers);
  }

  // Calls `method` and returns the whole response object.
  json::object Call(const std::string& method, const std::string& params = "") {
    std::string body = R"({"jsonrpc":"2.0","id":7,"method":")" + method + "\"";
    if (!params.empty()) body += ",\"params\":" + params;
    body += "}";
    HttpReply reply = Post(body);
    EXPECT_EQ(reply.status, 200) << body << " " << reply.error;
    boost::system::error_code ec;
    json::value v = json::parse(reply.body, ec);
    EXPECT_FALSE(ec) << reply.body;
    if (ec || !v.is_object()) return {};
    return v.as_object();
  }

  json::value Result(const std::string& method, const std::string& params = "") {
    json::object r = Call(method, params);
    EXPECT_TRUE(r.contains("result")) << method << " " << params << " -> " << json::serialize(r);
    EXPECT_EQ(r["id"], json::value(7));
    EXPECT_EQ(r["jsonrpc"], json::value("2.0"));
    return r.contains("result") ? r["result"] : json::value();
  }

  // Expects error `code`; returns its message. Then checks that the server still serves.
  std::string Error(const std::string& method, const std::string& params, int code) {
    json::object r = Call(method, params);
    EXPECT_TRUE(r.contains("error")) << method << " " << params << " -> " << json::serialize(r);
    if (!r.contains("error")) return "";
    EXPECT_EQ(r["error"].at("code").as_int64(), code) << json::serialize(r);
    ExpectStillServing();
    return std::string(r["error"].at("message").as_string());
  }

  void ExpectStillServing() {
    HttpReply reply = Post(R"({"jsonrpc":"2.0","id":1,"method":"getBlockNumber"})");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, R"({"jsonrpc":"2.0","id":1,"result":11})");
  }

  static std::string S(const json::value& v) { return std::string(v.as_string()); }

  FakeNode node_;
  MetricsRegistry metrics_;
  std::unique_ptr<RpcServer> server_;
  Bytes rejected_hash_;
};

}  // namespace colend::node::testing

#endif  // COLEND_TESTS_UNIT_NODE_RPC_RPC_SERVER_FIXTURE_H_
