/*
 * pkcs11/p11_sig_ed.c - the provider's EdDSA signature (P11CMP-ED25519,
 * P11CMP-ED448): a one-shot digest-sign by the token (CKM_EDDSA, pure
 * EdDSA, no digest), verification in software with the key's public
 * half, and the signature's AlgorithmIdentifier (RFC 8410: no
 * parameters).
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "p11_prov.h"

/* A signature operation in progress. */
typedef struct {
    OSSL_LIB_CTX *libctx;   /* the provider's */
    P11CMP_PROV_KEY *key;
} SIGCTX;

static void *sig_newctx(void *provctx, const char *propq)
{
    (void)propq;
    return p11cmp_prov_op_new(provctx, sizeof(SIGCTX));
}

static void sig_freectx(void *vctx)
{
    OPENSSL_free(vctx);
}

static void *sig_dupctx(void *vctx)
{
    return OPENSSL_memdup(vctx, sizeof(SIGCTX));
}

/* Starts a signature (with a token key) or a verification (any key). */
static int sig_start(SIGCTX *ctx, const char *mdname, void *vkey, int sign)
{
    if (mdname != NULL && mdname[0] != '\0') {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "EdDSA with digest %s", mdname);
        return 0;
    }
    if (vkey != NULL)
        ctx->key = vkey;
    if (ctx->key == NULL || ctx->key->pub == NULL
        || (sign && ctx->key->k == NULL)) {
        p11cmp_raise_data(P11CMP_R_MISSING_KEY, "not a token EdDSA key");
        return 0;
    }
    return 1;
}

static int sig_init(void *vctx, const char *mdname, void *vkey,
                    const OSSL_PARAM params[])
{
    (void)params;
    return sig_start(vctx, mdname, vkey, 1);
}

static int sig_verify_init(void *vctx, const char *mdname, void *vkey,
                           const OSSL_PARAM params[])
{
    (void)params;
    return sig_start(vctx, mdname, vkey, 0);
}

/* Verification needs no token: the default provider does it. */
static int sig_verify(void *vctx, const unsigned char *sig, size_t siglen,
                      const unsigned char *tbs, size_t tbslen)
{
    SIGCTX *ctx = vctx;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    ok = md != NULL
        && EVP_DigestVerifyInit_ex(md, NULL, NULL, ctx->libctx,
                                   P11CMP_PROV_DEFAULT, ctx->key->pub,
                                   NULL) == 1
        && EVP_DigestVerify(md, sig, siglen, tbs, tbslen) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static int sig_sign(void *vctx, unsigned char *sig, size_t *siglen,
                    size_t sigsize, const unsigned char *tbs, size_t tbslen)
{
    SIGCTX *ctx = vctx;
    CK_ULONG len = (CK_ULONG)EVP_PKEY_get_size(ctx->key->pub);

    if (sig != NULL) {
        if (sigsize < len) {
            p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                              "signature buffer too small");
            return 0;
        }
        if (!p11cmp_p11_key_sign(ctx->key->k, CKM_EDDSA, tbs, tbslen, sig,
                                 &len))
            return 0;
    }
    *siglen = len;
    return 1;
}

/* The DER AlgorithmIdentifier of pure Ed25519 / Ed448 (RFC 8410). */
static int sig_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    static const unsigned char ed25519[] = {
        0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70
    }, ed448[] = {
        0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71
    };
    SIGCTX *ctx = vctx;
    OSSL_PARAM *p = OSSL_PARAM_locate(params,
                                      OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
    int is448;

    if (p == NULL)
        return 1;
    if (ctx->key == NULL)
        return 0;
    is448 = strcmp(ctx->key->alg->name, "ED448") == 0;
    return OSSL_PARAM_set_octet_string(p, is448 ? ed448 : ed25519,
                                       sizeof(ed25519));
}

static const OSSL_PARAM *sig_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return gettable;
}

#define FN(id, f) {id, (void (*)(void))(f)}

const OSSL_DISPATCH p11cmp_prov_sig_ed_functions[] = {
    FN(OSSL_FUNC_SIGNATURE_NEWCTX, sig_newctx),
    FN(OSSL_FUNC_SIGNATURE_FREECTX, sig_freectx),
    FN(OSSL_FUNC_SIGNATURE_DUPCTX, sig_dupctx),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, sig_init),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN, sig_sign),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, sig_verify_init),
    FN(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY, sig_verify),
    FN(OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, sig_get_ctx_params),
    FN(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, sig_gettable_ctx_params),
    {0, NULL}
};
