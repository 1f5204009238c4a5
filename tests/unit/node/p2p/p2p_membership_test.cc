// Who may connect, while it changes: SetValidators (added, removed and re-keyed validators),
// observers, revocation and certificate expiry. Real TLS on 127.0.0.1 (ports below 32768);
// every wait has a deadline.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "colend/node/p2p_network.h"
#include "p2p_test_util.h"

namespace colend::node {
namespace {

using namespace std::chrono_literals;
using testing::EncodeForWire;
using testing::Fingerprint;
using testing::HelloFrame;
using testing::NotAfter;
using testing::RawTlsClient;
using testing::RecordingHandler;
using testing::RunFor;
using testing::RunUntil;
using testing::TestPki;

class P2pMembershipTest : public testing::P2pFixture {
 protected:
  // Options for a node outside the validator set {a, b, c}, dialling `peers`.
  P2pOptions ObserverOptions(const std::string& self, const std::vector<PeerEndpoint>& peers) {
    if (observers_.find(self) == observers_.end()) observers_[self] = pki_.Issue(self);
    const TestPki::Node& node = observers_.at(self);
    P2pOptions options = Options("a", peers);
    options.self_id = self;
    options.cert_pem = node.cert_pem;
    options.key_pem = node.key_pem;
    return options;
  }

  P2pOptions AllowingObservers(P2pOptions options, std::size_t max = 16) {
    options.allow_observers = true;
    options.max_observers = max;
    return options;
  }

  std::map<std::string, TestPki::Node> observers_;  // certificates of non-validators
};

proto::Frame ConsensusFrame(const std::string& body) {
  proto::Frame frame;
  frame.mutable_consensus()->set_body(body);
  return frame;
}

proto::Frame GossipFrame(const std::string& payload) {
  proto::Frame frame;
  frame.mutable_tx_gossip()->add_transactions(payload);
  return frame;
}

proto::Frame SyncRequestFrame(std::uint64_t from) {
  proto::Frame frame;
  frame.mutable_sync_request()->set_from_height(from);
  frame.mutable_sync_request()->set_max_blocks(8);
  return frame;
}

int CountKind(const RecordingHandler& handler, proto::Frame::KindCase kind) {
  int count = 0;
  for (const auto& [id, frame] : handler.frames) count += frame.kind_case() == kind ? 1 : 0;
  return count;
}

TEST_F(P2pMembershipTest, AddedValidatorIsDialledAndConnects) {
  RecordingHandler ha, hb, hc;
  // c already counts itself in; a and b learn of it by SetValidators.
  auto c = StartNetwork(Options("c", {}), &hc);
  P2pOptions b_options = Options("b", {});
  b_options.validator_keys.erase("c");
  auto b = StartNetwork(b_options, &hb);
  P2pOptions a_options = Options("a", {At("b", b->listen_port())});
  a_options.validator_keys.erase("c");
  auto a = StartNetwork(a_options, &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("b") == 1 && hb.Ups("a") == 1; }));
  EXPECT_FALSE(testing::P2pFixture::FindPeer(*a, "c").has_value());

  const std::vector<PeerEndpoint> endpoints = {At("a", a->listen_port()), At("b", b->listen_port()),
                                               At("c", c->listen_port())};
  a->SetValidators(ValidatorKeys(), endpoints, {});
  b->SetValidators(ValidatorKeys(), endpoints, {});
  ASSERT_TRUE(RunUntil(io_, [&] {
    return ha.Ups("c") == 1 && hb.Ups("c") == 1 && hc.Ups("a") == 1 && hc.Ups("b") == 1;
  }));
  EXPECT_TRUE(InfoOf(*a, "c").outbound);
  EXPECT_FALSE(InfoOf(*c, "a").outbound);
  EXPECT_EQ(ha.Ups("b"), 1);  // the existing connection is untouched
  EXPECT_EQ(a->Peers().size(), 2u);
  ASSERT_TRUE(a->Send("c", ConsensusFrame("prepare")));
  ASSERT_TRUE(RunUntil(io_, [&] { return hc.frames.size() == 1; }));
  EXPECT_EQ(a->Counters().refused_connections, 0u);
}

// "c" joined after "a" wrote its node.toml: "a" (the smaller id, which should dial) has no
// endpoint for it. "c" has a's endpoint and dials as a fallback, after giving "a" time; a
// connection "a" dials wins whenever "a" can dial.
TEST_F(P2pMembershipTest, TheLargerIdDialsWhenTheSmallerHasNoEndpointForIt) {
  RecordingHandler ha, hc;
  P2pOptions a_options = Options("a", {});
  a_options.validator_keys.erase("b");
  auto a = StartNetwork(a_options, &ha);
  P2pOptions c_options = Options("c", {At("a", a->listen_port())});
  c_options.validator_keys.erase("b");
  auto c = StartNetwork(c_options, &hc);
  EXPECT_TRUE(InfoOf(*c, "a").outbound);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("c") == 1 && hc.Ups("a") == 1; }));
  EXPECT_EQ(a->Counters().refused_connections, 0u);
  ASSERT_TRUE(c->Send("a", ConsensusFrame("prepare")));
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.frames.size() == 1; }));
}

// Both know each other: the smaller id dials at once and the larger id's fallback never
// fires while that connection is up.
TEST_F(P2pMembershipTest, TheSmallerIdDialsFirstWhenBothHaveEndpoints) {
  RecordingHandler ha, hc;
  P2pOptions c_options = Options("c", {});
  c_options.validator_keys.erase("b");
  auto c = StartNetwork(c_options, &hc);
  P2pOptions a_options = Options("a", {At("c", c->listen_port())});
  a_options.validator_keys.erase("b");
  auto a = StartNetwork(a_options, &ha);
  c->SetValidators(c_options.validator_keys, {At("a", a->listen_port())}, {});
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("c") == 1 && hc.Ups("a") == 1; }));
  EXPECT_TRUE(InfoOf(*a, "c").outbound);
  // Longer than the fallback delay: still the one connection, nothing refused.
  RunFor(io_, 4 * c_options.reconnect_max);
  EXPECT_EQ(ha.Ups("c"), 1);
  EXPECT_EQ(hc.Ups("a"), 1);
  EXPECT_EQ(a->Counters().refused_connections, 0u);
}

// "a" is voted out. b and c disconnect it with the reason the node gives; "a" (which does not
// know, and keeps dialling) is refused with the same reason from then on.
TEST_F(P2pMembershipTest, RemovedValidatorIsDisconnectedAndRefusedWithTheReason) {
  RecordingHandler ha, hb, hc;
  auto c = StartNetwork(Options("c", {}), &hc);
  auto b = StartNetwork(Options("b", {At("c", c->listen_port())}), &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port()), At("c", c->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.ups.size() == 2 && hb.ups.size() == 2; }));

  const std::string reason = "removed from the validator set at height 120";
  std::map<std::string, Bytes> remaining = ValidatorKeys();
  remaining.erase("a");
  b->SetValidators(remaining, {At("c", c->listen_port())}, {{"a", reason}});
  c->SetValidators(remaining, {}, {{"a", reason}});
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Downs("a") == 1 && hc.Downs("a") == 1; }));
  EXPECT_TRUE(LogContains("p2p b: disconnected \"a\" at 127.0.0.1:"));
  EXPECT_TRUE(LogContains(": " + reason));
  EXPECT_FALSE(testing::P2pFixture::FindPeer(*b, "a").has_value());
  EXPECT_EQ(b->Peers().size(), 1u);
  EXPECT_FALSE(b->Send("a", ConsensusFrame("x")));

  // a redials (reconnect_min 20 ms) and is refused, with the reason.
  ASSERT_TRUE(RunUntil(io_, [&] {
    return b->Counters().refused_connections >= 2 && c->Counters().refused_connections >= 2;
  }));
  EXPECT_TRUE(LogContains("p2p b: refused \"a\" at 127.0.0.1:"));
  EXPECT_TRUE(LogContains("\"a\" is no longer a validator: " + reason));
  EXPECT_EQ(hb.Ups("a"), 1);
  EXPECT_EQ(hc.Ups("a"), 1);
  EXPECT_EQ(hb.Ups("c"), 1);  // b and c are unaffected
  // Repeats of one refusal are logged at 1, 2, 4, ... times.
  RunFor(io_, 300ms);
  EXPECT_LT(LogCount("p2p b: refused \"a\""), static_cast<int>(b->Counters().refused_connections));
}

// b learns that a's validator key changed: the connection made with the old certificate is
// closed and not accepted again; a restarted with a certificate for the new key gets in.
TEST_F(P2pMembershipTest, KeyRotationDisconnectsTheOldCertificate) {
  RecordingHandler ha, hb, ha2;
  auto b = StartNetwork(Options("b", {}), &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));

  const TestPki::Node rotated = pki_.Issue("a");
  std::map<std::string, Bytes> keys = ValidatorKeys();
  keys["a"] = rotated.public_key_der;
  b->SetValidators(keys, {}, {});
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Downs("a") == 1 && ha.Downs("b") == 1; }));
  EXPECT_TRUE(LogContains("changed (key rotation)"));
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 1; }));
  EXPECT_TRUE(LogContains("holds a public key that is not that validator's key"));
  EXPECT_EQ(hb.Ups("a"), 1);

  a.reset();
  nodes_["a"] = rotated;
  P2pOptions options = Options("a", {At("b", b->listen_port())});
  auto a2 = StartNetwork(options, &ha2);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 2 && ha2.Ups("b") == 1; }));
}

TEST_F(P2pMembershipTest, ObserverIsRefusedUnlessObserversAreAllowed) {
  RecordingHandler hb, ho;
  auto b = StartNetwork(Options("b", {}), &hb);
  auto o = StartNetwork(ObserverOptions("o", {At("b", b->listen_port())}), &ho);
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 1; }));
  EXPECT_TRUE(LogContains("which is not a validator (observers are not allowed)"));
  EXPECT_EQ(ho.Ups("b"), 0);
  EXPECT_FALSE(testing::P2pFixture::FindPeer(*b, "o").has_value());
}

// An observer ("o", not a validator; its id is smaller than b's, yet it dials b) follows the
// consensus broadcasts, may sync and relay transactions, but whatever it sends for consensus is
// dropped.
TEST_F(P2pMembershipTest, ObserverReceivesBroadcastsAndSyncsButCannotTakePart) {
  RecordingHandler ha, hb, ho;
  auto b = StartNetwork(AllowingObservers(Options("b", {})), &hb);
  auto a = StartNetwork(AllowingObservers(Options("a", {At("b", b->listen_port())})), &ha);
  auto o = StartNetwork(
      ObserverOptions("0bs", {At("a", a->listen_port()), At("b", b->listen_port())}), &ho);
  ASSERT_TRUE(RunUntil(io_, [&] {
    return ho.Ups("a") == 1 && ho.Ups("b") == 1 && ha.Ups("b") == 1 &&
           testing::P2pFixture::FindPeer(*b, "0bs").has_value() && InfoOf(*b, "0bs").connected;
  }));
  const PeerInfo observer = InfoOf(*b, "0bs");
  EXPECT_TRUE(observer.observer);
  EXPECT_FALSE(observer.outbound);
  EXPECT_FALSE(InfoOf(*b, "a").observer);
  EXPECT_TRUE(InfoOf(*o, "b").outbound);  // an observer dials every validator
  EXPECT_EQ(hb.Ups("0bs"), 0);            // OnPeerUp is for validators

  // Broadcast reaches validators and observers.
  EXPECT_EQ(b->Broadcast(ConsensusFrame("commit")), 2u);
  ASSERT_TRUE(RunUntil(io_, [&] { return !ho.frames.empty() && !ha.frames.empty(); }));
  EXPECT_EQ(ho.frames[0].first, "b");
  EXPECT_EQ(ho.frames[0].second.consensus().body(), "commit");

  // What the observer sends for consensus is dropped and counted; its clients'
  // transactions (gossip) and its sync requests reach the handler. Frames on one connection
  // arrive in order, so once its sync request is in, the others were handled.
  ASSERT_TRUE(o->Send("b", ConsensusFrame("fake vote")));
  ASSERT_TRUE(o->Send("b", GossipFrame("tx")));
  ASSERT_TRUE(o->Send("b", SyncRequestFrame(5)));
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.frames.size() >= 2; }));
  ASSERT_EQ(hb.frames.size(), 2u);
  EXPECT_EQ(hb.frames[0].first, "0bs");
  EXPECT_EQ(hb.frames[0].second.kind_case(), proto::Frame::kTxGossip);
  EXPECT_EQ(hb.frames[1].second.sync_request().from_height(), 5u);
  EXPECT_EQ(b->Counters().observer_frames_dropped, 1u);
  EXPECT_TRUE(LogContains("from observer \"0bs\""));

  proto::Frame response;
  response.mutable_sync_response();
  ASSERT_TRUE(b->Send("0bs", response));
  ASSERT_TRUE(RunUntil(io_, [&] { return CountKind(ho, proto::Frame::kSyncResponse) == 1; }));
  EXPECT_EQ(b->Counters().refused_connections, 0u);

  // When it goes, it is no longer listed.
  o.reset();
  ASSERT_TRUE(RunUntil(io_, [&] { return !testing::P2pFixture::FindPeer(*b, "0bs"); }));
  EXPECT_EQ(hb.Downs("0bs"), 0);
}

TEST_F(P2pMembershipTest, ObserversAreBoundedByMaxObservers) {
  RecordingHandler hb, ho1, ho2;
  auto b = StartNetwork(AllowingObservers(Options("b", {}), /*max=*/1), &hb);
  auto o1 = StartNetwork(ObserverOptions("o1", {At("b", b->listen_port())}), &ho1);
  ASSERT_TRUE(RunUntil(io_, [&] { return ho1.Ups("b") == 1; }));
  auto o2 = StartNetwork(ObserverOptions("o2", {At("b", b->listen_port())}), &ho2);
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 1; }));
  EXPECT_TRUE(LogContains("1 observers (max_observers) already connected"));
  EXPECT_EQ(ho2.Ups("b"), 0);
  // A slot frees when the first observer leaves; the second gets in on a redial.
  o1.reset();
  ASSERT_TRUE(RunUntil(io_, [&] { return ho2.Ups("b") == 1; }));
}

// An observer that is voted in keeps its connection (its certificate holds the key the vote
// names), is reported up, and its consensus frames now count.
TEST_F(P2pMembershipTest, ObserverVotedInKeepsItsConnection) {
  RecordingHandler hb, hd;
  auto b = StartNetwork(AllowingObservers(Options("b", {})), &hb);
  auto d = StartNetwork(ObserverOptions("d", {At("b", b->listen_port())}), &hd);
  ASSERT_TRUE(RunUntil(
      io_, [&] { return hd.Ups("b") == 1 && testing::P2pFixture::FindPeer(*b, "d").has_value(); }));
  std::map<std::string, Bytes> keys = ValidatorKeys();
  keys["d"] = observers_.at("d").public_key_der;
  b->SetValidators(keys, {At("d", d->listen_port())}, {});
  EXPECT_EQ(hb.Ups("d"), 1);  // reported inside SetValidators
  EXPECT_FALSE(InfoOf(*b, "d").observer);
  d->SetValidators(keys, {At("b", b->listen_port())}, {});
  ASSERT_TRUE(d->Send("b", ConsensusFrame("vote")));
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.frames.size() == 1; }));
  EXPECT_EQ(hb.frames[0].second.consensus().body(), "vote");
  EXPECT_EQ(b->Counters().observer_frames_dropped, 0u);
  EXPECT_EQ(InfoOf(*b, "d").connects, 1u);
  EXPECT_EQ(hd.Downs("b"), 0);
}

// A node voted out turns observer; a validator that is ahead and already counts it back in
// dials it, and the observer accepts that direction (it could not sync otherwise).
TEST_F(P2pMembershipTest, ObserverNodeAcceptsAValidatorThatDialsIt) {
  RecordingHandler ha, hc;
  P2pOptions c_options = Options("c", {});
  c_options.validator_keys.erase("c");  // c does not know yet that it is a validator
  auto c = StartNetwork(c_options, &hc);
  auto a = StartNetwork(Options("a", {At("c", c->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return ha.Ups("c") == 1 && hc.Ups("a") == 1; }));
  EXPECT_FALSE(InfoOf(*c, "a").observer);
}

TEST_F(P2pMembershipTest, RevokedCertificateIsRefused) {
  RecordingHandler ha, hb;
  const std::string fingerprint = Fingerprint(nodes_.at("a").cert_pem);
  ASSERT_EQ(fingerprint.size(), 64u);
  P2pOptions options = Options("b", {});
  options.revoked = {{fingerprint, "private key lost (ticket 4711)"}};
  auto b = StartNetwork(options, &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 1; }));
  EXPECT_TRUE(LogContains("certificate " + fingerprint + " of \"a\" is revoked: private key lost"));
  EXPECT_EQ(hb.Ups("a"), 0);
}

TEST_F(P2pMembershipTest, SetRevokedDisconnectsAConnectedPeer) {
  RecordingHandler ha, hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));
  const std::string fingerprint = Fingerprint(nodes_.at("a").cert_pem);
  b->SetRevoked({{fingerprint, "compromised"}});
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Downs("a") == 1; }));
  EXPECT_TRUE(LogContains("p2p b: disconnected \"a\" at 127.0.0.1:"));
  EXPECT_TRUE(LogContains("certificate " + fingerprint + " is revoked: compromised"));
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 1; }));
  EXPECT_EQ(hb.Ups("a"), 1);
  // Lifted again (a list replaces the previous one): a is back on its next redial.
  b->SetRevoked({});
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 2; }));
}

// OpenSSL's verification refuses an expired certificate of the right CA in the handshake.
TEST_F(P2pMembershipTest, ExpiredCertificateFailsTheHandshake) {
  RecordingHandler hb;
  auto b = StartNetwork(Options("b", {}), &hb);
  const TestPki::Node expired = pki_.IssueWithValidity("a", -10 * 86400, -86400);
  ASSERT_FALSE(expired.cert_pem.empty());
  std::map<std::string, Bytes> keys = ValidatorKeys();
  keys["a"] = expired.public_key_der;  // the name and the key are right; only the date is not
  b->SetValidators(keys, {}, {});
  RawTlsClient client(io_, pki_.ca_cert(), expired);
  client.Connect(b->listen_port());
  ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
  if (client.connected) {  // TLS 1.3: the client may finish before the server checks it
    client.Write(EncodeForWire(HelloFrame(kChain, "a")));
    client.ReadUntilClosed();
  }
  ASSERT_TRUE(RunUntil(io_, [&] { return b->Counters().refused_connections >= 1; }));
  RunFor(io_, 50ms);
  EXPECT_EQ(hb.Ups("a"), 0);
  EXPECT_TRUE(LogContains("p2p b: refused unidentified peer at 127.0.0.1:"));
  EXPECT_TRUE(LogContains("TLS handshake failed: certificate verify failed"));
  EXPECT_TRUE(LogContains("(certificate has expired)"));
}

TEST_F(P2pMembershipTest, CertificateExpiringWithin30DaysIsReportedAndLogged) {
  RecordingHandler ha, hb;
  nodes_["a"] = pki_.Issue("a", /*days=*/10);
  auto b = StartNetwork(Options("b", {}), &hb);
  auto a = StartNetwork(Options("a", {At("b", b->listen_port())}), &ha);
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));

  const std::vector<CertificateExpiry> at_b = b->CertificateExpiries();
  ASSERT_EQ(at_b.size(), 3u);  // own, the peer's, the CA's
  EXPECT_FALSE(at_b[0].authority);
  EXPECT_TRUE(at_b[2].authority);
  EXPECT_EQ(at_b[2].node_id, "colend test CA");
  EXPECT_EQ(at_b[2].fingerprint, Fingerprint(pki_.ca_cert()));
  EXPECT_EQ(at_b[2].not_after_unix, NotAfter(pki_.ca_cert()));
  EXPECT_EQ(at_b[0].node_id, "b");  // own first
  EXPECT_EQ(at_b[0].fingerprint, Fingerprint(nodes_.at("b").cert_pem));
  EXPECT_EQ(at_b[0].not_after_unix, NotAfter(nodes_.at("b").cert_pem));
  EXPECT_EQ(at_b[1].node_id, "a");
  EXPECT_EQ(at_b[1].fingerprint, Fingerprint(nodes_.at("a").cert_pem));
  EXPECT_EQ(at_b[1].not_after_unix, NotAfter(nodes_.at("a").cert_pem));
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  EXPECT_NEAR(static_cast<double>(at_b[1].not_after_unix - now), 10.0 * 86400, 600.0);

  // b warns about a's certificate when a connects; a about its own at Start. b's own
  // certificate (a year) is not mentioned.
  EXPECT_TRUE(LogContains("p2p b: certificate of \"a\" (SHA-256 " +
                          Fingerprint(nodes_.at("a").cert_pem) + ") expires on "));
  // Issued for 10 days a moment ago: 10 days left within the same second, else 9.
  EXPECT_TRUE(LogContains("in 10 days; renew it") || LogContains("in 9 days; renew it"));
  EXPECT_TRUE(LogContains("p2p a: certificate of \"a\" (this node; SHA-256 "));
  EXPECT_FALSE(LogContains("certificate of \"b\""));
  EXPECT_FALSE(LogContains("consortium CA certificate"));  // a year left
}

// The consortium CA's certificate is watched like a node's: 30 days before it expires (here
// the test's clock is moved to 340 days after it was made, for a year's validity) every
// node warns, because every certificate it issued stops verifying at once.
TEST_F(P2pMembershipTest, ConsortiumCaExpiringWithin30DaysIsLogged) {
  RecordingHandler hb;
  P2pOptions options = Options("b", {});
  const std::int64_t later = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() +
                             340 * 86400;
  options.now_unix_seconds = [later] { return later; };
  auto b = StartNetwork(options, &hb);
  EXPECT_TRUE(LogContains("p2p b: the consortium CA certificate \"colend test CA\" (SHA-256 " +
                          Fingerprint(pki_.ca_cert()) + ") expires on "));
  EXPECT_TRUE(LogContains("every node certificate it issued stops verifying then"));
  EXPECT_EQ(LogCount("the consortium CA certificate"), 1);  // once a day
}

// The expiry warning for one certificate is logged at most once a day, however often the peer
// reconnects (the clock is the test's).
TEST_F(P2pMembershipTest, ExpiryWarningIsLoggedOncePerDay) {
  RecordingHandler hb;
  nodes_["a"] = pki_.Issue("a", /*days=*/10);
  auto now = std::make_shared<std::atomic<std::int64_t>>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  P2pOptions options = Options("b", {});
  options.now_unix_seconds = [now] { return now->load(); };
  auto b = StartNetwork(options, &hb);
  std::vector<std::unique_ptr<RawTlsClient>> clients;
  const auto connect_a = [&] {
    clients.push_back(std::make_unique<RawTlsClient>(io_, pki_.ca_cert(), nodes_.at("a")));
    RawTlsClient& client = *clients.back();
    client.Connect(b->listen_port());
    ASSERT_TRUE(RunUntil(io_, [&] { return client.connected || client.failed; }));
    ASSERT_TRUE(client.connected);
    client.Write(EncodeForWire(HelloFrame(kChain, "a")));
    client.ReadUntilClosed();
  };
  const std::string warning = "p2p b: certificate of \"a\" (SHA-256 ";
  connect_a();
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 1; }));
  connect_a();  // replaces the first connection
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 2; }));
  EXPECT_EQ(LogCount(warning), 1);
  now->fetch_add(86400 + 1);
  connect_a();
  ASSERT_TRUE(RunUntil(io_, [&] { return hb.Ups("a") == 3; }));
  EXPECT_EQ(LogCount(warning), 2);
  EXPECT_TRUE(LogContains("in 8 days; renew it"));
}

}  // namespace
}  // namespace colend::node
