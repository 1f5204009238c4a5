// P2pNetwork: the authenticated, framed connections between the nodes of one chain: the
// validators, and (optionally) observers that follow the chain without voting.
//
// Transport (proto/colend/proto/p2p.proto): TCP with mutual TLS 1.3 only. Both sides
// present a certificate issued by the consortium CA and verify the other's against it
// (OpenSSL's chain verification: signature, issuer and validity period, so an expired or
// not-yet-valid certificate fails the handshake itself). Then each side sends Hello first,
// and the Hello must name the node id of the certificate, the same chain id and protocol
// version 1. Every refusal closes the connection, counts in P2pCounters::refused_connections
// and is logged (spdlog, warn) with the remote address and the reason; a refusal repeated
// for the same peer and reason is logged at the 1st, 2nd, 4th, 8th, ... time, with the count.
//
// Who is admitted, checked after the TLS handshake and again when the Hello arrives (the
// sets below may change in between):
//   1. never a certificate whose fingerprint (lower-case hex SHA-256 of its DER) is revoked
//      (P2pOptions::revoked, SetRevoked): the log names the fingerprint and the reason;
//   2. never a certificate naming this node's own id;
//   3. never a node id the node reported removed from the validator set (SetValidators'
//      `removed`), whatever its certificate: the log carries the reason the node gave;
//   4. a VALIDATOR: the certificate's common name (CN) is a current validator
//      (P2pOptions::validator_keys, SetValidators) and its public key is that validator's
//      key, byte for byte. A certificate for a validator id with another key (a stolen name,
//      or the old key after a rotation) is refused; it is not an observer. On an "sm" chain
//      the certificate holds a transport key instead, and the Hello's channel binding must
//      verify under that validator's key (see "sm chains" below);
//   5. an OBSERVER: any other CN, only if P2pOptions::allow_observers, and only while fewer
//      than max_observers observers are connected.
//
// sm chains (docs/sm.md). OpenSSL 3.0's TLS 1.3 has no SM2 signature scheme, so on an
// "sm" chain each node's certificate (issued by the consortium CA, which is then a P-256
// CA) holds a P-256 *transport* key, and the node's identity stays its SM2 validator key:
// each side signs, with P2pOptions::binding_key, the connection's RFC 9266 tls-exporter
// value together with the chain id and both node ids and TLS roles, and sends that
// signature as Hello.channel_binding (node/p2p/src/channel_binding.h has the exact bytes).
// A peer whose CN is a validator is admitted only if its binding verifies under that
// validator's current key (the set SetValidators gave); a missing or wrong binding is
// refused with a log line saying why. An observer's binding is kept and checked when it
// becomes a validator; a validator key rotation re-checks the binding of the connection
// that is up (disconnected if it no longer verifies). Revocation by certificate
// fingerprint applies to the transport certificate as on a standard chain.
//
// Validators vs observers. Validators exchange every frame kind. An observer (a node that is
// not, or not yet, or no longer a voting member, e.g. a bank's joining node) may send only
// Hello, Ping/Pong, sync_request and tx_gossip frames (the transactions its own clients
// sent it: the node admits them as it admits a validator's gossip, each decoded strictly and
// its signature and signer checked, within the pool's hard bound txpool.max_txs but not the
// client capacity and signer share, since a BUSY answer could not reach the client the
// observer has already accepted the transaction from; so it commits like any other); every
// consensus frame it sends (and any sync_response) is dropped and counted
// (P2pCounters::observer_frames_dropped), so an observer can never influence consensus. It
// receives what it asks for by sync and every Broadcast. P2pHandler::OnPeerUp/OnPeerDown
// report validators only; an observer shows in Peers() (PeerInfo::observer) while connected
// and reaches the handler only through OnFrame with its sync_request and tx_gossip frames.
//
// Who dials: for each pair of validators exactly one connection is wanted. A validator
// dials a peer iff its own id is smaller (byte-wise) than the peer's and the peer has an
// endpoint; it accepts a connection from a validator it does not dial, and refuses one from
// a validator it dials. The larger id, when it has the smaller's endpoint, dials as a
// fallback, never sooner than 2 x reconnect_max after it lost (or never had) the
// connection: so a validator that joined after the others wrote their node.toml, and that
// they have no endpoint for, is still reached, while the smaller id, which redials within
// reconnect_min, normally wins. A listed endpoint of a node that is not a validator
// (removed since node.toml was written, or not voted in yet) is ignored with a warning. A node that
// is not itself a validator (self_id absent from the validator set) is an observer: it dials every
// validator with an endpoint, and validators accept that direction whatever the ids. An observer
// node also accepts a validator's connection, since a validator that has already applied the epoch
// that makes this node a validator dials it while this node (still syncing to that block) does not
// know yet. A new inbound connection from a peer that already has one replaces the old one (the
// peer evidently thinks the old one is dead, for example because it restarted). Dialing retries
// with exponential back-off from reconnect_min to reconnect_max, reset by a completed Hello.
//
// Changing the validator set at runtime (SetValidators, called by the node at the block
// that ends an epoch): new validators are dialled by the rule above; a connected peer that
// is no longer a validator, or whose validator key changed (key rotation), is disconnected
// with a warn line naming why (for a removed id, the reason the node gave); a connected
// observer that becomes a validator keeps its connection if its certificate holds its new
// validator key (it is re-classified and reported by OnPeerUp), else it is disconnected and
// must reconnect with the right certificate. A kept connection keeps its direction even if
// the dial rule would now choose the other one; the rule applies again when it is lost.
//
// Revocation (SetRevoked): a connected peer whose certificate is revoked is disconnected at
// once; new connections with it are refused (rule 1 above).
//
// Certificate expiry: at Start, every 6 hours and whenever a peer connects, this node's own
// certificate and each connected peer's are checked. One within 30 days of its notAfter is
// logged (warn: "certificate of X expires on <UTC date>, in N days; renew it ...") at most
// once a day per certificate; a connected peer whose certificate has expired is disconnected
// (new connections fail TLS verification). The consortium CA's own certificate is checked
// the same way: when it expires, every node certificate it issued stops verifying at once,
// so it is warned about 30 days ahead too ("the consortium CA certificate ... expires on").
// CertificateExpiries() exposes the dates for gauges (colend_certificate_expiry_seconds{node}
// and colend_ca_certificate_expiry_seconds).
//
// Resource bounds: a frame's length prefix is checked against max_frame_bytes before its
// buffer is allocated; an over-size, empty, unparseable, version-other-than-1 or kind-less
// frame closes the connection. Each peer's send queue holds at most max_send_queue_bytes;
// frames that do not fit are dropped and counted (PeerInfo::dropped_frames), so a slow or
// stalled peer costs bounded memory. The TLS handshake plus Hello must finish within
// handshake_timeout. Each side sends a Ping every ping_interval; a connection on which
// nothing has arrived for idle_timeout is closed (and, if we dial it, redialled). At most
// max_observers observers are connected at a time.
//
// Threading: everything runs on the io_context given to Create, which must be run by
// exactly one thread (the "io thread"). Send, Broadcast, Penalize, SetValidators,
// SetRevoked, Start and Stop must be called on that thread, or while the io_context is not
// running, and not from inside a P2pHandler callback for SetValidators/SetRevoked (post
// them); P2pHandler callbacks arrive on it. Peers(), Counters(), CertificateExpiries() and
// listen_port() may be called from any thread.
// Ownership: the caller owns the io_context and the handler; both must outlive the
// P2pNetwork. Destroying the P2pNetwork calls Stop().
#ifndef COLEND_NODE_P2P_NETWORK_H_
#define COLEND_NODE_P2P_NETWORK_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "colend/proto/p2p.pb.h"

namespace colend::node {

// The p2p protocol version this code speaks (Hello.protocol_version) and the Frame layout
// version (Frame.version).
inline constexpr std::uint32_t kP2pProtocolVersion = 1;
inline constexpr std::uint32_t kFrameVersion = 1;

// A certificate whose notAfter is this close is logged (warn) once a day.
inline constexpr std::int64_t kCertificateExpiryWarningDays = 30;
// How often the certificates are checked while the network runs (also at Start and at
// every connection).
inline constexpr std::chrono::hours kCertificateCheckInterval{6};

// Where to dial one validator. A plain value (as are P2pOptions, PeerInfo and P2pCounters):
// no synchronisation of its own.
struct PeerEndpoint {
  std::string node_id;
  std::string host;  // a name or an address; resolved at every dial
  std::uint16_t port = 0;
};

// Everything P2pNetwork needs, parsed and checked by the caller's configuration layer;
// Create validates the combination again.
struct P2pOptions {
  std::string chain_id;
  // This node's id, the CN of cert_pem. If it is a key of validator_keys this node is a
  // validator; if not, an observer (see the file comment), which dials every
  // validator that has an endpoint.
  std::string self_id;
  std::string listen_host = "0.0.0.0";  // an IPv4 or IPv6 address, not a name
  std::uint16_t listen_port = 0;        // 0 = an ephemeral port (tests); see listen_port()
  // The other validators (every entry must name a validator). Entries for peers this node
  // does not dial (see the file comment) may leave host/port empty; an entry for self is
  // ignored.
  std::vector<PeerEndpoint> peers;
  // PEM: the consortium CA, this node's certificate, this node's PKCS#8 private key. On a
  // "standard" chain the certificate holds this node's validator key; on an "sm" chain a
  // P-256 transport key (see "sm chains" in the file comment).
  std::string ca_cert_pem;
  std::string cert_pem;
  // Create moves the key PEM out of the options it is given and wipes it (OPENSSL_cleanse)
  // once the TLS context holds the key: the network keeps no copy of the text.
  std::string key_pem;
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  // "sm" only, and required there: this node's SM2 validator (node) key, which signs the
  // channel binding of every connection (Hello.channel_binding). Shared, not copied, so the
  // secret has one owner; PrivateKey is thread-safe for signing. Must be null for
  // "standard".
  std::shared_ptr<const crypto::PrivateKey> binding_key;
  // node id -> DER SubjectPublicKeyInfo (PublicKey::ToDer) of every current validator
  // (replaced at runtime by SetValidators).
  std::map<std::string, Bytes> validator_keys;
  // Admit nodes whose certificate the CA issued but whose CN is no validator, as read-only
  // observers (see the file comment); at most max_observers at a time.
  bool allow_observers = false;
  std::size_t max_observers = 16;
  // Certificate fingerprint (lower-case hex SHA-256 of the DER; upper case is accepted) ->
  // why it is revoked. Replaced at runtime by SetRevoked.
  std::map<std::string, std::string> revoked;
  // The wall clock in Unix seconds, for certificate expiry warnings (tests set it). Empty:
  // the system clock. (TLS verification itself always uses the system clock.)
  std::function<std::int64_t()> now_unix_seconds;
  std::uint32_t max_frame_bytes = 64u << 20;
  // Per peer; must hold at least one maximum-size frame with its prefix.
  std::uint64_t max_send_queue_bytes = 128u << 20;
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds ping_interval{5000};
  std::chrono::milliseconds idle_timeout{15000};
  // Inbound backpressure (optional): asked on the io thread before each frame is read from
  // a connected peer. While it returns true nothing more is read from that peer (asked
  // again every 2 ms) and its idle timeout does not run, so a handler whose consumer is
  // behind bounds what waits for it instead of queueing without limit. Pings are still
  // sent, so the peer does not time this node out. Empty: never paused.
  std::function<bool()> inbound_paused;
  // The commit certificate of the block at `height`, put into the Hello with best_height
  // so peers can check the claim (optional; called on the io thread; nullopt: none).
  std::function<std::optional<proto::CommitCertificate>(std::uint64_t height)> best_certificate;
};

// A snapshot of one peer: every current validator other than self, connected or not, and
// every connected observer.
struct PeerInfo {
  std::string node_id;
  bool observer = false;          // an observer (see the file comment), not a validator
  std::string address;            // "host:port" of the current (or last) connection; "" if none yet
  bool connected = false;         // TLS and Hello done, frames flow
  bool outbound = false;          // this node dials it
  std::uint64_t best_height = 0;  // from its Hello
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;  // handed to TLS (written)
  std::uint64_t bytes_in = 0;    // frame bytes including the 4-byte prefixes
  std::uint64_t bytes_out = 0;
  std::uint64_t dropped_frames = 0;    // refused by Send/Broadcast (down or queue full)
  std::uint64_t send_queue_bytes = 0;  // queued now, never above max_send_queue_bytes
  std::uint64_t connects = 0;          // completed Hellos over the lifetime
};

// Connections refused before becoming a peer, for metrics and tests.
struct P2pCounters {
  std::uint64_t refused_connections = 0;  // TLS, certificate, Hello, dial-rule or slot refusals
  std::uint64_t accept_failures = 0;      // accept() errors (each followed by a back-off)
  std::uint64_t bad_frames = 0;           // connections closed for a malformed frame
  std::uint64_t penalties = 0;            // Penalize calls that closed or barred a peer
  // Consensus and sync_response frames from observers, dropped unread.
  std::uint64_t observer_frames_dropped = 0;
};

// The certificate of this node or of a peer, for an expiry gauge.
struct CertificateExpiry {
  std::string node_id;              // the certificate's CN
  std::string fingerprint;          // lower-case hex SHA-256 of the certificate's DER
  std::int64_t not_after_unix = 0;  // notAfter, Unix seconds (UTC)
  bool authority = false;           // the consortium CA's certificate, not a node's
};

// Receives what the network delivers. Implemented by the node; not owned by the network.
// Called on the io thread only, never after P2pNetwork::Stop returns. A callback may call
// Send/Broadcast/Peers/Penalize (and Stop), but not SetValidators/SetRevoked.
class P2pHandler {
 public:
  virtual ~P2pHandler() = default;
  // `hello` is the peer's Hello; the peer is connected from now until OnPeerDown. Validators
  // only: also called when a connected observer becomes a validator (with its Hello).
  virtual void OnPeerUp(const std::string& node_id, const proto::Hello& hello) = 0;
  virtual void OnPeerDown(const std::string& node_id) = 0;
  // consensus, tx_gossip, sync_request and sync_response frames from validators, and
  // sync_request frames from observers (see PeerInfo::observer); Hello/Ping/Pong are handled
  // inside.
  virtual void OnFrame(const std::string& node_id, proto::Frame frame) = 0;
};

// The validator mesh of one node. Protocol, threading and ownership: see the file comment
// (io thread for everything but Peers/Counters/CertificateExpiries/listen_port; owns its
// sockets and timers, borrows the io_context and the handler).
class P2pNetwork {
 public:
  // Validates the options and builds the TLS context (certificate, key and CA parsed here).
  // Fails with InvalidArgument for bad options (a certificate whose CN is not self_id or,
  // for a validator of a "standard" chain, whose key is not self's validator key; a peer
  // that is not a validator; a peer a validator dials without an endpoint; zero bounds or
  // timeouts, reconnect_min >
  // reconnect_max; a revoked fingerprint that is not 64 hex digits; on an "sm" chain, no
  // binding_key, one of another suite, or one that is not self's validator key; on a
  // "standard" chain, a binding_key).
  // `handler` must outlive the network; `best_height` is called on the io thread when a
  // Hello is sent.
  static Result<std::unique_ptr<P2pNetwork>> Create(boost::asio::io_context& io, P2pOptions options,
                                                    P2pHandler* handler,
                                                    std::function<std::uint64_t()> best_height);

  ~P2pNetwork();
  P2pNetwork(const P2pNetwork&) = delete;
  P2pNetwork& operator=(const P2pNetwork&) = delete;

  // Binds the listening socket and starts accepting and dialing. IoError if the address
  // cannot be bound; FailedPrecondition if called twice or after Stop.
  Status Start();

  // Closes the listener and every connection and cancels every timer; Start cannot be
  // called again afterwards. No handler callback runs after it returns (OnPeerDown is not
  // called for the connections it closes). Idempotent.
  void Stop();

  // The bound port (useful with listen_port = 0); 0 before Start.
  std::uint16_t listen_port() const;

  // Queues `frame` for `node_id` (its version is set to kFrameVersion if 0). Returns false,
  // counts a dropped frame and logs, if the peer is not connected or its queue would exceed
  // max_send_queue_bytes, or the frame exceeds max_frame_bytes.
  bool Send(const std::string& node_id, const proto::Frame& frame);

  // Send to every connected peer, validators AND observers (an observer follows the
  // consensus messages without taking part); the frame is serialised once and the bytes
  // shared. Returns the number of peers it was queued for.
  std::size_t Broadcast(const proto::Frame& frame);

  // Closes `node_id`'s connection and refuses it (neither dialled nor accepted) for `bar`:
  // a peer that sends bad signatures or garbage. Call on the io thread.
  void Penalize(const std::string& node_id, std::chrono::milliseconds bar,
                const std::string& reason);

  // Replaces the validator set (call on the io thread, e.g. when the block that ends an
  // epoch is executed; also allowed before Start). `validator_keys` is the complete new set
  // (self may be absent: this node is then an observer), `peers` the endpoints of its
  // members (entries for non-members are ignored with a warning), `removed` maps ids voted
  // out to the reason to log (e.g. "removed from the validator set at height 120"). Removed
  // ids accumulate over calls and are refused from then on, until an id is a validator
  // again. Disconnects, dials and re-classifies as the file comment describes; OnPeerDown
  // runs (inside this call) for each validator disconnected, OnPeerUp for each connected
  // observer that became a validator.
  void SetValidators(std::map<std::string, Bytes> validator_keys, std::vector<PeerEndpoint> peers,
                     std::map<std::string, std::string> removed);

  // Replaces the revocation list: certificate fingerprint (lower-case hex SHA-256 of the
  // DER) -> reason. Connected peers holding a listed certificate are disconnected (warn
  // naming the fingerprint and the reason) and refused from then on. Call on the io thread.
  void SetRevoked(std::map<std::string, std::string> fingerprint_to_reason);

  // Thread-safe snapshots, ordered by node id.
  std::vector<PeerInfo> Peers() const;
  P2pCounters Counters() const;

  // Thread-safe: this node's certificate first, then the certificate each current peer
  // last connected with (ordered by node id), for colend_certificate_expiry_seconds{node}.
  std::vector<CertificateExpiry> CertificateExpiries() const;

  // Test-only (tests/unit/node/p2p/p2p_options_test.cc; nothing else calls it): how many
  // bytes of private key PEM the options this network keeps for its lifetime still hold.
  // Always 0: Create takes the PEM out of them and wipes it once the TLS context holds the
  // key (P2pOptions::key_pem). Thread-safe (those options never change).
  std::size_t KeyPemBytesHeldForTest() const;

 private:
  class Impl;
  explicit P2pNetwork(std::shared_ptr<Impl> impl);

  std::shared_ptr<Impl> impl_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_P2P_NETWORK_H_
