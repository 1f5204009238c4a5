# Sourced by bench_export.sh and bench_bigchain.sh: a throwaway PostgreSQL cluster, the
# chain's height, and the from-scratch export report they share (and tools/localnet.sh for
# the network). Not run on its own.
#
# Expects `work` (a fresh directory of the caller's) and, for chain_height, `rpc`.

pgbin=/usr/lib/postgresql/15/bin
source "$(dirname "${BASH_SOURCE[0]}")/../localnet.sh"

# initdb refuses root: the cluster then runs as "nobody", in `work` made readable to it.
bench_pg_prepare() {
  chmod 755 "$work"
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$work"
    as_pg=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  fi
}

# A cluster in $work/pg on a free port (pgport), user colend, trust authentication. It keeps each
# transaction's commit time (track_commit_timestamp), so the exporter's lag can be measured from
# the time each block's transaction committed.
bench_pg_start() {
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U colend --auth=trust -E UTF8 --no-locale >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-p $pgport -k $work -c listen_addresses=127.0.0.1 -c track_commit_timestamp=on" start >/dev/null
}

bench_pg_stop() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
}

pg() { psql -X -q -A -t -h 127.0.0.1 -p "$pgport" -U colend "$@"; }
conn() { echo "host=127.0.0.1 port=$pgport user=colend dbname=$1"; }

chain_height() {
  curl -s -X POST "$rpc" -d '{"jsonrpc":"2.0","id":1,"method":"getBlockNumber"}' | jq -r '.result // 0'
}

# What the export into database `scratch` wrote, between `date +%s.%N` stamps START and END.
report_scratch_export() {
  local start=$1 end=$2 rows
  rows=$(pg -d scratch -c "SELECT (SELECT COUNT(*) FROM blocks) + (SELECT COUNT(*) FROM events) +
    (SELECT COUNT(*) FROM postings) + (SELECT COUNT(*) FROM leg_deltas) + (SELECT COUNT(*) FROM loans) +
    (SELECT COUNT(*) FROM loan_legs)")
  echo "== export from scratch of $(pg -d scratch -c 'SELECT height FROM export_state') blocks"
  pg -d scratch -c "SELECT 'loans ' || (SELECT COUNT(*) FROM loans) || ', events ' || (SELECT COUNT(*) FROM events) ||
    ', postings ' || (SELECT COUNT(*) FROM postings) || ', loan legs ' || (SELECT COUNT(*) FROM loan_legs)"
  awk -v r="$rows" -v s="$start" -v e="$end" -v ev="$(pg -d scratch -c 'SELECT COUNT(*) FROM events')" \
    'BEGIN { printf "%d rows in %.1f s: %.0f rows/s, %.0f transactions/s\n", r, e - s, r / (e - s), ev / (e - s) }'
}
