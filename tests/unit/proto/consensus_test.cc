// Wire-format tests for consensus.proto: a fixed vector for a signed PREPARE, round trips for
// every message kind and every WAL entry, and the rule that quoted envelopes keep the exact
// bytes their signatures cover.
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
#include "colend/testutil/proto_test_util.h"

namespace colend::proto {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

constexpr char kChainId[] = "colend-test-1";

constexpr char kPrepareBodyHex[] =
    "0a0d636f6c656e642d746573742d31"  // 1 chain_id, LEN 13: "colend-test-1"
    "8a0126"                          // 17 prepare: tag 138 = 8a 01, LEN 38
    "0803"                            //   1 view: 3
    "102a"                            //   2 sequence: 42
    "1a20"                            //   3 block_hash, LEN 32:
    "5555555555555555555555555555555555555555555555555555555555555555";

constexpr char kPrepareEnvelopeHex[] =
    "0a38"  // 1 body, LEN 56: kPrepareBodyHex, verbatim
    "0a0d636f6c656e642d746573742d318a01260803102a1a20"
    "5555555555555555555555555555555555555555555555555555555555555555"
    "12064c4541442d31"       // 2 sender, LEN 6: "LEAD-1"
    "1a083006020101020102";  // 3 signature, LEN 8

using testutil::Hex;
using testutil::Serialize;
using testutil::Unhex;

template <typename M>
void ExpectRoundTrip(const M& original) {
  testutil::ExpectRoundTrip(original, /*stable_encoding=*/true);  // no maps in consensus.proto
}

const std::string kBlockHash(32, '\x55');

ConsensusEnvelope Envelope(const ConsensusMessage& message, const std::string& sender) {
  ConsensusEnvelope envelope;
  envelope.set_body(Serialize(message));
  envelope.set_sender(sender);
  envelope.set_signature(Unhex("3006020101020102"));
  return envelope;
}

ConsensusMessage PrePrepareMessage(uint64_t view, uint64_t sequence) {
  ConsensusMessage message;
  message.set_chain_id(kChainId);
  PrePrepare* pre_prepare = message.mutable_pre_prepare();
  pre_prepare->set_view(view);
  pre_prepare->set_sequence(sequence);
  BlockHeader header;
  header.set_chain_id(kChainId);
  header.set_height(sequence);
  header.set_proposer("LEAD-1");
  header.set_view(view);
  header.set_tx_count(1);
  pre_prepare->set_header(Serialize(header));
  return message;
}

ConsensusMessage PrepareMessage(uint64_t view, uint64_t sequence) {
  ConsensusMessage message;
  message.set_chain_id(kChainId);
  Prepare* prepare = message.mutable_prepare();
  prepare->set_view(view);
  prepare->set_sequence(sequence);
  prepare->set_block_hash(kBlockHash);
  return message;
}

ConsensusMessage CheckpointMessage(uint64_t sequence) {
  ConsensusMessage message;
  message.set_chain_id(kChainId);
  Checkpoint* checkpoint = message.mutable_checkpoint();
  checkpoint->set_sequence(sequence);
  checkpoint->set_state_root(std::string(32, '\x44'));
  checkpoint->set_block_hash(kBlockHash);
  return message;
}

const std::vector<std::string> kValidators = {"LEAD-1", "PARTNER_A-1", "PARTNER_B-1",
                                              "PARTNER_C-1"};

CheckpointCertificate StableCheckpoint(uint64_t sequence) {
  CheckpointCertificate certificate;
  certificate.set_sequence(sequence);
  for (size_t i = 0; i < 3; ++i) {
    *certificate.add_checkpoints() = Envelope(CheckpointMessage(sequence), kValidators[i]);
  }
  return certificate;
}

PreparedCertificate Prepared(uint64_t view, uint64_t sequence) {
  PreparedCertificate certificate;
  *certificate.mutable_pre_prepare() = Envelope(PrePrepareMessage(view, sequence), "LEAD-1");
  for (size_t i = 1; i < 4; ++i) {
    *certificate.add_prepares() = Envelope(PrepareMessage(view, sequence), kValidators[i]);
  }
  return certificate;
}

ConsensusMessage ViewChangeMessage(uint64_t new_view) {
  ConsensusMessage message;
  message.set_chain_id(kChainId);
  ViewChange* view_change = message.mutable_view_change();
  view_change->set_new_view(new_view);
  *view_change->mutable_stable_checkpoint() = StableCheckpoint(40);
  *view_change->add_prepared() = Prepared(new_view - 1, 41);
  *view_change->add_prepared() = Prepared(new_view - 1, 42);
  return message;
}

std::vector<ConsensusMessage> OneMessagePerKind() {
  std::vector<ConsensusMessage> out;
  out.push_back(PrePrepareMessage(3, 42));
  out.push_back(PrepareMessage(3, 42));
  {
    ConsensusMessage& m = out.emplace_back();
    m.set_chain_id(kChainId);
    m.mutable_commit()->set_view(3);
    m.mutable_commit()->set_sequence(42);
    m.mutable_commit()->set_block_hash(kBlockHash);
  }
  out.push_back(CheckpointMessage(40));
  out.push_back(ViewChangeMessage(4));
  {
    ConsensusMessage& m = out.emplace_back();
    m.set_chain_id(kChainId);
    NewView* new_view = m.mutable_new_view();
    new_view->set_view(4);
    for (size_t i = 1; i < 4; ++i) {
      *new_view->add_view_changes() = Envelope(ViewChangeMessage(4), kValidators[i]);
    }
    *new_view->add_pre_prepares() = Envelope(PrePrepareMessage(4, 41), "PARTNER_A-1");
    *new_view->add_pre_prepares() = Envelope(PrePrepareMessage(4, 42), "PARTNER_A-1");
  }
  return out;
}

// --- Fixed vectors -----------------------------------------------------------------------

TEST(ConsensusWireFormatTest, PrepareMatchesFrozenVector) {
  const std::string body = Serialize(PrepareMessage(3, 42));
  EXPECT_EQ(Hex(body), kPrepareBodyHex);

  ConsensusEnvelope envelope;
  envelope.set_body(body);
  envelope.set_sender("LEAD-1");
  envelope.set_signature(Unhex("3006020101020102"));
  EXPECT_EQ(Hex(Serialize(envelope)), kPrepareEnvelopeHex);
}

TEST(ConsensusWireFormatTest, FrozenEnvelopeParsesToPrepare) {
  ConsensusEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(Unhex(kPrepareEnvelopeHex)));
  EXPECT_EQ(envelope.sender(), "LEAD-1");
  EXPECT_EQ(Hex(envelope.signature()), "3006020101020102");
  EXPECT_EQ(Hex(envelope.body()), kPrepareBodyHex);

  ConsensusMessage message;
  ASSERT_TRUE(message.ParseFromString(envelope.body()));
  EXPECT_EQ(message.chain_id(), kChainId);
  ASSERT_EQ(message.payload_case(), ConsensusMessage::kPrepare);
  EXPECT_EQ(message.prepare().view(), 3u);
  EXPECT_EQ(message.prepare().sequence(), 42u);
  EXPECT_EQ(message.prepare().block_hash(), kBlockHash);
}

// --- Round trips ---------------------------------------------------------------------------

TEST(ConsensusRoundTripTest, EveryMessageKindRoundTrips) {
  std::set<int> covered;
  for (const ConsensusMessage& message : OneMessagePerKind()) {
    SCOPED_TRACE(message.ShortDebugString());
    ExpectRoundTrip(message);
    ExpectRoundTrip(Envelope(message, "LEAD-1"));
    covered.insert(message.payload_case());
  }
  // A message kind added to consensus.proto without a case here fails this line.
  EXPECT_EQ(covered.size(),
            static_cast<size_t>(
                ConsensusMessage::descriptor()->FindOneofByName("payload")->field_count()));
  EXPECT_EQ(covered.count(ConsensusMessage::PAYLOAD_NOT_SET), 0u);
}

TEST(ConsensusRoundTripTest, EveryWalEntryRoundTrips) {
  std::vector<ConsensusWalRecord> records(4);
  records[0].set_view(4);
  *records[1].mutable_sent() = Envelope(PrepareMessage(3, 42), "PARTNER_A-1");
  *records[2].mutable_prepared() = Prepared(3, 42);
  *records[3].mutable_stable_checkpoint() = StableCheckpoint(40);

  std::set<int> covered;
  for (const ConsensusWalRecord& record : records) {
    ExpectRoundTrip(record);
    covered.insert(record.entry_case());
  }
  EXPECT_EQ(covered.size(),
            static_cast<size_t>(
                ConsensusWalRecord::descriptor()->FindOneofByName("entry")->field_count()));

  // View 0 is a real view: it is written on the wire (field 1, value 0), not lost as a
  // default, because a oneof member is always present once set.
  ConsensusWalRecord view_zero;
  view_zero.set_view(0);
  EXPECT_EQ(Hex(Serialize(view_zero)), "0800");
  ConsensusWalRecord parsed;
  ASSERT_TRUE(parsed.ParseFromString(Unhex("0800")));
  EXPECT_EQ(parsed.entry_case(), ConsensusWalRecord::kView);
}

// --- Verbatim bytes ------------------------------------------------------------------------

// A quoted envelope keeps the exact body its signature covers, even when that body is an
// unusual but valid encoding (here: fields out of order) and even after the message that
// quotes it is parsed and serialised again on the way.
TEST(ConsensusVerbatimTest, QuotedEnvelopesKeepTheirSignedBytes) {
  const std::string unusual_prepare = Unhex(
      "8a0126" "102a" "0803" "1a20" + Hex(kBlockHash) +  // prepare{sequence, view, hash}
      "0a0d636f6c656e642d746573742d31");                 // chain_id last
  ConsensusMessage check;
  ASSERT_TRUE(check.ParseFromString(unusual_prepare));
  ASSERT_EQ(check.prepare().sequence(), 42u);
  ASSERT_NE(Serialize(check), unusual_prepare);

  ConsensusMessage outer = ViewChangeMessage(4);
  PreparedCertificate* prepared = outer.mutable_view_change()->mutable_prepared(0);
  prepared->mutable_prepares(0)->set_body(unusual_prepare);

  ConsensusMessage relayed;
  ASSERT_TRUE(relayed.ParseFromString(Serialize(outer)));
  ConsensusMessage relayed_again;
  ASSERT_TRUE(relayed_again.ParseFromString(Serialize(relayed)));
  EXPECT_EQ(relayed_again.view_change().prepared(0).prepares(0).body(), unusual_prepare);
}

}  // namespace
}  // namespace colend::proto
