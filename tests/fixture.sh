# tests/fixture.sh - shared setup for the shell tests, sourced by each one:
# a private SoftHSM2 token in a temporary directory (own SOFTHSM2_CONF,
# known PIN/SO-PIN), the test CA on 127.0.0.1, and cleanup of both on exit.
#
# After `. "$top_srcdir/tests/fixture.sh"`:
#   fixture_token LABEL   makes an initialised token; sets TOKEN_URI
#   testca_start ARGS...  starts tests/testca/testca on a free port; sets
#                         TESTCA_PORT, TESTCA_PID, TESTCA_URL
#   testca_stop           stops it (also done on exit)
#   mock_start ARGS...    (in the namespace of FIXTURE_NETNS) runs
#                         `openssl cmp -port $MOCK_PORT` with $MOCK_ARGS
#                         and ARGS, log in $WORK/mock.log; sets MOCK_PID
#   mock_stop             stops it (also done on exit)
#   py_start SCRIPT ARGS... runs a Python helper server (a TLS relay, a
#                         proxy) that prints "LISTENING PORT"; sets PY_PORT
#   py_stop               stops it (also done on exit)
#   skip_test WHY / fail WHY  end the test with automake's codes 77 / 1
#   need_cmp_option OPT WHAT...  skip_test unless `openssl cmp -help`
#                         lists OPT ("openssl cmp VERSION has no WHAT")
# Everything lives under $WORK, removed on exit.

set -eu
# FIXTURE_NETNS=1 (set before sourcing): the test runs itself again in a
# private network namespace (unshare -n) with only its own loopback, for
# OpenSSL 3.0's mock CMP server, which listens on all interfaces.
if [ -n "${FIXTURE_NETNS:-}" ] && [ -z "${P11CMP_IN_NETNS:-}" ]; then
    command -v unshare > /dev/null || { echo "SKIP: no unshare"; exit 77; }
    export P11CMP_IN_NETNS=1
    for u in "unshare -n" "unshare -rn"; do
        if $u true 2> /dev/null; then
            exec $u bash -c 'ip link set lo up && exec bash "$0"' "$0"
        fi
    done
    echo "SKIP: cannot create a network namespace"
    exit 77
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SOFTHSM2_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
export SOFTHSM2_MODULE
# sanitizer builds: programs run here use SoftHSM2, whose own leaks
# tests/lsan.supp matches only on stacks the slow unwinder finds
case ${LSAN_OPTIONS-} in
    *fast_unwind_on_malloc*) ;;
    *) LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}fast_unwind_on_malloc=0"
       export LSAN_OPTIONS ;;
esac
PIN=1234
SO_PIN=12345678
WORK=$(mktemp -d "${TMPDIR:-/tmp}/p11cmp-test.XXXXXX")
TESTCA_PID=
TESTCA=$top_builddir/tests/testca/testca
MOCK_PID=
PY_PID=

fixture_cleanup() {
    testca_stop
    mock_stop
    py_stop
    rm -rf "$WORK"
}
trap fixture_cleanup EXIT
trap 'exit 1' INT TERM HUP

# bg_stop VAR: stops the background process whose PID is in VAR (if any)
# and waits for it; clears VAR
bg_stop() {
    eval "bg_pid=\${$1}"
    if [ -n "$bg_pid" ]; then
        kill "$bg_pid" 2> /dev/null || true
        wait "$bg_pid" 2> /dev/null || true
    fi
    eval "$1="
}

fail() {
    echo "FAIL: $*" >&2
    # a test CA that died explains the failure: say how and show its errors
    if [ -n "${TESTCA_PID:-}" ] && ! kill -0 "$TESTCA_PID" 2> /dev/null; then
        wait "$TESTCA_PID" 2> /dev/null
        echo "FAIL: the test CA (PID $TESTCA_PID) is gone, status $?;" \
            "its stderr:" >&2
        tail -n 40 "$WORK/testca.err" >&2 2> /dev/null || true
    fi
    exit 1
}

skip_test() {
    echo "SKIP: $*" >&2
    exit 77
}

need_cmp_option() {
    opt=$1
    shift
    openssl cmp -help 2>&1 | grep -q -- "$opt" \
        || skip_test "openssl cmp $(openssl version | cut -d' ' -f2) has no" \
            "$@"
}

# fixture_token LABEL: a fresh SoftHSM2 token store under $WORK with one
# initialised token LABEL (user PIN $PIN, SO PIN $SO_PIN).
fixture_token() {
    [ -f "$SOFTHSM2_MODULE" ] || fail "SoftHSM2 module not found: $SOFTHSM2_MODULE"
    mkdir -p "$WORK/tokens"
    cat > "$WORK/softhsm2.conf" <<CONF
directories.tokendir = $WORK/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
    SOFTHSM2_CONF=$WORK/softhsm2.conf
    export SOFTHSM2_CONF
    softhsm2-util --init-token --free --label "$1" --pin "$PIN" \
        --so-pin "$SO_PIN" >/dev/null || fail "softhsm2-util --init-token"
    TOKEN_URI="pkcs11:token=$1"
}

# testca_start ARGS...: runs the test CA on 127.0.0.1, port chosen by the
# kernel, and waits (bounded, 10 s) for its "LISTENING 127.0.0.1 PORT" line.
testca_start() {
    [ -x "$TESTCA" ] || fail "test CA not built: $TESTCA"
    rm -f "$WORK/testca.out"
    # TESTCA_WRAPPER, e.g. "valgrind --log-file=...", runs the CA under a tool.
    ${TESTCA_WRAPPER:-} "$TESTCA" --port 0 "$@" > "$WORK/testca.out" \
        2> "$WORK/testca.err" &
    TESTCA_PID=$!
    i=0
    while [ $i -lt 100 ]; do
        # (the file may not exist yet: the CA's shell opens it)
        TESTCA_PORT=$(sed -n 's/^LISTENING 127\.0\.0\.1 \([0-9]*\)$/\1/p' \
            "$WORK/testca.out" 2>/dev/null || true)
        [ -n "$TESTCA_PORT" ] && break
        kill -0 "$TESTCA_PID" 2>/dev/null \
            || fail "test CA exited: $(cat "$WORK/testca.err")"
        sleep 0.1
        i=$((i + 1))
    done
    [ -n "$TESTCA_PORT" ] || fail "test CA did not start within 10 s"
    TESTCA_URL="http://127.0.0.1:$TESTCA_PORT/pkix/"
}

testca_stop() {
    bg_stop TESTCA_PID
}

# mock_start ARGS...: the mock server of openssl cmp on 127.0.0.1:$MOCK_PORT
# (only inside the namespace of FIXTURE_NETNS), bounded by -max_msgs 30
# and 120 s; waits (bounded, 10 s) until it listens.
mock_start() {
    [ -n "${P11CMP_IN_NETNS:-}" ] || fail "mock_start needs FIXTURE_NETNS"
    # shellcheck disable=SC2086
    timeout 120 openssl cmp -port "$MOCK_PORT" -max_msgs 30 ${MOCK_ARGS:-} \
        "$@" > "$WORK/mock.log" 2>&1 &
    MOCK_PID=$!
    hexport=$(printf '%04X' "$MOCK_PORT")
    for _ in $(seq 100); do
        grep -q ":$hexport [0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 \
            2> /dev/null && return 0
        kill -0 "$MOCK_PID" 2> /dev/null \
            || fail "mock server exited: $(cat "$WORK/mock.log")"
        sleep 0.1
    done
    fail "mock server did not listen within 10 s"
}

mock_stop() {
    bg_stop MOCK_PID
}

# py_start SCRIPT ARGS...: python3 SCRIPT ARGS in the background (bounded,
# 120 s), output in $WORK/py.out and $WORK/py.err; waits (bounded, 10 s)
# for its "LISTENING PORT" line on 127.0.0.1 and sets PY_PORT. Skips the
# test without python3.
py_start() {
    command -v python3 > /dev/null || skip_test "python3 is needed"
    timeout 120 python3 "$@" > "$WORK/py.out" 2> "$WORK/py.err" &
    PY_PID=$!
    PY_PORT=
    for _ in $(seq 100); do
        PY_PORT=$(sed -n 's/^LISTENING //p' "$WORK/py.out" 2>/dev/null \
            || true)
        [ -n "$PY_PORT" ] && return 0
        kill -0 "$PY_PID" 2>/dev/null || fail "$1: $(cat "$WORK/py.err")"
        sleep 0.1
    done
    fail "$1 did not start within 10 s"
}

py_stop() {
    bg_stop PY_PID
}
