// Real TLS connections on 127.0.0.1, listening on ports below 32768; every wait has a deadline.
#include "colend/node/p2p_network.h"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "p2p_test_util.h"

namespace colend::node {
namespace {

using namespace std::chrono_literals;
using testing::EncodeForWire;
using testing::HelloFrame;
using testing::RawTlsClient;
using testing::RecordingHandler;
using testing::RunFor;
using testing::RunUntil;
using testing::TestPki;

class P2pNetworkTest : public testing::P2pFixture {};

proto::Frame GossipFrame(const std::string& payload) {
  proto::Frame frame;
  frame.mutable_tx_gossip()->add_transactions(payload);
  return frame;
}

TEST_F(P2pNetworkTest, ThreeNodesConnectAndExchangeFrames) {
  RecordingHandler ha, hb, hc;
  // a < b < c: a dials b and c, b dials c; so c starts first, then b, then a.
  auto c = StartNetwork(Options("c", {}), &hc);
  auto b = StartNetwork(Options("b", {At("c", c->listen_port())}), &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port()), At("c", c->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(
      io_, [&] { return ha.ups.size() == 2 && hb.ups.size() == 2 && hc.ups.size() == 2; }));
  EXPECT_EQ(ha.ups[0].second.best_height(), 7u);
  EXPECT_EQ(ha.ups[0].second.chain_id(), kChain);

  proto::Frame consensus;
  consensus.mutable_consensus()->set_body("pre-prepare");
  consensus.mutable_consensus()->set_sender("a");
  ASSERT_TRUE(a->Send("b", consensus));
  ASSERT_TRUE(RunUntil(io_, [&] { return !hb.frames.empty(); }));
  EXPECT_EQ(hb.frames[0].first, "a");
  EXPECT_EQ(hb.frames[0].second.version(), kFrameVersion);
  EXPECT_EQ(hb.frames[0].second.consensus().body(), "pre-prepare");

  EXPECT_EQ(c->Broadcast(GossipFrame("tx-1")), 2u);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.frames.size() == 1 && hb.frames.size() == 2; }));
  EXPECT_EQ(ha.frames[0].first, "c");
  EXPECT_EQ(ha.frames[0].second.tx_gossip().transactions(0), "tx-1");
  EXPECT_EQ(hb.frames[1].second.tx_gossip().transactions(0), "tx-1");

  // Pings flow (ping_interval 200 ms) without reaching the handler.
  RunFor(io_, 500ms);
  EXPECT_EQ(ha.frames.size(), 1u);
  const PeerInfo a_of_b = InfoOf(*a, "b");
  EXPECT_TRUE(a_of_b.connected);
  EXPECT_TRUE(a_of_b.outbound);
  EXPECT_GE(a_of_b.frames_out, 2u);  // consensus + pings
  EXPECT_GE(a_of_b.frames_in, 2u);   // pongs/pings
  EXPECT_EQ(a_of_b.dropped_frames, 0u);
  EXPECT_FALSE(InfoOf(*c, "a").outbound);
  EXPECT_EQ(a->Counters().refused_connections, 0u);

  // Sending to a node that is not a peer fails cleanly.
  EXPECT_FALSE(a->Send("zzz", consensus));
  a->Stop();
  b->Stop();
  c->Stop();
  EXPECT_FALSE(b->Send("c", consensus));
}

// Peers() and Counters() are called by RPC threads while the io thread changes the state.
TEST_F(P2pNetworkTest, SnapshotsFromAnotherThread) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port())}), &ha);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> snapshots{0};
  std::thread reader([&] {
    while (!stop.load()) {
      for (const PeerInfo& info : a->Peers()) {
        if (info.node_id.empty()) ADD_FAILURE() << "peer without id";
      }
      (void)a->Counters();
      snapshots.fetch_add(1);
    }
  });
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("b") == 1; }));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(a->Send("b", GossipFrame("x")));
  const bool delivered = RunUntil(io_, [&] { return hb.frames.size() == 100; });
  b.reset();
  RunUntil(io_, [&] { return ha.Downs("b") == 1; });
  stop.store(true);
  reader.join();
  EXPECT_TRUE(delivered);
  EXPECT_EQ(ha.Downs("b"), 1);
  EXPECT_GT(snapshots.load(), 0u);
}

TEST_F(P2pNetworkTest, CertificateFromAnotherCaIsRefused) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  TestPki rogue_ca;
  TestPki::Node rogue_a = rogue_ca.Issue("a");
  P2pOptions options = Options("a", {At("b", b->listen_port())});
  options.ca_cert_pem = rogue_ca.ca_cert();
  options.cert_pem = rogue_a.cert_pem;
  options.key_pem = rogue_a.key_pem;
  options.validator_keys["a"] = rogue_a.public_key_der;  // a believes its own key is this one
  auto a = StartNetwork(options, &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 2; }));
  EXPECT_TRUE(ha.ups.empty());
  EXPECT_TRUE(hb.ups.empty());
  EXPECT_TRUE(LogContains("p2p b: refused unidentified peer at 127.0.0.1:"));
  EXPECT_TRUE(LogContains("TLS handshake failed"));
}

TEST_F(P2pNetworkTest, RightCaButNotTheValidatorKeyIsRefused) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  TestPki::Node impostor = pki_.Issue("a");  // same CA, same name, another key
  P2pOptions options = Options("a", {At("b", b->listen_port())});
  options.cert_pem = impostor.cert_pem;
  options.key_pem = impostor.key_pem;
  options.validator_keys["a"] = impostor.public_key_der;
  auto a = StartNetwork(options, &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 2; }));
  EXPECT_TRUE(ha.ups.empty());
  EXPECT_TRUE(hb.ups.empty());
  EXPECT_TRUE(LogContains("holds a public key that is not that validator's key"));
}

TEST_F(P2pNetworkTest, WrongChainIdIsRefused) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  P2pOptions options = Options("a", {At("b", b->listen_port())});
  options.chain_id = "another-chain";
  auto a = StartNetwork(options, &ha);
  ASSERT_TRUE(RunUntil(io_, [&] {
    return a->Counters().refused_connections + b->Counters().refused_connections >= 2;
  }));
  EXPECT_TRUE(ha.ups.empty());
  EXPECT_TRUE(hb.ups.empty());
  EXPECT_TRUE(LogContains("Hello is for chain \"another-chain\""));
}

TEST_F(P2pNetworkTest, OversizeLengthPrefixClosesTheConnection) {
  RecordingHandler hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(HelloFrame(kChain, "a")));
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));
  client.Write(std::string("\xff\xff\xff\xf0", 4));  // ~4 GiB announced
  ASSERT_TRUE(RunUntil(io_, [&] { return client.closed_by_peer && hb.Downs("a") == 1; }));
  EXPECT_EQ(b->Counters().bad_frames, 1u);
  EXPECT_TRUE(LogContains("exceeds the maximum"));
}

// A connection that never starts TLS is closed after handshake_timeout.
TEST_F(P2pNetworkTest, SilentTcpConnectionTimesOut) {
  RecordingHandler hb;
  P2pOptions options = Options("b", {});
  options.handshake_timeout = 200ms;
  auto b = StartNetwork(options, &hb);
  boost::asio::ip::tcp::socket socket(io_);
  bool closed = false;
  std::array<char, 64> buffer{};
  socket.async_connect({boost::asio::ip::make_address("127.0.0.1"), b->listen_port()},
                       [&](const boost::system::error_code& error) {
                         ASSERT_FALSE(error) << error.message();
                         socket.async_read_some(
                             boost::asio::buffer(buffer),
                             [&](const boost::system::error_code& read_error, std::size_t) {
                               closed = static_cast<bool>(read_error);
                             });
                       });
  ASSERT_TRUE(RunUntil(io_, [&] { return closed; }));
  EXPECT_TRUE(LogContains("not done within 200 ms"));
}

// Idle TCP connections from one address take at most 4 handshake slots: the next one from
// that address is closed at once (and counted), while a validator connecting from another
// address still gets in.
TEST_F(P2pNetworkTest, OneAddressCannotTakeEveryHandshakeSlot) {
  RecordingHandler hb;
  P2pOptions options = Options("b", {});
  options.listen_host = "0.0.0.0";  // reachable on 127.0.0.1 and 127.0.0.2
  options.handshake_timeout = 3000ms;
  auto b = StartNetwork(options, &hb);
  constexpr int kIdle = 6;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> sockets;
  std::vector<std::array<char, 64>> buffers(kIdle);
  std::atomic<int> closed{0};
  for (int i = 0; i < kIdle; ++i) {
    sockets.push_back(std::make_unique<boost::asio::ip::tcp::socket>(io_));
    boost::asio::ip::tcp::socket& socket = *sockets.back();
    socket.async_connect(
        {boost::asio::ip::make_address("127.0.0.1"), b->listen_port()},
        [&, i](const boost::system::error_code& error) {
          ASSERT_FALSE(error) << error.message();
          sockets[static_cast<std::size_t>(i)]->async_read_some(
              boost::asio::buffer(buffers[static_cast<std::size_t>(i)]),
              [&](const boost::system::error_code& read_error, std::size_t) {
                if (read_error) ++closed;
              });
        });
  }
  // Two over the per-address limit are closed well before the handshake deadline.
  ASSERT_TRUE(RunUntil(io_, [&] { return closed.load() == kIdle - 4; }));
  RunFor(io_, 100ms);
  EXPECT_EQ(closed.load(), kIdle - 4);
  EXPECT_EQ(b->Counters().refused_connections, static_cast<std::uint64_t>(kIdle - 4));
  EXPECT_TRUE(LogContains("4 handshakes from this address already in progress"));

  // A validator from another loopback address completes its handshake meanwhile.
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.ConnectFrom("127.0.0.2", b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(HelloFrame(kChain, "a")));
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));
}

// Descriptors exhausted: accept fails while the connection waits in the backlog. The
// network backs off (10 ms doubling) instead of retrying in a busy loop, logs a few lines,
// counts the failures, and accepts again once descriptors are free.
TEST_F(P2pNetworkTest, AcceptErrorsBackOffAndRecover) {
  RecordingHandler hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  rlimit original{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &original), 0);
  // Fill every free descriptor below the new limit, leaving exactly one for the client.
  std::vector<int> fillers;
  for (int fd = ::dup(0); fd >= 0 && fd < 4096; fd = ::dup(0)) fillers.push_back(fd);
  ASSERT_FALSE(fillers.empty());
  const int last = fillers.back();
  ::close(last);
  fillers.pop_back();
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(last + 1);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  boost::asio::ip::tcp::socket socket(io_);
  bool connected = false;
  socket.async_connect({boost::asio::ip::make_address("127.0.0.1"), b->listen_port()},
                       [&](const boost::system::error_code& error) { connected = !error; });
  RunFor(io_, 500ms);
  const std::uint64_t failures = b->Counters().accept_failures;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &original), 0);
  for (int fd : fillers) ::close(fd);
  EXPECT_TRUE(connected);  // the kernel completed it; the node could not take it yet
  EXPECT_GE(failures, 2u);
  EXPECT_LE(failures, 12u);  // 10 + 20 + 40 + ... ms: about 6 in 500 ms, not thousands
  EXPECT_TRUE(LogContains("accepting again in"));
  // Descriptors are back: the waiting connection is taken, and a validator gets in.
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(HelloFrame(kChain, "a")));
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));
  EXPECT_LE(b->Counters().accept_failures, failures + 1);
}

// Before its Hello a connection may send only a Hello-sized frame: a larger length prefix
// closes it before anything is allocated, although max_frame_bytes would allow it.
TEST_F(P2pNetworkTest, AFrameBeforeTheHelloIsBoundedByTheHelloSize) {
  RecordingHandler hb;
  P2pOptions options = Options("b", {});
  options.max_frame_bytes = 64u << 20;
  options.max_send_queue_bytes = 128u << 20;
  auto b = StartNetwork(options, &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(std::string("\x01\x00\x00\x00", 4));  // 16 MiB announced, under the frame limit
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return client.closed_by_peer; }));
  EXPECT_EQ(hb.Ups("a"), 0);
  EXPECT_EQ(b->Counters().bad_frames, 1u);
  EXPECT_TRUE(LogContains("exceeds the maximum"));
}

// A peer that completes the Hello and then sends nothing (not even Pongs) is dropped after
// idle_timeout.
TEST_F(P2pNetworkTest, SilentPeerIsClosedAfterIdleTimeout) {
  RecordingHandler hb;
  P2pOptions options = Options("b", {});
  options.ping_interval = 50ms;
  options.idle_timeout = 300ms;
  auto b = StartNetwork(options, &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(HelloFrame(kChain, "a")));
  client.ReadUntilClosed();  // reads the Pings, never answers
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Downs("a") == 1 && client.closed_by_peer; }));
  EXPECT_TRUE(LogContains("nothing received for"));
  EXPECT_GE(InfoOf(*b, "a").frames_out, 2u);  // Pings were sent
}

// Each malformed frame after a good Hello closes the connection and counts as a bad frame.
TEST_F(P2pNetworkTest, MalformedFramesCloseTheConnection) {
  proto::Frame wrong_version = GossipFrame("x");
  wrong_version.set_version(2);
  proto::Frame no_kind;
  no_kind.set_version(1);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"garbage", std::string("\x00\x00\x00\x03\xff\xff\xff", 7)},
      {"version 2", EncodeForWire(wrong_version)},
      {"no kind", EncodeForWire(no_kind)},
      {"empty", std::string(4, '\0')},
      {"second hello", EncodeForWire(HelloFrame(kChain, "a"))},
  };
  RecordingHandler hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  std::vector<std::unique_ptr<RawTlsClient>> clients;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].first);
    clients.push_back(std::make_unique<RawTlsClient>(io_, pki_.ca_cert(), nodes_.at("a")));
    RawTlsClient& client = *clients.back();
    client.Connect(b->listen_port());
    ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
    ASSERT_TRUE(client.connected);
    client.Write(EncodeForWire(HelloFrame(kChain, "a")) + cases[i].second);
    client.ReadUntilClosed();
    ASSERT_TRUE(RunUntil(io_, [&] { return client.closed_by_peer; }));
    EXPECT_EQ(b->Counters().bad_frames, i + 1);
    EXPECT_TRUE(hb.frames.empty());
  }
}

TEST_F(P2pNetworkTest, FrameBeforeHelloIsRefused) {
  RecordingHandler hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  proto::Frame gossip = GossipFrame("early");
  gossip.set_version(1);
  client.Write(EncodeForWire(gossip));
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return client.closed_by_peer; }));
  EXPECT_EQ(hb.Ups("a"), 0);
  EXPECT_TRUE(LogContains("first frame is not a Hello"));
}

TEST_F(P2pNetworkTest, SendFromOnPeerUpIsDelivered) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  std::unique_ptr<P2pNetwork> a;
  bool sent = false;
  ha.on_up = [&](const std::string& id) { sent = a->Send(id, GossipFrame("first")); };
  a = StartNetwork(Options("a", {At("b", b->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.frames.size() == 1; }));
  EXPECT_TRUE(sent);
  EXPECT_EQ(hb.frames[0].second.tx_gossip().transactions(0), "first");
}

TEST_F(P2pNetworkTest, NewInboundConnectionReplacesTheOldOne) {
  RecordingHandler hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  RawTlsClient first(io_, pki_.ca_cert(), nodes_.at("a"));
  first.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return first.connected || first.failed; }));
  ASSERT_TRUE(first.connected);
  first.Write(EncodeForWire(HelloFrame(kChain, "a")));
  first.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));

  // "a" comes back on a new connection while b still holds the old one.
  RawTlsClient second(io_, pki_.ca_cert(), nodes_.at("a"));
  second.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return second.connected || second.failed; }));
  ASSERT_TRUE(second.connected);
  second.Write(EncodeForWire(HelloFrame(kChain, "a")));
  second.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 2 && first.closed_by_peer; }));
  EXPECT_EQ(hb.Downs("a"), 1);
  EXPECT_TRUE(InfoOf(*b, "a").connected);
  EXPECT_FALSE(second.closed_by_peer);
  EXPECT_EQ(b->Counters().refused_connections, 0u);
}

TEST_F(P2pNetworkTest, PeerThatRestartsIsReconnected) {
  RecordingHandler ha, hb1, hb2;
  auto b = StartNetwork(Options("b", {}), &hb1);
  const std::uint16_t port = b->listen_port();
  auto a = StartNetwork(Options("a", {At("b", port)}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("b") == 1 && hb1.Ups("a") == 1; }));

  b.reset();  // stops: closes its listener and connections
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Downs("b") == 1; }));
  EXPECT_FALSE(InfoOf(*a, "b").connected);
  RunFor(io_, 100ms);  // a few failed redials against a closed port

  P2pOptions options = Options("b", {});
  options.listen_port = port;
  auto b2 = StartNetwork(options, &hb2);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("b") == 2 && hb2.Ups("a") == 1; }));
  EXPECT_EQ(InfoOf(*a, "b").connects, 2u);
  ASSERT_TRUE(a->Send("b", GossipFrame("after restart")));
  ASSERT_TRUE(RunUntil(io_, [&] { return hb2.frames.size() == 1; }));
  EXPECT_TRUE(hb1.frames.empty());
}

// A peer the node penalises (bad signatures, garbage) is disconnected and neither dialled
// nor accepted until its bar expires; then it is back.
TEST_F(P2pNetworkTest, PenalisedPeerIsBarredForAWhile) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("b") == 1 && hb.Ups("a") == 1; }));
  b->Penalize("a", 600ms, "test");
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Downs("b") == 1 && hb.Downs("a") == 1; }));
  EXPECT_EQ(b->Counters().penalties, 1u);
  RunFor(io_, 300ms);  // a redials and is refused while barred
  EXPECT_EQ(hb.Ups("a"), 1);
  EXPECT_FALSE(InfoOf(*b, "a").connected);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 2 && InfoOf(*a, "b").connected; }));
}

TEST_F(P2pNetworkTest, StalledPeerQueueStaysBoundedAndFramesAreDropped) {
  RecordingHandler hb;
  P2pOptions options = Options("b", {});
  options.max_frame_bytes = 64 * 1024;
  options.max_send_queue_bytes = 256 * 1024;
  auto b = StartNetwork(options, &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(HelloFrame(kChain, "a")));  // and never reads again
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));

  const proto::Frame big = GossipFrame(std::string(60 * 1024, 'x'));
  const std::uint64_t frame_bytes = EncodeForWire(big).size() + 2;  // + version field
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
  // 2,000 frames of 60 KiB (120 MiB) against a peer that reads nothing: far more than the
  // kernel's socket buffers hold, so the queue must fill and stay at its bound.
  for (int i = 0; i < 2000; ++i) {
    if (b->Send("a", big)) {
      ++accepted;
    } else {
      ++refused;
    }
    const PeerInfo info = InfoOf(*b, "a");
    ASSERT_LE(info.send_queue_bytes, options.max_send_queue_bytes);
    if (i % 50 == 0) RunFor(io_, 2ms);
  }
  const PeerInfo info = InfoOf(*b, "a");
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(info.dropped_frames, refused);
  EXPECT_TRUE(info.connected);
  EXPECT_LE(info.send_queue_bytes, options.max_send_queue_bytes);
  EXPECT_LE(info.bytes_out, accepted * frame_bytes + 4096);
  EXPECT_TRUE(LogContains("send queue full"));
}

}  // namespace
}  // namespace colend::node
