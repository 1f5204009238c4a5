// What the p2p layer reads from a certificate (identity, key, fingerprint, expiry) and how
// it words an expiry. Internal to colend_node_p2p; the parsing itself is crypto's
// InspectCertificate (the one parser of certificates in colend).
#ifndef COLEND_NODE_P2P_SRC_CERTIFICATES_H_
#define COLEND_NODE_P2P_SRC_CERTIFICATES_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "colend/common/bytes.h"
#include "colend/common/result.h"

namespace colend::node::internal {

// One certificate as the admission rules see it.
struct PeerCertificate {
  std::string common_name;
  Bytes public_key_der;     // SubjectPublicKeyInfo, comparable with PublicKey::ToDer
  std::string fingerprint;  // lower-case hex SHA-256 of the DER
  std::int64_t not_after_unix = 0;
};

// The certificate the peer presented in the TLS session `ssl` (after the handshake).
// InvalidArgument if there is none or it does not parse.
Result<PeerCertificate> ReadPeerCertificate(SSL* ssl);

// One PEM certificate (this node's own).
Result<PeerCertificate> ReadCertificatePem(std::string_view pem);

// Lower-case hex SHA-256 of `der` (crypto::Hash).
std::string CertificateFingerprint(ByteView der);

// "2025-06-01 12:00:00 UTC".
std::string FormatUtc(std::int64_t unix_seconds);

// Whole days from `now` to `not_after` (rounded down; negative once expired).
std::int64_t DaysLeft(std::int64_t not_after, std::int64_t now);

}  // namespace colend::node::internal

#endif  // COLEND_NODE_P2P_SRC_CERTIFICATES_H_
