/*
 * tests/check_protect.c - unit tests of src/protect.c: PBM (defaults,
 * options, fresh salt, known answer against OpenSSL's OSSL_CRMF_pbm_new,
 * caps on received parameters), the matrix of every request body type
 * p11cmp builds times PBM and every supported signature algorithm, each
 * decoded by d2i_OSSL_CMP_MSG and validated by OSSL_CMP_validate_msg
 * (pinned and via the trust store) and by p11cmp itself, senderKID and
 * extraCerts, and the exact errors when credentials are missing or wrong.
 */
#include <check.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "build_fixture.h"
#include "check_main.h"

static P11CMP_MSG *build_ir(P11CMP_CTX *ctx)
{
    P11CMP_MSG *msg = p11cmp_certreq_new(ctx, P11CMP_PKIBODY_IR);

    if (msg == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_ptr_nonnull(msg);
    return msg;
}

static p11cmp_PBMPARAMETER *pbm_of(const P11CMP_MSG *msg)
{
    const X509_ALGOR *alg = msg->header->protectionAlg;
    p11cmp_PBMPARAMETER *pbm;

    ck_assert_ptr_nonnull(alg);
    ck_assert_int_eq(OBJ_obj2nid(alg->algorithm), NID_id_PasswordBasedMAC);
    ck_assert_int_eq(alg->parameter->type, V_ASN1_SEQUENCE);
    pbm = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(p11cmp_PBMPARAMETER),
                                    alg->parameter);
    ck_assert_ptr_nonnull(pbm);
    return pbm;
}

START_TEST(pbm_defaults_validate)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *m1 = build_ir(ctx), *m2 = build_ir(ctx);
    p11cmp_PBMPARAMETER *p1 = pbm_of(m1), *p2 = pbm_of(m2);

    ck_assert_int_eq(p1->salt->length, 16);
    ck_assert_int_eq(OBJ_obj2nid(p1->owf->algorithm), NID_sha256);
    ck_assert_int_eq(ASN1_INTEGER_get(p1->iterationCount), 500);
    ck_assert_int_eq(OBJ_obj2nid(p1->mac->algorithm), NID_hmacWithSHA256);
    /* a fresh salt per message */
    ck_assert_int_ne(ASN1_OCTET_STRING_cmp(p1->salt, p2->salt), 0);
    ck_assert_int_eq(m1->protection->length, 32);
    /* senderKID = referenceValue */
    ck_assert_int_eq(m1->header->senderKID->length, (int)strlen(FX_REF));
    ck_assert_mem_eq(m1->header->senderKID->data, FX_REF, strlen(FX_REF));
    ck_assert_ptr_null(m1->extraCerts);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), m1));
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), m2));
    ck_assert(!fx_ossl_validates(fx_ossl_pbm("wrong secret"), m1));
    p11cmp_PBMPARAMETER_free(p1);
    p11cmp_PBMPARAMETER_free(p2);
    P11CMP_MSG_free(m1);
    P11CMP_MSG_free(m2);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(pbm_options_validate)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *msg;
    p11cmp_PBMPARAMETER *pbm;

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_OWF_ALGNID,
                                    NID_sha512));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MAC_ALGNID,
                                    NID_hmacWithSHA384));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_PBM_ITERATIONS, 1234));
    msg = build_ir(ctx);
    pbm = pbm_of(msg);
    ck_assert_int_eq(OBJ_obj2nid(pbm->owf->algorithm), NID_sha512);
    ck_assert_int_eq(OBJ_obj2nid(pbm->mac->algorithm), NID_hmacWithSHA384);
    ck_assert_int_eq(ASN1_INTEGER_get(pbm->iterationCount), 1234);
    ck_assert_int_eq(msg->protection->length, 48);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    p11cmp_PBMPARAMETER_free(pbm);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* p11cmp_pbm_mac() equals OpenSSL's OSSL_CRMF_pbm_new() */
START_TEST(pbm_known_answer)
{
    static const unsigned char data[] = "the protected part";
    OSSL_CRMF_PBMPARAMETER *op;
    p11cmp_PBMPARAMETER *pp;
    unsigned char *der = NULL, *omac = NULL, *mac = NULL;
    const unsigned char *p;
    size_t omaclen = 0, maclen = 0;
    int len;

    op = OSSL_CRMF_pbmp_new(NULL, 20, NID_sha384, 777, NID_hmacWithSHA512);
    ck_assert_ptr_nonnull(op);
    ck_assert(OSSL_CRMF_pbm_new(NULL, NULL, op, data, sizeof(data),
                                (const unsigned char *)FX_SECRET,
                                strlen(FX_SECRET), &omac, &omaclen));
    len = i2d_OSSL_CRMF_PBMPARAMETER(op, &der);
    p = der;
    pp = d2i_p11cmp_PBMPARAMETER(NULL, &p, len);
    ck_assert_ptr_nonnull(pp);
    ck_assert(p11cmp_pbm_mac(NULL, NULL, pp,
                             (const unsigned char *)FX_SECRET,
                             strlen(FX_SECRET), data, sizeof(data),
                             100000, 64, &mac, &maclen));
    ck_assert_uint_eq(maclen, 64);
    ck_assert_uint_eq(maclen, omaclen);
    ck_assert_mem_eq(mac, omac, maclen);
    OPENSSL_free(mac);
    mac = NULL;
    /* the caps */
    ck_assert(!p11cmp_pbm_mac(NULL, NULL, pp,
                              (const unsigned char *)FX_SECRET,
                              strlen(FX_SECRET), data, sizeof(data),
                              776, 64, &mac, &maclen));
    ASSERT_REASON(P11CMP_R_PBM_ITERATION_COUNT_TOO_HIGH);
    ck_assert(!p11cmp_pbm_mac(NULL, NULL, pp,
                              (const unsigned char *)FX_SECRET,
                              strlen(FX_SECRET), data, sizeof(data),
                              777, 19, &mac, &maclen));
    ASSERT_REASON(P11CMP_R_PBM_SALT_TOO_LONG);
    ck_assert(p11cmp_pbm_mac(NULL, NULL, pp,
                             (const unsigned char *)FX_SECRET,
                             strlen(FX_SECRET), data, sizeof(data),
                             777, 20, &mac, &maclen) == 1);
    OPENSSL_free(mac);
    OPENSSL_free(omac);
    OPENSSL_free(der);
    p11cmp_PBMPARAMETER_free(pp);
    OSSL_CRMF_PBMPARAMETER_free(op);
}
END_TEST

/* Replaces the PBM parameters of msg by ones with this salt / count */
static void set_pbm_params(P11CMP_MSG *msg, int slen, long itercnt)
{
    p11cmp_PBMPARAMETER *pbm = pbm_of(msg);
    unsigned char salt[200] = {0};
    ASN1_STRING *param = NULL;

    ck_assert(ASN1_OCTET_STRING_set(pbm->salt, salt, slen));
    ck_assert(ASN1_INTEGER_set(pbm->iterationCount, itercnt));
    ck_assert_ptr_nonnull(ASN1_item_pack(pbm,
                              ASN1_ITEM_rptr(p11cmp_PBMPARAMETER), &param));
    ck_assert(X509_ALGOR_set0(msg->header->protectionAlg,
                              OBJ_nid2obj(NID_id_PasswordBasedMAC),
                              V_ASN1_SEQUENCE, param));
    p11cmp_PBMPARAMETER_free(pbm);
}

START_TEST(pbm_received_and_caps)
{
    P11CMP_CTX *ctx = fx_ctx_pbm();
    P11CMP_MSG *msg = build_ir(ctx), *rcvd = fx_received(msg);
    ASN1_BIT_STRING *prot = p11cmp_calc_protection(ctx, rcvd, 1);

    ck_assert_ptr_nonnull(prot);
    ck_assert_int_eq(ASN1_STRING_cmp(prot, msg->protection), 0);
    ASN1_BIT_STRING_free(prot);
    /* received parameters beyond the caps of the context */
    set_pbm_params(msg, 16, ctx->pbm_max_itercnt + 1L);
    P11CMP_MSG_free(rcvd);
    rcvd = fx_received(msg);
    ck_assert_ptr_null(p11cmp_calc_protection(ctx, rcvd, 1));
    ASSERT_REASON(P11CMP_R_PBM_ITERATION_COUNT_TOO_HIGH);
    set_pbm_params(msg, ctx->pbm_max_slen + 1, 500);
    P11CMP_MSG_free(rcvd);
    rcvd = fx_received(msg);
    ck_assert_ptr_null(p11cmp_calc_protection(ctx, rcvd, 1));
    ASSERT_REASON(P11CMP_R_PBM_SALT_TOO_LONG);
    set_pbm_params(msg, 16, 0);
    P11CMP_MSG_free(rcvd);
    rcvd = fx_received(msg);
    ck_assert_ptr_null(p11cmp_calc_protection(ctx, rcvd, 1));
    ASSERT_REASON(P11CMP_R_WRONG_PROTECTION);
    P11CMP_MSG_free(rcvd);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

static int expected_sig_nid(int alg)
{
    switch (alg) {
    case FX_RSA:
        return NID_sha256WithRSAEncryption;
    case FX_RSA_PSS:
        return NID_rsassaPss;
    case FX_ED25519:
        return NID_ED25519;
    case FX_ED448:
        return NID_ED448;
    default:
        return NID_ecdsa_with_SHA256;
    }
}

/*
 * The matrix: every request body type p11cmp builds (fx_req_types) times
 * every protection: the signature algorithms 0 .. FX_NUM_ALGS - 1, then
 * PBM. Cell _i is body _i / NUM_PROTS with protection _i % NUM_PROTS.
 */
#define PROT_PBM FX_NUM_ALGS
#define NUM_PROTS (FX_NUM_ALGS + 1)
#define NUM_CELLS (FX_NUM_REQ_TYPES * NUM_PROTS)

/*
 * 1 if OSSL_CMP_validate_msg() with vctx (freed here) accepts om; else 0
 * with OpenSSL's reason in why
 */
static int ossl_accepts(OSSL_CMP_CTX *vctx, const OSSL_CMP_MSG *om,
                        char *why, size_t n)
{
    int ok = OSSL_CMP_validate_msg(vctx, om) == 1;

    if (!ok)
        ERR_error_string_n(ERR_peek_last_error(), why, n);
    ERR_clear_error();
    OSSL_CMP_CTX_free(vctx);
    return ok;
}

/* who the sender says it is, and the certs that go along */
static void check_sender(const char *cell, int prot, const P11CMP_MSG *msg)
{
    const P11CMP_PKIHEADER *hdr = msg->header;

    if (prot == PROT_PBM) {
        ck_assert_msg(hdr->senderKID != NULL
                      && hdr->senderKID->length == (int)strlen(FX_REF)
                      && memcmp(hdr->senderKID->data, FX_REF,
                                strlen(FX_REF)) == 0,
                      "%s: senderKID is not the reference", cell);
        ck_assert_msg(msg->extraCerts == NULL, "%s: extraCerts", cell);
        return;
    }
    ck_assert_msg(ASN1_OCTET_STRING_cmp(hdr->senderKID,
                      X509_get0_subject_key_id(fx.cert[prot])) == 0,
                  "%s: senderKID is not the SKID", cell);
    ck_assert_msg(X509_NAME_cmp(hdr->sender->d.directoryName,
                                X509_get_subject_name(fx.cert[prot])) == 0,
                  "%s: sender is not the cert's subject", cell);
    ck_assert_msg(sk_X509_num(msg->extraCerts) == 1
                  && X509_cmp(sk_X509_value(msg->extraCerts, 0),
                              fx.cert[prot]) == 0,
                  "%s: extraCerts are not the signer's cert", cell);
}

/* OpenSSL validates om: right credentials yes, wrong ones no */
static void check_ossl_validates(const char *cell, int prot,
                                 const OSSL_CMP_MSG *om)
{
    char why[256] = "";

    if (prot == PROT_PBM) {
        ck_assert_msg(ossl_accepts(fx_ossl_pbm(FX_SECRET), om, why,
                                   sizeof(why)),
                      "%s: OSSL_CMP_validate_msg with the secret: %s",
                      cell, why);
        ck_assert_msg(!ossl_accepts(fx_ossl_pbm("wrong secret"), om, why,
                                    sizeof(why)),
                      "%s: validates with a wrong secret", cell);
        return;
    }
    ck_assert_msg(ossl_accepts(fx_ossl_srvcert(fx.cert[prot]), om, why,
                               sizeof(why)),
                  "%s: OSSL_CMP_validate_msg, pinned cert: %s", cell, why);
    ck_assert_msg(ossl_accepts(fx_ossl_trusted(), om, why, sizeof(why)),
                  "%s: OSSL_CMP_validate_msg, trust store: %s", cell, why);
    ck_assert_msg(!ossl_accepts(fx_ossl_srvcert(fx.cert[(prot + 1)
                                                        % FX_NUM_ALGS]),
                                om, why, sizeof(why)),
                  "%s: validates with another pinned cert", cell);
}

/* p11cmp's own check of the message as received */
static void check_own_verify(const char *cell, int prot, P11CMP_CTX *ctx,
                             const P11CMP_MSG *msg)
{
    P11CMP_MSG *rcvd = fx_received(msg);
    ASN1_BIT_STRING *mac;

    if (prot == PROT_PBM) {
        mac = p11cmp_calc_protection(ctx, rcvd, 1);
        ck_assert_msg(mac != NULL
                      && ASN1_STRING_cmp(mac, msg->protection) == 0,
                      "%s: p11cmp computes another MAC", cell);
        ASN1_BIT_STRING_free(mac);
    } else {
        ck_assert_msg(p11cmp_verify_signature(ctx, rcvd,
                          X509_get0_pubkey(fx.cert[prot])) == 1,
                      "%s: p11cmp_verify_signature failed", cell);
    }
    P11CMP_MSG_free(rcvd);
}

START_TEST(body_protection_matrix)
{
    int type = fx_req_types[_i / NUM_PROTS], prot = _i % NUM_PROTS;
    int want = prot == PROT_PBM ? NID_id_PasswordBasedMAC
        : expected_sig_nid(prot);
    P11CMP_CTX *ctx = prot == PROT_PBM ? fx_ctx_pbm() : fx_ctx_sig(prot);
    P11CMP_MSG *msg = fx_build(ctx, type);
    OSSL_CMP_MSG *om;
    char cell[64];
    int nid;

    snprintf(cell, sizeof(cell), "%s with %s", fx_body_name(type),
             prot == PROT_PBM ? "PBM" : fx_alg_name(prot));
    if (msg == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_msg(msg != NULL, "%s: not built", cell);
    ck_assert_msg(P11CMP_MSG_get_bodytype(msg) == type, "%s: body %d",
                  cell, P11CMP_MSG_get_bodytype(msg));
    ck_assert_msg(msg->header->protectionAlg != NULL
                  && msg->protection != NULL, "%s: not protected", cell);
    nid = OBJ_obj2nid(msg->header->protectionAlg->algorithm);
    ck_assert_msg(nid == want, "%s: protectionAlg %s, not %s", cell,
                  OBJ_nid2sn(nid), OBJ_nid2sn(want));
    check_sender(cell, prot, msg);
    om = fx_to_ossl_as(msg, cell);
    ck_assert_msg(OSSL_CMP_MSG_get_bodytype(om) == type,
                  "%s: OpenSSL sees body %d", cell,
                  OSSL_CMP_MSG_get_bodytype(om));
    check_ossl_validates(cell, prot, om);
    check_own_verify(cell, prot, ctx, msg);
    OSSL_CMP_MSG_free(om);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(signature_digest_option)
{
    static const int algs[] = {FX_RSA, FX_RSA_PSS, FX_P384};
    static const int want[] = {NID_sha384WithRSAEncryption, NID_rsassaPss,
                               NID_ecdsa_with_SHA384};
    size_t i;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        P11CMP_CTX *ctx = fx_ctx_sig(algs[i]);
        P11CMP_MSG *msg;
        RSA_PSS_PARAMS *pss;

        ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_DIGEST_ALGNID,
                                        NID_sha384));
        msg = build_ir(ctx);
        ck_assert_int_eq(OBJ_obj2nid(msg->header->protectionAlg->algorithm),
                         want[i]);
        if (want[i] == NID_rsassaPss) {
            pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
                      msg->header->protectionAlg->parameter);
            ck_assert_ptr_nonnull(pss);
            ck_assert_int_eq(OBJ_obj2nid(pss->hashAlgorithm->algorithm),
                             NID_sha384);
            ck_assert_int_eq(ASN1_INTEGER_get(pss->saltLength), 48);
            RSA_PSS_PARAMS_free(pss);
        }
        ck_assert(fx_ossl_validates(fx_ossl_srvcert(fx.cert[algs[i]]), msg));
        P11CMP_MSG_free(msg);
        P11CMP_CTX_free(ctx);
    }
}
END_TEST

/* a tampered received message fails with P11CMP_R_BAD_SIGNATURE */
START_TEST(signature_tampered)
{
    P11CMP_CTX *ctx = fx_ctx_sig(FX_P256);
    P11CMP_MSG *msg = build_ir(ctx), *rcvd;

    msg->protection->data[3] ^= 0x01;
    rcvd = fx_received(msg);
    ck_assert(!p11cmp_verify_signature(ctx, rcvd,
                                       X509_get0_pubkey(fx.cert[FX_P256])));
    ASSERT_REASON(P11CMP_R_BAD_SIGNATURE);
    ck_assert(!fx_ossl_validates(fx_ossl_srvcert(fx.cert[FX_P256]), msg));
    P11CMP_MSG_free(rcvd);
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* extraCerts: own cert, its chain without the root, then extraCertsOut */
START_TEST(extracerts_chain)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    STACK_OF(X509) *untrusted = sk_X509_new_null(), *out = sk_X509_new_null();
    P11CMP_MSG *msg;
    OSSL_CMP_CTX *vctx;

    ck_assert(P11CMP_CTX_set1_cert(ctx, fx.leaf_of_sub));
    ck_assert(P11CMP_CTX_set1_pkey(ctx, fx.key[FX_P256]));
    ck_assert(sk_X509_push(untrusted, fx.sub));
    ck_assert(sk_X509_push(untrusted, fx.root));
    ck_assert(P11CMP_CTX_set1_untrusted(ctx, untrusted));
    ck_assert(sk_X509_push(out, fx.old_cert));
    ck_assert(sk_X509_push(out, fx.sub)); /* a duplicate is dropped */
    ck_assert(P11CMP_CTX_set1_extraCertsOut(ctx, out));
    msg = build_ir(ctx);
    ck_assert_int_eq(sk_X509_num(msg->extraCerts), 3);
    ck_assert_int_eq(X509_cmp(sk_X509_value(msg->extraCerts, 0),
                              fx.leaf_of_sub), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(msg->extraCerts, 1), fx.sub), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(msg->extraCerts, 2),
                              fx.old_cert), 0);
    /*
     * OpenSSL finds the path root <- sub <- leaf through extraCerts (its
     * client and server add them to the untrusted certs first)
     */
    ck_assert(!fx_ossl_validates(fx_ossl_trusted(), msg));
    vctx = fx_ossl_trusted();
    ck_assert(OSSL_CMP_CTX_set1_untrusted(vctx, msg->extraCerts));
    ck_assert(fx_ossl_validates(vctx, msg));
    P11CMP_MSG_free(msg);
    /* with PBM only extraCertsOut go along */
    ck_assert(P11CMP_CTX_set1_secretValue(ctx, (const unsigned char *)"s",
                                          1));
    ck_assert(P11CMP_CTX_set1_referenceValue(ctx,
                  (const unsigned char *)"r", 1));
    msg = build_ir(ctx);
    ck_assert_int_eq(OBJ_obj2nid(msg->header->protectionAlg->algorithm),
                     NID_id_PasswordBasedMAC);
    ck_assert_int_eq(sk_X509_num(msg->extraCerts), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(msg->extraCerts, 0),
                              fx.old_cert), 0);
    ck_assert(fx_ossl_validates(fx_ossl_pbm("s"), msg));
    P11CMP_MSG_free(msg);
    sk_X509_free(untrusted);
    sk_X509_free(out);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(unprotected_and_missing_credentials)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    X509_NAME *subj = fx_name("someone");
    P11CMP_MSG *msg;

    ck_assert(EVP_PKEY_up_ref(fx.new_key));
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 1, fx.new_key));
    ck_assert(P11CMP_CTX_set1_subjectName(ctx, subj));
    ck_assert_ptr_null(p11cmp_certreq_new(ctx, P11CMP_PKIBODY_IR));
    ASSERT_REASON(P11CMP_R_MISSING_KEY);
    /* a cert without its key is no credential either */
    ck_assert(P11CMP_CTX_set1_cert(ctx, fx.cert[FX_P256]));
    ck_assert_ptr_null(p11cmp_genm_new(ctx));
    ASSERT_REASON(P11CMP_R_MISSING_KEY);
    /* a key that does not belong to the cert */
    ck_assert(P11CMP_CTX_set1_pkey(ctx, fx.key[FX_P384]));
    ck_assert_ptr_null(p11cmp_genm_new(ctx));
    ASSERT_REASON(P11CMP_R_INVALID_ARGUMENT);
    ck_assert(P11CMP_CTX_set1_cert(ctx, NULL));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_UNPROTECTED_SEND, 1));
    msg = build_ir(ctx);
    ck_assert_ptr_null(msg->protection);
    ck_assert_ptr_null(msg->header->protectionAlg);
    P11CMP_MSG_free(msg);
    /* UNPROTECTED_SEND wins over credentials */
    ck_assert(P11CMP_CTX_set1_secretValue(ctx, (const unsigned char *)"s",
                                          1));
    msg = build_ir(ctx);
    ck_assert_ptr_null(msg->protection);
    ck_assert(!fx_ossl_validates(fx_ossl_pbm("s"), msg));
    P11CMP_MSG_free(msg);
    X509_NAME_free(subj);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* PBM with NULL-DN sender needs the reference as senderKID */
START_TEST(pbm_sender_identification)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    P11CMP_MSG *msg;

    ck_assert(P11CMP_CTX_set1_secretValue(ctx, (const unsigned char *)"s",
                                          1));
    ck_assert_ptr_null(p11cmp_genm_new(ctx));
    ASSERT_REASON(P11CMP_R_ERROR_CREATING_MESSAGE);
    ck_assert(P11CMP_CTX_set1_referenceValue(ctx,
                  (const unsigned char *)"ref", 3));
    msg = p11cmp_genm_new(ctx);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(msg->header->sender->type, GEN_DIRNAME);
    ck_assert_int_eq(X509_NAME_entry_count(msg->header->sender->d.dirn), 0);
    ck_assert_mem_eq(msg->header->senderKID->data, "ref", 3);
    ck_assert(fx_ossl_validates(fx_ossl_pbm("s"), msg));
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* PBM takes precedence over a signature when both are configured */
START_TEST(pbm_precedence)
{
    P11CMP_CTX *ctx = fx_ctx_sig(FX_P256);
    P11CMP_MSG *msg;

    ck_assert(P11CMP_CTX_set1_secretValue(ctx,
                  (const unsigned char *)FX_SECRET, strlen(FX_SECRET)));
    msg = build_ir(ctx);
    ck_assert(p11cmp_alg_is_pbm(msg->header->protectionAlg));
    ck_assert_ptr_null(msg->extraCerts);
    /* no reference: senderKID stays absent, the sender is the cert's */
    ck_assert_ptr_null(msg->header->senderKID);
    ck_assert(fx_ossl_validates(fx_ossl_pbm(FX_SECRET), msg));
    P11CMP_MSG_free(msg);
    P11CMP_CTX_free(ctx);
}
END_TEST

static Suite *protect_suite(void)
{
    Suite *s = suite_create("protect");
    TCase *pbm = tcase_create("pbm"), *sig = tcase_create("signature");
    TCase *matrix = tcase_create("matrix");

    tcase_add_test(pbm, pbm_defaults_validate);
    tcase_add_test(pbm, pbm_options_validate);
    tcase_add_test(pbm, pbm_known_answer);
    tcase_add_test(pbm, pbm_received_and_caps);
    tcase_add_test(pbm, pbm_sender_identification);
    tcase_add_test(pbm, pbm_precedence);
    tcase_add_test(pbm, unprotected_and_missing_credentials);
    suite_add_tcase(s, pbm);
    tcase_set_timeout(sig, 120);
    tcase_add_test(sig, signature_digest_option);
    tcase_add_test(sig, signature_tampered);
    tcase_add_test(sig, extracerts_chain);
    suite_add_tcase(s, sig);
    tcase_set_timeout(matrix, 60);
    tcase_add_loop_test(matrix, body_protection_matrix, 0, NUM_CELLS);
    suite_add_tcase(s, matrix);
    return s;
}

int main(void)
{
    int failed;

    fx_setup();
    failed = check_run(protect_suite(), CK_NORMAL);
    fx_teardown();
    return failed == 0 ? 0 : 1;
}
