// CommitPipeline: what happens to a block consensus committed before anyone hears of it.
//
//   1. check   the roots its header carries (those after height h - execution_lag, which
//              this node executed itself) against this node's; a difference halts the node
//   2. execute Executor::Execute (decode, contract, receipts, receipts root)
//   3. apply   Executor::Apply: the block's writes become the state; the state root
//   4. store   BlockStore::Commit: block, certificate, receipts, write set and indexes in
//              one synced LevelDB batch
//
// Telling the others (pool, subscribers, replica, metrics) is the caller's: the node does it
// once Commit returns (Node::Impl::Commit, driver.cc). The commit-path benchmark
// (tests/bench/commit_path_bench.cc) runs this same class on a LevelDB directory.
//
// Ownership: borrows the executor and the store (they must outlive it).
// Thread safety: one thread (the node's event loop), like the executor.
#ifndef COLEND_NODE_COMMIT_PIPELINE_H_
#define COLEND_NODE_COMMIT_PIPELINE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "colend/common/result.h"
#include "colend/node/block_store.h"
#include "colend/node/executor.h"
#include "colend/proto/block.pb.h"

namespace colend::node {

// Contract state keys whose every version the node's store keeps, so getPositions can answer
// "as of height h" (docs/api.md): the pair index and the position records.
std::vector<std::string> StoreHistoryPrefixes();

// A block as stored, with what execution learned about it.
struct CommittedBlock {
  StoredBlock stored;
  std::vector<TxSummary> txs;  // one per transaction, block order
  std::uint64_t accepted = 0;  // receipts with status OK
  // Where the time went, per stage of the file comment.
  struct Timing {
    std::chrono::nanoseconds check{0};
    std::chrono::nanoseconds execute{0};
    std::chrono::nanoseconds apply{0};
    std::chrono::nanoseconds store{0};
  } took;
};

class CommitPipeline {
 public:
  CommitPipeline(Executor& executor, BlockStore& store, std::uint64_t execution_lag)
      : executor_(executor), store_(store), execution_lag_(execution_lag) {}

  // Runs the four stages for the block at `height` (the executor's height + 1).
  // kCorruption when the header does not parse or its roots differ from this node's (the
  // node must stop rather than fork); the executor's and the store's errors otherwise. A
  // failure after Apply leaves the executor one block ahead of the store: the node halts
  // and a restart reloads the state from the store (executor.h).
  Result<CommittedBlock> Commit(std::uint64_t height, proto::Block block,
                                proto::CommitCertificate certificate);

 private:
  Executor& executor_;
  BlockStore& store_;
  const std::uint64_t execution_lag_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_COMMIT_PIPELINE_H_
