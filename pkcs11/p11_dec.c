/*
 * pkcs11/p11_dec.c - the provider's RSA decryption (asymmetric cipher
 * P11CMP-RSA-DEC): C_Decrypt by the token with CKM_RSA_PKCS or
 * CKM_RSA_PKCS_OAEP (digest and MGF1 digest SHA-1/-224/-256/-384/-512,
 * optional label), for CMS key transport (CMS_decrypt with a token key:
 * central key generation's EnvelopedData). The parameters are those of
 * OpenSSL's RSA asymmetric cipher (pad-mode, digest, mgf1-digest,
 * oaep-label); implicit rejection, which CMS turns off, is accepted and
 * left to the token. Encryption is not offered (the public half of a
 * token key is a software key that can do it).
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "p11_prov.h"

typedef struct {
    P11CMP_PROV_KEY *key;
    int pad;                    /* RSA_PKCS1_PADDING, RSA_PKCS1_OAEP_... */
    char md[32], mgf1[32];      /* OAEP digests; "" = SHA1 / md */
    unsigned char *label;
    size_t labellen;
} DECCTX;

static void *dec_newctx(void *provctx)
{
    (void)provctx;
    return OPENSSL_zalloc(sizeof(DECCTX));
}

static void dec_freectx(void *vctx)
{
    DECCTX *ctx = vctx;

    if (ctx == NULL)
        return;
    OPENSSL_free(ctx->label);
    OPENSSL_free(ctx);
}

static void *dec_dupctx(void *vctx)
{
    DECCTX *src = vctx, *ctx = OPENSSL_memdup(src, sizeof(*src));

    if (ctx != NULL
        && !p11cmp_prov_octets_dup(&ctx->label, src->label, src->labellen)) {
        OPENSSL_free(ctx);
        return NULL;
    }
    return ctx;
}

static int dec_set_ctx_params(void *vctx, const OSSL_PARAM params[]);

static int dec_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    DECCTX *ctx = vctx;
    P11CMP_PROV_KEY *key = vkey;

    if (key == NULL || key->k == NULL || strcmp(key->alg->name, "RSA") != 0)
        return 0;
    ctx->key = key;
    ctx->pad = RSA_PKCS1_PADDING;
    ctx->md[0] = ctx->mgf1[0] = '\0';
    return dec_set_ctx_params(ctx, params);
}

/* The CKM_ and CKG_MGF1_ of a digest name (NULL or "": SHA-1), or 0 */
static CK_MECHANISM_TYPE hash_mech(const char *name, CK_RSA_PKCS_MGF_TYPE *mgf)
{
    static const struct {
        int nid;
        CK_MECHANISM_TYPE m;
        CK_RSA_PKCS_MGF_TYPE g;
    } h[] = {
        {NID_sha1, CKM_SHA_1, CKG_MGF1_SHA1},
        {NID_sha224, CKM_SHA224, CKG_MGF1_SHA224},
        {NID_sha256, CKM_SHA256, CKG_MGF1_SHA256},
        {NID_sha384, CKM_SHA384, CKG_MGF1_SHA384},
        {NID_sha512, CKM_SHA512, CKG_MGF1_SHA512},
    };
    int nid = name == NULL || *name == '\0' ? NID_sha1 : OBJ_txt2nid(name);
    size_t i;

    if (nid == NID_undef)
        nid = OBJ_sn2nid(name) != NID_undef ? OBJ_sn2nid(name)
            : OBJ_ln2nid(name);
    for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        if (h[i].nid == nid) {
            *mgf = h[i].g;
            return h[i].m;
        }
    return 0;
}

/* C_Decrypt of in into buf (the modulus' size *n) as ctx says; 1 or 0 */
static int token_decrypt(DECCTX *ctx, const unsigned char *in, size_t inlen,
                         unsigned char *buf, CK_ULONG *n)
{
    CK_RSA_PKCS_OAEP_PARAMS oaep;
    CK_RSA_PKCS_MGF_TYPE g1 = 0, g2 = 0;
    CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};

    if (ctx->pad == RSA_PKCS1_OAEP_PADDING) {
        memset(&oaep, 0, sizeof(oaep));
        if ((oaep.hashAlg = hash_mech(ctx->md, &g1)) == 0
            || hash_mech(ctx->mgf1[0] != '\0' ? ctx->mgf1 : ctx->md, &g2)
            == 0) {
            p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                              "OAEP digest of the token");
            return 0;
        }
        oaep.mgf = g2;
        oaep.source = CKZ_DATA_SPECIFIED;
        oaep.pSourceData = ctx->label;
        oaep.ulSourceDataLen = ctx->labellen;
        m.mechanism = CKM_RSA_PKCS_OAEP;
        m.pParameter = &oaep;
        m.ulParameterLen = sizeof(oaep);
    } else if (ctx->pad != RSA_PKCS1_PADDING) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "RSA padding %d of the token", ctx->pad);
        return 0;
    }
    return p11cmp_p11_key_decrypt_mech(ctx->key->k, &m, in, inlen, buf, n)
        == CKR_OK;
}

static int dec_decrypt(void *vctx, unsigned char *out, size_t *outlen,
                       size_t outsize, const unsigned char *in, size_t inlen)
{
    DECCTX *ctx = vctx;
    int size = EVP_PKEY_get_size(ctx->key->pub);
    unsigned char *buf;
    CK_ULONG n;
    int ok = 0;

    if (size <= 0)
        return 0;
    if (out == NULL) {
        *outlen = (size_t)size;
        return 1;
    }
    if ((buf = OPENSSL_malloc(size)) == NULL)
        return 0;
    n = (CK_ULONG)size;
    if (token_decrypt(ctx, in, inlen, buf, &n) && n <= outsize) {
        memcpy(out, buf, n);
        *outlen = n;
        ok = 1;
    }
    OPENSSL_clear_free(buf, size);
    return ok;
}

/* pad-mode as an integer or as OpenSSL's name of it */
static int get_pad(const OSSL_PARAM *p, int *pad)
{
    if (p->data_type == OSSL_PARAM_UTF8_STRING) {
        if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0)
            *pad = RSA_PKCS1_PADDING;
        else if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_OAEP) == 0)
            *pad = RSA_PKCS1_OAEP_PADDING;
        else
            *pad = -1;
        return 1;
    }
    return OSSL_PARAM_get_int(p, pad);
}

static int dec_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    DECCTX *ctx = vctx;
    const OSSL_PARAM *p;
    char *s;

    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE))
        != NULL && !get_pad(p, &ctx->pad))
        return 0;
    s = ctx->md;
    if ((p = OSSL_PARAM_locate_const(params,
                                     OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST))
        != NULL && !OSSL_PARAM_get_utf8_string(p, &s, sizeof(ctx->md)))
        return 0;
    s = ctx->mgf1;
    if ((p = OSSL_PARAM_locate_const(params,
                                     OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST))
        != NULL && !OSSL_PARAM_get_utf8_string(p, &s, sizeof(ctx->mgf1)))
        return 0;
    return p11cmp_prov_octets_param(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
                                    &ctx->label, &ctx->labellen);
}

static const OSSL_PARAM *dec_settable(void *vctx, void *provctx)
{
    static const OSSL_PARAM ps[] = {
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
        OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0),
        OSSL_PARAM_uint("implicit-rejection", NULL),
        OSSL_PARAM_END
    };

    (void)vctx;
    (void)provctx;
    return ps;
}

static int dec_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    DECCTX *ctx = vctx;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE))
        != NULL && !OSSL_PARAM_set_int(p, ctx->pad))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST))
        != NULL && !OSSL_PARAM_set_utf8_string(p, ctx->md[0] != '\0'
                                                ? ctx->md : "SHA1"))
        return 0;
    return 1;
}

static const OSSL_PARAM *dec_gettable(void *vctx, void *provctx)
{
    static const OSSL_PARAM ps[] = {
        OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vctx;
    (void)provctx;
    return ps;
}

#define FN(id, f) {id, (void (*)(void))(f)}

const OSSL_DISPATCH p11cmp_prov_dec_functions[] = {
    FN(OSSL_FUNC_ASYM_CIPHER_NEWCTX, dec_newctx),
    FN(OSSL_FUNC_ASYM_CIPHER_FREECTX, dec_freectx),
    FN(OSSL_FUNC_ASYM_CIPHER_DUPCTX, dec_dupctx),
    FN(OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, dec_init),
    FN(OSSL_FUNC_ASYM_CIPHER_DECRYPT, dec_decrypt),
    FN(OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS, dec_get_ctx_params),
    FN(OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS, dec_gettable),
    FN(OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, dec_set_ctx_params),
    FN(OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS, dec_settable),
    {0, NULL}
};
