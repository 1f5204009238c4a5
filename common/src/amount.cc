#include "colend/common/amount.h"

#include <string>

#include "colend/common/int128.h"

namespace colend {
namespace {

Status Overflow(const char* op, Amount a, Amount b) {
  return Status::OutOfRange(std::string("amount overflow: ") + a.ToString() + " " + op + " " +
                            b.ToString() + " leaves the 64-bit range");
}

}  // namespace

Result<Amount> Amount::Parse(std::string_view s) {
  const std::string_view original = s;
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("amount \"" + std::string(original) + "\" " + why +
                                   "; expected a decimal string of integer minor units");
  };
  if (s.empty()) return bad("is empty");
  const bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty()) return bad("has no digits");
  for (char c : s) {
    if (c < '0' || c > '9') return bad("has a character that is not a digit");
  }
  if (s.size() > 1 && s.front() == '0') return bad("has a leading zero");
  if (negative && s == "0") return bad("is negative zero");
  if (s.size() > 19) return bad("is out of the 64-bit range");
  Int128 v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (negative) v = -v;
  if (!FitsInt64(v)) return bad("is out of the 64-bit range");
  return Amount(static_cast<std::int64_t>(v));
}

std::string Amount::ToString() const {
  return std::to_string(minor_);
}

Result<Amount> Amount::CheckedAdd(Amount other) const {
  std::int64_t out = 0;
  if (__builtin_add_overflow(minor_, other.minor_, &out)) return Overflow("+", *this, other);
  return Amount(out);
}

Result<Amount> Amount::CheckedSub(Amount other) const {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(minor_, other.minor_, &out)) return Overflow("-", *this, other);
  return Amount(out);
}

Result<Amount> Amount::CheckedNegate() const {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(std::int64_t{0}, minor_, &out)) {
    return Status::OutOfRange("amount overflow: -(" + ToString() + ") leaves the 64-bit range");
  }
  return Amount(out);
}

std::ostream& operator<<(std::ostream& os, Amount amount) {
  return os << amount.ToString();
}

Result<Amount> MulDivFloor(Amount amount, std::int64_t numerator, std::int64_t denominator) {
  if (denominator <= 0) {
    return Status::InvalidArgument("divisor " + std::to_string(denominator) + " must be positive");
  }
  const Int128 q = FloorDiv(Int128{amount.minor()} * numerator, denominator);
  if (!FitsInt64(q)) {
    return Status::OutOfRange("amount overflow: " + amount.ToString() + " * " +
                              std::to_string(numerator) + " / " + std::to_string(denominator) +
                              " leaves the 64-bit range");
  }
  return Amount::FromMinor(static_cast<std::int64_t>(q));
}

Result<Amount> ApplyBasisPoints(Amount amount, std::int64_t bp) {
  if (bp < 0) {
    return Status::InvalidArgument("basis points " + std::to_string(bp) + " must not be negative");
  }
  return MulDivFloor(amount, bp, kBasisPointsPerWhole);
}

Result<Amount> CheckedSum(std::span<const Amount> amounts) {
  // 128 bits hold the sum of 2^64 int64 values, so only the total itself can overflow.
  Int128 total = 0;
  for (Amount a : amounts) total += a.minor();
  if (!FitsInt64(total)) {
    return Status::OutOfRange("amount overflow: a sum of " + std::to_string(amounts.size()) +
                              " amounts leaves the 64-bit range");
  }
  return Amount::FromMinor(static_cast<std::int64_t>(total));
}

}  // namespace colend
