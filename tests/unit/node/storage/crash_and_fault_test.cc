// The BlockStore under crashes and storage faults: every Commit that returned OK survives a
// crash, nothing half-written is ever visible, and a failed Commit changes nothing and can
// be retried.
#include <cstdint>
#include <map>
#include <memory>
#include <random>
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

using testing::InitGenesis;
using testing::MakeBlock;
using testing::OpenOrDie;
using testing::StateOf;
using testing::TxHashOf;
using State = std::map<std::string, std::string>;

State GenesisState() {
  return {{"hist/a", "1"}, {"plain", "p0"}};
}

// Block h's writes, derived from h alone so the expected state at any height can be rebuilt.
contracts::WriteSet WritesOf(std::uint64_t h) {
  contracts::WriteSet writes;
  writes["hist/a"] = "a@" + std::to_string(h);
  writes["k" + std::to_string(h % 5)] = "v" + std::to_string(h);
  if (h % 3 == 0) writes["k" + std::to_string((h + 1) % 5)] = std::nullopt;
  if (h == 2) writes["plain"] = std::nullopt;
  return writes;
}

StoredBlock BlockAt(std::uint64_t h) {
  return MakeBlock(h, static_cast<std::uint32_t>(1 + h % 3), WritesOf(h));
}

State ExpectedStateAt(std::uint64_t height) {
  State state = GenesisState();
  for (std::uint64_t h = 1; h <= height; ++h) {
    for (const auto& [k, v] : WritesOf(h)) {
      if (v) {
        state[k] = *v;
      } else {
        state.erase(k);
      }
    }
  }
  return state;
}

// The store shows exactly heights 0..height: every index of those, nothing of later ones.
void ExpectExactly(const BlockStore& store, std::uint64_t height) {
  ASSERT_EQ(store.height(), height);
  for (std::uint64_t h = 1; h <= height; ++h) {
    const StoredBlock b = BlockAt(h);
    ASSERT_TRUE(store.GetBlock(h).ok()) << "height " << h;
    ASSERT_TRUE(store.GetMeta(h).ok()) << "height " << h;
    Result<std::uint64_t> by_hash = store.FindBlockByHash(b.block_hash);
    ASSERT_TRUE(by_hash.ok());
    EXPECT_EQ(*by_hash, h);
    Result<TxLocation> at = store.FindTx(TxHashOf(h, 0));
    ASSERT_TRUE(at.ok()) << "height " << h;
    ASSERT_TRUE(store.GetReceipt(*at).ok());
  }
  const StoredBlock next = BlockAt(height + 1);
  EXPECT_EQ(store.GetBlock(height + 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.FindBlockByHash(next.block_hash).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.FindTx(TxHashOf(height + 1, 0)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(StateOf(store), ExpectedStateAt(height));
  Result<std::optional<std::string>> a = store.ReadStateAt("hist/a", height);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value_or("<none>"), ExpectedStateAt(height).at("hist/a"));
}

TEST(BlockStoreCrashTest, EveryAcknowledgedCommitSurvivesACrash) {
  auto disk = std::make_shared<MemoryKvStore>();
  {
    auto store = OpenOrDie(ShareKvStore(disk));
    ASSERT_TRUE(InitGenesis(*store).ok());
    for (std::uint64_t h = 1; h <= 6; ++h) ASSERT_TRUE(store->Commit(BlockAt(h)).ok());
    ASSERT_TRUE(store->CompactWal(3, 0).ok());  // an unsynced batch a crash may lose
  }
  disk->Crash();
  auto store = OpenOrDie(ShareKvStore(disk));
  ASSERT_TRUE(InitGenesis(*store).ok());
  ExpectExactly(*store, 6);
  ASSERT_TRUE(store->Commit(BlockAt(7)).ok());
  ExpectExactly(*store, 7);
}

// Random runs (fixed seeds): commits, unsynced WAL compactions, commits that fail before or
// after reaching the disk, crashes that keep a random part of the unsynced log. After every
// crash the store holds a whole prefix of the chain, at least every acknowledged height.
TEST(BlockStoreCrashTest, RandomCrashesNeverShowHalfABlock) {
  for (std::uint32_t seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto disk = std::make_shared<MemoryKvStore>();
    auto faulty = std::make_shared<FaultInjectingKvStore>(disk);
    std::uint64_t acknowledged = 0;
    for (int life = 0; life < 4; ++life) {
      auto store = OpenOrDie(ShareKvStore(faulty));
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(InitGenesis(*store).ok());
      ASSERT_GE(store->height(), acknowledged);
      ASSERT_LE(store->height(), acknowledged + 1);  // at most the one in flight
      ExpectExactly(*store, store->height());
      acknowledged = store->height();
      const int steps = 1 + static_cast<int>(rng() % 6);
      for (int step = 0; step < steps; ++step) {
        switch (rng() % 4) {
          case 0:
            faulty->FailNthWrite(1, rng() % 2 ? FaultInjectingKvStore::WriteFault::kBeforeApply
                                              : FaultInjectingKvStore::WriteFault::kAfterApply);
            break;
          case 1: {  // a synced WAL record, then its unsynced deletion
            proto::ConsensusWalRecord record;
            record.mutable_sent()->set_body("vote " + std::to_string(store->height()));
            ASSERT_TRUE(
                store->PutWal({consensus::WalKind::kSent, 0, store->height()}, record).ok());
            ASSERT_TRUE(store->CompactWal(store->height(), 0).ok());
            break;
          }
          default:
            break;
        }
        const std::uint64_t before = store->height();
        if (store->Commit(BlockAt(before + 1)).ok()) {
          acknowledged = before + 1;
        } else {
          ASSERT_EQ(store->height(), before);
          break;  // a node stops on a storage error; the crash follows
        }
      }
      faulty->Heal();
      store.reset();
      disk->Crash(rng() % (disk->unsynced_batches() + 1));
    }
  }
}

TEST(BlockStoreFaultTest, FailedCommitChangesNothingAndRetryWorks) {
  auto faulty = std::make_shared<FaultInjectingKvStore>(std::make_shared<MemoryKvStore>());
  auto store = OpenOrDie(ShareKvStore(faulty));
  ASSERT_TRUE(InitGenesis(*store).ok());
  ASSERT_TRUE(store->Commit(BlockAt(1)).ok());
  faulty->FailNthWrite(1);
  const Status failed = store->Commit(BlockAt(2));
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_THAT(failed.message(), ::testing::HasSubstr("storing block 2"));
  ExpectExactly(*store, 1);
  ASSERT_TRUE(store->Commit(BlockAt(2)).ok());
  ExpectExactly(*store, 2);
}

TEST(BlockStoreFaultTest, CommitWhoseAcknowledgementIsLostCanBeRetried) {
  auto disk = std::make_shared<MemoryKvStore>();
  auto faulty = std::make_shared<FaultInjectingKvStore>(disk);
  auto store = OpenOrDie(ShareKvStore(faulty));
  ASSERT_TRUE(InitGenesis(*store).ok());
  faulty->FailNthWrite(1, FaultInjectingKvStore::WriteFault::kAfterApply);
  EXPECT_FALSE(store->Commit(BlockAt(1)).ok());
  EXPECT_EQ(store->height(), 0u);
  EXPECT_EQ(store->GetBlock(1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->FindTx(TxHashOf(1, 0)).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->Commit(BlockAt(1)).ok());  // the same block again
  ExpectExactly(*store, 1);
  store.reset();
  ExpectExactly(*OpenOrDie(ShareKvStore(disk)), 1);
}

TEST(BlockStoreFaultTest, FullDiskFailsCommitsUntilSpaceReturns) {
  auto faulty = std::make_shared<FaultInjectingKvStore>(std::make_shared<MemoryKvStore>());
  auto store = OpenOrDie(ShareKvStore(faulty));
  ASSERT_TRUE(InitGenesis(*store).ok());
  faulty->SetWriteByteBudget(100);
  EXPECT_THAT(store->Commit(BlockAt(1)).message(), ::testing::HasSubstr("no space"));
  EXPECT_FALSE(store->PutWal({consensus::WalKind::kView, 1, 0}, proto::ConsensusWalRecord()).ok());
  ExpectExactly(*store, 0);
  faulty->Heal();
  ASSERT_TRUE(store->Commit(BlockAt(1)).ok());
  ExpectExactly(*store, 1);
}

TEST(BlockStoreFaultTest, ReadFailuresAreErrorsNotCrashes) {
  auto faulty = std::make_shared<FaultInjectingKvStore>(std::make_shared<MemoryKvStore>());
  auto store = OpenOrDie(ShareKvStore(faulty));
  ASSERT_TRUE(InitGenesis(*store).ok());
  ASSERT_TRUE(store->Commit(BlockAt(1)).ok());
  faulty->FailReads(true);
  EXPECT_EQ(store->GetBlock(1).status().code(), StatusCode::kIoError);
  EXPECT_EQ(store->GetMeta(1).status().code(), StatusCode::kIoError);
  EXPECT_EQ(store->FindTx(TxHashOf(1, 0)).status().code(), StatusCode::kIoError);
  EXPECT_EQ(store->ReadStateAt("hist/a", 1).status().code(), StatusCode::kIoError);
  EXPECT_EQ(store->LoadWal().status().code(), StatusCode::kIoError);
  EXPECT_EQ(store->ScanState("", [](std::string_view, std::string_view) { return true; }).code(),
            StatusCode::kIoError);
  // Storing a block reads nothing (the tx index is written blindly), so it still works.
  EXPECT_FALSE(BlockStore::Open(ShareKvStore(faulty), testing::Options()).ok());
  ASSERT_TRUE(store->Commit(BlockAt(2)).ok());
  faulty->FailReads(false);
  ExpectExactly(*store, 2);
}

}  // namespace
}  // namespace colend::node
