// Hostile peers against a real node over p2p (hostile_fixture.h): bad TLS, certificates,
// Hellos and frames, each refused with the connection closed; then, last in the suite, the
// chain kept going all along and the four nodes agree.
#include "hostile_fixture.h"

#include "colend/testutil/rpc_client.h"

namespace colend::e2e {
namespace {

// --- p2p abuse ----------------------------------------------------------------------------

// A TLS client (OpenSSL, blocking, reads bounded by a deadline) speaking the p2p framing.
class TlsPeer {
 public:
  ~TlsPeer() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }

  // Connects to 127.0.0.1:port and runs the TLS handshake, presenting cert_pem / key_pem
  // unless they are empty. False if the handshake failed (the node refused at once).
  bool Connect(std::uint16_t port, const std::string& cert_pem, const std::string& key_pem,
               int max_version = TLS1_3_VERSION) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    if (!cert_pem.empty()) {
      BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
      X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
      BIO_free(cert_bio);
      BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
      EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
      BIO_free(key_bio);
      EXPECT_TRUE(cert != nullptr && key != nullptr);
      SSL_CTX_use_certificate(ctx_, cert);
      SSL_CTX_use_PrivateKey(ctx_, key);
      X509_free(cert);
      EVP_PKEY_free(key);
    }
    fd_ = Connect0(port);
    if (fd_ < 0) return false;
    timeval tv{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      const int r = SSL_connect(ssl_);
      if (r == 1) return true;
      const int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return false;
    }
    return false;
  }

  bool Write(std::string_view bytes) {
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }

  bool WriteFrame(proto::Frame frame) {
    if (frame.version() == 0) frame.set_version(1);
    const std::string body = frame.SerializeAsString();
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((body.size() >> (24 - 8 * i)) & 0xff);
    return Write(out + body);
  }

  // The next frame from the node, or nullopt if the connection closed or none came in time.
  std::optional<proto::Frame> ReadFrame(int timeout_ms = 10000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      if (in_.size() >= 4) {
        std::size_t n = 0;
        for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(in_[i]);
        if (in_.size() >= 4 + n) {
          proto::Frame frame;
          frame.ParseFromString(in_.substr(4, n));
          in_.erase(0, 4 + n);
          return frame;
        }
      }
      if (ReadSome() == 0) return std::nullopt;
    }
    return std::nullopt;
  }

  // Reads (and drops) whatever comes until the node closes the connection: true if it did
  // within timeout_ms.
  bool WaitClosed(int timeout_ms = 10000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      if (ReadSome() == 0) return true;
      in_.clear();
    }
    return false;
  }

 private:
  static int Connect0(std::uint16_t port) { return e2e::Connect(port); }

  // Bytes read into in_; 0 when the connection is closed (or failed); -1 on a timeout.
  int ReadSome() {
    char buf[16384];
    const int r = SSL_read(ssl_, buf, sizeof buf);
    if (r > 0) {
      in_.append(buf, static_cast<std::size_t>(r));
      return r;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return -1;
    if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
    ERR_clear_error();
    return 0;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::string in_;
};

struct Credentials {
  std::string cert_pem;
  std::string key_pem;
};

// A fresh key and a certificate for `node_id` issued by the CA whose key and certificate
// are given.
Credentials Issue(const std::string& ca_key_pem, const std::string& ca_cert_pem,
                  const std::string& node_id) {
  const crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  Result<crypto::PrivateKey> ca_key = crypto::PrivateKey::FromPem(suite, ca_key_pem);
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(suite);
  EXPECT_TRUE(ca_key.ok() && key.ok());
  Result<std::string> cert =
      crypto::IssueNodeCertificate(*ca_key, ca_cert_pem, key->public_key(), node_id, 30);
  EXPECT_TRUE(cert.ok()) << cert.status();
  Result<std::string> key_pem = key->ToPem();
  return {cert.value_or(""), key_pem.value_or("")};
}

proto::Frame HelloFrame(const std::string& chain_id, const std::string& node_id) {
  proto::Frame frame;
  frame.mutable_hello()->set_chain_id(chain_id);
  frame.mutable_hello()->set_node_id(node_id);
  frame.mutable_hello()->set_protocol_version(1);
  return frame;
}

TEST_F(HostileE2eTest, P2pAbuseIsRefusedAndTheConnectionClosed) {
  const std::uint16_t p2p = net_->bank(kTarget).p2p_port;
  ASSERT_NE(p2p, 0);
  const std::string ca_key = testutil::ReadFile(net_->root() + "/ca/ca.key.pem");
  const std::string ca_cert = testutil::ReadFile(net_->root() + "/ca/ca.crt.pem");
  const std::string chain = net_->chain_id();
  // Credentials a stranger could not have: a certificate for MALLORY from the consortium CA
  // (an observer as far as the node can tell), one from another CA, one for a validator's id
  // with a key that is not that validator's.
  const Credentials mallory = Issue(ca_key, ca_cert, "MALLORY");
  Result<crypto::PrivateKey> other_ca_key =
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard());
  ASSERT_TRUE(other_ca_key.ok());
  Result<std::string> other_ca = crypto::MakeCaCertificate(*other_ca_key, "other CA", 30);
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  const Credentials foreign = Issue(*other_ca_key->ToPem(), *other_ca, "MALLORY");
  const std::string victim = net_->bank(1).node_id;
  const Credentials impostor = Issue(ca_key, ca_cert, victim);
  const std::string self = net_->bank(kTarget).node_id;

  struct P2pCase {
    std::string name;
    std::function<bool()> run;  // true if the node closed the connection as it should
    std::string logged;         // what node 0's log says about it
  };
  const std::vector<P2pCase> cases = {
      {"random bytes instead of TLS",
       [&] {
         const int fd = Connect(p2p);
         std::string junk(4096, '\0');
         for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 7 + 3);
         SendAll(fd, junk);
         const bool closed = TcpClosedWithin(fd, 10000);
         ::close(fd);
         return closed;
       },
       "refused unidentified peer at 127.0.0.1"},
      {"an HTTP request on the p2p port",
       [&] {
         const int fd = Connect(p2p);
         SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
         const bool closed = TcpClosedWithin(fd, 10000);
         ::close(fd);
         return closed;
       },
       "TLS handshake failed"},
      {"TLS without a client certificate",
       [&] {
         TlsPeer peer;
         return !peer.Connect(p2p, "", "") || peer.WaitClosed();
       },
       "peer did not return a certificate"},
      {"a certificate from another CA",
       [&] {
         TlsPeer peer;
         return !peer.Connect(p2p, foreign.cert_pem, foreign.key_pem) || peer.WaitClosed();
       },
       "certificate verify failed"},
      {"TLS 1.2",
       [&] {
         TlsPeer peer;
         return !peer.Connect(p2p, mallory.cert_pem, mallory.key_pem, TLS1_2_VERSION) ||
                peer.WaitClosed();
       },
       "unsupported protocol"},
      {"a validator's name with another key",
       [&] {
         TlsPeer peer;
         return !peer.Connect(p2p, impostor.cert_pem, impostor.key_pem) || peer.WaitClosed();
       },
       "certificate for \"" + victim + "\" holds a public key that is not that validator's key"},
      {"a frame length over the Hello limit before the Hello",
       [&] {
         TlsPeer peer;
         if (!peer.Connect(p2p, mallory.cert_pem, mallory.key_pem)) return false;
         peer.Write(std::string("\x7f\xff\xff\xff", 4));
         return peer.WaitClosed();
       },
       "frame length 2147483647 exceeds the maximum of 262144"},
      {"a first frame that is not a Hello",
       [&] {
         TlsPeer peer;
         if (!peer.Connect(p2p, mallory.cert_pem, mallory.key_pem)) return false;
         proto::Frame ping;
         ping.mutable_ping()->set_nonce(1);
         peer.WriteFrame(ping);
         return peer.WaitClosed();
       },
       "first frame is not a Hello"},
      {"a Hello for another chain",
       [&] {
         TlsPeer peer;
         if (!peer.Connect(p2p, mallory.cert_pem, mallory.key_pem)) return false;
         peer.WriteFrame(HelloFrame("wrong-chain", "MALLORY"));
         return peer.WaitClosed();
       },
       "Hello is for chain \"wrong-chain\""},
      {"a Hello naming another node than the certificate",
       [&] {
         TlsPeer peer;
         if (!peer.Connect(p2p, mallory.cert_pem, mallory.key_pem)) return false;
         peer.WriteFrame(HelloFrame(chain, victim));
         return peer.WaitClosed();
       },
       "Hello names \"" + victim + "\""},
      {"garbage after a valid Hello",
       [&] {
         TlsPeer peer;
         if (!peer.Connect(p2p, mallory.cert_pem, mallory.key_pem)) return false;
         peer.WriteFrame(HelloFrame(chain, "MALLORY"));
         const std::optional<proto::Frame> hello = peer.ReadFrame();  // the node's Hello
         if (!hello.has_value() || !hello->has_hello()) return false;
         peer.Write(std::string("\x00\x00\x00\x08\xff\xff\xff\xff\xff\xff\xff\xff", 12));
         return peer.WaitClosed();
       },
       "closed \"MALLORY\" at 127.0.0.1"},
  };
  ASSERT_GE(cases.size(), 10u);
  for (const P2pCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(c.run()) << "the node did not close the connection";
  }
  const std::string log = net_->Log(kTarget);
  for (const P2pCase& c : cases) {
    EXPECT_NE(log.find(c.logged), std::string::npos) << c.name << ": no \"" << c.logged << "\"";
  }

  // An observer (a stranger with a consortium certificate) is admitted read-only: its
  // consensus frames are dropped and counted, and it stays connected.
  {
    TlsPeer observer;
    ASSERT_TRUE(observer.Connect(p2p, mallory.cert_pem, mallory.key_pem));
    observer.WriteFrame(HelloFrame(chain, "MALLORY"));
    const std::optional<proto::Frame> hello = observer.ReadFrame();
    ASSERT_TRUE(hello.has_value() && hello->has_hello());
    EXPECT_EQ(hello->hello().node_id(), self);
    proto::Frame consensus;
    consensus.mutable_consensus()->set_sender("MALLORY");
    consensus.mutable_consensus()->set_body("not a consensus message");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(observer.WriteFrame(consensus));
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [] {
          return net_->Log(kTarget).find("dropped a consensus frame from observer \"MALLORY\"") !=
                 std::string::npos;
        },
        10000));
    EXPECT_FALSE(observer.WaitClosed(500));  // still up

    // It may ask for blocks, and is answered.
    proto::Frame ask;
    ask.mutable_sync_request()->set_from_height(1);
    ask.mutable_sync_request()->set_max_blocks(2);
    ASSERT_TRUE(observer.WriteFrame(ask));
    bool answered = false;
    for (int i = 0; i < 200 && !answered; ++i) {
      const std::optional<proto::Frame> frame = observer.ReadFrame();
      if (!frame.has_value()) break;
      answered = frame->has_sync_response() && frame->sync_response().blocks_size() > 0;
    }
    EXPECT_TRUE(answered) << "no sync_response with blocks";

    // A flood of sync requests, never read: the node serves one of a peer's requests at a
    // time and drops the rest, so neither its queue nor its event loop is taken over.
    for (int i = 0; i < 20000; ++i) {
      if (!observer.WriteFrame(ask)) break;
    }
    const std::uint64_t flooded_at = net_->Height(kTarget);
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [] {
          const testutil::HttpReply metrics =
              testutil::HttpCall("127.0.0.1", net_->bank(kTarget).rpc_port, "GET", "/metrics", "");
          const std::size_t at = metrics.body.find("\ncolend_sync_requests_dropped_total ");
          return at != std::string::npos && std::stoull(metrics.body.substr(at + 36)) > 1000;
        },
        20000));
    EXPECT_TRUE(
        LocalNetwork::WaitUntil([&] { return net_->Height(kTarget) > flooded_at + 2; }, 30000));
  }

  // Half-open TCP: 20 connections that never start TLS are all closed by the handshake
  // deadline, and the chain goes on meanwhile.
  const std::uint64_t before = net_->Height(kTarget);
  std::vector<int> half_open;
  for (int i = 0; i < 20; ++i) {
    const int fd = Connect(p2p, "127.0.0.3");
    ASSERT_GE(fd, 0);
    half_open.push_back(fd);
  }
  for (int fd : half_open) {
    EXPECT_TRUE(TcpClosedWithin(fd, 15000));
    ::close(fd);
  }
  EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return net_->Height(kTarget) > before; }, 30000));
}

// Last: the chain kept committing all along, and the four nodes agree. (Run alone, as ctest
// runs each test in its own process with its own network, it waits for the load to commit.)
TEST_F(HostileE2eTest, ZzTheChainKeptGoingAndTheNodesAgree) {
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] { return load_admitted_.load() > 10 && net_->Height(kTarget) > start_height_ + 5; },
      30000))
      << load_admitted_.load() << " load transactions admitted, height " << net_->Height(kTarget)
      << " from " << start_height_;
  stop_load_ = true;
  load_->join();
  delete load_;
  load_ = nullptr;
  for (std::size_t i = 0; i < net_->size(); ++i) EXPECT_TRUE(net_->running(i)) << i;
  std::vector<json::value> infos(net_->size());
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        for (std::size_t i = 0; i < net_->size(); ++i) infos[i] = net_->Result(i, "getNodeInfo");
        for (std::size_t i = 0; i < net_->size(); ++i) {
          if (!infos[i].is_object() ||
              infos[i].at("executed_height") != infos[0].at("executed_height")) {
            return false;
          }
        }
        return true;
      },
      30000));
  for (std::size_t i = 1; i < net_->size(); ++i) {
    EXPECT_EQ(infos[i].at("state_root"), infos[0].at("state_root")) << net_->bank(i).id;
  }
}

}  // namespace
}  // namespace colend::e2e
