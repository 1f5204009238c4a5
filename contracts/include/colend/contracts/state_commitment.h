// StateCommitment: one hash of the whole contract state (the state root), kept up to date
// incrementally as write sets are applied, so that any two nodes can compare their books by
// comparing 32 bytes, and a block's cost grows only with the logarithm of the state's size.
//
// Construction (v2, a compact 16-ary Merkle trie over the hashes of the keys; every hash
// is the chain suite's hash H):
//   path(key)        = H(key), read as 64 nibbles, the high nibble of each byte first;
//   leaf(key, value) = H("colend/state/leaf/v2" || 0x00 || u32be(len key) || key || H(value));
//   T(S, d), for a set S of keys whose paths share their first d nibbles:
//     the all-zero digest           if S is empty,
//     leaf(key, value)              if S holds one key (a lone leaf sits as high as it can),
//     H(0x01 || u16be(bitmap) || T(S_0, d+1) || ... || T(S_15, d+1))   otherwise,
//   where S_c are the keys of S whose nibble d is c, only the non-empty S_c are hashed, in
//   ascending c, and bit c (value 1 << c) of the bitmap is set for each of them;
//   root             = H("colend/state/root/v2" || 0x00 || u64be(key count) || T(all keys, 0)).
// The tree is a function of the key set alone (not of the order of updates), leaves and
// branches are kept apart by their first byte (a tag string vs 0x01) and the root by its
// tag. An update re-hashes its leaf and the branches on its path: about log16(key count)
// + 1 of them, each over at most 515 bytes (v1 re-hashed every leaf of each bucket, of
// 2^16, that a block touched: a cost linear in the size of the state). The construction is
// pinned by fixed vectors in tests/unit/contracts/state_test.cc: changing it changes every
// state root of every chain.
//
// Memory: the commitment keeps no keys, only each key's path and leaf hash (64 bytes) and
// the branches (about 0.4 per key, 100 bytes each), in chunked pools that never move, so
// growing the state never copies it.
//
// Thread safety: not thread-safe; owned by whoever owns the committed state.
#ifndef COLEND_CONTRACTS_STATE_COMMITMENT_H_
#define COLEND_CONTRACTS_STATE_COMMITMENT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "colend/contracts/state.h"
#include "colend/crypto/hash.h"

namespace colend::contracts {

class StateCommitment {
 public:
  explicit StateCommitment(crypto::HashAlgorithm algorithm);
  ~StateCommitment();
  StateCommitment(StateCommitment&& other) noexcept;
  StateCommitment& operator=(StateCommitment&& other) noexcept;

  // Records that `key` now holds `value` (std::nullopt: the key was deleted). Hashes the
  // key and the leaf and updates the tree's shape; the branches wait for Root().
  void Update(std::string_view key, const std::optional<std::string>& value);

  // Applies every entry of a write set.
  void Apply(const WriteSet& writes);

  // The state root. Re-hashes the branches changed since the last call.
  crypto::Digest Root();

  std::size_t key_count() const;
  crypto::HashAlgorithm algorithm() const { return algorithm_; }

  // Bytes held by the tree (its pools, free slots included).
  std::size_t memory_bytes() const;

 private:
  struct Trie;

  crypto::HashAlgorithm algorithm_;
  crypto::Hasher hasher_;
  std::unique_ptr<Trie> trie_;
};

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_STATE_COMMITMENT_H_
