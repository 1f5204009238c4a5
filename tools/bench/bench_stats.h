// What colend-bench counts about each planned transaction during the measured phase, and the
// arithmetic of the report over those records: the outcome tally and the latency
// percentiles.
//
// Thread safety: plain values and pure functions; TxRecord is filled in by the load run
// and read here only after its threads have been joined.
#ifndef COLEND_TOOLS_BENCH_BENCH_STATS_H_
#define COLEND_TOOLS_BENCH_BENCH_STATS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace colend::bench {

// A time never reached, in TxRecord's nanoseconds since the start of the measured phase.
inline constexpr std::int64_t kNever = -1;

// One planned transaction after the run.
struct TxRecord {
  enum class Fate : std::uint8_t {
    kUnsent,    // its send slot never came before the deadline
    kAdmitted,  // a node took it (admitted, already pending, or DUPLICATE on a resubmission)
    kRefused,   // a node refused it for good (JSON-RPC -32001 and any other error)
    kGaveUp,    // sent, but BUSY or unreachable nodes until the deadline
  };
  Fate fate = Fate::kUnsent;
  bool admitted_as_duplicate = false;      // a resubmission answered DUPLICATE with its own hash
  std::uint32_t attempts = 0;              // sendTransaction calls for it
  std::uint32_t busy_answers = 0;          // of which answered BUSY
  std::int64_t first_sent_ns = kNever;     // the first attempt's send
  std::int64_t admitted_sent_ns = kNever;  // the send of the attempt that was admitted
  std::int64_t committed_ns = kNever;      // earliest time any node showed it in a block
};

// Nearest-rank percentiles of latencies in milliseconds; all zero for no samples.
struct LatencySummary {
  std::size_t count = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
};

// The p-th (0 < p <= 100) nearest-rank percentile of `sorted` (ascending): the smallest
// sample with at least p % of the samples at or below it. 0 when empty.
double Percentile(const std::vector<double>& sorted, double p);

// Sorts `samples_ms` and summarises them.
LatencySummary Summarize(std::vector<double> samples_ms);

// The outcome counts of a run. Every planned transaction is exactly one of unsent,
// admitted, refused or gave_up; committed is independent (a transaction is committed when
// any node showed it in a block, whatever its sender learned).
struct Tally {
  std::uint64_t offered = 0;  // planned: rate x duration
  std::uint64_t sent = 0;     // at least one sendTransaction call
  std::uint64_t admitted = 0;
  std::uint64_t admitted_as_duplicate = 0;
  std::uint64_t refused = 0;
  std::uint64_t gave_up = 0;
  std::uint64_t unsent = 0;
  std::uint64_t busy_txs = 0;                // distinct transactions with >= 1 BUSY answer
  std::uint64_t committed = 0;               // seen in a block, admitted or not
  std::uint64_t admitted_committed = 0;      // admitted and seen in a block
  std::uint64_t admitted_not_committed = 0;  // admitted but never seen in a block
  std::int64_t last_commit_ns = 0;           // latest commit of an admitted transaction
  // Admitted and committed: from the admitted attempt's send, and from the first attempt.
  LatencySummary from_admitted_send;
  LatencySummary from_first_attempt;
};

Tally TallyRecords(const std::vector<TxRecord>& records);

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_BENCH_STATS_H_
