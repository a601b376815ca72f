/*
 * pkcs11/p11_sig.c - the provider's RSA and ECDSA signature (P11CMP-RSA,
 * P11CMP-ECDSA): signatures by the token (C_Sign: CKM_ECDSA; for RSA the
 * mechanism p11_sig_rsa.c picks), both as digest-sign (we hash, and keep
 * the message for a token that hashes RSA messages itself) and as sign of
 * a given digest; and verification in software.
 *
 * Every operation keeps a "shadow": a verification context of the default
 * provider on the key's public half, which is handed every parameter the
 * caller sets (digest, padding mode, PSS salt length, MGF1 digest...) and
 * asked for every parameter the caller gets, above all the signature's
 * AlgorithmIdentifier (X509_sign, X509_REQ_sign_ctx, CMS). So names,
 * defaults and AlgorithmIdentifiers are exactly OpenSSL's, on any
 * version; a signature reads the settings back from the shadow, and a
 * verification is the shadow's.
 */
#include "config.h"

#include <string.h>

#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "p11_prov.h"
#include "p11_sig_pad.h"
#include "p11_sig_rsa.h"

typedef struct {
    OSSL_LIB_CTX *libctx;   /* the provider's */
    P11CMP_PROV_KEY *key;
    int sign;
    EVP_PKEY_CTX *shadow;
    EVP_MD_CTX *md;         /* digest-sign / -verify: the running hash */
    BUF_MEM *msg;           /* RSA digest-sign: the message, or NULL */
} SIGCTX;

static int is_rsa(const SIGCTX *ctx)
{
    return strcmp(ctx->key->alg->name, "RSA") == 0;
}

static void *sig_newctx(void *provctx, const char *propq)
{
    (void)propq;
    return p11cmp_prov_op_new(provctx, sizeof(SIGCTX));
}

static void sig_freectx(void *vctx)
{
    SIGCTX *ctx = vctx;

    if (ctx == NULL)
        return;
    EVP_PKEY_CTX_free(ctx->shadow);
    EVP_MD_CTX_free(ctx->md);
    BUF_MEM_free(ctx->msg);
    OPENSSL_free(ctx);
}

/* A copy of the message buffer src (NULL: none) into *dst; 1 if done. */
static int msg_dup(const BUF_MEM *src, BUF_MEM **dst)
{
    *dst = NULL;
    if (src == NULL)
        return 1;
    if ((*dst = BUF_MEM_new()) == NULL
        || !BUF_MEM_grow(*dst, src->length))
        return 0;
    memcpy((*dst)->data, src->data, src->length);
    return 1;
}

static void *sig_dupctx(void *vctx)
{
    SIGCTX *src = vctx, *ctx = OPENSSL_memdup(src, sizeof(*src));

    if (ctx == NULL)
        return NULL;
    ctx->shadow = NULL;
    ctx->md = NULL;
    if (!msg_dup(src->msg, &ctx->msg)
        || (src->shadow != NULL
         && (ctx->shadow = EVP_PKEY_CTX_dup(src->shadow)) == NULL)
        || (src->md != NULL
            && ((ctx->md = EVP_MD_CTX_new()) == NULL
                || !EVP_MD_CTX_copy_ex(ctx->md, src->md)))) {
        sig_freectx(ctx);
        return NULL;
    }
    return ctx;
}

static int sig_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    SIGCTX *ctx = vctx;

    if (params == NULL || params[0].key == NULL)
        return 1;
    if (ctx->shadow == NULL
        || (ctx->md != NULL
            && OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST)
            != NULL))
        return 0; /* a digest-sign keeps the digest it started with */
    return EVP_PKEY_CTX_set_params(ctx->shadow, params) > 0;
}

static int sig_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    SIGCTX *ctx = vctx;

    return ctx->shadow != NULL
        && EVP_PKEY_CTX_get_params(ctx->shadow, params) > 0;
}

static const OSSL_PARAM *sig_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_PROPERTIES, NULL,
                               0),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return settable;
}

static const OSSL_PARAM *sig_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return gettable;
}

/*
 * Starts an operation on vkey (NULL: again on the key of before), a
 * digest-sign or -verify if mdname is not NULL.
 */
static int sig_start(SIGCTX *ctx, void *vkey, int sign, const char *mdname,
                     const OSSL_PARAM params[])
{
    OSSL_LIB_CTX *lc = ctx->libctx;
    OSSL_PARAM mp[2] = {OSSL_PARAM_END, OSSL_PARAM_END};
    EVP_MD *md = NULL;
    int ok;

    if (vkey != NULL)
        ctx->key = vkey;
    if (ctx->key == NULL || ctx->key->pub == NULL
        || (sign && ctx->key->k == NULL)) {
        p11cmp_raise_data(P11CMP_R_MISSING_KEY, "not a token key");
        return 0;
    }
    ctx->sign = sign;
    EVP_PKEY_CTX_free(ctx->shadow);
    EVP_MD_CTX_free(ctx->md);
    BUF_MEM_free(ctx->msg);
    ctx->md = NULL;
    ctx->msg = NULL;
    if ((ctx->shadow = EVP_PKEY_CTX_new_from_pkey(lc, ctx->key->pub,
                                                  P11CMP_PROV_DEFAULT))
        == NULL || EVP_PKEY_verify_init(ctx->shadow) <= 0)
        return 0;
    if (mdname != NULL && mdname[0] != '\0') {
        mp[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST,
                                                 (char *)mdname, 0);
        if (EVP_PKEY_CTX_set_params(ctx->shadow, mp) <= 0
            || (md = EVP_MD_fetch(lc, mdname, NULL)) == NULL
            || (ctx->md = EVP_MD_CTX_new()) == NULL
            || (sign && is_rsa(ctx) && (ctx->msg = BUF_MEM_new()) == NULL))
            ok = 0;
        else
            ok = EVP_DigestInit_ex2(ctx->md, md, NULL);
        EVP_MD_free(md);
        if (!ok)
            return 0;
    } else if (mdname != NULL) {
        return 0; /* digest-sign without a digest: not for these keys */
    }
    return sig_set_ctx_params(ctx, params);
}

static int sig_sign_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    return sig_start(vctx, vkey, 1, NULL, params);
}

static int sig_verify_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    return sig_start(vctx, vkey, 0, NULL, params);
}

static int sig_dsign_init(void *vctx, const char *mdname, void *vkey,
                          const OSSL_PARAM params[])
{
    return sig_start(vctx, vkey, 1, mdname != NULL ? mdname : "", params);
}

static int sig_dverify_init(void *vctx, const char *mdname, void *vkey,
                            const OSSL_PARAM params[])
{
    return sig_start(vctx, vkey, 0, mdname != NULL ? mdname : "", params);
}

/* The shadow's int parameter name into *v; 1 on success. */
static int shadow_int(SIGCTX *ctx, const char *name, int *v)
{
    OSSL_PARAM p[2] = {OSSL_PARAM_END, OSSL_PARAM_END};

    p[0] = OSSL_PARAM_construct_int(name, v);
    return EVP_PKEY_CTX_get_params(ctx->shadow, p) > 0
        && OSSL_PARAM_modified(&p[0]);
}

/* The digest the shadow names in parameter name (NULL: none set). */
static EVP_MD *shadow_md(SIGCTX *ctx, const char *name)
{
    char buf[64] = "";
    OSSL_PARAM p[2] = {OSSL_PARAM_END, OSSL_PARAM_END};

    p[0] = OSSL_PARAM_construct_utf8_string(name, buf, sizeof(buf));
    if (EVP_PKEY_CTX_get_params(ctx->shadow, p) <= 0 || buf[0] == '\0')
        return NULL;
    return EVP_MD_fetch(ctx->libctx, buf, NULL);
}

/* An RSA signature of tbs (a digest if the shadow has one) into sig. */
static int rsa_sign(SIGCTX *ctx, const unsigned char *tbs, size_t tbslen,
                    unsigned char *sig, CK_ULONG *len)
{
    P11CMP_RSA_SIG s;
    EVP_MD *md = shadow_md(ctx, OSSL_SIGNATURE_PARAM_DIGEST);
    EVP_MD *mgf1 = NULL;
    int ok = 0;

    memset(&s, 0, sizeof(s));
    s.pad = RSA_PKCS1_PADDING;
    s.bits = EVP_PKEY_get_bits(ctx->key->pub);
    if (!shadow_int(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, &s.pad)
        || (s.pad == RSA_PKCS1_PSS_PADDING
            && !shadow_int(ctx, OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
                           &s.saltlen)))
        goto end;
    if (s.pad == RSA_PKCS1_PSS_PADDING)
        mgf1 = shadow_md(ctx, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
    s.md = md;
    s.mgf1 = mgf1;
    if (ctx->msg != NULL) {
        s.msg = (const unsigned char *)ctx->msg->data;
        s.msglen = ctx->msg->length;
    }
    ok = p11cmp_rsa_token_sign(ctx->libctx, ctx->key->k, &s, tbs, tbslen,
                               sig, len);
 end:
    EVP_MD_free(mgf1);
    EVP_MD_free(md);
    return ok;
}

/* An ECDSA signature (DER) of the digest tbs into sig (cap bytes). */
static int ec_sign(SIGCTX *ctx, const unsigned char *tbs, size_t tbslen,
                   unsigned char *sig, size_t *siglen, size_t cap)
{
    unsigned char rs[2 * 66];
    CK_ULONG len = sizeof(rs);

    return p11cmp_p11_key_sign(ctx->key->k, CKM_ECDSA, tbs, tbslen, rs,
                               &len)
        && p11cmp_ecdsa_der(rs, len, sig, siglen, cap);
}

static int sig_sign(void *vctx, unsigned char *sig, size_t *siglen,
                    size_t sigsize, const unsigned char *tbs, size_t tbslen)
{
    SIGCTX *ctx = vctx;
    size_t max = (size_t)EVP_PKEY_get_size(ctx->key->pub);
    CK_ULONG len = max;

    if (!ctx->sign || ctx->shadow == NULL)
        return 0;
    if (sig == NULL) {
        *siglen = max;
        return 1;
    }
    if (sigsize < max) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "signature buffer too small");
        return 0;
    }
    if (!is_rsa(ctx))
        return ec_sign(ctx, tbs, tbslen, sig, siglen, sigsize);
    if (!rsa_sign(ctx, tbs, tbslen, sig, &len))
        return 0;
    *siglen = len;
    return 1;
}

static int sig_verify(void *vctx, const unsigned char *sig, size_t siglen,
                      const unsigned char *tbs, size_t tbslen)
{
    SIGCTX *ctx = vctx;

    return !ctx->sign && ctx->shadow != NULL
        && EVP_PKEY_verify(ctx->shadow, sig, siglen, tbs, tbslen) > 0;
}

static int sig_digest_update(void *vctx, const unsigned char *data,
                             size_t len)
{
    SIGCTX *ctx = vctx;
    size_t old;

    if (ctx->md == NULL || !EVP_DigestUpdate(ctx->md, data, len))
        return 0;
    if (ctx->msg == NULL || len == 0)
        return 1;
    old = ctx->msg->length;
    if (BUF_MEM_grow(ctx->msg, old + len) == 0)
        return 0;
    memcpy(ctx->msg->data + old, data, len);
    return 1;
}

/* The hash of what digest-sign / -verify has been given, into d. */
static int digest_final(SIGCTX *ctx, unsigned char *d, unsigned int *dlen)
{
    return ctx->md != NULL && EVP_DigestFinal_ex(ctx->md, d, dlen);
}

static int sig_dsign_final(void *vctx, unsigned char *sig, size_t *siglen,
                           size_t sigsize)
{
    SIGCTX *ctx = vctx;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    if (sig == NULL)
        return sig_sign(ctx, NULL, siglen, 0, NULL, 0);
    return digest_final(ctx, d, &dlen)
        && sig_sign(ctx, sig, siglen, sigsize, d, dlen);
}

static int sig_dverify_final(void *vctx, const unsigned char *sig,
                             size_t siglen)
{
    SIGCTX *ctx = vctx;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    return digest_final(ctx, d, &dlen)
        && sig_verify(ctx, sig, siglen, d, dlen);
}

#define FN(id, f) {id, (void (*)(void))(f)}

const OSSL_DISPATCH p11cmp_prov_sig_functions[] = {
    FN(OSSL_FUNC_SIGNATURE_NEWCTX, sig_newctx),
    FN(OSSL_FUNC_SIGNATURE_FREECTX, sig_freectx),
    FN(OSSL_FUNC_SIGNATURE_DUPCTX, sig_dupctx),
    FN(OSSL_FUNC_SIGNATURE_SIGN_INIT, sig_sign_init),
    FN(OSSL_FUNC_SIGNATURE_SIGN, sig_sign),
    FN(OSSL_FUNC_SIGNATURE_VERIFY_INIT, sig_verify_init),
    FN(OSSL_FUNC_SIGNATURE_VERIFY, sig_verify),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, sig_dsign_init),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, sig_digest_update),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, sig_dsign_final),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, sig_dverify_init),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE, sig_digest_update),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL, sig_dverify_final),
    FN(OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, sig_get_ctx_params),
    FN(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, sig_gettable_ctx_params),
    FN(OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, sig_set_ctx_params),
    FN(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, sig_settable_ctx_params),
    {0, NULL}
};
