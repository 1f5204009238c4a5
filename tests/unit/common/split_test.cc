#include "colend/common/split.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "colend/common/int128.h"

#ifndef COLEND_SPLIT_SOAK_FACTOR
#define COLEND_SPLIT_SOAK_FACTOR 1
#endif

namespace colend {
namespace {

constexpr int kSoakFactor = COLEND_SPLIT_SOAK_FACTOR;

std::vector<std::int64_t> Minor(const std::vector<Amount>& parts) {
  std::vector<std::int64_t> out;
  for (Amount a : parts) out.push_back(a.minor());
  return out;
}

// Checks every promise of the rule in docs/domain.md on one split, independently of how the
// implementation orders banks: the total is preserved, each part is floor or floor+1 of
// its exact share, and for any bank that got the extra cent and any that did not, the
// first precedes the second (larger remainder, then lead, then smaller id).
void ExpectLargestRemainder(Amount total, const std::vector<SplitWeight>& w, std::string_view lead,
                            const std::vector<Amount>& parts) {
  ASSERT_EQ(parts.size(), w.size());
  Int128 sum_w = 0;
  for (const auto& x : w) sum_w += x.weight;
  Int128 sum_parts = 0;
  std::vector<bool> extra(w.size());
  std::vector<Int128> rem(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    const Int128 product = Int128{total.minor()} * w[i].weight;
    const Int128 fl = product / sum_w;
    rem[i] = product % sum_w;
    const Int128 got = parts[i].minor();
    ASSERT_TRUE(got == fl || got == fl + 1) << "bank " << w[i].bank << " got " << parts[i];
    // Within one cent of exact: |got * W - A * w_i| < W.
    const Int128 diff = got * sum_w - product;
    ASSERT_LT(diff < 0 ? -diff : diff, sum_w);
    extra[i] = got == fl + 1;
    if (extra[i]) {
      ASSERT_GT(rem[i], 0) << "a bank with an exact share got an extra cent";
    }
    sum_parts += got;
  }
  ASSERT_EQ(sum_parts, Int128{total.minor()});
  auto precedes = [&](std::size_t a, std::size_t b) {
    if (rem[a] != rem[b]) return rem[a] > rem[b];
    if ((w[a].bank == lead) != (w[b].bank == lead)) return w[a].bank == lead;
    return w[a].bank < w[b].bank;
  };
  for (std::size_t i = 0; i < w.size(); ++i) {
    for (std::size_t j = 0; j < w.size(); ++j) {
      if (extra[i] && !extra[j]) {
        ASSERT_TRUE(precedes(i, j)) << w[i].bank << " vs " << w[j].bank;
      }
    }
  }
}

TEST(SplitTest, DomainExampleOrigination) {
  // docs/api.md: L-1 of 800000 split 20/80.
  std::vector<SplitWeight> shares = {{"LEAD", 2000}, {"PARTNER_A", 8000}};
  auto parts = SplitByBasisPoints(Amount::FromMinor(800000), shares, "LEAD");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(Minor(*parts), (std::vector<std::int64_t>{160000, 640000}));
}

TEST(SplitTest, DomainExampleRepaymentByOutstanding) {
  // docs/api.md: R-1 repays 66667 principal and 12000 interest of L-1 (outstanding 160000/640000).
  std::vector<SplitWeight> outstanding = {{"LEAD", 160000}, {"PARTNER_A", 640000}};
  auto principal = SplitByWeights(Amount::FromMinor(66667), outstanding, "LEAD");
  ASSERT_TRUE(principal.ok());
  // 13333.4 and 53333.6: the cent goes to the larger remainder.
  EXPECT_EQ(Minor(*principal), (std::vector<std::int64_t>{13333, 53334}));
  auto interest = SplitByWeights(Amount::FromMinor(12000), outstanding, "LEAD");
  EXPECT_EQ(Minor(*interest), (std::vector<std::int64_t>{2400, 9600}));
  // Resulting outstanding matches the books example of docs/api.md: 146667 and 586666.
  EXPECT_EQ(160000 - (*principal)[0].minor(), 146667);
  EXPECT_EQ(640000 - (*principal)[1].minor(), 586666);
}

TEST(SplitTest, TiesGoToTheLeadThenByBankId) {
  std::vector<SplitWeight> even = {{"PARTNER_A", 5000}, {"LEAD", 5000}};
  EXPECT_EQ(Minor(*SplitByBasisPoints(Amount::FromMinor(1), even, "LEAD")),
            (std::vector<std::int64_t>{0, 1}));
  std::vector<SplitWeight> three = {{"PARTNER_B", 1}, {"LEAD", 1}, {"PARTNER_A", 1}};
  EXPECT_EQ(Minor(*SplitByWeights(Amount::FromMinor(1), three, "LEAD")),
            (std::vector<std::int64_t>{0, 1, 0}));
  EXPECT_EQ(Minor(*SplitByWeights(Amount::FromMinor(2), three, "LEAD")),
            (std::vector<std::int64_t>{0, 1, 1}));
  // Without the lead among them, ids decide ("LEAD" < "PARTNER_A" < "PARTNER_B").
  EXPECT_EQ(Minor(*SplitByWeights(Amount::FromMinor(1), three, "SOMEONE_ELSE")),
            (std::vector<std::int64_t>{0, 1, 0}));
  EXPECT_EQ(Minor(*SplitByWeights(Amount::FromMinor(2), three, "PARTNER_B")),
            (std::vector<std::int64_t>{1, 1, 0}));
}

TEST(SplitTest, LargerRemainderBeatsTheLead) {
  std::vector<SplitWeight> w = {{"LEAD", 1}, {"PARTNER_A", 2}};
  // 1 * 1/3 = 0.33, 1 * 2/3 = 0.67: the partner's remainder is larger.
  EXPECT_EQ(Minor(*SplitByWeights(Amount::FromMinor(1), w, "LEAD")),
            (std::vector<std::int64_t>{0, 1}));
}

TEST(SplitTest, ZeroWeightGetsNothing) {
  std::vector<SplitWeight> w = {{"LEAD", 0}, {"PARTNER_A", 3}, {"PARTNER_B", 0}};
  for (std::int64_t a = 0; a < 50; ++a) {
    EXPECT_EQ(Minor(*SplitByWeights(Amount::FromMinor(a), w, "LEAD")),
              (std::vector<std::int64_t>{0, a, 0}));
  }
}

TEST(SplitTest, ExhaustiveTwoBanksEveryBasisPointShare) {
  const std::vector<std::int64_t> amounts = {0,   1,    2,     3,      7,         99,          100,
                                             101, 9999, 10001, 800000, 123456789, 999999999999};
  for (std::int64_t lead_bp = 0; lead_bp <= 10000; ++lead_bp) {
    std::vector<SplitWeight> w = {{"LEAD", lead_bp}, {"PARTNER_A", 10000 - lead_bp}};
    for (std::int64_t a : amounts) {
      auto parts = SplitByBasisPoints(Amount::FromMinor(a), w, "LEAD");
      ASSERT_TRUE(parts.ok());
      ExpectLargestRemainder(Amount::FromMinor(a), w, "LEAD", *parts);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(SplitTest, ExhaustiveThreeAndFourBanksSmallWeights) {
  // Every weight vector with entries 0..6 over 3 banks and 0..3 over 4 banks, every amount
  // 0..3*W: all remainder patterns and ties occur.
  auto run = [&](const std::vector<std::string>& banks, int max_w, const std::string& lead) {
    const std::size_t n = banks.size();
    std::vector<std::int64_t> ws(n, 0);
    for (;;) {
      std::int64_t sum = 0;
      for (auto x : ws) sum += x;
      if (sum > 0) {
        std::vector<SplitWeight> w;
        for (std::size_t i = 0; i < n; ++i) w.push_back({banks[i], ws[i]});
        for (std::int64_t a = 0; a <= 3 * sum; ++a) {
          auto parts = SplitByWeights(Amount::FromMinor(a), w, lead);
          ASSERT_TRUE(parts.ok());
          ExpectLargestRemainder(Amount::FromMinor(a), w, lead, *parts);
          if (HasFatalFailure()) return;
        }
      }
      std::size_t k = 0;
      while (k < n && ws[k] == max_w) ws[k++] = 0;
      if (k == n) break;
      ++ws[k];
    }
  };
  run({"PARTNER_B", "LEAD", "PARTNER_A"}, 6, "LEAD");
  run({"B", "LEAD", "A", "C"}, 3, "LEAD");
  run({"B", "A", "C"}, 6, "NOT_A_PARTY");
}

TEST(SplitTest, RandomisedLargeAmountsAndWeights) {
  std::mt19937_64 rng(20261122 + kSoakFactor);
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  for (int iter = 0; iter < 20000 * kSoakFactor; ++iter) {
    const std::size_t n = 1 + rng() % 12;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n; ++i) names.push_back("BANK_" + std::to_string(i));
    std::vector<SplitWeight> w;
    // Weights up to kMax / n so their sum fits; amounts anywhere in [0, kMax].
    for (std::size_t i = 0; i < n; ++i) {
      w.push_back(
          {names[i], static_cast<std::int64_t>(rng() % (static_cast<std::uint64_t>(kMax) / n))});
    }
    w[0].weight += 1;  // sum > 0
    const auto a = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(kMax));
    const std::string lead = names[rng() % n];
    auto parts = SplitByWeights(Amount::FromMinor(a), w, lead);
    ASSERT_TRUE(parts.ok());
    ExpectLargestRemainder(Amount::FromMinor(a), w, lead, *parts);
    if (HasFatalFailure()) return;
  }
}

TEST(SplitTest, SplittingTheWholeOutstandingPaysEachBankItsOwn) {
  std::mt19937_64 rng(99 + kSoakFactor);
  for (int iter = 0; iter < 5000 * kSoakFactor; ++iter) {
    const std::size_t n = 1 + rng() % 8;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n; ++i) names.push_back("P" + std::to_string(i));
    std::vector<SplitWeight> w;
    std::int64_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto o = static_cast<std::int64_t>(rng() % 100'000'000'000ULL);
      w.push_back({names[i], o});
      total += o;
    }
    if (total == 0) continue;
    auto parts = SplitByWeights(Amount::FromMinor(total), w, names[0]);
    ASSERT_TRUE(parts.ok());
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ((*parts)[i].minor(), w[i].weight);
  }
}

TEST(SplitTest, RejectsBadInputWithASentence) {
  std::vector<SplitWeight> ok = {{"LEAD", 2000}, {"PARTNER_A", 8000}};
  EXPECT_EQ(SplitByWeights(Amount::FromMinor(-1), ok, "LEAD").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitByWeights(Amount::FromMinor(1), {}, "LEAD").status().code(),
            StatusCode::kInvalidArgument);
  std::vector<SplitWeight> negative = {{"LEAD", -1}, {"PARTNER_A", 8000}};
  EXPECT_NE(
      SplitByWeights(Amount::FromMinor(1), negative, "LEAD").status().message().find("negative"),
      std::string::npos);
  std::vector<SplitWeight> dup = {{"LEAD", 1}, {"LEAD", 1}};
  EXPECT_NE(SplitByWeights(Amount::FromMinor(1), dup, "LEAD").status().message().find("twice"),
            std::string::npos);
  std::vector<SplitWeight> zero = {{"LEAD", 0}, {"PARTNER_A", 0}};
  EXPECT_FALSE(SplitByWeights(Amount::FromMinor(0), zero, "LEAD").ok());
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<SplitWeight> huge = {{"LEAD", kMax}, {"PARTNER_A", 1}};
  EXPECT_EQ(SplitByWeights(Amount::FromMinor(1), huge, "LEAD").status().code(),
            StatusCode::kOutOfRange);
  std::vector<SplitWeight> not_whole = {{"LEAD", 2000}, {"PARTNER_A", 7999}};
  auto r = SplitByBasisPoints(Amount::FromMinor(1), not_whole, "LEAD");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sum to 9999"), std::string::npos);
}

}  // namespace
}  // namespace colend
