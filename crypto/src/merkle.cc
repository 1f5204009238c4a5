#include "colend/crypto/merkle.h"

#include <string>
#include <utility>

namespace colend::crypto {
namespace {

constexpr std::uint8_t kLeafPrefix[1] = {0x00};
constexpr std::uint8_t kNodePrefix[1] = {0x01};

// Hashes with one reusable context: a root over n leaves takes about 2n hashes, and
// reusing the context saves an allocation for each.
class TreeHasher {
 public:
  explicit TreeHasher(HashAlgorithm algorithm) : hasher_(algorithm) {}

  Digest Leaf(ByteView data) { return hasher_.Update(kLeafPrefix).Update(data).Finish(); }
  Digest Node(const Digest& left, const Digest& right) {
    return hasher_.Update(kNodePrefix).Update(left).Update(right).Finish();
  }

 private:
  Hasher hasher_;
};

template <typename Leaf>
std::vector<Digest> LeafHashes(TreeHasher& hasher, std::span<const Leaf> leaves) {
  std::vector<Digest> level;
  level.reserve(leaves.size());
  for (const Leaf& leaf : leaves) level.push_back(hasher.Leaf(ByteView(leaf)));
  return level;
}

// Replaces `level` by the level above it. Pairs are hashed left to right; an odd node at
// the end is carried up unchanged. Level by level this builds exactly the RFC 6962 tree:
// splitting at the largest power of two below n leaves the left subtrees complete, and
// the right edge's lone nodes are the ones carried up.
void HashLevelUp(TreeHasher& hasher, std::vector<Digest>& level) {
  const std::size_t size = level.size();
  for (std::size_t i = 0; i + 1 < size; i += 2) level[i / 2] = hasher.Node(level[i], level[i + 1]);
  if (size % 2 == 1) level[size / 2] = level[size - 1];
  level.resize((size + 1) / 2);
}

template <typename Leaf>
Digest RootOf(HashAlgorithm algorithm, std::span<const Leaf> leaves) {
  if (leaves.empty()) return Hash(algorithm, {});
  TreeHasher hasher(algorithm);
  std::vector<Digest> level = LeafHashes(hasher, leaves);
  while (level.size() > 1) HashLevelUp(hasher, level);
  return level.front();
}

template <typename Leaf>
Result<MerkleProof> ProofOf(HashAlgorithm algorithm, std::span<const Leaf> leaves,
                            std::uint64_t leaf_index) {
  if (leaf_index >= leaves.size()) {
    return Status::OutOfRange("leaf index " + std::to_string(leaf_index) + " is not in a tree of " +
                              std::to_string(leaves.size()) + " leaves");
  }
  MerkleProof proof;
  proof.leaf_index = leaf_index;
  proof.tree_size = leaves.size();
  TreeHasher hasher(algorithm);
  std::vector<Digest> level = LeafHashes(hasher, leaves);
  std::size_t index = static_cast<std::size_t>(leaf_index);
  while (level.size() > 1) {
    const std::size_t sibling = index ^ 1;
    // A node without a sibling is carried up and contributes nothing to the path.
    if (sibling < level.size()) proof.audit_path.push_back(level[sibling]);
    HashLevelUp(hasher, level);
    index /= 2;
  }
  return proof;
}

}  // namespace

Digest MerkleLeafHash(HashAlgorithm algorithm, ByteView leaf_data) {
  return TreeHasher(algorithm).Leaf(leaf_data);
}

Digest MerkleNodeHash(HashAlgorithm algorithm, const Digest& left, const Digest& right) {
  return TreeHasher(algorithm).Node(left, right);
}

Digest MerkleRoot(HashAlgorithm algorithm, std::span<const Bytes> leaves) {
  return RootOf(algorithm, leaves);
}

Digest MerkleRoot(HashAlgorithm algorithm, std::span<const ByteView> leaves) {
  return RootOf(algorithm, leaves);
}

Result<MerkleProof> MakeInclusionProof(HashAlgorithm algorithm, std::span<const Bytes> leaves,
                                       std::uint64_t leaf_index) {
  return ProofOf(algorithm, leaves, leaf_index);
}

Result<MerkleProof> MakeInclusionProof(HashAlgorithm algorithm, std::span<const ByteView> leaves,
                                       std::uint64_t leaf_index) {
  return ProofOf(algorithm, leaves, leaf_index);
}

Status VerifyInclusion(HashAlgorithm algorithm, const Digest& root, ByteView leaf_data,
                       std::uint64_t leaf_index, std::uint64_t tree_size,
                       std::span<const Digest> audit_path) {
  if (leaf_index >= tree_size) {
    return Status::InvalidArgument("leaf index " + std::to_string(leaf_index) +
                                   " is not in a tree of " + std::to_string(tree_size) + " leaves");
  }
  // RFC 9162 §2.1.3.2. fn walks the leaf's position up the tree, sn the last leaf's; where
  // fn is a right child, or the last node of its level, its sibling is on the left.
  TreeHasher hasher(algorithm);
  std::uint64_t fn = leaf_index;
  std::uint64_t sn = tree_size - 1;
  Digest r = hasher.Leaf(leaf_data);
  for (const Digest& p : audit_path) {
    if (sn == 0) {
      return Status::Corruption("inclusion proof has more hashes than the tree has levels");
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = hasher.Node(p, r);
      // Skip the levels where this node was carried up without a sibling.
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = hasher.Node(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Status::Corruption("inclusion proof has fewer hashes than the tree has levels");
  }
  if (r != root) {
    return Status::Corruption("inclusion proof does not lead from leaf " +
                              std::to_string(leaf_index) + " to the given root of a tree of " +
                              std::to_string(tree_size) + " leaves");
  }
  return Status::Ok();
}

}  // namespace colend::crypto
