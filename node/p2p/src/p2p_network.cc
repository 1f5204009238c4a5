// P2pNetwork: listening, dialing, Hello, frames. Who is admitted, and the changes to that
// at runtime, are in p2p_membership.cc.
#include "colend/node/p2p_network.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "channel_binding.h"
#include "colend/crypto/secret.h"
#include "colend/crypto/x509.h"
#include "connection.h"
#include "frame_codec.h"
#include "p2p_network_impl.h"

namespace colend::node {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using internal::CloseKind;
using internal::Connection;
using internal::EncodedFrame;
using internal::PeerCounters;

std::string Endpoint(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

std::string RemoteAddress(const Connection::Stream::lowest_layer_type& socket) {
  boost::system::error_code error;
  const tcp::endpoint remote = socket.remote_endpoint(error);
  if (error) return "?";
  return Endpoint(remote.address().to_string(), remote.port());
}

// Connections accepted but not yet through TLS + Hello; more are closed at once, so a flood
// of idle TCP connections cannot pile up TLS state (each is also bounded by the deadline).
constexpr std::size_t kMaxHandshaking = 64;
// ... and at most this many of them from one IP address, so that one host's flood cannot
// take every slot and keep a restarted validator from reconnecting.
constexpr std::size_t kMaxHandshakingPerAddress = 4;

// After a failed accept (descriptors exhausted, say) the next one waits, doubling from the
// first to the last value, so an error that persists is neither a busy loop nor a log flood.
constexpr std::chrono::milliseconds kAcceptBackoffMin{10};
constexpr std::chrono::milliseconds kAcceptBackoffMax{2'000};

std::string RemoteIp(const Connection::Stream::lowest_layer_type& socket) {
  boost::system::error_code error;
  const tcp::endpoint remote = socket.remote_endpoint(error);
  return error ? std::string("?") : remote.address().to_string();
}

// For logs: the kinds an observer may not send.
const char* KindName(proto::Frame::KindCase kind) {
  switch (kind) {
    case proto::Frame::kConsensus:
      return "consensus";
    case proto::Frame::kTxGossip:
      return "tx_gossip";
    case proto::Frame::kSyncResponse:
      return "sync_response";
    default:
      return "other";
  }
}

// Logs Send/Broadcast drops at 1, 2, 4, 8, ... so a flood of drops costs a few lines.
bool ShouldLogDrop(std::uint64_t dropped) {
  return (dropped & (dropped - 1)) == 0;
}

bool IsFingerprint(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// `own` is this node's certificate, already read.
Status ValidateOptions(const P2pOptions& options, const internal::PeerCertificate& own) {
  if (options.chain_id.empty()) return Status::InvalidArgument("chain_id is empty");
  const auto self_key = options.validator_keys.find(options.self_id);
  const bool self_validator = self_key != options.validator_keys.end();
  if (options.max_frame_bytes < 1024) {
    return Status::InvalidArgument("max_frame_bytes must be at least 1024");
  }
  if (options.max_send_queue_bytes < options.max_frame_bytes + internal::kLengthPrefixSize) {
    return Status::InvalidArgument(
        "max_send_queue_bytes must hold at least one maximum-size frame");
  }
  using std::chrono::milliseconds;
  if (options.reconnect_min <= milliseconds::zero() ||
      options.reconnect_max < options.reconnect_min ||
      options.handshake_timeout <= milliseconds::zero() ||
      options.ping_interval <= milliseconds::zero() ||
      options.idle_timeout < options.ping_interval) {
    return Status::InvalidArgument(
        "timeouts must be positive, reconnect_min <= reconnect_max, ping_interval <= "
        "idle_timeout");
  }
  const bool bound = BindsByHello(options.suite);
  if (bound && options.binding_key == nullptr) {
    return Status::InvalidArgument(
        "an \"sm\" chain needs binding_key, the SM2 validator key that binds each TLS "
        "connection (OpenSSL 3.0's TLS 1.3 has no SM2 signature scheme, so the certificate "
        "holds a P-256 transport key)");
  }
  if (bound && options.binding_key->suite() != options.suite) {
    return Status::InvalidArgument("binding_key is a key of suite \"" +
                                   std::string(options.binding_key->suite().name()) + "\", not \"" +
                                   std::string(options.suite.name()) + "\"");
  }
  if (!bound && options.binding_key != nullptr) {
    return Status::InvalidArgument(
        "binding_key is for \"sm\" chains; on a \"standard\" chain the certificate holds "
        "the validator key itself");
  }
  for (const PeerEndpoint& peer : options.peers) {
    if (peer.node_id == options.self_id) continue;
    // A listed peer that is no validator (removed by governance since node.toml was
    // written, or not voted in yet) is not dialled: AssignEndpoints says so in the log.
    if (options.validator_keys.find(peer.node_id) == options.validator_keys.end()) continue;
    if (self_validator && options.self_id < peer.node_id && (peer.host.empty() || peer.port == 0)) {
      return Status::InvalidArgument("peer \"" + peer.node_id +
                                     "\" is dialled by this node but has no host:port");
    }
  }
  for (const auto& [fingerprint, reason] : options.revoked) {
    if (!IsFingerprint(fingerprint)) {
      return Status::InvalidArgument("revoked fingerprint \"" + fingerprint +
                                     "\" is not 64 hex digits (SHA-256 of the DER)");
    }
  }
  if (own.common_name != options.self_id) {
    return Status::InvalidArgument("certificate names \"" + own.common_name + "\", not self_id \"" +
                                   options.self_id + "\"");
  }
  if (self_validator && !bound && own.public_key_der != self_key->second) {
    return Status::InvalidArgument("certificate key is not the validator key of \"" +
                                   options.self_id + "\"");
  }
  if (self_validator && bound) {
    COLEND_ASSIGN_OR_RETURN(const Bytes binding_der, options.binding_key->public_key().ToDer());
    if (binding_der != self_key->second) {
      return Status::InvalidArgument("binding_key is not the validator key of \"" +
                                     options.self_id + "\"");
    }
  }
  return crypto::VerifyCertificateIssuedBy(options.cert_pem, options.ca_cert_pem)
      .WithContext("own certificate");
}

Status ConfigureTls(asio::ssl::context& tls, const P2pOptions& options,
                    const std::string& key_pem) {
  SSL_CTX* native = tls.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return Status::Internal("cannot restrict TLS to version 1.3");
  }
  SSL_CTX_set_num_tickets(native, 0);  // no resumption: every connection presents certificates
  boost::system::error_code error;
  tls.use_certificate(asio::buffer(options.cert_pem), asio::ssl::context::pem, error);
  if (error) return Status::InvalidArgument("TLS certificate: " + error.message());
  tls.use_private_key(asio::buffer(key_pem), asio::ssl::context::pem, error);
  if (error) return Status::InvalidArgument("TLS private key: " + error.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument("TLS private key does not belong to the certificate");
  }
  tls.add_certificate_authority(asio::buffer(options.ca_cert_pem), error);
  if (error) return Status::InvalidArgument("TLS CA certificate: " + error.message());
  tls.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, error);
  if (error) return Status::Internal("TLS verify mode: " + error.message());
  return Status::Ok();
}

}  // namespace

P2pNetwork::Impl::Impl(asio::io_context& io, P2pOptions options, P2pHandler* handler,
                       std::function<std::uint64_t()> best_height,
                       internal::PeerCertificate own_certificate)
    : io_(io),
      options_(std::move(options)),
      handler_(handler),
      best_height_(std::move(best_height)),
      own_certificate_{options_.self_id, own_certificate.fingerprint,
                       own_certificate.not_after_unix},
      own_public_key_(BindsByHello(options_.suite) && options_.binding_key != nullptr
                          ? options_.binding_key->public_key().ToDer().value_or(Bytes())
                          : std::move(own_certificate.public_key_der)),
      tls_(asio::ssl::context::tls),
      acceptor_(io) {
  limits_.max_frame_bytes = options_.max_frame_bytes;
  limits_.max_send_queue_bytes = options_.max_send_queue_bytes;
  limits_.handshake_timeout = options_.handshake_timeout;
  limits_.ping_interval = options_.ping_interval;
  limits_.idle_timeout = options_.idle_timeout;
  limits_.inbound_paused = options_.inbound_paused;
  validators_ = options_.validator_keys;
  self_validator_ = validators_.count(options_.self_id) != 0;
  if (Result<internal::PeerCertificate> ca = internal::ReadCertificatePem(options_.ca_cert_pem);
      ca.ok()) {
    ca_certificate_ = CertificateExpiry{ca->common_name, ca->fingerprint, ca->not_after_unix,
                                        /*authority=*/true};
  }
  for (const auto& [fingerprint, reason] : options_.revoked) {
    std::string lower = fingerprint;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    revoked_[lower] = reason;
  }
  if (const auto own = revoked_.find(own_certificate_.fingerprint); own != revoked_.end()) {
    spdlog::error(
        "p2p {}: this node's own certificate {} is revoked ({}): peers will refuse it "
        "until it runs with a new certificate",
        options_.self_id, own->first, own->second);
  }
  for (const auto& [id, key] : validators_) {
    if (id != options_.self_id) AddPeer(id, /*observer=*/false);
  }
  AssignEndpoints(options_.peers);
}

Status P2pNetwork::Impl::Init(const std::string& key_pem) {
  return ConfigureTls(tls_, options_, key_pem);
}

P2pCounters P2pNetwork::Impl::Counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

Status P2pNetwork::Impl::Start() {
  if (started_ || stopped_) {
    return Status::FailedPrecondition("P2pNetwork::Start called twice or after Stop");
  }
  started_ = true;
  boost::system::error_code error;
  const asio::ip::address address = asio::ip::make_address(options_.listen_host, error);
  if (error) return Status::InvalidArgument("listen_host: " + error.message());
  const tcp::endpoint endpoint(address, options_.listen_port);
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return Status::IoError("cannot listen on " +
                           Endpoint(options_.listen_host, options_.listen_port) + ": " +
                           error.message());
  }
  port_.store(acceptor_.local_endpoint().port(), std::memory_order_relaxed);
  spdlog::info("p2p {}: listening on {}", options_.self_id,
               Endpoint(options_.listen_host, listen_port()));
  Accept();
  for (auto& [id, peer] : peers_) {
    if (peer.dial && peer.fallback) {
      ScheduleDial(id);  // the peer dials first; this node only if it does not
    } else if (peer.dial) {
      Dial(id);
    }
  }
  CheckCertificates();
  return Status::Ok();
}

void P2pNetwork::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_backoff_timer_.cancel();
  certificate_timer_.cancel();
  for (const auto& [connection, ip] : handshaking_) connection->CloseSilently();
  handshaking_.clear();
  handshaking_by_ip_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, peer] : peers_) {
    peer.redial_timer->cancel();
    if (peer.up != nullptr) peer.up->CloseSilently();
    if (peer.dialing != nullptr) peer.dialing->CloseSilently();
    peer.up.reset();
    peer.dialing.reset();
    peer.info.connected = false;
  }
}

void P2pNetwork::Impl::Accept() {
  auto connection = std::make_shared<Connection>(io_, tls_, weak_from_this(), limits_,
                                                 /*outbound=*/false, std::string());
  acceptor_.async_accept(connection->socket(), [self = shared_from_this(), connection](
                                                   const boost::system::error_code& error) {
    if (self->stopped_) return;
    if (error) {
      self->OnAcceptError(error);
      return;
    }
    self->accept_backoff_ = std::chrono::milliseconds(0);
    const std::string ip = RemoteIp(connection->socket());
    const bool full = self->handshaking_.size() >= kMaxHandshaking;
    if (full || self->handshaking_by_ip_[ip] >= kMaxHandshakingPerAddress) {
      // Logged at 1, 2, 4, 8, ... refusals: a port scan or a flood costs a few lines.
      if (ShouldLogDrop(++self->refused_handshakes_)) {
        spdlog::warn("p2p {}: refused connection from {}: {} ({} refused so far)",
                     self->options_.self_id, RemoteAddress(connection->socket()),
                     full ? std::to_string(kMaxHandshaking) + " handshakes already in progress"
                          : std::to_string(kMaxHandshakingPerAddress) +
                                " handshakes from this address already in progress",
                     self->refused_handshakes_);
      }
      if (self->handshaking_by_ip_[ip] == 0) self->handshaking_by_ip_.erase(ip);
      connection->CloseSilently();
      std::lock_guard<std::mutex> lock(self->mutex_);
      ++self->counters_.refused_connections;
    } else {
      self->handshaking_.emplace(connection, ip);
      ++self->handshaking_by_ip_[ip];
      connection->Start(RemoteAddress(connection->socket()));
    }
    self->Accept();
  });
}

void P2pNetwork::Impl::OnAcceptError(const boost::system::error_code& error) {
  accept_backoff_ = std::clamp(accept_backoff_ * 2, kAcceptBackoffMin, kAcceptBackoffMax);
  if (ShouldLogDrop(++accept_failures_)) {
    spdlog::warn("p2p {}: accept failed: {} ({} failures so far); accepting again in {} ms",
                 options_.self_id, error.message(), accept_failures_, accept_backoff_.count());
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.accept_failures;
  }
  accept_backoff_timer_.expires_after(accept_backoff_);
  accept_backoff_timer_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& wait_error) {
        if (!wait_error && !self->stopped_) self->Accept();
      });
}

void P2pNetwork::Impl::ForgetHandshake(const std::shared_ptr<Connection>& connection) {
  const auto it = handshaking_.find(connection);
  if (it == handshaking_.end()) return;
  const auto by_ip = handshaking_by_ip_.find(it->second);
  if (by_ip != handshaking_by_ip_.end() && --by_ip->second == 0) handshaking_by_ip_.erase(by_ip);
  handshaking_.erase(it);
}

void P2pNetwork::Impl::Dial(const std::string& node_id) {
  if (stopped_) return;
  Peer& peer = peers_.at(node_id);
  auto connection = std::make_shared<Connection>(io_, tls_, weak_from_this(), limits_,
                                                 /*outbound=*/true, node_id);
  peer.dialing = connection;
  const std::string address = Endpoint(peer.endpoint.host, peer.endpoint.port);
  connection->set_address(address);
  connection->ArmHandshakeDeadline();
  auto resolver = std::make_shared<tcp::resolver>(io_);
  resolver->async_resolve(
      peer.endpoint.host, std::to_string(peer.endpoint.port),
      [self = shared_from_this(), connection, resolver, address](
          const boost::system::error_code& error, const tcp::resolver::results_type& results) {
        if (self->stopped_ || connection->closed()) return;
        if (error) {
          connection->Close(CloseKind::kLost, "cannot resolve: " + error.message());
          return;
        }
        asio::async_connect(
            connection->socket(), results,
            [self, connection, address](const boost::system::error_code& connect_error,
                                        const tcp::endpoint& /*endpoint*/) {
              if (self->stopped_ || connection->closed()) return;
              if (connect_error) {
                connection->Close(CloseKind::kLost, "cannot connect: " + connect_error.message());
                return;
              }
              connection->Start(address);
            });
      });
}

void P2pNetwork::Impl::ScheduleDial(const std::string& node_id) {
  Peer& peer = peers_.at(node_id);
  auto delay = options_.reconnect_min;
  for (std::uint32_t i = 0; i < peer.failed_dials && delay < options_.reconnect_max; ++i)
    delay *= 2;
  delay = std::min(delay, options_.reconnect_max);
  if (peer.fallback) delay = std::max(delay, 2 * options_.reconnect_max);
  const auto now = std::chrono::steady_clock::now();
  const auto barred = barred_until_.find(node_id);
  if (barred != barred_until_.end() && barred->second > now) {
    delay = std::max(delay, std::chrono::duration_cast<decltype(delay)>(barred->second - now));
  }
  ++peer.failed_dials;
  peer.redial_timer->expires_after(delay);
  peer.redial_timer->async_wait(
      [weak = weak_from_this(), node_id](const boost::system::error_code& error) {
        std::shared_ptr<Impl> self = weak.lock();
        if (error || self == nullptr || self->stopped_) return;
        // The peer may have left the validator set, or stopped being dialled, meanwhile.
        const auto it = self->peers_.find(node_id);
        if (it == self->peers_.end()) return;
        const Peer& redialled = it->second;
        if (redialled.dial && redialled.up == nullptr && redialled.dialing == nullptr) {
          self->Dial(node_id);
        }
      });
}

EncodedFrame P2pNetwork::Impl::MakeHello(const Connection& connection) {
  proto::Frame frame;
  frame.set_version(kFrameVersion);
  proto::Hello* hello = frame.mutable_hello();
  hello->set_chain_id(options_.chain_id);
  hello->set_node_id(options_.self_id);
  hello->set_protocol_version(kP2pProtocolVersion);
  if (options_.binding_key != nullptr) {
    // The peer's id is its certificate's CN (already admitted); the connection's exporter
    // value makes this signature useless anywhere else.
    Result<Bytes> binding = internal::SignChannelBinding(
        *options_.binding_key, options_.chain_id, connection.channel_binding(), options_.self_id,
        connection.outbound(), connection.certificate().common_name);
    if (binding.ok()) {
      hello->set_channel_binding(std::string(binding->begin(), binding->end()));
    } else {  // only if OpenSSL fails; the peer then refuses this Hello, and says why
      spdlog::error("p2p {}: cannot sign the channel binding: {}", options_.self_id,
                    binding.status().message());
    }
  }
  const std::uint64_t height = best_height_ ? best_height_() : 0;
  hello->set_best_height(height);
  if (height > 0 && options_.best_certificate) {
    if (std::optional<proto::CommitCertificate> certificate = options_.best_certificate(height)) {
      *hello->mutable_best_certificate() = std::move(*certificate);
    }
  }
  const std::uint32_t limit = std::min(options_.max_frame_bytes, internal::kMaxHelloFrameBytes);
  Result<EncodedFrame> encoded = internal::EncodeFrame(frame, limit);
  if (!encoded.ok()) {  // a tiny max_frame_bytes and a large validator set: no certificate
    hello->clear_best_certificate();
    encoded = internal::EncodeFrame(frame, limit);
  }
  COLEND_CHECK_MSG(encoded.ok(), "a Hello always fits in max_frame_bytes (>= 1024)");
  return std::move(encoded).value();
}

Status P2pNetwork::Impl::OnHello(const std::shared_ptr<Connection>& connection,
                                 const proto::Hello& hello) {
  if (stopped_) return Status::Unavailable("network stopped");
  if (hello.node_id() != connection->peer_id()) {
    return Status::PermissionDenied("Hello names \"" + hello.node_id() +
                                    "\" but the certificate names \"" + connection->peer_id() +
                                    "\"");
  }
  if (hello.chain_id() != options_.chain_id) {
    return Status::PermissionDenied("Hello is for chain \"" + hello.chain_id() +
                                    "\", this node is on chain \"" + options_.chain_id + "\"");
  }
  if (hello.protocol_version() != kP2pProtocolVersion) {
    return Status::PermissionDenied("peer speaks p2p protocol version " +
                                    std::to_string(hello.protocol_version()) +
                                    ", this node speaks " + std::to_string(kP2pProtocolVersion));
  }
  // Again: the validator set, the revocations or the observer count may have changed since
  // the TLS check.
  COLEND_ASSIGN_OR_RETURN(const Role role, Admit(*connection));
  const std::string& id = hello.node_id();
  if (role == Role::kValidator && BindsByHello(options_.suite)) {
    COLEND_RETURN_IF_ERROR(CheckBinding(*connection, hello, validators_.at(id)));
  }
  const auto barred = barred_until_.find(id);
  if (barred != barred_until_.end() && std::chrono::steady_clock::now() < barred->second) {
    return Status::PermissionDenied("\"" + id +
                                    "\" is barred for a while: it sent bad signatures or garbage");
  }
  ForgetHandshake(connection);
  if (peers_.find(id) == peers_.end()) AddPeer(id, /*observer=*/true);  // Admit: an observer
  if (std::shared_ptr<Connection> old = peers_.at(id).up) {
    // Inbound connections meet an existing one; so can an outbound one on an observer node
    // that a validator dialled meanwhile.
    old->Close(CloseKind::kReplaced, "replaced by a new connection from the same peer");
    if (stopped_) return Status::Unavailable("network stopped");  // by OnPeerDown
  }
  Peer& peer = peers_.at(id);  // kReplaced keeps an observer's entry
  if (peer.dialing == connection) peer.dialing.reset();
  peer.failed_dials = 0;
  peer.hello = hello;
  connection->AttachCounters(peer.counters);
  connection->MarkUp();
  const internal::PeerCertificate& certificate = connection->certificate();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    peer.up = connection;
    peer.info.connected = true;
    peer.info.address = connection->address();
    peer.info.best_height = hello.best_height();
    ++peer.info.connects;
    peer.certificate = CertificateExpiry{id, certificate.fingerprint, certificate.not_after_unix};
  }
  spdlog::info("p2p {}: {} {} up ({} {}, height {})", options_.self_id,
               role == Role::kObserver ? "observer" : "peer", id,
               connection->outbound() ? "dialled" : "accepted from", connection->address(),
               hello.best_height());
  CheckExpiry(*peer.certificate, /*own=*/false);
  if (role == Role::kValidator) handler_->OnPeerUp(id, hello);
  return Status::Ok();
}

void P2pNetwork::Impl::OnConnectionFrame(const std::shared_ptr<Connection>& connection,
                                         proto::Frame frame) {
  if (stopped_) return;
  const auto it = peers_.find(connection->peer_id());
  if (it == peers_.end() || it->second.up != connection) return;  // closed meanwhile
  // An observer asks for blocks and relays its clients' transactions (each checked by the
  // pool like a client's); it takes part in nothing else.
  if (it->second.observer && frame.kind_case() != proto::Frame::kSyncRequest &&
      frame.kind_case() != proto::Frame::kTxGossip) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counters_.observer_frames_dropped;
    }
    if (ShouldLogDrop(++observer_drops_)) {
      spdlog::warn(
          "p2p {}: dropped a {} frame from observer \"{}\": observers may only ask for blocks "
          "({} dropped so far)",
          options_.self_id, KindName(frame.kind_case()), it->first, observer_drops_);
    }
    return;
  }
  handler_->OnFrame(connection->peer_id(), std::move(frame));
}

void P2pNetwork::Impl::LogRefusal(const std::string& who, const std::string& address,
                                  const std::string& reason) {
  // A removed validator or a revoked certificate may redial for ever: logged at 1, 2, 4, ...
  // refusals of the same peer for the same reason.
  if (refusals_.size() > 1024) refusals_.clear();
  const std::uint64_t count = ++refusals_[who + ": " + reason];
  if (!ShouldLogDrop(count)) return;
  if (count == 1) {
    spdlog::warn("p2p {}: refused {} at {}: {}", options_.self_id, who, address, reason);
  } else {
    spdlog::warn("p2p {}: refused {} at {}: {} ({} times so far)", options_.self_id, who, address,
                 reason, count);
  }
}

void P2pNetwork::Impl::OnConnectionClosed(const std::shared_ptr<Connection>& connection,
                                          CloseKind kind, const std::string& reason) {
  if (stopped_) return;
  ForgetHandshake(connection);
  const std::string& named = !connection->certificate().common_name.empty()
                                 ? connection->certificate().common_name
                                 : connection->expected_peer();
  const std::string who = named.empty() ? std::string("unidentified peer") : "\"" + named + "\"";
  switch (kind) {
    case CloseKind::kRefused: {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counters_.refused_connections;
    }
      LogRefusal(who, connection->address(), reason);
      break;
    case CloseKind::kBadFrame: {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counters_.bad_frames;
    }
      spdlog::warn("p2p {}: closed {} at {}: bad frame: {}", options_.self_id, who,
                   connection->address(), reason);
      break;
    case CloseKind::kDisconnected:
      spdlog::warn("p2p {}: disconnected {} at {}: {}", options_.self_id, who,
                   connection->address(), reason);
      break;
    case CloseKind::kLost:
    case CloseKind::kReplaced:
      spdlog::info("p2p {}: connection to {} at {} closed: {}", options_.self_id, who,
                   connection->address(), reason);
      break;
  }
  const std::string& id =
      connection->outbound() ? connection->expected_peer() : connection->peer_id();
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  Peer& peer = it->second;
  const bool was_up = peer.up == connection;
  const bool was_dialing = peer.dialing == connection;
  if (!was_up && !was_dialing) return;  // refused or replaced before it was this peer's
  const bool observer = peer.observer;
  if (was_up) {
    std::lock_guard<std::mutex> lock(mutex_);
    peer.up.reset();
    peer.info.connected = false;
  }
  if (was_dialing) peer.dialing.reset();
  if (was_up && !observer) handler_->OnPeerDown(id);
  if (stopped_) return;  // the handler may have stopped the network
  it = peers_.find(id);
  if (it == peers_.end()) return;
  if (it->second.observer) {
    // An observer exists while connected; a replaced connection is followed by its successor.
    if (kind != CloseKind::kReplaced && it->second.up == nullptr) {
      std::lock_guard<std::mutex> lock(mutex_);
      peers_.erase(it);
    }
    return;
  }
  if (it->second.dial && it->second.up == nullptr && it->second.dialing == nullptr) {
    ScheduleDial(id);
  }
}

void P2pNetwork::Impl::Penalize(const std::string& node_id, std::chrono::milliseconds bar,
                                const std::string& reason) {
  auto it = peers_.find(node_id);
  if (it == peers_.end() || stopped_) return;
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(barred_until_, [now](const auto& entry) { return entry.second <= now; });
  barred_until_[node_id] = now + bar;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.penalties;
  }
  spdlog::warn("p2p {}: barring {} for {} ms: {}", options_.self_id, node_id, bar.count(), reason);
  if (std::shared_ptr<Connection> up = it->second.up) {
    up->Close(CloseKind::kRefused, "barred: " + reason);
  }
}

bool P2pNetwork::Impl::Send(const std::string& node_id, const proto::Frame& frame) {
  auto it = peers_.find(node_id);
  if (it == peers_.end()) {
    spdlog::warn("p2p {}: Send to unknown node \"{}\"", options_.self_id, node_id);
    return false;
  }
  Result<EncodedFrame> encoded = internal::EncodeFrame(frame, options_.max_frame_bytes);
  if (!encoded.ok()) {
    CountDrop(it->second, encoded.status().message());
    return false;
  }
  return SendEncoded(it->second, *encoded);
}

std::size_t P2pNetwork::Impl::Broadcast(const proto::Frame& frame) {
  Result<EncodedFrame> encoded = internal::EncodeFrame(frame, options_.max_frame_bytes);
  if (!encoded.ok()) {
    spdlog::warn("p2p {}: Broadcast refused: {}", options_.self_id, encoded.status().message());
    return 0;
  }
  std::size_t sent = 0;
  for (auto& [id, peer] : peers_) {
    if (peer.up != nullptr && SendEncoded(peer, *encoded)) ++sent;
  }
  return sent;
}

bool P2pNetwork::Impl::SendEncoded(Peer& peer, const EncodedFrame& frame) {
  if (stopped_ || peer.up == nullptr) {
    CountDrop(peer, "not connected");
    return false;
  }
  switch (peer.up->Enqueue(frame)) {
    case Connection::EnqueueResult::kQueued:
      return true;
    case Connection::EnqueueResult::kQueueFull:
      CountDrop(peer,
                "send queue full (" + std::to_string(options_.max_send_queue_bytes) + " bytes)");
      return false;
    case Connection::EnqueueResult::kNotUp:
      CountDrop(peer, "not connected");
      return false;
  }
  return false;
}

void P2pNetwork::Impl::CountDrop(Peer& peer, const std::string& why) {
  const std::uint64_t dropped =
      peer.counters->dropped_frames.fetch_add(1, std::memory_order_relaxed) + 1;
  if (ShouldLogDrop(dropped)) {
    spdlog::warn("p2p {}: dropped a frame for \"{}\": {} ({} dropped so far)", options_.self_id,
                 peer.info.node_id, why, dropped);
  }
}

std::vector<PeerInfo> P2pNetwork::Impl::Peers() const {
  std::vector<PeerInfo> result;
  std::lock_guard<std::mutex> lock(mutex_);
  result.reserve(peers_.size());
  for (const auto& [id, peer] : peers_) {
    PeerInfo info = peer.info;
    const PeerCounters& counters = *peer.counters;
    info.frames_in = counters.frames_in.load(std::memory_order_relaxed);
    info.frames_out = counters.frames_out.load(std::memory_order_relaxed);
    info.bytes_in = counters.bytes_in.load(std::memory_order_relaxed);
    info.bytes_out = counters.bytes_out.load(std::memory_order_relaxed);
    info.dropped_frames = counters.dropped_frames.load(std::memory_order_relaxed);
    info.send_queue_bytes = counters.send_queue_bytes.load(std::memory_order_relaxed);
    result.push_back(std::move(info));
  }
  return result;
}

Result<std::unique_ptr<P2pNetwork>> P2pNetwork::Create(asio::io_context& io, P2pOptions options,
                                                       P2pHandler* handler,
                                                       std::function<std::uint64_t()> best_height) {
  if (handler == nullptr) return Status::InvalidArgument("handler is null");
  Result<internal::PeerCertificate> own = internal::ReadCertificatePem(options.cert_pem);
  if (!own.ok()) return own.status().WithContext("p2p options: own certificate");
  COLEND_RETURN_IF_ERROR(ValidateOptions(options, *own).WithContext("p2p options"));
  // The private key's PEM is needed only to build the TLS context: it is taken out of the
  // options the network keeps for its lifetime and wiped once the context holds the key
  // (OpenSSL's key object wipes itself when freed).
  std::string key_pem = std::move(options.key_pem);
  const crypto::WipeOnExit wipe_key_pem(key_pem);
  options.key_pem.clear();
  auto impl = std::make_shared<Impl>(io, std::move(options), handler, std::move(best_height), *own);
  COLEND_RETURN_IF_ERROR(impl->Init(key_pem).WithContext("p2p TLS"));
  return std::unique_ptr<P2pNetwork>(new P2pNetwork(std::move(impl)));
}

P2pNetwork::P2pNetwork(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

P2pNetwork::~P2pNetwork() {
  impl_->Stop();
}

Status P2pNetwork::Start() {
  return impl_->Start();
}

void P2pNetwork::Stop() {
  impl_->Stop();
}

std::uint16_t P2pNetwork::listen_port() const {
  return impl_->listen_port();
}

bool P2pNetwork::Send(const std::string& node_id, const proto::Frame& frame) {
  return impl_->Send(node_id, frame);
}

std::size_t P2pNetwork::Broadcast(const proto::Frame& frame) {
  return impl_->Broadcast(frame);
}

std::vector<PeerInfo> P2pNetwork::Peers() const {
  return impl_->Peers();
}

std::size_t P2pNetwork::KeyPemBytesHeldForTest() const {
  return impl_->key_pem_bytes();
}

void P2pNetwork::Penalize(const std::string& node_id, std::chrono::milliseconds bar,
                          const std::string& reason) {
  impl_->Penalize(node_id, bar, reason);
}

P2pCounters P2pNetwork::Counters() const {
  return impl_->Counters();
}

void P2pNetwork::SetValidators(std::map<std::string, Bytes> validator_keys,
                               std::vector<PeerEndpoint> peers,
                               std::map<std::string, std::string> removed) {
  impl_->SetValidators(std::move(validator_keys), std::move(peers), std::move(removed));
}

void P2pNetwork::SetRevoked(std::map<std::string, std::string> fingerprint_to_reason) {
  impl_->SetRevoked(std::move(fingerprint_to_reason));
}

std::vector<CertificateExpiry> P2pNetwork::CertificateExpiries() const {
  return impl_->CertificateExpiries();
}

}  // namespace colend::node
