// The measured phase of colend-bench: pre-signed transactions offered to every node at a
// given rate, and their commits followed on every node.
//
// Senders: `connections` threads, each with its own JSON-RPC connection to every node. A
// SendScheduler hands out transactions and paces every call, retries included, to `rate`
// per second (send_scheduler.h). Each call goes to the next node that answers, round-robin
// (NodeHealth). The answer (send_answer.h) decides:
//   admitted      done; so is "already pending", and DUPLICATE of its own hash when it was
//                 a resubmission;
//   BUSY          counted, and the same signed bytes go back to the scheduler to be sent
//                 after the node's retry_after_ms (else 100 ms doubling, at most 2 s),
//                 preferably to another node; the sender goes on with other work
//                 meanwhile;
//   refused       done (counted by reason);
//   no answer     the node is marked down (probed again every second) and the same bytes
//                 go to another node at the next slot.
// Sending stops when every transaction has its answer, or `retry_grace` after the planned
// duration: transactions never sent then are "unsent", those still retrying "gave up".
//
// Watchers: one thread per node reads each new block (getBlockNumber every 5 ms, then
// getBlockByNumber) and stamps the transactions in it; a transaction's commit time is the
// earliest any node showed it. A watcher whose node stops answering marks it down and
// probes it every second; the other watchers go on. Watching ends when every admitted
// transaction was seen committed, or `commit_wait` after sending ended.
//
// Thread safety: RunLoad is called from one thread; it starts and joins all of its
// threads before it returns.
#ifndef COLEND_TOOLS_BENCH_LOAD_RUN_H_
#define COLEND_TOOLS_BENCH_LOAD_RUN_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "bench_stats.h"
#include "colend/common/result.h"
#include "node_health.h"

namespace colend::bench {

struct PlannedTx {
  std::string hex;   // the signed transaction
  std::string hash;  // its tx hash, hex
};

struct LoadOptions {
  double rate = 1000;  // transaction sends per second, retries included
  // Transactions per call: 1 sends each with sendTransaction; more gathers what is due into
  // one sendTransactions call of at most this many (each still takes its own rate slot).
  int batch = 1;
  double duration_s = 10;
  int connections = 8;
  std::vector<std::string> rpc_tokens;  // per node, in the order of the urls; "" = none
  int rpc_timeout_ms = 2000;  // per attempt; a hung node holds a sender this long (twice)
  std::chrono::seconds retry_grace{30};
  std::chrono::seconds commit_wait{60};
  bool progress = true;  // a progress line on `err` every second
};

struct LoadResult {
  std::vector<TxRecord> txs;  // one per planned transaction, in plan order
  double elapsed_s = 0;       // from the start to the end of watching
  double send_span_s = 0;     // from the start to the last sendTransaction call
  std::uint64_t send_calls = 0;   // transaction sends (attempts), retries included
  std::uint64_t batch_calls = 0;  // sendTransactions calls carrying them (batch > 1)
  std::uint64_t busy_answers = 0;
  std::uint64_t busy_retries = 0;          // calls that retried after BUSY
  std::uint64_t connection_resends = 0;    // calls that resent after a node did not answer
  std::uint64_t slots_dropped_behind = 0;  // send slots lost while every sender was in a call
  std::map<std::string, std::uint64_t> refusals;      // by "<code> <message>"
  std::map<std::string, std::uint64_t> busy_reasons;  // by data.reason or message
  std::vector<NodeHealth::NodeReport> nodes;          // by node, as in `urls`
  // Hashes of the first few admitted transactions no node showed in a block, to look up.
  std::vector<std::string> not_committed_sample;
};

// `urls`: each node's JSON-RPC endpoint. kInvalidArgument for a bad URL; otherwise OK
// whatever the nodes did (the result counts it).
Result<LoadResult> RunLoad(const std::vector<PlannedTx>& plan, const std::vector<std::string>& urls,
                           const LoadOptions& options, std::ostream& err);

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_LOAD_RUN_H_
