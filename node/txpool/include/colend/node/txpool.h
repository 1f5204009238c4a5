// TxPool: the node's pending transactions, from admission to the block that commits them.
//
// Admission (Admit, AdmitBatch) checks, in this order, the cheapest first so that junk
// costs little:
//   1. size          at most PoolOptions::max_tx_bytes                       TOO_LARGE
//   2. strict decode contracts::DecodeTransaction: envelope and body, no      MALFORMED
//                    unknown field at any depth, payload set, enums valid
//   3. chain         body.chain_id == PoolOptions::chain_id                  WRONG_CHAIN
//   4. idempotence   the same transaction hash pending: kAlreadyPending with its hash
//   5. uniqueness    (signer, id) pending under another hash, or committed   DUPLICATE
//   6. room          max_txs / max_bytes would be exceeded: kBusy            BUSY
//   7. signer        KeyDirectory::ActiveKey(signer, key_id)                 UNKNOWN_SIGNER /
//                                                                            UNKNOWN_KEY
//   8. signature     over "colend/tx/v1" || 0x00 || body, once               BAD_SIGNATURE
//                    (INTERNAL if OpenSSL itself fails, e.g. out of memory)
// The body is parsed once and hashed once; the signature is verified once per admitted
// transaction, and never again by CheckProposal for the same bytes.
//
// Two hashes name a pending transaction (tx.proto, consensus/messages.h):
//   tx hash    suite hash of the body bytes: what clients and getTransaction use, and the
//              deduplication key (a re-signed or re-encoded envelope is the same tx);
//   leaf hash  suite hash of the whole SignedTransaction bytes as they sit in
//              Block.transactions (consensus::TxLeafHash): what the consensus core puts in
//              RequestProposalAction::exclude.
// The pool indexes both.
//
// Fairness (Batch): each signer has a FIFO queue of its pending transactions in arrival
// order. Signers are served round-robin, one transaction per signer per round, in the
// arrival order of each signer's oldest pending transaction. A signer's transactions are
// never reordered: when its next transaction does not fit in the remaining byte budget,
// that signer gets nothing more in this batch (a Reverse must not overtake its target),
// while the other signers continue. Excluded transactions are skipped and do not count, as
// is a transaction larger than the whole batch's byte limit (it could never be proposed
// under that limit and must not hold its signer's queue: keep max_tx_bytes at or below the
// consensus max_block_bytes).
// So one bank flooding the pool delays every other bank by at most one transaction per
// round.
#ifndef COLEND_NODE_TXPOOL_H_
#define COLEND_NODE_TXPOOL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"

namespace colend::node {

// The stable rejection codes of AdmitResult::code (the JSON-RPC error -32001 repeats them in
// data.code). Those the contract also uses (MALFORMED, WRONG_CHAIN, UNKNOWN_SIGNER,
// BAD_SIGNATURE, DUPLICATE) mean the same as in contracts/error_code.h; the others are the
// pool's own.
inline constexpr std::string_view kCodeMalformed = "MALFORMED";
inline constexpr std::string_view kCodeWrongChain = "WRONG_CHAIN";
inline constexpr std::string_view kCodeUnknownSigner = "UNKNOWN_SIGNER";
inline constexpr std::string_view kCodeUnknownKey = "UNKNOWN_KEY";
inline constexpr std::string_view kCodeBadSignature = "BAD_SIGNATURE";
inline constexpr std::string_view kCodeDuplicate = "DUPLICATE";
inline constexpr std::string_view kCodeTooLarge = "TOO_LARGE";
inline constexpr std::string_view kCodeBusy = "BUSY";
inline constexpr std::string_view kCodeInternal = "INTERNAL";

// Who may sign: implemented by the node over the current contract state (members and
// their client keys, committed (signer, id) records).
// Thread safety: every method may be called from any thread at any time, including while
// the pool holds its lock, so an implementation must never call back into the pool.
class KeyDirectory {
 public:
  virtual ~KeyDirectory() = default;

  // The public key `key_id` of member `signer` if both are active. Otherwise
  // kNotFound (no such member, or the member never had that key) or kPermissionDenied
  // (a suspended member or a retired key), with a sentence for the client.
  virtual Result<crypto::PublicKey> ActiveKey(std::string_view signer, ByteView key_id) const = 0;

  // Whether `signer` is a member that is not suspended. Asked only after ActiveKey failed,
  // to tell UNKNOWN_SIGNER (the member cannot sign at all) from UNKNOWN_KEY (an active
  // member, but not with this key).
  virtual bool IsActiveMember(std::string_view signer) const = 0;

  // Whether (signer, id) is already recorded on chain (accepted or rejected). The node
  // must make a committed block visible here before it calls TxPool::RemoveCommitted.
  virtual bool IdCommitted(std::string_view signer, std::string_view id) const = 0;
};

struct PoolOptions {
  std::string chain_id;  // as in genesis.json; other chains' transactions are WRONG_CHAIN
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  std::size_t max_txs = 10000;          // pending transactions, at most
  std::size_t max_bytes = 64 << 20;     // pending SignedTransaction bytes, at most
  std::size_t max_tx_bytes = 64 << 10;  // one SignedTransaction, at most
  // Threads of the batch verifier (AdmitBatch, CheckProposal) besides the calling thread,
  // which verifies too. 0 verifies on the caller alone.
  std::size_t verifier_threads = 1;
  // One signer may hold at most this share of the capacity (SetCapacity), so that one bank
  // flooding its node cannot crowd the others out of the pool.
  std::uint32_t signer_share_pct = 100;
};

enum class AdmitStatus {
  kAdmitted,        // new and pending
  kAlreadyPending,  // the same tx hash is pending: idempotent success, tx_hash set
  kRejected,        // code and message say why; resending the same bytes will not help
  kBusy,            // the pool is full: retry later (JSON-RPC -32004)
};

struct AdmitResult {
  AdmitStatus status = AdmitStatus::kRejected;
  Bytes tx_hash;        // 32 bytes once the body decoded; empty for TOO_LARGE / MALFORMED
  std::string code;     // one of the kCode* names when status is kRejected or kBusy
  std::string message;  // a sentence for the client
  // kBusy: "pool_full" or "signer_share", and when to try again (SetCapacity's hint).
  std::string busy_reason;
  std::uint32_t retry_after_ms = 0;
};

// Ownership: owns the pending transactions' bytes and its batch verifier's threads; shares
// the KeyDirectory with the node.
// Thread safety: every method may be called from any thread at once (JSON-RPC threads
// admit, the p2p thread admits gossip, the node thread batches, checks and removes). One
// mutex guards the indexes; decoding, hashing, key look-ups and signature verification run
// outside it, so admissions verify in parallel.
// Threads: the batch verifier's workers, "colend-verify-<i>".
class TxPool {
 public:
  // Fails with kInvalidArgument for an empty chain id, a zero limit, or max_tx_bytes above
  // max_bytes; with the batch verifier's errors when its threads cannot start.
  // REQUIRES: keys != nullptr.
  static Result<std::unique_ptr<TxPool>> Create(PoolOptions options,
                                                std::shared_ptr<const KeyDirectory> keys);

  // REQUIRES: no other call is in progress.
  ~TxPool();
  TxPool(const TxPool&) = delete;
  TxPool& operator=(const TxPool&) = delete;

  // Admits one serialised SignedTransaction (see the file comment), verifying its
  // signature on the calling thread.
  AdmitResult Admit(std::string signed_tx);

  // Admits many: the same checks, with the signatures verified as one batch on the
  // parallel verifier. One result per input, in input order. A later entry with the body
  // (tx hash) of an earlier one, verbatim or under another signature, is not verified and
  // never inserted: it is kAlreadyPending if the earlier one was admitted, and gets the
  // earlier one's result otherwise; a body costs one signature check per batch. kPeer
  // (gossip) is held to max_txs only; kClient (sendTransactions) to the capacity and the
  // signer share, as Admit is. The room earlier entries of the batch will take counts in
  // those checks before a later entry's signature is verified, so entries beyond the room
  // are BUSY without costing a check.
  enum class Origin { kPeer, kClient };
  std::vector<AdmitResult> AdmitBatch(std::vector<std::string> signed_txs,
                                      Origin origin = Origin::kPeer);

  // For the primary (consensus::RequestProposalAction): up to `max_txs` pending
  // transactions totalling at most `max_bytes`, in the fair order of the file comment,
  // leaving out those whose leaf hash is in `exclude`. The transactions stay pending.
  std::vector<std::string> Batch(std::uint32_t max_txs, std::uint64_t max_bytes,
                                 std::span<const crypto::Digest> exclude) const;

  // One transaction of a committed block, with what executing the block decoded of it.
  struct CommittedTx {
    std::string_view bytes;   // the signed transaction, as committed
    ByteView tx_hash;         // the suite hash of its body; empty if execution could not decode it
    std::string_view signer;  // the body's signer and id (with a tx_hash)
    std::string_view id;
  };
  // After a block commits: drops each of its transactions that is pending and any pending
  // transaction with the same (signer, id). One with a tx_hash is matched by it and by
  // (signer, id), without hashing or parsing it again (a pending transaction with the same
  // bytes has the same tx hash); one without is matched by its bytes' leaf hash and, if they
  // parse, by their tx hash and (signer, id). Bytes that do not decode match nothing pending.
  void RemoveCommitted(std::span<const CommittedTx> block_transactions);

  // Backpressure: the number of pending transactions admitted from now on (at most
  // max_txs; the node sets it from the recent commit rate), and the retry hint BUSY answers
  // carry. Until called, the capacity is max_txs.
  void SetCapacity(std::size_t capacity, std::uint32_t retry_after_ms);
  std::size_t capacity() const;

  // Pending transactions and their total bytes.
  std::size_t size() const;
  std::size_t bytes() const;

  // The pending SignedTransaction bytes with this tx hash (getTransaction of a pending tx).
  std::optional<std::string> Find(ByteView tx_hash) const;

  // Checks a proposed block's transactions before voting (the node's answer to a
  // consensus::CheckProposalAction). A block is refused only for what every honest
  // replica finds the same whatever its state and pool: a transaction that does not decode
  // strictly, names another chain, repeats a (signer, id) of the same block, or carries a
  // signature that does not verify under the key its key id names. A transaction that is
  // merely invalid at this replica's state (its id committed meanwhile, its member
  // suspended, its key retired or not yet known here) does not make the block invalid:
  // execution gives it a rejection receipt (DUPLICATE, UNKNOWN_SIGNER, BAD_SIGNATURE), and
  // a signature this replica could not check for want of the key is verified then
  // (Executor::SetVerifiedLookup). Bytes pending here were verified at admission and are
  // not verified again; the rest are verified as one batch and remembered (Verified).
  // Size limits are the consensus core's. OK, or kInvalidArgument "transaction <i>:
  // <CODE>: <reason>" for the lowest bad index.
  Status CheckProposal(std::span<const std::string> block_transactions) const;

  // Whether the signature of these exact SignedTransaction bytes was verified here:
  // pending (at admission), or by a recent CheckProposal (the last 65,536 it verified).
  bool Verified(std::string_view signed_tx) const;

  // After governance changed members or keys: drops every pending transaction whose signer
  // is no longer an active member or whose key is no longer one of its active keys, so that
  // no primary proposes what can only be rejected. Returns how many, by code
  // (UNKNOWN_SIGNER, UNKNOWN_KEY). Walks the whole pool: call it on such changes only.
  std::map<std::string, std::uint64_t, std::less<>> PurgeInvalid();

  // Totals since Create, for /metrics.
  struct Counters {
    std::uint64_t admitted = 0;
    std::uint64_t already_pending = 0;
    std::uint64_t busy = 0;
    // Dropped by RemoveCommitted.
    std::uint64_t removed = 0;
    // Dropped by PurgeInvalid, by code.
    std::map<std::string, std::uint64_t, std::less<>> evicted;
    // Rejections by code (kCode*).
    std::map<std::string, std::uint64_t, std::less<>> rejected;
    std::uint64_t proposals_checked = 0;
    std::uint64_t proposals_rejected = 0;
    // Signature verifications by Admit, AdmitBatch and CheckProposal.
    std::uint64_t signatures_verified = 0;
  };
  Counters counters() const;

 private:
  class Impl;
  explicit TxPool(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_TXPOOL_H_
