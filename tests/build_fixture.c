/*
 * tests/build_fixture.c - the shared fixture of check_msg and
 * check_protect (see build_fixture.h): keys and certificates for every
 * signature algorithm, p11cmp contexts, and OpenSSL as decoder and
 * validator of the messages p11cmp builds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "build_fixture.h"
#include "last_reason.h"

struct fx_pki fx;

/*
 * Check's assertions need a running test; the PKI is made before the
 * tests fork, so setup failures abort instead.
 */
#define REQUIRE(x)                                                     \
    do {                                                               \
        if (!(x)) {                                                    \
            fprintf(stderr, "%s:%d: setup failed: %s\n", __FILE__,     \
                    __LINE__, #x);                                     \
            ERR_print_errors_fp(stderr);                               \
            abort();                                                   \
        }                                                              \
    } while (0)

static const char *alg_names[FX_NUM_ALGS] = {
    "RSA", "RSA-PSS", "P-256", "P-384", "P-521", "Ed25519", "Ed448"
};

const char *fx_alg_name(int alg)
{
    return alg_names[alg];
}

int fx_reason(void)
{
    int r = last_reason();

    ERR_clear_error();
    return r;
}

X509_NAME *fx_name(const char *cn)
{
    X509_NAME *name = X509_NAME_new();

    REQUIRE(name);
    REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         (const unsigned char *)cn, -1,
                                         -1, 0));
    return name;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    REQUIRE(ext);
    REQUIRE(X509_add_ext(x, ext, -1));
    X509_EXTENSION_free(ext);
}

X509 *fx_issue(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *ikey,
               const EVP_MD *md, int ca, const char *san)
{
    static long serial = 1000;
    X509 *x = X509_new();
    X509_NAME *name = fx_name(cn);
    char buf[200];

    REQUIRE(x);
    REQUIRE(X509_set_version(x, X509_VERSION_3));
    REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
    REQUIRE(X509_set_subject_name(x, name));
    REQUIRE(X509_set_issuer_name(x, issuer != NULL
                                   ? X509_get_subject_name(issuer) : name));
    REQUIRE(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    REQUIRE(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    REQUIRE(X509_set_pubkey(x, pub));
    add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
            ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(x, issuer != NULL ? issuer : x, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign,digitalSignature"
            : "critical,digitalSignature");
    add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier,
            "hash");
    if (issuer != NULL)
        add_ext(x, issuer, NID_authority_key_identifier, "keyid");
    if (san != NULL) {
        snprintf(buf, sizeof(buf), "DNS:%s", san);
        add_ext(x, issuer != NULL ? issuer : x, NID_subject_alt_name, buf);
    }
    REQUIRE(X509_sign(x, ikey, md) > 0);
    X509_NAME_free(name);
    return x;
}

/* EVP_PKEY_Q_keygen() of OpenSSL 3.0 knows no RSA-PSS */
static EVP_PKEY *rsa_pss_keygen(void)
{
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *k = NULL;

    REQUIRE(kctx);
    REQUIRE(EVP_PKEY_keygen_init(kctx) > 0);
    REQUIRE(EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, 2048) > 0);
    REQUIRE(EVP_PKEY_generate(kctx, &k) > 0);
    EVP_PKEY_CTX_free(kctx);
    return k;
}

static EVP_PKEY *keygen(int alg)
{
    EVP_PKEY *k = NULL;

    switch (alg) {
    case FX_RSA:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    case FX_RSA_PSS:
        k = rsa_pss_keygen();
        break;
    case FX_P256:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case FX_P384:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case FX_P521:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
        break;
    case FX_ED25519:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case FX_ED448:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
        break;
    }
    REQUIRE(k);
    return k;
}

void fx_setup(void)
{
    char cn[64];
    int i;

    fx.root_key = keygen(FX_P256);
    fx.root = fx_issue(fx.root_key, "Test Root CA", NULL, fx.root_key,
                       EVP_sha256(), 1, NULL);
    fx.sub_key = keygen(FX_P256);
    fx.sub = fx_issue(fx.sub_key, "Test Sub CA", fx.root, fx.root_key,
                      EVP_sha256(), 1, NULL);
    for (i = 0; i < FX_NUM_ALGS; i++) {
        fx.key[i] = keygen(i);
        snprintf(cn, sizeof(cn), "client-%s", alg_names[i]);
        fx.cert[i] = fx_issue(fx.key[i], cn, fx.root, fx.root_key,
                              EVP_sha256(), 0, NULL);
    }
    fx.leaf_of_sub = fx_issue(fx.key[FX_P256], "client-of-sub", fx.sub,
                              fx.sub_key, EVP_sha256(), 0, NULL);
    fx.new_key = keygen(FX_P256);
    fx.old_cert = fx_issue(fx.new_key, "old-entity", fx.root, fx.root_key,
                           EVP_sha256(), 0, "old.example");
}

void fx_teardown(void)
{
    int i;

    for (i = 0; i < FX_NUM_ALGS; i++) {
        EVP_PKEY_free(fx.key[i]);
        X509_free(fx.cert[i]);
    }
    EVP_PKEY_free(fx.root_key);
    X509_free(fx.root);
    EVP_PKEY_free(fx.sub_key);
    X509_free(fx.sub);
    X509_free(fx.leaf_of_sub);
    EVP_PKEY_free(fx.new_key);
    X509_free(fx.old_cert);
    memset(&fx, 0, sizeof(fx));
}

static void set_new_key(P11CMP_CTX *ctx)
{
    X509_NAME *subj = fx_name("new-entity");

    ck_assert(EVP_PKEY_up_ref(fx.new_key));
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 1, fx.new_key));
    ck_assert(P11CMP_CTX_set1_subjectName(ctx, subj));
    X509_NAME_free(subj);
}

P11CMP_CTX *fx_ctx_pbm(void)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    ck_assert_ptr_nonnull(ctx);
    ck_assert(P11CMP_CTX_set1_secretValue(ctx,
                  (const unsigned char *)FX_SECRET, strlen(FX_SECRET)));
    ck_assert(P11CMP_CTX_set1_referenceValue(ctx,
                  (const unsigned char *)FX_REF, strlen(FX_REF)));
    set_new_key(ctx);
    return ctx;
}

P11CMP_CTX *fx_ctx_sig(int alg)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    ck_assert_ptr_nonnull(ctx);
    ck_assert(P11CMP_CTX_set1_cert(ctx, fx.cert[alg]));
    ck_assert(P11CMP_CTX_set1_pkey(ctx, fx.key[alg]));
    set_new_key(ctx);
    return ctx;
}

const int fx_req_types[FX_NUM_REQ_TYPES] = {
    P11CMP_PKIBODY_IR, P11CMP_PKIBODY_CR, P11CMP_PKIBODY_KUR,
    P11CMP_PKIBODY_P10CR, P11CMP_PKIBODY_RR, P11CMP_PKIBODY_GENM,
    P11CMP_PKIBODY_CERTCONF, P11CMP_PKIBODY_POLLREQ, P11CMP_PKIBODY_ERROR
};

const char *fx_body_name(int bodytype)
{
    switch (bodytype) {
    case P11CMP_PKIBODY_IR:
        return "IR";
    case P11CMP_PKIBODY_CR:
        return "CR";
    case P11CMP_PKIBODY_KUR:
        return "KUR";
    case P11CMP_PKIBODY_P10CR:
        return "P10CR";
    case P11CMP_PKIBODY_RR:
        return "RR";
    case P11CMP_PKIBODY_GENM:
        return "GENM";
    case P11CMP_PKIBODY_CERTCONF:
        return "certConf";
    case P11CMP_PKIBODY_POLLREQ:
        return "pollReq";
    case P11CMP_PKIBODY_ERROR:
        return "error";
    }
    return "?";
}

/* a CSR for new_key, subject "CN=csr-entity", into ctx */
static void set_csr(P11CMP_CTX *ctx)
{
    X509_REQ *csr = X509_REQ_new();
    X509_NAME *name = fx_name("csr-entity");

    ck_assert_ptr_nonnull(csr);
    ck_assert(X509_REQ_set_subject_name(csr, name));
    ck_assert(X509_REQ_set_pubkey(csr, fx.new_key));
    ck_assert_int_gt(X509_REQ_sign(csr, fx.new_key, EVP_sha256()), 0);
    ck_assert(P11CMP_CTX_set1_p10CSR(ctx, csr));
    X509_REQ_free(csr);
    X509_NAME_free(name);
}

/* an error message: rejection, badRequest, "given up", code 42 */
static P11CMP_MSG *build_error(P11CMP_CTX *ctx)
{
    P11CMP_PKISI *si =
        p11cmp_pkisi_create(P11CMP_PKISTATUS_rejection,
                            1 << P11CMP_PKIFAILUREINFO_badRequest,
                            "given up");
    P11CMP_MSG *msg;

    ck_assert_ptr_nonnull(si);
    msg = p11cmp_error_new(ctx, si, 42, "details", 0);
    P11CMP_PKISI_free(si);
    return msg;
}

P11CMP_MSG *fx_build(P11CMP_CTX *ctx, int bodytype)
{
    if (bodytype == P11CMP_PKIBODY_KUR || bodytype == P11CMP_PKIBODY_RR)
        ck_assert(P11CMP_CTX_set1_oldCert(ctx, fx.old_cert));
    switch (bodytype) {
    case P11CMP_PKIBODY_P10CR:
        set_csr(ctx);
        /* fall through */
    case P11CMP_PKIBODY_IR:
    case P11CMP_PKIBODY_CR:
    case P11CMP_PKIBODY_KUR:
        return p11cmp_certreq_new(ctx, bodytype);
    case P11CMP_PKIBODY_RR:
        return p11cmp_rr_new(ctx);
    case P11CMP_PKIBODY_GENM:
        return p11cmp_genm_new(ctx);
    case P11CMP_PKIBODY_CERTCONF:
        return p11cmp_certConf_new(ctx, 0, fx.cert[FX_P256], 0, NULL);
    case P11CMP_PKIBODY_POLLREQ:
        return p11cmp_pollReq_new(ctx, 0);
    case P11CMP_PKIBODY_ERROR:
        return build_error(ctx);
    }
    ck_abort_msg("fx_build: no builder for body type %d", bodytype);
    return NULL;
}

OSSL_CMP_MSG *fx_to_ossl_as(const P11CMP_MSG *msg, const char *what)
{
    unsigned char *der = NULL, *der2 = NULL;
    const unsigned char *p;
    OSSL_CMP_MSG *om;
    int len, len2;

    ck_assert_msg(msg != NULL, "%s: no message", what);
    len = i2d_P11CMP_MSG(msg, &der);
    ck_assert_msg(len > 0, "%s: i2d_P11CMP_MSG failed", what);
    p = der;
    om = d2i_OSSL_CMP_MSG(NULL, &p, len);
    if (om == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_msg(om != NULL, "%s: d2i_OSSL_CMP_MSG failed", what);
    ck_assert_msg(p == der + len, "%s: OpenSSL decoded %ld of %d bytes",
                  what, (long)(p - der), len);
    len2 = i2d_OSSL_CMP_MSG(om, &der2);
    ck_assert_msg(len2 == len && memcmp(der2, der, (size_t)len) == 0,
                  "%s: OpenSSL re-encodes it differently", what);
    OPENSSL_free(der);
    OPENSSL_free(der2);
    return om;
}

OSSL_CMP_CTX *fx_ossl_pbm(const char *secret)
{
    OSSL_CMP_CTX *v = OSSL_CMP_CTX_new(NULL, NULL);

    ck_assert_ptr_nonnull(v);
    ck_assert(OSSL_CMP_CTX_set1_secretValue(v,
                  (const unsigned char *)secret, (int)strlen(secret)));
    return v;
}

OSSL_CMP_CTX *fx_ossl_srvcert(X509 *cert)
{
    OSSL_CMP_CTX *v = OSSL_CMP_CTX_new(NULL, NULL);

    ck_assert_ptr_nonnull(v);
    ck_assert(OSSL_CMP_CTX_set1_srvCert(v, cert));
    return v;
}

OSSL_CMP_CTX *fx_ossl_trusted(void)
{
    OSSL_CMP_CTX *v = OSSL_CMP_CTX_new(NULL, NULL);
    X509_STORE *store = X509_STORE_new();

    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_nonnull(store);
    ck_assert(X509_STORE_add_cert(store, fx.root));
    ck_assert(OSSL_CMP_CTX_set0_trustedStore(v, store));
    return v;
}

int fx_ossl_validates(OSSL_CMP_CTX *vctx, const P11CMP_MSG *msg)
{
    OSSL_CMP_MSG *om = fx_to_ossl(msg);
    int ok = OSSL_CMP_validate_msg(vctx, om);

    if (!ok && getenv("FX_DEBUG") != NULL)
        ERR_print_errors_fp(stderr);
    OSSL_CMP_MSG_free(om);
    OSSL_CMP_CTX_free(vctx);
    ERR_clear_error();
    return ok;
}

void fx_body_content(const P11CMP_MSG *msg, unsigned char **der,
                     const unsigned char **content, long *clen)
{
    const unsigned char *p;
    long len, l;
    int tag, cls, total;

    total = i2d_P11CMP_MSG(msg, der);
    ck_assert_int_gt(total, 0);
    p = *der;
    ck_assert_int_eq(ASN1_get_object(&p, &len, &tag, &cls, total) & 0x80,
                     0);
    ck_assert_int_eq(ASN1_get_object(&p, &l, &tag, &cls, len) & 0x80, 0);
    p += l; /* header */
    ck_assert_int_eq(ASN1_get_object(&p, &l, &tag, &cls,
                                     total - (p - *der)) & 0x80, 0);
    ck_assert_int_eq(cls, V_ASN1_CONTEXT_SPECIFIC);
    ck_assert_int_eq(tag, P11CMP_MSG_get_bodytype(msg));
    *content = p;
    *clen = l;
}

OSSL_CRMF_MSGS *fx_crmf_msgs(const P11CMP_MSG *msg)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    long len;
    OSSL_CRMF_MSGS *msgs;

    fx_body_content(msg, &der, &p, &len);
    msgs = d2i_OSSL_CRMF_MSGS(NULL, &p, len);
    ck_assert_ptr_nonnull(msgs);
    OPENSSL_free(der);
    return msgs;
}

int fx_find_tagged(const unsigned char *der, long len, int tag,
                   const unsigned char **tlv, long *tlvlen)
{
    const unsigned char *p = der, *start, *end;
    long l;
    int t, cls;

    if (ASN1_get_object(&p, &l, &t, &cls, len) & 0x80)
        return 0;
    end = p + l;
    while (p < end) {
        start = p;
        if (ASN1_get_object(&p, &l, &t, &cls, end - p) & 0x80)
            return 0;
        p += l;
        if (cls == V_ASN1_CONTEXT_SPECIFIC && t == tag) {
            *tlv = start;
            *tlvlen = p - start;
            return 1;
        }
    }
    return 0;
}

P11CMP_MSG *fx_received(const P11CMP_MSG *msg)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    P11CMP_MSG *rcvd;
    int len = i2d_P11CMP_MSG(msg, &der);

    ck_assert_int_gt(len, 0);
    p = der;
    rcvd = d2i_P11CMP_MSG(NULL, &p, len);
    ck_assert_ptr_nonnull(rcvd);
    OPENSSL_free(der);
    return rcvd;
}
