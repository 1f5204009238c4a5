#include "ws_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <exception>
#include <regex>

namespace colend::tools {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// Every operation runs asynchronously on the client's own io_context for at most its
// timeout (run_for), so a node that accepted and went silent cannot hang a tool.
struct SubscriptionClient::Impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  std::deque<json::object> pending;  // notifications read while waiting for an answer
  std::int64_t next_id = 1;
  bool broken = false;

  // Runs until `done` or the timeout; on a timeout the connection is unusable.
  bool RunFor(const bool& done, int timeout_ms) {
    io.restart();
    io.run_for(std::chrono::milliseconds(timeout_ms));
    if (done) return true;
    broken = true;
    beast::get_lowest_layer(ws).close();
    io.restart();
    io.run();
    return false;
  }

  // One message: a parsed object, or why there is none.
  Result<json::object> ReadMessage(int timeout_ms) {
    if (broken) return Status::Unavailable("the subscription connection is closed");
    beast::flat_buffer buffer;
    beast::error_code ec;
    bool done = false;
    ws.async_read(buffer, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!RunFor(done, timeout_ms)) {
      return Status::Unavailable("no notification within " + std::to_string(timeout_ms) + " ms");
    }
    if (ec == websocket::error::closed) {
      broken = true;
      return Status::Unavailable("the node closed the subscription: " +
                                 std::string(ws.reason().reason.c_str()));
    }
    if (ec) {
      broken = true;
      return Status::Unavailable("subscription connection: " + ec.message());
    }
    boost::system::error_code parse_error;
    json::value v = json::parse(beast::buffers_to_string(buffer.data()), parse_error);
    if (parse_error || !v.is_object())
      return Status::Internal("the node sent a message that is not a JSON object");
    return std::move(v.get_object());
  }
};

Result<std::unique_ptr<SubscriptionClient>> SubscriptionClient::Connect(
    const std::string& url, const std::string& bearer_token, int timeout_ms) {
  static const std::regex kUrl(R"(http://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})/?)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    return Status::InvalidArgument("\"" + url + "\" is not an http://host:port URL");
  }
  std::string host = m[1].str();
  if (host.front() == '[') host = host.substr(1, host.size() - 2);
  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  tcp::resolver resolver(impl->io);
  const auto endpoints = resolver.resolve(host, m[2].str(), ec);
  if (ec) return Status::Unavailable(url + ": " + ec.message());
  bool done = false;
  beast::get_lowest_layer(impl->ws).async_connect(endpoints,
                                                  [&](beast::error_code e, const tcp::endpoint&) {
                                                    ec = e;
                                                    done = true;
                                                  });
  if (!impl->RunFor(done, timeout_ms) || ec) {
    return Status::Unavailable(url + ": cannot connect" + (ec ? ": " + ec.message() : ""));
  }
  impl->ws.set_option(
      websocket::stream_base::decorator([bearer_token](websocket::request_type& req) {
        if (!bearer_token.empty()) req.set(http::field::authorization, "Bearer " + bearer_token);
      }));
  websocket::response_type response;
  done = false;
  impl->ws.async_handshake(response, host, "/ws", [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!impl->RunFor(done, timeout_ms)) return Status::Unavailable(url + "/ws: no answer");
  if (response.result() == http::status::unauthorized) {
    return Status::PermissionDenied(url + "/ws: the node refused the bearer token");
  }
  if (ec) return Status::Unavailable(url + "/ws: " + ec.message());
  return std::unique_ptr<SubscriptionClient>(new SubscriptionClient(std::move(impl)));
}

SubscriptionClient::SubscriptionClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SubscriptionClient::~SubscriptionClient() = default;

Result<std::string> SubscriptionClient::Subscribe(const json::object& params) {
  const std::int64_t id = impl_->next_id++;
  const std::string text = json::serialize(
      json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", "subscribe"}, {"params", params}});
  beast::error_code ec;
  bool done = false;
  impl_->ws.text(true);
  impl_->ws.async_write(asio::buffer(text), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!impl_->RunFor(done, 10000) || ec) return Status::Unavailable("cannot send subscribe");
  while (true) {
    COLEND_ASSIGN_OR_RETURN(json::object m, impl_->ReadMessage(10000));
    const json::value* got = m.if_contains("id");
    if (got == nullptr || !got->is_int64() || got->get_int64() != id) {
      if (m.contains("method")) impl_->pending.push_back(std::move(m));
      continue;
    }
    if (const json::value* error = m.if_contains("error")) {
      const std::int64_t code = error->at("code").to_number<std::int64_t>();
      const std::string message(error->at("message").as_string());
      if (code == -32602) return Status::InvalidArgument(message);
      if (code == -32002) return Status::NotFound(message);
      if (code == -32004) return Status::ResourceExhausted(message);
      return Status::Internal(message + " (" + std::to_string(code) + ")");
    }
    try {
      return std::string(m.at("result").at("subscription").as_string());
    } catch (const std::exception& e) {
      return Status::Internal(std::string("unexpected subscribe answer: ") + e.what());
    }
  }
}

Result<json::object> SubscriptionClient::Next(int timeout_ms) {
  while (true) {
    if (!impl_->pending.empty()) {
      json::object m = std::move(impl_->pending.front());
      impl_->pending.pop_front();
      if (json::value* params = m.if_contains("params"); params != nullptr && params->is_object()) {
        return std::move(params->get_object());
      }
      continue;
    }
    COLEND_ASSIGN_OR_RETURN(json::object m, impl_->ReadMessage(timeout_ms));
    if (m.contains("method")) impl_->pending.push_back(std::move(m));
  }
}

}  // namespace colend::tools
