/*
 * src/app/cmd.c - running -cmd with libp11cmp's client API: the
 * transaction (repeated -repeat times), its results (files, the result
 * line on stdout, the post hook) and the exit code, which comes from the
 * context's PKIStatus and the P11CMP_R_* reasons on the ERR stack.
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>

#include "app.h"

/* The EXIT_* class of one p11cmp reason, or -1 for "look further". */
static int reason_class(int r)
{
    if (r == P11CMP_R_GETTING_GENP)  /* says only which exchange failed */
        return -1;
    if (r == P11CMP_R_TRANSFER_ERROR || r == P11CMP_R_TOTAL_TIMEOUT
        || r == P11CMP_R_POLLING_FAILED || r == P11CMP_R_RESPONSE_TOO_LARGE)
        return EXIT_TRANSPORT;
    if (r >= 300 && r < 400)
        return EXIT_VALIDATION;
    if (r == P11CMP_R_INTERRUPTED)
        return EXIT_OTHER;
    if (r == P11CMP_R_REQUEST_REJECTED_BY_SERVER
        || r == P11CMP_R_RECEIVED_ERROR)
        return EXIT_REJECTED;
    if (r >= 400 && r < 500)
        return EXIT_VALIDATION;
    if (r >= 500 && r < 700)
        return EXIT_TOKEN;
    return -1;
}

/*
 * Prints and clears the ERR stack; returns the class of its oldest
 * classified p11cmp entry, else EXIT_TRANSPORT for HTTP/socket errors,
 * else dflt.
 */
static int errors_to(struct app *a, FILE *out, int dflt)
{
    const char *data, *func;
    unsigned long e;
    int flags, lib = P11CMP_ERR_get_lib(), cls = -1, net = 0, line;
    char buf[256];

    while ((e = ERR_get_error_all(NULL, &line, &func, &data, &flags)) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        if (out != stderr || a->verbosity >= P11CMP_LOG_ERR)
            fprintf(out, "p11cmp: error: %s%s%s\n", buf,
                    (flags & ERR_TXT_STRING) && *data != '\0' ? ": " : "",
                    (flags & ERR_TXT_STRING) ? data : "");
        if (cls < 0 && ERR_GET_LIB(e) == lib)
            cls = reason_class(ERR_GET_REASON(e));
        if (ERR_GET_LIB(e) == ERR_LIB_HTTP)
            net = 1;
    }
    if (cls >= 0)
        return cls;
    return net ? EXIT_TRANSPORT : dflt;
}

int app_errors_exit(struct app *a, int dflt)
{
    return errors_to(a, stderr, dflt);
}

static void print_failinfo(FILE *out, int bits)
{
    static const char *const names[] = {
        "badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
        "badDataFormat", "wrongAuthority", "incorrectData",
        "missingTimeStamp", "badPOP", "certRevoked", "certConfirmed",
        "wrongIntegrity", "badRecipientNonce", "timeNotAvailable",
        "unacceptedPolicy", "unacceptedExtension", "addInfoNotAvailable",
        "badSenderNonce", "badCertTemplate", "signerNotTrusted",
        "transactionIdInUse", "unsupportedVersion", "notAuthorized",
        "systemUnavail", "systemFailure", "duplicateCertReq"
    };
    int i, first = 1;

    for (i = 0; i <= P11CMP_PKIFAILUREINFO_MAX; i++)
        if (bits & (1 << i)) {
            fprintf(out, "%s%s", first ? "" : ",", names[i]);
            first = 0;
        }
    if (first)
        fputs("none", out);
}

/* On a rejection or error message: status, failInfo and text. */
static void print_status(struct app *a, FILE *out)
{
    static const char *const st[] = {
        "accepted", "grantedWithMods", "rejection", "waiting",
        "revocationWarning", "revocationNotification", "keyUpdateWarning"
    };
    P11CMP_PKIFREETEXT *txt = P11CMP_CTX_get0_statusString(a->ctx);
    int status = P11CMP_CTX_get_status(a->ctx), i;
    ASN1_UTF8STRING *s;

    if (status < 0 || status > 6)
        return;
    fprintf(out, "p11cmp: server status: %s; failInfo: ", st[status]);
    print_failinfo(out, P11CMP_CTX_get_failInfoCode(a->ctx));
    for (i = 0; i < sk_ASN1_UTF8STRING_num(txt); i++) {
        s = sk_ASN1_UTF8STRING_value(txt, i);
        fprintf(out, "%s\"%.*s\"", i == 0 ? "; text: " : ", ",
                ASN1_STRING_length(s),
                (const char *)ASN1_STRING_get0_data(s));
    }
    fputc('\n', out);
}

int app_exit_code(struct app *a)
{
    return app_exit_code_to(a, stderr);
}

int app_exit_code_to(struct app *a, FILE *out)
{
    int status = a->ctx != NULL ? P11CMP_CTX_get_status(a->ctx) : -1;
    int cls;

    if (a->reqout_only_done) { /* the transfer "failed" on purpose */
        ERR_clear_error();
        return EXIT_OK;
    }
    cls = errors_to(a, out, -1);

    /* a message file that failed is a file error, not a transfer one */
    if (a->file_error)
        return EXIT_OTHER;
    /* our own rejection of a new cert is CERTIFICATE_NOT_ACCEPTED (5) */
    if (cls == EXIT_REJECTED
        || (cls < 0 && status == P11CMP_PKISTATUS_rejection)) {
        print_status(a, out);
        return EXIT_REJECTED;
    }
    return cls < 0 ? EXIT_OTHER : cls;
}

/* The result line of an enrollment on stdout. */
void app_print_cert_line(const char *what, X509 *cert)
{
    char *subj = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    BIO *out = BIO_new_fp(stdout, BIO_NOCLOSE);

    if (out != NULL) {
        BIO_printf(out, "%s: subject=%s serial=%s notAfter=", what,
                   subj != NULL ? subj : "?", hex != NULL ? hex : "?");
        ASN1_TIME_print(out, X509_get0_notAfter(cert));
        BIO_printf(out, "\n");
    }
    BIO_free(out);
    OPENSSL_free(hex);
    BN_free(bn);
    OPENSSL_free(subj);
}

/* Saves sk to the file of opt, if given: an empty file when sk is. */
static int save_stack(struct app *a, enum opt_id opt, STACK_OF(X509) *sk)
{
    int ok = 1;

    if (app_is_uri(OPT_STR(a, opt))) {
        /* -cacertsout only (app_check_genm): the caPubs on the token */
        ok = app_out_certs_now(a, OPT_STR(a, opt), sk, "caPubs") == EXIT_OK;
    } else if (OPT_STR(a, opt) != NULL) {
        if (sk_X509_num(sk) <= 0)
            app_log(a, P11CMP_LOG_INFO, "no certificates for -%s: writing "
                    "an empty file", app_opt_table()[opt].name);
        ok = app_save_certs(a, sk, OPT_STR(a, opt));
    }
    sk_X509_pop_free(sk, X509_free);
    return ok;
}

/*
 * As openssl cmp: -extracertsout (and -srvcertout) after any transaction,
 * -cacertsout (and for rr and genm -chainout, which enrolled() writes
 * otherwise) after a successful one; empty files when nothing came.
 */
static int save_received(struct app *a, int rc)
{
    int ok = save_stack(a, O_EXTRACERTSOUT,
                        P11CMP_CTX_get1_extraCertsIn(a->ctx));

    ok = app_save_or_remove(a, P11CMP_CTX_get0_validatedSrvCert(a->ctx),
                            OPT_STR(a, O_SRVCERTOUT),
                            "validated server certificate") && ok;
    if (rc != EXIT_OK)
        return ok;
    if ((a->cmd == CMD_RR || a->cmd == CMD_GENM)
        && !save_stack(a, O_CHAINOUT, NULL))
        ok = 0;
    if (a->cmd == CMD_GENM
        && app_genm_kind(OPT_STR(a, O_INFOTYPE)) == GENM_CACERTS)
        return ok; /* genm.c writes (or leaves) -cacertsout then */
    return save_stack(a, O_CACERTSOUT, P11CMP_CTX_get1_caPubs(a->ctx))
        && ok;
}

/* After an enrollment: files, result line, post hook. */
static int enrolled(struct app *a, X509 *cert)
{
    int ok = 1;

    if (OPT_STR(a, O_CERTOUT) != NULL)
        ok = app_save_cert(a, cert, OPT_STR(a, O_CERTOUT));
    if (ok)
        ok = app_save_newkey(a);
    if (ok)
        ok = save_stack(a, O_CHAINOUT, P11CMP_CTX_get1_newChain(a->ctx));
    app_report_stored(a, cert);
    app_print_cert_line("enrolled", cert);
    if (!ok)
        return EXIT_OTHER;
    return app_post_hook(a, cert, OPT_STR(a, O_CERTOUT),
                         app_stored_uri(a));
}

static int print_itavs(STACK_OF(P11CMP_ITAV) *itavs)
{
    P11CMP_ITAV *itav;
    ASN1_TYPE *val;
    char name[128];
    int i;

    for (i = 0; i < sk_P11CMP_ITAV_num(itavs); i++) {
        itav = sk_P11CMP_ITAV_value(itavs, i);
        OBJ_obj2txt(name, sizeof(name), P11CMP_ITAV_get0_type(itav), 0);
        val = P11CMP_ITAV_get0_value(itav);
        printf("genp: %s: %s\n", name,
               val == NULL ? "(no value)"
               : ASN1_tag2str(ASN1_TYPE_get(val)));
    }
    if (i == 0)
        printf("genp: no InfoTypeAndValue\n");
    return EXIT_OK;
}

/* After a revocation: the result line and the post hook. */
static int revoked(struct app *a)
{
    if (a->refcert == NULL || OPT_STR(a, O_OLDCERT) == NULL) { /* -csr */
        printf("revoked\n");
        return EXIT_OK;
    }
    app_print_cert_line("revoked", a->refcert);
    return app_post_hook(a, a->refcert, NULL, NULL);
}

/* One transaction of -cmd; an EXIT_* code. */
static int run_once(struct app *a)
{
    static const int types[] = {
        0, P11CMP_IR, P11CMP_CR, P11CMP_KUR, P11CMP_P10CR
    };
    STACK_OF(P11CMP_ITAV) *itavs;
    X509 *cert;
    int rc, kind;

    a->polls = 0;
    ERR_clear_error(); /* nothing stale from loading keys and modules */
    if (a->cmd == CMD_GENM
        && (kind = app_genm_kind(OPT_STR(a, O_INFOTYPE))) != GENM_OTHER)
        return app_run_genm(a, kind);
    if (a->cmd == CMD_GENM) {
        if ((itavs = P11CMP_exec_GENM_ses(a->ctx)) == NULL)
            return app_exit_code(a);
        rc = print_itavs(itavs);
        sk_P11CMP_ITAV_pop_free(itavs, P11CMP_ITAV_free);
        return rc;
    }
    if (a->cmd == CMD_RR) {
        if (!P11CMP_exec_RR_ses(a->ctx))
            return app_exit_code(a);
        return revoked(a);
    }
    if ((cert = P11CMP_exec_certreq(a->ctx, types[a->cmd], NULL)) == NULL)
        return app_exit_code(a);
    return enrolled(a, cert);
}

int app_run(struct app *a)
{
    long i;
    int rc = EXIT_OK, due;

    if ((rc = app_check_options(a)) != EXIT_OK)
        return rc;
    if (OPT_STR(a, O_BATCH_IN) != NULL)
        return app_batch_run(a);
    if (OPT_SET(a, O_RENEW_WITHIN)) {
        if ((due = app_renew_check(a)) != 0)
            return due > 0 ? EXIT_OK
                : app_pass_failed() ? EXIT_USAGE : EXIT_OTHER;
    }
    if ((rc = app_setup(a)) != EXIT_OK)
        return rc;
    for (i = 0; i < OPT_NUM(a, O_REPEAT) && rc == EXIT_OK; i++) {
        if (i > 0 && !P11CMP_CTX_reinit(a->ctx))
            return app_exit_code(a);
        rc = run_once(a);
        if (a->reqout_only_done)
            return rc; /* nothing was sent: nothing came back to save */
        if (!save_received(a, rc) && rc == EXIT_OK)
            rc = EXIT_OTHER;
    }
    return rc;
}

int app_set_out_trusted(struct app *a, X509_STORE *store)
{
    a->out_trusted = store;
    if (!P11CMP_CTX_set_certConf_cb(a->ctx, P11CMP_certConf_cb)
        || !P11CMP_CTX_set_certConf_cb_arg(a->ctx, store))
        return EXIT_OTHER;
    return EXIT_OK;
}
