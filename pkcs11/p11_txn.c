/*
 * pkcs11/p11_txn.c - token transactions: an undo list of what p11cmp
 * created or relabelled on a token, so that a failed enrollment or a
 * half-done store can be taken back exactly (newest first) and nothing is
 * left half-written. An object is recorded by handle and by what
 * identifies it, so that it is found again when the token was logged out
 * in between and its handle became invalid. Each change is also written
 * to the token's journal (p11_journal.c) before it is made, so that a
 * later process can undo or finish it if this one dies.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "p11_local.h"

#define UNDO_DESTROY 1
#define UNDO_RELABEL 2

typedef struct {
    int kind;
    CK_OBJECT_HANDLE h;
    CK_ATTRIBUTE ident[P11CMP_P11_MAX_IDENT]; /* what identifies the object */
    CK_ULONG nident;
    unsigned char *old_label;
    size_t old_len;
} UNDO;

struct p11cmp_p11_txn_st {
    P11CMP_P11_TOKEN *tok;
    pid_t pid;          /* only the creating process undoes */
    UNDO *undo;
    int n, cap;
    P11CMP_P11_JOURNAL *j;
    int unfinished;     /* committed, but its deletes are not all done */
    int undo_failed;    /* a rollback failed: the journal stays */
};

P11CMP_P11_TXN *p11cmp_p11_txn_new(P11CMP_P11_TOKEN *tok)
{
    P11CMP_P11_TXN *txn;

    if (tok == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (!tok->journal_settled && !p11cmp_p11_journal_recover(tok))
        return NULL;
    if ((txn = OPENSSL_zalloc(sizeof(*txn))) == NULL
        || (txn->j = p11cmp_p11_journal_new()) == NULL
        || !p11cmp_p11_token_up_ref(tok)) {
        if (txn != NULL)
            p11cmp_p11_journal_free(txn->j);
        OPENSSL_free(txn);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    txn->tok = tok;
    txn->pid = getpid();
    return txn;
}

int p11cmp_p11_txn_will_create(P11CMP_P11_TXN *txn, const CK_ATTRIBUTE *ident,
                               CK_ULONG n, int more)
{
    return p11cmp_p11_journal_plan(txn->j, "create", NULL, 0, ident, n)
        && (more || p11cmp_p11_journal_write(txn->tok, txn->j));
}

int p11cmp_p11_txn_delete_at_commit(P11CMP_P11_TXN *txn,
                                    const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    return p11cmp_p11_journal_plan(txn->j, "delete", NULL, 0, tmpl, n);
}

int p11cmp_p11_txn_unfinished(const P11CMP_P11_TXN *txn)
{
    return txn != NULL && txn->unfinished;
}

P11CMP_P11_TOKEN *p11cmp_p11_txn_token(P11CMP_P11_TXN *txn)
{
    return txn != NULL ? txn->tok : NULL;
}

int p11cmp_p11_txn_count(const P11CMP_P11_TXN *txn)
{
    return txn != NULL ? txn->n : 0;
}

static UNDO *undo_push(P11CMP_P11_TXN *txn)
{
    UNDO *u;

    if (txn->n == txn->cap) {
        int cap = txn->cap == 0 ? 8 : 2 * txn->cap;

        if ((u = OPENSSL_realloc(txn->undo, cap * sizeof(*u))) == NULL) {
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            return NULL;
        }
        txn->undo = u;
        txn->cap = cap;
    }
    u = &txn->undo[txn->n++];
    memset(u, 0, sizeof(*u));
    return u;
}

static void undo_clear(UNDO *u)
{
    CK_ULONG i;

    for (i = 0; i < u->nident; i++)
        OPENSSL_free(u->ident[i].pValue);
    u->nident = 0;
    OPENSSL_free(u->old_label);
    u->old_label = NULL;
}

/* Copies the value of src into a new buffer of dst; 1 on success. */
static int attr_copy(CK_ATTRIBUTE *dst, const CK_ATTRIBUTE *src)
{
    dst->type = src->type;
    dst->ulValueLen = src->ulValueLen;
    if ((dst->pValue = OPENSSL_zalloc(src->ulValueLen + 1)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    memcpy(dst->pValue, src->pValue, src->ulValueLen);
    return 1;
}

/*
 * Appends an entry of kind for object h, identified by ident (n
 * attributes, copied); all or nothing. The entry, or NULL.
 */
static UNDO *undo_add(P11CMP_P11_TXN *txn, int kind, CK_OBJECT_HANDLE h,
                      const CK_ATTRIBUTE *ident, CK_ULONG n)
{
    UNDO e, *u;

    memset(&e, 0, sizeof(e));
    e.kind = kind;
    e.h = h;
    for (; e.nident < n; e.nident++)
        if (!attr_copy(&e.ident[e.nident], &ident[e.nident]))
            goto err;
    if ((u = undo_push(txn)) == NULL)
        goto err;
    *u = e;
    return u;
 err:
    undo_clear(&e);
    return NULL;
}

int p11cmp_p11_txn_add_created(P11CMP_P11_TXN *txn, CK_OBJECT_HANDLE h,
                               const CK_ATTRIBUTE *ident, CK_ULONG n)
{
    if (txn == NULL || n > P11CMP_P11_MAX_IDENT) {
        p11cmp_raise(P11CMP_R_INTERNAL_ERROR);
        return 0;
    }
    return undo_add(txn, UNDO_DESTROY, h, ident, n) != NULL;
}

/* Replaces the value of u's identity attribute of a's type by a's. */
static int ident_update(UNDO *u, const CK_ATTRIBUTE *a)
{
    CK_ATTRIBUTE copy;
    CK_ULONG j;

    for (j = 0; j < u->nident; j++) {
        if (u->ident[j].type != a->type)
            continue;
        if (!attr_copy(&copy, a))
            return 0;
        OPENSSL_free(u->ident[j].pValue);
        u->ident[j] = copy;
    }
    return 1;
}

/*
 * Journals the identity that the created object of u will have once the
 * n attributes tmpl are set on it, before they are.
 */
static int journal_new_ident(P11CMP_P11_TXN *txn, const UNDO *u,
                             const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    CK_ATTRIBUTE id[P11CMP_P11_MAX_IDENT];
    CK_ULONG i, k;

    for (k = 0; k < u->nident; k++) {
        id[k] = u->ident[k];
        for (i = 0; i < n; i++)
            if (tmpl[i].type == id[k].type)
                id[k] = tmpl[i];
    }
    return p11cmp_p11_txn_will_create(txn, id, u->nident, 0);
}

int p11cmp_p11_txn_set_attrs(P11CMP_P11_TXN *txn, CK_OBJECT_HANDLE h,
                             CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    CK_ULONG i;
    int k;

    for (k = 0; k < txn->n; k++)
        if (txn->undo[k].kind == UNDO_DESTROY && txn->undo[k].h == h
            && !journal_new_ident(txn, &txn->undo[k], tmpl, n))
            return 0;
    if (!p11cmp_p11_set_attrs(txn->tok, h, tmpl, n))
        return 0;
    for (k = 0; k < txn->n; k++)
        for (i = 0; i < n; i++)
            if (txn->undo[k].kind == UNDO_DESTROY && txn->undo[k].h == h
                && !ident_update(&txn->undo[k], &tmpl[i]))
                return 0;
    return 1;
}

/*
 * Relabels object h (CKA_ID *id) and records the old label, and what
 * identifies h afterwards: class, CKA_ID, the new label and for a
 * certificate its DER.
 */
static int relabel_one(P11CMP_P11_TXN *txn, CK_OBJECT_HANDLE h,
                       const CK_ATTRIBUTE *id, const char *label)
{
    CK_ULONG cls = 0, n = 3;
    CK_ATTRIBUTE ident[4] = {{CKA_CLASS, &cls, sizeof(cls)}, *id,
                             {CKA_LABEL, (void *)label, strlen(label)},
                             {CKA_VALUE, NULL, 0}};
    unsigned char *old = NULL, *val = NULL;
    size_t oldlen = 0, vlen = 0;
    UNDO *u;
    int res = 0;

    if (!p11cmp_p11_get_attr(txn->tok, h, CKA_LABEL, &old, &oldlen)
        || !p11cmp_p11_get_ulong(txn->tok, h, CKA_CLASS, &cls)
        || (cls == CKO_CERTIFICATE
            && !p11cmp_p11_get_attr(txn->tok, h, CKA_VALUE, &val, &vlen)))
        goto end;
    if (val != NULL) {
        ident[n].pValue = val;
        ident[n++].ulValueLen = vlen;
    }
    if (!p11cmp_p11_journal_plan(txn->j, "relabel", old, oldlen, ident, n)
        || !p11cmp_p11_journal_write(txn->tok, txn->j)
        || (u = undo_add(txn, UNDO_RELABEL, h, ident, n)) == NULL)
        goto end;
    if (!p11cmp_p11_set_attrs(txn->tok, h, &ident[2], 1)) {
        undo_clear(&txn->undo[--txn->n]); /* nothing to undo */
        goto end;
    }
    u->old_label = old;
    u->old_len = oldlen;
    old = NULL;
    res = 1;
 end:
    OPENSSL_free(old);
    OPENSSL_free(val);
    return res;
}

int p11cmp_p11_txn_relabel(P11CMP_P11_TXN *txn, const unsigned char *id,
                           size_t idlen, const char *label)
{
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ATTRIBUTE a = {CKA_ID, (void *)id, idlen};
    CK_ULONG n = 0, i;

    if (txn == NULL || id == NULL || label == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (!p11cmp_p11_find(txn->tok, &a, 1, objs, P11CMP_P11_MAX_OBJECTS, &n))
        return 0;
    for (i = 0; i < n; i++)
        if (!relabel_one(txn, objs[i], &a, label))
            return 0;
    return 1;
}

/* Empties the undo list. */
static void forget(P11CMP_P11_TXN *txn)
{
    int i;

    for (i = 0; i < txn->n; i++)
        undo_clear(&txn->undo[i]);
    txn->n = 0;
}

int p11cmp_p11_txn_commit(P11CMP_P11_TXN *txn)
{
    int finished;

    if (txn == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (!p11cmp_p11_journal_commit(txn->tok, txn->j, &finished))
        return 0;
    txn->unfinished = !finished;
    forget(txn);
    return 1;
}

static int undo_apply(P11CMP_P11_TOKEN *tok, const UNDO *u)
{
    CK_ATTRIBUTE a = {CKA_LABEL, u->old_label, u->old_len};

    if (u->kind == UNDO_DESTROY)
        return p11cmp_p11_destroy(tok, u->h);
    return p11cmp_p11_set_attrs(tok, u->h, &a, 1);
}

/*
 * 1 if u's handle still names the object u recorded (same CKA_CLASS and
 * CKA_ID): after a module dropped its handles (the last session closed),
 * a handle may come back for another object.
 */
static int still_same(P11CMP_P11_TOKEN *tok, const UNDO *u)
{
    unsigned char *v = NULL;
    size_t len = 0;
    CK_ULONG k;
    int same = 1;

    for (k = 0; k < u->nident && same; k++) {
        if (u->ident[k].type != CKA_CLASS && u->ident[k].type != CKA_ID)
            continue;
        same = p11cmp_p11_get_attr(tok, u->h, u->ident[k].type, &v, &len)
            && len == u->ident[k].ulValueLen
            && memcmp(v, u->ident[k].pValue, len) == 0;
        OPENSSL_free(v);
        v = NULL;
    }
    return same;
}

/*
 * Undoes u (destroys or relabels back); if u's handle is no longer valid
 * (the token was logged out) or names another object now, on the one
 * object matching u's identity.
 */
static int undo_one(P11CMP_P11_TOKEN *tok, UNDO *u)
{
    int res, same;

    ERR_set_mark();
    same = still_same(tok, u);
    res = same && undo_apply(tok, u);
    if (!res && (!same || tok->last_rv == CKR_OBJECT_HANDLE_INVALID
                 || tok->last_rv == CKR_KEY_HANDLE_INVALID)
        && u->nident > 0 && p11cmp_p11_refind(tok, u->ident, u->nident,
                                              &u->h)) {
        (void)ERR_pop_to_mark();
        ERR_set_mark();
        res = undo_apply(tok, u);
    }
    (void)ERR_clear_last_mark();
    return res;
}

int p11cmp_p11_txn_rollback(P11CMP_P11_TXN *txn)
{
    int failed = 0;

    if (txn == NULL)
        return 1;
    while (txn->n > 0) {
        UNDO *u = &txn->undo[--txn->n];

        if (!undo_one(txn->tok, u))
            failed++;
        undo_clear(u);
    }
    if (failed > 0 || txn->undo_failed) {
        /* the journal stays: the next run tries again */
        txn->undo_failed = 1;
        if (failed == 0)
            return 0; /* raised by the rollback that failed */
        p11cmp_raise_data(P11CMP_R_ROLLBACK_FAILED,
                          "%d objects could not be restored; uri=%s",
                          failed, p11cmp_p11_token_uri(txn->tok));
        return 0;
    }
    ERR_set_mark();
    (void)p11cmp_p11_journal_discard(txn->tok, txn->j); /* else: next run */
    (void)ERR_pop_to_mark();
    return 1;
}

void p11cmp_p11_txn_free(P11CMP_P11_TXN *txn)
{
    if (txn == NULL)
        return;
    if (txn->pid == getpid())
        (void)p11cmp_p11_txn_rollback(txn);
    else
        forget(txn); /* a child never undoes, nor commits, its parent's */
    p11cmp_p11_journal_free(txn->j);
    p11cmp_p11_token_free(txn->tok);
    OPENSSL_free(txn->undo);
    OPENSSL_free(txn);
}
