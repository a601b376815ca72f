/*
 * pkcs11/p11_prov_op.c - what the operation contexts of p11cmp's provider
 * (p11_sig.c, p11_sig_ed.c, p11_dec.c, p11_exch.c) share: a new context
 * that starts with the provider's library context, and the octet-string
 * parameter a context keeps its own copy of (the OAEP label, the KDF's
 * user keying material).
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/params.h>

#include "p11_prov.h"

void *p11cmp_prov_op_new(void *provctx, size_t size)
{
    OSSL_LIB_CTX **libctx = OPENSSL_zalloc(size);

    if (libctx != NULL)
        *libctx = provctx;
    return libctx;
}

int p11cmp_prov_octets_dup(unsigned char **dst, const unsigned char *src,
                           size_t len)
{
    *dst = NULL;
    return src == NULL || (*dst = OPENSSL_memdup(src, len)) != NULL;
}

int p11cmp_prov_octets_param(const OSSL_PARAM params[], const char *name,
                             unsigned char **buf, size_t *len)
{
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, name);
    void *v = NULL;
    size_t n;

    if (p == NULL)
        return 1;
    if (!OSSL_PARAM_get_octet_string(p, &v, 0, &n))
        return 0;
    OPENSSL_free(*buf);
    *buf = v;
    *len = n;
    return 1;
}
