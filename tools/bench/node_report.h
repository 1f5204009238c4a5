// The end-of-run look at every node, so a reader sees whether the live nodes agree: each
// node's committed height, executed height and state root (getNodeInfo), and the hash of
// the block at the highest height every answering node has executed (getBlockByNumber).
//
// Nodes keep committing for a moment after the load stops, so ReadEndState first waits
// (up to `settle`) until every answering node reports the same heights.
//
// Thread safety: ReadEndState makes its own connections and is called from one thread;
// EvaluateAgreement is a pure function.
#ifndef COLEND_TOOLS_BENCH_NODE_REPORT_H_
#define COLEND_TOOLS_BENCH_NODE_REPORT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace colend::bench {

struct NodeEndState {
  std::string id;   // the bank, as in network.json
  std::string rpc;  // its JSON-RPC URL
  bool reachable = false;
  std::string error;  // why not, when unreachable
  std::uint64_t height = 0;
  std::uint64_t executed_height = 0;
  std::string state_root;         // after executed_height, hex
  std::string common_block_hash;  // of the block at NetworkEndState::common_height, hex
};

struct NetworkEndState {
  std::vector<NodeEndState> nodes;
  std::size_t reachable = 0;
  std::uint64_t common_height = 0;  // the lowest executed height of the answering nodes
  // Every answering node has the same block at common_height, and answering nodes at the
  // same executed height have the same state root. False when no node answers.
  bool agree = false;
};

// Sets `state.reachable`, `state.common_height` and `state.agree` from `state.nodes`
// (common_block_hash must already be filled in for the answering nodes).
void EvaluateAgreement(NetworkEndState& state);

// The lowest executed height of the answering nodes (0 when none answers).
std::uint64_t CommonHeight(const std::vector<NodeEndState>& nodes);

NetworkEndState ReadEndState(const std::vector<std::string>& ids,
                             const std::vector<std::string>& urls,
                             const std::vector<std::string>& rpc_tokens,  // per url; "" = none
                             int timeout_ms, std::chrono::milliseconds settle);

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_NODE_REPORT_H_
