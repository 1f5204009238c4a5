// Fuzz target: every consensus message a peer can send (consensus.proto), as a serialised
// ConsensusEnvelope. Signatures are accepted for any validator (fuzz_util.h), so the input
// gets past them to what follows:
//   - OpenEnvelope (unknown fields, sender, body, chain id);
//   - per payload: ParseProposedBlock for a PRE-PREPARE; VerifyViewChange (checkpoint,
//     prepared and commit certificates) for a VIEW-CHANGE and for each one a NEW-VIEW quotes;
//   - the replica itself: Replica::OnMessage on a fresh replica (the primary V0 or a backup,
//     chosen by the input), answering its proposal checks with Ok, so the message goes through
//     the safety rules and the replica-level checks of evidence. The envelopes a VIEW-CHANGE
//     or NEW-VIEW quotes are delivered first as direct messages, so one input can also be a
//     sequence (a PRE-PREPARE, its PREPAREs and COMMITs, then the message itself).
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "colend/consensus/messages.h"
#include "colend/consensus/replica.h"
#include "evidence.h"
#include "fuzz_chain.h"

using namespace colend;
using namespace colend::consensus;

namespace {

constexpr int kMaxQuoted = 16;

GenesisFacts Facts() {
  const GenesisInfo g = fuzz::Genesis();
  return GenesisFacts{g.hash, g.state_root};
}

void CheckOpened(const OpenedMessage& opened, const ChainContext& context) {
  const ConsensusParams params = fuzz::Params();
  const proto::ConsensusMessage& m = opened.message;
  switch (m.payload_case()) {
    case proto::ConsensusMessage::kPrePrepare:
      (void)ParseProposedBlock(m.pre_prepare(), opened.envelope, context.chain_id, context.hash);
      (void)WithoutTransactions(opened.envelope);
      break;
    case proto::ConsensusMessage::kPrepare:
      (void)DigestFromBytes(m.prepare().block_hash());
      break;
    case proto::ConsensusMessage::kCommit:
      (void)DigestFromBytes(m.commit().block_hash());
      break;
    case proto::ConsensusMessage::kCheckpoint:
      (void)DigestFromBytes(m.checkpoint().block_hash());
      (void)DigestFromBytes(m.checkpoint().state_root());
      break;
    case proto::ConsensusMessage::kViewChange:
      (void)VerifyViewChange(opened, context, Facts(), params.checkpoint_period, params.window);
      break;
    case proto::ConsensusMessage::kNewView: {
      int n = 0;
      for (const proto::ConsensusEnvelope& quoted : m.new_view().view_changes()) {
        if (++n > kMaxQuoted) break;
        Result<OpenedMessage> vc = OpenEnvelope(quoted, context);
        if (vc.ok()) {
          (void)VerifyViewChange(*vc, context, Facts(), params.checkpoint_period, params.window);
        }
      }
      n = 0;
      for (const proto::ConsensusEnvelope& quoted : m.new_view().pre_prepares()) {
        if (++n > kMaxQuoted) break;
        Result<OpenedMessage> pp = OpenEnvelope(quoted, context);
        if (pp.ok() && pp->message.has_pre_prepare()) {
          (void)ParseProposedBlock(pp->message.pre_prepare(), quoted, context.chain_id,
                                   context.hash);
        }
      }
      break;
    }
    default:
      break;
  }
}

// Feeds `actions` back as a node would where it costs nothing: every proposal check is Ok.
void AnswerChecks(Replica& replica, Actions actions, int depth) {
  if (depth > 4) return;
  for (Action& action : actions) {
    if (auto* check = std::get_if<CheckProposalAction>(&action)) {
      AnswerChecks(replica,
                   replica.OnProposalChecked(fuzz::kNowMs, check->view, check->sequence,
                                             check->block_hash, Status::Ok()),
                   depth + 1);
    }
  }
}

void Deliver(Replica& replica, const proto::ConsensusEnvelope& envelope, std::uint64_t now) {
  AnswerChecks(replica, replica.OnMessage(now, envelope), 0);
}

// The envelopes `opened` quotes, delivered as if they had arrived on their own.
int DeliverQuoted(Replica& replica, const OpenedMessage& opened) {
  int delivered = 0;
  auto deliver = [&](const proto::ConsensusEnvelope& e) {
    if (delivered >= kMaxQuoted) return;
    ++delivered;
    Deliver(replica, e, fuzz::kNowMs);
  };
  const proto::ConsensusMessage& m = opened.message;
  if (m.has_view_change()) {
    for (const proto::PreparedCertificate& cert : m.view_change().prepared()) {
      deliver(cert.pre_prepare());
      for (const proto::ConsensusEnvelope& e : cert.prepares()) deliver(e);
    }
    for (const proto::CommitSignature& entry : m.view_change().committed().commits()) {
      proto::ConsensusEnvelope e;
      e.set_body(entry.commit());
      e.set_sender(entry.validator());
      e.set_signature(entry.signature());
      deliver(e);
    }
  } else if (m.has_new_view()) {
    for (const proto::ConsensusEnvelope& e : m.new_view().view_changes()) deliver(e);
    for (const proto::ConsensusEnvelope& e : m.new_view().pre_prepares()) deliver(e);
  }
  return delivered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  proto::ConsensusEnvelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;
  const ChainContext context = fuzz::Context();
  Result<OpenedMessage> opened = OpenEnvelope(envelope, context);
  if (opened.ok()) CheckOpened(*opened, context);

  // The replica: V0, the primary of view 0, or V1, a backup in view 0 and the primary of
  // view 1 (the input's length decides, so both roles are reachable).
  const std::string& self = fuzz::ValidatorIds()[size % 2];
  std::unique_ptr<Replica> replica = fuzz::NewReplica(self);
  const int quoted = opened.ok() ? DeliverQuoted(*replica, *opened) : 0;
  Deliver(*replica, envelope, fuzz::kNowMs + 1);
  // The same message again: duplicates and equivocation bookkeeping.
  Deliver(*replica, envelope, fuzz::kNowMs + 2);
  const ReplicaCounters& c = replica->counters();
  if (c.messages != static_cast<std::uint64_t>(quoted) + 2) {
    fuzz::Fail("replica did not count its messages");
  }
  return 0;
}
