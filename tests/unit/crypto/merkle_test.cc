#include "colend/crypto/merkle.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "colend/common/bytes.h"

namespace colend::crypto {

// Names parameterised tests "SHA-256"/"SM3" in ctest output instead of raw bytes.
void PrintTo(HashAlgorithm algorithm, std::ostream* os) {
  *os << HashAlgorithmName(algorithm);
}

namespace {

Bytes Hex(std::string_view hex) {
  Result<Bytes> bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.value_or(Bytes());
}

Digest HexDigest(std::string_view hex) {
  const Bytes bytes = Hex(hex);
  Digest digest{};
  EXPECT_EQ(bytes.size(), digest.size());
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  return digest;
}

// Leaf inputs and roots of the Certificate Transparency reference tests, as kept in
// github.com/transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes).
const std::vector<Bytes>& CtLeaves() {
  static const std::vector<Bytes> leaves = {Hex(""),
                                            Hex("00"),
                                            Hex("10"),
                                            Hex("2021"),
                                            Hex("3031"),
                                            Hex("40414243"),
                                            Hex("5051525354555657"),
                                            Hex("606162636465666768696a6b6c6d6e6f")};
  return leaves;
}

constexpr const char* kCtRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  // empty tree
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Bytes> Prefix(const std::vector<Bytes>& leaves, std::size_t n) {
  return std::vector<Bytes>(leaves.begin(), leaves.begin() + static_cast<std::ptrdiff_t>(n));
}

TEST(MerkleTest, CertificateTransparencyRoots) {
  for (std::size_t size = 0; size <= CtLeaves().size(); ++size) {
    EXPECT_EQ(ToHex(MerkleRoot(HashAlgorithm::kSha256, Prefix(CtLeaves(), size))), kCtRoots[size])
        << "tree of " << size;
  }
}

TEST(MerkleTest, Rfc6962LeafHashes) {
  // transparency-dev/merkle rfc6962/rfc6962_test.go, TestRFC6962Hasher.
  EXPECT_EQ(ToHex(MerkleLeafHash(HashAlgorithm::kSha256, {})),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(ToHex(MerkleLeafHash(HashAlgorithm::kSha256, AsBytes("L123456"))),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
}

TEST(MerkleTest, CertificateTransparencyInclusionProofs) {
  // transparency-dev/merkle testonly/reference_test.go, TestRefInclusionProof (0-based
  // indices; proof/verify_test.go holds the same paths with 1-based indices).
  struct Case {
    std::uint64_t index;
    std::uint64_t size;
    std::vector<const char*> path;
  };
  const std::vector<Case> cases = {
      {0, 1, {}},
      {0, 2, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
      {1, 2, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("index " + std::to_string(c.index) + " of " + std::to_string(c.size));
    const std::vector<Bytes> leaves = Prefix(CtLeaves(), c.size);
    const Result<MerkleProof> proof = MakeInclusionProof(HashAlgorithm::kSha256, leaves, c.index);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(proof->leaf_index, c.index);
    EXPECT_EQ(proof->tree_size, c.size);
    std::vector<Digest> expected;
    for (const char* hex : c.path) expected.push_back(HexDigest(hex));
    EXPECT_EQ(proof->audit_path, expected);
    EXPECT_TRUE(VerifyInclusion(HashAlgorithm::kSha256, HexDigest(kCtRoots[c.size]),
                                leaves[c.index], c.index, c.size, expected)
                    .ok());
  }
}

TEST(MerkleTest, GoldenRootsOfLargerTrees) {
  // transparency-dev/merkle compact/range_test.go, TestGetRootHashGolden: leaf i is the
  // two bytes i & 0xff, i >> 8 (base64 roots converted to hex).
  struct Golden {
    std::size_t size;
    const char* root;
  };
  constexpr Golden kGolden[] = {
      {10, "56358c3d260db42b8236517f44b9d0cba1dcc1293a0888a97f19be85eb6d03ee"},
      {15, "8f84ae9589a8705bb175eca9d76c5708880ae8f7a405cc730088f8cdb4333442"},
      {16, "73ee1473a04230e65ffefdcd64ad64a935097be6c1a05b4e84ff8fdd26b22911"},
      {100, "75487d8581fcf29d023281e476bd700b6b336e170b01739e8d6a48348a282946"},
      {255, "4a676cb8a52a8a8777457da3c85d8ce899db744e10b93c308a97c0a30238fe2d"},
      {256, "a85234b7fb59d4c74e620c8fa4fcc7162655c3cea4a12717cbdab7154e5c6ac0"},
      {1000, "457ae06fcc47779e58e3c15b7e8b49c026d5f362b1db62d97c46e604602fc254"},
      {4095, "71644575084f7239fd5b205713faf57f4e1e8f1226e65be0e340c4a510554b4c"},
      {4096, "eae53fa617c78359ff1a4b184fa4cef5a37c11ab8c0822519777482b41c3b363"},
      {10000, "55971abfae45f61687551937c2b7b66b116805744d79487fd5df5de4541fc488"},
  };
  for (const Golden& golden : kGolden) {
    std::vector<Bytes> leaves;
    for (std::size_t i = 0; i < golden.size; ++i) {
      leaves.push_back({static_cast<std::uint8_t>(i & 0xff), static_cast<std::uint8_t>(i >> 8)});
    }
    EXPECT_EQ(ToHex(MerkleRoot(HashAlgorithm::kSha256, leaves)), golden.root)
        << "tree of " << golden.size;
  }
}

// The RFC 6962 §2.1 definitions, recursively and literally, as an independent reference.
std::size_t LargestPowerOfTwoBelow(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Digest ReferenceRoot(HashAlgorithm algorithm, const std::vector<Bytes>& d, std::size_t begin,
                     std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 0) return Hash(algorithm, {});
  if (n == 1) {
    Bytes input = {0x00};
    input.insert(input.end(), d[begin].begin(), d[begin].end());
    return Hash(algorithm, input);
  }
  const std::size_t k = LargestPowerOfTwoBelow(n);
  const Digest left = ReferenceRoot(algorithm, d, begin, begin + k);
  const Digest right = ReferenceRoot(algorithm, d, begin + k, end);
  Bytes input = {0x01};
  input.insert(input.end(), left.begin(), left.end());
  input.insert(input.end(), right.begin(), right.end());
  return Hash(algorithm, input);
}

std::vector<Digest> ReferencePath(HashAlgorithm algorithm, const std::vector<Bytes>& d,
                                  std::size_t m, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 1) return {};
  const std::size_t k = LargestPowerOfTwoBelow(n);
  std::vector<Digest> path;
  if (m < k) {
    path = ReferencePath(algorithm, d, m, begin, begin + k);
    path.push_back(ReferenceRoot(algorithm, d, begin + k, end));
  } else {
    path = ReferencePath(algorithm, d, m - k, begin + k, end);
    path.push_back(ReferenceRoot(algorithm, d, begin, begin + k));
  }
  return path;
}

std::vector<Bytes> NumberedLeaves(std::size_t n) {
  std::vector<Bytes> leaves;
  for (std::size_t i = 0; i < n; ++i) leaves.push_back(ToBytes("leaf " + std::to_string(i)));
  return leaves;
}

class MerkleAlgorithmTest : public ::testing::TestWithParam<HashAlgorithm> {};

INSTANTIATE_TEST_SUITE_P(BothHashes, MerkleAlgorithmTest,
                         ::testing::Values(HashAlgorithm::kSha256, HashAlgorithm::kSm3),
                         [](const auto& param_info) {
                           return param_info.param == HashAlgorithm::kSha256 ? "Sha256" : "Sm3";
                         });

TEST_P(MerkleAlgorithmTest, EveryProofOfTreesUpTo33Leaves) {
  const HashAlgorithm algorithm = GetParam();
  for (std::size_t size = 1; size <= 33; ++size) {
    const std::vector<Bytes> leaves = NumberedLeaves(size);
    const Digest root = MerkleRoot(algorithm, leaves);
    ASSERT_EQ(root, ReferenceRoot(algorithm, leaves, 0, size)) << "size " << size;
    for (std::size_t index = 0; index < size; ++index) {
      SCOPED_TRACE("index " + std::to_string(index) + " of " + std::to_string(size));
      const Result<MerkleProof> proof = MakeInclusionProof(algorithm, leaves, index);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(proof->audit_path, ReferencePath(algorithm, leaves, index, 0, size));
      ASSERT_TRUE(
          VerifyInclusion(algorithm, root, leaves[index], index, size, proof->audit_path).ok());
    }
  }
}

// Mutations after transparency-dev/merkle proof/verify_test.go corruptInclusionProof.
TEST_P(MerkleAlgorithmTest, TamperedProofsAreRejected) {
  const HashAlgorithm algorithm = GetParam();
  const Digest some_hash = Hash(algorithm, AsBytes("some other hash"));
  for (std::size_t size = 1; size <= 33; ++size) {
    const std::vector<Bytes> leaves = NumberedLeaves(size);
    const Digest root = MerkleRoot(algorithm, leaves);
    for (std::uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE("index " + std::to_string(index) + " of " + std::to_string(size));
      const std::vector<Digest> path = MakeInclusionProof(algorithm, leaves, index)->audit_path;
      const Bytes& leaf = leaves[index];
      auto rejects = [&](const Digest& r, ByteView l, std::uint64_t i, std::uint64_t n,
                         const std::vector<Digest>& p) {
        return !VerifyInclusion(algorithm, r, l, i, n, p).ok();
      };
      if (index > 0) {
        EXPECT_TRUE(rejects(root, leaf, index - 1, size, path));
      }
      if (index + 1 < size) {
        EXPECT_TRUE(rejects(root, leaf, index + 1, size, path));
      }
      if ((index ^ 2) < size) {
        EXPECT_TRUE(rejects(root, leaf, index ^ 2, size, path));
      }
      EXPECT_TRUE(rejects(root, leaf, index, size * 2, path));
      if (size > 1) {
        EXPECT_TRUE(rejects(root, leaf, index, size / 2, path));
      }
      EXPECT_TRUE(rejects(root, AsBytes("WrongLeaf"), index, size, path));
      EXPECT_TRUE(rejects(Hash(algorithm, {}), leaf, index, size, path));
      EXPECT_TRUE(rejects(some_hash, leaf, index, size, path));
      std::vector<Digest> longer = path;
      longer.push_back(root);
      EXPECT_TRUE(rejects(root, leaf, index, size, longer));
      std::vector<Digest> prefixed = {root};
      prefixed.insert(prefixed.end(), path.begin(), path.end());
      EXPECT_TRUE(rejects(root, leaf, index, size, prefixed));
      for (std::size_t i = 0; i < path.size(); ++i) {
        std::vector<Digest> flipped = path;
        flipped[i][0] ^= 8;
        EXPECT_TRUE(rejects(root, leaf, index, size, flipped)) << "flipped hash " << i;
      }
      if (!path.empty()) {
        const std::vector<Digest> shorter(path.begin(), path.end() - 1);
        EXPECT_TRUE(rejects(root, leaf, index, size, shorter));
      }
      if (path.size() > 1) {
        std::vector<Digest> inserted = {path[0], some_hash};
        inserted.insert(inserted.end(), path.begin() + 1, path.end());
        EXPECT_TRUE(rejects(root, leaf, index, size, inserted));
      }
    }
  }
}

TEST_P(MerkleAlgorithmTest, SpanOverloadsAgree) {
  const std::vector<Bytes> leaves = NumberedLeaves(13);
  const std::vector<ByteView> views(leaves.begin(), leaves.end());
  EXPECT_EQ(MerkleRoot(GetParam(), leaves), MerkleRoot(GetParam(), views));
  EXPECT_EQ(*MakeInclusionProof(GetParam(), leaves, 7), *MakeInclusionProof(GetParam(), views, 7));
}

TEST_P(MerkleAlgorithmTest, EmptyTreeIsHashOfNothing) {
  EXPECT_EQ(MerkleRoot(GetParam(), std::vector<Bytes>{}), Hash(GetParam(), {}));
}

TEST(MerkleTest, SuitesGiveDifferentRoots) {
  const std::vector<Bytes> leaves = NumberedLeaves(5);
  EXPECT_NE(MerkleRoot(HashAlgorithm::kSha256, leaves), MerkleRoot(HashAlgorithm::kSm3, leaves));
}

TEST(MerkleTest, DuplicatingTheLastLeafChangesTheRoot) {
  // CVE-2012-2459: Bitcoin's tree hashes [a, b, c] and [a, b, c, c] to the same root.
  const std::vector<Bytes> three = NumberedLeaves(3);
  std::vector<Bytes> four = three;
  four.push_back(three.back());
  EXPECT_NE(MerkleRoot(HashAlgorithm::kSha256, three), MerkleRoot(HashAlgorithm::kSha256, four));
}

TEST(MerkleTest, InnerNodeCannotPassAsLeaf) {
  const std::vector<Bytes> two = NumberedLeaves(2);
  const Digest left = MerkleLeafHash(HashAlgorithm::kSha256, two[0]);
  const Digest right = MerkleLeafHash(HashAlgorithm::kSha256, two[1]);
  Bytes concatenated(left.begin(), left.end());
  concatenated.insert(concatenated.end(), right.begin(), right.end());
  EXPECT_EQ(MerkleRoot(HashAlgorithm::kSha256, two),
            MerkleNodeHash(HashAlgorithm::kSha256, left, right));
  EXPECT_NE(MerkleRoot(HashAlgorithm::kSha256, std::vector<Bytes>{concatenated}),
            MerkleRoot(HashAlgorithm::kSha256, two));
}

TEST(MerkleTest, OutOfRangeIndices) {
  const std::vector<Bytes> leaves = NumberedLeaves(4);
  const Result<MerkleProof> proof = MakeInclusionProof(HashAlgorithm::kSha256, leaves, 4);
  ASSERT_FALSE(proof.ok());
  EXPECT_EQ(proof.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(MakeInclusionProof(HashAlgorithm::kSha256, std::vector<Bytes>{}, 0).status().code(),
            StatusCode::kOutOfRange);
  const Digest root = MerkleRoot(HashAlgorithm::kSha256, leaves);
  // transparency-dev/merkle proof/verify_test.go: (index, size) probes that must fail.
  for (const auto& [index, size] :
       std::vector<std::pair<std::uint64_t, std::uint64_t>>{{0, 0}, {1, 0}, {2, 1}, {4, 4}}) {
    EXPECT_EQ(VerifyInclusion(HashAlgorithm::kSha256, root, leaves[0], index, size, {}).code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(
      VerifyInclusion(HashAlgorithm::kSha256, root, leaves[0], UINT64_MAX, UINT64_MAX, {}).code(),
      StatusCode::kInvalidArgument);
}

TEST(MerkleTest, ProofAgainstWrongSizedPathsIsCorruption) {
  const std::vector<Bytes> leaves = NumberedLeaves(6);
  const Digest root = MerkleRoot(HashAlgorithm::kSha256, leaves);
  const MerkleProof proof = *MakeInclusionProof(HashAlgorithm::kSha256, leaves, 2);
  std::vector<Digest> too_long(70, root);
  EXPECT_EQ(VerifyInclusion(HashAlgorithm::kSha256, root, leaves[2], 2, 6, too_long).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(VerifyInclusion(HashAlgorithm::kSha256, root, leaves[2], 2, 6, {}).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(VerifyInclusion(HashAlgorithm::kSha256, root, leaves[3], 2, 6, proof.audit_path).code(),
            StatusCode::kCorruption);
  // A single-leaf tree needs no path, and its root is the leaf hash.
  EXPECT_TRUE(VerifyInclusion(HashAlgorithm::kSha256,
                              MerkleLeafHash(HashAlgorithm::kSha256, AsBytes("data")),
                              AsBytes("data"), 0, 1, {})
                  .ok());
}

}  // namespace
}  // namespace colend::crypto
