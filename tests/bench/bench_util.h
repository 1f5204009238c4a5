// Shared by the benchmarks: they have no Status channel, so a setup failure ends the run
// with its reason.
#ifndef COLEND_TESTS_BENCH_BENCH_UTIL_H_
#define COLEND_TESTS_BENCH_BENCH_UTIL_H_

#include <cstdlib>
#include <iostream>
#include <utility>

#include "colend/common/result.h"

namespace colend::bench {

template <typename T>
T OrDie(Result<T> result) {
  if (!result.ok()) {
    std::cerr << "benchmark setup failed: " << result.status() << "\n";
    std::abort();
  }
  return std::move(result).value();
}

}  // namespace colend::bench

#endif  // COLEND_TESTS_BENCH_BENCH_UTIL_H_
