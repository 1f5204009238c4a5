// JsonRpcClient: the tools' JSON-RPC 2.0 client for a colend node (docs/api.md), over one
// keep-alive HTTP/1.1 connection (Boost.Beast), reconnecting when the node closes it.
//
// Ownership: owns its connection. Thread safety: one thread per client; make one client per
// thread for parallel calls.
#ifndef COLEND_TOOLS_COMMON_RPC_CLIENT_H_
#define COLEND_TOOLS_COMMON_RPC_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend::tools {

// A JSON-RPC error answer: code, message and data as the node sent them.
struct RpcError {
  std::int64_t code = 0;
  std::string message;
  boost::json::value data;
};

// The answer to one call: exactly one of result / error is set when `status` is OK;
// `status` is not OK when there was no answer (connection, timeout, not JSON-RPC).
struct RpcResponse {
  Status status;
  boost::json::value result;
  std::optional<RpcError> error;
};

// Entry k of a sendTransactions call of n entries, as the answer sendTransaction would have
// given for it alone (the node promises exactly that, docs/api.md): {"tx_hash"} as a result,
// {"error"} as an error. No answer, or an error for the whole call (an older node without
// the method, too many connections), is every entry's answer. An answer that does not hold
// n results is a failed call (kInternal): no entry can be told admitted from it.
RpcResponse SendTransactionsEntry(const RpcResponse& response, std::size_t k, std::size_t n);

// The bearer token in `path` (--token-file): its one line, trailing whitespace dropped.
// A token is never taken from the command line, where every user of the machine can read
// it (ps, /proc/<pid>/cmdline) and shell history keeps it. The file must be a regular file
// no one but its owner can read or write (mode & 0077 == 0), like the node's own token
// file; kPermissionDenied otherwise, naming the mode and the chmod that fixes it.
// kNotFound if it cannot be read, kInvalidArgument if it is empty, over 4 KiB, or not one
// token of printable ASCII.
Result<std::string> ReadBearerTokenFile(const std::string& path);

class JsonRpcClient {
 public:
  // `url`: http://host:port (path "/" implied). kInvalidArgument for anything else.
  // Each call (connect, request, answer) ends within `timeout_ms`, even against a node that
  // accepted the connection and never answers.
  static Result<std::unique_ptr<JsonRpcClient>> Create(const std::string& url,
                                                       std::string bearer_token = "",
                                                       int timeout_ms = 10000);
  ~JsonRpcClient();
  JsonRpcClient(const JsonRpcClient&) = delete;
  JsonRpcClient& operator=(const JsonRpcClient&) = delete;

  RpcResponse Call(const std::string& method, const boost::json::value& params = nullptr);

  // One JSON-RPC batch (at most 100 calls, docs/api.md "Batches"): the answers in call
  // order. Not OK when there was no answer, or the answer is not one response per call (a
  // batch cut short by rpc.max_response_bytes answers -32005 for the rest: those are in the
  // vector as errors, for the caller to send again).
  struct BatchCall {
    std::string method;
    boost::json::value params;
  };
  Result<std::vector<RpcResponse>> CallBatch(const std::vector<BatchCall>& calls);

  // GET of a path ("/metrics", "/health"): the body, or the failure.
  Result<std::string> Get(const std::string& target);

  const std::string& url() const { return url_; }

 private:
  struct Impl;
  JsonRpcClient(std::string url, std::unique_ptr<Impl> impl);
  std::string url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::tools

#endif  // COLEND_TOOLS_COMMON_RPC_CLIENT_H_
