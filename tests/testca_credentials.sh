#!/bin/bash
# tests/testca_credentials.sh - the test CA's credential options: a loaded
# CA (--cakey/--cacert), responses signed by a separate server cert
# (--srvcert/--srvkey), client certs of another CA accepted only with
# --trusted, the secret given as env: or file: and never printed, unprotected
# requests only with --accept-unprotected, RR of a cert the CA did not
# issue (same name and key) refused, and bad option pairs refused.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

# make_ca NAME CN: a self-signed CA NAME.pem with key NAME.key.
make_ca() {
    new_key "$WORK/$1.key"
    openssl req -x509 -new -key "$WORK/$1.key" -subj "/CN=$2" -days 10 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
        -out "$WORK/$1.pem" 2>/dev/null || fail "CA $1"
}
# make_ee NAME CN CA: an end-entity cert NAME.pem (key NAME.key) by CA.
make_ee() {
    new_key "$WORK/$1.key"
    printf 'keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' \
        > "$WORK/ee.ext"
    openssl req -new -key "$WORK/$1.key" -subj "/CN=$2" 2>/dev/null \
        | openssl x509 -req -CA "$WORK/$3.pem" -CAkey "$WORK/$3.key" \
            -days 5 -extfile "$WORK/ee.ext" -out "$WORK/$1.pem" 2>/dev/null \
        || fail "cert $1"
}
expect_client_output() {
    grep -q -F -- "$1" "$WORK/client.log" \
        || client_failed "expected '$1' in the client's output"
}
make_ca myca "My Test Root"
make_ca other "Other Root"
make_ee srv "CMP server" myca
make_ee client "client of other" other
new_key "$WORK/new.key"
export TESTCA_SECRET=${SECRET#pass:}

# Loaded CA, separate server cert, --trusted other CA, secret from env:
testca_start --cakey "$WORK/myca.key" --cacert "$WORK/myca.pem" \
    --srvcert "$WORK/srv.pem" --srvkey "$WORK/srv.key" \
    --trusted "$WORK/other.pem" --ref "$REF" --secret env:TESTCA_SECRET \
    --timeout 60
cmp_pbm -cmd ir -newkey "$WORK/new.key" -subject /CN=ir \
    -certout "$WORK/ir.pem" || client_failed "ir (secret from env:)"
expect_eq "issuer" "$(cert_field "$WORK/ir.pem" -issuer)" "CN=My Test Root"
expect_eq "verify" "$(openssl verify -CAfile "$WORK/myca.pem" \
    "$WORK/ir.pem" 2>&1)" "$WORK/ir.pem: OK"
# CR signed by a cert of the other CA; the response is signed by srv.pem,
# which the client can only trust through the chain to myca.pem.
cmp_client -cert "$WORK/client.pem" -key "$WORK/client.key" \
    -trusted "$WORK/myca.pem" -cmd cr -newkey "$WORK/new.key" \
    -subject /CN=cr -certout "$WORK/cr.pem" -extracertsout "$WORK/ex.pem" \
    || client_failed "cr signed by a --trusted CA's cert"
expect_eq "response signer" "$(cert_field "$WORK/ex.pem" -subject)" \
    "CN=CMP server"
expect_eq "cr issuer" "$(cert_field "$WORK/cr.pem" -issuer)" \
    "CN=My Test Root"
# RR of a cert with this CA's name and key that the CA did not issue
make_ee stray "stray" myca
cmp_pbm -cmd rr -oldcert "$WORK/stray.pem" && fail "rr of a stray cert"
expect_client_output "PKIFailureInfo: badCertId"
expect_eq "stray" "$(log_count 'certificate not issued by this CA')" 1
testca_stop
for f in testca.out testca.err; do
    expect_eq "secret in $f" "$(grep -c -F -- "$TESTCA_SECRET" \
        "$WORK/$f" || true)" 0
done

# Without --trusted the other CA's client is refused; secret from file:
printf '%s\n' "$TESTCA_SECRET" > "$WORK/secret.txt"
testca_start --cakey "$WORK/myca.key" --cacert "$WORK/myca.pem" \
    --ref "$REF" --secret "file:$WORK/secret.txt" --timeout 60
cmp_pbm -cmd ir -newkey "$WORK/new.key" -subject /CN=ir2 \
    -certout "$WORK/ir2.pem" || client_failed "ir (secret from file:)"
cmp_client -cert "$WORK/client.pem" -key "$WORK/client.key" \
    -trusted "$WORK/myca.pem" -cmd cr -newkey "$WORK/new.key" \
    -subject /CN=cr2 -certout "$WORK/cr2.pem" \
    && fail "cr by an untrusted client cert succeeded"
[ ! -e "$WORK/cr2.pem" ] || fail "a cert was issued to an untrusted client"
expect_eq "untrusted signer" "$(log_count 'error validating protection')" 1
expect_eq "issued" "$(log_count 'issued serial')" 1
# Unprotected requests are refused ...
cmp_client -unprotected_requests -cmd ir -newkey "$WORK/new.key" \
    -subject /CN=unprot -certout "$WORK/unprot.pem" -ref x \
    -trusted "$WORK/myca.pem" \
    && fail "unprotected ir accepted without --accept-unprotected"
expect_client_output 'StatusString: "missing protection"'
expect_eq "issued" "$(log_count 'issued serial')" 1
testca_stop
# ... unless --accept-unprotected.
testca_start --accept-unprotected --cacertout "$WORK/ca2.pem" --timeout 60
cmp_client -unprotected_requests -cmd ir -newkey "$WORK/new.key" \
    -subject /CN=unprot -certout "$WORK/unprot.pem" -ref x \
    -trusted "$WORK/ca2.pem" || client_failed "unprotected ir"
expect_eq "unprotected subject" "$(cert_subject "$WORK/unprot.pem")" \
    "CN=unprot"
testca_stop

# Options that go in pairs or must match are refused at start.
"$TESTCA" --cakey "$WORK/myca.key" > /dev/null 2>&1 \
    && fail "--cakey without --cacert accepted"
"$TESTCA" --cakey "$WORK/other.key" --cacert "$WORK/myca.pem" \
    > /dev/null 2> "$WORK/mismatch.err" && fail "mismatched CA key accepted"
grep -q "does not match" "$WORK/mismatch.err" || fail "no mismatch message"
"$TESTCA" --ref x > /dev/null 2>&1 && fail "--ref without --secret accepted"
echo "PASS: loaded CA, server cert, --trusted, secret sources, unprotected"
