/*
 * src/app/main.c - the entry point of p11cmp(1): parse the options, make
 * the CMP context, run the command, clean up, and return the documented
 * exit code (see app.h and p11cmp(1) EXIT STATUS).
 */
#include "config.h"

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

int main(int argc, char **argv)
{
    struct app a;
    int rc;

    memset(&a, 0, sizeof(a));
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
    ERR_clear_error();
    app_free(&a);
    P11CMP_PKCS11_cleanup();
    return rc;
}
