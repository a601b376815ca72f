# tests/token_sets.sh - sourced by the crash tests: the key and certificate
# sets on a token as pkcs11-tool lists them, the test CA and the KUR
# rotations both tests run. Needs M (the module), PIN and SETS_TOKEN (the
# token's label); fail() and testca_start from fixture.sh.

# crash_ca: starts the test CA the crash tests enroll with (reference cr,
# its certificate in $WORK/ca.pem, sent as caPubs); sets CLI_ARGS for it
# and CA_LABEL, the CA certificate's common name (its label on the token)
crash_ca() {
    testca_start --ref cr --secret pass:cr-secret \
        --cacertout "$WORK/ca.pem" --send-capubs --timeout 600
    CLI_ARGS="-server 127.0.0.1:$TESTCA_PORT -path pkix/"
    CA_LABEL=$(openssl x509 -in "$WORK/ca.pem" -noout -subject \
        -nameopt multiline | sed -n 's/^ *commonName *= *//p')
}

# kur_both: the test's kur_trials WHAT ARGS... for a KUR of the set k
# with -newkeygen EC:P-256 onto the key's URI, without and then with
# -keep_old; needs KEY (the private key's URI), Q (the URI's query) and
# WORK (ca.pem)
kur_both() {
    CERT="pkcs11:token=$SETS_TOKEN;object=k;type=cert"
    KUR="-cmd kur -key $KEY$Q -cert $CERT$Q -trusted $WORK/ca.pem"
    KUR="$KUR -newkey $KEY$Q -newkeygen EC:P-256"
    # shellcheck disable=SC2086
    kur_trials "KUR -newkeygen" $KUR
    # shellcheck disable=SC2086
    kur_trials "KUR -newkeygen -keep_old" $KUR -keep_old
}
# objects: the token's object listing (logged in)
objects() {
    pkcs11-tool --module "$M" --token-label "$SETS_TOKEN" --login \
        --pin "$PIN" --list-objects 2>/dev/null
}
# count TYPE LABEL: objects of a type (Certificate/Private Key/...) and
# label in the listing $LIST
count() {
    echo "$LIST" | awk -v t="$1" -v l="$2" '
        /Object;/ { cur = index($0, t " Object") == 1 }
        /label:/ { sub(/^ *label: */, ""); if (cur && $0 == l) n++ }
        END { print n + 0 }'
}
# state LABEL: "CERTS PRIVATE PUBLIC RECORDS" under LABEL into st
# (records: p11cmp's journal records), the listing into LIST
state() {
    LIST=$(objects)
    st="$(count Certificate "$1")$(count 'Private Key' "$1")$(count \
        'Public Key' "$1")$(echo "$LIST" \
        | grep -c "^ *label: *'p11cmp-journal " || true)"
}
# set_ok WHAT [LABEL]: exactly one complete set under LABEL (default k),
# no journal record
set_ok() {
    state "${2:-k}"
    [ "$st" = 1110 ] || fail "$1: label ${2:-k}: $st (cert, private," \
        "public, journal records):
$LIST"
}
# olds_complete WHAT: the sets that -keep_old kept (labels k-old-HEX):
# at least one, each complete; their number into olds_n
olds_complete() {
    LIST=$(objects)
    olds=$(echo "$LIST" | sed -n 's/^ *label: *\(k-old-[0-9A-F]*\)$/\1/p' \
        | sort -u)
    [ -n "$olds" ] || fail "-keep_old kept nothing"
    for l in $olds; do
        [ "$(count Certificate "$l")$(count 'Private Key' "$l")$(count \
            'Public Key' "$l")" = 111 ] || fail "old set $l incomplete$1:
$LIST"
    done
    olds_n=$(echo "$olds" | wc -l)
}
