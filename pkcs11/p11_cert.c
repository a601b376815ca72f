/*
 * pkcs11/p11_cert.c - certificate objects: storing an X509 as
 * CKO_CERTIFICATE/CKC_X_509 next to its key (same CKA_ID and CKA_LABEL),
 * skipping one that is already there, finding the objects that hold a
 * given certificate, and reading the one certificate a URI names.
 */
#include "config.h"

#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "p11_local.h"

X509 *p11cmp_p11_cert_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    size_t len = 0;
    X509 *cert = NULL;

    if (!p11cmp_p11_get_attr(tok, h, CKA_VALUE, &der, &len))
        return NULL;
    p = der;
    if ((cert = d2i_X509(NULL, &p, len)) == NULL)
        p11cmp_raise_data(P11CMP_R_ASN1_DECODE_ERROR,
                          "certificate object; uri=%s",
                          p11cmp_p11_token_uri(tok));
    OPENSSL_free(der);
    return cert;
}

X509 *p11cmp_p11_cert_find(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri)
{
    static const struct p11cmp_p11_kind kind = {
        CKO_CERTIFICATE, "cert", "certificates", P11CMP_R_CERT_NOT_FOUND,
        P11CMP_R_AMBIGUOUS_CERT
    };
    CK_OBJECT_HANDLE obj;

    if (!p11cmp_p11_find_one(tok, uri, &kind, &obj))
        return NULL;
    return p11cmp_p11_cert_read(tok, obj);
}

X509 *p11cmp_p11_cert_load(const char *uri, const char *pin_source)
{
    P11CMP_P11_TOKEN *tok;
    X509 *cert = NULL;

    /* certificates are public objects: log in only when a PIN is given */
    if ((tok = p11cmp_p11_token_open(uri, pin_source,
                                     P11CMP_P11_LOGIN_IF_PIN)) != NULL)
        cert = p11cmp_p11_cert_find(tok, tok->uri);
    p11cmp_p11_token_free(tok);
    return cert;
}

int p11cmp_p11_cert_objects(P11CMP_P11_TOKEN *tok, X509 *cert,
                            CK_OBJECT_HANDLE *objs, CK_ULONG max,
                            CK_ULONG *n)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der), res;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_VALUE, der, len > 0 ? (CK_ULONG)len : 0}};

    *n = 0;
    if (len <= 0) {
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        return 0;
    }
    res = p11cmp_p11_find(tok, t, 2, objs, max, n);
    OPENSSL_free(der);
    return res;
}

/*
 * Default CKA_ID: the certificate's subject key identifier if it has one
 * of 1 to 20 bytes, else the SHA-1 of its public key bits (what the key
 * identifier usually is). Certificates of one key share it; those of
 * different keys differ. Its length into *len.
 */
static int default_id(X509 *cert, unsigned char md[SHA_DIGEST_LENGTH],
                      size_t *len)
{
    const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert);
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

    if (skid != NULL && skid->length > 0
        && skid->length <= SHA_DIGEST_LENGTH) {
        memcpy(md, skid->data, (size_t)skid->length);
        *len = (size_t)skid->length;
        return 1;
    }
    *len = SHA_DIGEST_LENGTH;
    return bits != NULL && SHA1(bits->data, bits->length, md) != NULL;
}

/* Default CKA_LABEL: the subject's last CN, or "certificate". */
static int default_label(X509 *cert, char *buf, size_t size)
{
    X509_NAME *nm = X509_get_subject_name(cert);

    if (X509_NAME_get_text_by_NID(nm, NID_commonName, buf, (int)size) <= 0)
        strcpy(buf, "certificate");
    return 1;
}

#define DER(f, obj, out) ((out) = NULL, f((obj), &(out)))

/*
 * 1 if cert is on tok already: as any certificate object, or with
 * under_label only as one labelled label; 0 if not, -1 on error.
 */
static int present(P11CMP_P11_TOKEN *tok, X509 *cert, int under_label,
                   const char *label)
{
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    unsigned char *l = NULL;
    size_t len = 0;
    CK_ULONG n = 0, i;
    int found = 0;

    if (!p11cmp_p11_cert_objects(tok, cert, objs, P11CMP_P11_MAX_OBJECTS,
                                 &n))
        return -1;
    if (!under_label)
        return n > 0;
    for (i = 0; i < n && !found; i++) {
        if (!p11cmp_p11_get_attr(tok, objs[i], CKA_LABEL, &l, &len))
            return -1;
        found = len == strlen(label) && memcmp(l, label, len) == 0;
        OPENSSL_free(l);
    }
    return found;
}

/*
 * Stores cert (see p11cmp_p11_txn_store_cert()) unless present() says it
 * is there already.
 */
static int store_cert(P11CMP_P11_TXN *txn, X509 *cert,
                      const unsigned char *id, size_t idlen,
                      const char *label, int category, int under_label,
                      int *stored)
{
    static CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    static CK_CERTIFICATE_TYPE ctype = CKC_X_509;
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    unsigned char *val, *subj, *iss, *ser, md[SHA_DIGEST_LENGTH];
    char lbuf[128];
    int vlen, slen, ilen, rlen, res = 0;
    CK_ULONG cat = (CK_ULONG)category;
    CK_OBJECT_HANDLE h;
    int there;

    if (stored != NULL)
        *stored = 0;
    if (tok == NULL || cert == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    vlen = DER(i2d_X509, cert, val);
    slen = DER(i2d_X509_NAME, X509_get_subject_name(cert), subj);
    ilen = DER(i2d_X509_NAME, X509_get_issuer_name(cert), iss);
    rlen = DER(i2d_ASN1_INTEGER, X509_get0_serialNumber(cert), ser);
    if (vlen <= 0 || slen <= 0 || ilen <= 0 || rlen <= 0) {
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        goto end;
    }
    if (id == NULL && default_id(cert, md, &idlen))
        id = md;
    if (label == NULL && default_label(cert, lbuf, sizeof(lbuf)))
        label = lbuf;
    if ((there = present(tok, cert, under_label, label)) < 0)
        goto end;
    if (!there) {
        CK_ATTRIBUTE t[] = {
            {CKA_CLASS, &cls, sizeof(cls)},
            {CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype)},
            {CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &no, 1},
            {CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat)},
            {CKA_ID, (void *)id, idlen},
            {CKA_LABEL, (void *)label, strlen(label)},
            {CKA_SUBJECT, subj, slen}, {CKA_ISSUER, iss, ilen},
            {CKA_SERIAL_NUMBER, ser, rlen}, {CKA_VALUE, val, vlen}
        };

        /* what identifies it: class, CKA_ID, CKA_LABEL, CKA_VALUE */
        CK_ATTRIBUTE ident[] = {t[0], t[5], t[6], t[10]};

        if (!p11cmp_p11_txn_will_create(txn, ident, 4, 0)
            || !p11cmp_p11_create(tok, t, sizeof(t) / sizeof(t[0]), &h))
            goto end;
        if (!p11cmp_p11_txn_add_created(txn, h, ident, 4)) {
            (void)p11cmp_p11_destroy(tok, h);
            goto end;
        }
        if (stored != NULL)
            *stored = 1;
    }
    res = 1;
 end:
    OPENSSL_free(val);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    OPENSSL_free(ser);
    return res;
}

int p11cmp_p11_txn_store_cert(P11CMP_P11_TXN *txn, X509 *cert,
                              const unsigned char *id, size_t idlen,
                              const char *label, int category, int *stored)
{
    return store_cert(txn, cert, id, idlen, label, category, 0, stored);
}

int p11cmp_p11_txn_put_cert(P11CMP_P11_TXN *txn, X509 *cert,
                            const unsigned char *id, size_t idlen,
                            const char *label, int category, int *stored)
{
    if (label == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    return store_cert(txn, cert, id, idlen, label, category, 1, stored);
}
