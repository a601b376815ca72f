#!/bin/bash
# tests/constants.sh - every constant of OpenSSL's CMP headers has a
# P11CMP_ twin with the same value, so code ports by renaming OSSL_CMP_ to
# P11CMP_ (and OSSL_CRMF_POPO_ to P11CMP_POPO_). The names are read from
# the installed cmp.h / cmp_util.h / crmf.h and each pair is compared by
# the compiler (_Static_assert); a name OpenSSL defines as another
# function's name (OSSL_CMP_CTX_set0_trusted) must be the twin of that
# function (P11CMP_CTX_set0_trustedStore). Names of functions p11cmp does
# not offer (they belong to other OpenSSL pages) are listed in SKIP, and
# the names OpenSSL 3.5 added that p11cmp does not implement (see
# P11CMP_CTX_new(3), Results) in NOT_OFFERED: a newer OpenSSL's headers
# are compared on the names of 3.0 plus those p11cmp implements.
. "$top_srcdir/tests/fixture.sh"
H=$(pkg-config --variable=includedir libcrypto)/openssl
SKIP=" OSSL_CMP_LOG_PREFIX OSSL_CMP_PKISI_BUFLEN \
OSSL_CMP_CERTORENCCERT_CERTIFICATE OSSL_CMP_CERTORENCCERT_ENCRYPTEDCERT \
OSSL_CMP_ATAV_free "
# (OSSL_CMP_ATAV_free of 3.5 aliases a CRMF function: p11cmp has the
# function P11CMP_ATAV_free())
NOT_OFFERED=" OSSL_CMP_PKISTATUS_checking_response "
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
    case $SKIP$NOT_OFFERED in *" $o "*) continue ;; esac
    if ! grep -rqE "^# *define +$p([ (]|$)" "$top_srcdir/include/p11cmp"; then
        missing="$missing $o"
        continue
    fi
    # a function alias: OpenSSL's value is a function name (no macro)
    val=$(sed -nE "s/^# *define +$o +([A-Za-z_][A-Za-z0-9_]*) *(\/\*.*)?$/\1/p" \
        "$H/cmp.h" "$H/cmp_util.h" "$H/crmf.h" | head -n 1)
    if [ -n "$val" ] && ! echo "$names" | grep -qx "$val"; then
        got=$(sed -nE "s/^# *define +$p +([A-Za-z_][A-Za-z0-9_]*).*$/\1/p" \
            "$top_srcdir"/include/p11cmp/*.h | head -n 1)
        [ "$got" = "$(twin "$val")" ] \
            || fail "$p is '$got', want the twin of $o's $val"
        n=$((n + 1))
        continue
    fi
    printf '_Static_assert((%s) == (%s), "%s");\n' "$p" "$o" "$p" >> "$src"
    n=$((n + 1))
done
# every name p11cmp does not offer is really absent from our headers
for o in $NOT_OFFERED; do
    grep -rqE "^# *define +$(twin "$o")([ (]|$)" "$top_srcdir/include/p11cmp" \
        && fail "$(twin "$o") is defined but listed as not offered"
done
[ -z "$missing" ] || fail "no P11CMP_ twin for:$missing"
[ $n -ge 100 ] || fail "only $n constants found in $H"
${CC:-cc} -std=c11 -c -Werror -I"$top_srcdir/include" \
    $(pkg-config --cflags libcrypto) -o "$WORK/consts.o" "$src" \
    || fail "constants differ from OpenSSL's (see above)"
echo "PASS: $n constants equal OpenSSL's"
