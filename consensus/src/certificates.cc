#include "colend/consensus/certificates.h"

#include <set>

#include "colend/common/check.h"
#include "colend/consensus/messages.h"

namespace colend::consensus {

Status VerifyCommitCertificate(const proto::CommitCertificate& certificate,
                               const proto::Block& block, const ValidatorSet& validators,
                               std::string_view chain_id, crypto::HashAlgorithm hash,
                               const SignatureVerifier& verifier, std::uint64_t epoch) {
  // 1. The block against the certificate.
  Result<ParsedBlock> parsed = ParseBlock(block, chain_id, hash);
  if (!parsed.ok()) return parsed.status().WithContext("certified block");
  if (certificate.block_hash() != DigestBytes(parsed->hash)) {
    return Status::InvalidArgument("certificate is for another block hash");
  }
  if (parsed->header.height() != certificate.height()) {
    return Status::InvalidArgument("certificate height " + std::to_string(certificate.height()) +
                                   " but the block is at height " +
                                   std::to_string(parsed->header.height()));
  }
  return VerifyCommitSignatures(certificate, validators, chain_id, hash, verifier, epoch);
}

Status VerifyCommitSignatures(const proto::CommitCertificate& certificate,
                              const ValidatorSet& validators, std::string_view chain_id,
                              crypto::HashAlgorithm hash, const SignatureVerifier& verifier,
                              std::uint64_t epoch) {
  if (!DigestFromBytes(certificate.block_hash()).has_value()) {
    return Status::InvalidArgument("certificate block hash is not a digest");
  }
  // 2. Each entry on its own. A validator named twice counts for neither entry.
  std::map<std::string, int> appearances;
  for (const proto::CommitSignature& entry : certificate.commits()) {
    ++appearances[entry.validator()];
  }
  ChainContext context{std::string(chain_id), hash, &validators, &verifier, epoch};
  std::size_t counted = 0;
  std::string first_rejection;
  for (const proto::CommitSignature& entry : certificate.commits()) {
    Status why;
    if (appearances[entry.validator()] != 1) {
      why = Status::InvalidArgument("validator '" + entry.validator() + "' appears twice");
    } else {
      proto::ConsensusEnvelope envelope;
      envelope.set_body(entry.commit());
      envelope.set_sender(entry.validator());
      envelope.set_signature(entry.signature());
      Result<OpenedMessage> opened = OpenEnvelope(envelope, context);
      if (!opened.ok()) {
        why = opened.status();
      } else if (!opened->message.has_commit()) {
        why = Status::InvalidArgument("entry of '" + entry.validator() + "' is not a COMMIT");
      } else {
        const proto::Commit& commit = opened->message.commit();
        if (commit.view() != certificate.view() || commit.sequence() != certificate.height() ||
            commit.block_hash() != certificate.block_hash()) {
          why = Status::InvalidArgument("COMMIT of '" + entry.validator() +
                                        "' is for another view, height or block");
        }
      }
    }
    if (why.ok()) {
      ++counted;
    } else if (first_rejection.empty()) {
      first_rejection = why.ToString();
    }
  }

  // 3. A quorum.
  if (counted < validators.quorum()) {
    return Status::PermissionDenied(
        std::to_string(counted) + " valid COMMITs, a quorum is " +
        std::to_string(validators.quorum()) +
        (first_rejection.empty() ? std::string() : "; first rejected: " + first_rejection));
  }
  return Status::Ok();
}

proto::CommitCertificate BuildCommitCertificate(
    std::uint64_t height, std::uint64_t view, const crypto::Digest& block_hash,
    const std::map<std::string, proto::ConsensusEnvelope>& commits, std::size_t quorum) {
  COLEND_CHECK(commits.size() >= quorum);
  proto::CommitCertificate certificate;
  certificate.set_height(height);
  certificate.set_view(view);
  certificate.set_block_hash(DigestBytes(block_hash));
  for (const auto& [sender, envelope] : commits) {
    if (static_cast<std::size_t>(certificate.commits_size()) == quorum) break;
    proto::CommitSignature* entry = certificate.add_commits();
    entry->set_validator(sender);
    entry->set_commit(envelope.body());
    entry->set_signature(envelope.signature());
  }
  return certificate;
}

}  // namespace colend::consensus
