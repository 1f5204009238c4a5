// The KvStore contract, checked on both implementations (LevelDB, memory), plus what only
// one of them does: LevelDB's directory lock, the memory store's simulated crash, and the
// fault-injecting wrapper.
#include "colend/node/kv_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "colend/node/fault_injecting_kv_store.h"
#include "colend/node/memory_kv_store.h"
#include "colend/testutil/process_util.h"

namespace colend::node {
namespace {

using ::testing::HasSubstr;

KvWrite Put(std::string key, std::string value) {
  return KvWrite{std::move(key), std::move(value)};
}
KvWrite Del(std::string key) {
  return KvWrite{std::move(key), std::nullopt};
}

std::optional<std::string> GetOrDie(const KvStore& kv, std::string_view key) {
  Result<std::optional<std::string>> got = kv.Get(key);
  EXPECT_TRUE(got.ok()) << got.status();
  return got.ok() ? *got : std::nullopt;
}

std::vector<std::string> KeysUnder(const KvStore& kv, std::string_view prefix) {
  std::vector<std::string> keys;
  EXPECT_TRUE(kv.Scan(prefix, [&](std::string_view k, std::string_view) {
                  keys.emplace_back(k);
                  return true;
                }).ok());
  return keys;
}

std::optional<std::string> LastKey(const KvStore& kv, std::string_view prefix,
                                   std::string_view upper) {
  Result<std::optional<KvEntry>> found = kv.FindLastAtOrBefore(prefix, upper);
  EXPECT_TRUE(found.ok()) << found.status();
  if (!found.ok() || !found->has_value()) return std::nullopt;
  return (*found)->first;
}

enum class Kind { kMemory, kLevelDb };

class KvStoreContractTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kMemory) {
      kv_ = std::make_unique<MemoryKvStore>();
    } else {
      dir_ = std::make_unique<testutil::ScratchDir>("colend-kv");
      Result<std::unique_ptr<KvStore>> opened = OpenLevelDb(dir_->Path("db"), LevelDbOptions{});
      ASSERT_TRUE(opened.ok()) << opened.status();
      kv_ = std::move(opened).value();
    }
  }

  std::unique_ptr<testutil::ScratchDir> dir_;
  std::unique_ptr<KvStore> kv_;
};

TEST_P(KvStoreContractTest, WriteGetDeleteAndLastWriteWins) {
  const std::vector<KvWrite> batch = {Put("a", "1"), Put("b", "2"), Put("a", "3"), Del("c")};
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_EQ(GetOrDie(*kv_, "a"), "3");
  EXPECT_EQ(GetOrDie(*kv_, "b"), "2");
  EXPECT_EQ(GetOrDie(*kv_, "c"), std::nullopt);
  const std::vector<KvWrite> del = {Del("a")};
  ASSERT_TRUE(kv_->Write(del, false).ok());
  EXPECT_EQ(GetOrDie(*kv_, "a"), std::nullopt);
}

TEST_P(KvStoreContractTest, BinaryKeysAndValues) {
  const std::string key("\x00\x01\xff", 3);
  const std::string value("\x00\x00v", 3);
  const std::vector<KvWrite> batch = {Put(key, value)};
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_EQ(GetOrDie(*kv_, key), value);
  EXPECT_EQ(KeysUnder(*kv_, std::string("\x00", 1)), std::vector<std::string>{key});
}

TEST_P(KvStoreContractTest, ScanIsAscendingWithinPrefixAndStops) {
  const std::vector<KvWrite> batch = {Put("p/c", "3"), Put("p/a", "1"), Put("p/b", "2"),
                                      Put("q/a", "x"), Put("p", "bare")};
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_EQ(KeysUnder(*kv_, "p/"), (std::vector<std::string>{"p/a", "p/b", "p/c"}));
  EXPECT_EQ(KeysUnder(*kv_, "").size(), 5u);
  int seen = 0;
  ASSERT_TRUE(kv_->Scan("p/", [&](std::string_view, std::string_view) { return ++seen < 2; }).ok());
  EXPECT_EQ(seen, 2);
}

// A snapshot of a snapshot sees what the first one sees, not the store as it is now, and
// outlives the first.
TEST_P(KvStoreContractTest, ASnapshotOfASnapshotIsTheSameView) {
  const std::vector<KvWrite> first = {Put("k", "1")};
  ASSERT_TRUE(kv_->Write(first, true).ok());
  Result<std::unique_ptr<KvStore>> snapshot = kv_->Snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  const std::vector<KvWrite> second = {Put("k", "2"), Put("j", "new")};
  ASSERT_TRUE(kv_->Write(second, true).ok());
  Result<std::unique_ptr<KvStore>> of_snapshot = (*snapshot)->Snapshot();
  ASSERT_TRUE(of_snapshot.ok()) << of_snapshot.status();
  snapshot = Status::Unavailable("released");  // the first goes; the second still reads
  EXPECT_EQ(GetOrDie(**of_snapshot, "k"), "1");
  Result<std::optional<std::string>> j = (*of_snapshot)->Get("j");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_FALSE(j->has_value());
  EXPECT_EQ(GetOrDie(*kv_, "k"), "2");
}

TEST_P(KvStoreContractTest, FindLastAtOrBefore) {
  const std::vector<KvWrite> batch = {Put("k/1", "a"), Put("k/3", "b"), Put("k/5", "c"),
                                      Put("l/0", "other")};
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_EQ(LastKey(*kv_, "k/", "k/3"), "k/3");         // exact
  EXPECT_EQ(LastKey(*kv_, "k/", "k/4"), "k/3");         // between
  EXPECT_EQ(LastKey(*kv_, "k/", "k/9"), "k/5");         // beyond the prefix's last, before "l/"
  EXPECT_EQ(LastKey(*kv_, "k/", "k/0"), std::nullopt);  // before the first
  EXPECT_EQ(LastKey(*kv_, "l/", "l/9"), "l/0");         // beyond every key
  EXPECT_EQ(LastKey(*kv_, "m/", "m/9"), std::nullopt);  // lands on another prefix
  Result<std::optional<KvEntry>> found = kv_->FindLastAtOrBefore("k/", "k/4");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)->second, "b");
}

INSTANTIATE_TEST_SUITE_P(Stores, KvStoreContractTest,
                         ::testing::Values(Kind::kMemory, Kind::kLevelDb),
                         [](const ::testing::TestParamInfo<Kind>& param_info) {
                           return param_info.param == Kind::kMemory ? "Memory" : "LevelDb";
                         });

TEST(LevelDbTest, SecondOpenOfOneDirectoryFailsClearly) {
  testutil::ScratchDir dir("colend-kv");
  Result<std::unique_ptr<KvStore>> first = OpenLevelDb(dir.Path("db"), LevelDbOptions{});
  ASSERT_TRUE(first.ok()) << first.status();
  Result<std::unique_ptr<KvStore>> second = OpenLevelDb(dir.Path("db"), LevelDbOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("already in use"));
  EXPECT_THAT(second.status().message(), HasSubstr(dir.Path("db")));
  // Once the first closes, the directory opens again with its data.
  const std::vector<KvWrite> batch = {Put("k", "v")};
  ASSERT_TRUE((*first)->Write(batch, true).ok());
  first = Status::Unavailable("closed");
  Result<std::unique_ptr<KvStore>> third = OpenLevelDb(dir.Path("db"), LevelDbOptions{});
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(GetOrDie(**third, "k"), "v");
}

// A database that lost its CURRENT file is refused with a clear error, and its files are
// left as they were: creating a new database there would delete the old tables.
TEST(LevelDbTest, ADirectoryWithDataButNoCurrentFileIsRefusedAndLeftAlone) {
  testutil::ScratchDir dir("colend-kv");
  const std::filesystem::path db = dir.Path("db");
  {
    Result<std::unique_ptr<KvStore>> store = OpenLevelDb(db, LevelDbOptions{});
    ASSERT_TRUE(store.ok()) << store.status();
    const std::vector<KvWrite> batch = {Put("k", "v")};
    ASSERT_TRUE((*store)->Write(batch, true).ok());
  }
  const std::filesystem::path current = db / "CURRENT";
  const std::filesystem::path aside = dir.Path("CURRENT.aside");
  std::filesystem::rename(current, aside);
  std::vector<std::string> files_before;
  for (const auto& entry : std::filesystem::directory_iterator(db)) {
    files_before.push_back(entry.path().filename().string());
  }
  std::sort(files_before.begin(), files_before.end());

  Result<std::unique_ptr<KvStore>> opened = OpenLevelDb(db, LevelDbOptions{});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(opened.status().message(), HasSubstr("no CURRENT file"));
  EXPECT_THAT(opened.status().message(), HasSubstr(db.string()));
  std::vector<std::string> files_after;
  for (const auto& entry : std::filesystem::directory_iterator(db)) {
    files_after.push_back(entry.path().filename().string());
  }
  std::sort(files_after.begin(), files_after.end());
  EXPECT_EQ(files_after, files_before);

  // With CURRENT back, the data is all there.
  std::filesystem::rename(aside, current);
  Result<std::unique_ptr<KvStore>> restored = OpenLevelDb(db, LevelDbOptions{});
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(GetOrDie(**restored, "k"), "v");
}

// A directory LevelDB's first open left with only its LOCK and LOG holds no data: it opens
// as a new database.
TEST(LevelDbTest, ADirectoryWithoutDataOpensAsANewDatabase) {
  testutil::ScratchDir dir("colend-kv");
  const std::filesystem::path db = dir.Path("db");
  std::filesystem::create_directories(db);
  std::ofstream(db / "LOCK").put('\0');
  std::ofstream(db / "LOG") << "a log line\n";
  Result<std::unique_ptr<KvStore>> opened = OpenLevelDb(db, LevelDbOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status();
}

TEST(LevelDbTest, MissingDirectoryWithoutCreateFails) {
  testutil::ScratchDir dir("colend-kv");
  LevelDbOptions options;
  options.create_if_missing = false;
  Result<std::unique_ptr<KvStore>> opened = OpenLevelDb(dir.Path("absent"), options);
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr(dir.Path("absent")));
}

TEST(MemoryKvStoreTest, CrashKeepsSyncedAndLosesUnsyncedSuffix) {
  MemoryKvStore kv;
  const std::vector<KvWrite> synced = {Put("a", "1")};
  const std::vector<KvWrite> u1 = {Put("b", "2")};
  const std::vector<KvWrite> u2 = {Put("c", "3"), Del("a")};
  ASSERT_TRUE(kv.Write(synced, true).ok());
  ASSERT_TRUE(kv.Write(u1, false).ok());
  ASSERT_TRUE(kv.Write(u2, false).ok());
  EXPECT_EQ(kv.unsynced_batches(), 2u);
  EXPECT_EQ(GetOrDie(kv, "a"), std::nullopt);  // reads see unsynced writes
  kv.Crash(/*keep_unsynced=*/1);
  EXPECT_EQ(GetOrDie(kv, "a"), "1");  // u2 lost whole, including its delete
  EXPECT_EQ(GetOrDie(kv, "b"), "2");
  EXPECT_EQ(GetOrDie(kv, "c"), std::nullopt);
  kv.Crash();
  EXPECT_EQ(kv.size(), 2u);  // u1 had survived the first crash: it is durable now
}

TEST(MemoryKvStoreTest, SyncedWriteMakesEarlierUnsyncedDurable) {
  MemoryKvStore kv;
  const std::vector<KvWrite> u = {Put("u", "1")};
  const std::vector<KvWrite> s = {Put("s", "2")};
  ASSERT_TRUE(kv.Write(u, false).ok());
  ASSERT_TRUE(kv.Write(s, true).ok());
  kv.Crash();
  EXPECT_EQ(GetOrDie(kv, "u"), "1");
  EXPECT_EQ(GetOrDie(kv, "s"), "2");
}

TEST(FaultInjectingKvStoreTest, FailsTheNthWriteOnceThenHeals) {
  auto base = std::make_shared<MemoryKvStore>();
  FaultInjectingKvStore kv(base);
  const std::vector<KvWrite> w = {Put("k", "v")};
  kv.FailNthWrite(2);
  EXPECT_TRUE(kv.Write(w, true).ok());
  const Status failed = kv.Write(std::vector<KvWrite>{Put("x", "y")}, true);
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_EQ(GetOrDie(kv, "x"), std::nullopt);  // dropped before it was applied
  EXPECT_TRUE(kv.Write(std::vector<KvWrite>{Put("x", "y")}, true).ok());
  EXPECT_EQ(kv.write_attempts(), 3u);
}

TEST(FaultInjectingKvStoreTest, AfterApplyFaultLeavesTheBatchInPlace) {
  auto base = std::make_shared<MemoryKvStore>();
  FaultInjectingKvStore kv(base);
  kv.FailNthWrite(1, FaultInjectingKvStore::WriteFault::kAfterApply);
  EXPECT_FALSE(kv.Write(std::vector<KvWrite>{Put("k", "v")}, true).ok());
  EXPECT_EQ(GetOrDie(*base, "k"), "v");
}

TEST(FaultInjectingKvStoreTest, ReadFailuresAndByteBudget) {
  auto base = std::make_shared<MemoryKvStore>();
  FaultInjectingKvStore kv(base);
  kv.FailReads(true);
  EXPECT_EQ(kv.Get("k").status().code(), StatusCode::kIoError);
  EXPECT_EQ(kv.Scan("", [](std::string_view, std::string_view) { return true; }).code(),
            StatusCode::kIoError);
  EXPECT_FALSE(kv.FindLastAtOrBefore("", "z").ok());
  kv.FailReads(false);
  kv.SetWriteByteBudget(10);
  EXPECT_TRUE(kv.Write(std::vector<KvWrite>{Put("abc", "defg")}, true).ok());  // 7 bytes
  const Status full = kv.Write(std::vector<KvWrite>{Put("abc", "defg")}, true);
  EXPECT_THAT(full.message(), HasSubstr("no space"));
  EXPECT_FALSE(kv.Write(std::vector<KvWrite>{Put("a", "")}, true).ok());  // stays full
  kv.Heal();
  EXPECT_TRUE(kv.Write(std::vector<KvWrite>{Put("a", "b")}, true).ok());
}

}  // namespace
}  // namespace colend::node
