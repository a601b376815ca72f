/*
 * src/client.c - the CMP client transactions of OSSL_CMP_exec_certreq(3):
 * enrollment (IR, CR, P10CR, KUR) with polling (pollReq/pollRep) and
 * certificate confirmation (certConf, implicit confirmation), revocation
 * (RR), general messages (GENM), the default certConf callback, and the
 * error messages the client sends when it gives up on a transaction.
 *
 * Each transaction starts with fresh results in the context and ends by
 * dropping its transactionID and nonces, so the next one gets new ones;
 * the HTTP connection may stay open across transactions (keep-alive).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "local.h"

#define FAIL_BIT(name) (1 << P11CMP_PKIFAILUREINFO_##name)

/* the CRMF message type of the public API */

P11CMP_CRMF_MSG *d2i_P11CMP_CRMF_MSG(P11CMP_CRMF_MSG **msg,
                                     const unsigned char **in, long len)
{
    return d2i_p11cmp_CRMF_MSG(msg, in, len);
}

int i2d_P11CMP_CRMF_MSG(const P11CMP_CRMF_MSG *msg, unsigned char **out)
{
    return i2d_p11cmp_CRMF_MSG(msg, out);
}

void P11CMP_CRMF_MSG_free(P11CMP_CRMF_MSG *msg)
{
    p11cmp_CRMF_MSG_free(msg);
}

/* a short name of a body type for log messages */
static const char *body_name(int type)
{
    static const char *const names[P11CMP_PKIBODY_TYPE_MAX + 1] = {
        "IR", "IP", "CR", "CP", "P10CR", "POPDECC", "POPDECR", "KUR", "KUP",
        "KRR", "KRP", "RR", "RP", "CCR", "CCP", "CKUANN", "CANN", "RANN",
        "CRLANN", "PKICONF", "NESTED", "GENM", "GENP", "ERROR", "CERTCONF",
        "POLLREQ", "POLLREP"
    };

    return type >= 0 && type <= P11CMP_PKIBODY_TYPE_MAX ? names[type]
        : "unknown";
}

static int is_certreq_type(int type)
{
    return type == P11CMP_IR || type == P11CMP_CR || type == P11CMP_P10CR
        || type == P11CMP_KUR;
}

/* the response body type for a certificate request type */
static int certrep_type(int req_type)
{
    switch (req_type) {
    case P11CMP_IR:
        return P11CMP_PKIBODY_IP;
    case P11CMP_KUR:
        return P11CMP_PKIBODY_KUP;
    default:
        return P11CMP_PKIBODY_CP;
    }
}

/* transaction state */

/*
 * Ends a transaction: the next one gets a new transactionID and nonces.
 * The results stay. After a failure the connection is closed.
 */
static void end_transaction(P11CMP_CTX *ctx, int ok)
{
    (void)P11CMP_CTX_set1_transactionID(ctx, NULL);
    (void)P11CMP_CTX_set1_senderNonce(ctx, NULL);
    (void)p11cmp_ctx_set1_recipNonce(ctx, NULL);
    ctx->end_time = 0;
    ctx->poll_end = 0;
    if (!ok)
        p11cmp_http_close(ctx, 0);
}

/* interruption (P11CMP_interrupt(3)) */

static volatile sig_atomic_t interrupted;

void P11CMP_interrupt(int sig)
{
    if (interrupted == 0 || sig == 0)
        interrupted = sig;
}

int P11CMP_interrupted(void)
{
    return interrupted;
}

/* 0 and P11CMP_R_INTERRUPTED (what was stopped) if interrupted, else 1. */
static int not_interrupted(const char *what)
{
    if (interrupted == 0)
        return 1;
    p11cmp_raise_data(P11CMP_R_INTERRUPTED, "signal %d: %s", (int)interrupted,
                      what);
    return 0;
}

/*
 * Starts a transaction: drops the results of the previous one and starts
 * the TOTAL_TIMEOUT clock. Keeps a transactionID or senderNonce the
 * caller set for testing, but not those of a request left pending by
 * P11CMP_try_certreq(). 1 or 0.
 */
static int start_transaction(P11CMP_CTX *ctx)
{
    if (ctx->status == P11CMP_PKISTATUS_waiting) {
        p11cmp_log_warn(ctx, "leaving the pending certificate request");
        end_transaction(ctx, 1);
    }
    p11cmp_ctx_start_timer(ctx);
    return p11cmp_ctx_set_status(ctx, P11CMP_PKISTATUS_request)
        && p11cmp_ctx_set_failInfoCode(ctx, -1)
        && p11cmp_ctx_set0_statusString(ctx, NULL)
        && p11cmp_ctx_set0_newCert(ctx, NULL)
        && p11cmp_ctx_set1_newChain(ctx, NULL)
        && p11cmp_ctx_set1_caPubs(ctx, NULL)
        && p11cmp_ctx_set1_extraCertsIn(ctx, NULL)
        && p11cmp_ctx_set1_validatedSrvCert(ctx, NULL)
        && p11cmp_ctx_set1_recipNonce(ctx, NULL);
}

/* sending and receiving */

/* Stores the status of a received error message in ctx and raises
 * P11CMP_R_RECEIVED_ERROR with its contents. */
static void received_error(P11CMP_CTX *ctx, const P11CMP_MSG *rep)
{
    const p11cmp_ERRORMSGCONTENT *emc = rep->body->value.error;
    char buf[512], details[256] = "";
    int i;
    size_t pos;

    ERR_set_mark();
    if (!p11cmp_ctx_save_pkisi(ctx, emc->pKIStatusInfo))
        ERR_pop_to_mark();
    else
        ERR_clear_last_mark();
    for (i = 0; i < sk_ASN1_UTF8STRING_num(emc->errorDetails); i++) {
        const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(emc->errorDetails,
                                                            i);

        pos = strlen(details);
        (void)BIO_snprintf(details + pos, sizeof(details) - pos, "%s%.*s",
                           i > 0 ? " " : "; details: ", s->length,
                           (const char *)s->data);
    }
    if (p11cmp_pkisi_snprint(emc->pKIStatusInfo, buf, sizeof(buf)) == NULL)
        buf[0] = '\0';
    p11cmp_log_err(ctx, "received an error message: %s%s%s", buf,
                   emc->errorCode != NULL ? "; with errorCode" : "",
                   details);
    p11cmp_raise_data(P11CMP_R_RECEIVED_ERROR, "%s%s", buf, details);
}

static int exchange_error(P11CMP_CTX *ctx, int fail_info, const char *text,
                          int keep_errors);
static int send_receive_delayed(P11CMP_CTX *ctx, const P11CMP_MSG *req,
                                P11CMP_MSG **rep, unsigned long expected);

/* 1 if msg is an error message whose PKIStatus is waiting */
static int is_waiting_error(const P11CMP_MSG *msg)
{
    return P11CMP_MSG_get_bodytype(msg) == P11CMP_PKIBODY_ERROR
        && p11cmp_pkisi_get_status(msg->body->value.error->pKIStatusInfo)
        == P11CMP_PKISTATUS_waiting;
}

/* 1 if the newest error on the ERR stack is p11cmp's reason */
static int last_reason_is(int reason)
{
    unsigned long e = ERR_peek_last_error();

    return ERR_GET_LIB(e) == p11cmp_err_lib() && ERR_GET_REASON(e) == reason;
}

/* the failInfo bit that tells the server why its response was refused,
 * from the reason on top of the ERR stack */
static int refusal_bit(void)
{
    unsigned long e = ERR_peek_last_error();

    if (ERR_GET_LIB(e) != p11cmp_err_lib())
        return FAIL_BIT(badMessageCheck);
    switch (ERR_GET_REASON(e)) {
    case P11CMP_R_RECIPNONCE_MISMATCH:
        return FAIL_BIT(badRecipientNonce);
    case P11CMP_R_UNSUPPORTED_PVNO:
        return FAIL_BIT(unsupportedVersion);
    case P11CMP_R_UNSUPPORTED_ALGORITHM:
        return FAIL_BIT(badAlg);
    case P11CMP_R_TRANSACTIONID_MISMATCH:
    case P11CMP_R_UNEXPECTED_BODY_TYPE:
        return FAIL_BIT(badRequest);
    default:
        return FAIL_BIT(badMessageCheck);
    }
}

/*
 * Sends req (borrowed), receives the response into *rep (a new message
 * owned by the caller) and validates it (p11cmp_msg_check_received())
 * against the body types in the mask expected. A response that fails
 * validation is answered with an error message (unless it is one
 * itself). An error message from the server is stored in ctx (see
 * received_error()) and fails, unless expected has the error bit and its
 * status is waiting (see send_receive_delayed()). 1 or 0 (*rep NULL then).
 */
static int send_receive_check(P11CMP_CTX *ctx, const P11CMP_MSG *req,
                              P11CMP_MSG **rep, unsigned long expected)
{
    int type;

    *rep = NULL;
    if (req->body->type != P11CMP_PKIBODY_CERTCONF
        && !not_interrupted("not sending the request"))
        return 0;
    p11cmp_log_info(ctx, "sending %s", body_name(req->body->type));
    if ((*rep = p11cmp_ctx_transfer(ctx, req)) == NULL) {
        p11cmp_log_err(ctx, "no valid response to %s",
                       body_name(req->body->type));
        return 0;
    }
    type = P11CMP_MSG_get_bodytype(*rep);
    p11cmp_log_info(ctx, "received %s", body_name(type));
    if (!p11cmp_msg_check_received(ctx, *rep, expected)) {
        p11cmp_log_err(ctx, "the %s received failed validation",
                       body_name(type));
        if (type != P11CMP_PKIBODY_ERROR)
            (void)exchange_error(ctx, refusal_bit(),
                                 "response failed validation", 1);
        goto err;
    }
    if (type != P11CMP_PKIBODY_ERROR
        || ((expected & P11CMP_BODY_MASK(P11CMP_PKIBODY_ERROR)) != 0
            && is_waiting_error(*rep)))
        return 1;
    received_error(ctx, *rep);
 err:
    P11CMP_MSG_free(*rep);
    *rep = NULL;
    return 0;
}

/*
 * Sends an error message with status rejection, the failInfo bits and
 * text, and expects PKIConf. Returns 1 if the server confirmed it. With
 * keep_errors set the ERR stack and the results in ctx stay as they were
 * (the message only informs the server about a failure already raised).
 */
static int exchange_error(P11CMP_CTX *ctx, int fail_info, const char *text,
                          int keep_errors)
{
    P11CMP_PKISI *si = NULL;
    P11CMP_MSG *req = NULL, *rep = NULL;
    int ok = 0;

    if (keep_errors)
        ERR_set_mark();
    if ((si = p11cmp_pkisi_create(P11CMP_PKISTATUS_rejection, fail_info,
                                  text)) == NULL
        || (req = p11cmp_error_new(ctx, si, -1, text, 0)) == NULL)
        goto end;
    p11cmp_log_info(ctx, "sending ERROR: %s", text);
    if ((rep = p11cmp_ctx_transfer(ctx, req)) != NULL
        && p11cmp_msg_check_received(ctx, rep,
                                     P11CMP_BODY_MASK(P11CMP_PKIBODY_PKICONF))
        && P11CMP_MSG_get_bodytype(rep) == P11CMP_PKIBODY_PKICONF)
        ok = 1;
    else if (!keep_errors && rep != NULL
             && P11CMP_MSG_get_bodytype(rep) == P11CMP_PKIBODY_ERROR)
        received_error(ctx, rep);
    if (!ok)
        p11cmp_log_warn(ctx, "the server did not confirm our error message");
 end:
    if (keep_errors)
        ERR_pop_to_mark();
    P11CMP_PKISI_free(si);
    P11CMP_MSG_free(req);
    P11CMP_MSG_free(rep);
    return ok;
}

/*
 * Sends certConf for cert with certReqId rid: accepted if fail_info is 0,
 * else rejection with fail_info and txt; expects PKIConf. 1 or 0.
 */
static int exchange_certConf(P11CMP_CTX *ctx, int rid, X509 *cert,
                             int fail_info, const char *txt)
{
    P11CMP_MSG *req, *rep = NULL;
    int ok;

    if ((req = p11cmp_certConf_new(ctx, rid, cert, fail_info, txt)) == NULL)
        return 0;
    ok = send_receive_delayed(ctx, req, &rep,
                              P11CMP_BODY_MASK(P11CMP_PKIBODY_PKICONF));
    P11CMP_MSG_free(req);
    P11CMP_MSG_free(rep);
    return ok;
}

/* polling */

/*
 * Without TOTAL_TIMEOUT, polling ends MAX_POLL_TIME seconds after the
 * first pollRep: P11CMP_R_TOTAL_TIMEOUT if waiting secs would pass that.
 */
static int poll_bound(P11CMP_CTX *ctx, int secs)
{
    time_t now = time(NULL);

    if (ctx->poll_end == 0)
        ctx->poll_end = now + ctx->max_poll_time;
    if (now + secs <= ctx->poll_end)
        return 1;
    p11cmp_raise_data(P11CMP_R_TOTAL_TIMEOUT, "no total timeout set: "
                      "polling ends after %d s (MAX_POLL_TIME)",
                      ctx->max_poll_time);
    return 0;
}

/*
 * The checkAfter of a received pollRep for rid (at least
 * P11CMP_POLL_MIN_INTERVAL), bounded by what is left
 * of TOTAL_TIMEOUT: P11CMP_R_TOTAL_TIMEOUT if waiting that long would
 * pass the deadline. 1 with *secs set, or 0.
 */
static int pollrep_check_after(P11CMP_CTX *ctx, const P11CMP_MSG *prep,
                               int rid, int *secs)
{
    const STACK_OF(p11cmp_POLLREP) *prc = prep->body->value.pollRep;
    const p11cmp_POLLREP *pr;
    int64_t after;
    time_t left;
    char reason[256] = "";

    if (sk_p11cmp_POLLREP_num(prc) != 1) {
        p11cmp_raise_data(P11CMP_R_MULTIPLE_RESPONSES, "%d pollRep entries",
                          sk_p11cmp_POLLREP_num(prc));
        return 0;
    }
    pr = sk_p11cmp_POLLREP_value(prc, 0);
    if (ASN1_INTEGER_get(pr->certReqId) != rid) {
        p11cmp_raise_data(P11CMP_R_CERTREQID_MISMATCH, "pollRep for %ld, "
                          "expected %d", ASN1_INTEGER_get(pr->certReqId), rid);
        return 0;
    }
    if (!ASN1_INTEGER_get_int64(&after, pr->checkAfter) || after < 0
        || after > INT_MAX) {
        p11cmp_raise_data(P11CMP_R_POLLING_FAILED, "invalid checkAfter");
        return 0;
    }
    if (sk_ASN1_UTF8STRING_num(pr->reason) > 0) {
        const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(pr->reason, 0);

        (void)BIO_snprintf(reason, sizeof(reason), ", reason: %.*s",
                           s->length, (const char *)s->data);
    }
    p11cmp_log_info(ctx, "pollRep: checkAfter %d s%s", (int)after, reason);
    if (after < P11CMP_POLL_MIN_INTERVAL)
        after = P11CMP_POLL_MIN_INTERVAL;
    if (ctx->end_time == 0 && !poll_bound(ctx, (int)after))
        return 0;
    if (ctx->end_time != 0) {
        left = ctx->end_time - time(NULL);
        if (left <= 0 || after >= left) {
            p11cmp_raise_data(P11CMP_R_TOTAL_TIMEOUT, "checkAfter %d s, "
                              "%lld s left of %d s", (int)after,
                              (long long)(left > 0 ? left : 0),
                              ctx->total_timeout);
            return 0;
        }
    }
    *secs = (int)after;
    return 1;
}

/*
 * Sleeps secs seconds, also when a signal arrives, unless it interrupts
 * the process (P11CMP_interrupt()): 1 after the full time, else 0.
 */
static int sleep_seconds(int secs)
{
    struct timespec ts = { secs, 0 };

    while (interrupted == 0 && nanosleep(&ts, &ts) != 0)
        if (errno != EINTR)
            break;
    return interrupted == 0;
}

/* Tells the server that polling ends because of an interruption; 0. */
static int abort_polling(P11CMP_CTX *ctx)
{
    (void)exchange_error(ctx, 0, "polling aborted: the client was "
                         "interrupted", 1);
    return 0;
}

/*
 * Polls for the response to the request rid: pollReq until the server
 * sends the final IP/CP/KUP, or a response of a type in final (into *rep;
 * returns 1). With do_sleep it waits checkAfter seconds between polls;
 * without, it returns -1 after the first pollRep with its checkAfter in
 * *checkAfter (if not NULL). 0 on error.
 */
static int poll_for_response(P11CMP_CTX *ctx, int do_sleep, int rid,
                             unsigned long final, P11CMP_MSG **rep,
                             int *checkAfter)
{
    P11CMP_MSG *preq, *prep = NULL;
    int secs, ok;

    *rep = NULL;
    for (;;) {
        if (!not_interrupted("polling given up"))
            return abort_polling(ctx);
        if ((preq = p11cmp_pollReq_new(ctx, rid)) == NULL)
            return 0;
        ok = send_receive_check(ctx, preq, &prep, final
                                | P11CMP_BODY_MASK(P11CMP_PKIBODY_POLLREP));
        P11CMP_MSG_free(preq);
        if (!ok && interrupted != 0) /* the exchange itself was cut */
            return abort_polling(ctx);
        if (!ok)
            return 0;
        if (P11CMP_MSG_get_bodytype(prep) != P11CMP_PKIBODY_POLLREP) {
            *rep = prep;
            return 1;
        }
        ok = pollrep_check_after(ctx, prep, rid, &secs);
        P11CMP_MSG_free(prep);
        if (!ok && last_reason_is(P11CMP_R_TOTAL_TIMEOUT)) {
            (void)exchange_error(ctx, 0, ctx->end_time != 0
                                 ? "polling given up: total timeout"
                                 : "polling given up: time bound", 1);
            return 0;
        }
        if (!ok) {
            (void)exchange_error(ctx, FAIL_BIT(badRequest),
                                 "invalid pollRep", 1);
            return 0;
        }
        if (!do_sleep) {
            if (checkAfter != NULL)
                *checkAfter = secs;
            return -1;
        }
        p11cmp_log_info(ctx, "waiting %d s before polling again", secs);
        (void)sleep_seconds(secs); /* an interruption: see loop start */
    }
}

/*
 * send_receive_check() for a request that the server may answer with an
 * error message of status waiting (delayed delivery, RFC 9810 5.3.22):
 * then its status is stored (not for a certConf, whose answer does not
 * change the status of the enrollment) and the answer is polled for with
 * pollReq for certReqId -1 until a response of a type in expected comes,
 * into *rep. 1 or 0 (*rep NULL then).
 */
static int send_receive_delayed(P11CMP_CTX *ctx, const P11CMP_MSG *req,
                                P11CMP_MSG **rep, unsigned long expected)
{
    int type;

    if (!send_receive_check(ctx, req, rep, expected
                            | P11CMP_BODY_MASK(P11CMP_PKIBODY_ERROR)))
        return 0;
    if (!is_waiting_error(*rep))
        return 1;
    p11cmp_log_info(ctx, "the server says: waiting (in an error message)");
    if (req->body->type != P11CMP_PKIBODY_CERTCONF
        && !p11cmp_ctx_save_pkisi(ctx, (*rep)->body->value.error
                                  ->pKIStatusInfo))
        goto err;
    P11CMP_MSG_free(*rep);
    if (poll_for_response(ctx, 1, P11CMP_CERTREQID_NONE, expected, rep,
                          NULL) != 1)
        return 0;
    type = P11CMP_MSG_get_bodytype(*rep);
    if ((expected & P11CMP_BODY_MASK(type)) != 0)
        return 1;
    p11cmp_raise_data(P11CMP_R_UNEXPECTED_BODY_TYPE, "%s after polling for "
                      "%s", body_name(type), body_name(req->body->type));
    (void)exchange_error(ctx, FAIL_BIT(badRequest),
                         "unexpected response after polling", 1);
 err:
    P11CMP_MSG_free(*rep);
    *rep = NULL;
    return 0;
}

/* enrollment */

/*
 * The request message of an enrollment: built from ctx, or with a copy
 * of crm as its CertReqMsg; *rid gets the certReqId the response must
 * carry. New protected message, or NULL.
 */
static P11CMP_MSG *certreq_new(P11CMP_CTX *ctx, int req_type,
                               const P11CMP_CRMF_MSG *crm, int *rid)
{
    P11CMP_MSG *msg;
    p11cmp_CRMF_MSG *copy;

    *rid = req_type == P11CMP_P10CR ? P11CMP_CERTREQID_NONE
        : P11CMP_CERTREQID;
    if (crm == NULL || req_type == P11CMP_P10CR)
        return p11cmp_certreq_new(ctx, req_type);
    if (crm->certReq == NULL || crm->certReq->certReqId == NULL) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT, "crm has no certReq");
        return NULL;
    }
    *rid = (int)ASN1_INTEGER_get(crm->certReq->certReqId);
    if ((msg = p11cmp_msg_create(ctx, req_type)) == NULL)
        return NULL;
    copy = ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_CRMF_MSG), crm);
    if (copy == NULL || !sk_p11cmp_CRMF_MSG_push(msg->body->value.ir, copy)) {
        p11cmp_CRMF_MSG_free(copy);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    if (p11cmp_msg_protect(ctx, msg))
        return msg;
 err:
    P11CMP_MSG_free(msg);
    return NULL;
}

/*
 * Starts an enrollment: sends the request and receives the first
 * response (IP/CP/KUP) into *rep; *rid as in certreq_new(). 1 or 0.
 */
static int initial_certreq(P11CMP_CTX *ctx, int req_type,
                           const P11CMP_CRMF_MSG *crm, P11CMP_MSG **rep,
                           int *rid)
{
    P11CMP_MSG *req;
    int ok;

    *rep = NULL;
    if (!is_certreq_type(req_type)) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "request type %d is no IR, CR, P10CR or KUR",
                          req_type);
        return 0;
    }
    if (!start_transaction(ctx)
        || (req = certreq_new(ctx, req_type, crm, rid)) == NULL)
        return 0;
    (void)p11cmp_ctx_set_status(ctx, P11CMP_PKISTATUS_trans);
    ok = send_receive_delayed(ctx, req, rep,
                              P11CMP_BODY_MASK(certrep_type(req_type)));
    P11CMP_MSG_free(req);
    return ok;
}

/*
 * The CertResponse of rep for *rid. For P10CR the certReqId is -1 (RFC
 * 9480), but servers built on RFC 4210 use 0: both are accepted and *rid
 * becomes the one received. Borrowed, or NULL.
 */
static p11cmp_CERTRESPONSE *get_response(const P11CMP_MSG *rep, int *rid,
                                         int req_type)
{
    p11cmp_CERTRESPONSE *crep;

    if (req_type != P11CMP_P10CR)
        return p11cmp_certrep_get0_response(rep, *rid);
    ERR_set_mark();
    if ((crep = p11cmp_certrep_get0_response(rep, P11CMP_CERTREQID_NONE))
        != NULL) {
        ERR_pop_to_mark();
        *rid = P11CMP_CERTREQID_NONE;
        return crep;
    }
    ERR_pop_to_mark();
    if ((crep = p11cmp_certrep_get0_response(rep, P11CMP_CERTREQID))
        != NULL)
        *rid = P11CMP_CERTREQID;
    return crep;
}

/*
 * Judges the PKIStatus of a final certificate response (saved in ctx
 * already): 1 if a certificate is to be expected, else 0 with an error.
 */
static int check_cert_status(P11CMP_CTX *ctx, const P11CMP_PKISI *si,
                             int status, int req_type)
{
    char buf[512];

    if (p11cmp_pkisi_snprint(si, buf, sizeof(buf)) == NULL)
        buf[0] = '\0';
    switch (status) {
    case P11CMP_PKISTATUS_accepted:
        return 1;
    case P11CMP_PKISTATUS_grantedWithMods:
        p11cmp_log_warn(ctx, "the request was granted with modifications");
        return 1;
    case P11CMP_PKISTATUS_revocationWarning:
        p11cmp_log_warn(ctx, "revocationWarning: a revocation of the new "
                        "certificate is imminent");
        return 1;
    case P11CMP_PKISTATUS_revocationNotification:
        p11cmp_log_warn(ctx, "revocationNotification: the new certificate "
                        "was revoked");
        return 1;
    case P11CMP_PKISTATUS_keyUpdateWarning:
        if (req_type == P11CMP_KUR) {
            p11cmp_log_warn(ctx, "keyUpdateWarning");
            return 1;
        }
        break;
    case P11CMP_PKISTATUS_rejection:
        p11cmp_log_err(ctx, "the server rejected the request: %s", buf);
        p11cmp_raise_data(P11CMP_R_REQUEST_REJECTED_BY_SERVER, "%s", buf);
        return 0;
    default:
        break;
    }
    p11cmp_raise_data(P11CMP_R_UNEXPECTED_PKISTATUS, "%s", buf);
    return 0;
}

/* the certificate in crep (borrowed), or NULL */
static X509 *response_cert(const p11cmp_CERTRESPONSE *crep)
{
    const p11cmp_CERTORENCCERT *coec = crep->certifiedKeyPair == NULL ? NULL
        : crep->certifiedKeyPair->certOrEncCert;

    return coec == NULL || coec->type != P11CMP_CERTORENCCERT_CERTIFICATE
        ? NULL : coec->value.certificate;
}

/* 1 if we asked for implicit confirmation and the server granted it */
static int implicit_confirm_granted(const P11CMP_CTX *ctx,
                                    const P11CMP_MSG *rep)
{
    int granted = p11cmp_hdr_has_implicitConfirm(rep->header);

    if (granted && !ctx->implicitConfirm)
        p11cmp_log_warn(ctx, "implicitConfirm granted without being asked "
                        "for; confirming explicitly");
    return granted && ctx->implicitConfirm;
}

/*
 * Tells the server the client's verdict on cert (fail_info 0: accepted,
 * else rejected with txt): certConf, unless DISABLE_CONFIRM is set or
 * implicit confirmation was granted in rep. 1 or 0.
 */
static int confirm(P11CMP_CTX *ctx, const P11CMP_MSG *rep, int rid,
                   X509 *cert, int fail_info, const char *txt)
{
    if (ctx->disableConfirm) {
        p11cmp_log_info(ctx, "not sending certConf (DISABLE_CONFIRM)");
        return 1;
    }
    if (implicit_confirm_granted(ctx, rep)) {
        p11cmp_log_info(ctx, "implicit confirmation granted");
        return 1;
    }
    return exchange_certConf(ctx, rid, cert, fail_info, txt);
}

/*
 * Central key generation: the key in crep becomes newPkey (the key the
 * new certificate is checked against). A key where none was asked for,
 * or none where one was, or one that does not decrypt or verify: 0 with
 * *fail_info and *txt for the rejection. Else 1.
 */
static int take_central_key(P11CMP_CTX *ctx, const p11cmp_CERTRESPONSE *crep,
                            int *fail_info, const char **txt)
{
    const ASN1_TYPE *enc = crep->certifiedKeyPair->privateKey;
    EVP_PKEY *pk;

    if (enc == NULL && !p11cmp_ckg_requested(ctx))
        return 1;
    if (enc == NULL || !p11cmp_ckg_requested(ctx)) {
        p11cmp_raise(enc == NULL ? P11CMP_R_MISSING_CENTRAL_GEN_KEY
                     : P11CMP_R_UNEXPECTED_CENTRAL_GEN_KEY);
        *fail_info = FAIL_BIT(badDataFormat);
        *txt = enc == NULL ? "no centrally generated key in the response"
            : "a private key in the response, none was asked for";
        return 0;
    }
    if ((pk = p11cmp_ckg_get1_pkey(ctx, enc)) == NULL) {
        *fail_info = FAIL_BIT(badMessageCheck);
        *txt = "cannot extract the centrally generated key";
        return 0;
    }
    if (!p11cmp_ctx_set0_central_key(ctx, pk)) {
        *fail_info = FAIL_BIT(systemFailure);
        *txt = "cannot store the centrally generated key on the token";
        return 0;
    }
    p11cmp_log_info(ctx, "received the centrally generated key");
    return 1;
}

/*
 * Takes the certificate of an accepted crep: checks its public key, asks
 * the certConf callback, then confirms (certConf, unless implicit
 * confirmation was granted or DISABLE_CONFIRM is set) or rejects it
 * (certConf with rejection). On success newCert and caPubs are set (and
 * newChain, if the callback set it, as P11CMP_certConf_cb() does) and
 * the results are stored on the token (p11cmp_store_commit());
 * if that fails, 0 but newCert stays (the CA has it as confirmed). On
 * any other failure newCert is NULL. 1 or 0.
 */
static int accept_cert(P11CMP_CTX *ctx, const P11CMP_MSG *rep,
                       const p11cmp_CERTRESPONSE *crep, int rid,
                       int req_type)
{
    X509 *cert = response_cert(crep);
    EVP_PKEY *expected;
    P11CMP_certConf_cb_t cb = ctx->certConf_cb != NULL ? ctx->certConf_cb
        : P11CMP_certConf_cb;
    const char *txt = NULL;
    char subject[256] = "";
    int fail_info = 0, ok;

    if (cert == NULL) {
        X509_free(p11cmp_certresponse_get1_cert(ctx, crep)); /* the reason */
        (void)exchange_error(ctx, FAIL_BIT(badDataFormat),
                             "no certificate in the response", 1);
        return 0;
    }
    (void)X509_NAME_oneline(X509_get_subject_name(cert), subject,
                            sizeof(subject));
    (void)take_central_key(ctx, crep, &fail_info, &txt);
    expected = p11cmp_ctx_get0_newPubkey(ctx);
    /* expected first: a token key is exported once, then libcrypto's copy */
    if (fail_info == 0 && expected != NULL
        && EVP_PKEY_eq(expected, X509_get0_pubkey(cert)) != 1) {
        fail_info = FAIL_BIT(incorrectData);
        txt = "public key in the new certificate does not match ours";
    }
    if (!X509_up_ref(cert) || !p11cmp_ctx_set0_newCert(ctx, cert)
        || !p11cmp_ctx_set1_caPubs(ctx, rep->body->value.ip->caPubs))
        return 0;
    if ((fail_info = cb(ctx, cert, fail_info, &txt)) != 0 && txt == NULL)
        txt = "the CMP client did not accept it";
    if (fail_info == 0 && !not_interrupted("new certificate rejected")) {
        fail_info = FAIL_BIT(systemUnavail);
        txt = "the CMP client was interrupted";
    }
    if (fail_info != 0)
        p11cmp_log_err(ctx, "rejecting the new certificate %s: %s", subject,
                       txt);
    ok = confirm(ctx, rep, rid, cert, fail_info, txt);
    if (fail_info != 0) {
        p11cmp_raise_data(P11CMP_R_CERTIFICATE_NOT_ACCEPTED, "%s: %s",
                          subject, txt);
        (void)p11cmp_ctx_set_status(ctx,
                                    P11CMP_PKISTATUS_rejected_by_client);
        (void)p11cmp_ctx_set_failInfoCode(ctx, fail_info);
        ok = 0;
    }
    if (!ok) {
        (void)p11cmp_ctx_set0_newCert(ctx, NULL);
        return 0;
    }
    if (!p11cmp_store_commit(ctx, req_type)) {
        p11cmp_log_err(ctx, "could not store the results on the token");
        return 0;
    }
    return 1;
}

/*
 * Handles the response *rep (freed and replaced while polling) to the
 * certificate request rid: polls while it says waiting (see
 * poll_for_response() for do_sleep and checkAfter), stores its status,
 * then takes the certificate (accept_cert()). 1, -1 (still waiting, not
 * do_sleep) or 0.
 */
static int cert_response(P11CMP_CTX *ctx, int do_sleep, int *rid,
                         P11CMP_MSG **rep, int *checkAfter, int req_type)
{
    p11cmp_CERTRESPONSE *crep;
    int status, res;

    for (;;) {
        if (P11CMP_MSG_get_bodytype(*rep) != certrep_type(req_type)) {
            p11cmp_raise_data(P11CMP_R_UNEXPECTED_BODY_TYPE, "%s for %s",
                              body_name(P11CMP_MSG_get_bodytype(*rep)),
                              body_name(req_type));
            goto send_error;
        }
        if ((crep = get_response(*rep, rid, req_type)) == NULL
            || (status = p11cmp_pkisi_get_status(crep->status)) < 0)
            goto send_error;
        if (!p11cmp_ctx_save_pkisi(ctx, crep->status))
            return 0;
        if (status != P11CMP_PKISTATUS_waiting)
            break;
        p11cmp_log_info(ctx, "the server says: waiting");
        P11CMP_MSG_free(*rep);
        if ((res = poll_for_response(ctx, do_sleep, *rid, 0, rep,
                                     checkAfter)) <= 0)
            return res;
    }
    if (!check_cert_status(ctx, crep->status, status, req_type)) {
        if (status == P11CMP_PKISTATUS_rejection)
            return 0;
        goto send_error;
    }
    return accept_cert(ctx, *rep, crep, *rid, req_type);

 send_error:
    (void)exchange_error(ctx, FAIL_BIT(badRequest),
                         "unusable certificate response", 1);
    return 0;
}

/*
 * Ends an enrollment; a failed one also undoes what it began on the
 * token (a key pair generated for it, p11cmp_store_abort()) and no longer
 * counts as pending for P11CMP_try_certreq().
 */
static void enrollment_done(P11CMP_CTX *ctx, int ok)
{
    if (!ok) {
        p11cmp_store_abort(ctx);
        if (ctx->status == P11CMP_PKISTATUS_waiting)
            (void)p11cmp_ctx_set_status(ctx, P11CMP_PKISTATUS_trans);
    }
    end_transaction(ctx, ok);
}

X509 *P11CMP_exec_certreq(P11CMP_CTX *ctx, int req_type,
                          const P11CMP_CRMF_MSG *crm)
{
    P11CMP_MSG *rep = NULL;
    X509 *res = NULL;
    int rid;

    CHECK_CTX(NULL);
    if (initial_certreq(ctx, req_type, crm, &rep, &rid)
        && cert_response(ctx, 1, &rid, &rep, NULL, req_type) == 1)
        res = ctx->newCert;
    enrollment_done(ctx, res != NULL);
    P11CMP_MSG_free(rep);
    return res;
}

/* aborts the pending request of ctx with an error message; 1 or 0 */
static int abort_request(P11CMP_CTX *ctx)
{
    int ok;

    p11cmp_log_info(ctx, "aborting the pending certificate request");
    ok = exchange_error(ctx, 0, "polling aborted by the application", 0);
    if (ok) {
        (void)p11cmp_ctx_set_status(ctx, P11CMP_PKISTATUS_rejection);
        (void)p11cmp_ctx_set0_newCert(ctx, NULL);
    }
    return ok;
}

int P11CMP_try_certreq(P11CMP_CTX *ctx, int req_type,
                       const P11CMP_CRMF_MSG *crm, int *checkAfter)
{
    P11CMP_MSG *rep = NULL;
    int rid = P11CMP_CERTREQID, res = 0;

    CHECK_CTX(0);
    if (ctx->status != P11CMP_PKISTATUS_waiting) {
        if (req_type < 0) {
            p11cmp_raise_data(P11CMP_R_NO_PENDING_REQUEST, "nothing to abort");
            return 0;
        }
        if (!initial_certreq(ctx, req_type, crm, &rep, &rid))
            goto end;
    } else if (req_type < 0) {
        res = abort_request(ctx);
        enrollment_done(ctx, 0);
        return res;
    } else {
        if (req_type == P11CMP_P10CR)
            rid = P11CMP_CERTREQID_NONE;
        else if (crm != NULL && crm->certReq != NULL)
            rid = (int)ASN1_INTEGER_get(crm->certReq->certReqId);
        if ((res = poll_for_response(ctx, 0, rid, 0, &rep, checkAfter)) <= 0)
            goto end;
    }
    res = cert_response(ctx, 0, &rid, &rep, checkAfter, req_type);
 end:
    P11CMP_MSG_free(rep);
    if (res == -1)
        return -1;
    enrollment_done(ctx, res == 1);
    return res;
}

/* revocation */

/* 1 if the CertId of an RP names cert (issuer and serial) */
static int certid_matches(const P11CMP_CTX *ctx,
                          const p11cmp_CRMF_CERTID *cid)
{
    const X509_NAME *issuer;
    const ASN1_INTEGER *serial;

    return cid != NULL && cid->issuer != NULL
        && cid->issuer->type == GEN_DIRNAME
        && p11cmp_rr_target(ctx, &issuer, &serial)
        && X509_NAME_cmp(cid->issuer->d.directoryName, issuer) == 0
        && ASN1_INTEGER_cmp(cid->serialNumber, serial) == 0;
}

/*
 * The outcome of an RP (validated): exactly one status; accepted and
 * grantedWithMods are success (then the token drops the revoked cert as
 * configured, p11cmp_store_revoked()), revocationWarning/-Notification
 * success with a warning, everything else an error; revCerts, if not
 * empty, must name the cert revoked (p11cmp_rr_target(); an RR made from
 * a CSR has none to name, so then it must be empty, as in OpenSSL).
 * 1 or 0.
 */
static int rp_outcome(P11CMP_CTX *ctx, const p11cmp_REVREPCONTENT *rrep)
{
    const P11CMP_PKISI *si;
    char buf[512];
    int status, revoked = 0;

    if (sk_P11CMP_PKISI_num(rrep->status) != 1) {
        p11cmp_raise_data(P11CMP_R_MULTIPLE_RESPONSES, "%d status entries",
                          sk_P11CMP_PKISI_num(rrep->status));
        return 0;
    }
    si = sk_P11CMP_PKISI_value(rrep->status, 0);
    if (!p11cmp_ctx_save_pkisi(ctx, si)
        || (status = p11cmp_pkisi_get_status(si)) < 0)
        return 0;
    if (p11cmp_pkisi_snprint(si, buf, sizeof(buf)) == NULL)
        buf[0] = '\0';
    switch (status) {
    case P11CMP_PKISTATUS_accepted:
        p11cmp_log_info(ctx, "revocation accepted");
        revoked = 1;
        break;
    case P11CMP_PKISTATUS_grantedWithMods:
        p11cmp_log_info(ctx, "revocation granted with modifications");
        revoked = 1;
        break;
    case P11CMP_PKISTATUS_revocationWarning:
        p11cmp_log_warn(ctx, "revocationWarning: %s", buf);
        break;
    case P11CMP_PKISTATUS_revocationNotification:
        p11cmp_log_warn(ctx, "revocationNotification: %s", buf);
        break;
    case P11CMP_PKISTATUS_rejection:
        p11cmp_log_err(ctx, "revocation rejected: %s", buf);
        p11cmp_raise_data(P11CMP_R_REQUEST_REJECTED_BY_SERVER, "%s", buf);
        return 0;
    default:
        p11cmp_raise_data(P11CMP_R_UNEXPECTED_PKISTATUS, "in RP: %s", buf);
        return 0;
    }
    /* an empty revCerts list names nothing, as OpenSSL reads it */
    if (sk_p11cmp_CRMF_CERTID_num(rrep->revCerts) > 0
        && (sk_p11cmp_CRMF_CERTID_num(rrep->revCerts) != 1
            || !certid_matches(ctx,
                               sk_p11cmp_CRMF_CERTID_value(rrep->revCerts,
                                                           0)))) {
        p11cmp_raise(P11CMP_R_WRONG_CERTID_IN_RP);
        return 0;
    }
    return !revoked || p11cmp_store_revoked(ctx);
}

int P11CMP_exec_RR_ses(P11CMP_CTX *ctx)
{
    P11CMP_MSG *req = NULL, *rep = NULL;
    int res = 0;

    CHECK_CTX(0);
    if (!start_transaction(ctx) || (req = p11cmp_rr_new(ctx)) == NULL)
        goto end;
    (void)p11cmp_ctx_set_status(ctx, P11CMP_PKISTATUS_trans);
    if (send_receive_delayed(ctx, req, &rep,
                             P11CMP_BODY_MASK(P11CMP_PKIBODY_RP)))
        res = rp_outcome(ctx, rep->body->value.rp);
 end:
    end_transaction(ctx, res);
    P11CMP_MSG_free(req);
    P11CMP_MSG_free(rep);
    return res;
}

/* general messages */

STACK_OF(P11CMP_ITAV) *P11CMP_exec_GENM_ses(P11CMP_CTX *ctx)
{
    P11CMP_MSG *req = NULL, *rep = NULL;
    STACK_OF(P11CMP_ITAV) *res = NULL;

    CHECK_CTX(NULL);
    if (!start_transaction(ctx) || (req = p11cmp_genm_new(ctx)) == NULL)
        goto end;
    (void)p11cmp_ctx_set_status(ctx, P11CMP_PKISTATUS_trans);
    if (!send_receive_delayed(ctx, req, &rep,
                              P11CMP_BODY_MASK(P11CMP_PKIBODY_GENP)))
        goto end;
    res = sk_P11CMP_ITAV_deep_copy(rep->body->value.genp, P11CMP_ITAV_dup,
                                   P11CMP_ITAV_free);
    if (res == NULL)
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    else
        (void)p11cmp_ctx_set_status(ctx, P11CMP_PKISTATUS_accepted);
 end:
    end_transaction(ctx, res != NULL);
    P11CMP_MSG_free(req);
    P11CMP_MSG_free(rep);
    return res;
}

/* the default certConf callback */

/*
 * The certs a chain of the new cert is built from: the extraCerts of the
 * response, then the untrusted certs of ctx (OpenSSL 3.0 puts received
 * extraCerts in front of its untrusted certs). New stack of borrowed
 * certs, or NULL.
 */
static STACK_OF(X509) *chain_candidates(const P11CMP_CTX *ctx)
{
    STACK_OF(X509) *certs = sk_X509_new_null();

    if (certs == NULL
        || !X509_add_certs(certs, ctx->extraCertsIn, X509_ADD_FLAG_NO_DUP)
        || !X509_add_certs(certs, ctx->untrusted, X509_ADD_FLAG_NO_DUP)) {
        sk_X509_free(certs);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    return certs;
}

/*
 * Validates cert against store with certs as intermediates. Of the
 * store's verification flags only those about time, partial chains and
 * policies apply (no revocation checks), as in OpenSSL. The validated
 * chain (new references, cert first) without self-signed certs, or NULL.
 */
static STACK_OF(X509) *verified_chain(P11CMP_CTX *ctx, X509 *cert,
                                      X509_STORE *store,
                                      STACK_OF(X509) *certs)
{
    const unsigned long keep = X509_V_FLAG_USE_CHECK_TIME
        | X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN
        | X509_V_FLAG_POLICY_CHECK;
    X509_STORE_CTX *csc = X509_STORE_CTX_new_ex(ctx->libctx, ctx->propq);
    STACK_OF(X509) *chain = NULL;

    if (csc == NULL || !X509_STORE_CTX_init(csc, store, cert, certs))
        goto end;
    (void)X509_VERIFY_PARAM_clear_flags(X509_STORE_CTX_get0_param(csc),
                                        ~keep);
    if (X509_verify_cert(csc) <= 0) {
        p11cmp_log_err(ctx, "the new certificate does not verify: %s",
                       X509_verify_cert_error_string(
                           X509_STORE_CTX_get_error(csc)));
        goto end;
    }
    if ((chain = sk_X509_new_null()) == NULL
        || !X509_add_certs(chain, X509_STORE_CTX_get0_chain(csc),
                           X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP
                           | X509_ADD_FLAG_NO_SS)) {
        sk_X509_pop_free(chain, X509_free);
        chain = NULL;
    }
 end:
    X509_STORE_CTX_free(csc);
    return chain;
}

/*
 * The chain of cert, cert first: validated against out_trusted if that
 * is set, else built as far as certs allow (X509_build_chain() without
 * a store, leaving out self-signed certs). New stack or NULL.
 */
static STACK_OF(X509) *new_cert_chain(P11CMP_CTX *ctx, X509 *cert,
                                      X509_STORE *out_trusted)
{
    STACK_OF(X509) *certs = chain_candidates(ctx), *chain = NULL;

    if (certs != NULL && out_trusted != NULL) {
        chain = verified_chain(ctx, cert, out_trusted, certs);
    } else if (certs != NULL) {
        ERR_set_mark();
        chain = X509_build_chain(cert, certs, NULL, 0, ctx->libctx,
                                 ctx->propq);
        ERR_pop_to_mark();
    }
    sk_X509_free(certs);
    return chain;
}

int P11CMP_certConf_cb(P11CMP_CTX *ctx, X509 *cert, int fail_info,
                       const char **txt)
{
    X509_STORE *out_trusted;
    STACK_OF(X509) *chain;

    if (fail_info != 0 || ctx == NULL || cert == NULL)
        return fail_info;
    out_trusted = ctx->certConf_cb_arg;
    chain = new_cert_chain(ctx, cert, out_trusted);
    if (sk_X509_num(chain) > 0)
        X509_free(sk_X509_shift(chain)); /* cert itself */
    if (chain == NULL && out_trusted != NULL) {
        if (txt != NULL)
            *txt = "the new certificate did not validate";
        fail_info = FAIL_BIT(incorrectData);
    } else if (chain == NULL) {
        p11cmp_log_warn(ctx, "no chain for the new certificate; taking the "
                        "extraCerts received instead");
        chain = P11CMP_CTX_get1_extraCertsIn(ctx);
    } else {
        p11cmp_log_debug(ctx, "the new certificate %s",
                         out_trusted != NULL ? "validated"
                         : "has an approximate chain");
    }
    (void)p11cmp_ctx_set1_newChain(ctx, chain);
    sk_X509_pop_free(chain, X509_free);
    return fail_info;
}
