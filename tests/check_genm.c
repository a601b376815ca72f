/*
 * tests/check_genm.c - unit tests of the general messages of RFC 9810
 * 5.3.19 (src/asn1_genm.c, itav.c, crlsource.c, crmf_pub.c, genm.c) with
 * OpenSSL's CMP server (OSSL_CMP_SRV_CTX) in process as the peer. The
 * genp values are built here as DER by hand (RFC 9810 appendix F), so on
 * OpenSSL 3.0, which knows none of these types, the server sends them as
 * they are and checks the DER of our genm values; with OpenSSL >= 3.4 the
 * server side uses OpenSSL's own OSSL_CMP_ITAV_new_* constructors and
 * getters instead, and our constructors must produce OpenSSL's DER.
 * Cases: the DER of each constructor, caCerts (also an EE cert in it,
 * none offered), rootCaKeyUpdate (good, a newWithOld not signed by the
 * old root, a newWithNew with another key, no update), crlUpdate (with
 * the request's CRL source), certReqTemplate with keySpec, certProfile
 * in the request header, an unclean context, a genp of the wrong type,
 * NO_CACHE_EXTRACERTS.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ossl_peer.h"
#include "verify_peer.h"
#include "check_main.h"
#include "testca/testca.h"

#define OID_CACERTS GENM_OID_CACERTS
#define OID_CERTREQTEMPLATE GENM_OID_CERTREQTEMPLATE
#define OID_ROOTCACERT GENM_OID_ROOTCACERT
#define OID_CRLSTATUSLIST GENM_OID_CRLSTATUSLIST
#define OID_ALGID GENM_OID_ALGID

/* the DER of the value of our itav, compared with d */
static void assert_value_der(const P11CMP_ITAV *itav, const GDER *d)
{
    unsigned char *p = NULL;
    ASN1_TYPE *v = P11CMP_ITAV_get0_value(itav);
    int n;

    ck_assert(!d->err);
    ck_assert_ptr_nonnull(v);
    n = i2d_ASN1_TYPE(v, &p);
    ck_assert_int_eq(n, d->n);
    ck_assert_int_eq(memcmp(p, d->buf, n), 0);
    OPENSSL_free(p);
}

/* asserts that d holds the DER of x made by i2d */
#define ASSERT_DER_OF(d, i2d, x)                                \
    do {                                                        \
        unsigned char *p_ = NULL;                               \
        int n_ = i2d(x, &p_);                                   \
        ck_assert_int_eq((d)->n, n_);                           \
        ck_assert_int_eq(memcmp((d)->buf, p_, n_), 0);          \
        OPENSSL_free(p_);                                       \
    } while (0)

/* the test PKI: vp_pki plus an old and a new root and a CRL */
static struct vp_pki pki;
static EVP_PKEY *old_key, *new_key;
static X509 *old_root, *new_root, *new_with_old, *old_with_new, *bad_nwo;
static X509 *ee_nwo;        /* newWithOld right but not a CA cert */
static X509_CRL *crl_old, *crl_new;

static X509_CRL *make_crl(int days_ago)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t = X509_time_adj_ex(NULL, -days_ago, 0, NULL);
    ASN1_TIME *next = X509_time_adj_ex(NULL, 10, 0, NULL);

    if (crl == NULL || t == NULL || next == NULL
            || !X509_CRL_set_version(crl, 1)
            || !X509_CRL_set_issuer_name(crl,
                                         X509_get_subject_name(pki.root))
            || !X509_CRL_set1_lastUpdate(crl, t)
            || !X509_CRL_set1_nextUpdate(crl, next)
            || X509_CRL_sign(crl, pki.root_key, EVP_sha256()) <= 0) {
        X509_CRL_free(crl);
        crl = NULL;
    }
    ASN1_TIME_free(t);
    ASN1_TIME_free(next);
    return crl;
}

/* a link cert: a CA cert for pub issued by issuer */
static X509 *link_cert(EVP_PKEY *pub, const char *cn, X509 *issuer,
                       EVP_PKEY *ikey)
{
    X509 *x = vp_cert(pub, cn, issuer, ikey, "keyCertSign", -1, 30);
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

    if (x == NULL || bc == NULL)
        goto err;
    bc->ca = 1;
    if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0)
            && X509_sign(x, ikey, EVP_sha256()) > 0) {
        BASIC_CONSTRAINTS_free(bc);
        return x;
    }
 err:
    BASIC_CONSTRAINTS_free(bc);
    X509_free(x);
    return NULL;
}

static int pki_new(void)
{
    EVP_PKEY *stray = EVP_EC_gen("P-256");
    int ok = vp_pki_new(&pki) && stray != NULL
        && (old_key = EVP_EC_gen("P-256")) != NULL
        && (new_key = EVP_EC_gen("P-256")) != NULL
        && (old_root = vp_cert(old_key, "old root", NULL, old_key,
                               "keyCertSign", -1, 30)) != NULL
        && (new_root = vp_cert(new_key, "new root", NULL, new_key,
                               "keyCertSign", -1, 60)) != NULL
        && (new_with_old = link_cert(new_key, "new root", old_root,
                                     old_key)) != NULL
        && (old_with_new = link_cert(old_key, "old root", new_root,
                                     new_key)) != NULL
        && (bad_nwo = link_cert(new_key, "new root", old_root, stray))
        != NULL
        && (ee_nwo = vp_cert(new_key, "new root", old_root, old_key,
                             "keyCertSign", -1, 30)) != NULL
        && (crl_old = make_crl(5)) != NULL
        && (crl_new = make_crl(1)) != NULL;

    EVP_PKEY_free(stray);
    return ok;
}

static void pki_free(void)
{
    X509_CRL_free(crl_old);
    X509_CRL_free(crl_new);
    X509_free(old_root);
    X509_free(new_root);
    X509_free(new_with_old);
    X509_free(old_with_new);
    X509_free(bad_nwo);
    X509_free(ee_nwo);
    EVP_PKEY_free(old_key);
    EVP_PKEY_free(new_key);
    vp_pki_free(&pki);
}

/* the DER of cert in d */
static void cert_der(GDER *d, X509 *cert)
{
    unsigned char *p = NULL;

    memset(d, 0, sizeof(*d));
    d->n = i2d_X509(cert, &p);
    ck_assert(d->n > 0 && d->n <= (int)sizeof(d->buf));
    memcpy(d->buf, p, d->n);
    OPENSSL_free(p);
}

/* a stack of a and b (if not NULL), borrowed */
static STACK_OF(X509) *two(X509 *a, X509 *b)
{
    STACK_OF(X509) *certs = sk_X509_new_null();

    ck_assert(certs != NULL && (a == NULL || sk_X509_push(certs, a))
              && (b == NULL || sk_X509_push(certs, b)));
    return certs;
}

/* the peer's caCerts ITAV with a and b */
static OSSL_CMP_ITAV *peer_caCerts(X509 *a, X509 *b)
{
    STACK_OF(X509) *certs = two(a, b);
    OSSL_CMP_ITAV *itav = genm_itav_cacerts(certs);

    sk_X509_free(certs);
    return itav;
}

/* the crlStatusList a client with crl should send: issuer DN and the
 * lastUpdate of crl */
static void crl_status_der(GDER *d, X509_CRL *crl)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = GENERAL_NAME_new();

    ck_assert(gens != NULL && gn != NULL);
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME,
                            X509_NAME_dup(X509_CRL_get_issuer(crl)));
    ck_assert(sk_GENERAL_NAME_push(gens, gn));
    ck_assert(gder_crl_status(d, gens, X509_CRL_get0_lastUpdate(crl)));
    sk_GENERAL_NAME_pop_free(gens, GENERAL_NAME_free);
}

/* the in-process server and what it saw */
struct srv {
    OSSL_CMP_SRV_CTX *sctx;
    STACK_OF(OSSL_CMP_ITAV) *answer;
    int n_genm;
    char profile[64];          /* the first certProfile name in the header */
    char req_oid[64];
    int req_has_value;
    GDER req_val;              /* the DER of the first genm ITAV's value */
};

static struct srv S;
static P11CMP_CTX *ctx;

/* the first certProfile name in the generalInfo of req, as the server
 * sees it, into s->profile; libcrypto 3.0 has no getter for the header's
 * generalInfo, so there the DER of the request is searched for the ITAV
 * certProfile { "p1" } (see transfer()) */
static void record_profile(struct srv *s, const OSSL_CMP_MSG *req)
{
#if GENM_OSSL_HAS_TYPES
    STACK_OF(OSSL_CMP_ITAV) *gi =
        OSSL_CMP_HDR_get0_geninfo_ITAVs(OSSL_CMP_MSG_get0_header(req));
    STACK_OF(ASN1_UTF8STRING) *names;
    const ASN1_UTF8STRING *name;
    int i;

    for (i = 0; i < sk_OSSL_CMP_ITAV_num(gi); i++) {
        OSSL_CMP_ITAV *itav = sk_OSSL_CMP_ITAV_value(gi, i);

        if (genm_type_is(itav, "1.3.6.1.5.5.7.4.21")
                && OSSL_CMP_ITAV_get0_certProfile(itav, &names)
                && (name = sk_ASN1_UTF8STRING_value(names, 0)) != NULL)
            (void)snprintf(s->profile, sizeof(s->profile), "%.*s",
                           ASN1_STRING_length(name),
                           (const char *)ASN1_STRING_get0_data(name));
    }
#else
    (void)s, (void)req;
#endif
}

/* on libcrypto 3.0: "p1" into s->profile if the request DER holds
 * SEQUENCE { id-it-certProfile, SEQUENCE { UTF8String "p1" } } */
static void find_profile_der(struct srv *s, const unsigned char *der,
                             int len)
{
#if !GENM_OSSL_HAS_TYPES
    static const unsigned char itav[] = {
        0x30, 0x10, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x04,
        0x15, 0x30, 0x04, 0x0c, 0x02, 'p', '1'
    };
    int i;

    for (i = 0; i + (int)sizeof(itav) <= len; i++)
        if (memcmp(der + i, itav, sizeof(itav)) == 0)
            strcpy(s->profile, "p1");
#else
    (void)s, (void)der, (void)len;
#endif
}

static int srv_genm(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                    const STACK_OF(OSSL_CMP_ITAV) *in,
                    STACK_OF(OSSL_CMP_ITAV) **out)
{
    struct srv *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);
    const OSSL_CMP_ITAV *itav = sk_OSSL_CMP_ITAV_value(in, 0);

    record_profile(s, req);
    s->n_genm++;
    if (itav != NULL) {
        (void)OBJ_obj2txt(s->req_oid, sizeof(s->req_oid),
                          OSSL_CMP_ITAV_get0_type(itav), 1);
        ck_assert(genm_value_der(itav, &s->req_val));
    }
    *out = sk_OSSL_CMP_ITAV_deep_copy(s->answer, OSSL_CMP_ITAV_dup,
                                      OSSL_CMP_ITAV_free);
    return *out != NULL;
}

/* the transfer callback: p11cmp -> DER -> OpenSSL's server -> p11cmp */
static P11CMP_MSG *transfer(P11CMP_CTX *c, const P11CMP_MSG *req)
{
    struct srv *s = P11CMP_CTX_get_transfer_cb_arg(c);
    unsigned char *der = NULL;
    const unsigned char *p;
    OSSL_CMP_MSG *oreq, *orsp = NULL;
    P11CMP_MSG *rsp = NULL;
    int len = i2d_P11CMP_MSG(req, &der);

    p = der;
    oreq = len > 0 ? d2i_OSSL_CMP_MSG(NULL, &p, len) : NULL;
    find_profile_der(s, der, len);
    OPENSSL_free(der);
    der = NULL;
    if (oreq != NULL)
        orsp = OSSL_CMP_SRV_process_request(s->sctx, oreq);
    if (orsp != NULL && (len = i2d_OSSL_CMP_MSG(orsp, &der)) > 0) {
        p = der;
        rsp = d2i_P11CMP_MSG(NULL, &p, len);
    }
    OPENSSL_free(der);
    OSSL_CMP_MSG_free(oreq);
    OSSL_CMP_MSG_free(orsp);
    return rsp;
}

/* the server answers with itav (taken) */
static void answer(OSSL_CMP_ITAV *itav)
{
    ck_assert_ptr_nonnull(itav);
    ck_assert(sk_OSSL_CMP_ITAV_push(S.answer, itav));
}

static void setup(void)
{
    static const struct ossl_peer_prot pbm = { VP_REF, VP_SECRET, NULL,
                                               NULL, NULL };

    memset(&S, 0, sizeof(S));
    ck_assert_ptr_nonnull(S.answer = sk_OSSL_CMP_ITAV_new_null());
    ck_assert_ptr_nonnull(S.sctx = ossl_peer_srv_new(&S, NULL, NULL,
                                                     srv_genm, NULL, &pbm));
    ck_assert_ptr_nonnull(ctx = P11CMP_CTX_new(NULL, NULL));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_LOG_VERBOSITY, 0));
    ck_assert(P11CMP_CTX_set_transfer_cb(ctx, transfer));
    ck_assert(P11CMP_CTX_set_transfer_cb_arg(ctx, &S));
    ck_assert(P11CMP_CTX_set1_referenceValue(ctx, (unsigned char *)VP_REF,
                                             strlen(VP_REF)));
    ck_assert(P11CMP_CTX_set1_secretValue(ctx, (unsigned char *)VP_SECRET,
                                          strlen(VP_SECRET)));
    ERR_clear_error();
}

static void teardown(void)
{
    P11CMP_CTX_free(ctx);
    OSSL_CMP_SRV_CTX_free(S.sctx);
    sk_OSSL_CMP_ITAV_pop_free(S.answer, OSSL_CMP_ITAV_free);
    ERR_clear_error();
}

/* 1 if reason is the p11cmp reason of the first error on the stack */
static int first_reason_is(int reason)
{
    unsigned long e = ERR_peek_error();

    return ERR_GET_LIB(e) == P11CMP_ERR_get_lib()
        && ERR_GET_REASON(e) == reason;
}

/* 1 if reason is anywhere on the ERR stack (which is emptied) */
static int has_reason(int reason)
{
    unsigned long e;
    int found = 0;

    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_LIB(e) == P11CMP_ERR_get_lib()
            && ERR_GET_REASON(e) == reason)
            found = 1;
    return found;
}

static void assert_tmpl_subject(const P11CMP_CRMF_CERTTEMPLATE *tmpl)
{
    X509_NAME *name = vp_name("tmpl");

    ck_assert_ptr_nonnull(tmpl);
    ck_assert_int_eq(X509_NAME_cmp(P11CMP_CRMF_CERTTEMPLATE_get0_subject(
                                       tmpl), name), 0);
    X509_NAME_free(name);
}

/* our ITAV DER-encoded and decoded again (the decoded view is rebuilt) */
static P11CMP_ITAV *roundtrip(P11CMP_ITAV *itav)
{
    P11CMP_ITAV *copy;

    ck_assert_ptr_nonnull(itav);
    ck_assert_ptr_nonnull(copy = P11CMP_ITAV_dup(itav));
    P11CMP_ITAV_free(itav);
    return copy;
}

START_TEST(wire_caCerts_rootCaCert)
{
    STACK_OF(X509) *certs = sk_X509_new_null(), *got;
    P11CMP_ITAV *itav;
    X509 *cert;
    GDER d;

    ck_assert(sk_X509_push(certs, pki.root)
              && sk_X509_push(certs, pki.other_root));
    itav = roundtrip(P11CMP_ITAV_new_caCerts(certs));
    ck_assert(gder_certs(&d, certs));
    assert_value_der(itav, &d);
    ck_assert(P11CMP_ITAV_get0_caCerts(itav, &got));
    ck_assert_int_eq(sk_X509_num(got), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(got, 1), pki.other_root), 0);
    /* of another type */
    ck_assert(!P11CMP_ITAV_get0_rootCaCert(itav, &cert));
    ck_assert(first_reason_is(P11CMP_R_INVALID_ARGUMENT));
    ERR_clear_error();
    P11CMP_ITAV_free(itav);
    sk_X509_free(certs);

    itav = roundtrip(P11CMP_ITAV_new_rootCaCert(old_root));
    cert_der(&d, old_root);
    assert_value_der(itav, &d);
    ck_assert(P11CMP_ITAV_get0_rootCaCert(itav, &cert));
    ck_assert_int_eq(X509_cmp(cert, old_root), 0);
    P11CMP_ITAV_free(itav);

    /* without value: the genm form */
    itav = roundtrip(P11CMP_ITAV_new_caCerts(NULL));
    ck_assert_ptr_null(P11CMP_ITAV_get0_value(itav));
    ck_assert(P11CMP_ITAV_get0_caCerts(itav, &got));
    ck_assert_ptr_null(got);
    P11CMP_ITAV_free(itav);
    itav = roundtrip(P11CMP_ITAV_new_rootCaCert(NULL));
    ck_assert_ptr_null(P11CMP_ITAV_get0_value(itav));
    P11CMP_ITAV_free(itav);
}
END_TEST

START_TEST(wire_rootCaKeyUpdate)
{
    P11CMP_ITAV *itav;
    X509 *a, *b, *c;
    GDER d;

    itav = roundtrip(P11CMP_ITAV_new_rootCaKeyUpdate(new_root, new_with_old,
                                                     old_with_new));
    ck_assert(gder_root_update(&d, new_root, new_with_old, old_with_new));
    assert_value_der(itav, &d);
    ck_assert(P11CMP_ITAV_get0_rootCaKeyUpdate(itav, &a, &b, &c));
    ck_assert_int_eq(X509_cmp(a, new_root), 0);
    ck_assert_int_eq(X509_cmp(b, new_with_old), 0);
    ck_assert_int_eq(X509_cmp(c, old_with_new), 0);
    ck_assert(!P11CMP_ITAV_get0_rootCaKeyUpdate(itav, NULL, &b, &c));
    ck_assert(first_reason_is(P11CMP_R_NULL_ARGUMENT));
    ERR_clear_error();
    P11CMP_ITAV_free(itav);

    itav = roundtrip(P11CMP_ITAV_new_rootCaKeyUpdate(NULL, new_with_old,
                                                     NULL));
    ck_assert_ptr_null(P11CMP_ITAV_get0_value(itav));
    ck_assert(P11CMP_ITAV_get0_rootCaKeyUpdate(itav, &a, &b, NULL));
    ck_assert_ptr_null(a);
    ck_assert_ptr_null(b);
    P11CMP_ITAV_free(itav);
}
END_TEST

START_TEST(wire_crls_crlStatusList)
{
    STACK_OF(P11CMP_CRLSTATUS) *list = sk_P11CMP_CRLSTATUS_new_null(), *got;
    STACK_OF(X509_CRL) *crls;
    P11CMP_CRLSTATUS *st;
    DIST_POINT_NAME *dpn;
    GENERAL_NAMES *iss;
    ASN1_TIME *upd;
    P11CMP_ITAV *itav;
    GDER d;

    itav = roundtrip(P11CMP_ITAV_new_crls(crl_new));
    ck_assert(gder_crls(&d, crl_new));
    assert_value_der(itav, &d);
    ck_assert(P11CMP_ITAV_get0_crls(itav, &crls));
    ck_assert_int_eq(sk_X509_CRL_num(crls), 1);
    ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), crl_new), 0);
    P11CMP_ITAV_free(itav);
    itav = roundtrip(P11CMP_ITAV_new_crls(NULL));
    ck_assert(P11CMP_ITAV_get0_crls(itav, &crls));
    ck_assert_ptr_null(crls);
    P11CMP_ITAV_free(itav);

    /* the CRL source of a CRL without extensions is its issuer DN */
    ck_assert_ptr_nonnull(st = P11CMP_CRLSTATUS_create(crl_old, NULL, 1));
    ck_assert(sk_P11CMP_CRLSTATUS_push(list, st));
    itav = roundtrip(P11CMP_ITAV_new0_crlStatusList(list));
    crl_status_der(&d, crl_old);
    assert_value_der(itav, &d);
    ck_assert(P11CMP_ITAV_get0_crlStatusList(itav, &got));
    ck_assert(P11CMP_CRLSTATUS_get0(sk_P11CMP_CRLSTATUS_value(got, 0), &dpn,
                                    &iss, &upd));
    ck_assert_ptr_null(dpn);
    ck_assert_int_eq(X509_NAME_cmp(sk_GENERAL_NAME_value(iss, 0)->d.dirn,
                                   X509_CRL_get_issuer(crl_old)), 0);
    ck_assert_int_eq(ASN1_TIME_compare(upd,
                                       X509_CRL_get0_lastUpdate(crl_old)), 0);
    P11CMP_ITAV_free(itav);

    /* a cert's issuer when the cert has no CDP and no AKID issuer */
    ck_assert_ptr_nonnull(st = P11CMP_CRLSTATUS_create(NULL, pki.ee, 1));
    ck_assert(P11CMP_CRLSTATUS_get0(st, &dpn, &iss, &upd));
    ck_assert_int_eq(X509_NAME_cmp(sk_GENERAL_NAME_value(iss, 0)->d.dirn,
                                   X509_get_issuer_name(pki.ee)), 0);
    ck_assert_ptr_null(upd);
    /* exactly one of dpn and issuer */
    ck_assert_ptr_null(P11CMP_CRLSTATUS_new1(NULL, NULL, NULL));
    ck_assert(first_reason_is(P11CMP_R_NULL_ARGUMENT));
    ck_assert_ptr_null(P11CMP_CRLSTATUS_create(NULL, NULL, 0));
    ERR_clear_error();
    P11CMP_CRLSTATUS_free(st);
}
END_TEST

START_TEST(wire_certReqTemplate)
{
    P11CMP_CRMF_CERTTEMPLATE *tmpl, *got;
    P11CMP_ATAVS *ks = NULL, *gotks;
    P11CMP_ATAV *a;
    X509_ALGOR *alg = genm_ec_alg();
    OSSL_CRMF_CERTTEMPLATE *otmpl = genm_template("tmpl");
    P11CMP_ITAV *itav;
    GDER d;
    unsigned char *der = NULL;
    const unsigned char *p;
    char buf[64];
    int n;

    ck_assert(alg != NULL && otmpl != NULL);
    n = i2d_OSSL_CRMF_CERTTEMPLATE(otmpl, &der);
    p = der;
    ck_assert_ptr_nonnull(tmpl = d2i_P11CMP_CRMF_CERTTEMPLATE(NULL, &p, n));
    OPENSSL_free(der);
    OSSL_CRMF_CERTTEMPLATE_free(otmpl);
    ck_assert_ptr_nonnull(a = P11CMP_ATAV_new_algId(alg));
    ck_assert(P11CMP_ATAV_push1(&ks, a));
    P11CMP_ATAV_free(a);
    ck_assert_ptr_nonnull(a = P11CMP_ATAV_new_rsaKeyLen(2048));
    ck_assert_int_eq(P11CMP_ATAV_get_rsaKeyLen(a), 2048);
    ck_assert_ptr_null(P11CMP_ATAV_get0_algId(a));
    ck_assert(P11CMP_ATAV_push1(&ks, a));
    P11CMP_ATAV_free(a);
#if GENM_OSSL_HAS_TYPES
    {   /* our keySpec DER is OpenSSL's */
        OSSL_CMP_ATAVS *oks = NULL;
        OSSL_CMP_ATAV *oa = OSSL_CMP_ATAV_new_algId(alg);
        unsigned char *ours = NULL, *theirs = NULL;
        int n1, n2;

        ck_assert(oa != NULL && OSSL_CMP_ATAV_push1(&oks, oa));
        OSSL_CMP_ATAV_free(oa);
        ck_assert((oa = OSSL_CMP_ATAV_new_rsaKeyLen(2048)) != NULL
                  && OSSL_CMP_ATAV_push1(&oks, oa));
        OSSL_CMP_ATAV_free(oa);
        n1 = i2d_P11CMP_ATAVS(ks, &ours);
        n2 = i2d_OSSL_CMP_ATAVS(oks, &theirs);
        ck_assert_int_gt(n1, 0);
        ck_assert_int_eq(n1, n2);
        ck_assert_int_eq(memcmp(ours, theirs, n1), 0);
        OPENSSL_free(ours);
        OPENSSL_free(theirs);
        OSSL_CMP_ATAVS_free(oks);
    }
#endif
    ck_assert_ptr_null(P11CMP_ITAV_new0_certReqTemplate(NULL, ks));
    ck_assert(first_reason_is(P11CMP_R_INVALID_ARGUMENT));
    ERR_clear_error();
    itav = roundtrip(P11CMP_ITAV_new0_certReqTemplate(tmpl, ks));
    ck_assert(gder_template(&d, "tmpl"));
    assert_value_der(itav, &d);
    ck_assert(P11CMP_ITAV_get1_certReqTemplate(itav, &got, &gotks));
    assert_tmpl_subject(got);
    ck_assert_int_eq(sk_P11CMP_ATAV_num(gotks), 2);
    a = sk_P11CMP_ATAV_value(gotks, 0);
    ck_assert_ptr_nonnull(P11CMP_ATAV_get0_algId(a));
    ck_assert_int_eq(X509_ALGOR_cmp(P11CMP_ATAV_get0_algId(a), alg), 0);
    ck_assert_int_eq(P11CMP_ATAV_get_rsaKeyLen(a), -1);
    ck_assert_int_eq(P11CMP_ATAV_get_rsaKeyLen(sk_P11CMP_ATAV_value(gotks,
                                                                    1)),
                     2048);
    (void)OBJ_obj2txt(buf, sizeof(buf), P11CMP_ATAV_get0_type(a), 1);
    ck_assert_str_eq(buf, OID_ALGID);
    P11CMP_CRMF_CERTTEMPLATE_free(got);
    P11CMP_ATAVS_free(gotks);
    P11CMP_ITAV_free(itav);
    X509_ALGOR_free(alg);

    itav = roundtrip(P11CMP_ITAV_new0_certReqTemplate(NULL, NULL));
    ck_assert_ptr_null(P11CMP_ITAV_get0_value(itav));
    ck_assert(P11CMP_ITAV_get1_certReqTemplate(itav, &got, &gotks));
    ck_assert_ptr_null(got);
    ck_assert_ptr_null(gotks);
    P11CMP_ITAV_free(itav);
}
END_TEST

/* the transactions */

START_TEST(get1_caCerts)
{
    STACK_OF(X509) *certs = NULL;

    answer(peer_caCerts(pki.root, pki.other_root));
    ck_assert(P11CMP_get1_caCerts(ctx, &certs));
    ck_assert_str_eq(S.req_oid, OID_CACERTS);
    ck_assert_int_eq(S.req_val.n, 0);
    ck_assert_int_eq(sk_X509_num(certs), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), pki.root), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 1), pki.other_root), 0);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
    sk_X509_pop_free(certs, X509_free);
    /* the same ctx again without reinit */
    ck_assert(!P11CMP_get1_caCerts(ctx, &certs));
    ck_assert(first_reason_is(P11CMP_R_UNCLEAN_CTX));
    ck_assert_int_eq(S.n_genm, 1);
    ERR_clear_error();
}
END_TEST

START_TEST(get1_caCerts_none_or_ee)
{
    STACK_OF(X509) *certs = NULL;

    answer(peer_caCerts(NULL, NULL));
    ck_assert(P11CMP_get1_caCerts(ctx, &certs));
    ck_assert_ptr_null(certs);
    ck_assert(P11CMP_CTX_reinit(ctx));
    OSSL_CMP_ITAV_free(sk_OSSL_CMP_ITAV_pop(S.answer));
    answer(peer_caCerts(pki.root, pki.ee));
    ck_assert(!P11CMP_get1_caCerts(ctx, &certs));
    ck_assert_ptr_null(certs);
    ck_assert(has_reason(P11CMP_R_INVALID_GENP));
}
END_TEST

START_TEST(get1_rootCaKeyUpdate_good)
{
    X509 *nwn = NULL, *nwo = NULL, *own = NULL;

    answer(genm_itav_root_update(new_root, new_with_old, old_with_new));
    ck_assert(P11CMP_get1_rootCaKeyUpdate(ctx, old_root, &nwn, &nwo, &own));
    ck_assert_str_eq(S.req_oid, OID_ROOTCACERT);
    ASSERT_DER_OF(&S.req_val, i2d_X509, old_root);
    ck_assert_int_eq(X509_cmp(nwn, new_root), 0);
    ck_assert_int_eq(X509_cmp(nwo, new_with_old), 0);
    ck_assert_int_eq(X509_cmp(own, old_with_new), 0);
    X509_free(nwn);
    X509_free(nwo);
    X509_free(own);
}
END_TEST

START_TEST(get1_rootCaKeyUpdate_trust_store)
{
    X509 *nwn = NULL;

    /* without oldWithOld: newWithOld must chain to the trust store */
    answer(genm_itav_root_update(new_root, new_with_old, NULL));
    ck_assert(!P11CMP_get1_rootCaKeyUpdate(ctx, NULL, &nwn, NULL, NULL));
    ck_assert(has_reason(P11CMP_R_INVALID_ROOTCAKEYUPDATE));
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(X509_STORE_add_cert(P11CMP_CTX_get0_trustedStore(ctx),
                                  old_root));
    ck_assert(P11CMP_get1_rootCaKeyUpdate(ctx, NULL, &nwn, NULL, NULL));
    ck_assert_str_eq(S.req_oid, OID_ROOTCACERT);
    ck_assert_int_eq(S.req_val.n, 0);
    ck_assert_int_eq(X509_cmp(nwn, new_root), 0);
    X509_free(nwn);
}
END_TEST

START_TEST(get1_rootCaKeyUpdate_bad)
{
    X509 *nwn = (X509 *)1, *nwo = (X509 *)1;
    struct { X509 *nwn, *nwo, *own; } bad[] = {
        { new_root, bad_nwo, NULL },       /* not signed by the old root */
        { new_root, ee_nwo, NULL },        /* newWithOld not a CA cert */
        { new_root, NULL, NULL },          /* nothing links it to the old */
        { pki.root, new_with_old, NULL },  /* newWithNew of another key */
        { new_root, new_with_old, new_with_old }, /* oldWithNew wrong key */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        OSSL_CMP_ITAV_free(sk_OSSL_CMP_ITAV_pop(S.answer));
        answer(genm_itav_root_update(bad[i].nwn, bad[i].nwo, bad[i].own));
        ck_assert(P11CMP_CTX_reinit(ctx));
        ck_assert_msg(!P11CMP_get1_rootCaKeyUpdate(ctx, old_root, &nwn,
                                                   &nwo, NULL),
                      "case %zu accepted", i);
        ck_assert_ptr_null(nwn);
        ck_assert_ptr_null(nwo);
        ck_assert_msg(has_reason(P11CMP_R_INVALID_ROOTCAKEYUPDATE),
                      "case %zu", i);
    }
    /* no update offered */
    OSSL_CMP_ITAV_free(sk_OSSL_CMP_ITAV_pop(S.answer));
    answer(genm_itav_root_update(NULL, NULL, NULL));
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(P11CMP_get1_rootCaKeyUpdate(ctx, old_root, &nwn, &nwo, NULL));
    ck_assert_ptr_null(nwn);
    ck_assert_ptr_null(nwo);
}
END_TEST

START_TEST(get1_crlUpdate)
{
    X509_CRL *crl = NULL;
    GDER d;

    answer(genm_itav_crls(crl_new));
    ck_assert(P11CMP_get1_crlUpdate(ctx, NULL, crl_old, &crl));
    ck_assert_str_eq(S.req_oid, OID_CRLSTATUSLIST);
    crl_status_der(&d, crl_old);
    ck_assert_int_eq(S.req_val.n, d.n);
    ck_assert_int_eq(memcmp(S.req_val.buf, d.buf, d.n), 0);
    ck_assert_ptr_nonnull(crl);
    ck_assert_int_eq(X509_CRL_cmp(crl, crl_new), 0);
    X509_CRL_free(crl);
    /* no update; and neither cert nor CRL given */
    OSSL_CMP_ITAV_free(sk_OSSL_CMP_ITAV_pop(S.answer));
    answer(genm_itav_crls(NULL));
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(P11CMP_get1_crlUpdate(ctx, pki.ee, NULL, &crl));
    ck_assert_ptr_null(crl);
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(!P11CMP_get1_crlUpdate(ctx, NULL, NULL, &crl));
    ck_assert(first_reason_is(P11CMP_R_NULL_ARGUMENT));
    ck_assert_int_eq(S.n_genm, 2);
    ERR_clear_error();
}
END_TEST

START_TEST(get1_certReqTemplate)
{
    P11CMP_CRMF_CERTTEMPLATE *tmpl = NULL;
    P11CMP_ATAVS *ks = NULL;

    answer(genm_itav_template("tmpl"));
    ck_assert(P11CMP_get1_certReqTemplate(ctx, &tmpl, &ks));
    ck_assert_str_eq(S.req_oid, OID_CERTREQTEMPLATE);
    ck_assert_int_eq(S.req_val.n, 0);
    assert_tmpl_subject(tmpl);
    ck_assert_int_eq(sk_P11CMP_ATAV_num(ks), 2);
    ck_assert_int_eq(P11CMP_ATAV_get_rsaKeyLen(sk_P11CMP_ATAV_value(ks, 1)),
                     2048);
    P11CMP_CRMF_CERTTEMPLATE_free(tmpl);
    P11CMP_ATAVS_free(ks);
    OSSL_CMP_ITAV_free(sk_OSSL_CMP_ITAV_pop(S.answer));
    answer(genm_itav_template(NULL));
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(P11CMP_get1_certReqTemplate(ctx, &tmpl, &ks));
    ck_assert_ptr_null(tmpl);
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(cert_profile)
{
    STACK_OF(ASN1_UTF8STRING) *names = sk_ASN1_UTF8STRING_new_null(), *got;
    ASN1_UTF8STRING *str = ASN1_UTF8STRING_new();
    static const unsigned char der[] = {   /* SEQUENCE { UTF8String "p1" } */
        0x30, 0x04, 0x0c, 0x02, 'p', '1'
    };
    P11CMP_ITAV *itav;
    STACK_OF(X509) *certs = NULL;
    GDER d;

    ck_assert(str != NULL && ASN1_STRING_set(str, "p1", 2)
              && sk_ASN1_UTF8STRING_push(names, str));
    itav = roundtrip(P11CMP_ITAV_new0_certProfile(names));
    memset(&d, 0, sizeof(d));
    memcpy(d.buf, der, sizeof(der));
    d.n = sizeof(der);
    assert_value_der(itav, &d);
    ck_assert(P11CMP_ITAV_get0_certProfile(itav, &got));
    ck_assert_int_eq(sk_ASN1_UTF8STRING_num(got), 1);
    /* in the header of a request, the server finds it */
    ck_assert(P11CMP_CTX_push0_geninfo_ITAV(ctx, itav));
    answer(peer_caCerts(NULL, NULL));
    ck_assert(P11CMP_get1_caCerts(ctx, &certs));
    ck_assert_str_eq(S.profile, "p1");
}
END_TEST

START_TEST(genp_of_other_type)
{
    X509_CRL *crl = (X509_CRL *)1;

    answer(peer_caCerts(pki.root, NULL));
    ck_assert(!P11CMP_get1_crlUpdate(ctx, NULL, crl_old, &crl));
    ck_assert_ptr_null(crl);
    ck_assert(has_reason(P11CMP_R_INVALID_GENP));
}
END_TEST

START_TEST(no_cache_extracerts)
{
    STACK_OF(X509) *certs = NULL;
    OSSL_CMP_CTX *sc = OSSL_CMP_SRV_CTX_get0_cmp_ctx(S.sctx);
    STACK_OF(X509) *extra = ossl_peer_one_cert(pki.other_root);

    ck_assert_int_eq(P11CMP_CTX_get_option(ctx,
                                           P11CMP_OPT_NO_CACHE_EXTRACERTS),
                     0);
    ck_assert(OSSL_CMP_CTX_set1_extraCertsOut(sc, extra));
    answer(peer_caCerts(NULL, NULL));
    ck_assert(P11CMP_get1_caCerts(ctx, &certs));
    ck_assert_int_eq(sk_X509_num(P11CMP_CTX_get0_untrusted(ctx)), 1);
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(P11CMP_CTX_set1_untrusted(ctx, NULL));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_NO_CACHE_EXTRACERTS, 1));
    ck_assert(P11CMP_get1_caCerts(ctx, &certs));
    ck_assert_int_eq(sk_X509_num(P11CMP_CTX_get0_untrusted(ctx)), 0);
    certs = P11CMP_CTX_get1_extraCertsIn(ctx);
    ck_assert_int_eq(sk_X509_num(certs), 1);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(extra, X509_free);
}
END_TEST

static Suite *genm_suite(void)
{
    Suite *s = suite_create("genm");
    TCase *tc = tcase_create("genm");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, wire_caCerts_rootCaCert);
    tcase_add_test(tc, wire_rootCaKeyUpdate);
    tcase_add_test(tc, wire_crls_crlStatusList);
    tcase_add_test(tc, wire_certReqTemplate);
    tcase_add_test(tc, get1_caCerts);
    tcase_add_test(tc, get1_caCerts_none_or_ee);
    tcase_add_test(tc, get1_rootCaKeyUpdate_good);
    tcase_add_test(tc, get1_rootCaKeyUpdate_trust_store);
    tcase_add_test(tc, get1_rootCaKeyUpdate_bad);
    tcase_add_test(tc, get1_crlUpdate);
    tcase_add_test(tc, get1_certReqTemplate);
    tcase_add_test(tc, cert_profile);
    tcase_add_test(tc, genp_of_other_type);
    tcase_add_test(tc, no_cache_extracerts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed;

    if (!pki_new())
        return 99;
    printf("# peer: %s (%s)\n", OpenSSL_version(OPENSSL_VERSION),
           GENM_OSSL_HAS_TYPES ? "OpenSSL's own genm constructors and getters"
           : "genp values as hand-made DER; genm values checked as DER");
    failed = check_run(genm_suite(), CK_NORMAL);
    pki_free();
    return failed == 0 ? 0 : 1;
}
