#include "node_report.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>

#include <boost/json.hpp>

#include "rpc_client.h"

namespace colend::bench {
namespace {

std::string StringField(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::uint64_t UintField(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_number()) return 0;
  boost::system::error_code ec;
  const std::uint64_t n = v->to_number<std::uint64_t>(ec);
  return ec ? 0 : n;
}

// getNodeInfo into `node`: reachable and the heights and root, or the reason why not.
void ReadNodeInfo(tools::JsonRpcClient& client, NodeEndState& node) {
  const tools::RpcResponse r = client.Call("getNodeInfo");
  node.reachable = false;
  if (!r.status.ok()) {
    node.error = r.status.ToString();
    return;
  }
  if (r.error.has_value() || !r.result.is_object()) {
    node.error = r.error.has_value() ? r.error->message : "getNodeInfo: not an object";
    return;
  }
  const boost::json::object& o = r.result.as_object();
  node.reachable = true;
  node.error.clear();
  node.height = UintField(o, "height");
  node.executed_height = UintField(o, "executed_height");
  node.state_root = StringField(o, "state_root");
}

bool Settled(const std::vector<NodeEndState>& nodes) {
  std::optional<std::pair<std::uint64_t, std::uint64_t>> first;
  for (const NodeEndState& n : nodes) {
    if (!n.reachable) continue;
    const std::pair heights{n.height, n.executed_height};
    if (n.height != n.executed_height) return false;
    if (!first.has_value()) first = heights;
    if (*first != heights) return false;
  }
  return true;
}

}  // namespace

std::uint64_t CommonHeight(const std::vector<NodeEndState>& nodes) {
  std::optional<std::uint64_t> common;
  for (const NodeEndState& n : nodes) {
    if (n.reachable) common = std::min(common.value_or(n.executed_height), n.executed_height);
  }
  return common.value_or(0);
}

void EvaluateAgreement(NetworkEndState& state) {
  state.reachable = 0;
  state.common_height = CommonHeight(state.nodes);
  const NodeEndState* first = nullptr;
  bool agree = true;
  for (const NodeEndState& n : state.nodes) {
    if (!n.reachable) continue;
    ++state.reachable;
    if (n.common_block_hash.empty()) agree = false;
    if (first == nullptr) {
      first = &n;
      continue;
    }
    if (n.common_block_hash != first->common_block_hash) agree = false;
  }
  // The state root is only comparable between nodes that executed the same height.
  for (const NodeEndState& a : state.nodes) {
    for (const NodeEndState& b : state.nodes) {
      if (a.reachable && b.reachable && a.executed_height == b.executed_height &&
          a.state_root != b.state_root) {
        agree = false;
      }
    }
  }
  state.agree = first != nullptr && agree;
}

NetworkEndState ReadEndState(const std::vector<std::string>& ids,
                             const std::vector<std::string>& urls,
                             const std::vector<std::string>& rpc_tokens, int timeout_ms,
                             std::chrono::milliseconds settle) {
  NetworkEndState state;
  std::vector<std::unique_ptr<tools::JsonRpcClient>> clients;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    NodeEndState node;
    node.id = i < ids.size() ? ids[i] : urls[i];
    node.rpc = urls[i];
    Result<std::unique_ptr<tools::JsonRpcClient>> c = tools::JsonRpcClient::Create(
        urls[i], i < rpc_tokens.size() ? rpc_tokens[i] : "", timeout_ms);
    if (c.ok()) {
      clients.push_back(std::move(c).value());
    } else {
      clients.push_back(nullptr);
      node.error = c.status().ToString();
    }
    state.nodes.push_back(std::move(node));
  }
  const auto deadline = std::chrono::steady_clock::now() + settle;
  for (;;) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      // A node that did not answer once is not asked again: each try would cost a timeout.
      const bool first_round = state.nodes[i].error.empty() && !state.nodes[i].reachable;
      if (clients[i] != nullptr && (first_round || state.nodes[i].reachable)) {
        ReadNodeInfo(*clients[i], state.nodes[i]);
      }
    }
    if (Settled(state.nodes) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::uint64_t common = CommonHeight(state.nodes);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    NodeEndState& node = state.nodes[i];
    if (!node.reachable) continue;
    const tools::RpcResponse r = clients[i]->Call(
        "getBlockByNumber", boost::json::object{{"height", common}, {"full", false}});
    if (r.status.ok() && !r.error.has_value() && r.result.is_object()) {
      node.common_block_hash = StringField(r.result.as_object(), "hash");
    }
  }
  EvaluateAgreement(state);
  return state;
}

}  // namespace colend::bench
