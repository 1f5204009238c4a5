// /metrics for banks above their limits: one gauge per party with a limit, a count of
// parties over, read at start and from each block's write set.
#include "colend/node/limit_metrics.h"

#include <gtest/gtest.h>

#include "colend/contracts/memory_state.h"
#include "colend/contracts/records.h"

namespace colend::node {
namespace {

proto::AgreementRecord Agreement(std::int64_t outstanding_a) {
  proto::AgreementRecord a;
  a.set_id("AG-1");
  a.set_currency("CNY");
  proto::AgreementParty* lead = a.add_parties();
  lead->set_bank("LEAD");
  lead->set_outstanding(500);
  proto::AgreementParty* partner = a.add_parties();
  partner->set_bank("PARTNER_A");
  partner->set_has_limit(true);
  partner->set_max_outstanding(7'000'000);
  partner->set_outstanding(outstanding_a);
  return a;
}

contracts::WriteSet Writes(const proto::AgreementRecord& a) {
  contracts::WriteSet w;
  w[contracts::keys::Agreement(a.id())] = a.SerializeAsString();
  w["loan/L-1"] = std::string("not an agreement");
  return w;
}

TEST(LimitExposureMetricsTest, ExcessAndCountFollowTheAgreements) {
  MetricsRegistry registry;
  LimitExposureMetrics metrics(registry);
  contracts::MemoryState state(crypto::HashAlgorithm::kSha256);
  state.Commit(Writes(Agreement(7'000'000)));
  metrics.ObserveAll(state);
  std::string text = registry.Render();
  EXPECT_NE(text.find("colend_limit_excess{agreement=\"AG-1\",bank=\"PARTNER_A\",currency=\"CNY\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("colend_limit_parties_over 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("bank=\"LEAD\""), std::string::npos);  // no limit, no series

  metrics.ObserveWrites(Writes(Agreement(7'060'116)));
  text = registry.Render();
  EXPECT_NE(text.find("bank=\"PARTNER_A\",currency=\"CNY\"} 60116\n"), std::string::npos) << text;
  EXPECT_NE(text.find("colend_limit_parties_over 1\n"), std::string::npos) << text;

  metrics.ObserveWrites(Writes(Agreement(7'060'116)));  // the same again: still one
  EXPECT_NE(registry.Render().find("colend_limit_parties_over 1\n"), std::string::npos);

  metrics.ObserveWrites(Writes(Agreement(6'999'999)));
  text = registry.Render();
  EXPECT_NE(text.find("bank=\"PARTNER_A\",currency=\"CNY\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("colend_limit_parties_over 0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace colend::node
