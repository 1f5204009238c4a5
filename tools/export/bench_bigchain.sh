#!/usr/bin/env bash
# Exports a large chain from scratch (docs/export.md, "Figures"): a 4-node localnet made by
# colend-netgen --localnet in CHAIN_DIR, loaded with colend-bench originations (--mix
# 100,0,0) until it holds LOANS loans, then exported with colend-export --once into an empty
# database of a throwaway PostgreSQL cluster. The chain stays in CHAIN_DIR: a second run
# restarts its nodes and only exports (add more loans with LOANS above what it holds).
#
#   tools/export/bench_bigchain.sh BUILD_DIR CHAIN_DIR
#   env: LOANS (1000000), RATE (2200), ROUND (120 s of load per colend-bench run), BATCH
#   (sendTransactions batch, 20), BASE_PORT (31700), EXPORT_PREFIX (as bench_export.sh);
#   LOAD_ONLY=1 builds the chain and stops there (export it later, when the machine is quiet).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR CHAIN_DIR" >&2; exit 2; }
bin=$(cd "$1/bin" && pwd)
mkdir -p "$2"
chain=$(cd "$2" && pwd)
loans=${LOANS:-1000000}
rate=${RATE:-2200}
round=${ROUND:-120}
batch=${BATCH:-20}
base=${BASE_PORT:-31700}
source "$(dirname "$0")/bench_common.sh"
net=$chain/net
rpc="http://127.0.0.1:$((base + 3))"  # PARTNER_A's node, as bench_export.sh

work=$(mktemp -d /tmp/colend-bigchain-XXXXXX)
bench_pg_prepare
cleanup() {
  localnet_stop "$net"
  bench_pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -f "$net/network.json" ]; then
  localnet_make "$bin" "$net" "$base" >/dev/null
fi
"$net/start.sh" >/dev/null
localnet_wait "$bin" "$net" "$base"

# 1. Load until the chain holds LOANS loans (counted from each run's committed originations,
# kept in CHAIN_DIR/loans).
have=$(cat "$chain/loans" 2>/dev/null || echo 0)
while [ "$have" -lt "$loans" ]; do
  left=$((loans - have))
  duration=$(((left + rate - 1) / rate))
  [ "$duration" -gt "$round" ] && duration=$round
  echo "== $have loans; offering $rate tx/s of originations for $duration s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin/colend-bench" --network "$net/network.json" --rate "$rate" --duration "$duration" \
    --preload 1 --mix 100,0,0 --batch "$batch" --json --quiet >"$work/bench.json"
  jq -c '{offered_rate, committed, committed_tps, rejected_by_contract, latency_ms}' "$work/bench.json"
  have=$((have + $(jq -r '.committed + (.committed_without_admission // 0) - (.rejected_by_contract // 0)' "$work/bench.json")))
  echo "$have" >"$chain/loans"
done
echo "== chain: height $(chain_height), $have loans"
[ "${LOAD_ONLY:-0}" = 1 ] && exit 0

# 2. Export it from scratch.
bench_pg_start
pg -d postgres -c "CREATE DATABASE scratch"
echo "== machine before the export: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1
start=$(date +%s.%N)
${EXPORT_PREFIX:-} "$bin/colend-export" --rpc "$rpc" \
  --pg "$(conn scratch)" --once --quiet
end=$(date +%s.%N)
echo "== machine after the export: load average $(cut -d' ' -f1-3 /proc/loadavg)"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1
report_scratch_export "$start" "$end"
