// What a Replica asks its node to do. Every input returns a list of actions; the node
// performs them in order and makes each Persist durable before it performs any later
// action (so nothing that depends on a persisted record can leave the node first).
//
// Thread safety: plain values.
#ifndef COLEND_CONSENSUS_ACTIONS_H_
#define COLEND_CONSENSUS_ACTIONS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "colend/crypto/hash.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"

namespace colend::consensus {

// The replica's timers. Setting a timer that is already set replaces its deadline.
enum class TimerId : std::uint8_t {
  // Liveness: fires when the replica has waited too long for progress (or for NEW-VIEW).
  kViewChange,
  // Batching: the primary waited batch_timeout_ms for a full batch; it proposes what it has.
  kBatch,
};
std::string_view TimerName(TimerId timer);

// Send `envelope` to one validator.
struct SendAction {
  std::string to;
  proto::ConsensusEnvelope envelope;
};

// Send `envelope` to every other validator.
struct BroadcastAction {
  proto::ConsensusEnvelope envelope;
};

// Where a WAL record sits, so the node can drop it once it is obsolete (WalRecordObsolete).
enum class WalKind : std::uint8_t { kView, kSent, kPrepared, kStableCheckpoint };
struct WalKey {
  WalKind kind = WalKind::kView;
  // The view the record is about (0 when it is about a sequence number only).
  std::uint64_t view = 0;
  // The sequence number the record is about (0 when it is about a view only: the view
  // entry itself, a VIEW-CHANGE or a NEW-VIEW sent).
  std::uint64_t sequence = 0;
};

// Write `record` durably before performing the next action.
struct PersistAction {
  proto::ConsensusWalRecord record;
  WalKey key;
};

// The node may now delete every WAL record whose key is obsolete under
// WalRecordObsolete(key, stable_sequence, view). Sent once a checkpoint becomes stable or a
// view is entered. Keeping obsolete records is harmless (Recover ignores them).
struct CompactWalAction {
  std::uint64_t stable_sequence = 0;
  std::uint64_t view = 0;
};

// The rule: a view entry older than `view`; a stable checkpoint older than
// `stable_sequence`; a sent message or prepared certificate at a sequence number at or below
// `stable_sequence`, or, if it is about a view only, for a view older than `view`.
bool WalRecordObsolete(const WalKey& key, std::uint64_t stable_sequence, std::uint64_t view);

// `block` is final at `height`: store it with `certificate` and execute it. Commits come
// strictly in height order, each height exactly once per replica lifetime (after Recover,
// from the committed height the node reported).
struct CommitAction {
  std::uint64_t height = 0;
  proto::Block block;
  proto::CommitCertificate certificate;
};

struct SetTimerAction {
  TimerId timer = TimerId::kViewChange;
  std::uint64_t delay_ms = 0;
};

struct CancelTimerAction {
  TimerId timer = TimerId::kViewChange;
};

// The replica has evidence that committed blocks up to `target_height` exist. Fetch certified
// blocks from committed_height + 1 on (from `peers` first) and feed them to
// Replica::OnSyncedBlock in height order, until target_height or a newer request.
struct RequestSyncAction {
  std::uint64_t target_height = 0;
  std::vector<std::string> peers;
};

// The primary wants a block at `height`: answer with Replica::OnProposal(height, txs) with up
// to max_txs pool transactions (serialised SignedTransactions) totalling at most max_bytes,
// oldest first, leaving out every transaction whose suite hash is in `exclude` (they are in
// proposals not yet committed). An empty answer is allowed (nothing left to propose).
struct RequestProposalAction {
  std::uint64_t height = 0;
  std::uint32_t max_txs = 0;
  std::uint64_t max_bytes = 0;
  std::vector<crypto::Digest> exclude;
};

// A fresh proposal passed every rule the core can judge (header, parent, time, proposer,
// limits, no transaction repeated in the block or its uncommitted ancestors). Check what
// only the node can (its transactions: encodings, signatures, and that none is in a
// committed block) and answer with Replica::OnProposalChecked(view, sequence, block_hash,
// verdict); the replica votes for the block only after an Ok answer. The check may run on
// another thread; the block is shared, not copied. A check that reads the node's committed
// state must see every block committed before it: ActionLoop issues checks only when no
// commit is queued. Asked for fresh proposals only, never for NEW-VIEW re-proposals, which
// a quorum has already checked.
struct CheckProposalAction {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  crypto::Digest block_hash{};
  std::shared_ptr<const proto::Block> block;
};

using Action = std::variant<SendAction, BroadcastAction, PersistAction, CompactWalAction,
                            CommitAction, SetTimerAction, CancelTimerAction, RequestSyncAction,
                            RequestProposalAction, CheckProposalAction>;
using Actions = std::vector<Action>;

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_ACTIONS_H_
