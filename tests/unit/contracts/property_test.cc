// Randomised property tests: many seeds of random (and often invalid) transactions from
// several banks, with every invariant of docs/domain.md checked after every transaction against
// an independent shadow ledger kept by the test:
//   1. per loan, shares sum to principal, outstanding by bank sums to the loan's, none < 0;
//      per agreement, each party's exposure equals the sum over its loans;
//   2. every split sums to its input, each part within one cent of exact;
//   3. positions equal the sum of the postings the test saw, per pair and currency; every
//      posting has a debtor and a different creditor, so postings sum to zero per currency
//      by construction, and only the a < b orientation of a pair is stored, so
//      position(a, b) == -position(b, a) by construction too;
//   4. a batch's net equals the postings it covers; each posting in exactly one batch or
//      unsettled (checked against the shadow ledger's own cut-offs);
//   5. replaying the same transactions gives the same state root and books bytes;
//   6. a rejected or duplicate transaction writes nothing but its own (signer, id) record;
//   7. a reversal's journal is the exact negation of its target's, its loan balances
//      return by exactly the target's deltas, and a second reversal is rejected;
//   8. only the lead services; no origination takes a bank above a limit or below the
//      minimum share; only an origination is ever refused LIMIT_EXCEEDED; a reversal that
//      is otherwise valid is accepted even when it leaves a bank above its limit (checked
//      against the test's own record of accepted, unreversed events), and the books'
//      "over_limit" lists exactly the parties whose exposure is above their limit;
//   9. the books are the same bytes every time they are produced.
// A failure names its seed; COLEND_PROPERTY_SEEDS sets how many seeds run (default 1000;
// the `slow` label runs 20,000). A second run gives every partner a tight limit, so that
// originations fill it and reversals of repayments cross it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "colend/common/int128.h"
#include "colend/contracts/apply.h"
#include "colend/contracts/books.h"
#include "colend/contracts/memory_state.h"
#include "colend/contracts/records.h"
#include "colend/contracts/replay.h"
#include "colend/crypto/hash.h"

#ifndef COLEND_PROPERTY_SEEDS
#define COLEND_PROPERTY_SEEDS 1000
#endif

namespace colend::contracts {
namespace {

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
const std::vector<std::string> kDates = {"2026-01-05", "2026-01-20", "2026-02-03", "2026-02-28",
                                         "2026-03-15", "2026-04-01"};
constexpr char kRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr char kChain[] = "prop-chain";

using PairCcy = std::tuple<std::string, std::string, std::string>;

struct ShadowPosting {
  PairCcy pair;
  std::string date;
  std::int64_t a_owes_b;
  proto::PostingComponent component;
  bool settled = false;
};

class Scenario {
 public:
  explicit Scenario(std::uint64_t seed, bool tight_limits = false)
      : seed_(seed), tight_limits_(tight_limits), rng_(seed), state_(crypto::HashAlgorithm::kSha256) {
    InitialState initial;
    for (const auto& b : kBanks) initial.members.push_back({b, b + " Bank", {}, 0});
    initial.min_funder_bp = Pick(4) == 0 ? 1000 : 0;
    min_funder_bp_ = initial.min_funder_bp;
    auto writes = BuildInitialState(initial);
    EXPECT_TRUE(writes.ok());
    state_.Commit(*writes);
  }

  // Runs `steps` random transactions, checking invariants after each. Returns the books.
  std::string Run(int steps) {
    for (int i = 0; i < steps && !::testing::Test::HasFailure(); ++i) Step();
    auto books = BooksNow();
    auto again = BooksNow();
    EXPECT_EQ(books, again) << "seed " << seed_;
    return books;
  }

  crypto::Digest Root() { return state_.Root(); }

  int accepted() const { return accepted_; }
  int reversals_over_limit() const { return reversals_over_limit_; }
  int refused_while_over() const { return refused_while_over_; }

 private:
  std::uint64_t Pick(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_); }
  std::int64_t Amount(std::int64_t max) { return std::uniform_int_distribution<std::int64_t>(0, max)(rng_); }
  const std::string& Bank() { return kBanks[Pick(kBanks.size())]; }
  const std::string& Date() { return kDates[Pick(kDates.size())]; }
  std::string NewId(const char* prefix) { return std::string(prefix) + "-" + std::to_string(next_id_++); }
  template <typename T>
  const T& Of(const std::vector<T>& v) { return v[Pick(v.size())]; }

  proto::TransactionBody Body(const std::string& signer) {
    proto::TransactionBody body;
    body.set_chain_id(kChain);
    body.set_signer(signer);
    body.set_id(Pick(30) == 0 && !used_ids_.empty() ? Of(used_ids_) : NewId("t"));
    return body;
  }

  proto::TransactionBody RandomTx() {
    const std::uint64_t kind = Pick(100);
    const std::string lead = Pick(5) == 0 ? Bank() : "LEAD";
    if (kind < 8 || agreements_.empty()) {
      proto::TransactionBody body = Body(lead);
      auto* p = body.mutable_propose_agreement();
      p->set_agreement_id(NewId("AG"));
      p->set_currency(Pick(4) == 0 ? "USD" : "CNY");
      std::vector<std::string> parties = {lead};
      for (const auto& b : kBanks) {
        if (b != lead && Pick(2) == 0) parties.push_back(b);
      }
      std::int64_t left = 10'000;
      for (std::size_t i = 0; i < parties.size(); ++i) {
        std::int64_t bp = i + 1 == parties.size() ? left : Amount(left);
        if (Pick(20) == 0) bp += 1;  // sometimes a bad sum
        (*p->mutable_shares())[parties[i]] = static_cast<std::uint32_t>(std::max<std::int64_t>(bp, 0));
        left -= bp;
      }
      p->set_service_fee_bp(static_cast<std::uint32_t>(Amount(3000)));
      p->set_disbursement(Pick(3) == 0 ? proto::DISBURSEMENT_MODE_DIRECT : proto::DISBURSEMENT_MODE_FRONTED);
      p->set_approval(Pick(3) == 0 ? proto::APPROVAL_MODE_PER_LOAN : proto::APPROVAL_MODE_PREAPPROVED);
      if (tight_limits_) {
        for (const auto& party : parties) {
          if (party != lead || Pick(4) == 0) {
            (*p->mutable_limits())[party].set_max_outstanding(500'000 + Amount(1'500'000));
          }
        }
      } else if (Pick(3) == 0) {
        (*p->mutable_limits())[Of(parties)].set_max_outstanding(Amount(5'000'000));
      }
      agreements_.push_back(p->agreement_id());
      return body;
    }
    if (kind < 16) {
      proto::TransactionBody body = Body(Bank());
      body.mutable_accept_agreement()->set_agreement_id(Of(agreements_));
      return body;
    }
    if (kind < 18) {
      proto::TransactionBody body = Body(Bank());
      body.mutable_suspend_agreement()->set_agreement_id(Of(agreements_));
      return body;
    }
    if (kind < 40 || loans_.empty()) {
      proto::TransactionBody body = Body(lead);
      auto* o = body.mutable_originate_loan();
      o->set_agreement_id(Of(agreements_));
      o->set_loan_id(Pick(20) == 0 && !loans_.empty() ? Of(loans_) : NewId("L"));
      o->set_borrower_ref(Pick(50) == 0 ? "13812345678" : kRef);
      const std::uint64_t size = Pick(10);
      o->set_principal(size == 0 ? -Amount(5) : size == 1 ? Amount(300) : size == 2 ? INT64_MAX / 2 + Amount(1000) : Amount(2'000'000));
      o->set_annual_rate_bp(1800);
      o->set_term_months(12);
      o->set_value_date(kDates[Pick(2)]);
      loans_.push_back(o->loan_id());
      return body;
    }
    if (kind < 45) {
      proto::TransactionBody body = Body(Bank());
      body.mutable_approve_loan()->set_loan_id(Of(loans_));
      return body;
    }
    if (kind < 65) {
      proto::TransactionBody body = Body(lead);
      auto* r = body.mutable_record_repayment();
      r->set_loan_id(Of(loans_));
      const std::int64_t outstanding = LoanOutstanding(r->loan_id());
      const std::uint64_t how = Pick(10);
      r->set_principal(how == 0 ? outstanding : how == 1 ? outstanding + 1 + Amount(10) : Amount(std::max<std::int64_t>(outstanding, 0)));
      r->set_interest(Amount(50'000));
      r->set_penalty(Pick(4) == 0 ? Amount(5'000) : 0);
      if (Pick(40) == 0) r->set_interest(-1);
      r->set_value_date(Date());
      events_.push_back({body.signer(), body.id()});
      return body;
    }
    if (kind < 69) {
      proto::TransactionBody body = Body(lead);
      auto* c = body.mutable_charge_off();
      c->set_loan_id(Of(loans_));
      c->set_value_date(kDates.back());
      return body;
    }
    if (kind < 75) {
      proto::TransactionBody body = Body(lead);
      auto* r = body.mutable_record_recovery();
      r->set_loan_id(Of(loans_));
      r->set_amount(Amount(400'000) - 10);
      r->set_value_date(kDates.back());
      events_.push_back({body.signer(), body.id()});
      return body;
    }
    if (kind < (tight_limits_ ? 90 : 83) && !events_.empty()) {
      const auto& [signer, target] = Of(events_);
      proto::TransactionBody body = Body(Pick(8) == 0 ? Bank() : signer);
      body.mutable_reverse()->set_target_id(Pick(15) == 0 ? body.id() : target);
      body.mutable_reverse()->set_reason(Pick(30) == 0 ? "card 6222021234567890123" : "bounced");
      return body;
    }
    if (kind < 91) {
      proto::TransactionBody body = Body(Bank());
      body.mutable_close_settlement()->set_counterparty(Bank());
      body.mutable_close_settlement()->set_cutoff(Date());
      return body;
    }
    if (kind < 97 && !batches_.empty()) {
      proto::TransactionBody body = Body(Bank());
      body.mutable_confirm_settlement()->set_batch_id(Of(batches_));
      if (Pick(3) != 0) body.mutable_confirm_settlement()->set_payment_ref("CNAPS-" + std::to_string(Pick(1000)));
      return body;
    }
    // Governance: raise or drop the minimum share (every member votes at once).
    proto::TransactionBody body = Body(Bank());
    auto* g = body.mutable_governance_proposal();
    g->set_proposal_id(NewId("G"));
    g->set_description("minimum funder share");
    g->mutable_set_network_rule()->set_name("min_funder_bp");
    g->mutable_set_network_rule()->set_value(Pick(2) == 0 ? 0 : 2000);
    proposals_.push_back(g->proposal_id());
    return body;
  }

  std::int64_t LoanOutstanding(const std::string& id) {
    auto loan = ReadRecord<proto::LoanRecord>(state_, keys::Loan(id));
    if (!loan.ok() || !loan->has_value()) return Amount(100'000);
    std::int64_t total = 0;
    for (const auto& leg : (*loan)->legs()) total += leg.outstanding();
    return total;
  }

  template <typename M>
  std::optional<M> Read(const StateReader& s, const std::string& key) {
    auto r = ReadRecord<M>(s, key);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }

  void Step() {
    proto::TransactionBody body = RandomTx();
    Execute(body);
    // Most proposed agreements are accepted by every party at once, so loans get made.
    if (body.has_propose_agreement() && last_ok_ && Pick(5) != 0) {
      // (Protobuf map order varies between instances; the test must be deterministic too.)
      std::map<std::string, std::uint32_t> parties(body.propose_agreement().shares().begin(),
                                                   body.propose_agreement().shares().end());
      for (const auto& [party, bp] : parties) {
        if (party == body.signer()) continue;
        proto::TransactionBody accept = Body(party);
        accept.set_id(NewId("acc"));
        accept.mutable_accept_agreement()->set_agreement_id(body.propose_agreement().agreement_id());
        Execute(accept);
      }
    }
    // Governance votes follow a proposal so that it can pass.
    if (body.has_governance_proposal() && last_ok_) {
      for (const auto& voter : kBanks) {
        proto::TransactionBody vote = Body(voter);
        vote.set_id(NewId("v"));
        vote.mutable_governance_vote()->set_proposal_id(body.governance_proposal().proposal_id());
        vote.mutable_governance_vote()->set_choice(proto::VOTE_CHOICE_APPROVE);
        Execute(vote);
      }
      auto rules = Read<proto::NetworkRules>(state_, std::string(keys::kRules));
      min_funder_bp_ = rules.has_value() ? rules->min_funder_bp() : 0;
    }
  }

  void Execute(const proto::TransactionBody& body) {
    SCOPED_TRACE("seed " + std::to_string(seed_) + " tx " + body.ShortDebugString());
    const std::string bytes = ReplayBodyBytes(body);
    const crypto::Digest hash = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(bytes));
    BlockContext ctx{kChain, crypto::CryptoSuite::Standard(), ++height_, 0};
    ExecutableTx tx{&body, hash, Authentication::kUnsignedReplay, {}, 0};
    const std::string tx_key = keys::Tx(body.signer(), body.id());
    const bool duplicate = state_.Get(tx_key, &scratch_);
    const std::optional<proto::LoanRecord> loan_before =
        LoanOf(body).empty() ? std::nullopt : Read<proto::LoanRecord>(state_, keys::Loan(LoanOf(body)));
    if (body.has_reverse()) {
      reversal_loan_before_.Clear();
      auto target = Read<proto::TxRecord>(state_, keys::Tx(body.signer(), body.reverse().target_id()));
      if (target.has_value() && !target->loan_id().empty()) {
        auto loan = Read<proto::LoanRecord>(state_, keys::Loan(target->loan_id()));
        if (loan.has_value()) reversal_loan_before_ = *loan;
      }
    }

    const bool reversal_must_pass = body.has_reverse() && !duplicate && ReversalIsValid(body);
    const bool over_before = !ReadLimitExcesses(state_)->empty();

    StateView block(&state_);
    auto receipt = Apply(tx, block, ctx);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    last_ok_ = receipt->status() == proto::RECEIPT_STATUS_OK;
    if (duplicate) {
      EXPECT_EQ(receipt->code(), "DUPLICATE");
    }
    // Invariant 8: a correction records the fact; a limit refuses originations only. The
    // one refusal left is a result that 64 bits cannot hold (the generator draws amounts
    // near 2^63 on purpose), and then the message must prove it: the two operands it names
    // really leave the range.
    if (reversal_must_pass && !last_ok_) {
      EXPECT_TRUE(IsGenuineOverflow(receipt->code(), receipt->message()))
          << receipt->code() << ": " << receipt->message();
    }
    if (receipt->code() == "LIMIT_EXCEEDED") {
      EXPECT_TRUE(body.has_originate_loan());
      if (receipt->message().find("already") != std::string::npos) ++refused_while_over_;
    }
    if (!last_ok_) {
      // Invariant 6: a rejection writes at most its own (signer, id) record.
      for (const auto& [key, value] : block.writes()) EXPECT_EQ(key, tx_key) << receipt->code();
      EXPECT_FALSE(receipt->code().empty());
      EXPECT_FALSE(receipt->message().empty());
    }
    state_.Commit(block.writes());
    used_ids_.push_back(body.id());
    if (!last_ok_) {
      CheckAll();
      return;
    }
    ++accepted_;
    auto record = Read<proto::TxRecord>(state_, tx_key);
    ASSERT_TRUE(record.has_value());
    if (body.has_record_repayment() || body.has_record_recovery()) {
      accepted_events_[tx_key] = body.has_record_repayment();
    }
    if (body.has_reverse() && !over_before && !ReadLimitExcesses(state_)->empty()) {
      ++reversals_over_limit_;
    }
    for (const auto& line : record->journal()) AddShadow(*record, line);
    CheckAccepted(body, *record, loan_before);
    CheckAll();
  }

  // The test's own model of a valid reversal: the signer's accepted repayment or recovery,
  // not yet reversed, not a repayment of a loan charged off since, with a reason that is
  // not personal data. Limits play no part.
  // "amount overflow: A + B leaves the 64-bit range" (or A - B) with A and B whose exact
  // result really is outside [-2^63, 2^63 - 1].
  static bool IsGenuineOverflow(const std::string& code, const std::string& message) {
    if (code != "BAD_AMOUNT") return false;
    const std::string marker = "amount overflow: ";
    const std::size_t at = message.find(marker);
    if (at == std::string::npos) return false;
    std::istringstream in(message.substr(at + marker.size()));
    long long a = 0, b = 0;
    char op = 0;
    if (!(in >> a >> op >> b) || (op != '+' && op != '-')) return false;
    const Int128 exact = op == '+' ? Int128(a) + Int128(b) : Int128(a) - Int128(b);
    return exact > Int128(std::numeric_limits<std::int64_t>::max()) ||
           exact < Int128(std::numeric_limits<std::int64_t>::min());
  }

  bool ReversalIsValid(const proto::TransactionBody& body) {
    const std::string target_key = keys::Tx(body.signer(), body.reverse().target_id());
    auto event = accepted_events_.find(target_key);
    if (event == accepted_events_.end()) return false;
    if (reversed_.contains(body.reverse().target_id() + "@" + body.signer())) return false;
    if (body.reverse().reason().find("card") != std::string::npos) return false;
    if (!event->second) return true;  // a recovery
    auto target = Read<proto::TxRecord>(state_, target_key);
    if (!target.has_value()) return false;
    auto loan = Read<proto::LoanRecord>(state_, keys::Loan(target->loan_id()));
    return loan.has_value() && loan->status() != proto::LOAN_STATUS_CHARGED_OFF;
  }

  static std::string LoanOf(const proto::TransactionBody& b) {
    if (b.has_record_repayment()) return b.record_repayment().loan_id();
    if (b.has_record_recovery()) return b.record_recovery().loan_id();
    if (b.has_charge_off()) return b.charge_off().loan_id();
    if (b.has_originate_loan()) return b.originate_loan().loan_id();
    return "";
  }

  void AddShadow(const proto::TxRecord& record, const proto::JournalLine& p) {
    EXPECT_NE(p.debtor(), p.creditor());
    const bool debtor_first = p.debtor() < p.creditor();
    PairCcy pair{debtor_first ? p.debtor() : p.creditor(), debtor_first ? p.creditor() : p.debtor(),
                 record.currency()};
    shadow_.push_back({pair, record.value_date(), debtor_first ? p.amount() : -p.amount(), p.component()});
  }

  // Invariant 2: parts sum to the input, each within one cent of exact (|part*W - A*w| < W).
  void CheckSplit(std::int64_t total, const std::vector<std::int64_t>& weights,
                  const std::vector<std::int64_t>& parts) {
    Int128 w_sum = 0, p_sum = 0;
    for (auto w : weights) w_sum += w;
    for (auto p : parts) p_sum += p;
    EXPECT_EQ(p_sum, Int128(total));
    if (w_sum == 0) return;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      Int128 diff = Int128(parts[i]) * w_sum - Int128(total) * weights[i];
      if (diff < 0) diff = -diff;
      EXPECT_LT(diff, w_sum) << "part " << i;
    }
  }

  void CheckAccepted(const proto::TransactionBody& body, const proto::TxRecord& record,
                     const std::optional<proto::LoanRecord>& before) {
    const std::string loan_id = record.loan_id();
    auto loan = loan_id.empty() ? std::nullopt : Read<proto::LoanRecord>(state_, keys::Loan(loan_id));
    if (body.has_originate_loan()) {
      ASSERT_TRUE(loan.has_value());
      EXPECT_EQ(body.signer(), loan->lead());
      std::vector<std::int64_t> w, parts;
      for (const auto& leg : loan->legs()) {
        EXPECT_GE(leg.share_bp(), min_funder_bp_);  // invariant 8: minimum share
        w.push_back(leg.share_bp());
        parts.push_back(leg.share());
      }
      CheckSplit(loan->principal(), w, parts);
      // Invariant 8: no origination takes a bank above its limit.
      auto agreement = Read<proto::AgreementRecord>(state_, keys::Agreement(loan->agreement_id()));
      ASSERT_TRUE(agreement.has_value());
      for (const auto& leg : loan->legs()) {
        for (const auto& party : agreement->parties()) {
          if (party.bank() == leg.bank() && party.has_limit() && leg.share() > 0) {
            EXPECT_LE(party.outstanding(), party.max_outstanding()) << party.bank();
          }
        }
      }
    }
    if (body.has_record_repayment() || body.has_record_recovery() || body.has_charge_off()) {
      ASSERT_TRUE(loan.has_value() && before.has_value());
      EXPECT_EQ(body.signer(), loan->lead());  // invariant 8: only the lead services
    }
    if (body.has_record_repayment()) {
      std::vector<std::int64_t> w, parts;
      for (int i = 0; i < before->legs_size(); ++i) {
        w.push_back(before->legs(i).outstanding());
        parts.push_back(before->legs(i).outstanding() - loan->legs(i).outstanding());
      }
      CheckSplit(body.record_repayment().principal(), w, parts);
    }
    if (body.has_record_recovery()) {
      std::vector<std::int64_t> w, parts;
      for (int i = 0; i < before->legs_size(); ++i) {
        w.push_back(before->legs(i).loss() - before->legs(i).recovered());
        parts.push_back(loan->legs(i).recovered() - before->legs(i).recovered());
      }
      CheckSplit(body.record_recovery().amount(), w, parts);
    }
    if (body.has_reverse()) {
      // Invariant 7.
      auto target = Read<proto::TxRecord>(state_, keys::Tx(body.signer(), body.reverse().target_id()));
      ASSERT_TRUE(target.has_value());
      EXPECT_EQ(target->reversed_by(), body.id());
      EXPECT_FALSE(reversed_.contains(body.reverse().target_id() + "@" + body.signer()));
      reversed_.insert(body.reverse().target_id() + "@" + body.signer());
      ASSERT_EQ(record.journal_size(), target->journal_size());
      EXPECT_EQ(record.currency(), target->currency());
      EXPECT_EQ(record.value_date(), target->value_date());
      for (int i = 0; i < record.journal_size(); ++i) {
        proto::JournalLine negated = target->journal(i);
        negated.set_amount(-negated.amount());
        EXPECT_EQ(record.journal(i).SerializeAsString(), negated.SerializeAsString());
      }
      // Balances return by exactly the target's deltas.
      auto loan_after = Read<proto::LoanRecord>(state_, keys::Loan(target->loan_id()));
      ASSERT_TRUE(loan_after.has_value());
      for (const auto& delta : target->deltas()) {
        for (const auto& leg : loan_after->legs()) {
          if (leg.bank() != delta.bank()) continue;
          const auto& before_legs = reversal_loan_before_.legs();
          for (const auto& b : before_legs) {
            if (b.bank() != leg.bank()) continue;
            EXPECT_EQ(leg.outstanding(), b.outstanding() + delta.principal());
            EXPECT_EQ(leg.recovered(), b.recovered() - delta.recovered());
          }
        }
      }
    }
    if (body.has_close_settlement()) CheckCutoff(body);
  }

  // Invariant 4: the shadow ledger closes its own batch and must agree with the contract's.
  void CheckCutoff(const proto::TransactionBody& body) {
    const std::string& s = body.signer();
    const std::string& c = body.close_settlement().counterparty();
    const std::string a = std::min(s, c), b = std::max(s, c);
    auto batches = ReadSettlements(state_);
    ASSERT_TRUE(batches.ok());
    std::map<std::string, std::pair<std::int64_t, std::uint64_t>> expected;  // ccy -> net, count
    for (auto& p : shadow_) {
      if (std::get<0>(p.pair) == a && std::get<1>(p.pair) == b && !p.settled &&
          p.date <= body.close_settlement().cutoff()) {
        p.settled = true;
        expected[std::get<2>(p.pair)].first += p.a_owes_b;
        expected[std::get<2>(p.pair)].second += 1;
      }
    }
    std::map<std::string, std::pair<std::int64_t, std::uint64_t>> actual;
    for (const auto& batch : *batches) {
      if (batch.close_tx_id() == body.id() && batch.closed_by() == s) {
        actual[batch.currency()] = {batch.net_a_owes_b(), batch.posting_count()};
        batches_.push_back(batch.batch_id());
      }
    }
    EXPECT_EQ(actual, expected);
  }

  void CheckAll() {
    // Invariant 1 and the exposures.
    std::map<std::pair<std::string, std::string>, std::int64_t> exposure, over_limit;
    state_.Scan(keys::kLoanPrefix, [&](std::string_view, std::string_view value) {
      proto::LoanRecord loan;
      EXPECT_TRUE(loan.ParseFromArray(value.data(), static_cast<int>(value.size())));
      std::int64_t shares = 0;
      for (const auto& leg : loan.legs()) {
        shares += leg.share();
        EXPECT_GE(leg.outstanding(), 0);
        EXPECT_LE(leg.outstanding(), leg.share());
        EXPECT_GE(leg.recovered(), 0);
        EXPECT_LE(leg.recovered(), leg.loss());
        if (loan.status() != proto::LOAN_STATUS_CHARGED_OFF) {
          EXPECT_EQ(leg.loss(), 0);
        }
        exposure[{loan.agreement_id(), leg.bank()}] += leg.outstanding();
      }
      EXPECT_EQ(shares, loan.principal());
      return true;
    });
    state_.Scan(keys::kAgreementPrefix, [&](std::string_view, std::string_view value) {
      proto::AgreementRecord agreement;
      EXPECT_TRUE(agreement.ParseFromArray(value.data(), static_cast<int>(value.size())));
      for (const auto& party : agreement.parties()) {
        const std::int64_t exposed = exposure[{agreement.id(), party.bank()}];
        EXPECT_EQ(party.outstanding(), exposed);
        if (party.has_limit() && exposed > party.max_outstanding()) {
          over_limit[{agreement.id(), party.bank()}] = exposed - party.max_outstanding();
        }
      }
      return true;
    });
    // Invariant 8: the books list exactly the parties above their limit, by how much.
    auto excesses = ReadLimitExcesses(state_);
    ASSERT_TRUE(excesses.ok());
    std::map<std::pair<std::string, std::string>, std::int64_t> listed;
    for (const LimitExcess& e : *excesses) listed[{e.agreement_id, e.bank}] = e.excess;
    EXPECT_EQ(listed, over_limit);
    // Invariant 3: positions equal the shadow's unsettled postings, per component too.
    std::map<PairCcy, std::int64_t> shadow_net;
    for (const auto& p : shadow_) {
      if (!p.settled) shadow_net[p.pair] += p.a_owes_b;
    }
    auto positions = ReadPositions(state_);
    ASSERT_TRUE(positions.ok());
    std::map<PairCcy, std::int64_t> net;
    for (const auto& p : *positions) {
      EXPECT_LT(p.a(), p.b());
      const auto& t = p.total();
      const std::int64_t n = t.funding() + t.principal() + t.interest() + t.service_fee() + t.penalty() + t.recovery();
      std::int64_t days = 0;
      for (const auto& d : p.days()) {
        const auto& x = d.amounts();
        days += x.funding() + x.principal() + x.interest() + x.service_fee() + x.penalty() + x.recovery();
      }
      EXPECT_EQ(n, days);
      if (n != 0) net[{p.a(), p.b(), p.currency()}] = n;
    }
    std::erase_if(shadow_net, [](const auto& e) { return e.second == 0; });
    EXPECT_EQ(net, shadow_net);
  }

  std::string BooksNow() {
    BooksHeader header{height_, {}};
    const crypto::Digest root = state_.Root();
    header.state_root.assign(root.begin(), root.end());
    auto books = BooksJson(state_, state_, header, {});
    EXPECT_TRUE(books.ok());
    return books.ok() ? *books : "";
  }

  std::uint64_t seed_;
  bool tight_limits_;
  std::mt19937_64 rng_;
  MemoryState state_;
  std::uint64_t height_ = 0;
  std::uint32_t min_funder_bp_ = 0;
  int next_id_ = 0;
  int accepted_ = 0;
  bool last_ok_ = false;
  std::string scratch_;
  std::vector<std::string> used_ids_, agreements_, loans_, batches_, proposals_;
  std::vector<std::pair<std::string, std::string>> events_;
  std::set<std::string> reversed_;
  std::map<std::string, bool> accepted_events_;  // (signer, id) key -> is a repayment
  int reversals_over_limit_ = 0;
  int refused_while_over_ = 0;
  std::vector<ShadowPosting> shadow_;
  proto::LoanRecord reversal_loan_before_;
};

int SeedCount() {
  if (const char* env = std::getenv("COLEND_PROPERTY_SEEDS")) return std::atoi(env);
  return COLEND_PROPERTY_SEEDS;
}

TEST(ContractPropertyTest, InvariantsHoldOverManySeeds) {
  const int seeds = SeedCount();
  long accepted = 0;
  for (int seed = 1; seed <= seeds && !HasFailure(); ++seed) {
    Scenario scenario(static_cast<std::uint64_t>(seed));
    scenario.Run(120);
    accepted += scenario.accepted();
  }
  // The generator must exercise the contract, not only its rejections.
  EXPECT_GT(accepted, seeds * 30L);
  RecordProperty("accepted", std::to_string(accepted));
}

// Tight limits on every partner: originations fill them, repayments free room, and
// reversals of repayments push banks back above them. Every invariant still holds, every
// valid reversal is accepted, and the run must really have crossed limits both ways.
TEST(ContractPropertyTest, CorrectionsCrossTightLimits) {
  const int seeds = std::max(SeedCount() / 2, 1);
  long accepted = 0, crossings = 0, refused = 0;
  for (int seed = 1; seed <= seeds && !HasFailure(); ++seed) {
    Scenario scenario(static_cast<std::uint64_t>(seed) + 1'000'000, /*tight_limits=*/true);
    scenario.Run(300);
    accepted += scenario.accepted();
    crossings += scenario.reversals_over_limit();
    refused += scenario.refused_while_over();
  }
  EXPECT_GT(accepted, seeds * 30L);
  EXPECT_GE(crossings, seeds / 25L);
  EXPECT_GT(refused, 0);
  RecordProperty("reversals_over_limit", std::to_string(crossings));
  RecordProperty("refused_while_over", std::to_string(refused));
}

TEST(ContractPropertyTest, ReplayGivesTheSameRootAndBooks) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Scenario first(seed), second(seed);
    const std::string books1 = first.Run(150), books2 = second.Run(150);
    EXPECT_EQ(first.Root(), second.Root()) << "seed " << seed;
    EXPECT_EQ(books1, books2) << "seed " << seed;
  }
  Scenario a(7), b(8);
  a.Run(150);
  b.Run(150);
  EXPECT_NE(a.Root(), b.Root());
}

}  // namespace
}  // namespace colend::contracts
