#!/bin/bash
# tests/cli_compat.sh - the same command line (and the same config file)
# for `openssl cmp` and `p11cmp`: both enroll a key from a file against
# the test CA; the exit status, subject and public key of the issued
# certificates must agree. A rejection fails both.
. "$top_srcdir/tests/fixture.sh"
P11CMP=$top_builddir/p11cmp
n=0

testca_start --ref compat --secret pass:compat-secret
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/k.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$WORK/r.pem" 2>/dev/null

# run NAME ARGS...: both programs with ARGS (OUT in the certout name);
# their exit statuses into RC_openssl / RC_p11cmp
run() {
    name=$1
    shift
    set +e
    openssl cmp -config "" "$@" -certout "$WORK/$name-openssl.pem" \
        > "$WORK/$name-openssl.log" 2>&1
    RC_openssl=$?
    "$P11CMP" -config "" "$@" -certout "$WORK/$name-p11cmp.pem" \
        > "$WORK/$name-p11cmp.log" 2>&1
    RC_p11cmp=$?
    set -e
}

# same_cert NAME: same subject, same public key in both issued certs
same_cert() {
    for f in subject pubkey; do
        a=$(openssl x509 -in "$WORK/$1-openssl.pem" -noout -$f)
        b=$(openssl x509 -in "$WORK/$1-p11cmp.pem" -noout -$f)
        [ -n "$a" ] && [ "$a" = "$b" ] || fail "$1: $f differs: $a / $b"
    done
    n=$((n + 1))
}

SRV="-server 127.0.0.1:$TESTCA_PORT/pkix/"
for key in k.pem r.pem; do
    run ir-$key -cmd ir $SRV -ref compat -secret pass:compat-secret \
        -newkey "$WORK/$key" -subject "/CN=compat $key/O=p11cmp tests" \
        -days 10 -sans "compat.example 192.0.2.1"
    [ $RC_openssl -eq 0 ] && [ $RC_p11cmp -eq 0 ] \
        || fail "ir $key: openssl $RC_openssl, p11cmp $RC_p11cmp
$(cat "$WORK/ir-$key-openssl.log" "$WORK/ir-$key-p11cmp.log")"
    same_cert ir-$key
    for p in openssl p11cmp; do
        openssl x509 -in "$WORK/ir-$key-$p.pem" -noout -ext subjectAltName \
            | grep -q 'DNS:compat.example, IP Address:192.0.2.1' \
            || fail "ir $key: $p cert lacks the SANs"
    done
done

# the same with -path and options from a config file section
cat > "$WORK/compat.cnf" <<CNF
[cmp]
server = 127.0.0.1:$TESTCA_PORT
path = pkix/
ref = compat
secret = pass:compat-secret
[ir]
cmd = cr
newkey = $WORK/k.pem
subject = /CN=from config
CNF
set +e
openssl cmp -config "$WORK/compat.cnf" -section "cmp ir" \
    -certout "$WORK/cfg-openssl.pem" > "$WORK/cfg.log" 2>&1
RC_openssl=$?
"$P11CMP" -config "$WORK/compat.cnf" -section "cmp ir" \
    -certout "$WORK/cfg-p11cmp.pem" >> "$WORK/cfg.log" 2>&1
RC_p11cmp=$?
set -e
[ $RC_openssl -eq 0 ] && [ $RC_p11cmp -eq 0 ] \
    || fail "config: openssl $RC_openssl, p11cmp $RC_p11cmp $(cat "$WORK/cfg.log")"
same_cert cfg
testca_stop

# a rejection fails both (openssl cmp exits 1, p11cmp 4)
testca_start --ref compat --secret pass:compat-secret --reject badCertTemplate
SRV="-server 127.0.0.1:$TESTCA_PORT/pkix/"
run rej -cmd ir $SRV -ref compat -secret pass:compat-secret \
    -newkey "$WORK/k.pem" -subject /CN=rejected
[ $RC_openssl -ne 0 ] && [ $RC_p11cmp -eq 4 ] \
    || fail "rejection: openssl $RC_openssl, p11cmp $RC_p11cmp"
grep -q 'failInfo: badCertTemplate' "$WORK/rej-p11cmp.log" \
    || fail "rejection text: $(cat "$WORK/rej-p11cmp.log")"
n=$((n + 1))
testca_stop
echo "cli_compat: $n comparisons passed"
