#include "colend/node/metrics.h"

#include <charconv>
#include <cmath>

#include "colend/common/check.h"

namespace colend::node {
namespace {

bool IsNameStart(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty() || !IsNameStart(name[0], allow_colon)) return false;
  for (char c : name) {
    if (!IsNameStart(c, allow_colon) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Prometheus floats: shortest round-trip form, with the format's names for the specials.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

// Label values escape backslash, double quote and newline; help text backslash and newline.
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string LabelText(const MetricLabels& labels, std::string_view extra_name = {},
                      std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ",";
    first = false;
    out += name + "=\"" + Escape(value, true) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) out += ",";
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
  }
  return out + "}";
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  target.fetch_add(delta, std::memory_order_relaxed);
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<std::uint64_t>[upper_bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < upper_bounds_.size() && value > upper_bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<double> LatencyBucketsSeconds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    Type type, const MetricLabels& labels) {
  COLEND_CHECK_MSG(IsValidName(name, true), std::string(name).c_str());
  for (const auto& [label, value] : labels) {
    COLEND_CHECK_MSG(IsValidName(label, false) && label != "le", label.c_str());
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    it =
        families_.emplace(std::string(name), Family{type, std::string(help), {}, {}, {}, {}}).first;
  }
  COLEND_CHECK_MSG(it->second.type == type, "metric registered twice with different types");
  return it->second;
}

Counter& MetricsRegistry::RegisterCounter(std::string_view name, std::string_view help,
                                          const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = FamilyFor(name, help, Type::kCounter, labels);
  auto& slot = family.counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::RegisterGauge(std::string_view name, std::string_view help,
                                      const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = FamilyFor(name, help, Type::kGauge, labels);
  auto& slot = family.gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::RegisterHistogram(std::string_view name, std::string_view help,
                                              std::vector<double> upper_bounds,
                                              const MetricLabels& labels) {
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    COLEND_CHECK_MSG(std::isfinite(upper_bounds[i]), "histogram bound is not finite");
    COLEND_CHECK_MSG(i == 0 || upper_bounds[i - 1] < upper_bounds[i],
                     "histogram bounds are not ascending");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = FamilyFor(name, help, Type::kHistogram, labels);
  if (family.histograms.empty()) family.upper_bounds = upper_bounds;
  COLEND_CHECK_MSG(family.upper_bounds == upper_bounds, "histogram bounds differ");
  auto& slot = family.histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(upper_bounds));
  return *slot;
}

std::string MetricsRegistry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + Escape(family.help, false) + "\n";
    switch (family.type) {
      case Type::kCounter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, counter] : family.counters) {
          out += name + LabelText(labels) + " " + std::to_string(counter->value()) + "\n";
        }
        break;
      case Type::kGauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, gauge] : family.gauges) {
          out += name + LabelText(labels) + " " + FormatValue(gauge->value()) + "\n";
        }
        break;
      case Type::kHistogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, h] : family.histograms) {
          std::uint64_t cumulative = 0;
          const auto& bounds = h->upper_bounds();
          for (std::size_t i = 0; i <= bounds.size(); ++i) {
            cumulative += h->bucket_count(i);
            const std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
            out += name + "_bucket" + LabelText(labels, "le", le) + " " +
                   std::to_string(cumulative) + "\n";
          }
          out += name + "_sum" + LabelText(labels) + " " + FormatValue(h->sum()) + "\n";
          // The +Inf bucket's total, not count(): read at one instant they must agree, and
          // the atomics are read one by one while other threads observe.
          out += name + "_count" + LabelText(labels) + " " + std::to_string(cumulative) + "\n";
        }
        break;
    }
  }
  return out;
}

}  // namespace colend::node
