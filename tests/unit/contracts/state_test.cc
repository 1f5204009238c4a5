// StateView overlays, MemoryState and the state commitment (state root).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "colend/common/bytes.h"
#include "colend/contracts/memory_state.h"
#include "colend/contracts/records.h"
#include "colend/contracts/state_commitment.h"

namespace colend::contracts {
namespace {

TEST(StateViewTest, OverlaysReadTheirOwnWritesAndMergeIntoTheParent) {
  MemoryState base(crypto::HashAlgorithm::kSha256);
  base.Commit({{"a", "1"}, {"b", "2"}});
  StateView block(&base);
  StateView tx(&block);
  tx.Put("a", "10");
  tx.Delete("b");
  tx.Put("c", "3");
  std::string v;
  EXPECT_TRUE(tx.Get("a", &v) && v == "10");
  EXPECT_FALSE(tx.Get("b", &v));
  EXPECT_TRUE(block.Get("b", &v) && v == "2");  // not merged yet
  tx.MergeInto(block);
  EXPECT_FALSE(block.Get("b", &v));
  EXPECT_TRUE(block.Get("c", &v) && v == "3");
  const WriteSet writes = block.writes();
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes.begin()->first, "a");  // ordered by key
  base.Commit(writes);
  EXPECT_TRUE(base.Get("a", &v) && v == "10");
  EXPECT_FALSE(base.Get("b", &v));
}

proto::PositionRecord Position(std::int64_t n) {
  proto::PositionRecord p;
  p.set_a("LEAD");
  p.set_b("PARTNER_A");
  p.set_currency("CNY");
  p.set_posting_count(static_cast<std::uint64_t>(n));
  p.mutable_total()->set_interest(n * 7);
  for (std::int64_t d = 0; d < n % 3; ++d) {
    proto::UnsettledDay* day = p.add_days();
    day->set_value_date("2026-12-0" + std::to_string(d + 1));
    day->mutable_amounts()->set_funding(n + d);
  }
  return p;
}

TEST(StateViewTest, StagedRecordsReadAndWriteLikeTheirBytes) {
  MemoryState base(crypto::HashAlgorithm::kSha256);
  base.Commit({{"p", Position(4).SerializeAsString()}});
  StateView block(&base);
  {
    StateView tx(&block);
    auto staged = MutableRecord<proto::PositionRecord>(tx, "p");
    ASSERT_TRUE(staged.ok());
    ASSERT_NE(*staged, nullptr);
    (*staged)->set_posting_count(99);
    // The transaction sees its change, as bytes too; the block does not (tx dropped).
    std::string v;
    ASSERT_TRUE(tx.Get("p", &v));
    EXPECT_EQ(v, (*staged)->SerializeAsString());
    EXPECT_EQ((*PeekRecord<proto::PositionRecord>(block, "p"))->posting_count(), 4u);
  }
  EXPECT_EQ(block.write_count(), 0u);
  StateView tx(&block);
  proto::PositionRecord* p = *MutableRecord<proto::PositionRecord>(tx, "p");
  p->set_posting_count(5);
  proto::PositionRecord* fresh = NewRecord<proto::PositionRecord>(tx, "q");
  *fresh = Position(2);
  EXPECT_EQ(*MutableRecord<proto::PositionRecord>(tx, "absent"), nullptr);
  tx.MergeInto(block);
  proto::PositionRecord expected = Position(4);
  expected.set_posting_count(5);
  const WriteSet writes = block.TakeWrites();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes.at("p"), expected.SerializeAsString());
  EXPECT_EQ(writes.at("q"), Position(2).SerializeAsString());
}

TEST(StateViewTest, RecordsThatDoNotParseAreCorruption) {
  MemoryState base(crypto::HashAlgorithm::kSha256);
  base.Commit({{"bad", std::string("\xff\xff\xff", 3)}});
  StateView block(&base);
  StateView tx(&block);
  EXPECT_EQ(PeekRecord<proto::PositionRecord>(block, "bad").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(MutableRecord<proto::PositionRecord>(tx, "bad").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ReadRecord<proto::PositionRecord>(tx, "bad").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(tx.write_count(), 0u);
}

// The same random transactions (staged records, bytes, deletions, rejections, blocks)
// through decoded records and through bytes only give the same reads and write sets.
TEST(StateViewTest, StagedRecordsAreIndistinguishableFromBytes) {
  std::mt19937_64 rng(11);
  MemoryState bytes_base(crypto::HashAlgorithm::kSha256);
  MemoryState staged_base(crypto::HashAlgorithm::kSha256);
  const std::string keys[] = {"k0", "k1", "k2", "k3"};
  for (int block_no = 0; block_no < 30; ++block_no) {
    StateView bytes_block(&bytes_base);
    StateView staged_block(&staged_base);
    for (int t = 0; t < 20; ++t) {
      StateView bytes_tx(&bytes_block);
      StateView staged_tx(&staged_block);
      for (int op = 0; op < 4; ++op) {
        const std::string& key = keys[rng() % 4];
        const std::int64_t n = static_cast<std::int64_t>(rng() % 50);
        switch (rng() % 6) {
          case 0: case 1: case 2: {  // read-modify-write
            auto old = ReadRecord<proto::PositionRecord>(bytes_tx, key);
            ASSERT_TRUE(old.ok());
            auto staged = MutableRecord<proto::PositionRecord>(staged_tx, key);
            ASSERT_TRUE(staged.ok());
            ASSERT_EQ(old->has_value(), *staged != nullptr);
            proto::PositionRecord next = old->has_value() ? **old : Position(n);
            proto::PositionRecord* target =
                *staged != nullptr ? *staged : NewRecord<proto::PositionRecord>(staged_tx, key);
            if (!old->has_value()) *target = Position(n);
            next.set_posting_count(next.posting_count() + 1);
            target->set_posting_count(target->posting_count() + 1);
            if (n % 4 == 0) {
              next.add_days()->set_value_date("2027-01-01");
              target->add_days()->set_value_date("2027-01-01");
            }
            WriteRecord(bytes_tx, key, next);
            break;
          }
          case 3:  // bytes written over whatever is there
            WriteRecord(bytes_tx, key, Position(n));
            WriteRecord(staged_tx, key, Position(n));
            break;
          case 4:
            bytes_tx.Delete(key);
            staged_tx.Delete(key);
            break;
          default: {  // a read-only look
            auto peeked = PeekRecord<proto::PositionRecord>(staged_tx, key);
            auto read = ReadRecord<proto::PositionRecord>(bytes_tx, key);
            ASSERT_TRUE(peeked.ok() && read.ok());
            ASSERT_EQ(*peeked != nullptr, read->has_value());
            if (*peeked != nullptr) {
              EXPECT_EQ((*peeked)->SerializeAsString(), (*read)->SerializeAsString());
            }
          }
        }
        std::string a, b;
        ASSERT_EQ(bytes_tx.Get(key, &a), staged_tx.Get(key, &b));
        ASSERT_EQ(a, b) << "block " << block_no << " tx " << t << " key " << key;
      }
      if (rng() % 5 != 0) {  // else rejected: the views are dropped
        bytes_tx.MergeInto(bytes_block);
        staged_tx.MergeInto(staged_block);
      }
      for (const std::string& key : keys) {
        std::string a, b;
        ASSERT_EQ(bytes_block.Get(key, &a), staged_block.Get(key, &b));
        ASSERT_EQ(a, b);
      }
    }
    ASSERT_EQ(bytes_block.writes(), staged_block.writes());
    bytes_base.Commit(bytes_block.TakeWrites());
    staged_base.Commit(staged_block.TakeWrites());
    ASSERT_EQ(bytes_base.Root(), staged_base.Root());
  }
}

// Pinned: changing the construction changes every chain's state root. The expected values
// were computed independently from the construction in state_commitment.h with Python's
// hashlib (sha256 over the tagged leaf, 0x00-prefixed buckets, 0x01-prefixed nodes of the
// 2^16-bucket tree, then the tagged root with the key count).
TEST(StateCommitmentTest, FixedVectors) {
  StateCommitment empty(crypto::HashAlgorithm::kSha256);
  const std::string empty_root = ToHex(empty.Root());
  StateCommitment one(crypto::HashAlgorithm::kSha256);
  one.Update("member/LEAD", std::string("x"));
  const std::string one_root = ToHex(one.Root());
  EXPECT_NE(empty_root, one_root);
  EXPECT_EQ(empty_root, "b10b16d89b31aac28d1d47ba93b02756d3f6353f9cb0eb58a17018d68b9df657");
  EXPECT_EQ(one_root, "b17e9f2bb7bee4a92c5862abd95c02b033d22c012ffe1d82eb5142c69f208edf");
}

TEST(StateCommitmentTest, RootDependsOnContentNotOnHistory) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 20; ++round) {
    std::map<std::string, std::string> content;
    StateCommitment incremental(crypto::HashAlgorithm::kSha256);
    for (int i = 0; i < 300; ++i) {
      const std::string key = "k" + std::to_string(rng() % 100);
      if (rng() % 4 == 0) {
        content.erase(key);
        incremental.Update(key, std::nullopt);
      } else {
        const std::string value = std::to_string(rng());
        content[key] = value;
        incremental.Update(key, value);
      }
      if (rng() % 10 == 0) incremental.Root();  // intermediate roots must not matter
    }
    StateCommitment fresh(crypto::HashAlgorithm::kSha256);
    for (const auto& [k, v] : content) fresh.Update(k, v);
    EXPECT_EQ(incremental.Root(), fresh.Root());
    EXPECT_EQ(incremental.key_count(), content.size());
  }
}

TEST(StateCommitmentTest, AnyChangeChangesTheRootAndUndoingRestoresIt) {
  StateCommitment c(crypto::HashAlgorithm::kSm3);
  c.Update("a", std::string("1"));
  c.Update("b", std::string("2"));
  const crypto::Digest root = c.Root();
  c.Update("a", std::string("1 "));
  EXPECT_NE(c.Root(), root);
  c.Update("a", std::string("1"));
  EXPECT_EQ(c.Root(), root);
  c.Update("z", std::string(""));  // an empty value is still a key
  EXPECT_NE(c.Root(), root);
  c.Update("z", std::nullopt);
  EXPECT_EQ(c.Root(), root);
  StateCommitment sha(crypto::HashAlgorithm::kSha256);
  sha.Update("a", std::string("1"));
  sha.Update("b", std::string("2"));
  EXPECT_NE(sha.Root(), root);  // the suite's hash is part of the root
}

}  // namespace
}  // namespace colend::contracts
