// Consensus parameters: the numbers every validator of one chain must agree on (they come
// from genesis.json and, later, from governance), plus the node-local timing knobs.
//
// Thread safety: a plain value.
#ifndef COLEND_CONSENSUS_PARAMS_H_
#define COLEND_CONSENSUS_PARAMS_H_

#include <cstdint>

#include "colend/common/status.h"

namespace colend::consensus {

struct ConsensusParams {
  // --- Chain-wide (every validator must use the same values) ------------------------------

  // K: a CHECKPOINT is sent after executing every height that is a multiple of K.
  std::uint64_t checkpoint_period = 100;

  // W: the in-flight window. Sequence numbers are accepted in (low, low + W], where low is
  // the latest stable checkpoint. Must be at least K, or the window could never reach the
  // next checkpoint.
  std::uint64_t window = 200;

  // L >= 1: the header of block h carries the state and receipts roots after executing
  // block h - L (the genesis roots for h <= L). The primary proposes h only once it has
  // executed h - L, so up to L blocks are ordered while earlier ones execute. L = 1 is the
  // Tendermint rule (roots of the parent). Must be <= W.
  std::uint64_t execution_lag = 2;

  // Limits of one block: transactions and the sum of their serialised sizes.
  std::uint32_t max_block_txs = 1000;
  std::uint64_t max_block_bytes = 4u << 20;

  // A fresh proposal's timestamp may be at most this far ahead of the replica's clock when
  // the PRE-PREPARE arrives (never refused for being old: see safety.cc, Rule 1).
  std::uint64_t max_clock_drift_ms = 5'000;

  // --- Node-local timing (liveness only; never affects what is committed) ------------------

  // How long the primary waits for a batch to fill before proposing what it has.
  std::uint64_t batch_timeout_ms = 50;

  // The view-change timeout, doubled for every consecutive view change without a commit,
  // up to view_change_timeout_ms << max_view_change_backoff.
  std::uint64_t view_change_timeout_ms = 2'000;
  std::uint32_t max_view_change_backoff = 5;

  // OK, or kInvalidArgument naming the first parameter out of range.
  Status Validate() const;

  // How far above its committed height a replica takes a fresh proposal: an honest primary
  // proposes h only after executing h - L, so never above L past its own commits; one more
  // for a replica a block behind the primary. Proposals above it wait (deferred) until the
  // replica commits more. It bounds what a VIEW-CHANGE quotes (prepared blocks above the
  // last committed one), hence the largest consensus message.
  std::uint64_t MaxInFlight() const { return execution_lag + 2; }

  // G: a validator set decided by the block at height h orders heights from h + G on. A
  // replica takes a fresh proposal at height s only once it has executed s - G, so every
  // honest replica voting at h + G or above has executed h and knows the change
  // (src/safety.cc, "Epochs"). Equal to MaxInFlight: that rule costs no pipelining.
  std::uint64_t EpochDelay() const { return MaxInFlight(); }

  // The largest consensus messages an honest validator of a `validators`-member set sends
  // with these parameters, in bytes (upper bounds, with room for signatures and framing):
  // a PRE-PREPARE with a full block; a VIEW-CHANGE and a NEW-VIEW, which quote blocks by
  // header only, so they do not grow with the block size; and the largest of them all,
  // which the node checks against its frame limit at start-up.
  std::uint64_t MaxPrePrepareBytes() const;
  std::uint64_t MaxViewChangeBytes(std::size_t validators) const;
  std::uint64_t MaxNewViewBytes(std::size_t validators) const;
  std::uint64_t MaxMessageBytes(std::size_t validators) const;
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_PARAMS_H_
