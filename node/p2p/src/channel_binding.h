// The channel binding of an "sm" chain (docs/sm.md): TLS authenticates a P-256 transport
// key, and each side proves in its Hello that the holder of a node's SM2 validator key
// stands behind this very TLS connection, by signing the connection's RFC 9266
// "tls-exporter" value. Internal to colend_node_p2p.
//
// What is signed (crypto::Sign, domain kChannelBindingDomain; SM2 with SM3 on an sm chain):
//   message = field(chain id) || field(exporter) || field(sender node id)
//             || field(sender TLS role) || field(receiver node id)
//   field(x) = 4-byte big-endian length of x || x
// where exporter = SSL_export_keying_material(label "EXPORTER-Channel-Binding", empty
// context, 32 bytes) of the connection, and a role is "client" (the side that dialled) or
// "server". The exporter value is unique to one TLS session and known only to its two ends,
// so a binding is worthless on any other connection; the ids and roles keep a binding sent
// by one end from being reflected back as the other end's.
#ifndef COLEND_NODE_P2P_SRC_CHANNEL_BINDING_H_
#define COLEND_NODE_P2P_SRC_CHANNEL_BINDING_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <string_view>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"

namespace colend::node::internal {

inline constexpr std::string_view kChannelBindingDomain = "colend/p2p/channel-binding/v1";
// RFC 9266, section 2.
inline constexpr std::string_view kExporterLabel = "EXPORTER-Channel-Binding";
inline constexpr std::size_t kExporterSize = 32;

// The tls-exporter value of the established TLS 1.3 session `ssl`. Internal if OpenSSL
// cannot export (no session yet).
Result<Bytes> ExportChannelBinding(SSL* ssl);

// The signed message of the file comment. `sender_is_client`: the sender dialled.
Bytes ChannelBindingMessage(std::string_view chain_id, ByteView exporter,
                            std::string_view sender_id, bool sender_is_client,
                            std::string_view receiver_id);

// The sender's signature (DER) over the message.
Result<Bytes> SignChannelBinding(const crypto::PrivateKey& key, std::string_view chain_id,
                                 ByteView exporter, std::string_view sender_id,
                                 bool sender_is_client, std::string_view receiver_id);

// OK if `signature` is the sender's binding of this connection under `validator_key_der`
// (DER SubjectPublicKeyInfo of `suite`); PermissionDenied, with a sentence saying why,
// otherwise (no binding, a key that does not parse, a signature that does not verify).
Status VerifyChannelBinding(crypto::CryptoSuite suite, ByteView validator_key_der,
                            ByteView signature, std::string_view chain_id, ByteView exporter,
                            std::string_view sender_id, bool sender_is_client,
                            std::string_view receiver_id);

}  // namespace colend::node::internal

#endif  // COLEND_NODE_P2P_SRC_CHANNEL_BINDING_H_
