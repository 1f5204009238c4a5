// The subscription topics of the WebSocket endpoint (docs/api.md, "Subscriptions"): what a
// "subscribe" asks for, and the notification a topic has for one committed block.
//
// Every notification is about exactly one block and names its height, so a subscriber that
// stores the last height it processed resumes with from_height = height + 1 and gets every
// later notification once: nothing skipped, nothing repeated. A topic with nothing to say
// about a block sends nothing for it.
//
//   blocks       every block: header fields and counts
//   receipts     {"signer"}: the receipts of that signer's transactions in the block
//   positions    {"bank"}: when the block has an event of the bank (its event index), every
//                pair the bank belongs to with its position after the block
//   settlements  {"bank"?}: the settlement batches the block closed, paid or confirmed
//   status       the node's status after each block (live only: no from_height)
//
// Thread safety: stateless functions; NodeApi is thread-safe.
#ifndef COLEND_NODE_RPC_SRC_SUBSCRIPTIONS_H_
#define COLEND_NODE_RPC_SRC_SUBSCRIPTIONS_H_

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "colend/common/result.h"
#include "colend/node/chain_events.h"
#include "colend/node/node_api.h"

namespace colend::node::rpc {

namespace json = boost::json;

enum class Topic { kBlocks, kReceipts, kPositions, kSettlements, kStatus };

struct SubscriptionSpec {
  Topic topic = Topic::kBlocks;
  std::string topic_name;
  std::string signer;  // receipts
  std::string bank;    // positions (required), settlements (optional)
  std::optional<std::uint64_t> from_height;
};

// Reads the params of "subscribe": {"topic", "signer"?, "bank"?, "from_height"?}.
// kInvalidArgument naming the param for an unknown topic, a missing or malformed filter, a
// filter the topic does not take, from_height 0 or on the status topic.
Result<SubscriptionSpec> ParseSubscription(const json::object* params);

// The "result" of `spec`'s notification for `event`, or nullopt when the block has nothing
// for it. Reads positions and settlements through `node`.
Result<std::optional<json::object>> RenderNotification(const SubscriptionSpec& spec,
                                                       const BlockEvent& event,
                                                       const NodeApi& node);

// The whole notification message: {"jsonrpc":"2.0","method":"subscription","params":
// {"subscription", "topic", "height", "result"}}.
std::string NotificationMessage(const std::string& subscription, const SubscriptionSpec& spec,
                                std::uint64_t height, json::object result);

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_SUBSCRIPTIONS_H_
