/*
 * pkcs11/p11_prov.c - a small OpenSSL 3 provider built into libp11cmp for
 * token-backed EdDSA keys (Ed25519, Ed448), which libcrypto 3.0 cannot
 * route through a legacy key method. Its key management holds the public
 * key and the token key (p11_evp.c); it imports and exports public keys
 * only, so EVP_PKEY_eq, X509_check_private_key, X509_PUBKEY_set and
 * libssl's key checks work; the private key is never exported. Its
 * signature algorithms (named P11CMP-ED25519 / P11CMP-ED448, so that no
 * other key ever gets them) make the token sign with CKM_EDDSA, and
 * verify in software.
 *
 * It lives in a library context of its own (with the default provider
 * for encoding public keys): libcrypto 3.0 caches the key management it
 * fetches from a key's provider under the caller's property query, after
 * which plain fetches of "ED25519" in that context would get ours and
 * software Ed25519 keys would stop working. Signing still works from any
 * library context: libcrypto fetches the signature from the key's
 * provider when the caller's context has none.
 */
#include "config.h"

#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "p11_local.h"

#define PROV_NAME "p11cmp"
#define PROV_PROPS "provider=p11cmp"
/* the EVP_PKEY_set/get_params name carrying the P11CMP_P11_KEY pointer */
#define TOKEN_KEY_PARAM "p11cmp-token-key"
#define MAX_PUB 57

/* Sizes and names of one EdDSA algorithm. */
typedef struct {
    int nid;
    const char *name, *signame;
    size_t publen, siglen;
    int bits, secbits;
    unsigned char aid[7]; /* DER AlgorithmIdentifier */
} ALG;

static const ALG algs[] = {
    {NID_ED25519, "ED25519", "P11CMP-ED25519", 32, 64, 253, 128,
     {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70}},
    {NID_ED448, "ED448", "P11CMP-ED448", 57, 114, 456, 224,
     {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71}},
};

/* Key data: a public key and, for a token key, the key that signs. */
typedef struct {
    const ALG *alg;
    unsigned char pub[MAX_PUB];
    int have_pub;
    P11CMP_P11_KEY *k;
} KEY;

/* A signature operation in progress. */
typedef struct {
    KEY *key;
} SIGCTX;

static OSSL_LIB_CTX *libctx; /* ours; see the top of the file */

static const ALG *alg_of(int nid)
{
    return nid == NID_ED25519 ? &algs[0] : nid == NID_ED448 ? &algs[1]
                                                             : NULL;
}

static KEY *key_new(const ALG *alg)
{
    KEY *key = OPENSSL_zalloc(sizeof(*key));

    if (key != NULL)
        key->alg = alg;
    return key;
}

static void key_free(void *vkey)
{
    KEY *key = vkey;

    if (key == NULL)
        return;
    p11cmp_p11_key_free(key->k);
    OPENSSL_free(key);
}

static int key_has(const void *vkey, int selection)
{
    const KEY *key = vkey;

    if (key == NULL)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && !key->have_pub)
        return 0;
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) == 0
        || key->k != NULL;
}

static int key_match(const void *va, const void *vb, int selection)
{
    const KEY *a = va, *b = vb;

    if (a->alg != b->alg)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return 1;
    return a->have_pub && b->have_pub
        && memcmp(a->pub, b->pub, a->alg->publen) == 0;
}

/* Public keys only: a private key given in params is refused. */
static int key_import(void *vkey, int selection, const OSSL_PARAM params[])
{
    KEY *key = vkey;
    const OSSL_PARAM *p;
    void *buf;
    size_t len = 0;

    if (key == NULL || key->have_pub
        || OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY) != NULL
        || (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0
        || (p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY))
        == NULL)
        return 0;
    buf = key->pub;
    if (!OSSL_PARAM_get_octet_string(p, &buf, sizeof(key->pub), &len)
        || len != key->alg->publen)
        return 0;
    key->have_pub = 1;
    return 1;
}

static const OSSL_PARAM *key_io_types(int selection)
{
    static const OSSL_PARAM types[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    return (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 ? types : NULL;
}

/* Never the private key: asked for it, the export fails. */
static int key_export(void *vkey, int selection, OSSL_CALLBACK *cb,
                      void *cbarg)
{
    KEY *key = vkey;
    OSSL_PARAM params[2] = {OSSL_PARAM_END, OSSL_PARAM_END};

    if (key == NULL || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
        if (!key->have_pub)
            return 0;
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                      key->pub,
                                                      key->alg->publen);
    }
    return cb(params, cbarg);
}

static int key_get_params(void *vkey, OSSL_PARAM params[])
{
    KEY *key = vkey;
    const ALG *a = key->alg;
    OSSL_PARAM *p;

    if (((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL
         && !OSSL_PARAM_set_int(p, a->bits))
        || ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS))
            != NULL && !OSSL_PARAM_set_int(p, a->secbits))
        || ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != NULL
            && !OSSL_PARAM_set_int(p, (int)a->siglen))
        || ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MANDATORY_DIGEST))
            != NULL && !OSSL_PARAM_set_utf8_string(p, "")))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY)) != NULL
        && (!key->have_pub
            || !OSSL_PARAM_set_octet_string(p, key->pub, a->publen)))
        return 0;
    if ((p = OSSL_PARAM_locate(params, TOKEN_KEY_PARAM)) != NULL
        && key->k != NULL && !OSSL_PARAM_set_octet_ptr(p, key->k, 0))
        return 0;
    return 1;
}

static const OSSL_PARAM *key_gettable_params(void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return gettable;
}

/* Takes the token key once, when the key has none: see pkey_new(). */
static int key_set_params(void *vkey, const OSSL_PARAM params[])
{
    KEY *key = vkey;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, TOKEN_KEY_PARAM);
    const void *k = NULL;
    size_t len;

    if (p == NULL)
        return 1;
    if (key->k != NULL || !OSSL_PARAM_get_octet_ptr(p, &k, &len)
        || k == NULL)
        return 0;
    key->k = (P11CMP_P11_KEY *)k;
    return 1;
}

static const OSSL_PARAM *key_settable_params(void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_octet_ptr(TOKEN_KEY_PARAM, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return settable;
}

static void *sig_newctx(void *provctx, const char *propq)
{
    (void)provctx, (void)propq;
    return OPENSSL_zalloc(sizeof(SIGCTX));
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
static int sig_start(SIGCTX *ctx, const char *mdname, KEY *key, int sign)
{
    if (mdname != NULL && mdname[0] != '\0') {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "EdDSA with digest %s", mdname);
        return 0;
    }
    if (key != NULL)
        ctx->key = key;
    if (ctx->key == NULL || (sign ? ctx->key->k == NULL
                                  : !ctx->key->have_pub)) {
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

/*
 * Verification needs no token: the default provider does it with the
 * public key. (A certificate made for a token key keeps that key as its
 * public key, so such a certificate's signatures come here.)
 */
static int sig_verify(void *vctx, const unsigned char *sig, size_t siglen,
                      const unsigned char *tbs, size_t tbslen)
{
    SIGCTX *ctx = vctx;
    const char *dflt_props = "provider=default";
    EVP_PKEY *pub;
    EVP_MD_CTX *md = NULL;
    int ok;

    pub = EVP_PKEY_new_raw_public_key_ex(libctx, ctx->key->alg->name,
                                         dflt_props, ctx->key->pub,
                                         ctx->key->alg->publen);
    ok = pub != NULL && (md = EVP_MD_CTX_new()) != NULL
        && EVP_DigestVerifyInit_ex(md, NULL, NULL, libctx, dflt_props, pub,
                                   NULL) == 1
        && EVP_DigestVerify(md, sig, siglen, tbs, tbslen) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    return ok;
}

static int sig_sign(void *vctx, unsigned char *sig, size_t *siglen,
                    size_t sigsize, const unsigned char *tbs, size_t tbslen)
{
    SIGCTX *ctx = vctx;
    CK_ULONG len = ctx->key->alg->siglen;

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

static int sig_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    SIGCTX *ctx = vctx;
    OSSL_PARAM *p = OSSL_PARAM_locate(params,
                                      OSSL_SIGNATURE_PARAM_ALGORITHM_ID);

    return p == NULL
        || (ctx->key != NULL
            && OSSL_PARAM_set_octet_string(p, ctx->key->alg->aid,
                                           sizeof(ctx->key->alg->aid)));
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
#define KEYMGMT_COMMON \
    FN(OSSL_FUNC_KEYMGMT_FREE, key_free), \
    FN(OSSL_FUNC_KEYMGMT_HAS, key_has), \
    FN(OSSL_FUNC_KEYMGMT_MATCH, key_match), \
    FN(OSSL_FUNC_KEYMGMT_IMPORT, key_import), \
    FN(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, key_io_types), \
    FN(OSSL_FUNC_KEYMGMT_EXPORT, key_export), \
    FN(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, key_io_types), \
    FN(OSSL_FUNC_KEYMGMT_GET_PARAMS, key_get_params), \
    FN(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, key_gettable_params), \
    FN(OSSL_FUNC_KEYMGMT_SET_PARAMS, key_set_params), \
    FN(OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, key_settable_params)

/* The key management of algs[i]: new keys of that type, and the name of
 * the signature algorithm libcrypto is to fetch for them. */
#define KEYMGMT(name, i) \
    static void *name##_new(void *provctx) \
    { \
        (void)provctx; \
        return key_new(&algs[i]); \
    } \
    static const char *name##_opname(int op) \
    { \
        return op == OSSL_OP_SIGNATURE ? algs[i].signame : NULL; \
    } \
    static const OSSL_DISPATCH name##_keymgmt[] = { \
        FN(OSSL_FUNC_KEYMGMT_NEW, name##_new), \
        FN(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, name##_opname), \
        KEYMGMT_COMMON, {0, NULL} \
    };

KEYMGMT(ed25519, 0)
KEYMGMT(ed448, 1)

static const OSSL_DISPATCH signature[] = {
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

static const OSSL_ALGORITHM keymgmts[] = {
    {"ED25519", PROV_PROPS, ed25519_keymgmt, "p11cmp token Ed25519 key"},
    {"ED448", PROV_PROPS, ed448_keymgmt, "p11cmp token Ed448 key"},
    {NULL, NULL, NULL, NULL}
};

static const OSSL_ALGORITHM signatures[] = {
    {"P11CMP-ED25519", PROV_PROPS, signature, "Ed25519 by a token"},
    {"P11CMP-ED448", PROV_PROPS, signature, "Ed448 by a token"},
    {NULL, NULL, NULL, NULL}
};

static const OSSL_ALGORITHM *prov_query(void *provctx, int op,
                                        int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    return op == OSSL_OP_KEYMGMT ? keymgmts
        : op == OSSL_OP_SIGNATURE ? signatures : NULL;
}

static int prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                     const OSSL_DISPATCH **out, void **provctx)
{
    static const OSSL_DISPATCH funcs[] = {
        FN(OSSL_FUNC_PROVIDER_QUERY_OPERATION, prov_query),
        {0, NULL}
    };

    (void)in;
    *out = funcs;
    *provctx = (void *)handle;
    return 1;
}

static CRYPTO_ONCE prov_once = CRYPTO_ONCE_STATIC_INIT;
static OSSL_PROVIDER *prov, *dflt;

/* Our own library context: ours, and the default provider's encoders
 * for public keys (X509_PUBKEY_set, i2d_PUBKEY). */
static void prov_load(void)
{
    if ((libctx = OSSL_LIB_CTX_new()) != NULL
        && OSSL_PROVIDER_add_builtin(libctx, PROV_NAME, prov_init)
        && (dflt = OSSL_PROVIDER_load(libctx, "default")) != NULL)
        prov = OSSL_PROVIDER_load(libctx, PROV_NAME);
}

void p11cmp_p11_prov_cleanup(void)
{
    (void)OSSL_PROVIDER_unload(prov);
    (void)OSSL_PROVIDER_unload(dflt);
    OSSL_LIB_CTX_free(libctx);
    prov = dflt = NULL;
    libctx = NULL;
}

EVP_PKEY *p11cmp_p11_prov_pkey_new(const EVP_PKEY *pub, P11CMP_P11_KEY *k)
{
    const ALG *a = alg_of(EVP_PKEY_get_base_id(pub));
    unsigned char raw[MAX_PUB];
    size_t len = sizeof(raw);
    OSSL_PARAM kp[2] = {OSSL_PARAM_END, OSSL_PARAM_END}, pp[2] = {
        OSSL_PARAM_END, OSSL_PARAM_END
    };
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pk = NULL;

    if (a == NULL || !EVP_PKEY_get_raw_public_key(pub, raw, &len)) {
        p11cmp_raise(P11CMP_R_UNSUPPORTED_KEY_TYPE);
        return NULL;
    }
    if (!CRYPTO_THREAD_run_once(&prov_once, prov_load) || prov == NULL) {
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR,
                          "cannot load the p11cmp provider");
        return NULL;
    }
    pp[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, raw,
                                              len);
    kp[0] = OSSL_PARAM_construct_octet_ptr(TOKEN_KEY_PARAM, (void **)&k, 0);
    if ((pctx = EVP_PKEY_CTX_new_from_name(libctx, a->name, PROV_PROPS))
        == NULL || EVP_PKEY_fromdata_init(pctx) <= 0
        || EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_PUBLIC_KEY, pp) <= 0
        || !EVP_PKEY_set_params(pk, kp)) { /* then pk has taken k */
        EVP_PKEY_free(pk);
        pk = NULL;
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR,
                          "cannot make a token %s key", a->name);
    }
    EVP_PKEY_CTX_free(pctx);
    return pk;
}

P11CMP_P11_KEY *p11cmp_p11_prov_key_of(const EVP_PKEY *pkey)
{
    void *k = NULL;
    OSSL_PARAM p[2] = {OSSL_PARAM_END, OSSL_PARAM_END};

    if (prov == NULL || pkey == NULL || EVP_PKEY_get0_provider(pkey) != prov)
        return NULL;
    p[0] = OSSL_PARAM_construct_octet_ptr(TOKEN_KEY_PARAM, &k, 0);
    if (!EVP_PKEY_get_params((EVP_PKEY *)pkey, p))
        return NULL;
    return k;
}
