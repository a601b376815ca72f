#!/bin/bash
# tests/cli_mock.sh - p11cmp(1) against OpenSSL 3.0's mock CMP server
# (`openssl cmp -port`): every -cmd with PBM, and with signatures made by
# a key on a SoftHSM2 token; a rejection (exit 4 with status text) and
# polling. The 3.0 mock server listens on all interfaces, so the test runs
# in a private network namespace (unshare -n) that has only its own
# loopback; each server is bounded by -max_msgs and a timeout.
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
M=$SOFTHSM2_MODULE

new_key "$WORK/ca.key"
new_key "$WORK/srv.key"
new_key "$WORK/new.key"
openssl req -x509 -new -key "$WORK/ca.key" -subj "/CN=mock CA" -days 2 \
    -out "$WORK/ca.pem" 2> /dev/null || fail "CA cert"
# issue SUBJECT OUT (-key KEY | -force_pubkey PUB)
issue() {
    s=$1
    o=$2
    shift 2
    openssl req -new -key "$WORK/srv.key" -subj "$s" 2> /dev/null \
        | openssl x509 -req -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
            -CAcreateserial -days 1 -out "$o" "$@" 2> /dev/null \
        || fail "issue $s"
}
issue "/CN=mock server" "$WORK/srv.pem"
openssl pkey -in "$WORK/new.key" -pubout -out "$WORK/new.pub"
issue "/CN=mock new" "$WORK/new.pem" -force_pubkey "$WORK/new.pub"
openssl req -new -key "$WORK/new.key" -subj "/CN=mock new" \
    -out "$WORK/new.csr" 2> /dev/null || fail "csr"

# the RA's signing key lives on the token; its cert is issued by the CA
fixture_token climock
printf '%s\n' "$PIN" > "$WORK/pin"
pkcs11-tool --module "$M" --token-label climock --login --pin "$PIN" \
    --keypairgen --key-type EC:prime256v1 --label ra --id 0a >/dev/null \
    2>&1 || fail "token keygen"
pkcs11-tool --module "$M" --token-label climock --read-object \
    --type pubkey --label ra -o "$WORK/ra.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$WORK/ra.der" -out "$WORK/ra.pub"
issue "/CN=mock RA" "$WORK/ra.pem" -force_pubkey "$WORK/ra.pub"
RAKEY="pkcs11:token=climock;object=ra;type=private?module-path=$M"
RAKEY="$RAKEY&pin-source=file:$WORK/pin"

MOCK_PORT=1701
MOCK_ARGS="-rsp_cert $WORK/new.pem -rsp_capubs $WORK/ca.pem"
CLI_ARGS="-server 127.0.0.1:$MOCK_PORT"
CLI_LOGS=$WORK/mock.log
same_key() {
    [ "$(openssl x509 -in "$WORK/got.pem" -noout -pubkey)" \
        = "$(cat "$WORK/new.pub")" ] || fail "$1: wrong cert"
}

# run_all ARGS...: every -cmd with these protection options
run_all() {
    for c in ir cr; do
        rm -f "$WORK/got.pem"
        expect 0 -cmd $c "$@" -newkey "$WORK/new.key" -subject "/CN=mock new" \
            -certout "$WORK/got.pem"
        same_key $c
    done
    expect 0 -cmd kur "$@" -oldcert "$WORK/new.pem" -newkey "$WORK/new.key" \
        -certout "$WORK/got.pem"
    same_key kur
    expect 0 -cmd p10cr "$@" -csr "$WORK/new.csr" -certout "$WORK/got.pem"
    same_key p10cr
    expect 0 -cmd rr "$@" -oldcert "$WORK/new.pem"
    grep -q '^revoked: subject=/CN=mock new' "$WORK/out" || fail "rr output"
    expect 0 -cmd genm "$@"
    grep -q '^genp: ' "$WORK/out" || fail "genm output"
}

mock_start -srv_ref mockref -srv_secret pass:mocksecret
run_all -ref mockref -secret pass:mocksecret
mock_stop

# signature protection by the token key (an RA with its key in an HSM)
mock_start -srv_cert "$WORK/srv.pem" -srv_key "$WORK/srv.key" \
    -srv_trusted "$WORK/ca.pem"
run_all -key "$RAKEY" -cert "$WORK/ra.pem" -trusted "$WORK/ca.pem" \
    -no_store
mock_stop

# rejection: exit 4, status, failInfo and text on stderr
mock_start -srv_ref mockref -srv_secret pass:mocksecret -pkistatus 2 \
    -failure 9 -statusstring "no POP"
expect 4 -cmd ir -certout "$WORK/nc.pem" -ref mockref -secret pass:mocksecret \
    -newkey "$WORK/new.key" -subject "/CN=mock new"
grep -q 'status: rejection; failInfo: badPOP; text: "no POP"' "$WORK/err" \
    || fail "rejection text: $(cat "$WORK/err")"
mock_stop

# polling with implicit confirmation, progress at -verbosity 6
mock_start -srv_ref mockref -srv_secret pass:mocksecret -poll_count 1 \
    -check_after 1 -grant_implicitconf
expect 0 -cmd ir -ref mockref -secret pass:mocksecret -implicit_confirm \
    -newkey "$WORK/new.key" -subject "/CN=mock new" -verbosity 6 \
    -certout "$WORK/got.pem"
same_key polling
grep -q 'poll 1: sent pollReq' "$WORK/err" || fail "no poll progress"
mock_stop
echo "cli_mock: $n runs passed"
