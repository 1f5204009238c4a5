// TimedRpcClient: a JSON-RPC 2.0 client for the measured phase whose timeout holds even
// when the node hangs.
//
// Why not tools::JsonRpcClient: it does blocking Beast reads and writes, and a
// beast::tcp_stream applies expires_after to asynchronous operations only, so a node that
// accepts the connection but never answers (stopped with SIGSTOP, wedged, a full accept
// backlog) holds the caller for as long as the node hangs. colend-bench would then lose
// every sender to that one node. This client runs the same exchange asynchronously on its
// own io_context, so connect, write and read together end at the deadline with
// kUnavailable. (The same change would fix tools/common; that directory is not this
// tool's to change.)
//
// It keeps one keep-alive HTTP/1.1 connection and resends once on a fresh connection only
// when a kept-alive one turned out closed; a refused connect or a timeout fails at once, so
// the caller learns quickly that the node is down.
//
// Ownership: owns its connection and io_context. Thread safety: one thread per client.
#ifndef COLEND_TOOLS_BENCH_TIMED_RPC_H_
#define COLEND_TOOLS_BENCH_TIMED_RPC_H_

#include <chrono>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

#include "colend/common/result.h"
#include "rpc_client.h"

namespace colend::bench {

class TimedRpcClient {
 public:
  // `url`: http://host:port. kInvalidArgument for anything else.
  static Result<std::unique_ptr<TimedRpcClient>> Create(const std::string& url,
                                                        std::string bearer_token,
                                                        std::chrono::milliseconds timeout);
  ~TimedRpcClient();
  TimedRpcClient(const TimedRpcClient&) = delete;
  TimedRpcClient& operator=(const TimedRpcClient&) = delete;

  // As tools::JsonRpcClient::Call; `status` is kUnavailable when no answer came within the
  // timeout.
  tools::RpcResponse Call(const std::string& method, const boost::json::value& params = nullptr);

  // GET of a path ("/metrics"): the body, or why there is none.
  Result<std::string> Get(const std::string& target);

  const std::string& url() const { return url_; }

 private:
  struct Impl;
  TimedRpcClient(std::string url, std::unique_ptr<Impl> impl);
  std::string url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_TIMED_RPC_H_
