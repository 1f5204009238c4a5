// colend-export's database layer against a real PostgreSQL server (testutil::PostgresCluster):
// what a write reports when another writer moved the exported height under it (the block
// guard's SQLSTATE CX001 becomes HeightMoved, on which colend-export resumes from the
// database's height), told apart from a database of another chain (CX002, fatal); that the
// blocks before the failing one stay committed; and that the connection is usable after.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "colend/testutil/postgres_cluster.h"
#include "export_db.h"

namespace colend::exporter {
namespace {

constexpr char kChain[] = "export-db-test";
constexpr char kDatabase[] = "export_db_test";

class ExportDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pg_ = testutil::PostgresCluster::Start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    ASSERT_TRUE(pg_->CreateDatabase(kDatabase, &error)) << error;
  }

  std::unique_ptr<ExportDatabase> Open() {
    Result<std::unique_ptr<ExportDatabase>> db =
        ExportDatabase::Open(pg_->ConnectionString(kDatabase));
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // A block with no transactions at height h.
  static BlockExport Block(std::uint64_t h) {
    BlockExport b;
    b.block.height = h;
    b.block.hash = std::string(63, '0') + std::to_string(h % 10);
    b.block.timestamp_ms = 1'800'000'000'000 + static_cast<std::int64_t>(h);
    b.block.state_root = std::string(64, 'a');
    b.block.receipts_root = std::string(64, 'b');
    return b;
  }

  std::uint64_t Height(ExportDatabase& db) {
    Result<ExportCursor> cursor = db.Cursor();
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    return cursor.ok() ? cursor->height : 0;
  }

  std::unique_ptr<testutil::PostgresCluster> pg_;
};

TEST_F(ExportDbTest, AWriteAfterAnotherWriterMovedTheHeightIsHeightMoved) {
  std::unique_ptr<ExportDatabase> a = Open();
  std::unique_ptr<ExportDatabase> b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->WriteBlocks({Block(1), Block(2)}, kChain).ok());
  EXPECT_EQ(Height(*b), 2u);

  // Both read height 2; b writes 3 first, so a's 3 finds the height moved under it.
  ASSERT_TRUE(b->WriteBlocks({Block(3)}, kChain).ok());
  const Status moved = a->WriteBlocks({Block(3), Block(4)}, kChain);
  EXPECT_TRUE(HeightMoved(moved)) << moved;
  EXPECT_NE(moved.message().find("exported height is 3, not 2"), std::string::npos) << moved;
  EXPECT_NE(moved.message().find("writing blocks 3-4"), std::string::npos) << moved;
  EXPECT_EQ(Height(*a), 3u);  // nothing of a's batch was written

  // In one round trip the blocks before the failing one commit: 4 does, 6 cannot follow it.
  const Status gap = a->WriteBlocks({Block(4), Block(6)}, kChain);
  EXPECT_TRUE(HeightMoved(gap)) << gap;
  EXPECT_EQ(Height(*a), 4u);

  // The failed transaction was ended: the same connection writes the next block.
  const Status next = a->WriteBlocks({Block(5)}, kChain);
  EXPECT_TRUE(next.ok()) << next;
  EXPECT_EQ(Height(*b), 5u);

  // Another chain's block is not a moved height: colend-export stops on it.
  const Status other = a->WriteBlocks({Block(6)}, "another-chain");
  EXPECT_EQ(other.code(), StatusCode::kFailedPrecondition) << other;
  EXPECT_FALSE(HeightMoved(other));
  EXPECT_NE(other.message().find("another-chain"), std::string::npos) << other;
  EXPECT_EQ(Height(*a), 5u);
}

}  // namespace
}  // namespace colend::exporter
