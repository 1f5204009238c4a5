// Named fault mixes. Every parameter of a run is derived from (scenario, n, seed), so the
// three numbers printed by a failing run are all it takes to replay it.
#include <random>
#include <sstream>

#include "colend/sim/simulation.h"

namespace colend::sim {

std::string_view BehaviorName(ByzantineBehavior behavior) {
  switch (behavior) {
    case ByzantineBehavior::kSilent:
      return "silent";
    case ByzantineBehavior::kEquivocate:
      return "equivocate";
    case ByzantineBehavior::kConflictingVotes:
      return "conflicting-votes";
    case ByzantineBehavior::kBadSignatures:
      return "bad-signatures";
    case ByzantineBehavior::kReplay:
      return "replay";
    case ByzantineBehavior::kGarbage:
      return "garbage";
    case ByzantineBehavior::kLyingViewChange:
      return "lying-view-change";
    case ByzantineBehavior::kBadNewView:
      return "bad-new-view";
    case ByzantineBehavior::kPadded:
      return "padded";
  }
  return "unknown";
}

const std::vector<std::string>& ScenarioNames() {
  static const std::vector<std::string> names = {
      "clean", "lossy", "crash", "primary_crash", "partition", "byzantine", "silent", "mixed",
      "primary_stall", "window_edge", "governance", "padded", "reconfigure"};
  return names;
}

std::optional<SimConfig> ScenarioConfig(std::string_view scenario, int n, std::uint64_t seed) {
  if (n < 1 || n > 10) return std::nullopt;
  SimConfig c;
  c.seed = seed;
  c.n = n;
  c.scenario = std::string(scenario);
  std::mt19937_64 r(seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(n) * 7919u +
                    std::hash<std::string_view>()(scenario));
  const auto pick = [&r](std::uint64_t lo, std::uint64_t hi) { return lo + r() % (hi - lo + 1); };
  const auto chance = [&r](double lo, double hi) {
    return lo + (hi - lo) * std::uniform_real_distribution<double>(0, 1)(r);
  };
  consensus::ConsensusParams& p = c.params;
  p.checkpoint_period = pick(4, 8);
  p.window = p.checkpoint_period * pick(2, 4);
  p.execution_lag = pick(1, 3);
  p.max_block_txs = static_cast<std::uint32_t>(pick(4, 16));
  p.max_block_bytes = 1 << 16;
  p.max_clock_drift_ms = 5'000;
  p.batch_timeout_ms = pick(10, 50);
  p.view_change_timeout_ms = pick(600, 1'200);
  p.max_view_change_backoff = 3;
  c.tx_per_second = static_cast<double>(pick(30, 60));
  const int f = (n - 1) / 3;
  const std::vector<ByzantineBehavior> all = {
      ByzantineBehavior::kEquivocate,    ByzantineBehavior::kConflictingVotes,
      ByzantineBehavior::kBadSignatures, ByzantineBehavior::kReplay,
      ByzantineBehavior::kGarbage,       ByzantineBehavior::kLyingViewChange,
      ByzantineBehavior::kBadNewView,    ByzantineBehavior::kPadded};
  const auto some_behaviors = [&] {
    std::vector<ByzantineBehavior> chosen;
    while (chosen.empty()) {
      for (ByzantineBehavior b : all) {
        if (r() % 2 == 0) chosen.push_back(b);
      }
    }
    return chosen;
  };

  if (scenario == "clean") {
  } else if (scenario == "lossy") {
    c.drop_rate = chance(0.05, 0.25);
    c.duplicate_rate = chance(0.05, 0.15);
    c.max_delay_ms = pick(50, 150);
  } else if (scenario == "crash") {
    c.crashes = static_cast<int>(pick(2, 5));
    c.mid_step_crash_rate = 0.002;
    c.drop_rate = 0.02;
  } else if (scenario == "primary_crash") {
    c.primary_crashes = static_cast<int>(pick(1, 3));
    c.drop_rate = 0.01;
  } else if (scenario == "primary_stall") {
    c.primary_stalls = static_cast<int>(pick(1, 3));
    c.drop_rate = 0.01;
    p.max_clock_drift_ms = 1'000;  // as colend-netgen's networks: stalls last longer
  } else if (scenario == "window_edge") {
    // Offered more than execution can keep up with, in large blocks, with the smallest
    // window: proposals pile up at the window's edge behind a slow executor.
    p.window = p.checkpoint_period * 2;
    p.execution_lag = pick(2, 3);
    p.max_block_txs = static_cast<std::uint32_t>(pick(64, 256));
    c.tx_per_second = static_cast<double>(pick(800, 1'600));
    c.exec_block_ms = pick(2, 10);
    c.exec_tx_us = pick(300, 700);
    c.drop_rate = 0.01;
    c.primary_stalls = static_cast<int>(pick(0, 1));
  } else if (scenario == "governance") {
    // A full pool when a signer is suspended by vote: its pending transactions are dropped
    // everywhere, blocks that still carry some are not refused, the others keep committing.
    p.max_block_txs = static_cast<std::uint32_t>(pick(32, 128));
    c.tx_per_second = static_cast<double>(pick(900, 1'500));
    c.exec_block_ms = pick(2, 8);
    c.exec_tx_us = pick(1'800, 2'600);
    c.pool_capacity = pick(300, 1'000);
    c.suspend_at_ms = pick(2'000, 6'000);
    c.signers = static_cast<int>(pick(2, 5));
    c.drop_rate = 0.01;
    c.crashes = static_cast<int>(pick(0, 1));
  } else if (scenario == "padded") {
    // f replicas send oversized and padded messages (with some other misbehaviour).
    c.byzantine = f;
    c.behaviors = {ByzantineBehavior::kPadded};
    if (r() % 2 == 0) c.behaviors.push_back(ByzantineBehavior::kEquivocate);
    c.drop_rate = 0.02;
  } else if (scenario == "partition") {
    c.partitions = static_cast<int>(pick(1, 3));
    c.drop_rate = 0.02;
    c.max_delay_ms = pick(20, 60);
  } else if (scenario == "byzantine") {
    c.byzantine = f;
    c.behaviors = some_behaviors();
    c.drop_rate = 0.03;
  } else if (scenario == "silent") {
    c.byzantine = f;
    c.behaviors = {ByzantineBehavior::kSilent};
    c.primary_crashes = r() % 2 == 0 ? 1 : 0;
  } else if (scenario == "mixed") {
    c.byzantine = f;
    c.behaviors = some_behaviors();
    c.crashes = static_cast<int>(pick(1, 3));
    c.partitions = static_cast<int>(pick(1, 2));
    c.drop_rate = chance(0.02, 0.08);
    c.duplicate_rate = 0.05;
    c.max_delay_ms = pick(20, 80);
    c.mid_step_crash_rate = 0.001;
  } else if (scenario == "reconfigure") {
    // The consortium changes its validators while the chain runs under faults: spares join
    // (n -> n+1 -> n+3), validators leave (a byzantine one first), a removed validator keeps
    // voting, and the primary may crash at the moment of a change.
    c.spares = static_cast<int>(pick(2, 3));
    const int changes = static_cast<int>(pick(3, 5));
    for (int k = 0; k < changes; ++k) {
      c.reconfigure_at_ms.push_back(500 + static_cast<std::uint64_t>(k) * 1'500 + pick(0, 700));
    }
    c.removed_keep_voting = true;
    c.crash_primary_at_reconfigure = r() % 3 == 0;
    c.byzantine = static_cast<int>(pick(0, static_cast<std::uint64_t>(f)));
    if (c.byzantine > 0) c.behaviors = some_behaviors();
    c.crashes = static_cast<int>(pick(0, 2));
    c.partitions = static_cast<int>(pick(0, 1));
    c.drop_rate = chance(0.0, 0.05);
  } else {
    return std::nullopt;
  }
  return c;
}

std::string SimConfig::ReplayCommand() const {
  std::ostringstream out;
  out << "colend-sim --seed " << seed << " --n " << n << " --scenario " << scenario;
  if (broken_quorum_for_testing) out << " --broken-quorum " << *broken_quorum_for_testing;
  return out.str();
}

std::string SimResult::Describe(const SimConfig& c) const {
  std::ostringstream out;
  out << "seed=" << c.seed << " n=" << c.n << " scenario=" << c.scenario
      << " [K=" << c.params.checkpoint_period << " W=" << c.params.window
      << " L=" << c.params.execution_lag << " batch=" << c.params.max_block_txs
      << " drop=" << c.drop_rate << " dup=" << c.duplicate_rate << " delay=" << c.min_delay_ms
      << ".." << c.max_delay_ms << " crashes=" << c.crashes << "+" << c.primary_crashes
      << " stalls=" << c.primary_stalls << " partitions=" << c.partitions
      << " byzantine=" << c.byzantine;
  if (c.exec_block_ms != 0 || c.exec_tx_us != 0) {
    out << " exec=" << c.exec_block_ms << "ms+" << c.exec_tx_us << "us/tx rate=" << c.tx_per_second;
  }
  if (c.pool_capacity != 0) out << " pool=" << c.pool_capacity;
  if (c.suspend_at_ms != 0) out << " suspend@" << c.suspend_at_ms << "ms/" << c.signers;
  if (!c.reconfigure_at_ms.empty()) {
    out << " spares=" << c.spares << " changes=" << c.reconfigure_at_ms.size()
        << (c.crash_primary_at_reconfigure ? "+primary-crash" : "");
  }
  for (ByzantineBehavior b : c.behaviors)
    out << (b == c.behaviors.front() ? ":" : ",") << BehaviorName(b);
  if (c.broken_quorum_for_testing) out << " BROKEN-QUORUM=" << *c.broken_quorum_for_testing;
  out << "] ";
  if (ok) {
    out << "ok";
  } else {
    out << "FAILED " << invariant << " at " << failed_at_ms << " ms: " << detail;
  }
  out << " (height " << stats.min_height << ".." << stats.max_height << ", txs "
      << stats.txs_committed << "/" << stats.txs_submitted << ", view changes "
      << stats.view_changes << ", crashes " << stats.crashes << ", stalls " << stats.stalls
      << ", messages " << stats.messages_sent << ", busy " << stats.busy << ", purged "
      << stats.purged << " at " << stats.suspended_height << ", wal<=" << stats.max_wal_records
      << ", view-change bytes<=" << stats.max_view_change_bytes;
  if (stats.epochs != 0) {
    out << ", epochs " << stats.epochs << " (switches " << stats.epoch_switches << ", fillers "
        << stats.fillers << ", zombie votes " << stats.zombie_votes << ", final set "
        << stats.final_validators << ")";
  }
  out
      << ", events " << stats.events << ")";
  if (!ok) out << "\n  replay: " << c.ReplayCommand();
  return out.str();
}

}  // namespace colend::sim
