// Peer conduct on its own (node/core/src/peer_conduct.h): when a peer that sends failing
// consensus envelopes is barred, and for how long.
#include "peer_conduct.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace colend::node {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

TEST(PeerConductTest, APeerIsBarredAtTheThresholdWithinTheWindow) {
  PeerConduct conduct;  // 20 a minute
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(conduct.OnBadMessages("B", 19, t0), std::nullopt);
  EXPECT_EQ(conduct.OnBadMessages("C", 19, t0), std::nullopt);  // counted per peer
  EXPECT_EQ(conduct.OnBadMessages("B", 1, t0 + seconds(30)), milliseconds(5000));
  // The count starts again after a penalty.
  EXPECT_EQ(conduct.OnBadMessages("B", 19, t0 + seconds(31)), std::nullopt);
}

TEST(PeerConductTest, TheCountStartsAgainEachWindow) {
  PeerConduct conduct;
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(conduct.OnBadMessages("B", 15, t0), std::nullopt);
  EXPECT_EQ(conduct.OnBadMessages("B", 15, t0 + minutes(1) + milliseconds(1)), std::nullopt);
  EXPECT_EQ(conduct.OnBadMessages("B", 5, t0 + minutes(1) + seconds(2)), milliseconds(5000));
}

TEST(PeerConductTest, EachPenaltyDoublesTheBarUpToTheMaximum) {
  PeerConduct conduct;
  Clock::time_point now = Clock::now();
  std::vector<std::int64_t> bars_s;
  for (int i = 0; i < 10; ++i) {
    now += minutes(2);
    const std::optional<milliseconds> bar = conduct.OnBadMessages("B", 20, now);
    ASSERT_TRUE(bar.has_value());
    bars_s.push_back(std::chrono::duration_cast<seconds>(*bar).count());
  }
  EXPECT_EQ(bars_s, (std::vector<std::int64_t>{5, 10, 20, 40, 80, 160, 320, 600, 600, 600}));
}

TEST(PeerConductTest, TheOptionsSetTheBounds) {
  PeerConductOptions options;
  options.threshold = 3;
  options.first_bar = seconds(1);
  options.max_bar = seconds(3);
  PeerConduct conduct(options);
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(conduct.OnBadMessages("B", 2, t0), std::nullopt);
  EXPECT_EQ(conduct.OnBadMessages("B", 1, t0), seconds(1));
  EXPECT_EQ(conduct.OnBadMessages("B", 3, t0), seconds(2));
  EXPECT_EQ(conduct.OnBadMessages("B", 3, t0), seconds(3));
  EXPECT_EQ(conduct.OnBadMessages("B", 3, t0), seconds(3));
  EXPECT_EQ(conduct.Reason(),
            "3 consensus messages with a bad signature or that did not parse "
            "within a minute");
}

}  // namespace
}  // namespace colend::node
