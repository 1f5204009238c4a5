// What a peer or client can repeat at will is logged at its 1st, 2nd, 4th, 8th, ...
// occurrence, counted per key.
#include "colend/common/log_throttle.h"

#include <vector>

#include <gtest/gtest.h>

namespace colend {
namespace {

TEST(LogThrottleTest, PowersOfTwoAreLogged) {
  std::vector<std::uint64_t> logged;
  for (std::uint64_t n = 0; n <= 1000; ++n) {
    if (LogThisOccurrence(n)) logged.push_back(n);
  }
  EXPECT_EQ(logged, (std::vector<std::uint64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}));
  EXPECT_TRUE(LogThisOccurrence(std::uint64_t{1} << 63));
  EXPECT_FALSE(LogThisOccurrence(~std::uint64_t{0}));
}

TEST(LogThrottleTest, AFloodFromOneKeyCostsAFewLinesAndOthersStillLog) {
  OccurrenceLog log;
  std::vector<std::uint64_t> lines;
  for (int i = 0; i < 100'000; ++i) {
    if (const std::uint64_t n = log.Count("PARTNER_C unexpected frame")) lines.push_back(n);
  }
  EXPECT_EQ(lines.size(), 17u);  // 1, 2, 4, ..., 65536
  EXPECT_EQ(lines.front(), 1u);
  EXPECT_EQ(lines.back(), 65536u);
  EXPECT_EQ(log.count("PARTNER_C unexpected frame"), 100'000u);
  // Another peer's first occurrence is logged whatever the first one did.
  EXPECT_EQ(log.Count("PARTNER_A unexpected frame"), 1u);
  EXPECT_EQ(log.count("nobody"), 0u);
}

}  // namespace
}  // namespace colend
