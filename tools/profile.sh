#!/usr/bin/env bash
# Profiles one validator of a 4-bank local network under load: where a node's CPU goes per
# committed transaction (docs/performance.md explains the method and the last results).
#
#   tools/profile.sh [--rate 2000] [--duration 30] [--seconds 15] [--batch 1] [--out DIR]
#
# Builds the release binaries, makes a fresh localnet in DIR (default build/profile-net),
# starts it, offers `rate` tx/s with colend-bench for `duration` seconds, and while the load
# runs records LEAD's node with `perf record` for `seconds` seconds (linux-perf; installed
# by tools/bootstrap.sh). Then it prints:
#   - the bench report (committed tx/s, latency percentiles);
#   - LEAD's commit pipeline per block from /metrics (colend_commit_stage_seconds);
#   - perf's share of CPU samples by library and by stage of a transaction's path
#     (docs/performance.md, "Reading the profile"), and the top 40 symbols;
#   - `openssl speed ecdsap256` of the same minutes, the machine's own baseline.
# perf.data stays in DIR for `perf report -i DIR/perf.data`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

rate=2000
duration=30
seconds=15
batch=1
out=$root/build/profile-net
while (($# > 0)); do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "profile.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if ((seconds >= duration)); then
  echo "profile.sh: --seconds must be shorter than --duration" >&2
  exit 2
fi

./tools/bootstrap.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target colend-node colend-netgen colend-bench colend-cli >/dev/null
bin=$root/build/release/bin
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (tools/bootstrap.sh installs linux-perf)" >&2; exit 1; }

source tools/localnet.sh
base=${PROFILE_BASE_PORT:-30500}
localnet_make "$bin" "$out" "$base" >/dev/null
trap 'localnet_stop "$out"' EXIT
COLEND_NODE=$bin/colend-node "$out/start.sh" >/dev/null
localnet_wait "$bin" "$out" "$base"
lead_pid=$(cat "$out/LEAD/node.pid")

echo "== colend-bench --rate $rate --duration $duration --batch $batch (LEAD pid $lead_pid)"
"$bin/colend-bench" --network "$out/network.json" --rate "$rate" --duration "$duration" \
  --batch "$batch" >"$out/bench.txt" 2>"$out/bench.err" &
bench_pid=$!
# The bench first sets up agreements and preloaded loans; record once the load is on.
sleep $((duration / 3 > 5 ? duration / 3 : 5))
# LEAD's CPU time (utime + stime, clock ticks) and committed transactions around the window.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$lead_pid/stat"; }
committed() {
  curl -s "http://127.0.0.1:$((base + 1))/metrics" | awk '/^colend_txs_committed_total / { print $2 }'
}
ticks0=$(cpu_ticks)
txs0=$(committed)
perf record -F 399 --call-graph dwarf,8192 -p "$lead_pid" -o "$out/perf.data" -- sleep "$seconds" 2>"$out/perf.err" >/dev/null
ticks1=$(cpu_ticks)
txs1=$(committed)
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1 >"$out/openssl.txt"
wait "$bench_pid" || true
cat "$out/bench.txt"

echo
echo "== LEAD's commit pipeline (colend_commit_stage_seconds, whole run)"
curl -s "http://127.0.0.1:$((base + 1))/metrics" |
  awk '/^colend_commit_stage_seconds_(sum|count)/ { split($1, a, "\""); v[a[2] "_" ($1 ~ /_sum/ ? "sum" : "count")] = $2 }
       /^colend_txs_committed_total / { txs = $2 }
       END { for (s in v) if (s ~ /_sum$/) { st = substr(s, 1, length(s) - 4); sum[st] = v[s] }
             printf "  %-8s %10s %12s\n", "stage", "ms/block", "us/tx"
             n = v["store_count"]
             split("check execute apply store", order, " ")
             for (i = 1; i <= 4; ++i) { st = order[i]
               printf "  %-8s %10.2f %12.2f\n", st, n ? 1000 * sum[st] / n : 0, txs ? 1e6 * sum[st] / txs : 0 }
             printf "  blocks %d, transactions %d\n", n, txs }'

echo
echo "== perf: LEAD's CPU samples by library (${seconds} s at $rate tx/s offered)"
perf report -i "$out/perf.data" --no-children -g none --sort dso --stdio 2>/dev/null |
  grep -E '^ +[0-9]' | head -15
hz=$(getconf CLK_TCK)
us_per_tx=$(awk -v t="$((ticks1 - ticks0))" -v n="$(awk -v a="$txs0" -v b="$txs1" 'BEGIN { print b - a }')" -v hz="$hz" \
  'BEGIN { if (n > 0) printf "%.1f", 1e6 * t / hz / n; else print "n/a" }')
echo
echo "== LEAD's CPU per committed transaction during the window: $us_per_tx us" \
  "($((ticks1 - ticks0)) ticks of 1/$hz s, $(awk -v a="$txs0" -v b="$txs1" 'BEGIN { print b - a }') transactions)"
echo
echo "== perf: by stage of a transaction's path (samples under each function, children included;"
echo "   multiply by the CPU per transaction above for microseconds)"
perf report -i "$out/perf.data" --children -g none --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' >"$out/children.txt" || true
for stage in \
  "HTTP + JSON-RPC (whole request):RpcDispatcher::Handle" \
  "  client admission (sendTransaction):Node::Impl::SubmitTransactions$" \
  "gossip admission (from peers):TxPool::Impl::AdmitBatch$" \
  "signature verify (every caller):crypto::Verify$" \
  "strict decode (every caller):contracts::DecodeTransaction$" \
  "proposal check:CheckProposal$" \
  "commit pipeline:CommitPipeline::Commit$" \
  "  execute:Executor::Execute$" \
  "    contract Apply:contracts::Apply$" \
  "    event parties:TransactionParties" \
  "    receipts root:node::ReceiptsRoot$" \
  "  apply + state root:Executor::Apply$" \
  "  store (one LevelDB batch):BlockStore::Commit$" \
  "    fsync:fdatasync" \
  "subscriber events:MakeBlockEvent$" \
  "pool removal:RemoveCommitted$"; do
  name=${stage%%:*}
  sym=${stage#*:}
  pct=$( (grep -E "\] .*${sym}" "$out/children.txt" || true) | head -1 | awk '{print $1}')
  printf "  %-40s %s\n" "$name" "${pct:-0%}"
done
echo
echo "== perf: top 40 symbols (self)"
perf report -i "$out/perf.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null |
  grep -E '^ +[0-9]' | head -40
echo
echo "== machine baseline (openssl speed ecdsap256, one core, same minutes)"
cat "$out/openssl.txt"
