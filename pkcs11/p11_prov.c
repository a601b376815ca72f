/*
 * pkcs11/p11_prov.c - p11cmp's own OpenSSL provider, built into
 * libp11cmp: every token key (RSA, EC, Ed25519, Ed448) is an EVP_PKEY of
 * its key management. A key holds its public half as a key of the default
 * provider (to which export, get_params and comparisons are passed on, so
 * that EVP_PKEY_eq, X509_PUBKEY_set, X509_check_private_key, libssl's
 * checks and EVP_PKEY_get_params see what a software key would give) and
 * the token key object (p11_key.c) that signs. The private key is never
 * exported: asked for it, an export fails; a copy (EVP_PKEY_dup) gets a
 * token key object of its own on the same token object. The signature
 * algorithms (p11_sig.c, p11_sig_ed.c), RSA decryption (p11_dec.c) and
 * ECDH (p11_exch.c) have names of their own (P11CMP-RSA, ...) so that no
 * other provider's key is ever given to them and libcrypto always takes
 * them from this provider.
 *
 * It lives in a library context of its own, with the default provider
 * beside it (for the public halves): OpenSSL 3.0 caches the key
 * management it fetches from a key's provider under the caller's property
 * query, after which plain fetches of "RSA" in that context could get ours
 * and software keys would stop working. Keys of this context work with
 * any other: libcrypto fetches the signature from the key's provider when
 * the caller's context has none of that name.
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "p11_prov.h"

#define PROV_NAME "p11cmp"
#define PROV_PROPS "provider=p11cmp"
/* the EVP_PKEY_set/get_params name carrying the P11CMP_P11_KEY pointer */
#define TOKEN_KEY_PARAM "p11cmp-token-key"

static const P11CMP_PROV_ALG algs[] = {
    {"RSA", "P11CMP-RSA", "P11CMP-RSA-DEC", NULL},
    {"EC", "P11CMP-ECDSA", NULL, "P11CMP-ECDH"},
    {"ED25519", "P11CMP-ED25519", NULL, NULL},
    {"ED448", "P11CMP-ED448", NULL, NULL},
};

static OSSL_LIB_CTX *libctx; /* ours; see the top of the file */

static P11CMP_PROV_KEY *key_new(const P11CMP_PROV_ALG *alg)
{
    P11CMP_PROV_KEY *key = OPENSSL_zalloc(sizeof(*key));

    if (key != NULL)
        key->alg = alg;
    return key;
}

static void key_free(void *vkey)
{
    P11CMP_PROV_KEY *key = vkey;

    if (key == NULL)
        return;
    EVP_PKEY_free(key->pub);
    p11cmp_p11_key_free(key->k);
    OPENSSL_free(key);
}

/* A copy shares the (immutable) public half and has its own token key. */
static void *key_dup(const void *vkey, int selection)
{
    const P11CMP_PROV_KEY *src = vkey;
    P11CMP_PROV_KEY *key;

    if (src == NULL || (key = key_new(src->alg)) == NULL)
        return NULL;
    if ((src->pub != NULL && !EVP_PKEY_up_ref(src->pub))
        || ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0
            && src->k != NULL
            && (key->k = p11cmp_p11_key_dup(src->k)) == NULL)) {
        key_free(key);
        return NULL;
    }
    key->pub = src->pub;
    return key;
}

static int key_has(const void *vkey, int selection)
{
    const P11CMP_PROV_KEY *key = vkey;

    if (key == NULL)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && key->k == NULL)
        return 0;
    return (selection & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY
                         | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS)) == 0
        || key->pub != NULL;
}

static int key_match(const void *va, const void *vb, int selection)
{
    const P11CMP_PROV_KEY *a = va, *b = vb;

    if (a->alg != b->alg || a->pub == NULL || b->pub == NULL)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0)
        return EVP_PKEY_eq(a->pub, b->pub) == 1;
    if ((selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) != 0)
        return EVP_PKEY_parameters_eq(a->pub, b->pub) == 1;
    return 1;
}

/* The public half from params (any private parts in them are ignored). */
static int key_import(void *vkey, int selection, const OSSL_PARAM params[])
{
    P11CMP_PROV_KEY *key = vkey;
    EVP_PKEY_CTX *pctx;
    int ok;

    if (key == NULL || key->pub != NULL
        || (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0)
        return 0;
    pctx = EVP_PKEY_CTX_new_from_name(libctx, key->alg->name,
                                      P11CMP_PROV_DEFAULT);
    ok = pctx != NULL && EVP_PKEY_fromdata_init(pctx) > 0
        && EVP_PKEY_fromdata(pctx, &key->pub, EVP_PKEY_PUBLIC_KEY,
                             (OSSL_PARAM *)params) > 0;
    EVP_PKEY_CTX_free(pctx);
    return ok;
}

/* Never the private key: asked for it, the export fails. */
static int key_export(void *vkey, int selection, OSSL_CALLBACK *cb,
                      void *cbarg)
{
    P11CMP_PROV_KEY *key = vkey;
    OSSL_PARAM *params = NULL;
    int ok;

    if (key == NULL || key->pub == NULL
        || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
        return 0;
    ok = EVP_PKEY_todata(key->pub, EVP_PKEY_PUBLIC_KEY, &params) > 0
        && cb(params, cbarg);
    OSSL_PARAM_free(params);
    return ok;
}

/* The public half's parameters, and our token key pointer. */
static int key_get_params(void *vkey, OSSL_PARAM params[])
{
    P11CMP_PROV_KEY *key = vkey;
    OSSL_PARAM *p;

    if (key->pub == NULL || !EVP_PKEY_get_params(key->pub, params))
        return 0;
    if ((p = OSSL_PARAM_locate(params, TOKEN_KEY_PARAM)) != NULL
        && key->k != NULL && !OSSL_PARAM_set_octet_ptr(p, key->k, 0))
        return 0;
    return 1;
}

/* Takes the token key once, when the key has none: see pkey_new(). */
/*
 * A new public point for a key without token key (CMS makes an ECDH
 * peer as a parameter copy of our key, then sets its point): the public
 * half, shared with the key copied, is replaced by a changed copy.
 */
static int set_point(P11CMP_PROV_KEY *key, const OSSL_PARAM *p)
{
    EVP_PKEY *pub;

    if (key->k != NULL || key->pub == NULL
        || p->data_type != OSSL_PARAM_OCTET_STRING
        || (pub = EVP_PKEY_dup(key->pub)) == NULL)
        return 0;
    if (!EVP_PKEY_set1_encoded_public_key(pub, p->data, p->data_size)) {
        EVP_PKEY_free(pub);
        return 0;
    }
    EVP_PKEY_free(key->pub);
    key->pub = pub;
    return 1;
}

static int key_set_params(void *vkey, const OSSL_PARAM params[])
{
    P11CMP_PROV_KEY *key = vkey;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, TOKEN_KEY_PARAM);
    const OSSL_PARAM *pt = OSSL_PARAM_locate_const(
        params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
    const void *k = NULL;
    size_t len;

    if (pt != NULL && !set_point(key, pt))
        return 0;
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
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return settable;
}

/* What key_get_params() passes on from the public half (all types). */
static const OSSL_PARAM *key_gettable_params(void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                               NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return gettable;
}

/* Public key parameters: what the default provider takes for the type. */
static const OSSL_PARAM *key_io_types(int selection)
{
    static const OSSL_PARAM types[] = {
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                               NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    return (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 ? types : NULL;
}

#define FN(id, f) {id, (void (*)(void))(f)}

/* The key management of algs[i]: new keys of that type, and the names of
 * the signature and decryption algorithms libcrypto is to fetch for
 * them. */
#define KEYMGMT(name, i) \
    static void *name##_new(void *provctx) \
    { \
        (void)provctx; \
        return key_new(&algs[i]); \
    } \
    static const char *name##_opname(int op) \
    { \
        return op == OSSL_OP_SIGNATURE ? algs[i].signame \
            : op == OSSL_OP_ASYM_CIPHER ? algs[i].decname \
            : op == OSSL_OP_KEYEXCH ? algs[i].exchname : NULL; \
    } \
    static const OSSL_DISPATCH name##_keymgmt[] = { \
        FN(OSSL_FUNC_KEYMGMT_NEW, name##_new), \
        FN(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, name##_opname), \
        FN(OSSL_FUNC_KEYMGMT_FREE, key_free), \
        FN(OSSL_FUNC_KEYMGMT_DUP, key_dup), \
        FN(OSSL_FUNC_KEYMGMT_HAS, key_has), \
        FN(OSSL_FUNC_KEYMGMT_MATCH, key_match), \
        FN(OSSL_FUNC_KEYMGMT_IMPORT, key_import), \
        FN(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, key_io_types), \
        FN(OSSL_FUNC_KEYMGMT_EXPORT, key_export), \
        FN(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, key_io_types), \
        FN(OSSL_FUNC_KEYMGMT_GET_PARAMS, key_get_params), \
        FN(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, key_gettable_params), \
        FN(OSSL_FUNC_KEYMGMT_SET_PARAMS, key_set_params), \
        FN(OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, key_settable_params), \
        {0, NULL} \
    };

KEYMGMT(rsa, 0)
KEYMGMT(ec, 1)
KEYMGMT(ed25519, 2)
KEYMGMT(ed448, 3)

/* the names as the default provider has them, so that is_a() agrees */
static const OSSL_ALGORITHM keymgmts[] = {
    {"RSA:rsaEncryption:1.2.840.113549.1.1.1", PROV_PROPS, rsa_keymgmt,
     "p11cmp token RSA key"},
    {"EC:id-ecPublicKey:1.2.840.10045.2.1", PROV_PROPS, ec_keymgmt,
     "p11cmp token EC key"},
    {"ED25519:1.3.101.112", PROV_PROPS, ed25519_keymgmt,
     "p11cmp token Ed25519 key"},
    {"ED448:1.3.101.113", PROV_PROPS, ed448_keymgmt,
     "p11cmp token Ed448 key"},
    {NULL, NULL, NULL, NULL}
};

static const OSSL_ALGORITHM signatures[] = {
    {"P11CMP-RSA", PROV_PROPS, p11cmp_prov_sig_functions,
     "RSA (PKCS#1 v1.5, PSS) by a token"},
    {"P11CMP-ECDSA", PROV_PROPS, p11cmp_prov_sig_functions,
     "ECDSA by a token"},
    {"P11CMP-ED25519", PROV_PROPS, p11cmp_prov_sig_ed_functions,
     "Ed25519 by a token"},
    {"P11CMP-ED448", PROV_PROPS, p11cmp_prov_sig_ed_functions,
     "Ed448 by a token"},
    {NULL, NULL, NULL, NULL}
};

static const OSSL_ALGORITHM asym_ciphers[] = {
    {"P11CMP-RSA-DEC", PROV_PROPS, p11cmp_prov_dec_functions,
     "RSA decryption (PKCS#1 v1.5, OAEP) by a token"},
    {NULL, NULL, NULL, NULL}
};

static const OSSL_ALGORITHM keyexchs[] = {
    {"P11CMP-ECDH", PROV_PROPS, p11cmp_prov_exch_functions,
     "ECDH by a token (X9.63 KDF in software)"},
    {NULL, NULL, NULL, NULL}
};

static const OSSL_ALGORITHM *prov_query(void *provctx, int op,
                                        int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    return op == OSSL_OP_KEYMGMT ? keymgmts
        : op == OSSL_OP_SIGNATURE ? signatures
        : op == OSSL_OP_ASYM_CIPHER ? asym_ciphers
        : op == OSSL_OP_KEYEXCH ? keyexchs : NULL;
}

static int prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                     const OSSL_DISPATCH **out, void **provctx)
{
    static const OSSL_DISPATCH funcs[] = {
        FN(OSSL_FUNC_PROVIDER_QUERY_OPERATION, prov_query),
        {0, NULL}
    };

    (void)in, (void)handle;
    *out = funcs;
    *provctx = libctx; /* what the signature code works in */
    return 1;
}

static CRYPTO_ONCE prov_once = CRYPTO_ONCE_STATIC_INIT;
static OSSL_PROVIDER *prov, *dflt;

/* Our own library context: ours, and the default provider. */
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

/* The algs[] entry for pub's type, or NULL. */
static const P11CMP_PROV_ALG *alg_of(const EVP_PKEY *pub)
{
    size_t i;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (EVP_PKEY_is_a(pub, algs[i].name))
            return &algs[i];
    return NULL;
}

/* A key of ours with pub's public half and no token key; NULL if not. */
static EVP_PKEY *pkey_of(const P11CMP_PROV_ALG *a, const EVP_PKEY *pub)
{
    OSSL_PARAM *pp = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pk = NULL;

    if (EVP_PKEY_todata(pub, EVP_PKEY_PUBLIC_KEY, &pp) <= 0
        || (pctx = EVP_PKEY_CTX_new_from_name(libctx, a->name, PROV_PROPS))
        == NULL || EVP_PKEY_fromdata_init(pctx) <= 0
        || EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_PUBLIC_KEY, pp) <= 0)
        pk = NULL;
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(pp);
    return pk;
}

EVP_PKEY *p11cmp_p11_prov_pkey_new(const EVP_PKEY *pub, P11CMP_P11_KEY *k)
{
    const P11CMP_PROV_ALG *a = alg_of(pub);
    OSSL_PARAM kp[2] = {OSSL_PARAM_END, OSSL_PARAM_END};
    EVP_PKEY *pk;

    if (a == NULL) {
        p11cmp_raise(P11CMP_R_UNSUPPORTED_KEY_TYPE);
        p11cmp_p11_key_free(k);
        return NULL;
    }
    if (!CRYPTO_THREAD_run_once(&prov_once, prov_load) || prov == NULL) {
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR,
                          "cannot load the p11cmp provider");
        p11cmp_p11_key_free(k);
        return NULL;
    }
    kp[0] = OSSL_PARAM_construct_octet_ptr(TOKEN_KEY_PARAM, (void **)&k, 0);
    if ((pk = pkey_of(a, pub)) == NULL || !EVP_PKEY_set_params(pk, kp)) {
        EVP_PKEY_free(pk); /* only set_params makes pk take k */
        p11cmp_p11_key_free(k);
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR,
                          "cannot make a token %s key", a->name);
        return NULL;
    }
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
