// Money: signed 64-bit integer minor units (fen, cents), with checked arithmetic.
//
// docs/domain.md: money is never floating point; every operation that could overflow returns a
// Result and fails with kOutOfRange instead of wrapping; products are taken in 128 bits
// before dividing. The ISO-4217 currency travels beside an Amount in the records that hold
// one (a posting, a loan); code that adds amounts from two records compares their currencies.
// Thread safety: Amount is an immutable value.
#ifndef COLEND_COMMON_AMOUNT_H_
#define COLEND_COMMON_AMOUNT_H_

#include <compare>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "colend/common/result.h"

namespace colend {

// 10,000 basis points make a whole (100 %).
inline constexpr std::int64_t kBasisPointsPerWhole = 10'000;

class Amount {
 public:
  constexpr Amount() = default;
  static constexpr Amount FromMinor(std::int64_t minor) { return Amount(minor); }
  static constexpr Amount Zero() { return Amount(0); }

  // Parses a decimal string of integer minor units as used in docs/api.md ("800000", "-5", "0").
  // Accepts an optional leading '-' then digits; rejects empty strings, '+', whitespace,
  // leading zeros ("007"), "-0", decimal points and anything beyond the int64 range.
  static Result<Amount> Parse(std::string_view decimal);

  constexpr std::int64_t minor() const { return minor_; }
  constexpr bool is_zero() const { return minor_ == 0; }
  constexpr bool is_negative() const { return minor_ < 0; }
  constexpr bool is_positive() const { return minor_ > 0; }

  // The canonical decimal form that Parse accepts: "800000", "-5", "0".
  std::string ToString() const;

  // Checked arithmetic: kOutOfRange on overflow, never wraps.
  Result<Amount> CheckedAdd(Amount other) const;
  Result<Amount> CheckedSub(Amount other) const;
  Result<Amount> CheckedNegate() const;

  friend constexpr auto operator<=>(Amount, Amount) = default;

 private:
  constexpr explicit Amount(std::int64_t minor) : minor_(minor) {}

  std::int64_t minor_ = 0;
};

std::ostream& operator<<(std::ostream& os, Amount amount);

// floor(amount * numerator / denominator), the product taken in 128 bits, rounding toward
// negative infinity (so a negative amount rounds away from zero, never in its own favour).
// Fails with kInvalidArgument if denominator <= 0, kOutOfRange if the result leaves int64.
Result<Amount> MulDivFloor(Amount amount, std::int64_t numerator, std::int64_t denominator);

// floor(amount * bp / 10000): the part of `amount` that `bp` basis points stand for
// (e.g. the service fee on a partner's interest). REQUIRES nothing; bp outside
// [0, 10000] is allowed (rates above 100 %) but must be >= 0, else kInvalidArgument.
Result<Amount> ApplyBasisPoints(Amount amount, std::int64_t bp);

// The sum of `amounts`, or kOutOfRange if it leaves int64 (a partial sum on the way may:
// the sum is taken in 128 bits).
Result<Amount> CheckedSum(std::span<const Amount> amounts);

}  // namespace colend

#endif  // COLEND_COMMON_AMOUNT_H_
