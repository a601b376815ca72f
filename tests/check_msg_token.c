/*
 * tests/check_msg_token.c - request building and protection with keys on
 * a SoftHSM2 token: the token signs the POPO and the message protection
 * through EVP like a software key, and OpenSSL verifies both (RSA
 * PKCS#1 v1.5, ECDSA P-256/P-384, and Ed25519/Ed448 through p11cmp's
 * built-in provider), and the template carries the SubjectPublicKeyInfo
 * OpenSSL's encoder gives the token key.
 */
#include <check.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <p11cmp/pkcs11.h>

#include "build_fixture.h"
#include "p11_fixture.h"
#include "check_main.h"

static const char *const labels[] = { "build", NULL };

static const char *const token_algs[] = { "RSA:2048", "EC:P-256",
                                          "EC:P-384", "ED25519", "ED448" };
static const int want_sig[] = { NID_sha256WithRSAEncryption,
                                NID_ecdsa_with_SHA256,
                                NID_ecdsa_with_SHA256, NID_ED25519,
                                NID_ED448 };

/* the template's SPKI (src/spki.c) is the one OpenSSL's encoder gives */
static void spki_as_encoder(EVP_PKEY *tk, const P11CMP_MSG *msg)
{
    const X509_PUBKEY *got = sk_p11cmp_CRMF_MSG_value(msg->body->value.ir, 0)
        ->certReq->certTemplate->publicKey;
    unsigned char *ours = NULL, *theirs = NULL;
    int len = i2d_X509_PUBKEY(got, &ours);

    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(i2d_PUBKEY(tk, &theirs), len);
    ck_assert_mem_eq(ours, theirs, (size_t)len);
    ck_assert_int_eq(EVP_PKEY_eq(tk, X509_PUBKEY_get0(got)), 1);
    OPENSSL_free(ours);
    OPENSSL_free(theirs);
}

START_TEST(token_key_signs_popo_and_protection)
{
    char label[32];
    EVP_PKEY *tk;
    X509 *cert;
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    P11CMP_MSG *msg, *rcvd;
    OSSL_CRMF_MSGS *msgs;
    X509_NAME *subj = fx_name("token-entity");

    snprintf(label, sizeof(label), "key-%d", _i);
    tk = P11CMP_PKCS11_generate_key(p11_fixture_uri("build", "", NULL, 1),
                                    token_algs[_i], label, NULL, 0);
    if (tk == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_ptr_nonnull(tk);
    ck_assert(P11CMP_PKCS11_is_token_key(tk));
    cert = fx_issue(tk, "token-client", fx.root, fx.root_key, EVP_sha256(),
                    0, NULL);
    ck_assert(P11CMP_CTX_set1_cert(ctx, cert));
    ck_assert(P11CMP_CTX_set1_pkey(ctx, tk));
    ck_assert(EVP_PKEY_up_ref(tk));
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 1, tk));
    ck_assert(P11CMP_CTX_set1_subjectName(ctx, subj));
    msg = p11cmp_certreq_new(ctx, P11CMP_PKIBODY_IR);
    if (msg == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(OBJ_obj2nid(msg->header->protectionAlg->algorithm),
                     want_sig[_i]);
    ck_assert_msg(fx_ossl_validates(fx_ossl_srvcert(cert), msg),
                  "protection by %s", token_algs[_i]);
    ck_assert(fx_ossl_validates(fx_ossl_trusted(), msg));
    msgs = fx_crmf_msgs(msg);
    ck_assert_msg(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL) == 1,
                  "POPO by %s", token_algs[_i]);
    spki_as_encoder(tk, msg);
    rcvd = fx_received(msg);
    ck_assert(p11cmp_verify_signature(ctx, rcvd, X509_get0_pubkey(cert)));
    P11CMP_MSG_free(rcvd);
    OSSL_CRMF_MSGS_free(msgs);
    P11CMP_MSG_free(msg);
    X509_NAME_free(subj);
    X509_free(cert);
    EVP_PKEY_free(tk);
    P11CMP_CTX_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("msg_token");
    TCase *tc = tcase_create("token");
    int rc;

    fx_setup();
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, token_key_signs_popo_and_protection, 0,
                        (int)(sizeof(token_algs) / sizeof(token_algs[0])));
    suite_add_tcase(s, tc);
    rc = p11_fixture_main(labels, s);
    fx_teardown();
    return rc;
}
