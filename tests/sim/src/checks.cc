// The invariants (simulation.h lists them) and the run's statistics.
#include <algorithm>
#include <set>

#include "colend/consensus/messages.h"
#include "world.h"

namespace colend::sim::internal {

void World::Fail(const std::string& invariant, const std::string& detail) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.invariant = invariant;
  result_.detail = detail;
  result_.failed_at_ms = now_;
}

void World::CheckCommit(SimNode& node, const proto::CertifiedBlock& certified,
                        const crypto::Digest& hash) {
  const std::uint64_t height = node.chain.size() + 1;
  if (canonical_.size() + 1 == height) {
    canonical_.push_back(hash);
  } else if (canonical_[height - 1] != hash) {
    Fail("agreement", node.id + " committed " + ToHex(hash).substr(0, 16) + " at height " +
                          std::to_string(height) + " where another honest replica committed " +
                          ToHex(canonical_[height - 1]).substr(0, 16));
    return;
  }
  const proto::Block& block = certified.block();
  if (block.transactions_size() == 0) {
    // Only a filler between a validator-set decision and the end of its epoch.
    bool filler = false;
    for (const SimEpoch& e : epochs_) {
      filler |= e.epoch > 0 && e.decided_at < height && height < e.start;
    }
    if (!filler) {
      Fail("validity", node.id + " committed an empty block at height " + std::to_string(height));
      return;
    }
  }
  std::set<crypto::Digest> in_block;
  for (const std::string& tx : block.transactions()) {
    const crypto::Digest leaf = consensus::TxLeafHash(crypto::HashAlgorithm::kSha256, tx);
    if (submitted_.count(tx) == 0) {
      Fail("validity", node.id + " committed a transaction no client submitted, at height " +
                           std::to_string(height));
      return;
    }
    if (node.committed_txs.count(leaf) != 0 || !in_block.insert(leaf).second) {
      Fail("validity", node.id + " committed transaction " + std::to_string(submitted_.at(tx)) +
                           " twice (height " + std::to_string(height) + ")");
      return;
    }
  }
}

void World::CheckExecution(SimNode& node, std::uint64_t height, const proto::BlockHeader& header,
                           const consensus::ExecutedRoots& roots) {
  if (!node.honest) return;
  const std::uint64_t lag = config_.params.execution_lag;
  const crypto::Digest& state =
      height <= lag ? genesis_.state_root : node.executed[height - lag - 1].state_root;
  const crypto::Digest& receipts =
      height <= lag ? genesis_.receipts_root : node.executed[height - lag - 1].receipts_root;
  if (header.state_root() != consensus::DigestBytes(state) ||
      header.receipts_root() != consensus::DigestBytes(receipts)) {
    Fail("execution", node.id + "'s executor halted: the header at height " +
                          std::to_string(height) + " carries roots that differ from its own");
    return;
  }
  const auto [it, inserted] = canonical_roots_.emplace(height, roots.state_root);
  if (!inserted && it->second != roots.state_root) {
    Fail("execution", node.id + " has another state root at height " + std::to_string(height));
  }
}

void World::CheckSent(const SimNode& node, const proto::ConsensusEnvelope& envelope) {
  if (!node.honest) return;
  proto::ConsensusMessage message;
  if (!message.ParseFromString(envelope.body())) return;
  const std::size_t n = nodes_.size();
  const std::uint64_t size = envelope.ByteSizeLong();
  std::uint64_t bound = config_.params.MaxPrePrepareBytes();
  if (message.has_view_change() || message.has_new_view()) {
    result_.stats.max_view_change_bytes = std::max(result_.stats.max_view_change_bytes, size);
    bound = message.has_view_change() ? config_.params.MaxViewChangeBytes(n)
                                      : config_.params.MaxNewViewBytes(n);
    if (!envelope.transactions().empty()) {
      Fail("bounds", node.id + " sent evidence carrying transactions");
      return;
    }
  }
  if (size > bound) {
    Fail("bounds", node.id + " sent a consensus message of " + std::to_string(size) +
                       " bytes, above its bound of " + std::to_string(bound));
  }
}

void World::CheckStored(const SimNode& node, const std::string& what,
                        const google::protobuf::Message& stored) {
  if (!check_padding_ || !node.honest) return;
  const std::string bytes = stored.SerializeAsString();
  // The padded replica's filler: runs of 'p' (padding) or 't' (an oversized transaction)
  // far longer than any client transaction.
  static const std::string kPadding(4096, 'p');
  static const std::string kOversizedTx(4096, 't');
  if (bytes.find(kPadding) != std::string::npos || bytes.find(kOversizedTx) != std::string::npos) {
    Fail("bounds", node.id + " stored " + what + " carrying a padded replica's filler (" +
                       std::to_string(bytes.size()) + " bytes)");
  }
}

namespace {

// Every node's position, for a liveness failure's detail.
std::string Positions(const std::vector<std::unique_ptr<SimNode>>& nodes) {
  std::string out;
  for (const auto& node : nodes) {
    const consensus::ReplicaStatus s = node->replica().status();
    out += "\n    " + node->id + (node->honest ? "" : " (byzantine)") + (node->up ? "" : " (down)") +
           ": committed " + std::to_string(s.committed_height) + ", executed " +
           std::to_string(s.executed_height) + ", epoch " + std::to_string(s.epoch) +
           " [" + std::to_string(s.epoch_base) + ", " +
           (s.epoch_end == 0 ? std::string("?") : std::to_string(s.epoch_end)) + "], view " +
           std::to_string(s.view) + (s.view_active ? "" : " changing") +
           (s.observer ? ", observer" : "");
  }
  return out;
}

}  // namespace

void World::CheckLivenessAfterHeal() {
  for (const auto& node : nodes_) {
    if (!node->honest) continue;
    if (node->chain.size() <= node->height_at_heal) {
      Fail("liveness", node->id + " committed nothing within " +
                           std::to_string(config_.liveness_bound_ms) + " ms of the heal (height " +
                           std::to_string(node->chain.size()) + ", view " +
                           std::to_string(node->replica().status().view) +
                           (node->replica().status().view_active ? "" : " changing") + ")" +
                           Positions(nodes_));
      return;
    }
  }
}

void World::CheckEnd() {
  std::uint64_t height = 0;
  for (const auto& node : nodes_) {
    if (node->honest) height = std::max<std::uint64_t>(height, node->chain.size());
  }
  for (const auto& node : nodes_) {
    if (!node->honest) continue;
    if (node->chain.size() != height) {
      Fail("liveness", node->id + " ends at height " + std::to_string(node->chain.size()) +
                           ", others at " + std::to_string(height) + Positions(nodes_));
      return;
    }
    for (const auto& [tx, id] : submitted_) {
      if (config_.suspend_at_ms != 0 && SignerOf(tx) == 0) continue;  // suspended: may be dropped
      if (!node->committed_txs.count(consensus::TxLeafHash(crypto::HashAlgorithm::kSha256, tx))) {
        Fail("liveness", "transaction " + std::to_string(id) + " never committed at " + node->id);
        return;
      }
    }
  }
}

void World::CollectStats() {
  SimStats& stats = result_.stats;
  stats.simulated_ms = now_;
  stats.txs_submitted = submitted_.size();
  bool first = true;
  for (const auto& node : nodes_) {
    if (node->up && node->loop) {
      const consensus::ReplicaCounters& c = node->loop->replica().counters();
      stats.view_changes += c.view_changes;
      stats.new_views += c.new_views_entered;
      stats.sync_requests += c.sync_requests;
      stats.synced_blocks += c.synced_blocks;
      if (node->honest) {
        stats.rejected_messages += c.unknown_sender + c.bad_signature + c.malformed +
                                   c.wrong_chain + c.not_from_primary + c.invalid_proposals +
                                   c.invalid_evidence + c.equivocations;
      }
    }
    if (!node->honest) continue;
    const std::uint64_t h = node->chain.size();
    stats.min_height = first ? h : std::min(stats.min_height, h);
    stats.max_height = std::max(stats.max_height, h);
    first = false;
    if (node->progress_after_heal_ms) {
      stats.heal_to_progress_ms =
          std::max(stats.heal_to_progress_ms, *node->progress_after_heal_ms);
    }
  }
  for (const auto& node : nodes_) {
    if (!node->honest || node->chain.size() != stats.max_height) continue;
    std::uint64_t txs = 0;
    for (const proto::CertifiedBlock& b : node->chain) {
      txs += b.block().transactions_size();
      if (b.block().transactions_size() == 0) ++stats.fillers;
    }
    stats.txs_committed = txs;
    break;
  }
}

}  // namespace colend::sim::internal
