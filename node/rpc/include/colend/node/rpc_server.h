// RpcServer: the node's JSON-RPC 2.0 endpoint (docs/api.md, "JSON-RPC 2.0") over HTTP/1.1.
//
//   POST /         JSON-RPC 2.0: one request object or a batch (array); Content-Type is not
//                  checked. 200 with the response (also for JSON-RPC errors), 204 when every
//                  request was a notification, 413 for a body over max_body_bytes (refused
//                  from Content-Length or while reading, before any parsing), 401 with
//                  error -32003 when a bearer token is configured and not presented.
//   GET /metrics   the MetricsRegistry in the Prometheus text format.
//   GET /health    200 {"status":"ok","height":<committed height>}.
//   anything else  404 (unknown path) or 405 (wrong method), with a JSON-RPC error body.
//
// Authorization: with a bearer_token configured, POST / needs "Authorization: Bearer
// <token>", compared in constant time (over SHA-256 digests, so not even the length leaks).
// /health stays open (load balancers and supervisors probe it without secrets);
// /metrics is open unless metrics_require_token.
//
// Connections are HTTP/1.1 keep-alive, closed after idle_timeout_ms without a complete
// request; beyond max_connections a new connection gets 503 with error -32004 and is
// closed. A malformed or hostile request only ever fails that request (or closes that
// connection); the server keeps serving.
//
// Metrics it keeps: colend_rpc_requests_total{method}, colend_rpc_errors_total{code},
// colend_rpc_request_duration_seconds (histogram), colend_rpc_connections (gauge).
//
// Ownership: the server owns its io_context, acceptor, connections and worker threads
// (named "rpc-0", "rpc-1", ...). The NodeApi and MetricsRegistry are borrowed and must
// outlive the server.
// Thread safety: Start, Stop and port may be called from any one thread; requests are
// served concurrently on the worker threads, which call NodeApi concurrently.
#ifndef COLEND_NODE_RPC_SERVER_H_
#define COLEND_NODE_RPC_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/node/metrics.h"
#include "colend/node/node_api.h"

namespace colend::node {

struct RpcOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address literal
  std::uint16_t port = 0;          // 0 = an ephemeral port (see RpcServer::port)
  std::size_t threads = 2;         // >= 1
  std::size_t max_body_bytes = 2 << 20;
  std::string bearer_token;  // empty = no authorization
  bool metrics_require_token = false;
  std::size_t max_connections = 256;  // >= 1
  std::size_t max_batch = 100;        // requests in one batch, >= 1
  std::uint32_t idle_timeout_ms = 30000;
  std::size_t max_list_limit = 1000;  // largest "limit" listLoans accepts
};

class RpcServer {
 public:
  // Binds (and listens on) host:port; serves nothing until Start. kInvalidArgument for a
  // bad option (host not an address, threads or max_connections 0), kIoError if the
  // address cannot be bound.
  static Result<std::unique_ptr<RpcServer>> Create(const RpcOptions& options, NodeApi& node,
                                                   MetricsRegistry& metrics);

  // Stops and joins the workers.
  ~RpcServer();

  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Starts accepting and the worker threads. REQUIRES: not started before.
  void Start();

  // Closes the listener and every connection and joins the workers; in-flight requests are
  // abandoned. Idempotent; the server cannot be started again.
  void Stop();

  // The bound port (the ephemeral one when options.port was 0).
  std::uint16_t port() const;

 private:
  struct Impl;
  explicit RpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_RPC_SERVER_H_
