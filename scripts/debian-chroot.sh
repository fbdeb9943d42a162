#!/usr/bin/env bash
# Builds (once) a Debian 13 "trixie" minbase chroot holding transmission-daemon and qbittorrent-nox,
# so the bridge tests can also run against Transmission 4.1 and qBittorrent 5.1 on a Debian 12 host.
#
# The chroot is cached under ${PEERPAY_CACHE:-$HOME/.cache/peerpay}/debian-<suite>-<yyyymm>/ (keyed by
# suite and month, so it follows trixie point releases at most a month late) and reused when present.
# A lock keeps two runs from building at once; the build happens in a temporary directory that is
# renamed into place only when complete. Prints the chroot directory on stdout; progress and timings
# go to stderr. Exits non-zero with a one-line reason when it cannot build (not root, no debootstrap,
# mirror unreachable); the tests that need the chroot are then skipped with that reason.
#
# Needs root (debootstrap creates device nodes; chroot needs CAP_SYS_CHROOT). No mounts are made: the
# daemons run without /proc or a /dev bind mount.
#
# Environment: PEERPAY_CACHE (cache root), PEERPAY_DEBIAN_SUITE (default trixie),
# PEERPAY_DEBIAN_MIRROR (default: the first .../debian URI in the host's apt sources).
set -euo pipefail

suite="${PEERPAY_DEBIAN_SUITE:-trixie}"
cache="${PEERPAY_CACHE:-$HOME/.cache/peerpay}"
key="debian-${suite}-$(date -u +%Y%m)"
target="$cache/$key"
packages=(transmission-daemon qbittorrent-nox)

say() { echo "debian-chroot: $*" >&2; }
fail() {
  say "$*"
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

if [ -f "$target/.peerpay-ready" ]; then
  echo "$target"
  exit 0
fi

[ "$(id -u)" = "0" ] || fail "building the $suite chroot needs root (debootstrap, chroot); run once as root or set PEERPAY_CACHE to a prepared cache"

# The mirror the host already uses (deb822 .sources first, then a classic sources.list).
find_mirror() {
  local files=() file
  for file in /etc/apt/sources.list.d/*.sources; do [ -f "$file" ] && files+=("$file"); done
  if [ ${#files[@]} -gt 0 ]; then
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "${files[@]}" | head -n 1
  fi
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp):\/\/.*\/debian\/?$/) { print $i; exit } }' "$file"
  done | head -n 1
}
mirror="${PEERPAY_DEBIAN_MIRROR:-$(find_mirror)}"
[ -n "$mirror" ] || fail "no Debian mirror found in the host's apt sources (/etc/apt/sources.list{,.d}); set PEERPAY_DEBIAN_MIRROR"
mirror="${mirror%/}"

mkdir -p "$cache"
exec 9>"$cache/$key.lock"
if ! flock -n 9; then
  say "another run is building $key; waiting for it (up to 15 min)"
  flock -w 900 9 || fail "timed out waiting for the lock $cache/$key.lock"
fi
# The run that held the lock may have finished the build.
if [ -f "$target/.peerpay-ready" ]; then
  echo "$target"
  exit 0
fi

start=$(now)
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap on the host"
  step=$(now)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1; } ||
    fail "could not install debootstrap on the host (apt-get install debootstrap failed)"
  say "debootstrap installed in $(elapsed "$step")"
fi
[ -f "/usr/share/debootstrap/scripts/$suite" ] || fail "this debootstrap does not know the suite $suite"

if command -v curl >/dev/null 2>&1; then
  curl -fsS --max-time 20 -o /dev/null "$mirror/dists/$suite/InRelease" 2>/dev/null ||
    fail "the Debian mirror $mirror is unreachable (no $suite InRelease within 20 s)"
fi

work="$cache/.$key.tmp.$$"
rm -rf "$work"
trap 'rm -rf "$work"' EXIT

say "debootstrap --variant=minbase $suite from $mirror"
step=$(now)
log="$cache/.$key.debootstrap.log"
if ! debootstrap --variant=minbase "$suite" "$work" "$mirror" >"$log" 2>&1; then
  tail -n 5 "$log" >&2
  fail "debootstrap failed (full log: $log)"
fi
rm -f "$log"
say "debootstrap done in $(elapsed "$step")"

# Package maintainer scripts must not start services; a minbase chroot has no /etc/hosts.
printf '#!/bin/sh\nexit 101\n' >"$work/usr/sbin/policy-rc.d"
chmod 755 "$work/usr/sbin/policy-rc.d"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$work/etc/hosts"

say "installing ${packages[*]} in the chroot"
step=$(now)
apt_options=(-o Acquire::Languages=none -o Dpkg::Use-Pty=0)
chroot "$work" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get "${apt_options[@]}" update -qq >/dev/null 2>&1 ||
  fail "apt-get update inside the chroot failed (mirror $mirror)"
chroot "$work" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get "${apt_options[@]}" install -y -qq \
  --no-install-recommends "${packages[@]}" >/dev/null 2>&1 ||
  fail "apt-get install ${packages[*]} inside the chroot failed"
chroot "$work" apt-get clean
rm -rf "$work"/var/lib/apt/lists/*
say "packages installed in $(elapsed "$step")"

mkdir -p "$work/srv/peerpay-tests"
transmission_version=$(chroot "$work" transmission-daemon --version 2>&1 | head -n 1)
qbittorrent_version=$(chroot "$work" env LC_ALL=C.UTF-8 HOME=/tmp qbittorrent-nox --version 2>&1 | head -n 1)
printf 'suite=%s\nmirror=%s\nbuilt=%s\ntransmission=%s\nqbittorrent=%s\n' "$suite" "$mirror" \
  "$(date -u +%FT%TZ)" "$transmission_version" "$qbittorrent_version" >"$work/.peerpay-ready"

rm -rf "$target"
mv -T "$work" "$target"
trap - EXIT
say "ready: $target ($(du -sm "$target" | cut -f1) MiB; $transmission_version; $qbittorrent_version) in $(elapsed "$start")"
echo "$target"
