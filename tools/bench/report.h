// colend-bench's report: the text for people and the one JSON object for machines
// (--json), from the load run's counts and the nodes' end-of-run state.
//
// Thread safety: pure functions of their input.
#ifndef COLEND_TOOLS_BENCH_REPORT_H_
#define COLEND_TOOLS_BENCH_REPORT_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "bench.h"
#include "bench_stats.h"
#include "load_run.h"
#include "node_report.h"

namespace colend::bench {

struct ReportInput {
  const BenchOptions* options = nullptr;
  std::vector<std::string> node_ids;  // as in network.json
  std::string suite;
  double verify_per_s = 0;
  const LoadResult* load = nullptr;
  Tally tally;
  // Committed transactions the contracts rejected, from one node's metrics before and
  // after; nullopt when no node answered both times.
  std::optional<double> rejected_by_contract;
  const NetworkEndState* end = nullptr;
};

boost::json::object ReportJson(const ReportInput& in);
void PrintTextReport(const ReportInput& in, std::ostream& out);

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_REPORT_H_
