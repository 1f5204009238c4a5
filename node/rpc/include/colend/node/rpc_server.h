// RpcServer: the node's JSON-RPC 2.0 endpoint (docs/api.md, "JSON-RPC 2.0") over HTTP/1.1.
//
//   POST /         JSON-RPC 2.0: one request object or a batch (array); Content-Type is not
//                  checked. 200 with the response (also for JSON-RPC errors), 204 when every
//                  request was a notification, 413 for a body over max_body_bytes (refused
//                  from Content-Length or while reading, before any parsing), 401 with
//                  error -32003 when a bearer token is configured and not presented.
//   GET /metrics   the MetricsRegistry in the Prometheus text format.
//   GET /health    200 {"status":"ok","height":<committed height>}.
//   GET /ws        WebSocket upgrade: JSON-RPC 2.0 subscriptions to blocks, receipts,
//                  positions, settlements and status (src/ws_session.h); the bearer token
//                  applies to the upgrade request as to POST / (401 without it).
//   anything else  404 (unknown path) or 405 (wrong method), with a JSON-RPC error body (an
//                  answer to HEAD has none). A Transfer-Encoding other than chunked is 400.
//
// Authorization: with a bearer_token configured, POST / needs "Authorization: Bearer
// <token>", compared in constant time (over SHA-256 digests, so not even the length leaks).
// /health stays open (load balancers and supervisors probe it without secrets);
// /metrics is open unless metrics_require_token (node.toml rpc.metrics_require_token), in
// which case it needs the same token, answered 401 with WWW-Authenticate otherwise: the
// metrics name peers, limits and volumes a stranger has no business seeing.
//
// Connections are HTTP/1.1 keep-alive. What one client can hold is bounded, because the
// port faces other banks' systems and whatever else reaches it:
//   - Deadlines that progress cannot extend: a new connection must complete its first
//     request's headers within header_timeout_ms of being accepted; a keep-alive connection
//     waits idle_timeout_ms for the first byte of its next request, and from that byte the
//     headers must be complete within header_timeout_ms. From the end of the headers the
//     body must be complete within body_timeout_ms. A request that misses either gets 408 with
//     error -32600 (never silence) and the connection is closed. A slow writer trickling one byte
//     at a time therefore holds a connection for at most header_timeout_ms + body_timeout_ms.
//   - After an error answer (400, 408, 413, 503) the connection is closed; what the client
//     is still sending is read and discarded for at most drain_timeout_ms (and at most
//     8 MiB), so it can read the answer instead of a reset, and no longer.
//   - A batch's answers stop at max_response_bytes: every later entry is answered -32005
//     without being executed, so a batch of 100 full blocks or whole-state scans builds a
//     bounded response (and does bounded work).
//   - At most max_connections connections in all and max_connections_per_address from one
//     remote address. A connection over either limit is answered at once with 503 and
//     error -32004 without reading its request, and closed; it holds no slot.
// A malformed or hostile request only ever fails that request (or closes that
// connection); the server keeps serving.
//
// Metrics it keeps: colend_rpc_requests_total{method}, colend_rpc_errors_total{code},
// colend_rpc_request_duration_seconds (histogram), colend_rpc_connections (gauge),
// colend_rpc_connections_refused_total{limit} (limit = "max_connections" or
// "max_connections_per_address"), colend_rpc_request_timeouts_total{phase} (phase =
// "header" or "body").
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
#include "colend/node/chain_events.h"
#include "colend/node/metrics.h"
#include "colend/node/node_api.h"

namespace colend::node {

struct RpcOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address literal
  std::uint16_t port = 0;          // 0 = an ephemeral port (see RpcServer::port)
  std::size_t threads = 2;         // >= 1
  std::size_t max_body_bytes = 2 << 20;
  std::string bearer_token;  // empty = no authorization
  bool metrics_require_token = false;  // GET /metrics needs the token too; REQUIRES a token
  std::size_t max_connections = 256;             // >= 1; open connections in all
  std::size_t max_connections_per_address = 32;  // >= 1; from one remote IP address
  std::size_t max_batch = 100;                   // requests in one batch, >= 1
  // A batch's answers stop here: later entries get error -32005 unexecuted. >= 1.
  std::size_t max_response_bytes = 8u << 20;
  // Every timeout is >= 1 and counts from a fixed point, never from the last byte read.
  std::uint32_t idle_timeout_ms = 30000;    // keep-alive wait for a request's first byte
  std::uint32_t header_timeout_ms = 10000;  // first byte to the end of the headers
  std::uint32_t body_timeout_ms = 30000;    // end of the headers to the end of the body
  std::uint32_t drain_timeout_ms = 1000;    // discarding input after an error answer
  std::size_t max_list_limit = 1000;        // largest "limit" listLoans and listEvents accept
  // WebSocket subscriptions on GET /ws (docs/api.md, "Subscriptions"). Each >= 1.
  std::size_t ws_max_subscriptions = 1024;               // on the whole node
  std::size_t ws_max_subscriptions_per_connection = 16;  // on one WebSocket connection
  // A session's unsent messages; a live notification beyond either closes it (slow consumer).
  std::size_t ws_max_queue_messages = 1024;
  std::size_t ws_max_queue_bytes = 8u << 20;
  std::size_t ws_max_request_bytes = 16u << 10;  // one subscribe/unsubscribe message
  // Loans one listLoans call examines at most, matching its filters or not (>= 1); past
  // it the page ends early with a next_cursor.
  std::size_t list_scan_budget = 10'000;
};

class RpcServer {
 public:
  // Binds (and listens on) host:port; serves nothing until Start. kInvalidArgument for a
  // bad option (host not an address; threads, a connection limit or a timeout 0;
  // metrics_require_token without a bearer_token), kIoError if the address cannot be bound.
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

  // Hands a committed block's event to the WebSocket subscribers (chain_events.h). Never
  // waits for a subscriber: it queues the shared event and wakes the sessions, each of
  // which renders what its subscriptions need on its own strand. Call once per block, in
  // height order, after the block is durable; from one thread (the node's event loop).
  void Publish(std::shared_ptr<const BlockEvent> event);

 private:
  struct Impl;
  explicit RpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_RPC_SERVER_H_
