#include "colend/node/rpc_server.h"

#include <pthread.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "colend/common/check.h"
#include "colend/crypto/hash.h"
#include "json_rpc.h"
#include "rpc_dispatcher.h"
#include "ws_session.h"

namespace colend::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using rpc::RpcDispatcher;

constexpr std::string_view kJson = "application/json";
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
// After an error answer, read (and discard) at most this much of what the client is still
// sending, so it can read the answer instead of seeing its connection reset. Bounded in time
// too (drain_timeout_ms): a trickler must not be able to keep a refused connection open.
constexpr std::size_t kMaxDrainBytes = 8 << 20;
// What the idle wait reads at once: the start of the next request.
constexpr std::size_t kFirstReadBytes = 4 * 1024;
// After a deadline, how often the pending read is cancelled again until it gives up.
constexpr std::uint32_t kRecancelMs = 20;

// The connection slots: how many are open in all and from each remote address. Admitting
// and releasing take the mutex; both happen once per connection, not per request.
class ConnectionLimits {
 public:
  enum class Verdict { kAdmitted, kOverTotal, kOverPerAddress };

  ConnectionLimits(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  Verdict TryAdmit(const asio::ip::address& address) {
    std::lock_guard lock(mu_);
    if (total_ >= max_total_) return Verdict::kOverTotal;
    std::size_t& from_address = per_address_[address];
    if (from_address >= max_per_address_) return Verdict::kOverPerAddress;
    ++from_address;
    ++total_;
    return Verdict::kAdmitted;
  }

  // REQUIRES: `address` was admitted and not released since.
  void Release(const asio::ip::address& address) {
    std::lock_guard lock(mu_);
    auto it = per_address_.find(address);
    COLEND_CHECK(it != per_address_.end() && it->second > 0 && total_ > 0);
    --total_;
    // Erase at zero: the map holds only addresses with open connections, so a scan from
    // many addresses cannot grow it.
    if (--it->second == 0) per_address_.erase(it);
  }

 private:
  const std::size_t max_total_;
  const std::size_t max_per_address_;
  std::mutex mu_;
  std::size_t total_ = 0;                                 // guarded by mu_
  std::map<asio::ip::address, std::size_t> per_address_;  // guarded by mu_
};

// What every connection shares with the server. Held by shared_ptr so a connection that
// outlives Stop() (its handler still queued) never touches a destroyed server.
struct ServerShared {
  ServerShared(const RpcOptions& opts, NodeApi& node_api, MetricsRegistry& registry)
      : options(opts),
        node(node_api),
        metrics(registry),
        dispatcher(node_api, registry, opts),
        limits(opts.max_connections, opts.max_connections_per_address),
        connections(
            registry.RegisterGauge("colend_rpc_connections", "Open JSON-RPC HTTP connections")),
        refused_over_total(RefusedCounter(registry, "max_connections")),
        refused_over_per_address(RefusedCounter(registry, "max_connections_per_address")),
        header_timeouts(TimeoutCounter(registry, "header")),
        body_timeouts(TimeoutCounter(registry, "body")),
        ws(std::make_shared<rpc::WsContext>(opts, node_api, registry)) {
    if (!options.bearer_token.empty()) {
      token_digest = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(options.bearer_token));
    }
  }

  static Counter& RefusedCounter(MetricsRegistry& registry, std::string_view limit) {
    return registry.RegisterCounter(
        "colend_rpc_connections_refused_total",
        "JSON-RPC HTTP connections answered 503 at once, by the limit they were over",
        {{"limit", std::string(limit)}});
  }

  static Counter& TimeoutCounter(MetricsRegistry& registry, std::string_view phase) {
    return registry.RegisterCounter(
        "colend_rpc_request_timeouts_total",
        "JSON-RPC HTTP requests answered 408, by the part not received in time",
        {{"phase", std::string(phase)}});
  }

  // Constant time over digests: neither the content nor the length of the token leaks.
  bool Authorized(std::string_view authorization) const {
    if (!token_digest.has_value()) return true;
    constexpr std::string_view kScheme = "Bearer ";
    std::string_view presented;
    if (authorization.size() > kScheme.size() &&
        beast::iequals(authorization.substr(0, kScheme.size()), kScheme)) {
      presented = authorization.substr(kScheme.size());
    }
    const crypto::Digest digest = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(presented));
    return ConstantTimeEqual(digest, *token_digest) && !presented.empty();
  }

  std::string metrics_text() const { return metrics.Render(); }

  const RpcOptions options;
  NodeApi& node;
  MetricsRegistry& metrics;
  RpcDispatcher dispatcher;
  ConnectionLimits limits;
  Gauge& connections;
  Counter& refused_over_total;
  Counter& refused_over_per_address;
  Counter& header_timeouts;
  Counter& body_timeouts;
  // Refused connections still lingering (answer written, input being discarded). Beyond
  // max_connections of them a refused connection is closed right after its answer, without
  // lingering, so a flood of refused connections holds no more than that.
  std::atomic<std::size_t> lingering_refusals{0};
  std::optional<crypto::Digest> token_digest;
  std::shared_ptr<rpc::WsContext> ws;  // the /ws sessions and their hub
};

// A request target made safe to quote in a JSON string: the parser lets bytes above 0x7f
// through, and a string with invalid UTF-8 would make the answer not JSON.
std::string PrintableTarget(std::string_view target) {
  constexpr std::size_t kMaxQuoted = 200;
  std::string out;
  for (char c : target.substr(0, kMaxQuoted)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7f) {
      out += c;
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  if (target.size() > kMaxQuoted) out += "...";
  return out;
}

// One HTTP/1.1 connection: wait for a request, read its headers, then its body, answer it,
// repeat while keep-alive. Every handler runs on the connection's strand and holds
// shared_from_this().
//
// Deadlines are one steady_timer, armed once per phase (idle wait, headers, body, write,
// drain) and never pushed back by progress; when it fires it cancels the socket's pending
// operation and the handler sees timed_out_. Beast's tcp_stream timeouts are not used
// because they close the socket, and a request that missed its deadline is still answered.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // An admitted connection holding a slot for `address` (released when the session ends).
  Session(tcp::socket socket, std::shared_ptr<ServerShared> shared,
          std::optional<asio::ip::address> admitted)
      : socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        shared_(std::move(shared)),
        admitted_(std::move(admitted)) {
    if (admitted_.has_value()) shared_->connections.Add(1);
  }
  ~Session() {
    if (admitted_.has_value()) {
      shared_->limits.Release(*admitted_);
      shared_->connections.Add(-1);
    }
    if (lingering_refusal_) shared_->lingering_refusals.fetch_sub(1);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Serves requests until the client goes or a deadline passes. The first request's
  // header deadline runs from the accept: a new connection has no idle wait to spend.
  void Run() {
    asio::dispatch(socket_.get_executor(),
                   beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // Answers 503 with `message` at once, without reading the request, and closes.
  void Refuse(std::string message) {
    // Linger (discard input briefly, so the client reads the 503 rather than a reset) only
    // while few refused connections do; otherwise close right after the answer.
    const bool linger = shared_->lingering_refusals.fetch_add(1) < shared_->options.max_connections;
    if (linger) {
      lingering_refusal_ = true;
    } else {
      shared_->lingering_refusals.fetch_sub(1);
    }
    asio::dispatch(socket_.get_executor(),
                   [self = shared_from_this(), linger, message = std::move(message)]() mutable {
                     self->error_answer_ = true;
                     self->Reply(http::status::service_unavailable,
                                 self->shared_->dispatcher.RefusalBody(rpc::kBusy, message),
                                 /*keep_alive=*/false, /*drain=*/linger);
                   });
  }

 private:
  using Ms = std::chrono::milliseconds;

  // Sets the one deadline of the current phase; a later Arm or Disarm replaces it.
  void Arm(std::uint32_t timeout_ms) {
    timed_out_ = false;
    WaitForDeadline(Ms(timeout_ms), ++deadline_generation_);
  }

  void WaitForDeadline(Ms after, std::uint64_t generation) {
    deadline_.expires_after(after);
    deadline_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      // A stale expiry (the phase ended while this handler was queued) does nothing.
      if (ec || generation != self->deadline_generation_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->socket_.cancel(ignored);
      // Beast's reads are composed: if one step's completion was already queued when the
      // cancel came, the next step starts uncancelled. So cancel again shortly until the
      // phase's handler has run (and Disarm changed the generation).
      self->WaitForDeadline(Ms(kRecancelMs), generation);
    });
  }

  void Disarm() {
    ++deadline_generation_;
    deadline_.cancel();
  }

  // The client went away (or the server is stopping): nothing to answer.
  static bool ClientGone(beast::error_code ec) {
    return ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
           ec == asio::error::connection_reset || ec == asio::error::eof ||
           ec == asio::error::broken_pipe;
  }

  // Idle phase: a keep-alive connection waits idle_timeout_ms for the first byte of its next
  // request. Only the wait is this long; the request itself runs on header_timeout_ms.
  void WaitForRequest() {
    if (buffer_.size() > 0) return ReadHeader();  // pipelined: the next request is here
    Arm(shared_->options.idle_timeout_ms);
    socket_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->Disarm();
                              if (ec) return self->Close();  // idle timeout or gone
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    head_request_ = false;
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    Arm(shared_->options.header_timeout_ms);
    http::async_read_header(socket_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t /*bytes*/) {
    Disarm();
    if (ec && timed_out_) {
      shared_->header_timeouts.Increment();
      return Fail(http::status::request_timeout, rpc::kInvalidRequest,
                  "request headers not complete within " +
                      std::to_string(shared_->options.header_timeout_ms) + " ms");
    }
    if (ec) return OnReadError(ec);
    // A Transfer-Encoding other than chunked leaves the body's length unknown (RFC 9112
    // 6.3): Beast would read no body and take the body's bytes for the next request, so
    // the request is refused and the connection closed instead.
    if (parser_->get().count(http::field::transfer_encoding) > 0 && !parser_->chunked()) {
      return Fail(http::status::bad_request, rpc::kParseError,
                  "malformed HTTP request: a Transfer-Encoding other than chunked is not "
                  "supported");
    }
    if (parser_->is_done()) return Serve(parser_->get(), parser_->get().keep_alive());
    // The body gets its own deadline from here, whatever Content-Length claims.
    Arm(shared_->options.body_timeout_ms);
    http::async_read(socket_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t /*bytes*/) {
    Disarm();
    if (ec && timed_out_) {
      shared_->body_timeouts.Increment();
      std::string message = "request body not complete within " +
                            std::to_string(shared_->options.body_timeout_ms) + " ms";
      const auto declared = parser_->content_length();
      const auto missing = parser_->content_length_remaining();
      if (declared.has_value() && missing.has_value()) {
        message += ": received " + std::to_string(*declared - *missing) + " of the " +
                   std::to_string(*declared) + " bytes Content-Length declares";
      }
      return Fail(http::status::request_timeout, rpc::kInvalidRequest, message);
    }
    if (ec) return OnReadError(ec);
    Serve(parser_->get(), parser_->get().keep_alive());
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Fail(http::status::payload_too_large, rpc::kInvalidRequest,
                  "request body larger than " + std::to_string(shared_->options.max_body_bytes) +
                      " bytes refused");
    }
    if (ec == http::error::partial_message) {
      // The client closed its side mid-request; it may still be reading.
      return Fail(http::status::bad_request, rpc::kInvalidRequest,
                  "request ended before it was complete");
    }
    if (ClientGone(ec)) return Close();
    // Not HTTP we can read (bad request line, header too large, bad chunking).
    Fail(http::status::bad_request, rpc::kParseError, "malformed HTTP request: " + ec.message());
  }

  // Answers an unreadable or late request and closes the connection.
  void Fail(http::status status, int code, const std::string& message) {
    error_answer_ = true;
    Reply(status, shared_->dispatcher.RefusalBody(code, message), /*keep_alive=*/false,
          /*drain=*/true);
  }

  void Serve(const http::request<http::string_body>& request, bool keep_alive) {
    head_request_ = request.method() == http::verb::head;
    std::string_view target = request.target();
    target = target.substr(0, target.find('?'));
    const auto auth = request[http::field::authorization];
    if (target == "/") {
      if (request.method() != http::verb::post) {
        return Reply(
            http::status::method_not_allowed,
            shared_->dispatcher.RefusalBody(rpc::kInvalidRequest, "JSON-RPC requests are POST /"),
            keep_alive, false);
      }
      if (!shared_->Authorized(auth)) {
        return Reply(http::status::unauthorized,
                     shared_->dispatcher.RefusalBody(
                         rpc::kUnauthorized, "unauthorized: a valid bearer token is required"),
                     keep_alive, false);
      }
      std::optional<std::string> body = shared_->dispatcher.Handle(request.body());
      if (!body.has_value()) return Reply(http::status::no_content, "", keep_alive, false);
      return Reply(http::status::ok, std::move(*body), keep_alive, false);
    }
    if (target == "/ws") return UpgradeToWebSocket(request, keep_alive);
    if (target == "/health" || target == "/metrics") {
      if (request.method() != http::verb::get) {
        return Reply(http::status::method_not_allowed,
                     shared_->dispatcher.RefusalBody(rpc::kInvalidRequest,
                                                     std::string(target) + " takes GET"),
                     keep_alive, false);
      }
      if (target == "/health") {
        std::string body =
            "{\"status\":\"ok\",\"height\":" + std::to_string(shared_->node.BlockNumber()) + "}";
        return Reply(http::status::ok, std::move(body), keep_alive, false);
      }
      if (shared_->options.metrics_require_token && !shared_->Authorized(auth)) {
        return Reply(http::status::unauthorized,
                     shared_->dispatcher.RefusalBody(
                         rpc::kUnauthorized, "unauthorized: a valid bearer token is required"),
                     keep_alive, false);
      }
      return Reply(http::status::ok, shared_->metrics_text(), keep_alive, false,
                   "text/plain; version=0.0.4; charset=utf-8");
    }
    Reply(http::status::not_found,
          shared_->dispatcher.RefusalBody(rpc::kMethodNotFound,
                                          "no such path: " + PrintableTarget(target)),
          keep_alive, false);
  }

  // GET /ws with a WebSocket upgrade and, when a token is configured, the same bearer token
  // as POST /. The session takes the socket; this HTTP session lives on as the holder of
  // the connection's slot under the connection limits.
  void UpgradeToWebSocket(const http::request<http::string_body>& request, bool keep_alive) {
    if (request.method() != http::verb::get || !beast::websocket::is_upgrade(request)) {
      return Reply(http::status::upgrade_required,
                   shared_->dispatcher.RefusalBody(
                       rpc::kInvalidRequest,
                       "/ws takes a WebSocket upgrade (GET with Upgrade: websocket)"),
                   keep_alive, false);
    }
    if (!shared_->Authorized(request[http::field::authorization])) {
      return Reply(http::status::unauthorized,
                   shared_->dispatcher.RefusalBody(
                       rpc::kUnauthorized, "unauthorized: a valid bearer token is required"),
                   keep_alive, false);
    }
    Disarm();
    rpc::StartWebSocketSession(std::move(socket_), parser_->release(), shared_->ws,
                               shared_from_this());
  }

  void Reply(http::status status, std::string body, bool keep_alive, bool drain,
             std::string_view content_type = kJson) {
    response_ = {};
    response_.result(status);
    response_.version(11);
    response_.set(http::field::server, "colend");
    if (status == http::status::unauthorized) {
      response_.set(http::field::www_authenticate, "Bearer");
    }
    // An answer to HEAD carries no body (RFC 9110 9.3.2): one would be read as the start
    // of the next answer on a keep-alive connection.
    if (status != http::status::no_content && !head_request_) {
      response_.set(http::field::content_type, content_type);
      response_.body() = std::move(body);
    }
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    // A client that does not read its answer holds the connection this long at most; an
    // error answer is short and gets no more time than the drain after it.
    Arm(error_answer_ ? shared_->options.drain_timeout_ms : shared_->options.idle_timeout_ms);
    http::async_write(
        socket_, response_,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this(), keep_alive, drain));
  }

  void OnWrite(bool keep_alive, bool drain, beast::error_code ec, std::size_t /*bytes*/) {
    Disarm();
    if (ec) return Close();
    if (!keep_alive) {
      beast::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      if (drain) {
        // One deadline for the whole drain: bytes arriving do not extend it.
        Arm(shared_->options.drain_timeout_ms);
        return Drain();
      }
      return Close();
    }
    WaitForRequest();
  }

  // Reads and discards what the client is still sending until it closes, the drain deadline
  // passes or kMaxDrainBytes were read; then closes.
  void Drain() {
    if (drained_ >= kMaxDrainBytes) return Close();
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    Disarm();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer deadline_;
  std::uint64_t deadline_generation_ = 0;
  bool timed_out_ = false;  // the current phase's deadline fired
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<ServerShared> shared_;
  const std::optional<asio::ip::address> admitted_;  // set = holds a connection slot
  bool lingering_refusal_ = false;
  bool error_answer_ = false;  // the answer being written closes the connection on an error
  bool head_request_ = false;  // the request being answered is a HEAD: no body
  std::array<char, 16 * 1024> scratch_{};
  std::size_t drained_ = 0;
};

}  // namespace

struct RpcServer::Impl {
  Impl(const RpcOptions& options, NodeApi& node, MetricsRegistry& metrics)
      : shared(std::make_shared<ServerShared>(options, node, metrics)),
        ioc(std::make_unique<asio::io_context>(static_cast<int>(options.threads))),
        acceptor(std::make_unique<tcp::acceptor>(*ioc)),
        retry_timer(std::make_unique<asio::steady_timer>(*ioc)) {}

  // The handler may use `this`: Stop() joins the workers and destroys the io_context (and
  // with it any queued handler) before the Impl goes away.
  void Accept() {
    acceptor->async_accept(asio::make_strand(*ioc),
                           [this](beast::error_code ec, tcp::socket socket) {
                             if (ec == asio::error::operation_aborted || !acceptor->is_open())
                               return;
                             if (!ec) {
                               Admit(std::move(socket));
                               Accept();
                               return;
                             }
                             // Out of descriptors or similar: retry shortly instead of spinning on
                             // the error. Clients opening connections can keep this failing, so
                             // it is logged at the 1st, 2nd, 4th, 8th, ... failure (as node/p2p
                             // does), not ten lines a second.
                             ++accept_failures;
                             if ((accept_failures & (accept_failures - 1)) == 0) {
                               spdlog::warn("rpc: accept failed: {} ({} failures so far)",
                                            ec.message(), accept_failures);
                             }
                             retry_timer->expires_after(std::chrono::milliseconds(100));
                             retry_timer->async_wait([this](beast::error_code timer_ec) {
                               if (!timer_ec && acceptor->is_open()) Accept();
                             });
                           });
  }

  // Decides at once, without reading: a connection over a limit is answered 503 and
  // closed, and holds no slot meanwhile.
  void Admit(tcp::socket socket) {
    beast::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone; the socket closes here
    const asio::ip::address address = remote.address();
    switch (shared->limits.TryAdmit(address)) {
      case ConnectionLimits::Verdict::kAdmitted:
        std::make_shared<Session>(std::move(socket), shared, address)->Run();
        return;
      case ConnectionLimits::Verdict::kOverTotal:
        shared->refused_over_total.Increment();
        std::make_shared<Session>(std::move(socket), shared, std::nullopt)
            ->Refuse("too many connections: retry later");
        return;
      case ConnectionLimits::Verdict::kOverPerAddress:
        shared->refused_over_per_address.Increment();
        std::make_shared<Session>(std::move(socket), shared, std::nullopt)
            ->Refuse("too many connections from " + address.to_string() + " (at most " +
                     std::to_string(shared->options.max_connections_per_address) +
                     "): retry later");
        return;
    }
  }

  std::shared_ptr<ServerShared> shared;
  std::unique_ptr<asio::io_context> ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> retry_timer;
  // Only the accept handler touches it, and one accept is outstanding at a time.
  std::uint64_t accept_failures = 0;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

Result<std::unique_ptr<RpcServer>> RpcServer::Create(const RpcOptions& options, NodeApi& node,
                                                     MetricsRegistry& metrics) {
  if (options.threads == 0) return Status::InvalidArgument("rpc: threads must be at least 1");
  if (options.max_connections == 0) {
    return Status::InvalidArgument("rpc: max_connections must be at least 1");
  }
  if (options.max_connections_per_address == 0) {
    return Status::InvalidArgument("rpc: max_connections_per_address must be at least 1");
  }
  if (options.idle_timeout_ms == 0 || options.header_timeout_ms == 0 ||
      options.body_timeout_ms == 0 || options.drain_timeout_ms == 0) {
    return Status::InvalidArgument("rpc: every timeout must be at least 1 ms");
  }
  if (options.max_batch == 0) return Status::InvalidArgument("rpc: max_batch must be at least 1");
  if (options.list_scan_budget == 0) {
    return Status::InvalidArgument("rpc: list_scan_budget must be at least 1");
  }
  if (options.max_response_bytes == 0) {
    return Status::InvalidArgument("rpc: max_response_bytes must be at least 1");
  }
  if (options.max_list_limit == 0) {
    return Status::InvalidArgument("rpc: max_list_limit must be at least 1");
  }
  if (options.ws_max_subscriptions == 0 || options.ws_max_subscriptions_per_connection == 0 ||
      options.ws_max_queue_messages == 0 || options.ws_max_queue_bytes == 0 ||
      options.ws_max_request_bytes == 0) {
    return Status::InvalidArgument("rpc: every ws_ limit must be at least 1");
  }
  if (options.max_body_bytes == 0) {
    return Status::InvalidArgument("rpc: max_body_bytes must be at least 1");
  }
  // Without a token there is nothing to require: /metrics would silently stay open while
  // the operator believes it protected.
  if (options.metrics_require_token && options.bearer_token.empty()) {
    return Status::InvalidArgument(
        "rpc: metrics_require_token is set but there is no bearer_token to require");
  }
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) {
    return Status::InvalidArgument("rpc: host \"" + options.host + "\" is not an IP address");
  }
  auto impl = std::make_unique<Impl>(options, node, metrics);
  const tcp::endpoint endpoint(address, options.port);
  tcp::acceptor& acceptor = *impl->acceptor;
  auto fail = [&](std::string_view what) {
    return Status::IoError("rpc: cannot " + std::string(what) + " " + options.host + ":" +
                           std::to_string(options.port) + ": " + ec.message());
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail("configure");
  if (acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("listen on");
  impl->port = acceptor.local_endpoint(ec).port();
  if (ec) return fail("read the port of");
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl)));
}

RpcServer::RpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RpcServer::~RpcServer() {
  Stop();
}

std::uint16_t RpcServer::port() const {
  return impl_->port;
}

void RpcServer::Publish(std::shared_ptr<const BlockEvent> event) {
  if (impl_->stopped) return;  // the sessions' executors are gone
  impl_->shared->ws->hub.Publish(std::move(event));
}

void RpcServer::Start() {
  COLEND_CHECK_MSG(!impl_->started, "RpcServer::Start called twice");
  impl_->started = true;
  if (impl_->stopped) return;
  impl_->Accept();
  for (std::size_t i = 0; i < impl_->shared->options.threads; ++i) {
    impl_->threads.emplace_back([this, i] {
      const std::string name = "colend-rpc-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      impl_->ioc->run();
    });
  }
  spdlog::info("rpc: serving JSON-RPC on {}:{} with {} threads", impl_->shared->options.host,
               impl_->port, impl_->shared->options.threads);
}

void RpcServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc->stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Destroying the io_context destroys every queued handler and with them the sessions,
  // which closes their sockets.
  beast::error_code ignored;
  impl_->acceptor->close(ignored);
  impl_->retry_timer.reset();
  impl_->acceptor.reset();
  impl_->ioc.reset();
}

}  // namespace colend::node
