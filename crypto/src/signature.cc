#include "colend/crypto/signature.h"

#include <openssl/evp.h>

#include <array>
#include <string>

#include "der_signature.h"
#include "key_internal.h"
#include "openssl_util.h"

namespace colend::crypto {
namespace {

using internal::KeyAccess;
using internal::PublicKeyState;
using internal::Scalar;
using internal::SignatureScalars;

constexpr std::uint8_t kDomainSeparator[1] = {0x00};

const Scalar& GroupOrder(CryptoSuite suite) {
  return suite == CryptoSuite::Standard() ? internal::kP256Order : internal::kSm2Order;
}

const Scalar& P256HalfOrder() {
  static const Scalar half = internal::HalveScalar(internal::kP256Order);
  return half;
}

// The value the curve arithmetic signs: e = H(data) for ECDSA, e = SM3(Z || data) for SM2.
// `domain` is null for the plain form. The pieces go to the hash one after another, so a
// large message is never copied to prepend the domain.
Digest SigningDigest(const PublicKeyState& key, const std::string_view* domain, ByteView message) {
  Hasher hasher(key.suite.hash());
  if (key.suite == CryptoSuite::Sm()) hasher.Update(key.sm2_z);
  if (domain != nullptr) hasher.Update(AsBytes(*domain)).Update(kDomainSeparator);
  hasher.Update(message);
  return hasher.Finish();
}

// Everything about a signature that can be judged without the key.
Status CheckSignatureEncoding(CryptoSuite suite, ByteView der) {
  if (der.size() > kMaxSignatureSize) {
    return Status::InvalidArgument("signature is " + std::to_string(der.size()) +
                                   " bytes; a DER signature is at most " +
                                   std::to_string(kMaxSignatureSize));
  }
  COLEND_ASSIGN_OR_RETURN(const SignatureScalars scalars, internal::ParseDerSignature(der));
  const Scalar& order = GroupOrder(suite);
  if (internal::IsZero(scalars.r) || internal::CompareScalars(scalars.r, order) >= 0) {
    return Status::InvalidArgument("signature r is outside [1, n-1]");
  }
  if (internal::IsZero(scalars.s) || internal::CompareScalars(scalars.s, order) >= 0) {
    return Status::InvalidArgument("signature s is outside [1, n-1]");
  }
  if (suite == CryptoSuite::Standard() &&
      internal::CompareScalars(scalars.s, P256HalfOrder()) > 0) {
    return Status::InvalidArgument(
        "ECDSA signature is not canonical: s is above n/2 (high-S); only the low-S form "
        "is accepted, so a signature cannot be altered into a second valid one");
  }
  return Status::Ok();
}

Status VerifyData(const PublicKey& key, const std::string_view* domain, ByteView message,
                  ByteView der_signature) {
  const PublicKeyState& state = KeyAccess::State(key);
  if (domain != nullptr) COLEND_RETURN_IF_ERROR(ValidateDomain(*domain));
  COLEND_RETURN_IF_ERROR(CheckSignatureEncoding(state.suite, der_signature));
  const Digest digest = SigningDigest(state, domain, message);

  auto ctx = state.verify_contexts.Acquire(state.pkey.get());
  if (!ctx.has_value()) {
    return internal::OpenSslFailure(StatusCode::kInternal, "cannot start signature verification");
  }
  // No digest is set on the context, so OpenSSL takes `digest` as the value e to verify:
  // for SM2 that is exactly SM3(Z || data), which is why Z is hashed in above.
  if (EVP_PKEY_verify(ctx->get(), der_signature.data(), der_signature.size(), digest.data(),
                      digest.size()) == 1) {
    return Status::Ok();
  }
  internal::ClearOpenSslErrors();
  return Status::PermissionDenied("signature does not verify under key " + key.KeyIdHex() + " (" +
                                  std::string(state.suite.name()) + ") for the data given");
}

Result<Bytes> SignData(const PrivateKey& key, const std::string_view* domain, ByteView message) {
  const internal::PrivateKeyState& state = KeyAccess::State(key);
  if (domain != nullptr) COLEND_RETURN_IF_ERROR(ValidateDomain(*domain));
  const Digest digest = SigningDigest(KeyAccess::State(state.public_key), domain, message);

  auto ctx = state.sign_contexts.Acquire(state.pkey.get());
  if (!ctx.has_value()) {
    return internal::OpenSslFailure(StatusCode::kInternal, "cannot start signing");
  }
  std::array<std::uint8_t, kMaxSignatureSize> buffer{};
  std::size_t length = buffer.size();
  if (EVP_PKEY_sign(ctx->get(), buffer.data(), &length, digest.data(), digest.size()) != 1) {
    return internal::OpenSslFailure(StatusCode::kInternal, "signing failed");
  }
  Result<SignatureScalars> parsed = internal::ParseDerSignature(ByteView(buffer).first(length));
  if (!parsed.ok()) {
    return Status::Internal("OpenSSL produced a signature that is not strict DER: " +
                            parsed.status().message());
  }
  SignatureScalars scalars = *parsed;
  // (r, s) and (r, n - s) are both valid ECDSA signatures; emit the one Verify accepts.
  if (state.suite == CryptoSuite::Standard() &&
      internal::CompareScalars(scalars.s, P256HalfOrder()) > 0) {
    scalars.s = internal::SubtractScalars(internal::kP256Order, scalars.s);
  }
  return internal::EncodeDerSignature(scalars);
}

}  // namespace

Status ValidateDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > kMaxDomainSize) {
    return Status::InvalidArgument("signature domain must be 1 to " +
                                   std::to_string(kMaxDomainSize) + " bytes, got " +
                                   std::to_string(domain.size()));
  }
  for (char c : domain) {
    if (c < 0x21 || c > 0x7e) {
      return Status::InvalidArgument(
          "signature domain must be printable ASCII without spaces or NUL");
    }
  }
  return Status::Ok();
}

Result<Bytes> Sign(const PrivateKey& key, ByteView message) {
  return SignData(key, nullptr, message);
}

Result<Bytes> Sign(const PrivateKey& key, std::string_view domain, ByteView message) {
  return SignData(key, &domain, message);
}

Status Verify(const PublicKey& key, ByteView message, ByteView der_signature) {
  return VerifyData(key, nullptr, message, der_signature);
}

Status Verify(const PublicKey& key, std::string_view domain, ByteView message,
              ByteView der_signature) {
  return VerifyData(key, &domain, message, der_signature);
}

}  // namespace colend::crypto
