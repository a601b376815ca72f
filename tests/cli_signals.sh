#!/bin/bash
# tests/cli_signals.sh - p11cmp(1) interrupted while it polls a server that
# answers pollRep with checkAfter 0 again and again (the test CA with
# --poll 1000 --check-after 0, and no -total_timeout): polls are at least
# P11CMP_POLL_MIN_INTERVAL (1 s) apart; SIGTERM, SIGINT and SIGHUP during
# IR -newkeygen and during KUR -newkeygen (also -keep_old) end the process
# by that signal, after it told the server (error message) and rolled back:
# the token holds exactly what it held before (no orphan key pair), and the
# KUR can be run again and completes. On the module P11CMP_TEST_TOKEN names
# (tests/token_fixture.sh); tests/cli_signals_tpm2.sh runs it on tpm2-pkcs11.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/token_fixture.sh"

objects() {
    pkcs11-tool --module "$M" --token-label clisig --login --pin "$PIN" \
        --list-objects 2>/dev/null | grep -E 'Object;|label:|ID:' || true
}
pollreqs() { grep -c '^testca: pollReq ' "$WORK/testca.err" || true; }
client_errors() { grep -c '^testca: client sent error' "$WORK/testca.err" \
    || true; }

token_fixture clisig
printf '%s\n' "$PIN" > "$WORK/pin"
Q="?module-path=$M&pin-source=file:$WORK/pin"
KEY="pkcs11:token=clisig;object=host;type=private$Q"
CERT="pkcs11:token=clisig;object=host;type=cert$Q"
# the first cert request (the IR that makes the set to renew) and the 6th
# (the KUR run again at the end) are answered, the 2nd to 5th are held for
# 1000 pollRep with checkAfter 0
testca_start --ref sig --secret pass:sig-secret --cacertout "$WORK/ca.pem" \
    --poll 1000 --check-after 0 --poll-from 2 --poll-to 5 --timeout 600
SRV="-server 127.0.0.1:$TESTCA_PORT -path pkix/"
expect 0 -cmd ir $SRV -ref sig -secret pass:sig-secret -newkey "$KEY" \
    -newkeygen EC:P-256 -subject /CN=sig -certout "$WORK/host.pem"
before=$(objects)
[ "$(echo "$before" | grep -c 'Object;')" -eq 3 ] \
    || fail "IR did not leave key pair + cert: $before"

# interrupt SIG NAME ARGS...: runs p11cmp ARGS in the background until it
# has polled (bounded, 10 s), checks the polling rate over 3 s, sends SIG,
# and checks the exit by SIG, the error message to the server and the token
PID=
interrupt() {
    sig=$1 name=$2
    shift 2
    polls0=$(pollreqs) errs0=$(client_errors)
    "$P11CMP" "$@" > "$WORK/out" 2> "$WORK/err" &
    PID=$!
    i=0
    while [ "$(pollreqs)" -le "$polls0" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(pollreqs)" -gt "$polls0" ] || fail "$name: no pollReq in 10 s"
    p1=$(pollreqs)
    sleep 3
    p2=$(pollreqs)
    # at most one poll a second (+1 for the edges of the window)
    [ $((p2 - p1)) -le 4 ] || fail "$name: $((p2 - p1)) pollReq in 3 s"
    [ $((p2 - p1)) -ge 2 ] || fail "$name: $((p2 - p1)) pollReq in 3 s"
    kill "-$sig" "$PID"
    set +e
    wait "$PID"
    rc=$?
    set -e
    PID=
    want=$((128 + $(kill -l "$sig")))
    [ $rc -eq $want ] || fail "$name: exit $rc, not $want (SIG$sig):
$(cat "$WORK/err")"
    grep -q 'interrupted' "$WORK/err" || fail "$name: $(cat "$WORK/err")"
    [ "$(client_errors)" -eq $((errs0 + 1)) ] \
        || fail "$name: the server got no error message"
    [ "$(objects)" = "$before" ] || fail "$name: token changed:
$(objects)"
    echo "ok: $name: $((p2 - p1)) pollReq in 3 s, exit by SIG$sig," \
        "token as before"
}
trap 'bg_stop PID; tpm2_stop; fixture_cleanup' EXIT

interrupt TERM "ir -newkeygen SIGTERM" -cmd ir $SRV -ref sig \
    -secret pass:sig-secret -newkey \
    "pkcs11:token=clisig;object=other;type=private$Q" \
    -newkeygen EC:P-256 -subject /CN=other
interrupt INT "kur -newkeygen SIGINT" -cmd kur $SRV -key "$KEY" \
    -cert "$CERT" -trusted "$WORK/ca.pem" -newkey "$KEY" -newkeygen EC:P-256
interrupt HUP "kur -newkeygen -keep_old SIGHUP" -cmd kur $SRV -key "$KEY" \
    -cert "$CERT" -trusted "$WORK/ca.pem" -newkey "$KEY" \
    -newkeygen EC:P-256 -keep_old
interrupt TERM "ir (no keygen) SIGTERM" -cmd ir $SRV -ref sig \
    -secret pass:sig-secret -newkey "$KEY" -subject /CN=again
# the rotation runs again and completes: one new set under the label
expect 0 -cmd kur $SRV -key "$KEY" -cert "$CERT" -trusted "$WORK/ca.pem" \
    -newkey "$KEY" -newkeygen EC:P-256 -certout "$WORK/new.pem"
after=$(objects)
[ "$(echo "$after" | grep -c 'Object;')" -eq 3 ] \
    || fail "KUR after the interruptions: $after"
[ "$after" != "$before" ] || fail "KUR after the interruptions: no change"
exit 0
