// A transaction that can only fail for reasons of its own gets a rejection receipt, never a
// fault that would halt the node (docs/style.md rule 4): every rejection code a transaction
// can earn, including amounts that would overflow, fed through the contracts' executor
// (Apply, as the node and colend-replay run it). The last test checks that every code of
// error_code.h was met, so a new code needs a case here.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "books_test_util.h"
#include "colend/contracts/apply.h"
#include "colend/contracts/error_code.h"
#include "colend/contracts/memory_state.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/suite.h"

namespace colend::contracts {
namespace {

using testing::Chain;

constexpr char kRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kMax = std::to_string(std::numeric_limits<std::int64_t>::max());

// Every code a case below produced (a receipt, never "FAULT").
std::set<std::string>& Seen() {
  static std::set<std::string> seen;
  return seen;
}

// Applies `json` and expects the rejection `code` as a receipt.
void ExpectReceipt(Chain& chain, const std::string& json, const std::string& code) {
  const std::string got = chain.Tx(json);
  EXPECT_NE(got, "FAULT") << json;
  EXPECT_EQ(got, code) << json << "\n" << chain.LastMessage();
  if (got == code) Seen().insert(code);
}

std::string Propose(const std::string& id, const std::string& shares,
                    const std::string& extra = "") {
  return R"({"type":"ProposeAgreement","signer":"LEAD","id":")" + id + R"(","agreement_id":")" +
         id + R"(","currency":"CNY","shares":)" + shares + extra + "}";
}

std::string Accept(const std::string& bank, const std::string& agreement,
                   const std::string& id = "") {
  return R"({"type":"AcceptAgreement","signer":")" + bank + R"(","id":")" +
         (id.empty() ? "acc-" + agreement : id) + R"(","agreement_id":")" + agreement + R"("})";
}

std::string Loan(const std::string& id, const std::string& agreement, const std::string& principal,
                 const std::string& signer = "LEAD", const std::string& loan_id = "") {
  return R"({"type":"OriginateLoan","signer":")" + signer + R"(","id":")" + id +
         R"(","agreement_id":")" + agreement + R"(","loan_id":")" +
         (loan_id.empty() ? id : loan_id) + R"(","borrower_ref":")" +
         kRef + R"(","principal":")" + principal +
         R"(","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
}

std::string Repay(const std::string& id, const std::string& loan, const std::string& principal,
                  const std::string& interest, const std::string& penalty = "0") {
  return R"({"type":"RecordRepayment","signer":"LEAD","id":")" + id + R"(","loan_id":")" + loan +
         R"(","principal":")" + principal + R"(","interest":")" + interest +
         R"(","penalty":")" + penalty + R"(","value_date":"2026-12-01"})";
}

std::string Proposal(const std::string& id, const std::string& action,
                     const std::string& proposal_id = "") {
  return R"({"type":"GovernanceProposal","signer":"LEAD","id":")" + id + R"(","proposal_id":")" +
         (proposal_id.empty() ? id : proposal_id) + R"(","description":"x","action":)" + action +
         "}";
}

// A chain with an active 20/80 agreement AG between LEAD and PARTNER_A.
Chain WithAgreement() {
  Chain chain;
  EXPECT_EQ(chain.Tx(Propose("AG", R"({"LEAD":2000,"PARTNER_A":8000})")), "ok");
  EXPECT_EQ(chain.Tx(Accept("PARTNER_A", "AG")), "ok");
  return chain;
}

void EnvelopeAndAuthorisationFailuresAreReceipts() {
  Chain chain = WithAgreement();
  ExpectReceipt(chain, "not json at all", "MALFORMED");
  ExpectReceipt(chain, R"({"type":"AcceptAgreement","signer":"LEAD","id":"x","agreement_id":"AG","extra":1})",
                "MALFORMED");
  ExpectReceipt(chain, R"({"type":"AcceptAgreement","signer":"LEAD","id":"bad/id","agreement_id":"AG"})",
                "BAD_FIELD");
  ExpectReceipt(chain, R"({"type":"AcceptAgreement","signer":"LEAD","id":"w","chain_id":"other","agreement_id":"AG"})",
                "WRONG_CHAIN");
  ExpectReceipt(chain, R"({"type":"AcceptAgreement","signer":"MALLORY","id":"m","agreement_id":"AG"})",
                "UNKNOWN_SIGNER");
  ExpectReceipt(chain, Propose("AG", R"({"LEAD":2000,"PARTNER_A":8000})"), "DUPLICATE");
  ExpectReceipt(chain, Loan("13812345678", "AG", "1000"), "PII_REJECTED");
}

void ASignatureThatDoesNotVerifyIsAReceipt() {
  InitialState initial;
  initial.members.push_back({"LEAD", "Lead Bank", {}, 0});
  MemoryState state(crypto::HashAlgorithm::kSha256);
  state.Commit(BuildInitialState(initial).value());
  proto::TransactionBody body;
  body.set_chain_id("c");
  body.set_signer("LEAD");
  body.set_id("x");
  body.mutable_suspend_agreement()->set_agreement_id("AG");
  const Bytes hash(32, 1);
  const Bytes key_id(16, 7);
  StateView view(&state);
  for (Authentication auth : {Authentication::kVerifiedKey, Authentication::kSignatureInvalid}) {
    ExecutableTx tx{&body, hash, auth, key_id, 0};
    Result<proto::Receipt> receipt = Apply(tx, view, BlockContext{"c", crypto::CryptoSuite::Standard(), 1, 0});
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    EXPECT_EQ(receipt->code(), "BAD_SIGNATURE");
    Seen().insert(receipt->code());
  }
}

void AgreementFailuresAreReceipts() {
  Chain chain = WithAgreement();
  ExpectReceipt(chain, Propose("AG", R"({"LEAD":2000,"PARTNER_A":8000})", R"(,"currency2":1)"),
                "MALFORMED");
  ExpectReceipt(chain, R"({"type":"ProposeAgreement","signer":"LEAD","id":"AG-dup","agreement_id":"AG","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})",
                "AGREEMENT_EXISTS");
  ExpectReceipt(chain, Propose("A2", R"({"LEAD":2000,"PARTNER_A":7000})"), "BAD_SHARES");
  ExpectReceipt(chain, Accept("PARTNER_A", "NONE"), "NO_AGREEMENT");
  ExpectReceipt(chain, Accept("PARTNER_B", "AG"), "NOT_A_PARTY");
  ExpectReceipt(chain, Accept("PARTNER_A", "AG", "again"), "ALREADY_ACCEPTED");
  ExpectReceipt(chain, Loan("L0", "AG", "1000", "PARTNER_A"), "NOT_LEAD");
  ASSERT_EQ(chain.Tx(Propose("AG2", R"({"LEAD":5000,"PARTNER_B":5000})")), "ok");
  ExpectReceipt(chain, Loan("L1", "AG2", "1000"), "AGREEMENT_NOT_ACTIVE");
}

void LoanAndServicingFailuresAreReceipts() {
  Chain chain = WithAgreement();
  ExpectReceipt(chain, Loan("L0", "AG", "0"), "BAD_AMOUNT");
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", "100000")), "ok");
  ExpectReceipt(chain, Loan("L1b", "AG", "100", "LEAD", "L1"), "LOAN_EXISTS");
  ExpectReceipt(chain, Repay("R0", "NOPE", "1", "0"), "NO_LOAN");
  ExpectReceipt(chain, Repay("R1", "L1", "100001", "0"), "OVERPAYMENT");
  ExpectReceipt(chain, R"({"type":"RecordRecovery","signer":"LEAD","id":"C0","loan_id":"L1","amount":"5","value_date":"2026-12-01"})",
                "LOAN_NOT_CHARGED_OFF");
  ExpectReceipt(chain, R"({"type":"Reverse","signer":"LEAD","id":"V0","target_id":"nothing","reason":"x"})",
                "NO_EVENT");
  ExpectReceipt(chain, R"({"type":"Reverse","signer":"LEAD","id":"V1","target_id":"L1","reason":"x"})",
                "NOT_REVERSIBLE");
  ExpectReceipt(chain, R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"ap","loan_id":"L1"})",
                "NOT_PENDING_APPROVAL");
  ASSERT_EQ(chain.Tx(R"({"type":"ChargeOff","signer":"LEAD","id":"co","loan_id":"L1","value_date":"2026-12-01"})"),
            "ok");
  ExpectReceipt(chain, Repay("R2", "L1", "1", "0"), "LOAN_NOT_ACTIVE");

  // Per-loan approval, a limit and the network minimum share.
  ASSERT_EQ(chain.Tx(Propose("PL", R"({"LEAD":2000,"PARTNER_B":8000})",
                             R"(,"approval":"PER_LOAN","limits":{"PARTNER_B":{"max_outstanding":"800"}})")),
            "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_B", "PL")), "ok");
  ExpectReceipt(chain, Loan("L2", "PL", "1001"), "LIMIT_EXCEEDED");
  ASSERT_EQ(chain.Tx(Loan("L3", "PL", "1000")), "ok");
  ASSERT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"PARTNER_B","id":"ap1","loan_id":"L3"})"), "ok");
  ExpectReceipt(chain, R"({"type":"ApproveLoan","signer":"PARTNER_B","id":"ap2","loan_id":"L3"})",
                "NOT_PENDING_APPROVAL");
  ExpectReceipt(chain, Loan("L4", "PL", "2"), "LIMIT_EXCEEDED");  // PARTNER_B is at 800
  Chain small({"LEAD", "PARTNER_A"}, 3000);
  ASSERT_EQ(small.Tx(Propose("AG", R"({"LEAD":5000,"PARTNER_A":5000})")), "ok");
  ASSERT_EQ(small.Tx(Accept("PARTNER_A", "AG")), "ok");
  ExpectReceipt(small, Propose("AG2", R"({"LEAD":8000,"PARTNER_A":2000})"), "BELOW_MIN_SHARE");
}

void ApprovalsTwiceAreReceipts() {
  Chain chain;
  ASSERT_EQ(chain.Tx(Propose("PL", R"({"LEAD":2000,"PARTNER_A":4000,"PARTNER_B":4000})",
                             R"(,"approval":"PER_LOAN")")),
            "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_A", "PL")), "ok");
  ASSERT_EQ(chain.Tx(Accept("PARTNER_B", "PL")), "ok");
  ASSERT_EQ(chain.Tx(Loan("L1", "PL", "1000")), "ok");
  ASSERT_EQ(chain.Tx(R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"a1","loan_id":"L1"})"), "ok");
  ExpectReceipt(chain, R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"a2","loan_id":"L1"})",
                "ALREADY_APPROVED");
}

// Sums beyond 2^63 - 1 are the transaction's fault: BAD_AMOUNT, and nothing changes.
void AmountsThatWouldOverflowAreReceipts() {
  Chain chain = WithAgreement();
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", kMax)), "ok");
  const crypto::Digest root = chain.replayer().StateRoot();
  ExpectReceipt(chain, Loan("L2", "AG", kMax), "BAD_AMOUNT");  // each party's exposure
  ASSERT_EQ(chain.Tx(Repay("R1", "L1", "0", kMax, kMax)), "ok");
  ExpectReceipt(chain, Repay("R2", "L1", "0", kMax), "BAD_AMOUNT");  // the position's interest
  EXPECT_NE(chain.LastMessage().find("amounts would overflow"), std::string::npos)
      << chain.LastMessage();
  ExpectReceipt(chain, Propose("AG9", R"({"LEAD":2000,"PARTNER_A":8000})",
                               R"(,"limits":{"PARTNER_A":{"max_outstanding":"-1"}})"),
                "BAD_AMOUNT");
  EXPECT_NE(chain.replayer().StateRoot(), root);  // R1 was booked
}

// Each component of a position may fit while their net does not: what getBooks,
// getPositions and a settlement batch carry is the net, so such a posting is refused too.
void ANetPositionBeyond64BitsIsRefused() {
  Chain chain = WithAgreement();
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", "1000000")), "ok");
  const boost::json::object before = chain.Position("LEAD", "PARTNER_A");
  ASSERT_FALSE(before.empty());
  // PARTNER_A's parts: interest and penalty of about 7.4e18 each, each within 64 bits; the
  // net of LEAD towards PARTNER_A would be about 1.5e19.
  ExpectReceipt(chain, Repay("R1", "L1", "0", kMax, kMax), "BAD_AMOUNT");
  EXPECT_NE(chain.LastMessage().find("the net position of LEAD towards PARTNER_A in CNY"),
            std::string::npos)
      << chain.LastMessage();
  EXPECT_EQ(chain.Position("LEAD", "PARTNER_A"), before);  // the books read as before
}

// A cut-off's batch and what stays unsettled are summed in 128 bits: only they must fit,
// not the running sum. Days +F, -F, -F (a total of -F): a cut-off after the second day
// settles 0 and leaves -F, which the day-by-day subtraction used to overflow on (-F - F);
// a cut-off after the first would leave -2F, which no record can hold: refused.
void ACutOffIsRefusedOnlyWhenItsResultDoesNotFit() {
  Chain chain = WithAgreement();
  ASSERT_EQ(
      chain.Tx(
          R"({"type":"ProposeAgreement","signer":"PARTNER_A","id":"AGR","agreement_id":"AGR","currency":"CNY","shares":{"PARTNER_A":2000,"LEAD":8000}})"),
      "ok");
  ASSERT_EQ(chain.Tx(Accept("LEAD", "AGR")), "ok");
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", "1000000")), "ok");
  ASSERT_EQ(chain.Tx(Loan("L2", "AGR", "1000000", "PARTNER_A")), "ok");
  auto repay = [](const std::string& signer, const std::string& id, const std::string& loan,
                  const std::string& date) {
    // 7.5e18 of interest; the partner's 80 % part, F = 6e18, fits, and so does -F.
    return R"({"type":"RecordRepayment","signer":")" + signer + R"(","id":")" + id +
           R"(","loan_id":")" + loan +
           R"(","principal":"0","interest":"7500000000000000000","penalty":"0","value_date":")" +
           date + R"("})";
  };
  ASSERT_EQ(chain.Tx(repay("LEAD", "R1", "L1", "2026-12-01")), "ok");       // +F
  ASSERT_EQ(chain.Tx(repay("PARTNER_A", "R2", "L2", "2026-12-02")), "ok");  // -F
  ASSERT_EQ(chain.Tx(repay("PARTNER_A", "R3", "L2", "2026-12-03")), "ok");  // -F
  auto close = [](const std::string& id, const std::string& cutoff) {
    return R"({"type":"CloseSettlement","signer":"LEAD","id":")" + id +
           R"(","counterparty":"PARTNER_A","cutoff":")" + cutoff + R"("})";
  };
  const boost::json::object before = chain.Position("LEAD", "PARTNER_A");
  ExpectReceipt(chain, close("S1", "2026-12-01"), "BAD_AMOUNT");
  EXPECT_NE(chain.LastMessage().find("choose another cut-off"), std::string::npos)
      << chain.LastMessage();
  EXPECT_EQ(chain.Position("LEAD", "PARTNER_A"), before);
  ASSERT_EQ(chain.Tx(close("S2", "2026-12-02")), "ok") << chain.LastMessage();
  const boost::json::object position = chain.Position("LEAD", "PARTNER_A");
  ASSERT_FALSE(position.empty());
  EXPECT_EQ(position.at("net_a_owes_b"), boost::json::value("-6000000000000000000"))
      << boost::json::serialize(position);
}

void SettlementFailuresAreReceipts() {
  Chain chain = WithAgreement();
  const std::string close = R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S1","counterparty":"LEAD","cutoff":"2026-12-31"})";
  ExpectReceipt(chain, close, "NOTHING_TO_SETTLE");
  ExpectReceipt(chain, R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S0","counterparty":"PARTNER_A","cutoff":"2026-12-31"})",
                "NOT_COUNTERPARTY");
  ExpectReceipt(chain, R"({"type":"ConfirmSettlement","signer":"PARTNER_A","id":"P0","batch_id":"LEAD/PARTNER_A/CNY/9","payment_ref":"r"})",
                "NO_BATCH");
  ASSERT_EQ(chain.Tx(Loan("L1", "AG", "1000")), "ok");
  ASSERT_EQ(chain.Tx(R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S2","counterparty":"LEAD","cutoff":"2026-12-31"})"),
            "ok");
  ExpectReceipt(chain, R"({"type":"ConfirmSettlement","signer":"LEAD","id":"P1","batch_id":"LEAD/PARTNER_A/CNY/1","payment_ref":""})",
                "BATCH_STATE");  // the payer is PARTNER_A; LEAD cannot confirm before it pays
  const std::string h1(64, 'a'), h2(64, 'b');
  auto ack = [&](const std::string& id, int height, const std::string& hash) {
    return R"({"type":"AcknowledgeReport","signer":"LEAD","id":")" + id +
           R"(","counterparty":"PARTNER_A","height":)" + std::to_string(height) +
           R"(,"report_sha256":")" + hash + R"("})";
  };
  ExpectReceipt(chain, ack("k0", 999, h1), "REPORT_HEIGHT");
  ASSERT_EQ(chain.Tx(ack("k1", 1, h1)), "ok");
  ExpectReceipt(chain, ack("k2", 1, h2), "REPORT_MISMATCH");
}

void GovernanceFailuresAreReceipts() {
  Chain chain;
  ExpectReceipt(chain, Proposal("P0", R"({"type":"AddMember","member_id":"LEAD","legal_name":"x","client_keys":[]})"),
                "MEMBER_EXISTS");
  ExpectReceipt(chain, Proposal("P1", R"({"type":"SuspendMember","member_id":"NOBODY","reason":"x"})"),
                "NO_MEMBER");
  ExpectReceipt(chain, Proposal("P2", R"({"type":"SetNetworkRule","name":"max_rate","value":1})"),
                "UNKNOWN_RULE");
  ExpectReceipt(chain, Proposal("P3", R"({"type":"ChangeValidatorSet","validators":[]})"),
                "BAD_VALIDATOR_SET");
  ExpectReceipt(chain, Proposal("P4", R"({"type":"AddMember","member_id":"NEW","legal_name":"New Bank","client_keys":[]})"),
                "BAD_KEY");
  ASSERT_EQ(chain.Tx(Proposal("P5", R"({"type":"SetNetworkRule","name":"min_funder_bp","value":100})")),
            "ok");
  ExpectReceipt(chain,
                Proposal("P5b", R"({"type":"SetNetworkRule","name":"min_funder_bp","value":100})",
                         "P5"),
                "PROPOSAL_EXISTS");
  auto vote = [](const std::string& signer, const std::string& id, const std::string& proposal) {
    return R"({"type":"GovernanceVote","signer":")" + signer + R"(","id":")" + id +
           R"(","proposal_id":")" + proposal + R"(","choice":"APPROVE"})";
  };
  ExpectReceipt(chain, vote("LEAD", "v0", "NONE"), "NO_PROPOSAL");
  ASSERT_EQ(chain.Tx(vote("LEAD", "v1", "P5")), "ok");
  ExpectReceipt(chain, vote("LEAD", "v2", "P5"), "ALREADY_VOTED");
  ASSERT_EQ(chain.Tx(vote("PARTNER_A", "v3", "P5")), "ok");
  ASSERT_EQ(chain.Tx(vote("PARTNER_B", "v4", "P5")), "ok");
  ExpectReceipt(chain, vote("PARTNER_C", "v5", "P5"), "PROPOSAL_CLOSED");
  const std::string fingerprint(64, 'c');
  const std::string revoke = R"({"type":"RevokeCertificate","fingerprint":")" + fingerprint +
                             R"(","reason":"leaked"})";
  ASSERT_EQ(chain.Tx(Proposal("P6", revoke)), "ok");
  for (const char* m : {"LEAD", "PARTNER_A", "PARTNER_B"}) {
    ASSERT_EQ(chain.Tx(vote(m, std::string("r-") + m, "P6")), "ok");
  }
  ExpectReceipt(chain, Proposal("P7", revoke), "ALREADY_REVOKED");
}

TEST(RejectionTest, EnvelopeAndAuthorisationFailuresAreReceipts) {
  EnvelopeAndAuthorisationFailuresAreReceipts();
}
TEST(RejectionTest, ASignatureThatDoesNotVerifyIsAReceipt) {
  ASignatureThatDoesNotVerifyIsAReceipt();
}
TEST(RejectionTest, AgreementFailuresAreReceipts) {
  AgreementFailuresAreReceipts();
}
TEST(RejectionTest, LoanAndServicingFailuresAreReceipts) {
  LoanAndServicingFailuresAreReceipts();
}
TEST(RejectionTest, ApprovalsTwiceAreReceipts) {
  ApprovalsTwiceAreReceipts();
}
TEST(RejectionTest, AmountsThatWouldOverflowAreReceipts) {
  AmountsThatWouldOverflowAreReceipts();
}
TEST(RejectionTest, ANetPositionBeyond64BitsIsRefused) {
  ANetPositionBeyond64BitsIsRefused();
}
TEST(RejectionTest, ACutOffIsRefusedOnlyWhenItsResultDoesNotFit) {
  ACutOffIsRefusedOnlyWhenItsResultDoesNotFit();
}
TEST(RejectionTest, SettlementFailuresAreReceipts) {
  SettlementFailuresAreReceipts();
}
TEST(RejectionTest, GovernanceFailuresAreReceipts) {
  GovernanceFailuresAreReceipts();
}

// Every code of error_code.h is earned as a receipt by some case above.
TEST(RejectionTest, EveryRejectionCodeHasACase) {
  Seen().clear();
  EnvelopeAndAuthorisationFailuresAreReceipts();
  ASignatureThatDoesNotVerifyIsAReceipt();
  AgreementFailuresAreReceipts();
  LoanAndServicingFailuresAreReceipts();
  ApprovalsTwiceAreReceipts();
  AmountsThatWouldOverflowAreReceipts();
  SettlementFailuresAreReceipts();
  GovernanceFailuresAreReceipts();
  for (int c = 0; c <= static_cast<int>(ErrorCode::kAlreadyRevoked); ++c) {
    const std::string name(ErrorCodeName(static_cast<ErrorCode>(c)));
    EXPECT_TRUE(Seen().contains(name)) << name << " has no case in rejection_test.cc";
  }
}

}  // namespace
}  // namespace colend::contracts
