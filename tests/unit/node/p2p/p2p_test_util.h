// Helpers for the p2p tests: a throw-away consortium PKI, a recording handler, a raw TLS
// client that speaks the wire format by hand, and an io_context loop with a deadline.
#ifndef COLEND_TESTS_UNIT_NODE_P2P_P2P_TEST_UTIL_H_
#define COLEND_TESTS_UNIT_NODE_P2P_P2P_TEST_UTIL_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

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

  TestPki() : ca_key_(crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value()) {
    ca_cert_ = crypto::MakeCaCertificate(ca_key_, "colend test CA", 30).value();
  }

  const std::string& ca_cert() const { return ca_cert_; }

  // A node whose certificate is issued by this CA for `key` (a fresh key by default).
  Node Issue(const std::string& node_id) {
    crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
    Node node;
    node.cert_pem =
        crypto::IssueNodeCertificate(ca_key_, ca_cert_, key.public_key(), node_id, 30).value();
    node.key_pem = key.ToPem().value();
    node.public_key_der = key.public_key().ToDer().value();
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

}  // namespace colend::node::testing

#endif  // COLEND_TESTS_UNIT_NODE_P2P_P2P_TEST_UTIL_H_
