# shellcheck shell=bash
# Sourced by the scripts that run a 4-bank local network on this machine (demo.sh,
# profile.sh, bench/overload.sh, export/bench_export.sh, export/bench_bigchain.sh); not run
# on its own. The network is colend-netgen's --localnet: a consortium CA, four validators on
# 127.0.0.1 from PORT up, and start.sh / stop.sh in its directory.
#
#   localnet_make BIN DIR PORT [colend-netgen options]
#       stops whatever DIR ran and makes the network afresh in DIR (BIN: the binaries)
#   localnet_wait BIN DIR PORT
#       after DIR/start.sh: waits, up to 30 s, until LEAD's node has its 3 peers connected;
#       fails naming LEAD's log otherwise
#   localnet_stop DIR
#       stops DIR's nodes if DIR holds a network (for traps: never fails)

localnet_banks=LEAD,PARTNER_A,PARTNER_B,PARTNER_C

localnet_stop() {
  if [ -x "$1/stop.sh" ]; then "$1/stop.sh" >/dev/null 2>&1 || true; fi
}

localnet_make() {
  local bin=$1 dir=$2 port=$3
  shift 3
  localnet_stop "$dir"
  rm -rf "$dir"
  "$bin/colend-netgen" --banks "$localnet_banks" --out "$dir" --localnet --base-port "$port" "$@"
}

localnet_wait() {
  local bin=$1 dir=$2 port=$3 _
  for _ in $(seq 150); do
    if "$bin/colend-cli" peers --rpc "http://127.0.0.1:$((port + 1))" --json 2>/dev/null |
      grep -o '"connected":true' | wc -l | grep -q 3; then
      return 0
    fi
    sleep 0.2
  done
  echo "localnet: LEAD's node has not got its 3 peers after 30 s (see $dir/LEAD/node.log)" >&2
  return 1
}
