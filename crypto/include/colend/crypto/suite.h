// CryptoSuite: the signature scheme and hash function a chain uses, fixed in its genesis.
//
//   "standard": ECDSA over NIST P-256 with SHA-256 (FIPS 186-4).
//   "sm":       SM2 signatures on the SM2 recommended curve with SM3 (GB/T 32918, GB/T 32905).
//
// Every node of one chain must use the same suite: key ids, Merkle roots and signatures
// differ between suites, so mixing them cannot silently "work".
// Thread safety: an immutable value.
#ifndef COLEND_CRYPTO_SUITE_H_
#define COLEND_CRYPTO_SUITE_H_

#include <cstdint>
#include <string_view>

#include "colend/common/result.h"
#include "colend/crypto/hash.h"

namespace colend::crypto {

class CryptoSuite {
 public:
  enum class Id : std::uint8_t { kStandard, kSm };

  static constexpr std::string_view kStandardName = "standard";
  static constexpr std::string_view kSmName = "sm";

  // Parses a suite name exactly as written in a genesis file ("standard" or "sm"; no other
  // spelling or case). Fails with InvalidArgument for an unknown name and with
  // FailedPrecondition when the linked OpenSSL cannot provide the suite's algorithms, so a
  // misconfigured node stops at start-up with a sentence instead of at its first signature.
  static Result<CryptoSuite> FromName(std::string_view name);

  // The suites themselves, for code and tests that name one directly. They do not check
  // OpenSSL availability; FromName does.
  static constexpr CryptoSuite Standard() { return CryptoSuite(Id::kStandard); }
  static constexpr CryptoSuite Sm() { return CryptoSuite(Id::kSm); }

  constexpr Id id() const { return id_; }
  // The genesis spelling: "standard" or "sm".
  constexpr std::string_view name() const { return id_ == Id::kStandard ? kStandardName : kSmName; }
  constexpr HashAlgorithm hash() const {
    return id_ == Id::kStandard ? HashAlgorithm::kSha256 : HashAlgorithm::kSm3;
  }
  // A human description for logs: "ECDSA P-256 with SHA-256" or "SM2 with SM3".
  constexpr std::string_view description() const {
    return id_ == Id::kStandard ? "ECDSA P-256 with SHA-256" : "SM2 with SM3";
  }

  friend constexpr bool operator==(CryptoSuite a, CryptoSuite b) { return a.id_ == b.id_; }

 private:
  explicit constexpr CryptoSuite(Id id) : id_(id) {}

  Id id_;
};

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_SUITE_H_
