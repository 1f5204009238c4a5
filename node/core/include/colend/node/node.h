// Node: one bank's validator process (docs/architecture.md, node). It wires the PBFT replica
// (consensus/), the contracts (through the Executor), the block store (LevelDB), the
// transaction pool, the mutual-TLS p2p network and the JSON-RPC server together.
//
// Threads:
//   the caller of Run  the node's event loop ("colend-node" io_context): p2p, consensus,
//                      timers, execution, storage writes, sync. Everything that changes
//                      consensus or chain state happens here, in order.
//   "colend-rpc-<i>"   JSON-RPC workers (RpcServer): queries read the store and, under a
//                      shared lock, the in-memory state; sendTransaction admits into the
//                      pool (signature verified on the calling worker) and posts the rest
//                      to the event loop.
//   "colend-verify-<i>" the pool's batch verifier (gossip and proposals).
//
// Failure policy: a storage error, a damaged state record, or a block whose header
// roots differ from this node's own execution halts the node loudly (Run returns the
// error) instead of continuing on a state it cannot vouch for. Bad input from peers or
// clients is counted and answered, never fatal.
//
// Ownership: owns everything it opens. Thread safety: Shutdown from any thread (or a
// signal handler installed by Run); everything else from the thread that owns the Node.
#ifndef COLEND_NODE_NODE_H_
#define COLEND_NODE_NODE_H_

#include <cstdint>
#include <memory>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/node/config.h"

namespace colend::node {

inline constexpr const char* kNodeVersion = "0.1.0";

class Node {
 public:
  // Reads the genesis and keys the config names, opens (or creates) the data directory,
  // loads the state, recovers consensus from its write-ahead log and binds the p2p and
  // RPC ports. Any problem is reported with the file or setting it concerns, and nothing
  // is left running.
  static Result<std::unique_ptr<Node>> Open(const NodeConfig& config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the network and the RPC server and runs the event loop on the calling thread
  // until Shutdown (or SIGINT/SIGTERM when handle_signals). OK after a requested
  // shutdown; the error that halted the node otherwise. The store is flushed and closed
  // when the Node is destroyed.
  Status Run(bool handle_signals);

  // Asks Run to return. Thread-safe; idempotent.
  void Shutdown();

  std::uint16_t rpc_port() const;
  std::uint16_t p2p_port() const;

  class Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_NODE_H_
