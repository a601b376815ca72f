#!/bin/bash
# tests/cli_rr_serial.sh - p11cmp -cmd rr -issuer DN -serial N (openssl
# cmp 3.5's way to revoke a certificate one does not have): a cert the
# test CA issued is revoked by its issuer and serial number alone (the CA
# logs the serial), a second time the CA refuses it (certRevoked, exit 4);
# -serial without -issuer and a serial that is no number are usage errors
# (exit 2). Runs on OpenSSL 3.0 and 3.5.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
cd "$WORK"

testca_start --ref "$REF" --secret "$SECRET" --cacertout ca.pem
CLI_ARGS="-server 127.0.0.1:$TESTCA_PORT -ref $REF -secret $SECRET"
CLI_ARGS="$CLI_ARGS -msg_timeout 20"
CLI_LOGS=$WORK/testca.err
new_key ee.key
expect 0 -cmd ir -newkey ee.key -subject /CN=revokeme -certout ee.pem
serial=$(cert_field ee.pem -serial)
issuer=$(openssl x509 -in ee.pem -noout -issuer -nameopt compat \
    | sed 's/^issuer=//')
expect 0 -cmd rr -issuer "$issuer" -serial "0x$serial"
has out "^revoked"
grep -qi "revoked serial $serial" testca.err \
    || fail "the CA did not revoke serial $serial: $(cat testca.err)"
expect 4 -cmd rr -issuer "$issuer" -serial "0x$serial"
has err "certRevoked"
expect 2 -cmd rr -serial "0x$serial"
has err "-serial needs -issuer"
expect 2 -cmd rr -issuer "$issuer" -serial "0xnotanumber"
has err "not a number"
expect 2 -cmd rr -issuer "$issuer"
has err "needs -oldcert or -csr (or -issuer and -serial)"
testca_stop
echo "ok: $n runs"
