// Cryptographic hashing: SHA-256 and SM3, one-shot and incremental.
//
// Both algorithms produce 32-byte digests, so one Digest type serves every suite and a
// Merkle tree or key id never needs to know which suite made it.
//
// Hashing bytes in memory has no expected failure, so these functions return values, not
// Result. If the linked OpenSSL cannot provide an algorithm at all (for example a FIPS-only
// configuration without SM3) the first use aborts with that sentence: a node must not run
// half-configured. CryptoSuite::FromName checks availability up front, so a node started
// from a genesis that names an unavailable suite fails with a Status before reaching here.
#ifndef COLEND_CRYPTO_HASH_H_
#define COLEND_CRYPTO_HASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "colend/common/bytes.h"

namespace colend::crypto {

enum class HashAlgorithm : std::uint8_t { kSha256, kSm3 };

inline constexpr std::size_t kDigestSize = 32;
using Digest = std::array<std::uint8_t, kDigestSize>;

// "SHA-256" or "SM3", for logs and error messages.
std::string_view HashAlgorithmName(HashAlgorithm algorithm);

// The digest of `data`. Thread-safe.
Digest Hash(HashAlgorithm algorithm, ByteView data);

// Incremental hashing of data that arrives in pieces, without first copying it together.
//
// Ownership: owns its OpenSSL digest context. Move-only; a moved-from Hasher may only be
// assigned to or destroyed.
// Thread safety: one Hasher belongs to one thread at a time; distinct Hashers are
// independent.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&& other) noexcept;
  Hasher& operator=(Hasher&& other) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  HashAlgorithm algorithm() const { return algorithm_; }

  // Appends `data` to the input. Returns *this so updates can be chained.
  Hasher& Update(ByteView data);

  // Returns the digest of everything passed to Update since construction or the previous
  // Finish, and starts over with empty input so the Hasher can be reused.
  Digest Finish();

 private:
  struct State;

  HashAlgorithm algorithm_;
  std::unique_ptr<State> state_;
};

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_HASH_H_
