#include "colend/contracts/tx_decode.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <climits>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "colend/crypto/hash.h"
#include "colend/crypto/signature.h"
#include "utf8.h"

namespace colend::contracts {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Deeper than any colend message (a body is four levels deep) and far below what would
// strain the stack. Protobuf's own parser stops at 100.
constexpr int kMaxMessageDepth = 32;

enum WireType : std::uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

std::string Where(const std::string& path) {
  return path.empty() ? std::string("at the top level") : "at " + path;
}

std::string Child(const std::string& path, const FieldDescriptor& field) {
  return path.empty() ? field.name() : path + "." + field.name();
}

// The wire type Protobuf writes a (non-packed) value of `field` with.
WireType ExpectedWireType(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return kFixed64;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return kFixed32;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return kLengthDelimited;
    case FieldDescriptor::TYPE_GROUP:
      return kStartGroup;
    default:
      return kVarint;
  }
}

// Reads the Protobuf wire format from a byte view without ever reading past its end.
class WireReader {
 public:
  explicit WireReader(ByteView data) : data_(data) {}

  bool done() const { return pos_ == data_.size(); }

  // A base-128 varint of at most 10 bytes whose value fits in 64 bits.
  bool ReadVarint(std::uint64_t* value) {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == data_.size()) return false;
      const std::uint8_t byte = data_[pos_++];
      if (shift == 63 && byte > 1) return false;
      result |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;
  }

  bool ReadBytes(std::size_t length, ByteView* out) {
    if (data_.size() - pos_ < length) return false;
    *out = data_.subspan(pos_, length);
    pos_ += length;
    return true;
  }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

// A varint value is within the field's type: Protobuf would silently truncate a 32-bit
// field's value to its low bits, so the signed bytes and the value read would differ.
bool VarintFits(const FieldDescriptor& field, std::uint64_t value) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_UINT32:
      return value <= std::numeric_limits<std::uint32_t>::max();
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_ENUM: {
      const auto as_signed = static_cast<std::int64_t>(value);
      return as_signed >= std::numeric_limits<std::int32_t>::min() &&
             as_signed <= std::numeric_limits<std::int32_t>::max();
    }
    case FieldDescriptor::TYPE_SINT32:
      return value <= std::numeric_limits<std::uint32_t>::max();
    case FieldDescriptor::TYPE_BOOL:
      return value <= 1;
    default:
      return true;
  }
}

Status CheckMessageBytes(ByteView bytes, const Descriptor& schema, const std::string& path,
                         int depth);

// Checks one length-delimited value of `field`.
Status CheckLengthDelimited(ByteView value, const FieldDescriptor& field,
                            const std::string& field_path, int depth) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_MESSAGE:
      return CheckMessageBytes(value, *field.message_type(), field_path, depth + 1);
    case FieldDescriptor::TYPE_STRING:
      if (!internal::IsValidUtf8(ToString(value))) {
        return Status::InvalidArgument("string field " + field_path + " is not valid UTF-8");
      }
      return Status::Ok();
    case FieldDescriptor::TYPE_BYTES:
      return Status::Ok();
    default: {
      // A packed repeated scalar: a run of complete values of the field's wire type.
      WireReader packed(value);
      while (!packed.done()) {
        std::uint64_t varint = 0;
        ByteView skipped;
        const WireType type = ExpectedWireType(field);
        const bool ok = type == kVarint    ? packed.ReadVarint(&varint) && VarintFits(field, varint)
                        : type == kFixed64 ? packed.ReadBytes(8, &skipped)
                                           : packed.ReadBytes(4, &skipped);
        if (!ok) return Status::InvalidArgument("packed field " + field_path + " is malformed");
      }
      return Status::Ok();
    }
  }
}

Status CheckMessageBytes(ByteView bytes, const Descriptor& schema, const std::string& path,
                         int depth) {
  if (depth > kMaxMessageDepth) {
    return Status::InvalidArgument("messages nested deeper than " +
                                   std::to_string(kMaxMessageDepth) + " levels " + Where(path));
  }
  std::vector<int> seen_fields;  // numbers of singular fields already read
  std::vector<int> seen_oneofs;  // indices of oneofs already set
  WireReader reader(bytes);
  while (!reader.done()) {
    std::uint64_t tag = 0;
    if (!reader.ReadVarint(&tag) || tag > std::numeric_limits<std::uint32_t>::max()) {
      return Status::InvalidArgument("malformed field tag in " + schema.full_name() + " " +
                                     Where(path));
    }
    const int number = static_cast<int>(tag >> 3);
    const auto wire_type = static_cast<std::uint32_t>(tag & 7);
    const FieldDescriptor* field = schema.FindFieldByNumber(number);
    if (field == nullptr) {
      return Status::InvalidArgument("unknown field " + std::to_string(number) + " in " +
                                     schema.full_name() + " " + Where(path));
    }
    const std::string field_path = Child(path, *field);
    const WireType expected = ExpectedWireType(*field);
    const bool packed = field->is_repeated() && wire_type == kLengthDelimited &&
                        expected != kLengthDelimited && expected != kStartGroup;
    if (expected == kStartGroup || (wire_type != expected && !packed)) {
      return Status::InvalidArgument("field " + field_path + " has wire type " +
                                     std::to_string(wire_type) + ", not the " +
                                     std::to_string(expected) + " its type needs");
    }
    if (!field->is_repeated()) {
      for (int seen : seen_fields) {
        if (seen == number) {
          return Status::InvalidArgument("field " + field_path + " appears more than once");
        }
      }
      seen_fields.push_back(number);
      if (const auto* oneof = field->containing_oneof(); oneof != nullptr) {
        for (int seen : seen_oneofs) {
          if (seen == oneof->index()) {
            return Status::InvalidArgument("more than one member of oneof " + oneof->name() + " " +
                                           Where(path));
          }
        }
        seen_oneofs.push_back(oneof->index());
      }
    }
    bool ok = true;
    ByteView value;
    std::uint64_t varint = 0;
    switch (wire_type) {
      case kVarint:
        ok = reader.ReadVarint(&varint);
        if (ok && !VarintFits(*field, varint)) {
          return Status::InvalidArgument("field " + field_path + " holds " +
                                         std::to_string(varint) + ", outside its type");
        }
        break;
      case kFixed64:
        ok = reader.ReadBytes(8, &value);
        break;
      case kFixed32:
        ok = reader.ReadBytes(4, &value);
        break;
      default:  // kLengthDelimited; every other wire type was refused above
        ok = reader.ReadVarint(&varint) && reader.ReadBytes(varint, &value);
        if (ok) COLEND_RETURN_IF_ERROR(CheckLengthDelimited(value, *field, field_path, depth));
        break;
    }
    if (!ok) return Status::InvalidArgument("field " + field_path + " is truncated");
  }
  return Status::Ok();
}

Status CheckUnknownFieldsAt(const Message& message, const std::string& path) {
  const Reflection& reflection = *message.GetReflection();
  const auto& unknown = reflection.GetUnknownFields(message);
  if (!unknown.empty()) {
    return Status::InvalidArgument("unknown field " + std::to_string(unknown.field(0).number()) +
                                   " in " + message.GetDescriptor()->full_name() + " " +
                                   Where(path));
  }
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string field_path = Child(path, *field);
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        COLEND_RETURN_IF_ERROR(
            CheckUnknownFieldsAt(reflection.GetRepeatedMessage(message, field, i), field_path));
      }
    } else {
      COLEND_RETURN_IF_ERROR(
          CheckUnknownFieldsAt(reflection.GetMessage(message, field), field_path));
    }
  }
  return Status::Ok();
}

Status CheckEnumValue(const FieldDescriptor& field, int value, const std::string& path) {
  if (value != 0 && field.enum_type()->FindValueByNumber(value) != nullptr) return Status::Ok();
  return Status::InvalidArgument("field " + path + " holds " + std::to_string(value) +
                                 (value == 0
                                      ? ", which leaves it unspecified"
                                      : ", which " + field.enum_type()->name() + " does not list"));
}

Status CheckEnumValuesAt(const Message& message, const std::string& path) {
  const Reflection& reflection = *message.GetReflection();
  const Descriptor& descriptor = *message.GetDescriptor();
  for (int f = 0; f < descriptor.field_count(); ++f) {
    const FieldDescriptor& field = *descriptor.field(f);
    const std::string field_path = Child(path, field);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      if (field.is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, &field); ++i) {
          COLEND_RETURN_IF_ERROR(CheckEnumValue(
              field, reflection.GetRepeatedEnumValue(message, &field, i), field_path));
        }
      } else if (!field.has_presence() || reflection.HasField(message, &field)) {
        COLEND_RETURN_IF_ERROR(
            CheckEnumValue(field, reflection.GetEnumValue(message, &field), field_path));
      }
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field.is_repeated()) {
        for (int i = 0; i < reflection.FieldSize(message, &field); ++i) {
          COLEND_RETURN_IF_ERROR(
              CheckEnumValuesAt(reflection.GetRepeatedMessage(message, &field, i), field_path));
        }
      } else if (reflection.HasField(message, &field)) {
        COLEND_RETURN_IF_ERROR(
            CheckEnumValuesAt(reflection.GetMessage(message, &field), field_path));
      }
    }
  }
  return Status::Ok();
}

Result<Bytes> SerializeEnvelope(ByteView body_bytes, const Bytes& key_id, const Bytes& signature) {
  proto::SignedTransaction envelope;
  envelope.set_body(ToString(body_bytes));
  envelope.set_key_id(ToString(key_id));
  envelope.set_signature(ToString(signature));
  std::string out;
  if (!envelope.SerializeToString(&out)) {
    return Status::Internal("cannot serialise the SignedTransaction");
  }
  return ToBytes(out);
}

}  // namespace

Status CheckNoUnknownFields(const google::protobuf::Message& message) {
  return CheckUnknownFieldsAt(message, "");
}

Status CheckEnumValues(const google::protobuf::Message& message) {
  return CheckEnumValuesAt(message, "");
}

Status CheckStrictEncoding(ByteView encoded, const google::protobuf::Descriptor& schema) {
  return CheckMessageBytes(encoded, schema, "", 0);
}

Status ValidateBodyShape(const proto::TransactionBody& body) {
  if (body.payload_case() == proto::TransactionBody::PAYLOAD_NOT_SET) {
    return Status::InvalidArgument(
        "transaction body has no payload (or one of a type this version does not know)");
  }
  if (body.payload_case() == proto::TransactionBody::kGovernanceProposal &&
      body.governance_proposal().action_case() == proto::GovernanceProposal::ACTION_NOT_SET) {
    return Status::InvalidArgument(
        "governance proposal has no action (or one of a type this version does not know)");
  }
  COLEND_RETURN_IF_ERROR(CheckNoUnknownFields(body));
  return CheckEnumValues(body);
}

Bytes TransactionHash(ByteView body_bytes, const crypto::CryptoSuite& suite) {
  const crypto::Digest digest = crypto::Hash(suite.hash(), body_bytes);
  return Bytes(digest.begin(), digest.end());
}

Result<DecodedTransaction> DecodeTransaction(ByteView signed_tx_bytes,
                                             const crypto::CryptoSuite& suite) {
  if (signed_tx_bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return Status::InvalidArgument("signed transaction is too large");
  }
  // The byte checks run first: they also keep Protobuf from logging about malformed input.
  COLEND_RETURN_IF_ERROR(
      CheckStrictEncoding(signed_tx_bytes, *proto::SignedTransaction::descriptor())
          .WithContext("signed transaction"));
  DecodedTransaction tx;
  if (!tx.envelope.ParseFromArray(signed_tx_bytes.data(),
                                  static_cast<int>(signed_tx_bytes.size()))) {
    return Status::InvalidArgument("signed transaction: not a SignedTransaction");
  }
  if (tx.envelope.key_id().empty()) {
    return Status::InvalidArgument("signed transaction: key_id is empty");
  }
  if (tx.envelope.signature().empty() ||
      tx.envelope.signature().size() > crypto::kMaxSignatureSize) {
    return Status::InvalidArgument(
        "signed transaction: signature is " + std::to_string(tx.envelope.signature().size()) +
        " bytes; a signature is 1 to " + std::to_string(crypto::kMaxSignatureSize));
  }
  const ByteView body_bytes = AsBytes(tx.envelope.body());
  COLEND_RETURN_IF_ERROR(CheckStrictEncoding(body_bytes, *proto::TransactionBody::descriptor())
                             .WithContext("transaction body"));
  if (!tx.body.ParseFromString(tx.envelope.body())) {
    return Status::InvalidArgument("transaction body: not a TransactionBody");
  }
  COLEND_RETURN_IF_ERROR(ValidateBodyShape(tx.body).WithContext("transaction body"));
  tx.tx_hash = TransactionHash(body_bytes, suite);
  tx.raw.assign(signed_tx_bytes.begin(), signed_tx_bytes.end());
  return tx;
}

Status VerifyTransactionSignature(const DecodedTransaction& tx, const crypto::PublicKey& key) {
  if (ToBytes(tx.envelope.key_id()) != key.key_id()) {
    return Status::PermissionDenied("transaction names key id " +
                                    ToHex(AsBytes(tx.envelope.key_id())) +
                                    ", not the given key's " + key.KeyIdHex());
  }
  return crypto::Verify(key, kTransactionSignatureDomain, AsBytes(tx.envelope.body()),
                        AsBytes(tx.envelope.signature()));
}

Result<Bytes> SignTransactionBodyBytes(ByteView body_bytes, const crypto::PrivateKey& key) {
  COLEND_ASSIGN_OR_RETURN(const Bytes signature,
                          crypto::Sign(key, kTransactionSignatureDomain, body_bytes));
  return SerializeEnvelope(body_bytes, key.public_key().key_id(), signature);
}

Result<Bytes> SignTransaction(const proto::TransactionBody& body, const crypto::PrivateKey& key) {
  std::string body_bytes;
  {
    google::protobuf::io::StringOutputStream stream(&body_bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!body.SerializeToCodedStream(&coded)) {
      return Status::Internal("cannot serialise the transaction body");
    }
  }
  return SignTransactionBodyBytes(AsBytes(body_bytes), key);
}

}  // namespace colend::contracts
