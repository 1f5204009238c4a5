// Replica: one validator's PBFT state machine (docs/architecture.md, consensus).
//
// Pure: no clock, socket, thread, disk or randomness inside. Every input carries the time
// (`now_ms`, the node's clock) and returns the actions the node must perform, in order,
// making each Persist durable before anything after it (actions.h). The safety rules and
// their argument are in src/safety.cc; liveness (timers, back-off) in src/pacemaker.cc.
//
// Life cycle: Create, then Recover exactly once (with an empty RecoveryState on a new chain),
// then any inputs. The node drives it:
//   OnMessage        a ConsensusEnvelope from a peer (anything; byzantine input is rejected
//                    and counted, never crashes)
//   OnTimeout        a timer set by a SetTimerAction fired
//   OnPoolChanged    the transaction pool's size changed (the core decides when to ask for
//                    a batch: RequestProposalAction, answered by OnProposal)
//   OnProposal       the transactions for the block the core asked for (the node answers
//                    every RequestProposalAction, with no transactions if it has none)
//   OnBlockExecuted  the node executed a committed block (state and receipts roots)
//   OnSyncedBlock    a certified block fetched after a RequestSyncAction
//   OnProposalChecked the node's verdict on a fresh proposal (CheckProposalAction): the
//                    replica votes for it only after an Ok
//
// Execution lag L (ConsensusParams::execution_lag): the header at height h carries the roots
// after block h - L. The primary proposes h only after OnBlockExecuted(h - L); replicas vote
// without having executed h - L (they compare the roots when they already have them). The
// node's executor compares each header's roots with its own when it executes and halts
// loudly on a mismatch.
//
// Epochs: a Replica orders the heights of one validator epoch, with one validator set. It
// starts from the epoch's base block (genesis for epoch 0, else the last block of the
// previous epoch), which plays the role genesis plays. When governance decides a new set in
// the block at height h, the node reports it with that block's roots (OnBlockExecuted's
// `epoch_end` = h + G - 1, G = ConsensusParams::EpochDelay()); the replica orders nothing
// above that end (filling the heights up to it with empty blocks if no transaction waits),
// and once the end is committed and executed the host starts the next epoch's replica
// (ActionLoop, ActionHost::NextEpoch). The argument is in src/safety.cc, "Epochs".
//
// Observers: a node outside the epoch's set (joining, before the members voted it in) runs
// a replica with `observer` set: it signs nothing, votes for nothing and proposes nothing;
// it learns final blocks from the members' COMMITs and CHECKPOINTs and fetches them by sync.
//
// Ownership: owns its state; shares the signer, verifier and validator given in Options.
// Thread safety: not thread-safe; call from one thread or strand only.
#ifndef COLEND_CONSENSUS_REPLICA_H_
#define COLEND_CONSENSUS_REPLICA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "colend/common/result.h"
#include "colend/consensus/actions.h"
#include "colend/consensus/params.h"
#include "colend/consensus/signer.h"
#include "colend/consensus/validator_set.h"
#include "colend/crypto/hash.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"

namespace colend::consensus {

// What the epoch starts from: genesis for epoch 0, else the base block (the last block of
// the previous epoch, final by definition for this replica).
struct GenesisInfo {
  crypto::Digest hash{};           // genesis: suite hash of genesis.json; else the block hash
  crypto::Digest state_root{};     // state root after genesis (always genesis: the roots
  crypto::Digest receipts_root{};  // that blocks 1..L carry)
  std::uint64_t timestamp_ms = 0;  // the next block must be later
  std::uint64_t height = 0;        // the base height: 0 for genesis
  crypto::Digest base_state_root{};  // state root after the base block (genesis: state_root)
  std::uint64_t epoch = 0;           // the epoch this replica orders
};

struct ReplicaOptions {
  std::string chain_id;
  crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha256;  // the suite's hash
  std::string self;                                             // this validator's node id
  std::shared_ptr<const ValidatorSet> validators;
  ConsensusParams params;
  GenesisInfo genesis;
  std::shared_ptr<const MessageSigner> signer;
  std::shared_ptr<const SignatureVerifier> verifier;
  // The last height of this epoch when already decided (0: not yet; the node reports it
  // later through OnBlockExecuted).
  std::uint64_t epoch_end = 0;
  // Follow as an observer (sign nothing, vote for nothing): required when `self` is not in
  // `validators`, allowed when it is (a node that does not hold the key the set lists for
  // it, e.g. during a key rotation).
  bool observer = false;
};

// Roots after executing the block at `height`.
struct ExecutedRoots {
  std::uint64_t height = 0;
  crypto::Digest state_root{};
  crypto::Digest receipts_root{};
  // Executing this block decided a new validator set: the current epoch ends at this height
  // (h + ConsensusParams::EpochDelay() - 1). 0: no change.
  std::uint64_t epoch_end = 0;
};

// What the node hands back after a restart.
struct RecoveryState {
  // Every WAL record still stored (obsolete ones are ignored), in any order.
  std::vector<proto::ConsensusWalRecord> records;
  // The node's last committed height and the header bytes of its recent committed blocks,
  // ascending and ending at committed_height. At least the last one (none at height 0);
  // ideally every height above the WAL's stable checkpoint.
  std::uint64_t committed_height = 0;
  std::vector<std::string> committed_headers;
  // The commit certificate of the block at committed_height, if the node has it: lets the
  // replica's VIEW-CHANGEs quote nothing at or below that height (optional; without it they
  // quote everything prepared above the stable checkpoint until the next commit).
  std::optional<proto::CommitCertificate> committed_certificate;
  // Roots of the most recently executed heights, ascending: at least the last
  // execution_lag of them (fewer only near genesis).
  std::vector<ExecutedRoots> executed;
};

// The pool as the node sees it: every admitted transaction not yet committed (including
// those inside proposals still in flight).
struct PoolStatus {
  std::uint64_t pending_txs = 0;
  std::uint64_t pending_bytes = 0;
};

// Monotonic counters for metrics and tests. Rejections never stop the replica.
struct ReplicaCounters {
  std::uint64_t messages = 0;           // envelopes given to OnMessage
  std::uint64_t unknown_sender = 0;     // not a validator
  std::uint64_t bad_signature = 0;      // signature did not verify
  std::uint64_t malformed = 0;          // did not parse, unknown fields, bad field values
  std::uint64_t wrong_chain = 0;        // another chain id
  std::uint64_t not_from_primary = 0;   // PRE-PREPARE/NEW-VIEW from a non-primary, PREPARE from one
  std::uint64_t stale = 0;              // for an older view or below the low watermark
  std::uint64_t out_of_window = 0;      // above the high watermark
  std::uint64_t duplicates = 0;         // seen before
  std::uint64_t equivocations = 0;      // a validator signed two different things for one slot
  std::uint64_t invalid_proposals = 0;  // a PRE-PREPARE whose block was refused
  std::uint64_t proposal_checks = 0;    // CheckProposalActions emitted
  std::uint64_t invalid_evidence = 0;   // bad certificates, VIEW-CHANGEs or NEW-VIEWs
  std::uint64_t deferred = 0;           // PRE-PREPAREs parked until their parent is known
  std::uint64_t proposals = 0;          // blocks this replica proposed as primary
  std::uint64_t accepted = 0;           // PRE-PREPAREs accepted
  std::uint64_t refused_double_vote = 0;  // would have signed a second vote for one slot
  std::uint64_t committed_blocks = 0;     // CommitActions emitted (ordered and synced)
  std::uint64_t synced_blocks = 0;        // of which from OnSyncedBlock
  std::uint64_t stable_checkpoints = 0;
  std::uint64_t view_changes = 0;  // VIEW-CHANGEs this replica started
  std::uint64_t new_views_sent = 0;
  std::uint64_t new_views_entered = 0;
  std::uint64_t sync_requests = 0;
  std::uint64_t conflicts = 0;   // evidence contradicting this replica's committed chain
  std::uint64_t bad_inputs = 0;  // node inputs that made no sense (stale proposal…)
  std::uint64_t wrong_epoch = 0;  // signed for another validator epoch
  std::uint64_t beyond_epoch = 0;  // for a height above the epoch's end
  std::uint64_t fillers = 0;       // empty blocks proposed to reach the epoch's end
};

struct ReplicaStatus {
  std::uint64_t view = 0;
  bool view_active = true;           // false while changing to `view`
  bool primary = false;              // this replica is the primary of `view`
  std::uint64_t low_watermark = 0;   // stable checkpoint
  std::uint64_t high_watermark = 0;  // low + window
  std::uint64_t committed_height = 0;
  std::uint64_t executed_height = 0;
  std::uint64_t epoch = 0;
  std::uint64_t epoch_base = 0;  // the base block's height
  std::uint64_t epoch_end = 0;   // 0: not decided yet
  bool observer = false;
};

class Replica {
 public:
  // Fails with kInvalidArgument for bad parameters, a missing signer, verifier, validator
  // set or proposal validator, or a `self` that is not in the validator set (unless
  // `observer`).
  static Result<std::unique_ptr<Replica>> Create(ReplicaOptions options);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Rebuilds state from the node's WAL records and committed chain. Call exactly once,
  // first; an empty state starts a new chain at genesis. Fails with kCorruption for records
  // that do not parse or were not signed by this replica, kFailedPrecondition if called
  // twice.
  Result<Actions> Recover(std::uint64_t now_ms, const RecoveryState& state);

  Actions OnMessage(std::uint64_t now_ms, const proto::ConsensusEnvelope& envelope);
  Actions OnTimeout(std::uint64_t now_ms, TimerId timer);
  Actions OnPoolChanged(std::uint64_t now_ms, PoolStatus pool);
  // `transactions`: serialised SignedTransactions for the RequestProposalAction at `height`.
  Actions OnProposal(std::uint64_t now_ms, std::uint64_t height,
                     std::vector<std::string> transactions);
  // REQUIRES (else ignored and counted): height <= committed height, heights in order.
  // `epoch_end`: see ExecutedRoots (0: executing this block changed no validator set).
  Actions OnBlockExecuted(std::uint64_t now_ms, std::uint64_t height,
                          const crypto::Digest& state_root, const crypto::Digest& receipts_root,
                          std::uint64_t epoch_end = 0);
  // A block fetched by sync. OK with no actions for a height already committed; kOutOfRange
  // unless it is the next height, or if it is above this epoch's end (the next epoch's
  // replica takes it); kUnavailable if the replica cannot tell its epoch yet (it has not
  // executed the block G below: give it again after execution); kInvalidArgument/
  // kPermissionDenied if the block or its certificate is invalid (try another peer).
  Result<Actions> OnSyncedBlock(std::uint64_t now_ms, const proto::CertifiedBlock& block);
  // The answer to a CheckProposalAction. A verdict for a proposal the replica no longer
  // waits on (another view, another block, already answered) is ignored.
  Actions OnProposalChecked(std::uint64_t now_ms, std::uint64_t view, std::uint64_t sequence,
                            const crypto::Digest& block_hash, const Status& verdict);

  ReplicaStatus status() const;
  const ReplicaCounters& counters() const;

 private:
  class Impl;
  explicit Replica(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_REPLICA_H_
