// Splitting an amount among banks by integer weights — the largest-remainder rule of
// docs/domain.md, used for every split the settlement contract makes:
//
//   bank i gets floor(A * w_i / W); the cents left over go one each to the banks with the
//   largest remainder (A * w_i) mod W, ties to the lead bank, then by bank id ascending.
//
// Weights are shares in basis points for an origination, each bank's outstanding principal
// for a repayment, each bank's loss for a recovery. The parts always sum to A and each is
// within one cent of its exact share; when A == W every bank gets exactly its weight
// (repaying the whole outstanding pays each bank exactly its own outstanding).
// Pure functions; thread-safe.
#ifndef COLEND_COMMON_SPLIT_H_
#define COLEND_COMMON_SPLIT_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "colend/common/amount.h"
#include "colend/common/result.h"

namespace colend {

struct SplitWeight {
  std::string_view bank;  // bank id; must be unique within one split
  std::int64_t weight;    // >= 0
};

// Returns one part per entry of `weights`, in the same order.
// Fails with kInvalidArgument if `total` is negative, `weights` is empty, a weight is
// negative, a bank id repeats, or the weights sum to 0; kOutOfRange if they overflow int64.
// `lead` wins ties on the remainder; it need not be among the weights.
Result<std::vector<Amount>> SplitByWeights(Amount total, std::span<const SplitWeight> weights,
                                           std::string_view lead);

// SplitByWeights with weights in basis points that must sum to exactly 10,000
// (kInvalidArgument otherwise, naming the sum).
Result<std::vector<Amount>> SplitByBasisPoints(Amount total, std::span<const SplitWeight> shares_bp,
                                               std::string_view lead);

}  // namespace colend

#endif  // COLEND_COMMON_SPLIT_H_
