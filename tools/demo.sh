#!/usr/bin/env bash
# The Quick start's first command: bootstrap, build, start a 4-bank local network, run a
# sample co-lending day through it, print the reconciled positions, stop the network.
#
#   ./tools/demo.sh            the whole day (a few hundred loans)
#   DEMO_LOANS=40 ./tools/demo.sh   a shorter day
#   COLEND_BIN=build/dev/bin ./tools/demo.sh   use binaries already built (no bootstrap/build)
#   ./tools/demo.sh --crypto sm   the same day on an "sm" chain (SM2 signatures, SM3 hashes;
#                                 TLS with P-256 transport keys bound to the SM2 node keys,
#                                 docs/sm.md)
#
# The network lives in build/demo-net/ (recreated on each run): keys, genesis, one config
# and one log per bank (build/demo-net/<BANK>/node.log).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
loans=${DEMO_LOANS:-300}
crypto=standard
while [ $# -gt 0 ]; do
  case "$1" in
    --crypto) crypto=${2:?--crypto: standard or sm}; shift 2 ;;
    --crypto=*) crypto=${1#--crypto=}; shift ;;
    *) echo "demo.sh: unknown argument $1 (usage: demo.sh [--crypto standard|sm])" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
source tools/localnet.sh

if [ -n "${COLEND_BIN:-}" ]; then
  bin=$(cd "$COLEND_BIN" && pwd)
else
  step "Installing what is missing and building (release)"
  ./tools/bootstrap.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target colend-node colend-netgen colend-cli colend-recon
  bin=$root/build/release/bin
fi

step "Self-check: both crypto suites, the sample loan's arithmetic, a Merkle proof"
"$bin/colend-cli" selfcheck

net=$root/build/demo-net
base=${DEMO_BASE_PORT:-30300}
suite_note=""
if [ "$crypto" != standard ]; then suite_note=" on an \"$crypto\" chain"; fi
step "Making a 4-bank consortium in $net (CA, keys, certificates, genesis, configs)$suite_note"
localnet_make "$bin" "$net" "$base" --crypto "$crypto"
trap 'localnet_stop "$net"' EXIT

step "Starting the four validators"
"$net/start.sh"
lead_rpc="http://127.0.0.1:$((base + 1))"
partner_a_rpc="http://127.0.0.1:$((base + 3))"
localnet_wait "$bin" "$net" "$base"
"$bin/colend-cli" status --rpc "$lead_rpc"

send() {  # send BANK FILE: sign with BANK's client key, send to the lead's node, wait
  "$bin/colend-cli" send --rpc "$lead_rpc" --key "$net/$1/client.key.pem" --wait "$2"
}
day=$net/day
mkdir -p "$day"

step "Agreements: LEAD co-lends 20/80 with PARTNER_A and PARTNER_B, 30/70 with PARTNER_C"
cat >"$day/propose.jsonl" <<'JSON'
{"type":"ProposeAgreement","signer":"LEAD","id":"ag-a","agreement_id":"AG-A","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500,"disbursement":"FRONTED","approval":"PREAPPROVED"}
{"type":"ProposeAgreement","signer":"LEAD","id":"ag-b","agreement_id":"AG-B","currency":"CNY","shares":{"LEAD":2000,"PARTNER_B":8000},"service_fee_bp":1500}
{"type":"ProposeAgreement","signer":"LEAD","id":"ag-c","agreement_id":"AG-C","currency":"CNY","shares":{"LEAD":3000,"PARTNER_C":7000},"service_fee_bp":1000}
JSON
send LEAD "$day/propose.jsonl"
for p in A B C; do
  echo "{\"type\":\"AcceptAgreement\",\"signer\":\"PARTNER_$p\",\"id\":\"acc-$p\",\"agreement_id\":\"AG-$p\"}" \
    >"$day/accept-$p.json"
  send "PARTNER_$p" "$day/accept-$p.json"
done

step "Originating $loans loans (8,000.00 CNY each, 18 % a year, 12 months)"
borrower=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
for i in $(seq 1 "$loans"); do
  ag=AG-$(echo A B C | cut -d' ' -f$(( (i % 3) + 1 )))
  echo "{\"type\":\"OriginateLoan\",\"signer\":\"LEAD\",\"id\":\"L-$i\",\"agreement_id\":\"$ag\",\"loan_id\":\"L-$i\",\"borrower_ref\":\"$borrower\",\"principal\":\"800000\",\"annual_rate_bp\":1800,\"term_months\":12,\"value_date\":\"2026-11-21\"}"
done >"$day/loans.jsonl"
send LEAD "$day/loans.jsonl" | awk '{s[$2]++} END {for (k in s) printf "  %s: %d\n", k, s[k]}'

step "Repayments on every other loan (666.67 principal + 120.00 interest)"
for i in $(seq 2 2 "$loans"); do
  echo "{\"type\":\"RecordRepayment\",\"signer\":\"LEAD\",\"id\":\"R-$i\",\"loan_id\":\"L-$i\",\"principal\":\"66667\",\"interest\":\"12000\",\"penalty\":\"0\",\"value_date\":\"2026-12-21\"}"
done >"$day/repayments.jsonl"
send LEAD "$day/repayments.jsonl" | awk '{s[$2]++} END {for (k in s) printf "  %s: %d\n", k, s[k]}'

step "A bounced direct debit is reversed, loan 3 is charged off and 1,000.00 is recovered"
cat >"$day/events.jsonl" <<'JSON'
{"type":"Reverse","signer":"LEAD","id":"V-2","target_id":"R-2","reason":"bounced direct debit"}
{"type":"ChargeOff","signer":"LEAD","id":"C-3","loan_id":"L-3","value_date":"2027-04-01"}
{"type":"RecordRecovery","signer":"LEAD","id":"RC-3","loan_id":"L-3","amount":"100000","value_date":"2027-05-01"}
JSON
send LEAD "$day/events.jsonl"

step "An over-payment is refused by the contract (and changes nothing)"
echo '{"type":"RecordRepayment","signer":"LEAD","id":"R-over","loan_id":"L-1","principal":"900000","interest":"0","penalty":"0","value_date":"2026-12-22"}' \
  >"$day/overpay.json"
send LEAD "$day/overpay.json" || true

step "Reconciled positions after the day, as every bank's node holds them"
"$bin/colend-cli" positions --rpc "$lead_rpc"

step "PARTNER_A closes the day with LEAD; PARTNER_A pays, LEAD confirms receipt"
echo '{"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2027-05-31"}' \
  >"$day/close.json"
send PARTNER_A "$day/close.json"
echo '{"type":"ConfirmSettlement","signer":"PARTNER_A","id":"P-1","batch_id":"LEAD/PARTNER_A/CNY/1","payment_ref":"CNAPS-0001"}' \
  >"$day/paid.json"
send PARTNER_A "$day/paid.json"
echo '{"type":"ConfirmSettlement","signer":"LEAD","id":"P-2","batch_id":"LEAD/PARTNER_A/CNY/1"}' \
  >"$day/received.json"
send LEAD "$day/received.json"
"$bin/colend-cli" settlements --rpc "$partner_a_rpc" --bank PARTNER_A

step "PARTNER_A's reconciliation report (colend-recon), and the same as one HTML page"
"$bin/colend-recon" --rpc "$partner_a_rpc" --bank PARTNER_A
"$bin/colend-recon" --rpc "$partner_a_rpc" --bank PARTNER_A --format html --out "$net/recon-PARTNER_A.html"
echo "  HTML report: $net/recon-PARTNER_A.html"

step "Every node holds the same books: same height, same state root"
for b in 1 3 5 7; do
  printf '  %s ' "$b"
  "$bin/colend-cli" call --rpc "http://127.0.0.1:$((base + b))" getNodeInfo |
    grep -o '"node_id":"[^"]*"\|"height":[0-9]*\|"state_root":"[0-9a-f]\{16\}' | tr '\n' ' '
  echo
done

step "Stopping the network (logs stay in $net/<BANK>/node.log)"
"$net/stop.sh"
trap - EXIT
