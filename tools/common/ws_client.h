// SubscriptionClient: the tools' WebSocket client for a colend node's subscriptions
// (docs/api.md, "Subscriptions over WebSocket"): one connection to ws://host:port/ws with
// the same bearer token as JsonRpcClient, subscribe/unsubscribe requests, and the
// notifications that follow. For a follower (colend-cli watch, an exporter) that resumes from
// the last height it processed.
//
// Ownership: owns its connection. Thread safety: one thread per client.
#ifndef COLEND_TOOLS_COMMON_WS_CLIENT_H_
#define COLEND_TOOLS_COMMON_WS_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend::tools {

class SubscriptionClient {
 public:
  // `url`: http://host:port of the node's JSON-RPC (the /ws path is implied). Connects and
  // upgrades within `timeout_ms`: kUnavailable if the node does not answer,
  // kPermissionDenied if it refuses the token, kInvalidArgument for a bad URL.
  static Result<std::unique_ptr<SubscriptionClient>> Connect(const std::string& url,
                                                             const std::string& bearer_token,
                                                             int timeout_ms = 10000);
  ~SubscriptionClient();
  SubscriptionClient(const SubscriptionClient&) = delete;
  SubscriptionClient& operator=(const SubscriptionClient&) = delete;

  // Sends "subscribe" and waits for its answer: the subscription id. A JSON-RPC error is
  // kInvalidArgument (-32602), kNotFound (-32002), kResourceExhausted (-32004) or kInternal,
  // with the node's message. Notifications that arrive first are kept for Next.
  Result<std::string> Subscribe(const boost::json::object& params);

  // The next notification's params ({"subscription", "topic", "height", "result"}) within
  // `timeout_ms`; kUnavailable on a timeout, or when the node closed the connection (naming
  // its close reason, e.g. "slow consumer: ..."). After either the client is unusable.
  Result<boost::json::object> Next(int timeout_ms);

 private:
  struct Impl;
  explicit SubscriptionClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::tools

#endif  // COLEND_TOOLS_COMMON_WS_CLIENT_H_
