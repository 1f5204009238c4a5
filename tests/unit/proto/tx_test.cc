// Wire-format tests for tx.proto: round trips for every transaction type, fixed vectors that
// pin the encoding (docs/style.md rule 10), and the decoding behaviours the contracts rely on or
// must guard against (map order, unknown fields, open enums, repeated fields).
//
// The fixed vectors were produced once, checked byte by byte against the field numbers in
// tx.proto (annotated below; tag = field_number << 3 | wire_type, wire type 0 = varint,
// 2 = length-delimited), cross-checked with `protoc --encode`, and frozen. A failure here
// means the wire format changed: every signature and hash on existing chains depends on it.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/contracts/tx_decode.h"
#include "colend/proto/tx.pb.h"
#include "colend/testutil/proto_samples.h"
#include "colend/testutil/proto_test_util.h"

namespace colend::proto {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

constexpr char kChainId[] = "colend-test-1";
constexpr char kBorrowerRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

// OriginateLoan L-1 exactly as in docs/api.md.
constexpr char kOriginateLoanL1BodyHex[] =
    "0a0d636f6c656e642d746573742d31"  // 1 chain_id, LEN 13: "colend-test-1"
    "12044c454144"                    // 2 signer, LEN 4: "LEAD"
    "1a034c2d31"                      // 3 id, LEN 3: "L-1"
    "9a0162"                          // 19 originate_loan: tag 154 = varint 9a 01, LEN 98
    "0a0441472d31"                    //   1 agreement_id, LEN 4: "AG-1"
    "12034c2d31"                      //   2 loan_id, LEN 3: "L-1"
    "1a40"                            //   3 borrower_ref, LEN 64:
    "39663836643038313838346337643635396132666561613063353561643031"    // "9f86d0...55ad01"
    "3561336266346631623262306238323263643135643663313562306630306130"  // "5a3bf4...f00a0"
    "38"                                                                // "8"
    "2080ea30"                   //   4 principal: 800000 = 0x0c3500 -> 80 ea 30
    "28880e"                     //   5 annual_rate_bp: 1800 -> 88 0e
    "300c"                       //   6 term_months: 12
    "3a0a323032362d31312d3231";  //   7 value_date, LEN 10: "2026-11-21"

// RecordRepayment R-1 as in docs/api.md (penalty 0 is the default and therefore absent).
constexpr char kRecordRepaymentR1BodyHex[] =
    "0a0d636f6c656e642d746573742d31"  // 1 chain_id: "colend-test-1"
    "12044c454144"                    // 2 signer: "LEAD"
    "1a03522d31"                      // 3 id: "R-1"
    "aa0118"                          // 21 record_repayment: tag 170 = aa 01, LEN 24
    "0a034c2d31"                      //   1 loan_id: "L-1"
    "10eb8804"                        //   2 principal: 66667 -> eb 88 04
    "18e05d"                          //   3 interest: 12000 -> e0 5d
    "2a0a323032362d31322d3231";       //   5 value_date: "2026-12-21"

// AcceptAgreement by PARTNER_A, and the SignedTransaction envelope around it.
constexpr char kAcceptAgreementBodyHex[] =
    "0a0d636f6c656e642d746573742d31"  // 1 chain_id: "colend-test-1"
    "1209504152544e45525f41"          // 2 signer, LEN 9: "PARTNER_A"
    "1a056163632d31"                  // 3 id, LEN 5: "acc-1"
    "8a0106"                          // 17 accept_agreement: tag 138 = 8a 01, LEN 6
    "0a0441472d31";                   //   1 agreement_id: "AG-1"
constexpr char kSignedAcceptAgreementHex[] =
    "0a2a"  // 1 body, LEN 42: the body above, verbatim
    "0a0d636f6c656e642d746573742d311209504152544e45525f411a056163632d318a01060a0441472d31"
    "1204a1b2c3d4"           // 2 key_id, LEN 4
    "1a083006020101020102";  // 3 signature, LEN 8: DER SEQUENCE { INTEGER 1, INTEGER 2 }

using testutil::DeterministicBytes;
using testutil::Hex;
using testutil::Serialize;
using testutil::Unhex;

template <typename M>
void ExpectRoundTrip(const M& original) {
  testutil::ExpectRoundTrip(original, /*stable_encoding=*/false);  // maps: order may differ
}

// True if `message` or any message inside it carries fields its schema does not know: the
// library check (contracts/tx_decode.h) the pool and the contracts apply before accepting a
// body (tx.proto).
bool HasUnknownFields(const Message& message) {
  return !contracts::CheckNoUnknownFields(message).ok();
}

TransactionBody NewBody(std::string signer, std::string id) {
  TransactionBody body;
  body.set_chain_id(kChainId);
  body.set_signer(std::move(signer));
  body.set_id(std::move(id));
  return body;
}

TransactionBody OriginateLoanL1() {
  TransactionBody body = NewBody("LEAD", "L-1");
  OriginateLoan* loan = body.mutable_originate_loan();
  loan->set_agreement_id("AG-1");
  loan->set_loan_id("L-1");
  loan->set_borrower_ref(kBorrowerRef);
  loan->set_principal(800000);
  loan->set_annual_rate_bp(1800);
  loan->set_term_months(12);
  loan->set_value_date("2026-11-21");
  return body;
}

ClientKey Key(std::string id, std::string der) {
  ClientKey key;
  key.set_key_id(std::move(id));
  key.set_public_key(std::move(der));
  return key;
}

std::vector<GovernanceProposal> OneProposalPerAction() {
  std::vector<GovernanceProposal> out;
  auto next = [&out](std::string id) -> GovernanceProposal& {
    GovernanceProposal& p = out.emplace_back();
    p.set_proposal_id(std::move(id));
    p.set_description("governance test");
    return p;
  };
  {
    AddMember* a = next("g-add").mutable_add_member();
    a->set_member_id("PARTNER_B");
    a->set_legal_name("Partner Bank B Co., Ltd.");
    *a->add_client_keys() = Key("\x01", std::string("\x30\x59\x30\x13", 4));
  }
  {
    SuspendMember* s = next("g-suspend").mutable_suspend_member();
    s->set_member_id("PARTNER_B");
    s->set_reason("licence withdrawn");
  }
  {
    RotateKey* r = next("g-rotate").mutable_rotate_key();
    r->set_member_id("LEAD");
    *r->mutable_new_key() = Key("\x02", std::string("\x30\x59\x30\x13", 4));
    r->set_retired_key_id("\x01");
  }
  {
    ChangeValidatorSet* c = next("g-validators").mutable_change_validator_set();
    for (const char* node : {"LEAD-1", "PARTNER_A-1", "PARTNER_B-1", "PARTNER_C-1"}) {
      Validator* v = c->add_validators();
      v->set_node_id(node);
      v->set_member_id(std::string(node, std::string_view(node).find('-')));
      v->set_public_key(std::string("\x30\x59", 2) + node);
    }
  }
  {
    SetNetworkRule* r = next("g-rule").mutable_set_network_rule();
    r->set_name("min_funder_bp");
    r->set_value(3000);
  }
  {
    RevokeCertificate* r = next("g-revoke").mutable_revoke_certificate();
    r->set_fingerprint(std::string(64, 'a'));
    r->set_reason("private key leaked");
  }
  return out;
}

std::vector<TransactionBody> OneBodyPerPayloadType() {
  std::vector<TransactionBody> out;
  out.push_back(testutil::SampleProposeAgreement());
  out.emplace_back(NewBody("PARTNER_A", "acc-1"))
      .mutable_accept_agreement()
      ->set_agreement_id("AG-1");
  out.emplace_back(NewBody("PARTNER_A", "sus-1"))
      .mutable_suspend_agreement()
      ->set_agreement_id("AG-1");
  out.push_back(OriginateLoanL1());
  out.emplace_back(NewBody("PARTNER_A", "ap-1")).mutable_approve_loan()->set_loan_id("L-1");
  {
    RecordRepayment* r = out.emplace_back(NewBody("LEAD", "R-1")).mutable_record_repayment();
    r->set_loan_id("L-1");
    r->set_principal(66667);
    r->set_interest(12000);
    r->set_penalty(150);
    r->set_value_date("2026-12-21");
  }
  {
    ChargeOff* c = out.emplace_back(NewBody("LEAD", "C-1")).mutable_charge_off();
    c->set_loan_id("L-1");
    c->set_value_date("2027-04-01");
  }
  {
    RecordRecovery* r = out.emplace_back(NewBody("LEAD", "RC-1")).mutable_record_recovery();
    r->set_loan_id("L-1");
    r->set_amount(1000);
    r->set_value_date("2027-05-01");
  }
  {
    Reverse* r = out.emplace_back(NewBody("LEAD", "V-1")).mutable_reverse();
    r->set_target_id("R-1");
    r->set_reason("bounced direct debit");
  }
  {
    CloseSettlement* c = out.emplace_back(NewBody("PARTNER_A", "S-1")).mutable_close_settlement();
    c->set_counterparty("LEAD");
    c->set_cutoff("2026-12-21");
  }
  {
    ConfirmSettlement* c =
        out.emplace_back(NewBody("PARTNER_A", "P-1")).mutable_confirm_settlement();
    c->set_batch_id("SB-LEAD-PARTNER_A-CNY-1");
    c->set_payment_ref("CNAPS-123");
  }
  {
    AcknowledgeReport* a = out.emplace_back(NewBody("LEAD", "K-1")).mutable_acknowledge_report();
    a->set_counterparty("PARTNER_A");
    a->set_height(1200);
    a->set_report_sha256(std::string(32, '\x5a'));
  }
  *out.emplace_back(NewBody("LEAD", "gp-1")).mutable_governance_proposal() =
      OneProposalPerAction().back();
  {
    GovernanceVote* v = out.emplace_back(NewBody("PARTNER_A", "gv-1")).mutable_governance_vote();
    v->set_proposal_id("g-rule");
    v->set_choice(VOTE_CHOICE_APPROVE);
  }
  return out;
}

// --- Fixed vectors -----------------------------------------------------------------------

TEST(TxWireFormatTest, OriginateLoanBodyMatchesFrozenVector) {
  EXPECT_EQ(Hex(Serialize(OriginateLoanL1())), kOriginateLoanL1BodyHex);
}

TEST(TxWireFormatTest, FrozenOriginateLoanBodyParsesToL1) {
  TransactionBody body;
  ASSERT_TRUE(body.ParseFromString(Unhex(kOriginateLoanL1BodyHex)));
  EXPECT_TRUE(MessageDifferencer::Equals(body, OriginateLoanL1())) << body.DebugString();
}

TEST(TxWireFormatTest, FrozenRepaymentBodyParsesToExpectedFields) {
  TransactionBody body;
  ASSERT_TRUE(body.ParseFromString(Unhex(kRecordRepaymentR1BodyHex)));
  EXPECT_EQ(body.chain_id(), "colend-test-1");
  EXPECT_EQ(body.signer(), "LEAD");
  EXPECT_EQ(body.id(), "R-1");
  ASSERT_EQ(body.payload_case(), TransactionBody::kRecordRepayment);
  const RecordRepayment& r = body.record_repayment();
  EXPECT_EQ(r.loan_id(), "L-1");
  EXPECT_EQ(r.principal(), 66667);
  EXPECT_EQ(r.interest(), 12000);
  EXPECT_EQ(r.penalty(), 0);
  EXPECT_EQ(r.value_date(), "2026-12-21");
  EXPECT_FALSE(HasUnknownFields(body));
  // And this version writes exactly those bytes for those fields.
  EXPECT_EQ(Hex(Serialize(body)), kRecordRepaymentR1BodyHex);
}

TEST(TxWireFormatTest, SignedTransactionMatchesFrozenVector) {
  TransactionBody body = NewBody("PARTNER_A", "acc-1");
  body.mutable_accept_agreement()->set_agreement_id("AG-1");
  const std::string body_bytes = Serialize(body);
  EXPECT_EQ(Hex(body_bytes), kAcceptAgreementBodyHex);

  SignedTransaction tx;
  tx.set_body(body_bytes);
  tx.set_key_id(Unhex("a1b2c3d4"));
  tx.set_signature(Unhex("3006020101020102"));
  EXPECT_EQ(Hex(Serialize(tx)), kSignedAcceptAgreementHex);
}

TEST(TxWireFormatTest, FrozenSignedTransactionParsesToItsParts) {
  SignedTransaction tx;
  ASSERT_TRUE(tx.ParseFromString(Unhex(kSignedAcceptAgreementHex)));
  EXPECT_EQ(Hex(tx.body()), kAcceptAgreementBodyHex);
  EXPECT_EQ(Hex(tx.key_id()), "a1b2c3d4");
  EXPECT_EQ(Hex(tx.signature()), "3006020101020102");
  TransactionBody body;
  ASSERT_TRUE(body.ParseFromString(tx.body()));
  EXPECT_EQ(body.signer(), "PARTNER_A");
  EXPECT_EQ(body.id(), "acc-1");
  ASSERT_EQ(body.payload_case(), TransactionBody::kAcceptAgreement);
  EXPECT_EQ(body.accept_agreement().agreement_id(), "AG-1");
}

// --- Round trips ---------------------------------------------------------------------------

TEST(TxRoundTripTest, EveryPayloadTypeRoundTrips) {
  std::set<int> covered;
  for (const TransactionBody& body : OneBodyPerPayloadType()) {
    SCOPED_TRACE(body.ShortDebugString());
    ExpectRoundTrip(body);
    EXPECT_FALSE(HasUnknownFields(body));
    covered.insert(body.payload_case());

    SignedTransaction tx;
    tx.set_body(Serialize(body));
    tx.set_key_id("\x01");
    tx.set_signature(Unhex("3006020101020102"));
    ExpectRoundTrip(tx);
  }
  // A payload type added to tx.proto without a case here fails this line.
  EXPECT_EQ(covered.size(),
            static_cast<size_t>(
                TransactionBody::descriptor()->FindOneofByName("payload")->field_count()));
  EXPECT_EQ(covered.count(TransactionBody::PAYLOAD_NOT_SET), 0u);
}

TEST(TxRoundTripTest, EveryGovernanceActionRoundTrips) {
  std::set<int> covered;
  for (const GovernanceProposal& proposal : OneProposalPerAction()) {
    TransactionBody body = NewBody("LEAD", proposal.proposal_id());
    *body.mutable_governance_proposal() = proposal;
    ExpectRoundTrip(body);
    covered.insert(proposal.action_case());
  }
  EXPECT_EQ(covered.size(),
            static_cast<size_t>(
                GovernanceProposal::descriptor()->FindOneofByName("action")->field_count()));
}

// --- Decoding behaviours the contracts must know -------------------------------------------

// Protobuf writes map entries in no promised order. Two encodings of one agreement differ
// in bytes, and therefore in transaction hash and signature, while parsing to the same
// agreement. This is why a body is hashed and verified as sent and never re-serialised.
TEST(TxDecodingTest, MapOrderIsNotCanonicalSoBodiesAreHashedAsSent) {
  const std::string lead_first = Unhex(
      "0a0441472d31"                      // 1 agreement_id "AG-1"
      "1a090a044c45414410d00f"            // 3 shares entry, LEN 9: {1 "LEAD", 2 2000}
      "1a0e0a09504152544e45525f4110c03e"  // 3 shares entry, LEN 14: {1 "PARTNER_A", 2 8000}
  );
  const std::string partner_first = Unhex(
      "0a0441472d31"
      "1a0e0a09504152544e45525f4110c03e"
      "1a090a044c45414410d00f");
  ProposeAgreement a;
  ProposeAgreement b;
  ASSERT_TRUE(a.ParseFromString(lead_first));
  ASSERT_TRUE(b.ParseFromString(partner_first));
  EXPECT_NE(lead_first, partner_first);
  EXPECT_TRUE(MessageDifferencer::Equals(a, b));
  EXPECT_EQ(a.shares().at("LEAD"), 2000u);
  EXPECT_EQ(a.shares().at("PARTNER_A"), 8000u);
}

// A body from a newer schema, with a field this version does not know both in the common
// part (field 4) and inside the payload (OriginateLoan field 8). It parses; the known fields
// read as the signer wrote them; the unknown ones are kept aside and remain in the verbatim
// bytes, which are what is signed and hashed. HasUnknownFields finds them at any depth, so
// the pool and the contracts can reject such a body instead of executing it while ignoring
// part of what was signed.
TEST(TxUnknownFieldsTest, NewerBodyParsesAndUnknownFieldsAreDetectable) {
  const std::string l1_hex = kOriginateLoanL1BodyHex;
  const size_t payload_tag = l1_hex.find("9a0162");  // where the payload starts
  ASSERT_NE(payload_tag, std::string::npos);
  std::string newer_common_hex = l1_hex;
  newer_common_hex.insert(payload_tag, "2064");  // 4 varint 100: unknown common field
  const std::string newer = Unhex(newer_common_hex);
  // Appending inside the payload needs its length fixed: LEN 98 -> 101 (62 -> 65).
  std::string newer_payload_hex = l1_hex;
  newer_payload_hex.replace(payload_tag, 6, "9a0165");
  newer_payload_hex += "420141";  // OriginateLoan 8 (LEN 1, "A"): unknown payload field
  const std::string newer_payload = Unhex(newer_payload_hex);

  TransactionBody body;
  ASSERT_TRUE(body.ParseFromString(newer));
  EXPECT_EQ(body.id(), "L-1");
  EXPECT_EQ(body.originate_loan().principal(), 800000);
  EXPECT_EQ(body.GetReflection()->GetUnknownFields(body).field_count(), 1);
  EXPECT_EQ(body.GetReflection()->GetUnknownFields(body).field(0).number(), 4);
  EXPECT_TRUE(HasUnknownFields(body));

  TransactionBody nested;
  ASSERT_TRUE(nested.ParseFromString(newer_payload));
  EXPECT_EQ(nested.originate_loan().value_date(), "2026-11-21");
  EXPECT_TRUE(nested.GetReflection()->GetUnknownFields(nested).empty());
  EXPECT_TRUE(HasUnknownFields(nested));
  // The byte-level check finds both too (and, unlike the parsed-message check, also unknown
  // fields inside map entries, which Protobuf drops while parsing).
  EXPECT_FALSE(contracts::CheckStrictEncoding(AsBytes(newer), *TransactionBody::descriptor()).ok());
  EXPECT_FALSE(
      contracts::CheckStrictEncoding(AsBytes(newer_payload), *TransactionBody::descriptor()).ok());
  const std::string l1 = Unhex(l1_hex);
  EXPECT_TRUE(contracts::CheckStrictEncoding(AsBytes(l1), *TransactionBody::descriptor()).ok());

  // The verbatim bytes differ from the known-fields-only body, so the transaction hash
  // commits to the unknown fields too.
  EXPECT_NE(newer, Serialize(OriginateLoanL1()));
  // Protobuf 3.21 happens to keep unknown fields when re-serialising. colend does not rely on
  // it: nothing signed or hashed is ever re-serialised.
  EXPECT_EQ(Serialize(body).size(), newer.size());
}

// A payload type from a newer schema (field 30) is unknown: this version sees no payload
// at all, so the body is rejected rather than mistaken for anything.
TEST(TxUnknownFieldsTest, UnknownPayloadTypeParsesAsNoPayload) {
  std::string hex = kAcceptAgreementBodyHex;
  const size_t payload_tag = hex.find("8a0106");
  ASSERT_NE(payload_tag, std::string::npos);
  hex.replace(payload_tag, std::string::npos, "f2010401020304");  // 30 (tag f2 01), LEN 4
  TransactionBody body;
  ASSERT_TRUE(body.ParseFromString(Unhex(hex)));
  EXPECT_EQ(body.signer(), "PARTNER_A");
  EXPECT_EQ(body.payload_case(), TransactionBody::PAYLOAD_NOT_SET);
  EXPECT_TRUE(HasUnknownFields(body));
}

// Proto3 enums are open: a value outside the enum parses and is kept as the number. The
// contract must check with *_IsValid and reject it, as it rejects UNSPECIFIED.
TEST(TxDecodingTest, EnumsAreOpenAndDefaultToUnspecified) {
  ProposeAgreement omitted;
  ASSERT_TRUE(omitted.ParseFromString(Unhex("0a0441472d31")));
  EXPECT_EQ(omitted.disbursement(), DISBURSEMENT_MODE_UNSPECIFIED);
  EXPECT_EQ(omitted.approval(), APPROVAL_MODE_UNSPECIFIED);

  ProposeAgreement future;
  ASSERT_TRUE(future.ParseFromString(Unhex("0a0441472d31" "2807")));  // 5 disbursement: 7
  EXPECT_EQ(static_cast<int>(future.disbursement()), 7);
  EXPECT_FALSE(DisbursementMode_IsValid(future.disbursement()));
  EXPECT_FALSE(HasUnknownFields(future));  // so the unknown-field check alone does not catch it
  EXPECT_FALSE(contracts::CheckEnumValues(future).ok());   // the enum check does
  EXPECT_FALSE(contracts::CheckEnumValues(omitted).ok());  // and refuses UNSPECIFIED too
}

// To Protobuf a field repeated on the wire is not an error: the last scalar wins, and of two
// oneof members the last one wins. Every Protobuf implementation behaves this way, but a
// bank's signing system must still emit each field once: colend's strict decoding
// (contracts::CheckStrictEncoding) refuses a body that does not.
TEST(TxDecodingTest, RepeatedScalarAndOneofMembersLastOneWins) {
  TransactionBody body;
  ASSERT_TRUE(body.ParseFromString(Unhex("12044c454144"           // 2 signer "LEAD"
                                         "1209504152544e45525f41"  // 2 signer "PARTNER_A"
                                         "a201050a034c2d31"        // 20 approve_loan "L-1"
                                         "8a01060a0441472d31")));  // 17 accept_agreement
  EXPECT_EQ(body.signer(), "PARTNER_A");
  EXPECT_EQ(body.payload_case(), TransactionBody::kAcceptAgreement);
  // Protobuf accepts such bytes; colend's strict decoding refuses them.
  const std::string twice = Unhex("12044c454144" "1209504152544e45525f41");
  EXPECT_FALSE(contracts::CheckStrictEncoding(AsBytes(twice), *TransactionBody::descriptor()).ok());
}

}  // namespace
}  // namespace colend::proto
