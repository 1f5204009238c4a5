// One TLS connection to a peer: handshake, certificate check, Hello, framed reads, a
// bounded write queue, ping and idle timers. Internal to colend_node_p2p.
#ifndef COLEND_NODE_P2P_SRC_CONNECTION_H_
#define COLEND_NODE_P2P_SRC_CONNECTION_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "certificates.h"
#include "colend/common/bytes.h"
#include "colend/common/status.h"
#include "colend/proto/p2p.pb.h"
#include "frame_codec.h"

namespace colend::node::internal {

class Connection;

// Lifetime counters of one peer, shared by its successive connections. Written on the io
// thread, read by any thread (relaxed atomics: each is a monotonic statistic on its own).
struct PeerCounters {
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> dropped_frames{0};
  std::atomic<std::uint64_t> send_queue_bytes{0};
};

// Why a connection ended, which decides how it is logged and counted.
enum class CloseKind {
  kRefused,       // TLS, certificate, Hello or dial-rule refusal before the peer was up
  kBadFrame,      // a malformed, over-size or out-of-order frame
  kLost,          // I/O error, EOF, timeout
  kReplaced,      // a newer connection from the same peer took over
  kDisconnected,  // the network ended it: removed, re-keyed, revoked or expired peer
};

// What a Connection asks of the network that owns it. Called on the io thread.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // After the TLS handshake: may this certificate talk to us on this connection (the
  // connection's certificate() is already set)? A non-OK status is the refusal reason.
  virtual Status CheckPeerCertificate(const Connection& connection) = 0;
  // The Hello this node sends on `connection` (its certificate() and channel_binding() are
  // set).
  virtual EncodedFrame MakeHello(const Connection& connection) = 0;
  // The peer's Hello arrived; non-OK refuses. To accept, the owner calls MarkUp on the
  // connection and returns OK.
  virtual Status OnHello(const std::shared_ptr<Connection>& connection,
                         const proto::Hello& hello) = 0;
  virtual void OnConnectionFrame(const std::shared_ptr<Connection>& connection,
                                 proto::Frame frame) = 0;
  // Called once per connection unless it was closed with CloseSilently.
  virtual void OnConnectionClosed(const std::shared_ptr<Connection>& connection, CloseKind kind,
                                  const std::string& reason) = 0;
};

struct ConnectionLimits {
  std::uint32_t max_frame_bytes = 0;
  std::uint64_t max_send_queue_bytes = 0;
  std::chrono::milliseconds handshake_timeout{0};
  std::chrono::milliseconds ping_interval{0};
  std::chrono::milliseconds idle_timeout{0};
  std::function<bool()> inbound_paused;  // P2pOptions::inbound_paused (may be empty)
};

// Ownership: shared; every pending asynchronous operation holds a shared_ptr to it, and the
// network holds one while it tracks the connection. Holds only a weak_ptr to its owner.
// Thread safety: io thread only, except the PeerCounters it updates.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  // `expected_peer` is the node dialled (outbound) or empty (inbound).
  Connection(boost::asio::io_context& io, boost::asio::ssl::context& tls,
             std::weak_ptr<ConnectionOwner> owner, const ConnectionLimits& limits, bool outbound,
             std::string expected_peer);

  Stream::lowest_layer_type& socket() { return stream_.lowest_layer(); }

  // Starts the deadline for connect + TLS handshake + Hello (handshake_timeout); called by
  // the dialler before connecting, or by Start. Idempotent.
  void ArmHandshakeDeadline();

  // Starts the TLS handshake on a connected socket. `address` is "host:port" for logs.
  void Start(std::string address);

  // Called by the owner once it accepts the Hello, before it tells anyone the peer is up,
  // so that frames can be queued from that moment.
  void MarkUp();

  enum class EnqueueResult { kQueued, kQueueFull, kNotUp };
  // Queues bytes for sending once the peer is up. Never blocks; never exceeds the bound.
  EnqueueResult Enqueue(const EncodedFrame& frame);

  // Closes the socket and notifies the owner (once). Safe to call repeatedly.
  void Close(CloseKind kind, const std::string& reason);
  // Closes without notifying anyone (network shutdown).
  void CloseSilently();

  // Where this connection's statistics go once the peer is known.
  void AttachCounters(std::shared_ptr<PeerCounters> counters);

  void set_address(std::string address) { address_ = std::move(address); }
  bool outbound() const { return outbound_; }
  bool up() const { return up_; }
  bool closed() const { return closed_; }
  const std::string& address() const { return address_; }
  const std::string& expected_peer() const { return expected_peer_; }
  // The certificate's node id, known once the certificate is admitted.
  const std::string& peer_id() const { return peer_id_; }
  // The peer's certificate, known after the TLS handshake (empty fields before).
  const PeerCertificate& certificate() const { return certificate_; }
  // The RFC 9266 tls-exporter value of this TLS session (channel_binding.h), known after the
  // TLS handshake (empty before).
  const Bytes& channel_binding() const { return channel_binding_; }

 private:
  void OnHandshake(const boost::system::error_code& error);
  void ReadPrefix();
  void OnPrefix(const boost::system::error_code& error);
  void OnBody(const boost::system::error_code& error);
  void HandleFrame(proto::Frame frame);
  void PushWrite(const EncodedFrame& frame);
  void WriteMore();
  void OnWritten(const boost::system::error_code& error, std::size_t frames);
  void ArmPingTimer();
  void OnPingTimer();
  // Inbound backpressure: true if reading waits (re-tried on pause_timer_).
  bool PauseReading();

  const std::weak_ptr<ConnectionOwner> owner_;
  const ConnectionLimits limits_;
  const bool outbound_;
  const std::string expected_peer_;

  Stream stream_;
  boost::asio::steady_timer handshake_timer_;
  boost::asio::steady_timer ping_timer_;
  boost::asio::steady_timer pause_timer_;
  bool paused_ = false;  // reading waits for inbound backpressure to clear

  std::string address_;
  std::string peer_id_;
  PeerCertificate certificate_;
  Bytes channel_binding_;
  bool deadline_armed_ = false;
  bool up_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_receive_;
  std::uint64_t next_ping_nonce_ = 1;
  std::shared_ptr<PeerCounters> counters_;

  std::array<std::uint8_t, kLengthPrefixSize> prefix_{};
  std::string body_;

  std::deque<EncodedFrame> write_queue_;  // front entries up to writing_frames_ are in flight
  std::uint64_t queued_bytes_ = 0;        // every byte in write_queue_
  std::size_t writing_frames_ = 0;
  std::vector<boost::asio::const_buffer> write_buffers_;
};

}  // namespace colend::node::internal

#endif  // COLEND_NODE_P2P_SRC_CONNECTION_H_
