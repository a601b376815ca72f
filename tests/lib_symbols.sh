#!/bin/bash
# tests/lib_symbols.sh - the rule that p11cmp never calls OpenSSL's CMP
# or CRMF code, checked on what was built rather than on the sources:
# `nm -D --undefined-only` of libp11cmp.so and of the p11cmp program
# lists no OSSL_CMP_ or OSSL_CRMF_ symbol, and none of the key method and
# engine API that OpenSSL 4 removed (token keys are provider keys). So
# that an empty or
# unreadable listing cannot pass, the library must import libcrypto (EVP_)
# and export P11CMP_CTX_new, and export nothing but the P11CMP_ API.
set -eu
: "${top_builddir:=$(pwd)}"
fail() { echo "FAIL: $*"; exit 1; }
hard() { echo "ERROR: $*"; exit 99; }
command -v nm > /dev/null || hard "no nm (binutils)"
LIB=$top_builddir/.libs/libp11cmp.so
APP=$top_builddir/.libs/p11cmp
[ -f "$LIB" ] || hard "not built: $LIB"
[ -f "$APP" ] || APP=$top_builddir/p11cmp
[ -f "$APP" ] || hard "not built: $APP"

# the legacy key API: methods, RSA / EC_KEY objects behind an EVP_PKEY,
# engines
LEGACY=' (RSA_meth_|RSA_set_method|RSA_get_method|RSA_set_ex_data|'
LEGACY="$LEGACY"'RSA_get_ex_data|EC_KEY_|EVP_PKEY_get[01]_(RSA|EC_KEY)|'
LEGACY="$LEGACY"'EVP_PKEY_assign_|EVP_PKEY_set1_(RSA|EC_KEY)|ENGINE_)'

# no_cmp_imports FILE: nm works on FILE and lists no CMP/CRMF import
no_cmp_imports() {
    undef=$(nm -D --undefined-only "$1") || fail "nm -D failed on $1"
    echo "$undef" | grep -q ' EVP_' \
        || fail "$1: nm lists no EVP_ import, the listing is not usable"
    bad=$(echo "$undef" | grep -E ' (OSSL_CMP|OSSL_CRMF)_' || true)
    [ -z "$bad" ] || fail "$1 imports OpenSSL CMP/CRMF code:
$bad"
    bad=$(echo "$undef" | grep -E "$LEGACY" || true)
    [ -z "$bad" ] || fail "$1 imports legacy key method or engine API:
$bad"
    echo "ok: $1 imports $(echo "$undef" | wc -l) symbols, none of" \
         "OSSL_CMP_/OSSL_CRMF_, RSA_meth_/RSA_set_method/EC_KEY_/" \
         "EVP_PKEY_get0_RSA/EC_KEY/ENGINE_"
}

no_cmp_imports "$LIB"
no_cmp_imports "$APP"
defined=$(nm -D --defined-only "$LIB") || fail "nm -D failed on $LIB"
echo "$defined" | grep -qE ' T P11CMP_CTX_new(@.*)?$' \
    || fail "$LIB does not export P11CMP_CTX_new"
other=$(echo "$defined" | awk '{ print $NF }' \
        | grep -vE '^(P11CMP_|d2i_P11CMP_|i2d_P11CMP_)' || true)
[ -z "$other" ] || fail "$LIB exports more than the P11CMP_ API:
$other"
echo "ok: $LIB exports $(echo "$defined" | wc -l) symbols, all P11CMP_"
