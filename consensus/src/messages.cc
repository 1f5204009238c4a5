#include "colend/consensus/messages.h"

#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <algorithm>
#include <utility>

#include "colend/crypto/merkle.h"

namespace colend::consensus {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string DigestBytes(const crypto::Digest& digest) {
  return std::string(digest.begin(), digest.end());
}

std::optional<crypto::Digest> DigestFromBytes(std::string_view bytes) {
  if (bytes.size() != crypto::kDigestSize) return std::nullopt;
  crypto::Digest digest;
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  return digest;
}

crypto::Digest BlockHash(crypto::HashAlgorithm hash, std::string_view header_bytes) {
  return crypto::Hash(hash, AsBytes(header_bytes));
}

crypto::Digest TxLeafHash(crypto::HashAlgorithm hash, std::string_view tx_bytes) {
  return crypto::Hash(hash, AsBytes(tx_bytes));
}

crypto::Digest TxRoot(crypto::HashAlgorithm hash, std::span<const crypto::Digest> tx_hashes) {
  std::vector<ByteView> leaves;
  leaves.reserve(tx_hashes.size());
  for (const crypto::Digest& d : tx_hashes) leaves.emplace_back(d.data(), d.size());
  return crypto::MerkleRoot(hash, std::span<const ByteView>(leaves));
}

// A DER ECDSA/SM2 signature is at most 72 bytes; node ids are short names.
constexpr std::size_t kMaxEnvelopeSignatureBytes = 80;
constexpr std::size_t kMaxEnvelopeSenderBytes = 128;

bool HasUnknownFields(const Message& message) {
  const Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      const int count = reflection->FieldSize(message, field);
      for (int i = 0; i < count; ++i) {
        if (HasUnknownFields(reflection->GetRepeatedMessage(message, field, i))) return true;
      }
    } else if (HasUnknownFields(reflection->GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

namespace {

// The header checks of ParseBlock, and the transactions when `transactions` is given.
Result<ParsedBlock> ParseParts(const std::string& header_bytes,
                               const google::protobuf::RepeatedPtrField<std::string>* transactions,
                               std::string_view chain_id, crypto::HashAlgorithm hash) {
  ParsedBlock parsed;
  if (!parsed.header.ParseFromString(header_bytes)) {
    return Status::InvalidArgument("block header does not parse");
  }
  if (HasUnknownFields(parsed.header)) {
    return Status::InvalidArgument("block header has fields this version does not know");
  }
  if (parsed.header.chain_id() != chain_id) {
    return Status::InvalidArgument("block header is for chain '" + parsed.header.chain_id() + "'");
  }
  if (!DigestFromBytes(parsed.header.tx_root()).has_value()) {
    return Status::InvalidArgument("block tx_root is not a digest");
  }
  parsed.hash = BlockHash(hash, header_bytes);
  parsed.block.set_header(header_bytes);
  if (transactions == nullptr && parsed.header.tx_count() != 0) {
    parsed.has_body = false;
    return parsed;
  }
  const google::protobuf::RepeatedPtrField<std::string> none;
  if (transactions == nullptr) transactions = &none;
  if (static_cast<std::size_t>(parsed.header.tx_count()) !=
      static_cast<std::size_t>(transactions->size())) {
    return Status::InvalidArgument("block tx_count " + std::to_string(parsed.header.tx_count()) +
                                   " but it carries " + std::to_string(transactions->size()) +
                                   " transactions");
  }
  parsed.tx_hashes.reserve(static_cast<std::size_t>(transactions->size()));
  for (const std::string& tx : *transactions) {
    parsed.tx_hashes.push_back(TxLeafHash(hash, tx));
    parsed.tx_bytes += tx.size();
  }
  const crypto::Digest root = TxRoot(hash, parsed.tx_hashes);
  if (parsed.header.tx_root() != DigestBytes(root)) {
    return Status::InvalidArgument("block tx_root does not match its transactions");
  }
  *parsed.block.mutable_transactions() = *transactions;
  return parsed;
}

}  // namespace

Result<ParsedBlock> ParseBlock(const proto::Block& block, std::string_view chain_id,
                               crypto::HashAlgorithm hash) {
  return ParseParts(block.header(), &block.transactions(), chain_id, hash);
}

Result<ParsedBlock> ParseProposedBlock(const proto::PrePrepare& pre_prepare,
                                       const proto::ConsensusEnvelope& envelope,
                                       std::string_view chain_id, crypto::HashAlgorithm hash) {
  return ParseParts(pre_prepare.header(),
                    envelope.transactions().empty() ? nullptr : &envelope.transactions(),
                    chain_id, hash);
}

proto::ConsensusEnvelope WithoutTransactions(proto::ConsensusEnvelope envelope) {
  envelope.clear_transactions();
  return envelope;
}

Status RefusedEnvelope::ToStatus() const {
  switch (reason) {
    case EnvelopeRefusal::kMalformed: return Status::InvalidArgument(message);
    case EnvelopeRefusal::kUnknownSender: return Status::NotFound(message);
    case EnvelopeRefusal::kBadSignature: return Status::PermissionDenied(message);
    case EnvelopeRefusal::kWrongChain: return Status::FailedPrecondition(message);
    case EnvelopeRefusal::kWrongEpoch: return Status::OutOfRange(message);
  }
  return Status::InvalidArgument(message);
}

std::variant<OpenedMessage, RefusedEnvelope> CheckEnvelope(const proto::ConsensusEnvelope& envelope,
                                                           const ChainContext& context) {
  auto refuse = [](EnvelopeRefusal reason, std::string message) {
    return std::variant<OpenedMessage, RefusedEnvelope>(
        RefusedEnvelope{reason, std::move(message)});
  };
  // The envelope is kept and quoted verbatim in certificates: padding outside the signed
  // body (unknown fields, an oversized signature) would be stored and relayed by honest
  // replicas, so it is refused before anything else.
  if (HasUnknownFields(envelope)) {
    return refuse(EnvelopeRefusal::kMalformed,
                  "consensus envelope has fields this version does not know");
  }
  if (envelope.signature().size() > kMaxEnvelopeSignatureBytes ||
      envelope.sender().size() > kMaxEnvelopeSenderBytes) {
    return refuse(EnvelopeRefusal::kMalformed,
                  "consensus envelope signature or sender is oversized");
  }
  if (!context.validators->Contains(envelope.sender())) {
    return refuse(EnvelopeRefusal::kUnknownSender,
                  "sender '" + envelope.sender() + "' is not a validator");
  }
  const Status signature = context.verifier->Verify(envelope.sender(), AsBytes(envelope.body()),
                                                    AsBytes(envelope.signature()));
  if (!signature.ok()) {
    return refuse(EnvelopeRefusal::kBadSignature, "signature of '" + envelope.sender() +
                                                      "' does not verify: " + signature.message());
  }
  OpenedMessage opened;
  if (!opened.message.ParseFromString(envelope.body())) {
    return refuse(EnvelopeRefusal::kMalformed, "consensus message does not parse");
  }
  if (opened.message.payload_case() == proto::ConsensusMessage::PAYLOAD_NOT_SET) {
    return refuse(EnvelopeRefusal::kMalformed, "consensus message has no known payload");
  }
  if (HasUnknownFields(opened.message)) {
    return refuse(EnvelopeRefusal::kMalformed,
                  "consensus message has fields this version does not know");
  }
  if (!envelope.transactions().empty() && !opened.message.has_pre_prepare()) {
    return refuse(EnvelopeRefusal::kMalformed, "only a PRE-PREPARE carries transactions");
  }
  if (opened.message.chain_id() != context.chain_id) {
    return refuse(EnvelopeRefusal::kWrongChain,
                  "consensus message is for chain '" + opened.message.chain_id() + "'");
  }
  if (opened.message.epoch() != context.epoch) {
    return refuse(EnvelopeRefusal::kWrongEpoch,
                  "consensus message is for validator epoch " +
                      std::to_string(opened.message.epoch()) + ", not " +
                      std::to_string(context.epoch));
  }
  opened.envelope = envelope;
  return opened;
}

Result<OpenedMessage> OpenEnvelope(const proto::ConsensusEnvelope& envelope,
                                   const ChainContext& context) {
  std::variant<OpenedMessage, RefusedEnvelope> checked = CheckEnvelope(envelope, context);
  if (auto* refused = std::get_if<RefusedEnvelope>(&checked)) return refused->ToStatus();
  return std::get<OpenedMessage>(std::move(checked));
}

std::optional<MessageRoute> PeekRoute(const proto::ConsensusEnvelope& envelope) {
  proto::ConsensusRoute message;
  if (!message.ParseFromString(envelope.body())) return std::nullopt;
  MessageRoute route;
  route.epoch = message.epoch();
  if (message.has_pre_prepare()) route.sequence = message.pre_prepare().sequence();
  if (message.has_prepare()) route.sequence = message.prepare().sequence();
  if (message.has_commit()) route.sequence = message.commit().sequence();
  if (message.has_checkpoint()) route.sequence = message.checkpoint().sequence();
  if (message.has_view_change()) {
    // The sender holds every block up to its anchor.
    const proto::ConsensusRoute::ViewChangeRoute& vc = message.view_change();
    route.sequence = std::max(vc.stable_checkpoint().sequence(), vc.committed().height()) + 1;
  }
  return route;
}

Result<proto::ConsensusEnvelope> SealMessage(const proto::ConsensusMessage& message,
                                             std::string_view sender, const MessageSigner& signer) {
  proto::ConsensusEnvelope envelope;
  if (!message.SerializeToString(envelope.mutable_body())) {
    return Status::Internal("consensus message does not serialise");
  }
  COLEND_ASSIGN_OR_RETURN(Bytes signature, signer.Sign(AsBytes(envelope.body())));
  envelope.set_sender(std::string(sender));
  envelope.set_signature(std::string(signature.begin(), signature.end()));
  return envelope;
}

}  // namespace colend::consensus
