/*
 * tests/check_verify.c - unit tests of src/verify.c and src/status.c:
 * responses of OpenSSL's CMP server (PBM and signature protected) pass
 * the validation; then one negative test per rule, each on a response
 * altered in exactly that way and protected again, asserting the reason
 * on the error stack and that the context learnt nothing from it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>

#include "verify_peer.h"
#include "check_main.h"
#include "last_reason.h"

#define IP_MASK P11CMP_BODY_MASK(P11CMP_PKIBODY_IP)

static struct vp_pki pki;
static struct vp_session s_pbm, s_sig, s_fail;

/* rc must be a failure with reason on top of the error stack */
#define assert_fail(rc, reason)                 \
    do {                                        \
        ck_assert_int_eq((rc), 0);              \
        ck_assert_int_eq(last_reason(), (reason)); \
        ERR_clear_error();                      \
    } while (0)

/*
 * the context learnt nothing from a rejected response msg, but the
 * senderNonce of one whose protection failed (for the error message)
 */
static void assert_untouched(const P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    ck_assert_ptr_null(ctx->extraCertsIn);
    ck_assert_ptr_null(ctx->newCert);
    ck_assert_ptr_null(ctx->caPubs);
    ck_assert(ctx->recipNonce == NULL
              || ASN1_OCTET_STRING_cmp(ctx->recipNonce,
                                       msg->header->senderNonce) == 0);
    ck_assert_int_eq(ctx->status, P11CMP_PKISTATUS_unspecified);
    ck_assert_int_eq(sk_X509_num(ctx->untrusted), 0);
}

/* msg fails the checks of an IP with reason; ctx learnt nothing */
static void assert_refused(P11CMP_CTX *ctx, P11CMP_MSG *msg, int reason)
{
    assert_fail(p11cmp_msg_check_received(ctx, msg, IP_MASK), reason);
    assert_untouched(ctx, msg);
}

/* the same for *msg after a DER round trip (which replaces *msg) */
static void assert_rejected(P11CMP_CTX *ctx, P11CMP_MSG **msg, int reason)
{
    ck_assert_ptr_nonnull(*msg = vp_roundtrip(*msg));
    assert_refused(ctx, *msg, reason);
}

static int num_trusted(const P11CMP_CTX *ctx)
{
    STACK_OF(X509) *certs = X509_STORE_get1_all_certs(ctx->trusted);
    int n = sk_X509_num(certs);

    sk_X509_pop_free(certs, X509_free);
    return n;
}

static p11cmp_CERTRESPONSE *crep0(const P11CMP_MSG *msg)
{
    return sk_p11cmp_CERTRESPONSE_value(msg->body->value.ip->response, 0);
}

static P11CMP_MSG *strip_protection(P11CMP_MSG *msg)
{
    ASN1_BIT_STRING_free(msg->protection);
    msg->protection = NULL;
    X509_ALGOR_free(msg->header->protectionAlg);
    msg->header->protectionAlg = NULL;
    return vp_roundtrip(msg);
}

static void flip_last(ASN1_STRING *s)
{
    s->data[s->length - 1] ^= 0x01;
}

static int set_certs(STACK_OF(X509) **sk, X509 *a, X509 *b)
{
    sk_X509_pop_free(*sk, X509_free);
    *sk = sk_X509_new_null();
    return *sk != NULL
        && (a == NULL || X509_add_cert(*sk, a, X509_ADD_FLAG_UP_REF))
        && (b == NULL || X509_add_cert(*sk, b, X509_ADD_FLAG_UP_REF));
}

/* the IP of the PBM session and its client context */
static void pbm_setup(P11CMP_CTX **ctx, P11CMP_MSG **msg)
{
    ck_assert_ptr_nonnull(*ctx = vp_ctx(&pki, &s_pbm, 1));
    ck_assert_ptr_nonnull(*msg = vp_msg(&s_pbm, 1));
}

static void sig_setup(P11CMP_CTX **ctx, P11CMP_MSG **msg)
{
    ck_assert_ptr_nonnull(*ctx = vp_ctx(&pki, &s_sig, 0));
    ck_assert_ptr_nonnull(*msg = vp_msg(&s_sig, 1));
}

/* msg protected again (PBM) as received: the IP as a whole passes */
static P11CMP_MSG *reprotected_passes(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    ck_assert(vp_reprotect_pbm(msg, VP_SECRET));
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    return msg;
}

/* the same, trusting only a root that did not sign the server cert */
static void sig_setup_other_root(P11CMP_CTX **ctx, P11CMP_MSG **msg)
{
    X509_STORE *ts = X509_STORE_new();

    sig_setup(ctx, msg);
    ck_assert(X509_STORE_add_cert(ts, pki.other_root));
    ck_assert(P11CMP_CTX_set0_trustedStore(*ctx, ts));
}

static void done(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
    ERR_clear_error();
}

/* ---- responses that pass ---- */

START_TEST(test_pbm_ip_valid)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    p11cmp_CERTRESPONSE *crep;
    X509 *cert;

    pbm_setup(&ctx, &msg);
    ck_assert_int_eq(num_trusted(ctx), 0);
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(ctx->recipNonce,
                                           msg->header->senderNonce), 0);
    ck_assert_ptr_nonnull(ctx->extraCertsIn);
    ck_assert_int_eq(sk_X509_num(ctx->extraCertsIn),
                     sk_X509_num(msg->extraCerts));
    /* RFC 4210 5.3.2: caPubs of a PBM-protected IP become trusted */
    ck_assert_int_eq(num_trusted(ctx), 1);
    ck_assert_ptr_nonnull(crep = p11cmp_certrep_get0_response(msg, 0));
    ck_assert_ptr_nonnull(cert = p11cmp_certresponse_get1_cert(ctx, crep));
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), pki.ee_key), 1);
    X509_free(cert);
    ck_assert_ptr_null(ctx->newCert);
    done(ctx, msg);
}
END_TEST

START_TEST(test_pbm_pkiconf_valid)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_pbm, 1);
    P11CMP_MSG *certconf = vp_msg(&s_pbm, 2), *conf = vp_msg(&s_pbm, 3);

    ck_assert_ptr_nonnull(conf);
    ck_assert_int_eq(conf->body->type, P11CMP_PKIBODY_PKICONF);
    ck_assert(P11CMP_CTX_set1_senderNonce(ctx,
                                          certconf->header->senderNonce));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, conf,
                     P11CMP_BODY_MASK(P11CMP_PKIBODY_PKICONF)), 1);
    /* OSSL_CMP_CTX_new(3): extraCertsIn are not taken from PKIConf */
    ck_assert_ptr_null(ctx->extraCertsIn);
    P11CMP_MSG_free(certconf);
    done(ctx, conf);
}
END_TEST

/* messageTime is not checked (as in OpenSSL 3.0): a response stamped
 * 1990, or without a time, passes */
START_TEST(test_message_time_ignored)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ck_assert_ptr_nonnull(msg->header->messageTime);
    p11cmp_MSG_forget_received(msg);
    ck_assert_ptr_nonnull(ASN1_GENERALIZEDTIME_set(msg->header->messageTime,
                                                   631152000));
    msg = reprotected_passes(ctx, msg);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
    pbm_setup(&ctx, &msg);
    p11cmp_MSG_forget_received(msg);
    ASN1_GENERALIZEDTIME_free(msg->header->messageTime);
    msg->header->messageTime = NULL;
    msg = reprotected_passes(ctx, msg);
    done(ctx, msg);
}
END_TEST

START_TEST(test_sig_ip_valid)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    sig_setup(&ctx, &msg);
    ck_assert_int_gt(sk_X509_num(msg->extraCerts), 0);
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(X509_cmp(ctx->validatedSrvCert, pki.srv), 0);
    ck_assert_int_eq(sk_X509_num(ctx->extraCertsIn),
                     sk_X509_num(msg->extraCerts));
    /* caPubs are trusted only with PBM */
    ck_assert_int_eq(num_trusted(ctx), 1);
    /* the cached validated cert is used again in the transaction */
    ck_assert_int_eq(p11cmp_msg_check_protection(ctx, msg), 1);
    done(ctx, msg);
}
END_TEST

static EVP_PKEY *keygen(const char *type)
{
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *key = NULL;

    if (kctx == NULL || EVP_PKEY_keygen_init(kctx) <= 0
            || EVP_PKEY_generate(kctx, &key) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(kctx);
    return key;
}

/* OpenSSL's server signing with other key types */
static EVP_PKEY *key_of_type(int i)
{
    return i == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-384");
}

START_TEST(test_sig_key_types)
{
    struct vp_pki p = pki;
    struct vp_session s;
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    ck_assert_ptr_nonnull(p.srv_key = key_of_type(_i));
    ck_assert_ptr_nonnull(p.srv = vp_cert(p.srv_key, "vp server", pki.root,
                                          pki.root_key, "digitalSignature",
                                          -1, 10));
    ck_assert_msg(vp_run(&p, VP_SIG, &s), "OpenSSL session %d", _i);
    ck_assert_ptr_nonnull(ctx = vp_ctx(&p, &s, 0));
    ck_assert_ptr_nonnull(msg = vp_msg(&s, 1));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(X509_cmp(ctx->validatedSrvCert, p.srv), 0);
    flip_last(msg->protection);
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    assert_fail(p11cmp_msg_check_protection(ctx, msg),
                P11CMP_R_BAD_SIGNATURE);
    vp_session_free(&s);
    X509_free(p.srv);
    EVP_PKEY_free(p.srv_key);
    done(ctx, msg);
}
END_TEST

/*
 * Key types OpenSSL 3.0 cannot protect CMP messages with: the signed IP
 * signed again under a new server cert (libcrypto picks the algorithm)
 */
static const char *const resign_types[] = { "RSA-PSS", "ED25519", "ED448" };

START_TEST(test_sig_resigned)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    EVP_PKEY *key = keygen(resign_types[_i]);
    const ASN1_OCTET_STRING *skid;
    X509 *cert;

    sig_setup(&ctx, &msg);
    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(cert = vp_cert(key, "vp server", pki.root,
                                         pki.root_key, "digitalSignature",
                                         -1, 10));
    skid = X509_get0_subject_key_id(cert);
    ck_assert(ASN1_OCTET_STRING_set(msg->header->senderKID, skid->data,
                                    skid->length));
    ck_assert(set_certs(&msg->extraCerts, cert, NULL));
    ck_assert(vp_resign(msg, key));
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(X509_cmp(ctx->validatedSrvCert, cert), 0);
    flip_last(msg->protection);
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    assert_fail(p11cmp_msg_check_protection(ctx, msg),
                P11CMP_R_BAD_SIGNATURE);
    X509_free(cert);
    EVP_PKEY_free(key);
    done(ctx, msg);
}
END_TEST

START_TEST(test_sig_pinned_srvcert)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    sig_setup(&ctx, &msg);
    ck_assert(P11CMP_CTX_set0_trustedStore(ctx, X509_STORE_new()));
    ck_assert(P11CMP_CTX_set1_srvCert(ctx, pki.srv));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    /* a pinned cert is trusted as it is, even expired */
    ck_assert(P11CMP_CTX_set1_srvCert(ctx, pki.srv_expired));
    ck_assert_int_eq(p11cmp_msg_check_protection(ctx, msg), 1);
    done(ctx, msg);
}
END_TEST

START_TEST(test_error_always_expected)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_fail, 1);
    P11CMP_MSG *msg = vp_msg(&s_fail, 1);

    ck_assert_int_eq(msg->body->type, P11CMP_PKIBODY_ERROR);
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    done(ctx, msg);
}
END_TEST

START_TEST(test_ip_when_pollrep_expected)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg,
                     P11CMP_BODY_MASK(P11CMP_PKIBODY_POLLREP)), 1);
    done(ctx, msg);
}
END_TEST

/* the MAC is checked over the bytes received, not a re-encoding */
START_TEST(test_protection_over_received_der)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_pbm, 1);
    const unsigned char *p;
    unsigned char *der;
    P11CMP_MSG *msg;
    int len = 0;

    der = vp_nonminimal_pbm(s_pbm.der[1], s_pbm.len[1], VP_SECRET, &len);
    ck_assert_ptr_nonnull(der);
    ck_assert_int_gt(len, s_pbm.len[1]);
    p = der;
    ck_assert_ptr_nonnull(msg = d2i_P11CMP_MSG(NULL, &p, len));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(ctx->recipNonce,
                                           msg->header->senderNonce), 0);
    /* the DER re-encoding differs from what the MAC covers */
    p11cmp_MSG_forget_received(msg);
    assert_fail(p11cmp_msg_check_protection(ctx, msg), P11CMP_R_BAD_MAC);
    OPENSSL_free(der);
    done(ctx, msg);
}
END_TEST

/* ---- PBM ---- */

START_TEST(test_pbm_wrong_secret)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ck_assert(P11CMP_CTX_set1_secretValue(ctx, (const unsigned char *)"x",
                                          1));
    assert_refused(ctx, msg, P11CMP_R_BAD_MAC);
    ck_assert_int_eq(num_trusted(ctx), 0);
    done(ctx, msg);
}
END_TEST

START_TEST(test_pbm_truncated_mac)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    msg->protection->length--;
    assert_rejected(ctx, &msg, P11CMP_R_BAD_MAC);
    done(ctx, msg);
}
END_TEST

START_TEST(test_pbm_no_secret)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_pbm, 0);
    P11CMP_MSG *msg = vp_msg(&s_pbm, 1);

    assert_refused(ctx, msg, P11CMP_R_WRONG_PROTECTION);
    done(ctx, msg);
}
END_TEST

START_TEST(test_pbm_itercnt_over_cap)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ck_assert(vp_set_pbm_params(msg, 16, 1001));
    ck_assert(vp_reprotect_pbm(msg, VP_SECRET));
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    ctx->pbm_max_itercnt = 1000;
    assert_refused(ctx, msg, P11CMP_R_PBM_ITERATION_COUNT_TOO_HIGH);
    ctx->pbm_max_itercnt = 1001; /* the same message within the cap */
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    done(ctx, msg);
}
END_TEST

START_TEST(test_pbm_salt_too_long)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    int cap;

    pbm_setup(&ctx, &msg);
    cap = ctx->pbm_max_slen;
    ck_assert(vp_set_pbm_params(msg, (size_t)cap + 1, 500));
    ck_assert(vp_reprotect_pbm(msg, VP_SECRET));
    assert_rejected(ctx, &msg, P11CMP_R_PBM_SALT_TOO_LONG);
    ctx->pbm_max_slen = cap + 1;
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    done(ctx, msg);
}
END_TEST

/* ---- missing protection and UNPROTECTED_ERRORS ---- */

START_TEST(test_missing_protection)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ck_assert_ptr_nonnull(msg = strip_protection(msg));
    assert_refused(ctx, msg, P11CMP_R_MISSING_PROTECTION);
    /* an accepted IP is no exception, even with UNPROTECTED_ERRORS */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_ERRORS, 1));
    assert_refused(ctx, msg, P11CMP_R_MISSING_PROTECTION);
    done(ctx, msg);
}
END_TEST

START_TEST(test_unprotected_error)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_fail, 1);
    P11CMP_MSG *msg = strip_protection(vp_msg(&s_fail, 1));

    ck_assert_ptr_nonnull(msg);
    assert_refused(ctx, msg, P11CMP_R_MISSING_PROTECTION);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_ERRORS, 1));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_ptr_nonnull(ctx->recipNonce);
    ck_assert_ptr_null(ctx->extraCertsIn);
    done(ctx, msg);
}
END_TEST

START_TEST(test_unprotected_rejection_ip)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    p11cmp_CERTRESPONSE *crep;

    pbm_setup(&ctx, &msg);
    crep = crep0(msg);
    ck_assert(ASN1_INTEGER_set(crep->status->status,
                               P11CMP_PKISTATUS_rejection));
    p11cmp_CERTIFIEDKEYPAIR_free(crep->certifiedKeyPair);
    crep->certifiedKeyPair = NULL;
    ck_assert_ptr_nonnull(msg = strip_protection(msg));
    assert_refused(ctx, msg, P11CMP_R_MISSING_PROTECTION);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_ERRORS, 1));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_ptr_null(ctx->extraCertsIn);
    ck_assert_int_eq(num_trusted(ctx), 0);
    done(ctx, msg);
}
END_TEST

/* the error message of the failing session turned into an RP */
static P11CMP_MSG *rp_with_status(int status)
{
    P11CMP_MSG *msg = vp_msg(&s_fail, 1);
    p11cmp_REVREPCONTENT *rp = p11cmp_REVREPCONTENT_new();
    P11CMP_PKISI *si;

    ck_assert_ptr_nonnull(rp);
    si = P11CMP_PKISI_dup(msg->body->value.error->pKIStatusInfo);
    ck_assert_ptr_nonnull(si);
    ck_assert(ASN1_INTEGER_set(si->status, status));
    ck_assert_int_eq(sk_P11CMP_PKISI_push(rp->status, si), 1);
    p11cmp_ERRORMSGCONTENT_free(msg->body->value.error);
    msg->body->type = P11CMP_PKIBODY_RP;
    msg->body->value.rp = rp;
    return strip_protection(msg);
}

START_TEST(test_unprotected_rejection_rp)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_fail, 1);
    P11CMP_MSG *rej = rp_with_status(P11CMP_PKISTATUS_rejection);
    P11CMP_MSG *acc = rp_with_status(P11CMP_PKISTATUS_accepted);
    unsigned long rp_mask = P11CMP_BODY_MASK(P11CMP_PKIBODY_RP);

    ck_assert_ptr_nonnull(rej);
    ck_assert_ptr_nonnull(acc);
    assert_fail(p11cmp_msg_check_received(ctx, rej, rp_mask),
                P11CMP_R_MISSING_PROTECTION);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_ERRORS, 1));
    assert_fail(p11cmp_msg_check_received(ctx, acc, rp_mask),
                P11CMP_R_MISSING_PROTECTION);
    assert_untouched(ctx, acc);
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, rej, rp_mask), 1);
    P11CMP_MSG_free(acc);
    done(ctx, rej);
}
END_TEST

START_TEST(test_unprotected_pkiconf_denied)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_pbm, 1);
    P11CMP_MSG *certconf = vp_msg(&s_pbm, 2);
    P11CMP_MSG *conf = strip_protection(vp_msg(&s_pbm, 3));

    ck_assert_ptr_nonnull(conf);
    ck_assert(P11CMP_CTX_set1_senderNonce(ctx,
                                          certconf->header->senderNonce));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_ERRORS, 1));
    assert_fail(p11cmp_msg_check_received(ctx, conf,
                P11CMP_BODY_MASK(P11CMP_PKIBODY_PKICONF)),
                P11CMP_R_MISSING_PROTECTION);
    assert_untouched(ctx, conf);
    P11CMP_MSG_free(certconf);
    done(ctx, conf);
}
END_TEST

/* an error with a bad MAC passes with the option, but its extraCerts
 * are not kept */
START_TEST(test_invalid_error_extracerts_dropped)
{
    P11CMP_CTX *ctx = vp_ctx(&pki, &s_fail, 1);
    P11CMP_MSG *msg = vp_msg(&s_fail, 1);

    ck_assert(set_certs(&msg->extraCerts, pki.other_root, NULL));
    flip_last(msg->protection);
    assert_rejected(ctx, &msg, P11CMP_R_BAD_MAC);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_ERRORS, 1));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_ptr_null(ctx->extraCertsIn);
    ck_assert_int_eq(ERR_peek_error(), 0);
    done(ctx, msg);
}
END_TEST

/* ---- signature ---- */

/*
 * The signed IP altered in one way each (protected again where the
 * alteration is under the protection), with the reason it is rejected
 * for; the server cert is then not validated either.
 */
static void flip_signature(P11CMP_MSG *msg)
{
    flip_last(msg->protection);
}

static void unknown_sig_algorithm(P11CMP_MSG *msg)
{
    ck_assert(X509_ALGOR_set0(msg->header->protectionAlg,
                              OBJ_nid2obj(NID_sha256), V_ASN1_UNDEF, NULL));
    ck_assert(vp_reprotect_sig(msg, pki.srv_key));
}

static void no_sender_cert(P11CMP_MSG *msg)
{
    sk_X509_pop_free(msg->extraCerts, X509_free);
    msg->extraCerts = NULL;
}

static void other_sender(P11CMP_MSG *msg)
{
    X509_NAME *other = vp_name("not the signer");

    ck_assert(X509_NAME_set(&msg->header->sender->d.directoryName, other));
    ck_assert(vp_reprotect_sig(msg, pki.srv_key));
    X509_NAME_free(other);
}

static void flip_sender_kid(P11CMP_MSG *msg)
{
    ck_assert_ptr_nonnull(msg->header->senderKID);
    flip_last(msg->header->senderKID);
    ck_assert(vp_reprotect_sig(msg, pki.srv_key));
}

static void expired_sender_cert(P11CMP_MSG *msg)
{
    ck_assert(set_certs(&msg->extraCerts, pki.srv_expired, NULL));
}

struct alteration {
    void (*alter)(P11CMP_MSG *msg);
    int reason;
};

static const struct alteration sig_alterations[] = {
    { flip_signature, P11CMP_R_BAD_SIGNATURE },
    { unknown_sig_algorithm, P11CMP_R_UNSUPPORTED_ALGORITHM },
    { no_sender_cert, P11CMP_R_NO_SENDER_CERT },
    { other_sender, P11CMP_R_SENDER_MISMATCH },
    { flip_sender_kid, P11CMP_R_SENDER_KID_MISMATCH },
    { expired_sender_cert, P11CMP_R_CERT_NOT_VALID_NOW },
};

START_TEST(test_sig_altered)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    sig_setup(&ctx, &msg);
    sig_alterations[_i].alter(msg);
    assert_rejected(ctx, &msg, sig_alterations[_i].reason);
    ck_assert_ptr_null(ctx->validatedSrvCert);
    done(ctx, msg);
}
END_TEST

START_TEST(test_sig_no_digitalsignature)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    sig_setup(&ctx, &msg);
    ck_assert(set_certs(&msg->extraCerts, pki.srv_nods, NULL));
    assert_rejected(ctx, &msg, P11CMP_R_MISSING_KEY_USAGE_DIGITALSIGNATURE);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_IGNORE_KEYUSAGE, 1));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(X509_cmp(ctx->validatedSrvCert, pki.srv_nods), 0);
    done(ctx, msg);
}
END_TEST

START_TEST(test_sig_untrusted_chain)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    sig_setup_other_root(&ctx, &msg);
    assert_refused(ctx, msg, P11CMP_R_CERT_PATH_VALIDATION_FAILED);
    done(ctx, msg);
}
END_TEST

/* 1 if OpenSSL's CMP library put reason on the error stack (clears it) */
static int ossl_raised(int reason)
{
    unsigned long e;
    int found = 0;

    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_LIB(e) == ERR_LIB_CMP && ERR_GET_REASON(e) == reason)
            found = 1;
    return found;
}

/*
 * No trusted cert and no pinned srvCert: MISSING_TRUST_STORE, where
 * OpenSSL (a ctx without trusted store) refuses the same message too:
 * 3.0 with CMP_R_MISSING_TRUST_STORE, 3.5 with CMP_R_NO_SUITABLE_SENDER_CERT
 * (it looks for a sender cert it can validate first and finds none);
 * p11cmp keeps the reason of 3.0, which names the cause. A cert added to
 * the store fixes it.
 */
START_TEST(test_sig_missing_trust_store)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    OSSL_CMP_CTX *octx = OSSL_CMP_CTX_new(NULL, NULL);
    const unsigned char *p = s_sig.der[1];
    OSSL_CMP_MSG *omsg = d2i_OSSL_CMP_MSG(NULL, &p, s_sig.len[1]);

    ck_assert(octx != NULL && omsg != NULL);
    ck_assert_int_eq(OSSL_CMP_validate_msg(octx, omsg), 0);
    ck_assert(ossl_raised(OPENSSL_VERSION_NUMBER < 0x30500000L
                          ? CMP_R_MISSING_TRUST_STORE
                          : CMP_R_NO_SUITABLE_SENDER_CERT));
    sig_setup(&ctx, &msg);
    ck_assert(P11CMP_CTX_set0_trustedStore(ctx, NULL));
    ck_assert_int_eq(num_trusted(ctx), 0);
    assert_refused(ctx, msg, P11CMP_R_MISSING_TRUST_STORE);
    ck_assert(X509_STORE_add_cert(P11CMP_CTX_get0_trustedStore(ctx),
                                  pki.root));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    OSSL_CMP_MSG_free(omsg);
    OSSL_CMP_CTX_free(octx);
    done(ctx, msg);
}
END_TEST

START_TEST(test_sig_permit_ta_in_extracerts)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    sig_setup_other_root(&ctx, &msg);
    ck_assert(set_certs(&msg->extraCerts, pki.srv, pki.root));
    assert_rejected(ctx, &msg, P11CMP_R_CERT_PATH_VALIDATION_FAILED);
    ck_assert(P11CMP_CTX_set_option(ctx,
                                    P11CMP_OPT_PERMIT_TA_IN_EXTRACERTS_FOR_IR,
                                    1));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    /* only for IP: the same message as CP fails */
    msg->body->type = P11CMP_PKIBODY_CP;
    ck_assert(vp_reprotect_sig(msg, pki.srv_key));
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    assert_fail(p11cmp_msg_check_protection(ctx, msg),
                P11CMP_R_CERT_PATH_VALIDATION_FAILED);
    done(ctx, msg);
}
END_TEST

START_TEST(test_sig_sender_cert_in_untrusted)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    STACK_OF(X509) *untrusted = NULL;

    sig_setup(&ctx, &msg);
    sk_X509_pop_free(msg->extraCerts, X509_free);
    msg->extraCerts = NULL;
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    ck_assert(set_certs(&untrusted, pki.srv, NULL));
    ck_assert(P11CMP_CTX_set1_untrusted(ctx, untrusted));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(X509_cmp(ctx->validatedSrvCert, pki.srv), 0);
    ck_assert_int_eq(sk_X509_num(ctx->untrusted), 1);
    sk_X509_pop_free(untrusted, X509_free);
    done(ctx, msg);
}
END_TEST

/* several candidates: a good one wins; else the one that got furthest */
START_TEST(test_sig_several_candidates)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    sig_setup(&ctx, &msg);
    ck_assert(set_certs(&msg->extraCerts, pki.srv_nods, pki.srv_expired));
    assert_rejected(ctx, &msg, P11CMP_R_MISSING_KEY_USAGE_DIGITALSIGNATURE);
    ck_assert(set_certs(&msg->extraCerts, pki.srv_expired, pki.srv));
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    ck_assert_int_eq(X509_cmp(ctx->validatedSrvCert, pki.srv), 0);
    done(ctx, msg);
}
END_TEST

START_TEST(test_sig_pinned_wrong_key)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    X509_NAME *srv_name = vp_name("vp server");

    sig_setup(&ctx, &msg);
    ck_assert(P11CMP_CTX_set1_srvCert(ctx, pki.ee_other));
    ck_assert(P11CMP_CTX_set1_expected_sender(ctx, srv_name));
    assert_refused(ctx, msg, P11CMP_R_BAD_SIGNATURE);
    X509_NAME_free(srv_name);
    done(ctx, msg);
}
END_TEST

/* ---- header, body, bounds ---- */

START_TEST(test_unexpected_sender)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    X509_NAME *name = vp_name("someone else");

    sig_setup(&ctx, &msg);
    ck_assert(P11CMP_CTX_set1_expected_sender(ctx, name));
    assert_refused(ctx, msg, P11CMP_R_UNEXPECTED_SENDER);
    X509_NAME_free(name);
    /* the pinned srvCert's subject is the default expected sender */
    ck_assert(P11CMP_CTX_set1_expected_sender(ctx, NULL));
    ck_assert(P11CMP_CTX_set1_srvCert(ctx, pki.other_root));
    assert_refused(ctx, msg, P11CMP_R_UNEXPECTED_SENDER);
    done(ctx, msg);
}
END_TEST

/*
 * The PBM IP altered in one header or body field and protected again,
 * with the reason it is rejected for; its caPubs are not trusted then.
 * A response with pvno 1 is not decodable, so it is checked as it is.
 */
static void pvno_1(P11CMP_MSG *msg)
{
    ck_assert(ASN1_INTEGER_set(msg->header->pvno, 1));
}

static void body_type_cp(P11CMP_MSG *msg)
{
    msg->body->type = P11CMP_PKIBODY_CP;
}

static void flip_transactionid(P11CMP_MSG *msg)
{
    flip_last(msg->header->transactionID);
}

static void flip_recipnonce(P11CMP_MSG *msg)
{
    flip_last(msg->header->recipNonce);
}

static const struct alteration pbm_alterations[] = {
    { pvno_1, P11CMP_R_UNSUPPORTED_PVNO },
    { body_type_cp, P11CMP_R_UNEXPECTED_BODY_TYPE },
    { flip_transactionid, P11CMP_R_TRANSACTIONID_MISMATCH },
    { flip_recipnonce, P11CMP_R_RECIPNONCE_MISMATCH },
};

START_TEST(test_pbm_altered)
{
    const struct alteration *a = &pbm_alterations[_i];
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    a->alter(msg);
    ck_assert(vp_reprotect_pbm(msg, VP_SECRET));
    if (a->alter == pvno_1)
        assert_refused(ctx, msg, a->reason);
    else
        assert_rejected(ctx, &msg, a->reason);
    ck_assert_int_eq(num_trusted(ctx), 0);
    done(ctx, msg);
}
END_TEST

START_TEST(test_wrong_certreqid)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ck_assert(ASN1_INTEGER_set(crep0(msg)->certReqId, 7));
    msg = reprotected_passes(ctx, msg);
    ck_assert_ptr_null(p11cmp_certrep_get0_response(msg, 0));
    ck_assert_int_eq(last_reason(), P11CMP_R_CERTREQID_MISMATCH);
    ck_assert_ptr_null(ctx->newCert);
    ck_assert_ptr_nonnull(p11cmp_certrep_get0_response(msg, 7));
    done(ctx, msg);
}
END_TEST

START_TEST(test_two_responses)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    p11cmp_CERTRESPONSE *copy;

    pbm_setup(&ctx, &msg);
    copy = ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_CERTRESPONSE), crep0(msg));
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(sk_p11cmp_CERTRESPONSE_push(
                         msg->body->value.ip->response, copy), 2);
    msg = reprotected_passes(ctx, msg);
    ck_assert_ptr_null(p11cmp_certrep_get0_response(msg, 0));
    ck_assert_int_eq(last_reason(), P11CMP_R_MULTIPLE_RESPONSES);
    ck_assert_ptr_null(ctx->newCert);
    done(ctx, msg);
}
END_TEST

START_TEST(test_public_key_mismatch)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    p11cmp_CERTORENCCERT *coec;

    pbm_setup(&ctx, &msg);
    coec = crep0(msg)->certifiedKeyPair->certOrEncCert;
    X509_free(coec->value.certificate);
    ck_assert(X509_up_ref(pki.ee_other));
    coec->value.certificate = pki.ee_other;
    msg = reprotected_passes(ctx, msg);
    ck_assert_ptr_null(p11cmp_certresponse_get1_cert(ctx, crep0(msg)));
    ck_assert_int_eq(last_reason(), P11CMP_R_PUBLIC_KEY_MISMATCH);
    ck_assert_ptr_null(ctx->newCert);
    done(ctx, msg);
}
END_TEST

START_TEST(test_too_many_extracerts)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ck_assert(set_certs(&msg->extraCerts, NULL, NULL));
    while (sk_X509_num(msg->extraCerts) < ctx->max_certs)
        ck_assert(X509_add_cert(msg->extraCerts, pki.other_root,
                                X509_ADD_FLAG_UP_REF));
    ck_assert_ptr_nonnull(msg = vp_roundtrip(msg));
    ck_assert_int_eq(p11cmp_msg_check_received(ctx, msg, IP_MASK), 1);
    P11CMP_CTX_free(ctx);
    ck_assert_ptr_nonnull(ctx = vp_ctx(&pki, &s_pbm, 1));
    ck_assert(X509_add_cert(msg->extraCerts, pki.other_root,
                            X509_ADD_FLAG_UP_REF));
    assert_rejected(ctx, &msg, P11CMP_R_TOO_MANY_CERTS);
    done(ctx, msg);
}
END_TEST

START_TEST(test_too_many_capubs)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;
    STACK_OF(X509) **caPubs;

    pbm_setup(&ctx, &msg);
    caPubs = &msg->body->value.ip->caPubs;
    while (sk_X509_num(*caPubs) <= ctx->max_certs)
        ck_assert(X509_add_cert(*caPubs, pki.other_root,
                                X509_ADD_FLAG_UP_REF));
    ck_assert(vp_reprotect_pbm(msg, VP_SECRET));
    assert_rejected(ctx, &msg, P11CMP_R_TOO_MANY_CERTS);
    ck_assert_int_eq(num_trusted(ctx), 0);
    done(ctx, msg);
}
END_TEST

START_TEST(test_response_too_large)
{
    P11CMP_CTX *ctx;
    P11CMP_MSG *msg;

    pbm_setup(&ctx, &msg);
    ctx->max_resp_len = 100;
    assert_refused(ctx, msg, P11CMP_R_RESPONSE_TOO_LARGE);
    done(ctx, msg);
}
END_TEST

/* ---- status.c ---- */

START_TEST(test_status_names)
{
    ck_assert_str_eq(p11cmp_status_to_string(P11CMP_PKISTATUS_accepted),
                     "accepted");
    ck_assert_str_eq(p11cmp_status_to_string(6), "keyUpdateWarning");
    ck_assert_ptr_null(p11cmp_status_to_string(7));
    ck_assert_ptr_null(p11cmp_status_to_string(-1));
    ck_assert_str_eq(p11cmp_failinfo_bit_to_string(0), "badAlg");
    ck_assert_str_eq(p11cmp_failinfo_bit_to_string(
                         P11CMP_PKIFAILUREINFO_duplicateCertReq),
                     "duplicateCertReq");
    ck_assert_ptr_null(p11cmp_failinfo_bit_to_string(27));
}
END_TEST

START_TEST(test_status_of_error_msg)
{
    P11CMP_MSG *msg = vp_msg(&s_fail, 1);
    P11CMP_PKISI *si = msg->body->value.error->pKIStatusInfo;
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    char buf[200], small[12];
    int code = p11cmp_pkisi_get_failinfo_code(si);

    ck_assert_int_eq(p11cmp_pkisi_get_status(si),
                     P11CMP_PKISTATUS_rejection);
    ck_assert_int_ge(code, 0);
    ck_assert_ptr_eq(p11cmp_pkisi_snprint(si, buf, sizeof(buf)), buf);
    ck_assert_msg(strncmp(buf, "status=rejection", 16) == 0, "%s", buf);
    ck_assert_ptr_eq(p11cmp_pkisi_snprint(si, small, sizeof(small)), small);
    ck_assert_str_eq(small, "status=reje");
    ck_assert_int_eq(p11cmp_ctx_save_pkisi(ctx, si), 1);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_rejection);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx), code);
    P11CMP_CTX_free(ctx);
    P11CMP_MSG_free(msg);
}
END_TEST

START_TEST(test_status_built)
{
    P11CMP_PKISI *si = P11CMP_PKISI_new();
    ASN1_UTF8STRING *text = ASN1_UTF8STRING_new();
    char buf[100];

    ck_assert(ASN1_INTEGER_set(si->status, P11CMP_PKISTATUS_waiting));
    si->failInfo = ASN1_BIT_STRING_new();
    ck_assert(ASN1_BIT_STRING_set_bit(si->failInfo,
                                      P11CMP_PKIFAILUREINFO_badPOP, 1));
    ck_assert(ASN1_BIT_STRING_set_bit(si->failInfo,
                                      P11CMP_PKIFAILUREINFO_badTime, 1));
    si->statusString = sk_ASN1_UTF8STRING_new_null();
    ck_assert(ASN1_STRING_set(text, "try later", -1));
    ck_assert_int_eq(sk_ASN1_UTF8STRING_push(si->statusString, text), 1);
    ck_assert_int_eq(p11cmp_pkisi_get_failinfo_code(si),
                     (1 << P11CMP_PKIFAILUREINFO_badPOP)
                     | (1 << P11CMP_PKIFAILUREINFO_badTime));
    p11cmp_pkisi_snprint(si, buf, sizeof(buf));
    ck_assert_str_eq(buf, "status=waiting; failInfo=badTime,badPOP; "
                     "text=\"try later\"");
    ck_assert(ASN1_INTEGER_set(si->status, 9));
    ck_assert_int_eq(p11cmp_pkisi_get_status(si), -1);
    ck_assert_int_eq(last_reason(), P11CMP_R_UNEXPECTED_PKISTATUS);
    ERR_clear_error();
    P11CMP_PKISI_free(si);
}
END_TEST

static Suite *verify_suite(void)
{
    Suite *s = suite_create("verify");
    TCase *ok = tcase_create("valid"), *pbm = tcase_create("pbm");
    TCase *unprot = tcase_create("unprotected"), *sig = tcase_create("sig");
    TCase *hdr = tcase_create("header_body"), *st = tcase_create("status");

    tcase_add_test(ok, test_pbm_ip_valid);
    tcase_add_test(ok, test_pbm_pkiconf_valid);
    tcase_add_test(ok, test_sig_ip_valid);
    tcase_add_loop_test(ok, test_sig_key_types, 0, 2);
    tcase_add_loop_test(ok, test_sig_resigned, 0, 3);
    tcase_add_test(ok, test_sig_pinned_srvcert);
    tcase_add_test(ok, test_error_always_expected);
    tcase_add_test(ok, test_ip_when_pollrep_expected);
    tcase_add_test(ok, test_protection_over_received_der);
    tcase_add_test(pbm, test_pbm_wrong_secret);
    tcase_add_test(pbm, test_pbm_truncated_mac);
    tcase_add_test(pbm, test_pbm_no_secret);
    tcase_add_test(pbm, test_pbm_itercnt_over_cap);
    tcase_add_test(pbm, test_pbm_salt_too_long);
    tcase_add_test(unprot, test_missing_protection);
    tcase_add_test(unprot, test_unprotected_error);
    tcase_add_test(unprot, test_unprotected_rejection_ip);
    tcase_add_test(unprot, test_unprotected_rejection_rp);
    tcase_add_test(unprot, test_unprotected_pkiconf_denied);
    tcase_add_test(unprot, test_invalid_error_extracerts_dropped);
    tcase_add_loop_test(sig, test_sig_altered, 0,
                        (int)(sizeof(sig_alterations)
                        / sizeof(sig_alterations[0])));
    tcase_add_test(sig, test_sig_no_digitalsignature);
    tcase_add_test(sig, test_sig_untrusted_chain);
    tcase_add_test(sig, test_sig_missing_trust_store);
    tcase_add_test(sig, test_message_time_ignored);
    tcase_add_test(sig, test_sig_permit_ta_in_extracerts);
    tcase_add_test(sig, test_sig_sender_cert_in_untrusted);
    tcase_add_test(sig, test_sig_several_candidates);
    tcase_add_test(sig, test_sig_pinned_wrong_key);
    tcase_add_test(hdr, test_unexpected_sender);
    tcase_add_loop_test(hdr, test_pbm_altered, 0,
                        (int)(sizeof(pbm_alterations)
                        / sizeof(pbm_alterations[0])));
    tcase_add_test(hdr, test_wrong_certreqid);
    tcase_add_test(hdr, test_two_responses);
    tcase_add_test(hdr, test_public_key_mismatch);
    tcase_add_test(hdr, test_too_many_extracerts);
    tcase_add_test(hdr, test_too_many_capubs);
    tcase_add_test(hdr, test_response_too_large);
    tcase_add_test(st, test_status_names);
    tcase_add_test(st, test_status_of_error_msg);
    tcase_add_test(st, test_status_built);
    suite_add_tcase(s, ok);
    suite_add_tcase(s, pbm);
    suite_add_tcase(s, unprot);
    suite_add_tcase(s, sig);
    suite_add_tcase(s, hdr);
    suite_add_tcase(s, st);
    return s;
}

int main(void)
{
    int failed;

    if (!vp_pki_new(&pki) || !vp_run(&pki, VP_PBM, &s_pbm)
            || !vp_run(&pki, VP_SIG, &s_sig)
            || !vp_run(&pki, VP_FAIL, &s_fail)) {
        ERR_print_errors_fp(stderr);
        fprintf(stderr, "check_verify: OpenSSL peer sessions failed\n");
        return EXIT_FAILURE;
    }
    failed = check_run(verify_suite(), CK_ENV);
    vp_session_free(&s_pbm);
    vp_session_free(&s_sig);
    vp_session_free(&s_fail);
    vp_pki_free(&pki);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
