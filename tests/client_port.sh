#!/bin/bash
# tests/client_port.sh - porting from OpenSSL: tests/port/ossl_client.c
# uses only OpenSSL's OSSL_CMP API; tests/port/p11_client is the same
# source after the mechanical rename to P11CMP_ (checked here). Both run
# the same transactions against the test CA and must behave the same:
# exit status, printed status/failInfo/caPubs/ITAVs, and the subject and
# public key of the certificates they get.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

OSSL=$top_builddir/tests/port/ossl_client
P11=$top_builddir/tests/port/p11_client
SRC=$top_srcdir/tests/port/ossl_client.c

# the p11cmp build is nothing but the rename of the OpenSSL source
grep -q 'P11CMP\|p11cmp/' "$SRC" && fail "the OpenSSL client mentions p11cmp"
expect_eq "renamed source" "$(sed -e 's/OSSL_CMP_/P11CMP_/g' \
    -e 's|#include <openssl/cmp.h>|#include <p11cmp/p11cmp.h>|' "$SRC" \
    | cmp - "$top_builddir/tests/port/p11_client.c" && echo same)" same
# (libtool may wrap the binary linked to the uninstalled libp11cmp)
p11_bin=$(dirname "$P11")/.libs/$(basename "$P11")
[ -f "$p11_bin" ] || p11_bin=$P11
nm "$p11_bin" 2>/dev/null | grep -q 'U P11CMP_exec_certreq' \
    || fail "p11_client does not call p11cmp"
nm "$OSSL" 2>/dev/null | grep -q 'U OSSL_CMP_exec_certreq' \
    || fail "ossl_client does not call OpenSSL's CMP"

for k in a b; do
    new_key "$WORK/$k.key"
done

# both CLIENT_ARGS...: runs both clients; their key lines and exit
# status must agree. Sets RC and keeps the outputs in $WORK/{ossl,p11}.
both() {
    rc_o=0
    rc_p=0
    timeout 60 "$OSSL" "$@" -certout "$WORK/ossl.pem" > "$WORK/ossl.out" \
        2>&1 || rc_o=$?
    timeout 60 "$P11" "$@" -certout "$WORK/p11.pem" > "$WORK/p11.out" \
        2>&1 || rc_p=$?
    expect_eq "$1: exit status (p11cmp vs OpenSSL)" "$rc_p" "$rc_o"
    keys() {
        grep -E '^(status|failinfo|capubs|itavs|chain) ' "$1"
    }
    expect_eq "$1: results (p11cmp vs OpenSSL)" "$(keys "$WORK/p11.out")" \
        "$(keys "$WORK/ossl.out")"
    RC=$rc_o
}
# same_cert WHAT: both got a cert with the same subject and public key
same_cert() {
    expect_eq "$1: subject" "$(cert_subject "$WORK/p11.pem")" \
        "$(cert_subject "$WORK/ossl.pem")"
    expect_eq "$1: public key" "$(cert_pubkey "$WORK/p11.pem")" \
        "$(cert_pubkey "$WORK/ossl.pem")"
    rm -f "$WORK/p11.pem" "$WORK/ossl.pem"
}

testca_start --ref "$REF" --secret "$SECRET" --cacertout "$WORK/ca.pem" \
    --send-capubs --path /pkix/ --timeout 120
PBM="-ref $REF -secret ${SECRET#pass:}"

both ir "$TESTCA_PORT" $PBM -newkey "$WORK/a.key" -subject port
expect_eq "ir exit" "$RC" 0
expect_eq "ir status" "$(grep '^status' "$WORK/p11.out")" "status 0"
expect_eq "ir capubs" "$(grep '^capubs' "$WORK/p11.out")" "capubs 1"
cp "$WORK/p11.pem" "$WORK/a.pem"
expect_eq "ir key" "$(cert_pubkey "$WORK/a.pem")" \
    "$(openssl pkey -in "$WORK/a.key" -pubout)"
same_cert ir

both cr "$TESTCA_PORT" -cert "$WORK/a.pem" -key "$WORK/a.key" \
    -trusted "$WORK/ca.pem" -newkey "$WORK/b.key" -subject port2
expect_eq "cr exit" "$RC" 0
same_cert cr

both kur "$TESTCA_PORT" -cert "$WORK/a.pem" -key "$WORK/a.key" \
    -trusted "$WORK/ca.pem" -newkey "$WORK/b.key"
expect_eq "kur exit" "$RC" 0
same_cert kur
expect_eq "kur subject" "$(cert_subject "$WORK/a.pem")" "CN=port"

both genm "$TESTCA_PORT" $PBM
expect_eq "genm exit" "$RC" 0
expect_eq "genm itavs" "$(grep '^itavs' "$WORK/p11.out")" "itavs 1"

# RR: both revoke a cert each, the second RR of one is refused for both
"$P11" ir "$TESTCA_PORT" $PBM -newkey "$WORK/b.key" -subject r1 \
    -certout "$WORK/r1.pem" > /dev/null 2>&1 || fail "ir r1"
"$P11" ir "$TESTCA_PORT" $PBM -newkey "$WORK/b.key" -subject r2 \
    -certout "$WORK/r2.pem" > /dev/null 2>&1 || fail "ir r2"
rc_o=0
rc_p=0
"$OSSL" rr "$TESTCA_PORT" $PBM -oldcert "$WORK/r1.pem" > "$WORK/ossl.out" \
    2>&1 || rc_o=$?
"$P11" rr "$TESTCA_PORT" $PBM -oldcert "$WORK/r2.pem" > "$WORK/p11.out" \
    2>&1 || rc_p=$?
expect_eq "rr exit" "$rc_p/$rc_o" "0/0"
expect_eq "rr status" "$(grep '^status' "$WORK/p11.out")" \
    "$(grep '^status' "$WORK/ossl.out")"
both rr "$TESTCA_PORT" $PBM -oldcert "$WORK/r1.pem"
expect_eq "rr again exit" "$RC" 1
expect_eq "rr again status" "$(grep '^status' "$WORK/p11.out")" "status 2"
testca_stop

# a rejecting CA: both fail alike, with the CA's status and failInfo
testca_start --ref "$REF" --secret "$SECRET" --reject badCertTemplate \
    --path /pkix/ --timeout 60
both ir "$TESTCA_PORT" $PBM -newkey "$WORK/a.key" -subject port
expect_eq "rejected ir exit" "$RC" 1
expect_eq "rejected ir failinfo" "$(grep '^failinfo' "$WORK/p11.out")" \
    "failinfo $((1 << 19))"
testca_stop

# newChain (as -chainout saves it): a CA under a root, both sent in
# extraCerts, root first. Both clients report the same chain: the CA
# only (no self-signed root), with no certConf callback argument and
# with a store that validates the new cert; a store that does not makes
# both reject the cert and leave newChain empty.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/root.key" 2>/dev/null || fail "root key"
openssl req -x509 -new -key "$WORK/root.key" -subj "/CN=port root" \
    -days 2 -out "$WORK/root.pem" 2>/dev/null || fail "root cert"
new_key "$WORK/ica.key"
openssl req -new -key "$WORK/ica.key" -subj "/CN=port CA" 2>/dev/null \
    | openssl x509 -req -CA "$WORK/root.pem" -CAkey "$WORK/root.key" \
        -set_serial 7 -days 2 -extfile <(echo basicConstraints=CA:TRUE) \
        -out "$WORK/ica.pem" 2>/dev/null || fail "CA cert"
cat "$WORK/root.pem" "$WORK/ica.pem" > "$WORK/extra.pem"
testca_start --ref "$REF" --secret "$SECRET" --cakey "$WORK/ica.key" \
    --cacert "$WORK/ica.pem" --extra-certs "$WORK/extra.pem" \
    --path /pkix/ --timeout 60
both ir "$TESTCA_PORT" $PBM -newkey "$WORK/a.key" -subject chain
expect_eq "chain exit" "$RC" 0
expect_eq "chain" "$(grep '^chain' "$WORK/p11.out")" "chain 1 /CN=port CA"
both ir "$TESTCA_PORT" $PBM -newkey "$WORK/a.key" -subject chain \
    -out_trusted "$WORK/root.pem"
expect_eq "chain, store exit" "$RC" 0
expect_eq "chain, store" "$(grep '^chain' "$WORK/p11.out")" \
    "chain 1 /CN=port CA"
# (failInfo differs on purpose here: see P11CMP_exec_certreq(3), NOTES)
rc_o=0
rc_p=0
"$OSSL" ir "$TESTCA_PORT" $PBM -newkey "$WORK/a.key" -subject chain \
    -out_trusted "$WORK/ca.pem" > "$WORK/ossl.out" 2>&1 || rc_o=$?
"$P11" ir "$TESTCA_PORT" $PBM -newkey "$WORK/a.key" -subject chain \
    -out_trusted "$WORK/ca.pem" > "$WORK/p11.out" 2>&1 || rc_p=$?
expect_eq "foreign store exit" "$rc_p/$rc_o" "1/1"
expect_eq "foreign store chain" "$(grep "^chain" "$WORK/p11.out")" \
    "$(grep "^chain" "$WORK/ossl.out")"
# the client rejected the cert: rejected_by_client (-5) as OpenSSL 3.5
# reports it; OpenSSL 3.0 said rejection (2)
expect_eq "foreign store status" "$(grep '^status' "$WORK/p11.out")" \
    "status -5"
case $(grep '^status' "$WORK/ossl.out") in
    "status -5" | "status 2") ;;
    *) fail "foreign store: OpenSSL's status: $(grep '^status' "$WORK/ossl.out")" ;;
esac
testca_stop
