#!/bin/bash
# tests/testca_transactions.sh - the test CA against the `openssl cmp`
# client for every transaction type: IR with PBM, CR and KUR with
# signature protection (client cert from the IR, CA cert trusted), P10CR
# (and a CSR with a broken signature), RR (twice: the second is rejected
# with certRevoked; a foreign cert gets badCertId), KUR of a revoked cert,
# and GENM. Each issued cert is checked for key, subject and validity.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

for k in 1 2 3 4; do
    new_key "$WORK/k$k.pem"
done
pub() {
    openssl pkey -in "$1" -pubout
}
# check_cert CERT KEY SUBJECT DAYS: issued by the CA for KEY and SUBJECT,
# valid for DAYS days.
check_cert() {
    expect_eq "$1 public key" "$(cert_pubkey "$1")" "$(pub "$2")"
    expect_eq "$1 subject" "$(cert_subject "$1")" "$3"
    expect_eq "$1 validity" $(($(cert_epoch "$1" -enddate) \
        - $(cert_epoch "$1" -startdate))) $(($4 * 86400))
    expect_eq "$1 verify" "$(openssl verify -CAfile "$WORK/ca.pem" "$1" \
        2>&1)" "$1: OK"
}
expect_client_output() {
    grep -q -F -- "$1" "$WORK/client.log" \
        || client_failed "expected '$1' in the client's output"
}

mkdir "$WORK/issued"
testca_start --ref "$REF" --secret "$SECRET" --cacertout "$WORK/ca.pem" \
    --certout "$WORK/issued" --days 12 --timeout 120

# IR with PBM
cmp_pbm -cmd ir -newkey "$WORK/k1.pem" -subject /CN=ir -days 3 \
    -certout "$WORK/ir.pem" || client_failed "ir"
check_cert "$WORK/ir.pem" "$WORK/k1.pem" "CN=ir" 3

# CR, signed with the IR cert; the response is signed by the CA
cmp_sig "$WORK/ir.pem" "$WORK/k1.pem" -cmd cr -newkey "$WORK/k2.pem" \
    -subject /CN=cr -days 4 -certout "$WORK/cr.pem" || client_failed "cr"
check_cert "$WORK/cr.pem" "$WORK/k2.pem" "CN=cr" 4

# KUR of the IR cert: same subject, new key
cmp_sig "$WORK/ir.pem" "$WORK/k1.pem" -cmd kur -newkey "$WORK/k3.pem" \
    -days 5 -certout "$WORK/kur.pem" || client_failed "kur"
check_cert "$WORK/kur.pem" "$WORK/k3.pem" "CN=ir" 5
ir_serial=$(cert_field "$WORK/ir.pem" -serial)
expect_eq "kur renews" \
    "$(log_count "kur: renewing serial $ir_serial (oldCertID)")" 1

# P10CR: key and subject from the CSR, default validity (--days 12)
openssl req -new -key "$WORK/k4.pem" -subj "/CN=p10cr/O=csr" \
    -out "$WORK/csr.pem" || fail "openssl req"
cmp_pbm -cmd p10cr -csr "$WORK/csr.pem" -certout "$WORK/p10.pem" \
    || client_failed "p10cr"
check_cert "$WORK/p10.pem" "$WORK/k4.pem" "O=csr,CN=p10cr" 12

# P10CR with a broken CSR signature is rejected with badPOP
openssl req -in "$WORK/csr.pem" -outform DER -out "$WORK/csr.der"
size=$(stat -c %s "$WORK/csr.der")
# flip all bits of one signature byte (writing a fixed value left the
# CSR intact whenever the byte already had it: 1 run in 256)
byte=$(od -An -tu1 -j $((size - 3)) -N 1 "$WORK/csr.der" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 255)))" \
    | dd of="$WORK/csr.der" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
openssl req -verify -inform DER -in "$WORK/csr.der" -noout 2>&1 \
    | grep -q "verify failure" || fail "tampered CSR still verifies"
cmp_pbm -cmd p10cr -csr "$WORK/csr.der" -certout "$WORK/bad.pem" \
    && fail "p10cr with a broken CSR signature succeeded"
expect_client_output "badPOP"

# RR: revoked once, then rejected with certRevoked
p10_serial=$(cert_field "$WORK/p10.pem" -serial)
cmp_pbm -cmd rr -oldcert "$WORK/p10.pem" || client_failed "rr"
expect_client_output "revocation accepted"
expect_eq "revoked" "$(log_count "revoked serial $p10_serial")" 1
cmp_pbm -cmd rr -oldcert "$WORK/p10.pem" && fail "second rr succeeded"
expect_client_output "PKIFailureInfo: certRevoked"

# RR of a certificate this CA did not issue
openssl req -x509 -new -key "$WORK/k4.pem" -subj /CN=foreign -days 1 \
    -out "$WORK/foreign.pem" || fail "self-signed cert"
cmp_pbm -cmd rr -oldcert "$WORK/foreign.pem" && fail "rr of foreign cert"
expect_client_output "PKIFailureInfo: badCertId"

# RR with signature protection, then KUR of the revoked cert is refused
cmp_sig "$WORK/kur.pem" "$WORK/k3.pem" -cmd rr -oldcert "$WORK/kur.pem" \
    || client_failed "rr signed"
cmp_sig "$WORK/kur.pem" "$WORK/k3.pem" -cmd kur -newkey "$WORK/k4.pem" \
    -certout "$WORK/bad.pem" && fail "kur of a revoked cert succeeded"
expect_client_output "PKIFailureInfo: certRevoked"

# GENM: the test CA echoes the ITAVs asked for
# (the GENP is checked in its DER, -rspout: openssl's text for it changed
# in 3.5) it holds the OID of id-it-signKeyPairTypes, 1.3.6.1.5.5.7.4.2
cmp_pbm -cmd genm -infotype signKeyPairTypes -rspout "$WORK/genp.der" \
    || client_failed "genm"
od -An -v -tx1 "$WORK/genp.der" | tr -d ' \n' | grep -q 06082b06010505070402 \
    || fail "genp without an ITAV of type id-it-signKeyPairTypes"
expect_eq "genm" "$(log_count 'genm with 1 ITAV(s), echoed')" 1

expect_eq "certs issued" "$(ls "$WORK/issued" | wc -l)" 4
expect_eq "certConfs" "$(log_count 'PKIStatus: accepted')" 4
testca_stop
echo "PASS: ir, cr, kur, p10cr, rr, genm against the test CA"
