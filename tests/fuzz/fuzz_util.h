// What every fuzz target (README.md, "Fuzzing") shares: the chain id, the replicas' clock,
// and how a target reports a broken invariant. Needs only the standard library, so targets
// of any module can include it; fuzz_chain.h adds the consensus and key helpers.
#ifndef COLEND_TESTS_FUZZ_FUZZ_UTIL_H_
#define COLEND_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace colend::fuzz {

inline constexpr char kChainId[] = "colend-fuzz-1";
inline constexpr std::uint64_t kNowMs = 1'764'000'000'000;  // the replicas' clock
inline constexpr std::uint64_t kGenesisTimeMs = 1'763'000'000'000;

// A harness invariant broke (not a decoder returning an error, which is fine): print and
// abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void Fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "FUZZ INVARIANT: %s %s\n", what, detail.c_str());
  std::abort();
}

inline std::string_view AsView(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace colend::fuzz

#endif  // COLEND_TESTS_FUZZ_FUZZ_UTIL_H_
