// P2pNetwork::Create validation: fast, no sockets opened except in the Start tests (and the
// one handshake that shows TLS holds the key the options no longer do).
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "colend/node/p2p_network.h"
#include "p2p_test_util.h"

namespace colend::node {
namespace {

using testing::RecordingHandler;
using testing::TestPki;

class P2pOptionsTest : public ::testing::Test {
 protected:
  P2pOptionsTest() : a_(pki_.Issue("a")), b_(pki_.Issue("b")) {}

  P2pOptions Valid() const {
    P2pOptions options;
    options.chain_id = "colend-test";
    options.self_id = "a";
    options.listen_host = "127.0.0.1";
    options.peers = {PeerEndpoint{"b", "127.0.0.1", 1}};
    options.ca_cert_pem = pki_.ca_cert();
    options.cert_pem = a_.cert_pem;
    options.key_pem = a_.key_pem;
    options.validator_keys = {{"a", a_.public_key_der}, {"b", b_.public_key_der}};
    return options;
  }

  StatusCode CreateCode(P2pOptions options) {
    Result<std::unique_ptr<P2pNetwork>> network =
        P2pNetwork::Create(io_, std::move(options), &handler_, nullptr);
    return network.status().code();
  }

  boost::asio::io_context io_;
  TestPki pki_;
  TestPki::Node a_;
  TestPki::Node b_;
  RecordingHandler handler_;
};

TEST_F(P2pOptionsTest, ValidOptionsCreate) {
  EXPECT_EQ(CreateCode(Valid()), StatusCode::kOk);
}

TEST_F(P2pOptionsTest, NullHandlerIsRefused) {
  EXPECT_EQ(P2pNetwork::Create(io_, Valid(), nullptr, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

// A node outside the validator set runs as an observer; its certificate must still name it.
// It dials the validators it has endpoints for; a listed peer that is no validator is
// ignored (with a warning), never a reason not to start: node.toml may list a validator
// that governance has removed since.
TEST_F(P2pOptionsTest, SelfOutsideTheValidatorSetIsAnObserver) {
  P2pOptions options = Valid();
  options.validator_keys.erase("a");
  EXPECT_EQ(CreateCode(options), StatusCode::kOk);
  options.peers = {PeerEndpoint{"b", "", 0}};  // known, not dialled
  EXPECT_EQ(CreateCode(options), StatusCode::kOk);
  options.peers = {PeerEndpoint{"x", "127.0.0.1", 1}};
  EXPECT_EQ(CreateCode(options), StatusCode::kOk);
  options = Valid();
  options.validator_keys.erase("a");
  options.cert_pem = b_.cert_pem;
  options.key_pem = b_.key_pem;
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
}

TEST_F(P2pOptionsTest, RevokedFingerprintsAreSha256Hex) {
  P2pOptions options = Valid();
  options.revoked = {{std::string(64, 'A'), "compromised"}, {std::string(64, '0'), "lost"}};
  EXPECT_EQ(CreateCode(options), StatusCode::kOk);
  options.revoked = {{"AB:CD", "compromised"}};
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
}

TEST_F(P2pOptionsTest, OwnCertificateMustNameSelfWithTheValidatorKey) {
  P2pOptions wrong_name = Valid();
  wrong_name.cert_pem = b_.cert_pem;
  wrong_name.key_pem = b_.key_pem;
  EXPECT_EQ(CreateCode(wrong_name), StatusCode::kInvalidArgument);
  P2pOptions wrong_key = Valid();
  wrong_key.validator_keys["a"] = b_.public_key_der;
  EXPECT_EQ(CreateCode(wrong_key), StatusCode::kInvalidArgument);
  P2pOptions mismatched_private_key = Valid();
  mismatched_private_key.key_pem = b_.key_pem;
  EXPECT_EQ(CreateCode(mismatched_private_key), StatusCode::kInvalidArgument);
  P2pOptions other_ca = Valid();
  other_ca.ca_cert_pem = TestPki().ca_cert();
  EXPECT_EQ(CreateCode(other_ca), StatusCode::kPermissionDenied);
}

TEST_F(P2pOptionsTest, DialledPeerNeedsAnEndpoint) {
  P2pOptions options = Valid();
  options.peers = {PeerEndpoint{"b", "", 0}};
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
  options.peers = {PeerEndpoint{"x", "127.0.0.1", 1}};  // not a validator: ignored
  EXPECT_EQ(CreateCode(options), StatusCode::kOk);
}

TEST_F(P2pOptionsTest, BoundsAndTimeoutsAreChecked) {
  P2pOptions options = Valid();
  options.reconnect_min = std::chrono::milliseconds(10);
  options.reconnect_max = std::chrono::milliseconds(5);
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
  options = Valid();
  options.max_send_queue_bytes = options.max_frame_bytes - 1;
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
  options = Valid();
  options.handshake_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
  options = Valid();
  options.chain_id.clear();
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
}

// OpenSSL 3.0's TLS refuses SM2 certificates ("unknown certificate type"), so an sm chain's
// certificates hold P-256 transport keys and the SM2 validator key binds each connection
// (docs/sm.md): without that key, or with one that is not this validator's, the network
// refuses to start; a standard chain never takes one.
TEST_F(P2pOptionsTest, SmSuiteNeedsTheValidatorKeyThatBindsTheTransport) {
  auto sm_a = std::make_shared<const crypto::PrivateKey>(
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value());
  auto sm_b = std::make_shared<const crypto::PrivateKey>(
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value());
  P2pOptions sm = Valid();
  sm.suite = crypto::CryptoSuite::Sm();
  sm.validator_keys = {{"a", sm_a->public_key().ToDer().value()},
                       {"b", sm_b->public_key().ToDer().value()}};
  P2pOptions options = sm;
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);  // no binding key
  options.binding_key = sm_a;
  EXPECT_EQ(CreateCode(options), StatusCode::kOk);
  options.binding_key = sm_b;  // another validator's key
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);
  options.binding_key = std::make_shared<const crypto::PrivateKey>(
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value());
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);  // not an SM2 key
  options = Valid();
  options.binding_key = sm_a;
  EXPECT_EQ(CreateCode(options), StatusCode::kInvalidArgument);  // standard: never
}

TEST_F(P2pOptionsTest, StartTwiceFails) {
  P2pOptions options = Valid();
  options.peers.clear();
  Result<std::unique_ptr<P2pNetwork>> network =
      P2pNetwork::Create(io_, options, &handler_, nullptr);
  ASSERT_TRUE(network.ok()) << network.status();
  EXPECT_EQ((*network)->listen_port(), 0);
  network->reset();
  std::unique_ptr<P2pNetwork> started = testing::StartOnLowPort(io_, options, &handler_, nullptr);
  ASSERT_NE(started, nullptr);
  EXPECT_NE(started->listen_port(), 0);
  EXPECT_LT(started->listen_port(), 32768);
  EXPECT_EQ(started->Start().code(), StatusCode::kFailedPrecondition);
  started->Stop();
  started->Stop();
  EXPECT_EQ(started->Start().code(), StatusCode::kFailedPrecondition);
}

// The options a network keeps for its lifetime hold no private key PEM once TLS has the key
// (Create moves the text out and wipes it: WipeOnExit, tests/unit/crypto/secret_test.cc),
// yet the started network completes a TLS handshake with that key.
TEST_F(P2pOptionsTest, KeyPemIsNotKeptOnceTlsHoldsTheKey) {
  P2pOptions options = Valid();
  ASSERT_GT(options.key_pem.size(), 100u);
  std::unique_ptr<P2pNetwork> network = testing::StartOnLowPort(io_, options, &handler_, nullptr);
  ASSERT_NE(network, nullptr);
  EXPECT_EQ(network->KeyPemBytesHeldForTest(), 0u);

  testing::RawTlsClient client(io_, pki_.ca_cert(), b_);
  client.Connect(network->listen_port());
  ASSERT_TRUE(testing::RunUntil(io_, [&] { return client.connected || client.failed; }));
  EXPECT_TRUE(client.connected);
  EXPECT_EQ(network->KeyPemBytesHeldForTest(), 0u);
  network->Stop();
}

}  // namespace
}  // namespace colend::node
