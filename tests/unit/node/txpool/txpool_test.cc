// TxPool: admission and every rejection code, capacity, the fair batch order with its
// limits and exclusions, removal after commit, proposal checks, gossip batches and
// concurrent admission.
#include "colend/node/txpool.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/contracts/error_code.h"
#include "colend/contracts/tx_decode.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/proto/tx.pb.h"

namespace colend::node {
namespace {

constexpr char kChain[] = "colend-test-1";
const crypto::CryptoSuite kSuite = crypto::CryptoSuite::Standard();

crypto::PrivateKey NewKey(crypto::CryptoSuite suite = kSuite) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(suite);
  EXPECT_TRUE(key.ok()) << key.status();
  return std::move(key).value();
}

// Members and keys held in memory; tests flip them as a governance transaction would.
class FakeKeyDirectory final : public KeyDirectory {
 public:
  void AddKey(const std::string& member, const crypto::PublicKey& key) {
    std::lock_guard lock(mutex_);
    members_[member].active = true;
    members_[member].keys.insert_or_assign(ToString(key.key_id()), KeyEntry{key, false});
  }
  void RetireKey(const std::string& member, const crypto::PublicKey& key) {
    std::lock_guard lock(mutex_);
    members_.at(member).keys.at(ToString(key.key_id())).retired = true;
  }
  void Suspend(const std::string& member) {
    std::lock_guard lock(mutex_);
    members_.at(member).active = false;
  }
  void Commit(const std::string& signer, const std::string& id) {
    std::lock_guard lock(mutex_);
    committed_.emplace(signer, id);
  }

  Result<crypto::PublicKey> ActiveKey(std::string_view signer, ByteView key_id) const override {
    std::lock_guard lock(mutex_);
    const auto member = members_.find(std::string(signer));
    if (member == members_.end()) return Status::NotFound("no member " + std::string(signer));
    if (!member->second.active) return Status::PermissionDenied("member is suspended");
    const auto key = member->second.keys.find(ToString(key_id));
    if (key == member->second.keys.end()) return Status::NotFound("no such key");
    if (key->second.retired) return Status::PermissionDenied("key is retired");
    return key->second.key;
  }
  bool IsActiveMember(std::string_view signer) const override {
    std::lock_guard lock(mutex_);
    const auto member = members_.find(std::string(signer));
    return member != members_.end() && member->second.active;
  }
  bool IdCommitted(std::string_view signer, std::string_view id) const override {
    std::lock_guard lock(mutex_);
    return committed_.contains({std::string(signer), std::string(id)});
  }

 private:
  struct KeyEntry {
    crypto::PublicKey key;
    bool retired = false;
  };
  struct Member {
    bool active = true;
    std::map<std::string, KeyEntry> keys;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Member> members_;
  std::set<std::pair<std::string, std::string>> committed_;
};

proto::TransactionBody Body(const std::string& signer, const std::string& id,
                            const std::string& chain = kChain, std::size_t padding = 0) {
  proto::TransactionBody body;
  body.set_chain_id(chain);
  body.set_signer(signer);
  body.set_id(id);
  body.mutable_accept_agreement()->set_agreement_id("AG-" + std::string(padding, 'x') + "1");
  return body;
}

std::string Sign(const proto::TransactionBody& body, const crypto::PrivateKey& key) {
  Result<Bytes> signed_tx = contracts::SignTransaction(body, key);
  EXPECT_TRUE(signed_tx.ok()) << signed_tx.status();
  return ToString(signed_tx.value());
}

std::string SignBytes(const std::string& body_bytes, const crypto::PrivateKey& key) {
  Result<Bytes> signed_tx = contracts::SignTransactionBodyBytes(AsBytes(body_bytes), key);
  EXPECT_TRUE(signed_tx.ok()) << signed_tx.status();
  return ToString(signed_tx.value());
}

Bytes TxHashOf(const std::string& signed_tx) {
  proto::SignedTransaction envelope;
  EXPECT_TRUE(envelope.ParseFromString(signed_tx));
  const crypto::Digest d = crypto::Hash(kSuite.hash(), AsBytes(envelope.body()));
  return Bytes(d.begin(), d.end());
}

crypto::Digest LeafOf(const std::string& signed_tx) {
  return crypto::Hash(kSuite.hash(), AsBytes(signed_tx));
}

// The same envelope with one bit of the signature's last byte flipped: still canonical DER,
// no longer valid.
std::string FlipSignature(const std::string& signed_tx) {
  proto::SignedTransaction envelope;
  EXPECT_TRUE(envelope.ParseFromString(signed_tx));
  std::string signature = envelope.signature();
  signature.back() = static_cast<char>(signature.back() ^ 0x01);
  envelope.set_signature(signature);
  return envelope.SerializeAsString();
}

class TxPoolTest : public ::testing::Test {
 protected:
  TxPoolTest() {
    keys_->AddKey("LEAD", lead_.public_key());
    keys_->AddKey("PARTNER_A", partner_a_.public_key());
    keys_->AddKey("PARTNER_B", partner_b_.public_key());
    pool_ = MakePool(Options());
  }

  static PoolOptions Options() {
    PoolOptions options;
    options.chain_id = kChain;
    options.suite = kSuite;
    options.max_txs = 1000;
    options.max_bytes = 1 << 20;
    return options;
  }

  std::unique_ptr<TxPool> MakePool(PoolOptions options) {
    Result<std::unique_ptr<TxPool>> pool = TxPool::Create(std::move(options), keys_);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return std::move(pool).value();
  }

  void ExpectRejected(const std::string& signed_tx, std::string_view code) {
    const std::size_t size_before = pool_->size();
    const AdmitResult result = pool_->Admit(signed_tx);
    EXPECT_EQ(result.status, AdmitStatus::kRejected) << result.message;
    EXPECT_EQ(result.code, code) << result.message;
    EXPECT_FALSE(result.message.empty());
    EXPECT_EQ(pool_->size(), size_before);
  }

  std::string Lead(const std::string& id, std::size_t padding = 0) {
    return Sign(Body("LEAD", id, kChain, padding), lead_);
  }
  std::string PartnerA(const std::string& id) { return Sign(Body("PARTNER_A", id), partner_a_); }
  std::string PartnerB(const std::string& id) { return Sign(Body("PARTNER_B", id), partner_b_); }

  // A committed block handed over as bytes alone, as if execution had decoded none of them.
  void RemoveCommittedBytes(const std::vector<std::string>& block) {
    std::vector<TxPool::CommittedTx> committed;
    for (const std::string& bytes : block) committed.push_back({bytes, {}, "", ""});
    pool_->RemoveCommitted(committed);
  }

  // l1, l2, a1, b1 and c1 pending; the block holds l1 under another signature (same tx
  // hash, other leaf), l2 verbatim, a different body reusing a1's (signer, id), c1, and junk,
  // which is ignored. With `decoded`, it carries what execution decoded of the first three
  // (c1 and the junk as bytes execution could not decode); without, bytes alone. Either
  // way all but b1 go.
  void ExpectRemoveCommittedMatchesLeafTxHashAndSignerId(bool decoded) {
    const proto::TransactionBody body = Body("LEAD", "l-1");
    const std::string l1 = Sign(body, lead_);
    const std::string l2 = Lead("l-2");
    const std::string a1 = PartnerA("a-1");
    const std::string b1 = PartnerB("b-1");
    const std::string c1 = PartnerA("a-2");
    AdmitAll({l1, l2, a1, b1, c1});

    proto::TransactionBody other_a = Body("PARTNER_A", "a-1");
    other_a.mutable_accept_agreement()->set_agreement_id("AG-9");
    const std::string l1_resigned = Sign(body, lead_);
    const std::string a1_other = Sign(other_a, partner_a_);
    const Bytes l1_hash = TxHashOf(l1_resigned);
    const Bytes l2_hash = TxHashOf(l2);
    const Bytes a1_hash = TxHashOf(a1_other);
    std::vector<TxPool::CommittedTx> block = {{l1_resigned, {}, "", ""},
                                              {l2, {}, "", ""},
                                              {a1_other, {}, "", ""},
                                              {c1, {}, "", ""},
                                              {"junk", {}, "", ""}};
    if (decoded) {
      block[0] = {l1_resigned, l1_hash, "LEAD", "l-1"};
      block[1] = {l2, l2_hash, "LEAD", "l-2"};
      block[2] = {a1_other, a1_hash, "PARTNER_A", "a-1"};
    }
    pool_->RemoveCommitted(block);
    EXPECT_EQ(pool_->size(), 1u);
    EXPECT_EQ(pool_->bytes(), b1.size());
    EXPECT_EQ(pool_->Batch(10, 1 << 20, {}), (std::vector<std::string>{b1}));
    EXPECT_EQ(pool_->Find(TxHashOf(l1)), std::nullopt);
    EXPECT_EQ(pool_->counters().removed, 4u);
    // Removing again is harmless.
    pool_->RemoveCommitted(block);
    EXPECT_EQ(pool_->size(), 1u);
  }

  void AdmitAll(const std::vector<std::string>& txs) {
    for (const std::string& tx : txs) {
      const AdmitResult result = pool_->Admit(tx);
      ASSERT_EQ(result.status, AdmitStatus::kAdmitted) << result.code << ": " << result.message;
    }
  }

  crypto::PrivateKey lead_ = NewKey();
  crypto::PrivateKey partner_a_ = NewKey();
  crypto::PrivateKey partner_b_ = NewKey();
  std::shared_ptr<FakeKeyDirectory> keys_ = std::make_shared<FakeKeyDirectory>();
  std::unique_ptr<TxPool> pool_;
};

TEST_F(TxPoolTest, CodesMatchTheContractsNames) {
  using contracts::ErrorCode;
  EXPECT_EQ(kCodeMalformed, contracts::ErrorCodeName(ErrorCode::kMalformed));
  EXPECT_EQ(kCodeWrongChain, contracts::ErrorCodeName(ErrorCode::kWrongChain));
  EXPECT_EQ(kCodeUnknownSigner, contracts::ErrorCodeName(ErrorCode::kUnknownSigner));
  EXPECT_EQ(kCodeBadSignature, contracts::ErrorCodeName(ErrorCode::kBadSignature));
  EXPECT_EQ(kCodeDuplicate, contracts::ErrorCodeName(ErrorCode::kDuplicate));
}

TEST_F(TxPoolTest, CreateRefusesBadOptions) {
  PoolOptions no_chain = Options();
  no_chain.chain_id.clear();
  EXPECT_EQ(TxPool::Create(no_chain, keys_).status().code(), StatusCode::kInvalidArgument);
  PoolOptions zero = Options();
  zero.max_txs = 0;
  EXPECT_EQ(TxPool::Create(zero, keys_).status().code(), StatusCode::kInvalidArgument);
  PoolOptions tx_above_pool = Options();
  tx_above_pool.max_bytes = 100;
  EXPECT_EQ(TxPool::Create(tx_above_pool, keys_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TxPool::Create(Options(), nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TxPoolTest, AdmitsAValidTransaction) {
  const std::string tx = Lead("a-1");
  const AdmitResult result = pool_->Admit(tx);
  ASSERT_EQ(result.status, AdmitStatus::kAdmitted) << result.code << ": " << result.message;
  EXPECT_EQ(result.tx_hash, TxHashOf(tx));
  EXPECT_TRUE(result.code.empty());
  EXPECT_EQ(pool_->size(), 1u);
  EXPECT_EQ(pool_->bytes(), tx.size());
  EXPECT_EQ(pool_->Find(result.tx_hash), tx);
  EXPECT_EQ(pool_->Find(ToBytes("short")), std::nullopt);
  const TxPool::Counters counters = pool_->counters();
  EXPECT_EQ(counters.admitted, 1u);
  EXPECT_EQ(counters.signatures_verified, 1u);
  EXPECT_TRUE(counters.rejected.empty());
}

TEST_F(TxPoolTest, AdmitsUnderTheSmSuite) {
  PoolOptions options = Options();
  options.suite = crypto::CryptoSuite::Sm();
  const crypto::PrivateKey sm_key = NewKey(crypto::CryptoSuite::Sm());
  keys_->AddKey("SM_BANK", sm_key.public_key());
  std::unique_ptr<TxPool> pool = MakePool(options);
  const std::string tx = Sign(Body("SM_BANK", "s-1"), sm_key);
  const AdmitResult result = pool->Admit(tx);
  ASSERT_EQ(result.status, AdmitStatus::kAdmitted) << result.code << ": " << result.message;
  proto::SignedTransaction envelope;
  ASSERT_TRUE(envelope.ParseFromString(tx));
  const crypto::Digest sm3 = crypto::Hash(crypto::HashAlgorithm::kSm3, AsBytes(envelope.body()));
  EXPECT_EQ(result.tx_hash, Bytes(sm3.begin(), sm3.end()));
}

TEST_F(TxPoolTest, RejectsMalformedBytes) {
  ExpectRejected("not a transaction", kCodeMalformed);
  ExpectRejected("", kCodeMalformed);
  // A body without a payload.
  proto::TransactionBody empty = Body("LEAD", "a-1");
  empty.clear_accept_agreement();
  ExpectRejected(Sign(empty, lead_), kCodeMalformed);
  EXPECT_EQ(pool_->counters().rejected.at(std::string(kCodeMalformed)), 3u);
}

TEST_F(TxPoolTest, RejectsUnknownFieldsInTheBodyAtAnyDepth) {
  // Top level: field 15 (a free common-field number) as a varint, signed correctly.
  std::string top = Body("LEAD", "a-1").SerializeAsString();
  top += std::string("\x78\x01", 2);
  ExpectRejected(SignBytes(top, lead_), kCodeMalformed);
  // Inside the payload.
  proto::TransactionBody nested = Body("LEAD", "a-2");
  nested.mutable_accept_agreement()
      ->GetReflection()
      ->MutableUnknownFields(nested.mutable_accept_agreement())
      ->AddVarint(9, 1);
  ExpectRejected(SignBytes(nested.SerializeAsString(), lead_), kCodeMalformed);
  // Inside a map entry of ProposeAgreement.shares, where Protobuf's parser drops it silently:
  // the entry {key "LEAD", value 2000, field 3 = 1}.
  const std::string entry = std::string("\x0a\x04LEAD\x10\xd0\x0f", 9) + std::string("\x18\x01", 2);
  const std::string payload = "\x1a" + std::string(1, static_cast<char>(entry.size())) + entry;
  proto::TransactionBody common = Body("LEAD", "a-3");
  common.clear_accept_agreement();
  const std::string in_map = common.SerializeAsString() + "\x82\x01" +
                             std::string(1, static_cast<char>(payload.size())) + payload;
  proto::TransactionBody parsed;
  ASSERT_TRUE(parsed.ParseFromString(in_map));
  ASSERT_EQ(parsed.propose_agreement().shares().at("LEAD"), 2000u);
  ExpectRejected(SignBytes(in_map, lead_), kCodeMalformed);
}

TEST_F(TxPoolTest, RejectsAnotherChain) {
  ExpectRejected(Sign(Body("LEAD", "a-1", "colend-other"), lead_), kCodeWrongChain);
}

TEST_F(TxPoolTest, RejectsUnknownAndSuspendedSigners) {
  const crypto::PrivateKey stranger = NewKey();
  ExpectRejected(Sign(Body("NOBODY", "n-1"), stranger), kCodeUnknownSigner);
  keys_->Suspend("PARTNER_B");
  ExpectRejected(PartnerB("b-1"), kCodeUnknownSigner);
}

TEST_F(TxPoolTest, RejectsUnknownAndRetiredKeys) {
  const crypto::PrivateKey unregistered = NewKey();
  ExpectRejected(Sign(Body("LEAD", "a-1"), unregistered), kCodeUnknownKey);
  // PARTNER_A's key signing for LEAD: not one of LEAD's keys.
  ExpectRejected(Sign(Body("LEAD", "a-2"), partner_a_), kCodeUnknownKey);
  keys_->RetireKey("LEAD", lead_.public_key());
  ExpectRejected(Lead("a-3"), kCodeUnknownKey);
}

TEST_F(TxPoolTest, RejectsABadSignature) {
  const std::string tx = Lead("a-1");
  ExpectRejected(FlipSignature(tx), kCodeBadSignature);
  // The genuine one is still admitted afterwards.
  EXPECT_EQ(pool_->Admit(tx).status, AdmitStatus::kAdmitted);
}

TEST_F(TxPoolTest, RejectsATooLargeTransaction) {
  PoolOptions options = Options();
  options.max_tx_bytes = 200;
  pool_ = MakePool(options);
  EXPECT_EQ(pool_->Admit(Lead("a-1")).status, AdmitStatus::kAdmitted);
  ExpectRejected(Lead("a-2", 300), kCodeTooLarge);
  EXPECT_EQ(pool_->size(), 1u);
}

TEST_F(TxPoolTest, TheSameTransactionAgainIsAlreadyPending) {
  const proto::TransactionBody body = Body("LEAD", "a-1");
  const std::string tx = Sign(body, lead_);
  const AdmitResult first = pool_->Admit(tx);
  ASSERT_EQ(first.status, AdmitStatus::kAdmitted);
  const AdmitResult again = pool_->Admit(tx);
  EXPECT_EQ(again.status, AdmitStatus::kAlreadyPending);
  EXPECT_EQ(again.tx_hash, first.tx_hash);
  // The same body signed again (a fresh random signature): the same transaction.
  const AdmitResult resigned = pool_->Admit(Sign(body, lead_));
  EXPECT_EQ(resigned.status, AdmitStatus::kAlreadyPending);
  EXPECT_EQ(resigned.tx_hash, first.tx_hash);
  EXPECT_EQ(pool_->size(), 1u);
  EXPECT_EQ(pool_->counters().already_pending, 2u);
  EXPECT_EQ(pool_->counters().signatures_verified, 1u);
}

TEST_F(TxPoolTest, RejectsAnotherBodyWithAPendingSignerAndId) {
  ASSERT_EQ(pool_->Admit(Lead("a-1")).status, AdmitStatus::kAdmitted);
  proto::TransactionBody other = Body("LEAD", "a-1");
  other.mutable_accept_agreement()->set_agreement_id("AG-2");
  const AdmitResult result = pool_->Admit(Sign(other, lead_));
  EXPECT_EQ(result.status, AdmitStatus::kRejected);
  EXPECT_EQ(result.code, kCodeDuplicate);
  EXPECT_EQ(pool_->size(), 1u);
  // The same id from another signer is a different transaction.
  EXPECT_EQ(pool_->Admit(PartnerA("a-1")).status, AdmitStatus::kAdmitted);
}

TEST_F(TxPoolTest, RejectsAnIdAlreadyOnChain) {
  keys_->Commit("LEAD", "a-1");
  ExpectRejected(Lead("a-1"), kCodeDuplicate);
}

TEST_F(TxPoolTest, FullPoolIsBusyUntilABlockCommits) {
  PoolOptions options = Options();
  options.max_txs = 2;
  pool_ = MakePool(options);
  const std::string first = Lead("a-1");
  AdmitAll({first, Lead("a-2")});
  const AdmitResult busy = pool_->Admit(Lead("a-3"));
  EXPECT_EQ(busy.status, AdmitStatus::kBusy);
  EXPECT_EQ(busy.code, kCodeBusy);
  EXPECT_EQ(pool_->counters().busy, 1u);
  // A transaction already pending is still answered as such when the pool is full.
  EXPECT_EQ(pool_->Admit(first).status, AdmitStatus::kAlreadyPending);

  keys_->Commit("LEAD", "a-1");
  RemoveCommittedBytes({first});
  EXPECT_EQ(pool_->size(), 1u);
  EXPECT_EQ(pool_->Admit(Lead("a-3")).status, AdmitStatus::kAdmitted);
}

// Backpressure: clients are held to the capacity the node sets from its commit rate, and
// each signer to its share of it; gossip (another validator already promised its client a
// receipt) only to the hard cap. BUSY says why and when to retry.
TEST_F(TxPoolTest, CapacityAndSignerShareMakeClientsBusyButNotGossip) {
  PoolOptions options = Options();
  options.max_txs = 100;
  options.signer_share_pct = 50;
  pool_ = MakePool(options);
  pool_->SetCapacity(10, 120);
  EXPECT_EQ(pool_->capacity(), 10u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(pool_->Admit(Lead("l-" + std::to_string(i))).status, AdmitStatus::kAdmitted);
  }
  const AdmitResult share = pool_->Admit(Lead("l-5"));
  EXPECT_EQ(share.status, AdmitStatus::kBusy);
  EXPECT_EQ(share.busy_reason, "signer_share");
  EXPECT_EQ(share.retry_after_ms, 120u);
  EXPECT_NE(share.message.find("LEAD already has 5"), std::string::npos) << share.message;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(pool_->Admit(PartnerA("a-" + std::to_string(i))).status, AdmitStatus::kAdmitted);
  }
  const AdmitResult full = pool_->Admit(PartnerB("b-0"));
  EXPECT_EQ(full.status, AdmitStatus::kBusy);
  EXPECT_EQ(full.busy_reason, "pool_full");
  // Gossip of what other validators admitted still gets in, up to max_txs.
  std::vector<std::string> gossip;
  for (int i = 0; i < 20; ++i) gossip.push_back(PartnerB("g-" + std::to_string(i)));
  for (const AdmitResult& r : pool_->AdmitBatch(gossip)) {
    EXPECT_EQ(r.status, AdmitStatus::kAdmitted) << r.message;
  }
  EXPECT_EQ(pool_->size(), 30u);
  pool_->SetCapacity(1'000'000, 50);  // capped by max_txs
  EXPECT_EQ(pool_->capacity(), 100u);
  EXPECT_EQ(pool_->Admit(PartnerB("b-0")).status, AdmitStatus::kAdmitted);
}

// sendTransactions admits a client batch: the same capacity and signer share as one by one,
// answered per entry in order, with the signatures verified once as a batch.
TEST_F(TxPoolTest, ClientBatchIsHeldToCapacityAndShareEntryByEntry) {
  PoolOptions options = Options();
  options.max_txs = 100;
  options.signer_share_pct = 50;
  pool_ = MakePool(options);
  pool_->SetCapacity(10, 120);
  std::vector<std::string> batch;
  for (int i = 0; i < 7; ++i) batch.push_back(Lead("l-" + std::to_string(i)));
  for (int i = 0; i < 7; ++i) batch.push_back(PartnerA("a-" + std::to_string(i)));
  batch.push_back(batch[0]);      // a copy of entry 0
  batch.push_back("\x01\x02");  // junk
  const std::uint64_t verified_before = pool_->counters().signatures_verified;
  const std::vector<AdmitResult> r = pool_->AdmitBatch(batch, TxPool::Origin::kClient);
  ASSERT_EQ(r.size(), batch.size());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r[i].status, AdmitStatus::kAdmitted) << i;
  for (int i = 5; i < 7; ++i) {
    EXPECT_EQ(r[i].status, AdmitStatus::kBusy) << i;
    EXPECT_EQ(r[i].busy_reason, "signer_share");
    EXPECT_EQ(r[i].retry_after_ms, 120u);
  }
  for (int i = 7; i < 12; ++i) EXPECT_EQ(r[i].status, AdmitStatus::kAdmitted) << i;
  for (int i = 12; i < 14; ++i) {
    EXPECT_EQ(r[i].status, AdmitStatus::kBusy) << i;
    EXPECT_EQ(r[i].busy_reason, "pool_full");
  }
  EXPECT_EQ(r[14].status, AdmitStatus::kAlreadyPending);
  EXPECT_EQ(r[14].tx_hash, r[0].tx_hash);
  EXPECT_EQ(r[15].status, AdmitStatus::kRejected);
  EXPECT_EQ(r[15].code, kCodeMalformed);
  EXPECT_EQ(pool_->size(), 10u);
  // Entries refused before their signature was needed cost no verification: the room the
  // earlier entries of the batch take counts before theirs is checked, so only the ten that
  // fit are verified (the copy shares its first's check).
  EXPECT_EQ(pool_->counters().signatures_verified - verified_before, 10u);
}

// Many signatures over one body in one batch (a peer's gossip frame, or a client's batch)
// cost one signature check: the later envelopes share the first's fate and are never
// inserted, whether their own signature is valid or not.
TEST_F(TxPoolTest, ManySignaturesOverOneBodyInABatchCostOneCheck) {
  const proto::TransactionBody body = Body("LEAD", "l-1");
  std::vector<std::string> batch;
  batch.push_back(Sign(body, lead_));
  for (int i = 0; i < 8; ++i) {
    batch.push_back(Sign(body, lead_));                 // another valid signature
    batch.push_back(FlipSignature(Sign(body, lead_)));  // and an invalid one
  }
  std::set<std::string> distinct(batch.begin(), batch.end());
  ASSERT_EQ(distinct.size(), batch.size());  // every envelope differs: no verbatim copy
  const std::uint64_t verified_before = pool_->counters().signatures_verified;
  const std::vector<AdmitResult> r = pool_->AdmitBatch(batch);
  EXPECT_EQ(pool_->counters().signatures_verified - verified_before, 1u);
  ASSERT_EQ(r.size(), batch.size());
  EXPECT_EQ(r[0].status, AdmitStatus::kAdmitted);
  for (std::size_t i = 1; i < r.size(); ++i) {
    EXPECT_EQ(r[i].status, AdmitStatus::kAlreadyPending) << i;
    EXPECT_EQ(r[i].tx_hash, r[0].tx_hash) << i;
  }
  EXPECT_EQ(pool_->size(), 1u);
  EXPECT_TRUE(pool_->Verified(batch[0]));
  EXPECT_FALSE(pool_->Verified(batch[2]));  // an invalid envelope never got in

  // The first envelope invalid: every later one gets its rejection, the valid ones too,
  // and nothing is inserted; the valid envelope is admitted when it comes again on its own.
  const proto::TransactionBody other = Body("LEAD", "l-2");
  const std::string valid = Sign(other, lead_);
  std::vector<std::string> bad_first = {FlipSignature(Sign(other, lead_)), valid,
                                        FlipSignature(Sign(other, lead_))};
  const std::uint64_t verified_mid = pool_->counters().signatures_verified;
  const std::vector<AdmitResult> b = pool_->AdmitBatch(bad_first);
  EXPECT_EQ(pool_->counters().signatures_verified - verified_mid, 1u);
  for (const AdmitResult& one : b) {
    EXPECT_EQ(one.status, AdmitStatus::kRejected);
    EXPECT_EQ(one.code, kCodeBadSignature);
  }
  EXPECT_EQ(pool_->size(), 1u);
  EXPECT_EQ(pool_->Admit(valid).status, AdmitStatus::kAdmitted);
  EXPECT_EQ(pool_->size(), 2u);
}

TEST_F(TxPoolTest, BytesLimitMakesThePoolBusy) {
  const std::string first = Lead("a-1");
  const std::string second = Lead("a-2");
  PoolOptions options = Options();
  options.max_bytes = first.size() + second.size() + 10;
  options.max_tx_bytes = options.max_bytes;
  pool_ = MakePool(options);
  AdmitAll({first, second});
  EXPECT_EQ(pool_->Admit(Lead("a-3", 20)).status, AdmitStatus::kBusy);
  EXPECT_EQ(pool_->bytes(), first.size() + second.size());
}

TEST_F(TxPoolTest, BatchServesSignersRoundRobinOldestFirst) {
  const std::string l1 = Lead("l-1"), l2 = Lead("l-2"), l3 = Lead("l-3");
  const std::string a1 = PartnerA("a-1"), a2 = PartnerA("a-2");
  const std::string b1 = PartnerB("b-1");
  // Arrival: LEAD floods first, then the partners.
  AdmitAll({l1, l2, l3, a1, b1, a2});
  EXPECT_EQ(pool_->Batch(100, 1 << 20, {}), (std::vector<std::string>{l1, a1, b1, l2, a2, l3}));
  // Taking a batch leaves the transactions pending.
  EXPECT_EQ(pool_->size(), 6u);
  EXPECT_EQ(pool_->Batch(4, 1 << 20, {}), (std::vector<std::string>{l1, a1, b1, l2}));
  EXPECT_TRUE(pool_->Batch(0, 1 << 20, {}).empty());
  EXPECT_TRUE(pool_->Batch(10, 0, {}).empty());
}

TEST_F(TxPoolTest, BatchRespectsTheByteLimitWithoutReorderingASigner) {
  const std::string a1 = PartnerA("a-1");
  const std::string big = Lead("l-1", 600);
  const std::string l2 = Lead("l-2");
  const std::string a2 = PartnerA("a-2");
  AdmitAll({a1, big, l2, a2});
  // After a1 the big one no longer fits, and LEAD's smaller l-2 must not overtake it.
  EXPECT_EQ(pool_->Batch(10, big.size() + a1.size() - 1, {}), (std::vector<std::string>{a1, a2}));
  EXPECT_EQ(pool_->Batch(10, big.size() + a1.size(), {}), (std::vector<std::string>{a1, big}));
  // Under a limit the big one can never meet, it does not hold LEAD's queue.
  EXPECT_EQ(pool_->Batch(10, big.size() - 1, {}), (std::vector<std::string>{a1, l2, a2}));
}

TEST_F(TxPoolTest, BatchSkipsExcludedLeafHashes) {
  const std::string l1 = Lead("l-1"), l2 = Lead("l-2"), a1 = PartnerA("a-1");
  AdmitAll({l1, l2, a1});
  const std::vector<crypto::Digest> exclude = {LeafOf(l1), LeafOf(a1)};
  EXPECT_EQ(pool_->Batch(10, 1 << 20, exclude), (std::vector<std::string>{l2}));
  // A tx hash (of the body) is not a leaf hash: excluding it excludes nothing.
  const Bytes body_hash = TxHashOf(l2);
  crypto::Digest not_a_leaf{};
  std::copy(body_hash.begin(), body_hash.end(), not_a_leaf.begin());
  const std::vector<crypto::Digest> wrong = {not_a_leaf};
  EXPECT_EQ(pool_->Batch(10, 1 << 20, wrong).size(), 3u);
}

TEST_F(TxPoolTest, RemoveCommittedMatchesLeafTxHashAndSignerId) {
  ExpectRemoveCommittedMatchesLeafTxHashAndSignerId(/*decoded=*/false);
}

// The node's path: what execution decoded (tx hash, signer, id) instead of the bytes parsed
// again removes the same.
TEST_F(TxPoolTest, RemoveCommittedWithWhatExecutionDecodedMatchesTheSame) {
  ExpectRemoveCommittedMatchesLeafTxHashAndSignerId(/*decoded=*/true);
}

TEST_F(TxPoolTest, CheckProposalAcceptsAGoodBlock) {
  const std::string pending = Lead("l-1");
  AdmitAll({pending});
  const std::vector<std::string> block = {pending, PartnerA("a-1"), PartnerB("b-1")};
  const std::uint64_t verified_before = pool_->counters().signatures_verified;
  const Status status = pool_->CheckProposal(block);
  EXPECT_TRUE(status.ok()) << status;
  // Only the two transactions not pending here were verified.
  EXPECT_EQ(pool_->counters().signatures_verified, verified_before + 2);
  EXPECT_TRUE(pool_->CheckProposal(block).ok());
  EXPECT_TRUE(pool_->CheckProposal({}).ok());
  EXPECT_EQ(pool_->counters().proposals_checked, 3u);
  EXPECT_EQ(pool_->counters().proposals_rejected, 0u);
}

TEST_F(TxPoolTest, CheckProposalNamesTheBadIndexAndReason) {
  const std::string good0 = Lead("l-1");
  const std::string good1 = PartnerA("a-1");
  struct Case {
    std::string name;
    std::string bad;
    std::string_view code;
  };
  // Only what every replica finds the same, whatever its state: these make a block invalid.
  const std::vector<Case> cases = {
      {"malformed", "junk", kCodeMalformed},
      {"wrong chain", Sign(Body("LEAD", "l-9", "colend-other"), lead_), kCodeWrongChain},
      {"bad signature", FlipSignature(PartnerB("b-1")), kCodeBadSignature},
      {"id twice in block", Sign(Body("LEAD", "l-1", kChain, 3), lead_), kCodeDuplicate},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<std::string> block = {good0, good1, c.bad, PartnerB("b-2")};
    const Status status = pool_->CheckProposal(block);
    ASSERT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find("transaction 2: " + std::string(c.code) + ": "),
              std::string::npos)
        << status;
  }
  EXPECT_EQ(pool_->counters().proposals_rejected, cases.size());
}

// What depends on this replica's state is execution's business (a rejection receipt), never a
// reason to refuse the block: replicas at different heights, with different pools, must
// agree on the block. A signature whose key this replica does not hold is left unverified
// here (Verified says so) and is verified at execution.
TEST_F(TxPoolTest, CheckProposalNeverRefusesABlockForStateItMayNotShare) {
  const crypto::PrivateKey stranger = NewKey();
  keys_->Commit("PARTNER_B", "old");
  const std::string pending = PartnerA("a-2");
  AdmitAll({pending});
  keys_->RetireKey("PARTNER_A", partner_a_.public_key());  // after admission
  const std::string unknown_signer = Sign(Body("NOBODY", "n-1"), stranger);
  const std::string unknown_key = Sign(Body("LEAD", "l-9"), stranger);
  const std::string on_chain = PartnerB("old");
  const std::vector<std::string> block = {Lead("l-1"), unknown_signer, unknown_key, on_chain,
                                          pending};
  const Status status = pool_->CheckProposal(block);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(pool_->counters().proposals_rejected, 0u);
  EXPECT_TRUE(pool_->Verified(block[0]));  // verified by this check, remembered
  EXPECT_TRUE(pool_->Verified(pending));   // verified at admission
  EXPECT_TRUE(pool_->Verified(on_chain));  // its key is known: verified
  EXPECT_FALSE(pool_->Verified(unknown_signer));
  EXPECT_FALSE(pool_->Verified(unknown_key));
}

TEST_F(TxPoolTest, CheckProposalReportsTheLowestBadIndex) {
  // A bad signature at 1 and a malformed transaction at 3: index 1 is named.
  const std::vector<std::string> block = {Lead("l-1"), FlipSignature(PartnerA("a-1")),
                                          PartnerB("b-1"), "junk"};
  const Status status = pool_->CheckProposal(block);
  EXPECT_NE(status.message().find("transaction 1: BAD_SIGNATURE"), std::string::npos) << status;
  // A refused block's signatures are not remembered as verified.
  EXPECT_FALSE(pool_->Verified(block[0]));
}

// Governance suspends a member or retires a key while its transactions are pending: they are
// dropped from the pool (no primary proposes them again), the others stay.
TEST_F(TxPoolTest, PurgeInvalidDropsWhatGovernanceMadeUnsignable) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 50; ++i) a.push_back(PartnerA("a-" + std::to_string(i)));
  for (int i = 0; i < 30; ++i) b.push_back(PartnerB("b-" + std::to_string(i)));
  AdmitAll(a);
  AdmitAll(b);
  AdmitAll({Lead("l-1")});
  ASSERT_EQ(pool_->size(), 81u);
  EXPECT_TRUE(pool_->PurgeInvalid().empty());  // nothing changed: nothing dropped
  keys_->Suspend("PARTNER_A");
  keys_->RetireKey("PARTNER_B", partner_b_.public_key());
  const auto evicted = pool_->PurgeInvalid();
  EXPECT_EQ(evicted.at(std::string(kCodeUnknownSigner)), 50u);
  EXPECT_EQ(evicted.at(std::string(kCodeUnknownKey)), 30u);
  EXPECT_EQ(pool_->size(), 1u);
  EXPECT_EQ(pool_->counters().evicted.at(std::string(kCodeUnknownSigner)), 50u);
  const std::vector<std::string> batch = pool_->Batch(1000, 1 << 20, {});
  ASSERT_EQ(batch.size(), 1u);
}

TEST_F(TxPoolTest, AdmitBatchHandlesAMixOfGoodAndBad) {
  const std::string l1 = Lead("l-1");
  const std::string a1 = PartnerA("a-1");
  proto::TransactionBody clash = Body("LEAD", "l-1");
  clash.mutable_accept_agreement()->set_agreement_id("AG-2");
  const std::string forged = FlipSignature(PartnerB("b-1"));
  const std::vector<AdmitResult> results = pool_->AdmitBatch({
      l1,                                              // 0 admitted
      forged,                                          // 1 bad signature
      "junk",                                          // 2 malformed
      l1,                                              // 3 the same tx again
      a1,                                              // 4 admitted
      Sign(clash, lead_),                              // 5 same (signer, id), other body
      Sign(Body("LEAD", "x", "colend-other"), lead_),  // 6 wrong chain
      forged,                                          // 7 bad signature, not verified again
  });
  ASSERT_EQ(results.size(), 8u);
  EXPECT_EQ(results[0].status, AdmitStatus::kAdmitted);
  EXPECT_EQ(results[1].code, kCodeBadSignature);
  EXPECT_EQ(results[2].code, kCodeMalformed);
  EXPECT_EQ(results[3].status, AdmitStatus::kAlreadyPending);
  EXPECT_EQ(results[3].tx_hash, results[0].tx_hash);
  EXPECT_EQ(results[4].status, AdmitStatus::kAdmitted);
  EXPECT_EQ(results[5].code, kCodeDuplicate);
  EXPECT_EQ(results[6].code, kCodeWrongChain);
  EXPECT_EQ(results[7].code, kCodeBadSignature);
  EXPECT_EQ(pool_->size(), 2u);
  EXPECT_EQ(pool_->Batch(10, 1 << 20, {}), (std::vector<std::string>{l1, a1}));
  const TxPool::Counters counters = pool_->counters();
  EXPECT_EQ(counters.admitted, 2u);
  EXPECT_EQ(counters.already_pending, 1u);
  EXPECT_EQ(counters.rejected.at(std::string(kCodeBadSignature)), 2u);
  EXPECT_EQ(counters.rejected.at(std::string(kCodeDuplicate)), 1u);
  // l1, the forgery, a1 and the clash; the copies of l1 and of the forgery were not.
  EXPECT_EQ(counters.signatures_verified, 4u);
}

TEST_F(TxPoolTest, ConcurrentAdmissionAdmitsEachTransactionOnce) {
  constexpr int kThreads = 4;
  constexpr int kOwn = 10;
  std::vector<std::string> shared;
  for (int i = 0; i < kOwn; ++i) shared.push_back(Lead("shared-" + std::to_string(i)));
  std::vector<std::vector<std::string>> own(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kOwn; ++i) {
      own[t].push_back(PartnerA("t" + std::to_string(t) + "-" + std::to_string(i)));
    }
  }
  std::vector<std::vector<AdmitResult>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOwn; ++i) {
        results[t].push_back(pool_->Admit(shared[i]));
        results[t].push_back(pool_->Admit(own[t][i]));
      }
      if (t == 0) (void)pool_->Batch(5, 1 << 20, {});
    });
  }
  for (std::thread& thread : threads) thread.join();
  int admitted = 0;
  int already = 0;
  for (const auto& per_thread : results) {
    for (const AdmitResult& r : per_thread) {
      admitted += r.status == AdmitStatus::kAdmitted;
      already += r.status == AdmitStatus::kAlreadyPending;
    }
  }
  EXPECT_EQ(admitted, kOwn + kThreads * kOwn);
  EXPECT_EQ(already, (kThreads - 1) * kOwn);
  EXPECT_EQ(pool_->size(), static_cast<std::size_t>(kOwn + kThreads * kOwn));
}

TEST_F(TxPoolTest, AdmissionRacingACommitNeverKeepsACommittedId) {
  // Admissions of ids that a concurrent "block" commits: afterwards none of them may be
  // pending, whichever side won each race.
  constexpr int kCount = 20;
  std::vector<std::string> txs;
  for (int i = 0; i < kCount; ++i) txs.push_back(Lead("r-" + std::to_string(i)));
  std::thread admitter([&] {
    for (const std::string& tx : txs) (void)pool_->Admit(tx);
  });
  std::thread committer([&] {
    for (int i = 0; i < kCount; ++i) {
      keys_->Commit("LEAD", "r-" + std::to_string(i));
      RemoveCommittedBytes({txs[i]});
    }
  });
  admitter.join();
  committer.join();
  EXPECT_EQ(pool_->size(), 0u);
}

}  // namespace
}  // namespace colend::node
