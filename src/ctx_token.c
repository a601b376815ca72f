/*
 * src/ctx_token.c - the P11CMP_CTX functions for token keys and
 * certificates: set the client key, the key to enroll, the client and old
 * certificate from pkcs11: URIs, and generate the key to enroll on a token.
 * A generated key is provisional until the enrollment stores its
 * certificate (or P11CMP_PKCS11_commit_key is called); dropped uncommitted,
 * the key pair is removed from the token again.
 */
#include "config.h"

#include <p11cmp/p11cmp.h>

#include "local.h"
#include "../pkcs11/p11_local.h"

int P11CMP_CTX_set1_pkey_uri(P11CMP_CTX *ctx, const char *uri)
{
    EVP_PKEY *pk;
    int res;

    CHECK_CTX(0);
    if ((pk = p11cmp_p11_key_load(uri, NULL)) == NULL)
        return 0;
    res = P11CMP_CTX_set1_pkey(ctx, pk);
    EVP_PKEY_free(pk);
    return res;
}

int P11CMP_CTX_set1_newPkey_uri(P11CMP_CTX *ctx, const char *uri)
{
    EVP_PKEY *pk;

    CHECK_CTX(0);
    if ((pk = p11cmp_p11_key_load(uri, NULL)) == NULL)
        return 0;
    if (P11CMP_CTX_set0_newPkey(ctx, 1, pk))
        return 1;
    EVP_PKEY_free(pk);
    return 0;
}

static int set1_cert_uri(P11CMP_CTX *ctx, const char *uri,
                         int (*set1)(P11CMP_CTX *, X509 *))
{
    X509 *cert;
    int res;

    CHECK_CTX(0);
    if ((cert = p11cmp_p11_cert_load(uri, NULL)) == NULL)
        return 0;
    res = set1(ctx, cert);
    X509_free(cert);
    return res;
}

int P11CMP_CTX_set1_cert_uri(P11CMP_CTX *ctx, const char *uri)
{
    return set1_cert_uri(ctx, uri, P11CMP_CTX_set1_cert);
}

int P11CMP_CTX_set1_oldCert_uri(P11CMP_CTX *ctx, const char *uri)
{
    return set1_cert_uri(ctx, uri, P11CMP_CTX_set1_oldCert);
}

/*
 * Makes *pk, a key pair put on the token in *txn, the key to enroll: the
 * key takes *txn (set to NULL), the ctx the key (*pk set to NULL). On
 * failure what is left non-NULL is the caller's to free (the key rolls
 * its pair back, the transaction what it holds).
 */
static int set0_provisional(P11CMP_CTX *ctx, EVP_PKEY **pk,
                            P11CMP_P11_TXN **txn)
{
    if (!p11cmp_p11_pkey_set0_txn(*pk, *txn))
        return 0;
    *txn = NULL;
    if (!P11CMP_CTX_set0_newPkey(ctx, 1, *pk))
        return 0;
    *pk = NULL;
    return 1;
}

int P11CMP_CTX_generate_newPkey(P11CMP_CTX *ctx, const char *token_uri,
                                const char *alg, const char *label)
{
    P11CMP_P11_TOKEN *tok = NULL;
    P11CMP_P11_TXN *txn = NULL;
    EVP_PKEY *pk = NULL;
    const unsigned char *id;
    size_t idlen = 0;
    int res = 0;

    CHECK_CTX(0);
    if ((tok = p11cmp_p11_token_open(token_uri, NULL, P11CMP_P11_RW))
        == NULL || (txn = p11cmp_p11_txn_new(tok)) == NULL)
        goto end;
    if (label == NULL)
        label = p11cmp_p11_uri_label(tok->uri);
    id = p11cmp_p11_uri_id(tok->uri, &idlen);
    if (!p11cmp_p11_txn_keygen(txn, alg, label, id, idlen, 0, &pk)
        || !set0_provisional(ctx, &pk, &txn))
        goto end;
    res = 1;
 end:
    EVP_PKEY_free(pk); /* a provisional key rolls its pair back */
    p11cmp_p11_txn_free(txn);
    p11cmp_p11_token_free(tok);
    return res;
}

void p11cmp_ctx_free_centralKey_tok(P11CMP_CTX *ctx)
{
    p11cmp_p11_token_free(ctx->centralKey_tok);
    ctx->centralKey_tok = NULL;
}

int P11CMP_CTX_set1_centralKey_uri(P11CMP_CTX *ctx, const char *uri)
{
    P11CMP_P11_TOKEN *tok = NULL;

    CHECK_CTX(0);
    if (uri != NULL && (tok = p11cmp_p11_token_open(uri, NULL,
                                                    P11CMP_P11_RW)) == NULL)
        return 0;
    p11cmp_ctx_free_centralKey_tok(ctx);
    ctx->centralKey_tok = tok;
    return 1;
}

int p11cmp_ctx_set0_central_key(P11CMP_CTX *ctx, EVP_PKEY *sw)
{
    P11CMP_P11_TOKEN *tok = ctx->centralKey_tok;
    P11CMP_P11_TXN *txn = NULL;
    EVP_PKEY *pk = NULL;
    const unsigned char *id;
    size_t idlen = 0;
    int res = 0;

    if (tok == NULL) {
        if (P11CMP_CTX_set0_newPkey(ctx, 1, sw))
            return 1;
        EVP_PKEY_free(sw);
        return 0;
    }
    if ((txn = p11cmp_p11_txn_new(tok)) == NULL)
        goto end;
    id = p11cmp_p11_uri_id(tok->uri, &idlen);
    if (!p11cmp_p11_txn_import(txn, sw, p11cmp_p11_uri_label(tok->uri), id,
                               idlen, &pk)
        || !set0_provisional(ctx, &pk, &txn))
        goto end;
    p11cmp_log_info(ctx, "put the centrally generated key on the token "
                    "(kept only if the enrollment succeeds)");
    res = 1;
 end:
    EVP_PKEY_free(sw); /* libcrypto clears its private values */
    EVP_PKEY_free(pk); /* a provisional key rolls its pair back */
    p11cmp_p11_txn_free(txn); /* rolls back what it holds */
    return res;
}
