// The WebSocket subscriptions of the RPC server (GET /ws): the bearer token on the upgrade,
// subscribe and unsubscribe, resuming from a height with no gap and no repeat across a
// reconnect while blocks keep coming, catch-up from storage, a slow consumer closed with a
// reason while other subscribers keep up, and bad requests answered with errors that change
// nothing.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "colend/node/rpc_server.h"
#include "event_fake_node.h"
#include "http_test_client.h"

namespace colend::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using testing::EventFakeNode;
using testing::FakeTx;
using testing::HttpConnection;
using Ms = std::chrono::milliseconds;

constexpr char kToken[] = "a-bearer-token-of-thirty-two-characters-at-least";

// A WebSocket client; reads run the client's own io_context for at most a timeout.
class WsClient {
 public:
  explicit WsClient(std::uint16_t port, int receive_buffer = 0) : ws_(ioc_) {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    beast::error_code ec;
    socket.open(asio::ip::tcp::v4(), ec);
    if (receive_buffer > 0) {
      socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer), ec);
    }
    socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
  }

  // The HTTP status of the upgrade (101 when it succeeded).
  int Handshake(const std::string& token = kToken) {
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    }));
    websocket::response_type res;
    beast::error_code ec;
    ws_.handshake(res, "127.0.0.1", "/ws", ec);
    return static_cast<int>(res.result_int());
  }

  void Send(const std::string& text, bool binary = false) {
    ws_.binary(binary);
    beast::error_code ec;
    ws_.write(asio::buffer(text), ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  // Sends a frame the server may refuse before it has all of it: the server closes the
  // connection on the header, so the write may fail (broken pipe) once the close is sent.
  void SendRefused(const std::string& text) {
    ws_.binary(false);
    beast::error_code ec;
    ws_.write(asio::buffer(text), ec);
    write_error_ = ec;
  }
  const beast::error_code& write_error() const { return write_error_; }

  void Request(int id, const std::string& method, const json::object& params) {
    Send(json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}));
  }

  // The next message, or nullopt on a timeout or a closed connection (error() says which).
  std::optional<json::object> Read(Ms timeout = Ms(5000)) {
    beast::flat_buffer buffer;
    bool done = false;
    ws_.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      error_ = ec;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done) {
      beast::get_lowest_layer(ws_).cancel();
      ioc_.restart();
      ioc_.run();
      error_ = asio::error::timed_out;
      return std::nullopt;
    }
    if (error_) return std::nullopt;
    return json::parse(beast::buffers_to_string(buffer.data())).as_object();
  }

  // Reads until a message with "id" arrives; notifications before it go to `notes`.
  json::object Response(std::vector<json::object>* notes = nullptr) {
    while (true) {
      std::optional<json::object> m = Read();
      if (!m) {
        ADD_FAILURE() << "no response: " << error_.message();
        return {};
      }
      if (m->contains("id")) return *m;
      if (notes != nullptr) notes->push_back(*m);
    }
  }

  bool connected() const { return connected_; }
  beast::error_code error() const { return error_; }
  websocket::close_reason reason() const { return ws_.reason(); }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  bool connected_ = false;
  beast::error_code error_;
  beast::error_code write_error_;
};

std::uint64_t HeightOf(const json::object& notification) {
  return notification.at("params").at("height").to_number<std::uint64_t>();
}

class WsSessionTest : public ::testing::Test {
 protected:
  void Start(RpcOptions options = {}) {
    options.bearer_token = kToken;
    auto server = RpcServer::Create(options, node_, metrics_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    server_->Start();
  }

  // Adds and publishes a block whose one transaction LEAD signs, concerning LEAD and
  // PARTNER_A.
  void Commit(int blocks = 1) {
    for (int i = 0; i < blocks; ++i) {
      server_->Publish(node_.AddBlock({{"LEAD", {"LEAD", "PARTNER_A"}, true, ""}}));
    }
  }

  std::string Subscribe(WsClient& client, json::object params) {
    client.Request(1, "subscribe", params);
    json::object r = client.Response();
    EXPECT_TRUE(r.contains("result")) << json::serialize(r);
    return r.contains("result") ? std::string(r["result"].at("subscription").as_string()) : "";
  }

  EventFakeNode node_;
  MetricsRegistry metrics_;
  std::unique_ptr<RpcServer> server_;
};

TEST_F(WsSessionTest, TheUpgradeNeedsTheBearerToken) {
  Start();
  WsClient none(server_->port());
  EXPECT_EQ(none.Handshake(""), 401);
  WsClient wrong(server_->port());
  EXPECT_EQ(wrong.Handshake("not-the-token-not-the-token-not-the-token"), 401);
  WsClient right(server_->port());
  EXPECT_EQ(right.Handshake(), 101);
  // A plain GET of /ws is no upgrade.
  HttpConnection plain(server_->port());
  EXPECT_EQ(
      plain.Send("GET", "/ws", "", {{"Authorization", std::string("Bearer ") + kToken}}).status,
      426);
}

TEST_F(WsSessionTest, SubscribeDeliversEachBlockAndUnsubscribeStops) {
  Start();
  Commit(2);
  WsClient client(server_->port());
  ASSERT_EQ(client.Handshake(), 101);
  client.Request(7, "subscribe", {{"topic", "blocks"}});
  json::object r = client.Response();
  ASSERT_TRUE(r.contains("result")) << json::serialize(r);
  EXPECT_EQ(r["id"].as_int64(), 7);
  EXPECT_EQ(r["result"].at("from_height").to_number<std::uint64_t>(), 3u);  // live: the next block
  EXPECT_EQ(r["result"].at("head").to_number<std::uint64_t>(), 2u);
  const std::string id(r["result"].at("subscription").as_string());

  Commit();
  std::optional<json::object> note = client.Read();
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(note->at("method").as_string(), "subscription");
  EXPECT_EQ(note->at("params").at("subscription").as_string(), id);
  EXPECT_EQ(note->at("params").at("topic").as_string(), "blocks");
  EXPECT_EQ(HeightOf(*note), 3u);
  EXPECT_EQ(note->at("params").at("result").at("tx_count").to_number<std::uint64_t>(), 1u);

  client.Request(8, "unsubscribe", {{"subscription", id}});
  json::object gone = client.Response();
  EXPECT_TRUE(gone.at("result").as_bool());
  Commit();
  // Nothing for block 4: the next message is the answer to the next request.
  client.Request(9, "unsubscribe", {{"subscription", id}});
  std::vector<json::object> notes;
  json::object again = client.Response(&notes);
  EXPECT_TRUE(notes.empty());
  EXPECT_EQ(again.at("error").at("code").as_int64(), -32602);
}

TEST_F(WsSessionTest, ResumesFromAHeightWithoutGapOrRepeatAcrossAReconnect) {
  Start();
  Commit(300);  // more than the hub's ring: the start comes from storage
  std::vector<std::uint64_t> heights;
  std::uint64_t last = 0;
  {
    WsClient first(server_->port());
    ASSERT_EQ(first.Handshake(), 101);
    Subscribe(first, {{"topic", "blocks"}, {"from_height", 1}});
    while (last < 150) {
      std::optional<json::object> note = first.Read();
      ASSERT_TRUE(note.has_value()) << first.error().message();
      last = HeightOf(*note);
      heights.push_back(last);
    }
  }  // the client goes away mid-stream
  EXPECT_GT(node_.loads(), 0u);
  // Blocks keep coming while it reconnects.
  std::thread committer([this] {
    for (int i = 0; i < 100; ++i) {
      Commit();
      std::this_thread::sleep_for(Ms(1));
    }
  });
  WsClient second(server_->port());
  ASSERT_EQ(second.Handshake(), 101);
  Subscribe(second, {{"topic", "blocks"}, {"from_height", last + 1}});
  while (last < 400) {
    std::optional<json::object> note = second.Read();
    ASSERT_TRUE(note.has_value()) << second.error().message();
    last = HeightOf(*note);
    heights.push_back(last);
  }
  committer.join();
  ASSERT_EQ(heights.size(), 400u);
  for (std::size_t i = 0; i < heights.size(); ++i) EXPECT_EQ(heights[i], i + 1);
}

TEST_F(WsSessionTest, TopicsSayOnlyWhatConcernsTheirFilter) {
  Start();
  node_.AddBlock({{"LEAD", {"LEAD", "PARTNER_A"}, true, ""}});            // 1
  node_.AddBlock({{"PARTNER_B", {"PARTNER_B"}, false, "no such loan"}});  // 2
  node_.AddBlock({{"PARTNER_A", {"LEAD", "PARTNER_A"}, true, ""}});       // 3
  WsClient client(server_->port());
  ASSERT_EQ(client.Handshake(), 101);
  const std::string receipts =
      Subscribe(client, {{"topic", "receipts"}, {"signer", "PARTNER_B"}, {"from_height", 1}});
  std::optional<json::object> note = client.Read();
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(note->at("params").at("subscription").as_string(), receipts);
  EXPECT_EQ(HeightOf(*note), 2u);
  const json::object& receipt =
      note->at("params").at("result").at("receipts").as_array().at(0).as_object();
  EXPECT_EQ(receipt.at("status").as_string(), "rejected");
  EXPECT_EQ(receipt.at("code").as_string(), "OVERPAYMENT");

  const std::string positions =
      Subscribe(client, {{"topic", "positions"}, {"bank", "PARTNER_A"}, {"from_height", 1}});
  std::vector<std::uint64_t> seen;
  for (int i = 0; i < 2; ++i) {
    note = client.Read();
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(note->at("params").at("subscription").as_string(), positions);
    seen.push_back(HeightOf(*note));
    const json::object& pair =
        note->at("params").at("result").at("positions").as_array().at(0).as_object();
    EXPECT_EQ(pair.at("a").as_string(), "LEAD");
    EXPECT_EQ(pair.at("b").as_string(), "PARTNER_A");
  }
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 3}));  // block 2 does not concern PARTNER_A
  Subscribe(client, {{"topic", "status"}});
  Commit();
  std::vector<std::string> topics;
  for (int i = 0; i < 2; ++i) {  // block 4: positions of PARTNER_A and the status
    note = client.Read();
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(HeightOf(*note), 4u);
    topics.emplace_back(note->at("params").at("topic").as_string());
  }
  std::sort(topics.begin(), topics.end());
  EXPECT_EQ(topics, (std::vector<std::string>{"positions", "status"}));
}

TEST_F(WsSessionTest, ASlowConsumerIsClosedWithAReasonWhileOthersKeepUp) {
  RpcOptions options;
  options.ws_max_queue_messages = 8;
  options.ws_max_queue_bytes = 4u << 20;
  Start(options);
  WsClient slow(server_->port(), /*receive_buffer=*/4096);
  ASSERT_EQ(slow.Handshake(), 101);
  Subscribe(slow, {{"topic", "receipts"}, {"signer", "LEAD"}});
  WsClient fast(server_->port());
  ASSERT_EQ(fast.Handshake(), 101);
  Subscribe(fast, {{"topic", "blocks"}});
  // Each block: a notification of ~200 KB for the slow client, which reads nothing.
  constexpr int kBlocks = 80;
  const std::string message(2000, 'x');
  std::uint64_t fast_last = 0;
  for (int h = 0; h < kBlocks; ++h) {
    std::vector<FakeTx> txs(100, FakeTx{"LEAD", {"LEAD"}, false, message});
    const auto started = std::chrono::steady_clock::now();
    server_->Publish(node_.AddBlock(txs));
    // Publishing never waits for a subscriber.
    EXPECT_LT(std::chrono::steady_clock::now() - started, Ms(100));
    std::optional<json::object> note = fast.Read();
    ASSERT_TRUE(note.has_value()) << fast.error().message();
    fast_last = HeightOf(*note);
  }
  EXPECT_EQ(fast_last, static_cast<std::uint64_t>(kBlocks));
  // The slow client reads what was in flight, then the close frame and its reason.
  int read = 0;
  while (slow.Read(Ms(3000)).has_value()) ++read;
  EXPECT_EQ(slow.error(), websocket::error::closed) << slow.error().message();
  EXPECT_EQ(slow.reason().code, websocket::close_code::policy_error);
  EXPECT_NE(std::string(slow.reason().reason.c_str()).find("slow consumer"), std::string::npos)
      << slow.reason().reason.c_str();
  EXPECT_LT(read, kBlocks);
  EXPECT_NE(metrics_.Render().find("colend_ws_slow_consumers_total 1"), std::string::npos);
}

// A client that sends requests and reads none of the answers: the session stops reading
// once its queue is at half its bound instead of queueing answers without limit, answers
// everything in order once the client reads, and is not closed for it.
TEST_F(WsSessionTest, AClientThatDoesNotReadItsAnswersIsNotReadEither) {
  RpcOptions options;
  options.ws_max_queue_messages = 8;
  Start(options);
  WsClient client(server_->port(), /*receive_buffer=*/4096);
  ASSERT_EQ(client.Handshake(), 101);
  // 3,000 requests of 3 bytes: under 40 KB, which the sockets' buffers hold, so sending
  // never blocks here; their answers (about 110 bytes each, 330 KB) do not fit.
  constexpr int kRequests = 3000;
  for (int i = 0; i < kRequests; ++i) client.Send("[1]");
  const auto deadline = std::chrono::steady_clock::now() + Ms(10000);
  while (metrics_.Render().find("colend_ws_reads_paused_total 0") != std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(Ms(10));
  }
  EXPECT_EQ(metrics_.Render().find("colend_ws_reads_paused_total 0"), std::string::npos);
  int answered = 0;
  for (; answered < kRequests; ++answered) {
    std::optional<json::object> m = client.Read();
    ASSERT_TRUE(m.has_value()) << answered << ": " << client.error().message();
    ASSERT_TRUE(m->contains("error")) << json::serialize(*m);
    EXPECT_EQ(m->at("error").at("code").as_int64(), -32600);
  }
  EXPECT_EQ(answered, kRequests);
  // Still open, and reading again.
  Subscribe(client, {{"topic", "blocks"}});
  EXPECT_NE(metrics_.Render().find("colend_ws_slow_consumers_total 0"), std::string::npos);
}

TEST_F(WsSessionTest, BadRequestsAreAnsweredAndChangeNothing) {
  RpcOptions options;
  options.ws_max_subscriptions_per_connection = 2;
  options.ws_max_request_bytes = 1024;
  Start(options);
  Commit(3);
  WsClient client(server_->port());
  ASSERT_EQ(client.Handshake(), 101);
  auto error_of = [&](const std::string& text, bool binary = false) -> std::int64_t {
    client.Send(text, binary);
    json::object r = client.Response();
    return r.contains("error") ? r["error"].at("code").as_int64() : 0;
  };
  auto subscribe_error = [&](const json::object& params) {
    return error_of(json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "subscribe"}, {"params", params}}));
  };
  EXPECT_EQ(subscribe_error({{"topic", "weather"}}), -32602);
  EXPECT_EQ(subscribe_error({{"topic", "blocks"}, {"from_height", 0}}), -32602);
  EXPECT_EQ(subscribe_error({{"topic", "blocks"}, {"from_height", 5}}), -32602);  // head is 3
  EXPECT_EQ(subscribe_error({{"topic", "blocks"}, {"from_height", "one"}}), -32602);
  EXPECT_EQ(subscribe_error({{"topic", "receipts"}}), -32602);  // no signer
  EXPECT_EQ(subscribe_error({{"topic", "positions"}, {"bank", "NOBODY"}}), -32002);
  EXPECT_EQ(subscribe_error({{"topic", "status"}, {"from_height", 1}}), -32602);
  node_.set_indexed_from(3);
  EXPECT_EQ(subscribe_error({{"topic", "positions"}, {"bank", "LEAD"}, {"from_height", 2}}),
            -32002);
  EXPECT_EQ(error_of("{{{ not json"), -32700);
  EXPECT_EQ(error_of("[1, 2]"), -32600);
  EXPECT_EQ(error_of(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})", /*binary=*/true), -32600);
  EXPECT_EQ(error_of(R"({"jsonrpc":"2.0","id":1,"method":"getBlockNumber"})"), -32601);
  EXPECT_EQ(error_of(std::string(2000, ' ') + "{}"), -32600);  // over ws_max_request_bytes
  // The envelope of POST /: params named, [] none, a list -32602, a scalar -32600.
  EXPECT_EQ(error_of(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":[]})"), -32602);
  EXPECT_EQ(error_of(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":["blocks"]})"),
            -32602);
  EXPECT_EQ(error_of(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":"blocks"})"), -32600);
  EXPECT_EQ(error_of(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":null})"), -32600);
  // Notifications (no id) are never answered, not even with an error: the next message is
  // the answer to the request after them. An unreadable request is answered with id null.
  client.Send(R"({"jsonrpc":"2.0","method":"getBlockNumber"})");
  client.Send(R"({"jsonrpc":"2.0","method":"subscribe","params":{"topic":"weather"}})");
  client.Send(R"({"jsonrpc":"2.0","method":"unsubscribe","params":{"subscription":"s9"}})");
  client.Send(R"({"jsonrpc":"1.0","method":"subscribe"})");
  {
    json::object unreadable = client.Response();
    EXPECT_TRUE(unreadable.at("id").is_null()) << json::serialize(unreadable);
    EXPECT_EQ(unreadable.at("error").at("code").as_int64(), -32600);
  }
  EXPECT_EQ(error_of(R"({"jsonrpc":"2.0","id":"after","method":"nope"})"), -32601);
  // None of it made a subscription: the first real one is s1, and it alone is notified.
  const std::string first = Subscribe(client, {{"topic", "blocks"}});
  EXPECT_EQ(first, "s1");
  Subscribe(client, {{"topic", "blocks"}});
  EXPECT_EQ(subscribe_error({{"topic", "blocks"}}), -32004);  // 2 per connection
  Commit();
  std::vector<std::string> to;
  for (int i = 0; i < 2; ++i) {
    std::optional<json::object> note = client.Read();
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(HeightOf(*note), 4u);
    to.emplace_back(note->at("params").at("subscription").as_string());
  }
  EXPECT_EQ(to, (std::vector<std::string>{"s1", "s2"}));
  // A frame beyond 1 MiB is not read: the connection is closed with 1009. The server may
  // close while the client is still writing the frame; then the client's write fails and
  // the close frame may be lost with the reset, so either is the refusal.
  client.SendRefused(std::string(2u << 20, 'x'));
  EXPECT_FALSE(client.Read().has_value());
  if (!client.write_error()) {
    EXPECT_EQ(client.reason().code, websocket::close_code::too_big);
  } else {
    EXPECT_TRUE(client.reason().code == websocket::close_code::too_big ||
                client.reason().code == websocket::close_code::none)
        << client.write_error().message();
  }
}

}  // namespace
}  // namespace colend::node
