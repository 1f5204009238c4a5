// The settlement contract's rules one by one: approvals, disbursement modes, limits, the
// network minimum share, the PII guard, authorisation and duplicates, reconciliation
// acknowledgements. Each rejection is checked for its stable code.
#include <gtest/gtest.h>

#include <string>

#include "books_test_util.h"
#include "colend/contracts/apply.h"
#include "colend/contracts/memory_state.h"
#include "colend/contracts/records.h"
#include "colend/contracts/replay.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"

namespace colend::contracts {
namespace {

using testing::Chain;
using testing::Str;

std::string Agreement(const std::string& id, const std::string& shares, const std::string& extra = "") {
  return R"({"type":"ProposeAgreement","signer":"LEAD","id":")" + id + R"(","agreement_id":")" + id +
         R"(","currency":"CNY","shares":)" + shares + extra + "}";
}

std::string Accept(const std::string& bank, const std::string& agreement) {
  return R"({"type":"AcceptAgreement","signer":")" + bank + R"(","id":"acc-)" + agreement +
         R"(","agreement_id":")" + agreement + R"("})";
}

std::string Loan(const std::string& id, const std::string& agreement, const std::string& principal,
                 const std::string& signer = "LEAD") {
  return R"({"type":"OriginateLoan","signer":")" + signer + R"(","id":")" + id +
         R"(","agreement_id":")" + agreement + R"(","loan_id":")" + id +
         R"(","borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
         R"("principal":")" + principal + R"(","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
}

TEST(RulesTest, SharesMustNameTheLeadBePositiveAndSumToWhole) {
  Chain chain;
  EXPECT_EQ(chain.Tx(Agreement("A1", R"({"PARTNER_A":10000})")), "BAD_SHARES");
  EXPECT_EQ(chain.Tx(Agreement("A2", R"({"LEAD":2000,"PARTNER_A":7000})")), "BAD_SHARES");
  EXPECT_EQ(chain.Tx(Agreement("A3", R"({"LEAD":0,"PARTNER_A":10000})")), "BAD_SHARES");
  EXPECT_EQ(chain.Tx(Agreement("A4", R"({"LEAD":2000,"NOBODY":8000})")), "BAD_SHARES");
  EXPECT_EQ(chain.Tx(Agreement("A5", R"({"LEAD":2000,"PARTNER_A":8000})")), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"ProposeAgreement","signer":"LEAD","id":"A5b","agreement_id":"A5","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})"),
            "AGREEMENT_EXISTS");
  EXPECT_EQ(chain.Tx(Agreement("A6", R"({"LEAD":2000,"PARTNER_A":8000})", R"(,"currency2":1)")), "MALFORMED");
  EXPECT_EQ(chain.Tx(R"({"type":"ProposeAgreement","signer":"LEAD","id":"A7","agreement_id":"A7","currency":"cny","shares":{"LEAD":2000,"PARTNER_A":8000}})"),
            "BAD_FIELD");
  EXPECT_EQ(chain.Tx(Accept("PARTNER_B", "A5")), "NOT_A_PARTY");
  EXPECT_EQ(chain.Tx(Accept("PARTNER_A", "NONE")), "NO_AGREEMENT");
  EXPECT_EQ(chain.Tx(Accept("LEAD", "A5")), "ALREADY_ACCEPTED");
}

TEST(RulesTest, OnlyTheLeadOriginatesUnderAnActiveAgreement) {
  Chain chain;
  ASSERT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":8000})")), "ok");
  EXPECT_EQ(chain.Tx(Loan("L1", "AG", "1000")), "AGREEMENT_NOT_ACTIVE");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_A", "AG")), "ok");
  EXPECT_EQ(chain.Tx(Loan("L2", "AG", "1000", "PARTNER_A")), "NOT_LEAD");
  EXPECT_EQ(chain.Tx(Loan("L3", "NOPE", "1000")), "NO_AGREEMENT");
  EXPECT_EQ(chain.Tx(Loan("L4", "AG", "0")), "BAD_AMOUNT");
  EXPECT_EQ(chain.Tx(Loan("L5", "AG", "-5")), "BAD_AMOUNT");
  EXPECT_EQ(chain.Tx(Loan("L6", "AG", "1000")), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"OriginateLoan","signer":"LEAD","id":"L6b","agreement_id":"AG","loan_id":"L6",)"
                     R"("borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
                     R"("principal":"1","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})"),
            "LOAN_EXISTS");
  // Suspension stops new loans; existing loans are still serviced.
  ASSERT_EQ(chain.Tx(R"({"type":"SuspendAgreement","signer":"PARTNER_A","id":"s","agreement_id":"AG"})"), "ok");
  EXPECT_EQ(chain.Tx(Loan("L7", "AG", "1000")), "AGREEMENT_NOT_ACTIVE");
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R","loan_id":"L6","principal":"1000","interest":"5","value_date":"2026-12-01"})"),
            "ok");
}

TEST(RulesTest, PerLoanApprovalActivatesWhenEveryPartnerApproved) {
  Chain chain;
  ASSERT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":4000,"PARTNER_B":4000})",
                               R"(,"approval":"PER_LOAN")")), "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_A", "AG")), "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_B", "AG")), "ok");
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", "100000")), "ok");
  EXPECT_EQ(chain.LoanStatus("L1"), "PENDING_APPROVAL");
  EXPECT_TRUE(chain.Position("LEAD", "PARTNER_A").empty());  // nothing funded yet
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R0","loan_id":"L1","principal":"1","interest":"0","value_date":"2026-12-01"})"),
            "LOAN_NOT_ACTIVE");
  EXPECT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"LEAD","id":"ap0","loan_id":"L1"})"), "NOT_A_PARTY");
  EXPECT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"PARTNER_C","id":"ap1","loan_id":"L1"})"), "NOT_A_PARTY");
  EXPECT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"ap2","loan_id":"L1"})"), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"ap3","loan_id":"L1"})"), "ALREADY_APPROVED");
  EXPECT_EQ(chain.LoanStatus("L1"), "PENDING_APPROVAL");
  EXPECT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"PARTNER_B","id":"ap4","loan_id":"L1"})"), "ok");
  EXPECT_EQ(chain.LoanStatus("L1"), "ACTIVE");
  EXPECT_EQ(Str(chain.Position("LEAD", "PARTNER_A")["net_a_owes_b"]), "-40000");
  EXPECT_EQ(Str(chain.Position("LEAD", "PARTNER_B")["net_a_owes_b"]), "-40000");
  EXPECT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"PARTNER_B","id":"ap5","loan_id":"L1"})"), "NOT_PENDING_APPROVAL");
}

TEST(RulesTest, PartnerLimitBindsNewLoansOnly) {
  Chain chain;
  ASSERT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":8000})",
                               R"(,"limits":{"PARTNER_A":{"max_outstanding":"800000"}})")), "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_A", "AG")), "ok");
  EXPECT_EQ(chain.Tx(Loan("L1", "AG", "900000")), "ok");  // PARTNER_A 720000
  EXPECT_EQ(chain.Tx(Loan("L2", "AG", "100001")), "LIMIT_EXCEEDED");  // 720000 + 80001
  EXPECT_EQ(chain.Tx(Loan("L3", "AG", "100000")), "ok");  // exactly 800000
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R1","loan_id":"L1","principal":"500000","interest":"0","value_date":"2026-12-01"})"),
            "ok");  // frees 400000 of PARTNER_A's room
  EXPECT_EQ(chain.Tx(Loan("L4", "AG", "500000")), "ok");
  // The repayment bounced: its reversal records the fact although it puts PARTNER_A
  // 400000 above its limit (1200000 outstanding).
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V1","target_id":"R1","reason":"bounced"})"),
            "ok");
  EXPECT_EQ(Str(chain.Leg("L1", "PARTNER_A")["outstanding"]), "720000");
  EXPECT_EQ(chain.Tx(Loan("L6", "AG", "100")), "LIMIT_EXCEEDED");
  EXPECT_NE(chain.LastMessage().find("already 400000 above it"), std::string::npos)
      << chain.LastMessage();
}

// The example a user met: a bounced repayment's reversal was refused LIMIT_EXCEEDED, so the
// chain kept saying the money had arrived. 20/80, PARTNER_A's limit 7,000,000.
//   L1 8,750,000: LEAD 1,750,000, PARTNER_A 7,000,000 (at its limit).
//   R1 repays principal 75,145 by outstanding 1,750,000 : 7,000,000 = 1 : 4:
//     PARTNER_A 60,116, LEAD 15,029; PARTNER_A 6,939,884 outstanding.
//   L2 75,145: PARTNER_A floor(75,145 * 8000 / 10000) = 60,116 -> 7,000,000 again.
//   V1 reverses R1: PARTNER_A 7,060,116, 60,116 above its limit. Accepted; the principal
//   the lead passed on to PARTNER_A is taken back: LEAD owes PARTNER_A funding -7,060,116
//   and nothing else.
TEST(RulesTest, BouncedRepaymentIsReversedAboveTheLimit) {
  Chain chain;
  ASSERT_EQ(chain.Tx(Agreement("AG-1", R"({"LEAD":2000,"PARTNER_A":8000})",
                               R"(,"limits":{"PARTNER_A":{"max_outstanding":"7000000"}})")), "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_A", "AG-1")), "ok");
  ASSERT_EQ(chain.Tx(Loan("L1", "AG-1", "8750000")), "ok");
  ASSERT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R1","loan_id":"L1","principal":"75145","interest":"0","value_date":"2026-12-01"})"),
            "ok");
  EXPECT_EQ(Str(chain.Leg("L1", "PARTNER_A")["outstanding"]), "6939884");
  EXPECT_EQ(Str(chain.Leg("L1", "LEAD")["outstanding"]), "1734971");
  ASSERT_EQ(chain.Tx(Loan("L2", "AG-1", "75145")), "ok");
  EXPECT_EQ(Str(chain.Leg("L2", "PARTNER_A")["share"]), "60116");
  EXPECT_TRUE(chain.Books()["over_limit"].as_array().empty());

  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V1","target_id":"R1","reason":"bounced direct debit"})"),
            "ok");
  EXPECT_EQ(Str(chain.Leg("L1", "PARTNER_A")["outstanding"]), "7000000");
  EXPECT_EQ(Str(chain.Leg("L1", "LEAD")["outstanding"]), "1750000");
  auto position = chain.Position("LEAD", "PARTNER_A");
  EXPECT_EQ(Str(position["net_a_owes_b"]), "-7060116");
  EXPECT_EQ(position["components"].as_object().size(), 1u);  // funding only
  auto over = chain.Books()["over_limit"].as_array();
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(Str(over[0].at("agreement_id")), "AG-1");
  EXPECT_EQ(Str(over[0].at("bank")), "PARTNER_A");
  EXPECT_EQ(Str(over[0].at("currency")), "CNY");
  EXPECT_EQ(Str(over[0].at("outstanding")), "7060116");
  EXPECT_EQ(Str(over[0].at("max_outstanding")), "7000000");
  EXPECT_EQ(Str(over[0].at("excess")), "60116");

  // New loans needing PARTNER_A's share are refused until it is back under its limit.
  EXPECT_EQ(chain.Tx(Loan("L3", "AG-1", "100")), "LIMIT_EXCEEDED");
  EXPECT_EQ(chain.LastMessage(),
            "PARTNER_A would have 7060196 outstanding under agreement AG-1, above its limit of "
            "7000000 (it is already 60116 above it)");
  // Repaying L2 in full brings PARTNER_A back to exactly its limit: still no room.
  ASSERT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R2","loan_id":"L2","principal":"75145","interest":"0","value_date":"2026-12-02"})"),
            "ok");
  EXPECT_TRUE(chain.Books()["over_limit"].as_array().empty());
  EXPECT_EQ(chain.Tx(Loan("L4", "AG-1", "100")), "LIMIT_EXCEEDED");
  // 125,000 repaid on L1 frees PARTNER_A 100,000: a 125,000 loan fits exactly.
  ASSERT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R3","loan_id":"L1","principal":"125000","interest":"0","value_date":"2026-12-03"})"),
            "ok");
  EXPECT_EQ(chain.Tx(Loan("L5", "AG-1", "125000")), "ok");
  EXPECT_EQ(Str(chain.Leg("L5", "PARTNER_A")["share"]), "100000");
}

// A recovery, its reversal and a charge-off never meet a limit: they move loss, not
// outstanding, or lower the outstanding.
TEST(RulesTest, RecoveriesAndChargeOffsAreNeverRefusedByALimit) {
  Chain chain;
  ASSERT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":8000})",
                               R"(,"limits":{"PARTNER_A":{"max_outstanding":"80000"}})")), "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_A", "AG")), "ok");
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", "100000")), "ok");  // PARTNER_A at its limit
  ASSERT_EQ(chain.Tx(R"({"type":"ChargeOff","signer":"LEAD","id":"C1","loan_id":"L1","value_date":"2026-12-01"})"), "ok");
  EXPECT_EQ(chain.Tx(Loan("L2", "AG", "100000")), "ok");  // the charge-off freed the room
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRecovery","signer":"LEAD","id":"RC1","loan_id":"L1","amount":"50000","value_date":"2026-12-02"})"), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V1","target_id":"RC1","reason":"bounced"})"), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRecovery","signer":"LEAD","id":"RC2","loan_id":"L1","amount":"100000","value_date":"2026-12-03"})"), "ok");
}

TEST(RulesTest, NetworkMinimumShareApplies) {
  Chain chain({"LEAD", "PARTNER_A", "PARTNER_B"}, 3000);
  EXPECT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":8000})")), "BELOW_MIN_SHARE");
  EXPECT_EQ(chain.Tx(Agreement("AG2", R"({"LEAD":3000,"PARTNER_A":7000})")), "ok");
}

TEST(RulesTest, PersonalDataIsRejected) {
  Chain chain;
  ASSERT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":8000})")), "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_A", "AG")), "ok");
  // A borrower reference that is not a keyed hash, loan ids that are phone or id numbers.
  EXPECT_EQ(chain.Tx(R"({"type":"OriginateLoan","signer":"LEAD","id":"X1","agreement_id":"AG","loan_id":"X1",)"
                     R"("borrower_ref":"Zhang San","principal":"1000","annual_rate_bp":1,"term_months":1,"value_date":"2026-11-21"})"),
            "PII_REJECTED");
  EXPECT_EQ(chain.Tx(Loan("13812345678", "AG", "1000")), "PII_REJECTED");
  EXPECT_EQ(chain.Tx(Loan("11010519491231002X", "AG", "1000")), "PII_REJECTED");
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", "1000")), "ok");
  ASSERT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R1","loan_id":"L1","principal":"10","interest":"0","value_date":"2026-12-01"})"), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V1","target_id":"R1","reason":"card 6222 0212 3456 7890 bounced"})"),
            "PII_REJECTED");
  EXPECT_NE(chain.LastMessage().find("card number"), std::string::npos) << chain.LastMessage();
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V2","target_id":"R1","reason":"call 138-1234-5678"})"),
            "PII_REJECTED");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V3","target_id":"R1","reason":"bounced on 2026-12-02, ref 12345"})"),
            "ok");
}

TEST(RulesTest, DuplicatesUnknownSignersAndOtherChainsChangeNothing) {
  Chain chain;
  ASSERT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":8000})")), "ok");
  const crypto::Digest root = chain.replayer().StateRoot();
  EXPECT_EQ(chain.Tx(Agreement("AG", R"({"LEAD":2000,"PARTNER_A":8000})")), "DUPLICATE");
  EXPECT_EQ(chain.Tx(R"({"type":"AcceptAgreement","signer":"MALLORY","id":"m","agreement_id":"AG"})"), "UNKNOWN_SIGNER");
  EXPECT_EQ(chain.Tx(R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"w","chain_id":"other","agreement_id":"AG"})"),
            "WRONG_CHAIN");
  EXPECT_EQ(chain.Tx(R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"bad/id","agreement_id":"AG"})"), "BAD_FIELD");
  EXPECT_EQ(chain.replayer().StateRoot(), root);  // none of these left a trace
}

TEST(RulesTest, SignedTransactionsMustUseARegisteredKeyOfTheSigner) {
  auto key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard());
  ASSERT_TRUE(key.ok());
  auto der = key->public_key().ToDer();
  ASSERT_TRUE(der.ok());
  InitialState initial;
  proto::ClientKey client_key;
  client_key.set_key_id(ToString(key->public_key().key_id()));
  client_key.set_public_key(ToString(*der));
  initial.members.push_back({"LEAD", "Lead Bank", {client_key}, 0});
  initial.members.push_back({"PARTNER_A", "Partner A", {}, 0});
  MemoryState state(crypto::HashAlgorithm::kSha256);
  state.Commit(*BuildInitialState(initial));
  proto::TransactionBody body;
  body.set_chain_id("c");
  body.set_signer("LEAD");
  body.set_id("x");
  body.mutable_suspend_agreement()->set_agreement_id("AG");
  const Bytes hash(32, 1);
  BlockContext ctx{"c", crypto::CryptoSuite::Standard(), 1, 0};
  StateView view(&state);
  const Bytes wrong_key(16, 7);
  ExecutableTx tx{&body, hash, Authentication::kVerifiedKey, wrong_key, 0};
  auto receipt = Apply(tx, view, ctx);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(receipt->code(), "BAD_SIGNATURE");
  EXPECT_EQ(view.write_count(), 0u);
  tx.key_id = key->public_key().key_id();
  receipt = Apply(tx, view, ctx);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(receipt->code(), "NO_AGREEMENT");  // authenticated; the contract ran
  // PARTNER_A has no key at all: nothing it "signs" is accepted.
  body.set_signer("PARTNER_A");
  receipt = Apply(tx, view, ctx);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(receipt->code(), "BAD_SIGNATURE");
}

TEST(RulesTest, ReportAcknowledgementsAgreeOnlyOnTheSameHash) {
  Chain chain;
  const std::string h1(64, 'a'), h2(64, 'b');
  auto ack = [&](const std::string& signer, const std::string& id, const std::string& other,
                 int height, const std::string& hash) {
    return chain.Tx(R"({"type":"AcknowledgeReport","signer":")" + signer + R"(","id":")" + id +
                    R"(","counterparty":")" + other + R"(","height":)" + std::to_string(height) +
                    R"(,"report_sha256":")" + hash + R"("})");
  };
  EXPECT_EQ(ack("LEAD", "k0", "LEAD", 1, h1), "NOT_COUNTERPARTY");
  EXPECT_EQ(ack("LEAD", "k1", "PARTNER_A", 999, h1), "REPORT_HEIGHT");
  EXPECT_EQ(ack("LEAD", "k2", "PARTNER_A", 1, h1), "ok");
  EXPECT_EQ(ack("LEAD", "k3", "PARTNER_A", 1, h2), "REPORT_MISMATCH");
  EXPECT_EQ(ack("PARTNER_A", "k4", "LEAD", 1, h1), "ok");
  auto record = ReadRecord<proto::ReportAckRecord>(chain.replayer().state(), keys::Ack("LEAD", "PARTNER_A", 1));
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_TRUE((*record)->agreed());
}

}  // namespace
}  // namespace colend::contracts
