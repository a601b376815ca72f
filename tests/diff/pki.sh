# tests/diff/pki.sh - the credentials of the differential harness, sourced
# by tests/diff/run.sh after tests/fixture.sh: one PKI made fresh in $W
# (the %W of the case table) with `openssl req`/`openssl x509`, so that
# both clients and the mock servers read the very same files.
#
#   root.pem/.key    "Diff Root" (self-signed trust anchor)
#   int.pem/.key     "Diff Int", issued by root
#   srv.pem/.key     "Diff Server", issued by int: the mock server's signer
#   cli.pem/.key     "Diff Client", issued by int: the client's signer
#   cli_chain.pem    cli.pem followed by int.pem (a -cert file with chain)
#   new.pem/.key     "Diff New", issued by int: what the mock server returns
#   new.csr          CSR of new.key, subject "/CN=Diff New"
#   newenc.key       new.key encrypted with pass phrase 12345
#   new.p12 cli.p12  key and cert (and int) in PKCS#12, pass phrase 12345
#   int.p12          int.pem alone in PKCS#12 (for -otherpass), 12345
#   tls.pem/.key     "Diff TLS" for 127.0.0.1 and localhost, issued by int;
#                    tls_chain.pem: with int (the TLS front end's chain)
#   other.pem/.key   "Diff Other Root", a CA nobody trusts
#   cli_other.pem    a client cert issued by other (untrusted signer)
#   rsa.key          an RSA 2048 key
#   pass.txt         the line 12345; secret.txt the PBM secret
#   root.der new.der DER copies
# and a SoftHSM2 token "diff" (PIN 1234) holding cli.key (label cli) and
# new.key (label new), for -engine pkcs11 -keyform ENGINE and URIs

# pki_cert SUBJECT NAME ISSUER [x509 args]: NAME.key and NAME.pem issued
# by ISSUER (a name of this list, or "self")
pki_cert() {
    s=$1
    nm=$2
    iss=$3
    shift 3
    [ -f "$W/$nm.key" ] || openssl genpkey -algorithm EC \
        -pkeyopt ec_paramgen_curve:P-256 -out "$W/$nm.key" 2> /dev/null \
        || fail "genpkey $nm"
    if [ "$iss" = self ]; then
        openssl req -x509 -new -key "$W/$nm.key" -subj "$s" -days 30 \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign \
            -out "$W/$nm.pem" 2> /dev/null || fail "self-signed $nm"
        return
    fi
    openssl req -new -key "$W/$nm.key" -subj "$s" 2> /dev/null \
        | openssl x509 -req -CA "$W/$iss.pem" -CAkey "$W/$iss.key" \
            -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
            -days 20 -out "$W/$nm.pem" "$@" 2> /dev/null \
        || fail "issue $nm"
}

pki_make() {
    cat > "$W/ca.ext" <<EXT
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
    cat > "$W/ee.ext" <<EXT
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
    pki_cert "/CN=Diff Root/O=p11cmp tests" root self
    pki_cert "/CN=Diff Int/O=p11cmp tests" int root -extfile "$W/ca.ext"
    pki_cert "/CN=Diff Server/O=p11cmp tests" srv int -extfile "$W/ee.ext"
    pki_cert "/CN=Diff Client/O=p11cmp tests" cli int -extfile "$W/ee.ext"
    pki_cert "/CN=Diff New" new int -extfile "$W/ee.ext"
    pki_cert "/CN=Diff Other Root" other self
    pki_cert "/CN=Diff Client" cli_other other -extfile "$W/ee.ext"
    printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\n' >> "$W/tls.ext"
    cat "$W/ee.ext" >> "$W/tls.ext"
    pki_cert "/CN=Diff TLS" tls int -extfile "$W/tls.ext"
    cat "$W/tls.pem" "$W/int.pem" > "$W/tls_chain.pem"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
        -out "$W/rsa.key" 2> /dev/null || fail "RSA key"
    cat "$W/cli.pem" "$W/int.pem" > "$W/cli_chain.pem"
    cat "$W/srv.pem" "$W/int.pem" > "$W/srv_chain.pem"
    cat "$W/root.pem" "$W/int.pem" > "$W/root_int.pem"
    openssl req -new -key "$W/new.key" -subj "/CN=Diff New" \
        -out "$W/new.csr" 2> /dev/null || fail "csr"
    openssl req -new -key "$W/new.key" -subj "/CN=Diff New" -outform DER \
        -out "$W/new_csr.der" 2> /dev/null || fail "csr der"
    openssl pkey -in "$W/new.key" -pubout -out "$W/new.pub" 2> /dev/null
    openssl pkey -in "$W/new.key" -outform DER -out "$W/new_key.der"
    openssl pkey -in "$W/new.key" -aes-128-cbc -passout pass:12345 \
        -out "$W/newenc.key" 2> /dev/null || fail "encrypted key"
    openssl pkey -in "$W/cli.key" -aes-128-cbc -passout pass:12345 \
        -out "$W/clienc.key" 2> /dev/null || fail "encrypted key"
    for p in new cli; do
        openssl pkcs12 -export -inkey "$W/$p.key" -in "$W/$p.pem" \
            -certfile "$W/int.pem" -passout pass:12345 \
            -out "$W/$p.p12" 2> /dev/null || fail "pkcs12 $p"
    done
    openssl pkcs12 -export -nokeys -in "$W/root.pem" -passout pass:12345 \
        -out "$W/root.p12" 2> /dev/null || fail "pkcs12 root"
    for p in root new cli; do
        openssl x509 -in "$W/$p.pem" -outform DER -out "$W/$p.der"
    done
    echo 12345 > "$W/pass.txt"
    echo sec1 > "$W/secret.txt"
    : > "$W/empty.txt"
    fixture_token diff
    for p in cli new; do
        openssl pkcs8 -topk8 -nocrypt -in "$W/$p.key" -out "$W/$p.p8" \
            || fail "pkcs8 $p"
        softhsm2-util --import "$W/$p.p8" --token diff --label $p \
            --id "0$([ $p = cli ] && echo 1 || echo 2)" --pin "$PIN" \
            > /dev/null || fail "import $p into the token"
    done
}
