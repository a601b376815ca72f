/*
 * pkcs11/p11_evp.c - token-backed EVP_PKEYs: an RSA or EC key whose public
 * half is read from the token and whose private operations call C_Sign on
 * the token (RSA PKCS#1 v1.5 as CKM_RSA_PKCS, anything OpenSSL pads itself
 * such as PSS as CKM_RSA_X_509, ECDSA as CKM_ECDSA). The private key never
 * leaves the token. Built on libcrypto's RSA_METHOD / EC_KEY_METHOD, which
 * OpenSSL 3.0 still routes EVP_DigestSign through for such keys; EdDSA
 * keys (Ed25519, Ed448; CKM_EDDSA) have no such method and are made by
 * p11cmp's built-in provider (p11_prov.c) around the same TOKEN_KEY.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "p11_local.h"

/* What a token-backed key remembers; hangs off the RSA / EC_KEY (or is
 * the provider key's P11CMP_P11_KEY). */
typedef struct p11cmp_p11_key_st {
    P11CMP_P11_TOKEN *tok;
    CK_OBJECT_HANDLE h;
    CK_KEY_TYPE type;
    int always_auth;    /* CKA_ALWAYS_AUTHENTICATE: log in per signature */
    unsigned char *id;
    size_t idlen;
    char *label;
    P11CMP_P11_TXN *txn; /* provisional: generated, not yet committed */
} TOKEN_KEY;

static CRYPTO_ONCE meth_once = CRYPTO_ONCE_STATIC_INIT;
static RSA_METHOD *rsa_meth;
static EC_KEY_METHOD *ec_meth;
static int rsa_idx = -1, ec_idx = -1;

static void token_key_free(TOKEN_KEY *k)
{
    if (k == NULL)
        return;
    p11cmp_p11_txn_free(k->txn); /* a provisional key pair goes away */
    p11cmp_p11_token_free(k->tok);
    OPENSSL_free(k->id);
    OPENSSL_free(k->label);
    OPENSSL_free(k);
}

static void ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                    long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    token_key_free(ptr);
}

/*
 * A copy of a token key's RSA / EC_KEY (EVP_PKEY_dup(), also made when an
 * X509_PUBKEY or X509_REQ holding the key is copied) gets a TOKEN_KEY of
 * its own on the same token handle, so that each copy frees only its own;
 * a provisional key pair's transaction stays with the original. 1 or 0.
 */
static int ex_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from,
                  void **from_d, int idx, long argl, void *argp)
{
    TOKEN_KEY *src = *from_d, *k;

    (void)to, (void)from, (void)idx, (void)argl, (void)argp;
    if (src == NULL)
        return 1;
    *from_d = NULL;
    if ((k = OPENSSL_zalloc(sizeof(*k))) == NULL)
        return 0;
    k->h = src->h;
    k->type = src->type;
    k->always_auth = src->always_auth;
    k->idlen = src->idlen;
    if ((src->id != NULL
         && (k->id = OPENSSL_memdup(src->id, src->idlen)) == NULL)
        || (src->label != NULL
            && (k->label = OPENSSL_strdup(src->label)) == NULL)
        || !p11cmp_p11_token_up_ref(src->tok)) {
        token_key_free(k);
        return 0;
    }
    k->tok = src->tok;
    *from_d = k;
    return 1;
}

/*
 * Looks k's private key up again by its CKA_ID (logging in again first):
 * modules such as SoftHSM2 drop the handles of private objects when the
 * token is logged out (all sessions lost, or another application's
 * C_Logout). 1 if exactly one matches; its handle replaces k->h.
 */
static int refind_key(TOKEN_KEY *k)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_ID, k->id, k->idlen}};

    return k->idlen > 0 && p11cmp_p11_refind(k->tok, t, 2, &k->h);
}

/*
 * C_SignInit, the context-specific login the key may want, and C_Sign,
 * again on a new session if it was lost. Returns the CKR_ code.
 */
static CK_RV sign_once(TOKEN_KEY *k, CK_MECHANISM *m,
                       const unsigned char *in, size_t inlen,
                       unsigned char *out, CK_ULONG *outlen)
{
    P11CMP_P11_TOKEN *tok = k->tok;
    CK_ULONG cap = *outlen;
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv,
                     *outlen = cap;
                     if (P11CMP_P11_CALL(tok, rv, C_SignInit, tok->session,
                                         m, k->h) == CKR_OK
                         && (!k->always_auth
                             || (rv = p11cmp_p11_token_context_login(tok))
                                == CKR_OK))
                         P11CMP_P11_CALL(tok, rv, C_Sign, tok->session,
                                         (CK_BYTE *)in, inlen, out, outlen));
    return rv;
}

/* One signature by the token: mechanism mech over in; 1 on success. */
static int token_sign(TOKEN_KEY *k, CK_MECHANISM_TYPE mech,
                      const unsigned char *in, size_t inlen,
                      unsigned char *out, CK_ULONG *outlen)
{
    P11CMP_P11_TOKEN *tok = k->tok;
    CK_MECHANISM m = {mech, NULL, 0};
    CK_ULONG cap = *outlen;
    CK_RV rv;
    int res;

    if (!CRYPTO_THREAD_write_lock(tok->lock))
        return 0;
    rv = sign_once(k, &m, in, inlen, out, outlen);
    if ((rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID)
        && refind_key(k)) {
        *outlen = cap;
        rv = sign_once(k, &m, in, inlen, out, outlen);
    }
    res = rv == CKR_OK;
    if (!res) {
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "signing");
        /* a module may keep a failed operation active: use a new session
         * (opened before the old one closes, so handles stay valid) */
        ERR_set_mark();
        (void)p11cmp_p11_token_renew_session(tok);
        (void)ERR_pop_to_mark();
    }
    CRYPTO_THREAD_unlock(tok->lock);
    return res;
}

static int rsa_priv_enc(int flen, const unsigned char *from,
                        unsigned char *to, RSA *rsa, int padding)
{
    TOKEN_KEY *k = RSA_get_ex_data(rsa, rsa_idx);
    CK_ULONG len = RSA_size(rsa);
    CK_MECHANISM_TYPE mech;

    if (padding == RSA_PKCS1_PADDING)
        mech = CKM_RSA_PKCS;
    else if (padding == RSA_NO_PADDING)
        mech = CKM_RSA_X_509;
    else {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "RSA padding %d on a token key", padding);
        return -1;
    }
    if (k == NULL || flen < 0 || !token_sign(k, mech, from, flen, to, &len))
        return -1;
    return (int)len;
}

static ECDSA_SIG *ec_sign_sig(const unsigned char *dgst, int dlen,
                              const BIGNUM *kinv, const BIGNUM *r,
                              EC_KEY *ec)
{
    TOKEN_KEY *k = EC_KEY_get_ex_data(ec, ec_idx);
    unsigned char sig[2 * 66];
    CK_ULONG len = sizeof(sig);
    ECDSA_SIG *res = NULL;
    BIGNUM *br = NULL, *bs = NULL;

    (void)kinv, (void)r;
    if (k == NULL || dlen < 0 || !token_sign(k, CKM_ECDSA, dgst, dlen, sig,
                                              &len))
        return NULL;
    if ((res = ECDSA_SIG_new()) == NULL
        || (br = BN_bin2bn(sig, len / 2, NULL)) == NULL
        || (bs = BN_bin2bn(sig + len / 2, len / 2, NULL)) == NULL
        || !ECDSA_SIG_set0(res, br, bs)) {
        BN_free(br);
        BN_free(bs);
        ECDSA_SIG_free(res);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    return res;
}

static void meth_init(void)
{
    int (*sign)(int, const unsigned char *, int, unsigned char *,
                unsigned int *, const BIGNUM *, const BIGNUM *, EC_KEY *);
    int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);

    rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, ex_dup, ex_free);
    ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, ex_dup, ex_free);
    rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    if (rsa_meth != NULL) {
        RSA_meth_set1_name(rsa_meth, "p11cmp token RSA");
        RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc);
        RSA_meth_set_priv_dec(rsa_meth, NULL);
    }
    ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (ec_meth != NULL) {
        EC_KEY_METHOD_get_sign(ec_meth, &sign, &setup, NULL);
        EC_KEY_METHOD_set_sign(ec_meth, sign, NULL, ec_sign_sig);
    }
}

static int meth_ready(void)
{
    if (!CRYPTO_THREAD_run_once(&meth_once, meth_init) || rsa_meth == NULL
        || ec_meth == NULL || rsa_idx < 0 || ec_idx < 0) {
        p11cmp_raise(P11CMP_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

void p11cmp_p11_evp_cleanup(void)
{
    RSA_meth_free(rsa_meth);
    if (ec_meth != NULL) /* EC_KEY_METHOD_free(NULL) crashes in 3.0 */
        EC_KEY_METHOD_free(ec_meth);
    rsa_meth = NULL;
    ec_meth = NULL;
}

/*
 * The public key object with the same CKA_ID as h into *pub (h itself if
 * h is one, or if there is none); 0 only if the token failed.
 */
static int public_half(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                       CK_OBJECT_HANDLE *pub)
{
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, NULL, 0}};
    CK_ULONG got = 0, n = 0;
    unsigned char *id = NULL;
    size_t idlen = 0;
    int res = 0;

    *pub = h;
    if (!p11cmp_p11_get_ulong(tok, h, CKA_CLASS, &n))
        return 0;
    if (n == CKO_PUBLIC_KEY)
        return 1;
    if (!p11cmp_p11_get_attr(tok, h, CKA_ID, &id, &idlen))
        return 0;
    t[1].pValue = id;
    t[1].ulValueLen = idlen;
    if (p11cmp_p11_find(tok, t, 2, pub, 1, &got)) {
        if (got != 1)
            *pub = h;
        res = 1;
    }
    OPENSSL_free(id);
    return res;
}

static RSA *rsa_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    unsigned char *n = NULL, *e = NULL;
    size_t nlen = 0, elen = 0;
    BIGNUM *bn = NULL, *be = NULL;
    RSA *rsa = NULL;

    if (!p11cmp_p11_get_attr(tok, h, CKA_MODULUS, &n, &nlen)
        || !p11cmp_p11_get_attr(tok, h, CKA_PUBLIC_EXPONENT, &e, &elen))
        goto end;
    if ((bn = BN_bin2bn(n, nlen, NULL)) == NULL
        || (be = BN_bin2bn(e, elen, NULL)) == NULL
        || (rsa = RSA_new()) == NULL || !RSA_set0_key(rsa, bn, be, NULL)) {
        RSA_free(rsa);
        rsa = NULL;
        BN_free(bn);
        BN_free(be);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    }
 end:
    OPENSSL_free(n);
    OPENSSL_free(e);
    return rsa;
}

/* The octets of a CKA_EC_POINT (DER OCTET STRING, or raw as some do). */
static ASN1_OCTET_STRING *ec_point_octets(const unsigned char *v,
                                          size_t len)
{
    const unsigned char *p = v;
    ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &p, len);

    if (os != NULL && p == v + len)
        return os;
    ASN1_OCTET_STRING_free(os);
    if ((os = ASN1_OCTET_STRING_new()) != NULL
        && !ASN1_OCTET_STRING_set(os, v, len)) {
        ASN1_OCTET_STRING_free(os);
        os = NULL;
    }
    return os;
}

static EC_KEY *ec_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    unsigned char *par = NULL, *pt = NULL;
    size_t parlen = 0, ptlen = 0;
    const unsigned char *p;
    ASN1_OCTET_STRING *os = NULL;
    EC_GROUP *grp = NULL;
    EC_KEY *ec = NULL;

    if (!p11cmp_p11_get_attr(tok, h, CKA_EC_PARAMS, &par, &parlen)
        || !p11cmp_p11_get_attr(tok, h, CKA_EC_POINT, &pt, &ptlen))
        goto end;
    p = par;
    if ((grp = d2i_ECPKParameters(NULL, &p, parlen)) == NULL
        || (os = ec_point_octets(pt, ptlen)) == NULL
        || (ec = EC_KEY_new()) == NULL || !EC_KEY_set_group(ec, grp)) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "EC parameters not understood; uri=%s",
                          p11cmp_p11_token_uri(tok));
        goto fail;
    }
    p = os->data;
    if (o2i_ECPublicKey(&ec, &p, os->length) == NULL) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "EC point not understood; uri=%s",
                          p11cmp_p11_token_uri(tok));
        goto fail;
    }
    goto end;
 fail:
    EC_KEY_free(ec);
    ec = NULL;
 end:
    EC_GROUP_free(grp);
    ASN1_OCTET_STRING_free(os);
    OPENSSL_free(par);
    OPENSSL_free(pt);
    return ec;
}

/*
 * The EdDSA curve CKA_EC_PARAMS names (RFC 8410 OID, or PKCS#11 3.0's
 * PrintableString curve name) as EVP_PKEY_ED25519 / ED448; else NID_undef.
 */
static int eddsa_curve(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, len);
    ASN1_PRINTABLESTRING *name = NULL;
    int nid = NID_undef;

    if (obj != NULL && p == der + len)
        nid = OBJ_obj2nid(obj);
    ASN1_OBJECT_free(obj);
    p = der;
    if (nid == NID_undef
        && (name = d2i_ASN1_PRINTABLESTRING(NULL, &p, len)) != NULL
        && p == der + len)
        nid = strcmp((char *)name->data, "edwards25519") == 0 ? NID_ED25519
            : strcmp((char *)name->data, "edwards448") == 0 ? NID_ED448
            : NID_undef;
    ASN1_PRINTABLESTRING_free(name);
    return nid == NID_ED25519 || nid == NID_ED448 ? nid : NID_undef;
}

static EVP_PKEY *eddsa_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    unsigned char *par = NULL, *pt = NULL;
    size_t parlen = 0, ptlen = 0;
    ASN1_OCTET_STRING *os = NULL;
    EVP_PKEY *pk = NULL;
    int nid;

    if (!p11cmp_p11_get_attr(tok, h, CKA_EC_PARAMS, &par, &parlen)
        || !p11cmp_p11_get_attr(tok, h, CKA_EC_POINT, &pt, &ptlen))
        goto end;
    if ((nid = eddsa_curve(par, parlen)) == NID_undef) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "EdDSA curve not supported (Ed25519 and Ed448 "
                          "are); uri=%s", p11cmp_p11_token_uri(tok));
        goto end;
    }
    if ((os = ec_point_octets(pt, ptlen)) == NULL
        || (pk = EVP_PKEY_new_raw_public_key(nid, NULL, os->data,
                                             os->length)) == NULL)
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "EdDSA point not understood; uri=%s",
                          p11cmp_p11_token_uri(tok));
 end:
    ASN1_OCTET_STRING_free(os);
    OPENSSL_free(par);
    OPENSSL_free(pt);
    return pk;
}

/* 1 if tok's module can sign with CKM_EDDSA; else 0 and an error. */
static int eddsa_can_sign(P11CMP_P11_TOKEN *tok)
{
    CK_MECHANISM_INFO info;
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv,
                     P11CMP_P11_CALL(tok, rv, C_GetMechanismInfo, tok->slot,
                                     CKM_EDDSA, &info));
    if (rv == CKR_OK && (info.flags & CKF_SIGN) != 0)
        return 1;
    if (rv == CKR_OK || rv == CKR_MECHANISM_INVALID)
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "EdDSA key, but the module cannot sign with "
                          "CKM_EDDSA; uri=%s", p11cmp_p11_token_uri(tok));
    else
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "CKM_EDDSA");
    return 0;
}

/* The EdDSA key for k with public key pub (via p11_prov.c); frees k if
 * that fails. */
static EVP_PKEY *eddsa_pkey_new(TOKEN_KEY *k, const EVP_PKEY *pub)
{
    EVP_PKEY *pk;

    if (!eddsa_can_sign(k->tok)
        || (pk = p11cmp_p11_prov_pkey_new(pub, k)) == NULL) {
        token_key_free(k);
        return NULL;
    }
    return pk;
}

EVP_PKEY *p11cmp_p11_pubkey_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                                 CK_KEY_TYPE *type)
{
    CK_KEY_TYPE kt;
    EVP_PKEY *pk = NULL;
    RSA *rsa = NULL;
    EC_KEY *ec = NULL;

    if (!p11cmp_p11_get_ulong(tok, h, CKA_KEY_TYPE, &kt))
        return NULL;
    if (type != NULL)
        *type = kt;
    if (!public_half(tok, h, &h))
        return NULL;
    if (kt == CKK_EC_EDWARDS)
        return eddsa_read(tok, h);
    if (kt != CKK_RSA && kt != CKK_EC) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "CKK 0x%lx; uri=%s", (unsigned long)kt,
                          p11cmp_p11_token_uri(tok));
        return NULL;
    }
    if ((pk = EVP_PKEY_new()) == NULL)
        return NULL;
    if (kt == CKK_RSA ? (rsa = rsa_read(tok, h)) != NULL
                        && EVP_PKEY_assign_RSA(pk, rsa)
                      : (ec = ec_read(tok, h)) != NULL
                        && EVP_PKEY_assign_EC_KEY(pk, ec))
        return pk;
    RSA_free(rsa);
    EC_KEY_free(ec);
    EVP_PKEY_free(pk);
    return NULL;
}

static TOKEN_KEY *token_key_new(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                                CK_KEY_TYPE type)
{
    TOKEN_KEY *k;
    unsigned char *label = NULL;

    if ((k = OPENSSL_zalloc(sizeof(*k))) == NULL)
        return NULL;
    if (!p11cmp_p11_get_attr(tok, h, CKA_ID, &k->id, &k->idlen)
        || !p11cmp_p11_get_attr(tok, h, CKA_LABEL, &label, NULL)
        || !p11cmp_p11_token_up_ref(tok)) {
        OPENSSL_free(label);
        token_key_free(k);
        return NULL;
    }
    k->label = (char *)label;
    k->tok = tok;
    /* a module that does not know the attribute has no such keys; any
     * other failure (the device) fails the key */
    ERR_set_mark();
    if (!p11cmp_p11_get_bool(tok, h, CKA_ALWAYS_AUTHENTICATE,
                             &k->always_auth)) {
        if (tok->last_fn != NULL && tok->last_rv
            != CKR_ATTRIBUTE_TYPE_INVALID) {
            (void)ERR_clear_last_mark();
            token_key_free(k);
            return NULL;
        }
        k->always_auth = 0;
    }
    (void)ERR_pop_to_mark();
    k->h = h;
    k->type = type;
    return k;
}

EVP_PKEY *p11cmp_p11_pkey_new(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    EVP_PKEY *pub = NULL, *pk = NULL;
    TOKEN_KEY *k = NULL;
    CK_KEY_TYPE type;

    if (!meth_ready() || (pub = p11cmp_p11_pubkey_read(tok, h, &type))
        == NULL)
        return NULL;
    if ((k = token_key_new(tok, h, type)) == NULL)
        goto err;
    if (type == CKK_EC_EDWARDS) {
        pk = eddsa_pkey_new(k, pub);
        EVP_PKEY_free(pub);
        return pk;
    }
    /*
     * The method must be in place before the key is assigned to an
     * EVP_PKEY: only then does libcrypto treat it as a foreign key and
     * call our method for signatures. So assign it to a new EVP_PKEY.
     */
    if ((pk = EVP_PKEY_new()) == NULL)
        goto err;
    if (type == CKK_RSA) {
        RSA *rsa = EVP_PKEY_get1_RSA(pub);

        if (rsa == NULL || !RSA_set_method(rsa, rsa_meth)
            || !RSA_set_ex_data(rsa, rsa_idx, k)) {
            RSA_free(rsa);
            goto err;
        }
        k = NULL; /* the RSA owns it now */
        if (!EVP_PKEY_assign_RSA(pk, rsa)) {
            RSA_free(rsa);
            goto err;
        }
    } else {
        EC_KEY *ec = EVP_PKEY_get1_EC_KEY(pub);

        if (ec == NULL || !EC_KEY_set_method(ec, ec_meth)
            || !EC_KEY_set_ex_data(ec, ec_idx, k)) {
            EC_KEY_free(ec);
            goto err;
        }
        k = NULL; /* the EC_KEY owns it now */
        if (!EVP_PKEY_assign_EC_KEY(pk, ec)) {
            EC_KEY_free(ec);
            goto err;
        }
    }
    EVP_PKEY_free(pub);
    return pk;
 err:
    token_key_free(k);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(pub);
    return NULL;
}

static TOKEN_KEY *token_key_of(const EVP_PKEY *pkey)
{
    const RSA *rsa;
    const EC_KEY *ec;

    if (pkey == NULL || rsa_meth == NULL)
        return NULL;
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        rsa = EVP_PKEY_get0_RSA(pkey);
        if (rsa != NULL && RSA_get_method(rsa) == rsa_meth)
            return RSA_get_ex_data(rsa, rsa_idx);
        break;
    case EVP_PKEY_EC:
        ec = EVP_PKEY_get0_EC_KEY(pkey);
        if (ec != NULL && EC_KEY_get_method(ec) == ec_meth)
            return EC_KEY_get_ex_data(ec, ec_idx);
        break;
    default:
        return p11cmp_p11_prov_key_of(pkey);
    }
    return NULL;
}

int p11cmp_p11_pkey_is_token(const EVP_PKEY *pkey)
{
    return token_key_of(pkey) != NULL;
}

P11CMP_P11_TOKEN *p11cmp_p11_pkey_token(const EVP_PKEY *pkey)
{
    TOKEN_KEY *k = token_key_of(pkey);

    return k != NULL ? k->tok : NULL;
}

int p11cmp_p11_pkey_get_id(const EVP_PKEY *pkey, const unsigned char **id,
                           size_t *idlen, const char **label)
{
    TOKEN_KEY *k = token_key_of(pkey);

    if (k == NULL) {
        p11cmp_raise(P11CMP_R_INVALID_ARGUMENT);
        return 0;
    }
    if (id != NULL)
        *id = k->id;
    if (idlen != NULL)
        *idlen = k->idlen;
    if (label != NULL)
        *label = k->label;
    return 1;
}

P11CMP_P11_TXN *p11cmp_p11_pkey_txn(const EVP_PKEY *pkey)
{
    TOKEN_KEY *k = token_key_of(pkey);

    return k != NULL && p11cmp_p11_txn_count(k->txn) > 0 ? k->txn : NULL;
}

int p11cmp_p11_pkey_set0_txn(EVP_PKEY *pkey, P11CMP_P11_TXN *txn)
{
    TOKEN_KEY *k = token_key_of(pkey);

    if (k == NULL || k->txn != NULL) {
        p11cmp_raise(P11CMP_R_INVALID_ARGUMENT);
        return 0;
    }
    k->txn = txn;
    return 1;
}

int p11cmp_p11_key_sign(P11CMP_P11_KEY *k, CK_MECHANISM_TYPE mech,
                        const unsigned char *in, size_t inlen,
                        unsigned char *out, CK_ULONG *outlen)
{
    return token_sign(k, mech, in, inlen, out, outlen);
}

void p11cmp_p11_key_free(P11CMP_P11_KEY *k)
{
    token_key_free(k);
}
