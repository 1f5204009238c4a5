// Building JSON text in tests.
#ifndef COLEND_TESTUTIL_JSON_TEST_UTIL_H_
#define COLEND_TESTUTIL_JSON_TEST_UTIL_H_

#include <string>
#include <string_view>

namespace colend::testutil {

// A JSON string literal of `text` with its newlines escaped (enough for PEM blocks, which
// hold no quotes or backslashes).
inline std::string JsonQuoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_JSON_TEST_UTIL_H_
