#include "pending_set.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace colend::node::internal {

std::string SignerIdKey(std::string_view signer, std::string_view id) {
  std::string key = std::to_string(signer.size());
  key += ':';
  key.append(signer);
  key.append(id);
  return key;
}

const PendingTx* PendingSet::FindByTxHash(const crypto::Digest& tx_hash) const {
  const auto it = by_tx_hash_.find(tx_hash);
  return it == by_tx_hash_.end() ? nullptr : &by_seq_.at(it->second);
}

const PendingTx* PendingSet::FindBySignerId(std::string_view signer, std::string_view id) const {
  const auto it = by_signer_id_.find(SignerIdKey(signer, id));
  return it == by_signer_id_.end() ? nullptr : &by_seq_.at(it->second);
}

void PendingSet::Insert(PendingTx tx) {
  const std::uint64_t seq = next_seq_++;
  by_tx_hash_.emplace(tx.tx_hash, seq);
  by_leaf_.emplace(tx.leaf_hash, seq);
  by_signer_id_.emplace(SignerIdKey(tx.signer, tx.id), seq);
  by_signer_[tx.signer].insert(seq);
  bytes_ += tx.bytes.size();
  by_seq_.emplace(seq, std::move(tx));
}

void PendingSet::Remove(std::uint64_t seq) {
  const auto it = by_seq_.find(seq);
  if (it == by_seq_.end()) return;
  const PendingTx& tx = it->second;
  by_tx_hash_.erase(tx.tx_hash);
  by_leaf_.erase(tx.leaf_hash);
  by_signer_id_.erase(SignerIdKey(tx.signer, tx.id));
  if (const auto queue = by_signer_.find(tx.signer); queue != by_signer_.end()) {
    queue->second.erase(seq);
    if (queue->second.empty()) by_signer_.erase(queue);
  }
  bytes_ -= tx.bytes.size();
  by_seq_.erase(it);
}

bool PendingSet::RemoveByLeaf(const crypto::Digest& leaf_hash) {
  const auto it = by_leaf_.find(leaf_hash);
  if (it == by_leaf_.end()) return false;
  Remove(it->second);
  return true;
}

bool PendingSet::RemoveByTxHash(const crypto::Digest& tx_hash) {
  const auto it = by_tx_hash_.find(tx_hash);
  if (it == by_tx_hash_.end()) return false;
  Remove(it->second);
  return true;
}

bool PendingSet::RemoveBySignerId(std::string_view signer, std::string_view id) {
  const auto it = by_signer_id_.find(SignerIdKey(signer, id));
  if (it == by_signer_id_.end()) return false;
  Remove(it->second);
  return true;
}

std::vector<std::string> PendingSet::Batch(std::uint32_t max_txs, std::uint64_t max_bytes,
                                           std::span<const crypto::Digest> exclude) const {
  std::vector<std::string> out;
  if (max_txs == 0 || by_seq_.empty()) return out;
  const std::unordered_set<crypto::Digest, DigestHash> excluded(exclude.begin(), exclude.end());

  // One cursor per signer, ordered by the arrival of the signer's oldest pending tx.
  struct Cursor {
    std::set<std::uint64_t>::const_iterator next;
    std::set<std::uint64_t>::const_iterator end;
  };
  std::vector<Cursor> cursors;
  cursors.reserve(by_signer_.size());
  for (const auto& [signer, queue] : by_signer_) cursors.push_back({queue.begin(), queue.end()});
  std::sort(cursors.begin(), cursors.end(),
            [](const Cursor& a, const Cursor& b) { return *a.next < *b.next; });

  std::uint64_t remaining = max_bytes;
  while (!cursors.empty()) {
    std::size_t kept = 0;  // cursors still serving, compacted in place
    for (Cursor& cursor : cursors) {
      // Skipped: excluded transactions, and any larger than the whole batch may be (it can
      // never be proposed under this limit, so it must not hold its signer's queue).
      while (cursor.next != cursor.end) {
        const PendingTx& tx = by_seq_.at(*cursor.next);
        if (!excluded.contains(tx.leaf_hash) && tx.bytes.size() <= max_bytes) break;
        ++cursor.next;
      }
      if (cursor.next == cursor.end) continue;
      const std::string& bytes = by_seq_.at(*cursor.next).bytes;
      // A signer's next tx that does not fit ends that signer's turn for this batch: its
      // later transactions must not overtake it.
      if (bytes.size() > remaining) continue;
      out.push_back(bytes);
      remaining -= bytes.size();
      if (out.size() == max_txs) return out;
      ++cursor.next;
      cursors[kept++] = cursor;
    }
    cursors.resize(kept);
  }
  return out;
}

}  // namespace colend::node::internal
