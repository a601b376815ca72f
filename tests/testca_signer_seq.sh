#!/bin/bash
# tests/testca_signer_seq.sh - regression test for issue 13 item 7: one
# test CA instance died with SIGSEGV (a use-after-free in libcrypto 3.0's
# OSSL_CMP_validate_msg, which caches the sender certificate of an earlier
# transaction in the server context) on exactly this sequence:
# IR (EC key e1), IR (RSA key r1), CR signed by e1, CR signed by r1 twice,
# KUR signed by e1, KUR signed by r1. Every step must succeed, the CA must
# still run and answer afterwards, and it must stop cleanly.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

new_key "$WORK/e1.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$WORK/r1.pem" 2>/dev/null || fail "genpkey r1"
for k in c1 c2 c3 u1 u2; do
    new_key "$WORK/$k.pem"
done

testca_start --ref "$REF" --secret "$SECRET" --cacertout "$WORK/ca.pem" \
    --timeout 120
cmp_pbm -cmd ir -newkey "$WORK/e1.pem" -subject /CN=e1 \
    -certout "$WORK/e1.crt" || client_failed "ir e1"
testca_alive "ir e1"
cmp_pbm -cmd ir -newkey "$WORK/r1.pem" -subject /CN=r1 \
    -certout "$WORK/r1.crt" || client_failed "ir r1"
testca_alive "ir r1"
cmp_sig "$WORK/e1.crt" "$WORK/e1.pem" -cmd cr -newkey "$WORK/c1.pem" \
    -subject /CN=c1 -certout "$WORK/c1.crt" || client_failed "cr by e1"
testca_alive "cr by e1"
cmp_sig "$WORK/r1.crt" "$WORK/r1.pem" -cmd cr -newkey "$WORK/c2.pem" \
    -subject /CN=c2 -certout "$WORK/c2.crt" || client_failed "cr by r1"
testca_alive "cr by r1"
cmp_sig "$WORK/r1.crt" "$WORK/r1.pem" -cmd cr -newkey "$WORK/c3.pem" \
    -subject /CN=c3 -certout "$WORK/c3.crt" || client_failed "cr by r1 (2)"
testca_alive "second cr by r1"
cmp_sig "$WORK/e1.crt" "$WORK/e1.pem" -cmd kur -newkey "$WORK/u1.pem" \
    -certout "$WORK/u1.crt" || client_failed "kur by e1"
testca_alive "kur by e1"
cmp_sig "$WORK/r1.crt" "$WORK/r1.pem" -cmd kur -newkey "$WORK/u2.pem" \
    -certout "$WORK/u2.crt" || client_failed "kur by r1"
testca_alive "kur by r1"
expect_eq "kur e1 subject" "$(cert_subject "$WORK/u1.crt")" "CN=e1"
expect_eq "kur r1 subject" "$(cert_subject "$WORK/u2.crt")" "CN=r1"
expect_eq "kur r1 key" "$(cert_pubkey "$WORK/u2.crt")" \
    "$(openssl pkey -in "$WORK/u2.pem" -pubout)"
# still answering after the sequence
cmp_pbm -cmd genm -infotype signKeyPairTypes || client_failed "genm after"
expect_eq "certConfs" "$(log_count 'PKIStatus: accepted')" 7
kill "$TESTCA_PID"
testca_wait_exit 10 || fail "test CA did not stop on SIGTERM"
expect_eq "test CA exit status" "$TESTCA_RC" 0
echo "PASS: the item-7 signer sequence against one test CA"
