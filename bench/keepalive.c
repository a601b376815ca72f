/*
 * bench/keepalive.c - per-message latency of CMP messages sent one after
 * the other over ONE kept-alive HTTP connection to the test CA:
 *   p11cmp        P11CMP_MSG_http_perform() as shipped (TCP_NODELAY)
 *   p11cmp-nagle  the same with TCP_NODELAY switched off again by an
 *                 http_cb: what the transfer cost before the fix
 *   openssl       OSSL_CMP_MSG_http_perform() of the libcrypto in use,
 *                 the transfer of `openssl cmp`
 * The message is a PBM-protected IR built by OpenSSL's CMP client (an
 * IR, as OpenSSL 3.0.x keeps the connection only for certificate
 * requests and polling; the server issues a certificate per message).
 * Usage: keepalive PORT N VARIANT  (test CA on 127.0.0.1:PORT with --ref
 * testref --secret pass:test-secret-0815). Prints the mean ms/message.
 * Not a test: see bench/README.md and bench/keepalive.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <p11cmp/p11cmp.h>

#define REF "testref"
#define SECRET "test-secret-0815"

static unsigned char *der;
static int der_len;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static OSSL_CMP_MSG *capture(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
    (void)ctx;
    der_len = i2d_OSSL_CMP_MSG(req, &der);
    return NULL;
}

/* Fills der with an IR from OpenSSL's client; 1 on success. */
static int make_ir(void)
{
    OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509_NAME *name = X509_NAME_new();
    int ok = ctx != NULL && key != NULL && name != NULL
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (unsigned char *)"bench", -1, -1, 0)
        && OSSL_CMP_CTX_set1_subjectName(ctx, name)
        && OSSL_CMP_CTX_set0_newPkey(ctx, 1, key)
        && OSSL_CMP_CTX_set_log_verbosity(ctx, OSSL_CMP_LOG_EMERG)
        && OSSL_CMP_CTX_set1_referenceValue(ctx, (unsigned char *)REF,
                                            strlen(REF))
        && OSSL_CMP_CTX_set1_secretValue(ctx, (unsigned char *)SECRET,
                                         strlen(SECRET))
        && OSSL_CMP_CTX_set_transfer_cb(ctx, capture);

    if (ok)
        (void)OSSL_CMP_exec_IR_ses(ctx);
    else
        EVP_PKEY_free(key);
    X509_NAME_free(name);
    OSSL_CMP_CTX_free(ctx);
    ERR_clear_error();
    return der_len > 0;
}

/* http_cb switching Nagle's algorithm back on: the state before the fix */
static BIO *nagle_cb(BIO *bio, void *arg, int connect, int detail)
{
    int fd = -1, off = 0;

    (void)arg;
    (void)detail;
    if (connect && BIO_get_fd(bio, &fd) >= 0 && fd >= 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &off, sizeof(off));
    return bio;
}

/* Mean ms per message over n messages after a first (untimed) one. */
static double run_p11cmp(int port, int n, int nagle)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    const unsigned char *p = der;
    P11CMP_MSG *req = d2i_P11CMP_MSG(NULL, &p, der_len), *rsp;
    double t0 = 0;
    int i, ok = ctx != NULL && req != NULL
        && P11CMP_CTX_set1_server(ctx, "127.0.0.1")
        && P11CMP_CTX_set_serverPort(ctx, port)
        && P11CMP_CTX_set1_proxy(ctx, "")
        && (!nagle || P11CMP_CTX_set_http_cb(ctx, nagle_cb));

    for (i = 0; ok && i <= n; i++) {
        if (i == 1)
            t0 = now_ms();
        ok = (rsp = P11CMP_MSG_http_perform(ctx, req)) != NULL;
        P11CMP_MSG_free(rsp);
    }
    if (!ok)
        ERR_print_errors_fp(stderr);
    P11CMP_MSG_free(req);
    P11CMP_CTX_free(ctx);
    return ok ? (now_ms() - t0) / n : -1;
}

static double run_openssl(int port, int n)
{
    OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
    const unsigned char *p = der;
    OSSL_CMP_MSG *req = d2i_OSSL_CMP_MSG(NULL, &p, der_len), *rsp;
    double t0 = 0;
    int i, ok = ctx != NULL && req != NULL
        && OSSL_CMP_CTX_set_log_verbosity(ctx, OSSL_CMP_LOG_ERR)
        && OSSL_CMP_CTX_set1_server(ctx, "127.0.0.1")
        && OSSL_CMP_CTX_set_serverPort(ctx, port)
        && OSSL_CMP_CTX_set1_proxy(ctx, "");

    for (i = 0; ok && i <= n; i++) {
        if (i == 1)
            t0 = now_ms();
        ok = (rsp = OSSL_CMP_MSG_http_perform(ctx, req)) != NULL;
        OSSL_CMP_MSG_free(rsp);
    }
    if (!ok)
        ERR_print_errors_fp(stderr);
    OSSL_CMP_MSG_free(req);
    OSSL_CMP_CTX_free(ctx);
    return ok ? (now_ms() - t0) / n : -1;
}

int main(int argc, char **argv)
{
    int port = argc > 3 ? atoi(argv[1]) : 0;
    int n = argc > 3 ? atoi(argv[2]) : 0;
    const char *variant = argc > 3 ? argv[3] : "";
    double ms = -1;

    if (port <= 0 || n <= 0 || !make_ir()) {
        fprintf(stderr, "usage: keepalive PORT N p11cmp|nagle|openssl\n");
        return EXIT_FAILURE;
    }
    if (strcmp(variant, "p11cmp") == 0)
        ms = run_p11cmp(port, n, 0);
    else if (strcmp(variant, "nagle") == 0)
        ms = run_p11cmp(port, n, 1);
    else if (strcmp(variant, "openssl") == 0)
        ms = run_openssl(port, n);
    OPENSSL_free(der);
    if (ms < 0)
        return EXIT_FAILURE;
    printf("%.3f\n", ms);
    return EXIT_SUCCESS;
}
