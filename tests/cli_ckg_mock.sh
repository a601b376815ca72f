#!/bin/bash
# tests/cli_ckg_mock.sh - central key generation (RFC 9483 4.1.6) by
# p11cmp next to `openssl cmp` 3.5 as the reference client, both against
# OpenSSL's mock server (`openssl cmp -port ... -rsp_key`), which encrypts
# the key to the certificate that signed the request and signs it with
# its own certificate (EKU id-kp-cmKGA). For an RSA client (key
# transport) and an EC client (key agreement), each also with its key
# on a token (C_Decrypt, CKM_ECDH1_DERIVE there): the ir body is
# openssl cmp's byte for byte; the key file p11cmp writes is openssl
# cmp's byte for byte, is
# the key the server served, has mode 0600; with -newkeypass both files
# decrypt to that key. With -newkey pkcs11:... (beyond openssl cmp) the
# key lands on the token only, sensitive and not extractable, beside its
# public half and cert. A PBM-protected request (the mock server cannot
# encrypt to a secret), a server without a key to return, one that
# returns a key that is not the certificate's and one whose certificate
# lacks id-kp-cmKGA fail and leave no file, the token as it was. The mock server listens on all interfaces, so the test runs in a
# private network namespace. Skipped where openssl cmp has no central key
# generation (OpenSSL 3.0: Debian 12; tests/check_ckg covers the
# decryption and the checks there, check_pkcs11 the token parts).
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
. "$top_srcdir/tests/ckg_pki.sh"
need_cmp_option -rsp_key \
    "central key generation (-centralkeygen, -rsp_key: needs 3.5)"
cd "$WORK"

ckg_pki

MOCK_PORT=1703
mock_start -srv_cert kga.pem -srv_key kga.key -srv_trusted root.pem \
    -rsp_cert ee.pem -rsp_key ee.key -srv_ref mockref \
    -srv_secret pass:mocksecret
CLI_LOGS=$WORK/mock.log
BASE="-server 127.0.0.1:$MOCK_PORT -trusted root.pem -cmd ir"
BASE="$BASE -subject /CN=ee -msg_timeout 20"

# served FILE [PASS]: the key in FILE is the served one
served() {
    openssl pkey -in "$1" ${2:+-passin "$2"} -outform DER -out "$1.der" \
        || fail "$1 is no key"
    cmp -s "$1.der" ee.der || fail "$1 is not the key the server served"
}

# PBM first (later the mock server would encrypt to the certificate of
# the previous transaction's client): it has no certificate to encrypt
# the key to and answers with an error
CLI_ARGS="$BASE -ref mockref -secret pass:mocksecret"
expect 4 -centralkeygen -newkeyout p-pbm-nk.pem -certout p-pbm-c.pem
[ ! -e p-pbm-nk.pem ] || fail "PBM: a key file was written"

# body FILE: the DER of the PKIBody of the message in FILE (its first
# [0] below the top SEQUENCE), in FILE.body
body() {
    off=$(openssl asn1parse -inform DER -in "$1" \
        | awk '/d=1 / && /cont \[ 0 \]/ { sub(/:.*/, "", $1); print $1
                                             exit }')
    [ -n "$off" ] || fail "no body in $1"
    openssl asn1parse -inform DER -in "$1" -strparse "$off" -noout \
        -out "$1.body" > /dev/null || fail "body of $1"
}

CLI_ARGS=$BASE
for c in rsa ec; do
    both "$c" -cert "$c.pem" -key "$c.key" -centralkeygen \
        -newkeyout @nk.pem -certout @c.pem -reqout @ir.der
    # the same request body as openssl cmp 3.5: the template with the
    # client key's algorithm and an empty BIT STRING, no POPO
    body "o-$c-ir.der"
    body "p-$c-ir.der"
    cmp -s "o-$c-ir.der.body" "p-$c-ir.der.body" \
        || fail "$c: the ir body differs from openssl cmp's"
    openssl asn1parse -inform DER -in "p-$c-ir.der.body" \
        | grep -q 'l= *1 prim: BIT STRING' || fail "$c: no empty key"
    cmp -s "o-$c-nk.pem" "p-$c-nk.pem" \
        || fail "$c: p11cmp's key file differs from openssl cmp's"
    cmp -s "o-$c-c.pem" "p-$c-c.pem" || fail "$c: certificates differ"
    served "p-$c-nk.pem"
    [ "$(stat -c %a "p-$c-nk.pem")" = 600 ] || fail "$c: key file mode"
done
# the client's key on a token (SoftHSM2, imported with CKA_DECRYPT): the
# key transport is decrypted there (C_Decrypt), the result is the same
fixture_token ckg
printf '%s\n' "$PIN" > pin
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label ckg --login \
    --pin "$PIN" --write-object rsa.key --type privkey --id 01 \
    --label cl > /dev/null 2>&1 || fail "pkcs11-tool: import rsa.key"
TKEY="pkcs11:token=ckg;object=cl?module-path=$SOFTHSM2_MODULE"
TKEY="$TKEY&pin-source=file:$WORK/pin"
CLI_ARGS=$BASE
expect 0 -cert rsa.pem -key "$TKEY" -centralkeygen -newkeyout p-tok-nk.pem \
    -certout p-tok-c.pem
cmp -s p-tok-nk.pem p-rsa-nk.pem || fail "token client: another key file"
served p-tok-nk.pem
# an EC client key on the token (CKA_DERIVE; its public half beside it,
# where p11cmp reads it): ECDH there, the KDF in software
openssl pkey -in ec.key -pubout -outform DER -out ec.pub.der
for t in privkey:ec.key pubkey:ec.pub.der; do
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label ckg --login \
        --pin "$PIN" --write-object "${t#*:}" --type "${t%%:*}" --id 02 \
        --label clec --usage-derive --usage-sign > /dev/null 2>&1 \
        || fail "pkcs11-tool: import $t"
done
expect 0 -cert ec.pem -key "${TKEY/object=cl/object=clec}" -centralkeygen \
    -newkeyout p-tokec-nk.pem -certout p-tokec-c.pem
cmp -s p-tokec-nk.pem p-ec-nk.pem || fail "token EC client: another key"

# the key onto the token: -newkey pkcs11:... instead of -newkeyout; the
# key, its public half and the certificate under one label and CKA_ID,
# the private key sensitive and not extractable; no key file anywhere;
# the token key then signs a request the mock server accepts
objs() {
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label ckg --login \
        --pin "$PIN" --list-objects 2> /dev/null
}
files() { find . -path ./tokens -prune -o -type f -print | sort; }
before=$(files)
NK="pkcs11:token=ckg;object=central?module-path=$SOFTHSM2_MODULE"
NK="$NK&pin-source=file:$WORK/pin"
expect 0 -cert rsa.pem -key rsa.key -centralkeygen -newkey "$NK" \
    -certout p-tok2-c.pem
[ "$(files)" = "$(printf '%s\n' "$before" ./p-tok2-c.pem | sort)" ] \
    || fail "token variant: files written besides -certout"
objs > objs.txt
for t in "Private Key" "Public Key" "Certificate"; do
    [ "$(grep -A3 "^$t Object" objs.txt | grep -c 'label: *central$')" = 1 ] \
        || fail "token variant: no single $t object 'central': $(cat objs.txt)"
done
# field TYPE FIELD: FIELD's line of the TYPE object labelled central
field() {
    awk -v t="$1 Object" -v f="$2:" '
        function done() { if (m && v != "") print v; m = 0; v = "" }
        /^[^ ]/ { done(); in_obj = index($0, t) == 1 }
        in_obj && /label:/ { x = $0; sub(/^ *label: */, "", x)
                             m = x == "central" }
        in_obj && index($0, f) { v = $0; sub(/^ *[^:]*: */, "", v) }
        END { done() }' objs.txt
}
[ -n "$(field "Private Key" ID)" ] \
    && [ "$(field "Private Key" ID)" = "$(field Certificate ID)" ] \
    && [ "$(field "Public Key" ID)" = "$(field Certificate ID)" ] \
    || fail "token variant: key and certificate have other CKA_IDs"
# pkcs11-tool lists CKA_SENSITIVE as "sensitive", CKA_EXTRACTABLE as
# "extractable" in the Access line
acc=$(field "Private Key" Access)
echo "$acc" | grep -q 'sensitive' \
    && ! echo "$acc" | grep -Eq '(^|,) *extractable' \
    || fail "token variant: private key access: $acc"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label ckg --login \
    --pin "$PIN" --read-object --type privkey --label central \
    -o leak.der > /dev/null 2>&1 && [ -s leak.der ] \
    && fail "token variant: the private key could be read"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label ckg --read-object \
    --type pubkey --label central -o tokpub.der > /dev/null 2>&1 \
    || fail "token variant: no public key"
cmp -s <(openssl pkey -pubin -inform DER -in tokpub.der -outform DER) \
    <(openssl pkey -in ee.key -pubout -outform DER) \
    || fail "token variant: the token holds another key than served"
cmp -s p-tok2-c.pem p-rsa-c.pem || fail "token variant: certificate differs"
CLI_ARGS="-server 127.0.0.1:$MOCK_PORT -trusted root.pem -msg_timeout 20"
expect 0 -cmd genm -cert p-tok2-c.pem -key "$NK"
rm -f leak.der tokpub.der objs.txt

# -popo -1 means -centralkeygen, as in openssl cmp 3.5; -newkeypass
# encrypts the file (AES-256-CBC)
CLI_ARGS=$BASE
both enc -cert rsa.pem -key rsa.key -popo -1 -newkeypass pass:kp \
    -newkeyout @nk.pem -certout @c.pem
grep -q 'ENCRYPTED PRIVATE KEY' p-enc-nk.pem || fail "key not encrypted"
served p-enc-nk.pem pass:kp
served o-enc-nk.pem pass:kp

mock_stop

# a server with no key to return answers with an error (badRequest)
mock_start -srv_cert kga.pem -srv_key kga.key -srv_trusted root.pem \
    -rsp_cert ee.pem
CLI_ARGS=$BASE
expect 4 -cert rsa.pem -key rsa.key -centralkeygen -newkeyout p-nokey.pem \
    -certout p-nokey-c.pem
has err "failInfo: badRequest"
[ ! -e p-nokey.pem ] && [ ! -e p-nokey-c.pem ] || fail "no key: files left"
mock_stop

# refused WHAT NAME LABEL ERROR: the served key is refused (certConf, exit
# 5) with ERROR, no p-NAME*.pem file is left, and the token variant (the
# key to go under LABEL) leaves the token as it was
refused() {
    CLI_ARGS=$BASE
    expect 5 -cert rsa.pem -key rsa.key -centralkeygen \
        -newkeyout "p-$2.pem" -certout "p-$2-c.pem"
    has err "$4"
    [ ! -e "p-$2.pem" ] && [ ! -e "p-$2-c.pem" ] || fail "$1: files left"
    objs > before.txt
    expect 5 -cert rsa.pem -key rsa.key -centralkeygen \
        -newkey "${NK/central/$3}"
    has err "$4"
    objs > after.txt
    cmp -s before.txt after.txt || fail "$1: the token changed"
}

# a key that is not the certificate's: rejected (certConf), no file, and
# in the token variant the imported pair is taken back
mock_start -srv_cert kga.pem -srv_key kga.key -srv_trusted root.pem \
    -rsp_cert ee.pem -rsp_key other.key
refused mismatch mism central3 "does not match ours"
mock_stop

# a server whose certificate lacks id-kp-cmKGA: the key is refused, the
# certificate rejected, the token left as it was
mock_start -srv_cert plain.pem -srv_key plain.key -srv_trusted root.pem \
    -rsp_cert ee.pem -rsp_key ee.key
refused "no KGA" nokga central2 "lacks id-kp-cmKGA"
openssl cmp -config "" $BASE -cert rsa.pem -key rsa.key -centralkeygen \
    -newkeyout o-nokga.pem -certout o-nokga-c.pem > o-nokga.log 2>&1 \
    && fail "openssl cmp took a key of a server without id-kp-cmKGA"
mock_stop
echo "ok: $n p11cmp runs, each compared with openssl cmp or refused"
