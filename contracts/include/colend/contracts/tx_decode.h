// Signed transactions from raw bytes: strict decoding, the transaction hash, signing and
// signature verification (tx.proto, docs/style.md rule 10).
//
// What "strict" means here, beyond Protobuf's own parsing:
//   - no field this schema does not know, at any depth, including inside map entries
//     (where Protobuf drops unknown fields silently, so only the bytes can show them);
//   - every field with the wire type its schema declares;
//   - a singular field, or a oneof, written at most once (Protobuf lets the last one win or
//     merges repeated messages; a signer's system must write each field once, and a body
//     that does not is refused rather than read one way here and possibly another by a
//     bank's own tools);
//   - a payload set, and for a GovernanceProposal an action set;
//   - every enum field holding a number its enum lists, other than 0 (_UNSPECIFIED).
// Business rules (ids, amounts, dates, who may sign) are the contract's.
//
// Thread safety: stateless functions; safe to call concurrently.
#ifndef COLEND_CONTRACTS_TX_DECODE_H_
#define COLEND_CONTRACTS_TX_DECODE_H_

#include <string_view>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "colend/proto/tx.pb.h"

namespace colend::contracts {

// The domain every transaction signature is made in (tx.proto: "colend/tx/v1" || 0x00 ||
// body).
inline constexpr std::string_view kTransactionSignatureDomain = "colend/tx/v1";

// OK if `message` and every message inside it (singular, repeated, oneof members, map
// values) carries no unknown fields. Works on a parsed message, so it cannot see unknown
// fields inside map entries, which Protobuf discards while parsing; CheckStrictEncoding
// checks the bytes and can. kInvalidArgument names the field path and the unknown number.
Status CheckNoUnknownFields(const google::protobuf::Message& message);

// OK if every enum field of `message` and of every message set inside it holds a number
// its enum lists, other than 0. tx.proto rejects _UNSPECIFIED and unlisted numbers for all
// of its enums. kInvalidArgument names the field and the number.
Status CheckEnumValues(const google::protobuf::Message& message);

// OK if `encoded` is a serialised `schema` message in the strict sense of the file comment
// (known fields with their declared wire types, singular fields and oneofs at most once,
// valid UTF-8 in string fields), at any depth. kInvalidArgument otherwise, with the field
// path; never crashes on any input. Does not check enum values (CheckEnumValues does).
Status CheckStrictEncoding(ByteView encoded, const google::protobuf::Descriptor& schema);

// The shape checks on a parsed body: a payload set (and an action in a GovernanceProposal),
// no unknown fields, valid enums.
Status ValidateBodyShape(const proto::TransactionBody& body);

// A transaction as it arrived, decoded and checked for shape, not yet authenticated.
struct DecodedTransaction {
  Bytes raw;                          // the SignedTransaction bytes exactly as received
  proto::SignedTransaction envelope;  // envelope.body() holds the body bytes verbatim
  proto::TransactionBody body;        // parsed from envelope.body()
  Bytes tx_hash;                      // the suite hash of envelope.body(), 32 bytes
};

// Decodes and checks a SignedTransaction: strict envelope, non-empty key id and signature
// (at most crypto::kMaxSignatureSize bytes), strict body with ValidateBodyShape, and the
// transaction hash over the body bytes as carried. Does NOT verify the signature: the caller
// looks the signer's key up by (body.signer, envelope.key_id) and calls
// VerifyTransactionSignature. Fails with kInvalidArgument and a sentence naming what is
// wrong; never crashes on any input.
Result<DecodedTransaction> DecodeTransaction(ByteView signed_tx_bytes,
                                             const crypto::CryptoSuite& suite);

// The transaction hash: suite hash of the body bytes exactly as carried.
Bytes TransactionHash(ByteView body_bytes, const crypto::CryptoSuite& suite);

// Verifies the envelope's signature over the body bytes under `key`, in the domain
// kTransactionSignatureDomain. kPermissionDenied if envelope.key_id is not `key`'s id or the
// signature does not verify; kInvalidArgument if the signature is not canonical DER
// (crypto::Verify).
Status VerifyTransactionSignature(const DecodedTransaction& tx, const crypto::PublicKey& key);

// Serialises `body` once (map entries sorted, so one body always gives the same bytes from
// this function), signs those bytes and returns the serialised SignedTransaction with
// key_id = key.public_key().key_id(). Does not check the body: call ValidateBodyShape first
// to refuse what DecodeTransaction would. For tests, the replay tool and colend-cli.
Result<Bytes> SignTransaction(const proto::TransactionBody& body, const crypto::PrivateKey& key);

// Signs `body_bytes` exactly as given (which need not even parse) and returns the serialised
// SignedTransaction: for tests that need a correctly signed envelope around unusual bytes.
Result<Bytes> SignTransactionBodyBytes(ByteView body_bytes, const crypto::PrivateKey& key);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_TX_DECODE_H_
