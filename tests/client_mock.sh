#!/bin/bash
# tests/client_mock.sh - p11cmp's client against OpenSSL 3.0's mock CMP
# server (`openssl cmp -port`): IR, CR, P10CR, KUR, RR and GENM with PBM
# and with signature protection. The mock server of OpenSSL 3.0 listens
# on all interfaces, so the whole test runs in a private network
# namespace (unshare -n) where only its own loopback exists; each server
# is bounded by -max_msgs and a timeout and killed at the end.
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/client_helpers.sh"


# the PKI: a CA, the server's signing cert, a client cert, and the cert
# the mock server hands out, for the client's new key
new_key "$WORK/ca.key"
new_key "$WORK/cl.key"
new_key "$WORK/new.key"
new_key "$WORK/srv.key"
openssl req -x509 -new -key "$WORK/ca.key" -subj "/CN=mock CA" -days 2 \
    -out "$WORK/ca.pem" 2> /dev/null || fail "CA cert"
issue() { # KEY SUBJECT OUT
    openssl req -new -key "$1" -subj "$2" 2> /dev/null \
        | openssl x509 -req -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
            -CAcreateserial -days 1 -out "$3" 2> /dev/null || fail "issue $2"
}
issue "$WORK/cl.key" "/CN=mock client" "$WORK/cl.pem"
issue "$WORK/srv.key" "/CN=mock server" "$WORK/srv.pem"
issue "$WORK/new.key" "/CN=mock new" "$WORK/new.pem"
openssl req -new -key "$WORK/new.key" -subj "/CN=mock new" \
    -out "$WORK/new.csr" 2> /dev/null || fail "csr"

MOCK_PORT=1700
MOCK_ARGS="-rsp_cert $WORK/new.pem -rsp_capubs $WORK/ca.pem"
# OpenSSL 3.0's mock server revokes only its -rsp_cert; newer ones take
# -ref_cert for that (3.5.9's still revokes any cert): what the peer
# does is asked of `openssl cmp` itself (OTHER_RR), and p11cmp must
# fare the same
if openssl cmp -help 2>&1 | grep -q -- '-ref_cert'; then
    MOCK_ARGS="$MOCK_ARGS -ref_cert $WORK/new.pem"
fi
OTHER_RR=
TESTCA_PORT=$MOCK_PORT

# run_all WHAT CLIENT-FUNCTION: every transaction through the function
run_all() {
    w=$1
    c=$2
    $c --cmd ir --newkey "$WORK/new.key" --subject "mock new" \
        --certout "$WORK/got.pem" || client_fail "$w ir"
    expect_issued "$w ir" "$WORK/got.pem" "$WORK/new.key" "CN=mock new"
    expect_val "$w ir capubs" capubs 1
    expect_val "$w ir extracerts" extracerts "$3"
    $c --cmd cr --newkey "$WORK/new.key" --subject "mock new" \
        --certout "$WORK/got.pem" || client_fail "$w cr"
    expect_issued "$w cr" "$WORK/got.pem" "$WORK/new.key" "CN=mock new"
    $c --cmd kur --oldcert "$WORK/new.pem" --newkey "$WORK/new.key" \
        --certout "$WORK/got.pem" || client_fail "$w kur"
    expect_issued "$w kur" "$WORK/got.pem" "$WORK/new.key" "CN=mock new"
    $c --cmd p10cr --csr "$WORK/new.csr" --certout "$WORK/got.pem" \
        || client_fail "$w p10cr"
    expect_issued "$w p10cr" "$WORK/got.pem" "$WORK/new.key" "CN=mock new"
    $c --cmd rr --oldcert "$WORK/new.pem" || client_fail "$w rr"
    expect_val "$w rr status" status 0
    # another cert than the one it hands out: as OpenSSL's client fared
    if [ "$OTHER_RR" = refused ]; then
        $c --cmd rr --oldcert "$WORK/cl.pem" && fail "$w rr of another cert"
        expect_val "$w rr other result" result fail
    else
        $c --cmd rr --oldcert "$WORK/cl.pem" \
            || client_fail "$w rr of another cert (the peer revokes it)"
        expect_val "$w rr other status" status 0
    fi
    $c --cmd genm --genm-oid 1.3.6.1.5.5.7.4.17 || client_fail "$w genm"
    expect_val "$w genm itavs" itavs 1
    expect_val "$w genm status" status 0
}

mock_start -srv_ref mockref -srv_secret pass:mocksecret
OTHER_RR=revoked
timeout 60 openssl cmp -server "127.0.0.1:$MOCK_PORT" -ref mockref \
    -secret pass:mocksecret -recipient "/CN=mock CA" -cmd rr \
    -oldcert "$WORK/cl.pem" > "$WORK/ossl-rr.out" 2>&1 || OTHER_RR=refused
echo "OpenSSL's client: RR of another cert $OTHER_RR"
mock_pbm() {
    client --ref mockref --secret mocksecret "$@"
}
run_all pbm mock_pbm 0
mock_stop

mock_start -srv_cert "$WORK/srv.pem" -srv_key "$WORK/srv.key" \
    -srv_trusted "$WORK/ca.pem"
mock_sig() {
    client --cert "$WORK/cl.pem" --key "$WORK/cl.key" \
        --trusted "$WORK/ca.pem" "$@"
}
# the server's cert comes with its signed responses
run_all sig mock_sig 1

# status and failInfo of a rejecting mock server reach the results
mock_stop
mock_start -srv_ref mockref -srv_secret pass:mocksecret -pkistatus 2 \
    -failure 9 -statusstring "no POP"
mock_pbm --cmd ir --newkey "$WORK/new.key" --subject "mock new" \
    && fail "rejected ir succeeded"
expect_val "mock reject status" status 2
expect_val "mock reject failinfo" failinfo 0x200
expect_val "mock reject text" statusstring "no POP"
expect_reason "mock reject" 402
mock_stop

# polling and implicit confirmation with the mock server
mock_start -srv_ref mockref -srv_secret pass:mocksecret -poll_count 1 \
    -check_after 1 -grant_implicitconf
mock_pbm --cmd ir --newkey "$WORK/new.key" --subject "mock new" \
    --implicit-confirm --certout "$WORK/got.pem" \
    || client_fail "mock polling"
expect_issued "mock polling" "$WORK/got.pem" "$WORK/new.key" "CN=mock new"
mock_stop
