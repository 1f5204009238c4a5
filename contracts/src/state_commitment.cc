#include "colend/contracts/state_commitment.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "colend/common/check.h"

namespace colend::contracts {
namespace {

constexpr std::string_view kLeafTag = "colend/state/leaf/v2";
constexpr std::string_view kRootTag = "colend/state/root/v2";
constexpr std::uint8_t kBranchPrefix = 0x01;
constexpr std::uint8_t kZeroByte[1] = {0x00};

constexpr int kFanout = 16;
constexpr int kPathNibbles = 2 * static_cast<int>(crypto::kDigestSize);
// 0x01 || u16be(bitmap) || up to 16 child digests.
constexpr std::size_t kMaxBranchBytes = 3 + kFanout * crypto::kDigestSize;

template <typename T>
std::array<std::uint8_t, sizeof(T)> BigEndian(T v) {
  std::array<std::uint8_t, sizeof(T)> out{};
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[sizeof(T) - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  return out;
}

int Nibble(const crypto::Digest& path, int depth) {
  const std::uint8_t byte = path[static_cast<std::size_t>(depth / 2)];
  return depth % 2 == 0 ? byte >> 4 : byte & 0x0f;
}

// A child slot: empty, a leaf (top bit set, the leaf's index below it) or a branch (its
// index + 1).
using Ref = std::uint32_t;
constexpr Ref kEmpty = 0;
constexpr Ref kLeafBit = 0x8000'0000u;
constexpr std::uint32_t kMaxIndex = 0x7fff'fffeu;

bool IsLeaf(Ref ref) {
  return (ref & kLeafBit) != 0;
}
bool IsBranch(Ref ref) {
  return ref != kEmpty && !IsLeaf(ref);
}
std::uint32_t LeafIndex(Ref ref) {
  return ref & ~kLeafBit;
}
std::uint32_t BranchIndex(Ref ref) {
  return ref - 1;
}
Ref LeafRef(std::uint32_t index) {
  return index | kLeafBit;
}
Ref BranchRef(std::uint32_t index) {
  return index + 1;
}

// Fixed-size objects addressed by a 32-bit index, in chunks that never move: growing the
// pool never copies what it holds (no pause at a doubling), and a reference to an element
// stays valid while others are allocated. Released slots are reused.
template <typename T>
class Pool {
 public:
  std::uint32_t Allocate() {
    if (!free_.empty()) {
      const std::uint32_t index = free_.back();
      free_.pop_back();
      return index;
    }
    COLEND_CHECK_MSG(size_ <= kMaxIndex, "state commitment: more than 2^31 nodes");
    if ((size_ & kChunkMask) == 0) chunks_.push_back(std::make_unique<T[]>(kChunkSize));
    return size_++;
  }
  void Release(std::uint32_t index) { free_.push_back(index); }
  T& operator[](std::uint32_t index) { return chunks_[index >> kChunkBits][index & kChunkMask]; }
  const T& operator[](std::uint32_t index) const {
    return chunks_[index >> kChunkBits][index & kChunkMask];
  }
  std::size_t bytes() const {
    return chunks_.size() * kChunkSize * sizeof(T) + free_.capacity() * sizeof(std::uint32_t) +
           chunks_.capacity() * sizeof(chunks_[0]);
  }

 private:
  static constexpr int kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = std::uint32_t{1} << kChunkBits;
  static constexpr std::uint32_t kChunkMask = kChunkSize - 1;

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::uint32_t size_ = 0;
  std::vector<std::uint32_t> free_;
};

struct Leaf {
  crypto::Digest path;
  crypto::Digest hash;
};

struct Branch {
  crypto::Digest hash;  // valid unless stale
  bool stale;           // a key below changed since hash was computed
  std::array<Ref, kFanout> child;
};

}  // namespace

// The tree of state_commitment.h. Invariants: every branch has at least two keys below it;
// a leaf sits at the shallowest depth where no other key shares its path prefix; a branch
// is stale if any key below it changed since Root(), and then so are all branches above.
struct StateCommitment::Trie {
  Pool<Leaf> leaves;
  Pool<Branch> branches;
  Ref root = kEmpty;
  std::size_t key_count = 0;

  Ref NewLeaf(const crypto::Digest& path, const crypto::Digest& hash) {
    const std::uint32_t index = leaves.Allocate();
    leaves[index] = Leaf{path, hash};
    ++key_count;
    return LeafRef(index);
  }

  void Put(const crypto::Digest& path, const crypto::Digest& hash) {
    Ref* slot = &root;
    int depth = 0;
    while (IsBranch(*slot)) {
      Branch& branch = branches[BranchIndex(*slot)];
      branch.stale = true;
      slot = &branch.child[static_cast<std::size_t>(Nibble(path, depth++))];
    }
    if (*slot == kEmpty) {
      *slot = NewLeaf(path, hash);
      return;
    }
    Leaf& leaf = leaves[LeafIndex(*slot)];
    if (leaf.path == path) {
      leaf.hash = hash;
      return;
    }
    // Another key's leaf: push it down, through a branch per nibble the two paths share,
    // to where they part. (Pool elements never move, so `slot` stays valid.)
    const Ref other = *slot;
    const crypto::Digest other_path = leaf.path;
    while (true) {
      COLEND_CHECK_MSG(depth < kPathNibbles, "state commitment: two keys with one path");
      const std::uint32_t index = branches.Allocate();
      Branch& branch = branches[index];
      branch.stale = true;
      branch.child.fill(kEmpty);
      *slot = BranchRef(index);
      const int theirs = Nibble(other_path, depth);
      const int mine = Nibble(path, depth);
      ++depth;
      if (theirs != mine) {
        branch.child[static_cast<std::size_t>(theirs)] = other;
        branch.child[static_cast<std::size_t>(mine)] = NewLeaf(path, hash);
        return;
      }
      slot = &branch.child[static_cast<std::size_t>(theirs)];
    }
  }

  void Erase(const crypto::Digest& path) {
    // The slots that hold the branches on the path, top first.
    std::array<Ref*, kPathNibbles> above{};
    int depth = 0;
    Ref* slot = &root;
    while (IsBranch(*slot)) {
      above[static_cast<std::size_t>(depth)] = slot;
      slot = &branches[BranchIndex(*slot)].child[static_cast<std::size_t>(Nibble(path, depth))];
      ++depth;
    }
    if (*slot == kEmpty || leaves[LeafIndex(*slot)].path != path) return;  // absent
    leaves.Release(LeafIndex(*slot));
    *slot = kEmpty;
    --key_count;
    // Bottom up: a branch left with a lone leaf below it gives way to that leaf; once one
    // keeps its place, the ones above it do too (they still hold two keys or more).
    bool collapsing = true;
    for (int d = depth - 1; d >= 0; --d) {
      Ref* holder = above[static_cast<std::size_t>(d)];
      Branch& branch = branches[BranchIndex(*holder)];
      branch.stale = true;
      if (!collapsing) continue;
      Ref only = kEmpty;
      int children = 0;
      for (Ref child : branch.child) {
        if (child == kEmpty) continue;
        only = child;
        ++children;
      }
      if (children == 1 && IsLeaf(only)) {
        branches.Release(BranchIndex(*holder));
        *holder = only;
      } else {
        collapsing = false;
      }
    }
  }

  const crypto::Digest& HashOf(Ref ref, crypto::Hasher& hasher) {
    if (IsLeaf(ref)) return leaves[LeafIndex(ref)].hash;
    Branch& branch = branches[BranchIndex(ref)];
    if (branch.stale) Rehash(branch, hasher);
    return branch.hash;
  }

  // Depth-first over the stale branches only; the recursion is at most 64 deep.
  void Rehash(Branch& branch, crypto::Hasher& hasher) {
    // In a large state the children are cache misses, one per child, scattered over the
    // pools: ask for all of them first so that they are fetched in parallel, not in turn.
    for (Ref child : branch.child) {
      if (IsLeaf(child)) {
        __builtin_prefetch(&leaves[LeafIndex(child)].hash);
      } else if (child != kEmpty) {
        __builtin_prefetch(&branches[BranchIndex(child)]);
      }
    }
    std::array<std::uint8_t, kMaxBranchBytes> bytes;
    std::size_t size = 3;
    std::uint16_t bitmap = 0;
    for (int c = 0; c < kFanout; ++c) {
      const Ref child = branch.child[static_cast<std::size_t>(c)];
      if (child == kEmpty) continue;
      bitmap = static_cast<std::uint16_t>(bitmap | (1u << c));
      const crypto::Digest& digest = HashOf(child, hasher);
      std::memcpy(bytes.data() + size, digest.data(), digest.size());
      size += digest.size();
    }
    bytes[0] = kBranchPrefix;
    bytes[1] = static_cast<std::uint8_t>(bitmap >> 8);
    bytes[2] = static_cast<std::uint8_t>(bitmap);
    branch.hash = hasher.Update(ByteView(bytes.data(), size)).Finish();
    branch.stale = false;
  }
};

StateCommitment::StateCommitment(crypto::HashAlgorithm algorithm)
    : algorithm_(algorithm), hasher_(algorithm), trie_(std::make_unique<Trie>()) {}

StateCommitment::~StateCommitment() = default;
StateCommitment::StateCommitment(StateCommitment&& other) noexcept = default;
StateCommitment& StateCommitment::operator=(StateCommitment&& other) noexcept = default;

void StateCommitment::Update(std::string_view key, const std::optional<std::string>& value) {
  const crypto::Digest path = hasher_.Update(AsBytes(key)).Finish();
  if (!value.has_value()) {
    trie_->Erase(path);
    return;
  }
  const crypto::Digest value_hash = hasher_.Update(AsBytes(*value)).Finish();
  hasher_.Update(AsBytes(kLeafTag)).Update(kZeroByte);
  hasher_.Update(BigEndian(static_cast<std::uint32_t>(key.size()))).Update(AsBytes(key));
  trie_->Put(path, hasher_.Update(value_hash).Finish());
}

void StateCommitment::Apply(const WriteSet& writes) {
  for (const auto& [key, value] : writes) Update(key, value);
}

crypto::Digest StateCommitment::Root() {
  crypto::Digest top{};  // the empty state
  if (trie_->root != kEmpty) top = trie_->HashOf(trie_->root, hasher_);
  hasher_.Update(AsBytes(kRootTag)).Update(kZeroByte);
  hasher_.Update(BigEndian(static_cast<std::uint64_t>(trie_->key_count)));
  return hasher_.Update(top).Finish();
}

std::size_t StateCommitment::key_count() const {
  return trie_->key_count;
}

std::size_t StateCommitment::memory_bytes() const {
  return sizeof(Trie) + trie_->leaves.bytes() + trie_->branches.bytes();
}

}  // namespace colend::contracts
