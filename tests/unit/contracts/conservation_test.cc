// The money-conservation checks the contract runs wherever money moves (conservation.h):
// each one passes on conserved numbers and fires, with a message naming what broke, on
// numbers that are not, which is what Apply returns as a fault that halts the node. That
// they hold on real transactions is shown by every contract test passing through them
// (the property tests over many seeds among them).
#include "colend/contracts/conservation.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "colend/common/status.h"
#include "colend/contracts/apply.h"
#include "colend/contracts/memory_state.h"
#include "colend/contracts/records.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/suite.h"

namespace colend::contracts {
namespace {

std::vector<Amount> Parts(std::initializer_list<std::int64_t> minors) {
  std::vector<Amount> out;
  for (std::int64_t m : minors) out.push_back(Amount::FromMinor(m));
  return out;
}

TEST(ConservationTest, ASplitMustSumToItsInput) {
  EXPECT_TRUE(
      CheckSplitConserves("principal 1000 of loan L1", Amount::FromMinor(1000), Parts({200, 800}))
          .ok());
  const Status lost =
      CheckSplitConserves("principal 1000 of loan L1", Amount::FromMinor(1000), Parts({200, 799}));
  EXPECT_EQ(lost.code(), StatusCode::kInternal);
  EXPECT_EQ(lost.message(),
            "money conservation: the split of principal 1000 of loan L1 into 2 parts sums to "
            "999, not 1000");
  // A sum beyond 64 bits is named exactly, not wrapped.
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const Status wide = CheckSplitConserves("interest", Amount::FromMinor(max), Parts({max, max}));
  EXPECT_NE(wide.message().find("sums to 18446744073709551614"), std::string::npos) << wide;
}

proto::TxRecord Journal() {
  proto::TxRecord record;
  record.set_height(7);
  record.set_index(2);
  record.set_loan_id("L1");
  record.set_currency("CNY");
  auto line = [&](const char* debtor, const char* creditor, std::int64_t amount) {
    proto::JournalLine* l = record.add_journal();
    l->set_debtor(debtor);
    l->set_creditor(creditor);
    l->set_component(proto::POSTING_COMPONENT_PRINCIPAL);
    l->set_amount(amount);
  };
  line("LEAD", "PARTNER_A", 600);
  line("LEAD", "PARTNER_B", 200);
  line("PARTNER_A", "LEAD", -15);
  return record;
}

TEST(ConservationTest, AJournalMustBalanceAcrossTheBanks) {
  EXPECT_TRUE(CheckJournalBalances(Journal()).ok());
  EXPECT_TRUE(CheckJournalBalances(proto::TxRecord()).ok());  // nothing posted
  proto::TxRecord to_itself = Journal();
  to_itself.mutable_journal(1)->set_creditor("LEAD");
  const Status fired = CheckJournalBalances(to_itself);
  EXPECT_EQ(fired.code(), StatusCode::kInternal);
  EXPECT_EQ(fired.message(),
            "money conservation: a journal line of transaction at height 7 index 2 has LEAD owe "
            "itself");
}

// A repayment of 1,000 principal on a 20/50/30 loan: LEAD keeps 200 and passes 500 and 300 on.
proto::TxRecord Repayment() {
  proto::TxRecord record;
  record.set_kind(proto::EVENT_KIND_REPAYMENT);
  record.set_loan_id("L1");
  record.set_currency("CNY");
  for (const auto& [bank, part] : {std::pair<const char*, std::int64_t>{"LEAD", 200},
                                   {"PARTNER_A", 500},
                                   {"PARTNER_B", 300}}) {
    proto::LegDelta* delta = record.add_deltas();
    delta->set_bank(bank);
    delta->set_principal(part);
    if (std::string(bank) == "LEAD") continue;
    proto::JournalLine* line = record.add_journal();
    line->set_debtor("LEAD");
    line->set_creditor(bank);
    line->set_component(proto::POSTING_COMPONENT_PRINCIPAL);
    line->set_amount(part);
    proto::JournalLine* interest = record.add_journal();
    *interest = *line;
    interest->set_component(proto::POSTING_COMPONENT_INTEREST);
    interest->set_amount(7);
  }
  return record;
}

TEST(ConservationTest, AServicingJournalPassesOnExactlyThePartnersParts) {
  EXPECT_TRUE(CheckJournalMatchesParts(Repayment(), "LEAD").ok());
  proto::TxRecord short_paid = Repayment();
  short_paid.mutable_journal(2)->set_amount(299);  // PARTNER_B's principal line
  Status fired = CheckJournalMatchesParts(short_paid, "LEAD");
  EXPECT_EQ(fired.code(), StatusCode::kInternal);
  EXPECT_EQ(fired.message(),
            "money conservation: loan L1: LEAD passes 299 of principal on to PARTNER_B, whose "
            "part is 300");
  proto::TxRecord stray = Repayment();
  proto::JournalLine* extra = stray.add_journal();
  extra->set_debtor("PARTNER_A");
  extra->set_creditor("PARTNER_B");
  extra->set_component(proto::POSTING_COMPONENT_PRINCIPAL);
  extra->set_amount(1);
  fired = CheckJournalMatchesParts(stray, "LEAD");
  EXPECT_EQ(fired.message(),
            "money conservation: loan L1: the journal posts 801 of principal in all, the "
            "partners' parts are 800");
  proto::TxRecord other = short_paid;
  other.set_kind(proto::EVENT_KIND_OTHER);  // only repayments and recoveries have parts
  EXPECT_TRUE(CheckJournalMatchesParts(other, "LEAD").ok());
}

TEST(ConservationTest, AReversalMustUndoExactlyTheEvent) {
  const proto::TxRecord target = Repayment();
  proto::TxRecord reversal;
  reversal.set_currency(target.currency());
  for (const proto::JournalLine& line : target.journal()) {
    proto::JournalLine* undo = reversal.add_journal();
    *undo = line;
    undo->set_amount(-line.amount());
  }
  EXPECT_TRUE(CheckReversalMirrors(reversal, target).ok());
  reversal.mutable_journal(1)->set_amount(-6);
  const Status fired = CheckReversalMirrors(reversal, target);
  EXPECT_EQ(fired.code(), StatusCode::kInternal);
  EXPECT_EQ(fired.message(),
            "money conservation: line 1 of the reversal of loan L1's event (LEAD owes PARTNER_A "
            "-6) does not undo LEAD owes PARTNER_A 7");
  reversal.mutable_journal()->RemoveLast();
  EXPECT_NE(CheckReversalMirrors(reversal, target).message().find("posts 3 lines, the event 4"),
            std::string::npos);
}

proto::UnsettledDay Day(const char* date, std::int64_t principal) {
  proto::UnsettledDay day;
  day.set_value_date(date);
  day.mutable_amounts()->set_principal(principal);
  day.set_posting_count(1);
  return day;
}

TEST(ConservationTest, ASettlementCutOffMustKeepEveryComponent) {
  proto::ComponentAmounts before, batch;
  before.set_principal(1000);
  before.set_interest(-40);
  batch.set_principal(700);
  batch.set_interest(-40);
  proto::PositionRecord after;
  after.mutable_total()->set_principal(300);
  *after.add_days() = Day("2026-12-02", 100);
  *after.add_days() = Day("2026-12-03", 200);
  EXPECT_TRUE(CheckSettlementConserves("LEAD/PARTNER_A/CNY/1", before, batch, after).ok());

  batch.set_principal(701);  // the batch took a unit that was never there
  Status fired = CheckSettlementConserves("LEAD/PARTNER_A/CNY/1", before, batch, after);
  EXPECT_EQ(fired.code(), StatusCode::kInternal);
  EXPECT_EQ(fired.message(),
            "money conservation: closing batch LEAD/PARTNER_A/CNY/1 changes the principal of the "
            "pair from 1000 to 1001 (the batch plus the unsettled days)");
  batch.set_principal(700);
  after.mutable_total()->set_principal(301);  // the total drifted from its days
  fired = CheckSettlementConserves("LEAD/PARTNER_A/CNY/1", before, batch, after);
  EXPECT_EQ(fired.message(),
            "money conservation: after closing batch LEAD/PARTNER_A/CNY/1 the pair's principal "
            "total is 301 but its unsettled days sum to 300");
}

// Through the contract: a position whose total no longer matches its days (a damaged state,
// or a bug that booked one without the other) makes the cut-off a fault, so the node halts
// with the message instead of closing a batch for money that is not there.
TEST(ConservationTest, ApplyHaltsOnACutOffThatWouldNotConserve) {
  InitialState initial;
  initial.members.push_back({"LEAD", "Lead Bank", {}, 0});
  initial.members.push_back({"PARTNER_A", "Partner A", {}, 0});
  MemoryState state(crypto::HashAlgorithm::kSha256);
  state.Commit(BuildInitialState(initial).value());
  proto::PositionRecord position;
  position.set_a("LEAD");
  position.set_b("PARTNER_A");
  position.set_currency("CNY");
  position.mutable_total()->set_principal(1000);
  *position.add_days() = Day("2026-12-01", 999);
  position.set_posting_count(1);
  proto::PairList pairs;
  proto::PairKey* pair = pairs.add_pairs();
  pair->set_a("LEAD");
  pair->set_b("PARTNER_A");
  pair->set_currency("CNY");
  state.Commit(WriteSet{{keys::Position("LEAD", "PARTNER_A", "CNY"), position.SerializeAsString()},
                        {std::string(keys::kPairs), pairs.SerializeAsString()}});

  proto::TransactionBody body;
  body.set_chain_id("c");
  body.set_signer("LEAD");
  body.set_id("S1");
  body.mutable_close_settlement()->set_counterparty("PARTNER_A");
  body.mutable_close_settlement()->set_cutoff("2026-12-31");
  const Bytes hash(32, 1);
  StateView view(&state);
  ExecutableTx tx{&body, hash, Authentication::kUnsignedReplay, {}, 0};
  Result<proto::Receipt> receipt =
      Apply(tx, view, BlockContext{"c", crypto::CryptoSuite::Standard(), 1, 0});
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(receipt.status().code(), StatusCode::kInternal);
  EXPECT_EQ(receipt.status().message(),
            "money conservation: closing batch LEAD/PARTNER_A/CNY/1 changes the principal of the "
            "pair from 1000 to 999 (the batch plus the unsettled days)");

  // The same cut-off on a sound position is accepted.
  position.mutable_total()->set_principal(999);
  state.Commit(
      WriteSet{{keys::Position("LEAD", "PARTNER_A", "CNY"), position.SerializeAsString()}});
  StateView sound(&state);
  receipt = Apply(tx, sound, BlockContext{"c", crypto::CryptoSuite::Standard(), 1, 0});
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->status(), proto::RECEIPT_STATUS_OK) << receipt->message();
}

}  // namespace
}  // namespace colend::contracts
