#!/usr/bin/env bash
# Measures colend-export and the feed it follows (docs/export.md, "Figures"):
#   1. its lag behind the head while colend-bench offers RATE tx/s to a 4-node localnet made by
#      colend-netgen --localnet, the exporter following PARTNER_A's node into PostgreSQL;
#   2. meanwhile, the `blocks` feed's delay to a subscriber: colend-feed-probe on PARTNER_A's
#      node (header time to received, per block), and PARTNER_A's own histograms over the
#      load (colend_block_latency_seconds: header time to stored; colend_ws_delivery_seconds:
#      stored to written to a subscriber), their p50/p99 interpolated within the buckets;
#   3. rows/s exporting the chain that load left behind from scratch (--once, empty database).
# A throwaway PostgreSQL cluster is made with initdb in a temp dir (as "nobody" when run as
# root: initdb refuses root), on a free port, and removed at the end with the network.
#
#   tools/export/bench_export.sh [BUILD_DIR]        (default build/release)
#   env: RATE (2000), DURATION (60 s), PRELOAD (200), BASE_PORT (31500); KEEP=1 leaves the
#   network running and the databases up at the end (their addresses are printed), to look at
#   the books or export again by hand; EXPORT_PREFIX runs the from-scratch export under a
#   command (e.g. "perf record -g -o /tmp/export.perf --"); EXPORT_BIN runs another
#   colend-export binary (e.g. an older build, to compare).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
bin=$(cd "$build/bin" && pwd)
rate=${RATE:-2000}
duration=${DURATION:-60}
preload=${PRELOAD:-200}
base=${BASE_PORT:-31500}
source "$(dirname "$0")/bench_common.sh"
export_bin=${EXPORT_BIN:-$bin/colend-export}
for tool in "$pgbin/initdb" "$pgbin/pg_ctl" "$export_bin" "$bin/colend-bench" "$bin/colend-feed-probe" \
    "$bin/colend-cli"; do
  [ -x "$tool" ] || { echo "bench_export: $tool is missing (tools/bootstrap.sh, then build)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/colend-export-bench-XXXXXX)
bench_pg_prepare
net=$work/net
pgport=""
follower=""
sampler=""
probe=""
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept: network $net (stop with $net/stop.sh), PostgreSQL port $pgport (user colend), $work"
    return
  fi
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$probe" ] && kill "$probe" 2>/dev/null || true
  [ -n "$follower" ] && kill "$follower" 2>/dev/null || true
  localnet_stop "$net"
  bench_pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

bench_pg_start
pg -d postgres -c "CREATE DATABASE follow" -c "CREATE DATABASE scratch"

localnet_make "$bin" "$net" "$base" >/dev/null
"$net/start.sh" >/dev/null
rpc="http://127.0.0.1:$((base + 3))"  # PARTNER_A's node
localnet_wait "$bin" "$net" "$base"

echo "== machine at start: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1

# 1. Lag under load: sample (head - exported) every 0.5 s while the load runs.
metrics() { curl -s "http://127.0.0.1:$((base + 3))/metrics"; }
metrics >"$work/metrics.before"
"$bin/colend-feed-probe" --rpc "$rpc" --duration "$duration" >"$work/feed.txt" 2>"$work/feed.log" &
probe=$!
"$export_bin" --rpc "$rpc" --pg "$(conn follow)" --quiet 2>"$work/follow.log" &
follower=$!
(
  while :; do
    # The exported height first, then the head: the lag is never understated.
    e=$(pg -d follow -c "SELECT COALESCE(MAX(height), 0) FROM export_state" 2>/dev/null || echo 0)
    h=$(chain_height)
    echo "$h ${e:-0}"
    sleep 0.5
  done
) >"$work/lag.txt" &
sampler=$!
"$bin/colend-bench" --network "$net/network.json" --rate "$rate" --duration "$duration" \
  --preload "$preload" --json --quiet >"$work/bench.json"
kill "$sampler"; sampler=""
metrics >"$work/metrics.after"
wait "$probe" || true; probe=""
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
head_now=$(chain_height)
for _ in $(seq 600); do
  [ "$(pg -d follow -c 'SELECT height FROM export_state')" = "$head_now" ] && break
  sleep 0.5
done
if ! kill "$follower" 2>/dev/null; then
  wait "$follower" && rc=0 || rc=$?
  echo "bench_export: the following colend-export exited early (code $rc): $(cat "$work/follow.log")" >&2
fi
follower=""
echo "== load (colend-bench --rate $rate --duration $duration, $(nproc) cores)"
jq -c '{offered_rate, committed, committed_tps, busy_answers, latency_ms}' \
  "$work/bench.json" 2>/dev/null || cat "$work/bench.json"
# The exact lag: PARTNER_A's head moves when the probe receives a block (its notification; the
# node stored it a few ms before: colend_ws_delivery_seconds below), the exported height when
# the block's SQL transaction committed (pg_xact_commit_timestamp). Over the probe's window
# after its first 5 s: the share of the time at each lag, and the lag just before each commit.
pg -d follow -c "SELECT height, (EXTRACT(EPOCH FROM pg_xact_commit_timestamp(xmin)) * 1000)::bigint
                 FROM blocks ORDER BY height" | tr '|' ' ' >"$work/commits.txt"
t0=$(awk 'NR == 1 { printf "%.0f\n", $3 + 5000 }' "$work/feed.txt")  # mawk prints big numbers as 1.7e+12
t1=$(awk 'END { print $3 }' "$work/feed.txt")
echo "== exporter lag behind PARTNER_A's head while loaded (blocks, from the probe's receive times"
echo "   and each block's commit time in PostgreSQL; $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }') s)"
{ awk '{ print $3, 0, $1 }' "$work/feed.txt"; awk '{ print $2, 1, $1 }' "$work/commits.txt"; } |
  sort -n -k1,1 -k2,2 | awk -v ts="$t0" -v te="$t1" '
  { t = $1
    if (seen && t > ts) {
      a = last > ts ? last : ts; b = t < te ? t : te
      if (b > a) { d = head - done; w[d] += b - a; total += b - a; if (d > max) max = d }
    }
    if ($2 == 0) { if ($3 > head) head = $3 }
    else { if (t > ts && t <= te) { d = head - done; before[d]++; commits++; if (d > bmax) bmax = d }
           if ($3 > done) done = $3 }
    last = t; seen = 1 }
  END {
    if (total == 0) { print "no overlap between the probe and the export"; exit }
    for (d = 0; d <= max; d++) { mean += d * w[d]; if (d <= 2) low += w[d] }
    printf "time-weighted: mean %.2f blocks, max %d, <= 2 blocks %.1f %% of the time; share by lag:", mean / total, max, 100 * low / total
    for (d = 0; d <= max; d++) if (w[d]) printf " %d:%.1f%%", d, 100 * w[d] / total
    printf "\njust before each of %d commits: max %d; count by lag:", commits, bmax
    for (d = 0; d <= bmax; d++) if (before[d]) printf " %d:%d", d, before[d]
    print "" }'
# Per block: from the probe's receipt of its notification to its commit in PostgreSQL.
awk 'NR == FNR { r[$1] = $3; next } ($1 in r) && r[$1] >= t0 && r[$1] <= t1 { print $2 - r[$1] }' \
  t0="$t0" t1="$t1" "$work/feed.txt" "$work/commits.txt" | sort -n | awk '
  { v[NR] = $1 } END { if (NR == 0) exit
    printf "notification to committed in PostgreSQL, per block: %d blocks  p50 %d ms  p99 %d ms  max %d ms\n",
      NR, v[int(0.5 * (NR - 1) + 1.5)], v[int(0.99 * (NR - 1) + 1.5)], v[NR] }'
echo "   sampled every 0.5 s (psql, then curl: an upper bound, the head read up to a few hundred ms later)"
awk '$1 > 0 && $2 > 0 { lag = $1 - $2; n++; sum += lag; if (lag > max) max = lag; c[lag]++ }
     END { if (n == 0) { print "no samples"; exit }
           printf "samples %d  mean %.2f  max %d  <= 2 blocks in %d  distribution:", n, sum / n, max,
             c[0] + c[1] + c[2];
           for (l = 0; l <= max; l++) if (c[l]) printf " %d:%d", l, c[l]; print "" }' "$work/lag.txt"
echo "follow log: $(tr '\n' ' ' <"$work/follow.log")"
echo "== the blocks feed at PARTNER_A's node while loaded (load average at the end: $load_after)"
# Blocks after the first 5 s and before the end of the load, so the load's ramp is left out.
awk 'NR == 1 { t0 = $3 } $3 - t0 >= 5000 { print $3 - $2 }' "$work/feed.txt" | sort -n | awk '
  { v[NR] = $1 } END { if (NR == 0) { print "no blocks"; exit }
    printf "probe, header time to received: %d blocks  p50 %d ms  p99 %d ms  max %d ms\n", NR,
      v[int(0.5 * (NR - 1) + 1.5)], v[int(0.99 * (NR - 1) + 1.5)], v[NR] }'
# p50 and p99 of a histogram's growth between two scrapes, linear within a bucket.
hist_quantiles() {
  awk -v name="$1" '
    FNR == 1 { file++ }
    index($0, name "_bucket{le=\"") == 1 {
      le = $0; sub(/^[^"]*"/, "", le); sub(/".*$/, "", le)
      if (file == 1) before[le] = $NF; else { after[le] = $NF; order[++n] = le } }
    END {
      if (n == 0) { print name ": not found"; exit }
      total = after[order[n]] - before[order[n]]
      printf "%s over the load: %d observations", name, total
      split("0.5 0.99", qs, " ")
      for (k = 1; k <= 2; k++) {
        want = qs[k] * total; lo = 0; prev = 0
        for (i = 1; i <= n; i++) {
          c = after[order[i]] - before[order[i]]
          if (c >= want) {
            hi = order[i] == "+Inf" ? lo : order[i] + 0
            q = c == prev ? hi : lo + (hi - lo) * (want - prev) / (c - prev)
            printf "  p%s %.1f ms", qs[k] * 100, q * 1000; break }
          prev = c; lo = order[i] + 0 } }
      print "" }' "$work/metrics.before" "$work/metrics.after"
}
hist_quantiles colend_block_latency_seconds
hist_quantiles colend_ws_delivery_seconds

# 2. The same chain exported from scratch.
start=$(date +%s.%N)
${EXPORT_PREFIX:-} "$export_bin" --rpc "$rpc" --pg "$(conn scratch)" --once --quiet
end=$(date +%s.%N)
report_scratch_export "$start" "$end"
echo "== machine at the end: load average $(cut -d' ' -f1-3 /proc/loadavg)"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -2
