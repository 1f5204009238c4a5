// Signing keys: PrivateKey (signs) and PublicKey (verifies, names a signer by its KeyId).
//
// Every key belongs to exactly one CryptoSuite. Loading a key of another suite, of another
// curve, with explicit curve parameters, or with a point that is not on the curve fails
// with InvalidArgument; no input makes these functions crash or abort.
//
// Encodings:
//   raw  — the 65-byte uncompressed SEC1 point 0x04 || X || Y (both suites). This is what
//          a KeyId is derived from.
//   DER  — SubjectPublicKeyInfo with the named curve and the uncompressed point, exactly as
//          ToDer writes it. This is what transactions, the governance contract and the
//          genesis carry (tx.proto ClientKey.public_key, Validator.public_key). FromDer
//          accepts that one encoding only, so one key has exactly one byte form on the chain.
//   PEM  — SubjectPublicKeyInfo ("PUBLIC KEY") for public keys; unencrypted PKCS#8
//          ("PRIVATE KEY") for private keys. One PEM block, optionally surrounded by
//          whitespace; nothing else.
//
// KeyId: the first 16 bytes of
//   suite-hash("colend/key-id/v1" || 0x00 || suite name || 0x00 || raw public key),
// where suite-hash is SHA-256 for "standard" and SM3 for "sm". The suite name is inside
// the hash so that the same point can never have the same id under two suites.
#ifndef COLEND_CRYPTO_KEYS_H_
#define COLEND_CRYPTO_KEYS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/crypto/suite.h"

namespace colend::crypto {

inline constexpr std::size_t kRawPublicKeySize = 65;
inline constexpr std::size_t kKeyIdSize = 16;
inline constexpr std::string_view kKeyIdDomain = "colend/key-id/v1";

namespace internal {
struct PublicKeyState;
struct PrivateKeyState;
class KeyAccess;
}  // namespace internal

// A validated public key.
//
// Ownership: shares an immutable OpenSSL key with its copies; copying is cheap (a
// reference count). A moved-from PublicKey may only be assigned to or destroyed.
// Thread safety: immutable; any number of threads may use one PublicKey (and its copies)
// at the same time.
class PublicKey {
 public:
  // Parses a raw uncompressed point. Fails with InvalidArgument unless `raw` is exactly 65
  // bytes starting 0x04 and the point lies on the suite's curve.
  static Result<PublicKey> FromRaw(CryptoSuite suite, ByteView raw);

  // Parses one "PUBLIC KEY" PEM block. Fails with InvalidArgument for malformed or
  // truncated PEM/DER, a key of another algorithm or curve, or explicit curve parameters.
  static Result<PublicKey> FromPem(CryptoSuite suite, std::string_view pem);

  // Parses a DER SubjectPublicKeyInfo. Fails with InvalidArgument for malformed DER,
  // trailing bytes, a key of another algorithm or curve, explicit curve parameters, and any
  // encoding other than the canonical one ToDer produces (a compressed point, for example).
  static Result<PublicKey> FromDer(CryptoSuite suite, ByteView der);

  CryptoSuite suite() const;

  // The 65-byte 0x04 || X || Y encoding.
  const Bytes& raw() const;
  Bytes ToRaw() const { return raw(); }

  // SubjectPublicKeyInfo PEM (named curve, uncompressed point). Fails only if OpenSSL
  // cannot encode (out of memory): kInternal.
  Result<std::string> ToPem() const;

  // SubjectPublicKeyInfo DER (named curve, uncompressed point): 91 bytes for both suites.
  // Fails only if OpenSSL cannot encode (out of memory): kInternal.
  Result<Bytes> ToDer() const;

  // The 16-byte key id (see the file comment) and its 32-character lower-case hex form.
  const Bytes& key_id() const;
  std::string KeyIdHex() const;

  // Same suite and same point.
  friend bool operator==(const PublicKey& a, const PublicKey& b);

 private:
  friend class internal::KeyAccess;
  explicit PublicKey(std::shared_ptr<const internal::PublicKeyState> state);

  std::shared_ptr<const internal::PublicKeyState> state_;
};

// A validated private key with its public key.
//
// Ownership: owns its OpenSSL key, which OpenSSL wipes when it is freed. Move-only, so a
// secret has one owner and is never duplicated by accident. A moved-from PrivateKey may
// only be assigned to or destroyed.
// Thread safety: immutable after construction; several threads may sign with one
// PrivateKey at the same time.
class PrivateKey {
 public:
  // A fresh key from OpenSSL's DRBG (seeded from the operating system).
  static Result<PrivateKey> Generate(CryptoSuite suite);

  // Parses one unencrypted PKCS#8 "PRIVATE KEY" PEM block. Encrypted keys are refused (no
  // passphrase prompt is ever shown). Fails with InvalidArgument for malformed PEM/DER, a
  // key of another algorithm or curve, explicit curve parameters, a scalar out of range,
  // or a public key in the file that does not belong to the private scalar.
  static Result<PrivateKey> FromPem(CryptoSuite suite, std::string_view pem);

  ~PrivateKey();
  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  CryptoSuite suite() const;
  const PublicKey& public_key() const;

  // Unencrypted PKCS#8 PEM. The result is secret: the caller must protect it (file mode
  // 0600, no logging) and should overwrite it when done. kInternal only if OpenSSL cannot
  // encode.
  Result<std::string> ToPem() const;

 private:
  friend class internal::KeyAccess;
  explicit PrivateKey(std::unique_ptr<const internal::PrivateKeyState> state);

  std::unique_ptr<const internal::PrivateKeyState> state_;
};

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_KEYS_H_
