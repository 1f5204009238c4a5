// Wire-format tests for p2p.proto: fixed vectors for a Ping frame and a Hello frame, round
// trips for every frame kind, and what a receiver sees for frames it cannot handle.
//
// Vectors were checked byte by byte against the field numbers (annotated; tag =
// field_number << 3 | wire_type), cross-checked with `protoc --encode`, and frozen.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"
#include "colend/proto/p2p.pb.h"
#include "colend/testutil/proto_test_util.h"

namespace colend::proto {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

constexpr char kPingFrameHex[] =
    "0801"    // 1 version: 1
    "3a03"    // 7 ping, LEN 3
    "08ac02"; //   1 nonce: 300 -> ac 02

constexpr char kHelloFrameHex[] =
    "0801"                            // 1 version: 1
    "1221"                            // 2 hello, LEN 33
    "0a0d636f6c656e642d746573742d31"  //   1 chain_id, LEN 13: "colend-test-1"
    "120b504152544e45525f412d31"      //   2 node_id, LEN 11: "PARTNER_A-1"
    "1801"                            //   3 protocol_version: 1
    "20b009";                         //   4 best_height: 1200 -> b0 09

using testutil::Hex;
using testutil::Serialize;
using testutil::Unhex;

template <typename M>
void ExpectRoundTrip(const M& original) {
  testutil::ExpectRoundTrip(original, /*stable_encoding=*/true);  // no maps in p2p.proto
}

CertifiedBlock SampleCertifiedBlock(uint64_t height) {
  BlockHeader header;
  header.set_chain_id("colend-test-1");
  header.set_height(height);
  header.set_tx_count(1);
  CertifiedBlock certified;
  certified.mutable_block()->set_header(Serialize(header));
  certified.mutable_block()->add_transactions(Unhex("0a0141"));
  CommitCertificate* certificate = certified.mutable_certificate();
  certificate->set_height(height);
  certificate->set_view(0);
  certificate->set_block_hash(std::string(32, '\x55'));
  CommitSignature* commit = certificate->add_commits();
  commit->set_validator("LEAD-1");
  commit->set_commit(Unhex("0a0141"));
  commit->set_signature(Unhex("3006020101020102"));
  return certified;
}

std::vector<Frame> OneFramePerKind() {
  std::vector<Frame> out(7);
  for (Frame& frame : out) frame.set_version(1);
  {
    Hello* hello = out[0].mutable_hello();
    hello->set_chain_id("colend-test-1");
    hello->set_node_id("PARTNER_A-1");
    hello->set_protocol_version(1);
    hello->set_best_height(1200);
  }
  {
    ConsensusEnvelope* envelope = out[1].mutable_consensus();
    envelope->set_body(Unhex("0a0d636f6c656e642d746573742d31"));
    envelope->set_sender("LEAD-1");
    envelope->set_signature(Unhex("3006020101020102"));
  }
  out[2].mutable_tx_gossip()->add_transactions(Unhex("0a0141"));
  out[2].mutable_tx_gossip()->add_transactions(Unhex("0a0142"));
  out[3].mutable_sync_request()->set_from_height(1201);
  out[3].mutable_sync_request()->set_max_blocks(64);
  *out[4].mutable_sync_response()->add_blocks() = SampleCertifiedBlock(1201);
  *out[4].mutable_sync_response()->add_blocks() = SampleCertifiedBlock(1202);
  out[5].mutable_ping()->set_nonce(300);
  out[6].mutable_pong()->set_nonce(300);
  return out;
}

// --- Fixed vectors -----------------------------------------------------------------------

TEST(P2pWireFormatTest, PingFrameMatchesFrozenVector) {
  Frame frame;
  frame.set_version(1);
  frame.mutable_ping()->set_nonce(300);
  EXPECT_EQ(Hex(Serialize(frame)), kPingFrameHex);
}

TEST(P2pWireFormatTest, FrozenHelloFrameParsesToExpectedFields) {
  Frame frame;
  ASSERT_TRUE(frame.ParseFromString(Unhex(kHelloFrameHex)));
  EXPECT_EQ(frame.version(), 1u);
  ASSERT_EQ(frame.kind_case(), Frame::kHello);
  EXPECT_EQ(frame.hello().chain_id(), "colend-test-1");
  EXPECT_EQ(frame.hello().node_id(), "PARTNER_A-1");
  EXPECT_EQ(frame.hello().protocol_version(), 1u);
  EXPECT_EQ(frame.hello().best_height(), 1200u);
  EXPECT_EQ(Hex(Serialize(frame)), kHelloFrameHex);
}

// --- Round trips ---------------------------------------------------------------------------

TEST(P2pRoundTripTest, EveryFrameKindRoundTrips) {
  std::set<int> covered;
  for (const Frame& frame : OneFramePerKind()) {
    SCOPED_TRACE(frame.ShortDebugString());
    ExpectRoundTrip(frame);
    covered.insert(frame.kind_case());
  }
  // A frame kind added to p2p.proto without a case here fails this line.
  EXPECT_EQ(covered.size(),
            static_cast<size_t>(Frame::descriptor()->FindOneofByName("kind")->field_count()));
  EXPECT_EQ(covered.count(Frame::KIND_NOT_SET), 0u);
}

// --- Frames a receiver must refuse ---------------------------------------------------------

// A zero-length frame parses as an empty Frame: version 0 and no kind. The receiver refuses
// it by its version, like any version it does not speak.
TEST(P2pDecodingTest, EmptyFrameHasVersionZeroAndNoKind) {
  Frame frame;
  ASSERT_TRUE(frame.ParseFromString(std::string()));
  EXPECT_EQ(frame.version(), 0u);
  EXPECT_EQ(frame.kind_case(), Frame::KIND_NOT_SET);
}

// A frame kind from a newer protocol (field 9) is unknown: no kind is set, so the receiver
// closes the connection instead of guessing.
TEST(P2pDecodingTest, UnknownFrameKindParsesAsNoKind) {
  Frame frame;
  ASSERT_TRUE(frame.ParseFromString(Unhex("0802" "4a020801")));  // version 2, 9 LEN 2
  EXPECT_EQ(frame.version(), 2u);
  EXPECT_EQ(frame.kind_case(), Frame::KIND_NOT_SET);
  EXPECT_FALSE(frame.GetReflection()->GetUnknownFields(frame).empty());
}

}  // namespace
}  // namespace colend::proto
