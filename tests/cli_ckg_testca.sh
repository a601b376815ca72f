#!/bin/bash
# tests/cli_ckg_testca.sh - central key generation (RFC 9483 4.1.6) by
# p11cmp against the test CA (tests/testca --central-keygen, libcrypto's
# own server side, which encrypts the key to the certificate that signed
# the request and signs it with the CA certificate, EKU id-kp-cmKGA).
# For an RSA and an EC client: the key file holds a key of the client's
# algorithm that matches the issued certificate, mode 0600. With -newkey
# pkcs11:... the key lands on the token only, sensitive and not
# extractable, under one label and CKA_ID with its public half and the
# certificate, and then signs a request the CA accepts. A PBM-protected
# request gets an error (no certificate to encrypt to); a test CA without
# --central-keygen refuses with badCertTemplate; no file is left, the
# token is as it was.
# Skipped where libcrypto has no server-side central key generation
# (OpenSSL 3.0: Debian 12; tests/cli_ckg_mock.sh is skipped there too).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
. "$top_srcdir/tests/ckg_pki.sh"
[ -x "$TESTCA" ] || fail "test CA not built: $TESTCA"
set +e
"$TESTCA" --central-keygen --port 0 --timeout 1 > /dev/null 2> "$WORK/probe"
probe=$?
set -e
if [ "$probe" = 2 ] && grep -q 'needs libcrypto 3.5' "$WORK/probe"; then
    skip_test "OpenSSL $(openssl version | cut -d' ' -f2) has no server" \
        "side of central key generation (needs 3.5): $(cat "$WORK/probe")"
fi
[ "$probe" = 0 ] || fail "test CA probe: exit $probe: $(cat "$WORK/probe")"
cd "$WORK"

ckg_pki
mkdir certs
testca_start --central-keygen --trusted root.pem --cacertout ca.pem \
    --certout certs
CLI_LOGS=$WORK/testca.err
BASE="-server 127.0.0.1:$TESTCA_PORT -trusted ca.pem -msg_timeout 20"
CLI_ARGS="$BASE -cmd ir -subject /CN=ckg-ee"

# pub FILE [x509]: the DER of the public key of key (or cert) FILE
pub() {
    if [ "${2:-}" = x509 ]; then
        openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin \
            -outform DER
    else
        openssl pkey -in "$1" -pubout -outform DER
    fi
}

openssl x509 -in ca.pem -noout -ext extendedKeyUsage \
    | grep -Eq "Key Generation Authority|cmKGA|1\.3\.6\.1\.5\.5\.7\.3\.32" \
    || fail "the CA certificate lacks id-kp-cmKGA"
for c in rsa:rsaEncryption ec:id-ecPublicKey; do
    k=${c%%:*}
    expect 0 -cert "$k.pem" -key "$k.key" -centralkeygen \
        -newkeyout "p-$k-nk.pem" -certout "p-$k-c.pem"
    [ -s "p-$k-nk.pem" ] || fail "$k: no key file"
    [ "$(stat -c %a "p-$k-nk.pem")" = 600 ] || fail "$k: key file mode"
    cmp -s <(pub "p-$k-nk.pem") <(pub "p-$k-c.pem" x509) \
        || fail "$k: the key file does not match the certificate"
    openssl x509 -in "p-$k-c.pem" -noout -text \
        | grep -q "Public Key Algorithm: ${c#*:}" \
        || fail "$k: the key is not of the client's algorithm"
    openssl verify -CAfile ca.pem "p-$k-c.pem" > /dev/null \
        || fail "$k: the certificate is not the test CA's"
done
[ "$(log_count 'central keygen: new')" = 2 ] \
    || fail "the test CA did not make the keys: $(cat testca.err)"
cmp -s <(pub p-rsa-nk.pem) <(pub p-ec-nk.pem) && fail "the same key twice"

# the key onto the token: -newkey pkcs11:... instead of -newkeyout
fixture_token ckg
printf '%s\n' "$PIN" > pin
objs() {
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label ckg --login \
        --pin "$PIN" --list-objects 2> /dev/null
}
files() { find . -path ./tokens -prune -o -path ./certs -prune \
              -o -type f -print | sort; }
NK="pkcs11:token=ckg;object=central?module-path=$SOFTHSM2_MODULE"
NK="$NK&pin-source=file:$WORK/pin"
before=$(files)
expect 0 -cert ec.pem -key ec.key -centralkeygen -newkey "$NK" \
    -certout p-tok-c.pem
[ "$(files)" = "$(printf '%s\n' "$before" ./p-tok-c.pem | sort)" ] \
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
    <(pub p-tok-c.pem x509) \
    || fail "token variant: the token key is not the certificate's"
# the key on the token signs the next request, the test CA accepts it
CLI_ARGS="$BASE"
expect 0 -cmd genm -cert p-tok-c.pem -key "$NK"
testca_stop

# a PBM-protected request: the CA has no certificate to encrypt the key
# to (libcrypto fails to make the certrep) and answers with an error; no
# file is left
testca_start --central-keygen --ref "$REF" --secret "$SECRET"
CLI_ARGS="-server 127.0.0.1:$TESTCA_PORT -ref $REF -secret $SECRET"
CLI_ARGS="$CLI_ARGS -msg_timeout 20 -cmd ir -subject /CN=ckg-ee"
expect 4 -centralkeygen -newkeyout p-pbm.pem -certout p-pbm-c.pem
has err 'failInfo: badRequest; text: "error creating certrep"'
[ ! -e p-pbm.pem ] && [ ! -e p-pbm-c.pem ] || fail "PBM: files left"
testca_stop

# without --central-keygen the test CA refuses (badCertTemplate): no key
# file, no certificate, the token as it was
testca_start --trusted root.pem --cacertout ca2.pem
CLI_ARGS="-server 127.0.0.1:$TESTCA_PORT -trusted ca2.pem -msg_timeout 20"
CLI_ARGS="$CLI_ARGS -cmd ir -subject /CN=ckg-ee"
objs > before.txt
expect 4 -cert rsa.pem -key rsa.key -centralkeygen -newkeyout p-no.pem \
    -certout p-no-c.pem
has err "badCertTemplate"
[ ! -e p-no.pem ] && [ ! -e p-no-c.pem ] || fail "refused: files left"
expect 4 -cert rsa.pem -key rsa.key -centralkeygen -newkey "${NK/central/no}"
has err "badCertTemplate"
objs > after.txt
cmp -s before.txt after.txt || fail "refused: the token changed"
testca_stop
echo "ok: $n p11cmp runs against the test CA"
