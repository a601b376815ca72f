#!/bin/bash
# bench/keepalive.sh - what a message costs on a kept-alive connection,
# p11cmp against OpenSSL 3.0, in one run against one test CA.
#
#  1. bench/keepalive.c: N IR messages over one connection with
#     P11CMP_MSG_http_perform (as shipped, and with Nagle switched back
#     on = before the fix) and with OSSL_CMP_MSG_http_perform; prints
#     ms/message and the ratio.
#  2. The `openssl cmp` command itself: K enrollments (ir + certConf on
#     one connection) against K with implicit confirm (ir only); the
#     difference per run is what the second message on the connection
#     costs the OpenSSL client.
#
# Usage: bench/keepalive.sh [BUILDDIR [N [K]]]   (BUILDDIR: a configured
# and built p11cmp tree, default $top_builddir or .)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-${top_builddir:-.}}" && pwd)
n=${2:-50}
k=${3:-10}
work=$(mktemp -d /tmp/p11cmp-bench.XXXXXX)
ca_pid=
cleanup() {
    [ -z "$ca_pid" ] || kill "$ca_pid" 2>/dev/null || true
    [ -z "$ca_pid" ] || wait "$ca_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -I"$src/include" \
    -o "$work/keepalive" "$src/bench/keepalive.c" \
    -L"$build/.libs" -lp11cmp $(pkg-config --cflags --libs libcrypto)

"$build/tests/testca/testca" --port 0 --timeout 600 --ref testref \
    --secret pass:test-secret-0815 --grant-implicit-confirm yes \
    > "$work/ca.out" 2> "$work/ca.err" &
ca_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^LISTENING 127.0.0.1 \([0-9]*\)$/\1/p' "$work/ca.out")
    [ -z "$port" ] || break
    sleep 0.1
done
[ -n "$port" ] || { echo "test CA did not start" >&2; exit 1; }

accepted() { grep -c 'connection accepted' "$work/ca.err" || true; }
run() {
    local before ms
    before=$(accepted)
    ms=$(LD_LIBRARY_PATH="$build/.libs" "$work/keepalive" "$port" "$n" "$1")
    echo "$ms $(( $(accepted) - before ))"
}
echo "== transfer functions, 1 + $n IR messages each (ms/message)"
read -r fixed fixed_c < <(run p11cmp)
read -r nagle nagle_c < <(run nagle)
read -r ossl ossl_c < <(run openssl)
awk -v f="$fixed" -v fc="$fixed_c" -v g="$nagle" -v gc="$nagle_c" \
    -v o="$ossl" -v oc="$ossl_c" -v v="$(openssl version | cut -d' ' -f2)" \
    'BEGIN {
    printf "p11cmp (TCP_NODELAY):          %8.3f  (%d connection(s))\n", f, fc
    printf "p11cmp, Nagle on (before fix): %8.3f  (%d connection(s))\n", g, gc
    printf "OSSL_CMP_MSG_http_perform %s: %6.3f  (%d connection(s))\n", \
        v, o, oc
    printf "ratio openssl / p11cmp:        %8.1f\n", o / f
}'
echo "== openssl cmp ($(openssl version | cut -d' ' -f2)), $k runs each"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$work/key.pem" 2>/dev/null
enroll() {
    openssl cmp -server "127.0.0.1:$port" -ref testref \
        -secret pass:test-secret-0815 -cmd ir -newkey "$work/key.pem" \
        -subject /CN=bench -certout "$work/cert.pem" -msg_timeout 20 "$@" \
        > "$work/cmp.log" 2>&1 || { cat "$work/cmp.log" >&2; exit 1; }
}
ms_for() {
    local t0 t1
    t0=$(date +%s%N)
    for _ in $(seq "$k"); do enroll "$@"; done
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 / k ))
}
with_confirm=$(ms_for)
implicit=$(ms_for -implicit_confirm)
awk -v a="$with_confirm" -v b="$implicit" 'BEGIN {
    printf "ir + certConf:            %8.1f ms/run\n", a / 1000
    printf "ir, implicit confirm:     %8.1f ms/run\n", b / 1000
    printf "certConf on the kept-alive connection: %.1f ms\n", (a - b) / 1000
}'
