#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, the `fuzz` preset: clang, ASan + UBSan) and runs
# one or all of them from their seed corpus for a while. New corpus inputs, crashes, leaks
# and timeouts go to a fresh temporary directory (printed at the end); the committed corpus
# (tests/fuzz/corpus/<target>/) is only read. Inputs under tests/fuzz/regressions/<target>/
# are replayed first, once each.
#
#   tools/fuzz.sh                      # every target, 60 s each
#   tools/fuzz.sh signed_tx 600        # one target for 10 minutes
#   tools/fuzz.sh all 4                # every target 4 s: the smoke tools/test.sh runs
#
# Environment:
#   COLEND_FUZZ_BUILD_JOBS   parallel compile jobs (default: ninja's, one per core)
#   COLEND_FUZZ_OUT          where findings go (default: a new mktemp -d directory)
#   COLEND_FUZZ_ARGS         extra libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-dict=..."
#   COLEND_FUZZ_NO_BUILD=1   run what build/fuzz holds, without configuring or building
# Exit status: 0 when no target crashed, leaked or timed out; 1 otherwise (each reproducer is
# named, with the command that replays it); 2 for bad arguments or a failed build.
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(signed_tx tx_json genesis node_config p2p_frame consensus_message certified_block
             rpc recon_ledger)
target="${1:-all}"
seconds="${2:-60}"
if [[ $target == all ]]; then
  targets=("${targets_all[@]}")
elif [[ " ${targets_all[*]} " == *" $target "* ]]; then
  targets=("$target")
else
  echo "fuzz.sh: unknown target '$target'; one of: all ${targets_all[*]}" >&2
  exit 2
fi
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz.sh: seconds must be a positive integer" >&2; exit 2; }

bin=build/fuzz/tests/fuzz
if [[ ${COLEND_FUZZ_NO_BUILD:-0} != 1 ]]; then
  ./tools/bootstrap.sh
  cmake --preset fuzz >/dev/null || exit 2
  build_targets=()
  for t in "${targets[@]}"; do build_targets+=("${t}_fuzzer"); done
  cmake --build --preset fuzz ${COLEND_FUZZ_BUILD_JOBS:+-j "$COLEND_FUZZ_BUILD_JOBS"} \
    --target "${build_targets[@]}" || exit 2
fi

out="${COLEND_FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/colend-fuzz.XXXXXX")}"
mkdir -p "$out"
# Abort on the first report, with symbolised stacks; a leak is a failure too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
printf '%-18s %10s %8s %7s %7s  %s\n' target execs exec/s cov ft result
for t in "${targets[@]}"; do
  fuzzer="$bin/${t}_fuzzer"
  [[ -x $fuzzer ]] || { echo "fuzz.sh: $fuzzer not built" >&2; exit 2; }
  dir="$out/$t"
  mkdir -p "$dir/corpus" "$dir/tmp"
  export TMPDIR="$dir/tmp"  # scratch files of the targets (node_config, recon_ledger)
  log="$dir/fuzz.log"
  result=ok

  regressions=(tests/fuzz/regressions/"$t"/*)
  if [[ -e ${regressions[0]} ]]; then
    if ! "$fuzzer" -artifact_prefix="$dir/" "${regressions[@]}" >"$dir/regressions.log" 2>&1; then
      result="REGRESSION (see $dir/regressions.log)"
    fi
  fi

  seeds=()
  [[ -d tests/fuzz/corpus/$t ]] && seeds+=("tests/fuzz/corpus/$t")
  # shellcheck disable=SC2086  # COLEND_FUZZ_ARGS is a list of flags
  if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$dir/" ${COLEND_FUZZ_ARGS:-} \
      "$dir/corpus" "${seeds[@]}" >"$log" 2>&1; then
    result="FAILED (see $log)"
  fi
  # The last status line ("#N DONE cov: X ft: Y ...") and the final stats.
  done_line=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -n 1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p' "$log" | tail -n 1)
  for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
    [[ -e $a ]] || continue
    result="FAILED"
    echo "  $t: $(basename "$a"): replay with: $fuzzer $a" >&2
  done
  [[ $result == ok ]] || failed+=("$t")
  printf '%-18s %10s %8s %7s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done

echo "fuzz.sh: logs, new corpus inputs and findings in $out"
if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
