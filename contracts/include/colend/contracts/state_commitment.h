// StateCommitment: one hash of the whole contract state (the state root), kept up to date
// incrementally as write sets are applied, so that any two nodes can compare their books by
// comparing 32 bytes, and a block's cost does not grow with the size of the state.
//
// Construction (the "bucketed Merkle tree"; every hash is the chain suite's hash):
//   leaf(key, value) = H("colend/state/leaf/v1" || 0x00 || u32be(len key) || key || H(value))
//   Each key falls in one of 2^16 buckets: the first two bytes of H(key), big-endian.
//   bucket(i)        = H(0x00 || leaf_1 || ... || leaf_k), leaves in ascending key order,
//                      and the all-zero digest for an empty bucket;
//   node             = H(0x01 || left || right) over a complete binary tree of the 2^16
//                      buckets, bucket 0 leftmost;
//   root             = H("colend/state/root/v1" || 0x00 || u64be(key count) || tree top).
// The domain tags and the 0x00/0x01 prefixes keep leaves, buckets and nodes apart. An
// update re-hashes only its bucket and the 16 nodes above it. The construction is pinned
// by fixed vectors in tests/unit/contracts/state_test.cc: changing it changes
// every state root of every chain.
//
// Thread safety: not thread-safe; owned by whoever owns the committed state.
#ifndef COLEND_CONTRACTS_STATE_COMMITMENT_H_
#define COLEND_CONTRACTS_STATE_COMMITMENT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colend/contracts/state.h"
#include "colend/crypto/hash.h"

namespace colend::contracts {

class StateCommitment {
 public:
  static constexpr int kBucketBits = 16;
  static constexpr std::size_t kBucketCount = std::size_t{1} << kBucketBits;

  explicit StateCommitment(crypto::HashAlgorithm algorithm);

  // Records that `key` now holds `value` (std::nullopt: the key was deleted). Cheap: the
  // hashing of buckets and nodes waits for Root().
  void Update(std::string_view key, const std::optional<std::string>& value);

  // Applies every entry of a write set.
  void Apply(const WriteSet& writes);

  // The state root. Re-hashes the buckets changed since the last call.
  crypto::Digest Root();

  std::size_t key_count() const { return key_count_; }
  crypto::HashAlgorithm algorithm() const { return algorithm_; }

  // The bucket a key falls in (exposed for tests and for a future proof API).
  std::size_t BucketOf(std::string_view key) const;

 private:
  // Leaf hashes of one bucket, by key.
  using Bucket = std::map<std::string, crypto::Digest, std::less<>>;

  crypto::Digest LeafHash(std::string_view key, std::string_view value);
  crypto::Digest BucketHash(const Bucket& bucket);

  crypto::HashAlgorithm algorithm_;
  crypto::Hasher hasher_;
  std::vector<Bucket> buckets_;
  // nodes_[1] is the top; nodes_[kBucketCount + i] is bucket i's hash.
  std::vector<crypto::Digest> nodes_;
  std::vector<std::uint32_t> dirty_;
  std::vector<bool> is_dirty_;
  std::size_t key_count_ = 0;
};

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_STATE_COMMITMENT_H_
