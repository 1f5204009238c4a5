#include "colend/common/split.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <string>

#include "colend/common/int128.h"

namespace colend {
namespace {

// Orders banks for the left-over cents: larger remainder first, then the lead, then by id.
struct RemainderOrder {
  std::span<const SplitWeight> weights;
  const std::vector<Int128>& remainders;
  std::string_view lead;

  bool operator()(std::size_t a, std::size_t b) const {
    if (remainders[a] != remainders[b]) return remainders[a] > remainders[b];
    const bool a_lead = weights[a].bank == lead;
    const bool b_lead = weights[b].bank == lead;
    if (a_lead != b_lead) return a_lead;
    return weights[a].bank < weights[b].bank;
  }
};

Status ValidateWeights(Amount total, std::span<const SplitWeight> weights, std::int64_t* sum) {
  if (total.is_negative()) {
    return Status::InvalidArgument("cannot split a negative amount " + total.ToString());
  }
  if (weights.empty()) return Status::InvalidArgument("cannot split among no banks");
  std::set<std::string_view> seen;
  std::int64_t w_sum = 0;
  for (const SplitWeight& w : weights) {
    if (w.weight < 0) {
      return Status::InvalidArgument("weight " + std::to_string(w.weight) + " of bank " +
                                     std::string(w.bank) + " is negative");
    }
    if (!seen.insert(w.bank).second) {
      return Status::InvalidArgument("bank " + std::string(w.bank) + " appears twice in a split");
    }
    if (__builtin_add_overflow(w_sum, w.weight, &w_sum)) {
      return Status::OutOfRange("split weights overflow the 64-bit range");
    }
  }
  if (w_sum == 0) return Status::InvalidArgument("split weights sum to zero");
  *sum = w_sum;
  return Status::Ok();
}

}  // namespace

Result<std::vector<Amount>> SplitByWeights(Amount total, std::span<const SplitWeight> weights,
                                           std::string_view lead) {
  std::int64_t w_sum = 0;
  COLEND_RETURN_IF_ERROR(ValidateWeights(total, weights, &w_sum));

  const std::size_t n = weights.size();
  std::vector<Amount> parts(n);
  std::vector<Int128> remainders(n);
  Int128 allocated = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Int128 product = Int128{total.minor()} * weights[i].weight;  // |.| < 2^126
    const Int128 floor_part = product / w_sum;                         // both >= 0
    remainders[i] = product % w_sum;
    parts[i] = Amount::FromMinor(static_cast<std::int64_t>(floor_part));  // <= total
    allocated += floor_part;
  }

  // sum(remainders) == leftover * W and each remainder < W, so fewer than n cents are left
  // and every bank that receives one has a non-zero remainder.
  const auto leftover = static_cast<std::size_t>(Int128{total.minor()} - allocated);
  COLEND_CHECK(leftover < n);
  if (leftover > 0) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(leftover),
                      order.end(), RemainderOrder{weights, remainders, lead});
    for (std::size_t k = 0; k < leftover; ++k) {
      const std::size_t i = order[k];
      parts[i] = Amount::FromMinor(parts[i].minor() + 1);
    }
  }
  return parts;
}

Result<std::vector<Amount>> SplitByBasisPoints(Amount total, std::span<const SplitWeight> shares_bp,
                                               std::string_view lead) {
  Int128 sum = 0;
  for (const SplitWeight& w : shares_bp) sum += w.weight;
  if (sum != kBasisPointsPerWhole) {
    return Status::InvalidArgument("shares sum to " +
                                   std::to_string(static_cast<std::int64_t>(sum)) +
                                   " basis points; they must sum to 10000");
  }
  return SplitByWeights(total, shares_bp, lead);
}

}  // namespace colend
