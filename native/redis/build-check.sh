#!/usr/bin/env bash
# Builds an instrumented Redis the way `redtrace redis build` does, and checks
# the result. Documents the steps as much as it tests them.
#
# usage: build-check.sh [SRC_DIR [WORK_DIR]]
#   SRC_DIR   pristine Redis 7.0.15 source root (default /tmp/redis-src)
#   WORK_DIR  where the builds go (default: a new temporary folder, kept)
# env TLS_MODES: which builds to make (default "yes no": with and without TLS)
#
# Steps, per build:
#   1. copy the pristine tree
#   2. copy FILES (below) into its src/
#   3. patch -p1 < redis-7.0.15.patch, from the source root
#   4. make -j2 MALLOC=libc BUILD_TLS=... USE_SYSTEMD=no
#   5. check that redis-server links liblttng-ust and defines a tracepoint for
#      every event in redis_tp.h, and that redis-cli does not load LTTng.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${1:-/tmp/redis-src}
work=${2:-$(mktemp -d /tmp/redtrace-redis.XXXXXX)}
modes=${TLS_MODES:-yes no}
# Everything the build must copy next to the Redis sources.
FILES="redis_tp.h redis_tp.c redtrace.h"
PATCH=$here/redis-7.0.15.patch

[ -f "$src/src/server.c" ] || { echo "no Redis source tree at $src" >&2; exit 2; }
grep -q '"7.0.15"' "$src/src/version.h" || echo "warning: $src is not Redis 7.0.15" >&2

# TLS builds need OpenSSL's headers.
if [[ " $modes " == *" yes "* ]] && ! [ -f /usr/include/openssl/ssl.h ]; then
    apt-get install -y libssl-dev
fi

events=$(sed -n 's/^LTTNG_UST_TRACEPOINT_EVENT(redis, \([a-z_]*\),.*/\1/p' "$here/redis_tp.h")
[ -n "$events" ] || { echo "no events found in redis_tp.h" >&2; exit 1; }

for tls in $modes; do
    tree=$work/tls-$tls
    echo "== BUILD_TLS=$tls in $tree"
    rm -rf "$tree"; mkdir -p "$work"
    cp -a "$src" "$tree"
    for f in $FILES; do cp "$here/$f" "$tree/src/"; done
    (cd "$tree" && patch -p1 --forward --quiet < "$PATCH")
    make -C "$tree" -j2 MALLOC=libc BUILD_TLS="$tls" USE_SYSTEMD=no \
        > "$tree/build.log" 2>&1 || { tail -30 "$tree/build.log"; exit 1; }

    server=$tree/src/redis-server
    ldd "$server" | grep -q 'liblttng-ust\.so' || { echo "redis-server lacks liblttng-ust" >&2; exit 1; }
    if ldd "$tree/src/redis-cli" | grep -q lttng; then
        echo "redis-cli links LTTng (ae.c should be untraced there)" >&2; exit 1
    fi
    syms=$(nm "$server")
    missing=0
    for e in $events; do
        grep -q "lttng_ust_tracepoint_redis___${e}\$" <<<"$syms" || { echo "missing tracepoint redis:$e" >&2; missing=1; }
    done
    [ $missing = 0 ] || exit 1
    if [ "$tls" = yes ]; then
        grep -q ' connTLSRead$' <<<"$syms" || { echo "TLS build lacks connTLSRead" >&2; exit 1; }
    fi
    warnings=$(grep -cE '^(redis_tp|redtrace)\.[ch]:.*warning' "$tree/build.log" || true)
    "$server" --version
    echo "ok: $(wc -w <<<"$events") tracepoints, $warnings warnings from redtrace files"
done
echo "builds kept in $work"
