/*
 * tests/testca/check_testca.c - unit tests of the test CA's own parts
 * where the shell tests cannot reach: DER reading of CertTemplates
 * (der.c) with and without publicKey/validity, the first extraCert of a
 * request, the CA's validity defaults and revocation records (ca.c), and
 * one in-process IR through srv.c via OSSL_CMP_CTX_server_perform, and a
 * KUR without oldCertID that renews the request's protection cert.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "testca.h"
#include "../check_main.h"

#define BODY_KUP 8 /* PKIBody choice of kup, not public in 3.0 */

static OSSL_CMP_MSG *captured;

/* A transfer callback keeping a copy of the request, answering nothing. */
static OSSL_CMP_MSG *capture(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
    (void)ctx;
    OSSL_CMP_MSG_free(captured);
    captured = OSSL_CMP_MSG_dup(req);
    return NULL;
}

/* A log callback that keeps the expected client errors quiet. */
static int quiet(const char *func, const char *file, int line,
                 OSSL_CMP_severity level, const char *msg)
{
    (void)func;
    (void)file;
    (void)line;
    (void)level;
    (void)msg;
    return 1;
}

static X509_NAME *name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
        (const unsigned char *)cn, -1, -1, 0), 1);
    return n;
}

/* Returns notAfter - notBefore of cert in seconds. */
static long lifetime(const X509 *cert)
{
    int day, sec;

    ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(cert),
                                    X509_get0_notAfter(cert)), 1);
    return day * 86400L + sec;
}

static void check_pubkey_roundtrip(EVP_PKEY *key)
{
    OSSL_CRMF_MSG *crm = OSSL_CRMF_MSG_new();
    X509_NAME *subject = name("tmpl");
    EVP_PKEY *got;

    ck_assert_int_eq(OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm),
                                                 key, subject, NULL, NULL),
                     1);
    got = der_tmpl_pubkey(OSSL_CRMF_MSG_get0_tmpl(crm));
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(EVP_PKEY_eq(got, key), 1);
    EVP_PKEY_free(got);
    X509_NAME_free(subject);
    OSSL_CRMF_MSG_free(crm);
}

START_TEST(template_pubkey_ec_and_ed25519)
{
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    check_pubkey_roundtrip(ec);
    check_pubkey_roundtrip(ed);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
}
END_TEST

START_TEST(template_without_pubkey_or_validity)
{
    OSSL_CRMF_MSG *crm = OSSL_CRMF_MSG_new();
    X509_NAME *subject = name("nokey");
    ASN1_TIME *nb = (ASN1_TIME *)1, *na = (ASN1_TIME *)1;

    ck_assert_int_eq(OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm),
                                                 NULL, subject, NULL, NULL),
                     1);
    ck_assert_ptr_null(der_tmpl_pubkey(OSSL_CRMF_MSG_get0_tmpl(crm)));
    ck_assert_int_eq(der_tmpl_validity(OSSL_CRMF_MSG_get0_tmpl(crm), &nb,
                                       &na), 1);
    ck_assert_ptr_null(nb);
    ck_assert_ptr_null(na);
    X509_NAME_free(subject);
    OSSL_CRMF_MSG_free(crm);
}
END_TEST

START_TEST(template_validity_one_or_both)
{
    OSSL_CRMF_MSG *crm = OSSL_CRMF_MSG_new();
    ASN1_TIME *want_nb = ASN1_TIME_set(NULL, 1000000000);
    ASN1_TIME *want_na = ASN1_TIME_set(NULL, 1100000000);
    ASN1_TIME *nb, *na;

    ck_assert_int_eq(OSSL_CRMF_MSG_set0_validity(crm, NULL,
                                                 ASN1_TIME_dup(want_na)), 1);
    ck_assert_int_eq(der_tmpl_validity(OSSL_CRMF_MSG_get0_tmpl(crm), &nb,
                                       &na), 1);
    ck_assert_ptr_null(nb);
    ck_assert_int_eq(ASN1_TIME_compare(na, want_na), 0);
    ASN1_TIME_free(na);
    OSSL_CRMF_MSG_free(crm); /* set0_validity does not free an old one */
    crm = OSSL_CRMF_MSG_new();
    ck_assert_int_eq(OSSL_CRMF_MSG_set0_validity(crm, ASN1_TIME_dup(want_nb),
                                                 ASN1_TIME_dup(want_na)), 1);
    ck_assert_int_eq(der_tmpl_validity(OSSL_CRMF_MSG_get0_tmpl(crm), &nb,
                                       &na), 1);
    ck_assert_int_eq(ASN1_TIME_compare(nb, want_nb), 0);
    ck_assert_int_eq(ASN1_TIME_compare(na, want_na), 0);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    ASN1_TIME_free(want_nb);
    ASN1_TIME_free(want_na);
    OSSL_CRMF_MSG_free(crm);
}
END_TEST

START_TEST(ca_validity_defaults_and_revocation)
{
    CA ca;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_NAME *subject = name("ee");
    ASN1_TIME *nb = ASN1_TIME_set(NULL, time(NULL) + 3600);
    X509 *c1, *c2;

    memset(&ca, 0, sizeof(ca));
    ca.days = 10;
    ck_assert_int_eq(ca_init(&ca, NULL, NULL), 1);
    c1 = ca_issue(&ca, subject, key, NULL, NULL, NULL);
    c2 = ca_issue(&ca, subject, key, nb, NULL, NULL);
    ck_assert_ptr_nonnull(c1);
    ck_assert_ptr_nonnull(c2);
    ck_assert_int_eq(lifetime(c1), 10 * 86400L);
    ck_assert_int_eq(lifetime(c2), 10 * 86400L);
    ck_assert_int_eq(ASN1_TIME_compare(X509_get0_notBefore(c2), nb), 0);
    ck_assert_int_eq(X509_verify(c1, ca.key), 1);
    ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(c1),
                                      X509_get0_serialNumber(c2)), 0);
    ck_assert_ptr_eq(ca_find_issued(&ca, X509_get0_serialNumber(c2)), c2);
    ck_assert_int_eq(ca_is_revoked(&ca, X509_get0_serialNumber(c1)), 0);
    ck_assert_int_eq(ca_revoke(&ca, X509_get0_serialNumber(c1)), 1);
    ck_assert_int_eq(ca_is_revoked(&ca, X509_get0_serialNumber(c1)), 1);
    ck_assert_int_eq(ca_is_revoked(&ca, X509_get0_serialNumber(c2)), 0);
    X509_free(c1);
    X509_free(c2);
    ASN1_TIME_free(nb);
    X509_NAME_free(subject);
    EVP_PKEY_free(key);
    ca_cleanup(&ca);
}
END_TEST

/* A client context for an IR of newkey as CN=client to recipient. */
static OSSL_CMP_CTX *client(EVP_PKEY *newkey, const X509_NAME *recipient)
{
    OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
    X509_NAME *subject = name("client");

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_up_ref(newkey), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set0_newPkey(ctx, 1, newkey), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_subjectName(ctx, subject), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_recipient(ctx, recipient), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set_log_cb(ctx, quiet), 1);
    X509_NAME_free(subject);
    return ctx;
}

START_TEST(first_extracert_is_the_signer)
{
    CA ca;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_NAME *subject = name("signer");
    OSSL_CMP_CTX *ctx;
    X509 *cert, *got;

    memset(&ca, 0, sizeof(ca));
    ca.days = 1;
    ck_assert_int_eq(ca_init(&ca, NULL, NULL), 1);
    cert = ca_issue(&ca, subject, key, NULL, NULL, NULL);
    ctx = client(key, X509_get_subject_name(ca.cert));
    ck_assert_int_eq(OSSL_CMP_CTX_set1_cert(ctx, cert), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_pkey(ctx, key), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set_transfer_cb(ctx, capture), 1);
    ck_assert_ptr_null(OSSL_CMP_exec_IR_ses(ctx));
    ck_assert_ptr_nonnull(captured);
    got = der_msg_first_extracert(captured);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(X509_cmp(got, cert), 0);
    X509_free(got);
    /* PBM-protected: no extraCerts */
    OSSL_CMP_CTX_free(ctx);
    ctx = client(key, X509_get_subject_name(ca.cert));
    ck_assert_int_eq(OSSL_CMP_CTX_set1_secretValue(ctx,
        (const unsigned char *)"pw", 2), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_referenceValue(ctx,
        (const unsigned char *)"ref", 3), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set_transfer_cb(ctx, capture), 1);
    ck_assert_ptr_null(OSSL_CMP_exec_IR_ses(ctx));
    ck_assert_ptr_null(der_msg_first_extracert(captured));
    OSSL_CMP_MSG_free(captured);
    captured = NULL;
    OSSL_CMP_CTX_free(ctx);
    X509_free(cert);
    X509_NAME_free(subject);
    EVP_PKEY_free(key);
    ca_cleanup(&ca);
}
END_TEST

START_TEST(in_process_ir_through_srv)
{
    CA ca;
    SRV s;
    SRV_CFG cfg;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    OSSL_CMP_CTX *ctx;
    X509 *cert;

    memset(&ca, 0, sizeof(ca));
    memset(&s, 0, sizeof(s));
    memset(&cfg, 0, sizeof(cfg));
    ca.days = 2;
    cfg.ref = "ref";
    cfg.secret = "pass:pw";
    ck_assert_int_eq(ca_init(&ca, NULL, NULL), 1);
    s.ca = &ca;
    s.reject_bit = -1;
    ck_assert_int_eq(srv_init(&s, &cfg), 1);
    ctx = client(key, X509_get_subject_name(ca.cert));
    ck_assert_int_eq(OSSL_CMP_CTX_set1_secretValue(ctx,
        (const unsigned char *)"pw", 2), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_referenceValue(ctx,
        (const unsigned char *)"ref", 3), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set_transfer_cb(ctx,
                                                  OSSL_CMP_CTX_server_perform),
                     1);
    ck_assert_int_eq(OSSL_CMP_CTX_set_transfer_cb_arg(ctx, s.ctx), 1);
    cert = OSSL_CMP_exec_IR_ses(ctx); /* incl. certConf with certHash */
    ck_assert_ptr_nonnull(cert);
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), key), 1);
    ck_assert_int_eq(lifetime(cert), 2 * 86400L);
    ck_assert_int_eq(ca.n_issued, 1);
    OSSL_CMP_CTX_free(ctx);
    srv_cleanup(&s);
    EVP_PKEY_free(key);
    ca_cleanup(&ca);
}
END_TEST

/* Skips the DER element at *p (before end); returns where it started and
 * sets *len to its total length. */
static const unsigned char *skip_elem(const unsigned char **p,
                                      const unsigned char *end, long *len)
{
    const unsigned char *start = *p, *q = *p;
    long contlen;
    int tag, cls;

    ck_assert_int_eq(ASN1_get_object(&q, &contlen, &tag, &cls, end - *p)
                     & 0x80, 0);
    *p = q + contlen;
    *len = (long)(*p - start);
    return start;
}

/* DER of CertReqMessages with one request for newkey and subject but no
 * controls (so no oldCertID), signature POPO. Caller frees. */
static int kur_body(EVP_PKEY *newkey, const X509_NAME *subject,
                    unsigned char **der)
{
    OSSL_CRMF_MSG *crm = OSSL_CRMF_MSG_new();
    OSSL_CRMF_MSGS *msgs = sk_OSSL_CRMF_MSG_new_null();
    int len;

    ck_assert_int_eq(OSSL_CRMF_MSG_set_certReqId(crm, 0), 1);
    ck_assert_int_eq(OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm),
                                                 newkey, subject, NULL,
                                                 NULL), 1);
    ck_assert_int_eq(OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, crm,
                                               newkey, EVP_sha256(), NULL,
                                               NULL), 1);
    ck_assert_int_gt(sk_OSSL_CRMF_MSG_push(msgs, crm), 0);
    len = i2d_OSSL_CRMF_MSGS(msgs, der);
    ck_assert_int_gt(len, 0);
    sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
    return len;
}

/* Returns kur with its body replaced by kur_body(): header, the (now
 * invalid) protection and the extraCerts stay. Caller frees. */
static OSSL_CMP_MSG *kur_without_oldcertid(const OSSL_CMP_MSG *kur,
                                           EVP_PKEY *newkey,
                                           const X509_NAME *subject)
{
    unsigned char *der = NULL, *body = NULL, *out, *p;
    const unsigned char *q, *end, *hdr, *rest;
    long outer, hdrlen, oldlen;
    int derlen = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)kur, &der);
    int bodylen = kur_body(newkey, subject, &body);
    int tag, cls, contlen, total;
    OSSL_CMP_MSG *res;

    q = der;
    ck_assert_int_eq(ASN1_get_object(&q, &outer, &tag, &cls, derlen), 0x20);
    end = q + outer;
    hdr = skip_elem(&q, end, &hdrlen);
    (void)skip_elem(&q, end, &oldlen);
    rest = q; /* protection and extraCerts */
    contlen = (int)(hdrlen + ASN1_object_size(1, bodylen, 7) + (end - rest));
    total = ASN1_object_size(1, contlen, V_ASN1_SEQUENCE);
    out = p = OPENSSL_malloc(total);
    ASN1_put_object(&p, 1, contlen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(p, hdr, hdrlen);
    p += hdrlen;
    ASN1_put_object(&p, 1, bodylen, 7, V_ASN1_CONTEXT_SPECIFIC);
    memcpy(p, body, bodylen);
    memcpy(p + bodylen, rest, end - rest);
    q = out;
    res = d2i_OSSL_CMP_MSG(NULL, &q, total);
    ck_assert_ptr_nonnull(res);
    OPENSSL_free(out);
    OPENSSL_free(body);
    OPENSSL_free(der);
    return res;
}

/* Lets s answer req through srv_handle(); returns the decoded response
 * (caller frees). */
static OSSL_CMP_MSG *answer(SRV *s, const OSSL_CMP_MSG *req)
{
    unsigned char *der = NULL, *rsp = NULL;
    const unsigned char *q;
    size_t rsplen;
    int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
    OSSL_CMP_MSG *res;

    ck_assert_int_eq(srv_handle(s, der, (size_t)len, &rsp, &rsplen), 200);
    q = rsp;
    res = d2i_OSSL_CMP_MSG(NULL, &q, (long)rsplen);
    ck_assert_ptr_nonnull(res);
    OPENSSL_free(rsp);
    OPENSSL_free(der);
    return res;
}

/* Lets s answer req; returns the response's body type. */
static int answer_type(SRV *s, const OSSL_CMP_MSG *req)
{
    OSSL_CMP_MSG *res = answer(s, req);
    int type = OSSL_CMP_MSG_get_bodytype(res);

    OSSL_CMP_MSG_free(res);
    return type;
}

/* For via_srv: the server, and the signer a certConf is re-signed by. */
static SRV *via_s;
static OSSL_CMP_CTX *via_swap;
static int via_last_type = -1;

/* A transfer callback answering through srv_handle(); a certConf is first
 * protected again by via_swap's credentials (same transactionID). */
static OSSL_CMP_MSG *via_srv(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
    OSSL_CMP_MSG *res, *copy = NULL;

    (void)ctx;
    if (via_swap != NULL && OSSL_CMP_MSG_get_bodytype(req) == 24) {
        ck_assert_ptr_nonnull(copy = OSSL_CMP_MSG_dup(req));
        ck_assert_int_eq(OSSL_CMP_CTX_set1_transactionID(via_swap,
            OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req))),
                         1);
        ck_assert_int_eq(OSSL_CMP_MSG_update_transactionID(via_swap, copy),
                         1);
        req = copy;
    }
    res = answer(via_s, req);
    via_last_type = OSSL_CMP_MSG_get_bodytype(res);
    OSSL_CMP_MSG_free(copy);
    return res;
}

/* A client signing with key and cert, trusting ca, answered by via_srv. */
static OSSL_CMP_CTX *signing_client(CA *ca, EVP_PKEY *newkey, X509 *cert,
                                    EVP_PKEY *key)
{
    OSSL_CMP_CTX *ctx = client(newkey, X509_get_subject_name(ca->cert));
    X509_STORE *store = X509_STORE_new();

    ck_assert_ptr_nonnull(store);
    ck_assert_int_eq(X509_STORE_add_cert(store, ca->cert), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set0_trustedStore(ctx, store), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_cert(ctx, cert), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_pkey(ctx, key), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set_transfer_cb(ctx, via_srv), 1);
    return ctx;
}

/*
 * Issue 13 item 7: libcrypto 3.0's server context caches the certificate
 * that validated a request and, when it fails on the next one, frees and
 * reads it again. Signers A and B alternate between transactions, and a
 * certConf re-signed by B inside A's transaction must get an error answer
 * (the pinned first signer does not validate it), never a crash; the CA
 * then goes on serving both.
 */
START_TEST(signer_change_between_and_within_transactions)
{
    CA ca;
    SRV s;
    SRV_CFG cfg;
    EVP_PKEY *ka = EVP_EC_gen("P-256"), *kb = EVP_EC_gen("P-384");
    EVP_PKEY *knew = EVP_EC_gen("P-256");
    X509_NAME *na = name("a"), *nb = name("b");
    X509 *ca_a, *ca_b, *got;
    OSSL_CMP_CTX *ctx_a, *ctx_b;
    int i;

    memset(&ca, 0, sizeof(ca));
    memset(&s, 0, sizeof(s));
    memset(&cfg, 0, sizeof(cfg));
    ca.days = 1;
    ck_assert_int_eq(ca_init(&ca, NULL, NULL), 1);
    ca_a = ca_issue(&ca, na, ka, NULL, NULL, NULL);
    ca_b = ca_issue(&ca, nb, kb, NULL, NULL, NULL);
    s.ca = &ca;
    s.reject_bit = -1;
    ck_assert_int_eq(srv_init(&s, &cfg), 1);
    via_s = &s;
    ctx_a = signing_client(&ca, knew, ca_a, ka);
    ctx_b = signing_client(&ca, knew, ca_b, kb);
    for (i = 0; i < 3; i++) { /* A, B, A, B, ... between transactions */
        ck_assert_ptr_nonnull(got = OSSL_CMP_exec_CR_ses(ctx_a));
        ck_assert_int_eq(OSSL_CMP_CTX_reinit(ctx_a), 1);
        ck_assert_ptr_nonnull(got = OSSL_CMP_exec_CR_ses(ctx_b));
        ck_assert_int_eq(OSSL_CMP_CTX_reinit(ctx_b), 1);
    }
    /* A's CR, then its certConf signed by B: refused with an error */
    via_swap = ctx_b;
    ck_assert_ptr_null(OSSL_CMP_exec_CR_ses(ctx_a));
    ck_assert_int_eq(via_last_type, 23);
    via_swap = NULL;
    ck_assert_int_eq(OSSL_CMP_CTX_reinit(ctx_a), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_reinit(ctx_b), 1);
    ck_assert_ptr_nonnull(OSSL_CMP_exec_CR_ses(ctx_b));
    ck_assert_int_eq(OSSL_CMP_CTX_reinit(ctx_a), 1);
    ck_assert_ptr_nonnull(OSSL_CMP_exec_CR_ses(ctx_a));
    OSSL_CMP_CTX_free(ctx_a);
    OSSL_CMP_CTX_free(ctx_b);
    srv_cleanup(&s);
    X509_free(ca_a);
    X509_free(ca_b);
    X509_NAME_free(na);
    X509_NAME_free(nb);
    EVP_PKEY_free(ka);
    EVP_PKEY_free(kb);
    EVP_PKEY_free(knew);
    ca_cleanup(&ca);
}
END_TEST

START_TEST(kur_without_oldcertid_renews_the_signer)
{
    CA ca;
    SRV s;
    SRV_CFG cfg;
    EVP_PKEY *oldkey = EVP_EC_gen("P-256"), *newkey = EVP_EC_gen("P-256");
    X509_NAME *subject = name("old");
    OSSL_CMP_CTX *ctx;
    OSSL_CMP_MSG *kur;
    X509 *old, *renewed;

    memset(&ca, 0, sizeof(ca));
    memset(&s, 0, sizeof(s));
    memset(&cfg, 0, sizeof(cfg));
    ca.days = 3;
    cfg.accept_unprotected = 1; /* the edited request's signature is void */
    ck_assert_int_eq(ca_init(&ca, NULL, NULL), 1);
    old = ca_issue(&ca, subject, oldkey, NULL, NULL, NULL);
    s.ca = &ca;
    s.reject_bit = -1;
    ck_assert_int_eq(srv_init(&s, &cfg), 1);
    ctx = client(newkey, X509_get_subject_name(ca.cert));
    ck_assert_int_eq(OSSL_CMP_CTX_set1_cert(ctx, old), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set1_pkey(ctx, oldkey), 1);
    ck_assert_int_eq(OSSL_CMP_CTX_set_transfer_cb(ctx, capture), 1);
    ck_assert_ptr_null(OSSL_CMP_exec_KUR_ses(ctx));
    kur = kur_without_oldcertid(captured, newkey, subject);
    ck_assert_int_eq(answer_type(&s, kur), BODY_KUP);
    ck_assert_int_eq(ca.n_issued, 2);
    renewed = sk_X509_value(ca.issued, 1);
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(renewed), newkey), 1);
    ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(renewed), subject),
                     0);
    /* once the signer is revoked, the same request gets nothing */
    ck_assert_int_eq(ca_revoke(&ca, X509_get0_serialNumber(old)), 1);
    ck_assert_int_eq(answer_type(&s, kur), BODY_KUP);
    ck_assert_int_eq(ca.n_issued, 2);
    OSSL_CMP_MSG_free(kur);
    OSSL_CMP_MSG_free(captured);
    captured = NULL;
    OSSL_CMP_CTX_free(ctx);
    srv_cleanup(&s);
    X509_free(old);
    X509_NAME_free(subject);
    EVP_PKEY_free(oldkey);
    EVP_PKEY_free(newkey);
    ca_cleanup(&ca);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("testca");
    TCase *tc = tcase_create("core");
    int failed;

    tcase_add_test(tc, template_pubkey_ec_and_ed25519);
    tcase_add_test(tc, template_without_pubkey_or_validity);
    tcase_add_test(tc, template_validity_one_or_both);
    tcase_add_test(tc, ca_validity_defaults_and_revocation);
    tcase_add_test(tc, first_extracert_is_the_signer);
    tcase_add_test(tc, in_process_ir_through_srv);
    tcase_add_test(tc, kur_without_oldcertid_renews_the_signer);
    tcase_add_test(tc, signer_change_between_and_within_transactions);
    suite_add_tcase(s, tc);
    failed = check_run(s, CK_NORMAL);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
