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
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ULONG n = 0;
    CK_ULONG cls = p11cmp_p11_uri_class(uri);

    if (cls != (CK_ULONG)-1 && cls != CKO_PRIVATE_KEY) {
        p11cmp_raise_data(P11CMP_R_KEY_NOT_FOUND,
                          "type= must be private; uri=%s",
                          p11cmp_p11_uri_text(uri));
        return NULL;
    }
    if (!p11cmp_p11_find_uri(tok, uri, CKO_PRIVATE_KEY, objs,
                             P11CMP_P11_MAX_OBJECTS, &n))
        return NULL;
    if (n != 1) {
        p11cmp_raise_data(n == 0 ? P11CMP_R_KEY_NOT_FOUND
                          : P11CMP_R_AMBIGUOUS_KEY,
                          "%lu private keys match uri=%s",
                          (unsigned long)n, p11cmp_p11_uri_text(uri));
        return NULL;
    }
    return p11cmp_p11_pkey_new(tok, objs[0]);
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
