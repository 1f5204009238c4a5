#include "colend/testutil/rpc_client.h"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace colend::testutil {

namespace beast = boost::beast;
namespace http = boost::beast::http;

HttpReply HttpCall(const std::string& host, std::uint16_t port, const std::string& method,
                   const std::string& target, const std::string& body, const std::string& bearer,
                   int timeout_ms) {
  HttpReply reply;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    boost::asio::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, std::to_string(port)));
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    http::read(stream, buffer, parser);
    reply.status = static_cast<int>(parser.get().result_int());
    reply.body = parser.get().body();
    beast::error_code ignored;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    reply.status = 0;
    reply.error = e.what();
  }
  return reply;
}

boost::json::value RpcCall(const std::string& host, std::uint16_t port, const std::string& method,
                           const boost::json::value& params, const std::string& bearer,
                           int timeout_ms) {
  boost::json::object request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  const HttpReply reply =
      HttpCall(host, port, "POST", "/", boost::json::serialize(request), bearer, timeout_ms);
  if (reply.status == 0) return nullptr;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(reply.body, ec);
  if (ec) return nullptr;
  return v;
}

}  // namespace colend::testutil
