/*
 * src/app/xfer.c - how p11cmp(1) moves messages: a transfer callback
 * around libp11cmp's HTTP(S) transfer that prints the progress lines of
 * -verbosity 6 (sending, waiting for poll N, received) and implements the
 * debugging options as openssl cmp does: -reqout/-rspout save each
 * request built / response used to the next file of the list, as long as
 * there are names; -reqin sends the request of the next file instead of
 * the one built (fitted into the transaction: recipNonce, and with
 * -reqin_new_tid the transactionID), -rspin takes the response from the
 * next file instead of the server; when a list ends, the built requests
 * and the server take over again. -reqout_only saves the first request
 * and sends nothing: the run then ends there with success.
 */
#include "config.h"

#include <string.h>

#include "app.h"

const char *app_body_name(int type)
{
    static const char *const names[] = {
        "ir", "ip", "cr", "cp", "p10cr", "popdecc", "popdecr", "kur", "kup",
        "krr", "krp", "rr", "rp", "ccr", "ccp", "ckuann", "cann", "rann",
        "crlann", "pkiconf", "nested", "genm", "genp", "error", "certConf",
        "pollReq", "pollRep"
    };

    if (type < 0 || type > P11CMP_PKIBODY_TYPE_MAX)
        return "unknown";
    return names[type];
}

/* The next file of the list in f (option opt), or NULL at its end. */
static const char *next_file(struct app *a, struct app_files *f,
                             enum opt_id opt)
{
    if (!f->started) {
        f->started = 1;
        if (OPT_STR(a, opt) == NULL
            || (f->list = OPENSSL_strdup(OPT_STR(a, opt))) == NULL)
            return NULL;
        return strtok_r(f->list, ", \t", &f->next);
    }
    if (f->list == NULL)
        return NULL;
    return strtok_r(NULL, ", \t", &f->next);
}

/* msg to the next file of opt's list, if any is left; 0 on error */
static int save_msg(struct app *a, struct app_files *f, enum opt_id opt,
                    const P11CMP_MSG *msg)
{
    const char *file;

    if (OPT_STR(a, opt) == NULL || (file = next_file(a, f, opt)) == NULL)
        return 1;
    if (P11CMP_MSG_write(file, msg) <= 0) {
        fprintf(stderr, "p11cmp: -%s: cannot write %s\n",
                app_opt_table()[opt].name, file);
        a->file_error = 1;
        return 0;
    }
    return 1;
}

/*
 * *msg := the message of the next file of opt's list, or NULL when the
 * list has ended; 0 (message printed) if a file cannot be read.
 */
static int read_msg(struct app *a, struct app_files *f, enum opt_id opt,
                    P11CMP_MSG **msg)
{
    const char *file = OPT_STR(a, opt) != NULL ? next_file(a, f, opt) : NULL;

    *msg = NULL;
    if (file == NULL)
        return 1;
    if ((*msg = P11CMP_MSG_read(file, NULL, NULL)) == NULL) {
        fprintf(stderr, "p11cmp: -%s: cannot read a PKIMessage from %s\n",
                app_opt_table()[opt].name, file);
        a->file_error = 1;
        return 0;
    }
    app_log(a, P11CMP_LOG_INFO, "-%s: using %s", app_opt_table()[opt].name,
            file);
    return 1;
}

/*
 * *req := the request of the next -reqin file (not with -rspin), with
 * the recipNonce of this transaction and, with -reqin_new_tid, its
 * transactionID, protected again; NULL when there is none. 0 on error.
 */
static int request_from_file(struct app *a, P11CMP_CTX *ctx,
                             P11CMP_MSG **req)
{
    *req = NULL;
    if (OPT_STR(a, O_RSPIN) != NULL)
        return 1;
    if (!read_msg(a, &a->reqin, O_REQIN, req))
        return 0;
    if (*req == NULL)
        return 1;
    if ((!OPT_NUM(a, O_REQIN_NEW_TID)
         || P11CMP_MSG_update_transactionID(ctx, *req))
        && P11CMP_MSG_update_recipNonce(ctx, *req))
        return 1;
    fprintf(stderr, "p11cmp: -reqin: cannot fit the request into the "
            "transaction\n");
    P11CMP_MSG_free(*req);
    *req = NULL;
    return 0;
}

/*
 * After a response to a request from a file, or from a file itself: its
 * transactionID and recipNonce become those the client expects, so that
 * it passes the checks of the transaction.
 */
static int adopt_ids(P11CMP_CTX *ctx, const P11CMP_MSG *rsp)
{
    const P11CMP_PKIHEADER *hdr = P11CMP_MSG_get0_header(rsp);

    return P11CMP_CTX_set1_senderNonce(ctx, P11CMP_HDR_get0_recipNonce(hdr))
        && P11CMP_CTX_set1_transactionID(ctx,
                                         P11CMP_HDR_get0_transactionID(hdr));
}

static void progress_sent(struct app *a, int type)
{
    if (type == P11CMP_PKIBODY_POLLREQ)
        app_log(a, P11CMP_LOG_INFO, "poll %d: sent pollReq", a->polls);
    else
        app_log(a, P11CMP_LOG_DEBUG, "sent %s", app_body_name(type));
}

static void progress_received(struct app *a, int type)
{
    if (type == P11CMP_PKIBODY_POLLREP)
        app_log(a, P11CMP_LOG_INFO, "received pollRep: waiting for poll %d",
                a->polls + 1);
    else
        app_log(a, P11CMP_LOG_DEBUG, "received %s", app_body_name(type));
}

/* The response to sent: from the next -rspin file, else the server */
static P11CMP_MSG *exchange(struct app *a, P11CMP_CTX *ctx,
                            const P11CMP_MSG *sent, int *from_file)
{
    P11CMP_MSG *rsp = NULL;

    if (!read_msg(a, &a->rspin, O_RSPIN, &rsp))
        return NULL;
    *from_file = rsp != NULL;
    if (rsp == NULL && OPT_STR(a, O_SERVER) == NULL) {
        fprintf(stderr, "p11cmp: -rspin: no file left for the response, "
                "and no -server\n");
        return NULL;
    }
    if (rsp == NULL)
        rsp = P11CMP_MSG_http_perform(ctx, sent);
    if (rsp != NULL)
        progress_sent(a, P11CMP_MSG_get_bodytype(sent));
    return rsp;
}

int app_check_reqout_only(struct app *a)
{
    static const enum opt_id over[] = {
        O_SERVER, O_REQIN, O_REQOUT, O_RSPIN, O_RSPOUT
    };
    size_t i;

    for (i = 0; OPT_STR(a, O_REQOUT_ONLY) != NULL
             && i < sizeof(over) / sizeof(over[0]); i++)
        if (OPT_STR(a, over[i]) != NULL)
            app_log(a, P11CMP_LOG_WARNING, "-%s is ignored since "
                    "-reqout_only is given", app_opt_table()[over[i]].name);
    return EXIT_OK;
}

/* -reqout_only: req goes to its file, nothing is sent; NULL. */
static P11CMP_MSG *request_only(struct app *a, const P11CMP_MSG *req)
{
    const char *file = OPT_STR(a, O_REQOUT_ONLY);

    if (P11CMP_MSG_write(file, req) > 0) {
        app_log(a, P11CMP_LOG_INFO, "-reqout_only: %s saved to %s, not "
                "sent", app_body_name(P11CMP_MSG_get_bodytype(req)), file);
        a->reqout_only_done = 1;
    } else {
        fprintf(stderr, "p11cmp: -reqout_only: cannot write %s\n", file);
        a->file_error = 1;
    }
    return NULL;
}

P11CMP_MSG *app_transfer_cb(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    struct app *a = P11CMP_CTX_get_transfer_cb_arg(ctx);
    P11CMP_MSG *own = NULL, *rsp = NULL;
    const P11CMP_MSG *sent;
    int from_file = 0;

    if (a != NULL && OPT_STR(a, O_REQOUT_ONLY) != NULL)
        return request_only(a, req);
    if (a == NULL || !save_msg(a, &a->reqout, O_REQOUT, req)
        || !request_from_file(a, ctx, &own))
        return NULL;
    sent = own != NULL ? own : req;
    if (P11CMP_MSG_get_bodytype(sent) == P11CMP_PKIBODY_POLLREQ)
        a->polls++;
    if ((rsp = exchange(a, ctx, sent, &from_file)) == NULL)
        goto end;
    progress_received(a, P11CMP_MSG_get_bodytype(rsp));
    if (((own != NULL || from_file) && !adopt_ids(ctx, rsp))
        || !save_msg(a, &a->rspout, O_RSPOUT, rsp)) {
        P11CMP_MSG_free(rsp);
        rsp = NULL;
    }
 end:
    P11CMP_MSG_free(own);
    return rsp;
}
