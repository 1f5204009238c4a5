// A deterministic simulation of a colend validator network: n Replicas in one process, a
// seeded clock and RNG (std::mt19937_64; no wall clock anywhere), an in-memory network that
// drops, delays, duplicates and reorders messages, partitions and heals, replicas that crash
// (even between two actions of one step) and restart from their persisted WAL, and up to f
// byzantine replicas. A fake executor derives state_root(h) = H(state_root(h-1) || hash(h)).
//
// Invariants, checked as the run goes:
//   agreement   no two honest replicas commit different blocks at one height;
//   chain       each commit extends the previous one and carries a valid commit certificate;
//   validity    every committed transaction was submitted by a client, none twice, and no
//               block is empty;
//   execution   equal state roots at equal heights; every header's roots match the
//               executor's own (else the executor "halts loudly");
//   bounds      (with a byzantine "padded" replica) nothing it padded or oversized is ever
//               stored by an honest replica, in its WAL or its chain;
//   liveness    after the faults heal (at most f faulty left) every honest replica commits
//               a new block within `liveness_bound_ms`, and by the end every submitted
//               transaction is committed everywhere.
// A run is a pure function of its SimConfig: the same seed and parameters replay exactly.
#ifndef COLEND_SIM_SIMULATION_H_
#define COLEND_SIM_SIMULATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colend/consensus/params.h"

namespace colend::sim {

enum class ByzantineBehavior {
  kSilent,            // sends nothing
  kEquivocate,        // as primary: a different block to half of the replicas
  kConflictingVotes,  // PREPARE/COMMIT for other hashes to some replicas
  kBadSignatures,     // corrupted signatures, envelopes claiming another sender
  kReplay,            // replays old messages (older views, other senders) at random
  kGarbage,           // signed bodies that do not parse, or name another chain
  kLyingViewChange,   // VIEW-CHANGE without its prepared certificates
  kBadNewView,        // as new primary: NEW-VIEW with the wrong re-proposals
  kPadded,            // oversized or padded messages: unknown fields outside and inside the
                      // signature, oversized signature and sender, blocks over the limit
};
std::string_view BehaviorName(ByzantineBehavior behavior);

struct SimConfig {
  std::uint64_t seed = 1;
  int n = 4;
  std::string scenario = "clean";

  consensus::ConsensusParams params;

  // Phases (simulated milliseconds): faults until fault_phase_ms, then everything heals;
  // clients submit until fault_phase_ms + client_tail_ms; the run ends at
  // fault_phase_ms + client_tail_ms + drain_ms.
  std::uint64_t fault_phase_ms = 8'000;
  std::uint64_t client_tail_ms = 4'000;
  std::uint64_t drain_ms = 60'000;
  std::uint64_t liveness_bound_ms = 45'000;

  // Clients: mean transactions per second, to a random subset of replicas each.
  double tx_per_second = 40;

  // Network while faults last; after the heal: no loss, delays in [min_delay, 20].
  double drop_rate = 0;
  double duplicate_rate = 0;
  std::uint64_t min_delay_ms = 1;
  std::uint64_t max_delay_ms = 20;
  int partitions = 0;                        // random partitions during the fault phase
  int crashes = 0;                           // random crash/restart episodes during the fault phase
  int primary_crashes = 0;                   // crashes aimed at the current primary
  // Stalls aimed at the current primary (a SIGSTOP, a long GC or CPU starvation): it
  // handles nothing for a while, its inputs queue, then it handles them all at once with
  // the clock of the moment it resumes.
  int primary_stalls = 0;
  double mid_step_crash_rate = 0;            // chance a step is cut after a random action
  int byzantine = 0;                         // byzantine replicas (<= f)
  std::vector<ByzantineBehavior> behaviors;  // what they do (all of them at once)

  // Execution cost: executing a committed block occupies its node (it handles nothing else,
  // as colend-node's event loop) for exec_block_ms + txs * exec_tx_us / 1000. 0: instant.
  std::uint64_t exec_block_ms = 0;
  std::uint64_t exec_tx_us = 0;
  // Client admission: a pool holding pool_capacity transactions refuses a client's (BUSY);
  // the client retries 100-300 ms later. Gossip is held to no bound (as on a node, where
  // the validator that admitted it promised a receipt). 0: unbounded.
  std::size_t pool_capacity = 0;
  // Governance: at suspend_at_ms the consortium suspends signer 0 of `signers` (transaction
  // i is signed by i % signers). The change takes effect at the next height no honest
  // replica has committed; a replica that executes it drops signer 0's pending transactions
  // and refuses new ones. Proposals still carrying them are valid (execution would reject
  // them with a receipt): a block is never refused for a reason that depends on a pool's
  // history. Signer 0's transactions are exempt from "every transaction commits".
  std::uint64_t suspend_at_ms = 0;  // 0: no governance change
  int signers = 4;

  // Consortium lifecycle. `spares` more nodes run from the start outside the validator set,
  // as observers (a bank's new node syncing before the members vote it in). At each time
  // in `reconfigure_at_ms` governance decides the next validator set of a fixed plan (add a
  // spare; add two; remove one, a byzantine one first, else the view-0 primary; never
  // leaving more byzantine validators than the new set tolerates). The decision is taken
  // by the next height no honest replica has committed and takes effect
  // ConsensusParams::EpochDelay() heights later, on every node at once (a new epoch).
  int spares = 0;
  std::vector<std::uint64_t> reconfigure_at_ms;
  // A removed validator keeps voting: it re-signs, as itself, every PREPARE and COMMIT of a
  // later epoch that reaches it. None of those votes may count.
  bool removed_keep_voting = false;
  // The primary crashes at each reconfiguration (the change races a view change).
  bool crash_primary_at_reconfigure = false;

  // TEST ONLY: replace the quorum (2f + 1) with this, to prove the simulator notices a
  // broken rule. Never settable from a node; see ValidatorSetTestPeer.
  std::optional<std::size_t> broken_quorum_for_testing;

  // The `colend-sim` command line that replays this run.
  std::string ReplayCommand() const;
};

struct SimStats {
  std::uint64_t simulated_ms = 0;
  std::uint64_t events = 0;
  std::uint64_t messages_sent = 0;  // per destination
  std::uint64_t messages_delivered = 0;
  std::uint64_t min_height = 0;  // over honest replicas at the end
  std::uint64_t max_height = 0;
  std::uint64_t txs_submitted = 0;
  std::uint64_t txs_committed = 0;  // distinct, on the canonical chain
  std::uint64_t view_changes = 0;   // started, summed over replicas
  std::uint64_t new_views = 0;      // entered, summed over replicas
  std::uint64_t sync_requests = 0;
  std::uint64_t synced_blocks = 0;
  std::uint64_t crashes = 0;
  std::uint64_t rejected_messages = 0;    // counted by honest replicas
  std::uint64_t heal_to_progress_ms = 0;  // max over honest replicas: heal -> first new commit
  // Primary crashes (primary_crashes) and, for each, simulated time from the crash to the
  // first block an honest replica commits with a certificate from a later view (detection
  // timeout + VIEW-CHANGE + NEW-VIEW + the three phases): the longest one.
  std::uint64_t primary_crashes = 0;
  std::uint64_t primary_crash_to_commit_ms = 0;
  std::uint64_t stalls = 0;
  std::uint64_t busy = 0;             // client submissions refused by a full pool
  std::uint64_t suspended_height = 0; // where the governance change took effect (0: none)
  std::uint64_t purged = 0;           // pending transactions dropped by it, over replicas
  std::uint64_t max_wal_records = 0;  // the most WAL records an honest replica held
  // The largest VIEW-CHANGE or NEW-VIEW an honest replica sent, in bytes.
  std::uint64_t max_view_change_bytes = 0;
  std::uint64_t epochs = 0;         // validator sets decided after genesis
  std::uint64_t epoch_switches = 0; // epochs started, summed over replicas
  std::uint64_t fillers = 0;        // empty blocks on the canonical chain
  std::uint64_t zombie_votes = 0;   // votes re-signed by removed validators
  std::uint64_t final_validators = 0;  // size of the last validator set
};

struct SimResult {
  bool ok = true;
  std::string invariant;  // which one failed
  std::string detail;
  std::uint64_t failed_at_ms = 0;
  SimStats stats;
  // One paragraph: seed, parameters, outcome, replay command.
  std::string Describe(const SimConfig& config) const;
};

SimResult RunSimulation(const SimConfig& config);

// Named fault mixes for CI and the replay tool. n is 4, 7 or 10.
const std::vector<std::string>& ScenarioNames();
// Fails (nullopt) for an unknown name.
std::optional<SimConfig> ScenarioConfig(std::string_view scenario, int n, std::uint64_t seed);

}  // namespace colend::sim

#endif  // COLEND_SIM_SIMULATION_H_
