// Checked int64 arithmetic for contract state (money in minor units). Overflow is a
// kOutOfRange Status, which a handler's Verdict turns into a BAD_AMOUNT rejection.
#ifndef COLEND_CONTRACTS_SRC_CHECKED_H_
#define COLEND_CONTRACTS_SRC_CHECKED_H_

#include <cstdint>
#include <string>

#include "colend/common/amount.h"
#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend::contracts {

// int64 views of common/amount.h's checked arithmetic (one implementation of overflow).
inline Result<std::int64_t> CheckedAdd(std::int64_t a, std::int64_t b) {
  COLEND_ASSIGN_OR_RETURN(Amount sum, Amount::FromMinor(a).CheckedAdd(Amount::FromMinor(b)));
  return sum.minor();
}

inline Result<std::int64_t> CheckedSub(std::int64_t a, std::int64_t b) {
  COLEND_ASSIGN_OR_RETURN(Amount diff, Amount::FromMinor(a).CheckedSub(Amount::FromMinor(b)));
  return diff.minor();
}

// *target += delta, checked.
inline Status AddTo(std::int64_t* target, std::int64_t delta) {
  COLEND_ASSIGN_OR_RETURN(*target, CheckedAdd(*target, delta));
  return Status::Ok();
}

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_CHECKED_H_
