#!/usr/bin/env bash
# Brings a checkout to a runnable state: Debian packages (when root), npm packages, a build.
# Each step is skipped when its result is already there and up to date.
# Arguments go to setup-system.sh (--for-tests adds what only the tests need).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh "$@"

stamp=node_modules/.peerpay-lock-hash
want=$(sha256sum package-lock.json 2>/dev/null | cut -d' ' -f1 || echo none)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "peerpay setup: installing npm packages" >&2
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  echo "$want" > "$stamp"
fi

npx turbo run build --output-logs=errors-only
