// Checked int64 arithmetic for contract state (money in minor units). Overflow is a
// kOutOfRange Status, which a handler's Verdict turns into a BAD_AMOUNT rejection.
#ifndef COLEND_CONTRACTS_SRC_CHECKED_H_
#define COLEND_CONTRACTS_SRC_CHECKED_H_

#include <cstdint>
#include <string>

#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend::contracts {

inline Result<std::int64_t> CheckedAdd(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return Status::OutOfRange(std::to_string(a) + " + " + std::to_string(b) +
                              " leaves the int64 range");
  }
  return out;
}

inline Result<std::int64_t> CheckedSub(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) {
    return Status::OutOfRange(std::to_string(a) + " - " + std::to_string(b) +
                              " leaves the int64 range");
  }
  return out;
}

// *target += delta, checked.
inline Status AddTo(std::int64_t* target, std::int64_t delta) {
  COLEND_ASSIGN_OR_RETURN(*target, CheckedAdd(*target, delta));
  return Status::Ok();
}

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_CHECKED_H_
