// Block sync on its own (node/core/src/block_sync.h): whom the client asks and when, what it
// does with each answer, and what the server sends, against fake peers and a real store.
#include "block_sync.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "colend/node/memory_kv_store.h"
#include "storage_test_util.h"

namespace colend::node {
namespace {

using Delivery = BlockSync::Delivery;

class BlockSyncTest : public ::testing::Test {
 protected:
  struct Sent {
    std::string peer;
    std::uint64_t from_height = 0;
    std::uint32_t max_blocks = 0;
  };

  BlockSync::Host FakeHost() {
    BlockSync::Host host;
    host.stored_height = [this] { return stored_; };
    host.validators = [this] { return connected_; };
    host.send = [this](const std::string& peer, proto::Frame frame) {
      ASSERT_TRUE(frame.has_sync_request());
      sent_.push_back({peer, frame.sync_request().from_height(), frame.sync_request().max_blocks()});
    };
    host.deliver = [this](const proto::CertifiedBlock& block, std::string* why) {
      const std::uint64_t h = block.certificate().height();
      auto verdict = verdicts_.find(h);
      const Delivery d = verdict == verdicts_.end() ? Delivery::kAccepted : verdict->second;
      if (d == Delivery::kAccepted && h == stored_ + 1) stored_ = h;  // executed at once here
      if (d == Delivery::kInvalid) *why = "bad commit certificate";
      delivered_.push_back(h);
      return d;
    };
    return host;
  }

  // A response with blocks from..to and the responder at `height`.
  static proto::SyncResponse Blocks(std::uint64_t from, std::uint64_t to, std::uint64_t height) {
    proto::SyncResponse r;
    for (std::uint64_t h = from; h <= to; ++h) {
      r.add_blocks()->mutable_certificate()->set_height(h);
    }
    r.set_responder_height(height);
    return r;
  }

  void RunFor(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }

  boost::asio::io_context io_;
  std::uint64_t stored_ = 10;
  std::vector<std::string> connected_ = {"A", "B", "C"};
  std::vector<Sent> sent_;
  std::vector<std::uint64_t> delivered_;
  std::map<std::uint64_t, Delivery> verdicts_;
};

TEST_F(BlockSyncTest, AsksThePreferredPeerForTheNextBlocksAndFollowsItsHeight) {
  BlockSync sync(io_, FakeHost());
  sync.Request(/*target=*/9, {"B"});  // already stored: nothing to do
  EXPECT_TRUE(sent_.empty());
  EXPECT_FALSE(sync.syncing());

  sync.Request(20, {"B"});
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].peer, "B");
  EXPECT_EQ(sent_[0].from_height, 11u);
  EXPECT_EQ(sent_[0].max_blocks, BlockSync::kBatch);
  EXPECT_TRUE(sync.syncing());
  EXPECT_EQ(sync.target_published(), 20u);
  sync.Request(25, {});  // a request in flight: no second one, the target rises
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sync.target_published(), 25u);

  // B has more than asked for: the target follows its height, and the next request goes.
  sync.OnResponse("B", Blocks(11, 15, 40));
  EXPECT_EQ(delivered_, (std::vector<std::uint64_t>{11, 12, 13, 14, 15}));
  EXPECT_EQ(stored_, 15u);
  EXPECT_EQ(sync.target_published(), 40u);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].from_height, 16u);

  // Caught up once a stored block reaches the target (from sync or consensus).
  stored_ = 40;
  EXPECT_FALSE(sync.OnStored(39));
  EXPECT_TRUE(sync.OnStored(40));
  EXPECT_FALSE(sync.syncing());
}

// An answer from a peer that was not asked: its blocks are offered (each is verified), but
// the height it claims does not move the target.
TEST_F(BlockSyncTest, AnAnswerNobodyAskedForDoesNotRaiseTheTarget) {
  BlockSync sync(io_, FakeHost());
  sync.Request(20, {"B"});
  ASSERT_EQ(sent_.size(), 1u);
  sync.OnResponse("C", Blocks(11, 12, 1'000'000));
  EXPECT_EQ(delivered_, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_EQ(sync.target_published(), 20u);
  EXPECT_EQ(sent_.size(), 1u);  // B is still being asked
  sync.OnResponse("B", Blocks(13, 20, 20));
  EXPECT_EQ(stored_, 20u);
  EXPECT_FALSE(sync.syncing());
}

TEST_F(BlockSyncTest, NoAnswerOrAPeerGoingDownAsksAnother) {
  BlockSync sync(io_, FakeHost(), std::chrono::milliseconds(20));
  sync.Request(20, {"A"});
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].peer, "A");
  RunFor(std::chrono::milliseconds(60));  // A never answers
  ASSERT_GE(sent_.size(), 2u);
  EXPECT_NE(sent_[1].peer, "A");
  const std::string asked = sent_.back().peer;
  const std::size_t before = sent_.size();
  sync.OnPeerDown("someone else");  // not the one asked: nothing
  EXPECT_EQ(sent_.size(), before);
  sync.OnPeerDown(asked);
  ASSERT_EQ(sent_.size(), before + 1);
  EXPECT_NE(sent_.back().peer, asked);
  EXPECT_EQ(sent_.back().from_height, 11u);
}

TEST_F(BlockSyncTest, ABlockThatDoesNotVerifyMovesOnToAnotherPeer) {
  BlockSync sync(io_, FakeHost());
  sync.Request(20, {"B"});
  verdicts_[12] = Delivery::kInvalid;
  sync.OnResponse("B", Blocks(11, 14, 20));
  // 11 taken, 12 refused, 13 and 14 not even offered.
  EXPECT_EQ(delivered_, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_EQ(stored_, 11u);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].from_height, 12u);
  EXPECT_TRUE(sync.syncing());
}

TEST_F(BlockSyncTest, ABlockOfAnUnknownEpochWaitsAndAStaleOneIsSkipped) {
  BlockSync sync(io_, FakeHost());
  sync.Request(20, {"B"});
  verdicts_[11] = Delivery::kNotNext;
  verdicts_[12] = Delivery::kEpochUnknown;
  sync.OnResponse("B", Blocks(11, 13, 20));
  EXPECT_EQ(delivered_, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_TRUE(sync.syncing());
}

TEST_F(BlockSyncTest, APeerWithNothingMoreEndsTheRound) {
  BlockSync sync(io_, FakeHost());
  sync.Request(20, {"C"});
  sync.OnResponse("C", Blocks(1, 0, 10));  // no blocks, C is where this node is
  EXPECT_FALSE(sync.syncing());
  EXPECT_EQ(sent_.size(), 1u);
  // Nobody connected: nothing is sent until a peer comes up and consensus asks again.
  connected_.clear();
  sync.Request(30, {"C"});
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(BlockSyncTest, AHaltStopsTheRound) {
  BlockSync sync(io_, FakeHost());
  sync.Request(20, {"B"});
  verdicts_[12] = Delivery::kHalted;
  sync.OnResponse("B", Blocks(11, 14, 20));
  EXPECT_EQ(delivered_, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_EQ(sent_.size(), 1u);  // no further request
}

TEST(BlockSyncServeTest, AnswersFromTheStoreWithinTheBatchAndHalfAFrame) {
  auto store = testing::OpenOrDie(std::make_unique<MemoryKvStore>());
  ASSERT_TRUE(testing::InitGenesis(*store).ok());
  for (std::uint64_t h = 1; h <= 5; ++h) ASSERT_TRUE(store->Commit(testing::MakeBlock(h, 3)).ok());
  proto::SyncRequest request;
  request.set_from_height(2);
  request.set_max_blocks(64);
  proto::SyncResponse r = BlockSync::Serve(*store, request, 64 << 20);
  ASSERT_EQ(r.blocks_size(), 4);
  EXPECT_EQ(r.blocks(0).certificate().height(), 2u);
  EXPECT_EQ(r.blocks(3).certificate().height(), 5u);
  EXPECT_EQ(r.responder_height(), 5u);

  request.set_max_blocks(2);
  EXPECT_EQ(BlockSync::Serve(*store, request, 64 << 20).blocks_size(), 2);
  request.set_max_blocks(100000);  // capped at kBatch; here the store's end comes first
  EXPECT_EQ(BlockSync::Serve(*store, request, 64 << 20).blocks_size(), 4);
  // A frame too small for two blocks still carries one.
  request.set_max_blocks(64);
  EXPECT_EQ(BlockSync::Serve(*store, request, 64).blocks_size(), 1);
  // Nothing above the head, and height 0 is genesis, not a block.
  request.set_from_height(6);
  r = BlockSync::Serve(*store, request, 64 << 20);
  EXPECT_EQ(r.blocks_size(), 0);
  EXPECT_EQ(r.responder_height(), 5u);
  request.set_from_height(0);
  EXPECT_EQ(BlockSync::Serve(*store, request, 64 << 20).blocks_size(), 0);
}

}  // namespace
}  // namespace colend::node
