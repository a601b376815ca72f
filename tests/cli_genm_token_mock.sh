#!/bin/bash
# tests/cli_genm_token_mock.sh - the genm outputs of p11cmp on a SoftHSM2
# token against OpenSSL's mock server (`openssl cmp -port`, 3.4+), with
# openssl cmp writing the same outputs to files as the reference: caCerts
# and the caPubs of an ir (-cacertsout), a root CA update that replaces
# the old root (put there by pkcs11-tool, read back as -oldwithold) in
# place, and the CRL (-crlout). Every token output is read back with
# p11tool / pkcs11-tool and must be what the server served and what
# openssl cmp wrote. A newWithOld that does not verify (exit 5) leaves
# the token unchanged (object lists compared); "no update" empties the
# labels except for the old root / -oldcrl, where openssl cmp removes the
# files. The mock server listens on all interfaces, so the test runs in a
# private network namespace. Skipped where openssl cmp lacks these
# general messages (OpenSSL 3.0: Debian 12; tests/cli_genm_token.sh covers
# the token side there against the test CA).
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
. "$top_srcdir/tests/genm_token.sh"
need_cmp_option -rsp_newwithnew \
    "genm caCerts/rootCaCert/crlStatusList (needs 3.4+)"
cd "$WORK"

genm_pki root root
genm_token_setup mocktok
unchanged() {
    tok_list > after.lst
    cmp -s before.lst after.lst || fail "$1 changed the token:
$(diff before.lst after.lst)"
}
# ossl ARGS...: openssl cmp, the reference, with the same server options
ossl() {
    # shellcheck disable=SC2086
    openssl cmp -config "" $CLI_ARGS "$@" > ossl.log 2>&1 \
        || fail "openssl cmp $*: $(cat ossl.log)"
}
srv() {
    mock_stop
    MOCK_PORT=1703
    mock_start -srv_ref mockref -srv_secret pass:mocksecret \
        -rsp_cert ee.pem -rsp_capubs cacerts.pem -rsp_crl crl.pem "$@"
    CLI_ARGS="-server 127.0.0.1:$MOCK_PORT -ref mockref"
    CLI_ARGS="$CLI_ARGS -secret pass:mocksecret -msg_timeout 20"
    CLI_LOGS=$WORK/mock.log
}

# caCerts, and the caPubs of an ir
srv -rsp_newwithnew new.pem -rsp_newwithold nwo.pem -rsp_oldwithnew own.pem
ossl -cmd genm -infotype caCerts -cacertsout o-ca.pem
expect 0 -cmd genm -infotype caCerts -cacertsout "$(out_uri cas)"
tok_same cas cacerts.pem
tok_same cas o-ca.pem
expect 0 -cmd ir -newkey ee.key -subject /CN=ee -certout ee-got.pem \
    -cacertsout "$(out_uri capubs)"
tok_same capubs cacerts.pem

# the old root on the token, written by another tool (category unset)
openssl x509 -in old.pem -outform DER -out old.der
pkcs11-tool --module "$TM" --token-label "$GT" --login --pin "$PIN" \
    --write-object old.der --type cert --label root --id 01 > /dev/null \
    2>&1 || fail "pkcs11-tool --write-object"
OLD="pkcs11:token=$GT;object=root;type=cert?module-path=$TM"
ossl -cmd genm -infotype rootCaCert -oldwithold old.pem \
    -newwithnew o-nwn.pem -newwithold o-nwo.pem -oldwithnew o-own.pem
expect 0 -cmd genm -infotype rootCaCert -oldwithold "$OLD" \
    -newwithnew "$(out_uri root)" -newwithold "$(out_uri nwo)" \
    -oldwithnew "$(out_uri own)"
tok_same root new.pem
tok_same root o-nwn.pem
tok_same nwo o-nwo.pem
tok_same own o-own.pem
# no update for a root of another name: openssl cmp removes the files,
# p11cmp empties the labels but keeps the root of -oldwithold
for f in nwn nwo; do echo stale > "o-$f.pem"; done
ossl -cmd genm -infotype rootCaCert -oldwithold other.pem \
    -newwithnew o-nwn.pem -newwithold o-nwo.pem
[ ! -e o-nwn.pem ] && [ ! -e o-nwo.pem ] || fail "openssl kept stale files"
expect 0 -cmd genm -infotype rootCaCert -oldwithold other.pem \
    -newwithnew "$(out_uri root)" -newwithold "$(out_uri nwo)"
has out "no update"
[ -z "$(tok_fps root)" ] && [ -z "$(tok_fps nwo)" ] \
    || fail "stale certs left after 'no update'"
tok_same own own.pem

# the CRL: by -crlcert the served one; by the same CRL as -oldcrl, read
# from the token, no update, and the CRL stays (openssl cmp removes its
# file)
ossl -cmd genm -infotype crlStatusList -crlcert ee.pem -crlout o.crl
expect 0 -cmd genm -infotype crlStatusList -crlcert ee.pem \
    -crlout "$(out_uri crl)"
tok_crl crl got.crl
cmp -s got.crl crl.der || fail "the CRL on the token is not the served one"
cmp -s got.crl o.crl || fail "the CRL on the token is not openssl's"
tok_list > before.lst
ossl -cmd genm -infotype crlStatusList -oldcrl crl.pem -crlout o.crl
[ ! -e o.crl ] || fail "openssl cmp kept the stale CRL file"
expect 0 -cmd genm -infotype crlStatusList -oldcrl "$(out_uri crl)" \
    -crlout "$(out_uri crl)"
has out "no update"
unchanged "no CRL update"

# a newWithOld that the old root did not sign: refused, token unchanged
srv -rsp_newwithnew new.pem -rsp_newwithold forged.pem
pkcs11-tool --module "$TM" --token-label "$GT" --login --pin "$PIN" \
    --write-object old.der --type cert --label root2 --id 02 > /dev/null \
    2>&1 || fail "pkcs11-tool --write-object"
tok_list > before.lst
expect 5 -cmd genm -infotype rootCaCert -oldwithold old.pem \
    -newwithnew "$(out_uri root2)" -newwithold "$(out_uri nwo)"
has err "invalid root CA key update"
unchanged "a refused root CA update"
mock_stop
echo "ok: $n p11cmp runs, each output read back from the token"
