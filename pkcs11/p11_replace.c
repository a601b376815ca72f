/*
 * pkcs11/p11_replace.c - what p11cmp -cmd genm keeps on a token: the CA
 * certificates (caCerts, a root CA update) or the CRL under one label,
 * replaced as a whole in a token transaction. What is new is created
 * (journaled before, undone on rollback); what is under the label and no
 * longer wanted is deleted at the commit (from the commit record, so a
 * run that dies after the commit has it done by the next one). A CRL is a
 * CKO_DATA object with CKA_APPLICATION "p11cmp crl", CKA_OBJECT_ID
 * id-at-certificateRevocationList (2.5.4.39) and CKA_VALUE its DER.
 */
#include "config.h"

#include <string.h>

#include "p11_local.h"

/* at most this many values to keep under one label */
#define MAX_KEEP P11CMP_P11_MAX_OBJECTS

static const char crl_app[] = "p11cmp crl";
/* DER of the OID 2.5.4.39 */
static const unsigned char crl_oid[] = {0x06, 0x03, 0x55, 0x04, 0x27};

/* the DER values that stay under a label */
typedef struct {
    unsigned char *der[MAX_KEEP];
    int len[MAX_KEEP];
    int n;
} KEEP;

static void keep_clear(KEEP *k)
{
    while (k->n > 0)
        OPENSSL_free(k->der[--k->n]);
}

/* Adds the DER len bytes at der (taken over; none is an error). */
static int keep_add(KEEP *k, unsigned char *der, int len)
{
    if (len <= 0 || der == NULL) {
        OPENSSL_free(der);
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        return 0;
    }
    if (k->n == MAX_KEEP) {
        OPENSSL_free(der);
        p11cmp_raise_data(P11CMP_R_TOO_MANY_CERTS, "more than %d objects "
                          "under one label", MAX_KEEP);
        return 0;
    }
    k->der[k->n] = der;
    k->len[k->n++] = len;
    return 1;
}

static int keep_cert(KEEP *k, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);

    return keep_add(k, der, len);
}

static int keep_crl(KEEP *k, X509_CRL *crl)
{
    unsigned char *der = NULL;
    int len = i2d_X509_CRL(crl, &der);

    return keep_add(k, der, len);
}

static int kept(const KEEP *k, const unsigned char *v, size_t len)
{
    int i;

    for (i = 0; i < k->n; i++)
        if ((size_t)k->len[i] == len && memcmp(k->der[i], v, len) == 0)
            return 1;
    return 0;
}

/* 1 if certificate object h is of category user (one's own, by a key) */
static int is_user_cert(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    CK_ULONG cat = 0;

    ERR_set_mark();
    if (!p11cmp_p11_get_ulong(tok, h, CKA_CERTIFICATE_CATEGORY, &cat))
        cat = P11CMP_P11_CAT_UNSPECIFIED; /* a v2.11 module has none */
    ERR_pop_to_mark();
    return cat == P11CMP_P11_CAT_USER;
}

/*
 * Plans for txn's commit the deletion of every object matching tmpl (n
 * attributes, at most 3) whose CKA_VALUE is not in k, except certificates
 * of category user; their number into *count.
 */
static int retire_others(P11CMP_P11_TXN *txn, const CK_ATTRIBUTE *tmpl,
                         CK_ULONG n, const KEEP *k, int *count)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ATTRIBUTE t[4];
    CK_ULONG found = 0, i;
    unsigned char *v = NULL;
    size_t vlen = 0;
    int res = 1;

    *count = 0;
    memcpy(t, tmpl, n * sizeof(*t));
    if (!p11cmp_p11_find(tok, t, n, objs, P11CMP_P11_MAX_OBJECTS, &found))
        return 0;
    for (i = 0; i < found && res; i++) {
        if (*(CK_OBJECT_CLASS *)t[0].pValue == CKO_CERTIFICATE
            && is_user_cert(tok, objs[i]))
            continue;
        if (!p11cmp_p11_get_attr(tok, objs[i], CKA_VALUE, &v, &vlen))
            return 0;
        if (!kept(k, v, vlen)) {
            t[n].type = CKA_VALUE;
            t[n].pValue = v;
            t[n].ulValueLen = vlen;
            res = p11cmp_p11_txn_delete_at_commit(txn, t, n + 1);
            ++*count;
        }
        OPENSSL_free(v);
    }
    return res;
}

/*
 * The label of uri, which must name txn's token, an object of class cls
 * (or no type=) and, with single, no id= unless n is at most 1. get0, or
 * NULL with P11CMP_R_INVALID_URI.
 */
static const char *out_label(P11CMP_P11_TXN *txn, const P11CMP_P11_URI *uri,
                             CK_ULONG cls, int n)
{
    const char *label = p11cmp_p11_uri_label(uri), *why = NULL;
    size_t idlen = 0;
    int is;

    if (label == NULL)
        why = "object= is needed to store under a label";
    else if (p11cmp_p11_uri_class(uri) != (CK_ULONG)-1
             && p11cmp_p11_uri_class(uri) != cls)
        why = cls == CKO_DATA ? "a CRL is stored as type=data"
            : "certificates are stored as type=cert";
    else if (p11cmp_p11_uri_id(uri, &idlen) != NULL && n > 1)
        why = "id= names one certificate, but there are several";
    else if ((is = p11cmp_p11_token_is(p11cmp_p11_txn_token(txn), uri)) < 0)
        return NULL;
    else if (is == 0)
        why = "another token than the others of the transaction";
    if (why == NULL)
        return label;
    p11cmp_raise_data(P11CMP_R_INVALID_URI, "%s; uri=%s", why,
                      p11cmp_p11_uri_text(uri));
    return NULL;
}

int p11cmp_p11_txn_put_ca_certs(P11CMP_P11_TXN *txn,
                                const P11CMP_P11_URI *uri,
                                STACK_OF(X509) *certs, X509 *keep,
                                int *added, int *removed)
{
    static CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    const unsigned char *id;
    const char *label;
    size_t idlen = 0;
    KEEP k;
    int i, stored, res = 0;

    memset(&k, 0, sizeof(k));
    *added = *removed = 0;
    if ((label = out_label(txn, uri, CKO_CERTIFICATE,
                           sk_X509_num(certs))) == NULL)
        return 0;
    id = p11cmp_p11_uri_id(uri, &idlen);
    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);

        if (!p11cmp_p11_txn_put_cert(txn, c, id, idlen, label,
                                     P11CMP_P11_CAT_AUTHORITY, &stored)
            || !keep_cert(&k, c))
            goto end;
        *added += stored;
    }
    if (keep != NULL && !keep_cert(&k, keep))
        goto end;
    {
        CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
                             {CKA_LABEL, (void *)label, strlen(label)}};

        res = retire_others(txn, t, 2, &k, removed);
    }
 end:
    keep_clear(&k);
    return res;
}

/* Creates the CRL object der (len bytes) under label in txn. */
static int create_crl(P11CMP_P11_TXN *txn, const char *label,
                      unsigned char *der, int len)
{
    static CK_OBJECT_CLASS cls = CKO_DATA;
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_APPLICATION, (void *)crl_app, sizeof(crl_app) - 1},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_VALUE, der, (CK_ULONG)len},
        {CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &no, 1},
        {CKA_OBJECT_ID, (void *)crl_oid, sizeof(crl_oid)}
    };
    CK_OBJECT_HANDLE h;

    /* what identifies it: the first four */
    if (!p11cmp_p11_txn_will_create(txn, t, 4, 0)
        || !p11cmp_p11_create(tok, t, sizeof(t) / sizeof(t[0]), &h))
        return 0;
    if (!p11cmp_p11_txn_add_created(txn, h, t, 4)) {
        (void)p11cmp_p11_destroy(tok, h);
        return 0;
    }
    return 1;
}

X509_CRL *p11cmp_p11_crl_load(const char *uri, const char *pin_source)
{
    static CK_OBJECT_CLASS cls = CKO_DATA;
    P11CMP_P11_TOKEN *tok;
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n = 0;
    const char *label;
    unsigned char *der = NULL;
    const unsigned char *p;
    size_t len = 0;
    X509_CRL *crl = NULL;

    /* a CRL is a public object: log in only when a PIN is given */
    if ((tok = p11cmp_p11_token_open(uri, pin_source,
                                     P11CMP_P11_LOGIN_IF_PIN)) == NULL)
        return NULL;
    if ((label = p11cmp_p11_uri_label(tok->uri)) == NULL) {
        p11cmp_raise_data(P11CMP_R_INVALID_URI, "object= names the CRL; "
                          "uri=%s", p11cmp_p11_token_uri(tok));
        goto end;
    }
    {
        CK_ATTRIBUTE t[3] = {
            {CKA_CLASS, &cls, sizeof(cls)},
            {CKA_APPLICATION, (void *)crl_app, sizeof(crl_app) - 1},
            {CKA_LABEL, (void *)label, strlen(label)}
        };

        if (!p11cmp_p11_find(tok, t, 3, h, 2, &n))
            goto end;
    }
    if (n != 1) {
        p11cmp_raise_data(P11CMP_R_CRL_NOT_FOUND, "%s CRL objects under "
                          "the label; uri=%s", n == 0 ? "no" : "several",
                          p11cmp_p11_token_uri(tok));
        goto end;
    }
    if (!p11cmp_p11_get_attr(tok, h[0], CKA_VALUE, &der, &len))
        goto end;
    p = der;
    if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL)
        p11cmp_raise_data(P11CMP_R_ASN1_DECODE_ERROR, "CRL object; uri=%s",
                          p11cmp_p11_token_uri(tok));
 end:
    OPENSSL_free(der);
    p11cmp_p11_token_free(tok);
    return crl;
}

int p11cmp_p11_txn_put_crl(P11CMP_P11_TXN *txn, const P11CMP_P11_URI *uri,
                           X509_CRL *crl, X509_CRL *keep, int *added,
                           int *removed)
{
    static CK_OBJECT_CLASS cls = CKO_DATA;
    CK_OBJECT_HANDLE h;
    CK_ULONG n = 0;
    const char *label;
    KEEP k;
    int res = 0;

    memset(&k, 0, sizeof(k));
    *added = *removed = 0;
    if ((label = out_label(txn, uri, CKO_DATA, 1)) == NULL)
        return 0;
    {
        CK_ATTRIBUTE t[4] = {
            {CKA_CLASS, &cls, sizeof(cls)},
            {CKA_APPLICATION, (void *)crl_app, sizeof(crl_app) - 1},
            {CKA_LABEL, (void *)label, strlen(label)},
            {CKA_VALUE, NULL, 0}
        };

        if (crl != NULL) {
            if (!keep_crl(&k, crl))
                goto end;
            t[3].pValue = k.der[0];
            t[3].ulValueLen = (CK_ULONG)k.len[0];
            if (!p11cmp_p11_find(p11cmp_p11_txn_token(txn), t, 4, &h, 1, &n)
                || (n == 0 && !create_crl(txn, label, k.der[0], k.len[0])))
                goto end;
            *added = n == 0;
        }
        if (keep != NULL && !keep_crl(&k, keep))
            goto end;
        res = retire_others(txn, t, 3, &k, removed);
    }
 end:
    keep_clear(&k);
    return res;
}
