#!/bin/bash
# tests/token_keygen.sh - key generation by p11cmp on the module that
# P11CMP_TEST_TOKEN names (tests/token_keygen_tpm2.sh runs it on
# tpm2-pkcs11): EC P-256, P-384, RSA 2048 and RSA 3072 key pairs,
# generated through the public P11CMP_PKCS11_generate_key (tests/p11_tool),
# are read back with pkcs11-tool: the private half can sign and nothing
# else (no decrypt, unwrap, derive, signRecover), is sensitive and never
# extractable, both halves share label and CKA_ID, and the key signs (RSA:
# PKCS#1 v1.5 and PSS; on tpm2-pkcs11 only its hashing and PSS mechanisms
# can, see pkcs11/p11_sig_rsa.c).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/token_fixture.sh"
TOOL=$top_builddir/tests/p11_tool
token_fixture keygen
Q="?module-path=$M&pin-value=$PIN"

objects() {
    pkcs11-tool --module "$M" --token-label keygen --login --pin "$PIN" \
        --list-objects 2>/dev/null
}
# field KIND LABEL NAME: the NAME: line of the object KIND (Private Key,
# Public Key) labelled LABEL
field() {
    objects | awk -v t="$1 Object" -v l="$2" -v f="$3:" '
        /Object;/ { cur = index($0, t) == 1; lab = "" }
        cur && /label:/ { sub(/^ *label: */, ""); lab = $0 }
        cur && lab == l && $1 == f { sub(/^ *[A-Za-z ]*: */, ""); print }'
}

for alg in EC:P-256 EC:P-384 RSA:2048 RSA:3072; do
    l=k-${alg/:/-}
    "$TOOL" keygen "$TOKEN_URI;object=$l$Q" "$alg" 2> "$WORK/err" \
        || fail "keygen $alg on $TOKEN_KIND: $(cat "$WORK/err")"
    usage=$(field "Private Key" "$l" Usage)
    [ "$usage" = sign ] || fail "$alg: private key usage '$usage', not 'sign'"
    access=$(field "Private Key" "$l" Access)
    case $access in
        *"never extractable"*) ;;
        *) fail "$alg: private key access '$access'" ;;
    esac
    case $access in
        sensitive*) ;;
        *) fail "$alg: private key not sensitive: '$access'" ;;
    esac
    [ "$(field "Private Key" "$l" ID)" = "$(field "Public Key" "$l" ID)" ] \
        || fail "$alg: the halves have different CKA_IDs"
    [ -n "$(field "Public Key" "$l" ID)" ] || fail "$alg: no public half"
    "$TOOL" sign "$TOKEN_URI;object=$l;type=private$Q" 2> "$WORK/err" \
        || fail "$alg: no signature with the new key: $(cat "$WORK/err")"
    case $alg in
        RSA:*) "$TOOL" sign "$TOKEN_URI;object=$l;type=private$Q" pss \
                   2> "$WORK/err" \
                   || fail "$alg: no PSS signature: $(cat "$WORK/err")" ;;
    esac
done
echo "PASS: sign-only EC P-256, P-384, RSA 2048 and 3072 keys on $TOKEN_KIND"
