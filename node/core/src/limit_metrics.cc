#include "colend/node/limit_metrics.h"

#include <spdlog/spdlog.h>

#include "colend/contracts/books.h"
#include "colend/contracts/records.h"

namespace colend::node {

LimitExposureMetrics::LimitExposureMetrics(MetricsRegistry& registry)
    : registry_(registry),
      over_(&registry.RegisterGauge("colend_limit_parties_over",
                                    "Agreement parties whose outstanding principal is above "
                                    "their limit (left there by a correction).")) {}

void LimitExposureMetrics::ObserveAll(const contracts::StateScanner& state) {
  state.Scan(contracts::keys::kAgreementPrefix, [&](std::string_view, std::string_view value) {
    proto::AgreementRecord agreement;
    if (agreement.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      Observe(agreement);
    }
    return true;
  });
}

void LimitExposureMetrics::ObserveWrites(const contracts::WriteSet& writes) {
  const std::string_view prefix = contracts::keys::kAgreementPrefix;
  for (auto it = writes.lower_bound(prefix);
       it != writes.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    if (!it->second.has_value()) continue;
    proto::AgreementRecord agreement;
    if (agreement.ParseFromString(*it->second)) Observe(agreement);
  }
}

void LimitExposureMetrics::Observe(const proto::AgreementRecord& agreement) {
  for (const proto::AgreementParty& party : agreement.parties()) {
    if (!party.has_limit()) continue;
    auto [it, inserted] = parties_.try_emplace({agreement.id(), party.bank()});
    if (inserted) {
      it->second.first = &registry_.RegisterGauge(
          "colend_limit_excess",
          "Outstanding principal above the party's limit under an agreement, minor units "
          "(0 when within).",
          MetricLabels{{"agreement", agreement.id()},
                       {"bank", party.bank()},
                       {"currency", agreement.currency()}});
    }
    const std::int64_t excess = contracts::LimitExcessOf(party);
    it->second.first->Set(static_cast<double>(excess));
    const bool over = excess > 0;
    if (over != it->second.second) {
      over_count_ += over ? 1 : -1;
      it->second.second = over;
      if (over) {
        spdlog::warn("{} is {} above its limit of {} under agreement {} (new loans needing its "
                     "share are refused until it is back under)",
                     party.bank(), excess, party.max_outstanding(), agreement.id());
      } else {
        spdlog::info("{} is back within its limit under agreement {}", party.bank(),
                     agreement.id());
      }
    }
  }
  over_->Set(over_count_);
}

}  // namespace colend::node
