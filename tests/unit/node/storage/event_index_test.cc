// The per-bank event index of BlockStore: written in the block's own batch, read back by
// (bank, height, index) in pages, kept across a reopen on LevelDB, and started at the head
// of a store that was written before the index existed.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "colend/node/block_store.h"
#include "colend/node/fault_injecting_kv_store.h"
#include "colend/node/memory_kv_store.h"
#include "colend/testutil/process_util.h"
#include "storage_test_util.h"

namespace colend::node {
namespace {

using testing::InitGenesis;
using testing::MakeBlock;
using testing::OpenOrDie;

StoredBlock WithParties(StoredBlock block, std::vector<std::vector<std::string>> parties) {
  block.tx_parties = std::move(parties);
  return block;
}

std::vector<TxLocation> All(const BlockStore& store, const std::string& bank,
                            TxLocation from = {1, 0}) {
  Result<EventPage> page = store.ListEvents(bank, from, UINT64_MAX, 1000);
  EXPECT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(page.ok() && page->next.has_value());
  return page.ok() ? page->events : std::vector<TxLocation>{};
}

// Blocks 1..3: LEAD in (1,0) (1,1) (2,1) (3,0); PARTNER_A in (1,0) (2,0); nobody in (3,1).
void CommitThree(BlockStore& store) {
  ASSERT_TRUE(store.Commit(WithParties(MakeBlock(1, 2), {{"LEAD", "PARTNER_A"}, {"LEAD"}})).ok());
  ASSERT_TRUE(store.Commit(WithParties(MakeBlock(2, 2), {{"PARTNER_A"}, {"LEAD"}})).ok());
  ASSERT_TRUE(store.Commit(WithParties(MakeBlock(3, 2), {{"LEAD"}, {}})).ok());
}

const std::vector<TxLocation> kLeadEvents = {{1, 0}, {1, 1}, {2, 1}, {3, 0}};
const std::vector<TxLocation> kPartnerEvents = {{1, 0}, {2, 0}};

TEST(EventIndexTest, WrittenWithTheBlockPerBank) {
  auto store = OpenOrDie(std::make_unique<MemoryKvStore>());
  ASSERT_TRUE(InitGenesis(*store).ok());
  EXPECT_EQ(store->events_from(), 1u);
  CommitThree(*store);
  EXPECT_EQ(All(*store, "LEAD"), kLeadEvents);
  EXPECT_EQ(All(*store, "PARTNER_A"), kPartnerEvents);
  // A bank id that is a prefix of another sees none of the other's events.
  EXPECT_TRUE(All(*store, "LEA").empty());
  EXPECT_TRUE(All(*store, "PARTNER_B").empty());
  // From a height, and from an index inside a block.
  EXPECT_EQ(All(*store, "LEAD", {2, 0}), (std::vector<TxLocation>{{2, 1}, {3, 0}}));
  EXPECT_EQ(All(*store, "LEAD", {1, 1}), (std::vector<TxLocation>{{1, 1}, {2, 1}, {3, 0}}));
  // Up to a height.
  Result<EventPage> upto = store->ListEvents("LEAD", {1, 0}, 1, 1000);
  ASSERT_TRUE(upto.ok());
  EXPECT_EQ(upto->events, (std::vector<TxLocation>{{1, 0}, {1, 1}}));
  EXPECT_FALSE(upto->next.has_value());
}

TEST(EventIndexTest, PagesFollowTheCursorWithoutGapOrRepeat) {
  auto store = OpenOrDie(std::make_unique<MemoryKvStore>());
  ASSERT_TRUE(InitGenesis(*store).ok());
  CommitThree(*store);
  std::vector<TxLocation> seen;
  TxLocation from{1, 0};
  int pages = 0;
  while (true) {
    Result<EventPage> page = store->ListEvents("LEAD", from, UINT64_MAX, 3);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->events.size(), 3u);
    seen.insert(seen.end(), page->events.begin(), page->events.end());
    ++pages;
    if (!page->next) break;
    from = *page->next;
  }
  EXPECT_EQ(seen, kLeadEvents);
  EXPECT_EQ(pages, 2);
  // A page that ends exactly at the last event says there is no more.
  Result<EventPage> exact = store->ListEvents("PARTNER_A", {1, 0}, UINT64_MAX, 2);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->events, kPartnerEvents);
  EXPECT_FALSE(exact->next.has_value());
}

TEST(EventIndexTest, PartyListsMustMatchTheTransactions) {
  auto store = OpenOrDie(std::make_unique<MemoryKvStore>());
  ASSERT_TRUE(InitGenesis(*store).ok());
  EXPECT_EQ(store->Commit(WithParties(MakeBlock(1, 2), {{"LEAD"}})).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->height(), 0u);
  EXPECT_TRUE(All(*store, "LEAD").empty());
  // No party lists at all: the block is stored and indexes nothing.
  ASSERT_TRUE(store->Commit(MakeBlock(1, 2)).ok());
  EXPECT_TRUE(All(*store, "LEAD").empty());
}

TEST(EventIndexTest, AFailedCommitLeavesNoEventVisible) {
  auto faulty = std::make_shared<FaultInjectingKvStore>(std::make_shared<MemoryKvStore>());
  auto store = OpenOrDie(ShareKvStore(faulty));
  ASSERT_TRUE(InitGenesis(*store).ok());
  faulty->FailNthWrite(
      1, FaultInjectingKvStore::WriteFault::kAfterApply);  // reached the store, reported failed
  EXPECT_FALSE(store->Commit(WithParties(MakeBlock(1, 1), {{"LEAD"}})).ok());
  EXPECT_TRUE(All(*store, "LEAD").empty());
  ASSERT_TRUE(store->Commit(WithParties(MakeBlock(1, 1), {{"LEAD"}})).ok());
  EXPECT_EQ(All(*store, "LEAD"), (std::vector<TxLocation>{{1, 0}}));
}

TEST(EventIndexTest, SurvivesReopenOnLevelDb) {
  testutil::ScratchDir dir("colend-event-index");
  {
    Result<std::unique_ptr<KvStore>> kv = OpenLevelDb(dir.Path("db"), LevelDbOptions{});
    ASSERT_TRUE(kv.ok()) << kv.status();
    auto store = OpenOrDie(std::move(kv).value());
    ASSERT_TRUE(InitGenesis(*store).ok());
    CommitThree(*store);
  }
  Result<std::unique_ptr<KvStore>> kv = OpenLevelDb(dir.Path("db"), LevelDbOptions{});
  ASSERT_TRUE(kv.ok()) << kv.status();
  auto store = OpenOrDie(std::move(kv).value());
  EXPECT_EQ(store->events_from(), 1u);
  EXPECT_EQ(All(*store, "LEAD"), kLeadEvents);
  EXPECT_EQ(All(*store, "PARTNER_A"), kPartnerEvents);
  ASSERT_TRUE(store->Commit(WithParties(MakeBlock(4, 1), {{"PARTNER_A"}})).ok());
  EXPECT_EQ(All(*store, "PARTNER_A", {2, 0}), (std::vector<TxLocation>{{2, 0}, {4, 0}}));
}

TEST(EventIndexTest, AStoreFromBeforeTheIndexStartsItAtItsHead) {
  auto kv = std::make_shared<MemoryKvStore>();
  {
    auto store = OpenOrDie(ShareKvStore(kv));
    ASSERT_TRUE(InitGenesis(*store).ok());
    ASSERT_TRUE(store->Commit(MakeBlock(1, 1)).ok());
    ASSERT_TRUE(store->Commit(MakeBlock(2, 1)).ok());
  }
  // What a store written before the index looks like: no "index starts at" key.
  const KvWrite forget{std::string("\x00"
                                   "e",
                                   2),
                       std::nullopt};
  ASSERT_TRUE(kv->Write(std::span<const KvWrite>(&forget, 1), true).ok());
  auto store = OpenOrDie(ShareKvStore(kv));
  EXPECT_EQ(store->events_from(), 3u);
  EXPECT_EQ(store->ListEvents("LEAD", {2, 0}, UINT64_MAX, 10).status().code(),
            StatusCode::kOutOfRange);
  ASSERT_TRUE(store->Commit(WithParties(MakeBlock(3, 1), {{"LEAD"}})).ok());
  EXPECT_EQ(All(*store, "LEAD", {3, 0}), (std::vector<TxLocation>{{3, 0}}));
  // And it stays where it started on the next open.
  store.reset();
  EXPECT_EQ(OpenOrDie(ShareKvStore(kv))->events_from(), 3u);
}

}  // namespace
}  // namespace colend::node
