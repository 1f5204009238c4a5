#!/usr/bin/env bash
# The liveness figures of docs/operations.md, repeatable: runs colend-bench against a fresh
# 4-bank localnet per run and prints one line per run.
#
#   tools/bench/overload.sh RATE[,RATE...] RUNS [DURATION_S] [-- colend-bench options]
#
#   tools/bench/overload.sh 4000,7000 10 15 -- --connections 16 --batch 100
#       alternates the peak probe (4,000 tx/s offered) and about 2x the peak (7,000) ten times
#       each, every run on a fresh chain, 15 s of offered load per run. Send in bulk: with one
#       transaction per call the senders cannot offer more than the nodes answer (README,
#       "colend-bench").
#
# Each line: offered rate, committed tx/s, committed/admitted, BUSY answers, p50/p99 of admitted
# transactions (ms), whether the four nodes agree, every node's peak RSS (VmHWM, MB), and
# `openssl speed ecdsap256` verify/s of one core measured just before the run (the machine's
# own baseline in the same minute). The colend-bench JSON of each run is kept in
# $OUT (default build/overload-<time>/) as run-<n>-<rate>.json.
#
# SAME_CHAIN=1 runs them all on one network and chain, made once, instead (the drift
# figure: p99 run after run while the chain grows); each node's peak RSS is then since the
# network started.
#
# NODE_TOML_SED, if set, is a sed script applied to every node.toml before the nodes start
# (e.g. NODE_TOML_SED='s/^signer_share_pct = .*/signer_share_pct = 100/').
#
# Uses the binaries of build/release/bin (COLEND_BIN overrides); builds nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

rates=${1:?usage: overload.sh RATE[,RATE...] RUNS [DURATION_S] [-- bench options]}
runs=${2:?usage: overload.sh RATE[,RATE...] RUNS [DURATION_S] [-- bench options]}
duration=${3:-15}
shift $(($# < 3 ? $# : 3))
[[ ${1:-} == -- ]] && shift
bench_args=("$@")

bin=${COLEND_BIN:-$root/build/release/bin}
for b in colend-node colend-netgen colend-bench colend-cli; do
  [[ -x $bin/$b ]] || { echo "overload.sh: $bin/$b is missing (build the release preset)" >&2; exit 2; }
done
out=${OUT:-$root/build/overload-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$out"
base=${OVERLOAD_BASE_PORT:-31300}
net=$out/net

source tools/localnet.sh
trap 'localnet_stop "$net"' EXIT

verify_per_s() {  # one core, 3 s: the "verify/s" column of openssl speed
  openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print int($NF)}'
}

peak_rss_mb() {  # every node's VmHWM, MB, comma-separated
  local list=""
  for pidf in "$net"/*/node.pid; do
    local pid
    pid=$(cat "$pidf")
    local kb
    kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    list+="${list:+,}$((kb / 1024))"
  done
  echo "$list"
}

IFS=, read -r -a rate_list <<<"$rates"
printf '%-4s %-6s %-9s %-8s %-16s %-8s %-13s %-5s %-19s %-8s %s\n' run rate committed/s "commit%" \
  "committed/admit" busy p50/p99_ms agree rss_mb verify/s load
n=0
for ((r = 1; r <= runs; r++)); do
  for rate in "${rate_list[@]}"; do
    n=$((n + 1))
    if [[ ${SAME_CHAIN:-0} != 1 || $n == 1 ]]; then
      localnet_make "$bin" "$net" "$base" >/dev/null
      if [[ -n ${NODE_TOML_SED:-} ]]; then sed -i -e "$NODE_TOML_SED" "$net"/*/node.toml; fi
      "$net/start.sh" >/dev/null
      localnet_wait "$bin" "$net" "$base"
    fi
    verify=$(verify_per_s)
    json=$out/run-$n-$rate.json
    "$bin/colend-bench" --network "$net/network.json" --rate "$rate" --duration "$duration" \
      --json --quiet "${bench_args[@]}" >"$json"
    rss=$(peak_rss_mb)
    load=$(cut -d' ' -f1 /proc/loadavg)
    python3 - "$json" "$n" "$rate" "$rss" "$verify" "$load" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
n, rate, rss, verify, load = sys.argv[2:]
adm = j["admitted"]
com = j["committed"]
lat = j["latency_ms"]
print(f'{n:<4} {rate:<6} {j["committed_tps"]:<12.0f} {100.0*com/max(adm,1):<8.2f} '
      f'{com}/{adm:<9} {j["busy_answers"]:<8} {lat["p50"]:.0f}/{lat["p99"]:<9.0f} '
      f'{str(j["nodes_agree"]).lower():<5} {rss:<19} {verify:<8} {load}')
PY
    if [[ ${SAME_CHAIN:-0} != 1 ]]; then localnet_stop "$net"; fi
  done
done
echo "overload.sh: JSON reports in $out"
