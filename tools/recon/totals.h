// Control totals for colend-recon's reports. A ledger can hold any amounts, so a sum of a
// million rows could exceed int64 minor units; totals then stop at the int64 limit instead
// of wrapping (the report still shows every row's own amount exactly).
#ifndef COLEND_TOOLS_RECON_TOTALS_H_
#define COLEND_TOOLS_RECON_TOTALS_H_

#include <cstdint>
#include <limits>

namespace colend::recon {

inline std::int64_t AddSat(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return r;
}

}  // namespace colend::recon

#endif  // COLEND_TOOLS_RECON_TOTALS_H_
