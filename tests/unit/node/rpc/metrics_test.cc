// MetricsRegistry: registration, concurrent updates and the Prometheus text it renders.
#include "colend/node/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace colend::node {
namespace {

TEST(MetricsRegistryTest, RendersFamiliesInNameOrderWithHelpAndType) {
  MetricsRegistry m;
  m.RegisterGauge("colend_height", "Last committed height").Set(42);
  m.RegisterCounter("colend_a_total", "A counter").Increment(3);
  EXPECT_EQ(m.Render(),
            "# HELP colend_a_total A counter\n"
            "# TYPE colend_a_total counter\n"
            "colend_a_total 3\n"
            "# HELP colend_height Last committed height\n"
            "# TYPE colend_height gauge\n"
            "colend_height 42\n");
}

TEST(MetricsRegistryTest, LabelsShareOneFamilyAndAreEscaped) {
  MetricsRegistry m;
  m.RegisterCounter("req_total", "Requests", {{"method", "b"}}).Increment();
  m.RegisterCounter("req_total", "Requests", {{"method", "a\"q\\\n"}}).Increment(2);
  // Registering again returns the same counter.
  m.RegisterCounter("req_total", "Requests", {{"method", "b"}}).Increment();
  EXPECT_EQ(m.Render(),
            "# HELP req_total Requests\n"
            "# TYPE req_total counter\n"
            "req_total{method=\"a\\\"q\\\\\\n\"} 2\n"
            "req_total{method=\"b\"} 2\n");
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulative) {
  MetricsRegistry m;
  Histogram& h = m.RegisterHistogram("lat_seconds", "Latency", {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // upper bounds are inclusive
  h.Observe(0.5);
  h.Observe(7);
  EXPECT_EQ(m.Render(),
            "# HELP lat_seconds Latency\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.1\"} 2\n"
            "lat_seconds_bucket{le=\"1\"} 3\n"
            "lat_seconds_bucket{le=\"+Inf\"} 4\n"
            "lat_seconds_sum 7.65\n"
            "lat_seconds_count 4\n");
}

TEST(MetricsRegistryTest, GaugesGoBothWaysAndPrintFractions) {
  MetricsRegistry m;
  Gauge& g = m.RegisterGauge("g", "G");
  g.Set(1.5);
  g.Add(-3);
  EXPECT_EQ(g.value(), -1.5);
  EXPECT_NE(m.Render().find("g -1.5\n"), std::string::npos);
}

TEST(MetricsRegistryTest, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry m;
  Counter& c = m.RegisterCounter("c_total", "C");
  Histogram& h = m.RegisterHistogram("h", "H", LatencyBucketsSeconds());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        h.Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.count(), 40000u);
}

TEST(MetricsRegistryDeathTest, TypeClashIsAProgrammingError) {
  MetricsRegistry m;
  m.RegisterCounter("x", "X");
  EXPECT_DEATH(m.RegisterGauge("x", "X"), "different types");
  EXPECT_DEATH(m.RegisterCounter("bad name", "X"), "bad name");
}

}  // namespace
}  // namespace colend::node
