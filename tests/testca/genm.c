/*
 * tests/testca/genm.c - the genp values of RFC 9810 5.3.19 that the test
 * CA serves (caCerts, rootCaKeyUpdate, crls, certReqTemplate), built with
 * libcrypto only, so that the test CA and the unit tests have a peer that
 * is not p11cmp: with OpenSSL >= 3.4 by OpenSSL's own OSSL_CMP_ITAV_new_*
 * functions; with older ones (3.0 knows none of these types) as DER made
 * here from the ASN.1 of RFC 9810 appendix F and sent as it is. Also the
 * DER of the genm values a client should send, to compare with.
 */
#include <string.h>
#include <openssl/x509v3.h>

#include "testca.h"

/* appends n bytes; sets d->err if they do not fit */
static void gder_add(GDER *d, const unsigned char *p, int n)
{
    if (n <= 0 || d->n + n > (int)sizeof(d->buf)) {
        d->err = 1;
        return;
    }
    memcpy(d->buf + d->n, p, n);
    d->n += n;
}

#define GDER_ADD(d, i2d, x)                         \
    do {                                            \
        unsigned char *p_ = NULL;                   \
        int n_ = i2d(x, &p_);                       \
        gder_add(d, p_, n_);                        \
        OPENSSL_free(p_);                           \
    } while (0)

void gder_wrap(GDER *d, int tag, int cls)
{
    unsigned char hdr[8], *p = hdr;
    int hl = ASN1_object_size(1, d->n, tag) - d->n;

    if (d->err || hl > (int)sizeof(hdr) || d->n + hl > (int)sizeof(d->buf)) {
        d->err = 1;
        return;
    }
    ASN1_put_object(&p, 1, d->n, tag, cls);
    memmove(d->buf + hl, d->buf, d->n);
    memcpy(d->buf, hdr, hl);
    d->n += hl;
}

static void gder_seq(GDER *d)
{
    gder_wrap(d, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
}

int gder_certs(GDER *d, const STACK_OF(X509) *certs)
{
    int i;

    memset(d, 0, sizeof(*d));
    for (i = 0; i < sk_X509_num(certs); i++)
        GDER_ADD(d, i2d_X509, sk_X509_value(certs, i));
    gder_seq(d);
    return !d->err;
}

int gder_root_update(GDER *d, X509 *nwn, X509 *nwo, X509 *own)
{
    X509 *opt[2] = { nwo, own };
    GDER t;
    int i;

    memset(d, 0, sizeof(*d));
    GDER_ADD(d, i2d_X509, nwn);
    for (i = 0; i < 2; i++) {
        if (opt[i] == NULL)
            continue;
        memset(&t, 0, sizeof(t));
        GDER_ADD(&t, i2d_X509, opt[i]);
        gder_wrap(&t, i, V_ASN1_CONTEXT_SPECIFIC);
        gder_add(d, t.buf, t.n);
        d->err |= t.err;
    }
    gder_seq(d);
    return !d->err;
}

int gder_crls(GDER *d, X509_CRL *crl)
{
    memset(d, 0, sizeof(*d));
    GDER_ADD(d, i2d_X509_CRL, crl);
    gder_seq(d);
    return !d->err;
}

int gder_crl_status(GDER *d, const GENERAL_NAMES *issuer,
                    const ASN1_TIME *thisUpdate)
{
    GDER t;

    memset(d, 0, sizeof(*d));
    memset(&t, 0, sizeof(t));
    GDER_ADD(&t, i2d_GENERAL_NAMES, issuer);
    gder_wrap(&t, 1, V_ASN1_CONTEXT_SPECIFIC);
    gder_add(d, t.buf, t.n);
    d->err |= t.err;
    if (thisUpdate != NULL)
        GDER_ADD(d, i2d_ASN1_TIME, thisUpdate);
    gder_seq(d);
    gder_seq(d);
    return !d->err;
}

/* appends SEQUENCE { OID oid, value DER } */
static void gder_atav(GDER *d, const char *oid, const GDER *val)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    GDER t;

    memset(&t, 0, sizeof(t));
    GDER_ADD(&t, i2d_ASN1_OBJECT, obj);
    gder_add(&t, val->buf, val->n);
    gder_seq(&t);
    gder_add(d, t.buf, t.n);
    d->err |= t.err | val->err;
    ASN1_OBJECT_free(obj);
}

X509_ALGOR *genm_ec_alg(void)
{
    X509_ALGOR *alg = X509_ALGOR_new();

    if (alg != NULL
            && X509_ALGOR_set0(alg, OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                               V_ASN1_OBJECT,
                               OBJ_nid2obj(NID_X9_62_prime256v1)))
        return alg;
    X509_ALGOR_free(alg);
    return NULL;
}

OSSL_CRMF_CERTTEMPLATE *genm_template(const char *cn)
{
    OSSL_CRMF_CERTTEMPLATE *tmpl = OSSL_CRMF_CERTTEMPLATE_new();
    X509_NAME *name = X509_NAME_new();
    int ok = tmpl != NULL && name != NULL
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (const unsigned char *)cn, -1, -1, 0)
        && OSSL_CRMF_CERTTEMPLATE_fill(tmpl, NULL, name, NULL, NULL);

    X509_NAME_free(name);
    if (ok)
        return tmpl;
    OSSL_CRMF_CERTTEMPLATE_free(tmpl);
    return NULL;
}

int gder_template(GDER *d, const char *cn)
{
    OSSL_CRMF_CERTTEMPLATE *tmpl = genm_template(cn);
    X509_ALGOR *alg = genm_ec_alg();
    ASN1_INTEGER *len = ASN1_INTEGER_new();
    GDER val, ks;

    memset(d, 0, sizeof(*d));
    memset(&ks, 0, sizeof(ks));
    memset(&val, 0, sizeof(val));
    if (tmpl == NULL || alg == NULL || len == NULL
            || !ASN1_INTEGER_set(len, GENM_RSA_KEYLEN))
        d->err = 1;
    else {
        GDER_ADD(d, i2d_OSSL_CRMF_CERTTEMPLATE, tmpl);
        GDER_ADD(&val, i2d_X509_ALGOR, alg);
        gder_atav(&ks, GENM_OID_ALGID, &val);
        memset(&val, 0, sizeof(val));
        GDER_ADD(&val, i2d_ASN1_INTEGER, len);
        gder_atav(&ks, GENM_OID_RSAKEYLEN, &val);
        gder_seq(&ks);
        gder_add(d, ks.buf, ks.n);
        d->err |= ks.err;
        gder_seq(d);
    }
    OSSL_CRMF_CERTTEMPLATE_free(tmpl);
    X509_ALGOR_free(alg);
    ASN1_INTEGER_free(len);
    return !d->err;
}

int genm_type_is(const OSSL_CMP_ITAV *itav, const char *oid)
{
    char buf[64];

    return itav != NULL
        && OBJ_obj2txt(buf, sizeof(buf), OSSL_CMP_ITAV_get0_type(itav), 1) > 0
        && strcmp(buf, oid) == 0;
}

#if !GENM_OSSL_HAS_TYPES
/* an ITAV of oid with value DER d (NULL: without value) */
static OSSL_CMP_ITAV *itav_der(const char *oid, const GDER *d)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_TYPE *val = NULL;
    ASN1_STRING *seq = NULL;
    OSSL_CMP_ITAV *itav = NULL;

    if (obj == NULL || (d != NULL && d->err))
        goto err;
    if (d != NULL) {
        if ((val = ASN1_TYPE_new()) == NULL
                || (seq = ASN1_STRING_new()) == NULL
                || !ASN1_STRING_set(seq, d->buf, d->n))
            goto err;
        ASN1_TYPE_set(val, V_ASN1_SEQUENCE, seq);
        seq = NULL;
    }
    if ((itav = OSSL_CMP_ITAV_create(obj, val)) != NULL)
        return itav;
 err:
    ASN1_STRING_free(seq);
    ASN1_TYPE_free(val);
    ASN1_OBJECT_free(obj);
    return NULL;
}
#endif

OSSL_CMP_ITAV *genm_itav_cacerts(const STACK_OF(X509) *certs)
{
#if GENM_OSSL_HAS_TYPES
    return OSSL_CMP_ITAV_new_caCerts(certs);
#else
    GDER d;

    if (sk_X509_num(certs) <= 0)
        return itav_der(GENM_OID_CACERTS, NULL);
    (void)gder_certs(&d, certs);
    return itav_der(GENM_OID_CACERTS, &d);
#endif
}

OSSL_CMP_ITAV *genm_itav_root_update(X509 *nwn, X509 *nwo, X509 *own)
{
#if GENM_OSSL_HAS_TYPES
    return OSSL_CMP_ITAV_new_rootCaKeyUpdate(nwn, nwo, own);
#else
    GDER d;

    if (nwn == NULL)
        return itav_der(GENM_OID_ROOTCAKEYUPDATE, NULL);
    (void)gder_root_update(&d, nwn, nwo, own);
    return itav_der(GENM_OID_ROOTCAKEYUPDATE, &d);
#endif
}

OSSL_CMP_ITAV *genm_itav_crls(X509_CRL *crl)
{
#if GENM_OSSL_HAS_TYPES
    return OSSL_CMP_ITAV_new_crls(crl);
#else
    GDER d;

    if (crl == NULL)
        return itav_der(GENM_OID_CRLS, NULL);
    (void)gder_crls(&d, crl);
    return itav_der(GENM_OID_CRLS, &d);
#endif
}

OSSL_CMP_ITAV *genm_itav_template(const char *cn)
{
#if GENM_OSSL_HAS_TYPES
    OSSL_CMP_ATAVS *ks = NULL;
    OSSL_CMP_ATAV *a = NULL;
    X509_ALGOR *alg;
    OSSL_CRMF_CERTTEMPLATE *tmpl;
    OSSL_CMP_ITAV *itav = NULL;
    int ok;

    if (cn == NULL)
        return OSSL_CMP_ITAV_new0_certReqTemplate(NULL, NULL);
    alg = genm_ec_alg();
    ok = alg != NULL && (a = OSSL_CMP_ATAV_new_algId(alg)) != NULL
        && OSSL_CMP_ATAV_push1(&ks, a);
    OSSL_CMP_ATAV_free(a);
    a = NULL;
    ok = ok && (a = OSSL_CMP_ATAV_new_rsaKeyLen(GENM_RSA_KEYLEN)) != NULL
        && OSSL_CMP_ATAV_push1(&ks, a);
    OSSL_CMP_ATAV_free(a);
    X509_ALGOR_free(alg);
    if (ok && (tmpl = genm_template(cn)) != NULL
            && (itav = OSSL_CMP_ITAV_new0_certReqTemplate(tmpl, ks)) == NULL)
        OSSL_CRMF_CERTTEMPLATE_free(tmpl);
    if (itav == NULL)
        sk_OSSL_CMP_ATAV_pop_free(ks, OSSL_CMP_ATAV_free);
    return itav;
#else
    GDER d;

    if (cn == NULL)
        return itav_der(GENM_OID_CERTREQTEMPLATE, NULL);
    (void)gder_template(&d, cn);
    return itav_der(GENM_OID_CERTREQTEMPLATE, &d);
#endif
}

/*
 * The DER of the value of a genm ITAV as the server understood it: with
 * OpenSSL >= 3.4 re-encoded from what OpenSSL's getters give (rootCaCert,
 * crlStatusList of one status; caCerts and certReqTemplate must have no
 * value), else the value as received. d->n is 0 for no value. 1, or 0 if
 * the ITAV is not as a client should send it.
 */
int genm_value_der(const OSSL_CMP_ITAV *itav, GDER *d)
{
#if GENM_OSSL_HAS_TYPES
    X509 *cert = NULL;
    STACK_OF(OSSL_CMP_CRLSTATUS) *list = NULL;
    STACK_OF(X509) *certs = NULL;
    OSSL_CRMF_CERTTEMPLATE *tmpl = NULL;
    DIST_POINT_NAME *dpn;
    GENERAL_NAMES *issuer;
    ASN1_TIME *upd;

    memset(d, 0, sizeof(*d));
    if (genm_type_is(itav, GENM_OID_ROOTCACERT)) {
        if (!OSSL_CMP_ITAV_get0_rootCaCert(itav, &cert))
            return 0;
        if (cert != NULL)
            GDER_ADD(d, i2d_X509, cert);
        return !d->err;
    }
    if (genm_type_is(itav, GENM_OID_CRLSTATUSLIST))
        return OSSL_CMP_ITAV_get0_crlStatusList(itav, &list)
            && sk_OSSL_CMP_CRLSTATUS_num(list) == 1
            && OSSL_CMP_CRLSTATUS_get0(sk_OSSL_CMP_CRLSTATUS_value(list, 0),
                                       &dpn, &issuer, &upd)
            && dpn == NULL && gder_crl_status(d, issuer, upd);
    if (genm_type_is(itav, GENM_OID_CACERTS))
        return OSSL_CMP_ITAV_get0_caCerts(itav, &certs) && certs == NULL;
    if (genm_type_is(itav, GENM_OID_CERTREQTEMPLATE)) {
        if (!OSSL_CMP_ITAV_get1_certReqTemplate(itav, &tmpl, NULL))
            return 0;
        OSSL_CRMF_CERTTEMPLATE_free(tmpl);
        return tmpl == NULL;
    }
    return 0;
#else
    ASN1_TYPE *v = OSSL_CMP_ITAV_get0_value(itav);

    memset(d, 0, sizeof(*d));
    if (v != NULL)
        GDER_ADD(d, i2d_ASN1_TYPE, v);
    return !d->err;
#endif
}
