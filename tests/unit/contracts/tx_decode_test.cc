// Strict decoding of signed transactions: signing and verification, the transaction hash,
// and every way a body or envelope can be malformed (unknown fields at any depth including
// map entries, repeated singular fields, wrong wire types, out-of-range varints, bad enums,
// no payload), plus truncated, mutated and random bytes that must never crash the decoder.
#include "colend/contracts/tx_decode.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <random>
#include <string>
#include <string_view>

#include "colend/common/bytes.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/signature.h"
#include "colend/testutil/proto_samples.h"
#include "colend/testutil/proto_test_util.h"

namespace colend::contracts {
namespace {

using google::protobuf::util::MessageDifferencer;
using proto::TransactionBody;
using testutil::Unhex;

const crypto::CryptoSuite kStandard = crypto::CryptoSuite::Standard();

// tests/unit/proto/tx_test.cc: AcceptAgreement by PARTNER_A and its frozen envelope.
constexpr char kAcceptAgreementBodyHex[] =
    "0a0d636f6c656e642d746573742d311209504152544e45525f411a056163632d318a01060a0441472d31";
constexpr char kSignedAcceptAgreementHex[] =
    "0a2a0a0d636f6c656e642d746573742d311209504152544e45525f411a056163632d318a01060a0441472d31"
    "1204a1b2c3d41a083006020101020102";
// The common part of a body (chain_id, signer "LEAD", id "x"), to which tests append a
// payload.
constexpr char kCommonHex[] = "0a0d636f6c656e642d746573742d3112044c4541441a0178";

crypto::PrivateKey NewKey(crypto::CryptoSuite suite) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(suite);
  EXPECT_TRUE(key.ok()) << key.status();
  return std::move(key).value();
}

// An envelope around `body` with a well-formed but meaningless key id and signature.
Bytes Envelope(const std::string& body) {
  proto::SignedTransaction tx;
  tx.set_body(body);
  tx.set_key_id(std::string(16, '\x01'));
  tx.set_signature(Unhex("3006020101020102"));
  return ToBytes(testutil::Serialize(tx));
}

void ExpectDecodeFails(const Bytes& signed_tx, std::string_view expected) {
  Result<DecodedTransaction> tx = DecodeTransaction(signed_tx, kStandard);
  ASSERT_FALSE(tx.ok()) << tx->body.ShortDebugString();
  EXPECT_EQ(tx.status().code(), StatusCode::kInvalidArgument) << tx.status();
  EXPECT_NE(tx.status().message().find(expected), std::string::npos)
      << "message: " << tx.status().message() << "\nexpected to contain: " << expected;
}

void ExpectBodyFails(const std::string& body_hex, std::string_view expected) {
  ExpectDecodeFails(Envelope(Unhex(body_hex)), expected);
}

// --- Signing, verification, hash ---------------------------------------------------------

class SignedTxTest : public ::testing::TestWithParam<crypto::CryptoSuite> {};

INSTANTIATE_TEST_SUITE_P(BothSuites, SignedTxTest,
                         ::testing::Values(crypto::CryptoSuite::Standard(),
                                           crypto::CryptoSuite::Sm()),
                         [](const auto& param_info) {
                           return std::string(param_info.param.name());
                         });

TEST_P(SignedTxTest, SignDecodeVerify) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const TransactionBody body = testutil::SampleProposeAgreement();
  const Result<Bytes> signed_tx = SignTransaction(body, key);
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.status();

  const Result<DecodedTransaction> tx = DecodeTransaction(*signed_tx, GetParam());
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_EQ(tx->raw, *signed_tx);
  EXPECT_TRUE(MessageDifferencer::Equals(tx->body, body));
  EXPECT_EQ(ToBytes(tx->envelope.key_id()), key.public_key().key_id());
  const crypto::Digest digest = crypto::Hash(GetParam().hash(), AsBytes(tx->envelope.body()));
  EXPECT_EQ(tx->tx_hash, Bytes(digest.begin(), digest.end()));
  EXPECT_EQ(tx->tx_hash, TransactionHash(AsBytes(tx->envelope.body()), GetParam()));
  EXPECT_TRUE(VerifyTransactionSignature(*tx, key.public_key()).ok());

  // The signature is over "colend/tx/v1" || 0x00 || body, as crypto::Verify checks it.
  EXPECT_TRUE(crypto::Verify(key.public_key(), "colend/tx/v1", AsBytes(tx->envelope.body()),
                             AsBytes(tx->envelope.signature()))
                  .ok());
}

TEST_P(SignedTxTest, WrongKeyOrAlteredSignatureDoesNotVerify) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const crypto::PrivateKey other = NewKey(GetParam());
  const Result<Bytes> signed_tx = SignTransaction(testutil::SampleProposeAgreement(), key);
  ASSERT_TRUE(signed_tx.ok());
  Result<DecodedTransaction> tx = DecodeTransaction(*signed_tx, GetParam());
  ASSERT_TRUE(tx.ok()) << tx.status();

  const Status wrong_key = VerifyTransactionSignature(*tx, other.public_key());
  EXPECT_EQ(wrong_key.code(), StatusCode::kPermissionDenied) << wrong_key;

  // The right key id but another key's signature.
  const Result<Bytes> by_other = SignTransaction(testutil::SampleProposeAgreement(), other);
  ASSERT_TRUE(by_other.ok());
  Result<DecodedTransaction> forged = DecodeTransaction(*by_other, GetParam());
  ASSERT_TRUE(forged.ok());
  forged->envelope.set_key_id(tx->envelope.key_id());
  EXPECT_EQ(VerifyTransactionSignature(*forged, key.public_key()).code(),
            StatusCode::kPermissionDenied);

  // A signature made in another domain.
  const Result<Bytes> vote_signature =
      crypto::Sign(key, "colend/vote/v1", AsBytes(tx->envelope.body()));
  ASSERT_TRUE(vote_signature.ok());
  tx->envelope.set_signature(ToString(*vote_signature));
  EXPECT_EQ(VerifyTransactionSignature(*tx, key.public_key()).code(),
            StatusCode::kPermissionDenied);
}

TEST_P(SignedTxTest, ResigningKeepsTheHashAndSignedBytesAreDeterministic) {
  const crypto::PrivateKey key = NewKey(GetParam());
  // Several map entries, whose order Protobuf does not otherwise promise.
  Result<TransactionBody> body = TransactionBodyFromJson(
      R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag","agreement_id":"A","currency":"CNY",
          "shares":{"LEAD":1000,"B":2000,"C":3000,"D":4000},
          "limits":{"D":{"max_outstanding":"1"},"B":{"max_outstanding":"2"}}})");
  ASSERT_TRUE(body.ok()) << body.status();
  const Result<Bytes> first = SignTransaction(*body, key);
  const Result<Bytes> second = SignTransaction(*body, key);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);  // fresh signature nonce
  const Result<DecodedTransaction> a = DecodeTransaction(*first, GetParam());
  const Result<DecodedTransaction> b = DecodeTransaction(*second, GetParam());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->envelope.body(), b->envelope.body());
  EXPECT_EQ(a->tx_hash, b->tx_hash);
}

TEST_P(SignedTxTest, SignBodyBytesSignsExactlyWhatItIsGiven) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const std::string body = Unhex(std::string(kCommonHex) + "a201050a034c2d31");  // ApproveLoan
  const Result<Bytes> signed_tx = SignTransactionBodyBytes(AsBytes(body), key);
  ASSERT_TRUE(signed_tx.ok());
  const Result<DecodedTransaction> tx = DecodeTransaction(*signed_tx, GetParam());
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_EQ(tx->envelope.body(), body);
  EXPECT_TRUE(VerifyTransactionSignature(*tx, key.public_key()).ok());
}

TEST(TxDecodeTest, HashDependsOnTheSuite) {
  const Bytes body = ToBytes(Unhex(kAcceptAgreementBodyHex));
  EXPECT_NE(TransactionHash(body, crypto::CryptoSuite::Standard()),
            TransactionHash(body, crypto::CryptoSuite::Sm()));
  EXPECT_EQ(TransactionHash(body, kStandard).size(), 32u);
}

TEST(TxDecodeTest, FrozenEnvelopeDecodes) {
  const Result<DecodedTransaction> tx =
      DecodeTransaction(ToBytes(Unhex(kSignedAcceptAgreementHex)), kStandard);
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_EQ(testutil::Hex(tx->envelope.body()), kAcceptAgreementBodyHex);
  EXPECT_EQ(tx->body.accept_agreement().agreement_id(), "AG-1");
  EXPECT_EQ(tx->tx_hash, TransactionHash(ToBytes(Unhex(kAcceptAgreementBodyHex)), kStandard));
}

// --- Malformed bodies ---------------------------------------------------------------------

// kCommonHex followed by `parts`, each a piece of annotated hex.
std::string WithCommon(std::initializer_list<std::string_view> parts) {
  std::string hex = kCommonHex;
  for (std::string_view part : parts) hex.append(part);
  return hex;
}

// ProposeAgreement "A" with one limits entry whose PartnerLimit value carries field 9.
std::string UnknownInMapValueHex() {
  return WithCommon({
      "82010e",  // 16 propose_agreement, LEN 14
      "0a0141",  //   1 agreement_id "A"
      "3a09",    //   7 limits entry, LEN 9
      "0a0150",  //     1 key "P"
      "1204",    //     2 value, LEN 4
      "0805",    //       1 max_outstanding 5
      "4801",    //       9 varint 1: unknown
  });
}

// ProposeAgreement "A" with one shares entry that carries field 3 in the entry itself.
std::string UnknownInMapEntryHex() {
  return WithCommon({
      "82010c",  // 16 propose_agreement, LEN 12
      "0a0141",  //   1 agreement_id "A"
      "1a07",    //   3 shares entry, LEN 7
      "0a0150",  //     1 key "P"
      "1001",    //     2 value 1
      "1807",    //     3 varint 7: unknown
  });
}

TEST(TxDecodeTest, UnknownFieldsAreRefusedAtAnyDepth) {
  ExpectBodyFails(WithCommon({"2064",                // 4 varint 100: unknown common field
                              "a201050a034c2d31"}),  // 20 approve_loan { 1 "L-1" }
                  "unknown field 4 in colend.proto.TransactionBody at the top level");
  ExpectBodyFails(WithCommon({"a20107",      // 20 approve_loan, LEN 7
                              "0a034c2d31",  //   1 loan_id "L-1"
                              "1001"}),      //   2 varint 1: unknown
                  "unknown field 2 in colend.proto.ApproveLoan at approve_loan");
  ExpectBodyFails(WithCommon({"f2010401020304"}),  // 30 (a newer payload type), LEN 4
                  "unknown field 30 in colend.proto.TransactionBody");
  ExpectBodyFails(UnknownInMapValueHex(),
                  "unknown field 9 in colend.proto.PartnerLimit at propose_agreement.limits.value");
  // Protobuf would drop this one silently while parsing.
  ExpectBodyFails(UnknownInMapEntryHex(),
                  "unknown field 3 in colend.proto.ProposeAgreement.SharesEntry at "
                  "propose_agreement.shares");
  ExpectBodyFails(WithCommon({"e2010d",  // 28 governance_proposal, LEN 13
                              "0a0150",  //   1 proposal_id "P"
                              "820107",  //   16 add_member, LEN 7
                              "0a0142",  //     1 member_id "B"
                              "1a02",    //     3 client_keys, LEN 2
                              "1801"}),  //       3 varint 1: unknown
                  "unknown field 3 in colend.proto.ClientKey at "
                  "governance_proposal.add_member.client_keys");
}

TEST(TxDecodeTest, ReflectionCheckFindsUnknownFieldsExceptInMapEntries) {
  TransactionBody body;
  ASSERT_TRUE(body.ParseFromString(Unhex(WithCommon({"2064", "a201050a034c2d31"}))));
  const Status common = CheckNoUnknownFields(body);
  EXPECT_EQ(common.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(common.message().find("unknown field 4"), std::string::npos) << common;

  TransactionBody in_value;
  ASSERT_TRUE(in_value.ParseFromString(Unhex(UnknownInMapValueHex())));
  const Status value = CheckNoUnknownFields(in_value);
  EXPECT_NE(value.message().find("propose_agreement.limits.value"), std::string::npos) << value;

  // Protobuf drops an unknown field of a map entry while parsing: only the bytes show it.
  const std::string entry_bytes = Unhex(UnknownInMapEntryHex());
  TransactionBody in_entry;
  ASSERT_TRUE(in_entry.ParseFromString(entry_bytes));
  EXPECT_TRUE(CheckNoUnknownFields(in_entry).ok());
  EXPECT_FALSE(CheckStrictEncoding(AsBytes(entry_bytes), *TransactionBody::descriptor()).ok());

  EXPECT_TRUE(CheckNoUnknownFields(testutil::SampleProposeAgreement()).ok());
}

TEST(TxDecodeTest, FieldsWrittenTwiceAreRefused) {
  ExpectBodyFails(std::string("12044c454144")     // 2 signer "LEAD"
                      + "1209504152544e45525f41"  // 2 signer "PARTNER_A"
                      + "1a0178"                  // 3 id "x"
                      + "a201050a034c2d31",       // 20 approve_loan
                  "field signer appears more than once");
  ExpectBodyFails(WithCommon({"a201050a034c2d31",      // 20 approve_loan
                              "8a01060a0441472d31"}),  // 17 accept_agreement
                  "more than one member of oneof payload");
  ExpectBodyFails(WithCommon({"a201050a034c2d31", "a201050a034c2d32"}),  // approve_loan twice
                  "field approve_loan appears more than once");
  ExpectBodyFails(WithCommon({"a2010a",        // 20 approve_loan, LEN 10
                              "0a034c2d31",    //   1 loan_id "L-1"
                              "0a034c2d32"}),  //   1 loan_id "L-2"
                  "field approve_loan.loan_id appears more than once");
}

TEST(TxDecodeTest, WrongWireTypesAndOutOfRangeVarintsAreRefused) {
  ExpectBodyFails(std::string("1001")        // 2 signer as a varint
                      + "1a0178"             // 3 id "x"
                      + "a201050a034c2d31",  // 20 approve_loan
                  "field signer has wire type 0");
  ExpectBodyFails(WithCommon({"a20102",  // 20 approve_loan, LEN 2
                              "0801"}),  //   1 loan_id as a varint
                  "field approve_loan.loan_id has wire type 0");
  // OriginateLoan annual_rate_bp = 2^32 + 1800, which Protobuf would read as 1800.
  ExpectBodyFails(WithCommon({"9a0106",          // 19 originate_loan, LEN 6
                              "28888e808010"}),  //   5 annual_rate_bp 4294969096
                  "field originate_loan.annual_rate_bp holds 4294969096, outside its type");
  ExpectBodyFails(WithCommon({"820106",          // 16 propose_agreement, LEN 6
                              "288080808008"}),  //   5 disbursement 2^31 (enums are int32)
                  "field propose_agreement.disbursement holds 2147483648");
  ExpectBodyFails(WithCommon({"0b"}), "wire type 3");                              // a group start
  ExpectBodyFails(WithCommon({"a201"}), "truncated");                              // no length
  ExpectBodyFails(WithCommon({"a20105", "0a03"}), "truncated");                    // LEN 5, 2 bytes
  ExpectBodyFails(WithCommon({"ffffffffffffffffffff01"}), "malformed field tag");  // > 64 bits
}

TEST(TxDecodeTest, InvalidUtf8StringsAreRefusedBeforeProtobufSeesThem) {
  ExpectBodyFails(std::string("1202fffe")    // 2 signer: bytes ff fe
                      + "1a0178"             // 3 id "x"
                      + "a201050a034c2d31",  // 20 approve_loan
                  "string field signer is not valid UTF-8");
}

TEST(TxDecodeTest, MissingPayloadOrActionAndBadEnumsAreRefused) {
  ExpectBodyFails(kCommonHex, "has no payload");
  ExpectBodyFails(WithCommon({"e20105",        // 28 governance_proposal, LEN 5
                              "0a03502d31"}),  //   1 proposal_id "P-1"
                  "governance proposal has no action");

  TransactionBody unspecified = testutil::SampleProposeAgreement();
  unspecified.mutable_propose_agreement()->set_disbursement(proto::DISBURSEMENT_MODE_UNSPECIFIED);
  ExpectDecodeFails(Envelope(testutil::Serialize(unspecified)),
                    "field propose_agreement.disbursement holds 0, which leaves it unspecified");

  TransactionBody unlisted = testutil::SampleProposeAgreement();
  unlisted.mutable_propose_agreement()->set_approval(static_cast<proto::ApprovalMode>(7));
  ExpectDecodeFails(Envelope(testutil::Serialize(unlisted)),
                    "field propose_agreement.approval holds 7, which ApprovalMode does not list");

  TransactionBody vote;
  vote.set_signer("LEAD");
  vote.set_id("v");
  vote.mutable_governance_vote()->set_proposal_id("P");
  ExpectDecodeFails(Envelope(testutil::Serialize(vote)), "governance_vote.choice holds 0");
  vote.mutable_governance_vote()->set_choice(proto::VOTE_CHOICE_APPROVE);
  EXPECT_TRUE(DecodeTransaction(Envelope(testutil::Serialize(vote)), kStandard).ok());

  // Enums are only checked in messages that are present.
  TransactionBody loan;
  loan.set_signer("LEAD");
  loan.set_id("L");
  loan.mutable_approve_loan()->set_loan_id("L-1");
  EXPECT_TRUE(CheckEnumValues(loan).ok());
  EXPECT_TRUE(ValidateBodyShape(loan).ok());
}

// --- Malformed envelopes ------------------------------------------------------------------

TEST(TxDecodeTest, MalformedEnvelopesAreRefused) {
  const std::string body = Unhex(kAcceptAgreementBodyHex);
  proto::SignedTransaction tx;
  tx.set_body(body);
  tx.set_key_id("k");
  ExpectDecodeFails(ToBytes(testutil::Serialize(tx)), "signature is 0 bytes");
  tx.set_signature(std::string(crypto::kMaxSignatureSize + 1, '\x30'));
  ExpectDecodeFails(ToBytes(testutil::Serialize(tx)), "signature is 73 bytes");
  tx.set_signature("s");
  tx.clear_key_id();
  ExpectDecodeFails(ToBytes(testutil::Serialize(tx)), "key_id is empty");
  tx.set_key_id("k");
  EXPECT_TRUE(DecodeTransaction(ToBytes(testutil::Serialize(tx)), kStandard).ok());

  Bytes with_unknown = ToBytes(testutil::Serialize(tx));
  with_unknown.push_back(0x20);  // 4 varint 1
  with_unknown.push_back(0x01);
  ExpectDecodeFails(with_unknown,
                    "signed transaction: unknown field 4 in colend.proto.SignedTransaction");
  ExpectDecodeFails(Bytes(), "key_id is empty");
  ExpectDecodeFails(ToBytes(Unhex("0a05")), "signed transaction: field body is truncated");
}

TEST(TxDecodeTest, EveryTruncationOfASignedTransactionIsRefused) {
  const crypto::PrivateKey key = NewKey(kStandard);
  const Result<Bytes> signed_tx = SignTransaction(testutil::SampleProposeAgreement(), key);
  ASSERT_TRUE(signed_tx.ok());
  for (std::size_t length = 0; length < signed_tx->size(); ++length) {
    const Bytes prefix(signed_tx->begin(), signed_tx->begin() + static_cast<long>(length));
    const Result<DecodedTransaction> tx = DecodeTransaction(prefix, kStandard);
    if (tx.ok()) {
      // A cut exactly between fields can leave a shorter valid-looking envelope; its
      // signature then cannot verify.
      EXPECT_FALSE(VerifyTransactionSignature(*tx, key.public_key()).ok()) << length;
    } else {
      EXPECT_EQ(tx.status().code(), StatusCode::kInvalidArgument) << length;
    }
  }
}

// Random bytes and random edits of a valid signed transaction: the decoder returns a value or
// InvalidArgument and never crashes; whatever it accepts passes the shape checks.
TEST(TxDecodeTest, RandomAndMutatedBytesNeverCrash) {
  const crypto::PrivateKey key = NewKey(kStandard);
  const Result<Bytes> valid = SignTransaction(testutil::SampleProposeAgreement(), key);
  ASSERT_TRUE(valid.ok());
  std::mt19937 rng(42);
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes input;
    if (round % 5 == 0) {
      input.resize(rng() % 300);
      for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    } else {
      input = *valid;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !input.empty(); ++e) {
        const std::size_t at = rng() % input.size();
        switch (rng() % 3) {
          case 0:
            input[at] = static_cast<std::uint8_t>(rng());
            break;
          case 1:
            input.insert(input.begin() + static_cast<long>(at), static_cast<std::uint8_t>(rng()));
            break;
          default:
            input.erase(input.begin() + static_cast<long>(at));
            break;
        }
      }
    }
    const Result<DecodedTransaction> tx = DecodeTransaction(input, kStandard);
    if (!tx.ok()) {
      EXPECT_EQ(tx.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++accepted;
    EXPECT_TRUE(ValidateBodyShape(tx->body).ok());
    EXPECT_TRUE(
        CheckStrictEncoding(AsBytes(tx->envelope.body()), *TransactionBody::descriptor()).ok());
  }
  EXPECT_GT(accepted, 0);  // edits of the signature's bytes keep the shape
}

}  // namespace
}  // namespace colend::contracts
