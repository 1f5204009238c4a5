// Cheap deterministic stand-ins for validator keys, for the simulator and unit tests.
//
// A "signature" is the first 16 bytes of SHA-256(secret || 0x00 || domain || 0x00 || body)
// with a per-validator secret: unforgeable for code that does not hold the secret (the
// simulator gives each byzantine replica only its own), about 100 times cheaper than ECDSA
// and fully deterministic, so a failing seed replays exactly.
//
// Thread safety: immutable after construction.
#ifndef COLEND_SIM_FAKE_CRYPTO_H_
#define COLEND_SIM_FAKE_CRYPTO_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "colend/consensus/signer.h"

namespace colend::sim {

// The secret the simulator gives validator `node_id` in a run seeded with `seed`.
std::string FakeSecret(std::string_view node_id, std::uint64_t seed);

class FakeSigner final : public consensus::MessageSigner {
 public:
  explicit FakeSigner(std::string secret) : secret_(std::move(secret)) {}
  Result<Bytes> Sign(ByteView body) const override;

 private:
  std::string secret_;
};

class FakeVerifier final : public consensus::SignatureVerifier {
 public:
  // node id -> secret.
  explicit FakeVerifier(std::map<std::string, std::string, std::less<>> secrets)
      : secrets_(std::move(secrets)) {}
  Status Verify(std::string_view validator, ByteView body, ByteView signature) const override;

 private:
  std::map<std::string, std::string, std::less<>> secrets_;
};

// The fake signature itself (exposed for tests that check the verifier).
Bytes FakeSignature(std::string_view secret, ByteView body);

}  // namespace colend::sim

#endif  // COLEND_SIM_FAKE_CRYPTO_H_
