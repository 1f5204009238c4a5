#!/usr/bin/env bash
# Installs the Debian 12 packages colend builds and tests with. Idempotent: when every
# package is already installed it prints one line and touches nothing; `apt-get update`
# runs only when something is missing. Needs root (or sudo) only in that case.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build
  # crypto/: OpenSSL 3 EVP (SHA-256, SM3, ECDSA P-256, SM2)
  libssl-dev
  # proto/: schemas and generated types
  libprotobuf-dev protobuf-compiler
  # tests/: unit tests and micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # tools/: command-line parsing for colend-cli
  libcli11-dev
  # contracts/, tools/: the JSON of docs/api.md (transactions, books, genesis) through Boost.JSON
  libboost1.81-dev libboost-json1.81-dev
  # node/: block store (LevelDB links snappy), logs, config
  libleveldb-dev libsnappy-dev libspdlog-dev libtomlplusplus-dev
  # tools/export/: colend-export writes the books into PostgreSQL through libpqxx; its tests
  # start a throwaway cluster with initdb and pg_ctl from /usr/lib/postgresql/15/bin
  libpqxx-dev postgresql
  # contracts/ hot path: the node and benchmarks link jemalloc (malloc was ~30 % of Apply)
  libjemalloc-dev
  # tools/profile.sh: a node's CPU profile under load (perf record) and its /metrics (curl)
  linux-perf curl
  # tests/fuzz/ (the `fuzz` preset): clang 14 with libFuzzer and the ASan/UBSan runtimes. The
  # Debian libraries above (Boost, protobuf, OpenSSL, LevelDB, spdlog) link as they are.
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi

echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"
