// colend-export's loan book without a node or a database: loans kept from their events as the
// contract changes them (tools/export/loan_book.h), and every event that does not fit the
// loan refused rather than written.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "block_sql.h"
#include "loan_book.h"

namespace colend::exporter {
namespace {

// A 20/80 loan of 100,000 LEAD leads with PARTNER_A, as OriginatedLoans gives it.
LoanRow Loan(const std::string& status = "ACTIVE", bool partner_approved = true) {
  LoanRow l;
  l.loan_id = "L-1";
  l.lead = "LEAD";
  l.principal = 100000;
  l.status = status;
  l.legs = {{"LEAD", 2000, 20000, 20000, 0, 0, true},
            {"PARTNER_A", 8000, 80000, 80000, 0, 0, partner_approved}};
  return l;
}

EventRow Event(const std::string& type, const std::string& id, std::int64_t lead_part = 0,
               std::int64_t partner_part = 0, bool recovery = false) {
  EventRow e;
  e.type = type;
  e.signer = type == "ApproveLoan" ? "PARTNER_A" : "LEAD";
  e.tx_id = id;
  e.accepted = true;
  e.loan_id = "L-1";
  if (lead_part != 0 || partner_part != 0) {
    e.deltas = {{"LEAD", recovery ? 0 : lead_part, recovery ? lead_part : 0},
                {"PARTNER_A", recovery ? 0 : partner_part, recovery ? partner_part : 0}};
  }
  return e;
}

class LoanBookTest : public ::testing::Test {
 protected:
  Status Apply(const EventRow& e, const EventRow* target = nullptr) {
    return ApplyLoanEvent(e, ++height_, target, &loans_);
  }
  const LoanRow& loan() { return loans_.at("L-1"); }

  std::map<std::string, LoanRow> loans_;
  std::uint64_t height_ = 10;
};

TEST_F(LoanBookTest, APerLoanApprovalActivatesWhenEveryLegApproved) {
  loans_["L-1"] = Loan("PENDING_APPROVAL", false);
  ASSERT_TRUE(Apply(Event("ApproveLoan", "ap-1")).ok());
  EXPECT_EQ(loan().status, "ACTIVE");
  EXPECT_TRUE(loan().legs[1].approved);
  EXPECT_EQ(loan().updated_at_height, 11u);
  EXPECT_EQ(Apply(Event("ApproveLoan", "ap-2")).code(), StatusCode::kCorruption);
}

TEST_F(LoanBookTest, RepaidToZeroIsRepaidAndItsReversalReactivates) {
  loans_["L-1"] = Loan();
  const EventRow part = Event("RecordRepayment", "R-1", 4000, 16000);
  ASSERT_TRUE(Apply(part).ok());
  EXPECT_EQ(loan().legs[0].outstanding, 16000);
  EXPECT_EQ(loan().legs[1].outstanding, 64000);
  EXPECT_EQ(loan().status, "ACTIVE");
  const EventRow rest = Event("RecordRepayment", "R-2", 16000, 64000);
  ASSERT_TRUE(Apply(rest).ok());
  EXPECT_EQ(loan().status, "REPAID");
  ASSERT_TRUE(Apply(Event("Reverse", "V-2"), &rest).ok());
  EXPECT_EQ(loan().status, "ACTIVE");
  EXPECT_EQ(loan().legs[1].outstanding, 64000);
}

TEST_F(LoanBookTest, ChargeOffMovesOutstandingToLossAndRecoveriesCountAgainstIt) {
  loans_["L-1"] = Loan();
  ASSERT_TRUE(Apply(Event("RecordRepayment", "R-1", 1000, 4000)).ok());
  ASSERT_TRUE(Apply(Event("ChargeOff", "C-1")).ok());
  EXPECT_EQ(loan().status, "CHARGED_OFF");
  EXPECT_EQ(loan().legs[0].loss, 19000);
  EXPECT_EQ(loan().legs[1].loss, 76000);
  EXPECT_EQ(loan().legs[1].outstanding, 0);
  const EventRow recovery = Event("RecordRecovery", "RC-1", 200, 800, /*recovery=*/true);
  ASSERT_TRUE(Apply(recovery).ok());
  EXPECT_EQ(loan().legs[1].recovered, 800);
  ASSERT_TRUE(Apply(Event("Reverse", "V-1"), &recovery).ok());
  EXPECT_EQ(loan().legs[1].recovered, 0);
  EXPECT_EQ(loan().status, "CHARGED_OFF");
}

TEST_F(LoanBookTest, EventsThatDoNotFitTheLoanAreRefused) {
  loans_["L-1"] = Loan();
  // More principal than a leg has outstanding.
  EXPECT_EQ(Apply(Event("RecordRepayment", "R-1", 1, 80001)).code(), StatusCode::kCorruption);
  // A bank with no leg.
  EventRow stranger = Event("RecordRepayment", "R-2", 1, 1);
  stranger.deltas[1].bank = "PARTNER_B";
  EXPECT_EQ(Apply(stranger).code(), StatusCode::kCorruption);
  // A recovery on a loan that is not charged off; a loan never exported.
  EXPECT_EQ(Apply(Event("RecordRecovery", "RC-1", 1, 1, true)).code(), StatusCode::kCorruption);
  EventRow other = Event("ChargeOff", "C-9");
  other.loan_id = "L-9";
  EXPECT_EQ(Apply(other).code(), StatusCode::kCorruption);
  // A reversal without its target.
  EXPECT_EQ(Apply(Event("Reverse", "V-1")).code(), StatusCode::kCorruption);
  // None of these changed the loan's balances.
  EXPECT_EQ(loan().legs[1].outstanding, 80000);
  EXPECT_EQ(loan().status, "ACTIVE");
}

// The SQL of a block writes every value as a literal: quotes doubled, nothing else touched,
// and a NUL byte (which PostgreSQL text cannot hold) refused rather than cut short.
TEST(BlockSqlTest, LiteralsAreQuotedAndANulByteIsRefused) {
  EXPECT_EQ(*SqlLiteral("it's"), "'it''s'");
  EXPECT_EQ(*SqlLiteral("back\\slash"), "'back\\slash'");
  EXPECT_EQ(SqlLiteral(std::string("a\0b", 3)).status().code(), StatusCode::kInvalidArgument);

  BlockExport rows;
  rows.block.height = 7;
  rows.block.hash = "ab";
  EventRow e;
  e.index = 0;
  e.tx_hash = "cd";
  e.signer = "LEAD";
  e.tx_id = "R-1";
  e.type = "RecordRepayment";
  e.accepted = true;
  e.tx_json = R"({"reason":"O'Brien"})";
  rows.events.push_back(e);
  Result<std::string> sql = BlockSql(rows, "chain-1");
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(sql->find("SELECT colend_export_begin_block(7, 'chain-1');"), 0u);
  EXPECT_NE(sql->find(R"('{"reason":"O''Brien"}')"), std::string::npos) << *sql;
  EXPECT_NE(sql->find("SELECT colend_export_end_block(7, 'ab', 'chain-1');"), std::string::npos);
  rows.events[0].message = std::string("x\0y", 3);
  EXPECT_EQ(BlockSql(rows, "chain-1").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace colend::exporter
