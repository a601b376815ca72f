/*
 * src/app/xfer.c - how p11cmp(1) moves messages: a transfer callback
 * around libp11cmp's HTTP(S) transfer that prints the progress lines of
 * -verbosity 6 (sending, waiting for poll N, received) and implements the
 * debugging options -reqout/-rspout (save each message to the next file
 * of the list) and -reqin/-rspin (send the request of the next file /
 * take the response from the next file instead of the server).
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

static int save_msg(struct app *a, struct app_files *f, enum opt_id opt,
                    const P11CMP_MSG *msg)
{
    const char *file;

    if (OPT_STR(a, opt) == NULL)
        return 1;
    if ((file = next_file(a, f, opt)) == NULL) {
        fprintf(stderr, "p11cmp: -%s: not enough file names for the "
                "messages\n", app_opt_table()[opt].name);
        return 0;
    }
    if (!P11CMP_MSG_write(file, msg)) {
        fprintf(stderr, "p11cmp: -%s: cannot write %s\n",
                app_opt_table()[opt].name, file);
        return 0;
    }
    return 1;
}

/* The message of the next file of opt's list, or NULL (message printed) */
static P11CMP_MSG *read_msg(struct app *a, struct app_files *f,
                            enum opt_id opt)
{
    const char *file = next_file(a, f, opt);
    P11CMP_MSG *msg;

    if (file == NULL) {
        fprintf(stderr, "p11cmp: -%s: not enough files for the messages\n",
                app_opt_table()[opt].name);
        return NULL;
    }
    if ((msg = P11CMP_MSG_read(file, NULL, NULL)) == NULL)
        fprintf(stderr, "p11cmp: -%s: cannot read a PKIMessage from %s\n",
                app_opt_table()[opt].name, file);
    return msg;
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

P11CMP_MSG *app_transfer_cb(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    struct app *a = P11CMP_CTX_get_transfer_cb_arg(ctx);
    P11CMP_MSG *own = NULL, *rsp = NULL;
    const P11CMP_MSG *sent = req;

    if (a == NULL)
        return NULL;
    if (OPT_STR(a, O_REQIN) != NULL) {
        if ((own = read_msg(a, &a->reqin, O_REQIN)) == NULL)
            return NULL;
        sent = own;
    }
    if (!save_msg(a, &a->reqout, O_REQOUT, sent))
        goto end;
    if (P11CMP_MSG_get_bodytype(sent) == P11CMP_PKIBODY_POLLREQ)
        a->polls++;
    if (OPT_STR(a, O_RSPIN) != NULL) {
        progress_sent(a, P11CMP_MSG_get_bodytype(sent));
        rsp = read_msg(a, &a->rspin, O_RSPIN);
    } else {
        rsp = P11CMP_MSG_http_perform(ctx, sent);
        if (rsp != NULL)
            progress_sent(a, P11CMP_MSG_get_bodytype(sent));
    }
    if (rsp == NULL)
        goto end;
    progress_received(a, P11CMP_MSG_get_bodytype(rsp));
    if (!save_msg(a, &a->rspout, O_RSPOUT, rsp)) {
        P11CMP_MSG_free(rsp);
        rsp = NULL;
    }
 end:
    P11CMP_MSG_free(own);
    return rsp;
}
