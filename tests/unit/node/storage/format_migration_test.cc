// BlockStore's rewrite of a format-version-1 store (receipts, tx hashes and event entries
// per transaction) into version 2 (per block): every read gives what it gave before, none
// of the old keys is left, a rewrite cut short by a failed write goes on at the next open,
// and a version-1 store that does not hold together is refused rather than rewritten.
//
// The version-1 store is written here by hand from the layout documented in
// storage_keys.h, not by the code under test.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "colend/node/block_store.h"
#include "colend/node/fault_injecting_kv_store.h"
#include "colend/node/memory_kv_store.h"
#include "storage_test_util.h"

namespace colend::node {
namespace {

using ::testing::HasSubstr;
using testing::InitGenesis;
using testing::MakeBlock;
using testing::OpenOrDie;
using testing::Options;

std::string U32(std::uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  return out;
}

std::string U64(std::uint64_t v) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  return out;
}

// Version 1's keys (storage_keys.h): 0x03 h8 h4 -> Receipt, 0x04 h8 h4 -> tx hash,
// 0x0a h1 len(bank) bank h8 h4 -> empty.
std::string ReceiptKeyV1(std::uint64_t h, std::uint32_t i) {
  return std::string(1, '\x03') + U64(h) + U32(i);
}
std::string TxHashKeyV1(std::uint64_t h, std::uint32_t i) {
  return std::string(1, '\x04') + U64(h) + U32(i);
}
std::string EventKeyV1(const std::string& bank, std::uint64_t h, std::uint32_t i) {
  return std::string(1, '\x0a') + std::string(1, static_cast<char>(bank.size())) + bank + U64(h) +
         U32(i);
}
const std::string kVersionKey("\x00"
                              "f",
                              2);

std::size_t KeysUnder(const KvStore& kv, char space) {
  std::size_t n = 0;
  EXPECT_TRUE(kv.Scan(std::string(1, space), [&](std::string_view, std::string_view) {
                  ++n;
                  return true;
                })
                  .ok());
  return n;
}

// Everything a reader can ask of the receipts, tx hashes and event index.
struct Reads {
  std::vector<std::vector<std::string>> receipts;  // serialised, per height
  std::vector<std::vector<Bytes>> hashes;
  std::map<std::string, std::vector<TxLocation>> events;
  std::vector<TxLocation> paged;  // LEAD's events read 7 at a time
  std::string one_receipt;
  Bytes one_hash;

  friend bool operator==(const Reads&, const Reads&) = default;
};

Reads ReadAll(const BlockStore& store) {
  Reads r;
  for (std::uint64_t h = 0; h <= store.height(); ++h) {
    Result<std::vector<proto::Receipt>> receipts = store.GetReceipts(h);
    Result<std::vector<Bytes>> hashes = store.GetTxHashes(h);
    EXPECT_TRUE(receipts.ok() && hashes.ok()) << h;
    if (!receipts.ok() || !hashes.ok()) return r;
    auto& out = r.receipts.emplace_back();
    for (const proto::Receipt& receipt : *receipts) out.push_back(receipt.SerializeAsString());
    r.hashes.push_back(*hashes);
  }
  for (const std::string bank : {"LEAD", "PARTNER_A", "PARTNER_B"}) {
    Result<EventPage> page = store.ListEvents(bank, {1, 0}, UINT64_MAX, 1'000'000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) r.events[bank] = page->events;
  }
  std::optional<TxLocation> from = TxLocation{1, 0};
  while (from) {
    Result<EventPage> page = store.ListEvents("LEAD", *from, UINT64_MAX, 7);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    r.paged.insert(r.paged.end(), page->events.begin(), page->events.end());
    from = page->next;
  }
  Result<proto::Receipt> receipt = store.GetReceipt({3, 1});
  Result<Bytes> hash = store.GetTxHash({3, 1});
  EXPECT_TRUE(receipt.ok() && hash.ok());
  if (receipt.ok()) r.one_receipt = receipt->SerializeAsString();
  if (hash.ok()) r.one_hash = *hash;
  return r;
}

class FormatMigrationTest : public ::testing::Test {
 protected:
  // Writes a chain with the current code, then turns it into what version 1 stored.
  void SetUp() override {
    auto store = OpenOrDie(ShareKvStore(kv_));
    ASSERT_TRUE(InitGenesis(*store).ok());
    Commit(*store, MakeBlock(1, 2), {{"LEAD", "PARTNER_A"}, {"LEAD"}});
    Commit(*store, MakeBlock(2, 0), {});  // an empty block: no keys in version 1
    StoredBlock malformed = MakeBlock(3, 3);
    malformed.tx_hashes[2].clear();  // bytes that did not decode have no hash
    malformed.receipts[2].clear_tx_hash();
    Commit(*store, std::move(malformed), {{"PARTNER_A"}, {"LEAD", "PARTNER_A"}, {}});
    // Enough for several of the migration's batches (20,000 keys each): 36,000
    // transactions, 72,000 event entries.
    for (std::uint64_t h = 4; h < 40; ++h) {
      std::vector<std::vector<std::string>> parties(1000, {"LEAD", "PARTNER_B"});
      parties[h % 1000] = {"PARTNER_A"};
      Commit(*store, MakeBlock(h, 1000), std::move(parties));
    }
    expected_ = ReadAll(*store);
    ASSERT_EQ(expected_.events["LEAD"].size(), 1 + 2 + 36 * 999u);

    std::vector<KvWrite> v1;
    for (char space : {'\x0b', '\x0c'}) {
      ASSERT_TRUE(kv_->Scan(std::string(1, space), [&](std::string_view key, std::string_view) {
                       v1.push_back(KvWrite{std::string(key), std::nullopt});
                       return true;
                     })
                      .ok());
    }
    for (const StoredBlock& block : blocks_) {
      for (std::uint32_t i = 0; i < block.receipts.size(); ++i) {
        v1.push_back(KvWrite{ReceiptKeyV1(block.height, i), block.receipts[i].SerializeAsString()});
        v1.push_back(KvWrite{TxHashKeyV1(block.height, i), ToString(block.tx_hashes[i])});
        for (const std::string& bank : block.tx_parties[i]) {
          v1.push_back(KvWrite{EventKeyV1(bank, block.height, i), std::string()});
        }
      }
    }
    v1.push_back(KvWrite{kVersionKey, U32(1)});
    ASSERT_TRUE(kv_->Write(v1, true).ok());
    ASSERT_EQ(KeysUnder(*kv_, '\x0b') + KeysUnder(*kv_, '\x0c'), 0u);
    ASSERT_EQ(KeysUnder(*kv_, '\x03'), 36'005u);
  }

  void Commit(BlockStore& store, StoredBlock block, std::vector<std::vector<std::string>> parties) {
    block.tx_parties = std::move(parties);
    ASSERT_TRUE(store.Commit(block).ok());
    blocks_.push_back(std::move(block));
  }

  void ExpectMigrated() {
    EXPECT_EQ(KeysUnder(*kv_, '\x03'), 0u);
    EXPECT_EQ(KeysUnder(*kv_, '\x04'), 0u);
    EXPECT_EQ(KeysUnder(*kv_, '\x0a'), 0u);
    EXPECT_EQ(KeysUnder(*kv_, '\x0b'), 39u);  // one per block, the empty one included
    EXPECT_EQ(kv_->Get(kVersionKey).value(), U32(2));
  }

  std::shared_ptr<MemoryKvStore> kv_ = std::make_shared<MemoryKvStore>();
  std::vector<StoredBlock> blocks_;
  Reads expected_;
};

TEST_F(FormatMigrationTest, AVersionOneStoreIsRewrittenAndReadsTheSame) {
  auto store = OpenOrDie(ShareKvStore(kv_));
  ASSERT_NE(store, nullptr);
  ExpectMigrated();
  EXPECT_EQ(store->height(), 39u);
  EXPECT_EQ(store->migrated_from(), 1u);
  EXPECT_TRUE(ReadAll(*store) == expected_);
  EXPECT_EQ(store->FindTx(testing::TxHashOf(20, 7)).value(), (TxLocation{20, 7}));
  // And it goes on in the new layout.
  ASSERT_TRUE(store->Commit(MakeBlock(40, 2)).ok());
  EXPECT_EQ(store->GetReceipts(40).value().size(), 2u);
  // Opening it again changes nothing.
  store.reset();
  store = OpenOrDie(ShareKvStore(kv_));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->height(), 40u);
  EXPECT_EQ(store->migrated_from(), 0u);
}

TEST_F(FormatMigrationTest, ARewriteCutShortGoesOnAtTheNextOpen) {
  const auto open_failing = [&](std::uint64_t n, FaultInjectingKvStore::WriteFault fault) {
    auto faulty = std::make_unique<FaultInjectingKvStore>(kv_);
    faulty->FailNthWrite(n, fault);
    Result<std::unique_ptr<BlockStore>> opened = BlockStore::Open(std::move(faulty), Options());
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), StatusCode::kIoError);
    EXPECT_THAT(opened.status().message(), HasSubstr("format version 1"));
  };
  // The second batch (the first 20,005 receipts) reaches the store and then fails: half
  // old layout, half new.
  open_failing(2, FaultInjectingKvStore::WriteFault::kAfterApply);
  EXPECT_GT(KeysUnder(*kv_, '\x03'), 0u);
  EXPECT_GT(KeysUnder(*kv_, '\x0b'), 0u);
  EXPECT_EQ(kv_->Get(kVersionKey).value(), U32(1));
  // The next open fails at its second batch, which is lost.
  open_failing(2, FaultInjectingKvStore::WriteFault::kBeforeApply);
  EXPECT_EQ(kv_->Get(kVersionKey).value(), U32(1));
  auto store = OpenOrDie(ShareKvStore(kv_));
  ASSERT_NE(store, nullptr);
  ExpectMigrated();
  EXPECT_TRUE(ReadAll(*store) == expected_);
}

TEST_F(FormatMigrationTest, AVersionOneStoreThatDoesNotHoldTogetherIsRefused) {
  const KvWrite lose{TxHashKeyV1(5, 3), std::nullopt};
  ASSERT_TRUE(kv_->Write(std::span<const KvWrite>(&lose, 1), true).ok());
  Result<std::unique_ptr<BlockStore>> opened = BlockStore::Open(ShareKvStore(kv_), Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(opened.status().message(), HasSubstr("height 5 has 1000 receipts and 999 tx hashes"));
  EXPECT_EQ(kv_->Get(kVersionKey).value(), U32(1));
}

}  // namespace
}  // namespace colend::node
