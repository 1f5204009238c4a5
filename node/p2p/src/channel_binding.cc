#include "channel_binding.h"

#include <openssl/err.h>

#include <cstdint>
#include <string>

#include "colend/crypto/signature.h"

namespace colend::node::internal {
namespace {

void AppendField(Bytes& out, ByteView field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  out.push_back(static_cast<std::uint8_t>(n >> 24));
  out.push_back(static_cast<std::uint8_t>((n >> 16) & 0xff));
  out.push_back(static_cast<std::uint8_t>((n >> 8) & 0xff));
  out.push_back(static_cast<std::uint8_t>(n & 0xff));
  out.insert(out.end(), field.begin(), field.end());
}

std::string_view Role(bool client) {
  return client ? "client" : "server";
}

}  // namespace

Result<Bytes> ExportChannelBinding(SSL* ssl) {
  Bytes out(kExporterSize);
  // use_context = 0: in TLS 1.3 no context and an empty context are the same (RFC 8446
  // section 7.5), which is what RFC 9266 asks for.
  if (SSL_export_keying_material(ssl, out.data(), out.size(), kExporterLabel.data(),
                                 kExporterLabel.size(), nullptr, 0, /*use_context=*/0) != 1) {
    ERR_clear_error();
    return Status::Internal("SSL_export_keying_material failed (no TLS session?)");
  }
  return out;
}

Bytes ChannelBindingMessage(std::string_view chain_id, ByteView exporter,
                            std::string_view sender_id, bool sender_is_client,
                            std::string_view receiver_id) {
  Bytes message;
  message.reserve(5 * 4 + chain_id.size() + exporter.size() + sender_id.size() + 6 +
                  receiver_id.size());
  AppendField(message, AsBytes(chain_id));
  AppendField(message, exporter);
  AppendField(message, AsBytes(sender_id));
  AppendField(message, AsBytes(Role(sender_is_client)));
  AppendField(message, AsBytes(receiver_id));
  return message;
}

Result<Bytes> SignChannelBinding(const crypto::PrivateKey& key, std::string_view chain_id,
                                 ByteView exporter, std::string_view sender_id,
                                 bool sender_is_client, std::string_view receiver_id) {
  const Bytes message =
      ChannelBindingMessage(chain_id, exporter, sender_id, sender_is_client, receiver_id);
  return crypto::Sign(key, kChannelBindingDomain, message);
}

Status VerifyChannelBinding(crypto::CryptoSuite suite, ByteView validator_key_der,
                            ByteView signature, std::string_view chain_id, ByteView exporter,
                            std::string_view sender_id, bool sender_is_client,
                            std::string_view receiver_id) {
  const std::string who = "\"" + std::string(sender_id) + "\"";
  if (signature.empty()) {
    return Status::PermissionDenied(
        "Hello of " + who +
        " carries no channel binding: on an sm chain the TLS certificate holds a transport "
        "key, and only a signature by the validator key over this connection proves who "
        "sent it");
  }
  Result<crypto::PublicKey> key = crypto::PublicKey::FromDer(suite, validator_key_der);
  if (!key.ok()) {
    return Status::PermissionDenied("the validator key of " + who + " is not a key of suite \"" +
                                    std::string(suite.name()) + "\": " + key.status().message());
  }
  const Bytes message =
      ChannelBindingMessage(chain_id, exporter, sender_id, sender_is_client, receiver_id);
  const Status verified = crypto::Verify(*key, kChannelBindingDomain, message, signature);
  if (!verified.ok()) {
    return Status::PermissionDenied(
        "the channel binding in the Hello of " + who +
        " does not verify under the validator key of " + who +
        " (a transport certificate presented without that validator's key, or a binding "
        "made for another connection): " +
        verified.message());
  }
  return Status::Ok();
}

}  // namespace colend::node::internal
