// Wire-format tests for block.proto: fixed vectors for the header (whose bytes are the block
// hash preimage), receipts (hashed into receipts_root by every node) and commit
// certificates (checked by clients), round trips, and the verbatim-bytes rule.
//
// Vectors were checked byte by byte against the field numbers (annotated; tag =
// field_number << 3 | wire_type), cross-checked with `protoc --encode`, and frozen.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

#include "colend/common/bytes.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"
#include "colend/testutil/proto_samples.h"
#include "colend/testutil/proto_test_util.h"

namespace colend::proto {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

constexpr char kHeaderHex[] =
    "0a0d636f6c656e642d746573742d31"  // 1 chain_id, LEN 13: "colend-test-1"
    "102a"                            // 2 height: 42
    "1a20"                            // 3 parent_hash, LEN 32:
    "1111111111111111111111111111111111111111111111111111111111111111"
    "2220"                            // 4 tx_root, LEN 32:
    "2222222222222222222222222222222222222222222222222222222222222222"
    "2a20"                            // 5 receipts_root, LEN 32:
    "3333333333333333333333333333333333333333333333333333333333333333"
    "3220"                            // 6 state_root, LEN 32:
    "4444444444444444444444444444444444444444444444444444444444444444"
    "388098fae89f34"                  // 7 timestamp_ms: 1795248000000 (2026-11-21T08:00Z)
    "42044c454144"                    // 8 proposer, LEN 4: "LEAD"
    "4803"                            // 9 view: 3
    "5002";                           // 10 tx_count: 2

constexpr char kRejectedReceiptHex[] =
    "0a20"  // 1 tx_hash, LEN 32:
    "abababababababababababababababababababababababababababababababab"
    "1002"                                    // 2 status: RECEIPT_STATUS_REJECTED
    "1a0b4f5645525041594d454e54"              // 3 code, LEN 11: "OVERPAYMENT"
    "221b7072696e636970616c2061626f7665206f"  // 4 message, LEN 27:
    "75747374616e64696e67";                   //   "principal above outstanding"

// A COMMIT body as a validator signs it: ConsensusMessage{chain_id, commit{3, 42, 0x55..}}.
constexpr char kCommitBodyHex[] =
    "0a0d636f6c656e642d746573742d31"  // 1 chain_id: "colend-test-1"
    "920126"                          // 18 commit: tag 146 = 92 01, LEN 38
    "0803"                            //   1 view: 3
    "102a"                            //   2 sequence: 42
    "1a20"                            //   3 block_hash, LEN 32:
    "5555555555555555555555555555555555555555555555555555555555555555";

constexpr char kCertificateHex[] =
    "082a"  // 1 height: 42
    "1003"  // 2 view: 3
    "1a20"  // 3 block_hash, LEN 32:
    "5555555555555555555555555555555555555555555555555555555555555555"
    "224c"            // 4 commits[0], LEN 76:
    "0a064c4541442d31"  //   1 validator, LEN 6: "LEAD-1"
    "1238"              //   2 commit, LEN 56: kCommitBodyHex, verbatim
    "0a0d636f6c656e642d746573742d31920126"
    "0803102a1a205555555555555555555555555555555555555555555555555555555555555555"
    "1a083006020101020102";  //   3 signature, LEN 8

using testutil::Hex;
using testutil::Serialize;
using testutil::Unhex;

template <typename M>
void ExpectRoundTrip(const M& original) {
  testutil::ExpectRoundTrip(original, /*stable_encoding=*/true);  // no maps in block.proto
}

Receipt SampleRejectedReceipt() {
  Receipt receipt;
  receipt.set_tx_hash(std::string(32, '\xab'));
  receipt.set_status(RECEIPT_STATUS_REJECTED);
  receipt.set_code("OVERPAYMENT");
  receipt.set_message("principal above outstanding");
  return receipt;
}

CommitCertificate SampleCertificate() {
  CommitCertificate certificate;
  certificate.set_height(42);
  certificate.set_view(3);
  certificate.set_block_hash(std::string(32, '\x55'));
  CommitSignature* commit = certificate.add_commits();
  commit->set_validator("LEAD-1");
  commit->set_commit(Unhex(kCommitBodyHex));
  commit->set_signature(Unhex("3006020101020102"));
  return certificate;
}

// --- Fixed vectors -----------------------------------------------------------------------

TEST(BlockWireFormatTest, HeaderMatchesFrozenVector) {
  EXPECT_EQ(Hex(Serialize(testutil::SampleBlockHeader())), kHeaderHex);
}

TEST(BlockWireFormatTest, FrozenHeaderParsesToExpectedFields) {
  BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(Unhex(kHeaderHex)));
  EXPECT_EQ(header.chain_id(), "colend-test-1");
  EXPECT_EQ(header.height(), 42u);
  EXPECT_EQ(header.parent_hash(), std::string(32, '\x11'));
  EXPECT_EQ(header.tx_root(), std::string(32, '\x22'));
  EXPECT_EQ(header.receipts_root(), std::string(32, '\x33'));
  EXPECT_EQ(header.state_root(), std::string(32, '\x44'));
  EXPECT_EQ(header.timestamp_ms(), 1795248000000u);
  EXPECT_EQ(header.proposer(), "LEAD");
  EXPECT_EQ(header.view(), 3u);
  EXPECT_EQ(header.tx_count(), 2u);
}

TEST(BlockWireFormatTest, FrozenBlockParsesWithHeaderAndTransactionsVerbatim) {
  // 1 header, LEN 17: {1 chain_id "colend-test-1", 2 height 42};
  // 2 transactions[0], LEN 3: {1 body "A"}; 2 transactions[1], LEN 3: {1 body "B"}.
  Block block;
  ASSERT_TRUE(block.ParseFromString(
      Unhex("0a110a0d636f6c656e642d746573742d31102a" "12030a0141" "12030a0142")));
  EXPECT_EQ(Hex(block.header()), "0a0d636f6c656e642d746573742d31102a");
  ASSERT_EQ(block.transactions_size(), 2);
  EXPECT_EQ(Hex(block.transactions(0)), "0a0141");
  EXPECT_EQ(Hex(block.transactions(1)), "0a0142");
}

TEST(BlockWireFormatTest, ReceiptMatchesFrozenVector) {
  EXPECT_EQ(Hex(Serialize(SampleRejectedReceipt())), kRejectedReceiptHex);

  Receipt parsed;
  ASSERT_TRUE(parsed.ParseFromString(Unhex(kRejectedReceiptHex)));
  EXPECT_EQ(parsed.status(), RECEIPT_STATUS_REJECTED);
  EXPECT_EQ(parsed.code(), "OVERPAYMENT");
  EXPECT_EQ(parsed.message(), "principal above outstanding");

  // An accepted receipt has no code and no message: tx_hash and status only.
  Receipt ok;
  ok.set_tx_hash(std::string(32, '\xab'));
  ok.set_status(RECEIPT_STATUS_OK);
  EXPECT_EQ(Hex(Serialize(ok)),
            "0a20abababababababababababababababababababababababababababababababab"
            "1001");
}

TEST(BlockWireFormatTest, CommitCertificateMatchesFrozenVector) {
  EXPECT_EQ(Hex(Serialize(SampleCertificate())), kCertificateHex);
}

// The certificate check a client runs, minus the signature: each entry's `commit` bytes
// parse as the COMMIT the certificate claims.
TEST(BlockWireFormatTest, FrozenCertificateCommitParsesAsMatchingCommit) {
  CommitCertificate certificate;
  ASSERT_TRUE(certificate.ParseFromString(Unhex(kCertificateHex)));
  ASSERT_EQ(certificate.commits_size(), 1);
  EXPECT_EQ(certificate.commits(0).validator(), "LEAD-1");
  EXPECT_EQ(Hex(certificate.commits(0).commit()), kCommitBodyHex);

  ConsensusMessage message;
  ASSERT_TRUE(message.ParseFromString(certificate.commits(0).commit()));
  EXPECT_EQ(message.chain_id(), "colend-test-1");
  ASSERT_EQ(message.payload_case(), ConsensusMessage::kCommit);
  EXPECT_EQ(message.commit().view(), certificate.view());
  EXPECT_EQ(message.commit().sequence(), certificate.height());
  EXPECT_EQ(message.commit().block_hash(), certificate.block_hash());
}

// --- Verbatim bytes ------------------------------------------------------------------------

// A header encoded with its fields out of order is still a valid header, but re-serialising
// it gives other bytes, hence another hash. The block hash is therefore always taken over
// Block.header exactly as carried, never over a re-serialised BlockHeader.
TEST(BlockVerbatimTest, HeaderBytesAreKeptAsProposed) {
  const std::string out_of_order =
      Unhex("102a" "0a0d636f6c656e642d746573742d31");  // height before chain_id
  Block block;
  block.set_header(out_of_order);
  block.add_transactions(Unhex("0a0141"));

  Block received;
  ASSERT_TRUE(received.ParseFromString(Serialize(block)));
  EXPECT_EQ(received.header(), out_of_order);

  BlockHeader header;
  ASSERT_TRUE(header.ParseFromString(received.header()));
  EXPECT_EQ(header.height(), 42u);
  EXPECT_EQ(header.chain_id(), "colend-test-1");
  EXPECT_NE(Serialize(header), out_of_order);
}

// --- Round trips ---------------------------------------------------------------------------

TEST(BlockRoundTripTest, EveryMessageRoundTrips) {
  ExpectRoundTrip(testutil::SampleBlockHeader());
  ExpectRoundTrip(BlockHeader());  // all defaults: zero bytes on the wire
  EXPECT_TRUE(Serialize(BlockHeader()).empty());

  Block block;
  block.set_header(Serialize(testutil::SampleBlockHeader()));
  block.add_transactions(Unhex("0a0141"));
  block.add_transactions(std::string());  // an empty entry survives as an entry
  ExpectRoundTrip(block);

  ExpectRoundTrip(SampleRejectedReceipt());
  ExpectRoundTrip(SampleCertificate());

  CertifiedBlock certified;
  *certified.mutable_block() = block;
  *certified.mutable_certificate() = SampleCertificate();
  ExpectRoundTrip(certified);
}

}  // namespace
}  // namespace colend::proto
