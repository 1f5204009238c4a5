// A minimal synchronous HTTP/1.1 client (Boost.Beast) for the RPC server tests.
#ifndef COLEND_TESTS_UNIT_NODE_RPC_HTTP_TEST_CLIENT_H_
#define COLEND_TESTS_UNIT_NODE_RPC_HTTP_TEST_CLIENT_H_

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

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
  // Connects to 127.0.0.1:port from `source` (any 127.x.y.z works on Linux loopback, so
  // tests can play several client addresses).
  explicit HttpConnection(std::uint16_t port, const std::string& source = "127.0.0.1")
      : socket_(ioc_) {
    boost::system::error_code ec;
    socket_.open(boost::asio::ip::tcp::v4(), ec);
    // Bound only for another source address: a socket bound to an ephemeral port first can
    // get the very port it then connects to, and once that port has no listener the
    // connect "succeeds" to itself (TCP simultaneous open).
    if (!ec && source != "127.0.0.1") {
      socket_.bind({boost::asio::ip::make_address(source), 0}, ec);
    }
    if (!ec) socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
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

  // Writes raw bytes without reading; false once the server has closed (reset) the
  // connection.
  bool Write(const std::string& bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
    return !ec;
  }

  // Ends the sending side (the server reads end-of-stream) while reading stays open.
  void ShutdownSend() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }

  // Bytes of a response that already arrived and wait to be read.
  std::size_t Available() {
    boost::system::error_code ec;
    const std::size_t n = socket_.available(ec);
    return ec ? 0 : n;
  }

  // Reads one response, giving up after `limit` (status 0, error "no answer within ...").
  HttpReply Read(std::chrono::milliseconds limit) {
    namespace http = boost::beast::http;
    HttpReply reply;
    http::response_parser<http::string_body> parser;
    bool done = false;
    boost::system::error_code result;
    http::async_read(socket_, buffer_, parser, [&](boost::system::error_code ec, std::size_t) {
      done = true;
      result = ec;
    });
    ioc_.restart();
    ioc_.run_for(limit);
    if (!done) {
      boost::system::error_code ignored;
      socket_.cancel(ignored);
      ioc_.restart();
      ioc_.run();
      reply.error = "no answer within " + std::to_string(limit.count()) + " ms";
      return reply;
    }
    if (result) {
      reply.error = result.message();
      return reply;
    }
    reply.status = static_cast<int>(parser.get().result_int());
    reply.body = parser.get().body();
    reply.keep_alive = parser.get().keep_alive();
    return reply;
  }

  // Sends `bytes` one byte every `every`, as a slow or hostile client would, until an
  // answer starts to arrive or everything was sent; then reads the answer (for at most
  // `limit`). Stops writing as soon as the server has answered, so the write cannot turn
  // into a reset that hides the answer.
  HttpReply Trickle(const std::string& bytes, std::chrono::milliseconds every,
                    std::chrono::milliseconds limit) {
    for (char c : bytes) {
      if (Available() > 0 || !Write(std::string(1, c))) break;
      std::this_thread::sleep_for(every);
    }
    return Read(limit);
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
