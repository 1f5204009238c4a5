// X.509 certificates for the consortium's node-to-node TLS (docs/architecture.md, node/p2p).
//
// The consortium CA (a self-signed certificate made by MakeCaCertificate and carried in
// the genesis) issues each validator one certificate whose subject public key IS that
// validator's key (Validator.public_key in the genesis) and whose subject common name is
// the validator's node id; the node id is also written as a SAN URI "urn:colend:node:<id>".
// A peer is therefore identified by the TLS session itself, without a second key.
//
// Signatures follow the key's suite: ECDSA with SHA-256 for "standard" (P-256) keys, SM2
// with SM3 for "sm" keys, using the SM2 distinguishing id "1234567812345678" (the GM/T 0009
// default, the same one colend uses for every SM2 signature). A certificate is signed by
// a key of one suite only; mixing suites between a CA and its nodes is refused.
//
// Node ids are 1-64 characters of A-Z a-z 0-9 . _ - (the genesis rule); anything else is
// InvalidArgument. PEM inputs must hold exactly one "CERTIFICATE" block (whitespace around
// it allowed) and at most kMaxCertificatePemSize bytes.
//
// Thread safety: every function is a pure function of its arguments (plus the clock and
// OpenSSL's random generator) and may be called from any thread.
#ifndef COLEND_CRYPTO_X509_H_
#define COLEND_CRYPTO_X509_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/keys.h"

namespace colend::crypto {

inline constexpr std::size_t kMaxCertificatePemSize = 64 * 1024;
// Validity is at least one day and at most this many days (100 years).
inline constexpr std::uint32_t kMaxCertificateValidityDays = 36500;
// notBefore is set this many seconds before "now", so that nodes whose clocks run a little
// behind the issuer's accept a freshly issued certificate.
inline constexpr std::int64_t kCertificateBackdateSeconds = 300;

// A self-signed CA certificate in PEM: subject = issuer = CN=<common_name>, basicConstraints
// critical CA:TRUE (pathlen 0), keyUsage critical keyCertSign|cRLSign, random 128-bit
// serial, valid from now - kCertificateBackdateSeconds for `validity_days` days.
// Fails with InvalidArgument for an empty or over-64-byte common name or a validity outside
// [1, kMaxCertificateValidityDays]; kInternal if OpenSSL fails.
Result<std::string> MakeCaCertificate(const PrivateKey& ca_key, std::string_view common_name,
                                      std::uint32_t validity_days);

// A node certificate in PEM, issued by the CA whose certificate is `ca_cert_pem` and whose
// key is `ca_key`: subject CN=<node_id>, SAN URI urn:colend:node:<node_id>, subject key
// `node_key`, basicConstraints critical CA:FALSE, keyUsage critical digitalSignature,
// extendedKeyUsage serverAuth+clientAuth, random 128-bit serial.
// Fails with InvalidArgument for a bad node id or validity, a CA certificate that does not
// parse, is not a CA, or whose key is not `ca_key`, or a node key of another suite than the
// CA key; kInternal if OpenSSL fails.
Result<std::string> IssueNodeCertificate(const PrivateKey& ca_key, std::string_view ca_cert_pem,
                                         const PublicKey& node_key, std::string_view node_id,
                                         std::uint32_t validity_days);

// What a certificate says, without judging it (see VerifyCertificateIssuedBy for that).
struct CertificateInfo {
  std::string common_name;  // the one subject CN (empty if the subject has none)
  // The subject public key as DER SubjectPublicKeyInfo. For certificates made here this is
  // byte-for-byte PublicKey::ToDer() of the key, so it can be compared with the genesis.
  Bytes public_key_der;
  std::string issuer;      // the issuer name, RFC 2253 ("CN=colend test CA")
  std::string serial_hex;  // upper-case hex of the serial number
  bool is_ca = false;      // basicConstraints CA:TRUE
  std::int64_t not_before_unix = 0;
  std::int64_t not_after_unix = 0;
};

// Parses one PEM certificate. Fails with InvalidArgument for anything that is not exactly
// one well-formed certificate, or one with more than one subject CN.
Result<CertificateInfo> InspectCertificate(std::string_view cert_pem);

// OK when `cert_pem` is signed by the key of `ca_cert_pem`, names it as issuer, is within
// its validity period now, and `ca_cert_pem` is a valid self-signed CA certificate
// (CA:TRUE, keyCertSign, within its own validity period). Otherwise PermissionDenied with
// OpenSSL's verification reason ("certificate signature failure", "certificate has
// expired", ...), or InvalidArgument if either PEM does not parse.
Status VerifyCertificateIssuedBy(std::string_view cert_pem, std::string_view ca_cert_pem);

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_X509_H_
