#!/usr/bin/env bash
# Benchmarks (not tests): each prints its figures. Runs after the usual set-up.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh >&2
echo "== ledger (SQLite file) =="
node packages/core/bench/ledger-bench.mjs
echo "== negotiation endpoint (autocannon on loopback, simulated network) =="
node packages/core/bench/negotiation-bench.mjs
echo "== simulated Lightning network =="
node packages/lightning-sim/bench/sim-bench.mjs
