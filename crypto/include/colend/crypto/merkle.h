// Merkle tree hashing and inclusion proofs in the shape of RFC 6962 §2.1 (RFC 9162 §2.1):
//
//   MTH({})        = H("")
//   MTH({d0})      = H(0x00 || d0)                            (leaf hash)
//   MTH(D[0:n])    = H(0x01 || MTH(D[0:k]) || MTH(D[k:n]))    (node hash)
//                    where k is the largest power of two smaller than n.
//
// The distinct leaf and node prefixes stop a node from being passed off as a leaf
// (second-preimage), and the power-of-two split never duplicates the last leaf, so two
// different leaf lists cannot share a root the way Bitcoin's trees can (CVE-2012-2459).
// H is the chain suite's hash; with SHA-256 the roots equal Certificate Transparency's.
//
// Thread safety: pure functions, safe from any thread.
#ifndef COLEND_CRYPTO_MERKLE_H_
#define COLEND_CRYPTO_MERKLE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/hash.h"

namespace colend::crypto {

// Proof that one leaf is in a tree of tree_size leaves: the sibling subtree hashes on the
// way from the leaf to the root, lowest first (RFC 6962 §2.1.1 PATH order).
struct MerkleProof {
  std::uint64_t leaf_index = 0;
  std::uint64_t tree_size = 0;
  std::vector<Digest> audit_path;

  friend bool operator==(const MerkleProof&, const MerkleProof&) = default;
};

// H(0x00 || leaf_data).
Digest MerkleLeafHash(HashAlgorithm algorithm, ByteView leaf_data);
// H(0x01 || left || right).
Digest MerkleNodeHash(HashAlgorithm algorithm, const Digest& left, const Digest& right);

// The root over `leaves` in order; H("") for no leaves. O(n) time and memory.
Digest MerkleRoot(HashAlgorithm algorithm, std::span<const Bytes> leaves);
Digest MerkleRoot(HashAlgorithm algorithm, std::span<const ByteView> leaves);

// The inclusion proof for leaves[leaf_index]. Fails with kOutOfRange if
// leaf_index >= leaves.size().
Result<MerkleProof> MakeInclusionProof(HashAlgorithm algorithm, std::span<const Bytes> leaves,
                                       std::uint64_t leaf_index);
Result<MerkleProof> MakeInclusionProof(HashAlgorithm algorithm, std::span<const ByteView> leaves,
                                       std::uint64_t leaf_index);

// Checks that `leaf_data` is leaf number `leaf_index` of the tree of `tree_size` leaves
// whose root is `root` (RFC 9162 §2.1.3.2). Take leaf_index and tree_size from what you
// already trust (the block header's transaction count, the position you asked for), not
// from the party that sent the proof: the proof only binds them if you supply them.
// Returns OK, kInvalidArgument if leaf_index >= tree_size, or kCorruption if the path
// does not lead from this leaf to this root (wrong length, altered hash, wrong leaf).
Status VerifyInclusion(HashAlgorithm algorithm, const Digest& root, ByteView leaf_data,
                       std::uint64_t leaf_index, std::uint64_t tree_size,
                       std::span<const Digest> audit_path);

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_MERKLE_H_
