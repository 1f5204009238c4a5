// The JSON-RPC server end to end (rpc_server_fixture.h) against hostile clients: deadlines
// that trickling cannot extend, connection limits, ids, response limits, and the server's
// options, metrics text and stop.
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
  // Entries that are no request at all get the usual -32600 with id null past the limit
  // too, and an id that cannot be echoed is never echoed.
  body += R"(5,{"jsonrpc":"1.0","method":"getBlockNumber"},)";
  body += R"({"jsonrpc":"2.0","id":1e999,"method":"getBlockNumber"},)";
  body += R"({"jsonrpc":"2.0","id":"last","method":"getBlockNumber"}])";
  HttpReply reply = Post(body);
  ASSERT_EQ(reply.status, 200);
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  ASSERT_FALSE(ec) << reply.body;
  const json::array& answers = v.as_array();
  ASSERT_EQ(answers.size(), 10u);  // 6 + 3 unreadable + "last"; the notification gets none
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(answers[i].as_object().contains("result")) << i;  // the 3rd reaches the limit
  }
  const std::string message =
      "response too large: the answers before this request reached the limit of " +
      std::to_string(options.max_response_bytes) +
      " bytes (rpc.max_response_bytes); it was not executed: send it again in another batch";
  for (std::size_t i : {3, 4, 5, 9}) {
    const json::object& answer = answers[i].as_object();
    ASSERT_TRUE(answer.contains("error")) << i;
    EXPECT_EQ(answer.at("error").at("code"), json::value(-32005));
    EXPECT_EQ(answer.at("error").at("message"), json::value(message));
  }
  for (std::size_t i : {6, 7, 8}) {
    const json::object& answer = answers[i].as_object();
    ASSERT_TRUE(answer.contains("error")) << i;
    EXPECT_EQ(answer.at("error").at("code"), json::value(-32600)) << i;
    EXPECT_TRUE(answer.at("id").is_null()) << i;
  }
  EXPECT_EQ(answers[9].at("id"), json::value("last"));
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
