#!/bin/bash
# tests/testca_signers.sh - one test CA instance driven by many signers of
# different key types (EC P-256, P-384 and P-521, RSA 2048 and 3072): each
# enrolls by IR (PBM); then CRs signed by each in an order where the signer
# and its key type change on every transaction, a signed request after a
# failed one, KURs signed by each, and RRs signed by each (issue 13, "the
# test CA holds"). The CA must answer every request and stop cleanly.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

SIGNERS="p256 rsa p384 r3k p521"
gen() {
    case $1 in
        p256) new_key "$2" ;;
        p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
                  -out "$2" 2>/dev/null ;;
        p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 \
                  -out "$2" 2>/dev/null ;;
        r3k) openssl genpkey -algorithm RSA \
                 -pkeyopt rsa_keygen_bits:3072 -out "$2" 2>/dev/null ;;
        rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                 -out "$2" 2>/dev/null ;;
        ed25519) openssl genpkey -algorithm ED25519 -out "$2" 2>/dev/null ;;
        ed448) openssl genpkey -algorithm ED448 -out "$2" 2>/dev/null ;;
    esac || fail "genpkey $1"
}

new_key "$WORK/new.pem"
testca_start --ref "$REF" --secret "$SECRET" --cacertout "$WORK/ca.pem" \
    --timeout 150
n_ok=0
for s in $SIGNERS; do
    gen "$s" "$WORK/$s.key"
    cmp_pbm -cmd ir -newkey "$WORK/$s.key" -subject "/CN=$s" \
        -certout "$WORK/$s.crt" || client_failed "ir $s"
    testca_alive "ir $s"
    n_ok=$((n_ok + 1))
done
# two rounds of CRs, each signer in turn (every neighbour differs in type)
for round in 1 2; do
    for s in $SIGNERS; do
        cmp_sig "$WORK/$s.crt" "$WORK/$s.key" -cmd cr -newkey "$WORK/new.pem" \
            -subject "/CN=cr-$s-$round" -certout "$WORK/cr.pem" \
            || client_failed "cr $round by $s"
        testca_alive "cr $round by $s"
        expect_eq "cr by $s" "$(cert_subject "$WORK/cr.pem")" "CN=cr-$s-$round"
        n_ok=$((n_ok + 1))
    done
done
# a request signed with the wrong key is refused, the next one still works
cmp_sig "$WORK/rsa.crt" "$WORK/p256.key" -cmd cr -newkey "$WORK/new.pem" \
    -subject /CN=bad -certout "$WORK/bad.pem" && fail "cr with a wrong key"
testca_alive "cr with a wrong key"
cmp_sig "$WORK/p521.crt" "$WORK/p521.key" -cmd cr -newkey "$WORK/new.pem" \
    -subject /CN=after-bad -certout "$WORK/cr.pem" \
    || client_failed "cr after a refused one"
n_ok=$((n_ok + 1))
# KUR signed by each, then RR of each renewed certificate signed by it
newtype=ed25519
for s in $SIGNERS; do
    gen $newtype "$WORK/$s.new"
    [ $newtype = ed25519 ] && newtype=ed448 || newtype=ed25519
    cmp_sig "$WORK/$s.crt" "$WORK/$s.key" -cmd kur -newkey "$WORK/$s.new" \
        -certout "$WORK/$s.kur" || client_failed "kur by $s"
    testca_alive "kur by $s"
    expect_eq "kur $s subject" "$(cert_subject "$WORK/$s.kur")" "CN=$s"
    expect_eq "kur $s key" "$(cert_pubkey "$WORK/$s.kur")" \
        "$(openssl pkey -in "$WORK/$s.new" -pubout)"
    n_ok=$((n_ok + 1))
done
for s in $SIGNERS; do
    cmp_sig "$WORK/$s.crt" "$WORK/$s.key" -cmd rr -oldcert "$WORK/$s.kur" \
        || client_failed "rr by $s"
    testca_alive "rr by $s"
    n_ok=$((n_ok + 1))
done
expect_eq "successful transactions" "$n_ok" 26
expect_eq "certConfs" "$(log_count 'PKIStatus: accepted')" 21
kill "$TESTCA_PID"
testca_wait_exit 10 || fail "test CA did not stop on SIGTERM"
expect_eq "test CA exit status" "$TESTCA_RC" 0
echo "PASS: $n_ok transactions by 5 signers of 5 key types on one test CA"
