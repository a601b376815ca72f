#!/bin/bash
# tests/cli_tls.sh - p11cmp(1) over HTTPS: a TLS front end (a small
# Python relay on 127.0.0.1, bounded by a timeout) in front of the test
# CA; -tls_used with -tls_trusted (also a PKCS#12 file with -otherpass)
# and host checking, an https:// server, a wrong -tls_host (transport
# error, exit 3), and TLS client
# authentication with a key on the SoftHSM2 token (-tls_key pkcs11:...),
# an EC key and an Ed25519 key (generated and enrolled by p11cmp). It runs
# on the module P11CMP_TEST_TOKEN names (tests/token_fixture.sh): SoftHSM2
# by default, tpm2-pkcs11 as tests/cli_tls_tpm2.sh, where the Ed25519 part
# is left out (a TPM 2.0 has no EdDSA).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/token_fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
command -v python3 > /dev/null || skip_test "python3 is needed for the TLS relay"

# a TLS CA, the front end's cert for 127.0.0.1, a client cert for a token key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/tlsca.key" -subj /CN=tls-ca -days 2 \
    -out "$WORK/tlsca.pem" 2>/dev/null || fail "TLS CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/front.key" -subj /CN=front 2>/dev/null \
    | openssl x509 -req -CA "$WORK/tlsca.pem" -CAkey "$WORK/tlsca.key" \
        -CAcreateserial -days 1 -out "$WORK/front.pem" \
        -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:front.test\n') \
        2>/dev/null || fail "front cert"
token_fixture clitls
printf '%s\n' "$PIN" > "$WORK/pin"
pkcs11-tool --module "$M" --token-label clitls --login --pin "$PIN" \
    --keypairgen --key-type EC:prime256v1 --label tlsclient --id 0c \
    >/dev/null 2>&1 || fail "token keygen"
pkcs11-tool --module "$M" --token-label clitls --read-object --type pubkey \
    --label tlsclient -o "$WORK/cl.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$WORK/cl.der" -out "$WORK/cl.pub"
openssl req -new -key "$WORK/front.key" -subj "/CN=tls client" 2>/dev/null \
    | openssl x509 -req -CA "$WORK/tlsca.pem" -CAkey "$WORK/tlsca.key" \
        -CAcreateserial -days 1 -force_pubkey "$WORK/cl.pub" \
        -out "$WORK/cl.pem" 2>/dev/null || fail "client cert"

testca_start --ref tls --secret pass:tls-secret
py_start "$top_srcdir/tests/tls_front.py" "$WORK/front.pem" "$WORK/front.key" \
    "$WORK/tlsca.pem" "$TESTCA_PORT" "$WORK/front.log"
TLS_PORT=$PY_PORT

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/k.pem" 2>/dev/null
IR="-cmd ir -ref tls -secret pass:tls-secret -newkey $WORK/k.pem -path pkix/"
IR="$IR -certout $WORK/nc.pem"

expect 0 $IR -server "127.0.0.1:$TLS_PORT" -tls_used \
    -tls_trusted "$WORK/tlsca.pem" -subject /CN=over-tls
grep -q '^enrolled: subject=/CN=over-tls' "$WORK/out" || fail "no result"
expect 0 $IR -server "https://127.0.0.1:$TLS_PORT" -tls_used \
    -tls_trusted "$WORK/tlsca.pem" -tls_host front.test -subject /CN=https
# as in openssl cmp 3.0, an https:// server needs -tls_used too
expect 2 $IR -server "https://127.0.0.1:$TLS_PORT" \
    -tls_trusted "$WORK/tlsca.pem" -tls_host front.test -subject /CN=https
# -tls_trusted from a PKCS#12 file opened with -otherpass
openssl pkcs12 -export -nokeys -in "$WORK/tlsca.pem" -out "$WORK/tlsca.p12" \
    -passout pass:tls-other 2>/dev/null || fail "pkcs12"
expect 0 $IR -server "127.0.0.1:$TLS_PORT" -tls_used -subject /CN=p12 \
    -tls_trusted "$WORK/tlsca.p12" -otherpass pass:tls-other
expect 1 $IR -server "127.0.0.1:$TLS_PORT" -tls_used -subject /CN=p12 \
    -tls_trusted "$WORK/tlsca.p12"
has err "cannot load -tls_trusted from $WORK/tlsca.p12"
# the server's cert is not for this name: no connection
expect 3 $IR -server "127.0.0.1:$TLS_PORT" -tls_used \
    -tls_trusted "$WORK/tlsca.pem" -tls_host wrong.test -subject /CN=x
# a server cert that does not chain to -tls_trusted: no connection
expect 3 $IR -server "127.0.0.1:$TLS_PORT" -tls_used \
    -tls_trusted "$WORK/cl.pem" -subject /CN=x
# TLS client authentication by the token key
: > "$WORK/front.log"
expect 0 $IR -server "127.0.0.1:$TLS_PORT" -tls_used \
    -tls_trusted "$WORK/tlsca.pem" -tls_cert "$WORK/cl.pem" \
    -tls_key "pkcs11:token=clitls;object=tlsclient;type=private" \
    -module "$M" -tls_keypass "file:$WORK/pin" -subject /CN=tls-auth
grep -q '^client: tls client$' "$WORK/front.log" \
    || fail "the relay saw no client cert: $(cat "$WORK/front.log")"
if [ "$TOKEN_KIND" = tpm2 ]; then
    py_stop
    testca_stop
    echo "cli_tls: $n runs passed (tpm2: no Ed25519 on a TPM)"
    exit 0
fi
# the same with an Ed25519 key p11cmp generates on the token (IR, POPO by
# the token); the TLS CA certifies its public key for the relay
TOKED="pkcs11:token=clitls;object=tlsed;type=private?module-path=$M"
expect 0 -cmd ir -ref tls -secret pass:tls-secret -path pkix/ \
    -server "127.0.0.1:$TESTCA_PORT" -newkey "$TOKED" -newkeygen ED25519 \
    -newkeypass "file:$WORK/pin" -subject /CN=ed -certout "$WORK/ed.pem"
openssl x509 -in "$WORK/ed.pem" -noout -pubkey > "$WORK/ed.pub"
openssl pkey -pubin -in "$WORK/ed.pub" -noout -text > "$WORK/ed.txt"
grep -q '^ED25519 ' "$WORK/ed.txt" || fail "the enrolled key is not Ed25519"
openssl req -new -key "$WORK/front.key" -subj "/CN=tls ed" 2>/dev/null \
    | openssl x509 -req -CA "$WORK/tlsca.pem" -CAkey "$WORK/tlsca.key" \
        -CAcreateserial -days 1 -force_pubkey "$WORK/ed.pub" \
        -out "$WORK/cled.pem" 2>/dev/null || fail "Ed25519 client cert"
: > "$WORK/front.log"
expect 0 $IR -server "127.0.0.1:$TLS_PORT" -tls_used \
    -tls_trusted "$WORK/tlsca.pem" -tls_cert "$WORK/cled.pem" \
    -tls_key "$TOKED" -tls_keypass "file:$WORK/pin" -subject /CN=tls-ed
grep -q '^client: tls ed$' "$WORK/front.log" \
    || fail "the relay saw no Ed25519 client cert: $(cat "$WORK/front.log")"
py_stop
testca_stop
echo "cli_tls: $n runs passed"
