// Commit certificates: the proof, checkable by anyone holding the validator set, that a
// block is final (block.proto, CommitCertificate).
//
// Thread safety: pure functions.
#ifndef COLEND_CONSENSUS_CERTIFICATES_H_
#define COLEND_CONSENSUS_CERTIFICATES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "colend/common/status.h"
#include "colend/consensus/signer.h"
#include "colend/consensus/validator_set.h"
#include "colend/crypto/hash.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"

namespace colend::consensus {

// Checks that `certificate` proves `block` final on chain `chain_id` under `validators`
// (the set in force at the block's height), following block.proto step by step:
//   1. the block is internally consistent (header parses for this chain, tx_count, tx_root),
//      its hash is certificate.block_hash and its height certificate.height;
//   2. an entry counts if its validator is in the set and appears once in the certificate,
//      its signature verifies over `commit` under that validator's key, and `commit` parses
//      (no unknown fields) as a COMMIT for this chain and validator epoch with the
//      certificate's view, height and block hash;
//   3. at least a quorum of entries count.
// Returns OK, kInvalidArgument if the block does not match the certificate, or
// kPermissionDenied if fewer than a quorum of entries count (the message names why the
// first rejected entry was rejected).
Status VerifyCommitCertificate(const proto::CommitCertificate& certificate,
                               const proto::Block& block, const ValidatorSet& validators,
                               std::string_view chain_id, crypto::HashAlgorithm hash,
                               const SignatureVerifier& verifier, std::uint64_t epoch = 0);

// `validators` and `epoch` are the set in force at the certificate's height and its epoch
// (a validator-set change starts a new epoch at a height every node agrees on).
//
// Steps 2 and 3 alone: the certificate proves that the block with certificate.block_hash is
// final at certificate.height, without the block itself (a VIEW-CHANGE quotes it so).
Status VerifyCommitSignatures(const proto::CommitCertificate& certificate,
                              const ValidatorSet& validators, std::string_view chain_id,
                              crypto::HashAlgorithm hash, const SignatureVerifier& verifier,
                              std::uint64_t epoch = 0);

// Builds the certificate from COMMIT envelopes for (view, height, block_hash) keyed by
// sender: the first `quorum` of them in node id order, each quoted verbatim.
// REQUIRES: commits.size() >= quorum; every envelope is a verified COMMIT for these values.
proto::CommitCertificate BuildCommitCertificate(
    std::uint64_t height, std::uint64_t view, const crypto::Digest& block_hash,
    const std::map<std::string, proto::ConsensusEnvelope>& commits, std::size_t quorum);

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_CERTIFICATES_H_
