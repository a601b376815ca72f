/*
 * pkcs11/p11_key.c - the token key object, P11CMP_P11_KEY: one private
 * key on a token (its handle, CKA_ID, CKA_LABEL, whether it wants a
 * context-specific login per signature, and the transaction of a key pair
 * generated but not yet committed), and the one thing it does: a C_Sign
 * with a given mechanism; and which signing mechanisms its token lists
 * (asked once per key and mechanism). The key never leaves the token.
 * The provider (p11_prov.c) wraps it into EVP_PKEYs.
 */
#include "config.h"

#include <string.h>

#include "p11_local.h"

struct p11cmp_p11_key_st {
    P11CMP_P11_TOKEN *tok;
    CK_OBJECT_HANDLE h;
    CK_KEY_TYPE type;
    int always_auth;    /* CKA_ALWAYS_AUTHENTICATE: log in per signature */
    unsigned char *id;
    size_t idlen;
    char *label;
    P11CMP_P11_TXN *txn; /* provisional: generated, not yet committed */
    struct {
        CK_MECHANISM_TYPE m;
        int sign;       /* the token lists m with CKF_SIGN */
    } mechs[P11CMP_P11_KEY_MECHS]; /* what C_GetMechanismInfo said */
    int nmechs;
};

void p11cmp_p11_key_free(P11CMP_P11_KEY *k)
{
    if (k == NULL)
        return;
    p11cmp_p11_txn_free(k->txn); /* a provisional key pair goes away */
    p11cmp_p11_token_free(k->tok);
    OPENSSL_free(k->id);
    OPENSSL_free(k->label);
    OPENSSL_free(k);
}

/*
 * Reads CKA_ALWAYS_AUTHENTICATE into k: a module that does not know the
 * attribute has no such keys; any other failure (the device) fails.
 */
static int read_always_auth(P11CMP_P11_KEY *k)
{
    P11CMP_P11_TOKEN *tok = k->tok;

    ERR_set_mark();
    if (!p11cmp_p11_get_bool(tok, k->h, CKA_ALWAYS_AUTHENTICATE,
                             &k->always_auth)) {
        if (tok->last_fn != NULL
            && tok->last_rv != CKR_ATTRIBUTE_TYPE_INVALID) {
            (void)ERR_clear_last_mark();
            return 0;
        }
        k->always_auth = 0;
    }
    (void)ERR_pop_to_mark();
    return 1;
}

P11CMP_P11_KEY *p11cmp_p11_key_new(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                                   CK_KEY_TYPE type)
{
    P11CMP_P11_KEY *k;
    unsigned char *label = NULL;

    if ((k = OPENSSL_zalloc(sizeof(*k))) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    if (!p11cmp_p11_get_attr(tok, h, CKA_ID, &k->id, &k->idlen)
        || !p11cmp_p11_get_attr(tok, h, CKA_LABEL, &label, NULL)
        || !p11cmp_p11_token_up_ref(tok)) {
        OPENSSL_free(label);
        p11cmp_p11_key_free(k);
        return NULL;
    }
    k->label = (char *)label;
    k->tok = tok;
    k->h = h;
    k->type = type;
    if (!read_always_auth(k)) {
        p11cmp_p11_key_free(k);
        return NULL;
    }
    return k;
}

P11CMP_P11_KEY *p11cmp_p11_key_dup(const P11CMP_P11_KEY *src)
{
    P11CMP_P11_KEY *k;

    if ((k = OPENSSL_zalloc(sizeof(*k))) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    k->h = src->h;
    k->type = src->type;
    k->always_auth = src->always_auth;
    k->idlen = src->idlen;
    memcpy(k->mechs, src->mechs, sizeof(k->mechs));
    k->nmechs = src->nmechs;
    if ((src->id != NULL
         && (k->id = OPENSSL_memdup(src->id, src->idlen)) == NULL)
        || (src->label != NULL
            && (k->label = OPENSSL_strdup(src->label)) == NULL)
        || !p11cmp_p11_token_up_ref(src->tok)) {
        p11cmp_p11_key_free(k);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    k->tok = src->tok;
    return k;
}

P11CMP_P11_TOKEN *p11cmp_p11_key_token(const P11CMP_P11_KEY *k)
{
    return k->tok;
}

void p11cmp_p11_key_get_id(const P11CMP_P11_KEY *k, const unsigned char **id,
                           size_t *idlen, const char **label)
{
    if (id != NULL)
        *id = k->id;
    if (idlen != NULL)
        *idlen = k->idlen;
    if (label != NULL)
        *label = k->label;
}

P11CMP_P11_TXN *p11cmp_p11_key_txn(const P11CMP_P11_KEY *k)
{
    return p11cmp_p11_txn_count(k->txn) > 0 ? k->txn : NULL;
}

int p11cmp_p11_key_set0_txn(P11CMP_P11_KEY *k, P11CMP_P11_TXN *txn)
{
    if (k->txn != NULL) {
        p11cmp_raise(P11CMP_R_INVALID_ARGUMENT);
        return 0;
    }
    k->txn = txn;
    return 1;
}

/*
 * Looks k's private key up again by its CKA_ID (logging in again first):
 * modules such as SoftHSM2 drop the handles of private objects when the
 * token is logged out (all sessions lost, or another application's
 * C_Logout). 1 if exactly one matches; its handle replaces k->h.
 */
static int refind_key(P11CMP_P11_KEY *k)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_ID, k->id, k->idlen}};

    return k->idlen > 0 && p11cmp_p11_refind(k->tok, t, 2, &k->h);
}

/*
 * C_SignInit (C_DecryptInit if dec), the context-specific login the key
 * may want, and C_Sign (C_Decrypt), again on a new session if it was
 * lost. Returns the CKR_ code.
 */
static CK_RV op_once(P11CMP_P11_KEY *k, int dec, CK_MECHANISM *m,
                     const unsigned char *in, size_t inlen,
                     unsigned char *out, CK_ULONG *outlen)
{
    P11CMP_P11_TOKEN *tok = k->tok;
    CK_ULONG cap = *outlen;
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv,
                     *outlen = cap;
                     if ((dec ? P11CMP_P11_CALL(tok, rv, C_DecryptInit,
                                                tok->session, m, k->h)
                          : P11CMP_P11_CALL(tok, rv, C_SignInit,
                                            tok->session, m, k->h)) == CKR_OK
                         && (!k->always_auth
                             || (rv = p11cmp_p11_token_context_login(tok))
                                == CKR_OK)) {
                         if (dec)
                             P11CMP_P11_CALL(tok, rv, C_Decrypt,
                                             tok->session, (CK_BYTE *)in,
                                             inlen, out, outlen);
                         else
                             P11CMP_P11_CALL(tok, rv, C_Sign, tok->session,
                                             (CK_BYTE *)in, inlen, out,
                                             outlen);
                     });
    return rv;
}

/* op_once, again after finding the key anew if its handle was lost */
static CK_RV key_op(P11CMP_P11_KEY *k, int dec, CK_MECHANISM *m,
                    const unsigned char *in, size_t inlen,
                    unsigned char *out, CK_ULONG *outlen)
{
    P11CMP_P11_TOKEN *tok = k->tok;
    CK_ULONG cap = *outlen;
    CK_RV rv;

    if (!CRYPTO_THREAD_write_lock(tok->lock))
        return CKR_CANT_LOCK;
    rv = op_once(k, dec, m, in, inlen, out, outlen);
    if ((rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID)
        && refind_key(k)) {
        *outlen = cap;
        rv = op_once(k, dec, m, in, inlen, out, outlen);
    }
    if (rv != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR,
                         dec ? "decrypting" : "signing");
        /* a module may keep a failed operation active: use a new session
         * (opened before the old one closes, so handles stay valid) */
        ERR_set_mark();
        (void)p11cmp_p11_token_renew_session(tok);
        (void)ERR_pop_to_mark();
    }
    CRYPTO_THREAD_unlock(tok->lock);
    return rv;
}

CK_RV p11cmp_p11_key_sign_mech(P11CMP_P11_KEY *k, CK_MECHANISM *m,
                                const unsigned char *in, size_t inlen,
                                unsigned char *out, CK_ULONG *outlen)
{
    return key_op(k, 0, m, in, inlen, out, outlen);
}

CK_RV p11cmp_p11_key_decrypt_mech(P11CMP_P11_KEY *k, CK_MECHANISM *m,
                                   const unsigned char *in, size_t inlen,
                                   unsigned char *out, CK_ULONG *outlen)
{
    return key_op(k, 1, m, in, inlen, out, outlen);
}

/*
 * C_DeriveKey CKM_ECDH1_DERIVE (CKD_NULL) with the peer's point pt into
 * a session secret, its CKA_VALUE read into z, the secret destroyed.
 */
static CK_RV ecdh_once(P11CMP_P11_KEY *k, const unsigned char *pt,
                       size_t ptlen, unsigned char *z, CK_ULONG *zlen)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    P11CMP_P11_TOKEN *tok = k->tok;
    CK_ECDH1_DERIVE_PARAMS prm = {CKD_NULL, 0, NULL, ptlen, (CK_BYTE *)pt};
    CK_MECHANISM m = {CKM_ECDH1_DERIVE, &prm, sizeof(prm)};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_ULONG len = *zlen;
    CK_ATTRIBUTE t[6] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_KEY_TYPE, &kt, sizeof(kt)},
                         {CKA_TOKEN, &no, 1}, {CKA_SENSITIVE, &no, 1},
                         {CKA_EXTRACTABLE, &yes, 1},
                         {CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_ATTRIBUTE v = {CKA_VALUE, z, len};
    CK_OBJECT_HANDLE h;
    CK_RV rv, rv2;

    P11CMP_P11_RETRY(tok, rv,
                     h = CK_INVALID_HANDLE;
                     v.ulValueLen = len;
                     if (P11CMP_P11_CALL(tok, rv, C_DeriveKey, tok->session,
                                         &m, k->h, t, 6, &h) == CKR_OK) {
                         P11CMP_P11_CALL(tok, rv, C_GetAttributeValue,
                                         tok->session, h, &v, 1);
                         P11CMP_P11_CALL(tok, rv2, C_DestroyObject,
                                         tok->session, h);
                         (void)rv2;
                     });
    *zlen = v.ulValueLen;
    return rv;
}

CK_RV p11cmp_p11_key_ecdh(P11CMP_P11_KEY *k, const unsigned char *pt,
                          size_t ptlen, unsigned char *z, CK_ULONG *zlen)
{
    P11CMP_P11_TOKEN *tok = k->tok;
    CK_ULONG cap = *zlen;
    CK_RV rv;

    if (!CRYPTO_THREAD_write_lock(tok->lock))
        return CKR_CANT_LOCK;
    rv = ecdh_once(k, pt, ptlen, z, zlen);
    if ((rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID)
        && refind_key(k)) {
        *zlen = cap;
        rv = ecdh_once(k, pt, ptlen, z, zlen);
    }
    if (rv != CKR_OK)
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "ECDH key agreement");
    CRYPTO_THREAD_unlock(tok->lock);
    return rv;
}

int p11cmp_p11_key_sign(P11CMP_P11_KEY *k, CK_MECHANISM_TYPE mech,
                        const unsigned char *in, size_t inlen,
                        unsigned char *out, CK_ULONG *outlen)
{
    CK_MECHANISM m = {mech, NULL, 0};

    return p11cmp_p11_key_sign_mech(k, &m, in, inlen, out, outlen) == CKR_OK;
}

int p11cmp_p11_key_can_sign(P11CMP_P11_KEY *k, CK_MECHANISM_TYPE mech)
{
    P11CMP_P11_TOKEN *tok = k->tok;
    CK_MECHANISM_INFO info;
    CK_RV rv = CKR_OK;
    int i, can = -1;

    if (!CRYPTO_THREAD_write_lock(tok->lock))
        return 0;
    for (i = 0; i < k->nmechs && can < 0; i++)
        if (k->mechs[i].m == mech)
            can = k->mechs[i].sign;
    if (can < 0) {
        ERR_set_mark();
        P11CMP_P11_RETRY(tok, rv,
                         P11CMP_P11_CALL(tok, rv, C_GetMechanismInfo,
                                         tok->slot, mech, &info));
        (void)ERR_pop_to_mark();
        can = rv == CKR_OK && (info.flags & CKF_SIGN) != 0;
        /* a failure other than "no such mechanism" is asked again */
        if ((rv == CKR_OK || rv == CKR_MECHANISM_INVALID)
            && k->nmechs < P11CMP_P11_KEY_MECHS) {
            k->mechs[k->nmechs].m = mech;
            k->mechs[k->nmechs++].sign = can;
        }
    }
    CRYPTO_THREAD_unlock(tok->lock);
    return can;
}
