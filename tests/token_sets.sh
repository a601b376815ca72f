# tests/token_sets.sh - sourced by the crash tests: the key and certificate
# sets on a token as pkcs11-tool lists them. Needs M (the module), PIN and
# SETS_TOKEN (the token's label); fail() from fixture.sh.

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
