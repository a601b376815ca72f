#!/bin/bash
# tests/client_ckg_port.sh - central key generation through the API, as
# a port from OpenSSL: tests/port/ossl_client.c (OSSL_CMP_ only; POPO
# method -1 and OSSL_CMP_CTX_get0_newPkey(ctx, 1) for the key) and its
# mechanical rename to P11CMP_ (tests/port/p11_client) run the same ir
# against OpenSSL 3.5's mock server (`openssl cmp -port ... -rsp_key`):
# both succeed, print the same results, and write the same key, the one
# the server served, for an RSA and an EC client; against a server
# without id-kp-cmKGA both fail (p11cmp, on purpose, with a certConf
# rejecting the certificate). The mock server listens on all
# interfaces, so the test runs in a private network namespace. Skipped
# where OpenSSL has no central key generation (3.0: Debian 12;
# tests/check_ckg covers the library there).
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
. "$top_srcdir/tests/ckg_pki.sh"
need_cmp_option -rsp_key \
    "central key generation (-rsp_key: needs 3.5)"
OSSL=$top_builddir/tests/port/ossl_client
P11=$top_builddir/tests/port/p11_client
cd "$WORK"
ckg_pki

# both NAME ARGS...: both clients (o-NAME-*, p-NAME-* files); the exit
# status and (unless DIFFER is set) the result lines must agree; RC is
# OpenSSL's status
both() {
    name=$1
    shift
    rc_o=0
    rc_p=0
    timeout 60 "$OSSL" ir "$MOCK_PORT" "$@" -newkeyout "o-$name.key" \
        > "o-$name.out" 2>&1 || rc_o=$?
    timeout 60 "$P11" ir "$MOCK_PORT" "$@" -newkeyout "p-$name.key" \
        > "p-$name.out" 2>&1 || rc_p=$?
    expect_eq "$name: exit status (p11cmp vs OpenSSL)" "$rc_p" "$rc_o"
    [ -n "${DIFFER:-}" ] || expect_eq "$name: results (p11cmp vs OpenSSL)" \
        "$(grep -E '^(status|failinfo|capubs) ' "p-$name.out")" \
        "$(grep -E '^(status|failinfo|capubs) ' "o-$name.out")"
    RC=$rc_o
}

MOCK_PORT=1704
mock_start -srv_cert kga.pem -srv_key kga.key -srv_trusted root.pem \
    -rsp_cert ee.pem -rsp_key ee.key
for c in rsa ec; do
    both "$c" -cert "$c.pem" -key "$c.key" -trusted root.pem -subject ee \
        -popo -1
    expect_eq "$c: exit" "$RC" 0
    cmp -s "o-$c.key" "p-$c.key" || fail "$c: the keys differ"
    expect_eq "$c: the served key" \
        "$(openssl pkey -in "p-$c.key" -outform DER | od -An -tx1)" \
        "$(od -An -tx1 ee.der)"
done
mock_stop

mock_start -srv_cert plain.pem -srv_key plain.key -srv_trusted root.pem \
    -rsp_cert ee.pem -rsp_key ee.key
# on purpose p11cmp rejects the certificate with a certConf (status
# rejected by client, -5; failInfo badMessageCheck, bit 1): OpenSSL
# fails without telling the server, whose status stays accepted
DIFFER=1 both nokga -cert rsa.pem -key rsa.key -trusted root.pem \
    -subject ee -popo -1
expect_eq "no KGA: exit" "$RC" 1
expect_eq "no KGA: p11cmp's status" \
    "$(grep -E '^(status|failinfo) ' p-nokga.out | tr '\n' ' ')" \
    "status -5 failinfo 2 "
[ ! -s p-nokga.key ] || fail "no KGA: p11cmp wrote a key"
mock_stop
echo "ok: central key generation ported from OpenSSL's API"
