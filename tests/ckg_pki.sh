# tests/ckg_pki.sh - the PKI of the central key generation tests
# (cli_ckg_mock.sh, client_ckg_port.sh), sourced after
# tests/testca/helpers.sh and tests/genm_pki.sh, in $WORK:
#   ckg_pki  makes root.pem/root.key (the CA), kga.pem (the server: EKU
#       id-kp-cmKGA), plain.pem (a server without it), the clients
#       rsa.pem/rsa.key and ec.pem/ec.key, ee.pem/ee.key (the certificate
#       and key the server serves; ee.der the key's DER); other.key signs
#       the CSRs of genm_issue.

ckg_pki() {
    for k in root kga plain ec ee other; do new_key "$k.key"; done
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
        -out rsa.key 2> /dev/null || fail "genpkey rsa"
    genm_selfsigned root.key "ckg root" root.pem
    printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=cmKGA\n' \
        > kga.ext
    printf 'keyUsage=critical,digitalSignature\n' > plain.ext
    printf 'keyUsage=critical,%s\n' \
        digitalSignature,keyEncipherment,keyAgreement > client.ext
    genm_issue kga.key "ckg kga" root.pem root.key kga.pem -extfile kga.ext
    genm_issue plain.key "ckg plain" root.pem root.key plain.pem \
        -extfile plain.ext
    genm_issue rsa.key "ckg rsa client" root.pem root.key rsa.pem \
        -extfile client.ext
    genm_issue ec.key "ckg ec client" root.pem root.key ec.pem \
        -extfile client.ext
    genm_issue ee.key "ckg ee" root.pem root.key ee.pem
    openssl pkey -in ee.key -outform DER -out ee.der
}
