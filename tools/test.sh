#!/usr/bin/env bash
# Bootstrap, configure with a CMake preset, build, and run the test suite (labels `unit`
# and `integration`). Exits non-zero on any failure.
#
#   tools/test.sh            # the `ci` preset: optimised, warnings as errors
#   tools/test.sh asan       # any preset from CMakePresets.json: dev, release, ci, asan, tsan
#   tools/test.sh dev -R Split   # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."

preset="${1:-ci}"
shift || true

./tools/check_self_contained.sh  # no reference outside the repository; links resolve
./tools/bootstrap.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j "$(nproc)" "$@"
