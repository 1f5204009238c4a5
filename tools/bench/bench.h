// colend-bench: drives a running colend network over JSON-RPC with a given rate and mix of
// transactions, signing with the banks' client keys, and measures what a bank cares about:
// committed transactions per second and submit-to-commit latency (p50/p95/p99).
//
//   colend-bench --network net/network.json --rate 2500 --duration 30
//                [--mix 60,35,5] [--connections 8] [--json]
//
// Setup (not measured), through the first node that answers: for every partner bank, the
// lead bank (first in network.json) proposes a 20/80 agreement and the partner accepts;
// then `--preload` loans are originated and a repayment recorded on some of them, so
// repayments and reversals have targets.
// Measured phase (load_run.h): transactions are pre-signed, then offered at `rate`
// sends per second (sendTransaction, or sendTransactions with --batch), retries included,
// round-robin over the nodes that answer, by `connections` threads. BUSY answers are retried after the node's
// retry_after_ms; a node that does not answer is skipped and probed every second, and its
// transactions go to another node. One watcher per node reads every new block; a
// transaction's commit time is the earliest any node showed it. Latency is reported from
// the send of the attempt that was admitted, and from the first attempt, to that commit
// time (the watchers poll every 5 ms).
// At the end every node's height and state root are read, so the report says whether the
// nodes that answer agree. The machine baseline (ECDSA/SM2 verify per second on one core,
// measured in-process like `openssl speed`) is printed with the results, because the
// machine may be shared.
//
// Thread safety: RunBench is called from one thread; it starts and joins its own.
#ifndef COLEND_TOOLS_BENCH_BENCH_H_
#define COLEND_TOOLS_BENCH_BENCH_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "colend/common/status.h"

namespace colend::bench {

struct BenchOptions {
  std::string network;  // network.json written by colend-netgen
  double rate = 1000;   // transactions per second offered
  double duration_s = 10;
  // Percentages of originations, repayments and reversals; they must add up to 100.
  int originate_pct = 60;
  int repay_pct = 35;
  int reverse_pct = 5;
  int connections = 8;
  int batch = 1;  // transactions per call; > 1 uses sendTransactions (load_run.h)
  int preload = 200;  // loans originated before measuring
  bool json = false;
  bool progress = true;  // a progress line on stderr every second
  // Sent to a node whose bank in network.json names no rpc_token_file (colend-netgen names
  // one per node when it made tokens, and that node's own token is sent instead).
  std::string rpc_token;
  int rpc_timeout_ms = 2000;  // per call in the measured phase: how long a hung node holds a sender
  int retry_grace_s = 30;     // sending (retries included) stops this long after `duration_s`
  int commit_wait_s = 60;     // after sending, how long to wait for admitted transactions' blocks
  // The banks (ids of network.json) whose nodes take the load, are watched and compared at
  // the end; empty = every node. Transactions are still signed for every bank's agreements.
  // For a network whose validators change during the run: a node voted out still answers
  // but what it admits never commits.
  std::vector<std::string> via;
};

// Runs the benchmark and prints the report. kInvalidArgument for bad options, kUnavailable
// when the network does not answer or setup transactions do not commit. Returns OK even
// when some transactions were rejected (they are counted in the report).
Status RunBench(const BenchOptions& options, std::ostream& out, std::ostream& err);

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_BENCH_H_
