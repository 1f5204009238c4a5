// Signing and verification for both suites, over messages (the digest is computed here).
//
// What is signed:
//   standard: ECDSA over SHA-256(data), P-256 (FIPS 186-4).
//   sm:       SM2 over SM3(Z || data), Z computed per GB/T 32918.2 with the default
//             distinguishing identifier "1234567812345678" (GB/T 35276).
// where data is the message itself, or for the domain-separated form
//   data = domain || 0x00 || message.
// The protocol signs every object with a fixed domain ("colend/tx/v1", "colend/vote/v1"…),
// so a signature made for one kind of object never verifies as another kind.
//
// Encoding: DER SEQUENCE { r INTEGER, s INTEGER }, at most kMaxSignatureSize bytes.
// Verify accepts strict DER only (minimal lengths and integers, no trailing bytes) with
// 1 <= r, s < n. ECDSA signatures must also be low-S (s <= n/2): Sign always produces
// that form and Verify rejects the high-S twin, so a third party cannot turn a valid
// signature into a second valid one (malleability). SM2 has no such twin: (r, n-s) is not
// a valid SM2 signature of the same message, so no low-S rule applies to it.
//
// Signatures are randomised (a fresh nonce each time), so two signatures of one message
// differ: identify objects by the hash of their signed bytes, never by their signature.
//
// Verify results:
//   OK                  the signature is valid for this key and data.
//   kInvalidArgument    the signature is not a well-formed, canonical encoding, or the
//                       domain is invalid; nothing was checked against the key.
//   kPermissionDenied   the encoding is fine but the signature does not verify under this
//                       key for this data (wrong key, altered message or signature).
//   kInternal           OpenSSL failed unexpectedly (out of memory).
// Thread safety: all functions are safe to call concurrently, including with the same key.
#ifndef COLEND_CRYPTO_SIGNATURE_H_
#define COLEND_CRYPTO_SIGNATURE_H_

#include <cstddef>
#include <string_view>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/keys.h"

namespace colend::crypto {

// 2 (SEQUENCE) + 2 * (2 + 33) (INTEGERs with a sign byte).
inline constexpr std::size_t kMaxSignatureSize = 72;

// A valid domain: 1..64 bytes of printable ASCII (0x21..0x7e), so it can never contain the
// 0x00 separator and domain || 0x00 || message is unambiguous.
inline constexpr std::size_t kMaxDomainSize = 64;
Status ValidateDomain(std::string_view domain);

// Signs `message` itself. For interoperability and test vectors; protocol objects use the
// domain-separated form.
Result<Bytes> Sign(const PrivateKey& key, ByteView message);
Status Verify(const PublicKey& key, ByteView message, ByteView der_signature);

// Signs domain || 0x00 || message. The message is fed to the digest in place, not copied.
// Fails with kInvalidArgument if ValidateDomain(domain) fails.
Result<Bytes> Sign(const PrivateKey& key, std::string_view domain, ByteView message);
Status Verify(const PublicKey& key, std::string_view domain, ByteView message,
              ByteView der_signature);

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_SIGNATURE_H_
