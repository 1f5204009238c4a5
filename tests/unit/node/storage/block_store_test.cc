// BlockStore: what is committed reads back through every index, in order only, on LevelDB
// across a reopen, with state history and the consensus WAL.
#include "colend/node/block_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "colend/node/memory_kv_store.h"
#include "colend/testutil/process_util.h"
#include "storage_test_util.h"

namespace colend::node {
namespace {

using testing::Filled;
using testing::GenesisHash;
using ::testing::HasSubstr;
using testing::InitGenesis;
using testing::MakeBlock;
using testing::OpenOrDie;
using testing::Options;
using testing::StateOf;
using testing::TxHashOf;

std::unique_ptr<BlockStore> FreshStore(BlockStoreOptions options = Options()) {
  auto store = OpenOrDie(std::make_unique<MemoryKvStore>(), std::move(options));
  EXPECT_TRUE(InitGenesis(*store).ok());
  return store;
}

// Checks that block `b` reads back through every accessor.
void ExpectStored(const BlockStore& store, const StoredBlock& b) {
  Result<proto::CertifiedBlock> block = store.GetBlock(b.height);
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->block().SerializeAsString(), b.block.SerializeAsString());
  EXPECT_EQ(block->certificate().SerializeAsString(), b.certificate.SerializeAsString());
  Result<BlockMeta> meta = store.GetMeta(b.height);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(*meta, (BlockMeta{b.height, b.block_hash, b.state_root, b.receipts_root, b.timestamp_ms,
                              static_cast<std::uint32_t>(b.tx_hashes.size())}));
  Result<std::uint64_t> by_hash = store.FindBlockByHash(b.block_hash);
  ASSERT_TRUE(by_hash.ok()) << by_hash.status();
  EXPECT_EQ(*by_hash, b.height);
  for (std::uint32_t i = 0; i < b.tx_hashes.size(); ++i) {
    Result<TxLocation> at = store.FindTx(b.tx_hashes[i]);
    ASSERT_TRUE(at.ok()) << at.status();
    EXPECT_EQ(*at, (TxLocation{b.height, i}));
    Result<proto::Receipt> receipt = store.GetReceipt(*at);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    EXPECT_EQ(receipt->SerializeAsString(), b.receipts[i].SerializeAsString());
    Result<Bytes> tx_hash = store.GetTxHash(*at);
    ASSERT_TRUE(tx_hash.ok());
    EXPECT_EQ(*tx_hash, b.tx_hashes[i]);
  }
  Result<std::vector<Bytes>> hashes = store.GetTxHashes(b.height);
  ASSERT_TRUE(hashes.ok());
  EXPECT_EQ(*hashes, b.tx_hashes);
  Result<std::vector<proto::Receipt>> receipts = store.GetReceipts(b.height);
  ASSERT_TRUE(receipts.ok());
  ASSERT_EQ(receipts->size(), b.receipts.size());
  // Both from one read: the same as each on its own.
  std::vector<Bytes> both_hashes = {Bytes{1}};
  std::vector<proto::Receipt> both_receipts(7);
  ASSERT_TRUE(store.GetTxHashesAndReceipts(b.height, &both_hashes, &both_receipts).ok());
  EXPECT_EQ(both_hashes, b.tx_hashes);
  ASSERT_EQ(both_receipts.size(), b.receipts.size());
  for (std::size_t i = 0; i < both_receipts.size(); ++i) {
    EXPECT_EQ(both_receipts[i].SerializeAsString(), b.receipts[i].SerializeAsString()) << i;
  }
  EXPECT_TRUE(store.GetTxHashesAndReceipts(b.height, nullptr, nullptr).ok());
  EXPECT_EQ(store.GetTxHashesAndReceipts(store.height() + 1, &both_hashes, nullptr).code(),
            StatusCode::kNotFound);
}

TEST(BlockStoreTest, CommitAndReadBackEverything) {
  auto store = FreshStore();
  std::vector<StoredBlock> blocks;
  blocks.push_back(MakeBlock(1, 3, {{"loan/1", "a"}, {"plain", std::nullopt}}));
  blocks.push_back(MakeBlock(2, 0));
  blocks.push_back(MakeBlock(3, 2, {{"loan/2", "b"}, {"loan/1", "a2"}}));
  for (const StoredBlock& b : blocks) {
    ASSERT_TRUE(store->Commit(b).ok());
    EXPECT_EQ(store->height(), b.height);
  }
  for (const StoredBlock& b : blocks) ExpectStored(*store, b);
  EXPECT_EQ(StateOf(*store), (std::map<std::string, std::string>{
                                 {"hist/a", "1"}, {"loan/1", "a2"}, {"loan/2", "b"}}));
  Result<std::optional<std::string>> value = store->GetState("loan/1");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "a2");
  std::vector<std::string> loans;
  ASSERT_TRUE(store
                  ->ScanState("loan/",
                              [&](std::string_view k, std::string_view) {
                                loans.emplace_back(k);
                                return true;
                              })
                  .ok());
  EXPECT_EQ(loans, (std::vector<std::string>{"loan/1", "loan/2"}));
  EXPECT_EQ(store->FindTx(TxHashOf(9, 0)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetBlock(4).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetReceipt(TxLocation{1, 7}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetReceipt(TxLocation{4, 0}).status().code(), StatusCode::kNotFound);
  // Receipts at many locations, several in one block, read in the order asked.
  const std::vector<TxLocation> at = {{1, 2}, {1, 0}, {3, 1}, {3, 0}, {1, 1}};
  Result<std::vector<proto::Receipt>> picked = store->GetReceiptsAt(at);
  ASSERT_TRUE(picked.ok()) << picked.status();
  ASSERT_EQ(picked->size(), at.size());
  for (std::size_t i = 0; i < at.size(); ++i) {
    EXPECT_EQ((*picked)[i].SerializeAsString(),
              blocks[at[i].height - 1].receipts[at[i].index].SerializeAsString())
        << i;
  }
  const std::vector<TxLocation> past_the_end = {{3, 0}, {3, 2}};
  EXPECT_EQ(store->GetReceiptsAt(past_the_end).status().code(), StatusCode::kNotFound);
}

TEST(BlockStoreTest, DamagedReceiptsAreCorruptionNotACrash) {
  auto kv = std::make_shared<MemoryKvStore>();
  auto store = OpenOrDie(ShareKvStore(kv));
  ASSERT_TRUE(InitGenesis(*store).ok());
  ASSERT_TRUE(store->Commit(MakeBlock(1, 3)).ok());
  // The block's receipts value (0x0b height) cut short, then with a count it cannot hold.
  const std::string key = std::string(1, '\x0b') + std::string(7, '\0') + std::string(1, '\x01');
  std::string value = kv->Get(key).value().value();
  for (const std::string& damaged :
       {value.substr(0, value.size() - 1), std::string("\xff\xff\xff\xff", 4) + value.substr(4),
        std::string()}) {
    const KvWrite write{key, damaged};
    ASSERT_TRUE(kv->Write(std::span<const KvWrite>(&write, 1), true).ok());
    EXPECT_EQ(store->GetReceipt({1, 0}).status().code(), StatusCode::kCorruption);
    EXPECT_EQ(store->GetReceipts(1).status().code(), StatusCode::kCorruption);
    EXPECT_EQ(store->GetTxHashes(1).status().code(), StatusCode::kCorruption);
    std::vector<Bytes> hashes;
    std::vector<proto::Receipt> receipts;
    EXPECT_EQ(store->GetTxHashesAndReceipts(1, &hashes, &receipts).code(),
              StatusCode::kCorruption);
  }
}

TEST(BlockStoreTest, GenesisIsHeightZero) {
  auto store = FreshStore();
  EXPECT_TRUE(store->initialized());
  EXPECT_EQ(store->height(), 0u);
  Result<BlockMeta> meta = store->GetMeta(0);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->block_hash, GenesisHash());
  EXPECT_EQ(meta->state_root, Filled(0xAA));
  EXPECT_EQ(meta->receipts_root, Filled(0xBB));
  EXPECT_EQ(meta->tx_count, 0u);
  Result<std::uint64_t> found = store->FindBlockByHash(GenesisHash());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, 0u);
  EXPECT_EQ(store->GetBlock(0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetMeta(1).status().code(), StatusCode::kNotFound);
}

TEST(BlockStoreTest, CommitOutOfOrderIsRefused) {
  auto empty = OpenOrDie(std::make_unique<MemoryKvStore>());
  EXPECT_EQ(empty->Commit(MakeBlock(1, 1)).code(), StatusCode::kFailedPrecondition);

  auto store = FreshStore();
  const Status skipped = store->Commit(MakeBlock(2, 1));
  EXPECT_EQ(skipped.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(skipped.message(), HasSubstr("height 2"));
  ASSERT_TRUE(store->Commit(MakeBlock(1, 1)).ok());
  EXPECT_EQ(store->Commit(MakeBlock(1, 1)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->height(), 1u);
  EXPECT_EQ(store->FindTx(TxHashOf(2, 0)).status().code(), StatusCode::kNotFound);
}

TEST(BlockStoreTest, InconsistentBlockIsRefused) {
  auto store = FreshStore();
  StoredBlock wrong_hash = MakeBlock(1, 1);
  wrong_hash.block_hash[0] ^= 1;
  EXPECT_EQ(store->Commit(wrong_hash).code(), StatusCode::kInvalidArgument);
  StoredBlock missing_receipt = MakeBlock(1, 2);
  missing_receipt.receipts.pop_back();
  EXPECT_EQ(store->Commit(missing_receipt).code(), StatusCode::kInvalidArgument);
  StoredBlock other_certificate = MakeBlock(1, 1);
  other_certificate.certificate.set_height(2);
  EXPECT_EQ(store->Commit(other_certificate).code(), StatusCode::kInvalidArgument);
  StoredBlock short_encoded = MakeBlock(1, 2);
  short_encoded.encoded_receipts = {short_encoded.receipts[0].SerializeAsString()};
  EXPECT_EQ(store->Commit(short_encoded).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->height(), 0u);
}

// Receipts handed over already serialised (the executor's, StoredBlock::encoded_receipts)
// are stored as they are and read back like those the store serialises itself.
TEST(BlockStoreTest, ReceiptsHandedOverSerialisedAreKeptAsGiven) {
  auto store = FreshStore();
  StoredBlock b = MakeBlock(1, 3);
  for (const proto::Receipt& receipt : b.receipts) {
    b.encoded_receipts.push_back(receipt.SerializeAsString());
  }
  ASSERT_TRUE(store->Commit(b).ok());
  ExpectStored(*store, b);
  Result<std::vector<proto::Receipt>> receipts = store->GetReceipts(1);
  ASSERT_TRUE(receipts.ok()) << receipts.status();
  ASSERT_EQ(receipts->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*receipts)[i].SerializeAsString(), b.encoded_receipts[i]) << i;
  }
}

TEST(BlockStoreTest, ReopenedLevelDbStoreFindsEverything) {
  testutil::ScratchDir dir("colend-blockstore");
  std::vector<StoredBlock> blocks = {MakeBlock(1, 2, {{"hist/a", "2"}, {"x", "1"}}),
                                     MakeBlock(2, 1, {{"x", std::nullopt}})};
  {
    Result<std::unique_ptr<KvStore>> kv = OpenLevelDb(dir.Path("db"), LevelDbOptions{});
    ASSERT_TRUE(kv.ok()) << kv.status();
    auto store = OpenOrDie(std::move(kv).value());
    ASSERT_FALSE(store->initialized());
    ASSERT_TRUE(InitGenesis(*store).ok());
    for (const StoredBlock& b : blocks) ASSERT_TRUE(store->Commit(b).ok());
    consensus::WalKey key{consensus::WalKind::kView, 3, 0};
    proto::ConsensusWalRecord record;
    record.set_view(3);
    ASSERT_TRUE(store->PutWal(key, record).ok());
  }
  Result<std::unique_ptr<KvStore>> kv = OpenLevelDb(dir.Path("db"), LevelDbOptions{});
  ASSERT_TRUE(kv.ok()) << kv.status();
  auto store = OpenOrDie(std::move(kv).value());
  EXPECT_TRUE(store->initialized());
  EXPECT_EQ(store->height(), 2u);
  ASSERT_TRUE(InitGenesis(*store).ok());  // same chain: writes nothing
  EXPECT_EQ(store->height(), 2u);
  for (const StoredBlock& b : blocks) ExpectStored(*store, b);
  EXPECT_EQ(StateOf(*store),
            (std::map<std::string, std::string>{{"hist/a", "2"}, {"plain", "p0"}}));
  Result<std::optional<std::string>> old = store->ReadStateAt("hist/a", 0);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*old, "1");
  Result<std::vector<proto::ConsensusWalRecord>> wal = store->LoadWal();
  ASSERT_TRUE(wal.ok());
  ASSERT_EQ(wal->size(), 1u);
  EXPECT_EQ((*wal)[0].view(), 3u);
  ASSERT_TRUE(store->Commit(MakeBlock(3, 1)).ok());
}

TEST(BlockStoreTest, GenesisOfAnotherChainIsRefused) {
  auto kv = std::make_shared<MemoryKvStore>();
  {
    auto store = OpenOrDie(ShareKvStore(kv));
    ASSERT_TRUE(InitGenesis(*store, "chain-a").ok());
    ASSERT_TRUE(store->Commit(MakeBlock(1, 1)).ok());
  }
  auto store = OpenOrDie(ShareKvStore(kv));
  const Status other = InitGenesis(*store, "chain-b");
  EXPECT_EQ(other.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.message(), HasSubstr("data directory belongs to another chain"));
  EXPECT_THAT(other.message(), HasSubstr(ToHex(GenesisHash("chain-a"))));
  EXPECT_EQ(store->height(), 1u);
}

TEST(BlockStoreTest, OtherHistoryPrefixesAreRefused) {
  auto kv = std::make_shared<MemoryKvStore>();
  ASSERT_TRUE(InitGenesis(*OpenOrDie(ShareKvStore(kv), Options({"hist/"}))).ok());
  // Order and duplicates do not matter; the set does.
  EXPECT_TRUE(InitGenesis(*OpenOrDie(ShareKvStore(kv), Options({"hist/", "hist/"}))).ok());
  EXPECT_EQ(InitGenesis(*OpenOrDie(ShareKvStore(kv), Options({"hist/", "pos/"}))).code(),
            StatusCode::kFailedPrecondition);
}

TEST(BlockStoreTest, UnknownFormatVersionIsRefused) {
  auto kv = std::make_shared<MemoryKvStore>();
  ASSERT_TRUE(InitGenesis(*OpenOrDie(ShareKvStore(kv))).ok());
  const std::vector<KvWrite> v2 = {KvWrite{std::string("\x00"
                                                       "f",
                                                       2),
                                           std::string("\x00\x00\x00\x03", 4)}};
  ASSERT_TRUE(kv->Write(v2, true).ok());
  Result<std::unique_ptr<BlockStore>> opened = BlockStore::Open(ShareKvStore(kv), Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("format version 3"));
}

TEST(BlockStoreTest, ForeignDataIsRefused) {
  auto kv = std::make_shared<MemoryKvStore>();
  ASSERT_TRUE(kv->Write(std::vector<KvWrite>{KvWrite{"someone else's", "data"}}, true).ok());
  Result<std::unique_ptr<BlockStore>> opened = BlockStore::Open(ShareKvStore(kv), Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr("not a colend data directory"));
}

TEST(BlockStoreTest, ReadStateAtAcrossHeightsIncludingDeletes) {
  auto store = FreshStore(Options({"hist/"}));  // genesis: hist/a = 1
  ASSERT_TRUE(store->Commit(MakeBlock(1, 0, {{"hist/a", "2"}, {"hist/ab", "x"}})).ok());
  ASSERT_TRUE(store->Commit(MakeBlock(2, 0, {{"hist/a", std::nullopt}})).ok());
  ASSERT_TRUE(store->Commit(MakeBlock(3, 0, {{"hist/ab", "y"}})).ok());
  ASSERT_TRUE(store->Commit(MakeBlock(4, 0, {{"hist/a", "4"}})).ok());
  auto at = [&](std::string_view key, std::uint64_t h) {
    Result<std::optional<std::string>> v = store->ReadStateAt(key, h);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::optional<std::string>("<error>");
  };
  EXPECT_EQ(at("hist/a", 0), "1");
  EXPECT_EQ(at("hist/a", 1), "2");
  EXPECT_EQ(at("hist/a", 2), std::nullopt);
  EXPECT_EQ(at("hist/a", 3), std::nullopt);
  EXPECT_EQ(at("hist/a", 4), "4");
  // A key that extends another's name keeps its own versions.
  EXPECT_EQ(at("hist/ab", 0), std::nullopt);
  EXPECT_EQ(at("hist/ab", 2), "x");
  EXPECT_EQ(at("hist/ab", 4), "y");
  EXPECT_EQ(at("hist/never", 4), std::nullopt);
  EXPECT_EQ(store->ReadStateAt("plain", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ReadStateAt("hist/a", 5).status().code(), StatusCode::kOutOfRange);
}

proto::ConsensusWalRecord SentRecord(std::string body) {
  proto::ConsensusWalRecord record;
  record.mutable_sent()->set_body(std::move(body));
  record.mutable_sent()->set_sender("LEAD");
  return record;
}

std::vector<std::string> WalBodies(const BlockStore& store) {
  Result<std::vector<proto::ConsensusWalRecord>> wal = store.LoadWal();
  EXPECT_TRUE(wal.ok()) << wal.status();
  std::vector<std::string> out;
  if (!wal.ok()) return out;
  for (const proto::ConsensusWalRecord& r : *wal) {
    out.push_back(r.has_sent() ? r.sent().body() : "view " + std::to_string(r.view()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BlockStoreTest, WalKeepsEveryRecordOfOneKeyAndCompacts) {
  auto store = FreshStore();
  using consensus::WalKind;
  const consensus::WalKey at_5{WalKind::kSent, 0, 5};
  ASSERT_TRUE(store->PutWal(at_5, SentRecord("prepare v0 s5")).ok());
  ASSERT_TRUE(store->PutWal(at_5, SentRecord("commit v0 s5")).ok());
  ASSERT_TRUE(store->PutWal(at_5, SentRecord("commit v0 s5")).ok());  // the same again
  ASSERT_TRUE(store->PutWal({WalKind::kSent, 0, 6}, SentRecord("prepare v0 s6")).ok());
  ASSERT_TRUE(store->PutWal({WalKind::kSent, 1, 0}, SentRecord("view-change 1")).ok());
  proto::ConsensusWalRecord view;
  view.set_view(1);
  ASSERT_TRUE(store->PutWal({WalKind::kView, 1, 0}, view).ok());
  view.set_view(2);
  ASSERT_TRUE(store->PutWal({WalKind::kView, 2, 0}, view).ok());
  EXPECT_EQ(WalBodies(*store),
            (std::vector<std::string>{"commit v0 s5", "prepare v0 s5", "prepare v0 s6", "view 1",
                                      "view 2", "view-change 1"}));
  // Stable checkpoint at 5, view 2: sequence-5 records, the view-1 entry and the view-1
  // VIEW-CHANGE go.
  ASSERT_TRUE(store->CompactWal(5, 2).ok());
  EXPECT_EQ(WalBodies(*store), (std::vector<std::string>{"prepare v0 s6", "view 2"}));
  ASSERT_TRUE(store->CompactWal(5, 2).ok());  // nothing left to drop
  EXPECT_EQ(WalBodies(*store).size(), 2u);
}

TEST(BlockStoreTest, TxHashIndexKeepsTheFirstCommit) {
  auto store = FreshStore();
  ASSERT_TRUE(store->Commit(MakeBlock(1, 1)).ok());
  StoredBlock replay = MakeBlock(2, 2);
  replay.tx_hashes[1] = TxHashOf(1, 0);  // the same body again, rejected as a duplicate
  replay.tx_hashes[0] = TxHashOf(1, 0);
  replay.replays = {true, true};  // as the executor flags them
  ASSERT_TRUE(store->Commit(replay).ok());
  Result<TxLocation> at = store->FindTx(TxHashOf(1, 0));
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, (TxLocation{1, 0}));
  Result<Bytes> hash = store->GetTxHash(TxLocation{2, 1});
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(*hash, TxHashOf(1, 0));
  // Without the flag a hash is indexed where it is (a rejection that recorded nothing,
  // executed again): the store does not read the index to decide.
  StoredBlock again = MakeBlock(3, 1);
  again.tx_hashes[0] = TxHashOf(1, 0);
  ASSERT_TRUE(store->Commit(again).ok());
  EXPECT_EQ(*store->FindTx(TxHashOf(1, 0)), (TxLocation{3, 0}));
}

// Readers on other threads never see a height whose block is missing (run under tsan too).
TEST(BlockStoreTest, ReadersDuringCommitsSeeWholeBlocks) {
  auto store = FreshStore();
  constexpr std::uint64_t kBlocks = 60;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const std::uint64_t h = store->height();
        if (h == 0) continue;
        Result<proto::CertifiedBlock> block = store->GetBlock(h);
        Result<BlockMeta> meta = store->GetMeta(h);
        Result<TxLocation> tx = store->FindTx(TxHashOf(h, 0));
        if (!block.ok() || !meta.ok() || !tx.ok()) failures.fetch_add(1);
      }
    });
  }
  for (std::uint64_t h = 1; h <= kBlocks; ++h) {
    ASSERT_TRUE(store->Commit(MakeBlock(h, 2, {{"k" + std::to_string(h), "v"}})).ok());
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace colend::node
