// A hand-driven cluster of Replicas for unit tests: the test decides which messages are
// delivered, dropped or forged and when time moves. Transactions are opaque strings; the
// "executor" derives each state root from the previous one and the block hash.
#ifndef COLEND_TESTS_UNIT_CONSENSUS_HARNESS_H_
#define COLEND_TESTS_UNIT_CONSENSUS_HARNESS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "colend/consensus/actions.h"
#include "colend/consensus/replica.h"
#include "colend/sim/fake_crypto.h"

namespace colend::consensus::testing {

inline constexpr char kChainId[] = "colend-unit-1";

// K = 4, W = 8, L = 1, 4 transactions per block, 10 ms batches, 1 s view-change timeout.
ConsensusParams TestParams();

struct Node {
  std::string id;
  std::unique_ptr<Replica> replica;
  bool up = true;
  std::vector<PersistAction> wal;           // survives crashes
  std::vector<CommitAction> commits;        // survives crashes
  std::vector<ExecutedRoots> executed;      // survives crashes
  std::vector<std::string> pool;            // lost in a crash
  std::map<TimerId, std::uint64_t> timers;  // deadline by timer
  std::vector<RequestSyncAction> sync_requests;
  std::vector<RequestProposalAction> proposal_requests;
  std::vector<Action> all_actions;  // every action, for inspection
};

struct InFlight {
  std::string from;
  std::string to;
  proto::ConsensusEnvelope envelope;
};

// A PRE-PREPARE before it is signed: the message (which carries the block's header) and the
// block, whose transactions Harness::Sign puts beside the signature in the envelope.
struct PrePrepareDraft {
  proto::ConsensusMessage message;
  proto::Block block;
};

class Harness {
 public:
  explicit Harness(std::size_t n, ConsensusParams params = TestParams());

  // Creates and recovers every replica (a new chain).
  void StartAll();

  std::size_t size() const { return nodes_.size(); }
  Node& node(std::size_t i) { return nodes_[i]; }
  const std::string& id(std::size_t i) const { return nodes_[i].id; }
  std::size_t IndexOf(const std::string& id) const;
  Replica& replica(std::size_t i) { return *nodes_[i].replica; }
  std::uint64_t now() const { return now_; }
  const ConsensusParams& params() const { return params_; }
  const GenesisInfo& genesis() const { return genesis_; }
  const ValidatorSet& validators() const { return *validators_; }
  const sim::FakeVerifier& verifier() const { return *verifier_; }

  // Adds a transaction to every running replica's pool.
  void Submit(const std::string& tx);
  void SubmitTo(std::size_t i, const std::string& tx);

  // Performs `actions` as node i's runtime would.
  void Apply(std::size_t i, Actions actions);

  // Input helpers that apply the resulting actions.
  void Deliver(std::size_t to, const proto::ConsensusEnvelope& envelope);
  Actions DeliverRaw(std::size_t to, const proto::ConsensusEnvelope& envelope);

  // Delivers queued messages in FIFO order (including those they cause) while `keep`
  // accepts them (rejected ones are dropped). Returns how many were delivered.
  using Filter = std::function<bool(const InFlight&)>;
  std::size_t DeliverAll(const Filter& keep = nullptr);
  // Delivers (repeatedly, including messages they cause) only queued messages that `match`;
  // the others stay queued in order.
  std::size_t DeliverWhere(const Filter& match);
  // Drops queued messages that `match`.
  void DropWhere(const Filter& match);
  std::deque<InFlight>& network() { return network_; }

  // Moves the clock, firing due timers in deadline order (and delivering nothing).
  void AdvanceTime(std::uint64_t ms);
  // Moves the clock in steps, delivering everything after each step.
  void Run(std::uint64_t ms, std::uint64_t step_ms = 10, const Filter& keep = nullptr);

  // Feeds node i the blocks node `from` committed above node i's height (what the node's
  // sync would fetch). Returns how many were accepted.
  std::size_t ServeSync(std::size_t i, std::size_t from);

  void Crash(std::size_t i);
  void Restart(std::size_t i);
  // A new, not yet recovered replica with node i's identity (not installed).
  std::unique_ptr<Replica> NewReplica(std::size_t i) { return MakeReplica(i); }

  std::uint64_t Committed(std::size_t i) const { return nodes_[i].commits.size(); }

  // Signs `message` as validator `signer` (tests forge byzantine messages with this).
  proto::ConsensusEnvelope Sign(std::size_t signer, const proto::ConsensusMessage& message) const;
  // Signs the draft's message and attaches its block's transactions, as a primary sends it.
  proto::ConsensusEnvelope Sign(std::size_t signer, const PrePrepareDraft& draft) const;

  // A valid first block (height 1, view 0, proposed by node 0) with these transactions.
  proto::Block FirstBlock(const std::vector<std::string>& txs, std::uint64_t view = 0) const;

  bool auto_execute = true;  // execute commits at once (OnBlockExecuted)
  bool auto_propose = true;  // answer RequestProposal at once from the pool
  // The nodes' answer to a CheckProposalAction (set before StartAll); Ok when unset.
  std::function<Status(const proto::Block&)> validate;
  // Executing the block at a height decided a new validator set: the epoch's end it
  // reports with the roots (ExecutedRoots::epoch_end); 0 when unset or for other heights.
  std::function<std::uint64_t(std::uint64_t height)> epoch_end_after;

 private:
  std::unique_ptr<Replica> MakeReplica(std::size_t i);
  // Inputs caused by performing actions (pool changes, execution, proposals) run after the
  // whole action list, as a node's event loop would.
  void Later(std::function<void()> input) { followups_.push_back(std::move(input)); }
  std::deque<std::function<void()>> followups_;
  int depth_ = 0;
  void Execute(std::size_t i, const CommitAction& commit);

  ConsensusParams params_;
  std::vector<Node> nodes_;
  std::shared_ptr<const ValidatorSet> validators_;
  std::shared_ptr<const sim::FakeVerifier> verifier_;
  GenesisInfo genesis_;
  std::deque<InFlight> network_;
  std::uint64_t now_ = 10'000;
};

// Message builders for forged input.
proto::ConsensusMessage PrepareMessage(std::uint64_t view, std::uint64_t sequence,
                                       const std::string& hash, const char* chain = kChainId);
proto::ConsensusMessage CommitMessage(std::uint64_t view, std::uint64_t sequence,
                                      const std::string& hash, const char* chain = kChainId);

// A well-formed block (tx_count, tx_root) with these header fields.
proto::Block MakeBlock(std::uint64_t height, const crypto::Digest& parent, std::uint64_t view,
                       const std::string& proposer, const std::vector<std::string>& txs,
                       std::uint64_t timestamp_ms, const crypto::Digest& state_root,
                       const crypto::Digest& receipts_root, const char* chain = kChainId);
PrePrepareDraft PrePrepareMessage(std::uint64_t view, std::uint64_t sequence,
                                  const proto::Block& block, const char* chain = kChainId);
// The hash of a block as raw bytes (what votes carry).
std::string HashOf(const proto::Block& block);

// The payload kind of an envelope ("pre_prepare", "prepare", ...), for filters.
std::string KindOf(const proto::ConsensusEnvelope& envelope);

}  // namespace colend::consensus::testing

#endif  // COLEND_TESTS_UNIT_CONSENSUS_HARNESS_H_
