// Reading and writing the signed bytes of consensus: blocks (header bytes, tx_root) and
// consensus envelopes. Nothing here re-serialises signed or hashed bytes: a parsed message
// is used for its values, the original bytes for every hash and signature (docs/style.md rule 10).
//
// Thread safety: pure functions.
#ifndef COLEND_CONSENSUS_MESSAGES_H_
#define COLEND_CONSENSUS_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "colend/common/result.h"
#include "colend/consensus/signer.h"
#include "colend/consensus/validator_set.h"
#include "colend/crypto/hash.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"

namespace google::protobuf {
class Message;
}

namespace colend::consensus {

// A digest as the raw 32 bytes Protobuf bytes fields carry, and back (nullopt unless the
// input is exactly 32 bytes).
std::string DigestBytes(const crypto::Digest& digest);
std::optional<crypto::Digest> DigestFromBytes(std::string_view bytes);

// The block hash: suite hash of the header bytes as carried.
crypto::Digest BlockHash(crypto::HashAlgorithm hash, std::string_view header_bytes);

// The suite hash of one transaction's bytes: its Merkle leaf in tx_root and the id the
// proposal machinery uses to exclude transactions already proposed.
crypto::Digest TxLeafHash(crypto::HashAlgorithm hash, std::string_view tx_bytes);

// tx_root: the Merkle root (crypto/merkle.h) whose leaves are the suite hashes of the
// transactions, in order.
crypto::Digest TxRoot(crypto::HashAlgorithm hash, std::span<const crypto::Digest> tx_hashes);

// True if `message` or any message inside it carries fields this schema version does not
// know. Signed consensus data with unknown fields is refused: a node that ignored part of
// what the signer signed could act differently from one that understood it.
bool HasUnknownFields(const google::protobuf::Message& message);

// A block whose internal consistency has been checked: either whole (header and
// transactions) or, when it came quoted as evidence, its header alone (has_body false:
// block.transactions, tx_hashes and tx_bytes are empty; the header's tx_count and tx_root
// still say what the body must be).
struct ParsedBlock {
  proto::Block block;
  proto::BlockHeader header;
  crypto::Digest hash{};
  std::vector<crypto::Digest> tx_hashes;  // TxLeafHash of each transaction, in order
  std::uint64_t tx_bytes = 0;             // sum of the transactions' sizes
  bool has_body = true;
};

// Parses block.header and checks what needs no context: no unknown fields, the chain id,
// tx_count == number of transactions, tx_root over them. kInvalidArgument otherwise.
Result<ParsedBlock> ParseBlock(const proto::Block& block, std::string_view chain_id,
                               crypto::HashAlgorithm hash);

// The block a PRE-PREPARE proposes: its signed header (pre_prepare.header) with the
// transactions its envelope carries, checked as ParseBlock does; or, when the envelope
// carries none (a quoted PRE-PREPARE), the header alone with has_body false.
Result<ParsedBlock> ParseProposedBlock(const proto::PrePrepare& pre_prepare,
                                       const proto::ConsensusEnvelope& envelope,
                                       std::string_view chain_id, crypto::HashAlgorithm hash);

// `envelope` as it is quoted in evidence: without the transactions a PRE-PREPARE carries.
proto::ConsensusEnvelope WithoutTransactions(proto::ConsensusEnvelope envelope);

// Everything needed to check a signed consensus message. Borrows; the caller keeps the
// pointed-to objects alive while the context is in use.
struct ChainContext {
  std::string chain_id;
  crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha256;
  const ValidatorSet* validators = nullptr;
  const SignatureVerifier* verifier = nullptr;
  // The validator epoch `validators` orders (ConsensusMessage.epoch).
  std::uint64_t epoch = 0;
};

// A consensus envelope whose signature verified and whose body parsed.
struct OpenedMessage {
  proto::ConsensusEnvelope envelope;  // verbatim, to be quoted as evidence
  proto::ConsensusMessage message;
  const std::string& sender() const { return envelope.sender(); }
};

// Why an envelope was refused, as the replica counts it (ReplicaCounters).
enum class EnvelopeRefusal : std::uint8_t {
  kMalformed,      // unknown fields, oversized, a body that does not parse or has no known
                   // payload, transactions outside a PRE-PREPARE
  kUnknownSender,  // the sender is not a validator of the context's set
  kBadSignature,   // the signature does not verify over the body
  kWrongChain,     // the body names another chain id
  kWrongEpoch,     // the body names another validator epoch
};

struct RefusedEnvelope {
  EnvelopeRefusal reason = EnvelopeRefusal::kMalformed;
  std::string message;

  // The refusal as a Status, for callers that only pass it on (evidence, certificates):
  // kInvalidArgument (malformed), kNotFound (unknown sender), kPermissionDenied (bad
  // signature), kFailedPrecondition (wrong chain), kOutOfRange (wrong epoch). Nobody should
  // read the code back as the reason: use CheckEnvelope for that.
  Status ToStatus() const;
};

// Checks, in this order: the envelope has no unknown fields and no oversized sender or
// signature, the sender is a validator, the signature verifies over the body, the body
// parses with no unknown fields and one known payload, transactions in the envelope only
// with a PRE-PREPARE, the chain id, the epoch. Returns the opened message, or the first
// check that failed and a sentence.
std::variant<OpenedMessage, RefusedEnvelope> CheckEnvelope(const proto::ConsensusEnvelope& envelope,
                                                           const ChainContext& context);

// CheckEnvelope with a refusal as RefusedEnvelope::ToStatus().
Result<OpenedMessage> OpenEnvelope(const proto::ConsensusEnvelope& envelope,
                                   const ChainContext& context);

// The epoch a message claims and the sequence it is about (for a VIEW-CHANGE, the one
// above its sender's anchor; 0 for NEW-VIEW),
// read from its body without checking the signature: lets a host hold a message of the
// next epoch until its replica for that epoch exists (the replica then checks it in full),
// and tells a node that fell an epoch behind where to sync to. nullopt if the body does
// not parse. Unverified: use it for routing and hints, never as evidence.
struct MessageRoute {
  std::uint64_t epoch = 0;
  std::uint64_t sequence = 0;
};
std::optional<MessageRoute> PeekRoute(const proto::ConsensusEnvelope& envelope);

// Serialises `message` once, signs those bytes and wraps them with `sender`.
Result<proto::ConsensusEnvelope> SealMessage(const proto::ConsensusMessage& message,
                                             std::string_view sender, const MessageSigner& signer);

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_MESSAGES_H_
