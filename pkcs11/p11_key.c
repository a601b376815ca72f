/*
 * pkcs11/p11_key.c - finding the one private key a URI names and handing
 * it out as a token-backed EVP_PKEY; no match or several matches are
 * errors that name the URI searched.
 */
#include "config.h"

#include "p11_local.h"

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
