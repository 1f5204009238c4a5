// The simulator must notice a broken safety rule within the CI seed budget. With the quorum
// lowered from 2f + 1 to f + 1 (possible only through the test-only hook, see
// SimConfig::broken_quorum_for_testing), two quorums need not share an honest replica, and
// the agreement invariant must fire. The correct quorum passes these same seeds in
// sim_seeds_test.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <iostream>

#include "colend/sim/simulation.h"

namespace colend::sim {
namespace {

struct Caught {
  SimConfig config;
  SimResult result;
  std::uint64_t runs = 0;
};

// Scans the CI runs (the scenarios and seeds of sim_seeds_test), the byzantine ones first,
// until one fails.
std::optional<Caught> FirstFailure(int n, std::uint64_t seeds_per_scenario) {
  Caught caught;
  for (const char* scenario :
       {"byzantine", "mixed", "partition", "crash", "lossy", "primary_crash", "silent", "clean"}) {
    for (std::uint64_t seed = 1; seed <= seeds_per_scenario; ++seed) {
      caught.config = ScenarioConfig(scenario, n, seed).value();
      caught.config.broken_quorum_for_testing = static_cast<std::size_t>((n - 1) / 3 + 1);
      caught.result = RunSimulation(caught.config);
      ++caught.runs;
      if (!caught.result.ok) return caught;
    }
  }
  return std::nullopt;
}

TEST(BrokenQuorumTest, AnFPlusOneQuorumIsCaughtWithinTheCiBudget) {
  google::protobuf::LogSilencer silence;
  for (const int n : {4, 7}) {
    const std::optional<Caught> caught = FirstFailure(n, n == 4 ? 80 : 50);
    ASSERT_TRUE(caught.has_value()) << "quorum f+1 at n=" << n << " went unnoticed";
    EXPECT_EQ(caught->result.invariant, "agreement") << caught->result.Describe(caught->config);
    std::cout << "n=" << n << ": caught after " << caught->runs
              << " runs: " << caught->result.Describe(caught->config) << "\n";
  }
}

}  // namespace
}  // namespace colend::sim
