// StateSnapshot: a scan of the state that runs as long as it likes while blocks keep being
// committed, and sees one height throughout. Progress is shown, not timed: the scan is
// parked inside its callback while the committer commits block after block.
#include "colend/node/state_snapshot.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "colend/node/fault_injecting_kv_store.h"
#include "colend/node/memory_kv_store.h"
#include "colend/testutil/process_util.h"
#include "storage_test_util.h"

namespace colend::node {
namespace {

using testing::Filled;
using testing::MakeBlock;

constexpr int kLoans = 500;

std::string LoanKey(int i) {
  char key[16];
  std::snprintf(key, sizeof key, "loan/%04d", i);
  return key;
}

// Every loan key written with the height that writes it.
contracts::WriteSet EveryLoanAt(std::uint64_t height) {
  contracts::WriteSet writes;
  for (int i = 0; i < kLoans; ++i) writes[LoanKey(i)] = std::to_string(height);
  return writes;
}

enum class Backend { kLevelDb, kMemory };

class StateSnapshotTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::unique_ptr<KvStore> kv;
    if (GetParam() == Backend::kLevelDb) {
      Result<std::unique_ptr<KvStore>> opened = OpenLevelDb(dir_.Path("db"), LevelDbOptions{});
      ASSERT_TRUE(opened.ok()) << opened.status();
      kv = std::move(opened).value();
    } else {
      kv = std::make_unique<MemoryKvStore>();
    }
    store_ = testing::OpenOrDie(std::move(kv));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(testing::InitGenesis(*store_, "chain-a", EveryLoanAt(0)).ok());
    ASSERT_TRUE(store_->Commit(MakeBlock(1, 0, EveryLoanAt(1))).ok());
  }

  testutil::ScratchDir dir_{"colend-state-snapshot"};
  std::unique_ptr<BlockStore> store_;
};

TEST_P(StateSnapshotTest, ALongScanHoldsUpNoCommitAndSeesOneHeight) {
  Result<std::unique_ptr<StateSnapshot>> taken = store_->SnapshotState();
  ASSERT_TRUE(taken.ok()) << taken.status();
  const StateSnapshot& snapshot = **taken;
  EXPECT_EQ(snapshot.height(), 1u);
  EXPECT_EQ(snapshot.state_root(), Filled(1));  // the root stored with block 1

  // The scan stops inside its first callback until the committer is done.
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  std::promise<void> scan_started;
  std::vector<std::string> seen;
  std::thread scanner([&] {
    snapshot.Scan("loan/", [&](std::string_view, std::string_view value) {
      if (seen.empty()) {
        scan_started.set_value();
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      seen.emplace_back(value);
      return true;
    });
  });
  scan_started.get_future().wait();

  // Mid-scan: twenty more blocks rewrite every key, and each Commit returns.
  for (std::uint64_t h = 2; h <= 21; ++h) {
    ASSERT_TRUE(store_->Commit(MakeBlock(h, 0, EveryLoanAt(h))).ok()) << h;
  }
  EXPECT_EQ(store_->height(), 21u);
  EXPECT_TRUE(seen.empty());  // still parked in its first callback: no commit waited for it
  {
    std::lock_guard lock(mu);
    go = true;
  }
  cv.notify_all();
  scanner.join();

  // The whole scan saw height 1, every key, nothing of the twenty blocks after it.
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kLoans));
  for (const std::string& value : seen) ASSERT_EQ(value, "1");
  std::string value;
  ASSERT_TRUE(snapshot.Get(LoanKey(7), &value));
  EXPECT_EQ(value, "1");
  EXPECT_TRUE(snapshot.status().ok()) << snapshot.status();

  // A new snapshot is of the new head.
  Result<std::unique_ptr<StateSnapshot>> now = store_->SnapshotState();
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ((*now)->height(), 21u);
  EXPECT_EQ((*now)->state_root(), Filled(21));
  ASSERT_TRUE((*now)->Get(LoanKey(kLoans - 1), &value));
  EXPECT_EQ(value, "21");
  EXPECT_FALSE((*now)->Get("loan/nope", &value));
}

TEST_P(StateSnapshotTest, ScanSeesOnlyItsPrefixInOrder) {
  ASSERT_TRUE(store_->Commit(MakeBlock(2, 0, {{"loan/0003", std::nullopt}, {"loam", "x"}})).ok());
  Result<std::unique_ptr<StateSnapshot>> snapshot = store_->SnapshotState();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  std::vector<std::string> keys;
  (*snapshot)->Scan("loan/000", [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return keys.size() < 5;  // stops when told
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"loan/0000", "loan/0001", "loan/0002", "loan/0004",
                                            "loan/0005"}));
}

INSTANTIATE_TEST_SUITE_P(Stores, StateSnapshotTest,
                         ::testing::Values(Backend::kLevelDb, Backend::kMemory),
                         [](const ::testing::TestParamInfo<Backend>& backend) {
                           return backend.param == Backend::kLevelDb ? "LevelDb" : "Memory";
                         });

TEST(StateSnapshotBeforeGenesisTest, AStoreWithoutAChainHasNoSnapshot) {
  std::unique_ptr<BlockStore> store = testing::OpenOrDie(std::make_unique<MemoryKvStore>());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SnapshotState().status().code(), StatusCode::kFailedPrecondition);
}

// A store that cannot be read gives no snapshot: the query fails with the store's error
// rather than answering from nothing.
TEST(StateSnapshotFaultTest, AnUnreadableStoreGivesNoSnapshot) {
  auto faulty = std::make_shared<FaultInjectingKvStore>(std::make_shared<MemoryKvStore>());
  std::unique_ptr<BlockStore> store = testing::OpenOrDie(ShareKvStore(faulty));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(testing::InitGenesis(*store).ok());
  ASSERT_TRUE(store->SnapshotState().ok());
  faulty->FailReads(true);
  EXPECT_EQ(store->SnapshotState().status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace colend::node
