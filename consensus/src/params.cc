#include "colend/consensus/params.h"

#include <algorithm>
#include <string>

namespace colend::consensus {

Status ConsensusParams::Validate() const {
  if (checkpoint_period == 0) return Status::InvalidArgument("checkpoint_period must be >= 1");
  if (window < checkpoint_period) {
    return Status::InvalidArgument("window (" + std::to_string(window) +
                                   ") must be >= checkpoint_period (" +
                                   std::to_string(checkpoint_period) + ")");
  }
  if (execution_lag == 0 || execution_lag > window) {
    return Status::InvalidArgument("execution_lag must be in [1, window]");
  }
  if (max_block_txs == 0) return Status::InvalidArgument("max_block_txs must be >= 1");
  if (max_block_bytes == 0) return Status::InvalidArgument("max_block_bytes must be >= 1");
  if (batch_timeout_ms == 0) return Status::InvalidArgument("batch_timeout_ms must be >= 1");
  if (view_change_timeout_ms == 0) {
    return Status::InvalidArgument("view_change_timeout_ms must be >= 1");
  }
  if (max_view_change_backoff > 20) {
    return Status::InvalidArgument("max_view_change_backoff must be <= 20");
  }
  return Status::Ok();
}

namespace {

// A signed consensus message or COMMIT entry: body fields, a DER signature (<= 72 bytes for
// P-256 and SM2), a node id; generous.
constexpr std::uint64_t kSignedVoteBytes = 512;
// A serialised block header: ids, three digests and a few integers; generous.
constexpr std::uint64_t kHeaderBytes = 1024;

std::uint64_t QuorumOf(std::size_t n) {
  const std::uint64_t f = (n - 1) / 3;
  return (n + f + 2) / 2;  // ceil((n + f + 1) / 2)
}

}  // namespace

std::uint64_t ConsensusParams::MaxPrePrepareBytes() const {
  // The header and signature, then each transaction with its field tag and length prefix.
  return kHeaderBytes + kSignedVoteBytes + max_block_bytes + std::uint64_t{max_block_txs} * 8;
}

std::uint64_t ConsensusParams::MaxViewChangeBytes(std::size_t validators) const {
  const std::uint64_t quorum = QuorumOf(std::max<std::size_t>(validators, 1));
  // A prepared certificate: the PRE-PREPARE quoted by header, quorum - 1 PREPAREs.
  const std::uint64_t prepared = kHeaderBytes + quorum * kSignedVoteBytes;
  // Checkpoint and commit certificates: a quorum of signed votes each.
  return MaxInFlight() * prepared + 2 * quorum * kSignedVoteBytes + kSignedVoteBytes;
}

std::uint64_t ConsensusParams::MaxNewViewBytes(std::size_t validators) const {
  const std::uint64_t quorum = QuorumOf(std::max<std::size_t>(validators, 1));
  // The quorum of VIEW-CHANGEs quoted, and the re-proposals (at most MaxInFlight above the
  // highest anchor), each a signed PRE-PREPARE with the block's header.
  return quorum * MaxViewChangeBytes(validators) +
         MaxInFlight() * (kHeaderBytes + kSignedVoteBytes) + kSignedVoteBytes;
}

std::uint64_t ConsensusParams::MaxMessageBytes(std::size_t validators) const {
  return std::max(MaxPrePrepareBytes(), MaxNewViewBytes(validators));
}

}  // namespace colend::consensus
