# tests/testca/helpers.sh - helpers shared by the tests/testca_*.sh tests,
# sourced after tests/fixture.sh: the openssl cmp client against the
# running test CA, key generation and certificate field extraction.

REF=testref
SECRET=pass:test-secret-0815

# cmp_client ARGS...: openssl cmp to the running test CA, bounded in time;
# output (stdout and stderr) goes to $WORK/client.log.
cmp_client() {
    openssl cmp -batch -server "127.0.0.1:$TESTCA_PORT" -msg_timeout 20 \
        -total_timeout 60 "$@" > "$WORK/client.log" 2>&1
}

# cmp_pbm ARGS...: cmp_client with PBM protection (-ref/-secret).
cmp_pbm() {
    cmp_client -ref "$REF" -secret "$SECRET" "$@"
}

# cmp_sig CERT KEY ARGS...: cmp_client with signature protection by CERT
# and KEY, the CA certificate ($WORK/ca.pem) trusted.
cmp_sig() {
    cmp_client -cert "$1" -key "$2" -trusted "$WORK/ca.pem" "${@:3}"
}

# testca_alive AFTER: fail unless the test CA still runs after step AFTER.
testca_alive() {
    kill -0 "$TESTCA_PID" 2>/dev/null \
        || fail "test CA died after $1: $(tail -n 20 "$WORK/testca.err")"
}

# client_failed WHAT: fail with the client's output.
client_failed() {
    fail "$1: $(cat "$WORK/client.log")"
}

# new_key FILE: a fresh EC P-256 private key (PEM).
new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$1" 2>/dev/null || fail "genpkey $1"
}

# cert_field FILE OPT: one field of a PEM cert, e.g. cert_field c.pem
# -serial prints the hex serial (the part after "="); names (-subject,
# -issuer) come in RFC 2253 form, which no OpenSSL release prints
# differently (its default form changed in 3.5: "CN = x" became "CN=x").
cert_field() {
    openssl x509 -in "$1" -noout -nameopt RFC2253 "$2" \
        | sed 's/^[^=]*=//'
}

# cert_subject FILE: the subject in RFC 2253 form.
cert_subject() {
    openssl x509 -in "$1" -noout -subject -nameopt RFC2253 \
        | sed 's/^subject=//'
}

# cert_epoch FILE -startdate|-enddate: the time in seconds since 1970.
cert_epoch() {
    date -u -d "$(cert_field "$1" "$2")" +%s
}

# cert_pubkey FILE: the certificate's public key (PEM).
cert_pubkey() {
    openssl x509 -in "$1" -noout -pubkey
}

# log_count TEXT: how many lines of the test CA's log contain TEXT.
log_count() {
    grep -c -F -- "$1" "$WORK/testca.err" || true
}

# testca_wait_exit SECS: waits for the test CA to exit on its own; returns
# 1 if it still runs after SECS seconds. Sets TESTCA_RC to its status.
testca_wait_exit() {
    n=0
    while kill -0 "$TESTCA_PID" 2>/dev/null; do
        [ $n -lt $(($1 * 10)) ] || return 1
        sleep 0.1
        n=$((n + 1))
    done
    TESTCA_RC=0
    wait "$TESTCA_PID" 2>/dev/null || TESTCA_RC=$?
    TESTCA_PID=
}

# expect_eq WHAT GOT WANT: fail unless GOT equals WANT.
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
