/*
 * pkcs11/p11_exch.c - the provider's ECDH key exchange (P11CMP-ECDH):
 * the shared secret Z by the token (CKM_ECDH1_DERIVE, p11_key.c), then,
 * if the caller asks for it, the ANSI X9.63 KDF in software over Z (the
 * kdf-type, kdf-digest, kdf-outlen and kdf-ukm parameters of OpenSSL's
 * ECDH): what CMS key agreement (CMS_decrypt with a token EC key, central
 * key generation's EnvelopedData) needs. Z lives in a secure-heap buffer
 * cleansed after use. The cofactor mode is accepted and ignored: the
 * curves of token keys (P-256/384/521) have cofactor 1.
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "p11_prov.h"

typedef struct {
    OSSL_LIB_CTX *libctx;
    P11CMP_PROV_KEY *key, *peer;
    int x963;               /* kdf-type X963KDF */
    char md[32];            /* kdf-digest */
    size_t outlen;          /* kdf-outlen */
    unsigned char *ukm;
    size_t ukmlen;
} EXCTX;

static void *exch_newctx(void *provctx)
{
    return p11cmp_prov_op_new(provctx, sizeof(EXCTX));
}

static void exch_freectx(void *vctx)
{
    EXCTX *ctx = vctx;

    if (ctx == NULL)
        return;
    OPENSSL_free(ctx->ukm);
    OPENSSL_free(ctx);
}

static void *exch_dupctx(void *vctx)
{
    EXCTX *src = vctx, *ctx = OPENSSL_memdup(src, sizeof(*src));

    if (ctx != NULL
        && !p11cmp_prov_octets_dup(&ctx->ukm, src->ukm, src->ukmlen)) {
        OPENSSL_free(ctx);
        return NULL;
    }
    return ctx;
}

static int exch_set_ctx_params(void *vctx, const OSSL_PARAM params[]);

static int exch_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    EXCTX *ctx = vctx;
    P11CMP_PROV_KEY *key = vkey;

    if (key == NULL || key->k == NULL || strcmp(key->alg->name, "EC") != 0)
        return 0;
    ctx->key = key;
    return exch_set_ctx_params(ctx, params);
}

static int exch_set_peer(void *vctx, void *vpeer)
{
    EXCTX *ctx = vctx;
    P11CMP_PROV_KEY *peer = vpeer;

    if (peer == NULL || peer->pub == NULL
        || strcmp(peer->alg->name, "EC") != 0)
        return 0;
    ctx->peer = peer;
    return 1;
}

/* Z of our key and the peer into a new secure buffer (*zlen), or NULL */
static unsigned char *shared_z(EXCTX *ctx, size_t *zlen)
{
    unsigned char pt[200], *z;
    size_t ptlen = 0, n = (EVP_PKEY_get_bits(ctx->key->pub) + 7) / 8;
    CK_ULONG len = (CK_ULONG)n;

    if (ctx->peer == NULL
        || !EVP_PKEY_get_octet_string_param(ctx->peer->pub,
                                            OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            pt, sizeof(pt), &ptlen)
        || (z = OPENSSL_secure_zalloc(n)) == NULL)
        return NULL;
    if (p11cmp_p11_key_ecdh(ctx->key->k, pt, ptlen, z, &len) != CKR_OK
        || len != n) {
        OPENSSL_secure_clear_free(z, n);
        return NULL;
    }
    *zlen = n;
    return z;
}

/* X9.63 KDF over z (zlen bytes) into out (ctx->outlen bytes); 1 or 0 */
static int x963(EXCTX *ctx, const unsigned char *z, size_t zlen,
                unsigned char *out)
{
    EVP_KDF *kdf = EVP_KDF_fetch(ctx->libctx, OSSL_KDF_NAME_X963KDF,
                                 P11CMP_PROV_DEFAULT);
    EVP_KDF_CTX *kctx = kdf == NULL ? NULL : EVP_KDF_CTX_new(kdf);
    OSSL_PARAM p[4], *q = p;
    int ok;

    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, ctx->md,
                                            0);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                             (void *)z, zlen);
    if (ctx->ukm != NULL)
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                 ctx->ukm, ctx->ukmlen);
    *q = OSSL_PARAM_construct_end();
    ok = kctx != NULL && EVP_KDF_derive(kctx, out, ctx->outlen, p) > 0;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return ok;
}

static int exch_derive(void *vctx, unsigned char *secret, size_t *secretlen,
                       size_t outlen)
{
    EXCTX *ctx = vctx;
    size_t n = (EVP_PKEY_get_bits(ctx->key->pub) + 7) / 8, zlen = 0;
    unsigned char *z;
    int ok;

    if (ctx->x963 && (ctx->outlen == 0 || ctx->md[0] == '\0'))
        return 0;
    if (secret == NULL) {
        *secretlen = ctx->x963 ? ctx->outlen : n;
        return 1;
    }
    if (outlen < (ctx->x963 ? ctx->outlen : n)
        || (z = shared_z(ctx, &zlen)) == NULL)
        return 0;
    if (ctx->x963) {
        ok = x963(ctx, z, zlen, secret);
        *secretlen = ctx->outlen;
    } else {
        memcpy(secret, z, zlen);
        *secretlen = zlen;
        ok = 1;
    }
    OPENSSL_secure_clear_free(z, zlen);
    return ok;
}

static int exch_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    EXCTX *ctx = vctx;
    const OSSL_PARAM *p;
    char type[32] = "", *s = type;

    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_TYPE))
        != NULL) {
        if (!OSSL_PARAM_get_utf8_string(p, &s, sizeof(type))
            || (type[0] != '\0'
                && strcmp(type, OSSL_KDF_NAME_X963KDF) != 0))
            return 0;
        ctx->x963 = type[0] != '\0';
    }
    s = ctx->md;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST))
        != NULL && !OSSL_PARAM_get_utf8_string(p, &s, sizeof(ctx->md)))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN))
        != NULL && !OSSL_PARAM_get_size_t(p, &ctx->outlen))
        return 0;
    return p11cmp_prov_octets_param(params, OSSL_EXCHANGE_PARAM_KDF_UKM,
                                    &ctx->ukm, &ctx->ukmlen);
}

static const OSSL_PARAM *exch_settable(void *vctx, void *provctx)
{
    static const OSSL_PARAM ps[] = {
        OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
        OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
        OSSL_PARAM_octet_string(OSSL_EXCHANGE_PARAM_KDF_UKM, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vctx;
    (void)provctx;
    return ps;
}

static int exch_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    EXCTX *ctx = vctx;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_TYPE)) != NULL
        && !OSSL_PARAM_set_utf8_string(p, ctx->x963 ? OSSL_KDF_NAME_X963KDF
                                       : ""))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST))
        != NULL && !OSSL_PARAM_set_utf8_string(p, ctx->md))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN))
        != NULL && !OSSL_PARAM_set_size_t(p, ctx->outlen))
        return 0;
    if ((p = OSSL_PARAM_locate(params,
                               OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE))
        != NULL && !OSSL_PARAM_set_int(p, 0))
        return 0;
    return 1;
}

static const OSSL_PARAM *exch_gettable(void *vctx, void *provctx)
{
    static const OSSL_PARAM ps[] = {
        OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
        OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
        OSSL_PARAM_END
    };

    (void)vctx;
    (void)provctx;
    return ps;
}

#define FN(id, f) {id, (void (*)(void))(f)}

const OSSL_DISPATCH p11cmp_prov_exch_functions[] = {
    FN(OSSL_FUNC_KEYEXCH_NEWCTX, exch_newctx),
    FN(OSSL_FUNC_KEYEXCH_FREECTX, exch_freectx),
    FN(OSSL_FUNC_KEYEXCH_DUPCTX, exch_dupctx),
    FN(OSSL_FUNC_KEYEXCH_INIT, exch_init),
    FN(OSSL_FUNC_KEYEXCH_SET_PEER, exch_set_peer),
    FN(OSSL_FUNC_KEYEXCH_DERIVE, exch_derive),
    FN(OSSL_FUNC_KEYEXCH_SET_CTX_PARAMS, exch_set_ctx_params),
    FN(OSSL_FUNC_KEYEXCH_SETTABLE_CTX_PARAMS, exch_settable),
    FN(OSSL_FUNC_KEYEXCH_GET_CTX_PARAMS, exch_get_ctx_params),
    FN(OSSL_FUNC_KEYEXCH_GETTABLE_CTX_PARAMS, exch_gettable),
    {0, NULL}
};
