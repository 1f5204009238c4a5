#include "colend/crypto/hash.h"

#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "colend/common/bytes.h"

namespace colend::crypto {
namespace {

std::string HexOf(const Digest& digest) {
  return ToHex(digest);
}

// FIPS 180-2 Appendix B (SHA-256 examples) and the digest of the empty string.
TEST(HashTest, Sha256PublishedVectors) {
  EXPECT_EQ(HexOf(Hash(HashAlgorithm::kSha256, AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf(Hash(HashAlgorithm::kSha256, {})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexOf(Hash(HashAlgorithm::kSha256,
                       AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HashTest, Sha256MillionA) {
  const std::string million_a(1000000, 'a');
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(HexOf(Hash(HashAlgorithm::kSha256, AsBytes(million_a))), expected);
  // The same input fed in uneven pieces through the incremental interface.
  Hasher hasher(HashAlgorithm::kSha256);
  std::size_t fed = 0;
  for (std::size_t piece = 1; fed < million_a.size(); piece = piece * 3 + 1) {
    const std::size_t n = std::min(piece, million_a.size() - fed);
    hasher.Update(AsBytes(std::string_view(million_a).substr(fed, n)));
    fed += n;
  }
  EXPECT_EQ(HexOf(hasher.Finish()), expected);
}

// GB/T 32905-2016 Appendix A: example 1 ("abc") and example 2 ("abcd" x 16, 512 bits).
TEST(HashTest, Sm3PublishedVectors) {
  EXPECT_EQ(HexOf(Hash(HashAlgorithm::kSm3, AsBytes("abc"))),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  std::string abcd16;
  for (int i = 0; i < 16; ++i) abcd16 += "abcd";
  EXPECT_EQ(HexOf(Hash(HashAlgorithm::kSm3, AsBytes(abcd16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
  EXPECT_EQ(HexOf(Hash(HashAlgorithm::kSm3, {})),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");
}

TEST(HashTest, AlgorithmsDiffer) {
  EXPECT_NE(Hash(HashAlgorithm::kSha256, AsBytes("abc")),
            Hash(HashAlgorithm::kSm3, AsBytes("abc")));
  EXPECT_EQ(HashAlgorithmName(HashAlgorithm::kSha256), "SHA-256");
  EXPECT_EQ(HashAlgorithmName(HashAlgorithm::kSm3), "SM3");
}

TEST(HashTest, IncrementalEqualsOneShotAtEverySplit) {
  std::mt19937 rng(20240611);
  Bytes data(300);
  for (auto& byte : data) byte = static_cast<std::uint8_t>(rng());
  for (HashAlgorithm algorithm : {HashAlgorithm::kSha256, HashAlgorithm::kSm3}) {
    const Digest expected = Hash(algorithm, data);
    for (std::size_t split = 0; split <= data.size(); ++split) {
      Hasher hasher(algorithm);
      hasher.Update(ByteView(data).first(split)).Update(ByteView(data).subspan(split));
      ASSERT_EQ(hasher.Finish(), expected) << "split at " << split;
    }
  }
}

TEST(HashTest, FinishStartsOver) {
  Hasher hasher(HashAlgorithm::kSm3);
  hasher.Update(AsBytes("first message"));
  const Digest first = hasher.Finish();
  EXPECT_EQ(first, Hash(HashAlgorithm::kSm3, AsBytes("first message")));
  EXPECT_EQ(hasher.Finish(), Hash(HashAlgorithm::kSm3, {}));
  hasher.Update(AsBytes("abc"));
  EXPECT_EQ(HexOf(hasher.Finish()),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

TEST(HashTest, MovedHasherKeepsItsState) {
  Hasher original(HashAlgorithm::kSha256);
  original.Update(AsBytes("ab"));
  Hasher moved(std::move(original));
  moved.Update(AsBytes("c"));
  EXPECT_EQ(HexOf(moved.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Hasher assigned(HashAlgorithm::kSm3);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.algorithm(), HashAlgorithm::kSha256);
}

TEST(HashTest, ConcurrentHashingIsIndependent) {
  // Several threads share the process-wide fetched digests; each must get its own answer.
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<std::thread> threads;
  std::vector<int> mismatches(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &mismatches] {
      const HashAlgorithm algorithm = t % 2 == 0 ? HashAlgorithm::kSha256 : HashAlgorithm::kSm3;
      const std::string expected =
          algorithm == HashAlgorithm::kSha256
              ? "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
              : "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
      for (int i = 0; i < kRounds; ++i) {
        if (ToHex(Hash(algorithm, AsBytes("abc"))) != expected) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace colend::crypto
