# tests/genm_pki.sh - the PKI of the genm tests (cli_genm.sh,
# cli_genm_mock.sh), sourced after tests/testca/helpers.sh in $WORK:
#   genm_pki OLD_CN NEW_CN  makes old.pem/old.key and new.pem/new.key (two
#       self-signed roots), other.pem/other.key (a third CA), cacerts.pem
#       (old and other), the link certs nwo.pem (new key, issued by old)
#       and own.pem (old key, issued by new), forged.pem (new key, issued
#       by other), ee.pem/ee.key (issued by old), crl.pem/crl.der (a CRL
#       of old). Link certs are CA certs: openssl cmp 3.5 verifies
#       newWithNew as a chain through newWithOld.
#   genm_ca ARGS...  (re)starts the test CA with PBM and --rsp-* ARGS and
#       sets CLI_ARGS and CLI_LOGS for p11cmp -cmd genm runs against it

# selfsigned KEY CN OUT
genm_selfsigned() {
    openssl req -x509 -new -key "$1" -subj "/CN=$2" -days 30 \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=keyCertSign,cRLSign -out "$3" 2> /dev/null \
        || fail "self-signed $2"
}

# genm_issue KEY_OF_SUBJECT CN ISSUER_CERT ISSUER_KEY OUT [-extfile F]
genm_issue() {
    openssl pkey -in "$1" -pubout -out "$5.pub"
    openssl req -new -key other.key -subj "/CN=$2" 2> /dev/null \
        | openssl x509 -req -CA "$3" -CAkey "$4" -CAcreateserial -days 30 \
            -force_pubkey "$5.pub" -out "$5" "${@:6}" 2> /dev/null \
        || fail "issue $5"
}

genm_pki() {
    for k in old new other ee; do new_key "$k.key"; done
    genm_selfsigned old.key "$1" old.pem
    genm_selfsigned new.key "$2" new.pem
    genm_selfsigned other.key "other CA" other.pem
    cat old.pem other.pem > cacerts.pem
    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n' \
        > ca.ext
    genm_issue new.key "$2" old.pem old.key nwo.pem -extfile ca.ext
    genm_issue old.key "$1" new.pem new.key own.pem -extfile ca.ext
    genm_issue new.key "$2" other.pem other.key forged.pem -extfile ca.ext
    genm_issue ee.key ee old.pem old.key ee.pem
    mkdir -p ca && : > ca/index && echo 01 > ca/crlnumber
    printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\n%s\n' \
        "$WORK/ca/index" "$WORK/ca/crlnumber" \
        "default_md = sha256
default_crl_days = 7" > ca.cnf
    openssl ca -config ca.cnf -gencrl -keyfile old.key -cert old.pem \
        -out crl.pem 2> /dev/null || fail "CRL"
    openssl crl -in crl.pem -outform DER -out crl.der
}

genm_ca() {
    testca_stop
    testca_start --ref "$REF" --secret "$SECRET" "$@"
    CLI_ARGS="-server 127.0.0.1:$TESTCA_PORT -ref $REF -secret $SECRET"
    CLI_ARGS="$CLI_ARGS -cmd genm -msg_timeout 20"
    CLI_LOGS=$WORK/testca.err
}
