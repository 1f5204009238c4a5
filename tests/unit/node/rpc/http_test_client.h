// A minimal synchronous HTTP/1.1 client (Boost.Beast) for the RPC server tests.
#ifndef COLEND_TESTS_UNIT_NODE_RPC_HTTP_TEST_CLIENT_H_
#define COLEND_TESTS_UNIT_NODE_RPC_HTTP_TEST_CLIENT_H_

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <map>
#include <string>

namespace colend::node::testing {

struct HttpReply {
  int status = 0;  // 0 = the connection failed or closed without a response
  std::string body;
  std::string content_type;
  bool keep_alive = false;
  std::string error;  // set when status == 0
};

// One TCP connection; requests are sent one after another on it (keep-alive).
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port) : socket_(ioc_) {
    boost::system::error_code ec;
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
  }

  bool connected() const { return connected_; }

  HttpReply Send(const std::string& method, const std::string& target, const std::string& body,
                 const std::map<std::string, std::string>& headers = {}, bool keep_alive = true) {
    namespace http = boost::beast::http;
    HttpReply reply;
    http::request<http::string_body> req;
    req.method(http::string_to_verb(method));
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    if (method == "POST") req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.keep_alive(keep_alive);
    req.prepare_payload();
    boost::system::error_code ec;
    http::write(socket_, req, ec);
    // A refused oversized body may fail the write half-way; the response can still arrive.
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser, ec);
    if (ec) {
      reply.error = ec.message();
      return reply;
    }
    const auto& res = parser.get();
    reply.status = static_cast<int>(res.result_int());
    reply.body = res.body();
    reply.content_type = std::string(res[http::field::content_type]);
    reply.keep_alive = res.keep_alive();
    return reply;
  }

  // Sends raw bytes and reads one response.
  HttpReply SendRaw(const std::string& bytes) {
    namespace http = boost::beast::http;
    HttpReply reply;
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
    http::response_parser<http::string_body> parser;
    http::read(socket_, buffer_, parser, ec);
    if (ec) {
      reply.error = ec.message();
      return reply;
    }
    reply.status = static_cast<int>(parser.get().result_int());
    reply.body = parser.get().body();
    return reply;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace colend::node::testing

#endif  // COLEND_TESTS_UNIT_NODE_RPC_HTTP_TEST_CLIENT_H_
