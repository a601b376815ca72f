#!/bin/bash
# tests/testca_engine_ir.sh - issue 3's "done when": a key pair generated ON
# a SoftHSM token, used by `openssl cmp -cmd ir` through the libp11 engine
# (what users have today), is enrolled at the test CA with PBM. The issued
# certificate must carry exactly the token's public key, the requested
# subject and validity, and verify under the CA. With a wrong PIN the
# client cannot use the token key and nothing is issued.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

ENGINE_SO=$(openssl version -e | sed 's/^ENGINESDIR: "\(.*\)"$/\1/')/pkcs11.so
[ -f "$ENGINE_SO" ] \
    || fail "libp11 engine not found: $ENGINE_SO (libengine-pkcs11-openssl)"
command -v pkcs11-tool >/dev/null || fail "pkcs11-tool not found (opensc)"

DAYS=7
SUBJECT="/CN=token key/O=p11cmp tests"
KEY_URI="pkcs11:token=enroll;id=%4b%01;type=private"
P11TOOL="pkcs11-tool --module $SOFTHSM2_MODULE --token-label enroll"

# The token, a key pair generated on it, and its public key read back.
fixture_token enroll
$P11TOOL --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 \
    --id 4b01 --label enrollkey > "$WORK/keygen.log" 2>&1 \
    || fail "keypairgen on the token: $(cat "$WORK/keygen.log")"
$P11TOOL --read-object --type pubkey --id 4b01 -o "$WORK/token_pub.der" \
    > /dev/null 2>&1 || fail "reading the public key from the token"
openssl pkey -pubin -inform DER -in "$WORK/token_pub.der" \
    -out "$WORK/token_pub.pem" || fail "token public key does not parse"

# OpenSSL loads the libp11 engine with the SoftHSM module.
cat > "$WORK/engine.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE_SO
MODULE_PATH = $SOFTHSM2_MODULE
init = 0
CNF

mkdir "$WORK/issued"
testca_start --ref "$REF" --secret "$SECRET" --cacertout "$WORK/ca.pem" \
    --certout "$WORK/issued" --timeout 120

# A wrong PIN: the engine cannot load the private key, so no POP and no
# request at all.
OPENSSL_CONF=$WORK/engine.cnf cmp_pbm -cmd ir -engine pkcs11 \
    -keyform ENGINE -newkey "$KEY_URI" -newkeypass pass:9999 \
    -subject "$SUBJECT" -days $DAYS -certout "$WORK/bad.pem" \
    && fail "ir succeeded with a wrong PIN"
grep -q "missing private key for popo" "$WORK/client.log" \
    || client_failed "wrong PIN: unexpected error"
expect_eq "requests after wrong PIN" "$(log_count 'testca: request ')" 0

# The real enrollment with the token key.
before=$(date -u +%s)
OPENSSL_CONF=$WORK/engine.cnf cmp_pbm -cmd ir -engine pkcs11 \
    -keyform ENGINE -newkey "$KEY_URI" -newkeypass "pass:$PIN" -popo 1 \
    -subject "$SUBJECT" -days $DAYS -certout "$WORK/cert.pem" \
    || client_failed "ir with the token key"
after=$(date -u +%s)
grep -q 'Engine "pkcs11" set' "$WORK/client.log" \
    || client_failed "the pkcs11 engine was not used"

expect_eq "public key" "$(cert_pubkey "$WORK/cert.pem")" \
    "$(cat "$WORK/token_pub.pem")"
expect_eq "subject" "$(cert_subject "$WORK/cert.pem")" \
    "O=p11cmp tests,CN=token key"
nb=$(cert_epoch "$WORK/cert.pem" -startdate)
na=$(cert_epoch "$WORK/cert.pem" -enddate)
expect_eq "validity in seconds" $((na - nb)) $((DAYS * 86400))
[ "$nb" -ge $((before - 1)) ] && [ "$nb" -le $((after + 1)) ] \
    || fail "notBefore $nb is not the time of the request ($before..$after)"
expect_eq "verify" "$(openssl verify -CAfile "$WORK/ca.pem" \
    "$WORK/cert.pem" 2>&1)" "$WORK/cert.pem: OK"
cmp -s "$WORK/cert.pem" "$WORK/issued/cert-1.pem" \
    || fail "client and test CA disagree on the issued certificate"
expect_eq "issued once" \
    "$(log_count "issued serial $(cert_field "$WORK/cert.pem" -serial)")" 1
expect_eq "transactions" "$(log_count 'testca: request ')" 2
expect_eq "certConf accepted" \
    "$(log_count 'certConf for certReqId 0: PKIStatus: accepted')" 1
testca_stop
echo "PASS: token key enrolled, cert has the token's public key"
