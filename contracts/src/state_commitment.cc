#include "colend/contracts/state_commitment.h"

#include <algorithm>
#include <array>

namespace colend::contracts {
namespace {

constexpr std::string_view kLeafTag = "colend/state/leaf/v1";
constexpr std::string_view kRootTag = "colend/state/root/v1";

template <typename T>
std::array<std::uint8_t, sizeof(T)> BigEndian(T v) {
  std::array<std::uint8_t, sizeof(T)> out{};
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[sizeof(T) - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  return out;
}

constexpr std::uint8_t kZeroByte[1] = {0x00};
constexpr std::uint8_t kOneByte[1] = {0x01};

}  // namespace

StateCommitment::StateCommitment(crypto::HashAlgorithm algorithm)
    : algorithm_(algorithm),
      hasher_(algorithm),
      buckets_(kBucketCount),
      nodes_(2 * kBucketCount),
      is_dirty_(kBucketCount, false) {
  // Every bucket starts empty (zero digest), so all nodes of one level of the empty tree
  // are equal: hash once per level (16 hashes, not 65,535).
  crypto::Digest below{};
  for (std::size_t level_start = kBucketCount / 2; level_start >= 1; level_start /= 2) {
    const crypto::Digest node = hasher_.Update(kOneByte).Update(below).Update(below).Finish();
    std::fill(nodes_.begin() + static_cast<std::ptrdiff_t>(level_start),
              nodes_.begin() + static_cast<std::ptrdiff_t>(2 * level_start), node);
    below = node;
  }
}

std::size_t StateCommitment::BucketOf(std::string_view key) const {
  const crypto::Digest h = crypto::Hash(algorithm_, AsBytes(key));
  return (std::size_t{h[0]} << 8) | h[1];
}

crypto::Digest StateCommitment::LeafHash(std::string_view key, std::string_view value) {
  const crypto::Digest value_hash = hasher_.Update(AsBytes(value)).Finish();
  hasher_.Update(AsBytes(kLeafTag)).Update(kZeroByte);
  hasher_.Update(BigEndian(static_cast<std::uint32_t>(key.size()))).Update(AsBytes(key));
  return hasher_.Update(value_hash).Finish();
}

crypto::Digest StateCommitment::BucketHash(const Bucket& bucket) {
  if (bucket.empty()) return crypto::Digest{};
  hasher_.Update(kZeroByte);
  for (const auto& [key, leaf] : bucket) hasher_.Update(leaf);
  return hasher_.Finish();
}

void StateCommitment::Update(std::string_view key, const std::optional<std::string>& value) {
  const std::size_t index = BucketOf(key);
  Bucket& bucket = buckets_[index];
  auto it = bucket.find(key);
  if (value.has_value()) {
    const crypto::Digest leaf = LeafHash(key, *value);
    if (it == bucket.end()) {
      bucket.emplace(std::string(key), leaf);
      ++key_count_;
    } else {
      it->second = leaf;
    }
  } else {
    if (it == bucket.end()) return;  // deleting an absent key changes nothing
    bucket.erase(it);
    --key_count_;
  }
  if (!is_dirty_[index]) {
    is_dirty_[index] = true;
    dirty_.push_back(static_cast<std::uint32_t>(index));
  }
}

void StateCommitment::Apply(const WriteSet& writes) {
  for (const auto& [key, value] : writes) Update(key, value);
}

crypto::Digest StateCommitment::Root() {
  // Re-hash dirty buckets, then every internal node above them, level by level, so each
  // node is hashed once however many of its buckets changed.
  std::vector<std::size_t> level;
  level.reserve(dirty_.size());
  for (std::uint32_t index : dirty_) {
    nodes_[kBucketCount + index] = BucketHash(buckets_[index]);
    is_dirty_[index] = false;
    level.push_back((kBucketCount + index) / 2);
  }
  dirty_.clear();
  while (!level.empty()) {
    std::sort(level.begin(), level.end());
    level.erase(std::unique(level.begin(), level.end()), level.end());
    std::vector<std::size_t> next;
    next.reserve(level.size());
    for (std::size_t node : level) {
      nodes_[node] =
          hasher_.Update(kOneByte).Update(nodes_[2 * node]).Update(nodes_[2 * node + 1]).Finish();
      if (node > 1) next.push_back(node / 2);
    }
    level = std::move(next);
  }
  hasher_.Update(AsBytes(kRootTag)).Update(kZeroByte);
  hasher_.Update(BigEndian(static_cast<std::uint64_t>(key_count_)));
  return hasher_.Update(nodes_[1]).Finish();
}

}  // namespace colend::contracts
