// Byte strings and their hex form.
//
// Bytes owns; ByteView borrows (the caller keeps the storage alive). Hex is lower-case
// on output; input accepts either case and nothing else (no "0x", no whitespace).
#ifndef COLEND_COMMON_BYTES_H_
#define COLEND_COMMON_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/result.h"

namespace colend {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Views the characters of `s` as bytes (no copy).
inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline Bytes ToBytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
inline std::string ToString(ByteView b) {
  return std::string(b.begin(), b.end());
}

// Lower-case hex, two characters per byte.
std::string ToHex(ByteView bytes);

// Parses hex of even length; fails with InvalidArgument naming the first bad position.
Result<Bytes> FromHex(std::string_view hex);

// Compares in time independent of where the inputs differ (for MACs and secrets).
bool ConstantTimeEqual(ByteView a, ByteView b);

}  // namespace colend

#endif  // COLEND_COMMON_BYTES_H_
