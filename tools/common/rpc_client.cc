#include "rpc_client.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <regex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "colend/common/files.h"

namespace colend::tools {

namespace beast = boost::beast;
namespace http = boost::beast::http;

using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One keep-alive HTTP/1.1 connection, driven asynchronously on its own io_context so that
// connect, write and read together end at the deadline: a beast::tcp_stream applies
// expires_after to asynchronous operations only, so blocking calls would wait for as long as
// a node that accepted the connection but never answers (stopped, wedged, a full backlog).
struct JsonRpcClient::Impl {
  std::string host;
  std::string port;
  std::string token;
  std::chrono::milliseconds timeout{10000};
  boost::asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::uint64_t next_id = 1;

  // Runs the operations just started until they complete; the stream's timer completes
  // them with beast::error::timeout at its deadline.
  void Run() {
    io.restart();
    io.run();
  }

  beast::error_code Connect(Clock::time_point deadline) {
    stream.emplace(io);
    buffer.clear();
    beast::error_code ec;
    tcp::resolver resolver(io);
    const tcp::resolver::results_type endpoints = resolver.resolve(host, port, ec);
    if (ec) return ec;
    stream->expires_at(deadline);
    stream->async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
    Run();
    if (!ec) stream->socket().set_option(tcp::no_delay(true), ec);
    return ec;
  }

  beast::error_code Send(const http::request<http::string_body>& req,
                         http::response<http::string_body>& res, Clock::time_point deadline) {
    beast::error_code ec;
    stream->expires_at(deadline);
    http::async_write(*stream, req, [&ec](beast::error_code e, std::size_t) { ec = e; });
    Run();
    if (ec) return ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(512u << 20);
    stream->expires_at(deadline);
    http::async_read(*stream, buffer, parser, [&ec](beast::error_code e, std::size_t) { ec = e; });
    Run();
    if (!ec) res = parser.release();
    return ec;
  }

  // One HTTP exchange within the timeout. Only a kept-alive connection the node had closed
  // meanwhile earns a second try; a refused connect or a timeout fails at once.
  Result<http::response<http::string_body>> Exchange(http::verb verb, const std::string& target,
                                                     const std::string& body) {
    const Clock::time_point deadline = Clock::now() + timeout;
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    for (;;) {
      const bool reused = stream.has_value();
      beast::error_code ec = reused ? beast::error_code() : Connect(deadline);
      http::response<http::string_body> res;
      if (!ec) ec = Send(req, res, deadline);
      if (!ec) {
        if (!res.keep_alive()) stream.reset();
        return res;
      }
      stream.reset();
      if (!reused || ec == beast::error::timeout || Clock::now() >= deadline) {
        return Status::Unavailable(
            "http://" + host + ":" + port + ": " +
            (ec == beast::error::timeout
                 ? "no answer within " + std::to_string(timeout.count()) + " ms"
                 : ec.message()));
      }
    }
  }
};

Result<std::unique_ptr<JsonRpcClient>> JsonRpcClient::Create(const std::string& url,
                                                             std::string bearer_token,
                                                             int timeout_ms) {
  static const std::regex kUrl(R"(http://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})/?)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    return Status::InvalidArgument("\"" + url + "\" is not an http://host:port URL");
  }
  auto impl = std::make_unique<Impl>();
  impl->host = m[1].str();
  if (impl->host.front() == '[') impl->host = impl->host.substr(1, impl->host.size() - 2);
  impl->port = m[2].str();
  impl->token = std::move(bearer_token);
  impl->timeout = std::chrono::milliseconds(timeout_ms);
  return std::unique_ptr<JsonRpcClient>(new JsonRpcClient(url, std::move(impl)));
}

JsonRpcClient::JsonRpcClient(std::string url, std::unique_ptr<Impl> impl)
    : url_(std::move(url)), impl_(std::move(impl)) {}
JsonRpcClient::~JsonRpcClient() = default;

namespace {

// The "error" member of a response (or of a sendTransactions entry).
RpcError ErrorFromObject(const boost::json::object& e) {
  RpcError error;
  if (const boost::json::value* c = e.if_contains("code"); c && c->is_int64()) {
    error.code = c->as_int64();
  }
  if (const boost::json::value* m = e.if_contains("message"); m && m->is_string()) {
    error.message = std::string(m->as_string());
  }
  if (const boost::json::value* d = e.if_contains("data")) error.data = *d;
  return error;
}

// One response object of an answer: its result or its error.
RpcResponse ResponseFromObject(const boost::json::object& o) {
  RpcResponse out;
  if (const boost::json::value* e = o.if_contains("error"); e != nullptr && e->is_object()) {
    out.error = ErrorFromObject(e->as_object());
    return out;
  }
  if (const boost::json::value* r = o.if_contains("result")) out.result = *r;
  return out;
}

}  // namespace

RpcResponse SendTransactionsEntry(const RpcResponse& response, std::size_t k, std::size_t n) {
  if (!response.status.ok() || response.error.has_value()) return response;
  RpcResponse out;
  const boost::json::array* results = nullptr;
  if (response.result.is_object()) {
    if (const boost::json::value* r = response.result.as_object().if_contains("results");
        r != nullptr && r->is_array()) {
      results = &r->as_array();
    }
  }
  if (results == nullptr || results->size() != n || k >= n || !(*results)[k].is_object()) {
    out.status = Status::Internal("sendTransactions answered without one result per transaction");
    return out;
  }
  const boost::json::object& entry = (*results)[k].as_object();
  const boost::json::value* error = entry.if_contains("error");
  if (error == nullptr) {
    out.result = entry;
    return out;
  }
  out.error = error->is_object() ? ErrorFromObject(error->as_object()) : RpcError{};
  return out;
}

Result<std::string> ReadBearerTokenFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Status::NotFound("--token-file " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return Status::InvalidArgument("--token-file " + path + ": not a regular file");
  }
  if ((info.st_mode & 0077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Status::PermissionDenied("--token-file " + path + " has mode " + mode +
                                    ", readable or writable by group or others; it holds a "
                                    "secret and must be 0600 or stricter: run chmod 600 " +
                                    path);
  }
  COLEND_ASSIGN_OR_RETURN(std::string token, ReadSecretWholeFile(path, 4096));
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  const bool printable =
      std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (token.empty() || !printable) {
    return Status::InvalidArgument("--token-file " + path +
                                   ": must hold one token of printable ASCII without spaces");
  }
  return token;
}

RpcResponse JsonRpcClient::Call(const std::string& method, const boost::json::value& params) {
  RpcResponse out;
  boost::json::object request{{"jsonrpc", "2.0"},
                              {"id", impl_->next_id++},
                              {"method", method}};
  if (!params.is_null()) request["params"] = params;
  Result<http::response<http::string_body>> res =
      impl_->Exchange(http::verb::post, "/", boost::json::serialize(request));
  if (!res.ok()) {
    out.status = res.status();
    return out;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(res->body(), ec);
  if (ec || !v.is_object()) {
    out.status = Status::Unavailable(url_ + " answered HTTP " + std::to_string(res->result_int()) +
                                     " without a JSON-RPC response");
    return out;
  }
  return ResponseFromObject(v.as_object());
}


Result<std::vector<RpcResponse>> JsonRpcClient::CallBatch(const std::vector<BatchCall>& calls) {
  if (calls.empty() || calls.size() > 100) {
    return Status::InvalidArgument("a JSON-RPC batch holds 1 to 100 calls, not " +
                                   std::to_string(calls.size()));
  }
  boost::json::array request;
  const std::uint64_t first_id = impl_->next_id;
  for (const BatchCall& call : calls) {
    boost::json::object one{{"jsonrpc", "2.0"}, {"id", impl_->next_id++}, {"method", call.method}};
    if (!call.params.is_null()) one["params"] = call.params;
    request.push_back(std::move(one));
  }
  COLEND_ASSIGN_OR_RETURN(http::response<http::string_body> res,
                          impl_->Exchange(http::verb::post, "/", boost::json::serialize(request)));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(res.body(), ec);
  if (ec || !v.is_array() || v.as_array().size() != calls.size()) {
    return Status::Unavailable(url_ + " answered a batch of " + std::to_string(calls.size()) +
                               " calls with HTTP " + std::to_string(res.result_int()) +
                               " and not one response per call");
  }
  std::vector<RpcResponse> out(calls.size());
  std::vector<bool> seen(calls.size(), false);
  for (const boost::json::value& item : v.as_array()) {
    const boost::json::object* o = item.if_object();
    const boost::json::value* id = o != nullptr ? o->if_contains("id") : nullptr;
    std::uint64_t slot = calls.size();  // no call of this batch
    if (id != nullptr && id->is_uint64()) {
      slot = id->as_uint64() - first_id;
    } else if (id != nullptr && id->is_int64() && id->as_int64() >= 0) {
      slot = static_cast<std::uint64_t>(id->as_int64()) - first_id;
    }
    if (o == nullptr || slot >= calls.size() || seen[slot]) {
      return Status::Unavailable(url_ + " answered a batch with a response for no call of it");
    }
    seen[slot] = true;
    out[slot] = ResponseFromObject(*o);
  }
  return out;
}

Result<std::string> JsonRpcClient::Get(const std::string& target) {
  COLEND_ASSIGN_OR_RETURN(http::response<http::string_body> res,
                          impl_->Exchange(http::verb::get, target, ""));
  if (res.result_int() != 200) {
    return Status::Unavailable(url_ + target + " answered HTTP " + std::to_string(res.result_int()));
  }
  return res.body();
}

}  // namespace colend::tools
