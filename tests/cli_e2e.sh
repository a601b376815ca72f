#!/bin/bash
# tests/cli_e2e.sh - p11cmp(1) end to end on a SoftHSM2 token against the
# test CA: IR with a key generated on the token and PBM, the certificate
# stored next to it; CR, P10CR, KUR and RR protected by signatures of the
# token key; GENM; -renew_within both ways with a post hook; polling
# progress lines; -no_store; a failed enrollment leaves the token as it
# was; and every documented exit code (0..6), for each of the causes its
# entry in p11cmp(1) names that a test can provoke (cli_transfer.sh has
# the HTTP error and the timeout of exit code 3). It runs on the module
# P11CMP_TEST_TOKEN names (tests/token_fixture.sh): SoftHSM2 by default,
# tpm2-pkcs11 on a software TPM as tests/cli_e2e_tpm2.sh.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/token_fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"

objects() {
    pkcs11-tool --module "$M" --token-label clie2e --login --pin "$PIN" \
        --list-objects 2>/dev/null
}
# count TYPE LABEL: objects of a type (Certificate/Private Key/...) and label
count() {
    objects | awk -v t="$1" -v l="$2" '
        /Object;/ { cur = index($0, t " Object") == 1 }
        /label:/ { sub(/^ *label: */, ""); if (cur && $0 == l) n++ }
        END { print n + 0 }'
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
pub_of() { openssl x509 -in "$1" -noout -pubkey; }
requests() { grep -c '^testca: request [0-9]*: ' "$WORK/testca.err" || true; }

token_fixture clie2e
printf '%s\n' "$PIN" > "$WORK/pin"
TOK="pkcs11:token=clie2e"
Q="?module-path=$M&pin-source=file:$WORK/pin"
testca_start --ref e2e --secret pass:e2e-secret --cacertout "$WORK/ca.pem" \
    --send-capubs
SRV="-server 127.0.0.1:$TESTCA_PORT -path pkix/"
PBM="-ref e2e -secret pass:e2e-secret"

# IR with PBM, key pair generated on the token, certificate stored
expect 0 -cmd ir $SRV $PBM -newkey "$TOK;object=host;type=private$Q" \
    -newkeygen EC:P-256 -subject /CN=host.example -days 30 \
    -certout "$WORK/host.pem" -cacertsout "$WORK/capubs.pem" -verbosity 6
has out '^enrolled: subject=/CN=host.example serial='
has err 'info: stored the certificate on the token: pkcs11:token=clie2e;object=host;type=cert'
[ "$(count Certificate host)" -eq 1 ] || fail "IR: cert not on the token"
[ "$(count 'Private Key' host)" -eq 1 ] || fail "IR: no private key"
pkcs11-tool --module "$M" --token-label clie2e --read-object --type pubkey \
    --label host -o "$WORK/tokpub.der" >"$WORK/pk.err" 2>&1 \
    || fail "reading the public key: $(cat "$WORK/pk.err")"
[ "$(openssl pkey -pubin -inform DER -in "$WORK/tokpub.der")" \
    = "$(pub_of "$WORK/host.pem")" ] || fail "IR: cert is not for the token key"
cmp -s "$WORK/capubs.pem" "$WORK/ca.pem" || fail "-cacertsout differs"
objects | grep -A8 'Private Key Object' | grep -q 'sensitive' \
    || fail "token key not sensitive"

# IR with RSA key pairs generated on the token (on tpm2-pkcs11 the
# proof of possession is signed with CKM_SHA256_RSA_PKCS, see
# pkcs11/p11_sig_rsa.c)
for bits in 2048 3072; do
    l=rsa$bits
    expect 0 -cmd ir $SRV $PBM -newkey "$TOK;object=$l;type=private$Q" \
        -newkeygen RSA:$bits -subject /CN=$l.example -certout "$WORK/$l.pem"
    [ "$(count Certificate $l)" -eq 1 ] || fail "RSA $bits IR: no cert stored"
    pkcs11-tool --module "$M" --token-label clie2e --read-object \
        --type pubkey --label $l -o "$WORK/$l.der" >/dev/null 2>&1 \
        || fail "reading the RSA $bits public key"
    [ "$(openssl pkey -pubin -inform DER -in "$WORK/$l.der")" \
        = "$(pub_of "$WORK/$l.pem")" ] || fail "RSA $bits IR: cert not for the key"
    [ "$(openssl x509 -in "$WORK/$l.pem" -noout -text \
        | sed -n 's/^ *Public-Key: (\([0-9]*\) bit)$/\1/p')" = $bits ] \
        || fail "RSA $bits IR: not a $bits-bit key"
    # the generated private half signs and does nothing else, and stays in
    objects | awk -v l=$l '
        /Object;/ { cur = index($0, "Private Key Object") == 1 }
        cur && /label:/ { sub(/^ *label: */, ""); lab = $0 }
        cur && lab == l && /Usage:|Access:/ { sub(/^ */, ""); print }' \
        > "$WORK/$l.attrs"
    grep -qx 'Usage: *sign' "$WORK/$l.attrs" \
        && grep -q '^Access: *sensitive.*never extractable' "$WORK/$l.attrs" \
        || fail "RSA $bits IR: key attributes: $(cat "$WORK/$l.attrs")"
done

KEY="$TOK;object=host;type=private$Q"
CERT="$TOK;object=host;type=cert$Q"
SIG="-key $KEY -cert $CERT -trusted $WORK/ca.pem"

# CR protected by the token key's signature, for a key in a file
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/file.key" 2>/dev/null
expect 0 -cmd cr $SRV $SIG -newkey "$WORK/file.key" \
    -subject /CN=cr.example -certout "$WORK/cr.pem" -certform DER
[ "$(openssl x509 -inform DER -in "$WORK/cr.pem" -noout -pubkey)" \
    = "$(openssl pkey -in "$WORK/file.key" -pubout)" ] \
    || fail "CR: -certform DER cert not for the file key"

# -srvcert pins the CA's signing cert in place of -trusted; another fails
SIGK="-key $KEY -cert $CERT"
expect 0 -cmd genm $SRV $SIGK -srvcert "$WORK/ca.pem"
expect 5 -cmd genm $SRV $SIGK -srvcert "$WORK/host.pem"
# -out_trusted: the new cert chains to the CA
expect 0 -cmd cr -certout "$WORK/nc.pem" $SRV $SIG -newkey "$WORK/file.key" \
    -subject /CN=checked.example -out_trusted "$WORK/ca.pem"

# P10CR with a CSR, signature protection
openssl req -new -key "$WORK/file.key" -subj /CN=p10.example \
    -out "$WORK/p10.csr" 2>/dev/null
expect 0 -cmd p10cr $SRV $SIG -csr "$WORK/p10.csr" \
    -certout "$WORK/p10.pem"
[ "$(openssl x509 -in "$WORK/p10.pem" -noout -subject -nameopt compat)" \
    = "subject=/CN=p10.example" ] || fail "P10CR subject"

# GENM with PBM
expect 0 -cmd genm $SRV $PBM -infotype signKeyPairTypes
has out '^genp: '

# -renew_within: not due (valid 30 days > 10) - no request at all
before=$(requests)
expect 0 -cmd kur -certout "$WORK/nc.pem" $SRV $SIG -newkey "$KEY" -newkeygen EC:P-256 \
    -renew_within 10 -post_hook "touch $WORK/hook-ran"
has out '^not due: subject=/CN=host.example'
[ "$(requests)" -eq "$before" ] || fail "-renew_within 10 sent a request"
[ ! -e "$WORK/hook-ran" ] || fail "post hook ran without a change"

# -renew_within: due (30 days < 60) - KUR on the token, hook with the
# new cert's file and URI, old pair retired
old_serial=$(serial_of "$WORK/host.pem")
cat > "$WORK/hook.sh" <<'HOOK'
env | grep '^P11CMP_' | sort > "$HOOK_OUT"
HOOK
export HOOK_OUT=$WORK/hook.env
expect 0 -cmd kur $SRV $SIG -newkey "$KEY" -newkeygen EC:P-256 \
    -renew_within 60 -certout "$WORK/host2.pem" \
    -post_hook "sh $WORK/hook.sh" -verbosity 6
has out '^enrolled: subject=/CN=host.example'
has err 'renewal due'
new_serial=$(serial_of "$WORK/host2.pem")
[ "$new_serial" != "$old_serial" ] || fail "KUR: same serial"
grep -q "renewing serial $old_serial" "$WORK/testca.err" \
    || fail "KUR did not renew $old_serial"
grep -qx "P11CMP_CERT_FILE=$WORK/host2.pem" "$HOOK_OUT" || fail "hook: file"
grep -qx "P11CMP_CERT_URI=$TOK;object=host;type=cert$Q" "$HOOK_OUT" \
    || fail "hook: uri $(cat "$HOOK_OUT")"
grep -qx "P11CMP_SERIAL=$new_serial" "$HOOK_OUT" || fail "hook: serial"
grep -qx "P11CMP_CMD=kur" "$HOOK_OUT" || fail "hook: cmd"
grep -qx "P11CMP_SUBJECT=/CN=host.example" "$HOOK_OUT" || fail "hook: subj"
[ "$(count Certificate host)" -eq 1 ] || fail "KUR: not one cert left"
[ "$(count 'Private Key' host)" -eq 1 ] || fail "KUR: not one key left"
pkcs11-tool --module "$M" --token-label clie2e --read-object --type cert \
    --label host -o "$WORK/tokcert.der" >/dev/null 2>&1
[ "$(openssl x509 -inform DER -in "$WORK/tokcert.der" -noout -serial \
    | cut -d= -f2)" = "$new_serial" ] || fail "KUR: token holds the old cert"

# RR of the CR cert, signed by the (renewed) token key
expect 0 -cmd rr $SRV $SIG -oldcert "$WORK/cr.pem" -revreason 4 \
    -post_hook "sh $WORK/hook.sh"
has out '^revoked: subject=/CN=cr.example'
grep -q "revoked serial $(openssl x509 -inform DER -in "$WORK/cr.pem" \
    -noout -serial | cut -d= -f2)" "$WORK/testca.err" || fail "RR at the CA"
grep -qx "P11CMP_CMD=rr" "$HOOK_OUT" || fail "hook after rr"

# the host agent of p11cmp(1): options from a config section, PINs by
# -keypass/-newkeypass, -module; renews (due within 60 days), then not due
cat > "$WORK/renew.cnf" <<CNF
[renew]
cmd = kur
server = 127.0.0.1:$TESTCA_PORT
path = pkix/
trusted = $WORK/ca.pem
key = $TOK;object=host;type=private
cert = $TOK;object=host;type=cert
newkey = $TOK;object=host;type=private
newkeygen = EC:P-256
module = $M
keypass = file:$WORK/pin
newkeypass = file:$WORK/pin
renew_within = 60
batch = 1
CNF
expect 0 -config "$WORK/renew.cnf" -section renew \
    -reqout "$WORK/req1.der,$WORK/req2.der" \
    -rspout "$WORK/rsp1.der $WORK/rsp2.der"
has out '^enrolled: subject=/CN=host.example'
[ "$(count Certificate host)" -eq 1 ] || fail "agent KUR: not one cert"
[ -s "$WORK/req1.der" ] && [ -s "$WORK/req2.der" ] && [ -s "$WORK/rsp1.der" ] \
    || fail "-reqout/-rspout files missing"
openssl asn1parse -inform DER -in "$WORK/req1.der" >/dev/null \
    || fail "-reqout: not DER"
expect 0 -config "$WORK/renew.cnf" -section renew \
    -renew_within 10
has out '^not due: '

# -keep_old: the old pair stays, relabelled host-old-<serial>
prev=$(pkcs11-tool --module "$M" --token-label clie2e --read-object \
    --type cert --label host 2>/dev/null | openssl x509 -inform DER \
    -noout -serial | cut -d= -f2)
expect 0 -config "$WORK/renew.cnf" -section renew -keep_old
[ "$(count Certificate host)" -eq 1 ] || fail "-keep_old: not one new cert"
[ "$(count Certificate "host-old-$prev")" -eq 1 ] \
    || fail "-keep_old: old cert not kept as host-old-$prev"
[ "$(count 'Private Key' "host-old-$prev")" -eq 1 ] \
    || fail "-keep_old: old key not kept"

# -no_store: the cert is not written, nothing else changes
expect 0 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -newkey "$KEY" -subject /CN=nostore \
    -no_store
[ "$(count Certificate host)" -eq 1 ] || fail "-no_store stored a cert"

# exit 5: a response that fails validation (wrong PBM secret)
expect 5 -cmd genm $SRV -ref e2e -secret pass:wrong
# exit 5: the new cert is not trusted by -out_trusted
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/other.key" -subj /CN=other -out "$WORK/other.pem" \
    2>/dev/null
expect 5 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -newkey "$WORK/file.key" \
    -subject /CN=x -out_trusted "$WORK/other.pem"
# exit 6: wrong PIN, missing key
printf 'wrong\n' > "$WORK/badpin"
expect 6 -cmd ir $SRV $PBM -batch -subject /CN=x \
    -newkey "$TOK;object=host;type=private?module-path=$M&pin-source=file:$WORK/badpin"
expect 6 -cmd ir $SRV $PBM -subject /CN=x \
    -newkey "$TOK;object=nosuchkey;type=private$Q"
has err 'p11cmp'
# exit 6: a module that cannot be loaded
expect 6 -cmd ir $SRV $PBM -subject /CN=x -module "$WORK/none.so" \
    -newkey "$TOK;object=host;type=private"
has err "cannot load -newkey from the token"
# exit 1: an unreadable input file, an output file that cannot be
# written, a failing post hook (after the enrollment)
expect 1 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -newkey "$WORK/none.key" -subject /CN=x
has err "cannot load -newkey from $WORK/none.key"
expect 1 -cmd ir $SRV $PBM -newkey "$WORK/file.key" -subject /CN=x \
    -certout "$WORK/no/such/dir/x.pem"
has err "cannot write $WORK/no/such/dir/x.pem"
expect 1 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -newkey "$WORK/file.key" -subject /CN=hooked \
    -post_hook false
has out '^enrolled: subject=/CN=hooked'
# exit 4: the CA answers an unprotected request with a (signed) error
# message
expect 4 -cmd genm $SRV $PBM -unprotected_requests -trusted "$WORK/ca.pem"
has err 'server status: rejection'
# exit 2: usage
expect 2 -cmd kur $SRV $PBM -renew_within x
testca_stop

# exit 4: the server rejects; status and failInfo on stderr; a key pair
# generated for the failed enrollment is taken back
testca_start --ref e2e --secret pass:e2e-secret --reject badPOP
SRV="-server 127.0.0.1:$TESTCA_PORT -path pkix/"
objects > "$WORK/objects.before"
for alg in EC:P-256 RSA:2048; do
    expect 4 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -subject /CN=rejected \
        -newkey "$TOK;object=doomed;type=private$Q" -newkeygen $alg
    has err 'status: rejection; failInfo: badPOP'
    objects | diff "$WORK/objects.before" - \
        || fail "the rejected $alg enrollment changed the token"
done
# below -verbosity 3 only the one line that says why is left
expect 4 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -subject /CN=quiet -newkey "$WORK/file.key" \
    -verbosity 0
[ "$(wc -l < "$WORK/err")" -eq 1 ] && [ ! -s "$WORK/out" ] \
    && has err '^p11cmp: server status: rejection; failInfo: badPOP' \
    || fail "-verbosity 0: $(cat "$WORK/err")"
objects | diff "$WORK/objects.before" - \
    || fail "the rejected enrollments left objects on the token"
testca_stop

# polling: progress lines at -verbosity 6, none by default
testca_start --ref e2e --secret pass:e2e-secret --poll 2 --check-after 1
SRV="-server 127.0.0.1:$TESTCA_PORT -path pkix/"
expect 0 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -newkey "$WORK/file.key" \
    -subject /CN=polled -verbosity 6
has err 'waiting for poll 2'
expect 0 -cmd ir -certout "$WORK/nc.pem" $SRV $PBM -newkey "$WORK/file.key" \
    -subject /CN=polled
[ ! -s "$WORK/err" ] || fail "stderr by default: $(cat "$WORK/err")"
[ "$(wc -l < "$WORK/out")" -eq 1 ] || fail "more than the result line"
port=$TESTCA_PORT
testca_stop

# exit 3: nobody listens any more
expect 3 -cmd ir -certout "$WORK/nc.pem" -server "127.0.0.1:$port" $PBM \
    -newkey "$WORK/file.key" -subject /CN=x -msg_timeout 5
echo "cli_e2e: $n checks passed"
