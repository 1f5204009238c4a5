// A signed 128-bit integer for intermediate products of two int64 values (a money amount
// times a weight), which always fit: |a * b| <= 2^126 < 2^127.
#ifndef COLEND_COMMON_INT128_H_
#define COLEND_COMMON_INT128_H_

#include <cstdint>
#include <limits>

namespace colend {

__extension__ using Int128 = __int128;

inline constexpr Int128 kInt64Min = std::numeric_limits<std::int64_t>::min();
inline constexpr Int128 kInt64Max = std::numeric_limits<std::int64_t>::max();

inline constexpr bool FitsInt64(Int128 v) {
  return v >= kInt64Min && v <= kInt64Max;
}

// floor(n / d) for d > 0 (C++ division truncates toward zero).
inline constexpr Int128 FloorDiv(Int128 n, Int128 d) {
  Int128 q = n / d;
  if ((n % d != 0) && (n < 0)) --q;
  return q;
}

}  // namespace colend

#endif  // COLEND_COMMON_INT128_H_
