/*
 * src/store.c - the session layer: what a CMP transaction leaves on the
 * PKCS#11 token. After a confirmed enrollment the new certificate goes
 * next to its key (same CKA_ID and CKA_LABEL) and the chain and caPubs
 * are stored as authority certificates; a key pair generated for the
 * transaction is kept only then. A failed transaction takes that key pair
 * back; KUR retires the old pair at the commit of the new one (the
 * journal of pkcs11/p11_journal.c has a dead run's commit finished); RR can
 * remove the revoked certificate and its key. See the comments in
 * local.h under "from store.c".
 */
#include "config.h"

#include <string.h>

#include "local.h"
#include "../pkcs11/p11_local.h"

/* classes for p11cmp_p11_delete() */
#define KEY_CLASSES (1u << CKO_PUBLIC_KEY | 1u << CKO_PRIVATE_KEY)

/*
 * The token key certified by cert: ctx->newPkey, else ctx->pkey, if it is
 * token-backed and its public key is cert's. Borrowed, or NULL.
 */
static EVP_PKEY *cert_token_key(const P11CMP_CTX *ctx, X509 *cert)
{
    EVP_PKEY *cands[2];
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    int i;

    cands[0] = ctx->newPkey;
    cands[1] = ctx->pkey;
    for (i = 0; i < 2 && pub != NULL; i++)
        if (cands[i] != NULL && p11cmp_p11_pkey_is_token(cands[i])
            && EVP_PKEY_eq(cands[i], pub) == 1)
            return cands[i];
    return NULL;
}

/*
 * Makes sure tok has a read-write session (a loaded key's token has a
 * read-only one): renews it read-write with the PIN kept from login.
 */
static int token_writable(P11CMP_P11_TOKEN *tok)
{
    if ((tok->flags & P11CMP_P11_RW) != 0)
        return p11cmp_p11_token_ready(tok);
    tok->flags |= P11CMP_P11_RW | P11CMP_P11_LOGIN;
    if (p11cmp_p11_token_renew_session(tok))
        return 1;
    p11cmp_raise_data(P11CMP_R_STORE_FAILED,
                      "cannot open a read-write session; uri=%s",
                      p11cmp_p11_token_uri(tok));
    return 0;
}

/* Stores the authority certificates of certs except skip (may be NULL). */
static int store_ca_certs(P11CMP_P11_TXN *txn, STACK_OF(X509) *certs,
                          X509 *skip, int *n)
{
    int i, stored;

    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);

        if (skip != NULL && X509_cmp(c, skip) == 0)
            continue;
        if (!p11cmp_p11_txn_store_cert(txn, c, NULL, 0, NULL,
                                       P11CMP_P11_CAT_AUTHORITY, &stored))
            return 0;
        *n += stored;
    }
    return 1;
}

/* What KUR retires: the old certificate's objects and its key's CKA_ID. */
typedef struct {
    CK_OBJECT_HANDLE certs[P11CMP_P11_MAX_OBJECTS];
    CK_ULONG ncerts;
    unsigned char *id;  /* NULL: the old key is the new key (kept) */
    size_t idlen;
} OLD_PAIR;

/* 1 if a and b are handles on the same token (module and slot). */
static int same_token(const P11CMP_P11_TOKEN *a, const P11CMP_P11_TOKEN *b)
{
    return a != NULL && b != NULL && a->mod == b->mod && a->slot == b->slot;
}

/*
 * Fills old with what belongs to oldcert on tok: its certificate objects
 * and, unless that is newid, the CKA_ID of its key pair (from the
 * certificate object, else from ctx->pkey if that is oldcert's key).
 */
static int find_old_pair(const P11CMP_CTX *ctx, P11CMP_P11_TOKEN *tok,
                         X509 *oldcert, const unsigned char *newid,
                         size_t newidlen, OLD_PAIR *old)
{
    const unsigned char *kid = NULL;
    size_t kidlen = 0;

    memset(old, 0, sizeof(*old));
    if (!p11cmp_p11_cert_objects(tok, oldcert, old->certs,
                                 P11CMP_P11_MAX_OBJECTS, &old->ncerts))
        return 0;
    if (old->ncerts > 0) {
        if (!p11cmp_p11_get_attr(tok, old->certs[0], CKA_ID, &old->id,
                                 &old->idlen))
            return 0;
        if (old->idlen == newidlen && memcmp(old->id, newid, newidlen) == 0) {
            OPENSSL_free(old->id);
            old->id = NULL;
        }
        return 1;
    }
    if (ctx->pkey != NULL && same_token(p11cmp_p11_pkey_token(ctx->pkey),
                                        tok)
        && EVP_PKEY_eq(ctx->pkey, X509_get0_pubkey(oldcert)) == 1
        && p11cmp_p11_pkey_get_id(ctx->pkey, &kid, &kidlen, NULL)
        && (kidlen != newidlen || memcmp(kid, newid, kidlen) != 0)) {
        if ((old->id = OPENSSL_memdup(kid, kidlen)) == NULL) {
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            return 0;
        }
        old->idlen = kidlen;
    }
    return 1;
}

/* KUR with KEEP_OLD: relabels the old pair "LABEL-old-SERIAL" in txn. */
static int relabel_old(P11CMP_P11_TXN *txn, const OLD_PAIR *old,
                       const char *label, X509 *oldcert)
{
    char *serial = NULL, newlabel[160];
    BIGNUM *bn;
    int res;

    if (old->id == NULL)
        return 1; /* same key as the new cert: nothing to set apart */
    if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(oldcert), NULL))
        == NULL || (serial = BN_bn2hex(bn)) == NULL) {
        BN_free(bn);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    (void)snprintf(newlabel, sizeof(newlabel), "%s-old-%s",
                   label != NULL ? label : "key", serial);
    res = p11cmp_p11_txn_relabel(txn, old->id, old->idlen, newlabel);
    OPENSSL_free(serial);
    BN_free(bn);
    return res;
}

/*
 * KUR without KEEP_OLD: plans in txn that at its commit go, if the old key
 * is not the new one, every key and certificate object with the old
 * CKA_ID, and every certificate object of the old certificate.
 */
static int plan_retire(P11CMP_P11_TXN *txn, const OLD_PAIR *old,
                       X509 *oldcert)
{
    static const CK_OBJECT_CLASS classes[3] = {
        CKO_CERTIFICATE, CKO_PUBLIC_KEY, CKO_PRIVATE_KEY
    };
    CK_OBJECT_CLASS cert = CKO_CERTIFICATE;
    unsigned char *der = NULL;
    int len, i, res = 1;

    if (old->ncerts > 0) {
        CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cert, sizeof(cert)},
                             {CKA_VALUE, NULL, 0}};

        if ((len = i2d_X509(oldcert, &der)) <= 0) {
            p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
            return 0;
        }
        t[1].pValue = der;
        t[1].ulValueLen = (CK_ULONG)len;
        res = p11cmp_p11_txn_delete_at_commit(txn, t, 2);
        OPENSSL_free(der);
    }
    for (i = 0; res && old->id != NULL && i < 3; i++) {
        CK_ATTRIBUTE t[2] = {{CKA_CLASS, (void *)&classes[i],
                              sizeof(classes[i])},
                             {CKA_ID, old->id, old->idlen}};

        res = p11cmp_p11_txn_delete_at_commit(txn, t, 2);
    }
    return res;
}

/* The certificate KUR renews: oldCert, else the client cert. */
static X509 *kur_old_cert(const P11CMP_CTX *ctx)
{
    return ctx->oldCert != NULL ? ctx->oldCert : ctx->cert;
}

/*
 * Stores newCert, newChain and caPubs into txn next to key (CKA_ID id),
 * and for KUR relabels (KEEP_OLD) or finds (into old) the old pair.
 */
static int store_all(P11CMP_CTX *ctx, P11CMP_P11_TXN *txn, EVP_PKEY *key,
                     int req_type, OLD_PAIR *old)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    const unsigned char *id = NULL;
    const char *label = NULL;
    size_t idlen = 0;
    int n = 0, stored = 0;

    if (!p11cmp_p11_pkey_get_id(key, &id, &idlen, &label))
        return 0;
    if (req_type == P11CMP_KUR && kur_old_cert(ctx) != NULL
        && !find_old_pair(ctx, tok, kur_old_cert(ctx), id, idlen, old))
        return 0;
    if (!p11cmp_p11_txn_store_cert(txn, ctx->newCert, id, idlen, label,
                                   P11CMP_P11_CAT_USER, &stored)
        || !store_ca_certs(txn, ctx->newChain, ctx->newCert, &n)
        || !store_ca_certs(txn, ctx->caPubs, ctx->newCert, &n))
        return 0;
    if (req_type == P11CMP_KUR && kur_old_cert(ctx) != NULL
        && !(ctx->store_keep_old
             ? relabel_old(txn, old, label, kur_old_cert(ctx))
             : plan_retire(txn, old, kur_old_cert(ctx))))
        return 0;
    p11cmp_log_info(ctx, "stored %s certificate and %d CA certificate(s) "
                    "on the token; label \"%s\"",
                    stored ? "the new" : "(already present) the", n,
                    label != NULL ? label : "");
    return 1;
}

/* After a committed KUR: says whether the old pair is gone. */
static void retired(P11CMP_CTX *ctx, P11CMP_P11_TXN *txn,
                    const OLD_PAIR *old)
{
    if (old->ncerts == 0 && old->id == NULL)
        return;
    if (!p11cmp_p11_txn_unfinished(txn))
        p11cmp_log_info(ctx, "retired the old certificate%s",
                        old->id != NULL ? " and key pair" : "");
    else
        p11cmp_log_warn(ctx, "KUR succeeded, but the old certificate or key "
                        "could not all be deleted from %s yet; the next run "
                        "on the token finishes it",
                        p11cmp_p11_token_uri(p11cmp_p11_txn_token(txn)));
}

static int check_req_type(int req_type)
{
    if (req_type == P11CMP_IR || req_type == P11CMP_CR
        || req_type == P11CMP_P10CR || req_type == P11CMP_KUR)
        return 1;
    p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT, "req_type %d", req_type);
    return 0;
}

int p11cmp_store_commit(P11CMP_CTX *ctx, int req_type)
{
    P11CMP_P11_TXN *gen, *txn, *own = NULL;
    EVP_PKEY *key;
    OLD_PAIR old;
    int res = 0;

    memset(&old, 0, sizeof(old));
    if (ctx == NULL || ctx->newCert == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        goto err;
    }
    if (!check_req_type(req_type))
        goto err;
    gen = ctx->newPkey != NULL ? p11cmp_p11_pkey_txn(ctx->newPkey) : NULL;
    key = cert_token_key(ctx, ctx->newCert);
    if (!ctx->store_results || key == NULL) {
        if (ctx->store_results)
            p11cmp_log_debug(ctx, "new certificate is not for a token key:"
                             " nothing stored");
        return gen == NULL || p11cmp_p11_txn_commit(gen);
    }
    if ((txn = p11cmp_p11_pkey_txn(key)) == NULL) {
        if (!token_writable(p11cmp_p11_pkey_token(key))
            || (own = txn = p11cmp_p11_txn_new(p11cmp_p11_pkey_token(key)))
            == NULL)
            goto err;
    }
    if (!store_all(ctx, txn, key, req_type, &old)
        || !p11cmp_p11_txn_commit(txn))
        goto err;
    if (gen != NULL && gen != txn && !p11cmp_p11_txn_commit(gen))
        goto err;
    if (req_type == P11CMP_KUR && !ctx->store_keep_old)
        retired(ctx, txn, &old);
    res = 1;
 err:
    if (!res) {
        if (own != NULL)
            (void)p11cmp_p11_txn_rollback(own);
        p11cmp_store_abort(ctx);
        p11cmp_raise(P11CMP_R_STORE_FAILED);
    }
    p11cmp_p11_txn_free(own);
    OPENSSL_free(old.id);
    return res;
}

void p11cmp_store_abort(P11CMP_CTX *ctx)
{
    P11CMP_P11_TXN *txn;

    if (ctx == NULL || ctx->newPkey == NULL
        || (txn = p11cmp_p11_pkey_txn(ctx->newPkey)) == NULL)
        return;
    if (p11cmp_p11_txn_rollback(txn))
        p11cmp_log_info(ctx, "removed the key pair generated for the "
                        "failed transaction from the token");
    else
        p11cmp_log_err(ctx, "could not remove all of the key pair "
                       "generated for the failed transaction");
}

/* The token to remove a revoked certificate from: pkey's, else newPkey's */
static P11CMP_P11_TOKEN *revoked_token(const P11CMP_CTX *ctx)
{
    if (ctx->pkey != NULL && p11cmp_p11_pkey_is_token(ctx->pkey))
        return p11cmp_p11_pkey_token(ctx->pkey);
    if (ctx->newPkey != NULL && p11cmp_p11_pkey_is_token(ctx->newPkey))
        return p11cmp_p11_pkey_token(ctx->newPkey);
    return NULL;
}

int p11cmp_store_revoked(P11CMP_CTX *ctx)
{
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    P11CMP_P11_TOKEN *tok;
    CK_ULONG n = 0, i;
    unsigned char *id = NULL;
    size_t idlen = 0;
    int res = 1, keys = 0;

    CHECK_CTX(0);
    if (ctx->store_remove_revoked == 0 || ctx->oldCert == NULL
        || (tok = revoked_token(ctx)) == NULL)
        return 1;
    res = token_writable(tok)
        && p11cmp_p11_cert_objects(tok, ctx->oldCert, objs,
                                   P11CMP_P11_MAX_OBJECTS, &n);
    /* the certificate objects first, then the key objects */
    for (i = 0; i < n && res; i++) {
        if (ctx->store_remove_revoked == 2 && id == NULL
            && !p11cmp_p11_get_attr(tok, objs[i], CKA_ID, &id, &idlen))
            res = 0;
        if (res && !p11cmp_p11_destroy(tok, objs[i]))
            res = 0;
    }
    if (res && id != NULL)
        res = p11cmp_p11_delete(tok, id, idlen, NULL, KEY_CLASSES, &keys);
    OPENSSL_free(id);
    if (!res) {
        p11cmp_raise(P11CMP_R_STORE_FAILED);
        return 0;
    }
    p11cmp_log_info(ctx, "removed the revoked certificate (%lu object(s))"
                    " and %d key object(s) from the token",
                    (unsigned long)n, keys);
    return 1;
}
