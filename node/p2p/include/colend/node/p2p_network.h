// P2pNetwork: the authenticated, framed connections between the validators of one chain.
//
// Transport (proto/colend/proto/p2p.proto): TCP with mutual TLS 1.3 only. Both sides
// present a certificate issued by the consortium CA and verify the other's against it.
// After the TLS handshake a peer is accepted only if its certificate's common name is a
// current validator (P2pOptions::validator_keys) and the certificate's public key is that
// validator's key, byte for byte; then each side sends Hello first, and the Hello must name
// the same node id, the same chain id and protocol version 1. Every refusal closes the
// connection and is logged (spdlog, warn) with the remote address and the reason.
//
// Who dials: for each pair of validators exactly one connection is wanted. A node dials a
// peer iff its own id is smaller (byte-wise) than the peer's and the peer has an endpoint in
// P2pOptions::peers; it accepts a connection from a peer it does not dial. A new inbound
// connection from a peer that already has one replaces the old one (the peer evidently
// thinks the old one is dead, for example because it restarted). Dialing retries with
// exponential back-off from reconnect_min to reconnect_max, reset by a completed Hello.
//
// Resource bounds: a frame's length prefix is checked against max_frame_bytes before its
// buffer is allocated; an over-size, empty, unparseable, version-other-than-1 or kind-less
// frame closes the connection. Each peer's send queue holds at most max_send_queue_bytes;
// frames that do not fit are dropped and counted (PeerInfo::dropped_frames), so a slow or
// stalled peer costs bounded memory. The TLS handshake plus Hello must finish within
// handshake_timeout. Each side sends a Ping every ping_interval; a connection on which
// nothing has arrived for idle_timeout is closed (and, if we dial it, redialled).
//
// Threading: everything runs on the io_context given to Create, which must be run by
// exactly one thread (the "io thread"). Send, Broadcast, Start and Stop must be called on
// that thread, or while the io_context is not running; P2pHandler callbacks arrive on it.
// Peers() and listen_port() may be called from any thread.
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
#include "colend/crypto/suite.h"
#include "colend/proto/p2p.pb.h"

namespace colend::node {

// The p2p protocol version this code speaks (Hello.protocol_version) and the Frame layout
// version (Frame.version).
inline constexpr std::uint32_t kP2pProtocolVersion = 1;
inline constexpr std::uint32_t kFrameVersion = 1;

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
  std::string self_id;                  // must be a key of validator_keys
  std::string listen_host = "0.0.0.0";  // an IPv4 or IPv6 address, not a name
  std::uint16_t listen_port = 0;        // 0 = an ephemeral port (tests); see listen_port()
  // The other validators. Entries for peers this node does not dial (see the file comment)
  // may leave host/port empty; an entry for self is ignored.
  std::vector<PeerEndpoint> peers;
  // PEM: the consortium CA, this node's certificate, this node's PKCS#8 private key.
  std::string ca_cert_pem;
  std::string cert_pem;
  std::string key_pem;
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  // node id -> DER SubjectPublicKeyInfo (PublicKey::ToDer) of every current validator.
  std::map<std::string, Bytes> validator_keys;
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

// A snapshot of one peer (every validator other than self has one, connected or not).
struct PeerInfo {
  std::string node_id;
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
};

// Receives what the network delivers. Implemented by the node; not owned by the network.
// Called on the io thread only, never after P2pNetwork::Stop returns. A callback may call
// Send/Broadcast/Peers (and Stop).
class P2pHandler {
 public:
  virtual ~P2pHandler() = default;
  // `hello` is the peer's Hello; the peer is connected from now until OnPeerDown.
  virtual void OnPeerUp(const std::string& node_id, const proto::Hello& hello) = 0;
  virtual void OnPeerDown(const std::string& node_id) = 0;
  // consensus, tx_gossip, sync_request and sync_response frames; Hello/Ping/Pong are
  // handled inside.
  virtual void OnFrame(const std::string& node_id, proto::Frame frame) = 0;
};

// The validator mesh of one node. Protocol, threading and ownership: see the file comment
// (io thread for everything but Peers/Counters/listen_port; owns its sockets and timers,
// borrows the io_context and the handler).
class P2pNetwork {
 public:
  // Validates the options and builds the TLS context (certificate, key and CA parsed here).
  // Fails with InvalidArgument for bad options (self not a validator, a certificate whose
  // key is not self's validator key or whose CN is not self_id, a dialled peer without an
  // endpoint, zero bounds or timeouts, reconnect_min > reconnect_max), and with
  // FailedPrecondition for the "sm" suite, which OpenSSL 3.0's TLS cannot authenticate.
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

  // Send to every connected peer; the frame is serialised once and the bytes shared.
  // Returns the number of peers it was queued for.
  std::size_t Broadcast(const proto::Frame& frame);

  // Closes `node_id`'s connection and refuses it (neither dialled nor accepted) for `bar`:
  // a peer that sends bad signatures or garbage. Call on the io thread.
  void Penalize(const std::string& node_id, std::chrono::milliseconds bar,
                const std::string& reason);

  // Thread-safe snapshots, ordered by node id.
  std::vector<PeerInfo> Peers() const;
  P2pCounters Counters() const;

 private:
  class Impl;
  explicit P2pNetwork(std::shared_ptr<Impl> impl);

  std::shared_ptr<Impl> impl_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_P2P_NETWORK_H_
