// The replica's message log: per sequence number, the PRE-PREPAREs it accepted, the votes
// it received, the votes it signed and what it has concluded. Data only; the decisions are
// in safety.cc and replica_*.cc.
//
// Thread safety: none; owned by one Replica.
#ifndef COLEND_CONSENSUS_SRC_MESSAGE_LOG_H_
#define COLEND_CONSENSUS_SRC_MESSAGE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "colend/crypto/hash.h"
#include "colend/proto/consensus.pb.h"
#include "evidence.h"

namespace colend::consensus {

// Signed votes (PREPAREs or COMMITs) for one sequence number, by (view, block hash), at most
// one per validator and view. A validator may hold votes in at most kMaxViewsPerSender
// views here (its highest ones), so a byzantine sender cannot grow the log without bound.
class VoteBook {
 public:
  static constexpr std::size_t kMaxViewsPerSender = 3;
  using Votes = std::map<std::string, proto::ConsensusEnvelope>;  // by sender

  enum class AddResult { kAdded, kDuplicate, kConflicting, kDropped };
  AddResult Add(std::uint64_t view, const crypto::Digest& hash, const std::string& sender,
                const proto::ConsensusEnvelope& envelope);

  // Votes for (view, hash); null if none.
  const Votes* Find(std::uint64_t view, const crypto::Digest& hash) const;
  std::size_t Count(std::uint64_t view, const crypto::Digest& hash) const;
  const std::map<std::pair<std::uint64_t, crypto::Digest>, Votes>& all() const { return votes_; }

  void DropViewsBelow(std::uint64_t view);

 private:
  std::map<std::pair<std::uint64_t, crypto::Digest>, Votes> votes_;
  std::map<std::string, std::map<std::uint64_t, crypto::Digest>> by_sender_;
};

// A PRE-PREPARE the replica accepted (or sent, as primary).
struct AcceptedProposal {
  proto::ConsensusEnvelope envelope;  // the primary's, verbatim, without transactions
  BlockRef block;
  bool reproposal = false;  // came inside a NEW-VIEW
};

// What a replica knows about one sequence number above its stable checkpoint.
struct Slot {
  std::map<std::uint64_t, AcceptedProposal> accepted;  // by view, at most one each
  VoteBook prepares;
  VoteBook commits;
  std::map<std::uint64_t, crypto::Digest> sent_prepare;  // by view: what this replica signed
  std::map<std::uint64_t, crypto::Digest> sent_commit;
  std::set<std::uint64_t> prepared_views;        // views where Rule 3 holds here
  std::optional<PreparedSummary> best_prepared;  // from the highest of them

  bool committed = false;
  BlockRef committed_block;  // null if committed by a path that did not keep the block

  // A commit quorum with the block in hand, waiting for the heights below.
  struct Ready {
    BlockRef block;
    proto::CommitCertificate certificate;
  };
  std::optional<Ready> ready;

  // The block with `hash` this slot holds, if any (accepted in any view, prepared,
  // committed): one with its body when the slot has one, else its header alone.
  BlockRef FindBlock(const crypto::Digest& hash) const;
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_SRC_MESSAGE_LOG_H_
