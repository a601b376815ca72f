/*
 * src/app/load.c - credentials of p11cmp(1): certificates and keys from
 * files (PEM, DER or PKCS#12; encrypted keys and PKCS#12 files with a
 * pass phrase source: -keypass for -key/-cert/-oldcert, -otherpass for
 * the lists of certificates, as openssl cmp has it) or from PKCS#11
 * tokens by pkcs11: URI through libp11cmp, CSRs, trust stores, and
 * writing certificates (-certform PEM or DER).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "app.h"

int app_is_uri(const char *src)
{
    return src != NULL && strncmp(src, "pkcs11:", 7) == 0;
}

/* Appends the -module path to b, percent-encoding what RFC 7512 needs. */
static void add_encoded(BIO *b, const char *path)
{
    const char *ok = "-._~/:@!$'()*+,=|";

    for (; *path != '\0'; path++) {
        if (isalnum((unsigned char)*path) || strchr(ok, *path) != NULL)
            BIO_printf(b, "%c", *path);
        else
            BIO_printf(b, "%%%02X", (unsigned char)*path);
    }
}

char *app_uri_with_module(struct app *a, const char *uri)
{
    const char *mod = OPT_STR(a, O_MODULE), *q = strchr(uri, '?');
    BIO *b;
    char *data, *res = NULL;
    long len;

    if (mod == NULL || (q != NULL && (strstr(q, "module-path=") != NULL
                                      || strstr(q, "module-name=") != NULL)))
        return OPENSSL_strdup(uri);
    if ((b = BIO_new(BIO_s_mem())) == NULL)
        return NULL;
    BIO_printf(b, "%s%smodule-path=", uri, q == NULL ? "?" : "&");
    add_encoded(b, mod);
    len = BIO_get_mem_data(b, &data);
    if (len > 0)
        res = OPENSSL_strndup(data, (size_t)len);
    BIO_free(b);
    return res;
}

/* "pass:VALUE" for the library's pin_source argument, or NULL. */
char *app_pin_arg(const char *passsrc, const char *what)
{
    char *pin, *res;
    size_t len;

    if (passsrc == NULL || (pin = app_pass_get(passsrc, what)) == NULL)
        return NULL;
    len = strlen(pin) + 6;
    if ((res = OPENSSL_malloc(len)) != NULL)
        snprintf(res, len, "pass:%s", pin);
    app_pass_free(pin);
    return res;
}

static void load_error(const char *what, const char *src)
{
    fprintf(stderr, "p11cmp: cannot load %s from %s\n", what, src);
}

/*
 * The PKCS#12 file in b, opened with pass (NULL: a file without or with
 * an empty password); its key and certificates (the one of the key
 * first) go to *key (if not NULL) and sk. 1 or 0.
 */
static int from_p12(BIO *b, const char *pass, EVP_PKEY **key,
                    STACK_OF(X509) *sk)
{
    PKCS12 *p12 = d2i_PKCS12_bio(b, NULL);
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    int ok = 0;

    if (p12 == NULL || !PKCS12_parse(p12, pass, &pkey, &cert, &ca))
        goto end;
    if (cert != NULL && !X509_add_cert(sk, cert, X509_ADD_FLAG_DEFAULT))
        goto end;
    cert = NULL; /* now owned by sk */
    ok = X509_add_certs(sk, ca, X509_ADD_FLAG_UP_REF);
    if (ok && key != NULL) {
        *key = pkey;
        pkey = NULL;
    }
 end:
    EVP_PKEY_free(pkey);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    return ok;
}

/*
 * Appends the certs of file to sk: all of a PEM file, the one of a DER
 * file, or those of a PKCS#12 file (pass phrase from passsrc, read only
 * then). 1 if it gave any.
 */
static int certs_from_file(const char *file, const char *passsrc,
                           const char *what, STACK_OF(X509) *sk)
{
    BIO *b;
    X509 *cert;
    char *pass = NULL;
    int n0 = sk_X509_num(sk), ok = 1;

    ERR_set_mark();
    if ((b = BIO_new_file(file, "rb")) == NULL) {
        ERR_pop_to_mark();
        return 0;
    }
    while (ok && (cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
        if (!(ok = sk_X509_push(sk, cert)))
            X509_free(cert);
    if (ok && sk_X509_num(sk) == n0 && BIO_reset(b) == 0
        && (cert = d2i_X509_bio(b, NULL)) != NULL && !sk_X509_push(sk, cert))
        X509_free(cert);
    if (ok && sk_X509_num(sk) == n0 && BIO_reset(b) == 0
        && (passsrc == NULL || (pass = app_pass_get(passsrc, what)) != NULL))
        (void)from_p12(b, pass, NULL, sk);
    ERR_pop_to_mark();
    BIO_free(b);
    app_pass_free(pass);
    return sk_X509_num(sk) > n0;
}

/* The first certificate of file (see certs_from_file()), or NULL */
static X509 *cert_from_file(const char *file, const char *passsrc,
                            const char *what)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *cert = NULL;

    if (sk != NULL && certs_from_file(file, passsrc, what, sk))
        cert = sk_X509_shift(sk);
    sk_X509_pop_free(sk, X509_free);
    return cert;
}

X509 *app_load_cert(struct app *a, const char *src, const char *passsrc,
                    const char *what)
{
    X509 *cert = NULL;
    char *uri, *pin = NULL;

    ERR_clear_error(); /* only the errors of this load are shown */

    if (!app_is_uri(src)) {
        if ((cert = cert_from_file(src, passsrc, what)) == NULL)
            load_error(what, src);
        return cert;
    }
    if ((uri = app_uri_with_module(a, src)) == NULL)
        return NULL;
    pin = app_pin_arg(passsrc, what);
    if (passsrc == NULL || pin != NULL)
        cert = P11CMP_PKCS11_load_cert(uri, pin);
    if (cert == NULL)
        load_error(what, "the token");
    app_pass_free(pin);
    OPENSSL_free(uri);
    return cert;
}

X509 *app_load_cert_chain(struct app *a, const char *src,
                          const char *passsrc, const char *what,
                          STACK_OF(X509) **rest)
{
    STACK_OF(X509) *sk;
    X509 *cert = NULL;

    *rest = NULL;
    if (app_is_uri(src))
        return app_load_cert(a, src, passsrc, what);
    ERR_clear_error(); /* only the errors of this load are shown */
    if ((sk = sk_X509_new_null()) != NULL
        && certs_from_file(src, passsrc, what, sk))
        cert = sk_X509_shift(sk);
    if (cert == NULL) {
        load_error(what, src);
        sk_X509_pop_free(sk, X509_free);
        return NULL;
    }
    *rest = sk;
    return cert;
}

STACK_OF(X509) *app_load_certs(struct app *a, const char *srcs,
                               const char *what)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    char *copy = OPENSSL_strdup(srcs), *name, *save = NULL;
    X509 *cert;
    int ok = sk != NULL && copy != NULL;

    ERR_clear_error(); /* only the errors of this load are shown */

    for (name = ok ? strtok_r(copy, ", \t", &save) : NULL;
         ok && name != NULL; name = strtok_r(NULL, ", \t", &save)) {
        if (app_is_uri(name)) {
            cert = app_load_cert(a, name, OPT_STR(a, O_OTHERPASS), what);
            ok = cert != NULL && sk_X509_push(sk, cert);
            if (!ok)
                X509_free(cert);
        } else if (!(ok = certs_from_file(name, OPT_STR(a, O_OTHERPASS),
                                          what, sk))) {
            load_error(what, name);
        }
    }
    OPENSSL_free(copy);
    if (!ok) {
        sk_X509_pop_free(sk, X509_free);
        return NULL;
    }
    return sk;
}

X509_STORE *app_load_store(struct app *a, const char *srcs,
                           const char *what)
{
    STACK_OF(X509) *sk = app_load_certs(a, srcs, what);
    X509_STORE *store = sk != NULL ? X509_STORE_new() : NULL;
    int i, ok = store != NULL;

    for (i = 0; ok && i < sk_X509_num(sk); i++)
        ok = X509_STORE_add_cert(store, sk_X509_value(sk, i));
    sk_X509_pop_free(sk, X509_free);
    ok = ok && app_store_set_param(a, store, what);
    if (!ok) {
        X509_STORE_free(store);
        return NULL;
    }
    return store;
}

/* A key of the given selection from a PEM or DER file, or NULL. */
static EVP_PKEY *decode_key(struct app *a, const char *file,
                            const char *pass, int selection)
{
    OSSL_DECODER_CTX *dctx;
    EVP_PKEY *pkey = NULL;
    BIO *b;

    ERR_set_mark();
    b = BIO_new_file(file, "rb");
    ERR_pop_to_mark();
    if (b == NULL)
        return NULL;
    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, OPT_STR(a, O_KEYFORM), NULL,
                                         NULL, selection, NULL, NULL);
    if (dctx != NULL && pass != NULL)
        OSSL_DECODER_CTX_set_passphrase(dctx, (const unsigned char *)pass,
                                        strlen(pass));
    ERR_set_mark();
    if (dctx != NULL && !OSSL_DECODER_from_bio(dctx, b)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    ERR_pop_to_mark();
    OSSL_DECODER_CTX_free(dctx);
    BIO_free(b);
    return pkey;
}

/* The private key of a PKCS#12 file, or NULL */
static EVP_PKEY *key_from_p12(const char *file, const char *pass)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    EVP_PKEY *pkey = NULL;
    BIO *b;

    ERR_set_mark();
    b = BIO_new_file(file, "rb");
    if (b != NULL && sk != NULL)
        (void)from_p12(b, pass, &pkey, sk);
    ERR_pop_to_mark();
    BIO_free(b);
    sk_X509_pop_free(sk, X509_free);
    return pkey;
}

/*
 * A private key, or else a public key (*priv = 0), from a file: PEM or
 * DER (-keyform, else either), or PKCS#12 (-keyform P12, or unset).
 */
static EVP_PKEY *key_from_file(struct app *a, const char *file,
                               const char *pass, int *priv)
{
    const char *form = OPT_STR(a, O_KEYFORM);
    int p12 = form != NULL && OPENSSL_strcasecmp(form, "P12") == 0;
    EVP_PKEY *pkey = NULL;

    if (!p12)
        pkey = decode_key(a, file, pass, OSSL_KEYMGMT_SELECT_KEYPAIR
                          | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS);
    if (pkey == NULL && (p12 || form == NULL))
        pkey = key_from_p12(file, pass);
    if (priv != NULL)
        *priv = pkey != NULL;
    if (pkey == NULL && !p12)
        pkey = decode_key(a, file, NULL, OSSL_KEYMGMT_SELECT_PUBLIC_KEY
                          | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS);
    return pkey;
}

EVP_PKEY *app_load_key(struct app *a, const char *src, const char *passsrc,
                       const char *what, int *priv)
{
    EVP_PKEY *pkey = NULL;
    char *uri = NULL, *pass = NULL;
    const char *form = OPT_STR(a, O_KEYFORM);

    ERR_clear_error(); /* only the errors of this load are shown */

    if (form != NULL && OPENSSL_strcasecmp(form, "ENGINE") == 0
        && (!OPT_SET(a, O_ENGINE) || !app_is_uri(src))) {
        fprintf(stderr, "p11cmp: error: %s: with -keyform ENGINE the key "
                "is a pkcs11: URI and -engine pkcs11 is given\n", what);
        return NULL;
    }
    if (!app_is_uri(src)) {
        if (passsrc == NULL || (pass = app_pass_get(passsrc, what)) != NULL)
            pkey = key_from_file(a, src, pass, priv);
        if (pkey == NULL)
            load_error(what, src);
        app_pass_free(pass);
        return pkey;
    }
    if (priv != NULL)
        *priv = 1;
    if ((uri = app_uri_with_module(a, src)) == NULL)
        return NULL;
    pass = app_pin_arg(passsrc, what);
    if (passsrc == NULL || pass != NULL)
        pkey = P11CMP_PKCS11_load_key(uri, pass);
    if (pkey == NULL)
        load_error(what, "the token");
    app_pass_free(pass);
    OPENSSL_free(uri);
    return pkey;
}

X509_REQ *app_read_csr(const char *file)
{
    BIO *b;
    X509_REQ *csr = NULL;

    ERR_set_mark();
    b = BIO_new_file(file, "rb");
    ERR_pop_to_mark();
    if (b != NULL) {
        ERR_set_mark();
        csr = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
        if (csr == NULL && BIO_reset(b) == 0)
            csr = d2i_X509_REQ_bio(b, NULL);
        ERR_pop_to_mark();
        BIO_free(b);
    }
    return csr;
}

X509_REQ *app_load_csr(struct app *a, const char *file)
{
    X509_REQ *csr = app_read_csr(file);

    (void)a;
    if (csr == NULL)
        load_error("CSR", file);
    return csr;
}

static int write_cert(struct app *a, BIO *b, X509 *cert)
{
    const char *form = OPT_STR(a, O_CERTFORM);

    if (form != NULL && OPENSSL_strcasecmp(form, "DER") == 0)
        return i2d_X509_bio(b, cert);
    return PEM_write_bio_X509(b, cert);
}

int app_save_certs(struct app *a, STACK_OF(X509) *certs, const char *file)
{
    BIO *b;
    int i, ok;

    ERR_set_mark();
    b = BIO_new_file(file, "wb");
    ERR_pop_to_mark();
    ok = b != NULL;
    for (i = 0; ok && i < sk_X509_num(certs); i++)
        ok = write_cert(a, b, sk_X509_value(certs, i));
    ok = BIO_free(b) && ok;
    if (!ok)
        fprintf(stderr, "p11cmp: cannot write %s\n", file);
    return ok;
}

int app_save_cert(struct app *a, X509 *cert, const char *file)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    int ok = sk != NULL && sk_X509_push(sk, cert)
        && app_save_certs(a, sk, file);

    sk_X509_free(sk);
    return ok;
}
