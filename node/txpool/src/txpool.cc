#include "colend/node/txpool.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>

#include "colend/consensus/messages.h"
#include "colend/contracts/tx_decode.h"
#include "colend/crypto/batch_verifier.h"
#include "colend/crypto/signature.h"
#include "colend/crypto/verify_failure.h"
#include "colend/proto/tx.pb.h"
#include "pending_set.h"

namespace colend::node {
namespace {

using internal::PendingSet;
using internal::PendingTx;

crypto::Digest ToDigest(const Bytes& bytes) {
  crypto::Digest digest{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), digest.size()), digest.begin());
  return digest;
}

Bytes DigestToBytes(const crypto::Digest& digest) {
  return Bytes(digest.begin(), digest.end());
}

AdmitResult Rejected(std::string_view code, std::string message, Bytes tx_hash = {}) {
  return {AdmitStatus::kRejected, std::move(tx_hash), std::string(code), std::move(message), "", 0};
}

// A transaction that passed every check but its signature.
struct Candidate {
  std::string bytes;
  contracts::DecodedTransaction tx;
  crypto::Digest tx_hash{};
  crypto::Digest leaf_hash{};
  std::optional<crypto::PublicKey> key;
  std::uint64_t removal_epoch = 0;  // TxPool::Impl::removal_epoch_ when IdCommitted was asked
  bool from_client = true;
};

// What the candidates of one AdmitBatch call already hold of the pool before they are
// inserted: counted with the pending transactions by the capacity and share checks.
struct BatchHold {
  std::size_t count = 0;
  std::size_t bytes = 0;
  std::unordered_map<std::string, std::size_t> per_signer;
  std::unordered_set<crypto::Digest, internal::DigestHash> tx_hashes;
};

std::size_t HeldFor(const BatchHold* held, const std::string& signer) {
  if (held == nullptr) return 0;
  const auto it = held->per_signer.find(signer);
  return it == held->per_signer.end() ? 0 : it->second;
}

// A proposed transaction that passed every check but its signature.
struct ProposedTx {
  std::size_t index = 0;  // in the block
  crypto::Digest leaf_hash{};
  contracts::DecodedTransaction tx;
  crypto::PublicKey key;
};

// The signature check of one candidate, as one batch-verifier item.
crypto::SignedMessage VerifyItem(const Candidate& c) {
  return {&*c.key, contracts::kTransactionSignatureDomain, AsBytes(c.tx.envelope.body()),
          AsBytes(c.tx.envelope.signature())};
}

// A failed verification: BAD_SIGNATURE, or INTERNAL when OpenSSL itself failed (out of
// memory), which says nothing about the transaction.
std::string_view SignatureCode(const Status& status) {
  return crypto::ClassifyVerifyFailure(status) == crypto::VerifyFailure::kNotChecked
             ? kCodeInternal
             : kCodeBadSignature;
}

std::string SignatureFailure(const Status& status) {
  if (crypto::ClassifyVerifyFailure(status) == crypto::VerifyFailure::kNotChecked) {
    return "the signature could not be checked: " + status.message();
  }
  return "the signature does not verify under the signer's key: " + status.message();
}

}  // namespace

class TxPool::Impl {
 public:
  Impl(PoolOptions options, std::shared_ptr<const KeyDirectory> keys,
       std::unique_ptr<crypto::BatchVerifier> verifier)
      : options_(std::move(options)), keys_(std::move(keys)), verifier_(std::move(verifier)) {
    capacity_.store(options_.max_txs);
  }

  AdmitResult Admit(std::string signed_tx) {
    auto prepared = Prepare(std::move(signed_tx), /*from_client=*/true);
    if (auto* done = std::get_if<AdmitResult>(&prepared)) return Count(std::move(*done));
    Candidate& candidate = std::get<Candidate>(prepared);
    CountVerified(1);
    const Status verified = contracts::VerifyTransactionSignature(candidate.tx, *candidate.key);
    if (!verified.ok()) {
      return Count(Rejected(SignatureCode(verified), SignatureFailure(verified),
                            DigestToBytes(candidate.tx_hash)));
    }
    return Count(Insert(std::move(candidate)));
  }

  std::vector<AdmitResult> AdmitBatch(std::vector<std::string> signed_txs, bool from_client) {
    std::vector<AdmitResult> results(signed_txs.size());
    std::vector<std::optional<Candidate>> candidates(signed_txs.size());
    std::vector<crypto::SignedMessage> items;
    std::vector<std::size_t> item_index;  // items[k] checks candidates[item_index[k]]
    // Room the earlier entries of this batch will take once verified: an entry beyond the
    // capacity or its signer's share is BUSY before its signature costs anything.
    BatchHold held;
    for (std::size_t i = 0; i < signed_txs.size(); ++i) {
      auto prepared = Prepare(std::move(signed_txs[i]), from_client, &held);
      if (auto* done = std::get_if<AdmitResult>(&prepared)) {
        results[i] = std::move(*done);
      } else {
        Candidate& candidate = candidates[i].emplace(std::move(std::get<Candidate>(prepared)));
        if (held.tx_hashes.insert(candidate.tx_hash).second) {
          ++held.count;
          held.bytes += candidate.bytes.size();
          ++held.per_signer[candidate.tx.body.signer()];
        }
      }
    }
    // Built after every candidate is in place: the items borrow the candidates' bytes. A
    // later entry with the body of an earlier one (the same tx hash, verbatim or under
    // another signature) is not verified: it shares the first's fate, kAlreadyPending once
    // the first is in, the first's rejection otherwise. One signature check per body, so a
    // frame of many signatures over one body costs one check, not one per copy (the copies
    // took no room in CheckPendingLocked either).
    std::unordered_map<crypto::Digest, std::size_t, internal::DigestHash> first_with_body;
    std::vector<std::size_t> copy_of(candidates.size(), candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (!candidates[i]) continue;
      const auto [first, fresh] = first_with_body.emplace(candidates[i]->tx_hash, i);
      if (!fresh) {
        copy_of[i] = first->second;
        continue;
      }
      items.push_back(VerifyItem(*candidates[i]));
      item_index.push_back(i);
    }
    CountVerified(items.size());
    const crypto::BatchVerifyReport report = verifier_->VerifyBatch(items);
    std::vector<bool> bad(candidates.size(), false);
    for (const crypto::BatchFailure& failure : report.failures) {
      const std::size_t i = item_index[failure.index];
      bad[i] = true;
      results[i] = Rejected(SignatureCode(failure.status), SignatureFailure(failure.status),
                            DigestToBytes(candidates[i]->tx_hash));
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i]) {
        if (copy_of[i] != candidates.size()) {
          // Never inserted itself: its signature was not checked. The first comes earlier,
          // so its result is final here.
          results[i] = CopyResult(results[copy_of[i]]);
        } else if (!bad[i]) {
          results[i] = Insert(std::move(*candidates[i]));
        }
      }
      Count(results[i]);
    }
    return results;
  }

  std::vector<std::string> Batch(std::uint32_t max_txs, std::uint64_t max_bytes,
                                 std::span<const crypto::Digest> exclude) const {
    std::lock_guard lock(mutex_);
    return pending_.Batch(max_txs, max_bytes, exclude);
  }

  void RemoveCommitted(std::span<const TxPool::CommittedTx> block_transactions) {
    std::vector<Committed> committed;
    committed.reserve(block_transactions.size());
    for (const TxPool::CommittedTx& tx : block_transactions) {
      if (tx.tx_hash.size() != crypto::kDigestSize) {
        committed.push_back(Parse(tx.bytes));
        continue;
      }
      Committed c;
      c.tx_hash.emplace();
      std::copy(tx.tx_hash.begin(), tx.tx_hash.end(), c.tx_hash->begin());
      c.signer = tx.signer;
      c.id = tx.id;
      committed.push_back(std::move(c));
    }
    Remove(committed);
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

  std::size_t bytes() const {
    std::lock_guard lock(mutex_);
    return pending_.bytes();
  }

  // Drops every pending transaction whose signer cannot sign with its key any more.
  std::map<std::string, std::uint64_t, std::less<>> PurgeInvalid() {
    std::map<std::pair<std::string, std::string>, std::string> verdicts;  // -> code or ""
    {
      std::lock_guard lock(mutex_);
      pending_.ForEach([&](const PendingTx& tx) { verdicts.emplace(std::make_pair(tx.signer, tx.key_id), ""); });
    }
    // The key directory is asked outside the lock (it may take its own).
    for (auto& [who, code] : verdicts) {
      if (keys_->ActiveKey(who.first, AsBytes(who.second)).ok()) continue;
      code = std::string(keys_->IsActiveMember(who.first) ? kCodeUnknownKey : kCodeUnknownSigner);
    }
    std::map<std::string, std::uint64_t, std::less<>> evicted;
    {
      std::lock_guard lock(mutex_);
      std::vector<crypto::Digest> gone;
      std::vector<std::string> codes;
      pending_.ForEach([&](const PendingTx& tx) {
        const auto it = verdicts.find(std::make_pair(tx.signer, tx.key_id));
        if (it == verdicts.end() || it->second.empty()) return;  // admitted since: checked then
        gone.push_back(tx.leaf_hash);
        codes.push_back(it->second);
      });
      for (std::size_t i = 0; i < gone.size(); ++i) {
        if (pending_.RemoveByLeaf(gone[i])) ++evicted[codes[i]];
      }
    }
    std::lock_guard lock(counters_mutex_);
    for (const auto& [code, n] : evicted) counters_.evicted[code] += n;
    return evicted;
  }

  void SetCapacity(std::size_t capacity, std::uint32_t retry_after_ms) {
    capacity_.store(std::clamp<std::size_t>(capacity, 1, options_.max_txs),
                    std::memory_order_relaxed);
    retry_after_ms_.store(std::max<std::uint32_t>(retry_after_ms, 1), std::memory_order_relaxed);
  }
  std::size_t capacity() const { return capacity_.load(std::memory_order_relaxed); }

  // Whether this pool verified the signature of these exact bytes: pending (verified at
  // admission) or checked in a proposal not long ago.
  bool Verified(std::string_view signed_tx) const {
    const crypto::Digest leaf = consensus::TxLeafHash(options_.suite.hash(), signed_tx);
    std::lock_guard lock(mutex_);
    return pending_.HasLeaf(leaf) || proposal_verified_.contains(leaf);
  }

  std::optional<std::string> Find(ByteView tx_hash) const {
    if (tx_hash.size() != crypto::kDigestSize) return std::nullopt;
    crypto::Digest digest{};
    std::copy(tx_hash.begin(), tx_hash.end(), digest.begin());
    std::lock_guard lock(mutex_);
    const PendingTx* tx = pending_.FindByTxHash(digest);
    if (tx == nullptr) return std::nullopt;
    return tx->bytes;
  }

  Status CheckProposal(std::span<const std::string> block_transactions) const;

  Counters counters() const {
    std::lock_guard lock(counters_mutex_);
    return counters_;
  }

 private:
  // Steps 1-7 of txpool.h: everything but the signature. An AdmitResult when the outcome is
  // already known, else the candidate to verify.
  // from_client: admission from sendTransaction, held to the capacity and the signer share;
  // gossip of what another validator admitted is held to max_txs only (that validator
  // promised the client a receipt, and the primary must see the transaction).
  // `held`: what earlier entries of the same batch will take (AdmitBatch), or null.
  std::variant<AdmitResult, Candidate> Prepare(std::string signed_tx, bool from_client,
                                               const BatchHold* held = nullptr) const;

  // The checks of one proposed transaction before its signature: the candidate, "CODE:
  // reason" for a reason to refuse the block, or monostate for a transaction whose key this
  // replica's state does not hold (execution verifies it). Records (signer, id) in `seen`.
  std::variant<std::string, ProposedTx, std::monostate> CheckProposedTx(
      const std::string& bytes, std::size_t index,
      std::unordered_map<std::string, std::size_t>& seen) const;

  // The public key for (signer, key_id), or the rejection naming why there is none.
  std::variant<AdmitResult, crypto::PublicKey> LookUpKey(const proto::TransactionBody& body,
                                                         const std::string& key_id,
                                                         const Bytes& tx_hash) const {
    Result<crypto::PublicKey> key = keys_->ActiveKey(body.signer(), AsBytes(key_id));
    if (key.ok()) {
      if (key->key_id() != ToBytes(key_id)) {
        return Rejected(kCodeUnknownKey,
                        "the key directory returned another key than " + ToHex(AsBytes(key_id)),
                        tx_hash);
      }
      return std::move(key).value();
    }
    const bool member = keys_->IsActiveMember(body.signer());
    return Rejected(member ? kCodeUnknownKey : kCodeUnknownSigner, key.status().message(), tx_hash);
  }

  // Steps 4-6 under the lock: kAlreadyPending, DUPLICATE (pending) or kBusy; nullopt to
  // go on. `held` counts as pending for the capacity, the byte bound and the signer share.
  std::optional<AdmitResult> CheckPendingLocked(const crypto::Digest& tx_hash,
                                                const proto::TransactionBody& body,
                                                std::size_t size, bool from_client,
                                                const BatchHold* held = nullptr) const {
    if (pending_.FindByTxHash(tx_hash) != nullptr) {
      return AdmitResult{AdmitStatus::kAlreadyPending, DigestToBytes(tx_hash), "", "", "", 0};
    }
    if (pending_.FindBySignerId(body.signer(), body.id()) != nullptr) {
      return Rejected(kCodeDuplicate,
                      "another transaction with signer '" + body.signer() + "' and id '" +
                          body.id() + "' is pending",
                      DigestToBytes(tx_hash));
    }
    // A copy of an earlier entry of the batch: that entry holds its room; it shares its fate.
    if (held != nullptr && held->tx_hashes.contains(tx_hash)) return std::nullopt;
    const std::size_t capacity =
        from_client ? capacity_.load(std::memory_order_relaxed) : options_.max_txs;
    const std::uint32_t retry = retry_after_ms_.load(std::memory_order_relaxed);
    const std::size_t pending = pending_.size() + (held != nullptr ? held->count : 0);
    const std::size_t bytes = pending_.bytes() + (held != nullptr ? held->bytes : 0);
    if (pending >= capacity || bytes + size > options_.max_bytes) {
      return AdmitResult{AdmitStatus::kBusy, DigestToBytes(tx_hash), std::string(kCodeBusy),
                         "the transaction pool holds what the network can commit in the next "
                         "moments (" + std::to_string(pending) +
                             " pending); retry in " + std::to_string(retry) + " ms",
                         "pool_full", retry};
    }
    const std::size_t share =
        std::max<std::size_t>(1, capacity * options_.signer_share_pct / 100);
    if (from_client && pending_.CountOf(body.signer()) + HeldFor(held, body.signer()) >= share) {
      return AdmitResult{AdmitStatus::kBusy, DigestToBytes(tx_hash), std::string(kCodeBusy),
                         body.signer() + " already has " + std::to_string(share) +
                             " transactions pending, its share of this node's pool; retry in " +
                             std::to_string(retry) + " ms",
                         "signer_share", retry};
    }
    return std::nullopt;
  }

  // The result of a later batch entry with the same body as an earlier one whose result is
  // `first`: pending if the first is, the first's rejection or BUSY otherwise.
  static AdmitResult CopyResult(const AdmitResult& first) {
    if (first.status != AdmitStatus::kAdmitted) return first;
    return AdmitResult{AdmitStatus::kAlreadyPending, first.tx_hash, "", "", "", 0};
  }

  static AdmitResult CommittedDuplicate(const proto::TransactionBody& body, const Bytes& tx_hash) {
    return Rejected(kCodeDuplicate,
                    "a transaction with signer '" + body.signer() + "' and id '" + body.id() +
                        "' is already on chain",
                    tx_hash);
  }

  // The last step: re-checks under the lock what may have changed while verifying, and
  // inserts.
  AdmitResult Insert(Candidate candidate) {
    const proto::TransactionBody& body = candidate.tx.body;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (removal_epoch_.load(std::memory_order_acquire) == candidate.removal_epoch) {
          if (auto done = CheckPendingLocked(candidate.tx_hash, body, candidate.bytes.size(),
                                             candidate.from_client)) {
            return std::move(*done);
          }
          PendingTx tx{std::move(candidate.bytes), candidate.tx_hash, candidate.leaf_hash,
                       body.signer(), body.id(), candidate.tx.envelope.key_id()};
          pending_.Insert(std::move(tx));
          return AdmitResult{AdmitStatus::kAdmitted, DigestToBytes(candidate.tx_hash), "", "", "", 0};
        }
      }
      // A block committed since IdCommitted was asked: ask again.
      candidate.removal_epoch = removal_epoch_.load(std::memory_order_acquire);
      if (keys_->IdCommitted(body.signer(), body.id())) {
        return CommittedDuplicate(body, candidate.tx.tx_hash);
      }
    }
  }

  const AdmitResult& Count(const AdmitResult& result) {
    std::lock_guard lock(counters_mutex_);
    switch (result.status) {
      case AdmitStatus::kAdmitted:
        ++counters_.admitted;
        break;
      case AdmitStatus::kAlreadyPending:
        ++counters_.already_pending;
        break;
      case AdmitStatus::kBusy:
        ++counters_.busy;
        break;
      case AdmitStatus::kRejected:
        ++counters_.rejected[result.code];
        break;
    }
    return result;
  }
  AdmitResult Count(AdmitResult&& result) {
    Count(static_cast<const AdmitResult&>(result));
    return std::move(result);
  }

  void CountVerified(std::size_t n) const {
    std::lock_guard lock(counters_mutex_);
    counters_.signatures_verified += n;
  }

  // One committed transaction, as the pool matches it against what is pending.
  struct Committed {
    std::optional<crypto::Digest> leaf_hash;  // unset when the tx hash is known
    std::optional<crypto::Digest> tx_hash;    // unset for bytes that do not decode
    std::string signer;
    std::string id;
  };

  // Committed bytes that execution did not decode. Lenient parsing: a committed block was
  // checked already; this only finds matches.
  Committed Parse(std::string_view bytes) const {
    Committed c;
    c.leaf_hash = consensus::TxLeafHash(options_.suite.hash(), bytes);
    proto::SignedTransaction envelope;
    proto::TransactionBody body;
    if (envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
        body.ParseFromString(envelope.body())) {
      c.tx_hash = crypto::Hash(options_.suite.hash(), AsBytes(envelope.body()));
      c.signer = body.signer();
      c.id = body.id();
    }
    return c;
  }

  void Remove(const std::vector<Committed>& committed) {
    std::uint64_t removed = 0;
    {
      std::lock_guard lock(mutex_);
      for (const Committed& c : committed) {
        bool gone = c.leaf_hash && pending_.RemoveByLeaf(*c.leaf_hash);
        if (c.tx_hash) {
          gone = pending_.RemoveByTxHash(*c.tx_hash) || gone;
          gone = pending_.RemoveBySignerId(c.signer, c.id) || gone;
        }
        removed += gone ? 1 : 0;
      }
      removal_epoch_.fetch_add(1, std::memory_order_acq_rel);
    }
    std::lock_guard lock(counters_mutex_);
    counters_.removed += removed;
  }

  const PoolOptions options_;
  const std::shared_ptr<const KeyDirectory> keys_;
  const std::unique_ptr<crypto::BatchVerifier> verifier_;

  mutable std::mutex mutex_;
  PendingSet pending_;  // guarded by mutex_
  // Leaf hashes of transactions whose signatures CheckProposal verified, oldest first,
  // bounded (guarded by mutex_): execution does not verify them again.
  static constexpr std::size_t kMaxProposalVerified = 1 << 16;
  mutable std::unordered_set<crypto::Digest, internal::DigestHash> proposal_verified_;
  mutable std::deque<crypto::Digest> proposal_verified_order_;
  // Incremented (under mutex_) by every RemoveCommitted, so an admission can tell whether a
  // block committed between its IdCommitted question and its insertion.
  std::atomic<std::uint64_t> removal_epoch_{0};
  std::atomic<std::size_t> capacity_{0};  // set to max_txs at construction
  std::atomic<std::uint32_t> retry_after_ms_{200};

  mutable std::mutex counters_mutex_;
  mutable Counters counters_;  // guarded by counters_mutex_
};

std::variant<AdmitResult, Candidate> TxPool::Impl::Prepare(std::string signed_tx,
                                                           bool from_client,
                                                           const BatchHold* held) const {
  if (signed_tx.size() > options_.max_tx_bytes) {
    return Rejected(kCodeTooLarge, "the signed transaction is " + std::to_string(signed_tx.size()) +
                                       " bytes; this node accepts at most " +
                                       std::to_string(options_.max_tx_bytes));
  }
  Result<contracts::DecodedTransaction> decoded =
      contracts::DecodeTransaction(AsBytes(signed_tx), options_.suite);
  if (!decoded.ok()) return Rejected(kCodeMalformed, decoded.status().message());
  Candidate c;
  c.tx = std::move(decoded).value();
  c.tx.raw.clear();  // the pool keeps the bytes once, as a string
  c.tx.raw.shrink_to_fit();
  const proto::TransactionBody& body = c.tx.body;
  const Bytes& tx_hash = c.tx.tx_hash;
  if (body.chain_id() != options_.chain_id) {
    return Rejected(kCodeWrongChain,
                    "the transaction is for chain '" + body.chain_id() + "', this is '" +
                        options_.chain_id + "'",
                    tx_hash);
  }
  c.tx_hash = ToDigest(tx_hash);
  {
    std::lock_guard lock(mutex_);
    if (auto done = CheckPendingLocked(c.tx_hash, body, signed_tx.size(), from_client, held)) {
      return std::move(*done);
    }
  }
  c.from_client = from_client;
  c.removal_epoch = removal_epoch_.load(std::memory_order_acquire);
  if (keys_->IdCommitted(body.signer(), body.id())) return CommittedDuplicate(body, tx_hash);
  auto key = LookUpKey(body, c.tx.envelope.key_id(), tx_hash);
  if (auto* done = std::get_if<AdmitResult>(&key)) return std::move(*done);
  c.key = std::move(std::get<crypto::PublicKey>(key));
  c.leaf_hash = consensus::TxLeafHash(options_.suite.hash(), signed_tx);
  c.bytes = std::move(signed_tx);
  return c;
}

std::variant<std::string, ProposedTx, std::monostate> TxPool::Impl::CheckProposedTx(
    const std::string& bytes, std::size_t index,
    std::unordered_map<std::string, std::size_t>& seen) const {
  Result<contracts::DecodedTransaction> decoded =
      contracts::DecodeTransaction(AsBytes(bytes), options_.suite);
  if (!decoded.ok()) return std::string(kCodeMalformed) + ": " + decoded.status().message();
  contracts::DecodedTransaction& tx = decoded.value();
  const proto::TransactionBody& body = tx.body;
  if (body.chain_id() != options_.chain_id) {
    return std::string(kCodeWrongChain) + ": the transaction is for chain '" + body.chain_id() +
           "'";
  }
  const auto [where, fresh] = seen.emplace(internal::SignerIdKey(body.signer(), body.id()), index);
  if (!fresh) {
    return std::string(kCodeDuplicate) + ": signer '" + body.signer() + "' and id '" + body.id() +
           "' also at index " + std::to_string(where->second);
  }
  // What depends on this replica's state (an id committed meanwhile, a key retired or not
  // yet registered, a member suspended) is no reason to refuse the block: replicas at
  // different heights would disagree. Execution decides it, with a rejection receipt.
  Result<crypto::PublicKey> key = keys_->ActiveKey(body.signer(), AsBytes(tx.envelope.key_id()));
  if (!key.ok() || key->key_id() != ToBytes(tx.envelope.key_id())) return std::monostate{};
  tx.raw.clear();
  return ProposedTx{index, consensus::TxLeafHash(options_.suite.hash(), bytes), std::move(tx),
                    std::move(key).value()};
}

Status TxPool::Impl::CheckProposal(std::span<const std::string> block_transactions) const {
  std::vector<ProposedTx> to_verify;
  std::unordered_map<std::string, std::size_t> seen;               // SignerIdKey -> index
  std::optional<std::pair<std::size_t, std::string>> first_error;  // index, "CODE: reason"
  for (std::size_t i = 0; i < block_transactions.size(); ++i) {
    auto checked = CheckProposedTx(block_transactions[i], i, seen);
    if (auto* error = std::get_if<std::string>(&checked)) {
      first_error.emplace(i, std::move(*error));
      break;
    }
    if (auto* proposed = std::get_if<ProposedTx>(&checked)) to_verify.push_back(std::move(*proposed));
  }
  // Bytes pending here were verified at admission: same bytes, same key id, same key.
  {
    std::lock_guard lock(mutex_);
    std::erase_if(to_verify, [&](const ProposedTx& v) {
      return pending_.HasLeaf(v.leaf_hash) || proposal_verified_.contains(v.leaf_hash);
    });
  }
  std::vector<crypto::SignedMessage> items;
  items.reserve(to_verify.size());
  for (const ProposedTx& v : to_verify) {
    items.push_back({&v.key, contracts::kTransactionSignatureDomain, AsBytes(v.tx.envelope.body()),
                     AsBytes(v.tx.envelope.signature())});
  }
  CountVerified(items.size());
  const crypto::BatchVerifyReport report = verifier_->VerifyBatch(items);
  if (!report.failures.empty()) {
    // A bad signature under the key its id names is the same fact on every replica that
    // knows the key (the key id is a hash of the key): the primary signed off on a forgery.
    // Failures come in ascending order, and every index verified is below that of a
    // non-signature error, so this is the lowest bad index.
    const crypto::BatchFailure& failure = report.failures.front();
    first_error.emplace(
        to_verify[failure.index].index,
        std::string(SignatureCode(failure.status)) + ": " + SignatureFailure(failure.status));
  }
  if (!first_error) {
    std::lock_guard lock(mutex_);
    for (const ProposedTx& v : to_verify) {
      if (!proposal_verified_.insert(v.leaf_hash).second) continue;
      proposal_verified_order_.push_back(v.leaf_hash);
      if (proposal_verified_order_.size() > kMaxProposalVerified) {
        proposal_verified_.erase(proposal_verified_order_.front());
        proposal_verified_order_.pop_front();
      }
    }
  }
  {
    std::lock_guard lock(counters_mutex_);
    ++counters_.proposals_checked;
    if (first_error) ++counters_.proposals_rejected;
  }
  if (!first_error) return Status::Ok();
  return Status::InvalidArgument("transaction " + std::to_string(first_error->first) + ": " +
                                 first_error->second);
}

Result<std::unique_ptr<TxPool>> TxPool::Create(PoolOptions options,
                                               std::shared_ptr<const KeyDirectory> keys) {
  if (keys == nullptr) return Status::InvalidArgument("txpool: no key directory");
  if (options.chain_id.empty()) return Status::InvalidArgument("txpool: chain_id is empty");
  if (options.max_txs == 0 || options.max_bytes == 0 || options.max_tx_bytes == 0) {
    return Status::InvalidArgument("txpool: max_txs, max_bytes and max_tx_bytes must be > 0");
  }
  if (options.max_tx_bytes > options.max_bytes) {
    return Status::InvalidArgument("txpool: max_tx_bytes (" + std::to_string(options.max_tx_bytes) +
                                   ") is above max_bytes (" + std::to_string(options.max_bytes) +
                                   ")");
  }
  crypto::BatchVerifier::Options verifier_options;
  verifier_options.worker_threads = options.verifier_threads;
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<crypto::BatchVerifier> verifier,
                          crypto::BatchVerifier::Create(verifier_options));
  return std::unique_ptr<TxPool>(
      new TxPool(std::make_unique<Impl>(std::move(options), std::move(keys), std::move(verifier))));
}

TxPool::TxPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TxPool::~TxPool() = default;

AdmitResult TxPool::Admit(std::string signed_tx) {
  return impl_->Admit(std::move(signed_tx));
}

std::vector<AdmitResult> TxPool::AdmitBatch(std::vector<std::string> signed_txs,
                                            Origin origin) {
  return impl_->AdmitBatch(std::move(signed_txs), origin == Origin::kClient);
}

std::vector<std::string> TxPool::Batch(std::uint32_t max_txs, std::uint64_t max_bytes,
                                       std::span<const crypto::Digest> exclude) const {
  return impl_->Batch(max_txs, max_bytes, exclude);
}

void TxPool::RemoveCommitted(std::span<const CommittedTx> block_transactions) {
  impl_->RemoveCommitted(block_transactions);
}

std::size_t TxPool::size() const {
  return impl_->size();
}
std::size_t TxPool::bytes() const {
  return impl_->bytes();
}

std::optional<std::string> TxPool::Find(ByteView tx_hash) const {
  return impl_->Find(tx_hash);
}

Status TxPool::CheckProposal(std::span<const std::string> block_transactions) const {
  return impl_->CheckProposal(block_transactions);
}

std::map<std::string, std::uint64_t, std::less<>> TxPool::PurgeInvalid() {
  return impl_->PurgeInvalid();
}

void TxPool::SetCapacity(std::size_t capacity, std::uint32_t retry_after_ms) {
  impl_->SetCapacity(capacity, retry_after_ms);
}
std::size_t TxPool::capacity() const {
  return impl_->capacity();
}

bool TxPool::Verified(std::string_view signed_tx) const {
  return impl_->Verified(signed_tx);
}

TxPool::Counters TxPool::counters() const {
  return impl_->counters();
}

}  // namespace colend::node
