/*
 * src/http.c - the transfer of CMP messages: over HTTP(S) with libcrypto's
 * OSSL_HTTP client (RFC 6712: POST of application/pkixcmp), keeping the
 * connection in the context across the messages of a transaction, with
 * proxy, TLS through the context's http_cb, MSG_TIMEOUT, TOTAL_TIMEOUT
 * and a cap on the response size; or through the context's transfer_cb.
 *
 * No stall on kept-alive connections: libcrypto writes a request in two
 * pieces (the header, then the body). With Nagle's algorithm the body
 * waits for the ACK of the header, which the server delays (delayed ACK,
 * 40 ms on Linux) because it waits for the body: every message after the
 * first on a connection lost ~40 ms. The BIO callback we always install
 * sets TCP_NODELAY on the socket right after connecting.
 *
 * No SIGPIPE: libcrypto's socket BIO writes with plain write(), so a
 * server closing the connection under a request would kill the process.
 * SIGPIPE is blocked in the calling thread during an exchange, and one
 * raised by it is consumed.
 */
#include "config.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/x509v3.h>

#include "local.h"

#define CONTENT_TYPE "application/pkixcmp"

/* Where a message goes: taken from the context by target_init(). */
struct target {
    char *host;
    char *port;                 /* NULL: the default of the scheme */
    char *path;                 /* starts with '/' */
    int use_ssl;
    char url[512];              /* for log and error messages */
};

static void target_clear(struct target *t)
{
    OPENSSL_free(t->host);
    OPENSSL_free(t->port);
    OPENSSL_free(t->path);
    memset(t, 0, sizeof(*t));
}

/*
 * Whether server is more than a host name or address: has a scheme, a
 * path, a port ("host:port", "[v6]:port"). A bare IPv6 address (several
 * colons, no brackets) is a host.
 */
static int is_url(const char *server)
{
    const char *colon = strchr(server, ':');

    return strstr(server, "://") != NULL || strchr(server, '/') != NULL
        || server[0] == '[' || (colon != NULL && colon == strrchr(server, ':'));
}

/* Splits the server string (a URL or host[:port][/path]) into t. */
static int target_parse(const char *server, struct target *t)
{
    char *url = NULL, *port = NULL;
    int ssl = 0, res = 0;
    size_t len = strlen(server) + sizeof("https://");

    if (strstr(server, "://") == NULL) {
        if ((url = OPENSSL_malloc(len)) == NULL)
            goto err;
        (void)BIO_snprintf(url, len, "http%s://%s", t->use_ssl ? "s" : "",
                           server);
    }
    if (!OSSL_HTTP_parse_url(url != NULL ? url : server, &ssl, NULL,
                             &t->host, &port, NULL, &t->path, NULL, NULL)) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "cannot parse server address %s", server);
        goto err;
    }
    t->use_ssl |= ssl;
    t->port = port;
    port = NULL;
    res = 1;
 err:
    OPENSSL_free(url);
    OPENSSL_free(port);
    return res;
}

/* Sets t->path to path with a leading '/'. */
static int target_set_path(struct target *t, const char *path)
{
    size_t len = strlen(path) + 2;

    OPENSSL_free(t->path);
    if ((t->path = OPENSSL_malloc(len)) == NULL)
        return 0;
    (void)BIO_snprintf(t->path, len, "%s%s", path[0] == '/' ? "" : "/",
                       path);
    return 1;
}

/*
 * Fills t from ctx: server (a host, or "[http[s]://]host[:port][/path]"),
 * serverPort and serverPath (which win over the parts given in server);
 * TLS as P11CMP_OPT_USE_TLS says, by default (-1) if http_cb_arg is
 * set (as OpenSSL 3.0 decides), and always if the scheme is https.
 * Returns 1, or 0 with an error raised; t is then cleared.
 */
static int target_init(const P11CMP_CTX *ctx, struct target *t)
{
    const char *server = ctx->server;

    memset(t, 0, sizeof(*t));
    if (server == NULL || *server == '\0') {
        p11cmp_raise(P11CMP_R_MISSING_SERVER);
        return 0;
    }
    t->use_ssl = ctx->use_tls >= 0 ? ctx->use_tls
        : ctx->http_cb_arg != NULL;
    if (is_url(server)) {
        if (!target_parse(server, t))
            goto err;
    } else if ((t->host = OPENSSL_strdup(server)) == NULL) {
        goto oom;
    }
    if (ctx->serverPort != 0) {
        OPENSSL_free(t->port);
        if ((t->port = OPENSSL_malloc(8)) == NULL)
            goto oom;
        (void)BIO_snprintf(t->port, 8, "%d", ctx->serverPort);
    }
    if (ctx->serverPath != NULL || t->path == NULL)
        if (!target_set_path(t, ctx->serverPath != NULL ? ctx->serverPath
                                                        : "/"))
            goto oom;
    (void)BIO_snprintf(t->url, sizeof(t->url), "http%s://%s:%s%s",
                       t->use_ssl ? "s" : "", t->host,
                       t->port != NULL ? t->port : t->use_ssl ? "443" : "80",
                       t->path);
    return 1;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
 err:
    target_clear(t);
    return 0;
}

/*
 * The BIO callback given to OSSL_HTTP, with the P11CMP_CTX as arg: sets
 * TCP_NODELAY on a new connection (see the top of this file), then calls
 * the context's http_cb, if any, with http_cb_arg, exactly as OpenSSL's
 * CMP client would call it.
 */
static BIO *http_bio_cb(BIO *bio, void *arg, int connect, int detail)
{
    P11CMP_CTX *ctx = arg;
    int fd = -1;

    if (connect) {
        if (BIO_get_fd(bio, &fd) < 0)
            fd = -1;
        if (fd >= 0 && !BIO_set_tcp_ndelay(fd, 1))
            p11cmp_log_warn(ctx, "cannot set TCP_NODELAY on the connection");
        /* see connect_once(); without it, libcrypto already did this */
        if (fd >= 0 && !BIO_socket_nbio(fd, 1))
            p11cmp_log_warn(ctx, "cannot make the connection non-blocking");
        ctx->http_fd = fd;
    }
    if (ctx->http_cb == NULL)
        return bio;
    return ctx->http_cb(bio, ctx->http_cb_arg, connect, detail);
}

/*
 * With MSG_TIMEOUT at its default, a new connection is made in a single
 * attempt, as OpenSSL's CMP client does then: a refused connection fails
 * at once instead of being retried until the timeout ends (libcrypto
 * retries only when given a timeout). The socket is then made
 * non-blocking, so that the round trip stays bounded by the default
 * timeout. Returns 1, or 0 with libcrypto's error on the stack.
 */
static int connect_once(P11CMP_CTX *ctx, const struct target *t)
{
    ctx->http_ctx = OSSL_HTTP_open(t->host, t->port, ctx->proxy,
                                   ctx->no_proxy, t->use_ssl, NULL, NULL,
                                   http_bio_cb, ctx, 0, -1);
    return ctx->http_ctx != NULL;
}

/*
 * Sets the internal deadline of a transaction from the TOTAL_TIMEOUT
 * option: now + total_timeout, or none if the option is 0.
 */
void p11cmp_ctx_start_timer(P11CMP_CTX *ctx)
{
    ctx->end_time = ctx->total_timeout > 0
        ? time(NULL) + ctx->total_timeout : 0;
}

/*
 * The timeout for the next message in *timeout (0 = none): MSG_TIMEOUT
 * (P11CMP_DEFAULT_MSG_TIMEOUT while it is at its default, -1), shortened
 * to what is left of TOTAL_TIMEOUT (*by_total set to 1 then). Returns 0
 * with P11CMP_R_TOTAL_TIMEOUT if no time is left.
 */
static int message_timeout(const P11CMP_CTX *ctx, int *timeout,
                           int *by_total)
{
    time_t left;

    *timeout = ctx->msg_timeout >= 0 ? ctx->msg_timeout
                                     : P11CMP_DEFAULT_MSG_TIMEOUT;
    *by_total = 0;
    if (ctx->end_time == 0)
        return 1;
    left = ctx->end_time - time(NULL);
    if (left <= 0) {
        p11cmp_raise_data(P11CMP_R_TOTAL_TIMEOUT, "%d s passed",
                          ctx->total_timeout);
        return 0;
    }
    if (*timeout == 0 || left < *timeout) {
        *timeout = left < INT_MAX ? (int)left : INT_MAX;
        *by_total = 1;
    }
    return 1;
}

/* Whether the oldest or newest entry of the ERR stack is lib/reason. */
static int err_has(int lib, int reason)
{
    unsigned long first = ERR_peek_error(), last = ERR_peek_last_error();

    return (ERR_GET_LIB(first) == lib && ERR_GET_REASON(first) == reason)
        || (ERR_GET_LIB(last) == lib && ERR_GET_REASON(last) == reason);
}

/* Raises the p11cmp error for a failed exchange with t. */
static void raise_transfer_error(const P11CMP_CTX *ctx,
                                 const struct target *t, int timeout,
                                 int by_total)
{
    if (err_has(ERR_LIB_HTTP, HTTP_R_MAX_RESP_LEN_EXCEEDED)
            || err_has(ERR_LIB_HTTP, HTTP_R_ASN1_LEN_EXCEEDS_MAX_RESP_LEN))
        p11cmp_raise_data(P11CMP_R_RESPONSE_TOO_LARGE,
                          "server=%s, limit %zu bytes", t->url,
                          ctx->max_resp_len);
    else if (by_total && time(NULL) >= ctx->end_time)
        p11cmp_raise_data(P11CMP_R_TOTAL_TIMEOUT, "server=%s, %d s passed",
                          t->url, ctx->total_timeout);
    else if (err_has(ERR_LIB_BIO, BIO_R_CONNECT_TIMEOUT))
        p11cmp_raise_data(P11CMP_R_TRANSFER_ERROR,
                          "server=%s, no connection within %d s", t->url,
                          timeout);
    else if (err_has(ERR_LIB_HTTP, HTTP_R_RETRY_TIMEOUT)
             || err_has(ERR_LIB_BIO, BIO_R_TRANSFER_TIMEOUT))
        p11cmp_raise_data(P11CMP_R_TRANSFER_ERROR,
                          "server=%s, no response within %d s", t->url,
                          timeout);
    else
        p11cmp_raise_data(P11CMP_R_TRANSFER_ERROR, "server=%s", t->url);
}

/* The thread's SIGPIPE state around an exchange. */
struct sigpipe_guard {
    sigset_t old_mask;
    int blocked;
    int was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
    sigset_t pipe_set, pending;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    g->was_pending = sigpending(&pending) == 0
        && sigismember(&pending, SIGPIPE) == 1;
    g->blocked = pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old_mask) == 0;
}

/* Drops a SIGPIPE the exchange raised and restores the signal mask. */
static void sigpipe_restore(const struct sigpipe_guard *g)
{
    sigset_t pipe_set, pending;
    struct timespec no_wait = { 0, 0 };

    if (!g->blocked)
        return;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (!g->was_pending && sigpending(&pending) == 0
            && sigismember(&pending, SIGPIPE) == 1)
        (void)sigtimedwait(&pipe_set, NULL, &no_wait);
    (void)pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
}

/*
 * Closes ctx's kept-alive connection, if any; ok is 1 at the normal end
 * of a transaction, 0 after an error (it is passed to the http_cb).
 */
void p11cmp_http_close(P11CMP_CTX *ctx, int ok)
{
    struct sigpipe_guard guard;

    if (ctx == NULL || ctx->http_ctx == NULL)
        return;
    sigpipe_block(&guard); /* the http_cb may still write, e.g. TLS */
    (void)OSSL_HTTP_close(ctx->http_ctx, ok);
    sigpipe_restore(&guard);
    ctx->http_ctx = NULL;
    p11cmp_log_debug(ctx, "closed the connection to the CMP server");
}

/*
 * Whether ctx's kept-alive connection went away while idle: anything
 * pending on it before a request is sent (EOF, a reset, stray bytes)
 * means the server has closed or given it up. Does not block.
 */
static int connection_dropped(const P11CMP_CTX *ctx)
{
    struct pollfd pf;

    if (ctx->http_fd < 0)
        return 0;
    pf.fd = ctx->http_fd;
    pf.events = POLLIN;
    pf.revents = 0;
    return poll(&pf, 1, 0) > 0;
}

/* Sends the DER in req over ctx's connection; returns the response BIO. */
static BIO *exchange(P11CMP_CTX *ctx, const struct target *t, BIO *req,
                     int timeout)
{
    STACK_OF(CONF_VALUE) *headers = NULL;
    struct sigpipe_guard guard;
    BIO *rsp = NULL;

    if (!X509V3_add_value("Pragma", "no-cache", &headers)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    if (ctx->http_ctx != NULL && connection_dropped(ctx)) {
        p11cmp_log_debug(ctx, "the server closed the idle connection");
        p11cmp_http_close(ctx, 1);
    }
    if (ctx->http_ctx == NULL)
        p11cmp_log_debug(ctx, "connecting to %s%s%s", t->url,
                         t->use_ssl ? " with TLS" : "",
                         OSSL_HTTP_adapt_proxy(ctx->proxy, ctx->no_proxy,
                                               t->host, t->use_ssl) != NULL
                         ? " via a proxy" : "");
    sigpipe_block(&guard);
    if (ctx->http_ctx == NULL && ctx->msg_timeout < 0
        && !connect_once(ctx, t)) {
        sigpipe_restore(&guard);
        sk_CONF_VALUE_pop_free(headers, X509V3_conf_free);
        return NULL;
    }
    rsp = OSSL_HTTP_transfer(&ctx->http_ctx, t->host, t->port, t->path,
                             t->use_ssl, ctx->proxy, ctx->no_proxy,
                             NULL, NULL, http_bio_cb, ctx, 0, headers,
                             CONTENT_TYPE, req, CONTENT_TYPE,
                             1 /* expect_asn1 */, ctx->max_resp_len,
                             timeout, ctx->keep_alive);
    sigpipe_restore(&guard);
    sk_CONF_VALUE_pop_free(headers, X509V3_conf_free);
    if (rsp != NULL && ctx->http_ctx == NULL)
        p11cmp_log_debug(ctx, "the server closed the connection");
    return rsp;
}

/* Decodes the single message in rsp for ctx; NULL on error. */
static P11CMP_MSG *decode_response(const P11CMP_CTX *ctx, BIO *rsp)
{
    const unsigned char *der = NULL, *p;
    long len = BIO_get_mem_data(rsp, (char **)&der);
    P11CMP_MSG *msg;

    if (len <= 0 || der == NULL) {
        p11cmp_raise_data(P11CMP_R_ASN1_DECODE_ERROR, "empty response");
        return NULL;
    }
    p = der;
    msg = p11cmp_MSG_d2i_ex(&p, len, ctx->libctx, ctx->propq);
    if (msg != NULL && p != der + len) {
        p11cmp_raise_data(P11CMP_R_ASN1_DECODE_ERROR,
                          "%ld bytes after the response message",
                          (long)(der + len - p));
        P11CMP_MSG_free(msg);
        msg = NULL;
    }
    return msg;
}

/* DER-encodes req into a new memory BIO; NULL on error. */
static BIO *encode_request(const P11CMP_MSG *req)
{
    unsigned char *der = NULL;
    int len = i2d_P11CMP_MSG(req, &der);
    BIO *bio = NULL;

    if (len <= 0)
        return NULL;
    if ((bio = BIO_new(BIO_s_mem())) == NULL
            || BIO_write(bio, der, len) != len) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        BIO_free(bio);
        bio = NULL;
    }
    OPENSSL_free(der);
    return bio;
}

/*
 * Sends req to the server of ctx over HTTP(S) and returns the response
 * (a new message owned by the caller, keeping its received DER), or NULL
 * with an error: P11CMP_R_MISSING_SERVER, P11CMP_R_TRANSFER_ERROR (the
 * URL in the error data), P11CMP_R_RESPONSE_TOO_LARGE,
 * P11CMP_R_TOTAL_TIMEOUT, or a decoding error. req is borrowed. The
 * connection stays open in ctx if KEEP_ALIVE allows and the server
 * agrees; on any error it is closed.
 */
P11CMP_MSG *P11CMP_MSG_http_perform(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    struct target t;
    BIO *req_bio = NULL, *rsp = NULL;
    P11CMP_MSG *res = NULL;
    int timeout, by_total;

    if (ctx == NULL || req == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (!target_init(ctx, &t))
        return NULL;
    if (t.use_ssl && ctx->http_cb == NULL) {
        p11cmp_raise_data(P11CMP_R_TRANSFER_ERROR, "server=%s: TLS wanted "
                          "(http_cb_arg set) but no http_cb", t.url);
        goto err;
    }
    if (!message_timeout(ctx, &timeout, &by_total)
            || (req_bio = encode_request(req)) == NULL)
        goto err;
    if ((rsp = exchange(ctx, &t, req_bio, timeout)) == NULL) {
        raise_transfer_error(ctx, &t, timeout, by_total);
        goto err;
    }
    if ((res = decode_response(ctx, rsp)) == NULL)
        p11cmp_raise_data(P11CMP_R_TRANSFER_ERROR,
                          "server=%s: invalid response", t.url);
    else
        p11cmp_log_debug(ctx, "got a response from %s", t.url);
 err:
    if (res == NULL)
        p11cmp_http_close(ctx, 0);
    BIO_free(req_bio);
    BIO_free(rsp);
    target_clear(&t);
    return res;
}

/*
 * Sends req and returns the response: through ctx's transfer_cb if set,
 * else P11CMP_MSG_http_perform(). Honours TOTAL_TIMEOUT (see
 * p11cmp_ctx_start_timer()) for both. Returns a new message owned by the
 * caller, or NULL with an error raised.
 */
P11CMP_MSG *p11cmp_ctx_transfer(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    P11CMP_MSG *rsp;
    int timeout, by_total;

    if (ctx == NULL || req == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (ctx->transfer_cb == NULL)
        return P11CMP_MSG_http_perform(ctx, req);
    if (!message_timeout(ctx, &timeout, &by_total))
        return NULL;
    if ((rsp = ctx->transfer_cb(ctx, req)) != NULL)
        return rsp;
    if (by_total && time(NULL) >= ctx->end_time)
        p11cmp_raise_data(P11CMP_R_TOTAL_TIMEOUT, "%d s passed",
                          ctx->total_timeout);
    else
        p11cmp_raise_data(P11CMP_R_TRANSFER_ERROR,
                          "the transfer callback gave no response");
    return NULL;
}
