// The JSON-RPC server end to end (rpc_server_fixture.h): HTTP itself (body limits, paths and
// verbs, keep-alive, idle connections), the bearer token, /metrics access and the
// connection cap.
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

}  // namespace
}  // namespace colend::node
