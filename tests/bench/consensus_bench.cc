// Consensus under the deterministic simulator (tests/sim), no faults unless stated:
//   BM_NormalCase/n              committed blocks per wall-clock second the whole simulated
//                                network gets through (n replicas on one core, fake keys), and
//                                consensus messages per committed block;
//   BM_ViewChangeAfterPrimaryCrash/n  simulated time from the primary's crash to the next
//                                committed block (timeout + VIEW-CHANGE + NEW-VIEW + commit).
// Real ECDSA adds about 2n verifications and 2 signatures per replica and block:
// colend_consensus_scale_bench runs the same replicas with real node keys, n = 4 to 49
// (docs/scaling.md).
#include <benchmark/benchmark.h>
#include <google/protobuf/stubs/logging.h>

#include <cstdint>

#include "colend/sim/simulation.h"

namespace colend::sim {
namespace {

SimConfig LoadedConfig(int n, std::uint64_t seed) {
  SimConfig config = ScenarioConfig("clean", n, seed).value();
  config.params.checkpoint_period = 50;
  config.params.window = 200;
  config.params.execution_lag = 2;
  config.params.max_block_txs = 100;
  config.params.batch_timeout_ms = 20;
  config.params.view_change_timeout_ms = 1'000;
  config.tx_per_second = 2'000;  // enough to fill blocks: the pipeline, not the clients, limits
  config.fault_phase_ms = 5'000;
  config.client_tail_ms = 0;
  config.drain_ms = 5'000;
  config.liveness_bound_ms = 4'000;
  return config;
}

void BM_NormalCase(benchmark::State& state) {
  google::protobuf::LogSilencer silence;
  const int n = static_cast<int>(state.range(0));
  double blocks = 0;
  double messages = 0;
  double txs = 0;
  std::uint64_t seed = 1;
  for (auto _ : state) {
    const SimConfig config = LoadedConfig(n, seed++);
    const SimResult result = RunSimulation(config);
    if (!result.ok) state.SkipWithError(result.Describe(config).c_str());
    blocks += static_cast<double>(result.stats.max_height);
    messages += static_cast<double>(result.stats.messages_sent);
    txs += static_cast<double>(result.stats.txs_committed);
  }
  state.counters["blocks_per_s"] = benchmark::Counter(blocks, benchmark::Counter::kIsRate);
  state.counters["msgs_per_block"] = messages / blocks;
  state.counters["txs_per_block"] = txs / blocks;
}
BENCHMARK(BM_NormalCase)->Arg(4)->Arg(7)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ViewChangeAfterPrimaryCrash(benchmark::State& state) {
  google::protobuf::LogSilencer silence;
  const int n = static_cast<int>(state.range(0));
  double total_ms = 0;
  double worst_ms = 0;
  double runs = 0;
  std::uint64_t seed = 1;
  std::uint64_t timeout = 0;
  for (auto _ : state) {
    SimConfig config = ScenarioConfig("clean", n, seed++).value();
    config.primary_crashes = 1;
    config.params.view_change_timeout_ms = 1'000;
    timeout = config.params.view_change_timeout_ms;
    const SimResult result = RunSimulation(config);
    if (!result.ok || result.stats.primary_crashes != 1) {
      state.SkipWithError(result.Describe(config).c_str());
    }
    const double ms = static_cast<double>(result.stats.primary_crash_to_commit_ms);
    total_ms += ms;
    worst_ms = std::max(worst_ms, ms);
    runs += 1;
  }
  state.counters["view_change_ms"] = total_ms / runs;  // simulated, mean over seeds
  state.counters["view_change_worst_ms"] = worst_ms;
  state.counters["timeout_ms"] = static_cast<double>(timeout);
}
BENCHMARK(BM_ViewChangeAfterPrimaryCrash)
    ->Arg(4)
    ->Arg(7)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(20);

}  // namespace
}  // namespace colend::sim
