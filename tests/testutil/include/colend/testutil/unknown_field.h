// Protobuf wire bytes for a field no colend message defines: appended to a serialised
// message, it parses as an unknown field, which is how a hostile peer pads a message
// (tests/sim's padded replica, tests/e2e's byzantine validator). Header-only, no
// dependencies, so the simulator can use it without linking the test utilities.
#ifndef COLEND_TESTUTIL_UNKNOWN_FIELD_H_
#define COLEND_TESTUTIL_UNKNOWN_FIELD_H_

#include <cstdint>
#include <string>

namespace colend::testutil {

// Field `number` (length-delimited) holding `value`.
inline std::string UnknownField(const std::string& value, std::uint32_t number = 1000) {
  std::string out;
  const auto varint = [&out](std::uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  };
  varint((std::uint64_t{number} << 3) | 2u);
  varint(value.size());
  out += value;
  return out;
}

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_UNKNOWN_FIELD_H_
