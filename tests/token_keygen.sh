#!/bin/bash
# tests/token_keygen.sh - key generation by p11cmp on the module that
# P11CMP_TEST_TOKEN names (tests/token_keygen_tpm2.sh runs it on
# tpm2-pkcs11): EC P-256, P-384 and RSA 2048 key pairs, generated through
# the public P11CMP_PKCS11_generate_key (tests/p11_tool), are read back
# with pkcs11-tool: the private half can sign and nothing else (no
# decrypt, unwrap, derive, signRecover), is sensitive and never
# extractable, both halves share label and CKA_ID, and the key signs.
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

notes=
for alg in EC:P-256 EC:P-384 RSA:2048; do
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
    if [ "$TOKEN_KIND" = tpm2 ] && [ "${alg%%:*}" = RSA ]; then
        # tpm2-pkcs11 does CKM_RSA_PKCS (what p11cmp signs RSA with) by a
        # raw TPM RSA decryption, which a sign-only TPM key refuses; it
        # signs only through the hashing mechanisms
        printf 'hello\n' > "$WORK/msg"
        pkcs11-tool --module "$M" --token-label keygen --login --pin "$PIN" \
            --sign -m SHA256-RSA-PKCS --id "$(field "Private Key" "$l" ID)" \
            -i "$WORK/msg" -o "$WORK/sig" > /dev/null 2>&1 \
            || fail "$alg: the TPM key does not sign with SHA256-RSA-PKCS"
        "$TOOL" sign "$TOKEN_URI;object=$l;type=private$Q" 2> /dev/null \
            && fail "$alg: CKM_RSA_PKCS signing works now: update this test"
        notes="$notes (RSA: p11cmp's CKM_RSA_PKCS signing is refused by a sign-only TPM key)"
        continue
    fi
    "$TOOL" sign "$TOKEN_URI;object=$l;type=private$Q" 2> "$WORK/err" \
        || fail "$alg: no signature with the new key: $(cat "$WORK/err")"
done
echo "PASS: sign-only EC P-256, P-384 and RSA 2048 keys on $TOKEN_KIND$notes"
