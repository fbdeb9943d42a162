#!/usr/bin/env bash
# Builds btcd, btcctl, lnd and lncli from Go modules (Debian has none of them and there is no
# Docker here) and caches the binaries outside the repository, keyed by version:
#   ${PEERPAY_CACHE:-$HOME/.cache/peerpay}/lnd-<lnd version>-btcd-<btcd version>/{btcd,btcctl,lnd,lncli}
# A second run finds them and does nothing. Prints the directory on the last line of stdout.
#
# The lnd version is read from test/lnd-harness/go.mod (the one place it is pinned).
# Environment:
#   PEERPAY_CACHE             cache root (default ~/.cache/peerpay)
#   PEERPAY_LND_BIN_DIR       use (or build into) this directory instead; the tests read it too
#   PEERPAY_SKIP_LND_BUILD=1  do not build; exit 0 (the LND tests then skip, saying why)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
harness="$root/test/lnd-harness"
btcd_version="v0.24.2"
lnd_version="$(awk '$1 == "require" && $2 == "github.com/lightningnetwork/lnd" { print $3 }' "$harness/go.mod")"
if [ -z "$lnd_version" ]; then
  echo "lnd-build: cannot read the lnd version from $harness/go.mod" >&2
  exit 1
fi
cache_root="${PEERPAY_CACHE:-$HOME/.cache/peerpay}"
target="${PEERPAY_LND_BIN_DIR:-$cache_root/lnd-$lnd_version-btcd-$btcd_version}"
binaries=(btcd btcctl lnd lncli)

have_all() {
  for binary in "${binaries[@]}"; do [ -x "$target/$binary" ] || return 1; done
}

if have_all; then
  echo "lnd-build: using cached binaries (lnd $lnd_version, btcd $btcd_version)" >&2
  echo "$target"
  exit 0
fi
if [ "${PEERPAY_SKIP_LND_BUILD:-}" = "1" ]; then
  echo "lnd-build: PEERPAY_SKIP_LND_BUILD=1 and no cached binaries in $target; LND tests will skip" >&2
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "lnd-build: 'go' is not installed; it is needed to build lnd/btcd for the regtest tests" >&2
  exit 1
fi

mkdir -p "$cache_root"
# One build at a time per cache root; a second caller waits and then finds the binaries.
exec 9>"$cache_root/.lnd-build.lock"
flock 9
if have_all; then
  echo "$target"
  exit 0
fi

export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
staging="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$staging"' EXIT
started=$(date +%s)
echo "lnd-build: building btcd/btcctl $btcd_version and lnd/lncli $lnd_version with $(go version | cut -d' ' -f3) (cold builds take several minutes)" >&2

GOBIN="$staging" nice -n 10 go install -trimpath \
  "github.com/btcsuite/btcd@$btcd_version" "github.com/btcsuite/btcd/cmd/btcctl@$btcd_version"
after_btcd=$(date +%s)

# -mod=mod records any missing go.sum lines; the harness module is not tidied (tools.go keeps it sane).
(cd "$harness" && nice -n 10 go build -mod=mod -trimpath \
  -tags "invoicesrpc signrpc walletrpc chainrpc routerrpc" \
  -ldflags "-X github.com/lightningnetwork/lnd/build.Commit=$lnd_version" \
  -o "$staging/" github.com/lightningnetwork/lnd/cmd/lnd github.com/lightningnetwork/lnd/cmd/lncli)
finished=$(date +%s)

mkdir -p "$target"
for binary in "${binaries[@]}"; do mv -f "$staging/$binary" "$target/$binary"; done
echo "lnd-build: btcd+btcctl took $((after_btcd - started)) s, lnd+lncli took $((finished - after_btcd)) s, total $((finished - started)) s" >&2
echo "$target"
