// Transactions as JSON (docs/api.md): one JSON object per transaction body, read and written.
//
// This is the form banks' systems write for colend-cli and colend-replay and that the node
// prints in getTransaction. The JSON is a convenience around the signed Protobuf body
// (tx.proto): what is signed and hashed is always the serialised body, never the JSON.
//
// Shape (docs/api.md, "Transactions as JSON" and, for governance, its "Governance transactions"):
//   {"type": <payload type>, "chain_id"?: ..., "signer": ..., "id": ..., <payload fields>}
// `type` is the tx.proto message name of the payload ("OriginateLoan", "GovernanceVote").
// Amounts are JSON strings of integer minor units ("800000"; a JSON number or "8000.00" is
// refused); basis points, terms and heights are JSON integers within their Protobuf type;
// bytes are hex (report_sha256: 64 digits; key ids); public keys are PEM
// SubjectPublicKeyInfo text; enums are the names of docs/api.md ("FRONTED", "PER_LOAN", "APPROVE").
//
// Reading is strict: unknown or duplicate keys, wrong JSON types, missing required fields,
// out-of-range numbers, text after the object and a top level that is not an object are
// kInvalidArgument, with a sentence naming the field:
//   field "principal": expected a string of integer minor units, got number
// It checks form, not business rules: ids, dates, shares and member names are checked by
// the contract, which gives a transaction-specific rejection code for them.
//
// Thread safety: stateless functions; safe to call concurrently.
#ifndef COLEND_CONTRACTS_TX_JSON_H_
#define COLEND_CONTRACTS_TX_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "colend/common/result.h"
#include "colend/proto/tx.pb.h"

namespace colend::contracts {

// Inputs above this size are refused before parsing.
inline constexpr std::size_t kMaxTransactionJsonBytes = 1 << 20;

// Parses one transaction object (docs/api.md) into a body ready to serialise and sign.
//
// Defaults from docs/api.md are written explicitly into the body, so a signed body always names
// them: service_fee_bp 0, disbursement FRONTED, approval PREAPPROVED, penalty "0", no
// limits. ConfirmSettlement's payment_ref may be omitted (the receiver's confirmation), and
// so may RotateKey's new_key and retired_key_id and a client key's key_id (below); every
// other field is required. chain_id is optional and left empty when absent: the caller
// (colend-cli, the replay tool) fills in its chain's id before signing. A public key in a
// governance action must be a P-256 or an SM2 key; its key_id, if given, must be the key's
// id under the key's own suite (crypto::PublicKey::key_id) and is derived when omitted.
// Which of the two suites the chain uses is checked by the governance contract.
Result<proto::TransactionBody> TransactionBodyFromJson(std::string_view json_object);

// The JSON of `body` (docs/api.md), compact (no whitespace) with a fixed key order: "type",
// "chain_id" (only if not empty), "signer", "id", then the payload's fields in tx.proto
// order, which is docs/api.md's order; map keys sorted. Optional fields at their "absent" value
// are left out (an empty payment_ref or limits, RotateKey's absent new_key and empty
// retired_key_id); every other field is written even when zero. Never fails: a body that
// TransactionBodyFromJson would refuse (no payload, an enum number with no name, a public
// key that is not valid DER) still prints, with the number in place of an enum name and the
// bytes in a PEM frame, so a log can show what arrived.
//
// For any body B that TransactionBodyFromJson produced, TransactionBodyFromJson(
// TransactionBodyToJson(B)) equals B.
std::string TransactionBodyToJson(const proto::TransactionBody& body);

// The same document as a JSON object (members in the same order, the same values), for a
// caller that embeds it in its own JSON (the node's getTransaction, getProposals): nothing
// parses the text back.
boost::json::object TransactionBodyJson(const proto::TransactionBody& body);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_TX_JSON_H_
