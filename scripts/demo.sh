#!/usr/bin/env bash
# The main job: installs what is missing (Debian packages when root, npm packages, a build),
# then runs `peerpay demo` with any flags given, e.g. `npm run demo -- --seller qbittorrent --buyer transmission`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh >&2
exec node packages/cli/dist/peerpay-bin.js demo "$@"
