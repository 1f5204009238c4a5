// The WebSocket endpoint: GET /ws upgraded on the JSON-RPC port (docs/api.md,
// "Subscriptions"). A session speaks JSON-RPC 2.0 in text frames: "subscribe" and
// "unsubscribe" requests in, their responses and "subscription" notifications out.
//
// Delivery. Each subscription keeps the next height it owes the client. A subscription that
// is caught up renders each published block as it arrives (EventSink::OnBlock) and queues
// the notification; one that is behind (it asked for a from_height, or its session's queue
// was full) reads the missing blocks from the hub's ring or from storage whenever the
// queue is below half its bound, oldest first. Both paths move the same cursor, so no
// height is skipped or sent twice, and a reconnecting client resumes with from_height =
// last height + 1.
//
// Bounds: a session's queue of unsent messages is bounded by rpc.ws_max_queue_messages and
// rpc.ws_max_queue_bytes; a live notification that would pass either closes the session
// with close code 1008 (policy) and the reason "slow consumer: ...", and the queue is freed
// at once (a client that does not read even the close frame loses the TCP connection after
// two seconds). Answers to requests are held to the same bound another way: while the queue
// is at half its bound or more, the session reads no further request (TCP then holds the
// client back), and it reads again once the client has taken enough of the queue. A client
// that sends requests and never reads the answers thus costs at most one queue; it is
// answered in order, and never closed for it. Subscriptions are bounded per connection and
// node-wide. A request message over rpc.ws_max_request_bytes, a binary frame, text that is
// not JSON, and a bad request are each answered with a JSON-RPC error and change nothing (a
// request without an "id" is a notification, as on POST /: carried out, never answered); a
// frame over 1 MiB closes the connection (close code 1009) unread.
//
// Thread safety: a session runs on its connection's strand; StartWebSocketSession may be
// called from that strand only.
#ifndef COLEND_NODE_RPC_SRC_WS_SESSION_H_
#define COLEND_NODE_RPC_SRC_WS_SESSION_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <memory>

#include "colend/node/metrics.h"
#include "colend/node/node_api.h"
#include "colend/node/rpc_server.h"
#include "event_hub.h"

namespace colend::node::rpc {

// What every WebSocket session shares with the server (held by shared_ptr, so a session
// outliving Stop() touches nothing destroyed).
struct WsContext {
  WsContext(const RpcOptions& opts, NodeApi& node_api, MetricsRegistry& metrics);

  const RpcOptions options;
  NodeApi& node;
  EventHub hub;
  Gauge& sessions;
  Gauge& subscriptions;
  Counter& slow_consumers;
  Counter& reads_paused;  // a session stopped reading requests until its answers drain
  Counter& notifications;
  Histogram& delivery;  // commit to a live notification written
};

// Takes over an accepted connection whose request is a WebSocket upgrade of GET /ws (already
// authorised) and runs the session. `slot` is held for the session's life (the connection's
// place under the server's connection limits).
void StartWebSocketSession(boost::asio::ip::tcp::socket socket,
                           boost::beast::http::request<boost::beast::http::string_body> request,
                           std::shared_ptr<WsContext> context, std::shared_ptr<void> slot);

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_WS_SESSION_H_
