#!/bin/bash
# tests/cli_genm_token.sh - the genm outputs of p11cmp on a SoftHSM2 token
# (-cacertsout, -newwithnew, -newwithold, -oldwithnew, -crlout as pkcs11:
# URIs) against the test CA, on OpenSSL 3.0 and 3.5. Each output is read
# back with p11tool / pkcs11-tool and compared with what the CA served:
# the CA certificates under a label are replaced as a whole (authority
# category, distinct CKA_IDs, a copy under another label and a user cert
# under the label untouched); a root update replaces the old root in
# place, read from the token as -oldwithold; a forged newWithOld (exit
# 5), a URI without object=, id= for several certificates, outputs on two
# tokens (exit 6) and caCerts "none" leave the token unchanged (object
# lists compared); without an update the outputs' labels are emptied
# except for the old root / -oldcrl; the CRL is a public data object
# holding the served DER, which -oldcrl can name; the caPubs of an ir go
# to the token too; through the API, an uncommitted transaction is undone.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
. "$top_srcdir/tests/genm_token.sh"
cd "$WORK"

genm_pki "old root" "new root"
genm_token_setup genmtok

# unchanged WHAT: the token's objects are those of before.lst
unchanged() {
    tok_list > after.lst
    cmp -s before.lst after.lst || fail "$1 changed the token:
$(diff before.lst after.lst)"
}

# caCerts: the label holds exactly what was served; a copy of one of the
# certs under another label is neither reused nor touched
"$top_builddir/tests/p11_tool" store "$(out_uri keepme)" old.pem \
    || fail "p11_tool store"
genm_ca --rsp-cacerts cacerts.pem
expect 0 -infotype caCerts -cacertsout "$(out_uri cas)"
has out "caCerts: 2 certificate"
tok_same cas cacerts.pem
[ "$(p11tool --provider "$TM" --list-all-certs \
        "pkcs11:token=$GT;object=keepme" 2> /dev/null | grep -c URL:)" = 1 ] \
    || fail "the cert under another label was touched"
# public objects: readable without login, and not private
pkcs11-tool --module "$TM" --token-label "$GT" --list-objects --type cert \
    2> /dev/null | grep -q "label:.*cas" || fail "CA certs not public"
# the same again: nothing changes; then another set replaces it
tok_list > before.lst
expect 0 -infotype caCerts -cacertsout "$(out_uri cas)"
unchanged "storing the same caCerts again"
cat new.pem other.pem > set2.pem
genm_ca --rsp-cacerts set2.pem
expect 0 -infotype caCerts -cacertsout "$(out_uri cas)" -verbosity 6
has err "1 object(s) stored, 1 to be removed"
tok_same cas set2.pem
# one's own certificate (category user) under the label is never removed
"$top_builddir/tests/p11_tool" store "$(out_uri cas)" ee.pem \
    || fail "p11_tool store"
genm_ca --rsp-cacerts cacerts.pem
expect 0 -infotype caCerts -cacertsout "$(out_uri cas)"
[ "$(p11tool --provider "$TM" --list-all-certs \
        "pkcs11:token=$GT;object=cas" 2> /dev/null | grep -c URL:)" = 3 ] \
    || fail "not the 2 CA certs and the user cert under cas"
# errors leave the token as it was
tok_list > before.lst
expect 6 -infotype caCerts -cacertsout \
    "pkcs11:token=$GT;id=%01?module-path=$TM&pin-source=file:$WORK/pin"
has err "object= is needed"
expect 6 -infotype caCerts -cacertsout \
    "pkcs11:token=$GT;object=cas;id=%01?module-path=$TM&pin-source=file:$WORK/pin"
has err "id= names one certificate, but there are several"
has err "nothing was changed on the token"
expect 6 -infotype caCerts -cacertsout \
    "pkcs11:token=$GT;object=cas;type=data?module-path=$TM&pin-source=file:$WORK/pin"
has err "certificates are stored as type=cert"
genm_ca
expect 0 -infotype caCerts -cacertsout "$(out_uri cas)"
has out "caCerts: none"
unchanged "caCerts none"   # as openssl cmp 3.5 leaves the file
expect 2 -infotype caCerts -cacertsout got.pem -certout "$(out_uri x)"
has err "-certout is a file, not a pkcs11: URI"
# a URI with pin-value= is never printed, not even in debug output
genm_ca --rsp-cacerts cacerts.pem
expect 0 -infotype caCerts -verbosity 8 -cacertsout \
    "pkcs11:token=$GT;object=cas2?module-path=$TM&pin-value=$PIN"
! grep -q "pin-value" out err || fail "a URI with its PIN was printed"
tok_same cas2 cacerts.pem

# the old root on the token, as a CA cert under "root"
genm_ca --rsp-cacerts old.pem
expect 0 -infotype caCerts -cacertsout "$(out_uri root)"
tok_same root old.pem
OLD="pkcs11:token=$GT;object=root;type=cert?module-path=$TM"
# a forged newWithOld: refused (exit 5) and the token unchanged
genm_ca --rsp-newwithnew new.pem --rsp-newwithold forged.pem
tok_list > before.lst
expect 5 -infotype rootCaCert -oldwithold "$OLD" \
    -newwithnew "$(out_uri root)" -newwithold "$(out_uri nwo)"
has err "invalid root CA key update"
unchanged "a refused root CA update"
# outputs on two tokens: refused, and what was begun is undone
softhsm2-util --init-token --free --label other2 --pin "$PIN" \
    --so-pin "$SO_PIN" > /dev/null || fail "second token"
genm_ca --rsp-newwithnew new.pem --rsp-newwithold nwo.pem
tok_list > before.lst
expect 6 -infotype rootCaCert -oldwithold "$OLD" \
    -newwithnew "$(out_uri root)" -newwithold \
    "pkcs11:token=other2;object=nwo?module-path=$TM&pin-source=file:$WORK/pin"
has err "another token than the others of the transaction"
unchanged "outputs on two tokens"
# the update: the old root is replaced in place, the links stored
genm_ca --rsp-newwithnew new.pem --rsp-newwithold nwo.pem \
    --rsp-oldwithnew own.pem
expect 0 -infotype rootCaCert -oldwithold "$OLD" \
    -newwithnew "$(out_uri root)" -newwithold "$(out_uri nwo)" \
    -oldwithnew "$(out_uri own)" -verbosity 6
has out "newWithNew: subject=/CN=new root"
tok_same root new.pem
tok_same nwo nwo.pem
tok_same own own.pem
# outputs on the token and in files in one run
expect 0 -infotype rootCaCert -oldwithold old.pem \
    -newwithnew "$(out_uri root)" -newwithold f-nwo.pem
cmp -s f-nwo.pem nwo.pem || fail "file newWithOld differs"
tok_same root new.pem
# no update: the labels are emptied, but the root of -oldwithold stays
genm_ca
expect 0 -infotype rootCaCert -oldwithold "$OLD" \
    -newwithnew "$(out_uri root)" -newwithold "$(out_uri nwo)" \
    -oldwithnew "$(out_uri own)"
has out "no update"
tok_same root new.pem
[ -z "$(tok_fps nwo)" ] && [ -z "$(tok_fps own)" ] \
    || fail "stale link certs left on the token after 'no update'"

# crlStatusList: a public data object with the served DER
genm_ca --rsp-crl crl.pem
expect 0 -infotype crlStatusList -crlcert ee.pem -crlout "$(out_uri crl)"
tok_crl crl got.crl
cmp -s got.crl crl.der || fail "the CRL on the token is not the served one"
[ "$(tok_ncrl crl)" = 1 ] || fail "not one CRL object"
expect 6 -infotype crlStatusList -crlcert ee.pem -crlout \
    "pkcs11:token=$GT;object=crl;type=cert?module-path=$TM&pin-source=file:$WORK/pin"
has err "a CRL is stored as type=data"
# no update: the CRL of -oldcrl stays, without -oldcrl the label is emptied
genm_ca
tok_list > before.lst
expect 0 -infotype crlStatusList -oldcrl crl.pem -crlout "$(out_uri crl)"
has out "no update"
unchanged "no CRL update with the -oldcrl on the token"
expect 0 -infotype crlStatusList -crlcert ee.pem -crlout "$(out_uri crl)"
[ "$(tok_ncrl crl)" = 0 ] || fail "stale CRL left after 'no update'"
# -oldcrl from the token: the request is made of it; without an update
# input and output share the label, and the CRL stays
genm_ca --rsp-crl crl.pem
expect 0 -infotype crlStatusList -crlcert ee.pem -crlout "$(out_uri crl)"
genm_ca
tok_list > before.lst
expect 0 -infotype crlStatusList -oldcrl "$(out_uri crl)" \
    -crlout "$(out_uri crl)"
has out "no update"
has testca.err "genm crlStatusList (well-formed, value of [1-9]"
unchanged "no CRL update, -oldcrl on the token"
expect 1 -infotype crlStatusList -oldcrl "$(out_uri nocrl)" -crlout g.crl
has err "CRL not found"

# the API: a transaction freed uncommitted leaves the token as it was
TOOL=$top_builddir/tests/p11_tool
"$TOOL" put "$(out_uri api)" cacerts.pem > /dev/null || fail "put"
tok_same api cacerts.pem
tok_list > before.lst
"$TOOL" put "$(out_uri api)" set2.pem rollback | grep -q "added 1 removed 1" \
    || fail "put set2 (rollback)"
unchanged "an uncommitted transaction"
tok_same api cacerts.pem

# the caPubs of an ir (-cacertsout) on the token
testca_stop
testca_start --ref "$REF" --secret "$SECRET" --send-capubs \
    --cacertout ca-signer.pem
CLI_ARGS="-msg_timeout 20"
expect 0 -server "127.0.0.1:$TESTCA_PORT" -ref "$REF" -secret "$SECRET" \
    -cmd ir -newkey ee.key -subject /CN=ee -certout ee-new.pem \
    -cacertsout "$(out_uri capubs)"
tok_same capubs ca-signer.pem
# no journal record is left behind
pkcs11-tool --module "$TM" --token-label "$GT" --login --pin "$PIN" \
    --list-objects --type data 2> /dev/null | grep -q "p11cmp journal" \
    && fail "a journal record was left"
testca_stop
echo "ok: $n runs"
