/*
 * src/app/main.c - the entry point of p11cmp(1): parse the options, make
 * the CMP context, run the command, clean up, and return the documented
 * exit code (see app.h and p11cmp(1) EXIT STATUS). SIGTERM, SIGINT and
 * SIGHUP interrupt the transaction (P11CMP_interrupt()): it is rolled
 * back, and then the process ends by that signal.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <openssl/err.h>

#include "app.h"

static void app_free(struct app *a)
{
    P11CMP_CTX_free(a->ctx);
    app_tls_free(a);
    X509_STORE_free(a->out_trusted);
    X509_free(a->refcert);
    OPENSSL_free(a->stored_uri);
    OPENSSL_free(a->reqin.list);
    OPENSSL_free(a->reqout.list);
    OPENSSL_free(a->rspin.list);
    OPENSSL_free(a->rspout.list);
    app_opts_free(a);
    app_pass_cleanup();
}

static void on_signal(int sig)
{
    P11CMP_interrupt(sig);
}

/* Lets SIGTERM, SIGINT and SIGHUP interrupt instead of kill (no restart
 * of interrupted system calls, so that waits end at once). */
static void catch_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        (void)sigaction(sigs[i], &sa, NULL);
}

/*
 * After an interrupted run that did not complete: ends the process by
 * the signal (as without a handler, so that the caller sees it).
 */
static int end_by_signal(int rc)
{
    int sig = P11CMP_interrupted();

    if (sig == 0 || rc == EXIT_OK)
        return rc;
    fprintf(stderr, "p11cmp: interrupted by signal %d\n", sig);
    (void)signal(sig, SIG_DFL);
    (void)raise(sig);
    return rc;
}

int main(int argc, char **argv)
{
    struct app a;
    int rc;

    memset(&a, 0, sizeof(a));
    catch_signals();
    app_set_log_app(&a);
    if (argc < 2) {
        app_usage(stderr);
        return EXIT_USAGE;
    }
    if ((rc = app_parse(&a, argc, argv)) != EXIT_OK)
        goto end;
    if (OPT_SET(&a, O_HELP)) {
        app_usage(stdout);
        goto end;
    }
    if (OPT_SET(&a, O_VERSION)) {
        printf("p11cmp %s\n", P11CMP_version());
        goto end;
    }
    if ((a.ctx = P11CMP_CTX_new(NULL, NULL)) == NULL
        || !P11CMP_CTX_set_log_cb(a.ctx, app_log_cb)
        || !P11CMP_CTX_set_log_verbosity(a.ctx, a.verbosity)) {
        rc = app_errors_exit(&a, EXIT_OTHER);
        goto end;
    }
    rc = app_run(&a);
 end:
    if (app_xopts_finish(&a) != EXIT_OK && rc == EXIT_OK)
        rc = EXIT_OTHER;
    ERR_clear_error();
    app_free(&a);
    P11CMP_PKCS11_cleanup();
    return end_by_signal(rc);
}
