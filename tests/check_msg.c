/*
 * tests/check_msg.c - unit tests of src/msg.c and src/hdr.c: every body
 * p11cmp builds is decoded by OpenSSL (d2i_OSSL_CMP_MSG, re-encoding to
 * the same bytes) and validated with OSSL_CMP_validate_msg; the contents
 * are checked as OpenSSL's decoders see them (CertTemplate, POPO,
 * oldCertID, RevDetails, CertStatus, ErrorMsgContent), and the header
 * fields (names, IDs, nonces, implicitConfirm, generalInfo, pvno); the
 * SubjectPublicKeyInfo of src/spki.c against OpenSSL's encoder.
 */
#include <check.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "build_fixture.h"
#include "check_main.h"

static P11CMP_MSG *certreq(P11CMP_CTX *ctx, int type)
{
    P11CMP_MSG *msg = p11cmp_certreq_new(ctx, type);

    if (msg == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(msg), type);
    ck_assert_int_eq(p11cmp_hdr_get_pvno(msg->header), 2);
    return msg;
}

static int name_eq(const X509_NAME *a, const X509_NAME *b)
{
    return a != NULL && b != NULL && X509_NAME_cmp(a, b) == 0;
}

static const X509_NAME *dirname(const GENERAL_NAME *gn)
{
    ck_assert_ptr_nonnull(gn);
    ck_assert_int_eq(gn->type, GEN_DIRNAME);
    return gn->d.directoryName;
}

/* the single CertReqMsg of an IR/CR/KUR as OpenSSL decodes it */
static OSSL_CRMF_MSG *crm_of(OSSL_CRMF_MSGS *msgs)
{
    ck_assert_int_eq(sk_OSSL_CRMF_MSG_num(msgs), 1);
    return sk_OSSL_CRMF_MSG_value(msgs, 0);
}

/* The DER of the template field [tag] (content of the TLV), or NULL */
static const unsigned char *tmpl_field(const OSSL_CRMF_CERTTEMPLATE *t,
                                       int tag, unsigned char **der,
                                       long *len)
{
    const unsigned char *tlv = NULL;
    int dlen = i2d_OSSL_CRMF_CERTTEMPLATE(t, der);

    ck_assert_int_gt(dlen, 0);
    if (!fx_find_tagged(*der, dlen, tag, &tlv, len))
        return NULL;
    return tlv;
}

/* The template's publicKey [6] as an EVP_PKEY */
static EVP_PKEY *tmpl_pubkey(const OSSL_CRMF_CERTTEMPLATE *t)
{
    unsigned char *der = NULL, *copy;
    const unsigned char *tlv, *p;
    long len;
    EVP_PKEY *pk;

    tlv = tmpl_field(t, 6, &der, &len);
    ck_assert_ptr_nonnull(tlv);
    copy = OPENSSL_memdup(tlv, (size_t)len);
    copy[0] = 0x30; /* [6] IMPLICIT SubjectPublicKeyInfo */
    p = copy;
    pk = d2i_PUBKEY(NULL, &p, len);
    ck_assert_ptr_nonnull(pk);
    OPENSSL_free(copy);
    OPENSSL_free(der);
    return pk;
}

/* days between notBefore and notAfter of the template's validity [4] */
static int tmpl_validity_days(const OSSL_CRMF_CERTTEMPLATE *t)
{
    unsigned char *der = NULL;
    const unsigned char *tlv, *f, *p;
    long len, flen, l;
    ASN1_TIME *nb, *na;
    int tag, cls, days = -1, secs = -1;

    if ((tlv = tmpl_field(t, 4, &der, &len)) == NULL) {
        OPENSSL_free(der);
        return -1;
    }
    ck_assert(fx_find_tagged(tlv, len, 0, &f, &flen));
    p = f;
    ASN1_get_object(&p, &l, &tag, &cls, flen);
    nb = d2i_ASN1_TIME(NULL, &p, l);
    ck_assert(fx_find_tagged(tlv, len, 1, &f, &flen));
    p = f;
    ASN1_get_object(&p, &l, &tag, &cls, flen);
    na = d2i_ASN1_TIME(NULL, &p, l);
    ck_assert_ptr_nonnull(nb);
    ck_assert_ptr_nonnull(na);
    ck_assert(ASN1_TIME_diff(&days, &secs, nb, na));
    ck_assert_int_eq(secs, 0);
    ck_assert_int_ge(X509_cmp_time(nb, NULL), -1);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    OPENSSL_free(der);
    return days;
}

/* the DNS name of the only GeneralName in a SAN extension */
static void assert_san(const X509_EXTENSIONS *exts, const char *dns,
                       int crit)
{
    int i = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
    X509_EXTENSION *ext;
    GENERAL_NAMES *gens;
    GENERAL_NAME *gn;

    ck_assert_int_ge(i, 0);
    ext = X509v3_get_ext(exts, i);
    ck_assert_int_eq(X509_EXTENSION_get_critical(ext), crit);
    gens = X509V3_EXT_d2i(ext);
    ck_assert_ptr_nonnull(gens);
    ck_assert_int_eq(sk_GENERAL_NAME_num(gens), 1);
    gn = sk_GENERAL_NAME_value(gens, 0);
    ck_assert_int_eq(gn->type, GEN_DNS);
    ck_assert_str_eq((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
                     dns);
    GENERAL_NAMES_free(gens);
}

/* the dotted form of obj, in a static buffer */
static const char *oid_text(const ASN1_OBJECT *obj)
{
    static char buf[100];

    ck_assert_int_gt(OBJ_obj2txt(buf, sizeof(buf), obj, 1), 0);
    return buf;
}

static POLICYINFO *policy(const char *oid)
{
    POLICYINFO *pi = POLICYINFO_new();

    ck_assert_ptr_nonnull(pi);
    ASN1_OBJECT_free(pi->policyid);
    pi->policyid = OBJ_txt2obj(oid, 1);
    ck_assert_ptr_nonnull(pi->policyid);
    return pi;
}

static GENERAL_NAME *dns_name(const char *dns)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();

    ck_assert(ASN1_STRING_set(s, dns, -1));
    GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    return gn;
}

START_TEST(ir_template_contents)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    GENERAL_NAME *san = dns_name("new.example");
    OSSL_CRMF_MSGS *msgs;
    OSSL_CRMF_CERTTEMPLATE *t;
    X509_EXTENSIONS *exts;
    CERTIFICATEPOLICIES *pols;
    X509_NAME *subj = fx_name("new-entity");
    EVP_PKEY *pk;
    P11CMP_MSG *msg;
    int i;

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_VALIDITY_DAYS, 30));
    ck_assert(P11CMP_CTX_set1_issuer(ctx, X509_get_subject_name(fx.root)));
    ck_assert(P11CMP_CTX_push1_subjectAltName(ctx, san));
    ck_assert(P11CMP_CTX_push0_policy(ctx, policy("1.3.6.1.4.1.99999.1")));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_POLICIES_CRITICAL, 1));
    msg = certreq(ctx, P11CMP_PKIBODY_IR);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    msgs = fx_crmf_msgs(msg);
    ck_assert_int_eq(OSSL_CRMF_MSG_get_certReqId(crm_of(msgs)), 0);
    ck_assert_int_eq(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL), 1);
    t = OSSL_CRMF_MSG_get0_tmpl(crm_of(msgs));
    ck_assert(name_eq(OSSL_CRMF_CERTTEMPLATE_get0_subject(t), subj));
    ck_assert(name_eq(OSSL_CRMF_CERTTEMPLATE_get0_issuer(t),
                      X509_get_subject_name(fx.root)));
    pk = tmpl_pubkey(t);
    ck_assert_int_eq(EVP_PKEY_eq(pk, fx.new_key), 1);
    ck_assert_int_eq(tmpl_validity_days(t), 30);
    exts = OSSL_CRMF_CERTTEMPLATE_get0_extensions(t);
    ck_assert_int_eq(sk_X509_EXTENSION_num(exts), 2);
    assert_san(exts, "new.example", 0);
    i = X509v3_get_ext_by_NID(exts, NID_certificate_policies, -1);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(X509_EXTENSION_get_critical(X509v3_get_ext(exts, i)),
                     1);
    pols = X509V3_EXT_d2i(X509v3_get_ext(exts, i));
    ck_assert_int_eq(sk_POLICYINFO_num(pols), 1);
    ck_assert_str_eq(oid_text(sk_POLICYINFO_value(pols, 0)->policyid),
                     "1.3.6.1.4.1.99999.1");
    /* IR without implicitConfirm option has none; sender = subjectName */
    ck_assert(!p11cmp_hdr_has_implicitConfirm(msg->header));
    ck_assert(name_eq(dirname(msg->header->sender), subj));
    CERTIFICATEPOLICIES_free(pols);
    EVP_PKEY_free(pk);
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);
    GENERAL_NAME_free(san);
    X509_NAME_free(subj);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* a NULL-DN subjectName: no subject, so the SANs become critical */
START_TEST(ir_no_subject_critical_san)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    GENERAL_NAME *san = dns_name("only-san.example");
    X509_NAME *empty = X509_NAME_new();
    OSSL_CRMF_MSGS *msgs;
    OSSL_CRMF_CERTTEMPLATE *t;
    P11CMP_MSG *msg;

    ck_assert(P11CMP_CTX_set1_subjectName(ctx, empty));
    ck_assert(P11CMP_CTX_push1_subjectAltName(ctx, san));
    msg = certreq(ctx, P11CMP_PKIBODY_IR);
    msgs = fx_crmf_msgs(msg);
    t = OSSL_CRMF_MSG_get0_tmpl(crm_of(msgs));
    ck_assert_ptr_null(OSSL_CRMF_CERTTEMPLATE_get0_subject(t));
    ck_assert_int_eq(tmpl_validity_days(t), -1);
    assert_san(OSSL_CRMF_CERTTEMPLATE_get0_extensions(t),
               "only-san.example", 1);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);
    GENERAL_NAME_free(san);
    X509_NAME_free(empty);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* reqExtensions go along; SAN critical flag on pushed names */
START_TEST(cr_reqextensions)
{
    P11CMP_CTX *ctx = fx_ctx_sig(FX_P256);
    X509_EXTENSIONS *exts = NULL;
    ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
    OSSL_CRMF_MSGS *msgs;
    X509_EXTENSIONS *got;
    GENERAL_NAME *san = dns_name("cr.example");
    P11CMP_MSG *msg;
    X509_EXTENSION *ext;

    ck_assert(ASN1_OCTET_STRING_set(val, (unsigned char *)"\x05\x00", 2));
    ext = X509_EXTENSION_create_by_NID(NULL, NID_netscape_comment, 0, val);
    ck_assert(X509v3_add_ext(&exts, ext, -1));
    ck_assert(P11CMP_CTX_set0_reqExtensions(ctx, exts));
    ck_assert(P11CMP_CTX_push1_subjectAltName(ctx, san));
    ck_assert(P11CMP_CTX_set_option(ctx,
                  P11CMP_OPT_SUBJECTALTNAME_CRITICAL, 1));
    msg = certreq(ctx, P11CMP_PKIBODY_CR);
    msgs = fx_crmf_msgs(msg);
    ck_assert_int_eq(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL), 1);
    got = OSSL_CRMF_CERTTEMPLATE_get0_extensions(
              OSSL_CRMF_MSG_get0_tmpl(crm_of(msgs)));
    ck_assert_int_eq(sk_X509_EXTENSION_num(got), 2);
    ck_assert_int_eq(X509v3_get_ext_by_OBJ(got,
                         X509_EXTENSION_get_object(ext), -1), 0);
    assert_san(got, "cr.example", 1);
    ck_assert(fx_ossl_validates(fx_ossl_trusted(), msg));
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(val);
    GENERAL_NAME_free(san);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* KUR context: signer = old_cert/new_key, new key P-384, no subject */
static P11CMP_CTX *kur_ctx(void)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    ck_assert(P11CMP_CTX_set1_cert(ctx, fx.old_cert));
    ck_assert(P11CMP_CTX_set1_pkey(ctx, fx.new_key));
    ck_assert(EVP_PKEY_up_ref(fx.key[FX_P384]));
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 1, fx.key[FX_P384]));
    return ctx;
}

START_TEST(kur_oldcertid_and_defaults)
{
    P11CMP_CTX *ctx = kur_ctx();
    OSSL_CRMF_MSGS *msgs;
    OSSL_CRMF_CERTTEMPLATE *t;
    OSSL_CRMF_CERTID *cid;
    EVP_PKEY *pk;
    P11CMP_MSG *msg = certreq(ctx, P11CMP_PKIBODY_KUR);

    ck_assert(fx_ossl_validates(fx_ossl_trusted(), msg));
    msgs = fx_crmf_msgs(msg);
    ck_assert_int_eq(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL), 1);
    t = OSSL_CRMF_MSG_get0_tmpl(crm_of(msgs));
    ck_assert(name_eq(OSSL_CRMF_CERTTEMPLATE_get0_subject(t),
                      X509_get_subject_name(fx.old_cert)));
    ck_assert(name_eq(OSSL_CRMF_CERTTEMPLATE_get0_issuer(t),
                      X509_get_issuer_name(fx.old_cert)));
    pk = tmpl_pubkey(t);
    ck_assert_int_eq(EVP_PKEY_eq(pk, fx.key[FX_P384]), 1);
    assert_san(OSSL_CRMF_CERTTEMPLATE_get0_extensions(t), "old.example", 0);
    cid = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm_of(msgs));
    ck_assert_ptr_nonnull(cid);
    ck_assert(name_eq(OSSL_CRMF_CERTID_get0_issuer(cid),
                      X509_get_issuer_name(fx.old_cert)));
    ck_assert_int_eq(ASN1_INTEGER_cmp(OSSL_CRMF_CERTID_get0_serialNumber(cid),
                         X509_get0_serialNumber(fx.old_cert)), 0);
    /* sender and recipient from the reference cert */
    ck_assert(name_eq(dirname(msg->header->sender),
                      X509_get_subject_name(fx.old_cert)));
    ck_assert(name_eq(dirname(msg->header->recipient),
                      X509_get_issuer_name(fx.old_cert)));
    EVP_PKEY_free(pk);
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);
    /* SUBJECTALTNAME_NODEFAULT: no SAN taken from the old cert */
    ck_assert(P11CMP_CTX_set_option(ctx,
                  P11CMP_OPT_SUBJECTALTNAME_NODEFAULT, 1));
    msg = certreq(ctx, P11CMP_PKIBODY_KUR);
    msgs = fx_crmf_msgs(msg);
    t = OSSL_CRMF_MSG_get0_tmpl(crm_of(msgs));
    ck_assert_ptr_null(OSSL_CRMF_CERTTEMPLATE_get0_extensions(t));
    ck_assert(name_eq(OSSL_CRMF_CERTTEMPLATE_get0_subject(t),
                      X509_get_subject_name(fx.old_cert)));
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(kur_needs_reference_cert)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();

    ck_assert_ptr_null(p11cmp_certreq_new(ctx, P11CMP_PKIBODY_KUR));
    ASSERT_REASON(P11CMP_R_MISSING_REFERENCE_CERT);
    ck_assert_ptr_null(p11cmp_certreq_new(ctx, P11CMP_PKIBODY_P10CR));
    ASSERT_REASON(P11CMP_R_ERROR_CREATING_MESSAGE);
    ck_assert_ptr_null(p11cmp_certreq_new(ctx, P11CMP_PKIBODY_GENM));
    ASSERT_REASON(P11CMP_R_INVALID_ARGUMENT);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(popo_methods)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    OSSL_CRMF_MSGS *msgs;
    P11CMP_MSG *msg;
    p11cmp_CRMF_MSG *crm;
    EVP_PKEY *pub = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    int len;

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_POPO_METHOD,
                                    P11CMP_POPO_RAVERIFIED));
    msg = certreq(ctx, P11CMP_PKIBODY_CR);
    msgs = fx_crmf_msgs(msg);
    ck_assert_int_eq(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 1, NULL, NULL), 1);
    ck_assert_int_eq(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL), 0);
    ERR_clear_error();
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_POPO_METHOD,
                                    P11CMP_POPO_NONE));
    msg = certreq(ctx, P11CMP_PKIBODY_CR);
    crm = sk_p11cmp_CRMF_MSG_value(msg->body->value.cr, 0);
    ck_assert_ptr_null(crm->popo);
    OSSL_CMP_MSG_free(fx_to_ossl(msg));
    P11CMP_MSG_free(msg);

    /* keyEncipherment subsequentMessage encrCert, as OpenSSL sends */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_POPO_METHOD,
                                    P11CMP_POPO_KEYENC));
    msg = certreq(ctx, P11CMP_PKIBODY_IR);
    OSSL_CMP_MSG_free(fx_to_ossl(msg));
    crm = sk_p11cmp_CRMF_MSG_value(msg->body->value.ir, 0);
    ck_assert_int_eq(crm->popo->type, P11CMP_POPO_KEYENC);
    len = i2d_p11cmp_CRMF_POPO(crm->popo, &der);
    ck_assert_int_eq(len, 5); /* [2] { [1] IMPLICIT INTEGER 0 } */
    ck_assert_mem_eq(der, "\xa2\x03\x81\x01\x00", 5);
    OPENSSL_free(der);
    P11CMP_MSG_free(msg);

    /* a signature POPO needs the private key */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_POPO_METHOD,
                                    P11CMP_POPO_SIGNATURE));
    der = NULL;
    len = i2d_PUBKEY(fx.new_key, &der);
    p = der;
    pub = d2i_PUBKEY(NULL, &p, len);
    OPENSSL_free(der);
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 0, pub));
    ck_assert_ptr_null(p11cmp_certreq_new(ctx, P11CMP_PKIBODY_IR));
    ASSERT_REASON(P11CMP_R_MISSING_KEY);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* POPO signature by each key type, verified by OpenSSL */
START_TEST(popo_signature_each_alg)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    OSSL_CRMF_MSGS *msgs;
    P11CMP_MSG *msg;

    ck_assert(EVP_PKEY_up_ref(fx.key[_i]));
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 1, fx.key[_i]));
    msg = certreq(ctx, P11CMP_PKIBODY_IR);
    msgs = fx_crmf_msgs(msg);
    ck_assert_msg(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL) == 1,
                  "POPO %s", fx_alg_name(_i));
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(p10cr_carries_csr)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    X509_REQ *csr = X509_REQ_new(), *got;
    X509_NAME *name = fx_name("csr-entity");
    unsigned char *der = NULL, *cder = NULL;
    const unsigned char *p;
    long len;
    int clen;
    P11CMP_MSG *msg;

    ck_assert(X509_REQ_set_subject_name(csr, name));
    ck_assert(X509_REQ_set_pubkey(csr, fx.new_key));
    ck_assert_int_gt(X509_REQ_sign(csr, fx.new_key, EVP_sha256()), 0);
    ck_assert(P11CMP_CTX_set1_p10CSR(ctx, csr));
    msg = certreq(ctx, P11CMP_PKIBODY_P10CR);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    fx_body_content(msg, &der, &p, &len);
    got = d2i_X509_REQ(NULL, &p, len);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(X509_REQ_verify(got, fx.new_key), 1);
    clen = i2d_X509_REQ(csr, &cder);
    ck_assert_int_eq(clen, len);
    ck_assert_mem_eq(cder, p - len, (size_t)len);
    /* with no cert nor oldCert, the sender is the CSR's subject */
    ck_assert(name_eq(dirname(msg->header->sender),
                      X509_REQ_get_subject_name(csr)));
    X509_REQ_free(got);
    OPENSSL_free(der);
    OPENSSL_free(cder);
    P11CMP_MSG_free(msg);
    X509_REQ_free(csr);
    X509_NAME_free(name);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* RevDetails: CertTemplate and crlEntryDetails as OpenSSL decodes them */
static void check_rr(const P11CMP_MSG *msg, int reason)
{
    unsigned char *der = NULL;
    const unsigned char *p, *end;
    long len, l;
    int tag, cls;
    OSSL_CRMF_CERTTEMPLATE *t;
    X509_EXTENSIONS *exts = NULL;
    ASN1_ENUMERATED *r;

    fx_body_content(msg, &der, &p, &len);
    ASN1_get_object(&p, &l, &tag, &cls, len); /* RevReqContent */
    ASN1_get_object(&p, &l, &tag, &cls, l);   /* RevDetails */
    end = p + l;
    t = d2i_OSSL_CRMF_CERTTEMPLATE(NULL, &p, end - p);
    ck_assert_ptr_nonnull(t);
    ck_assert(name_eq(OSSL_CRMF_CERTTEMPLATE_get0_issuer(t),
                      X509_get_issuer_name(fx.old_cert)));
    ck_assert_int_eq(ASN1_INTEGER_cmp(
                         OSSL_CRMF_CERTTEMPLATE_get0_serialNumber(t),
                         X509_get0_serialNumber(fx.old_cert)), 0);
    ck_assert_ptr_null(OSSL_CRMF_CERTTEMPLATE_get0_subject(t));
    if (reason < 0) {
        ck_assert_ptr_eq(p, end);
    } else {
        exts = d2i_X509_EXTENSIONS(NULL, &p, end - p);
        ck_assert_ptr_nonnull(exts);
        ck_assert_int_eq(sk_X509_EXTENSION_num(exts), 1);
        r = X509V3_get_d2i(exts, NID_crl_reason, NULL, NULL);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(ASN1_ENUMERATED_get(r), reason);
        ASN1_ENUMERATED_free(r);
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    OSSL_CRMF_CERTTEMPLATE_free(t);
    OPENSSL_free(der);
}

START_TEST(rr_revdetails)
{
    P11CMP_CTX *ctx = fx_ctx_sig(FX_P256);
    P11CMP_MSG *msg;

    ck_assert_ptr_null(p11cmp_rr_new(ctx));
    ASSERT_REASON(P11CMP_R_MISSING_REFERENCE_CERT);
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, fx.old_cert));
    msg = p11cmp_rr_new(ctx);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(msg), P11CMP_PKIBODY_RR);
    check_rr(msg, -1);
    ck_assert(fx_ossl_validates(fx_ossl_trusted(), msg));
    /* implicitConfirm is for certificate requests only */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_IMPLICIT_CONFIRM, 1));
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_REVOCATION_REASON,
                                    CRL_REASON_KEY_COMPROMISE));
    msg = p11cmp_rr_new(ctx);
    ck_assert_ptr_nonnull(msg);
    ck_assert(!p11cmp_hdr_has_implicitConfirm(msg->header));
    check_rr(msg, CRL_REASON_KEY_COMPROMISE);
    ck_assert(fx_ossl_validates(fx_ossl_srvcert(fx.cert[FX_P256]), msg));
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

static P11CMP_ITAV *itav(const char *oid, int with_null)
{
    ASN1_TYPE *v = NULL;

    if (with_null) {
        v = ASN1_TYPE_new();
        ASN1_TYPE_set(v, V_ASN1_NULL, NULL);
    }
    return P11CMP_ITAV_create(OBJ_txt2obj(oid, 1), v);
}

START_TEST(genm_itavs)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *msg = p11cmp_genm_new(ctx);

    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(sk_P11CMP_ITAV_num(msg->body->value.genm), 0);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_push0_genm_ITAV(ctx, itav("1.3.6.1.5.5.7.4.17",
                                                   0)));
    ck_assert(P11CMP_CTX_push0_genm_ITAV(ctx, itav("1.2.3.4.5", 1)));
    msg = p11cmp_genm_new(ctx);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(sk_P11CMP_ITAV_num(msg->body->value.genm), 2);
    ck_assert_str_eq(oid_text(sk_P11CMP_ITAV_value(msg->body->value.genm,
                                                   1)->infoType),
                     "1.2.3.4.5");
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* CertStatus of a certConf as OpenSSL decodes it */
static void check_certstatus(const P11CMP_MSG *msg, const X509 *cert,
                             const EVP_MD *md, const char *want1,
                             const char *want2)
{
    unsigned char *der = NULL, *cder = NULL;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hlen = 0;
    const unsigned char *p, *end;
    long len, l;
    int tag, cls, clen;
    ASN1_OCTET_STRING *h;
    ASN1_INTEGER *rid;
    OSSL_CMP_PKISI *si;
    char buf[300];

    clen = i2d_X509(cert, &cder);
    ck_assert(EVP_Digest(cder, (size_t)clen, hash, &hlen, md, NULL));
    fx_body_content(msg, &der, &p, &len);
    ASN1_get_object(&p, &l, &tag, &cls, len); /* CertConfirmContent */
    ASN1_get_object(&p, &l, &tag, &cls, l);   /* CertStatus */
    end = p + l;
    h = d2i_ASN1_OCTET_STRING(NULL, &p, end - p);
    rid = d2i_ASN1_INTEGER(NULL, &p, end - p);
    si = d2i_OSSL_CMP_PKISI(NULL, &p, end - p);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(rid);
    ck_assert_ptr_nonnull(si);
    ck_assert_int_eq(h->length, (int)hlen);
    ck_assert_mem_eq(h->data, hash, hlen);
    ck_assert_int_eq(ASN1_INTEGER_get(rid), 0);
    ck_assert_ptr_nonnull(OSSL_CMP_snprint_PKIStatusInfo(si, buf,
                                                         sizeof(buf)));
    ck_assert_msg(strstr(buf, want1) != NULL, "%s", buf);
    ck_assert_msg(want2 == NULL || strstr(buf, want2) != NULL, "%s", buf);
    OSSL_CMP_PKISI_free(si);
    ASN1_INTEGER_free(rid);
    ASN1_OCTET_STRING_free(h);
    OPENSSL_free(der);
    OPENSSL_free(cder);
}

START_TEST(certconf_hash_and_status)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    X509 *c384 = fx_issue(fx.new_key, "by-p384", fx.cert[FX_P384],
                          fx.key[FX_P384], EVP_sha384(), 0, NULL);
    P11CMP_MSG *msg;

    ck_assert_ptr_null(p11cmp_certConf_new(ctx, 0, NULL, 0, NULL));
    ASSERT_REASON(P11CMP_R_INVALID_ARGUMENT);
    msg = p11cmp_certConf_new(ctx, 0, fx.cert[FX_P256], 0, NULL);
    ck_assert_ptr_nonnull(msg);
    check_certstatus(msg, fx.cert[FX_P256], EVP_sha256(), "accepted", NULL);
    ck_assert_int_eq(p11cmp_hdr_get_pvno(msg->header), 2);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    /* rejection with failInfo and text; cert signed with SHA-384 */
    msg = p11cmp_certConf_new(ctx, 0, c384,
                              1 << P11CMP_PKIFAILUREINFO_badPOP, "no POP");
    ck_assert_ptr_nonnull(msg);
    check_certstatus(msg, c384, EVP_sha384(), "rejection", "badPOP");
    check_certstatus(msg, c384, EVP_sha384(), "no POP", NULL);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    /* NULL cert means ctx->newCert */
    ck_assert(p11cmp_ctx_set0_newCert(ctx, X509_dup(c384)));
    msg = p11cmp_certConf_new(ctx, 0, NULL, 0, NULL);
    ck_assert_ptr_nonnull(msg);
    check_certstatus(msg, c384, EVP_sha384(), "accepted", NULL);
    P11CMP_MSG_free(msg);
    X509_free(c384);
    P11CMP_CTX_free(ctx);
}
END_TEST

/*
 * RFC 9480: EdDSA-signed cert -> SHA-512 (Ed25519), hashAlg, pvno 3.
 * OpenSSL 3.0 cannot decode CertStatus with hashAlg, so p11cmp checks it.
 */
START_TEST(certconf_eddsa_hashalg)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    X509 *ed = fx_issue(fx.new_key, "by-ed25519", fx.cert[FX_ED25519],
                        fx.key[FX_ED25519], NULL, 0, NULL);
    unsigned char *cder = NULL, hash[EVP_MAX_MD_SIZE];
    unsigned int hlen = 0;
    int clen = i2d_X509(ed, &cder);
    P11CMP_MSG *msg = p11cmp_certConf_new(ctx, 0, ed, 0, NULL), *rcvd;
    p11cmp_CERTSTATUS *cs;

    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(p11cmp_hdr_get_pvno(msg->header), 3);
    rcvd = fx_received(msg);
    cs = sk_p11cmp_CERTSTATUS_value(rcvd->body->value.certConf, 0);
    ck_assert_ptr_nonnull(cs->hashAlg);
    ck_assert_int_eq(OBJ_obj2nid(cs->hashAlg->algorithm), NID_sha512);
    ck_assert(EVP_Digest(cder, (size_t)clen, hash, &hlen, EVP_sha512(),
                         NULL));
    ck_assert_int_eq(cs->certHash->length, 64);
    ck_assert_mem_eq(cs->certHash->data, hash, hlen);
    OPENSSL_free(cder);
    P11CMP_MSG_free(rcvd);
    P11CMP_MSG_free(msg);
    X509_free(ed);
    /* Ed448: SHAKE256 with 64 bytes of output */
    ed = fx_issue(fx.new_key, "by-ed448", fx.cert[FX_ED448],
                  fx.key[FX_ED448], NULL, 0, NULL);
    msg = p11cmp_certConf_new(ctx, 0, ed, 0, NULL);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(p11cmp_hdr_get_pvno(msg->header), 3);
    cs = sk_p11cmp_CERTSTATUS_value(msg->body->value.certConf, 0);
    ck_assert_int_eq(OBJ_obj2nid(cs->hashAlg->algorithm), NID_shake256);
    ck_assert_int_eq(cs->certHash->length, 64);
    P11CMP_MSG_free(msg);
    X509_free(ed);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* SHA-1-signed cert: certHash with SHA-1, no hashAlg (RFC 9480 2.10) */
START_TEST(certconf_sha1_upgraded)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    X509 *c = fx_issue(fx.new_key, "by-sha1", fx.root, fx.root_key,
                       EVP_sha1(), 0, NULL);
    P11CMP_MSG *msg = p11cmp_certConf_new(ctx, 0, c, 0, NULL);
    p11cmp_CERTSTATUS *cs;

    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(p11cmp_hdr_get_pvno(msg->header), 2);
    cs = sk_p11cmp_CERTSTATUS_value(msg->body->value.certConf, 0);
    ck_assert_ptr_null(cs->hashAlg);
    check_certstatus(msg, c, EVP_sha1(), "accepted", NULL);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    X509_free(c);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(pollreq_and_error)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *msg = p11cmp_pollReq_new(ctx, 0);
    P11CMP_PKISI *si;
    unsigned char *der = NULL;
    const unsigned char *p, *end;
    long len, l;
    int tag, cls;
    OSSL_CMP_PKISI *osi;
    ASN1_INTEGER *code;
    char buf[300];

    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(ASN1_INTEGER_get(sk_p11cmp_POLLREQ_value(
                         msg->body->value.pollReq, 0)->certReqId), 0);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);

    si = p11cmp_pkisi_create(P11CMP_PKISTATUS_rejection,
                             (1 << P11CMP_PKIFAILUREINFO_badRequest)
                             | (1 << P11CMP_PKIFAILUREINFO_systemFailure),
                             "client gives up");
    ck_assert_ptr_nonnull(si);
    ck_assert_ptr_null(p11cmp_error_new(ctx, NULL, 1, NULL, 0));
    ASSERT_REASON(P11CMP_R_NULL_ARGUMENT);
    msg = p11cmp_error_new(ctx, si, 42, "details here", 0);
    ck_assert_ptr_nonnull(msg);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    fx_body_content(msg, &der, &p, &len);
    ASN1_get_object(&p, &l, &tag, &cls, len);
    end = p + l;
    osi = d2i_OSSL_CMP_PKISI(NULL, &p, end - p);
    code = d2i_ASN1_INTEGER(NULL, &p, end - p);
    ck_assert_ptr_nonnull(osi);
    ck_assert_ptr_nonnull(code);
    ck_assert_int_eq(ASN1_INTEGER_get(code), 42);
    OSSL_CMP_snprint_PKIStatusInfo(osi, buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "rejection") != NULL
                  && strstr(buf, "badRequest") != NULL
                  && strstr(buf, "systemFailure") != NULL
                  && strstr(buf, "client gives up") != NULL, "%s", buf);
    ck_assert_ptr_nonnull(sk_ASN1_UTF8STRING_value(
                              msg->body->value.error->errorDetails, 0));
    OSSL_CMP_PKISI_free(osi);
    ASN1_INTEGER_free(code);
    OPENSSL_free(der);
    P11CMP_MSG_free(msg);
    /* unprotected on request, without errorCode and details */
    msg = p11cmp_error_new(ctx, si, -1, NULL, 1);
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_null(msg->protection);
    ck_assert_ptr_null(msg->body->value.error->errorCode);
    ck_assert_ptr_null(msg->body->value.error->errorDetails);
    OSSL_CMP_MSG_free(fx_to_ossl(msg));
    P11CMP_MSG_free(msg);
    P11CMP_PKISI_free(si);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(header_ids_and_nonces)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *m1 = p11cmp_genm_new(ctx), *m2 = p11cmp_genm_new(ctx), *m3;
    OSSL_CMP_MSG *om = fx_to_ossl(m1);
    ASN1_OCTET_STRING *nonce = ASN1_OCTET_STRING_new();
    const ASN1_OCTET_STRING *otid;
    int days = -1, secs = -1;

    otid = OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(om));
    ck_assert_int_eq(ASN1_STRING_length(otid), 16);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(otid, m1->header->transactionID),
                     0);
    ck_assert_int_eq(m1->header->senderNonce->length, 16);
    /* same transaction: same ID, fresh nonce; ctx keeps the last one */
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(m1->header->transactionID,
                                           m2->header->transactionID), 0);
    ck_assert_int_ne(ASN1_OCTET_STRING_cmp(m1->header->senderNonce,
                                           m2->header->senderNonce), 0);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(ctx->senderNonce,
                                           m2->header->senderNonce), 0);
    ck_assert_ptr_null(m1->header->recipNonce);
    /* messageTime is now */
    ck_assert_ptr_nonnull(m1->header->messageTime);
    ck_assert(ASN1_TIME_diff(&days, &secs, NULL, m1->header->messageTime));
    ck_assert_int_eq(days, 0);
    ck_assert_int_le(secs < 0 ? -secs : secs, 60);
    /* recipNonce echoes the server's last senderNonce */
    ck_assert(ASN1_OCTET_STRING_set(nonce, (unsigned char *)"server-nonce-16b",
                                    16));
    ck_assert(p11cmp_ctx_set1_recipNonce(ctx, nonce));
    m3 = p11cmp_genm_new(ctx);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(m3->header->recipNonce, nonce),
                     0);
    OSSL_CMP_MSG_free(om);
    om = fx_to_ossl(m3);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(
        OSSL_CMP_HDR_get0_recipNonce(OSSL_CMP_MSG_get0_header(om)), nonce),
        0);
    P11CMP_MSG_free(m3);
    /* a new transaction after reinit: new ID, no recipNonce */
    ck_assert(P11CMP_CTX_reinit(ctx));
    m3 = p11cmp_genm_new(ctx);
    ck_assert_int_eq(m3->header->transactionID->length, 16);
    ck_assert_int_ne(ASN1_OCTET_STRING_cmp(m1->header->transactionID,
                                           m3->header->transactionID), 0);
    ck_assert_ptr_null(m3->header->recipNonce);
    ASN1_OCTET_STRING_free(nonce);
    OSSL_CMP_MSG_free(om);
    P11CMP_MSG_free(m1);
    P11CMP_MSG_free(m2);
    P11CMP_MSG_free(m3);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(header_generalinfo)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *msg;
    P11CMP_ITAV *ic;

    ck_assert(P11CMP_CTX_push0_geninfo_ITAV(ctx, itav("1.2.3.99", 1)));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_IMPLICIT_CONFIRM, 1));
    msg = certreq(ctx, P11CMP_PKIBODY_IR);
    ck_assert(p11cmp_hdr_has_implicitConfirm(msg->header));
    ck_assert_int_eq(sk_P11CMP_ITAV_num(msg->header->generalInfo), 2);
    ic = sk_P11CMP_ITAV_value(msg->header->generalInfo, 1);
    ck_assert_int_eq(OBJ_obj2nid(ic->infoType), NID_id_it_implicitConfirm);
    ck_assert_int_eq(ASN1_TYPE_get(ic->infoValue), V_ASN1_NULL);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    msg = certreq(ctx, P11CMP_PKIBODY_CR);
    ck_assert(p11cmp_hdr_has_implicitConfirm(msg->header));
    P11CMP_MSG_free(msg);
    /* not for other bodies; the geninfo ITAVs go everywhere */
    msg = p11cmp_genm_new(ctx);
    ck_assert(!p11cmp_hdr_has_implicitConfirm(msg->header));
    ck_assert_int_eq(sk_P11CMP_ITAV_num(msg->header->generalInfo), 1);
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_IMPLICIT_CONFIRM, 0));
    ck_assert(P11CMP_CTX_reset_geninfo_ITAVs(ctx));
    msg = certreq(ctx, P11CMP_PKIBODY_IR);
    ck_assert_ptr_null(msg->header->generalInfo);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* the recipient of OSSL_CMP_CTX_set1_recipient(3), in its order */
START_TEST(header_recipient_order)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    X509_NAME *rcp = fx_name("explicit recipient");
    X509_NAME *iss = fx_name("wanted issuer");
    P11CMP_MSG *msg;

    msg = p11cmp_genm_new(ctx); /* nothing: NULL-DN */
    ck_assert_int_eq(X509_NAME_entry_count(dirname(msg->header->recipient)),
                     0);
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set1_cert(ctx, fx.cert[FX_P256]));
    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->recipient),
                      X509_get_issuer_name(fx.cert[FX_P256])));
    ck_assert(name_eq(dirname(msg->header->sender),
                      X509_get_subject_name(fx.cert[FX_P256])));
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, fx.leaf_of_sub));
    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->recipient),
                      X509_get_subject_name(fx.sub)));
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set1_issuer(ctx, iss));
    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->recipient), iss));
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set1_srvCert(ctx, fx.cert[FX_ED448]));
    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->recipient),
                      X509_get_subject_name(fx.cert[FX_ED448])));
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set1_recipient(ctx, rcp));
    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->recipient), rcp));
    P11CMP_MSG_free(msg);
    X509_NAME_free(rcp);
    X509_NAME_free(iss);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* the sender: cert subject, else oldCert's, else the CSR's, else subject */
START_TEST(header_sender_order)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    X509_REQ *csr = X509_REQ_new();
    X509_NAME *cn = fx_name("csr-sender"), *subj = fx_name("new-entity");
    P11CMP_MSG *msg;

    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->sender), subj));
    P11CMP_MSG_free(msg);
    ck_assert(X509_REQ_set_subject_name(csr, cn));
    ck_assert(X509_REQ_set_pubkey(csr, fx.new_key));
    ck_assert_int_gt(X509_REQ_sign(csr, fx.new_key, EVP_sha256()), 0);
    ck_assert(P11CMP_CTX_set1_p10CSR(ctx, csr));
    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->sender), cn));
    P11CMP_MSG_free(msg);
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, fx.old_cert));
    msg = p11cmp_genm_new(ctx);
    ck_assert(name_eq(dirname(msg->header->sender),
                      X509_get_subject_name(fx.old_cert)));
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    X509_REQ_free(csr);
    X509_NAME_free(cn);
    X509_NAME_free(subj);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* a body of any supported type can be started, others are refused */
START_TEST(msg_create_bodies)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *msg;
    int t;

    for (t = 0; t <= P11CMP_PKIBODY_TYPE_MAX; t++) {
        ERR_clear_error();
        msg = p11cmp_msg_create(ctx, t);
        switch (t) {
        case P11CMP_PKIBODY_POPDECC: case P11CMP_PKIBODY_POPDECR:
        case P11CMP_PKIBODY_KRR: case P11CMP_PKIBODY_KRP:
        case P11CMP_PKIBODY_CCR: case P11CMP_PKIBODY_CCP:
        case P11CMP_PKIBODY_CKUANN: case P11CMP_PKIBODY_CANN:
        case P11CMP_PKIBODY_RANN: case P11CMP_PKIBODY_CRLANN:
        case P11CMP_PKIBODY_NESTED:
            ck_assert_ptr_null(msg);
            ASSERT_REASON(P11CMP_R_UNKNOWN_BODY_TYPE);
            break;
        default:
            ck_assert_msg(msg != NULL, "body %d", t);
            ck_assert_int_eq(P11CMP_MSG_get_bodytype(msg), t);
            ck_assert_ptr_null(msg->protection);
            break;
        }
        P11CMP_MSG_free(msg);
    }
    P11CMP_CTX_free(ctx);
}
END_TEST

/* a message p11cmp sent earlier in another transaction, as read back */
static P11CMP_MSG *old_request(P11CMP_CTX *other)
{
    P11CMP_MSG *msg = p11cmp_genm_new(other), *rcvd;

    ck_assert_ptr_nonnull(msg);
    rcvd = fx_received(msg);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(other);
    return rcvd;
}

START_TEST(update_transactionID)
{
    P11CMP_CTX *ctx = fx_ctx_pbm(), *bare = P11CMP_CTX_new(NULL, NULL);
    P11CMP_MSG *msg = old_request(fx_ctx_pbm());
    ASN1_OCTET_STRING *old = ASN1_OCTET_STRING_dup(
        msg->header->transactionID);

    ck_assert_int_eq(P11CMP_MSG_update_transactionID(NULL, msg), 0);
    ASSERT_REASON(P11CMP_R_NULL_ARGUMENT);
    ck_assert_int_eq(P11CMP_MSG_update_transactionID(ctx, NULL), 0);
    ASSERT_REASON(P11CMP_R_NULL_ARGUMENT);
    /* ctx has no transaction yet: one is started, the PBM is made anew */
    ck_assert(P11CMP_MSG_update_transactionID(ctx, msg));
    ck_assert_int_eq(ASN1_STRING_length(ctx->transactionID), 16);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(msg->header->transactionID,
                                           ctx->transactionID), 0);
    ck_assert_int_ne(ASN1_OCTET_STRING_cmp(msg->header->transactionID, old),
                     0);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    ck_assert(!fx_ossl_validates(fx_ossl_pbm("another secret"), msg));
    P11CMP_MSG_free(msg);
    /* signature protection, by the key of the ctx doing the update */
    P11CMP_CTX_free(ctx);
    ctx = fx_ctx_sig(FX_P384);
    msg = old_request(fx_ctx_sig(FX_P256));
    ck_assert(P11CMP_MSG_update_transactionID(ctx, msg));
    ck_assert(fx_ossl_validates(fx_ossl_srvcert(fx.cert[FX_P384]), msg));
    ck_assert(!fx_ossl_validates(fx_ossl_srvcert(fx.cert[FX_P256]), msg));
    /* a protected message cannot be updated without credentials */
    ck_assert_int_eq(P11CMP_MSG_update_transactionID(bare, msg), 0);
    ASSERT_REASON(P11CMP_R_MISSING_KEY);
    P11CMP_MSG_free(msg);
    /* an unprotected one stays unprotected */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_SEND, 1));
    msg = old_request(fx_ctx_pbm());
    ASN1_BIT_STRING_free(msg->protection);
    msg->protection = NULL;
    X509_ALGOR_free(msg->header->protectionAlg);
    msg->header->protectionAlg = NULL;
    ck_assert(P11CMP_MSG_update_transactionID(bare, msg));
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(msg->header->transactionID,
                                           bare->transactionID), 0);
    ck_assert_ptr_null(msg->protection);
    OSSL_CMP_MSG_free(fx_to_ossl(msg));
    ASN1_OCTET_STRING_free(old);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(bare);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(update_recipNonce)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *msg = old_request(fx_ctx_pbm());
    ASN1_OCTET_STRING *nonce = ASN1_OCTET_STRING_new();
    unsigned char *before = NULL, *after = NULL;
    OSSL_CMP_MSG *om;
    int len;

    ck_assert_int_eq(P11CMP_MSG_update_recipNonce(ctx, NULL), 0);
    ASSERT_REASON(P11CMP_R_NULL_ARGUMENT);
    /* no response yet in ctx: the message stays as it is */
    len = i2d_P11CMP_MSG(msg, &before);
    ck_assert(P11CMP_MSG_update_recipNonce(ctx, msg));
    ck_assert_int_eq(i2d_P11CMP_MSG(msg, &after), len);
    ck_assert_mem_eq(before, after, (size_t)len);
    ck_assert_ptr_null(msg->header->recipNonce);
    /* after a response: its senderNonce is echoed, the PBM made anew */
    ck_assert(ASN1_OCTET_STRING_set(nonce, (unsigned char *)"server-nonce-16b",
                                    16));
    ck_assert(p11cmp_ctx_set1_recipNonce(ctx, nonce));
    ck_assert(P11CMP_MSG_update_recipNonce(ctx, msg));
    om = fx_to_ossl(msg);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(
        OSSL_CMP_HDR_get0_recipNonce(OSSL_CMP_MSG_get0_header(om)), nonce),
        0);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    OSSL_CMP_MSG_free(om);
    OPENSSL_free(before);
    OPENSSL_free(after);
    ASN1_OCTET_STRING_free(nonce);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* A software key of kind i for spki_as_encoder; NULL past the last */
static EVP_PKEY *spki_key(int i)
{
    EVP_PKEY *k = NULL;

    switch (i) {
    case 0: case 1: case 2:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (i == 1)
            ck_assert(EVP_PKEY_set_utf8_string_param(
                          k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                          "compressed"));
        if (i == 2)
            ck_assert(EVP_PKEY_set_utf8_string_param(
                          k, OSSL_PKEY_PARAM_EC_ENCODING, "explicit"));
        break;
    case 3:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
        break;
    case 4: case 5:
        k = EVP_PKEY_Q_keygen(NULL, NULL, i == 4 ? "ED25519" : "ED448");
        break;
    case 6:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
        break;
    }
    ck_assert_ptr_nonnull(k);
    return k;
}

/* p11cmp_spki_dup(spki) encodes as der and holds the same key */
static void spki_copy_same(const X509_PUBKEY *spki, const unsigned char *der,
                           int len)
{
    X509_PUBKEY *copy = p11cmp_spki_dup(spki);
    unsigned char *got = NULL;

    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(i2d_X509_PUBKEY(copy, &got), len);
    ck_assert_mem_eq(got, der, (size_t)len);
    ck_assert_int_eq(EVP_PKEY_eq(X509_PUBKEY_get0(copy),
                                 X509_PUBKEY_get0(spki)), 1);
    OPENSSL_free(got);
    X509_PUBKEY_free(copy);
}

/* the SPKI of a request is the one OpenSSL's encoder gives the key */
START_TEST(spki_as_encoder)
{
    EVP_PKEY *k = spki_key(_i);
    X509_PUBKEY *spki = p11cmp_spki_new(k);
    unsigned char *ours = NULL, *theirs = NULL;
    int len = i2d_X509_PUBKEY(spki, &ours);

    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(i2d_PUBKEY(k, &theirs), len);
    ck_assert_mem_eq(ours, theirs, (size_t)len);
    ck_assert_int_eq(EVP_PKEY_eq(X509_PUBKEY_get0(spki), k), 1);
    spki_copy_same(spki, theirs, len);
    OPENSSL_free(ours);
    OPENSSL_free(theirs);
    X509_PUBKEY_free(spki);
    EVP_PKEY_free(k);
}
END_TEST

/*
 * A key whose last bit is 0: X509_PUBKEY_dup() alone would encode its
 * BIT STRING with unused bits. At most 64 keys are tried (each has the
 * bit 0 with probability 1/2).
 */
START_TEST(spki_dup_trailing_zero)
{
    X509_PUBKEY *spki = NULL;
    const unsigned char *pk = NULL;
    unsigned char *der = NULL;
    EVP_PKEY *k = NULL;
    int i, pklen = 0, len;

    for (i = 0; i < 64 && (pk == NULL || (pk[pklen - 1] & 1) != 0); i++) {
        X509_PUBKEY_free(spki);
        EVP_PKEY_free(k);
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
        ck_assert_ptr_nonnull(spki = p11cmp_spki_new(k));
        ck_assert(X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, spki));
    }
    ck_assert_int_eq(pk[pklen - 1] & 1, 0);
    ck_assert_int_gt(len = i2d_PUBKEY(k, &der), 0);
    spki_copy_same(spki, der, len);
    OPENSSL_free(der);
    X509_PUBKEY_free(spki);
    EVP_PKEY_free(k);
}
END_TEST

static Suite *msg_suite(void)
{
    Suite *s = suite_create("msg");
    TCase *req = tcase_create("certreq"), *other = tcase_create("other");
    TCase *hdr = tcase_create("header");

    tcase_set_timeout(req, 60);
    tcase_add_test(req, ir_template_contents);
    tcase_add_test(req, ir_no_subject_critical_san);
    tcase_add_test(req, cr_reqextensions);
    tcase_add_test(req, kur_oldcertid_and_defaults);
    tcase_add_test(req, kur_needs_reference_cert);
    tcase_add_test(req, popo_methods);
    tcase_add_loop_test(req, popo_signature_each_alg, 0, FX_NUM_ALGS);
    tcase_add_test(req, p10cr_carries_csr);
    tcase_add_loop_test(req, spki_as_encoder, 0, 7);
    tcase_add_test(req, spki_dup_trailing_zero);
    suite_add_tcase(s, req);
    tcase_add_test(other, rr_revdetails);
    tcase_add_test(other, genm_itavs);
    tcase_add_test(other, certconf_hash_and_status);
    tcase_add_test(other, certconf_eddsa_hashalg);
    tcase_add_test(other, certconf_sha1_upgraded);
    tcase_add_test(other, pollreq_and_error);
    tcase_add_test(other, msg_create_bodies);
    suite_add_tcase(s, other);
    tcase_add_test(hdr, header_ids_and_nonces);
    tcase_add_test(hdr, header_generalinfo);
    tcase_add_test(hdr, header_recipient_order);
    tcase_add_test(hdr, header_sender_order);
    tcase_add_test(hdr, update_transactionID);
    tcase_add_test(hdr, update_recipNonce);
    suite_add_tcase(s, hdr);
    return s;
}

int main(void)
{
    int failed;

    fx_setup();
    failed = check_run(msg_suite(), CK_NORMAL);
    fx_teardown();
    return failed == 0 ? 0 : 1;
}
