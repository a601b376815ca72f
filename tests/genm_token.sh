# tests/genm_token.sh - reading back what p11cmp -cmd genm left on a
# SoftHSM2 token (tests/cli_genm_token.sh, cli_genm_token_mock.sh), with
# GnuTLS's p11tool and OpenSC's pkcs11-tool as independent readers.
# Sourced after tests/fixture.sh and fixture_token; in $WORK:
#   genm_token_setup LABEL  the token; sets TM (module), GT (token label)
#   out_uri OBJECT          the pkcs11: URI of an output labelled OBJECT
#                           (PIN from a file)
#   fps FILE                SHA-256 fingerprints of the certs of a PEM
#                           file, sorted, one a line
#   tok_fps LABEL [any]     the same of the certificate objects labelled
#                           LABEL (fails unless each is public and of
#                           CKA_CERTIFICATE_CATEGORY authority, which any
#                           does not ask, and their CKA_IDs differ)
#   tok_same LABEL FILE     fails unless LABEL holds exactly FILE's certs
#   tok_list                every object of the token (logged in), sorted
#   tok_crl LABEL OUT       the DER of the CRL object LABEL into OUT
#   tok_ncrl LABEL          how many CRL objects LABEL has

genm_token_setup() {
    fixture_token "$1"
    GT=$1
    TM=$SOFTHSM2_MODULE
    printf '%s\n' "$PIN" > "$WORK/pin"
}

out_uri() {
    echo "pkcs11:token=$GT;object=$1?module-path=$TM&pin-source=file:$WORK/pin"
}

fps() {
    rm -rf "$WORK/fp.d" && mkdir "$WORK/fp.d"
    awk -v d="$WORK/fp.d" '/BEGIN CERT/ { n++ } n { print > (d "/" n) }' "$1"
    for f in "$WORK"/fp.d/*; do
        [ -e "$f" ] || continue
        openssl x509 -in "$f" -noout -fingerprint -sha256
    done | sort
}

tok_fps() {
    p11tool --provider "$TM" --list-all-certs --detailed \
        "pkcs11:token=$GT;object=$1" > "$WORK/tok.txt" 2> /dev/null || true
    nurl=$(grep -c 'URL:' "$WORK/tok.txt" || true)
    ncat=$(grep -c 'CKA_CERTIFICATE_CATEGORY=CA' "$WORK/tok.txt" || true)
    [ "$nurl" = "$ncat" ] || [ "${2:-}" = any ] || fail "$1: not all certs are CA certs:
$(cat "$WORK/tok.txt")"
    nid=$(sed -n 's/^[[:space:]]*ID: //p' "$WORK/tok.txt" | sort -u | wc -l)
    [ "$nid" -eq "$nurl" ] || fail "$1: CKA_IDs are not distinct:
$(cat "$WORK/tok.txt")"
    sed -n 's/^[[:space:]]*URL: //p' "$WORK/tok.txt" | while read -r u; do
        p11tool --provider "$TM" --export "$u" 2> /dev/null \
            | openssl x509 -noout -fingerprint -sha256
    done | sort
}

tok_same() {
    [ "$(tok_fps "$1")" = "$(fps "$2")" ] \
        || fail "label $1 does not hold exactly the certs of $2:
$(tok_fps "$1")
-- wanted:
$(fps "$2")"
}

tok_list() {
    pkcs11-tool --module "$TM" --token-label "$GT" --login --pin "$PIN" \
        --list-objects 2> /dev/null | sort
}

tok_crl() {
    rm -f "$2"
    pkcs11-tool --module "$TM" --token-label "$GT" --read-object \
        --type data --label "$1" --application-label "p11cmp crl" \
        -o "$2" > /dev/null 2>&1 || fail "no CRL object $1"
}

tok_ncrl() {
    pkcs11-tool --module "$TM" --token-label "$GT" --list-objects \
        --type data 2> /dev/null \
        | awk -v l="label:" -v want="'$1'" '
            /^Data object/ { lab = ""; app = "" }
            $1 == "label:" { lab = $2 }
            $1 == "application:" { app = $0 }
            app ~ /p11cmp crl/ && lab == want { n++; app = "" }
            END { print n + 0 }'
}
