// Per-party limit exposure in /metrics. A limit binds new originations only, so a
// correction (a Reverse restoring principal) may leave a bank above its limit; operators
// alert on it here, and the agreement refuses loans needing that bank's share meanwhile.
//
//   colend_limit_excess{agreement,bank,currency}  outstanding above the limit, minor units
//                                                 (0 once back under; one series per party
//                                                 that has a limit)
//   colend_limit_parties_over                     parties above their limit now
//
// Thread safety: none; the event loop calls it (after each stored block, and once at start).
#ifndef COLEND_NODE_LIMIT_METRICS_H_
#define COLEND_NODE_LIMIT_METRICS_H_

#include <map>
#include <string>
#include <utility>

#include "colend/contracts/state.h"
#include "colend/node/metrics.h"
#include "colend/proto/state.pb.h"

namespace colend::node {

class LimitExposureMetrics {
 public:
  // `registry` must outlive this object.
  explicit LimitExposureMetrics(MetricsRegistry& registry);

  // Reads every agreement of a state (at start).
  void ObserveAll(const contracts::StateScanner& state);
  // Reads the agreements a block's write set changed.
  void ObserveWrites(const contracts::WriteSet& writes);

 private:
  void Observe(const proto::AgreementRecord& agreement);

  MetricsRegistry& registry_;
  Gauge* over_ = nullptr;
  // (agreement, bank) -> its gauge and whether it is over its limit now.
  std::map<std::pair<std::string, std::string>, std::pair<Gauge*, bool>> parties_;
  int over_count_ = 0;
};

}  // namespace colend::node

#endif  // COLEND_NODE_LIMIT_METRICS_H_
