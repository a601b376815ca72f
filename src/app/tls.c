/*
 * src/app/tls.c - HTTPS for p11cmp(1) (-tls_used or an https:// server):
 * an SSL_CTX from the -tls_* options (client cert and key from files or a
 * token, extra certs, trust anchors and the host name to check) and the
 * http_cb that libp11cmp's transfer calls to put TLS on the connection.
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "app.h"

/* The http_cb: arg is the app; adds TLS on connect, removes it. */
static BIO *tls_cb(BIO *bio, void *arg, int connect, int detail)
{
    struct app *a = arg;
    BIO *sbio, *next;
    SSL *ssl = NULL;

    if (connect && detail) {
        if ((sbio = BIO_new_ssl(a->ssl_ctx, 1)) == NULL)
            return NULL;
        BIO_get_ssl(sbio, &ssl);
        if (ssl != NULL && a->tls_host != NULL)
            (void)SSL_set_tlsext_host_name(ssl, a->tls_host);
        return BIO_push(sbio, bio);
    }
    if (!connect) {
        ERR_set_mark();
        BIO_ssl_shutdown(bio);
        next = BIO_pop(bio);
        BIO_free(bio);
        ERR_pop_to_mark();
        return next;
    }
    return bio;
}

/* Trust anchors and the name (host) the server cert must carry. */
static int tls_trust(struct app *a, SSL_CTX *ssl_ctx, const char *host)
{
    X509_STORE *store;
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ssl_ctx);

    if (OPT_STR(a, O_TLS_TRUSTED) == NULL) {
        app_log(a, P11CMP_LOG_WARNING, "TLS without -tls_trusted: the "
                "server is not authenticated");
        SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
        return EXIT_OK;
    }
    if ((store = app_load_store(a, OPT_STR(a, O_TLS_TRUSTED),
                                "-tls_trusted")) == NULL)
        return app_errors_exit(a, EXIT_OTHER);
    SSL_CTX_set_cert_store(ssl_ctx, store);
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
    ERR_set_mark();
    if (host != NULL && !X509_VERIFY_PARAM_set1_ip_asc(param, host)) {
        ERR_pop_to_mark();
        if (!X509_VERIFY_PARAM_set1_host(param, host, 0))
            return EXIT_OTHER;
    } else {
        ERR_pop_to_mark();
    }
    return EXIT_OK;
}

/*
 * The chain of the client's TLS cert, as openssl cmp builds it: the
 * further certs of the -tls_cert file, then -untrusted, completed from
 * the trust store (without the root; revocation and other checks off
 * meanwhile). A chain that cannot be completed is only a warning.
 */
static int tls_chain(struct app *a, SSL_CTX *ssl_ctx, STACK_OF(X509) *chain)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
    X509_VERIFY_PARAM *param = X509_STORE_get0_param(store);
    unsigned long flags = X509_VERIFY_PARAM_get_flags(param);
    const unsigned long keep = X509_V_FLAG_USE_CHECK_TIME
        | X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN
        | X509_V_FLAG_POLICY_CHECK;
    STACK_OF(X509) *untrusted = NULL;
    int i, ok;

    if (!SSL_CTX_set0_chain(ssl_ctx, chain)) {
        sk_X509_pop_free(chain, X509_free);
        return 0;
    }
    if (OPT_STR(a, O_UNTRUSTED) != NULL
        && (untrusted = app_load_certs(a, OPT_STR(a, O_UNTRUSTED),
                                       "-untrusted")) == NULL)
        return 0;
    for (ok = 1, i = 0; ok && i < sk_X509_num(untrusted); i++)
        ok = SSL_CTX_add1_chain_cert(ssl_ctx, sk_X509_value(untrusted, i));
    sk_X509_pop_free(untrusted, X509_free);
    if (!ok)
        return 0;
    (void)X509_VERIFY_PARAM_clear_flags(param, ~keep);
    ERR_set_mark();
    if (!SSL_CTX_build_cert_chain(ssl_ctx, SSL_BUILD_CHAIN_FLAG_UNTRUSTED
                                  | SSL_BUILD_CHAIN_FLAG_NO_ROOT))
        app_log(a, P11CMP_LOG_WARNING, "could not build the chain of "
                "-tls_cert");
    ERR_pop_to_mark();
    (void)X509_VERIFY_PARAM_set_flags(param, flags);
    return 1;
}

/* The client's TLS cert with its chain, -tls_extra, and the key. */
static int tls_client(struct app *a, SSL_CTX *ssl_ctx)
{
    const char *src = OPT_STR(a, O_TLS_CERT);
    X509 *cert;
    EVP_PKEY *pkey;
    STACK_OF(X509) *certs = NULL;
    int ok = 1;

    if (src != NULL) {
        cert = app_load_cert_chain(a, src, OPT_STR(a, O_TLS_KEYPASS),
                                   "-tls_cert", &certs);
        if (cert != NULL && certs == NULL) /* a cert on a token */
            certs = sk_X509_new_null();
        ok = cert != NULL && certs != NULL
            && SSL_CTX_use_certificate(ssl_ctx, cert);
        X509_free(cert);
        if (!ok || !tls_chain(a, ssl_ctx, certs)) {
            if (!ok)
                sk_X509_pop_free(certs, X509_free);
            return app_errors_exit(a, EXIT_OTHER);
        }
    }
    if (OPT_STR(a, O_TLS_EXTRA) != NULL) {
        if ((certs = app_load_certs(a, OPT_STR(a, O_TLS_EXTRA),
                                    "-tls_extra")) == NULL)
            return app_errors_exit(a, EXIT_OTHER);
        while (ok && (cert = sk_X509_shift(certs)) != NULL)
            if (!(ok = SSL_CTX_add_extra_chain_cert(ssl_ctx, cert)))
                X509_free(cert);
        sk_X509_pop_free(certs, X509_free);
    }
    if (ok && OPT_STR(a, O_TLS_KEY) != NULL) {
        if ((pkey = app_load_key(a, OPT_STR(a, O_TLS_KEY),
                                 OPT_STR(a, O_TLS_KEYPASS), "-tls_key",
                                 NULL)) == NULL)
            return app_errors_exit(a, EXIT_OTHER);
        ok = SSL_CTX_use_PrivateKey(ssl_ctx, pkey)
            && SSL_CTX_check_private_key(ssl_ctx);
        EVP_PKEY_free(pkey);
        if (!ok)
            fprintf(stderr, "p11cmp: -tls_key does not match -tls_cert\n");
    }
    return ok ? EXIT_OK : app_errors_exit(a, EXIT_OTHER);
}

static int is_ip(const char *host)
{
    ASN1_OCTET_STRING *ip;

    ERR_set_mark();
    ip = a2i_IPADDRESS(host);
    ERR_pop_to_mark();
    ASN1_OCTET_STRING_free(ip);
    return ip != NULL;
}

int app_setup_tls(struct app *a, const char *host)
{
    SSL_CTX *ssl_ctx;
    char *copy = NULL;
    int rc;

    if (!OPT_NUM(a, O_TLS_USED)) {
        if (OPT_STR(a, O_TLS_CERT) != NULL || OPT_STR(a, O_TLS_KEY) != NULL
            || OPT_STR(a, O_TLS_TRUSTED) != NULL)
            app_log(a, P11CMP_LOG_WARNING, "-tls_* options have no effect "
                    "without -tls_used or an https:// server");
        return EXIT_OK;
    }
    if ((ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
        return app_errors_exit(a, EXIT_OTHER);
    a->ssl_ctx = ssl_ctx;
    if (OPT_STR(a, O_TLS_HOST) != NULL)
        host = OPT_STR(a, O_TLS_HOST);
    if (host != NULL && !is_ip(host)
        && (copy = OPENSSL_strdup(host)) == NULL)
        return EXIT_OTHER;
    a->tls_host = copy; /* for SNI, which takes no IP addresses */
    if ((rc = tls_trust(a, ssl_ctx, OPT_STR(a, O_TLS_HOST) != NULL
                        ? OPT_STR(a, O_TLS_HOST) : host)) != EXIT_OK
        || (rc = tls_client(a, ssl_ctx)) != EXIT_OK)
        return rc;
    if (!P11CMP_CTX_set_http_cb(a->ctx, tls_cb)
        || !P11CMP_CTX_set_http_cb_arg(a->ctx, a))
        return EXIT_OTHER;
    return EXIT_OK;
}

void app_tls_free(struct app *a)
{
    SSL_CTX_free(a->ssl_ctx);
    OPENSSL_free(a->tls_host);
    a->ssl_ctx = NULL;
    a->tls_host = NULL;
}
