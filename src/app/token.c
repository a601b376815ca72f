/*
 * src/app/token.c - what p11cmp(1) does with tokens beyond loading keys:
 * -newkeygen (a key pair generated on the token of -newkey, kept only if
 * the enrollment succeeds), -no_store / -keep_old (the library's store
 * options), and reporting where the new certificate was stored.
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>

#include "app.h"

/* "pass:PIN" of -newkeypass for the library, or NULL. */
static char *pin_source(struct app *a)
{
    return app_pin_arg(OPT_STR(a, O_NEWKEYPASS), "-newkeypass");
}

/*
 * Generates -newkey on its token as the key to enroll. The library keeps
 * the key pair only if the enrollment succeeds (and stores its cert).
 */
int app_newkey_generate(struct app *a)
{
    char *uri = app_uri_with_module(a, OPT_STR(a, O_NEWKEY)), *pin = NULL;
    int ok;

    if (uri == NULL)
        return EXIT_OTHER;
    if (OPT_STR(a, O_NEWKEYPASS) != NULL && (pin = pin_source(a)) == NULL) {
        OPENSSL_free(uri);
        return EXIT_USAGE;
    }
    app_log(a, P11CMP_LOG_INFO, "generating a key pair (%s) on the token",
            OPT_STR(a, O_NEWKEYGEN));
    ok = P11CMP_PKCS11_set1_pin_source(pin)
        && P11CMP_CTX_generate_newPkey(a->ctx, uri, OPT_STR(a, O_NEWKEYGEN),
                                       NULL);
    (void)P11CMP_PKCS11_set1_pin_source(NULL);
    app_pass_free(pin);
    OPENSSL_free(uri);
    if (ok) {
        app_log(a, P11CMP_LOG_INFO, "generated the key pair (kept only if "
                "the enrollment succeeds)");
        return EXIT_OK;
    }
    return app_errors_exit(a, EXIT_TOKEN);
}

int app_setup_store(struct app *a)
{
    if (!P11CMP_CTX_set_option(a->ctx, P11CMP_OPT_STORE_RESULTS,
                               !OPT_NUM(a, O_NO_STORE))
        || !P11CMP_CTX_set_option(a->ctx, P11CMP_OPT_KEEP_OLD,
                                  (int)OPT_NUM(a, O_KEEP_OLD)))
        return EXIT_OTHER;
    return EXIT_OK;
}

/* The URI of the key the new cert belongs to: -newkey, else -key. */
static const char *key_uri(struct app *a)
{
    if (OPT_STR(a, O_NEWKEY) != NULL)
        return OPT_STR(a, O_NEWKEY);
    return OPT_STR(a, O_KEY);
}

/* Appends the query of a URI without pin-value= to b. */
static void add_query(BIO *b, const char *q)
{
    const char *p, *e;
    int first = 1;

    for (p = q + 1; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
        e = p + strcspn(p, "&");
        if (strncmp(p, "pin-value=", 10) == 0 || e == p)
            continue;
        BIO_printf(b, "%c%.*s", first ? '?' : '&', (int)(e - p), p);
        first = 0;
    }
}

/*
 * The URI of the certificate stored next to the token key: the key's URI
 * with type=cert and without pin-value=; NULL if it is no token key.
 */
static char *cert_uri(struct app *a)
{
    const char *src = key_uri(a), *q, *p, *e, *end;
    BIO *b;
    char *data, *res = NULL;
    long len;

    if (!app_is_uri(src) || (b = BIO_new(BIO_s_mem())) == NULL)
        return NULL;
    q = strchr(src, '?');
    end = q != NULL ? q : src + strlen(src);
    for (p = src; p < end; p = e + 1) {
        e = p + strcspn(p, ";?");
        if (strncmp(p, "type=", 5) != 0 && strncmp(p, "pin-value=", 10) != 0)
            BIO_printf(b, "%s%.*s", p == src ? "" : ";", (int)(e - p), p);
        if (*e != ';')
            break;
    }
    BIO_printf(b, ";type=cert");
    if (q != NULL)
        add_query(b, q);
    len = BIO_get_mem_data(b, &data);
    if (len > 0)
        res = OPENSSL_strndup(data, (size_t)len);
    BIO_free(b);
    return res;
}

const char *app_stored_uri(struct app *a)
{
    return a->stored_uri;
}

void app_report_stored(struct app *a, X509 *cert)
{
    EVP_PKEY *nk = P11CMP_CTX_get0_newPkey(a->ctx, 1);
    char *uri, *full = NULL, *pin = NULL;
    X509 *found = NULL;

    if (OPT_NUM(a, O_NO_STORE) || nk == NULL
        || !P11CMP_PKCS11_is_token_key(nk) || (uri = cert_uri(a)) == NULL)
        return;
    full = app_uri_with_module(a, uri);
    pin = pin_source(a);
    ERR_set_mark();
    if (full != NULL)
        found = P11CMP_PKCS11_load_cert(full, pin);
    ERR_pop_to_mark();
    if (found != NULL && X509_cmp(found, cert) == 0) {
        a->stored_uri = uri;
        uri = NULL;
        app_log(a, P11CMP_LOG_INFO, "stored the certificate on the token: "
                "%s", a->stored_uri);
    } else {
        app_log(a, P11CMP_LOG_WARNING, "the new certificate is not on the "
                "token under %s", uri);
    }
    X509_free(found);
    app_pass_free(pin);
    OPENSSL_free(full);
    OPENSSL_free(uri);
}
