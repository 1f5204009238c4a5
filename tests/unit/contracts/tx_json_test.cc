// Transaction JSON (docs/api.md): every example docs/api.md gives, one multi-line example of
// each type (frozen wire vectors below), the defaults, governance
// actions with real keys of both suites, one test per kind of malformed input, and
// randomised garbage that must never crash the reader.
#include "colend/testutil/json_test_util.h"
#include "colend/contracts/tx_json.h"

#include <fstream>

#include <boost/json.hpp>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/crypto/keys.h"
#include "colend/testutil/proto_samples.h"
#include "colend/testutil/proto_test_util.h"

namespace colend::contracts {
namespace {

using google::protobuf::util::MessageDifferencer;
using proto::TransactionBody;

// One example of each original transaction type, with line breaks as a client may send them
// (the ones docs/api.md prints are checked by DocsApiExamplesParse).
constexpr std::string_view kApiExamples[] = {
    R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-1","agreement_id":"AG-1","currency":"CNY",
 "shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500,
 "disbursement":"FRONTED","approval":"PREAPPROVED",
 "limits":{"PARTNER_A":{"max_outstanding":"100000000000"}}})",
    R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"acc-1","agreement_id":"AG-1"})",
    R"({"type":"OriginateLoan","signer":"LEAD","id":"L-1","agreement_id":"AG-1","loan_id":"L-1",
 "borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
 "principal":"800000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})",
    R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"ap-1","loan_id":"L-1"})",
    R"({"type":"RecordRepayment","signer":"LEAD","id":"R-1","loan_id":"L-1",
 "principal":"66667","interest":"12000","penalty":"0","value_date":"2026-12-21"})",
    R"({"type":"ChargeOff","signer":"LEAD","id":"C-1","loan_id":"L-1","value_date":"2027-04-01"})",
    R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-1","loan_id":"L-1","amount":"1000","value_date":"2027-05-01"})",
    R"({"type":"Reverse","signer":"LEAD","id":"V-1","target_id":"R-1","reason":"bounced direct debit"})",
    R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2026-12-21"})",
    R"({"type":"ConfirmSettlement","signer":"PARTNER_A","id":"P-1","batch_id":"...","payment_ref":"CNAPS-123"})",
    R"({"type":"AcknowledgeReport","signer":"LEAD","id":"K-1","counterparty":"PARTNER_A","height":1200,"report_sha256":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"})",
};

// The single-line form: the examples above break after a comma and indent by a space.
std::string JoinLines(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      while (i + 1 < text.size() && text[i + 1] == ' ') ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

TransactionBody Parse(std::string_view json) {
  Result<TransactionBody> body = TransactionBodyFromJson(json);
  EXPECT_TRUE(body.ok()) << body.status() << "\n" << json;
  return body.ok() ? *body : TransactionBody();
}

// Expects `json` to be refused with InvalidArgument and a message containing `expected`.
void ExpectRejected(std::string_view json, std::string_view expected) {
  Result<TransactionBody> body = TransactionBodyFromJson(json);
  ASSERT_FALSE(body.ok()) << json << "\nparsed as " << body->ShortDebugString();
  EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument) << body.status();
  EXPECT_NE(body.status().message().find(expected), std::string::npos)
      << "message: " << body.status().message() << "\nexpected to contain: " << expected;
}

void ExpectSameBody(const TransactionBody& a, const TransactionBody& b) {
  EXPECT_TRUE(MessageDifferencer::Equals(a, b)) << a.ShortDebugString() << "\n vs\n"
                                                << b.ShortDebugString();
}

// body -> JSON -> body gives the same body, and the JSON is a fixed point.
void ExpectRoundTrip(const TransactionBody& body) {
  const std::string json = TransactionBodyToJson(body);
  Result<TransactionBody> parsed = TransactionBodyFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
  ExpectSameBody(*parsed, body);
  EXPECT_EQ(TransactionBodyToJson(*parsed), json);
}

std::string PublicPem(const crypto::PrivateKey& key) {
  Result<std::string> pem = key.public_key().ToPem();
  EXPECT_TRUE(pem.ok()) << pem.status();
  return pem.value_or("");
}

crypto::PrivateKey NewKey(crypto::CryptoSuite suite) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(suite);
  EXPECT_TRUE(key.ok()) << key.status();
  return std::move(key).value();
}

std::string Quoted(std::string_view text) { return testutil::JsonQuoted(text); }

// --- examples ------------------------------------------------------------------------------

// Every transaction in docs/api.md's "Transactions as JSON" examples block parses (as a
// client would send it: defaults may be left out), and its printed form reads back to the
// same body: the page cannot drift from the reader.
TEST(TxJsonTest, DocsApiExamplesParse) {
  std::ifstream in(std::string(COLEND_SOURCE_DIR) + "/docs/api.md");
  ASSERT_TRUE(in) << "docs/api.md not found under " << COLEND_SOURCE_DIR;
  std::string line;
  bool in_section = false;
  bool in_block = false;
  std::set<std::string> types;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0) in_section = line == "### Transactions as JSON";
    if (!in_section) continue;
    if (line.rfind("```", 0) == 0) {
      in_block = !in_block;
      continue;
    }
    if (!in_block || line.rfind("{\"type\"", 0) != 0) continue;
    Result<TransactionBody> body = TransactionBodyFromJson(line);
    ASSERT_TRUE(body.ok()) << line << "\n" << body.status();
    ExpectRoundTrip(*body);  // maps compared by content (their wire order is not fixed)
    types.insert(line.substr(0, line.find(',')));
  }
  EXPECT_GE(types.size(), 14u) << "the examples block lost transaction types";
}


TEST(TxJsonTest, EveryApiExampleRoundTripsVerbatim) {
  std::set<std::string> types;
  for (std::string_view example : kApiExamples) {
    const TransactionBody body = Parse(example);
    EXPECT_TRUE(body.chain_id().empty());
    EXPECT_EQ(TransactionBodyToJson(body), JoinLines(example));
    types.insert(TransactionBodyToJson(body).substr(0, 30));
  }
  EXPECT_EQ(types.size(), std::size(kApiExamples));
}

TEST(TxJsonTest, ProposeAgreementExampleIsTheSampleAgreement) {
  TransactionBody body = Parse(kApiExamples[0]);
  body.set_chain_id(testutil::kSampleChainId);
  ExpectSameBody(body, testutil::SampleProposeAgreement());
}

// The bodies of the examples serialise to the vectors tests/unit/proto/tx_test.cc freezes.
TEST(TxJsonTest, ExamplesSerialiseToTheFrozenWireVectors) {
  TransactionBody loan = Parse(kApiExamples[2]);
  loan.set_chain_id("colend-test-1");
  EXPECT_EQ(testutil::Hex(testutil::Serialize(loan)),
            "0a0d636f6c656e642d746573742d3112044c4541441a034c2d319a01620a0441472d3112034c2d31"
            "1a40396638366430383138383463376436353961326665616130633535616430313561336266346631"
            "6232623062383232636431356436633135623066303061303820"
            "80ea3028880e300c3a0a323032362d31312d3231");
  TransactionBody repayment = Parse(kApiExamples[4]);
  repayment.set_chain_id("colend-test-1");
  EXPECT_EQ(testutil::Hex(testutil::Serialize(repayment)),
            "0a0d636f6c656e642d746573742d3112044c4541441a03522d31aa01180a034c2d3110eb880418e05d"
            "2a0a323032362d31322d3231");
}

// --- Defaults, chain_id, field forms ------------------------------------------------------

TEST(TxJsonTest, OmittedOptionalFieldsTakeApiDefaults) {
  const TransactionBody agreement = Parse(
      R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-2","agreement_id":"AG-2",
          "currency":"CNY","shares":{"LEAD":10000}})");
  const proto::ProposeAgreement& a = agreement.propose_agreement();
  EXPECT_EQ(a.service_fee_bp(), 0u);
  EXPECT_EQ(a.disbursement(), proto::DISBURSEMENT_MODE_FRONTED);
  EXPECT_EQ(a.approval(), proto::APPROVAL_MODE_PREAPPROVED);
  EXPECT_TRUE(a.limits().empty());
  EXPECT_EQ(TransactionBodyToJson(agreement),
            R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-2","agreement_id":"AG-2",)"
            R"("currency":"CNY","shares":{"LEAD":10000},"service_fee_bp":0,)"
            R"("disbursement":"FRONTED","approval":"PREAPPROVED"})");

  const TransactionBody repayment = Parse(
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-2","loan_id":"L-1",
          "principal":"1","interest":"0","value_date":"2026-12-21"})");
  EXPECT_EQ(repayment.record_repayment().penalty(), 0);

  const TransactionBody confirm =
      Parse(R"({"type":"ConfirmSettlement","signer":"LEAD","id":"P-2","batch_id":"B-1"})");
  EXPECT_TRUE(confirm.confirm_settlement().payment_ref().empty());
  EXPECT_EQ(TransactionBodyToJson(confirm),
            R"({"type":"ConfirmSettlement","signer":"LEAD","id":"P-2","batch_id":"B-1"})");
}

TEST(TxJsonTest, NonDefaultEnumsAndLimits) {
  const TransactionBody body = Parse(
      R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-3","agreement_id":"AG-3",
          "currency":"CNY","shares":{"PARTNER_B":3000,"LEAD":2000,"PARTNER_A":5000},
          "disbursement":"DIRECT","approval":"PER_LOAN",
          "limits":{"PARTNER_B":{"max_outstanding":"5"},"PARTNER_A":{"max_outstanding":"7"}}})");
  EXPECT_EQ(body.propose_agreement().disbursement(), proto::DISBURSEMENT_MODE_DIRECT);
  EXPECT_EQ(body.propose_agreement().approval(), proto::APPROVAL_MODE_PER_LOAN);
  EXPECT_EQ(body.propose_agreement().limits().at("PARTNER_B").max_outstanding(), 5);
  // Map keys come out sorted whatever order they went in.
  EXPECT_EQ(
      TransactionBodyToJson(body),
      R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-3","agreement_id":"AG-3",)"
      R"("currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":5000,"PARTNER_B":3000},)"
      R"("service_fee_bp":0,"disbursement":"DIRECT","approval":"PER_LOAN",)"
      R"("limits":{"PARTNER_A":{"max_outstanding":"7"},"PARTNER_B":{"max_outstanding":"5"}}})");
  ExpectRoundTrip(body);
}

TEST(TxJsonTest, ChainIdIsOptionalAndPrintedAfterType) {
  const TransactionBody body = Parse(
      R"({"id":"ap-1","loan_id":"L-1","chain_id":"colend-test-1","signer":"PARTNER_A","type":"ApproveLoan"})");
  EXPECT_EQ(body.chain_id(), "colend-test-1");
  EXPECT_EQ(
      TransactionBodyToJson(body),
      R"({"type":"ApproveLoan","chain_id":"colend-test-1","signer":"PARTNER_A","id":"ap-1","loan_id":"L-1"})");
}

TEST(TxJsonTest, ExtremeNumbersAndAmounts) {
  const TransactionBody body = Parse(
      R"({"type":"AcknowledgeReport","signer":"LEAD","id":"K-2","counterparty":"PARTNER_A",
          "height":18446744073709551615,"report_sha256":
          "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"})");
  EXPECT_EQ(body.acknowledge_report().height(), 18446744073709551615u);
  // Hex is read in either case and printed in lower case.
  EXPECT_NE(TransactionBodyToJson(body).find("abcdef0123456789abcdef0123456789abcdef"),
            std::string::npos);
  ExpectRoundTrip(body);

  const TransactionBody loan = Parse(
      R"({"type":"OriginateLoan","signer":"LEAD","id":"L-9","agreement_id":"AG-1","loan_id":"L-9",
          "borrower_ref":"x","principal":"-9223372036854775808","annual_rate_bp":4294967295,
          "term_months":0,"value_date":""})");
  EXPECT_EQ(loan.originate_loan().principal(), INT64_MIN);
  EXPECT_EQ(loan.originate_loan().annual_rate_bp(), 4294967295u);
  ExpectRoundTrip(loan);
}

TEST(TxJsonTest, StringsWithEscapesAndUnicodeRoundTrip) {
  const TransactionBody body = Parse(
      R"({"type":"Reverse","signer":"LEAD","id":"V-\u0001","target_id":"R-\"1\"",
          "reason":"退款 \\ tab\t newline\n \ud83d\ude00 \u007f"})");
  EXPECT_EQ(body.id(), "V-\x01");
  EXPECT_EQ(body.reverse().target_id(), "R-\"1\"");
  EXPECT_EQ(body.reverse().reason(), "退款 \\ tab\t newline\n \xf0\x9f\x98\x80 \x7f");
  ExpectRoundTrip(body);
}

TEST(TxJsonTest, InvalidUtf8InABodyPrintsAsReplacementCharacters) {
  TransactionBody body;
  body.set_signer(
      "LE\xff"
      "AD");
  body.set_id("x");
  body.mutable_approve_loan()->set_loan_id("L\xc3");
  const TransactionBody parsed = Parse(TransactionBodyToJson(body));
  EXPECT_EQ(parsed.signer(),
            "LE\xef\xbf\xbd"
            "AD");
  EXPECT_EQ(parsed.approve_loan().loan_id(), "L\xef\xbf\xbd");
}

TEST(TxJsonTest, BodiesTheReaderRefusesStillPrint) {
  TransactionBody no_payload;
  no_payload.set_signer("LEAD");
  no_payload.set_id("x");
  EXPECT_EQ(TransactionBodyToJson(no_payload), R"({"signer":"LEAD","id":"x"})");

  TransactionBody odd_enum = testutil::SampleProposeAgreement();
  odd_enum.mutable_propose_agreement()->set_disbursement(static_cast<proto::DisbursementMode>(7));
  const std::string json = TransactionBodyToJson(odd_enum);
  EXPECT_NE(json.find(R"("disbursement":"7")"), std::string::npos) << json;
  ExpectRejected(json, R"(field "disbursement": expected one of "FRONTED", "DIRECT", got "7")");
}

// TransactionBodyJson is the object TransactionBodyToJson writes, member for member and in
// the same order, so a caller that embeds it (the node's getTransaction) need not parse text.
TEST(TxJsonTest, TheObjectFormIsTheTextForm) {
  std::vector<TransactionBody> bodies;
  for (std::string_view example : kApiExamples) bodies.push_back(Parse(example));
  bodies.push_back(Parse(
      R"({"type":"Reverse","signer":"LEAD","id":"V-\u0001","target_id":"R-\"1\"",
          "reason":"退款 \\ tab\t newline\n \ud83d\ude00 \u007f"})"));
  TransactionBody invalid_utf8;
  invalid_utf8.set_signer("LE\xff" "AD");
  invalid_utf8.set_id("x");
  invalid_utf8.mutable_approve_loan()->set_loan_id("L\xc3");
  bodies.push_back(invalid_utf8);
  TransactionBody no_payload;
  no_payload.set_signer("LEAD");
  bodies.push_back(no_payload);
  TransactionBody odd_enum = testutil::SampleProposeAgreement();
  odd_enum.mutable_propose_agreement()->set_disbursement(static_cast<proto::DisbursementMode>(7));
  bodies.push_back(odd_enum);
  for (const TransactionBody& body : bodies) {
    const std::string text = TransactionBodyToJson(body);
    EXPECT_EQ(boost::json::serialize(TransactionBodyJson(body)),
              boost::json::serialize(boost::json::parse(text)))
        << text;
  }
}

// --- Governance ---------------------------------------------------------------------------

class GovernanceJsonTest : public ::testing::TestWithParam<crypto::CryptoSuite> {};

INSTANTIATE_TEST_SUITE_P(BothSuites, GovernanceJsonTest,
                         ::testing::Values(crypto::CryptoSuite::Standard(),
                                           crypto::CryptoSuite::Sm()),
                         [](const auto& param_info) {
                           return std::string(param_info.param.name());
                         });

TEST_P(GovernanceJsonTest, AddMemberDerivesAndChecksKeyIds) {
  const crypto::PrivateKey key1 = NewKey(GetParam());
  const crypto::PrivateKey key2 = NewKey(GetParam());
  const std::string json =
      R"({"type":"GovernanceProposal","signer":"LEAD","id":"g-1","proposal_id":"P-1",)"
      R"("description":"admit B","action":{"type":"AddMember","member_id":"PARTNER_B",)"
      R"("legal_name":"Partner Bank B","client_keys":[{"public_key":)" +
      Quoted(PublicPem(key1)) + R"(},{"key_id":")" + key2.public_key().KeyIdHex() +
      R"(","public_key":)" + Quoted(PublicPem(key2)) + "}]}}";
  const TransactionBody body = Parse(json);
  const proto::AddMember& add = body.governance_proposal().add_member();
  ASSERT_EQ(add.client_keys_size(), 2);
  EXPECT_EQ(ToBytes(add.client_keys(0).key_id()), key1.public_key().key_id());
  EXPECT_EQ(ToBytes(add.client_keys(0).public_key()), key1.public_key().ToDer().value_or(Bytes()));
  EXPECT_EQ(ToBytes(add.client_keys(1).key_id()), key2.public_key().key_id());
  ExpectRoundTrip(body);

  std::string wrong_id = json;
  const std::string id2 = key2.public_key().KeyIdHex();
  wrong_id.replace(wrong_id.find(id2), id2.size(), key1.public_key().KeyIdHex());
  ExpectRejected(wrong_id,
                 R"(field "action.client_keys[1].key_id": does not match the public key)");
}

TEST_P(GovernanceJsonTest, EveryActionRoundTrips) {
  const crypto::PrivateKey key = NewKey(GetParam());
  const crypto::PrivateKey node_a = NewKey(GetParam());
  const crypto::PrivateKey node_b = NewKey(GetParam());
  const std::string head =
      R"({"type":"GovernanceProposal","signer":"LEAD","id":"g","proposal_id":"P","description":"d","action":)";
  const std::vector<std::string> actions = {
      R"({"type":"AddMember","member_id":"B","legal_name":"Bank B","client_keys":[{"public_key":)" +
          Quoted(PublicPem(key)) + "}]}",
      R"({"type":"SuspendMember","member_id":"B","reason":"licence withdrawn"})",
      R"({"type":"RotateKey","member_id":"LEAD","new_key":{"public_key":)" +
          Quoted(PublicPem(key)) + R"(},"retired_key_id":"000102030405060708090a0b0c0d0e0f"})",
      R"({"type":"RotateKey","member_id":"LEAD","retired_key_id":"000102030405060708090a0b0c0d0e0f"})",
      R"({"type":"RotateKey","member_id":"LEAD","new_key":{"public_key":)" +
          Quoted(PublicPem(key)) + "}}",
      R"({"type":"ChangeValidatorSet","validators":[{"node_id":"A-1","member_id":"A","public_key":)" +
          Quoted(PublicPem(node_a)) + R"(},{"node_id":"B-1","member_id":"B","public_key":)" +
          Quoted(PublicPem(node_b)) + "}]}",
      R"({"type":"SetNetworkRule","name":"min_funder_bp","value":3000})",
      R"({"type":"SetNetworkRule","name":"min_funder_bp","value":-9223372036854775808})",
      R"({"type":"RevokeCertificate","fingerprint":"3b5d5c3712955042212316173ccf37be800e95d44e1e0c3d4ee7c6b2d7ac8a7d","reason":"node key leaked"})",
  };
  std::set<int> covered;
  for (const std::string& action : actions) {
    const TransactionBody body = Parse(head + action + "}");
    covered.insert(body.governance_proposal().action_case());
    ExpectRoundTrip(body);
  }
  EXPECT_EQ(covered.size(),
            static_cast<std::size_t>(
                proto::GovernanceProposal::descriptor()->FindOneofByName("action")->field_count()));

  const TransactionBody rotate = Parse(head + actions[3] + "}");
  EXPECT_FALSE(rotate.governance_proposal().rotate_key().has_new_key());
  const TransactionBody validators = Parse(head + actions[5] + "}");
  EXPECT_EQ(
      ToBytes(validators.governance_proposal().change_validator_set().validators(1).public_key()),
      node_b.public_key().ToDer().value_or(Bytes()));
}

TEST(TxJsonTest, GovernanceVote) {
  const TransactionBody body = Parse(
      R"({"type":"GovernanceVote","signer":"PARTNER_A","id":"v-1","proposal_id":"P-1","choice":"REJECT"})");
  EXPECT_EQ(body.governance_vote().choice(), proto::VOTE_CHOICE_REJECT);
  EXPECT_EQ(
      TransactionBodyToJson(body),
      R"({"type":"GovernanceVote","signer":"PARTNER_A","id":"v-1","proposal_id":"P-1","choice":"REJECT"})");
  ExpectRejected(
      R"({"type":"GovernanceVote","signer":"PARTNER_A","id":"v-1","proposal_id":"P-1","choice":"approve"})",
      R"(field "choice": expected one of "APPROVE", "REJECT", got "approve")");
  ExpectRejected(R"({"type":"GovernanceVote","signer":"PARTNER_A","id":"v-1","proposal_id":"P-1"})",
                 R"(field "choice": required field is missing)");
}

TEST(TxJsonTest, GovernanceErrorsNameTheNestedField) {
  const std::string head =
      R"({"type":"GovernanceProposal","signer":"LEAD","id":"g","proposal_id":"P","description":"d")";
  ExpectRejected(head + "}", R"(field "action": required field is missing)");
  ExpectRejected(head + R"(,"action":[]})", R"(field "action": expected an object, got array)");
  ExpectRejected(
      head + R"(,"action":{"type":"Dissolve"}})",
      R"(field "action.type": expected a governance action such as "AddMember", got "Dissolve")");
  ExpectRejected(head + R"(,"action":{"type":"SuspendMember","member_id":"B","reason":"r","x":1}})",
                 R"(field "action.x": unknown field)");
  ExpectRejected(
      head +
          R"(,"action":{"type":"AddMember","member_id":"B","legal_name":"n","client_keys":[{"public_key":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}]}})",
      R"(field "action.client_keys[0].public_key": not a P-256 or SM2 public key)");
  ExpectRejected(
      head + R"(,"action":{"type":"AddMember","member_id":"B","legal_name":"n","client_keys":{}}})",
      R"(field "action.client_keys": expected an array, got object)");
  ExpectRejected(
      head + R"(,"action":{"type":"RotateKey","member_id":"B","retired_key_id":"0102"}})",
      R"(field "action.retired_key_id": expected a string of 32 hex digits, got "0102")");
  ExpectRejected(
      head + R"(,"action":{"type":"SetNetworkRule","name":"min_funder_bp","value":"3000"}})",
      R"(field "action.value": expected a 64-bit signed integer, got "3000")");
  ExpectRejected(
      head +
          R"(,"action":{"type":"SetNetworkRule","name":"min_funder_bp","value":9223372036854775808}})",
      R"(field "action.value": expected a 64-bit signed integer, got number 9223372036854775808)");
}

// --- Malformed input ----------------------------------------------------------------------

TEST(TxJsonTest, EachKindOfMalformedInputIsRefusedNamingTheField) {
  const std::string repayment =
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-1","loan_id":"L-1","interest":"1","value_date":"d",)";
  ExpectRejected(repayment + R"("principal":66667})",
                 R"(field "principal": expected a string of integer minor units, got number)");
  ExpectRejected(repayment + R"("principal":"8000.00"})",
                 R"(field "principal": expected a string of integer minor units, got "8000.00")");
  ExpectRejected(repayment + R"("principal":"007"})", R"(field "principal")");
  ExpectRejected(repayment + R"("principal":" 1"})", R"(field "principal")");
  ExpectRejected(repayment + R"("principal":"9223372036854775808"})", R"(field "principal")");
  ExpectRejected(repayment + R"("principal":null})",
                 R"(field "principal": expected a string of integer minor units, got null)");
  ExpectRejected(repayment + R"("principal":"1","principal":"2"})",
                 R"(field "principal": duplicate key)");
  ExpectRejected(repayment + R"("principal":"1","colour":"red"})",
                 R"(field "colour": unknown field)");
  ExpectRejected(repayment + R"("principal":"1","penalty":0})",
                 R"(field "penalty": expected a string of integer minor units, got number)");
  ExpectRejected(R"({"type":"ApproveLoan","signer":"LEAD","id":"x"})",
                 R"(field "loan_id": required field is missing)");
  ExpectRejected(R"({"type":"ApproveLoan","signer":7,"id":"x","loan_id":"L"})",
                 R"(field "signer": expected a string, got number)");
  ExpectRejected(R"({"type":"ApproveLoan","signer":"","id":"x","loan_id":"L"})",
                 R"(field "signer": must not be empty)");
  ExpectRejected(R"({"type":"ApproveLoan","signer":"LEAD","loan_id":"L"})",
                 R"(field "id": required field is missing)");
  ExpectRejected(R"({"signer":"LEAD","id":"x","loan_id":"L"})",
                 R"(field "type": required field is missing)");
  ExpectRejected(
      R"({"type":"ApproveLoans","signer":"LEAD","id":"x","loan_id":"L"})",
      R"(field "type": expected a transaction type such as "OriginateLoan", got "ApproveLoans")");
  ExpectRejected(R"({"type":"ApproveLoan","signer":"LEAD","id":"x","loan_id":"L","chain_id":null})",
                 R"(field "chain_id": expected a string, got null)");

  const std::string loan =
      R"({"type":"OriginateLoan","signer":"LEAD","id":"L-1","agreement_id":"A","loan_id":"L","borrower_ref":"b","principal":"1","value_date":"d","term_months":12,)";
  ExpectRejected(
      loan + R"("annual_rate_bp":-1})",
      R"(field "annual_rate_bp": expected a non-negative integer at most 4294967295, got number -1)");
  ExpectRejected(loan + R"("annual_rate_bp":-0})", R"(got number -0)");
  ExpectRejected(loan + R"("annual_rate_bp":4294967296})", R"(got number 4294967296)");
  ExpectRejected(loan + R"("annual_rate_bp":1800.0})", R"(got number 1800.0)");
  ExpectRejected(loan + R"("annual_rate_bp":18e2})", R"(got number 18e2)");
  ExpectRejected(loan + R"("annual_rate_bp":"1800"})", R"(got "1800")");
  ExpectRejected(loan + R"("annual_rate_bp":true})", R"(got boolean)");

  const std::string ack =
      R"({"type":"AcknowledgeReport","signer":"LEAD","id":"K","counterparty":"P","height":1,)";
  ExpectRejected(ack + R"("report_sha256":"..."})",
                 R"(field "report_sha256": expected a string of 64 hex digits, got "...")");
  ExpectRejected(ack + R"("report_sha256":"5a5a"})", R"(field "report_sha256")");
  ExpectRejected(
      R"({"type":"AcknowledgeReport","signer":"LEAD","id":"K","counterparty":"P","height":18446744073709551616,"report_sha256":"5a"})",
      R"(field "height": expected a non-negative integer at most 18446744073709551615, got number 18446744073709551616)");

  const std::string agreement =
      R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag","agreement_id":"A","currency":"CNY",)";
  ExpectRejected(agreement + R"("shares":{"LEAD":2000,"LEAD":8000}})",
                 R"(field "shares.LEAD": duplicate key)");
  ExpectRejected(agreement + R"("shares":{"LEAD":"2000"}})",
                 R"(field "shares.LEAD": expected a non-negative integer)");
  ExpectRejected(agreement + R"("shares":[]})", R"(field "shares": expected an object, got array)");
  ExpectRejected(agreement + R"("shares":{},"disbursement":"fronted"})",
                 R"(field "disbursement": expected one of "FRONTED", "DIRECT", got "fronted")");
  ExpectRejected(agreement + R"("shares":{},"approval":1})",
                 R"(field "approval": expected one of "PREAPPROVED", "PER_LOAN", got number 1)");
  ExpectRejected(agreement + R"("shares":{},"limits":{"B":{"max_outstanding":"1","max":"2"}}})",
                 R"(field "limits.B.max": unknown field)");
  ExpectRejected(
      agreement + R"("shares":{},"limits":{"B":{"max_outstanding":1}}})",
      R"(field "limits.B.max_outstanding": expected a string of integer minor units, got number)");
  ExpectRejected(agreement + R"("shares":{},"limits":{"B":{}}})",
                 R"(field "limits.B.max_outstanding": required field is missing)");
}

TEST(TxJsonTest, DocumentLevelErrors) {
  const std::string ok = R"({"type":"ApproveLoan","signer":"LEAD","id":"x","loan_id":"L"})";
  ASSERT_TRUE(TransactionBodyFromJson(ok).ok());
  EXPECT_TRUE(TransactionBodyFromJson(" \n\t" + ok + "\r\n ").ok());
  ExpectRejected(ok + "x", "invalid JSON");
  ExpectRejected(ok + ok, "invalid JSON");
  ExpectRejected(ok + ",", "invalid JSON");
  ExpectRejected(ok.substr(0, ok.size() - 1), "invalid JSON");
  ExpectRejected("", "invalid JSON");
  ExpectRejected("   ", "invalid JSON");
  ExpectRejected("[" + ok + "]", "a transaction is a JSON object, got array");
  ExpectRejected(R"("ApproveLoan")", "a transaction is a JSON object, got string");
  ExpectRejected("null", "a transaction is a JSON object, got null");
  ExpectRejected(R"({"type":"ApproveLoan","signer":"LEAD","id":"x","loan_id":"L",})",
                 "invalid JSON");
  ExpectRejected(R"({"type":"ApproveLoan",/*c*/"signer":"LEAD","id":"x","loan_id":"L"})",
                 "invalid JSON");
  ExpectRejected(R"({'type':'ApproveLoan'})", "invalid JSON");
  ExpectRejected("{\"type\":\"ApproveLoan\",\"signer\":\"LE\xff\",\"id\":\"x\",\"loan_id\":\"L\"}",
                 "invalid JSON");
  ExpectRejected(R"({"type":"ApproveLoan","signer":"\ud800","id":"x","loan_id":"L"})",
                 "invalid JSON");
  ExpectRejected(std::string(kMaxTransactionJsonBytes + 1, ' '), "at most");
}

TEST(TxJsonTest, DeepNestingIsRefusedWithoutCrashing) {
  for (const std::size_t depth : {17u, 1000u, 100000u}) {
    const std::string arrays = std::string(depth, '[') + std::string(depth, ']');
    ExpectRejected(arrays, "invalid JSON");
    std::string objects;
    for (std::size_t i = 0; i < depth; ++i) objects += R"({"a":)";
    objects += "1" + std::string(depth, '}');
    ExpectRejected(objects, "invalid JSON");
    ExpectRejected(R"({"type":"ApproveLoan","signer":"LEAD","id":"x","loan_id":)" + arrays + "}",
                   "invalid JSON");
  }
}

// Random bytes, and random edits of valid transactions (byte changes, insertions, deletions,
// truncation): the reader returns ok or InvalidArgument, never anything else, and whatever it
// accepts prints back to JSON that parses to the same body.
TEST(TxJsonTest, RandomAndMutatedInputNeverCrashes) {
  std::mt19937 rng(20261121);
  std::vector<std::string> seeds;
  for (std::string_view example : kApiExamples) seeds.push_back(JoinLines(example));
  constexpr std::string_view kAlphabet = "{}[]\":,0123456789-.eE+ \\u\nabcdnulltruefalse";
  int accepted = 0;
  for (int round = 0; round < 6000; ++round) {
    std::string input;
    if (round % 4 == 0) {
      input.resize(rng() % 200);
      for (char& c : input) c = static_cast<char>(rng());
    } else {
      input = seeds[rng() % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !input.empty(); ++e) {
        const std::size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0:
            input[at] = kAlphabet[rng() % kAlphabet.size()];
            break;
          case 1:
            input.insert(at, 1, kAlphabet[rng() % kAlphabet.size()]);
            break;
          case 2:
            input.erase(at, 1 + rng() % 8);
            break;
          default:
            input.resize(at);
            break;
        }
      }
    }
    Result<TransactionBody> body = TransactionBodyFromJson(input);
    if (!body.ok()) {
      EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument) << input;
      continue;
    }
    ++accepted;
    ExpectRoundTrip(*body);
  }
  EXPECT_GT(accepted, 0);  // the edits sometimes keep a valid transaction (a changed digit)
}

TEST(TxJsonTest, EveryPayloadTypeHasAJsonForm) {
  std::set<int> covered;
  for (std::string_view example : kApiExamples) covered.insert(Parse(example).payload_case());
  covered.insert(Parse(R"({"type":"SuspendAgreement","signer":"P","id":"s","agreement_id":"A"})")
                     .payload_case());
  covered.insert(
      Parse(
          R"({"type":"GovernanceVote","signer":"P","id":"v","proposal_id":"X","choice":"APPROVE"})")
          .payload_case());
  covered.insert(
      Parse(
          R"({"type":"GovernanceProposal","signer":"P","id":"g","proposal_id":"X","description":"",)"
          R"("action":{"type":"SetNetworkRule","name":"min_funder_bp","value":0}})")
          .payload_case());
  EXPECT_EQ(covered.size(),
            static_cast<std::size_t>(
                TransactionBody::descriptor()->FindOneofByName("payload")->field_count()));
}

}  // namespace
}  // namespace colend::contracts
