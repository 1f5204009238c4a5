// UTF-8 well-formedness (RFC 3629): shared by the JSON writer, which replaces what is not
// well formed, and the strict Protobuf decoder, which refuses it. Private to
// colend_contracts.
#ifndef COLEND_CONTRACTS_SRC_UTF8_H_
#define COLEND_CONTRACTS_SRC_UTF8_H_

#include <cstddef>
#include <string_view>

namespace colend::contracts::internal {

// The length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0 if none starts
// there (a stray continuation byte, an overlong form, a surrogate, a code point above
// U+10FFFF, or a sequence cut off by the end of `s`). REQUIRES: i < s.size().
inline std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;  // allowed range of the second byte
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < length) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (next < low || next > high) : (next < 0x80 || next > 0xbf)) return 0;
  }
  return length;
}

inline bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = Utf8SequenceLength(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace colend::contracts::internal

#endif  // COLEND_CONTRACTS_SRC_UTF8_H_
