// ActionLoop: turns a Replica's actions into calls on its host, in the order the replica's
// contract requires. One implementation for every host: colend-node (sockets, LevelDB, the
// executor, asio timers) and tests/sim (the simulated network, clock and storage) run the
// same loop, so a seeded simulation exercises the ordering rules production relies on.
//
// The rules it keeps:
//   - Actions are performed strictly in order; each Persist is durable (the host's Persist
//     returned Ok) before the next action. Actions returned by inputs given while the loop
//     is performing go to the back of the queue.
//   - When the replica is given an input, every block it handed out in a CommitAction before
//     must already be executed (the proposal check, CheckProposalAction, and the pool read
//     the executed state). So the inputs the loop gives on its own (OnBlockExecuted,
//     OnPoolChanged, OnProposal) wait until no CommitAction is queued.
//   - A CheckProposalAction goes to the host (CheckProposal) once no commit is queued, so
//     the check sees every block committed before it; the host answers with
//     OnProposalChecked, now or later, from the loop's thread. Verdicts that arrive while
//     the loop performs are given to the replica once no commit is queued.
//   - A RequestProposalAction is answered (Batch, then OnProposal) when it is performed,
//     unless a commit is still queued (the pool still holds that block's transactions):
//     then it waits for the queue, and a newer request replaces it (the replica asks again
//     only after its last request was answered or became obsolete with a new view).
//   - Timers: SetTimer re-arms a timer with a fresh token; CancelTimer and re-arming make
//     older tokens stale, and a stale OnTimeout is ignored. Hosts need no cancellation of
//     their own.
//   - A host call that fails (Persist, Commit) halts the loop: nothing more is performed and
//     the host's Halted is called once, with the reason.
//   - Epochs: once the replica's epoch end is decided, committed and executed, and nothing
//     is queued, the loop asks the host for the next epoch's replica (NextEpoch), recovers
//     it, drops what belonged to the old one (timers, a pending proposal request, checks
//     and verdicts) and gives it the messages of the next epoch that arrived early. Until
//     then such messages are held (at most kMaxEarlyMessages and kMaxEarlyBytes, the oldest
//     dropped first).
//     Messages of an older epoch go to the replica, which refuses and counts them; those of
//     a later epoch than the next are dropped. Any later-epoch message also means this
//     node fell behind: the loop asks the host to sync up to the height it names (at most
//     every kEpochSyncHintMs; the blocks fetched are verified as always).
//
// Pure like the Replica: no clock, I/O, threads or randomness of its own; the host provides
// the time. Not thread-safe: call from one thread (the node's event loop) only.
#ifndef COLEND_CONSENSUS_ACTION_LOOP_H_
#define COLEND_CONSENSUS_ACTION_LOOP_H_

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/consensus/actions.h"
#include "colend/consensus/messages.h"
#include "colend/consensus/replica.h"

namespace colend::consensus {

// What the loop needs from the node that runs it.
class ActionHost {
 public:
  virtual ~ActionHost() = default;

  // The node's clock in milliseconds since the epoch (the replica's now_ms).
  virtual std::uint64_t NowMs() = 0;

  // Consensus messages. Best effort: a message that cannot be sent is dropped (PBFT
  // recovers from loss through its timers and sync).
  virtual void Send(const std::string& to, proto::ConsensusEnvelope envelope) = 0;
  virtual void Broadcast(proto::ConsensusEnvelope envelope) = 0;

  // Durable before it returns Ok. An error halts the loop.
  virtual Status Persist(const PersistAction& record) = 0;
  // Best effort (keeping obsolete records is harmless).
  virtual void CompactWal(const CompactWalAction& compact) = 0;

  // Store the final block (and execute it, now or later). Ok means the block is stored
  // durably; its roots are reported with ActionLoop::OnExecuted, from inside this call or
  // later. An error halts the loop.
  virtual Status Commit(CommitAction& commit) = 0;

  // Arm `timer` to fire once after `delay_ms`, replacing an earlier arming; when it fires,
  // call ActionLoop::OnTimeout(timer, token).
  virtual void ArmTimer(TimerId timer, std::uint64_t delay_ms, std::uint64_t token) = 0;

  // Fetch certified blocks (RequestSyncAction) and give them to ActionLoop::OnSyncedBlock.
  virtual void RequestSync(const RequestSyncAction& request) = 0;

  // Check a fresh proposal's transactions (CheckProposalAction); answer, on the loop's
  // thread, with ActionLoop::OnProposalChecked (inside this call or later).
  virtual void CheckProposal(const CheckProposalAction& check) = 0;

  // The transactions for a proposal (RequestProposalAction's rules), and the pool's size.
  virtual std::vector<std::string> Batch(const RequestProposalAction& request) = 0;
  virtual PoolStatus Pool() = 0;

  // Called before each action is performed; `more` says whether others wait behind it.
  // A host may Stop() the loop here (the simulator crashes a node between two actions).
  virtual void BeforeAction(const Action& /*action*/, bool /*more*/) {}
  // Called when the loop has nothing more to do for now (publish status, metrics).
  virtual void Idle() {}
  // The loop halted: `why` names the host call that failed. Called once.
  virtual void Halted(const Status& why) = 0;

  // The replica's epoch ended at `end_height` (committed and executed). Returns the replica
  // for the next epoch, not yet recovered, with its recovery state; before returning, the
  // host makes the old epoch's WAL entries unreachable (deleting them: the replica ignores
  // another epoch's entries anyway). An error halts the loop.
  struct Epoch {
    std::unique_ptr<Replica> replica;
    RecoveryState recovery;
  };
  virtual Result<Epoch> NextEpoch(std::uint64_t ended_epoch, std::uint64_t end_height) = 0;
};

// What became of a block fetched by sync (ActionLoop::OnSyncedBlock), for the host's sync
// client to act on.
struct SyncedBlockVerdict {
  enum class Kind {
    kAccepted,      // committed now (its commit performed), or committed already
    kNotNext,       // not the next height, or above this epoch's end: skipped
    kEpochUnknown,  // the set of its height is known once the block G below is executed:
                    // give it again after execution
    kInvalid,       // the block or its certificate does not verify: ask another peer
    kStopped,       // the loop is stopped, or halted (while committing it, too)
  };
  Kind kind = Kind::kAccepted;
  Status reason;  // why, unless kAccepted

  bool accepted() const { return kind == Kind::kAccepted; }
};

class ActionLoop {
 public:
  // `host` must outlive the loop.
  ActionLoop(std::unique_ptr<Replica> replica, ActionHost& host);
  ActionLoop(const ActionLoop&) = delete;
  ActionLoop& operator=(const ActionLoop&) = delete;

  // Replica::Recover; its actions wait for Start. Call once, before any input.
  Status Recover(const RecoveryState& state);
  // Performs what Recover returned and tells the replica the pool's size.
  void Start();

  // Inputs. Each performs the actions that follow before it returns (unless the loop is
  // already performing: then they are queued and performed by the running loop).
  void OnMessage(const proto::ConsensusEnvelope& envelope);
  void OnTimeout(TimerId timer, std::uint64_t token);
  void OnPoolChanged();
  // A block fetched by sync: what the replica made of it; on kAccepted its commit has been
  // performed.
  SyncedBlockVerdict OnSyncedBlock(const proto::CertifiedBlock& block);
  // The host executed a committed block. Given to the replica once no commit is queued.
  void OnExecuted(const ExecutedRoots& roots);
  // The host's verdict on a CheckProposalAction. Given to the replica once no commit is
  // queued.
  void OnProposalChecked(std::uint64_t view, std::uint64_t sequence,
                         const crypto::Digest& block_hash, Status verdict);

  // No action is performed from now on (a crash, or shutdown). Idempotent.
  void Stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }
  // Ok unless a host call failed.
  const Status& halted() const { return halted_; }

  const Replica& replica() const { return *replica_; }

  // Messages of the next epoch held until its replica starts: at most this many, and this
  // many bytes (their signatures cannot be checked before then, so a peer's flood of
  // padded ones must not hold the node's memory; the oldest go first).
  static constexpr std::size_t kMaxEarlyMessages = 4096;
  static constexpr std::size_t kMaxEarlyBytes = 64u << 20;
  static constexpr std::uint64_t kEpochSyncHintMs = 250;
  // How many epochs this loop has started after the first, and the early messages dropped
  // because the holding area was full.
  std::uint64_t epochs_started() const { return epochs_started_; }
  std::uint64_t early_dropped() const { return early_dropped_; }

 private:
  // Between inputs: the epoch is over here, so start the next one. False if it halted.
  bool MaybeStartNextEpoch();
  // A message of a later epoch arrived: this node is behind, fetch blocks up to it.
  void SyncToLaterEpoch(const MessageRoute& route, const std::string& sender);
  bool Running() const { return !stopped_ && halted_.ok(); }
  void Perform(Actions actions);
  void PerformOne(Action& action);
  bool CommitQueued() const;
  void Propose(const RequestProposalAction& request);
  void Halt(Status why);

  std::unique_ptr<Replica> replica_;
  ActionHost& host_;
  Actions recovered_;
  std::deque<Action> queue_;
  bool performing_ = false;
  bool pool_changed_ = false;                      // an OnPoolChanged waits for the queue
  std::vector<ExecutedRoots> executed_;            // reported, not yet given to the replica
  std::optional<RequestProposalAction> proposal_;  // waiting for the queue
  struct Verdict {
    std::uint64_t view = 0;
    std::uint64_t sequence = 0;
    crypto::Digest block_hash{};
    Status verdict = Status::Ok();
  };
  std::vector<CheckProposalAction> checks_;  // for the host once no commit is queued
  std::vector<Verdict> verdicts_;            // for the replica once no commit is queued
  std::array<std::uint64_t, 2> timer_tokens_{};
  std::deque<proto::ConsensusEnvelope> early_;  // of the next epoch, in arrival order
  std::size_t early_bytes_ = 0;                 // their ByteSizeLong, summed
  void HoldEarly(const proto::ConsensusEnvelope& envelope);
  std::uint64_t epochs_started_ = 0;
  std::uint64_t last_epoch_hint_ms_ = 0;
  std::uint64_t early_dropped_ = 0;
  bool stopped_ = false;
  Status halted_ = Status::Ok();
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_ACTION_LOOP_H_
