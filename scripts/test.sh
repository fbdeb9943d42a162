#!/usr/bin/env bash
# The whole test suite: set-up, lint, type-check/build, then every package's tests
# (unit tests, conformance suites, and the integration tests against real daemons).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh --for-tests
npx biome check .
npx turbo run test --concurrency=1 --output-logs=full
