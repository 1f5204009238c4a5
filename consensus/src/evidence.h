// Checking quoted evidence: checkpoint certificates, prepared certificates and
// VIEW-CHANGE messages. Each quoted envelope is checked exactly as a direct one (signature
// over its verbatim body, validator membership, chain id); nothing is rebuilt.
//
// Thread safety: pure functions.
#ifndef COLEND_CONSENSUS_SRC_EVIDENCE_H_
#define COLEND_CONSENSUS_SRC_EVIDENCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "colend/common/result.h"
#include "colend/consensus/messages.h"
#include "colend/crypto/hash.h"
#include "colend/proto/consensus.pb.h"

namespace colend::consensus {

using BlockRef = std::shared_ptr<const ParsedBlock>;

// A stable checkpoint: 2f + 1 matching CHECKPOINTs, or the epoch's base block (genesis for
// epoch 0).
struct CheckpointSummary {
  std::uint64_t sequence = 0;
  crypto::Digest block_hash{};  // the genesis hash for sequence 0
  crypto::Digest state_root{};  // the genesis state root for sequence 0
  proto::CheckpointCertificate certificate;
};

// A valid prepared certificate: the primary's PRE-PREPARE and quorum - 1 matching PREPAREs
// from other validators.
struct PreparedSummary {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  BlockRef block;
  proto::PreparedCertificate certificate;
};

// A block known final, on which a new view may build: a stable checkpoint's, or one with a
// commit certificate (a quorum of COMMITs).
struct Anchor {
  std::uint64_t sequence = 0;
  crypto::Digest block_hash{};
};

// A valid VIEW-CHANGE.
struct ViewChangeSummary {
  std::string sender;
  std::uint64_t new_view = 0;
  CheckpointSummary checkpoint;
  // The committed block quoted by its certificate when above the checkpoint, else the
  // checkpoint's block: every prepared certificate is for a sequence above it.
  Anchor anchor;
  std::vector<PreparedSummary> prepared;  // strictly ascending sequence numbers
  proto::ConsensusEnvelope envelope;
};

// The block an epoch starts from, final by definition: genesis (sequence 0) for epoch 0,
// else the last block of the previous epoch.
struct GenesisFacts {
  crypto::Digest hash{};
  crypto::Digest state_root{};
  std::uint64_t sequence = 0;
};

// The base (genesis.sequence, no envelopes) or quorum matching CHECKPOINTs from distinct
// validators for a multiple of `checkpoint_period`.
Result<CheckpointSummary> VerifyCheckpointCertificate(const proto::CheckpointCertificate& cert,
                                                      const ChainContext& context,
                                                      const GenesisFacts& genesis,
                                                      std::uint64_t checkpoint_period);

// Every envelope valid and distinct, the PRE-PREPARE from the primary of its view with a
// consistent block at height == sequence, PREPAREs from validators other than that primary
// matching (view, sequence, block hash), at least quorum - 1 of them. The block is whole
// when the PRE-PREPARE envelope carries its transactions (the replica's own WAL), else its
// header alone.
Result<PreparedSummary> VerifyPreparedCertificate(const proto::PreparedCertificate& cert,
                                                  const ChainContext& context);

// `opened` carries a ViewChange: its checkpoint certificate and every prepared certificate
// are valid and quote their PRE-PREPARE without transactions, prepared sequence numbers
// strictly ascend within (checkpoint, checkpoint + W] and no certificate is from a view
// >= new_view.
Result<ViewChangeSummary> VerifyViewChange(const OpenedMessage& opened, const ChainContext& context,
                                           const GenesisFacts& genesis,
                                           std::uint64_t checkpoint_period, std::uint64_t window);

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_SRC_EVIDENCE_H_
