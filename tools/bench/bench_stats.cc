#include "bench_stats.h"

#include <algorithm>
#include <cmath>

namespace colend::bench {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  // Rank 0 (p near 0) still means the smallest sample.
  const std::size_t i = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

LatencySummary Summarize(std::vector<double> samples_ms) {
  std::sort(samples_ms.begin(), samples_ms.end());
  LatencySummary s;
  s.count = samples_ms.size();
  if (samples_ms.empty()) return s;
  s.p50 = Percentile(samples_ms, 50);
  s.p95 = Percentile(samples_ms, 95);
  s.p99 = Percentile(samples_ms, 99);
  s.max = samples_ms.back();
  return s;
}

Tally TallyRecords(const std::vector<TxRecord>& records) {
  Tally t;
  std::vector<double> from_admitted, from_first;
  for (const TxRecord& r : records) {
    ++t.offered;
    if (r.attempts > 0) ++t.sent;
    if (r.busy_answers > 0) ++t.busy_txs;
    switch (r.fate) {
      case TxRecord::Fate::kUnsent:
        ++t.unsent;
        break;
      case TxRecord::Fate::kAdmitted:
        ++t.admitted;
        if (r.admitted_as_duplicate) ++t.admitted_as_duplicate;
        break;
      case TxRecord::Fate::kRefused:
        ++t.refused;
        break;
      case TxRecord::Fate::kGaveUp:
        ++t.gave_up;
        break;
    }
    const bool committed = r.committed_ns != kNever;
    if (committed) ++t.committed;
    if (r.fate != TxRecord::Fate::kAdmitted) continue;
    if (!committed) {
      ++t.admitted_not_committed;
      continue;
    }
    ++t.admitted_committed;
    t.last_commit_ns = std::max(t.last_commit_ns, r.committed_ns);
    // A node that died before answering may have taken an earlier attempt, so the block can
    // precede the admitted attempt's send: that latency is 0, not negative.
    from_admitted.push_back(
        static_cast<double>(std::max<std::int64_t>(0, r.committed_ns - r.admitted_sent_ns)) / 1e6);
    from_first.push_back(
        static_cast<double>(std::max<std::int64_t>(0, r.committed_ns - r.first_sent_ns)) / 1e6);
  }
  t.from_admitted_send = Summarize(std::move(from_admitted));
  t.from_first_attempt = Summarize(std::move(from_first));
  return t;
}

}  // namespace colend::bench
