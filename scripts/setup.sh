#!/usr/bin/env bash
# Bootstraps what redtrace needs on Debian 12: the system packages that are
# missing (apt-get), then `npm ci` when the lockfile changed, then the build.
# Safe to run again and again: each step is skipped when already done.
# Arguments: more Debian packages that one command needs (a benchmark's tools).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(lttng-tools liblttng-ust-dev babeltrace2 redis-server redis-tools gcc g++ libc6-dev make patch binutils libssl-dev tcl curl util-linux mount iproute2 time "$@")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "redtrace setup: missing system packages: ${missing[*]}. Run as root, or first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "redtrace setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Services must not start at install time (CI containers have no init); tests start their own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; added_policy=1; fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "${added_policy:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run -s build
chmod +x dist/src/cli/main.js
