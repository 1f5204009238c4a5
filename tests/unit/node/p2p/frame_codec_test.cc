// DecodeFrame's count of a gossip or sync frame's entries before it parses them.
#include "frame_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "colend/proto/p2p.pb.h"

namespace colend::node::internal {
namespace {

std::string Serialized(const proto::Frame& frame) {
  proto::Frame versioned = frame;
  versioned.set_version(1);
  return versioned.SerializeAsString();
}

proto::Frame Gossip(std::size_t entries, std::size_t entry_bytes) {
  proto::Frame frame;
  for (std::size_t i = 0; i < entries; ++i) {
    frame.mutable_tx_gossip()->add_transactions(std::string(entry_bytes, 'x'));
  }
  return frame;
}

TEST(FrameCodecTest, AGossipFrameOfTinyEntriesIsRefusedBeforeItIsParsed) {
  const std::string body = Serialized(Gossip(60'000, 0));  // 2 bytes an entry
  ASSERT_GT(body.size(), kMinBytesPerEntry * kEntriesParsedUnchecked);
  Result<proto::Frame> decoded = DecodeFrame(body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("60000 transactions or blocks"), std::string::npos)
      << decoded.status().message();
}

TEST(FrameCodecTest, ASyncResponseOfEmptyBlocksIsRefusedToo) {
  proto::Frame frame;
  for (int i = 0; i < 40'000; ++i) frame.mutable_sync_response()->add_blocks();
  frame.mutable_sync_response()->set_responder_height(7);
  Result<proto::Frame> decoded = DecodeFrame(Serialized(frame));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
}

TEST(FrameCodecTest, RealSizedEntriesAndSmallFramesParse) {
  // Transactions of a realistic size, a megabyte of them.
  Result<proto::Frame> big = DecodeFrame(Serialized(Gossip(4'000, 250)));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->tx_gossip().transactions_size(), 4'000);
  // Entries exactly at the bound pass.
  Result<proto::Frame> edge = DecodeFrame(Serialized(Gossip(2'000, kMinBytesPerEntry - 2)));
  ASSERT_TRUE(edge.ok()) << edge.status();
  // A small frame is parsed without counting, whatever it holds (the pool refuses junk).
  Result<proto::Frame> small = DecodeFrame(Serialized(Gossip(10, 0)));
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->tx_gossip().transactions_size(), 10);
  // Other kinds are not counted.
  proto::Frame ping;
  ping.mutable_ping()->set_nonce(3);
  EXPECT_TRUE(DecodeFrame(Serialized(ping)).ok());
}

TEST(FrameCodecTest, BytesThatDoNotScanAreLeftToTheParseToRefuse) {
  std::string body = Serialized(Gossip(2'000, 100));
  body.resize(body.size() - 50);  // cut inside the last entry
  Result<proto::Frame> decoded = DecodeFrame(body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "frame does not parse");
}

}  // namespace
}  // namespace colend::node::internal
