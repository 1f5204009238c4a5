// The CI budget of seeded simulation runs: every scenario for n = 4 and n = 7, each run
// checking agreement, chain, validity, execution and liveness (simulation.h). A failure
// prints the seed, all parameters and the `colend-sim` command that replays it exactly.
//
// COLEND_SIM_SOAK_FACTOR multiplies the seeds (the `slow` soak: 100 times, 100,000+ runs);
// COLEND_SIM_SEED_DIVISOR divides them (sanitizer builds, which run about 20 times slower).
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "colend/sim/simulation.h"

#ifndef COLEND_SIM_SOAK_FACTOR
#define COLEND_SIM_SOAK_FACTOR 1
#endif
#ifndef COLEND_SIM_SEED_DIVISOR
#define COLEND_SIM_SEED_DIVISOR 1
#endif

namespace colend::sim {
namespace {

struct Batch {
  std::string scenario;
  int n = 4;
  std::uint64_t first_seed = 1;
  std::uint64_t seeds = 1;
};

void PrintTo(const Batch& batch, std::ostream* os) {
  *os << batch.scenario << " n=" << batch.n << " seeds " << batch.first_seed << ".."
      << batch.first_seed + batch.seeds - 1;
}

// 13 scenarios x (80 seeds at n = 4 + 50 at n = 7) = 1,690 runs, in chunks of 40 and 25 so
// ctest can spread them over cores (and a soak's chunks stay within the ctest timeout).
std::vector<Batch> CiBatches() {
  std::vector<Batch> batches;
  for (const std::string& scenario : ScenarioNames()) {
    for (const int n : {4, 7}) {
      const std::uint64_t per_chunk =
          std::max<std::uint64_t>(1, (n == 4 ? 40 : 25) / COLEND_SIM_SEED_DIVISOR);
      for (std::uint64_t chunk = 0; chunk < 2 * COLEND_SIM_SOAK_FACTOR; ++chunk) {
        batches.push_back(Batch{scenario, n, 1 + chunk * per_chunk, per_chunk});
      }
    }
  }
  return batches;
}

class SimSeedsTest : public ::testing::TestWithParam<Batch> {
 protected:
  // Byzantine replicas send bodies that are not valid UTF-8; Protobuf logs each refusal.
  google::protobuf::LogSilencer silence_;
};

TEST_P(SimSeedsTest, InvariantsHold) {
  const Batch& batch = GetParam();
  int failures = 0;
  for (std::uint64_t seed = batch.first_seed; seed < batch.first_seed + batch.seeds; ++seed) {
    const SimConfig config = ScenarioConfig(batch.scenario, batch.n, seed).value();
    const SimResult result = RunSimulation(config);
    if (!result.ok) {
      ADD_FAILURE() << result.Describe(config);
      if (++failures >= 3) break;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ci, SimSeedsTest, ::testing::ValuesIn(CiBatches()),
                         [](const ::testing::TestParamInfo<Batch>& batch) {
                           return batch.param.scenario + "_n" + std::to_string(batch.param.n) +
                                  "_seeds" + std::to_string(batch.param.first_seed) + "_" +
                                  std::to_string(batch.param.first_seed + batch.param.seeds - 1);
                         });

}  // namespace
}  // namespace colend::sim
