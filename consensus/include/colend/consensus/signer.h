// Signing and checking consensus messages.
//
// Every consensus message body is signed by its validator's node key over
//     "colend/consensus/v1" || 0x00 || body
// (crypto::Sign's domain-separated form). The replica never touches keys itself: it is given
// a MessageSigner for its own key and a SignatureVerifier that knows every validator's key.
// Production uses NodeKeySigner and ValidatorKeyring below (crypto/); the deterministic
// simulator injects a cheap keyed-hash fake so a thousand runs fit in CI.
#ifndef COLEND_CONSENSUS_SIGNER_H_
#define COLEND_CONSENSUS_SIGNER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <string_view>
#include <utility>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"

namespace colend::consensus {

inline constexpr std::string_view kConsensusDomain = "colend/consensus/v1";

// Signs message bodies with this validator's node key.
// Thread safety: implementations must allow concurrent Sign calls.
class MessageSigner {
 public:
  virtual ~MessageSigner() = default;
  // The signature over the domain-separated body. Fails only if the key cannot sign
  // (kInternal); the replica then sends nothing.
  virtual Result<Bytes> Sign(ByteView body) const = 0;
};

// Checks a signature claimed by a validator.
// Thread safety: implementations must allow concurrent Verify calls.
class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  // OK if `signature` is `validator`'s valid signature over the domain-separated `body`;
  // kNotFound for a validator without a key; any other failure for a bad signature.
  virtual Status Verify(std::string_view validator, ByteView body, ByteView signature) const = 0;
};

// Production signer: crypto::Sign(key, kConsensusDomain, body).
// Ownership: owns the private key. Thread safety: Sign may be called concurrently.
class NodeKeySigner final : public MessageSigner {
 public:
  explicit NodeKeySigner(crypto::PrivateKey key) : key_(std::move(key)) {}
  Result<Bytes> Sign(ByteView body) const override;

 private:
  crypto::PrivateKey key_;
};

// Production verifier: the validators' node public keys, by node id.
// Ownership: holds copies of the public keys. Thread safety: immutable; Verify is safe
// from any thread.
class ValidatorKeyring final : public SignatureVerifier {
 public:
  // Fails with kInvalidArgument for an empty id, a repeated id, a repeated key (a vote is
  // attributed to the one validator whose key verifies it) or keys of different suites.
  static Result<std::unique_ptr<ValidatorKeyring>> Create(
      std::vector<std::pair<std::string, crypto::PublicKey>> keys);

  Status Verify(std::string_view validator, ByteView body, ByteView signature) const override;

 private:
  explicit ValidatorKeyring(std::map<std::string, crypto::PublicKey, std::less<>> keys)
      : keys_(std::move(keys)) {}

  std::map<std::string, crypto::PublicKey, std::less<>> keys_;
};

// A verifier that checks each signed message once per node. A consensus message is often
// checked again after it first arrived: the PREPAREs and PRE-PREPARE quoted in a
// VIEW-CHANGE's prepared certificates, the VIEW-CHANGEs quoted in a NEW-VIEW (and the
// certificates inside those), the COMMITs of a commit certificate in a sync response or a
// Hello. At n validators a view change re-checks O(n^2) signatures this way
// (docs/scaling.md); with this cache only the ones never seen before cost a signature check.
//
// Only successes are remembered, keyed by SHA-256 over (validator, body, signature) with
// length prefixes, so a hit means these exact bytes verified before under this verifier's
// keys; a failure is checked in full every time, as without the cache. Signature
// verification is deterministic, so the cache changes the cost, never a result: replicas
// stay pure state machines with it. At most `capacity` entries (32 bytes each plus the
// containers' overhead); the oldest is forgotten first.
//
// Ownership: shares `inner`. Thread safety: Verify may be called from any thread (a mutex
// guards the cache; the inner check runs outside it).
class CachingVerifier final : public SignatureVerifier {
 public:
  static constexpr std::size_t kDefaultCapacity = 1 << 16;

  explicit CachingVerifier(std::shared_ptr<const SignatureVerifier> inner,
                           std::size_t capacity = kDefaultCapacity);

  Status Verify(std::string_view validator, ByteView body, ByteView signature) const override;

  struct Stats {
    std::uint64_t hits = 0;    // answered from the cache
    std::uint64_t checks = 0;  // passed to the inner verifier
    std::size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct DigestHash {
    std::size_t operator()(const crypto::Digest& d) const;
  };

  const std::shared_ptr<const SignatureVerifier> inner_;
  const std::size_t capacity_;
  mutable std::mutex mu_;
  mutable std::unordered_set<crypto::Digest, DigestHash> verified_;  // guarded by mu_
  mutable std::deque<crypto::Digest> order_;                         // oldest first; mu_
  mutable Stats stats_;                                              // guarded by mu_
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_SIGNER_H_
