#include "evidence.h"

#include <set>
#include <utility>

#include "colend/consensus/certificates.h"

namespace colend::consensus {

Result<CheckpointSummary> VerifyCheckpointCertificate(const proto::CheckpointCertificate& cert,
                                                      const ChainContext& context,
                                                      const GenesisFacts& genesis,
                                                      std::uint64_t checkpoint_period) {
  CheckpointSummary summary;
  summary.sequence = cert.sequence();
  summary.certificate = cert;
  if (cert.sequence() == genesis.sequence) {
    if (cert.checkpoints_size() != 0) {
      return Status::InvalidArgument("the base checkpoint carries no envelopes");
    }
    summary.block_hash = genesis.hash;
    summary.state_root = genesis.state_root;
    return summary;
  }
  if (cert.sequence() < genesis.sequence) {
    return Status::InvalidArgument("checkpoint below the epoch's base block");
  }
  if (cert.sequence() % checkpoint_period != 0) {
    return Status::InvalidArgument("checkpoint sequence is not a multiple of the period");
  }
  std::set<std::string> senders;
  bool first = true;
  for (const proto::ConsensusEnvelope& envelope : cert.checkpoints()) {
    COLEND_ASSIGN_OR_RETURN(OpenedMessage opened, OpenEnvelope(envelope, context));
    if (!opened.message.has_checkpoint()) {
      return Status::InvalidArgument("checkpoint certificate quotes a non-CHECKPOINT");
    }
    const proto::Checkpoint& checkpoint = opened.message.checkpoint();
    const auto hash = DigestFromBytes(checkpoint.block_hash());
    const auto root = DigestFromBytes(checkpoint.state_root());
    if (checkpoint.sequence() != cert.sequence() || !hash || !root) {
      return Status::InvalidArgument("checkpoint certificate entry does not match");
    }
    if (first) {
      summary.block_hash = *hash;
      summary.state_root = *root;
      first = false;
    } else if (*hash != summary.block_hash || *root != summary.state_root) {
      return Status::InvalidArgument("checkpoint certificate entries disagree");
    }
    if (!senders.insert(opened.sender()).second) {
      return Status::InvalidArgument("checkpoint certificate names a validator twice");
    }
  }
  if (senders.size() < context.validators->quorum()) {
    return Status::InvalidArgument("checkpoint certificate has fewer than a quorum");
  }
  return summary;
}

Result<PreparedSummary> VerifyPreparedCertificate(const proto::PreparedCertificate& cert,
                                                  const ChainContext& context) {
  COLEND_ASSIGN_OR_RETURN(OpenedMessage pre_prepare, OpenEnvelope(cert.pre_prepare(), context));
  if (!pre_prepare.message.has_pre_prepare()) {
    return Status::InvalidArgument("prepared certificate without a PRE-PREPARE");
  }
  const proto::PrePrepare& pp = pre_prepare.message.pre_prepare();
  if (pre_prepare.sender() != context.validators->Primary(pp.view())) {
    return Status::InvalidArgument("prepared certificate's PRE-PREPARE is not from the primary");
  }
  COLEND_ASSIGN_OR_RETURN(ParsedBlock block, ParseProposedBlock(pp, cert.pre_prepare(),
                                                                context.chain_id, context.hash));
  if (pp.sequence() == 0 || block.header.height() != pp.sequence()) {
    return Status::InvalidArgument("prepared block height does not match its sequence");
  }
  const std::string hash = DigestBytes(block.hash);
  std::set<std::string> senders;
  for (const proto::ConsensusEnvelope& envelope : cert.prepares()) {
    COLEND_ASSIGN_OR_RETURN(OpenedMessage prepare, OpenEnvelope(envelope, context));
    if (!prepare.message.has_prepare()) {
      return Status::InvalidArgument("prepared certificate quotes a non-PREPARE");
    }
    const proto::Prepare& p = prepare.message.prepare();
    if (p.view() != pp.view() || p.sequence() != pp.sequence() || p.block_hash() != hash) {
      return Status::InvalidArgument("prepared certificate PREPARE does not match");
    }
    if (prepare.sender() == pre_prepare.sender() || !senders.insert(prepare.sender()).second) {
      return Status::InvalidArgument("prepared certificate repeats a validator");
    }
  }
  if (senders.size() + 1 < context.validators->quorum()) {
    return Status::InvalidArgument("prepared certificate has fewer than a quorum");
  }
  PreparedSummary summary;
  summary.view = pp.view();
  summary.sequence = pp.sequence();
  summary.block = std::make_shared<const ParsedBlock>(std::move(block));
  summary.certificate = cert;
  return summary;
}

Result<ViewChangeSummary> VerifyViewChange(const OpenedMessage& opened, const ChainContext& context,
                                           const GenesisFacts& genesis,
                                           std::uint64_t checkpoint_period, std::uint64_t window) {
  if (!opened.message.has_view_change()) return Status::InvalidArgument("not a VIEW-CHANGE");
  const proto::ViewChange& vc = opened.message.view_change();
  if (vc.new_view() == 0) return Status::InvalidArgument("VIEW-CHANGE to view 0");
  ViewChangeSummary summary;
  summary.sender = opened.sender();
  summary.new_view = vc.new_view();
  COLEND_ASSIGN_OR_RETURN(
      summary.checkpoint,
      VerifyCheckpointCertificate(vc.stable_checkpoint(), context, genesis, checkpoint_period));
  summary.anchor = Anchor{summary.checkpoint.sequence, summary.checkpoint.block_hash};
  if (vc.has_committed()) {
    const proto::CommitCertificate& committed = vc.committed();
    if (committed.height() <= summary.checkpoint.sequence) {
      return Status::InvalidArgument("VIEW-CHANGE quotes a commit certificate at or below its "
                                     "stable checkpoint");
    }
    COLEND_RETURN_IF_ERROR(VerifyCommitSignatures(committed, *context.validators,
                                                  context.chain_id, context.hash,
                                                  *context.verifier, context.epoch)
                               .WithContext("VIEW-CHANGE commit certificate"));
    summary.anchor = Anchor{committed.height(), *DigestFromBytes(committed.block_hash())};
  }
  std::uint64_t previous = summary.anchor.sequence;
  for (const proto::PreparedCertificate& cert : vc.prepared()) {
    // Quoted by header: a block's transactions in evidence would only make it large.
    if (!cert.pre_prepare().transactions().empty()) {
      return Status::InvalidArgument("VIEW-CHANGE quotes a PRE-PREPARE with its transactions");
    }
    COLEND_ASSIGN_OR_RETURN(PreparedSummary prepared, VerifyPreparedCertificate(cert, context));
    if (prepared.sequence <= previous || prepared.sequence > summary.checkpoint.sequence + window) {
      return Status::InvalidArgument("VIEW-CHANGE prepared certificates out of order or range");
    }
    if (prepared.view >= vc.new_view()) {
      return Status::InvalidArgument("VIEW-CHANGE quotes a certificate from its own view");
    }
    previous = prepared.sequence;
    summary.prepared.push_back(std::move(prepared));
  }
  summary.envelope = opened.envelope;
  return summary;
}

}  // namespace colend::consensus
