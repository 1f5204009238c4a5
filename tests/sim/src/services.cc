// What the simulated node runtime provides around its Replica: the transaction pool with
// gossip, the clients, the proposal callback, the fake executor and block sync.
#include <algorithm>
#include <cmath>
#include <utility>

#include "colend/consensus/messages.h"
#include "colend/crypto/hash.h"
#include "world.h"

namespace colend::sim::internal {

std::string ClientMac(std::uint64_t seed, std::string_view id_and_payload) {
  const crypto::Digest digest =
      Sha256("client-secret/" + std::to_string(seed) + "/" + std::string(id_and_payload));
  return ToHex(ByteView(digest.data(), 8));
}

Status SimProposalCheck::Check(const proto::Block& block) const {
  for (const std::string& tx : block.transactions()) {
    const std::size_t mac_at = tx.rfind(':');
    if (tx.rfind("tx:", 0) != 0 || mac_at == std::string::npos || mac_at < 3) {
      return Status::InvalidArgument("not a client transaction");
    }
    if (ClientMac(seed_, std::string_view(tx).substr(3, mac_at - 3)) != tx.substr(mac_at + 1)) {
      return Status::PermissionDenied("client signature does not verify");
    }
    if (node_->committed_txs.count(consensus::TxLeafHash(crypto::HashAlgorithm::kSha256, tx))) {
      return Status::AlreadyExists("transaction already committed");
    }
  }
  return Status::Ok();
}

void World::ExecuteCommitted(std::size_t index, std::uint64_t incarnation) {
  SimNode& node = *nodes_[index];
  if (!node.up || node.incarnation != incarnation) return;
  if (DeferIfStalled(node, [this, index, incarnation] { ExecuteCommitted(index, incarnation); })) {
    return;
  }
  node.execution_scheduled = false;
  if (config_.exec_block_ms == 0 && config_.exec_tx_us == 0) {
    while (node.up && result_.ok && node.executed.size() < node.chain.size()) {
      FinishExecution(node);
    }
    return;
  }
  // One block at a time, and the node does nothing else meanwhile (a stall).
  if (node.executing || node.executed.size() >= node.chain.size()) return;
  const std::uint64_t txs =
      static_cast<std::uint64_t>(node.chain[node.executed.size()].block().transactions_size());
  const std::uint64_t cost = std::max<std::uint64_t>(
      1, config_.exec_block_ms + txs * config_.exec_tx_us / 1000);
  node.executing = true;
  node.stalled_until = std::max(node.stalled_until, now_ + cost);
  events_.At(now_ + cost, [this, index, incarnation] {
    SimNode& n = *nodes_[index];
    if (!n.up || n.incarnation != incarnation) return;
    n.executing = false;
    FinishExecution(n);
    if (n.up && n.incarnation == incarnation) ExecuteCommitted(index, incarnation);
  });
}

void World::FinishExecution(SimNode& node) {
  const std::uint64_t height = node.executed.size() + 1;
  const proto::Block& block = node.chain[height - 1].block();
  proto::BlockHeader header;
  header.ParseFromString(block.header());
  consensus::ExecutedRoots roots;
  roots.height = height;
  const crypto::Digest previous =
      height == 1 ? genesis_.state_root : node.executed.back().state_root;
  roots.state_root = Sha256(ToString(previous) + ToString(node.chain_hashes[height - 1]));
  roots.receipts_root = Sha256("receipts/" + ToString(node.chain_hashes[height - 1]));
  CheckExecution(node, height, header, roots);
  // Governance decided a new validator set in this block: the epoch ends G - 1 later.
  if (const SimEpoch* decided = DecidedBy(height); decided != nullptr) {
    roots.epoch_end = decided->start - 1;
  }
  node.executed.push_back(roots);
  if (suspend_height_ != 0 && height == suspend_height_) {
    // The governance change takes effect here: signer 0's pending transactions go.
    for (auto it = node.pool.begin(); it != node.pool.end();) {
      if (SignerOf(it->second) != 0) {
        ++it;
        continue;
      }
      node.pool_bytes -= it->second.size();
      node.pool_index.erase(consensus::TxLeafHash(crypto::HashAlgorithm::kSha256, it->second));
      it = node.pool.erase(it);
      ++result_.stats.purged;
    }
  }
  node.loop->OnExecuted(roots);
}

int World::SignerOf(const std::string& tx) const {
  // "tx:<id>:<payload>:<mac>"
  const std::size_t end = tx.find(':', 3);
  const std::uint64_t id = std::stoull(tx.substr(3, end - 3));
  return static_cast<int>(id % static_cast<std::uint64_t>(std::max(1, config_.signers)));
}

bool World::Suspended(const SimNode& node, const std::string& tx) const {
  return suspend_height_ != 0 && node.executed.size() >= suspend_height_ && SignerOf(tx) == 0;
}

std::vector<std::string> World::Batch(SimNode& node,
                                      const consensus::RequestProposalAction& request) {
  const std::set<crypto::Digest> exclude(request.exclude.begin(), request.exclude.end());
  std::vector<std::string> txs;
  std::uint64_t bytes = 0;
  for (const auto& [order, tx] : node.pool) {
    if (txs.size() >= request.max_txs || bytes + tx.size() > request.max_bytes) break;
    if (exclude.count(consensus::TxLeafHash(crypto::HashAlgorithm::kSha256, tx))) continue;
    bytes += tx.size();
    txs.push_back(tx);
  }
  return txs;
}

void World::Sync(std::size_t index, std::uint64_t target, std::uint64_t incarnation, int attempt) {
  SimNode& node = *nodes_[index];
  if (!node.up || node.incarnation != incarnation || node.chain.size() >= target) return;
  if (DeferIfStalled(node, [this, index, target, incarnation, attempt] {
        Sync(index, target, incarnation, attempt);
      })) {
    return;
  }
  const SimNode* source = nullptr;
  for (const auto& other : nodes_) {
    if (other->index == index || !other->up || Partitioned(index, other->index)) continue;
    if (other->chain.size() > node.chain.size() &&
        (source == nullptr || other->chain.size() > source->chain.size())) {
      source = other.get();
    }
  }
  if (source != nullptr) {
    const std::size_t last = std::min<std::size_t>(target, source->chain.size());
    for (std::size_t h = node.chain.size() + 1; h <= last && node.up && result_.ok; ++h) {
      if (node.chain.size() + 1 != h) break;
      const consensus::SyncedBlockVerdict synced = node.loop->OnSyncedBlock(source->chain[h - 1]);
      if (synced.kind == consensus::SyncedBlockVerdict::Kind::kEpochUnknown) {
        // The block's validator set is not known before execution catches up: soon.
        events_.At(now_ + 5, [this, index, target, incarnation, attempt] {
          Sync(index, target, incarnation, attempt);
        });
        return;
      }
      if (!synced.accepted()) break;
    }
  }
  if (node.up && node.incarnation == incarnation && node.chain.size() < target && attempt < 40) {
    events_.At(now_ + 250, [this, index, target, incarnation, attempt] {
      Sync(index, target, incarnation, attempt + 1);
    });
  }
}

void World::PoolChanged(SimNode& node) {
  const std::size_t index = node.index;
  const std::uint64_t incarnation = node.incarnation;
  events_.At(now_, [this, index, incarnation] {
    SimNode& n = *nodes_[index];
    if (!n.up || n.incarnation != incarnation) return;
    if (DeferIfStalled(n, [this, &n] { PoolChanged(n); })) return;
    n.loop->OnPoolChanged();
  });
}

void World::AddToPool(SimNode& node, const std::string& tx, bool gossip) {
  if (!node.up) return;
  const crypto::Digest leaf = consensus::TxLeafHash(crypto::HashAlgorithm::kSha256, tx);
  if (node.committed_txs.count(leaf) || node.pool_index.count(leaf)) return;
  if (Suspended(node, tx)) return;  // UNKNOWN_SIGNER
  if (gossip && config_.pool_capacity > 0 && node.pool.size() >= config_.pool_capacity) {
    // BUSY: the client tries again a little later, at any validator.
    ++result_.stats.busy;
    const std::size_t index = rng_() % nodes_.size();
    events_.At(now_ + 100 + rng_() % 200,
               [this, index, tx] { AddToPool(*nodes_[index], tx, true); });
    return;
  }
  if (gossip) {
    std::uniform_real_distribution<double> coin(0, 1);
    for (const auto& other : nodes_) {
      if (other->index == node.index || Partitioned(node.index, other->index)) continue;
      if (InFaultPhase() && coin(rng_) < config_.drop_rate) continue;
      const std::size_t index = other->index;
      events_.At(now_ + Delay(), [this, index, tx] { AddToPool(*nodes_[index], tx, false); });
    }
  }
  const std::uint64_t order = node.pool.empty() ? 0 : node.pool.rbegin()->first + 1;
  node.pool.emplace(order, tx);
  node.pool_index.emplace(leaf, order);
  node.pool_bytes += tx.size();
  PoolChanged(node);
}

std::string World::MakeTransaction(std::uint64_t id) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string payload(8 + rng_() % 32, 'x');
  for (char& c : payload) c = kAlphabet[rng_() % (sizeof(kAlphabet) - 1)];
  const std::string body = std::to_string(id) + ":" + payload;
  return "tx:" + body + ":" + ClientMac(config_.seed, body);
}

void World::SubmitNext() {
  if (now_ >= config_.fault_phase_ms + config_.client_tail_ms) return;
  const std::string tx = MakeTransaction(next_tx_id_);
  submitted_.emplace(tx, next_tx_id_++);
  ClientSubmit(tx);
  const double u = std::uniform_real_distribution<double>(1e-9, 1)(rng_);
  const auto gap = static_cast<std::uint64_t>(-std::log(u) * 1000.0 / config_.tx_per_second);
  events_.At(now_ + 1 + gap, [this] { SubmitNext(); });
}

void World::ClientSubmit(const std::string& tx) {
  // To one or two replicas; their pools relay it to the rest.
  const std::size_t always = rng_() % nodes_.size();
  for (const auto& node : nodes_) {
    if (node->index != always && rng_() % 4 != 0) continue;
    const std::size_t index = node->index;
    events_.At(now_ + Delay(), [this, index, tx] { AddToPool(*nodes_[index], tx, true); });
  }
}

}  // namespace colend::sim::internal
