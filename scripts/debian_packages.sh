#!/usr/bin/env bash
# Installs the Debian packages whose commands are missing, in one apt-get call (as root, or with sudo).
# Arguments: command:package pairs, e.g. `promtool:prometheus pg_ctlcluster:postgresql`. Exits 1 with what
# to install when a command is missing and apt-get cannot run: a test that needs it would fail anyway.
set -euo pipefail
missing=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
fail() { echo "error: $1; install these Debian packages (or their equivalents) yourself: $packages" >&2; exit 1; }
command -v apt-get >/dev/null || fail "no apt-get here"
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || fail "not root and no sudo"
  as_root=(sudo)
fi
echo "installing Debian packages: $packages..."
began=$SECONDS
wait_lock=(-o DPkg::Lock::Timeout=300)
"${as_root[@]}" apt-get "${wait_lock[@]}" update -qq
# shellcheck disable=SC2086  # one word per package
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y -qq \
  --no-install-recommends $packages >/dev/null
echo "installed $packages in $((SECONDS - began)) s"
