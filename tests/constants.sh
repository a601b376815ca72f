#!/bin/bash
# tests/constants.sh - every constant of OpenSSL's CMP headers has a
# P11CMP_ twin with the same value, so code ports by renaming OSSL_CMP_ to
# P11CMP_ (and OSSL_CRMF_POPO_ to P11CMP_POPO_). The names are read from
# the installed cmp.h / cmp_util.h / crmf.h and each pair is compared by
# the compiler (_Static_assert). Names of functions p11cmp does not offer
# (they belong to other OpenSSL pages) are listed in SKIP.
. "$top_srcdir/tests/fixture.sh"
H=$(pkg-config --variable=includedir libcrypto)/openssl
SKIP=" OSSL_CMP_LOG_PREFIX OSSL_CMP_PKISI_BUFLEN \
OSSL_CMP_CERTORENCCERT_CERTIFICATE OSSL_CMP_CERTORENCCERT_ENCRYPTEDCERT "
# twin NAME: the p11cmp name of an OpenSSL constant, or nothing.
twin() {
    case $1 in
        OSSL_CMP_*) echo "P11CMP_${1#OSSL_CMP_}" ;;
        OSSL_CRMF_POPO_*) echo "P11CMP_POPO_${1#OSSL_CRMF_POPO_}" ;;
    esac
}
names=$(sed -nE 's/^# *define +(OSSL_(CMP|CRMF)_[A-Za-z0-9_]+)( .*|)$/\1/p' \
    "$H/cmp.h" "$H/cmp_util.h" "$H/crmf.h" | sort -u)
src=$WORK/consts.c
printf '#include <openssl/cmp.h>\n#include <p11cmp/p11cmp.h>\n' > "$src"
n=0
missing=
for o in $names; do
    p=$(twin "$o")
    [ -n "$p" ] || continue
    case $SKIP in *" $o "*) continue ;; esac
    if ! grep -rqE "^# *define +$p([ (]|$)" "$top_srcdir/include/p11cmp"; then
        missing="$missing $o"
        continue
    fi
    printf '_Static_assert((%s) == (%s), "%s");\n' "$p" "$o" "$p" >> "$src"
    n=$((n + 1))
done
[ -z "$missing" ] || fail "no P11CMP_ twin for:$missing"
[ $n -ge 100 ] || fail "only $n constants found in $H"
${CC:-cc} -std=c11 -c -Werror -I"$top_srcdir/include" \
    $(pkg-config --cflags libcrypto) -o "$WORK/consts.o" "$src" \
    || fail "constants differ from OpenSSL's (see above)"
echo "PASS: $n constants equal OpenSSL's"
