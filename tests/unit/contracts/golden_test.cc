// Golden scenarios, each worked by hand in its comments from the rules of docs/domain.md; the test
// checks the books colend-replay would print, to the cent.
#include <gtest/gtest.h>

#include "books_test_util.h"

namespace colend::contracts {
namespace {

using testing::Chain;
using testing::Str;

constexpr char kAgreement2080[] =
    R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-1","agreement_id":"AG-1","currency":"CNY",)"
    R"("shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500,"disbursement":"FRONTED",)"
    R"("approval":"PREAPPROVED","limits":{"PARTNER_A":{"max_outstanding":"100000000000"}}})";
constexpr char kAccept[] =
    R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"acc-1","agreement_id":"AG-1"})";
constexpr char kLoan1[] =
    R"({"type":"OriginateLoan","signer":"LEAD","id":"L-1","agreement_id":"AG-1","loan_id":"L-1",)"
    R"("borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
    R"("principal":"800000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
constexpr char kRepay1[] =
    R"({"type":"RecordRepayment","signer":"LEAD","id":"R-1","loan_id":"L-1","principal":"66667",)"
    R"("interest":"12000","penalty":"0","value_date":"2026-12-21"})";

// The example of docs/api.md: 8,000.00 CNY at 20/80, fee 15 %.
//   Origination: LEAD 160000, PARTNER_A 640000; FRONTED, so PARTNER_A owes LEAD 640000
//   (funding; as "LEAD owes PARTNER_A": -640000).
//   Repayment 66667 principal by outstanding 160000:640000 (W = 800000):
//     LEAD 66667*160000/800000 = 13333.4 -> 13333 (remainder 320000)
//     PARTNER_A 66667*640000/800000 = 53333.6 -> 53333 (remainder 480000) +1 = 53334
//   Interest 12000 -> 2400 / 9600; fee = floor(9600 * 1500 / 10000) = 1440.
//   Outstanding 146667 / 586666. Position LEAD->PARTNER_A: funding -640000, principal 53334,
//   interest 9600, service_fee -1440; net -578506.
TEST(GoldenTest, ApiExample2080WithRepaymentAndFee) {
  Chain chain;
  EXPECT_EQ(chain.Tx(kAgreement2080), "ok");
  EXPECT_EQ(chain.Tx(kAccept), "ok");
  EXPECT_EQ(chain.Tx(kLoan1), "ok");
  EXPECT_EQ(Str(chain.Leg("L-1", "LEAD")["share"]), "160000");
  EXPECT_EQ(Str(chain.Leg("L-1", "PARTNER_A")["share"]), "640000");
  EXPECT_EQ(chain.Tx(kRepay1), "ok");

  auto books = chain.Books();
  auto loan = books["loans"].as_object()["L-1"].as_object();
  EXPECT_EQ(Str(loan["status"]), "ACTIVE");
  EXPECT_EQ(Str(loan["principal"]), "800000");
  EXPECT_EQ(Str(chain.Leg("L-1", "LEAD")["outstanding"]), "146667");
  EXPECT_EQ(Str(chain.Leg("L-1", "PARTNER_A")["outstanding"]), "586666");

  auto position = chain.Position("LEAD", "PARTNER_A");
  EXPECT_EQ(Str(position["net_a_owes_b"]), "-578506");
  auto components = position["components"].as_object();
  EXPECT_EQ(components.size(), 4u);
  EXPECT_EQ(Str(components["funding"]), "-640000");
  EXPECT_EQ(Str(components["principal"]), "53334");
  EXPECT_EQ(Str(components["interest"]), "9600");
  EXPECT_EQ(Str(components["service_fee"]), "-1440");
  // Zero components (penalty) are omitted; receipts in order, no code on acceptance.
  auto receipts = books["receipts"].as_array();
  ASSERT_EQ(receipts.size(), 4u);
  EXPECT_EQ(Str(receipts[3].as_object()["id"]), "R-1");
  EXPECT_EQ(Str(receipts[3].as_object()["status"]), "ok");
  EXPECT_FALSE(receipts[3].as_object().contains("code"));
}

// Three banks, shares 2000/4000/4000, principal 1.01 CNY (101):
//   exact 20.2 / 40.4 / 40.4 -> floors 20/40/40 (sum 100); remainders 2000/4000/4000;
//   the one cent left goes to the largest remainder; PARTNER_A and PARTNER_B tie and
//   neither is the lead, so bank id ascending: PARTNER_A. Shares 20 / 41 / 40.
// Repayment principal 51, interest 7, penalty 3 by outstanding 20/41/40 (W = 101):
//   principal: 51*20=1020 -> 10 r10; 51*41=2091 -> 20 r71; 51*40=2040 -> 20 r20;
//              floors 50, +1 to PARTNER_A (r71): 10 / 21 / 20.
//   interest:  7*20=140 -> 1 r39; 7*41=287 -> 2 r85; 7*40=280 -> 2 r78; floors 5,
//              +1 PARTNER_A, +1 PARTNER_B: 1 / 3 / 3.
//   penalty:   3*20=60 -> 0 r60; 3*41=123 -> 1 r22; 3*40=120 -> 1 r19; floors 2,
//              +1 LEAD (r60): 1 / 1 / 1.
//   fee 50 %:  PARTNER_A floor(3*5000/10000) = 1; PARTNER_B 1.
//   Outstanding 10 / 20 / 20. DIRECT disbursement: no funding postings.
//   LEAD->PARTNER_A: principal 21, interest 3, penalty 1, service_fee -1: net 24.
//   LEAD->PARTNER_B: principal 20, interest 3, penalty 1, service_fee -1: net 23.
TEST(GoldenTest, ThreeWaySplitWithRemainders) {
  Chain chain;
  EXPECT_EQ(chain.Tx(R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag","agreement_id":"AG-3",)"
                     R"("currency":"CNY","shares":{"PARTNER_B":4000,"LEAD":2000,"PARTNER_A":4000},)"
                     R"("service_fee_bp":5000,"disbursement":"DIRECT"})"),
            "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"a","agreement_id":"AG-3"})"), "ok");
  // Not active until every party accepted.
  EXPECT_EQ(chain.Tx(R"({"type":"OriginateLoan","signer":"LEAD","id":"x","agreement_id":"AG-3","loan_id":"X",)"
                     R"("borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
                     R"("principal":"101","annual_rate_bp":1000,"term_months":6,"value_date":"2026-11-01"})"),
            "AGREEMENT_NOT_ACTIVE");
  EXPECT_EQ(chain.Tx(R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a","agreement_id":"AG-3"})"), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"OriginateLoan","signer":"LEAD","id":"L-3","agreement_id":"AG-3","loan_id":"L-3",)"
                     R"("borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
                     R"("principal":"101","annual_rate_bp":1000,"term_months":6,"value_date":"2026-11-01"})"),
            "ok");
  EXPECT_EQ(Str(chain.Leg("L-3", "LEAD")["share"]), "20");
  EXPECT_EQ(Str(chain.Leg("L-3", "PARTNER_A")["share"]), "41");
  EXPECT_EQ(Str(chain.Leg("L-3", "PARTNER_B")["share"]), "40");
  auto books = chain.Books();
  EXPECT_TRUE(books["positions"].as_array().empty());  // DIRECT: no funding

  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R-3","loan_id":"L-3",)"
                     R"("principal":"51","interest":"7","penalty":"3","value_date":"2026-12-01"})"),
            "ok");
  EXPECT_EQ(Str(chain.Leg("L-3", "LEAD")["outstanding"]), "10");
  EXPECT_EQ(Str(chain.Leg("L-3", "PARTNER_A")["outstanding"]), "20");
  EXPECT_EQ(Str(chain.Leg("L-3", "PARTNER_B")["outstanding"]), "20");

  auto a = chain.Position("LEAD", "PARTNER_A");
  EXPECT_EQ(Str(a["net_a_owes_b"]), "24");
  EXPECT_EQ(Str(a["components"].as_object()["principal"]), "21");
  EXPECT_EQ(Str(a["components"].as_object()["interest"]), "3");
  EXPECT_EQ(Str(a["components"].as_object()["penalty"]), "1");
  EXPECT_EQ(Str(a["components"].as_object()["service_fee"]), "-1");
  auto b = chain.Position("LEAD", "PARTNER_B");
  EXPECT_EQ(Str(b["net_a_owes_b"]), "23");
  EXPECT_EQ(Str(b["components"].as_object()["principal"]), "20");
  EXPECT_EQ(Str(b["components"].as_object()["interest"]), "3");
  EXPECT_EQ(Str(b["components"].as_object()["penalty"]), "1");
  EXPECT_EQ(Str(b["components"].as_object()["service_fee"]), "-1");

  // Repaying the whole rest (50) pays each bank exactly its own outstanding: 10/20/20.
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R-4","loan_id":"L-3",)"
                     R"("principal":"50","interest":"0","value_date":"2026-12-02"})"),
            "ok");
  EXPECT_EQ(chain.LoanStatus("L-3"), "REPAID");
  EXPECT_EQ(Str(chain.Position("LEAD", "PARTNER_A")["components"].as_object()["principal"]), "41");
  EXPECT_EQ(Str(chain.Position("LEAD", "PARTNER_B")["components"].as_object()["principal"]), "40");
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R-5","loan_id":"L-3",)"
                     R"("principal":"1","interest":"0","value_date":"2026-12-03"})"),
            "LOAN_NOT_ACTIVE");
}

// A reversal restores outstanding and posts exact compensating entries; a second one, a
// reversal of a non-event, of someone else's event or of nothing is rejected.
TEST(GoldenTest, ReversalNetsToZero) {
  Chain chain;
  for (const char* tx : {kAgreement2080, kAccept, kLoan1, kRepay1}) ASSERT_EQ(chain.Tx(tx), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"PARTNER_A","id":"V-0","target_id":"R-1","reason":"x"})"),
            "NO_EVENT");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-1","target_id":"R-1","reason":"bounced direct debit"})"),
            "ok");
  EXPECT_EQ(Str(chain.Leg("L-1", "LEAD")["outstanding"]), "160000");
  EXPECT_EQ(Str(chain.Leg("L-1", "PARTNER_A")["outstanding"]), "640000");
  auto position = chain.Position("LEAD", "PARTNER_A");
  EXPECT_EQ(Str(position["net_a_owes_b"]), "-640000");
  EXPECT_EQ(position["components"].as_object().size(), 1u);  // only funding is left
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-2","target_id":"R-1","reason":"again"})"),
            "NOT_REVERSIBLE");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-3","target_id":"L-1","reason":"no"})"),
            "NOT_REVERSIBLE");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-4","target_id":"V-1","reason":"no"})"),
            "NOT_REVERSIBLE");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-5","target_id":"NOPE","reason":"no"})"),
            "NO_EVENT");
}

// Charge-off moves outstanding (146667 / 586666 after R-1) into losses with no cash
// between banks. Recovery 1000 split by losses (W = 733333):
//   LEAD 1000*146667 = 146667000 = 200*733333 + 400        -> 200 r400
//   PARTNER_A 1000*586666 = 586666000 = 799*733333 + 732933 -> 799 r732933, +1 = 800
// LEAD owes PARTNER_A 800 (recovery). Open loss 732333; 732334 more is an overpayment.
TEST(GoldenTest, ChargeOffAndRecovery) {
  Chain chain;
  for (const char* tx : {kAgreement2080, kAccept, kLoan1, kRepay1}) ASSERT_EQ(chain.Tx(tx), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-0","loan_id":"L-1","amount":"1","value_date":"2027-05-01"})"),
            "LOAN_NOT_CHARGED_OFF");
  EXPECT_EQ(chain.Tx(R"({"type":"ChargeOff","signer":"PARTNER_A","id":"C-0","loan_id":"L-1","value_date":"2027-04-01"})"),
            "NOT_LEAD");
  const auto before = chain.Position("LEAD", "PARTNER_A");
  EXPECT_EQ(chain.Tx(R"({"type":"ChargeOff","signer":"LEAD","id":"C-1","loan_id":"L-1","value_date":"2027-04-01"})"),
            "ok");
  EXPECT_EQ(chain.LoanStatus("L-1"), "CHARGED_OFF");
  EXPECT_EQ(Str(chain.Leg("L-1", "LEAD")["outstanding"]), "0");
  EXPECT_EQ(Str(chain.Leg("L-1", "PARTNER_A")["outstanding"]), "0");
  EXPECT_EQ(chain.Position("LEAD", "PARTNER_A"), before);  // no cash between banks

  EXPECT_EQ(chain.Tx(R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-1","loan_id":"L-1","amount":"1000","value_date":"2027-05-01"})"),
            "ok");
  auto position = chain.Position("LEAD", "PARTNER_A");
  EXPECT_EQ(Str(position["components"].as_object()["recovery"]), "800");
  EXPECT_EQ(Str(position["net_a_owes_b"]), "-577706");  // -578506 + 800

  EXPECT_EQ(chain.Tx(R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-2","loan_id":"L-1","amount":"732334","value_date":"2027-05-02"})"),
            "OVERPAYMENT");
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R-9","loan_id":"L-1","principal":"1","interest":"0","value_date":"2027-05-02"})"),
            "LOAN_NOT_ACTIVE");
  // A charged-off loan's repayment is never reversed; its recovery can be.
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-1","target_id":"R-1","reason":"late bounce"})"),
            "NOT_REVERSIBLE");
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-2","target_id":"RC-1","reason":"cheque bounced"})"),
            "ok");
  EXPECT_EQ(chain.Position("LEAD", "PARTNER_A"), before);
  // The whole open loss can now be recovered again, exactly.
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-3","loan_id":"L-1","amount":"733333","value_date":"2027-06-01"})"),
            "ok");
  EXPECT_EQ(Str(chain.Position("LEAD", "PARTNER_A")["components"].as_object()["recovery"]), "586666");
}

// Principal above the outstanding is rejected OVERPAYMENT and changes nothing but the
// record of its (signer, id); a retry of the same id is DUPLICATE.
TEST(GoldenTest, OverpaymentRejectedChangesNothing) {
  Chain chain;
  for (const char* tx : {kAgreement2080, kAccept, kLoan1}) ASSERT_EQ(chain.Tx(tx), "ok");
  const std::string before = [&] {
    auto b = chain.Books();
    b.erase("height");
    b.erase("state_root");
    b.erase("receipts");
    return boost::json::serialize(b);
  }();
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R-1","loan_id":"L-1",)"
                     R"("principal":"800001","interest":"0","value_date":"2026-12-21"})"),
            "OVERPAYMENT");
  EXPECT_NE(chain.LastMessage().find("800000"), std::string::npos) << chain.LastMessage();
  auto after = chain.Books();
  after.erase("height");
  after.erase("state_root");
  after.erase("receipts");
  EXPECT_EQ(boost::json::serialize(after), before);
  // The id is spent even though the transaction was rejected.
  EXPECT_EQ(chain.Tx(kRepay1), "DUPLICATE");
  EXPECT_EQ(chain.Tx(R"({"type":"RecordRepayment","signer":"LEAD","id":"R-2","loan_id":"L-1",)"
                     R"("principal":"800000","interest":"0","value_date":"2026-12-21"})"),
            "ok");
  EXPECT_EQ(chain.LoanStatus("L-1"), "REPAID");
}

// Settlement: a cut-off takes the value dates on or before it. Funding (2026-11-21) goes
// into batch 1 with net -640000 (PARTNER_A pays LEAD); the repayment (2026-12-21) stays.
TEST(GoldenTest, SettlementCutoffAndConfirmation) {
  Chain chain;
  for (const char* tx : {kAgreement2080, kAccept, kLoan1, kRepay1}) ASSERT_EQ(chain.Tx(tx), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"CloseSettlement","signer":"PARTNER_B","id":"S-0","counterparty":"LEAD","cutoff":"2026-11-30"})"),
            "NOTHING_TO_SETTLE");
  EXPECT_EQ(chain.Tx(R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2026-11-30"})"),
            "ok");
  auto books = chain.Books();
  auto settlements = books["settlements"].as_array();
  ASSERT_EQ(settlements.size(), 1u);
  auto batch = settlements[0].as_object();
  EXPECT_EQ(Str(batch["a"]), "LEAD");
  EXPECT_EQ(Str(batch["b"]), "PARTNER_A");
  EXPECT_EQ(Str(batch["currency"]), "CNY");
  EXPECT_EQ(Str(batch["net_a_owes_b"]), "-640000");
  EXPECT_EQ(Str(batch["batch_id"]), "LEAD/PARTNER_A/CNY/1");
  EXPECT_EQ(Str(batch["status"]), "CLOSED");
  auto left = chain.Position("LEAD", "PARTNER_A");
  EXPECT_EQ(Str(left["net_a_owes_b"]), "61494");  // 53334 + 9600 - 1440
  EXPECT_FALSE(left["components"].as_object().contains("funding"));
  EXPECT_EQ(chain.Tx(R"({"type":"CloseSettlement","signer":"LEAD","id":"S-2","counterparty":"PARTNER_A","cutoff":"2026-11-30"})"),
            "NOTHING_TO_SETTLE");

  // The receiver cannot confirm before the payer paid; the payer must give a reference.
  EXPECT_EQ(chain.Tx(R"({"type":"ConfirmSettlement","signer":"LEAD","id":"P-0","batch_id":"LEAD/PARTNER_A/CNY/1"})"),
            "BATCH_STATE");
  EXPECT_EQ(chain.Tx(R"({"type":"ConfirmSettlement","signer":"PARTNER_A","id":"P-1","batch_id":"LEAD/PARTNER_A/CNY/1"})"),
            "BAD_FIELD");
  EXPECT_EQ(chain.Tx(R"({"type":"ConfirmSettlement","signer":"PARTNER_A","id":"P-2","batch_id":"LEAD/PARTNER_A/CNY/1","payment_ref":"CNAPS-123"})"),
            "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"ConfirmSettlement","signer":"PARTNER_B","id":"P-3","batch_id":"LEAD/PARTNER_A/CNY/1"})"),
            "NOT_COUNTERPARTY");
  EXPECT_EQ(chain.Tx(R"({"type":"ConfirmSettlement","signer":"LEAD","id":"P-4","batch_id":"LEAD/PARTNER_A/CNY/1"})"),
            "ok");
  books = chain.Books();
  EXPECT_EQ(Str(books["settlements"].as_array()[0].as_object()["status"]), "CONFIRMED");

  // Reversing the repayment after its value date's batch... its date is still unsettled,
  // so the position simply returns to zero and a later cut-off has nothing to settle.
  EXPECT_EQ(chain.Tx(R"({"type":"Reverse","signer":"LEAD","id":"V-1","target_id":"R-1","reason":"bounced"})"), "ok");
  EXPECT_TRUE(chain.Position("LEAD", "PARTNER_A").empty());
  EXPECT_EQ(chain.Tx(R"({"type":"CloseSettlement","signer":"LEAD","id":"S-3","counterparty":"PARTNER_A","cutoff":"2027-01-31"})"),
            "ok");  // the day still holds postings that net to zero: a zero batch
  books = chain.Books();
  auto zero = books["settlements"].as_array()[1].as_object();
  EXPECT_EQ(Str(zero["net_a_owes_b"]), "0");
  EXPECT_EQ(Str(zero["status"]), "CONFIRMED");
}

}  // namespace
}  // namespace colend::contracts
