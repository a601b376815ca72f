/*
 * tests/testca/der.c - reads by walking the DER encoding what libcrypto 3.0
 * has no getter for: the publicKey [6] and validity [4] fields of a CRMF
 * CertTemplate (RFC 4211), and the first certificate of a PKIMessage's
 * extraCerts [1] (RFC 4210), i.e. the request's protection certificate.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "testca.h"

/* One DER element: where it starts, its total length, its contents. */
typedef struct {
    const unsigned char *tlv;
    long tlvlen;
    const unsigned char *cont;
    long contlen;
    int tag;
    int cls;
} TLV;

/* Reads the element at *p (not beyond end) into t and advances *p past
 * it. Returns 1, or 0 at the end or on malformed/indefinite encoding. */
static int next_tlv(const unsigned char **p, const unsigned char *end, TLV *t)
{
    const unsigned char *q = *p;
    int ret;

    if (*p >= end)
        return 0;
    ret = ASN1_get_object(&q, &t->contlen, &t->tag, &t->cls, end - *p);
    if ((ret & 0x80) != 0 || ret == 0x21)
        return 0;
    t->tlv = *p;
    t->cont = q;
    t->tlvlen = (long)(q - *p) + t->contlen;
    *p = q + t->contlen;
    return 1;
}

/* Finds among the elements in [p, end) the first context-specific one
 * with tag number tag; returns 1 and fills t, or 0. */
static int find_ctx(const unsigned char *p, const unsigned char *end,
                    int tag, TLV *t)
{
    while (next_tlv(&p, end, t))
        if (t->cls == V_ASN1_CONTEXT_SPECIFIC && t->tag == tag)
            return 1;
    return 0;
}

/* Encodes tmpl; on success *der (caller frees) and the contents of its
 * outer SEQUENCE in *seq. */
static int tmpl_seq(OSSL_CRMF_CERTTEMPLATE *tmpl, unsigned char **der,
                    TLV *seq)
{
    const unsigned char *p;
    int len = i2d_OSSL_CRMF_CERTTEMPLATE(tmpl, der);

    if (len <= 0)
        return 0;
    p = *der;
    return next_tlv(&p, p + len, seq) && seq->tag == V_ASN1_SEQUENCE;
}

/* Returns the public key of the CertTemplate (caller frees) or NULL if the
 * template has none or it does not parse. [6] IMPLICIT replaces the
 * SEQUENCE tag of SubjectPublicKeyInfo, so restoring it gives plain DER. */
EVP_PKEY *der_tmpl_pubkey(OSSL_CRMF_CERTTEMPLATE *tmpl)
{
    unsigned char *der = NULL;
    unsigned char *spki = NULL;
    const unsigned char *q;
    EVP_PKEY *key = NULL;
    TLV seq, field;

    if (!tmpl_seq(tmpl, &der, &seq)
            || !find_ctx(seq.cont, seq.cont + seq.contlen, 6, &field))
        goto err;
    if ((spki = OPENSSL_memdup(field.tlv, field.tlvlen)) == NULL)
        goto err;
    spki[0] = V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED;
    q = spki;
    key = d2i_PUBKEY(NULL, &q, field.tlvlen);
 err:
    OPENSSL_free(spki);
    OPENSSL_free(der);
    return key;
}

/* Decodes the Time inside the EXPLICIT [tag] of OptionalValidity. */
static int opt_time(const TLV *validity, int tag, ASN1_TIME **out)
{
    TLV field;
    const unsigned char *q;

    if (!find_ctx(validity->cont, validity->cont + validity->contlen, tag,
                  &field))
        return 1; /* absent */
    q = field.cont;
    return (*out = d2i_ASN1_TIME(NULL, &q, field.contlen)) != NULL;
}

/* Gets the requested notBefore/notAfter (each NULL when absent; caller
 * frees). Returns 1, or 0 on a malformed template. */
int der_tmpl_validity(OSSL_CRMF_CERTTEMPLATE *tmpl, ASN1_TIME **nb,
                      ASN1_TIME **na)
{
    unsigned char *der = NULL;
    TLV seq, validity;
    int res = 0;

    *nb = *na = NULL;
    if (!tmpl_seq(tmpl, &der, &seq))
        goto err;
    if (!find_ctx(seq.cont, seq.cont + seq.contlen, 4, &validity)) {
        res = 1; /* no validity requested */
        goto err;
    }
    res = opt_time(&validity, 0, nb) && opt_time(&validity, 1, na);
 err:
    if (!res) {
        ASN1_TIME_free(*nb);
        ASN1_TIME_free(*na);
        *nb = *na = NULL;
    }
    OPENSSL_free(der);
    return res;
}

/* Returns the first certificate in msg's extraCerts (caller frees), or
 * NULL if there is none. PKIMessage is SEQUENCE { header, body,
 * [0] protection OPTIONAL, [1] EXPLICIT SEQUENCE OF cert OPTIONAL }. */
X509 *der_msg_first_extracert(const OSSL_CMP_MSG *msg)
{
    unsigned char *der = NULL;
    const unsigned char *p, *end, *q;
    X509 *cert = NULL;
    TLV t;
    int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)msg, &der);

    if (len <= 0)
        goto err;
    p = der;
    if (!next_tlv(&p, der + len, &t) || t.tag != V_ASN1_SEQUENCE)
        goto err;
    p = t.cont;
    end = t.cont + t.contlen;
    if (!next_tlv(&p, end, &t) || !next_tlv(&p, end, &t)) /* header, body */
        goto err;
    if (!find_ctx(p, end, 1, &t))
        goto err;
    p = t.cont;
    if (!next_tlv(&p, t.cont + t.contlen, &t) || t.tag != V_ASN1_SEQUENCE)
        goto err;
    p = t.cont;
    if (!next_tlv(&p, t.cont + t.contlen, &t))
        goto err;
    q = t.tlv;
    cert = d2i_X509(NULL, &q, t.tlvlen);
 err:
    OPENSSL_free(der);
    return cert;
}
