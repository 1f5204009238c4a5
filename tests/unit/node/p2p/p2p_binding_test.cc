// The channel binding of an "sm" chain (docs/sm.md): TLS with P-256 transport certificates,
// each Hello carrying the sender's SM2 signature over the connection's RFC 9266 tls-exporter
// value. A good binding gets in; one under another key, one from another connection, one
// reflected with the roles swapped, or none at all is refused with a log line saying why; a
// key rotation re-checks the binding of a connection that is up. The raw TLS client builds
// its bindings by hand from the wire format docs/sm.md gives, not with the code under test.
// Real TLS on 127.0.0.1 (ports below 32768); every wait has a deadline.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "colend/crypto/signature.h"
#include "colend/node/p2p_network.h"
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

constexpr char kDomain[] = "colend/p2p/channel-binding/v1";

void AppendField(Bytes& out, ByteView field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<std::uint8_t>((n >> shift) & 0xff));
  out.insert(out.end(), field.begin(), field.end());
}

// The signed message, written from docs/sm.md.
Bytes BindingMessage(const std::string& chain, const Bytes& exporter, const std::string& sender,
                     const std::string& sender_role, const std::string& receiver) {
  Bytes message;
  AppendField(message, AsBytes(chain));
  AppendField(message, exporter);
  AppendField(message, AsBytes(sender));
  AppendField(message, AsBytes(sender_role));
  AppendField(message, AsBytes(receiver));
  return message;
}

class P2pBindingTest : public testing::P2pFixture {
 protected:
  void SetUp() override {
    P2pFixture::SetUp();
    for (const char* id : {"a", "b", "c"}) AddSmKey(id);
  }

  void AddSmKey(const std::string& id) {
    sm_keys_[id] = std::make_shared<const crypto::PrivateKey>(
        crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value());
  }

  // The validator set: SM2 keys (the certificates in nodes_ hold P-256 transport keys).
  std::map<std::string, Bytes> SmValidatorKeys() const {
    std::map<std::string, Bytes> keys;
    for (const auto& [id, key] : sm_keys_) {
      if (nodes_.count(id) != 0) keys[id] = key->public_key().ToDer().value();
    }
    return keys;
  }

  P2pOptions SmOptions(const std::string& self, const std::vector<PeerEndpoint>& peers) const {
    P2pOptions options = Options(self, peers);
    options.suite = crypto::CryptoSuite::Sm();
    options.binding_key = sm_keys_.at(self);
    options.validator_keys = SmValidatorKeys();
    return options;
  }

  // A Hello from `sender` to `receiver` on `client`'s connection (the client dialled),
  // signed with `key`.
  static proto::Frame BoundHello(RawTlsClient& client, const crypto::PrivateKey& key,
                                 const std::string& sender, const std::string& receiver,
                                 const std::string& sender_role = "client") {
    proto::Frame hello = HelloFrame(kChain, sender);
    const Bytes exporter = client.Exporter();
    EXPECT_EQ(exporter.size(), 32u);
    const Bytes signature =
        crypto::Sign(key, kDomain, BindingMessage(kChain, exporter, sender, sender_role, receiver))
            .value();
    hello.mutable_hello()->set_channel_binding(std::string(signature.begin(), signature.end()));
    return hello;
  }

  std::map<std::string, std::shared_ptr<const crypto::PrivateKey>> sm_keys_;
};

TEST_F(P2pBindingTest, SmNodesConnectWithBoundHellosAndExchangeFrames) {
  RecordingHandler ha, hb, hc;
  auto c = StartNetwork(SmOptions("c", {}), &hc);
  auto b = StartNetwork(SmOptions("b", {At("c", c->listen_port())}), &hb);
  auto a =
      StartNetwork(SmOptions("a", {At("b", b->listen_port()), At("c", c->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(
      io_, [&] { return ha.ups.size() == 2 && hb.ups.size() == 2 && hc.ups.size() == 2; }));
  for (const auto& [id, hello] : hb.ups) {
    EXPECT_LE(hello.channel_binding().size(), crypto::kMaxSignatureSize) << id;
    EXPECT_FALSE(hello.channel_binding().empty()) << id;
  }
  proto::Frame frame;
  frame.mutable_consensus()->set_body("prepare");
  EXPECT_EQ(a->Broadcast(frame), 2u);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.frames.size() == 1 && hc.frames.size() == 1; }));
  EXPECT_EQ(a->Counters().refused_connections + b->Counters().refused_connections +
                c->Counters().refused_connections,
            0u);
}

// The binding as docs/sm.md writes it, computed by hand: accepted.
TEST_F(P2pBindingTest, HandMadeBindingIsAccepted) {
  RecordingHandler hb;
  auto b = StartNetwork(SmOptions("b", {}), &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(BoundHello(client, *sm_keys_.at("a"), "a", "b")));
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));
  EXPECT_EQ(b->Counters().refused_connections, 0u);
}

// a's transport certificate (right CA, right name) with a binding by another SM2 key: the
// holder of a stolen transport key cannot pass as the validator.
TEST_F(P2pBindingTest, BindingUnderAnotherKeyIsRefused) {
  RecordingHandler hb;
  auto b = StartNetwork(SmOptions("b", {}), &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  const crypto::PrivateKey stranger =
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value();
  client.Write(EncodeForWire(BoundHello(client, stranger, "a", "b")));
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return client.closed_by_peer; }));
  EXPECT_EQ(hb.Ups("a"), 0);
  EXPECT_EQ(b->Counters().refused_connections, 1u);
  EXPECT_TRUE(LogContains("p2p b: refused \"a\" at 127.0.0.1:"));
  EXPECT_TRUE(LogContains("does not verify under the validator key of \"a\""));
}

// A whole node whose own view of its key differs from the validator set's (its node key is
// not the one the others admit): the others refuse its Hellos and say why.
TEST_F(P2pBindingTest, NodeWithTheWrongValidatorKeyIsRefused) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(SmOptions("b", {}), &hb);
  P2pOptions options = SmOptions("a", {At("b", b->listen_port())});
  options.binding_key = std::make_shared<const crypto::PrivateKey>(
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value());
  options.validator_keys["a"] = options.binding_key->public_key().ToDer().value();
  auto a = StartNetwork(options, &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 2; }));
  EXPECT_TRUE(hb.ups.empty());
  EXPECT_TRUE(LogContains("the channel binding in the Hello of \"a\" does not verify"));
}

// A binding captured on one connection is worthless on another: its exporter value differs.
TEST_F(P2pBindingTest, BindingFromAnotherConnectionIsRefused) {
  RecordingHandler hb;
  auto b = StartNetwork(SmOptions("b", {}), &hb);
  RawTlsClient first(io_, pki_.ca_cert(), nodes_.at("a"));
  first.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return first.connected || first.failed; }));
  ASSERT_TRUE(first.connected);
  const proto::Frame captured = BoundHello(first, *sm_keys_.at("a"), "a", "b");
  first.Write(EncodeForWire(captured));
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));

  RawTlsClient second(io_, pki_.ca_cert(), nodes_.at("a"));
  second.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return second.connected || second.failed; }));
  ASSERT_TRUE(second.connected);
  ASSERT_NE(second.Exporter(), first.Exporter());
  second.Write(EncodeForWire(captured));
  second.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return second.closed_by_peer; }));
  EXPECT_EQ(hb.Ups("a"), 1);  // the replay did not replace the real connection
  EXPECT_EQ(hb.Downs("a"), 0);
  EXPECT_EQ(b->Counters().refused_connections, 1u);
  EXPECT_TRUE(LogContains("does not verify under the validator key of \"a\""));
}

// The same connection, but the binding claims the other TLS role (as if reflected from the
// server's own Hello): refused.
TEST_F(P2pBindingTest, BindingWithTheRolesSwappedIsRefused) {
  RecordingHandler hb;
  auto b = StartNetwork(SmOptions("b", {}), &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(BoundHello(client, *sm_keys_.at("a"), "a", "b", "server")));
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return client.closed_by_peer; }));
  EXPECT_EQ(hb.Ups("a"), 0);
  EXPECT_TRUE(LogContains("does not verify under the validator key of \"a\""));
}

// On an sm chain a validator's Hello without a binding proves nothing: refused.
TEST_F(P2pBindingTest, MissingBindingIsRefused) {
  RecordingHandler hb;
  auto b = StartNetwork(SmOptions("b", {}), &hb);
  RawTlsClient client(io_, pki_.ca_cert(), nodes_.at("a"));
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  ASSERT_TRUE(client.connected);
  client.Write(EncodeForWire(HelloFrame(kChain, "a")));
  client.ReadUntilClosed();
  ASSERT_TRUE(RunUntil(io_, [&] { return client.closed_by_peer; }));
  EXPECT_EQ(hb.Ups("a"), 0);
  EXPECT_EQ(b->Counters().refused_connections, 1u);
  EXPECT_TRUE(LogContains("Hello of \"a\" carries no channel binding"));
}

// Governance rotates a's validator key: the connection bound with the old key is closed;
// a restarted with the new key (same transport certificate) gets in again.
TEST_F(P2pBindingTest, KeyRotationRechecksTheBinding) {
  RecordingHandler ha, hb, ha2;
  auto b = StartNetwork(SmOptions("b", {}), &hb);
  auto a = StartNetwork(SmOptions("a", {At("b", b->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));

  AddSmKey("a");  // the new key
  std::map<std::string, Bytes> keys = SmValidatorKeys();
  b->SetValidators(keys, {}, {});
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Downs("a") == 1; }));
  EXPECT_TRUE(LogContains("its connection's channel binding was signed with another key"));
  // a still runs with the old key and redials: refused.
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 1; }));
  EXPECT_EQ(hb.Ups("a"), 1);

  a.reset();
  auto a2 = StartNetwork(SmOptions("a", {At("b", b->listen_port())}), &ha2);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 2 && ha2.Ups("b") == 1; }));
}

// A connected observer voted in as a validator keeps its connection when its binding holds
// its new validator key, and is dropped when it does not.
TEST_F(P2pBindingTest, PromotedObserverIsKeptOnlyIfItsBindingHoldsTheNewKey) {
  nodes_["d"] = pki_.Issue("d");
  nodes_["e"] = pki_.Issue("e");
  AddSmKey("d");
  AddSmKey("e");
  std::map<std::string, Bytes> before = SmValidatorKeys();
  before.erase("d");
  before.erase("e");
  RecordingHandler hb, hd, he;
  P2pOptions b_options = SmOptions("b", {});
  b_options.validator_keys = before;
  b_options.allow_observers = true;
  auto b = StartNetwork(b_options, &hb);
  P2pOptions d_options = SmOptions("d", {At("b", b->listen_port())});
  d_options.validator_keys = before;
  auto d = StartNetwork(d_options, &hd);
  P2pOptions e_options = SmOptions("e", {At("b", b->listen_port())});
  e_options.validator_keys = before;
  auto e = StartNetwork(e_options, &he);
  ASSERT_TRUE(RunUntil(io_, [&] {
    return testing::P2pFixture::FindPeer(*b, "d").has_value() &&
           testing::P2pFixture::FindPeer(*b, "e").has_value() && hd.Ups("b") == 1 &&
           he.Ups("b") == 1;
  }));
  EXPECT_TRUE(InfoOf(*b, "d").observer);

  std::map<std::string, Bytes> after = SmValidatorKeys();
  // e is voted in under a key its node does not hold.
  after["e"] =
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value().public_key().ToDer().value();
  b->SetValidators(after, {}, {});
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("d") == 1; }));
  EXPECT_FALSE(InfoOf(*b, "d").observer);
  EXPECT_TRUE(LogContains("observer \"d\" is now a validator; its connection is kept"));
  EXPECT_EQ(hb.Ups("e"), 0);
  EXPECT_TRUE(LogContains("\"e\" became a validator, but the channel binding it connected with"));
}

}  // namespace
}  // namespace colend::node
