/*
 * tests/check_ckg.c - unit tests of src/ckg.c, central key generation:
 * the request template (the key's algorithm, an empty BIT STRING, no
 * POPO) as OpenSSL decodes it, and the returned key built with OpenSSL's
 * CMS API as OpenSSL 3.5's server builds it (EnvelopedData to the client
 * certificate around a SignedData by a key generation authority over the
 * key) and as RFC 9483 has it (id-ct-KP-aKeyPackage, an
 * AsymmetricKeyPackage), also for the PBM secret (password recipient);
 * and every check that must refuse a key.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "build_fixture.h"
#include "check_main.h"

static EVP_PKEY *kga_key;
static X509 *kga_cert, *plain_cert; /* with and without EKU cmKGA */

/* outside the tests: a failed setup step ends the program */
#define SETUP(x)                                                         \
    do {                                                                 \
        if (!(x)) {                                                      \
            ERR_print_errors_fp(stderr);                                 \
            fprintf(stderr, "setup failed: %s\n", #x);                   \
            exit(2);                                                     \
        }                                                                \
    } while (0)

static X509 *kga_issue(int eku)
{
    X509 *c = fx_issue(kga_key, "kga", fx.root, fx.root_key, EVP_sha256(),
                       0, NULL);
    X509_EXTENSION *ext;

    SETUP(c != NULL);
    if (eku) {
        ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "cmKGA");
        SETUP(ext != NULL);
        SETUP(X509_add_ext(c, ext, -1));
        X509_EXTENSION_free(ext);
        SETUP(X509_sign(c, fx.root_key, EVP_sha256()) > 0);
    }
    return c;
}

/* the content (TLV) of the DER ContentInfo ci: its [0] EXPLICIT body */
static unsigned char *ci_content(CMS_ContentInfo *ci, int *outlen)
{
    unsigned char *der = NULL, *res;
    const unsigned char *p;
    long len;
    int tag, cls, n = i2d_CMS_ContentInfo(ci, &der);

    ck_assert_int_gt(n, 0);
    p = der;
    ASN1_get_object(&p, &len, &tag, &cls, n); /* ContentInfo */
    ASN1_get_object(&p, &len, &tag, &cls, n); /* contentType */
    p += len;
    ASN1_get_object(&p, &len, &tag, &cls, n); /* [0] */
    ck_assert_int_eq(cls, V_ASN1_CONTEXT_SPECIFIC);
    *outlen = (int)len;
    res = OPENSSL_memdup(p, len);
    OPENSSL_free(der);
    return res;
}

/* DER of key as OpenSSL 3.5 sends it, or in an AsymmetricKeyPackage */
static BIO *key_bio(EVP_PKEY *key, int package)
{
    BIO *b = BIO_new(BIO_s_mem());
    unsigned char *der = NULL, hdr[8], *h = hdr;
    PKCS8_PRIV_KEY_INFO *p8;
    int n;

    if (!package) {
        ck_assert(i2d_PrivateKey_bio(b, key) > 0);
        return b;
    }
    p8 = EVP_PKEY2PKCS8(key);
    n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
    ASN1_put_object(&h, 1, n, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    BIO_write(b, hdr, (int)(h - hdr));
    BIO_write(b, der, n);
    OPENSSL_free(der);
    PKCS8_PRIV_KEY_INFO_free(p8);
    return b;
}

/* EnvelopedData of in for the password FX_SECRET (PWRI) */
static CMS_ContentInfo *pwri_encrypt(BIO *in)
{
    CMS_ContentInfo *env = CMS_encrypt(NULL, in, EVP_aes_256_cbc(),
                                       CMS_BINARY | CMS_PARTIAL);
    unsigned char *pw = (unsigned char *)OPENSSL_strdup(FX_SECRET);

    ck_assert_ptr_nonnull(env);
    ck_assert_ptr_nonnull(CMS_add0_recipient_password(
        env, -1, NID_undef, NID_undef, pw, strlen(FX_SECRET), NULL));
    ck_assert(CMS_final(env, in, NULL, CMS_BINARY));
    return env;
}

/*
 * certifiedKeyPair.privateKey for key: signed by signer/skey, encrypted
 * to recip (NULL: for the PBM secret); package: RFC 9483's content type
 * and AsymmetricKeyPackage.
 */
static ASN1_TYPE *encrypted_key(EVP_PKEY *key, X509 *signer, EVP_PKEY *skey,
                                X509 *recip, int package)
{
    BIO *in = key_bio(key, package), *sdb;
    CMS_ContentInfo *sd, *env;
    STACK_OF(X509) *recips = sk_X509_new_null();
    unsigned char *sdder, *envder;
    const unsigned char *p;
    ASN1_TYPE *t;
    int sdlen, envlen;

    sd = CMS_sign(signer, skey, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
    ck_assert_ptr_nonnull(sd);
    if (package) {
        ASN1_OBJECT *kp = OBJ_txt2obj("2.16.840.1.101.2.1.2.78.5", 1);

        ck_assert(CMS_set1_eContentType(sd, kp));
        ASN1_OBJECT_free(kp);
    }
    ck_assert(CMS_final(sd, in, NULL, CMS_BINARY));
    sdder = ci_content(sd, &sdlen);
    sdb = BIO_new_mem_buf(sdder, sdlen);
    sk_X509_push(recips, recip);
    env = recip == NULL ? pwri_encrypt(sdb)
        : CMS_encrypt(recips, sdb, EVP_aes_256_cbc(), CMS_BINARY);
    ck_assert_ptr_nonnull(env);
    envder = ci_content(env, &envlen);
    envder[0] = 0xa0; /* EncryptedKey envelopedData [0] IMPLICIT */
    p = envder;
    t = d2i_ASN1_TYPE(NULL, &p, envlen);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->type, V_ASN1_OTHER);
    OPENSSL_free(envder);
    OPENSSL_free(sdder);
    BIO_free(sdb);
    BIO_free(in);
    CMS_ContentInfo_free(env);
    CMS_ContentInfo_free(sd);
    sk_X509_free(recips);
    return t;
}

static P11CMP_CTX *client_ctx(int alg)
{
    P11CMP_CTX *ctx = fx_ctx_sig(alg);

    ck_assert(X509_STORE_add_cert(P11CMP_CTX_get0_trustedStore(ctx),
                                  fx.root));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_POPO_METHOD,
                                    P11CMP_POPO_NONE));
    return ctx;
}

START_TEST(template_without_key)
{
    P11CMP_CTX *ctx = client_ctx(_i == 0 ? FX_RSA : FX_P256);
    P11CMP_MSG *msg;
    OSSL_CMP_MSG *omsg;
    p11cmp_CRMF_MSG *crm;
    const ASN1_OBJECT *obj;
    unsigned char *der = NULL;
    int n;

    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 0, NULL));
    msg = p11cmp_certreq_new(ctx, P11CMP_PKIBODY_IR);
    ck_assert_ptr_nonnull(msg);
    crm = sk_p11cmp_CRMF_MSG_value(msg->body->value.ir, 0);
    ck_assert_ptr_null(crm->popo);
    ck_assert(X509_PUBKEY_get0_param((ASN1_OBJECT **)&obj, NULL, NULL,
                                     NULL, crm->certReq->certTemplate
                                     ->publicKey));
    ck_assert_int_eq(OBJ_obj2nid(obj), _i == 0 ? NID_rsaEncryption
                     : NID_X9_62_id_ecPublicKey);
    /* the subjectPublicKey is the empty BIT STRING 03 01 00 */
    n = i2d_X509_PUBKEY(crm->certReq->certTemplate->publicKey, &der);
    ck_assert_int_gt(n, 3);
    ck_assert_int_eq(memcmp(der + n - 3, "\x03\x01\x00", 3), 0);
    OPENSSL_free(der);
    omsg = fx_to_ossl_as(msg, "central keygen IR");
    OSSL_CMP_MSG_free(omsg);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* RSA and EC clients (key transport, key agreement), both content forms */
START_TEST(key_decrypted_and_checked)
{
    int alg = _i / 2 == 0 ? FX_RSA : FX_P256, package = _i % 2;
    P11CMP_CTX *ctx = client_ctx(alg);
    ASN1_TYPE *enc = encrypted_key(fx.new_key, kga_cert, kga_key,
                                   fx.cert[alg], package);
    EVP_PKEY *pk = p11cmp_ckg_get1_pkey(ctx, enc);

    if (pk == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_ptr_nonnull(pk);
    ck_assert_int_eq(EVP_PKEY_eq(pk, fx.new_key), 1);
    EVP_PKEY_free(pk);
    ASN1_TYPE_free(enc);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* PBM only (no client key): the key is decrypted with the secret */
START_TEST(key_for_the_secret)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    ASN1_TYPE *enc = encrypted_key(fx.new_key, kga_cert, kga_key, NULL, 0);
    EVP_PKEY *pk;

    ck_assert(X509_STORE_add_cert(P11CMP_CTX_get0_trustedStore(ctx),
                                  fx.root));
    pk = p11cmp_ckg_get1_pkey(ctx, enc);
    if (pk == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_ptr_nonnull(pk);
    ck_assert_int_eq(EVP_PKEY_eq(pk, fx.new_key), 1);
    EVP_PKEY_free(pk);
    ck_assert(P11CMP_CTX_set1_secretValue(ctx, (const unsigned char *)"x",
                                          1));
    ck_assert_ptr_null(p11cmp_ckg_get1_pkey(ctx, enc));
    ASSERT_REASON(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY);
    ASN1_TYPE_free(enc);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(key_refused)
{
    P11CMP_CTX *ctx = client_ctx(FX_RSA);
    ASN1_TYPE *enc;
    X509_STORE *empty = X509_STORE_new();

    /* a signer without id-kp-cmKGA */
    enc = encrypted_key(fx.new_key, plain_cert, kga_key, fx.cert[FX_RSA], 0);
    ck_assert_ptr_null(p11cmp_ckg_get1_pkey(ctx, enc));
    ASSERT_REASON(P11CMP_R_NOT_KEY_GENERATION_AUTHORITY);
    ASN1_TYPE_free(enc);
    /* encrypted to another certificate */
    enc = encrypted_key(fx.new_key, kga_cert, kga_key, fx.cert[FX_P384], 0);
    ck_assert_ptr_null(p11cmp_ckg_get1_pkey(ctx, enc));
    ASSERT_REASON(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY);
    ASN1_TYPE_free(enc);
    /* a KGA that does not chain to the trusted certificates */
    enc = encrypted_key(fx.new_key, kga_cert, kga_key, fx.cert[FX_RSA], 0);
    ck_assert(P11CMP_CTX_set0_trustedStore(ctx, empty));
    ck_assert_ptr_null(p11cmp_ckg_get1_pkey(ctx, enc));
    ASSERT_REASON(P11CMP_R_NOT_KEY_GENERATION_AUTHORITY);
    ASN1_TYPE_free(enc);
    /* not an EncryptedKey envelopedData */
    enc = ASN1_TYPE_new();
    ASN1_TYPE_set(enc, V_ASN1_NULL, NULL);
    ck_assert_ptr_null(p11cmp_ckg_get1_pkey(ctx, enc));
    ASSERT_REASON(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY);
    ASN1_TYPE_free(enc);
    P11CMP_CTX_free(ctx);
}
END_TEST

static Suite *ckg_suite(void)
{
    Suite *s = suite_create("ckg");
    TCase *tc = tcase_create("ckg");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, template_without_key, 0, 2);
    tcase_add_loop_test(tc, key_decrypted_and_checked, 0, 4);
    tcase_add_test(tc, key_for_the_secret);
    tcase_add_test(tc, key_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed;

    fx_setup();
    kga_key = EVP_EC_gen("P-256");
    kga_cert = kga_issue(1);
    plain_cert = kga_issue(0);
    failed = check_run(ckg_suite(), CK_NORMAL);
    X509_free(plain_cert);
    X509_free(kga_cert);
    EVP_PKEY_free(kga_key);
    fx_teardown();
    return failed == 0 ? 0 : 1;
}
