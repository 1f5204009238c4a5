// colend-sim: runs (or replays) deterministic simulations of a colend validator network.
//
//   colend-sim --seed 17 --n 4 --scenario mixed        one run, exactly as CI ran it
//   colend-sim --seeds 1000 --n 7 --scenario lossy     seeds 1..1000 (or --first/--seeds)
//   colend-sim --list                                  the scenarios
// Exit status: 0 if every run held every invariant, 1 if one failed, 2 for bad usage.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "colend/sim/simulation.h"

namespace {

int Usage() {
  std::cerr << "usage: colend-sim [--seed N | --first N --seeds COUNT] [--n 4|7|10] "
               "[--scenario NAME] [--broken-quorum Q] [--verbose] | --list\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t first = 1;
  std::uint64_t count = 1;
  int n = 4;
  std::string scenario = "mixed";
  long broken_quorum = -1;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* value = nullptr;
    if (arg == "--list") {
      for (const std::string& name : colend::sim::ScenarioNames()) std::cout << name << "\n";
      return 0;
    } else if (arg == "--verbose") {
      verbose = true;
    } else if ((arg == "--seed" || arg == "--first") && (value = next())) {
      first = std::strtoull(value, nullptr, 10);
    } else if (arg == "--seeds" && (value = next())) {
      count = std::strtoull(value, nullptr, 10);
    } else if (arg == "--n" && (value = next())) {
      n = std::atoi(value);
    } else if (arg == "--scenario" && (value = next())) {
      scenario = value;
    } else if (arg == "--broken-quorum" && (value = next())) {
      broken_quorum = std::atol(value);
    } else {
      return Usage();
    }
  }
  std::uint64_t failures = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    std::optional<colend::sim::SimConfig> config = colend::sim::ScenarioConfig(scenario, n, seed);
    if (!config) return Usage();
    if (broken_quorum > 0)
      config->broken_quorum_for_testing = static_cast<std::size_t>(broken_quorum);
    const colend::sim::SimResult result = colend::sim::RunSimulation(*config);
    if (!result.ok || verbose || count == 1) std::cout << result.Describe(*config) << "\n";
    if (!result.ok) ++failures;
  }
  if (count > 1) std::cout << failures << " of " << count << " runs failed\n";
  return failures == 0 ? 0 : 1;
}
