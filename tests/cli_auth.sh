#!/bin/bash
# tests/cli_auth.sh - p11cmp(1) options of server and client
# authentication and their effect on what is sent and accepted, with the
# test CA behind a two-level PKI (root CA, sub CA, response signer):
# -untrusted, -otherpass (PKCS#12 files of -trusted, -untrusted,
# -srvcert, -out_trusted and -extracerts),
# -keypass and -keyform P12 for a PKCS#12 key, -own_trusted,
# -extracerts, -ignore_keyusage, -digest, -mac, -issuer, -recipient and
# -san_nodefault. The requests are looked at in their -reqout files.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
W=$WORK

# cert NAME CN ISSUER EXT: a cert for NAME.key issued by ISSUER (a name, or
# "" for self-signed) with the extensions EXT (x509v3 config lines)
cert() {
    printf '%b\n' "$4" > "$W/$1.ext"
    if [ -z "$3" ]; then
        openssl req -x509 -new -key "$W/$1.key" -subj "/CN=$2" -days 2 \
            -extensions ext -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[ext]\n%b\n' "$4") \
            -out "$W/$1.pem" 2>/dev/null || fail "cert $1"
    else
        openssl req -new -key "$W/$1.key" -subj "/CN=$2" 2>/dev/null \
            | openssl x509 -req -CA "$W/$3.pem" -CAkey "$W/$3.key" \
                -CAcreateserial -days 1 -extfile "$W/$1.ext" \
                -out "$W/$1.pem" 2>/dev/null || fail "cert $1"
    fi
}
CA_EXT='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash'
for k in root sub srv other own nosig new; do new_key "$W/$k.key"; done
cert root "p11 root CA" "" "$CA_EXT"
cert sub "p11 sub CA" root "$CA_EXT"
cert srv "p11 signer" sub 'keyUsage=critical,digitalSignature'
cert nosig "p11 no-sign signer" root 'keyUsage=critical,keyAgreement'
cert other "p11 other CA" "" "$CA_EXT"
cert own "p11 own client" sub 'keyUsage=critical,digitalSignature'
# in_req FILE TEXT: how often TEXT is a printable string in the request
in_req() {
    openssl asn1parse -inform DER -in "$W/$1" | grep -c -- ":$2\$" || true
}
# prot_alg FILE: the protectionAlg of a request (its first OBJECT at depth
# 4: the names of the header have theirs deeper)
prot_alg() {
    openssl asn1parse -inform DER -in "$W/$1" \
        | sed -n 's/^ *[0-9]*:d=4 .*OBJECT *://p' | head -n 1
}

testca_start --ref auth --secret pass:auth-secret --cakey "$W/root.key" \
    --cacert "$W/root.pem" --srvcert "$W/srv.pem" --srvkey "$W/srv.key"
SRV="-server 127.0.0.1:$TESTCA_PORT/pkix/"
PBM="$SRV -ref auth -secret pass:auth-secret"

# a client cert from the CA (PBM), for signature protection below
expect 0 -cmd ir $PBM -newkey "$W/new.key" -subject /CN=client \
    -certout "$W/cl.pem" -trusted "$W/root.pem" -untrusted "$W/sub.pem"
SIG="$SRV -key $W/new.key -cert $W/cl.pem"

# -untrusted: the signer's issuer (sub CA) is not in the response
expect 5 -cmd genm $SIG -trusted "$W/root.pem"
expect 0 -cmd genm $SIG -trusted "$W/root.pem" -untrusted "$W/sub.pem"

# -otherpass: the same certs from password-protected PKCS#12 files
for c in root sub srv; do
    openssl pkcs12 -export -nokeys -in "$W/$c.pem" -out "$W/$c.p12" \
        -passout pass:other-pw 2>/dev/null || fail "pkcs12 $c"
done
P12S="-trusted $W/root.p12 -untrusted $W/sub.p12"
expect 0 -cmd genm $SIG $P12S -otherpass pass:other-pw
expect 0 -cmd genm $SIG -srvcert "$W/srv.p12" -otherpass pass:other-pw
expect 1 -cmd genm $SIG $P12S
has err "cannot load -trusted from $W/root.p12"
expect 1 -cmd genm $SIG $P12S -otherpass pass:wrong
has err "cannot load -trusted from $W/root.p12"
expect 2 -cmd genm $SIG $P12S -otherpass env:P11CMP_TEST_UNSET_VAR
has err 'P11CMP_TEST_UNSET_VAR is not set'
expect 0 -cmd cr -certout "$WORK/nc.pem" $SIG $P12S -otherpass pass:other-pw -newkey "$W/own.key" \
    -subject /CN=p12out -out_trusted "$W/root.p12" -extracerts "$W/sub.p12"
expect 5 -cmd cr -certout "$WORK/nc.pem" $SIG $P12S -otherpass pass:other-pw -newkey "$W/own.key" \
    -subject /CN=p12out -out_trusted "$W/sub.p12"
# -keypass opens a PKCS#12 file of -key and -cert (any -keyform or P12)
openssl pkcs12 -export -inkey "$W/new.key" -in "$W/cl.pem" \
    -out "$W/cl.p12" -passout pass:key-pw 2>/dev/null || fail "pkcs12 cl"
P12C="-key $W/cl.p12 -cert $W/cl.p12 -trusted $W/root.pem"
P12C="$P12C -untrusted $W/sub.pem"
expect 0 -cmd genm $SRV $P12C -keypass pass:key-pw
expect 0 -cmd genm $SRV $P12C -keypass pass:key-pw -keyform P12
expect 1 -cmd genm $SRV $P12C -keypass pass:key-pw -keyform PEM
has err "cannot load -key from $W/cl.p12"

# -own_trusted: the chain of an own cert from the sub CA is built from
# -untrusted up to this anchor and sent along, so the CA can verify it
# (its name: recipient, issuer of the own cert, subject of its cert)
OWN="$SRV -key $W/own.key -cert $W/own.pem -untrusted $W/sub.pem"
OWN="$OWN -trusted $W/root.pem"
expect 0 -cmd genm $OWN -own_trusted "$W/root.pem" -reqout "$W/own.der"
[ "$(in_req own.der 'p11 sub CA')" -eq 3 ] \
    || fail "-own_trusted: sub CA $(in_req own.der 'p11 sub CA') times"
expect 1 -cmd genm $OWN -own_trusted "$W/other.pem"
has err 'failed building own certificate chain'

# -extracerts: sent in the request, only then
expect 0 -cmd genm $SIG -trusted "$W/root.pem" -untrusted "$W/sub.pem" \
    -extracerts "$W/other.pem" -reqout "$W/x.der"
[ "$(in_req x.der 'p11 other CA')" -eq 2 ] || fail "-extracerts not sent"
expect 0 -cmd genm $PBM -reqout "$W/nox.der"
[ "$(in_req nox.der 'p11 other CA')" -eq 0 ] || fail "extraCerts unasked"

# -digest: the signature algorithm of protection and POPO; the PBM owf
expect 0 -cmd cr -certout "$WORK/nc.pem" $SIG -trusted "$W/root.pem" -untrusted "$W/sub.pem" \
    -newkey "$W/other.key" -subject /CN=dgst -digest sha384 \
    -reqout "$W/d384.der"
[ "$(prot_alg d384.der)" = ecdsa-with-SHA384 ] \
    && [ "$(in_req d384.der ecdsa-with-SHA384)" -eq 2 ] \
    || fail "-digest sha384: $(prot_alg d384.der)"
expect 0 -cmd genm $SIG -trusted "$W/root.pem" -untrusted "$W/sub.pem" \
    -reqout "$W/d256.der"
[ "$(prot_alg d256.der)" = ecdsa-with-SHA256 ] || fail "default digest"
# -mac and -digest in the PBM parameters; the default MAC is hmac-sha1
expect 0 -cmd genm $PBM -mac hmacWithSHA512 -digest sha384 \
    -reqout "$W/m.der"
[ "$(in_req m.der hmacWithSHA512)" -eq 1 ] || fail "-mac hmacWithSHA512"
[ "$(in_req m.der sha384)" -eq 1 ] || fail "-digest sha384 as PBM owf"
[ "$(in_req nox.der hmac-sha1)" -eq 1 ] || fail "default -mac"
expect 2 -cmd genm $PBM -mac nosuchmac
has err "-mac: unknown MAC algorithm 'nosuchmac'"

# -issuer: in the cert template and, without -recipient, the recipient;
# -recipient: the recipient only
expect 0 -cmd ir -certout "$WORK/nc.pem" $PBM -newkey "$W/other.key" -subject /CN=iss \
    -issuer "/CN=tmpl issuer" -reqout "$W/i.der"
[ "$(in_req i.der 'tmpl issuer')" -eq 2 ] || fail "-issuer"
expect 0 -cmd ir -certout "$WORK/nc.pem" $PBM -newkey "$W/other.key" -subject /CN=iss \
    -issuer "/CN=tmpl issuer" -recipient "/CN=hdr recipient" \
    -reqout "$W/r.der"
[ "$(in_req r.der 'tmpl issuer')" -eq 1 ] \
    && [ "$(in_req r.der 'hdr recipient')" -eq 1 ] || fail "-recipient"

# -san_nodefault: kur copies the SANs of the old cert unless it is given
expect 0 -cmd ir $PBM -newkey "$W/other.key" -subject /CN=san \
    -sans san.example -certout "$W/san.pem"
for opt in "" -san_nodefault; do
    expect 0 -cmd kur $PBM -oldcert "$W/san.pem" -newkey "$W/own.key" \
        $opt -certout "$W/kur.pem"
    sans=$(openssl x509 -in "$W/kur.pem" -noout -ext subjectAltName \
        2>/dev/null | grep -c 'DNS:san.example' || true)
    [ "$sans" -eq "$([ -z "$opt" ] && echo 1 || echo 0)" ] \
        || fail "kur $opt: SANs $sans"
done
testca_stop

# -ignore_keyusage: a response signer without digitalSignature
testca_start --ref auth --secret pass:auth-secret --cakey "$W/root.key" \
    --cacert "$W/root.pem" --srvcert "$W/nosig.pem" --srvkey "$W/nosig.key"
SIG="-server 127.0.0.1:$TESTCA_PORT/pkix/ -key $W/new.key -cert $W/cl.pem"
SIG="$SIG -trusted $W/root.pem"
expect 5 -cmd genm $SIG
expect 0 -cmd genm $SIG -ignore_keyusage
testca_stop
echo "cli_auth: $n runs passed"
