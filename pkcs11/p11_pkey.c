/*
 * pkcs11/p11_pkey.c - token keys as EVP_PKEYs: finding the one private
 * key a URI names (no match or several are errors naming the URI
 * searched), reading its public half and handing both out as a key of
 * p11cmp's provider (p11_prov.c); and, for such an EVP_PKEY, the token
 * key object (p11_key.c) behind it.
 */
#include "config.h"

#include "p11_local.h"

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

EVP_PKEY *p11cmp_p11_pkey_new(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    EVP_PKEY *pub, *pk = NULL;
    P11CMP_P11_KEY *k = NULL;
    CK_KEY_TYPE type;

    if ((pub = p11cmp_p11_pubkey_read(tok, h, &type)) == NULL)
        return NULL;
    if ((k = p11cmp_p11_key_new(tok, h, type)) == NULL
        || (type == CKK_EC_EDWARDS && !eddsa_can_sign(tok)))
        p11cmp_p11_key_free(k);
    else
        pk = p11cmp_p11_prov_pkey_new(pub, k); /* takes k */
    EVP_PKEY_free(pub);
    return pk;
}

EVP_PKEY *p11cmp_p11_key_find(P11CMP_P11_TOKEN *tok,
                              const P11CMP_P11_URI *uri)
{
    static const struct p11cmp_p11_kind kind = {
        CKO_PRIVATE_KEY, "private", "private keys", P11CMP_R_KEY_NOT_FOUND,
        P11CMP_R_AMBIGUOUS_KEY
    };
    CK_OBJECT_HANDLE obj;

    if (!p11cmp_p11_find_one(tok, uri, &kind, &obj))
        return NULL;
    return p11cmp_p11_pkey_new(tok, obj);
}

EVP_PKEY *p11cmp_p11_key_load(const char *uri, const char *pin_source)
{
    P11CMP_P11_TOKEN *tok;
    EVP_PKEY *pk = NULL;

    if ((tok = p11cmp_p11_token_open(uri, pin_source, P11CMP_P11_LOGIN))
        != NULL)
        pk = p11cmp_p11_key_find(tok, tok->uri);
    p11cmp_p11_token_free(tok);
    return pk;
}

int p11cmp_p11_pkey_is_token(const EVP_PKEY *pkey)
{
    return p11cmp_p11_prov_key_of(pkey) != NULL;
}

P11CMP_P11_TOKEN *p11cmp_p11_pkey_token(const EVP_PKEY *pkey)
{
    P11CMP_P11_KEY *k = p11cmp_p11_prov_key_of(pkey);

    return k != NULL ? p11cmp_p11_key_token(k) : NULL;
}

int p11cmp_p11_pkey_get_id(const EVP_PKEY *pkey, const unsigned char **id,
                           size_t *idlen, const char **label)
{
    P11CMP_P11_KEY *k = p11cmp_p11_prov_key_of(pkey);

    if (k == NULL) {
        p11cmp_raise(P11CMP_R_INVALID_ARGUMENT);
        return 0;
    }
    p11cmp_p11_key_get_id(k, id, idlen, label);
    return 1;
}

P11CMP_P11_TXN *p11cmp_p11_pkey_txn(const EVP_PKEY *pkey)
{
    P11CMP_P11_KEY *k = p11cmp_p11_prov_key_of(pkey);

    return k != NULL ? p11cmp_p11_key_txn(k) : NULL;
}

int p11cmp_p11_pkey_set0_txn(EVP_PKEY *pkey, P11CMP_P11_TXN *txn)
{
    P11CMP_P11_KEY *k = p11cmp_p11_prov_key_of(pkey);

    if (k == NULL) {
        p11cmp_raise(P11CMP_R_INVALID_ARGUMENT);
        return 0;
    }
    return p11cmp_p11_key_set0_txn(k, txn);
}
