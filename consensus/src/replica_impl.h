// Replica::Impl: the state machine behind colend::consensus::Replica. Its methods are split
// by concern:
//   replica.cc          inputs, dispatch, settling, shared helpers
//   replica_normal.cc   PRE-PREPARE / PREPARE / COMMIT, commits in order
//   replica_propose.cc  the primary's proposals (batching, block building)
//   replica_view.cc     VIEW-CHANGE / NEW-VIEW
//   replica_checkpoint.cc  CHECKPOINT, stable checkpoints, garbage collection, sync
//   replica_recovery.cc Recover from the WAL
// Every decision that bears on safety calls into safety.h; timers go through Pacemaker.
//
// Thread safety: none (see Replica).
#ifndef COLEND_CONSENSUS_SRC_REPLICA_IMPL_H_
#define COLEND_CONSENSUS_SRC_REPLICA_IMPL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "colend/consensus/replica.h"
#include "evidence.h"
#include "message_log.h"
#include "pacemaker.h"
#include "safety.h"

namespace colend::consensus {

class Replica::Impl {
 public:
  explicit Impl(ReplicaOptions options);

  Result<Actions> Recover(std::uint64_t now, const RecoveryState& state);
  Actions OnMessage(std::uint64_t now, const proto::ConsensusEnvelope& envelope);
  Actions OnTimeout(std::uint64_t now, TimerId timer);
  Actions OnPoolChanged(std::uint64_t now, PoolStatus pool);
  Actions OnProposal(std::uint64_t now, std::uint64_t height, std::vector<std::string> txs);
  Actions OnBlockExecuted(std::uint64_t now, std::uint64_t height, const crypto::Digest& state,
                          const crypto::Digest& receipts, std::uint64_t epoch_end);
  Result<Actions> OnSyncedBlock(std::uint64_t now, const proto::CertifiedBlock& certified);
  Actions OnProposalChecked(std::uint64_t now, std::uint64_t view, std::uint64_t sequence,
                            const crypto::Digest& hash, const Status& verdict);

  ReplicaStatus status() const;
  const ReplicaCounters& counters() const { return counters_; }

 private:
  // The block this replica holds at a height, in the chain of some view.
  struct Link {
    crypto::Digest hash{};
    std::optional<std::uint64_t> timestamp_ms;  // unknown for a checkpoint not yet synced
    bool anchored = false;                      // committed, stable checkpoint or genesis
  };

  // A PRE-PREPARE waiting for its parent (or for its view to start), or for the node's
  // check of its transactions (CheckProposalAction).
  struct Deferred {
    OpenedMessage message;
    BlockRef block;
    std::uint64_t arrival_ms = 0;
    bool checking = false;  // a CheckProposalAction is out, not answered yet
    bool checked = false;   // the node answered Ok
  };

  // kNeedsCheck: every rule of the core holds; the node's check has not answered yet.
  enum class Outcome { kAccepted, kDeferred, kRejected, kNeedsCheck };

  // --- replica.cc: plumbing --------------------------------------------------------------
  void Begin(std::uint64_t now);  // starts an input: sets now_, index height, output
  Actions Finish();               // settles and hands the actions out
  void Emit(Action action) { out_.push_back(std::move(action)); }
  void Persist(proto::ConsensusWalRecord record, WalKey key);
  void PersistView(std::uint64_t view);
  proto::ConsensusMessage NewMessage() const;
  std::optional<proto::ConsensusEnvelope> Seal(const proto::ConsensusMessage& message);
  void Broadcast(const proto::ConsensusEnvelope& envelope) { Emit(BroadcastAction{envelope}); }
  bool IsPrimary(std::uint64_t view) const {
    return !observer_ && validators_->Primary(view) == self();
  }
  // The epoch's last height is decided and `sequence` lies above it (safety.cc, E1).
  bool BeyondEpoch(std::uint64_t sequence) const {
    return epoch_end_ != 0 && sequence > epoch_end_;
  }
  // An empty block may be proposed and accepted at `sequence` (a filler before the end).
  bool FillerAllowed(std::uint64_t sequence) const {
    return epoch_end_ != 0 && sequence <= epoch_end_;
  }
  std::uint64_t base() const { return options_.genesis.height; }
  const std::string& self() const { return options_.self; }
  std::uint64_t high() const { return low_ + params().window; }
  const ConsensusParams& params() const { return options_.params; }
  Slot* FindSlot(std::uint64_t sequence);
  const Slot* FindSlot(std::uint64_t sequence) const;
  Slot& SlotAt(std::uint64_t sequence) { return slots_[sequence]; }
  void Dispatch(OpenedMessage message);
  void CountRefusal(EnvelopeRefusal reason);
  void Settle();
  bool HasPendingWork() const;
  void UpdateViewChangeTimer();

  // --- replica_normal.cc -------------------------------------------------------------------
  void HandlePrePrepare(OpenedMessage message);
  // Keeps a PRE-PREPARE for later; `count`: it waits for its parent or view (counted as
  // deferred), not only for the node's check.
  void Defer(OpenedMessage message, BlockRef block, bool count = true);
  Outcome AcceptFresh(const OpenedMessage& message, const BlockRef& block,
                      std::uint64_t arrival_ms, bool checked);
  // Asks the node to check the deferred proposal at `entry` (CheckProposalAction).
  void RequestCheck(std::uint64_t view, std::uint64_t sequence, Deferred& entry);
  BlockRef DeferredBlock(std::uint64_t sequence, const crypto::Digest& hash) const;
  // The block with `hash` at `sequence` with its transactions, wherever this replica holds
  // it (its log or a deferred PRE-PREPARE); null if it has at most the header.
  BlockRef BlockWithBody(std::uint64_t sequence, const crypto::Digest& hash) const;
  void AcceptProposal(std::uint64_t view, std::uint64_t sequence, AcceptedProposal proposal);
  void HandlePrepare(const OpenedMessage& message);
  void HandleCommit(const OpenedMessage& message);
  void SendPrepare(std::uint64_t view, std::uint64_t sequence, const crypto::Digest& hash);
  void SendCommit(std::uint64_t view, std::uint64_t sequence, const crypto::Digest& hash);
  bool PrepareWhatWeCan();
  bool TryMarkPrepared(std::uint64_t view, std::uint64_t sequence);
  bool CommitWhatWeCan();
  void FindCommitQuorum(std::uint64_t sequence, Slot& slot);
  void FetchGapBelowFinalBlocks();
  bool RetryDeferred();
  void CommitBlock(std::uint64_t height, BlockRef block, proto::CommitCertificate certificate);
  std::optional<Link> LinkAt(std::uint64_t sequence, std::uint64_t view) const;
  safety::ParentState ParentStateFor(std::uint64_t sequence, std::uint64_t view,
                                     const crypto::Digest& parent) const;
  // The transaction hashes of the uncommitted ancestors of a block at `sequence` with
  // parent `parent` in `view`, down to the height committed before this input. nullopt if
  // one is missing (`conflict` is set if the chain contradicts a committed block).
  std::optional<std::set<crypto::Digest>> AncestorTransactions(std::uint64_t sequence,
                                                               std::uint64_t view,
                                                               crypto::Digest parent,
                                                               bool* conflict) const;
  std::optional<safety::ExpectedRoots> RootsFor(std::uint64_t height) const;

  // --- replica_propose.cc --------------------------------------------------------------------
  void MaybePropose();
  std::optional<std::uint64_t> NextProposalHeight() const;
  void SetHeader(std::uint64_t height, const Link& parent, const safety::ExpectedRoots& roots,
                 const std::vector<crypto::Digest>& tx_hashes, proto::Block* block) const;

  // --- replica_view.cc ------------------------------------------------------------------------
  void StartViewChange(std::uint64_t new_view);
  void SendViewChange();
  void HandleViewChange(const OpenedMessage& message);
  void JoinIfBehind();
  // Liveness: f + 1 validators working in views above ours (a restart, a pause, a lost
  // NEW-VIEW) -> ask for the highest view f + 1 of them are in; peers active there answer
  // a VIEW-CHANGE for their view with its NEW-VIEW.
  void FollowPeersAhead(const std::string& sender, std::uint64_t view);
  void TryBuildNewView();
  void HandleNewView(const OpenedMessage& message);
  void EnterView(const safety::VerifiedNewView& new_view);
  void OnViewChangeTimeout();
  void AskForNewView(const std::string& peer, std::uint64_t view);
  bool ConflictsWithCommitted(const safety::VerifiedNewView& new_view) const;
  std::size_t ViewChangesAtOrAbove(std::uint64_t view) const;

  // --- replica_checkpoint.cc ---------------------------------------------------------------
  void HandleCheckpoint(const OpenedMessage& message);
  void AddCheckpointVote(std::uint64_t sequence, const crypto::Digest& root,
                         const crypto::Digest& hash, const proto::ConsensusEnvelope& envelope);
  void SendCheckpoint(std::uint64_t height);
  void AdoptCheckpoint(const CheckpointSummary& checkpoint, bool persist);
  void CollectGarbage();
  void RebroadcastCheckpoints();
  void NoteExecutedEvidence(const std::string& sender, std::uint64_t sequence);
  void RequestSync(std::uint64_t target, std::vector<std::string> peers);

  // --- replica_recovery.cc -------------------------------------------------------------------
  struct WalContents;
  Status RestoreCommitted(const RecoveryState& state);
  Status ReadWal(const RecoveryState& state, WalContents& wal);
  Status RestoreLog(WalContents& wal);
  Status RestoreVote(const OpenedMessage& sent, WalContents& wal);
  Status ResumeView(WalContents& wal);

  // --- configuration -------------------------------------------------------------------------
  ReplicaOptions options_;
  std::shared_ptr<const ValidatorSet> validators_;
  ChainContext context_;
  GenesisFacts genesis_;
  Pacemaker pacemaker_;

  const bool observer_;         // not in the epoch's set: never signs (replica.h)
  std::uint64_t epoch_end_ = 0;  // the epoch's last height once decided, else 0

  // --- per-input -----------------------------------------------------------------------------
  std::uint64_t now_ = 0;
  std::uint64_t index_height_ = 0;  // committed height when the current input began
  Actions out_;
  bool recovered_ = false;

  // --- view -----------------------------------------------------------------------------------
  std::uint64_t view_ = 0;
  bool active_ = true;                // false while changing to view_
  std::uint64_t reproposal_top_ = 0;  // sequences <= this in view_ were fixed by NEW-VIEW
  std::optional<proto::ConsensusEnvelope> current_new_view_;    // NEW-VIEW of view_, to forward
  std::optional<proto::ConsensusEnvelope> own_view_change_;     // ours for view_ while changing
  std::map<std::string, ViewChangeSummary> view_changes_;       // latest per validator
  std::map<std::string, std::uint64_t> asked_for_new_view_at_;  // by peer: when we last asked
  std::map<std::string, std::uint64_t> forwarded_new_view_at_;  // by peer: when we last sent
  // The highest view each peer has shown in a signed PRE-PREPARE, PREPARE, COMMIT or
  // NEW-VIEW (FollowPeersAhead).
  std::map<std::string, std::uint64_t> peer_views_;

  // --- log ------------------------------------------------------------------------------------
  std::uint64_t low_ = 0;  // stable checkpoint
  CheckpointSummary stable_;
  std::map<std::uint64_t, Slot> slots_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Deferred> deferred_;  // (view, sequence)

  // --- committed chain and execution ----------------------------------------------------------
  std::uint64_t committed_height_ = 0;
  crypto::Digest committed_hash_{};
  std::uint64_t committed_timestamp_ = 0;
  // The commit certificate of the block at committed_height_ (quoted in VIEW-CHANGE).
  std::optional<proto::CommitCertificate> committed_certificate_;
  std::map<std::uint64_t, crypto::Digest> committed_hashes_;  // recent heights
  std::uint64_t executed_height_ = 0;
  std::map<std::uint64_t, safety::ExpectedRoots> roots_;  // by executed height

  // --- checkpoints -----------------------------------------------------------------------------
  using CheckpointKey = std::pair<crypto::Digest, crypto::Digest>;  // (state root, block hash)
  std::map<std::uint64_t, std::map<CheckpointKey, VoteBook::Votes>> checkpoint_votes_;
  std::map<std::uint64_t, proto::ConsensusEnvelope> own_checkpoints_;  // unstable ones
  std::map<std::string, std::uint64_t> executed_evidence_;  // highest CHECKPOINT per peer

  // --- proposals and sync ---------------------------------------------------------------------
  PoolStatus pool_;
  std::uint64_t proposal_requested_ = 0;  // height asked for, 0 if none outstanding
  bool batch_due_ = false;
  bool empty_answer_ = false;  // the node had nothing to propose: wait for the batch timer
  bool restart_view_change_timer_ = false;  // progress: the next deadline starts from now
  std::uint64_t chain_top_ = 0;  // primary: last sequence proposed (or re-proposed) in view_
  std::optional<std::uint64_t> gap_since_;  // when a final height above a stuck one was seen
  std::uint64_t sync_target_ = 0;
  std::uint64_t sync_requested_at_ = 0;

  ReplicaCounters counters_;
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_SRC_REPLICA_IMPL_H_
