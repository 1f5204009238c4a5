// The hostile suite's network and raw clients (hostile_http_test.cc, hostile_p2p_test.cc):
// hostile clients and peers against a real node (issue #14). One 4-node localnet (with RPC
// bearer tokens) for the whole suite, committing transactions from start to end, while the
// tests send node 0 every kind of bad HTTP / JSON-RPC request and bad p2p connection we could
// think of. Each case's answer is the one docs/api.md ("What the node answers to bad input")
// documents, asserted exactly: HTTP status, JSON-RPC error code and message, whether the
// connection is closed. At the end the chain has kept growing, nothing a hostile request
// sent is on it, and all four nodes agree on the state root (hostile_p2p_test.cc, last).
//
// The unit tests (tests/unit/node/rpc/rpc_*_test.cc) check the server against a fake node;
// this suite goes through the real node: its config, its dispatcher over the real store, its
// pool's admission and its p2p admission.
#ifndef COLEND_TESTS_E2E_HOSTILE_FIXTURE_H_
#define COLEND_TESTS_E2E_HOSTILE_FIXTURE_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "colend/common/bytes.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "colend/crypto/x509.h"
#include "colend/proto/p2p.pb.h"
#include "colend/proto/tx.pb.h"
#include "colend/testutil/process_util.h"
#include "local_network.h"

namespace colend::e2e {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

inline const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kTarget = 0;             // the node under attack; the load goes to the others
constexpr int kTimeoutMs = 1000;               // node 0's rpc.header_timeout_ms and body_timeout_ms
constexpr std::size_t kResponseLimit = 65536;  // node 0's rpc.max_response_bytes

// --- a raw HTTP client --------------------------------------------------------------------

struct RawReply {
  int status = 0;                              // 0: no complete answer
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool closed = false;  // the server closed the connection after (or instead of) answering
  std::string error;
};

// A TCP connection to 127.0.0.1:port, optionally from `source` (another loopback address).
inline int Connect(std::uint16_t port, const char* source = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (source != nullptr) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads one HTTP response (headers, then Content-Length bytes of body), then waits up to
// `close_wait_ms` for the server to close. Gives up `deadline_ms` after the call. With
// `carry`, reading starts with its bytes and what follows the response is left in it (the
// next pipelined answer).
inline RawReply ReadReply(int fd, int deadline_ms = 10000, int close_wait_ms = 3000,
                   std::string* carry = nullptr) {
  RawReply reply;
  std::string in;
  if (carry != nullptr) in.swap(*carry);
  const auto deadline = Clock::now() + std::chrono::milliseconds(deadline_ms);
  std::size_t header_end = std::string::npos;
  std::size_t want = std::string::npos;
  auto read_some = [&](Clock::time_point until) -> int {  // bytes read, 0 at EOF, -1 timeout
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return -1;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return -1;
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return 0;
    in.append(buf, static_cast<std::size_t>(n));
    return static_cast<int>(n);
  };
  while (true) {
    if (header_end == std::string::npos) {
      header_end = in.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::istringstream lines(in.substr(0, header_end));
        std::string line;
        std::getline(lines, line);
        if (line.rfind("HTTP/1.1 ", 0) == 0) reply.status = std::stoi(line.substr(9, 3));
        while (std::getline(lines, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          const std::size_t colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          reply.headers[name] = value;
        }
        want =
            reply.headers.count("content-length") ? std::stoul(reply.headers["content-length"]) : 0;
      }
    }
    if (header_end != std::string::npos && in.size() >= header_end + 4 + want) {
      reply.body = in.substr(header_end + 4, want);
      if (carry != nullptr) {
        *carry = in.substr(header_end + 4 + want);
        return reply;
      }
      break;
    }
    const int n = read_some(deadline);
    if (n == 0) {
      reply.closed = true;
      if (header_end == std::string::npos) reply.status = 0;
      reply.error = "closed after " + std::to_string(in.size()) + " bytes";
      return reply;
    }
    if (n < 0) {
      reply.status = 0;
      reply.error = "no complete answer in time (" + std::to_string(in.size()) + " bytes)";
      return reply;
    }
  }
  // Then: does the server close?
  const std::size_t answered = in.size();
  while (true) {
    const int n = read_some(Clock::now() + std::chrono::milliseconds(close_wait_ms));
    if (n == 0) {
      reply.closed = true;
      break;
    }
    if (n < 0) break;
  }
  if (in.size() > answered) reply.error = "bytes after the answer";
  return reply;
}

// Waits until the server closes a plain TCP connection, appending what comes to *got (if
// given): true if it closed within timeout_ms.
inline bool TcpClosedWithin(int fd, int timeout_ms, std::string* got = nullptr) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
    if (got != nullptr) got->append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

// Sends `request` on a fresh connection and reads the answer.
inline RawReply Exchange(std::uint16_t port, const std::string& request, int close_wait_ms = 3000) {
  const int fd = Connect(port);
  if (fd < 0) return RawReply{0, {}, "", false, "cannot connect"};
  SendAll(fd, request);
  RawReply reply = ReadReply(fd, 10000, close_wait_ms);
  ::close(fd);
  return reply;
}

inline std::string PostRequest(const std::string& body, const std::string& token,
                        const std::string& extra_headers = "") {
  std::string r = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  if (!token.empty()) r += "Authorization: Bearer " + token + "\r\n";
  r += extra_headers;
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

// The "error" object of a JSON-RPC error answer (null if the body is not one).
inline json::value ErrorOf(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return nullptr;
  return v.at("error");
}

// The node answered with HTTP `status` and a JSON-RPC error (`code`, `message`), and closed
// the connection.
inline void ExpectClosedWithError(const RawReply& reply, int status, int code,
                                  const std::string& message) {
  EXPECT_EQ(reply.status, status) << reply.error;
  const json::value error = ErrorOf(reply.body);
  ASSERT_TRUE(error.is_object()) << reply.body;
  EXPECT_EQ(error.at("code"), json::value(code));
  EXPECT_EQ(error.at("message"), json::value(message));
  EXPECT_TRUE(reply.closed);
}

// --- the suite's network --------------------------------------------------------------------

inline std::string ReplaceKey(std::string toml, const std::string& key, const std::string& value) {
  const std::regex line("(^|\n)" + key + " = [^\n]*");
  if (std::regex_search(toml, line))
    return std::regex_replace(toml, line, "$1" + key + " = " + value);
  const std::size_t rpc = toml.find("[rpc]\n");
  return toml.insert(rpc + 6, key + " = " + value + "\n");
}

class HostileE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new testutil::ScratchDir("colend-hostile-e2e");
    std::string error;
    net_ = LocalNetwork::Create(scratch_->Path("net"), kBanks, "--rpc-tokens", &error).release();
    ASSERT_NE(net_, nullptr) << error;
    // Node 0 answers slow clients within a second and cuts batch answers at 64 KiB, so the
    // cases take seconds, not the defaults' minutes.
    const std::string config = net_->bank(kTarget).config_file;
    std::string toml = testutil::ReadFile(config);
    toml = ReplaceKey(toml, "header_timeout_ms", std::to_string(kTimeoutMs));
    toml = ReplaceKey(toml, "body_timeout_ms", std::to_string(kTimeoutMs));
    toml = ReplaceKey(toml, "max_response_bytes", std::to_string(kResponseLimit));
    testutil::WriteFile(config, toml);
    ASSERT_TRUE(net_->StartAll());
    ASSERT_FALSE(net_->bank(kTarget).rpc_token.empty()) << "the network has no RPC tokens";

    // An agreement for the loan cases, then the load: agreements proposed through nodes 1-3
    // every 100 ms until the suite ends.
    const std::string propose = net_->Sign(
        0, R"({"type":"ProposeAgreement","signer":"LEAD","id":"h-ag","agreement_id":"AG-H",)"
           R"("currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})");
    ASSERT_TRUE(net_->Send(1, propose).as_object().contains("result"));
    const std::string accept = net_->Sign(
        1, R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"h-acc","agreement_id":"AG-H"})");
    ASSERT_TRUE(net_->Send(1, accept).as_object().contains("result"));
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [] {
          const json::value a = net_->Result(kTarget, "getAgreement", {{"agreement_id", "AG-H"}});
          return a.is_object() && a.at("status") == json::value("ACTIVE");
        },
        30000));
    start_height_ = net_->Height(kTarget);
    load_ = new std::thread([] {
      for (int i = 0; !stop_load_.load(); ++i) {
        const std::string tx = net_->Sign(
            0, R"({"type":"ProposeAgreement","signer":"LEAD","id":"load-)" + std::to_string(i) +
                   R"(","agreement_id":"AG-LOAD-)" + std::to_string(i) +
                   R"(","currency":"CNY","shares":{"LEAD":5000,"PARTNER_B":5000}})");
        const json::value r = net_->Send(1 + static_cast<std::size_t>(i) % 3, tx);
        if (r.is_object() && r.as_object().contains("result")) load_admitted_.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }

  static void TearDownTestSuite() {
    stop_load_ = true;
    if (load_ != nullptr) load_->join();
    delete load_;
    delete net_;
    delete scratch_;
  }

  static std::uint16_t port() { return net_->bank(kTarget).rpc_port; }
  static const std::string& token() { return net_->bank(kTarget).rpc_token; }

  inline static testutil::ScratchDir* scratch_ = nullptr;
  inline static LocalNetwork* net_ = nullptr;
  inline static std::thread* load_ = nullptr;
  inline static std::atomic<bool> stop_load_{false};
  inline static std::atomic<int> load_admitted_{0};
  inline static std::uint64_t start_height_ = 0;
};

}  // namespace colend::e2e

#endif  // COLEND_TESTS_E2E_HOSTILE_FIXTURE_H_
