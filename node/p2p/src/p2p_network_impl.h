// P2pNetwork::Impl, shared by p2p_network.cc (listening, dialing, frames) and
// p2p_membership.cc (who is admitted: the validator set, observers, revocation, certificate
// expiry). Internal to colend_node_p2p.
#ifndef COLEND_NODE_P2P_SRC_P2P_NETWORK_IMPL_H_
#define COLEND_NODE_P2P_SRC_P2P_NETWORK_IMPL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "certificates.h"
#include "colend/node/p2p_network.h"
#include "connection.h"
#include "frame_codec.h"

namespace colend::node {

// Whether peers prove their validator key by the Hello's channel binding (an "sm" chain,
// whose certificates hold P-256 transport keys) rather than by the certificate's key.
inline bool BindsByHello(crypto::CryptoSuite suite) {
  return suite == crypto::CryptoSuite::Sm();
}

// Ownership: shared by the P2pNetwork and every pending handler (which hold it through
// shared_from_this or a weak_ptr). Thread safety: io thread only, except what Peers,
// Counters and CertificateExpiries read under mutex_.
class P2pNetwork::Impl : public internal::ConnectionOwner,
                         public std::enable_shared_from_this<P2pNetwork::Impl> {
 public:
  Impl(boost::asio::io_context& io, P2pOptions options, P2pHandler* handler,
       std::function<std::uint64_t()> best_height, internal::PeerCertificate own_certificate);

  // Builds the TLS context from the options and `key_pem` (which the options no longer hold).
  Status Init(const std::string& key_pem);
  Status Start();
  void Stop();
  std::uint16_t listen_port() const { return port_.load(std::memory_order_relaxed); }
  bool Send(const std::string& node_id, const proto::Frame& frame);
  void Penalize(const std::string& node_id, std::chrono::milliseconds bar,
                const std::string& reason);
  std::size_t Broadcast(const proto::Frame& frame);
  void SetValidators(std::map<std::string, Bytes> validator_keys, std::vector<PeerEndpoint> peers,
                     std::map<std::string, std::string> removed);
  void SetRevoked(std::map<std::string, std::string> fingerprint_to_reason);
  std::vector<PeerInfo> Peers() const;
  P2pCounters Counters() const;
  std::vector<CertificateExpiry> CertificateExpiries() const;
  std::size_t key_pem_bytes() const { return options_.key_pem.size(); }  // test-only

  // ConnectionOwner:
  Status CheckPeerCertificate(const internal::Connection& connection) override;
  internal::EncodedFrame MakeHello(const internal::Connection& connection) override;
  Status OnHello(const std::shared_ptr<internal::Connection>& connection,
                 const proto::Hello& hello) override;
  void OnConnectionFrame(const std::shared_ptr<internal::Connection>& connection,
                         proto::Frame frame) override;
  void OnConnectionClosed(const std::shared_ptr<internal::Connection>& connection,
                          internal::CloseKind kind, const std::string& reason) override;

 private:
  // A current validator other than self (it exists connected or not), or a connected
  // observer (it exists while its connection does).
  struct Peer {
    PeerEndpoint endpoint;
    bool observer = false;
    bool dial = false;
    // This node has the peer's endpoint but the peer (the smaller id) is the one that
    // dials: it dials too, but only after the peer had time to (FallbackDelay), so a peer
    // that has no endpoint for this node (a validator that joined later) is still reached.
    bool fallback = false;
    std::shared_ptr<internal::Connection> up;       // the connection frames flow on, if any
    std::shared_ptr<internal::Connection> dialing;  // an outbound attempt not yet up
    std::unique_ptr<boost::asio::steady_timer> redial_timer;
    std::uint32_t failed_dials = 0;
    proto::Hello hello;  // the last Hello (reported again if an observer becomes a validator)
    std::shared_ptr<internal::PeerCounters> counters;
    PeerInfo info;  // fields other than counters; guarded by mutex_
    std::optional<CertificateExpiry>
        certificate;  // the last one it connected with; guarded by mutex_
  };
  enum class Role { kValidator, kObserver };

  // p2p_network.cc
  void Accept();
  void OnAcceptError(const boost::system::error_code& error);
  // Stops counting `connection` as handshaking (it is up, or closed).
  void ForgetHandshake(const std::shared_ptr<internal::Connection>& connection);
  void Dial(const std::string& node_id);
  void ScheduleDial(const std::string& node_id);
  bool SendEncoded(Peer& peer, const internal::EncodedFrame& frame);
  void CountDrop(Peer& peer, const std::string& why);
  void LogRefusal(const std::string& who, const std::string& address, const std::string& reason);

  // p2p_membership.cc
  // Who may connect (the file comment's rules 1-5), for the TLS check and again at Hello.
  Result<Role> Admit(const internal::Connection& connection) const;
  // sm chains: OK if `hello`, received on `connection`, carries a channel binding that
  // verifies under `validator_key` (DER); PermissionDenied naming why otherwise.
  Status CheckBinding(const internal::Connection& connection, const proto::Hello& hello,
                      const Bytes& validator_key) const;
  // Whether the connection `peer` is up on proves the validator key `key`: its certificate
  // holds it (standard), or its Hello's channel binding verifies under it (sm).
  bool HoldsValidatorKey(const Peer& peer, const Bytes& key) const;
  // Creates the entry of `node_id` (under mutex_).
  Peer& AddPeer(const std::string& node_id, bool observer);
  // Endpoints and dial flags of every validator entry from `peers` (SetValidators, Create).
  void AssignEndpoints(const std::vector<PeerEndpoint>& peers);
  // Closes `node_id`'s connections (OnPeerDown for a validator that was up) and removes its
  // entry, logging `reason`.
  void DropPeer(const std::string& node_id, const std::string& reason);
  // Closes `node_id`'s up connection with `reason`, keeping the entry (it may reconnect).
  void Disconnect(const std::string& node_id, const std::string& reason);
  std::size_t ObserverCount() const;
  std::int64_t NowUnix() const;
  // The days `certificate` has left if a warning about it is due now (within 30 days of its
  // notAfter, and not logged in the last day; the time is recorded), else nullopt.
  std::optional<std::int64_t> ExpiryWarningDue(const CertificateExpiry& certificate);
  // Warns (once a day per certificate) if `certificate` expires within 30 days.
  void CheckExpiry(const CertificateExpiry& certificate, bool own);
  // The same for the consortium CA's certificate (ca_certificate_), if it was readable.
  void CheckAuthorityExpiry();
  // The periodic check: own certificate, every connected peer's; then re-arms the timer.
  void CheckCertificates();
  void ArmCertificateTimer();

  boost::asio::io_context& io_;
  const P2pOptions options_;
  P2pHandler* const handler_;
  const std::function<std::uint64_t()> best_height_;
  const CertificateExpiry own_certificate_;
  // The consortium CA's certificate (options_.ca_cert_pem); nullopt if it does not parse
  // (then TLS refuses every peer anyway).
  std::optional<CertificateExpiry> ca_certificate_;
  const Bytes own_public_key_;
  internal::ConnectionLimits limits_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::uint16_t> port_{0};
  bool started_ = false;
  bool stopped_ = false;
  // The admission state; io thread only.
  std::map<std::string, Bytes> validators_;     // SetValidators
  bool self_validator_ = false;                 // self_id is a key of validators_
  std::map<std::string, std::string> removed_;  // node id -> why it was removed
  std::map<std::string, std::string> revoked_;  // fingerprint -> why it is revoked
  std::map<std::string, std::chrono::steady_clock::time_point> barred_until_;  // Penalize
  // Validators and observers by id. The io thread changes the map's shape and Peer::info /
  // Peer::certificate under mutex_; Peers() and CertificateExpiries() read them under mutex_
  // from any thread; the io thread reads without it.
  std::map<std::string, Peer> peers_;
  // Inbound connections not yet through TLS + Hello, with their IP address; io thread only.
  std::map<std::shared_ptr<internal::Connection>, std::string> handshaking_;
  std::map<std::string, std::size_t> handshaking_by_ip_;  // io thread only
  boost::asio::steady_timer accept_backoff_timer_{io_};
  boost::asio::steady_timer certificate_timer_{io_};
  std::chrono::milliseconds accept_backoff_{0};
  std::uint64_t accept_failures_ = 0;     // io thread only; for log rate limiting
  std::uint64_t refused_handshakes_ = 0;  // io thread only; for log rate limiting
  std::uint64_t observer_drops_ = 0;      // io thread only; for log rate limiting
  // Refusals by "who: reason", for log rate limiting; io thread only, cleared when large.
  std::map<std::string, std::uint64_t> refusals_;
  // Fingerprint -> when its expiry was last logged (Unix seconds); io thread only.
  std::map<std::string, std::int64_t> expiry_logged_;
  mutable std::mutex mutex_;
  P2pCounters counters_;  // guarded by mutex_
};

}  // namespace colend::node

#endif  // COLEND_NODE_P2P_SRC_P2P_NETWORK_IMPL_H_
