#!/usr/bin/env bash
# The Quick start's first command: bootstrap, build, and show colend working.
# Today that is the cryptographic self-check of both crypto suites, the money arithmetic
# on the sample 20/80 loan, and a Merkle proof; the 4-bank local network joins it when the
# node lands.
set -euo pipefail
cd "$(dirname "$0")/.."

./tools/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target colend-cli
echo
./build/release/tools/cli/colend-cli selfcheck
