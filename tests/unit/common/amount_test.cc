#include "colend/common/amount.h"

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace colend {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

TEST(AmountTest, ParseCanonicalDecimal) {
  EXPECT_EQ(Amount::Parse("800000")->minor(), 800000);
  EXPECT_EQ(Amount::Parse("0")->minor(), 0);
  EXPECT_EQ(Amount::Parse("-5")->minor(), -5);
  EXPECT_EQ(Amount::Parse("9223372036854775807")->minor(), kMax);
  EXPECT_EQ(Amount::Parse("-9223372036854775808")->minor(), kMin);
}

TEST(AmountTest, ParseRejectsEverythingElseWithASentence) {
  for (const char* bad :
       {"", "-", "+5", " 5", "5 ", "05", "-0", "-05", "1.5", "1e3", "1,000", "0x10",
        "9223372036854775808", "-9223372036854775809", "99999999999999999999", "١٢"}) {
    Result<Amount> r = Amount::Parse(bad);
    ASSERT_FALSE(r.ok()) << '"' << bad << '"';
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("minor units"), std::string::npos);
  }
}

TEST(AmountTest, ToStringRoundTripsThroughParse) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const auto v = static_cast<std::int64_t>(rng());
    const Amount a = Amount::FromMinor(v);
    EXPECT_EQ(*Amount::Parse(a.ToString()), a);
  }
  EXPECT_EQ(Amount::FromMinor(kMin).ToString(), "-9223372036854775808");
}

TEST(AmountTest, CheckedAddAndSubFailInsteadOfWrapping) {
  const Amount max = Amount::FromMinor(kMax);
  const Amount min = Amount::FromMinor(kMin);
  const Amount one = Amount::FromMinor(1);
  EXPECT_EQ(*max.CheckedSub(one), Amount::FromMinor(kMax - 1));
  EXPECT_EQ(*min.CheckedAdd(max), Amount::FromMinor(-1));

  Result<Amount> over = max.CheckedAdd(one);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(min.CheckedSub(one).ok());
  EXPECT_FALSE(min.CheckedNegate().ok());
  EXPECT_EQ(*max.CheckedNegate(), Amount::FromMinor(-kMax));
}

TEST(AmountTest, ComparisonsAndPredicates) {
  EXPECT_LT(Amount::FromMinor(-1), Amount::Zero());
  EXPECT_TRUE(Amount::FromMinor(-1).is_negative());
  EXPECT_TRUE(Amount::Zero().is_zero());
  EXPECT_TRUE(Amount::FromMinor(3).is_positive());
}

TEST(AmountTest, MulDivFloorUses128BitIntermediates) {
  // kMax * kMax overflows 64 bits but the quotient fits.
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(kMax), kMax, kMax), Amount::FromMinor(kMax));
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(kMax), 10000, 10000), Amount::FromMinor(kMax));
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(kMin), 1, 1), Amount::FromMinor(kMin));
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(7), 1, 2), Amount::FromMinor(3));
}

TEST(AmountTest, MulDivFloorRoundsTowardNegativeInfinity) {
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(-7), 1, 2), Amount::FromMinor(-4));
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(-1), 1, 10000), Amount::FromMinor(-1));
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(-8), 1, 2), Amount::FromMinor(-4));
  EXPECT_EQ(*MulDivFloor(Amount::FromMinor(7), -1, 2), Amount::FromMinor(-4));
}

TEST(AmountTest, MulDivFloorErrors) {
  EXPECT_EQ(MulDivFloor(Amount::FromMinor(1), 1, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MulDivFloor(Amount::FromMinor(1), 1, -3).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MulDivFloor(Amount::FromMinor(kMax), 2, 1).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(MulDivFloor(Amount::FromMinor(kMin), -1, 1).status().code(), StatusCode::kOutOfRange);
}

TEST(AmountTest, MulDivFloorMatchesExactArithmeticOnSmallValues) {
  for (std::int64_t a = -300; a <= 300; ++a) {
    for (std::int64_t num = -20; num <= 20; ++num) {
      for (std::int64_t den = 1; den <= 17; ++den) {
        const std::int64_t p = a * num;
        std::int64_t expected = p / den;
        if (p % den != 0 && p < 0) --expected;  // floor
        ASSERT_EQ(MulDivFloor(Amount::FromMinor(a), num, den)->minor(), expected)
            << a << '*' << num << '/' << den;
        ASSERT_LE(expected * den, p);
        ASSERT_GT((expected + 1) * den, p);
      }
    }
  }
}

TEST(AmountTest, ServiceFeeFromDomainExample) {
  // docs/api.md: PARTNER_A's interest part 9600, service fee 1500 bp -> 1440.
  EXPECT_EQ(*ApplyBasisPoints(Amount::FromMinor(9600), 1500), Amount::FromMinor(1440));
  EXPECT_EQ(*ApplyBasisPoints(Amount::FromMinor(9999), 1), Amount::FromMinor(0));
  EXPECT_EQ(*ApplyBasisPoints(Amount::FromMinor(10000), 1), Amount::FromMinor(1));
  EXPECT_FALSE(ApplyBasisPoints(Amount::FromMinor(1), -1).ok());
}

TEST(AmountTest, CheckedSum) {
  std::vector<Amount> v = {Amount::FromMinor(5), Amount::FromMinor(-2), Amount::FromMinor(10)};
  EXPECT_EQ(*CheckedSum(v), Amount::FromMinor(13));
  EXPECT_EQ(*CheckedSum({}), Amount::Zero());
  std::vector<Amount> over = {Amount::FromMinor(kMax), Amount::FromMinor(1)};
  EXPECT_EQ(CheckedSum(over).status().code(), StatusCode::kOutOfRange);
  // A partial sum may leave the range on the way back into it.
  std::vector<Amount> through = {Amount::FromMinor(kMax), Amount::FromMinor(1),
                                 Amount::FromMinor(-5)};
  EXPECT_EQ(*CheckedSum(through), Amount::FromMinor(kMax - 4));
  // Only the total must fit, not a partial sum: kMax + kMax - kMax - kMax + 7 is 7.
  std::vector<Amount> back = {Amount::FromMinor(kMax), Amount::FromMinor(kMax),
                              Amount::FromMinor(-kMax), Amount::FromMinor(-kMax),
                              Amount::FromMinor(7)};
  EXPECT_EQ(*CheckedSum(back), Amount::FromMinor(7));
  std::vector<Amount> low = {Amount::FromMinor(-kMax), Amount::FromMinor(-2)};
  EXPECT_EQ(CheckedSum(low).status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace colend
