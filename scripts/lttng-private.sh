#!/usr/bin/env bash
# Runs a bash script with a private LTTng session daemon: a new mount
# namespace with its own /var/run/lttng and /dev/shm, so the script neither
# sees nor disturbs any other session daemon on the machine. The daemon is
# stopped by its PID when the script ends.
# usage: lttng-private.sh 'lttng create ...; ...'
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: lttng-private.sh SCRIPT" >&2; exit 2; fi
if [ "$(id -u)" != 0 ]; then echo "lttng-private.sh: needs root (it creates a mount namespace)" >&2; exit 2; fi
mkdir -p /var/run/lttng
exec unshare -m --propagation private bash -c '
  set -euo pipefail
  mount -t tmpfs tmpfs /var/run/lttng
  mount -t tmpfs tmpfs /dev/shm
  LTTNG_HOME=$(mktemp -d); export LTTNG_HOME
  lttng-sessiond --daemonize --no-kernel >/dev/null 2>&1
  pid=$(cat /var/run/lttng/lttng-sessiond.pid)
  stop() { kill "$pid" 2>/dev/null || true; for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; rm -rf "$LTTNG_HOME"; }
  trap stop EXIT
  bash -euo pipefail -c "$1"
' lttng-private "$1"
