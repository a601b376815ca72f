/*
 * src/app/genm_token.c - the outputs of -cmd genm that are pkcs11: URIs
 * (-cacertsout, -newwithnew, -newwithold, -oldwithnew, -crlout): one
 * token transaction per run (P11CMP_PKCS11_TXN), which replaces what is
 * under each output's label as a whole and commits all of it at once,
 * only after the genp was validated and before any file output is
 * written. The PIN comes from the URI, else -otherpass, else as for any
 * token (P11CMP_PIN, a prompt).
 */
#include "config.h"

#include "app.h"

P11CMP_PKCS11_TXN *app_out_txn(struct app *a, const char *const *outs,
                               int n, int *rc)
{
    P11CMP_PKCS11_TXN *txn = NULL;
    char *uri, *pin;
    int i;

    *rc = EXIT_OK;
    for (i = 0; i < n && !app_is_uri(outs[i]); i++)
        continue;
    if (i == n)
        return NULL;
    *rc = EXIT_OTHER;
    if ((uri = app_uri_with_module(a, outs[i])) == NULL)
        return NULL;
    pin = app_pin_arg(OPT_STR(a, O_OTHERPASS), "-otherpass");
    if (OPT_STR(a, O_OTHERPASS) == NULL || pin != NULL)
        txn = P11CMP_PKCS11_TXN_new(uri, pin);
    app_pass_free(pin);
    OPENSSL_free(uri);
    if (txn == NULL) {
        fprintf(stderr, "p11cmp: cannot open the token of the outputs\n");
        *rc = app_errors_exit(a, EXIT_TOKEN);
    }
    return txn;
}

/* Logs what a put did (desc names the output; no URI: it may hold a PIN) */
static void report(struct app *a, const char *desc, int added, int removed)
{
    app_log(a, P11CMP_LOG_INFO, "%s on the token: %d object(s) stored, %d "
            "to be removed at the commit", desc, added, removed);
}

/* Puts certs/keep, or with crls the CRL crls[0] keeping crls[1]. */
static int put(struct app *a, P11CMP_PKCS11_TXN *txn, const char *out,
               STACK_OF(X509) *certs, X509 *keep, X509_CRL **crls,
               const char *desc)
{
    char *uri = app_uri_with_module(a, out);
    int added = 0, removed = 0, ok = uri != NULL;

    if (ok && crls != NULL)
        ok = P11CMP_PKCS11_TXN_put_crl(txn, uri, crls[0], crls[1], &added,
                                       &removed);
    else if (ok)
        ok = P11CMP_PKCS11_TXN_put_ca_certs(txn, uri, certs, keep, &added,
                                            &removed);
    OPENSSL_free(uri);
    if (ok)
        report(a, desc, added, removed);
    return ok;
}

int app_out_certs(struct app *a, P11CMP_PKCS11_TXN *txn, const char *out,
                  STACK_OF(X509) *certs, X509 *keep, const char *desc)
{
    return put(a, txn, out, certs, keep, NULL, desc);
}

int app_out_cert(struct app *a, P11CMP_PKCS11_TXN *txn, const char *out,
                 X509 *cert, X509 *keep, const char *desc)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    int ok = sk != NULL && (cert == NULL || sk_X509_push(sk, cert))
        && app_out_certs(a, txn, out, sk, keep, desc);

    sk_X509_free(sk);
    return ok;
}

int app_out_crl(struct app *a, P11CMP_PKCS11_TXN *txn, const char *out,
                X509_CRL *crl, X509_CRL *keep)
{
    X509_CRL *crls[2] = {crl, keep};

    return put(a, txn, out, NULL, NULL, crls, "CRL");
}

int app_out_certs_now(struct app *a, const char *out, STACK_OF(X509) *certs,
                      const char *desc)
{
    P11CMP_PKCS11_TXN *txn;
    int rc;

    if ((txn = app_out_txn(a, &out, 1, &rc)) == NULL)
        return rc;
    return app_out_commit(a, txn, app_out_certs(a, txn, out, certs, NULL,
                                                desc));
}

X509_CRL *app_load_token_crl(struct app *a, const char *src)
{
    char *uri = app_uri_with_module(a, src), *pin;
    X509_CRL *crl = NULL;

    pin = app_pin_arg(OPT_STR(a, O_OTHERPASS), "-otherpass");
    if (uri != NULL && (OPT_STR(a, O_OTHERPASS) == NULL || pin != NULL))
        crl = P11CMP_PKCS11_load_crl(uri, pin);
    app_pass_free(pin);
    OPENSSL_free(uri);
    if (crl == NULL) {
        fprintf(stderr, "p11cmp: cannot load the CRL of -oldcrl from the "
                "token\n");
        (void)app_errors_exit(a, EXIT_TOKEN);
    }
    return crl;
}

int app_out_commit(struct app *a, P11CMP_PKCS11_TXN *txn, int ok)
{
    int rc = EXIT_OK;

    if (txn == NULL)
        return EXIT_OK;
    if (!ok || !P11CMP_PKCS11_TXN_commit(txn)) {
        fprintf(stderr, "p11cmp: nothing was changed on the token\n");
        rc = app_errors_exit(a, EXIT_TOKEN);
    }
    P11CMP_PKCS11_TXN_free(txn); /* rolls back unless committed */
    return rc;
}
