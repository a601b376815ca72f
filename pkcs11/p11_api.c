/*
 * pkcs11/p11_api.c - the public PKCS#11 functions of include/p11cmp/
 * pkcs11.h, each a thin wrapper over the internal API of p11_local.h.
 */
#include "config.h"

#include <string.h>

#include <p11cmp/pkcs11.h>

#include "p11_local.h"

EVP_PKEY *P11CMP_PKCS11_load_key(const char *uri, const char *pin_source)
{
    return p11cmp_p11_key_load(uri, pin_source);
}

X509 *P11CMP_PKCS11_load_cert(const char *uri, const char *pin_source)
{
    return p11cmp_p11_cert_load(uri, pin_source);
}

EVP_PKEY *P11CMP_PKCS11_generate_key(const char *token_uri, const char *alg,
                                     const char *label,
                                     const char *pin_source, int flags)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn = NULL;
    EVP_PKEY *pk = NULL;
    const unsigned char *id = NULL;
    size_t idlen = 0;
    int f = 0;

    if ((tok = p11cmp_p11_token_open(token_uri, pin_source, P11CMP_P11_RW))
        == NULL || (txn = p11cmp_p11_txn_new(tok)) == NULL)
        goto end;
    if (label == NULL)
        label = p11cmp_p11_uri_label(tok->uri);
    if ((flags & P11CMP_PKCS11_ID_FROM_PUBKEY) != 0)
        f |= P11CMP_P11_ID_FROM_PUBKEY;
    else
        id = p11cmp_p11_uri_id(tok->uri, &idlen);
    if (p11cmp_p11_txn_keygen(txn, alg, label, id, idlen, f, &pk)
        && !p11cmp_p11_txn_commit(txn)) {
        EVP_PKEY_free(pk); /* rolled back below */
        pk = NULL;
    }
 end:
    p11cmp_p11_txn_free(txn); /* rolls back unless committed */
    p11cmp_p11_token_free(tok);
    return pk;
}

int P11CMP_PKCS11_store_cert(const char *uri, X509 *cert, int category,
                             const char *pin_source)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn = NULL;
    const unsigned char *id;
    size_t idlen = 0;
    int res = 0;

    if ((tok = p11cmp_p11_token_open(uri, pin_source, P11CMP_P11_RW))
        == NULL || (txn = p11cmp_p11_txn_new(tok)) == NULL)
        goto end;
    id = p11cmp_p11_uri_id(tok->uri, &idlen);
    res = p11cmp_p11_txn_store_cert(txn, cert, id, idlen,
                                    p11cmp_p11_uri_label(tok->uri),
                                    category, NULL)
        && p11cmp_p11_txn_commit(txn);
 end:
    p11cmp_p11_txn_free(txn);
    p11cmp_p11_token_free(tok);
    return res;
}

int P11CMP_PKCS11_delete_objects(const char *uri, const char *pin_source,
                                 int *count)
{
    P11CMP_P11_TOKEN *tok;
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ULONG n = 0, i, cls = 0;
    size_t idlen = 0;
    int res = 0, done = 0;

    if (count != NULL)
        *count = 0;
    if ((tok = p11cmp_p11_token_open(uri, pin_source, P11CMP_P11_RW))
        == NULL)
        return 0;
    if (p11cmp_p11_uri_id(tok->uri, &idlen) == NULL
        && p11cmp_p11_uri_label(tok->uri) == NULL) {
        p11cmp_raise_data(P11CMP_R_INVALID_URI,
                          "id= or object= needed to delete; uri=%s",
                          p11cmp_p11_uri_text(tok->uri));
        goto end;
    }
    if (!p11cmp_p11_find_uri(tok, tok->uri, (CK_ULONG)-1, objs,
                             P11CMP_P11_MAX_OBJECTS, &n))
        goto end;
    for (i = 0; i < n; i++) {
        if (!p11cmp_p11_get_ulong(tok, objs[i], CKA_CLASS, &cls))
            goto end;
        if (cls != CKO_CERTIFICATE && cls != CKO_PUBLIC_KEY
            && cls != CKO_PRIVATE_KEY)
            continue;
        if (!p11cmp_p11_destroy(tok, objs[i]))
            goto end;
        done++;
    }
    res = 1;
 end:
    if (count != NULL)
        *count = done;
    p11cmp_p11_token_free(tok);
    return res;
}

P11CMP_PKCS11_TXN *P11CMP_PKCS11_TXN_new(const char *uri,
                                         const char *pin_source)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn = NULL;

    if ((tok = p11cmp_p11_token_open(uri, pin_source, P11CMP_P11_RW))
        != NULL)
        txn = p11cmp_p11_txn_new(tok);
    p11cmp_p11_token_free(tok); /* txn keeps its reference */
    return txn;
}

/* what put_ca_certs or put_crl (crls not NULL) put under the label */
struct put_args {
    STACK_OF(X509) *certs;
    X509 *keep;
    X509_CRL **crls;    /* the CRL and the one to keep */
};

/* put_ca_certs and put_crl: the URI parsed, their counts optional */
static int put(P11CMP_PKCS11_TXN *txn, const char *uri,
               const struct put_args *p, int *added, int *removed)
{
    P11CMP_P11_URI *u;
    int a, r, res;

    if (txn == NULL || uri == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if ((u = p11cmp_p11_uri_parse(uri)) == NULL)
        return 0;
    res = p->crls != NULL
        ? p11cmp_p11_txn_put_crl(txn, u, p->crls[0], p->crls[1], &a, &r)
        : p11cmp_p11_txn_put_ca_certs(txn, u, p->certs, p->keep, &a, &r);
    p11cmp_p11_uri_free(u);
    if (res && added != NULL)
        *added = a;
    if (res && removed != NULL)
        *removed = r;
    return res;
}

int P11CMP_PKCS11_TXN_put_ca_certs(P11CMP_PKCS11_TXN *txn, const char *uri,
                                   STACK_OF(X509) *certs, X509 *keep,
                                   int *added, int *removed)
{
    struct put_args p = {certs, keep, NULL};

    return put(txn, uri, &p, added, removed);
}

int P11CMP_PKCS11_TXN_put_crl(P11CMP_PKCS11_TXN *txn, const char *uri,
                              X509_CRL *crl, X509_CRL *keep, int *added,
                              int *removed)
{
    X509_CRL *crls[2] = {crl, keep};
    struct put_args p = {NULL, NULL, crls};

    return put(txn, uri, &p, added, removed);
}

X509_CRL *P11CMP_PKCS11_load_crl(const char *uri, const char *pin_source)
{
    return p11cmp_p11_crl_load(uri, pin_source);
}

int P11CMP_PKCS11_TXN_commit(P11CMP_PKCS11_TXN *txn)
{
    return p11cmp_p11_txn_commit(txn);
}

void P11CMP_PKCS11_TXN_free(P11CMP_PKCS11_TXN *txn)
{
    p11cmp_p11_txn_free(txn);
}

int P11CMP_PKCS11_is_token_key(const EVP_PKEY *pkey)
{
    return p11cmp_p11_pkey_is_token(pkey);
}

int P11CMP_PKCS11_is_uri(const char *text)
{
    return p11cmp_p11_is_uri(text);
}

int P11CMP_PKCS11_set1_pin_source(const char *source)
{
    return p11cmp_p11_set_default_pin_source(source);
}

int P11CMP_PKCS11_commit_key(EVP_PKEY *pkey)
{
    P11CMP_P11_TXN *txn = p11cmp_p11_pkey_txn(pkey);

    return txn == NULL || p11cmp_p11_txn_commit(txn);
}

int P11CMP_PKCS11_discard_key(EVP_PKEY *pkey)
{
    P11CMP_P11_TXN *txn = p11cmp_p11_pkey_txn(pkey);

    if (txn == NULL) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "not a provisional token key");
        return 0;
    }
    return p11cmp_p11_txn_rollback(txn);
}

void P11CMP_PKCS11_set_batch(int batch)
{
    p11cmp_p11_set_batch(batch);
}

void P11CMP_PKCS11_cleanup(void)
{
    p11cmp_p11_modules_cleanup();
    p11cmp_p11_prov_cleanup();
}
