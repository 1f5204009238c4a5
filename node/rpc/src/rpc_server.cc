#include "colend/node/rpc_server.h"

#include <pthread.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "colend/common/check.h"
#include "colend/crypto/hash.h"
#include "rpc_dispatcher.h"

namespace colend::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using rpc::RpcDispatcher;

constexpr std::string_view kJson = "application/json";
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
// After refusing an oversized body, read (and discard) at most this much of the rest so the
// client can read the 413 instead of seeing its connection reset.
constexpr std::size_t kMaxDrainBytes = 8 << 20;

// What every connection shares with the server. Held by shared_ptr so a connection that
// outlives Stop() (its handler still queued) never touches a destroyed server.
struct ServerShared {
  ServerShared(const RpcOptions& opts, NodeApi& node_api, MetricsRegistry& registry)
      : options(opts),
        node(node_api),
        metrics(registry),
        dispatcher(node_api, registry, opts),
        connections(
            registry.RegisterGauge("colend_rpc_connections", "Open JSON-RPC HTTP connections")) {
    if (!options.bearer_token.empty()) {
      token_digest = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(options.bearer_token));
    }
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
  Gauge& connections;
  std::atomic<std::size_t> active{0};
  std::optional<crypto::Digest> token_digest;
};

// One HTTP/1.1 connection: read a request, answer it, repeat while keep-alive. Every
// handler runs on the connection's strand and holds shared_from_this().
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerShared> shared, bool refuse)
      : stream_(std::move(socket)), shared_(std::move(shared)), refuse_(refuse) {
    if (!refuse_) shared_->connections.Add(1);
  }
  ~Session() {
    if (!refuse_) {
      shared_->active.fetch_sub(1);
      shared_->connections.Add(-1);
    }
  }

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

 private:
  std::chrono::milliseconds idle_timeout() const {
    return std::chrono::milliseconds(shared_->options.idle_timeout_ms);
  }

  void DoRead() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    stream_.expires_after(idle_timeout());
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      Close();
      return;
    }
    if (ec == http::error::body_limit) {
      Reply(http::status::payload_too_large,
            shared_->dispatcher.RefusalBody(rpc::kInvalidRequest,
                                            "request body larger than " +
                                                std::to_string(shared_->options.max_body_bytes) +
                                                " bytes refused"),
            /*keep_alive=*/false, /*drain=*/true);
      return;
    }
    if (ec) {
      // Not HTTP we can read (bad request line, header too large, bad chunking).
      Reply(http::status::bad_request,
            shared_->dispatcher.RefusalBody(rpc::kParseError,
                                            "malformed HTTP request: " + ec.message()),
            false, true);
      return;
    }
    const auto& request = parser_->get();
    const bool keep_alive = request.keep_alive();
    if (refuse_) {
      Reply(http::status::service_unavailable,
            shared_->dispatcher.RefusalBody(rpc::kBusy, "too many connections: retry later"), false,
            false);
      return;
    }
    Serve(request, keep_alive);
  }

  void Serve(const http::request<http::string_body>& request, bool keep_alive) {
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
                                          "no such path: " + std::string(target)),
          keep_alive, false);
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
    if (status != http::status::no_content) {
      response_.set(http::field::content_type, content_type);
      response_.body() = std::move(body);
    }
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(idle_timeout());
    http::async_write(
        stream_, response_,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this(), keep_alive, drain));
  }

  void OnWrite(bool keep_alive, bool drain, beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return Close();
    if (!keep_alive) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (drain) return Drain();
      return Close();
    }
    DoRead();
  }

  // Reads and discards what the client is still sending until it closes, the idle timeout
  // passes or kMaxDrainBytes were read; then closes.
  void Drain() {
    if (drained_ >= kMaxDrainBytes) return Close();
    stream_.expires_after(idle_timeout());
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<ServerShared> shared_;
  const bool refuse_;
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
                               // Count first, then decide: a connection beyond the cap is answered
                               // 503 and closed.
                               const std::size_t before = shared->active.fetch_add(1);
                               const bool refuse = before >= shared->options.max_connections;
                               if (refuse) shared->active.fetch_sub(1);
                               std::make_shared<Session>(std::move(socket), shared, refuse)->Run();
                               Accept();
                               return;
                             }
                             // Out of descriptors or similar: retry shortly instead of spinning on
                             // the error.
                             spdlog::warn("rpc: accept failed: {}", ec.message());
                             retry_timer->expires_after(std::chrono::milliseconds(100));
                             retry_timer->async_wait([this](beast::error_code timer_ec) {
                               if (!timer_ec && acceptor->is_open()) Accept();
                             });
                           });
  }

  std::shared_ptr<ServerShared> shared;
  std::unique_ptr<asio::io_context> ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> retry_timer;
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
  if (options.max_batch == 0) return Status::InvalidArgument("rpc: max_batch must be at least 1");
  if (options.max_list_limit == 0) {
    return Status::InvalidArgument("rpc: max_list_limit must be at least 1");
  }
  if (options.max_body_bytes == 0) {
    return Status::InvalidArgument("rpc: max_body_bytes must be at least 1");
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
