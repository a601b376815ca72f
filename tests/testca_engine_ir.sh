#!/bin/bash
# tests/testca_engine_ir.sh - issue 3's "done when": key pairs generated ON
# a SoftHSM token (EC P-256 and RSA 2048), used by `openssl cmp -cmd ir`
# through the libp11 engine (what users have today), are enrolled at the
# test CA with PBM. Each issued certificate must carry exactly the token's
# public key, the requested subject and validity, and verify under the CA.
# With a wrong PIN the client cannot use the token key and sends nothing.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

ENGINE_SO=$(openssl version -e | sed 's/^ENGINESDIR: "\(.*\)"$/\1/')/pkcs11.so
[ -f "$ENGINE_SO" ] \
    || fail "libp11 engine not found: $ENGINE_SO (libengine-pkcs11-openssl)"
command -v pkcs11-tool >/dev/null || fail "pkcs11-tool not found (opensc)"

DAYS=7
P11TOOL="pkcs11-tool --module $SOFTHSM2_MODULE --token-label enroll"

# token_keypair ID TYPE: a key pair generated on the token, its public key
# read back into $WORK/pub-ID.pem.
token_keypair() {
    $P11TOOL --login --pin "$PIN" --keypairgen --key-type "$2" --id "$1" \
        --label "key-$1" > "$WORK/keygen.log" 2>&1 \
        || fail "keypairgen $2 on the token: $(cat "$WORK/keygen.log")"
    $P11TOOL --read-object --type pubkey --id "$1" -o "$WORK/pub-$1.der" \
        > /dev/null 2>&1 || fail "reading public key $1 from the token"
    openssl pkey -pubin -inform DER -in "$WORK/pub-$1.der" \
        -out "$WORK/pub-$1.pem" || fail "token public key $1 does not parse"
}
fixture_token enroll
token_keypair 4b01 EC:prime256v1
token_keypair 4b02 RSA:2048

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
    -keyform ENGINE -newkey "pkcs11:token=enroll;id=%4b%01;type=private" \
    -newkeypass pass:9999 -subject /CN=x -days $DAYS \
    -certout "$WORK/bad.pem" && fail "ir succeeded with a wrong PIN"
grep -q "missing private key for popo" "$WORK/client.log" \
    || client_failed "wrong PIN: unexpected error"
expect_eq "requests after wrong PIN" "$(log_count 'testca: request ')" 0

# enroll ID N CN: IR for the token key ID as CN; the N-th cert issued.
enroll() {
    cert=$WORK/cert-$1.pem
    uri="pkcs11:token=enroll;id=%${1:0:2}%${1:2:2};type=private"
    before=$(date -u +%s)
    OPENSSL_CONF=$WORK/engine.cnf cmp_pbm -cmd ir -engine pkcs11 \
        -keyform ENGINE -newkey "$uri" \
        -newkeypass "pass:$PIN" -popo 1 -subject "/CN=$3/O=p11cmp tests" \
        -days $DAYS -certout "$cert" || client_failed "ir with token key $1"
    after=$(date -u +%s)
    grep -q 'Engine "pkcs11" set' "$WORK/client.log" \
        || client_failed "the pkcs11 engine was not used"
    expect_eq "public key $1" "$(cert_pubkey "$cert")" \
        "$(cat "$WORK/pub-$1.pem")"
    expect_eq "subject $1" "$(cert_subject "$cert")" "O=p11cmp tests,CN=$3"
    nb=$(cert_epoch "$cert" -startdate)
    na=$(cert_epoch "$cert" -enddate)
    expect_eq "validity in seconds $1" $((na - nb)) $((DAYS * 86400))
    [ "$nb" -ge $((before - 1)) ] && [ "$nb" -le $((after + 1)) ] \
        || fail "notBefore $nb is not the time of the request"
    expect_eq "verify $1" "$(openssl verify -CAfile "$WORK/ca.pem" \
        "$cert" 2>&1)" "$cert: OK"
    cmp -s "$cert" "$WORK/issued/cert-$2.pem" \
        || fail "client and test CA disagree on certificate $2"
    expect_eq "issued once $1" \
        "$(log_count "issued serial $(cert_field "$cert" -serial)")" 1
}
enroll 4b01 1 "token EC key"
enroll 4b02 2 "token RSA key"
expect_eq "transactions" "$(log_count 'testca: request ')" 4
expect_eq "certConf accepted" \
    "$(log_count 'certConf for certReqId 0: PKIStatus: accepted')" 2
testca_stop
echo "PASS: EC and RSA token keys enrolled, certs have the token's keys"
