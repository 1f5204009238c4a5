// Helpers for the p2p tests: a throw-away consortium PKI (including certificates crypto/ would
// refuse to issue, such as expired ones), a recording handler, a raw TLS client that speaks
// the wire format by hand, an io_context loop with a deadline, listening ports below the
// kernel's ephemeral range, and the fixture the p2p network tests share.
#ifndef COLEND_TESTS_UNIT_NODE_P2P_P2P_TEST_UTIL_H_
#define COLEND_TESTS_UNIT_NODE_P2P_P2P_TEST_UTIL_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <random>

#include "colend/crypto/keys.h"
#include "colend/crypto/x509.h"
#include "colend/node/p2p_network.h"

namespace colend::node::testing {

// One CA and, per node id, a validator key and a certificate for it.
class TestPki {
 public:
  struct Node {
    std::string cert_pem;
    std::string key_pem;
    Bytes public_key_der;
  };

  // Valid for a year, so that no certificate but the ones a test makes short-lived comes
  // near the 30-day expiry warning.
  TestPki() : ca_key_(crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value()) {
    ca_cert_ = crypto::MakeCaCertificate(ca_key_, "colend test CA", 365).value();
  }

  const std::string& ca_cert() const { return ca_cert_; }

  // A node whose certificate is issued by this CA for a fresh key, valid for `days`.
  Node Issue(const std::string& node_id, std::uint32_t days = 365) {
    crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
    Node node;
    node.cert_pem =
        crypto::IssueNodeCertificate(ca_key_, ca_cert_, key.public_key(), node_id, days).value();
    node.key_pem = key.ToPem().value();
    node.public_key_der = key.public_key().ToDer().value();
    return node;
  }

  // A certificate for `node_id` signed by this CA but valid only from now + `from_seconds`
  // to now + `to_seconds` (negative: in the past), made with OpenSSL directly because
  // crypto/ issues no such certificate. Fails the calling test (and returns an empty node)
  // if OpenSSL fails.
  Node IssueWithValidity(const std::string& node_id, long from_seconds,  // NOLINT(runtime/int)
                         long to_seconds) {                              // NOLINT(runtime/int)
    crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
    Node node;
    node.key_pem = key.ToPem().value();
    node.public_key_der = key.public_key().ToDer().value();
    const std::string ca_key_pem = ca_key_.ToPem().value();
    BIO* ca_key_bio = BIO_new_mem_buf(ca_key_pem.data(), static_cast<int>(ca_key_pem.size()));
    EVP_PKEY* ca_key = PEM_read_bio_PrivateKey(ca_key_bio, nullptr, nullptr, nullptr);
    BIO* ca_cert_bio = BIO_new_mem_buf(ca_cert_.data(), static_cast<int>(ca_cert_.size()));
    X509* ca_cert = PEM_read_bio_X509(ca_cert_bio, nullptr, nullptr, nullptr);
    const unsigned char* der = node.public_key_der.data();
    EVP_PKEY* subject_key = d2i_PUBKEY(nullptr, &der,
                                       static_cast<long>(  // NOLINT(runtime/int)
                                           node.public_key_der.size()));
    X509* cert = X509_new();
    bool ok = ca_key != nullptr && ca_cert != nullptr && subject_key != nullptr && cert != nullptr;
    if (ok) {
      ok = X509_set_version(cert, 2) == 1 &&
           ASN1_INTEGER_set(X509_get_serialNumber(cert),
                            static_cast<long>(  // NOLINT
                                std::random_device()() & 0x7fffffff)) == 1 &&
           X509_gmtime_adj(X509_getm_notBefore(cert), from_seconds) != nullptr &&
           X509_gmtime_adj(X509_getm_notAfter(cert), to_seconds) != nullptr &&
           X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                                      reinterpret_cast<const unsigned char*>(node_id.c_str()), -1,
                                      -1, 0) == 1 &&
           X509_set_issuer_name(cert, X509_get_subject_name(ca_cert)) == 1 &&
           X509_set_pubkey(cert, subject_key) == 1 && X509_sign(cert, ca_key, EVP_sha256()) > 0;
    }
    if (ok) {
      BIO* out = BIO_new(BIO_s_mem());
      ok = PEM_write_bio_X509(out, cert) == 1;
      char* data = nullptr;
      const long size = BIO_get_mem_data(out, &data);  // NOLINT(runtime/int): OpenSSL API
      if (ok && size > 0) node.cert_pem.assign(data, static_cast<std::size_t>(size));
      BIO_free(out);
    }
    X509_free(cert);
    EVP_PKEY_free(subject_key);
    X509_free(ca_cert);
    EVP_PKEY_free(ca_key);
    BIO_free(ca_cert_bio);
    BIO_free(ca_key_bio);
    EXPECT_TRUE(ok && !node.cert_pem.empty()) << "OpenSSL could not issue the test certificate";
    return node;
  }

 private:
  crypto::PrivateKey ca_key_;
  std::string ca_cert_;
};

// Records everything the network reports.
class RecordingHandler : public P2pHandler {
 public:
  void OnPeerUp(const std::string& node_id, const proto::Hello& hello) override {
    ups.emplace_back(node_id, hello);
    ++up_count[node_id];
    if (on_up) on_up(node_id);
  }
  void OnPeerDown(const std::string& node_id) override { ++down_count[node_id]; }
  void OnFrame(const std::string& node_id, proto::Frame frame) override {
    frames.emplace_back(node_id, std::move(frame));
  }

  int Ups(const std::string& id) const {
    auto it = up_count.find(id);
    return it == up_count.end() ? 0 : it->second;
  }
  int Downs(const std::string& id) const {
    auto it = down_count.find(id);
    return it == down_count.end() ? 0 : it->second;
  }

  std::function<void(const std::string&)> on_up;  // runs inside OnPeerUp
  std::vector<std::pair<std::string, proto::Hello>> ups;
  std::map<std::string, int> up_count;
  std::map<std::string, int> down_count;
  std::vector<std::pair<std::string, proto::Frame>> frames;
};

// Lower-case hex SHA-256 of a PEM certificate's DER, computed with OpenSSL directly (not
// with the code under test). Empty if the PEM does not parse.
inline std::string Fingerprint(const std::string& cert_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  X509_free(cert);
  if (size <= 0) return {};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(size), digest);
  OPENSSL_free(der);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

// notAfter of a PEM certificate in Unix seconds, with OpenSSL directly; 0 if it fails.
inline std::int64_t NotAfter(const std::string& cert_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return 0;
  int days = 0;
  int seconds = 0;
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  const bool ok = ASN1_TIME_diff(&days, &seconds, epoch, X509_get0_notAfter(cert)) == 1;
  ASN1_TIME_free(epoch);
  X509_free(cert);
  return ok ? std::int64_t{days} * 86400 + seconds : 0;
}

// Runs `io` until `done()` or `timeout`; true if done() became true.
inline bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Runs `io` for `duration` regardless (to let things that must NOT happen have a chance).
inline void RunFor(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  RunUntil(
      io, [] { return false; }, duration);
}

// The wire form, written independently of the code under test.
inline std::string EncodeForWire(const proto::Frame& frame) {
  const std::string body = frame.SerializeAsString();
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string out;
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  return out + body;
}

inline proto::Frame HelloFrame(const std::string& chain_id, const std::string& node_id) {
  proto::Frame frame;
  frame.set_version(1);
  frame.mutable_hello()->set_chain_id(chain_id);
  frame.mutable_hello()->set_node_id(node_id);
  frame.mutable_hello()->set_protocol_version(1);
  return frame;
}

// A TLS 1.3 client driven by hand on the test's io_context. Must outlive every io run.
class RawTlsClient {
 public:
  RawTlsClient(boost::asio::io_context& io, const std::string& ca_pem, const TestPki::Node& node)
      : tls_(boost::asio::ssl::context::tls), stream_(io, Configure(tls_, ca_pem, node)) {}

  void Connect(std::uint16_t port) { ConnectFrom("", port); }

  // Connects to 127.0.0.1:port from `source` (a loopback address such as 127.0.0.2; empty:
  // the system's choice).
  void ConnectFrom(const std::string& source, std::uint16_t port) {
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    if (!source.empty()) {
      boost::system::error_code error;
      auto& socket = stream_.lowest_layer();
      socket.open(boost::asio::ip::tcp::v4(), error);
      if (!error) socket.bind({boost::asio::ip::make_address(source), 0}, error);
      if (error) {
        failed = true;
        return;
      }
    }
    stream_.lowest_layer().async_connect(endpoint, [this](const boost::system::error_code& e) {
      if (e) {
        failed = true;
        return;
      }
      stream_.async_handshake(boost::asio::ssl::stream_base::client,
                              [this](const boost::system::error_code& h) {
                                if (h) {
                                  failed = true;
                                } else {
                                  connected = true;
                                }
                              });
    });
  }

  void Write(std::string bytes) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    boost::asio::async_write(stream_, boost::asio::buffer(*data),
                             [this, data](const boost::system::error_code& e, std::size_t) {
                               if (e) write_failed = true;
                             });
  }

  // The RFC 9266 tls-exporter value of the session (label "EXPORTER-Channel-Binding", empty
  // context, 32 bytes), with OpenSSL directly; empty before the handshake completes.
  Bytes Exporter() {
    static constexpr char kLabel[] = "EXPORTER-Channel-Binding";
    Bytes out(32);
    if (SSL_export_keying_material(stream_.native_handle(), out.data(), out.size(), kLabel,
                                   sizeof(kLabel) - 1, nullptr, 0, 0) != 1) {
      return {};
    }
    return out;
  }

  // Reads (and discards) until the peer closes.
  void ReadUntilClosed() {
    stream_.async_read_some(boost::asio::buffer(buffer_),
                            [this](const boost::system::error_code& e, std::size_t) {
                              if (e) {
                                closed_by_peer = true;
                                return;
                              }
                              ReadUntilClosed();
                            });
  }

  bool connected = false;
  bool failed = false;
  bool write_failed = false;
  bool closed_by_peer = false;

 private:
  static boost::asio::ssl::context& Configure(boost::asio::ssl::context& tls,
                                              const std::string& ca_pem,
                                              const TestPki::Node& node) {
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
    tls.use_certificate(boost::asio::buffer(node.cert_pem), boost::asio::ssl::context::pem);
    tls.use_private_key(boost::asio::buffer(node.key_pem), boost::asio::ssl::context::pem);
    tls.add_certificate_authority(boost::asio::buffer(ca_pem));
    tls.set_verify_mode(boost::asio::ssl::verify_peer);
    return tls;
  }

  boost::asio::ssl::context tls_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  std::array<char, 16 * 1024> buffer_{};
};

// Creates and starts a network listening on a random 127.0.0.1 port in [20000, 32000), below
// the kernel's ephemeral range (32768+) where outgoing connections take their ports; tries
// another port if that one is taken. Null (and a test failure) if nothing works.
inline std::unique_ptr<P2pNetwork> StartOnLowPort(boost::asio::io_context& io, P2pOptions options,
                                                  P2pHandler* handler,
                                                  std::function<std::uint64_t()> best_height) {
  static std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (attempt > 0 || options.listen_port == 0) {
      options.listen_port = static_cast<std::uint16_t>(20000 + rng() % 12000);
    }
    Result<std::unique_ptr<P2pNetwork>> network =
        P2pNetwork::Create(io, options, handler, best_height);
    if (!network.ok()) {
      ADD_FAILURE() << network.status();
      return nullptr;
    }
    const Status started = (*network)->Start();
    if (started.ok()) return std::move(network).value();
    if (started.code() != StatusCode::kIoError) {
      ADD_FAILURE() << started;
      return nullptr;
    }
  }
  ADD_FAILURE() << "no free port below 32768";
  return nullptr;
}

// Nodes "a", "b", "c" of one test CA, their options, a log captured in memory.
class P2pFixture : public ::testing::Test {
 protected:
  static constexpr char kChain[] = "colend-test";

  void SetUp() override {
    sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096);
    previous_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("p2p-test", sink_));
    spdlog::set_level(spdlog::level::info);
    for (const char* id : {"a", "b", "c"}) nodes_[id] = pki_.Issue(id);
  }
  void TearDown() override { spdlog::set_default_logger(previous_logger_); }

  // The keys of nodes_ (every node a test issued and did not leave out).
  std::map<std::string, Bytes> ValidatorKeys() const {
    std::map<std::string, Bytes> keys;
    for (const auto& [id, node] : nodes_) keys[id] = node.public_key_der;
    return keys;
  }

  P2pOptions Options(const std::string& self, const std::vector<PeerEndpoint>& peers) const {
    P2pOptions options;
    options.chain_id = kChain;
    options.self_id = self;
    options.listen_host = "127.0.0.1";
    options.peers = peers;
    options.ca_cert_pem = pki_.ca_cert();
    options.cert_pem = nodes_.at(self).cert_pem;
    options.key_pem = nodes_.at(self).key_pem;
    options.validator_keys = ValidatorKeys();
    options.max_frame_bytes = 1 << 20;
    options.max_send_queue_bytes = 4 << 20;
    options.reconnect_min = std::chrono::milliseconds(20);
    options.reconnect_max = std::chrono::milliseconds(200);
    options.handshake_timeout = std::chrono::milliseconds(3000);
    options.ping_interval = std::chrono::milliseconds(200);
    options.idle_timeout = std::chrono::milliseconds(5000);
    return options;
  }

  std::unique_ptr<P2pNetwork> StartNetwork(P2pOptions options, RecordingHandler* handler) {
    return StartOnLowPort(io_, std::move(options), handler, [] { return std::uint64_t{7}; });
  }

  bool LogContains(const std::string& text) const { return LogCount(text) > 0; }

  int LogCount(const std::string& text) const {
    int count = 0;
    for (const std::string& line : sink_->last_formatted()) {
      if (line.find(text) != std::string::npos) ++count;
    }
    return count;
  }

  // The peer `id` as `network` lists it; nullopt if it does not.
  static std::optional<PeerInfo> FindPeer(const P2pNetwork& network, const std::string& id) {
    for (const PeerInfo& info : network.Peers()) {
      if (info.node_id == id) return info;
    }
    return std::nullopt;
  }

  static PeerInfo InfoOf(const P2pNetwork& network, const std::string& id) {
    std::optional<PeerInfo> info = FindPeer(network, id);
    if (!info.has_value()) {
      ADD_FAILURE() << "no peer " << id;
      return {};
    }
    return *info;
  }

  static PeerEndpoint At(const std::string& id, std::uint16_t port) {
    return PeerEndpoint{id, "127.0.0.1", port};
  }

  // Declared first: destroyed last, after every object with handlers on it.
  boost::asio::io_context io_;
  TestPki pki_;
  std::map<std::string, TestPki::Node> nodes_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_logger_;
};

}  // namespace colend::node::testing

#endif  // COLEND_TESTS_UNIT_NODE_P2P_P2P_TEST_UTIL_H_
