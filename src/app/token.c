/*
 * src/app/token.c - what p11cmp(1) does with tokens beyond loading keys:
 * -newkeygen (a key pair generated on the token of -newkey, kept only if
 * the enrollment succeeds), -no_store / -keep_old (the library's store
 * options), and reporting where the new certificate was stored.
 */
#include "config.h"

#include <string.h>

#include "app.h"

/* "pass:PIN" of -newkeypass for the library, or NULL. */
static char *pin_source(struct app *a)
{
    char *pin, *src = NULL;
    size_t len;

    if (OPT_STR(a, O_NEWKEYPASS) == NULL
        || (pin = app_pass_get(OPT_STR(a, O_NEWKEYPASS), "-newkeypass"))
        == NULL)
        return NULL;
    len = strlen(pin) + 6;
    if ((src = OPENSSL_malloc(len)) != NULL)
        snprintf(src, len, "pass:%s", pin);
    app_pass_free(pin);
    return src;
}

int app_newkey_generate(struct app *a)
{
    char *uri = app_uri_with_module(a, OPT_STR(a, O_NEWKEY)), *pin = NULL;
    EVP_PKEY *pkey = NULL;

    if (uri == NULL)
        return EXIT_OTHER;
    if (OPT_STR(a, O_NEWKEYPASS) != NULL && (pin = pin_source(a)) == NULL) {
        OPENSSL_free(uri);
        return EXIT_USAGE;
    }
    app_log(a, P11CMP_LOG_INFO, "generating a %s key pair on the token",
            OPT_STR(a, O_NEWKEYGEN));
    pkey = P11CMP_PKCS11_generate_key(uri, OPT_STR(a, O_NEWKEYGEN), NULL,
                                      pin, 0);
    app_pass_free(pin);
    OPENSSL_free(uri);
    if (pkey != NULL && P11CMP_CTX_set0_newPkey(a->ctx, 1, pkey)) {
        app_log(a, P11CMP_LOG_INFO, "generated the key pair");
        return EXIT_OK;
    }
    EVP_PKEY_free(pkey);
    return app_errors_exit(a, EXIT_TOKEN);
}

int app_setup_store(struct app *a)
{
#ifdef P11CMP_OPT_STORE_RESULTS
    if (!P11CMP_CTX_set_option(a->ctx, P11CMP_OPT_STORE_RESULTS,
                               !OPT_NUM(a, O_NO_STORE))
        || !P11CMP_CTX_set_option(a->ctx, P11CMP_OPT_KEEP_OLD,
                                  (int)OPT_NUM(a, O_KEEP_OLD)))
        return EXIT_OTHER;
#else
    (void)a;
#endif
    return EXIT_OK;
}

/* The URI of the key the new cert belongs to: -newkey, else -key. */
static const char *key_uri(struct app *a)
{
    if (OPT_STR(a, O_NEWKEY) != NULL)
        return OPT_STR(a, O_NEWKEY);
    return OPT_STR(a, O_KEY);
}

/*
 * The URI of the stored certificate: the key's URI without type= and
 * pin-value=, with ";type=cert". NULL if nothing was stored.
 */
const char *app_stored_uri(struct app *a)
{
    const char *src = key_uri(a), *q, *p, *e;
    EVP_PKEY *nk = P11CMP_CTX_get0_newPkey(a->ctx, 1);
    BIO *b;
    char *data;
    long len;

    if (a->stored_uri != NULL || OPT_NUM(a, O_NO_STORE) || !app_is_uri(src)
        || nk == NULL || !P11CMP_PKCS11_is_token_key(nk)
        || (b = BIO_new(BIO_s_mem())) == NULL)
        return a->stored_uri;
    q = strchr(src, '?');
    for (p = src; p < (q != NULL ? q : src + strlen(src)); p = e + 1) {
        e = p + strcspn(p, ";?");
        if (strncmp(p, "type=", 5) != 0 && strncmp(p, "pin-value=", 10) != 0)
            BIO_printf(b, "%s%.*s", p == src ? "" : ";", (int)(e - p), p);
        if (*e != ';')
            break;
    }
    BIO_printf(b, ";type=cert");
    len = BIO_get_mem_data(b, &data);
    if (len > 0)
        a->stored_uri = OPENSSL_strndup(data, (size_t)len);
    BIO_free(b);
    return a->stored_uri;
}

void app_report_stored(struct app *a, X509 *cert)
{
    const char *uri = app_stored_uri(a);

    (void)cert;
    if (uri != NULL)
        app_log(a, P11CMP_LOG_INFO, "stored the certificate on the token: "
                "%s", uri);
}
