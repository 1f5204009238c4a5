// Metrics: counters, gauges and fixed-bucket histograms, rendered in the Prometheus text
// exposition format (version 0.0.4) for `GET /metrics`.
//
// The node registers its metrics once at start-up (colend_height, colend_view,
// colend_txs_committed_total, colend_pool_size, colend_peers_connected,
// colend_commit_latency_seconds) and then updates them from any thread; the RPC server
// counts its requests by method and its errors by code here too.
//
// A metric family is a name with its help text and type; each member of the family has its
// own label values (none, or for example {method="getLoan"}). Registering the same name and
// labels again returns the same metric, so two components may share one.
//
// Ownership: the registry owns every metric it hands out; the references stay valid until
// the registry is destroyed.
// Thread safety: Register* and Render take an internal mutex; Increment/Set/Add/Observe are
// lock-free atomics and may be called from any thread at any time.
#ifndef COLEND_NODE_METRICS_H_
#define COLEND_NODE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace colend::node {

// Label name/value pairs of one metric, e.g. {{"method", "getLoan"}}. Label names match
// [a-zA-Z_][a-zA-Z0-9_]*; values are any text (escaped when rendered).
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class Counter {
 public:
  void Increment(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (a height, a pool size).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets (upper bounds, ascending), with their sum.
class Histogram {
 public:
  // REQUIRES: `upper_bounds` is strictly ascending and finite (checked by the registry).
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Non-cumulative count of bucket i; index upper_bounds().size() is the +Inf bucket.
  std::uint64_t bucket_count(std::size_t i) const {
    return buckets_[i].load(std::memory_order_relaxed);
  }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // upper_bounds_.size() + 1
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bucket bounds for latencies in seconds: 1 ms to 10 s.
std::vector<double> LatencyBucketsSeconds();

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // REQUIRES: `name` matches [a-zA-Z_:][a-zA-Z0-9_:]* and is not already registered as
  // another type; label names are valid; a histogram's bounds are ascending and finite
  // and, for an existing family, the same as before. These are programming errors and
  // abort (COLEND_CHECK): metric names are code constants, never input.
  Counter& RegisterCounter(std::string_view name, std::string_view help,
                           const MetricLabels& labels = {});
  Gauge& RegisterGauge(std::string_view name, std::string_view help,
                       const MetricLabels& labels = {});
  Histogram& RegisterHistogram(std::string_view name, std::string_view help,
                               std::vector<double> upper_bounds, const MetricLabels& labels = {});

  // Every family in name order, members in label order, as Prometheus text:
  //   # HELP <name> <help>
  //   # TYPE <name> counter|gauge|histogram
  //   <name>{<labels>} <value>
  // Histograms as <name>_bucket{le="..."} (cumulative, ending with le="+Inf"),
  // <name>_sum and <name>_count.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> upper_bounds;  // histograms only
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
  };

  Family& FamilyFor(std::string_view name, std::string_view help, Type type,
                    const MetricLabels& labels);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;  // guarded by mu_
};

}  // namespace colend::node

#endif  // COLEND_NODE_METRICS_H_
