// The simulated network and its nodes. Internal to the simulator: simulation.cc runs it,
// checks.cc holds the invariants.
//
// Determinism: one std::mt19937_64 seeded from the config, one event queue ordered by
// (time, insertion number), ordered containers only. Nothing reads the wall clock.
#ifndef COLEND_SIM_SRC_WORLD_H_
#define COLEND_SIM_SRC_WORLD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "adversary.h"
#include "colend/consensus/action_loop.h"
#include "colend/consensus/replica.h"
#include "colend/crypto/hash.h"
#include "colend/sim/fake_crypto.h"
#include "colend/sim/simulation.h"

namespace colend::sim::internal {

inline constexpr char kSimChainId[] = "colend-sim";

class EventQueue {
 public:
  void At(std::uint64_t time, std::function<void()> action);
  // Runs the earliest event; false if there is none or it is after `end`.
  bool RunNext(std::uint64_t end, std::uint64_t* now);

 private:
  struct Event {
    std::uint64_t time;
    std::uint64_t order;
    std::function<void()> action;
    bool operator>(const Event& other) const {
      return time != other.time ? time > other.time : order > other.order;
    }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t order_ = 0;
};

struct SimNode;

// The node's transaction checks (its answer to a CheckProposalAction): a client's fake
// signature, and not already committed.
class SimProposalCheck final {
 public:
  explicit SimProposalCheck(const SimNode* node, std::uint64_t seed) : node_(node), seed_(seed) {}
  Status Check(const proto::Block& block) const;

 private:
  const SimNode* node_;
  std::uint64_t seed_;
};

class World;

// One validator epoch as governance decided it (the simulator's stand-in for the schedule
// the contracts keep in state).
struct SimEpoch {
  std::uint64_t epoch = 0;
  std::uint64_t start = 1;       // first height it orders
  std::uint64_t decided_at = 0;  // the block whose execution decided it (0: genesis)
  std::shared_ptr<const consensus::ValidatorSet> validators;
};

// The simulated node's side of the production action loop (consensus::ActionLoop): the same
// loop colend-node runs, over the simulated clock, network, storage and pool.
class SimHost final : public consensus::ActionHost {
 public:
  SimHost(World& world, SimNode& node) : world_(world), node_(node) {}
  std::uint64_t NowMs() override;
  void Send(const std::string& to, proto::ConsensusEnvelope envelope) override;
  void Broadcast(proto::ConsensusEnvelope envelope) override;
  Status Persist(const consensus::PersistAction& record) override;
  void CompactWal(const consensus::CompactWalAction& compact) override;
  Status Commit(consensus::CommitAction& commit) override;
  void ArmTimer(consensus::TimerId timer, std::uint64_t delay_ms, std::uint64_t token) override;
  void RequestSync(const consensus::RequestSyncAction& request) override;
  std::vector<std::string> Batch(const consensus::RequestProposalAction& request) override;
  void CheckProposal(const consensus::CheckProposalAction& check) override;
  consensus::PoolStatus Pool() override;
  void BeforeAction(const consensus::Action& action, bool more) override;
  void Halted(const Status& why) override;
  Result<Epoch> NextEpoch(std::uint64_t ended_epoch, std::uint64_t end_height) override;

 private:
  World& world_;
  SimNode& node_;
};

struct SimNode {
  std::size_t index = 0;
  std::string id;
  bool honest = true;
  bool up = true;
  std::uint64_t incarnation = 0;  // bumped by a crash: events of the old life are ignored
  std::unique_ptr<SimHost> host;
  std::unique_ptr<consensus::ActionLoop> loop;  // null while crashed
  // Loops of crashed lives: a crash can happen inside a loop's own call (between two
  // actions), so the loop is stopped and kept until the node restarts.
  std::vector<std::unique_ptr<consensus::ActionLoop>> graveyard;
  std::unique_ptr<SimProposalCheck> proposal_check;
  std::unique_ptr<Adversary> adversary;

  // Durable (survives a crash).
  std::vector<consensus::PersistAction> wal;
  std::vector<proto::CertifiedBlock> chain;
  std::vector<crypto::Digest> chain_hashes;
  std::vector<consensus::ExecutedRoots> executed;
  std::set<crypto::Digest> committed_txs;

  // Volatile.
  std::map<std::uint64_t, std::string> pool;  // arrival order -> transaction
  std::map<crypto::Digest, std::uint64_t> pool_index;
  std::uint64_t pool_bytes = 0;
  bool execution_scheduled = false;
  bool executing = false;  // a block's execution is under way (exec cost model)
  std::uint64_t stalled_until = 0;  // a stall: inputs before this time wait until then

  std::uint64_t height_at_heal = 0;
  std::optional<std::uint64_t> progress_after_heal_ms;

  // The replica of the current (or, while crashed, the last) life.
  const consensus::Replica& replica() const {
    return loop ? loop->replica() : graveyard.back()->replica();
  }
};

class World {
 public:
  explicit World(const SimConfig& config);
  SimResult Run();

 private:
  friend class SimHost;

  // --- simulation.cc ---------------------------------------------------------------------
  void Setup();
  void ScheduleFaults();
  void Heal();
  // The replica of `epoch` for `node`, whose chain and execution reach that epoch's base.
  std::unique_ptr<consensus::Replica> MakeReplica(SimNode& node, std::uint64_t epoch);
  // What a (re)starting node hands its replica: WAL, committed headers, executed roots.
  consensus::RecoveryState RecoveryFor(const SimNode& node) const;
  // The epoch a node restarting now runs in: the latest whose base it has executed and whose
  // decision it has executed.
  std::uint64_t EpochToRun(const SimNode& node) const;
  // The epoch in force at `height`, and the epoch decided by the block at `height` (null).
  const SimEpoch& EpochAt(std::uint64_t height) const;
  const SimEpoch* DecidedBy(std::uint64_t height) const;
  // Governance decides the next set of the plan (SimConfig::reconfigure_at_ms).
  void Reconfigure(std::size_t step);
  // A removed validator re-signs a vote it received (SimConfig::removed_keep_voting).
  void ZombieVote(SimNode& node, const proto::ConsensusEnvelope& envelope);
  void Start(SimNode& node, bool restart);
  void Crash(SimNode& node);
  void PerformCommit(SimNode& node, consensus::CommitAction& commit);
  void SetTimer(SimNode& node, consensus::TimerId timer, std::uint64_t delay, std::uint64_t token);
  void MaybeCrashMidStep(SimNode& node);
  void Send(SimNode& from, const std::string& to, const proto::ConsensusEnvelope& envelope);
  void Transmit(std::size_t from, std::size_t to, const proto::ConsensusEnvelope& envelope);
  void Deliver(std::size_t to, const proto::ConsensusEnvelope& envelope);
  std::vector<std::string> Batch(SimNode& node, const consensus::RequestProposalAction& request);
  void Sync(std::size_t node, std::uint64_t target, std::uint64_t incarnation, int attempt);
  void ExecuteCommitted(std::size_t node, std::uint64_t incarnation);
  // Computes and reports the roots of the next executed height.
  void FinishExecution(SimNode& node);
  // Signer of a client transaction (MakeTransaction's id % signers).
  int SignerOf(const std::string& tx) const;
  bool Suspended(const SimNode& node, const std::string& tx) const;
  // The "bounds" invariant, for what an honest replica sends: no consensus message above
  // what ConsensusParams says the node's frame limit must hold, and evidence (VIEW-CHANGE,
  // NEW-VIEW) that quotes blocks by header, never with transactions.
  void CheckSent(const SimNode& node, const proto::ConsensusEnvelope& envelope);
  // The "bounds" invariant: an honest replica stores nothing a padded replica sent.
  void CheckStored(const SimNode& node, const std::string& what,
                   const google::protobuf::Message& stored);
  void PoolChanged(SimNode& node);
  void FireTimer(std::size_t index, std::uint64_t incarnation, std::uint64_t token,
                 consensus::TimerId timer);
  // If `node` is stalled now, schedules `retry` for when it resumes and returns true.
  bool DeferIfStalled(const SimNode& node, std::function<void()> retry);
  // Admits `tx`; the first time, relays it to the other pools (TxGossip), through the
  // simulated network.
  void AddToPool(SimNode& node, const std::string& tx, bool gossip);
  void SubmitNext();
  void ClientSubmit(const std::string& tx);
  std::uint64_t Delay();
  bool Partitioned(std::size_t a, std::size_t b) const { return group_[a] != group_[b]; }
  bool InFaultPhase() const { return now_ < config_.fault_phase_ms; }
  std::size_t CurrentPrimaryIndex() const;
  std::string MakeTransaction(std::uint64_t id);

  // --- checks.cc ------------------------------------------------------------------------------
  void CheckCommit(SimNode& node, const proto::CertifiedBlock& certified,
                   const crypto::Digest& hash);
  void CheckExecution(SimNode& node, std::uint64_t height, const proto::BlockHeader& header,
                      const consensus::ExecutedRoots& roots);
  void CheckLivenessAfterHeal();
  void CheckEnd();
  void Fail(const std::string& invariant, const std::string& detail);
  void CollectStats();

  const SimConfig config_;
  std::mt19937_64 rng_;
  EventQueue events_;
  std::uint64_t now_ = 0;
  std::uint64_t end_ = 0;
  SimResult result_;

  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::map<std::string, std::size_t> index_of_;
  std::vector<int> group_;  // partition group per node
  std::shared_ptr<const consensus::ValidatorSet> validators_;  // genesis
  std::vector<SimEpoch> epochs_;                                // ascending; [0] = genesis
  std::map<std::string, std::string, std::less<>> secrets_;
  std::set<std::string> removed_;  // validators removed by a decided change
  std::shared_ptr<const FakeVerifier> verifier_;
  consensus::GenesisInfo genesis_;
  bool healed_ = false;
  // A primary crash waiting for the first honest commit certified in a later view.
  std::optional<std::uint64_t> primary_crashed_at_;
  std::uint64_t suspend_height_ = 0;  // governance: effective height (0: none yet)
  bool check_padding_ = false;
  std::uint64_t primary_crashed_view_ = 0;

  // Clients and the canonical record the invariants compare against.
  std::uint64_t next_tx_id_ = 0;
  std::map<std::string, std::uint64_t> submitted_;           // transaction -> id
  std::vector<crypto::Digest> canonical_;                    // honest block hash by height - 1
  std::map<std::uint64_t, crypto::Digest> canonical_roots_;  // honest state root by height
};

inline crypto::Digest Sha256(std::string_view text) {
  return crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(text));
}

// The client "signature" on a transaction: keyed by a secret no replica holds.
std::string ClientMac(std::uint64_t seed, std::string_view id_and_payload);

}  // namespace colend::sim::internal

#endif  // COLEND_SIM_SRC_WORLD_H_
