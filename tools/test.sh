#!/usr/bin/env bash
# Bootstrap, configure with a CMake preset, build, and run the test suite (labels `unit`
# and `integration`). Exits non-zero on any failure.
#
#   tools/test.sh            # the `ci` preset: optimised, warnings as errors
#   tools/test.sh asan       # any preset from CMakePresets.json: dev, release, ci, asan, tsan
#   tools/test.sh dev -R Split   # extra arguments go to ctest
#
# After the tests, a fuzz smoke: every libFuzzer target of tests/fuzz/ built (the `fuzz`
# preset, build/fuzz) and run a few seconds from its seed corpus (tools/fuzz.sh all 4).
# COLEND_SKIP_FUZZ=1 skips it; so do extra ctest arguments (a filtered run).
set -euo pipefail
cd "$(dirname "$0")/.."

preset="${1:-ci}"
shift || true

./tools/check_self_contained.sh  # no reference outside the repository; links resolve
./tools/bootstrap.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j "$(nproc)" "$@"

if [[ ${COLEND_SKIP_FUZZ:-0} == 1 ]]; then
  echo "test.sh: fuzz smoke skipped (COLEND_SKIP_FUZZ=1)"
elif (($# > 0)); then
  echo "test.sh: fuzz smoke skipped (a filtered ctest run)"
else
  ./tools/fuzz.sh all "${COLEND_FUZZ_SMOKE_SECONDS:-4}"
fi
