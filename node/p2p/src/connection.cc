#include "connection.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <utility>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "channel_binding.h"
#include "colend/node/p2p_network.h"

namespace colend::node::internal {
namespace {

namespace asio = boost::asio;

// At most this many queued frames go into one gathered TLS write.
constexpr std::size_t kMaxFramesPerWrite = 64;

}  // namespace

Connection::Connection(asio::io_context& io, asio::ssl::context& tls,
                       std::weak_ptr<ConnectionOwner> owner, const ConnectionLimits& limits,
                       bool outbound, std::string expected_peer)
    : owner_(std::move(owner)),
      limits_(limits),
      outbound_(outbound),
      expected_peer_(std::move(expected_peer)),
      stream_(io, tls),
      handshake_timer_(io),
      ping_timer_(io),
      pause_timer_(io) {}

void Connection::ArmHandshakeDeadline() {
  if (deadline_armed_) return;
  deadline_armed_ = true;
  handshake_timer_.expires_after(limits_.handshake_timeout);
  handshake_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || self->closed_ || self->up_) return;
    self->Close(CloseKind::kLost, "connect, TLS handshake and Hello not done within " +
                                      std::to_string(self->limits_.handshake_timeout.count()) +
                                      " ms");
  });
}

void Connection::Start(std::string address) {
  address_ = std::move(address);
  ArmHandshakeDeadline();
  stream_.async_handshake(
      outbound_ ? asio::ssl::stream_base::client : asio::ssl::stream_base::server,
      [self = shared_from_this()](const boost::system::error_code& error) {
        self->OnHandshake(error);
      });
}

void Connection::OnHandshake(const boost::system::error_code& error) {
  if (closed_) return;
  if (error) {
    // OpenSSL's reason for refusing the peer's certificate ("certificate has expired", ...),
    // which the handshake error itself only calls "certificate verify failed".
    const long verify = SSL_get_verify_result(stream_.native_handle());  // NOLINT(runtime/int)
    Close(CloseKind::kRefused,
          "TLS handshake failed: " + error.message() +
              (verify == X509_V_OK
                   ? std::string()
                   : std::string(" (") + X509_verify_cert_error_string(verify) + ")"));
    return;
  }
  Result<PeerCertificate> certificate = ReadPeerCertificate(stream_.native_handle());
  if (!certificate.ok()) {
    Close(CloseKind::kRefused, "peer certificate unreadable: " + certificate.status().message());
    return;
  }
  certificate_ = std::move(certificate).value();
  Result<Bytes> exporter = ExportChannelBinding(stream_.native_handle());
  if (!exporter.ok()) {
    Close(CloseKind::kRefused, "TLS exporter: " + exporter.status().message());
    return;
  }
  channel_binding_ = std::move(exporter).value();
  std::shared_ptr<ConnectionOwner> owner = owner_.lock();
  if (owner == nullptr) {
    CloseSilently();
    return;
  }
  const Status allowed = owner->CheckPeerCertificate(*this);
  if (!allowed.ok()) {
    Close(CloseKind::kRefused, allowed.message());
    return;
  }
  peer_id_ = certificate_.common_name;
  last_receive_ = std::chrono::steady_clock::now();
  PushWrite(owner->MakeHello(*this));
  ReadPrefix();
}

bool Connection::PauseReading() {
  if (!up_ || !limits_.inbound_paused || !limits_.inbound_paused()) {
    if (paused_) {
      paused_ = false;
      last_receive_ = std::chrono::steady_clock::now();  // the pause was ours, not its silence
    }
    return false;
  }
  paused_ = true;
  pause_timer_.expires_after(std::chrono::milliseconds(2));
  pause_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error && !self->closed_) self->ReadPrefix();
  });
  return true;
}

void Connection::ReadPrefix() {
  if (PauseReading()) return;
  asio::async_read(stream_, asio::buffer(prefix_),
                   [self = shared_from_this()](const boost::system::error_code& error,
                                               std::size_t /*bytes*/) { self->OnPrefix(error); });
}

void Connection::OnPrefix(const boost::system::error_code& error) {
  if (closed_) return;
  if (error) {
    Close(CloseKind::kLost, "read failed: " + error.message());
    return;
  }
  // The length is checked before the body buffer is allocated; before its Hello a peer may
  // send only a Hello-sized frame, so a connection that is not yet a peer cannot make this
  // node allocate a full frame.
  const std::uint32_t limit =
      up_ ? limits_.max_frame_bytes : std::min(limits_.max_frame_bytes, kMaxHelloFrameBytes);
  Result<std::uint32_t> length = DecodeLength(prefix_, limit);
  if (!length.ok()) {
    Close(CloseKind::kBadFrame, length.status().message());
    return;
  }
  body_.assign(*length, '\0');
  asio::async_read(
      stream_, asio::buffer(body_),
      [self = shared_from_this()](const boost::system::error_code& read_error,
                                  std::size_t /*bytes*/) { self->OnBody(read_error); });
}

void Connection::OnBody(const boost::system::error_code& error) {
  if (closed_) return;
  if (error) {
    Close(CloseKind::kLost, "read failed: " + error.message());
    return;
  }
  last_receive_ = std::chrono::steady_clock::now();
  const std::size_t wire_bytes = kLengthPrefixSize + body_.size();
  Result<proto::Frame> frame = DecodeFrame(body_);
  std::string().swap(body_);  // a large frame's buffer is not kept around
  if (!frame.ok()) {
    Close(CloseKind::kBadFrame, frame.status().message());
    return;
  }
  if (counters_ != nullptr) {
    counters_->frames_in.fetch_add(1, std::memory_order_relaxed);
    counters_->bytes_in.fetch_add(wire_bytes, std::memory_order_relaxed);
  }
  HandleFrame(std::move(frame).value());
  if (!closed_) ReadPrefix();
}

void Connection::HandleFrame(proto::Frame frame) {
  std::shared_ptr<ConnectionOwner> owner = owner_.lock();
  if (owner == nullptr) {
    CloseSilently();
    return;
  }
  const bool is_hello = frame.kind_case() == proto::Frame::kHello;
  if (!up_) {
    if (!is_hello) {
      Close(CloseKind::kRefused, "first frame is not a Hello");
      return;
    }
    const Status accepted = owner->OnHello(shared_from_this(), frame.hello());
    if (!accepted.ok()) {
      Close(CloseKind::kRefused, accepted.message());
      return;
    }
    return;  // OnHello called MarkUp
  }
  switch (frame.kind_case()) {
    case proto::Frame::kHello:
      Close(CloseKind::kBadFrame, "second Hello on one connection");
      return;
    case proto::Frame::kPing: {
      proto::Frame pong;
      pong.set_version(kFrameVersion);
      pong.mutable_pong()->set_nonce(frame.ping().nonce());
      Result<EncodedFrame> encoded = EncodeFrame(pong, limits_.max_frame_bytes);
      if (encoded.ok()) Enqueue(*encoded);
      return;
    }
    case proto::Frame::kPong:
      return;  // its arrival already refreshed last_receive_
    default:
      owner->OnConnectionFrame(shared_from_this(), std::move(frame));
      return;
  }
}

void Connection::MarkUp() {
  up_ = true;
  handshake_timer_.cancel();
  ArmPingTimer();
}

Connection::EnqueueResult Connection::Enqueue(const EncodedFrame& frame) {
  if (closed_ || !up_) return EnqueueResult::kNotUp;
  if (queued_bytes_ + frame->size() > limits_.max_send_queue_bytes) {
    return EnqueueResult::kQueueFull;
  }
  PushWrite(frame);
  return EnqueueResult::kQueued;
}

void Connection::PushWrite(const EncodedFrame& frame) {
  write_queue_.push_back(frame);
  queued_bytes_ += frame->size();
  if (counters_ != nullptr) {
    counters_->send_queue_bytes.fetch_add(frame->size(), std::memory_order_relaxed);
  }
  if (writing_frames_ == 0) WriteMore();
}

void Connection::WriteMore() {
  if (closed_ || write_queue_.empty()) return;
  writing_frames_ = std::min(write_queue_.size(), kMaxFramesPerWrite);
  write_buffers_.clear();
  for (std::size_t i = 0; i < writing_frames_; ++i) {
    write_buffers_.push_back(asio::buffer(*write_queue_[i]));
  }
  asio::async_write(stream_, write_buffers_,
                    [self = shared_from_this(), frames = writing_frames_](
                        const boost::system::error_code& error, std::size_t /*bytes*/) {
                      self->OnWritten(error, frames);
                    });
}

void Connection::OnWritten(const boost::system::error_code& error, std::size_t frames) {
  writing_frames_ = 0;
  if (closed_) return;
  if (error) {
    Close(CloseKind::kLost, "write failed: " + error.message());
    return;
  }
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < frames; ++i) {
    bytes += write_queue_.front()->size();
    write_queue_.pop_front();
  }
  queued_bytes_ -= bytes;
  if (counters_ != nullptr) {
    counters_->send_queue_bytes.fetch_sub(bytes, std::memory_order_relaxed);
    counters_->frames_out.fetch_add(frames, std::memory_order_relaxed);
    counters_->bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  }
  WriteMore();
}

void Connection::ArmPingTimer() {
  ping_timer_.expires_after(limits_.ping_interval);
  ping_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error) self->OnPingTimer();
  });
}

void Connection::OnPingTimer() {
  if (closed_) return;
  const auto silent = std::chrono::steady_clock::now() - last_receive_;
  if (!paused_ && silent > limits_.idle_timeout) {
    Close(
        CloseKind::kLost,
        "nothing received for " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()) +
            " ms");
    return;
  }
  proto::Frame ping;
  ping.set_version(kFrameVersion);
  ping.mutable_ping()->set_nonce(next_ping_nonce_++);
  Result<EncodedFrame> encoded = EncodeFrame(ping, limits_.max_frame_bytes);
  if (encoded.ok()) Enqueue(*encoded);
  ArmPingTimer();
}

void Connection::AttachCounters(std::shared_ptr<PeerCounters> counters) {
  counters_ = std::move(counters);
  counters_->send_queue_bytes.fetch_add(queued_bytes_, std::memory_order_relaxed);
}

void Connection::CloseSilently() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  handshake_timer_.cancel();
  ping_timer_.cancel();
  pause_timer_.cancel();
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  if (counters_ != nullptr) {
    counters_->send_queue_bytes.fetch_sub(queued_bytes_, std::memory_order_relaxed);
  }
  // In-flight buffers stay referenced by the pending write until its handler runs; the
  // rest is released now.
  while (write_queue_.size() > writing_frames_) write_queue_.pop_back();
  queued_bytes_ = 0;
}

void Connection::Close(CloseKind kind, const std::string& reason) {
  if (closed_) return;
  CloseSilently();
  if (std::shared_ptr<ConnectionOwner> owner = owner_.lock()) {
    owner->OnConnectionClosed(shared_from_this(), kind, reason);
  }
}

}  // namespace colend::node::internal
