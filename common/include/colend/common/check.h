// Always-on invariant checks.
//
// COLEND_CHECK guards real internal invariants only — states the program must never reach
// whatever its input (two different commits at one height, a Result read without a value).
// Malformed or byzantine input is never CHECKed: it is rejected with a Status
// (docs/style.md rule 4).
#ifndef COLEND_COMMON_CHECK_H_
#define COLEND_COMMON_CHECK_H_

namespace colend::internal {

// Prints "file:line: CHECK failed: <expr> <detail>" to stderr and aborts. Never returns.
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const char* detail);

}  // namespace colend::internal

#define COLEND_CHECK(cond)                                            \
  do {                                                                \
    if (!(cond)) [[unlikely]]                                         \
      ::colend::internal::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (false)

#define COLEND_CHECK_MSG(cond, detail)                                      \
  do {                                                                      \
    if (!(cond)) [[unlikely]]                                               \
      ::colend::internal::CheckFailed(__FILE__, __LINE__, #cond, (detail)); \
  } while (false)

#endif  // COLEND_COMMON_CHECK_H_
