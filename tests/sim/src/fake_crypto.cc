#include "colend/sim/fake_crypto.h"

#include "colend/crypto/hash.h"

namespace colend::sim {

std::string FakeSecret(std::string_view node_id, std::uint64_t seed) {
  return std::string(node_id) + "/secret/" + std::to_string(seed);
}

Bytes FakeSignature(std::string_view secret, ByteView body) {
  static constexpr std::uint8_t kZero[1] = {0};
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
  hasher.Update(AsBytes(secret))
      .Update(kZero)
      .Update(AsBytes(consensus::kConsensusDomain))
      .Update(kZero)
      .Update(body);
  const crypto::Digest digest = hasher.Finish();
  return Bytes(digest.begin(), digest.begin() + 16);
}

Result<Bytes> FakeSigner::Sign(ByteView body) const {
  return FakeSignature(secret_, body);
}

Status FakeVerifier::Verify(std::string_view validator, ByteView body, ByteView signature) const {
  const auto it = secrets_.find(validator);
  if (it == secrets_.end()) return Status::NotFound("no key for validator");
  const Bytes expected = FakeSignature(it->second, body);
  if (!ConstantTimeEqual(expected, signature)) {
    return Status::PermissionDenied("fake signature does not verify");
  }
  return Status::Ok();
}

}  // namespace colend::sim
