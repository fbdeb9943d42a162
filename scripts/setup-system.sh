#!/usr/bin/env bash
# Installs the Debian packages the demo drives (real torrent daemons, tools), and with
# --for-tests also what only the tests need (nftables, headless Chromium).
# Idempotent: does nothing when everything is already there. Needs root to install.
set -euo pipefail
for_tests=0
[ "${1:-}" = "--for-tests" ] && for_tests=1

need=()
command -v transmission-daemon >/dev/null 2>&1 || need+=(transmission-daemon)
command -v qbittorrent-nox >/dev/null 2>&1 || need+=(qbittorrent-nox)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "$for_tests" = "1" ]; then
  # nft for the nftables enforcer (its tests run in network namespaces they create).
  command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)
  # Headless Chromium for the status page test (playwright-core drives it; no browser download).
  # Large: skip with PEERPAY_SKIP_BROWSER=1 (that test is then skipped with its reason).
  if [ "${PEERPAY_SKIP_BROWSER:-0}" != "1" ]; then
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
  fi
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "peerpay setup: missing Debian packages: ${need[*]}" >&2
  echo "peerpay setup: run as root, or install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "peerpay setup: installing ${need[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packaged services must not run on their own: tests start their own daemons.
for unit in transmission-daemon qbittorrent-nox; do
  systemctl disable --now "$unit" >/dev/null 2>&1 || true
done
