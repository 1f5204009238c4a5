// PendingSet: the pool's indexes over its pending transactions, and the fair batch order
// (txpool.h explains the rule).
//
// Ownership: owns the pending transactions.
// Thread safety: none; TxPool guards it with its mutex.
#ifndef COLEND_NODE_TXPOOL_PENDING_SET_H_
#define COLEND_NODE_TXPOOL_PENDING_SET_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "colend/crypto/hash.h"

namespace colend::node::internal {

// Digests are uniformly distributed, so their first bytes are a good bucket hash.
struct DigestHash {
  std::size_t operator()(const crypto::Digest& digest) const {
    std::size_t h = 0;
    std::memcpy(&h, digest.data(), sizeof(h));
    return h;
  }
};

struct PendingTx {
  std::string bytes;  // the SignedTransaction exactly as admitted
  crypto::Digest tx_hash{};
  crypto::Digest leaf_hash{};
  std::string signer;
  std::string id;
  std::string key_id;  // the envelope's, to re-check the key after governance changes
};

// An injective key for (signer, id): the signer's length prefixes it, so no two pairs of
// strings (even with NUL bytes in them) give the same key.
std::string SignerIdKey(std::string_view signer, std::string_view id);

class PendingSet {
 public:
  std::size_t size() const { return by_seq_.size(); }
  std::size_t bytes() const { return bytes_; }

  const PendingTx* FindByTxHash(const crypto::Digest& tx_hash) const;
  bool HasLeaf(const crypto::Digest& leaf_hash) const { return by_leaf_.contains(leaf_hash); }
  // Pending transactions of `signer`.
  std::size_t CountOf(std::string_view signer) const {
    const auto it = by_signer_.find(signer);
    return it == by_signer_.end() ? 0 : it->second.size();
  }
  // The pending transaction with this (signer, id), if any.
  const PendingTx* FindBySignerId(std::string_view signer, std::string_view id) const;

  // REQUIRES: neither tx.tx_hash nor (tx.signer, tx.id) is pending.
  void Insert(PendingTx tx);

  // Each returns whether a transaction was removed.
  bool RemoveByLeaf(const crypto::Digest& leaf_hash);
  bool RemoveByTxHash(const crypto::Digest& tx_hash);
  bool RemoveBySignerId(std::string_view signer, std::string_view id);

  // Every pending transaction, in arrival order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [seq, tx] : by_seq_) fn(tx);
  }

  // The fair order of txpool.h, within the limits, skipping `exclude` (leaf hashes).
  std::vector<std::string> Batch(std::uint32_t max_txs, std::uint64_t max_bytes,
                                 std::span<const crypto::Digest> exclude) const;

 private:
  void Remove(std::uint64_t seq);

  std::uint64_t next_seq_ = 0;
  std::size_t bytes_ = 0;
  std::map<std::uint64_t, PendingTx> by_seq_;  // arrival order
  std::unordered_map<crypto::Digest, std::uint64_t, DigestHash> by_tx_hash_;
  std::unordered_map<crypto::Digest, std::uint64_t, DigestHash> by_leaf_;
  std::unordered_map<std::string, std::uint64_t> by_signer_id_;  // SignerIdKey
  // Each signer's FIFO queue (sequence numbers ascending). An ordered map, so Batch's
  // result never depends on hash-table iteration order.
  std::map<std::string, std::set<std::uint64_t>, std::less<>> by_signer_;
};

}  // namespace colend::node::internal

#endif  // COLEND_NODE_TXPOOL_PENDING_SET_H_
