/*
 * tests/check_client.c - unit tests of the client transactions
 * (src/client.c) with OpenSSL's CMP server (OSSL_CMP_SRV_CTX) in process
 * behind a transfer callback: enrollment with certConf, implicit and
 * disabled confirmation, public key mismatch, rejection, error messages,
 * polling (exec and try_certreq, abort; also after an error message of
 * status waiting, delayed delivery), TOTAL_TIMEOUT, a CRMF template
 * from OpenSSL, every RR status, a wrong certId in RP, unusable answers
 * (error message sent), GENM, the default certConf callback, fresh
 * transactionIDs, responses announcing confirmWaitTime, and argument
 * checks.
 */
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>

#include "ossl_peer.h"
#include "verify_peer.h"
#include "check_main.h"
#include "last_reason.h"

#define MAX_TIDS 16

/* the in-process server and what it saw */
struct srv {
    OSSL_CMP_SRV_CTX *sctx;
    EVP_PKEY *cert_key;         /* key of the certs it issues */
    int status, fail_bit;       /* answer to cert requests and RR */
    int polls, check_after;     /* pollRep to send before the cert */
    OSSL_CMP_MSG *held;
    int silent;                 /* no answer at all */
    int refuse_certconf;        /* answer certConf with an error */
    int (*mutate)(P11CMP_MSG *rsp);
    int delayed;                /* the waiting IP as an error message */
    int n_types[P11CMP_PKIBODY_TYPE_MAX + 1];
    char certconf[256], error[256], subject[256];
    long rr_serial;             /* the serial the last RR named */
    ASN1_OCTET_STRING *tids[MAX_TIDS];
    int n_tids;
    ASN1_OCTET_STRING *rsp_nonce;  /* senderNonce of the last response */
    int error_nonce_ok;         /* an error message answered it */
};

static struct vp_pki pki;
static struct srv S;
static P11CMP_CTX *ctx;

/* 1 if reason is anywhere on the ERR stack */
static int has_reason(int reason)
{
    unsigned long e;
    const char *f, *d;
    int l, fl, found = 0;

    while ((e = ERR_get_error_all(&f, &l, NULL, &d, &fl)) != 0)
        if (ERR_GET_LIB(e) == P11CMP_ERR_get_lib()
            && ERR_GET_REASON(e) == reason)
            found = 1;
    return found;
}

static OSSL_CMP_PKISI *srv_cert_request(OSSL_CMP_SRV_CTX *sctx,
                                        const OSSL_CMP_MSG *req, int rid,
                                        const OSSL_CRMF_MSG *crm,
                                        const X509_REQ *p10cr,
                                        X509 **certOut,
                                        STACK_OF(X509) **chainOut,
                                        STACK_OF(X509) **caPubs)
{
    struct srv *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);

    (void)rid, (void)p10cr, (void)chainOut;
    if (crm != NULL)
        (void)X509_NAME_oneline(OSSL_CRMF_CERTTEMPLATE_get0_subject(
                                    OSSL_CRMF_MSG_get0_tmpl(crm)),
                                s->subject, sizeof(s->subject));
    if (s->status < 0)
        return NULL;
    if (s->polls > 0 && s->held == NULL) {
        s->held = OSSL_CMP_MSG_dup(req);
        return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0, NULL);
    }
    if (s->status == OSSL_CMP_PKISTATUS_rejection)
        return OSSL_CMP_STATUSINFO_new(s->status, 1 << s->fail_bit,
                                       "rejected by the test");
    *certOut = vp_cert(s->cert_key, "ee", pki.root, pki.root_key,
                       "digitalSignature", -1, 10);
    if ((*caPubs = sk_X509_new_null()) != NULL && X509_up_ref(pki.root))
        (void)sk_X509_push(*caPubs, pki.root);
    return OSSL_CMP_STATUSINFO_new(s->status, 0, "issued");
}

static OSSL_CMP_PKISI *srv_rr(OSSL_CMP_SRV_CTX *sctx,
                              const OSSL_CMP_MSG *req,
                              const X509_NAME *issuer,
                              const ASN1_INTEGER *serial)
{
    struct srv *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);

    (void)req, (void)issuer;
    s->rr_serial = ASN1_INTEGER_get(serial);
    return OSSL_CMP_STATUSINFO_new(s->status,
                                   s->fail_bit < 0 ? 0 : 1 << s->fail_bit,
                                   "rr");
}

static void srv_error(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                      const OSSL_CMP_PKISI *si, const ASN1_INTEGER *code,
                      const OSSL_CMP_PKIFREETEXT *details)
{
    struct srv *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);

    (void)req, (void)code, (void)details;
    if (si != NULL)
        (void)OSSL_CMP_snprint_PKIStatusInfo(si, s->error, sizeof(s->error));
}

static int srv_certConf(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                        int rid, const ASN1_OCTET_STRING *certHash,
                        const OSSL_CMP_PKISI *si)
{
    struct srv *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);

    (void)req, (void)rid, (void)certHash;
    if (s->refuse_certconf)
        return 0;
    if (si == NULL)
        strcpy(s->certconf, "accepted");
    else
        (void)OSSL_CMP_snprint_PKIStatusInfo(si, s->certconf,
                                             sizeof(s->certconf));
    return 1;
}

static int srv_pollReq(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                       int rid, OSSL_CMP_MSG **certReq, int64_t *after)
{
    struct srv *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);

    (void)req, (void)rid;
    *certReq = NULL;
    if (s->polls-- > 0) {
        *after = s->check_after;
        return 1;
    }
    *certReq = s->held;
    s->held = NULL;
    return 1;
}

/* remembers the transactionID of a request */
static void record_tid(struct srv *s, const OSSL_CMP_MSG *req)
{
    const ASN1_OCTET_STRING *tid =
        OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req));

    if (s->n_tids < MAX_TIDS && tid != NULL)
        s->tids[s->n_tids++] = ASN1_OCTET_STRING_dup(tid);
}

static int set_poll_rid(P11CMP_MSG *msg, long rid);
static int delayed_rsp(P11CMP_MSG *rsp);

/* the transfer callback: p11cmp -> DER -> OpenSSL's server -> p11cmp */
static P11CMP_MSG *transfer(P11CMP_CTX *c, const P11CMP_MSG *req)
{
    struct srv *s = P11CMP_CTX_get_transfer_cb_arg(c);
    unsigned char *der = NULL;
    const unsigned char *p;
    OSSL_CMP_MSG *oreq, *orsp = NULL;
    P11CMP_MSG *rsp = NULL, *copy = NULL;
    int len = i2d_P11CMP_MSG(req, &der), type;

    if (s->delayed && len > 0
        && P11CMP_MSG_get_bodytype(req) == P11CMP_PKIBODY_POLLREQ) {
        /* the server is asked as for its held request's certReqId 0 */
        p = der;
        copy = d2i_P11CMP_MSG(NULL, &p, len);
        OPENSSL_free(der);
        der = NULL;
        len = copy != NULL && set_poll_rid(copy, 0)
            ? i2d_P11CMP_MSG(copy, &der) : -1;
        P11CMP_MSG_free(copy);
    }
    p = der;
    oreq = len > 0 ? d2i_OSSL_CMP_MSG(NULL, &p, len) : NULL;
    OPENSSL_free(der);
    der = NULL;
    if (oreq == NULL)
        return NULL;
    type = OSSL_CMP_MSG_get_bodytype(oreq);
    if (type >= 0 && type <= P11CMP_PKIBODY_TYPE_MAX)
        s->n_types[type]++;
    record_tid(s, oreq);
    if (type == P11CMP_PKIBODY_ERROR)
        s->error_nonce_ok = s->rsp_nonce != NULL
            && ASN1_OCTET_STRING_cmp(s->rsp_nonce, OSSL_CMP_HDR_get0_recipNonce(
                   OSSL_CMP_MSG_get0_header(oreq))) == 0;
    if (!s->silent)
        orsp = OSSL_CMP_SRV_process_request(s->sctx, oreq);
    if (orsp != NULL && (len = i2d_OSSL_CMP_MSG(orsp, &der)) > 0) {
        p = der;
        rsp = d2i_P11CMP_MSG(NULL, &p, len);
    }
    ASN1_OCTET_STRING_free(s->rsp_nonce);
    s->rsp_nonce = rsp == NULL || rsp->header->senderNonce == NULL ? NULL
        : ASN1_OCTET_STRING_dup(rsp->header->senderNonce);
    if (rsp != NULL && ((s->mutate != NULL && !s->mutate(rsp))
                        || (s->delayed && !delayed_rsp(rsp)))) {
        P11CMP_MSG_free(rsp);
        rsp = NULL;
    }
    OPENSSL_free(der);
    OSSL_CMP_MSG_free(oreq);
    OSSL_CMP_MSG_free(orsp);
    return rsp;
}

static void setup(void)
{
    OSSL_CMP_CTX *sc;
    X509_NAME *subject = vp_name("ee");

    memset(&S, 0, sizeof(S));
    S.cert_key = pki.ee_key;
    S.fail_bit = -1;
    ck_assert_ptr_nonnull(S.sctx = OSSL_CMP_SRV_CTX_new(NULL, NULL));
    ck_assert(OSSL_CMP_SRV_CTX_init(S.sctx, &S, srv_cert_request, srv_rr,
                                    ossl_peer_genm_echo, srv_error,
                                    srv_certConf, srv_pollReq));
    sc = OSSL_CMP_SRV_CTX_get0_cmp_ctx(S.sctx);
    ck_assert(OSSL_CMP_CTX_set_option(sc, OSSL_CMP_OPT_LOG_VERBOSITY,
                                      OSSL_CMP_LOG_CRIT));
    ck_assert(OSSL_CMP_CTX_set1_referenceValue(sc, (unsigned char *)VP_REF,
                                               strlen(VP_REF)));
    ck_assert(OSSL_CMP_CTX_set1_secretValue(sc, (unsigned char *)VP_SECRET,
                                            strlen(VP_SECRET)));
    ck_assert_ptr_nonnull(ctx = P11CMP_CTX_new(NULL, NULL));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_LOG_VERBOSITY, 0));
    ck_assert(P11CMP_CTX_set_transfer_cb(ctx, transfer));
    ck_assert(P11CMP_CTX_set_transfer_cb_arg(ctx, &S));
    ck_assert(P11CMP_CTX_set1_referenceValue(ctx, (unsigned char *)VP_REF,
                                             strlen(VP_REF)));
    ck_assert(P11CMP_CTX_set1_secretValue(ctx, (unsigned char *)VP_SECRET,
                                          strlen(VP_SECRET)));
    ck_assert(P11CMP_CTX_set1_subjectName(ctx, subject));
    ck_assert(EVP_PKEY_up_ref(pki.ee_key));
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 1, pki.ee_key));
    X509_NAME_free(subject);
    ERR_clear_error();
}

static void teardown(void)
{
    int i;

    P11CMP_CTX_free(ctx);
    OSSL_CMP_SRV_CTX_free(S.sctx);
    OSSL_CMP_MSG_free(S.held);
    for (i = 0; i < S.n_tids; i++)
        ASN1_OCTET_STRING_free(S.tids[i]);
    ASN1_OCTET_STRING_free(S.rsp_nonce);
    ERR_clear_error();
}

static int num_free(STACK_OF(X509) *certs)
{
    int n = certs == NULL ? -1 : sk_X509_num(certs);

    sk_X509_pop_free(certs, X509_free);
    return n;
}

START_TEST(ir_certconf)
{
    X509 *cert = P11CMP_exec_IR_ses(ctx);

    ck_assert_ptr_nonnull(cert);
    ck_assert_ptr_eq(cert, P11CMP_CTX_get0_newCert(ctx));
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), pki.ee_key), 1);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx), 0);
    ck_assert_int_eq(num_free(P11CMP_CTX_get1_caPubs(ctx)), 1);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_IR], 1);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 1);
    ck_assert_str_eq(S.certconf, "PKIStatus: accepted");
    /* the next transaction gets a new transactionID, no reinit needed */
    ck_assert_ptr_nonnull(P11CMP_exec_CR_ses(ctx));
    ck_assert_int_eq(S.n_tids, 4);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(S.tids[0], S.tids[1]), 0);
    ck_assert_int_ne(ASN1_OCTET_STRING_cmp(S.tids[1], S.tids[2]), 0);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(S.tids[2], S.tids[3]), 0);
}
END_TEST

START_TEST(pubkey_mismatch_rejected_by_certconf)
{
    S.cert_key = pki.other_key;
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx),
                     P11CMP_PKISTATUS_rejected_by_client);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx),
                     1 << P11CMP_PKIFAILUREINFO_incorrectData);
    ck_assert_int_eq(last_reason(), P11CMP_R_CERTIFICATE_NOT_ACCEPTED);
    ck_assert_ptr_nonnull(strstr(S.certconf, "rejection"));
    ck_assert_ptr_nonnull(strstr(S.certconf, "incorrectData"));
}
END_TEST

START_TEST(rejection_by_server)
{
    P11CMP_PKIFREETEXT *text;

    S.status = OSSL_CMP_PKISTATUS_rejection;
    S.fail_bit = OSSL_CMP_PKIFAILUREINFO_badPOP;
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(last_reason(), P11CMP_R_REQUEST_REJECTED_BY_SERVER);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_rejection);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx),
                     1 << P11CMP_PKIFAILUREINFO_badPOP);
    text = P11CMP_CTX_get0_statusString(ctx);
    ck_assert_int_eq(sk_ASN1_UTF8STRING_num(text), 1);
    ck_assert_str_eq((char *)ASN1_STRING_get0_data(
                         sk_ASN1_UTF8STRING_value(text, 0)),
                     "rejected by the test");
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 0);
}
END_TEST

START_TEST(error_message_from_server)
{
    S.status = -1; /* the server's callback fails: error message */
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(last_reason(), P11CMP_R_RECEIVED_ERROR);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_rejection);
}
END_TEST

START_TEST(polling_exec)
{
    S.polls = 2;
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_POLLREQ], 3);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 1);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
}
END_TEST

/* sets the certReqId of a pollReq or pollRep msg, protected again */
static int set_poll_rid(P11CMP_MSG *msg, long rid)
{
    ASN1_INTEGER *id = P11CMP_MSG_get_bodytype(msg) == P11CMP_PKIBODY_POLLREQ
        ? sk_p11cmp_POLLREQ_value(msg->body->value.pollReq, 0)->certReqId
        : sk_p11cmp_POLLREP_value(msg->body->value.pollRep, 0)->certReqId;

    p11cmp_MSG_forget_received(msg);
    return ASN1_INTEGER_set(id, rid) && vp_reprotect_pbm(msg, VP_SECRET);
}

/*
 * Delayed delivery (RFC 9810 5.3.22) played with OpenSSL 3.0's server,
 * which knows only the certReqId of the held request: its IP saying
 * waiting (S.polls) becomes an error message of status waiting, and its
 * pollRep are for certReqId -1, as the pollReq are (see transfer()).
 */
static int delayed_rsp(P11CMP_MSG *rsp)
{
    const p11cmp_CERTRESPONSE *crep;
    p11cmp_ERRORMSGCONTENT *emc;

    if (P11CMP_MSG_get_bodytype(rsp) == P11CMP_PKIBODY_POLLREP)
        return set_poll_rid(rsp, P11CMP_CERTREQID_NONE);
    if (P11CMP_MSG_get_bodytype(rsp) != P11CMP_PKIBODY_IP)
        return 1;
    crep = sk_p11cmp_CERTRESPONSE_value(rsp->body->value.ip->response, 0);
    if (p11cmp_pkisi_get_status(crep->status) != P11CMP_PKISTATUS_waiting)
        return 1;
    if ((emc = p11cmp_ERRORMSGCONTENT_new()) == NULL)
        return 0;
    P11CMP_PKISI_free(emc->pKIStatusInfo);
    if ((emc->pKIStatusInfo = p11cmp_pkisi_create(P11CMP_PKISTATUS_waiting,
                                                  0, "later")) == NULL) {
        p11cmp_ERRORMSGCONTENT_free(emc);
        return 0;
    }
    p11cmp_MSG_forget_received(rsp);
    p11cmp_CERTREPMESSAGE_free(rsp->body->value.ip);
    rsp->body->type = P11CMP_PKIBODY_ERROR;
    rsp->body->value.error = emc;
    return vp_reprotect_pbm(rsp, VP_SECRET);
}

/* the ir answered with an error message "waiting": the client polls */
START_TEST(polling_by_error_message)
{
    S.polls = 2;
    S.delayed = 1;
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_POLLREQ], 3);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 1);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_ERROR], 0);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
}
END_TEST

START_TEST(polling_total_timeout)
{
    time_t start = time(NULL);

    S.polls = 2;
    S.check_after = 5;
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_TOTAL_TIMEOUT, 3));
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert(has_reason(P11CMP_R_TOTAL_TIMEOUT));
    ck_assert_int_le(time(NULL) - start, 1);
    /* the server is told: rejection, no failure bits */
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_ERROR], 1);
    ck_assert_ptr_nonnull(strstr(S.error, "rejection; <no failure info>"));
}
END_TEST

/* checkAfter 0 again and again, no TOTAL_TIMEOUT: 1 s apart, bounded */
START_TEST(polling_bounded)
{
    time_t start = time(NULL);

    S.polls = 1000;
    S.check_after = 0;
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_MAX_POLL_TIME),
                     P11CMP_DEFAULT_MAX_POLL_TIME);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MAX_POLL_TIME, 3));
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert(has_reason(P11CMP_R_TOTAL_TIMEOUT));
    ck_assert_int_ge(time(NULL) - start, 2);
    ck_assert_int_le(time(NULL) - start, 5);
    /* one pollReq right away, then at most one a second */
    ck_assert_int_ge(S.n_types[P11CMP_PKIBODY_POLLREQ], 3);
    ck_assert_int_le(S.n_types[P11CMP_PKIBODY_POLLREQ], 5);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_ERROR], 1);
}
END_TEST

/* P11CMP_interrupt() ends polling with an error message to the server */
START_TEST(polling_interrupted)
{
    ck_assert_int_eq(P11CMP_interrupted(), 0);
    S.polls = 1;
    S.check_after = 0;
    P11CMP_interrupt(15);
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert(has_reason(P11CMP_R_INTERRUPTED));
    /* nothing sent at all: the IR is not sent once interrupted */
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_IR], 0);
    ck_assert_int_eq(P11CMP_interrupted(), 15);
    P11CMP_interrupt(2); /* the first signal stays */
    ck_assert_int_eq(P11CMP_interrupted(), 15);
    P11CMP_interrupt(0);
    ck_assert_int_eq(P11CMP_interrupted(), 0);
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
}
END_TEST

START_TEST(try_certreq_polls)
{
    int after = -1;

    S.polls = 1;
    S.check_after = 7;
    ck_assert_int_eq(P11CMP_try_certreq(ctx, P11CMP_IR, NULL, &after), -1);
    ck_assert_int_eq(after, 7);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_waiting);
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
    ck_assert_int_eq(P11CMP_try_certreq(ctx, P11CMP_IR, NULL, &after), 1);
    ck_assert_ptr_nonnull(P11CMP_CTX_get0_newCert(ctx));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_POLLREQ], 2);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 1);
    /* all polls within one transaction */
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(S.tids[0], S.tids[2]), 0);
}
END_TEST

/* a certreq of type that the server answers with waiting (and polls) */
static void start_waiting(int type)
{
    int after;

    S.polls = 3;
    ck_assert_int_eq(P11CMP_try_certreq(ctx, type, NULL, &after), -1);
}

START_TEST(try_certreq_abort)
{
    int after = -1;

    ck_assert_int_eq(P11CMP_try_certreq(ctx, -1, NULL, &after), 0);
    ck_assert_int_eq(last_reason(), P11CMP_R_NO_PENDING_REQUEST);
    start_waiting(P11CMP_CR);
    ck_assert_int_eq(P11CMP_try_certreq(ctx, -1, NULL, NULL), 1);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_ERROR], 1);
    ck_assert_ptr_nonnull(strstr(S.error, "rejection; <no failure info>"));
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_rejection);
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
    ck_assert_int_eq(P11CMP_try_certreq(ctx, -1, NULL, NULL), 0);
}
END_TEST

/* a new transaction leaves a pending request behind, with a new ID */
START_TEST(exec_while_pending)
{
    start_waiting(P11CMP_IR);
    S.polls = 0;
    OSSL_CMP_MSG_free(S.held);
    S.held = NULL;
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    /* IR and the pollReq for its waiting answer, then IR and certConf */
    ck_assert_int_eq(S.n_tids, 4);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_POLLREQ], 1);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(S.tids[0], S.tids[1]), 0);
    ck_assert_int_ne(ASN1_OCTET_STRING_cmp(S.tids[1], S.tids[2]), 0);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(S.tids[2], S.tids[3]), 0);
}
END_TEST

/* a failed poll ends the request: nothing pending afterwards */
START_TEST(failed_poll_ends_request)
{
    int after;

    start_waiting(P11CMP_IR);
    S.silent = 1;
    ck_assert_int_eq(P11CMP_try_certreq(ctx, P11CMP_IR, NULL, &after), 0);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_trans);
    ck_assert_int_eq(P11CMP_try_certreq(ctx, -1, NULL, NULL), 0);
    ck_assert_int_eq(last_reason(), P11CMP_R_NO_PENDING_REQUEST);
}
END_TEST

START_TEST(implicit_confirm)
{
    ck_assert(OSSL_CMP_SRV_CTX_set_grant_implicit_confirm(S.sctx, 1));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_IMPLICIT_CONFIRM, 1));
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 0);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_IMPLICIT_CONFIRM, 0));
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 1);
}
END_TEST

START_TEST(disable_confirm)
{
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_DISABLE_CONFIRM, 1));
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 0);
}
END_TEST

/* a CRMF message built by OpenSSL (OpenSSL's server wants certReqId 0) */
static P11CMP_CRMF_MSG *openssl_crm(void)
{
    OSSL_CRMF_MSG *crm = OSSL_CRMF_MSG_new();
    X509_NAME *subject = vp_name("from crm");
    unsigned char *der = NULL;
    const unsigned char *p;
    P11CMP_CRMF_MSG *res = NULL;
    int len;

    ck_assert(crm != NULL && subject != NULL);
    ck_assert(OSSL_CRMF_MSG_set_certReqId(crm, 0));
    ck_assert(OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm),
                                          pki.ee_key, subject, NULL, NULL));
    ck_assert(OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, crm,
                                        pki.ee_key, EVP_sha256(), NULL,
                                        NULL));
    ck_assert_int_gt(len = i2d_OSSL_CRMF_MSG(crm, &der), 0);
    p = der;
    res = d2i_P11CMP_CRMF_MSG(NULL, &p, len);
    ck_assert_ptr_nonnull(res);
    OPENSSL_free(der);
    ck_assert_int_eq(i2d_P11CMP_CRMF_MSG(res, NULL), len);
    OSSL_CRMF_MSG_free(crm);
    X509_NAME_free(subject);
    return res;
}

START_TEST(crm_from_caller)
{
    P11CMP_CRMF_MSG *crm = openssl_crm();

    ck_assert_ptr_nonnull(P11CMP_exec_certreq(ctx, P11CMP_CR, crm));
    ck_assert_str_eq(S.subject, "/CN=from crm");
    ck_assert_str_eq(S.certconf, "PKIStatus: accepted");
    P11CMP_CRMF_MSG_free(crm);
}
END_TEST

/* RR: the return value and ctx status for every PKIStatus */
START_TEST(rr_outcomes)
{
    static const int ok[] = { 1, 1, 0, 0, 1, 1, 0 };
    static const int why[] = {
        0, 0, P11CMP_R_REQUEST_REJECTED_BY_SERVER,
        P11CMP_R_UNEXPECTED_PKISTATUS, 0, 0, P11CMP_R_UNEXPECTED_PKISTATUS
    };
    int status;

    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 0);
    ck_assert_int_eq(last_reason(), P11CMP_R_MISSING_REFERENCE_CERT);
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, pki.ee));
    for (status = 0; status <= 6; status++) {
        S.status = status;
        S.fail_bit = status == 2 ? P11CMP_PKIFAILUREINFO_certRevoked : -1;
        ERR_clear_error();
        ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), ok[status]);
        ck_assert_int_eq(P11CMP_CTX_get_status(ctx), status);
        if (!ok[status])
            ck_assert_int_eq(last_reason(), why[status]);
    }
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_RR], 7);
}
END_TEST

/* RR by issuer and serialNumber (OpenSSL 3.2's way), oldCert unset */
START_TEST(rr_by_issuer_serial)
{
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    X509_NAME *issuer = vp_name("some CA");

    ck_assert(sn != NULL && ASN1_INTEGER_set(sn, 4711));
    ck_assert(P11CMP_CTX_set1_serialNumber(ctx, sn));
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 0); /* no issuer yet */
    ck_assert_int_eq(last_reason(), P11CMP_R_MISSING_REFERENCE_CERT);
    ck_assert(P11CMP_CTX_set1_issuer(ctx, issuer));
    ERR_clear_error();
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 1);
    ck_assert_int_eq(S.rr_serial, 4711);
    ck_assert(P11CMP_CTX_set1_serialNumber(ctx, NULL));
    ck_assert(!P11CMP_CTX_set1_serialNumber(NULL, sn));
    ASN1_INTEGER_free(sn);
    X509_NAME_free(issuer);
}
END_TEST

/* changes the serial in revCerts of an RP and protects it again */
static int other_certid(P11CMP_MSG *rsp)
{
    p11cmp_CRMF_CERTID *cid;

    if (P11CMP_MSG_get_bodytype(rsp) != P11CMP_PKIBODY_RP
        || rsp->body->value.rp->revCerts == NULL)
        return 1;
    cid = sk_p11cmp_CRMF_CERTID_value(rsp->body->value.rp->revCerts, 0);
    p11cmp_MSG_forget_received(rsp);
    return ASN1_INTEGER_set(cid->serialNumber, 4242)
        && vp_reprotect_pbm(rsp, VP_SECRET);
}

START_TEST(rr_wrong_certid)
{
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, pki.ee));
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 1);
    S.mutate = other_certid;
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 0);
    ck_assert_int_eq(last_reason(), P11CMP_R_WRONG_CERTID_IN_RP);
}
END_TEST

/* empties the revCerts of an RP and protects it again */
static int no_certid(P11CMP_MSG *rsp)
{
    STACK_OF(p11cmp_CRMF_CERTID) *ids;

    if (P11CMP_MSG_get_bodytype(rsp) != P11CMP_PKIBODY_RP
        || (ids = rsp->body->value.rp->revCerts) == NULL)
        return 1;
    while (sk_p11cmp_CRMF_CERTID_num(ids) > 0)
        p11cmp_CRMF_CERTID_free(sk_p11cmp_CRMF_CERTID_pop(ids));
    p11cmp_MSG_forget_received(rsp);
    return vp_reprotect_pbm(rsp, VP_SECRET);
}

/* an empty revCerts names no other cert: accepted, as by OpenSSL */
START_TEST(rr_empty_revcerts)
{
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, pki.ee));
    S.mutate = no_certid;
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 1);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
}
END_TEST

/*
 * RR for the key of a CSR (no oldCert): the certTemplate has the CSR's
 * subject and public key and no issuer or serial, as OpenSSL fills it;
 * OpenSSL's server answers with an empty revCerts.
 */
START_TEST(rr_by_csr)
{
    X509_REQ *csr = X509_REQ_new();
    X509_NAME *name = vp_name("rr by csr");
    P11CMP_MSG *rr;
    p11cmp_CRMF_CERTTEMPLATE *t;

    ck_assert(csr != NULL && name != NULL);
    ck_assert(X509_REQ_set_subject_name(csr, name)
              && X509_REQ_set_pubkey(csr, pki.ee_key)
              && X509_REQ_sign(csr, pki.ee_key, EVP_sha256()) > 0);
    ck_assert(P11CMP_CTX_set1_p10CSR(ctx, csr));
    ck_assert_ptr_nonnull(rr = p11cmp_rr_new(ctx));
    t = sk_p11cmp_REVDETAILS_value(rr->body->value.rr, 0)->certDetails;
    ck_assert_int_eq(X509_NAME_cmp(t->subject, name), 0);
    ck_assert_int_eq(EVP_PKEY_eq(X509_PUBKEY_get0(t->publicKey), pki.ee_key),
                     1);
    ck_assert_ptr_null(t->issuer);
    ck_assert_ptr_null(t->serialNumber);
    P11CMP_MSG_free(rr);
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 1);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_RR], 1);
    X509_REQ_free(csr);
    X509_NAME_free(name);
}
END_TEST

/* an IP whose CertResponse has certReqId 3, protected again */
static int ip_other_rid(P11CMP_MSG *rsp)
{
    p11cmp_CERTRESPONSE *crep;

    if (P11CMP_MSG_get_bodytype(rsp) != P11CMP_PKIBODY_IP)
        return 1;
    crep = sk_p11cmp_CERTRESPONSE_value(rsp->body->value.ip->response, 0);
    p11cmp_MSG_forget_received(rsp);
    return ASN1_INTEGER_set(crep->certReqId, 3)
        && vp_reprotect_pbm(rsp, VP_SECRET);
}

/* an IP saying accepted without a certificate, protected again */
static int ip_no_cert(P11CMP_MSG *rsp)
{
    p11cmp_CERTRESPONSE *crep;

    if (P11CMP_MSG_get_bodytype(rsp) != P11CMP_PKIBODY_IP)
        return 1;
    crep = sk_p11cmp_CERTRESPONSE_value(rsp->body->value.ip->response, 0);
    p11cmp_MSG_forget_received(rsp);
    p11cmp_CERTIFIEDKEYPAIR_free(crep->certifiedKeyPair);
    crep->certifiedKeyPair = NULL;
    return vp_reprotect_pbm(rsp, VP_SECRET);
}

/* a validated but unusable response: the client tells the server with
 * an error message and keeps its own reason */
START_TEST(unusable_response_error_sent)
{
    S.mutate = ip_other_rid;
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert(has_reason(P11CMP_R_CERTREQID_MISMATCH));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_ERROR], 1);
    ck_assert_ptr_nonnull(strstr(S.error, "badRequest"));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 0);
    S.mutate = ip_no_cert;
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert(has_reason(P11CMP_R_NO_CERT_IN_RESPONSE));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_ERROR], 2);
    ck_assert_ptr_nonnull(strstr(S.error, "badDataFormat"));
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
}
END_TEST

/* an IP whose protection no longer fits its content */
static int ip_bad_mac(P11CMP_MSG *rsp)
{
    if (P11CMP_MSG_get_bodytype(rsp) != P11CMP_PKIBODY_IP)
        return 1;
    p11cmp_MSG_forget_received(rsp);
    return ASN1_INTEGER_set(rsp->header->pvno, 3);
}

/*
 * a response failing validation is refused with an error message whose
 * recipNonce is the response's senderNonce (OpenSSL 3.5's server refuses
 * it otherwise, 3.0's did not check)
 */
START_TEST(invalid_response_error_sent)
{
    S.mutate = ip_bad_mac;
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert(has_reason(P11CMP_R_BAD_MAC));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_ERROR], 1);
    ck_assert_int_eq(S.error_nonce_ok, 1);
    ck_assert_ptr_nonnull(strstr(S.error, "badMessageCheck"));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 0);
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
}
END_TEST

START_TEST(genm_itavs)
{
    STACK_OF(P11CMP_ITAV) *itavs;
    int i;

    for (i = 0; i < 2; i++)
        ck_assert(P11CMP_CTX_push0_genm_ITAV(ctx, P11CMP_ITAV_create(
                      OBJ_txt2obj(i ? "1.3.6.1.5.5.7.4.17"
                                  : "1.3.6.1.5.5.7.4.5", 1), NULL)));
    itavs = P11CMP_exec_GENM_ses(ctx);
    ck_assert_ptr_nonnull(itavs);
    ck_assert_int_eq(sk_P11CMP_ITAV_num(itavs), 2);
    ck_assert_int_eq(OBJ_obj2nid(P11CMP_ITAV_get0_type(
                         sk_P11CMP_ITAV_value(itavs, 1))),
                     OBJ_txt2nid("1.3.6.1.5.5.7.4.17"));
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
    sk_P11CMP_ITAV_pop_free(itavs, P11CMP_ITAV_free);
}
END_TEST

/* the confirmWaitTime of the last IP the client received, if any */
static ASN1_GENERALIZEDTIME *ip_wait;

static int see_confirm_wait(P11CMP_MSG *rsp)
{
    STACK_OF(P11CMP_ITAV) *gi =
        P11CMP_HDR_get0_geninfo_ITAVs(P11CMP_MSG_get0_header(rsp));
    const P11CMP_ITAV *itav;
    int i;

    for (i = 0; i < sk_P11CMP_ITAV_num(gi); i++) {
        itav = sk_P11CMP_ITAV_value(gi, i);
        if (P11CMP_MSG_get_bodytype(rsp) == P11CMP_PKIBODY_IP
            && OBJ_obj2nid(P11CMP_ITAV_get0_type(itav))
               == NID_id_it_confirmWaitTime
            && ASN1_TYPE_get(P11CMP_ITAV_get0_value(itav))
               == V_ASN1_GENERALIZEDTIME) {
            ASN1_GENERALIZEDTIME_free(ip_wait);
            ip_wait = ASN1_STRING_dup(
                P11CMP_ITAV_get0_value(itav)->value.generalizedtime);
        }
    }
    return 1;
}

/*
 * A server announcing confirmWaitTime (RFC 4210 5.1.1.2): the client
 * reads it from the IP and confirms at once. When the time has passed the
 * certConf still goes out; a server that then refuses it with an error
 * message ends the enrollment with P11CMP_R_RECEIVED_ERROR, no newCert.
 */
START_TEST(confirm_wait_time)
{
    OSSL_CMP_CTX *sc = OSSL_CMP_SRV_CTX_get0_cmp_ctx(S.sctx);
    ASN1_GENERALIZEDTIME *when = NULL;

    S.mutate = see_confirm_wait;
    ck_assert(ossl_peer_push_confirm_wait(sc, 300, &when));
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 1);
    ck_assert_str_eq(S.certconf, "PKIStatus: accepted");
    ck_assert_ptr_nonnull(ip_wait);
    ck_assert_int_eq(ASN1_STRING_cmp(ip_wait, when), 0);
    /* past: the server gave up waiting and refuses the certConf */
    ck_assert(OSSL_CMP_CTX_reset_geninfo_ITAVs(sc));
    ck_assert(ossl_peer_push_confirm_wait(sc, -60, &when));
    S.refuse_certconf = 1;
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert(has_reason(P11CMP_R_RECEIVED_ERROR));
    ck_assert_int_eq(S.n_types[P11CMP_PKIBODY_CERTCONF], 2);
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_rejection);
    ck_assert_int_eq(ASN1_STRING_cmp(ip_wait, when), 0);
    ASN1_GENERALIZEDTIME_free(when);
    ASN1_GENERALIZEDTIME_free(ip_wait);
    ip_wait = NULL;
}
END_TEST

START_TEST(default_certconf_cb_store)
{
    X509_STORE *good = X509_STORE_new(), *bad = X509_STORE_new();

    ck_assert(good != NULL && X509_STORE_add_cert(good, pki.root));
    ck_assert(bad != NULL && X509_STORE_add_cert(bad, pki.other_root));
    ck_assert(P11CMP_CTX_set_certConf_cb_arg(ctx, good));
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(num_free(P11CMP_CTX_get1_newChain(ctx)), 0);
    ck_assert(P11CMP_CTX_set_certConf_cb_arg(ctx, bad));
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx),
                     1 << P11CMP_PKIFAILUREINFO_incorrectData);
    ck_assert_ptr_nonnull(strstr(S.certconf, "incorrectData"));
    ck_assert_int_eq(P11CMP_certConf_cb(ctx, pki.ee, 4, NULL), 4);
    X509_STORE_free(good);
    X509_STORE_free(bad);
}
END_TEST

/* 1 if a and b hold the same certs in the same order (NULL: empty) */
static int same_certs(STACK_OF(X509) *a, STACK_OF(X509) *b)
{
    int i, n = sk_X509_num(a) < 0 ? 0 : sk_X509_num(a);

    if (n != (sk_X509_num(b) < 0 ? 0 : sk_X509_num(b)))
        return 0;
    for (i = 0; i < n; i++)
        if (X509_cmp(sk_X509_value(a, i), sk_X509_value(b, i)) != 0)
            return 0;
    return 1;
}

/*
 * P11CMP_certConf_cb() and OpenSSL's OSSL_CMP_certConf_cb() on the same
 * cert, untrusted certs (u, NULL-terminated) and store: same verdict,
 * same newChain, which *first (if not NULL) lends. Returns the number of
 * certs in newChain, or -1 if the cert was rejected.
 */
static int cb_like_openssl(X509 *cert, X509 *const *u, X509_STORE *store,
                           X509 **first)
{
    OSSL_CMP_CTX *octx = OSSL_CMP_CTX_new(NULL, NULL);
    STACK_OF(X509) *certs = sk_X509_new_null(), *ochain, *chain;
    const char *otxt = NULL, *txt = NULL;
    int ofail, fail, n;

    ck_assert(octx != NULL && certs != NULL);
    for (; *u != NULL; u++)
        ck_assert(sk_X509_push(certs, *u));
    ck_assert(OSSL_CMP_CTX_set1_untrusted(octx, certs)
              && OSSL_CMP_CTX_set_certConf_cb_arg(octx, store));
    ck_assert(P11CMP_CTX_set1_untrusted(ctx, certs)
              && P11CMP_CTX_set_certConf_cb_arg(ctx, store));
    ofail = OSSL_CMP_certConf_cb(octx, cert, 0, &otxt);
    fail = P11CMP_certConf_cb(ctx, cert, 0, &txt);
    ck_assert_int_eq(fail, ofail);
    ochain = OSSL_CMP_CTX_get1_newChain(octx);
    chain = P11CMP_CTX_get1_newChain(ctx);
    ck_assert(same_certs(chain, ochain));
    n = fail != 0 ? -1 : sk_X509_num(chain);
    if (first != NULL)
        *first = n > 0 ? sk_X509_value(chain, 0) : NULL;
    if (first != NULL && *first != NULL)
        ck_assert(X509_up_ref(*first));
    sk_X509_pop_free(ochain, X509_free);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_free(certs);
    OSSL_CMP_CTX_free(octx);
    ERR_clear_error();
    return n;
}

/* a CA cert (basicConstraints CA) named cn for key, issued by issuer */
static X509 *ca_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                     EVP_PKEY *ikey)
{
    X509 *x = vp_cert(key, cn, issuer, ikey, "keyCertSign", -1, 10);
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

    ck_assert(x != NULL && bc != NULL);
    bc->ca = 0xFF;
    ck_assert(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0)
              && X509_sign(x, ikey, EVP_sha256()) > 0);
    BASIC_CONSTRAINTS_free(bc);
    return x;
}

/* the default callback builds newChain as OpenSSL does: from the
 * untrusted certs, the leaf's issuer first, without self-signed certs */
START_TEST(certconf_cb_like_openssl)
{
    EVP_PKEY *k1 = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
    X509 *i1 = ca_cert(k1, "vp inter 1", pki.root, pki.root_key);
    X509 *i2 = ca_cert(k2, "vp inter 2", i1, k1), *first = NULL;
    X509 *leaf = vp_cert(pki.ee_key, "leaf", i2, k2, "digitalSignature", -1,
                         10);
    X509 *const all[] = { pki.root, i1, i2, NULL };
    X509 *const inters[] = { i1, i2, NULL }, *const none[] = { NULL };
    X509 *const foreign[] = { pki.other_root, NULL };
    X509 *const root_only[] = { pki.root, NULL };
    X509_STORE *store = X509_STORE_new(), *other = X509_STORE_new();

    ck_assert(leaf != NULL && store != NULL && other != NULL);
    ck_assert(X509_STORE_add_cert(store, pki.root)
              && X509_STORE_add_cert(other, pki.other_root));
    /* no store: an approximate chain, whatever the order given */
    ck_assert_int_eq(cb_like_openssl(leaf, all, NULL, &first), 2);
    ck_assert_int_eq(X509_cmp(first, i2), 0);
    X509_free(first);
    ck_assert_int_eq(cb_like_openssl(leaf, inters, NULL, NULL), 2);
    ck_assert_int_eq(cb_like_openssl(leaf, foreign, NULL, NULL), 0);
    ck_assert_int_eq(cb_like_openssl(pki.ee, root_only, NULL, NULL), 0);
    /* a store: the validated chain, or rejection */
    ck_assert_int_eq(cb_like_openssl(leaf, all, store, &first), 2);
    ck_assert_int_eq(X509_cmp(first, i2), 0);
    X509_free(first);
    ck_assert_int_eq(cb_like_openssl(leaf, none, store, NULL), -1);
    ck_assert_int_eq(cb_like_openssl(leaf, inters, other, NULL), -1);
    /* revocation checks set in the store do not apply */
    ck_assert(X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK));
    ck_assert_int_eq(cb_like_openssl(leaf, inters, store, NULL), 2);
    X509_STORE_free(store);
    X509_STORE_free(other);
    X509_free(leaf);
    X509_free(i2);
    X509_free(i1);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}
END_TEST

START_TEST(no_answer_and_arguments)
{
    ck_assert_ptr_null(P11CMP_exec_certreq(NULL, P11CMP_IR, NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ck_assert_ptr_null(P11CMP_exec_certreq(ctx, 5, NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_INVALID_ARGUMENT);
    ck_assert_int_eq(P11CMP_try_certreq(NULL, P11CMP_IR, NULL, NULL), 0);
    ck_assert_int_eq(P11CMP_exec_RR_ses(NULL), 0);
    ck_assert_ptr_null(P11CMP_exec_GENM_ses(NULL));
    S.silent = 1;
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(last_reason(), P11CMP_R_TRANSFER_ERROR);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_trans);
    ck_assert_ptr_null(P11CMP_exec_GENM_ses(ctx));
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("transactions");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ir_certconf);
    tcase_add_test(tc, pubkey_mismatch_rejected_by_certconf);
    tcase_add_test(tc, rejection_by_server);
    tcase_add_test(tc, error_message_from_server);
    tcase_add_test(tc, polling_exec);
    tcase_add_test(tc, polling_by_error_message);
    tcase_add_test(tc, polling_total_timeout);
    tcase_add_test(tc, polling_bounded);
    tcase_add_test(tc, polling_interrupted);
    tcase_add_test(tc, try_certreq_polls);
    tcase_add_test(tc, try_certreq_abort);
    tcase_add_test(tc, exec_while_pending);
    tcase_add_test(tc, failed_poll_ends_request);
    tcase_add_test(tc, implicit_confirm);
    tcase_add_test(tc, disable_confirm);
    tcase_add_test(tc, crm_from_caller);
    tcase_add_test(tc, rr_outcomes);
    tcase_add_test(tc, rr_wrong_certid);
    tcase_add_test(tc, rr_empty_revcerts);
    tcase_add_test(tc, rr_by_csr);
    tcase_add_test(tc, rr_by_issuer_serial);
    tcase_add_test(tc, unusable_response_error_sent);
    tcase_add_test(tc, invalid_response_error_sent);
    tcase_add_test(tc, genm_itavs);
    tcase_add_test(tc, confirm_wait_time);
    tcase_add_test(tc, default_certconf_cb_store);
    tcase_add_test(tc, certconf_cb_like_openssl);
    tcase_add_test(tc, no_answer_and_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed;

    if (!vp_pki_new(&pki))
        return 99;
    failed = check_run(client_suite(), CK_NORMAL);
    vp_pki_free(&pki);
    return failed == 0 ? 0 : 1;
}
