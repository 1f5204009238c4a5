// Checked int64 arithmetic on the amounts a transaction brings or moves (money in minor
// units). A sum that would leave the 64-bit range is the transaction's own failure: the
// Outcome is a BAD_AMOUNT rejection naming the sum, never a fault, because a hostile amount
// must not stop the chain. Every failure of common/amount.h's checked operations is such an
// overflow (that is their contract), so nothing here needs to look at a status code.
#ifndef COLEND_CONTRACTS_SRC_CHECKED_H_
#define COLEND_CONTRACTS_SRC_CHECKED_H_

#include <cstdint>
#include <string>

#include "colend/common/amount.h"
#include "colend/common/status.h"
#include "verdict.h"

namespace colend::contracts {

// The rejection of a transaction whose amounts would overflow; `why` names the sum.
inline Verdict Overflow(const Status& why) {
  return Verdict::Reject(ErrorCode::kBadAmount, "amounts would overflow: " + why.message());
}

// int64 views of common/amount.h's checked arithmetic (one implementation of overflow).
inline Outcome<std::int64_t> CheckedAdd(std::int64_t a, std::int64_t b) {
  Result<Amount> sum = Amount::FromMinor(a).CheckedAdd(Amount::FromMinor(b));
  if (!sum.ok()) return Overflow(sum.status());
  return sum->minor();
}

inline Outcome<std::int64_t> CheckedSub(std::int64_t a, std::int64_t b) {
  Result<Amount> diff = Amount::FromMinor(a).CheckedSub(Amount::FromMinor(b));
  if (!diff.ok()) return Overflow(diff.status());
  return diff->minor();
}

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_CHECKED_H_
