#!/bin/bash
# tests/cli_genm_mock.sh - p11cmp next to `openssl cmp` 3.4+ as the
# reference client, both against OpenSSL's mock server (`openssl cmp
# -port`), with the general messages of RFC 9810: caCerts, rootCaCert
# (old and new root with the same subject, as the mock server wants;
# with and without -oldwithold; an old root of another name gets "no
# update"), crlStatusList by -crlcert and by -oldcrl (the same CRL: no
# update) in DER and PEM, certReqTemplate with keySpec. Every output file
# of p11cmp must be byte for byte the one openssl cmp wrote, and where the
# server says "no update" both remove the stale file. The mock server
# listens on all interfaces, so the test runs in a private network
# namespace. Skipped where openssl cmp lacks these general messages
# (OpenSSL 3.0: Debian 12); tests/cli_genm.sh covers them there.
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
need_cmp_option -rsp_newwithnew \
    "genm caCerts/rootCaCert/crlStatusList/certReqTemplate (needs 3.4+)"
cd "$WORK"

# old and new root of the same name: the mock server offers an update
# only for a root of the name of its newWithNew
genm_pki root root
# ref_cert only works from a config file (the command line option is
# mapped to rsp_cert); the template is made of it
printf '[cmp]\nref_cert = %s\n' "$WORK/ee.pem" > mock.cnf

MOCK_PORT=1702
mock_start -config mock.cnf -srv_ref mockref -srv_secret pass:mocksecret \
    -rsp_cert ee.pem -rsp_capubs cacerts.pem -rsp_crl crl.pem \
    -rsp_newwithnew new.pem -rsp_newwithold nwo.pem -rsp_oldwithnew own.pem
CLI_ARGS="-server 127.0.0.1:$MOCK_PORT -ref mockref"
CLI_ARGS="$CLI_ARGS -secret pass:mocksecret -cmd genm -msg_timeout 20"
CLI_LOGS=$WORK/mock.log

# same NAME FILE...: p-NAME-FILE equals o-NAME-FILE, or both are absent
same() {
    name=$1
    shift
    for f in "$@"; do
        if [ -e "o-$name-$f" ]; then
            cmp -s "o-$name-$f" "p-$name-$f" \
                || fail "$name: p11cmp's $f differs from openssl cmp's"
        else
            [ ! -e "p-$name-$f" ] || fail "$name: p11cmp wrote $f, openssl not"
        fi
    done
}

both ca -infotype caCerts -cacertsout @ca.pem
same ca ca.pem
cmp -s p-ca-ca.pem cacerts.pem || fail "caCerts are not what was served"

both root -infotype rootCaCert -oldwithold old.pem -newwithnew @nwn.pem \
    -newwithold @nwo.pem -oldwithnew @own.pem
same root nwn.pem nwo.pem own.pem
cmp -s p-root-nwn.pem new.pem || fail "newWithNew is not what was served"
both trust -infotype rootCaCert -trusted old.pem -newwithnew @nwn.pem
same trust nwn.pem
# the mock server has no update for a root of another name: stale files go
for p in o p; do echo stale > "$p-none-nwn.pem"; echo stale > "$p-none-nwo.pem"; done
both none -infotype rootCaCert -oldwithold other.pem -newwithnew @nwn.pem \
    -newwithold @nwo.pem
has out "no update"
same none nwn.pem nwo.pem
[ ! -e p-none-nwn.pem ] || fail "stale newWithNew left"

both crl -infotype crlStatusList -crlcert ee.pem -crlout @crl.der
same crl crl.der
both crlpem -infotype crlStatusList -crlcert ee.pem -crlout @crl.pem \
    -crlform PEM
same crlpem crl.pem
cmp -s p-crlpem-crl.pem crl.pem || fail "CRL is not what was served"
for p in o p; do echo stale > "$p-old-crl.der"; done
both old -infotype crlStatusList -oldcrl crl.pem -crlout @crl.der
has out "no update"
same old crl.der
[ ! -e p-old-crl.der ] || fail "stale CRL left"

both tmpl -infotype certReqTemplate -template @t.der -keyspec @k.der
same tmpl t.der k.der
[ -s p-tmpl-t.der ] || fail "no template written"
mock_stop
echo "ok: $n p11cmp runs, each compared with openssl cmp"
