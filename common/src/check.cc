#include "colend/common/check.h"

#include <cstdio>
#include <cstdlib>

namespace colend::internal {

void CheckFailed(const char* file, int line, const char* expr, const char* detail) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s%s%s\n", file, line, expr,
               (detail != nullptr && detail[0] != '\0') ? " — " : "",
               detail != nullptr ? detail : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace colend::internal
