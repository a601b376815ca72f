/*
 * tests/check_http.c - unit tests of src/http.c against the test CA and
 * small loopback servers (tests/http_servers.c): request/response over
 * HTTP, keep-alive 0/1/2, no stall per message on a kept-alive
 * connection, reconnecting after the server dropped an idle connection
 * (and no SIGPIPE when that goes unnoticed), MSG_TIMEOUT, TOTAL_TIMEOUT,
 * the response size cap, refused connections, proxy / no_proxy /
 * environment, the http_cb, the transfer_cb, HTTPS through a TLS front
 * end, the server address forms and default ports. The request is a
 * GENM built by OpenSSL's CMP client (PBM-protected) and decoded by
 * p11cmp. Linked against the internal library to reach
 * p11cmp_ctx_transfer() and the context fields.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/httperr.h>
#include <openssl/ssl.h>
#include <p11cmp/p11cmp.h>

#include "local.h"
#include "http_servers.h"
#include "check_main.h"
#include "last_reason.h"

#define REF "testref"
#define SECRET "test-secret-0815"
#define ACCEPTED "testca: http: connection accepted"

static TESTCA ca;
static P11CMP_MSG *genm;

/* --- helpers ---------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Time bounds stretch under valgrind and in sanitizer builds, which run
 * us many times slower; the plain build keeps the tight bounds. */
static double slowness(void)
{
    const char *preload = getenv("LD_PRELOAD");

#ifdef __SANITIZE_ADDRESS__
    return 10;
#endif
    return preload != NULL && strstr(preload, "vgpreload") != NULL ? 10 : 1;
}

/* The data text of the newest error, "" if none. */
static const char *last_data(void)
{
    const char *data = NULL;
    int flags = 0;

    (void)ERR_peek_last_error_data(&data, &flags);
    return data != NULL && (flags & ERR_TXT_STRING) != 0 ? data : "";
}

static unsigned char *captured;
static int captured_len;

/* OpenSSL transfer callback keeping the request instead of sending it. */
static OSSL_CMP_MSG *capture(OSSL_CMP_CTX *octx, const OSSL_CMP_MSG *req)
{
    (void)octx;
    OPENSSL_free(captured);
    captured = NULL;
    captured_len = i2d_OSSL_CMP_MSG(req, &captured);
    return NULL;
}

/* A GENM built and PBM-protected by OpenSSL, decoded by p11cmp. */
static P11CMP_MSG *openssl_genm(void)
{
    OSSL_CMP_CTX *octx = OSSL_CMP_CTX_new(NULL, NULL);
    const unsigned char *p;
    P11CMP_MSG *msg;

    ck_assert_ptr_nonnull(octx);
    ck_assert(OSSL_CMP_CTX_set_log_verbosity(octx, OSSL_CMP_LOG_EMERG));
    ck_assert(OSSL_CMP_CTX_set1_referenceValue(octx,
              (const unsigned char *)REF, strlen(REF)));
    ck_assert(OSSL_CMP_CTX_set1_secretValue(octx,
              (const unsigned char *)SECRET, strlen(SECRET)));
    ck_assert(OSSL_CMP_CTX_set_transfer_cb(octx, capture));
    ck_assert_ptr_null(OSSL_CMP_exec_GENM_ses(octx));
    OSSL_CMP_CTX_free(octx);
    ERR_clear_error();
    ck_assert_int_gt(captured_len, 0);
    p = captured;
    msg = d2i_P11CMP_MSG(NULL, &p, captured_len);
    ck_assert_ptr_nonnull(msg);
    OPENSSL_free(captured);
    captured = NULL;
    return msg;
}

static void start_ca(const char *extra)
{
    if (extra == NULL)
        ck_assert(testca_start(&ca, "--ref", REF, "--secret",
                               "pass:" SECRET, (char *)NULL));
    else
        ck_assert(testca_start(&ca, "--ref", REF, "--secret",
                               "pass:" SECRET, extra, (char *)NULL));
}

/* The test CA again, with the extra argument */
static void restart_ca(const char *extra)
{
    testca_stop(&ca);
    start_ca(extra);
}

static void setup(void)
{
    genm = openssl_genm();
    start_ca(NULL);
}

static void teardown(void)
{
    testca_stop(&ca);
    P11CMP_MSG_free(genm);
    genm = NULL;
}

/* A context for 127.0.0.1:port with no proxy from the environment. */
static P11CMP_CTX *ctx_for(int port)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    ck_assert_ptr_nonnull(ctx);
    ck_assert(P11CMP_CTX_set1_server(ctx, "127.0.0.1"));
    ck_assert(P11CMP_CTX_set_serverPort(ctx, port));
    ck_assert(P11CMP_CTX_set1_proxy(ctx, ""));
    return ctx;
}

/* A transfer of genm over ctx fails with reason (left on the stack). */
static void transfer_fails(P11CMP_CTX *ctx, int reason)
{
    ck_assert_ptr_null(p11cmp_ctx_transfer(ctx, genm));
    ck_assert_int_eq(last_reason(), reason);
}

/* Sends genm over ctx and checks that a GENP with the same
 * transactionID came back, decoded with its received DER kept. */
static void send_genm_ok(P11CMP_CTX *ctx)
{
    P11CMP_MSG *rsp = p11cmp_ctx_transfer(ctx, genm);

    if (rsp == NULL)
        ERR_print_errors_fp(stderr);
    ck_assert_ptr_nonnull(rsp);
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(rsp), P11CMP_PKIBODY_GENP);
    ck_assert_ptr_nonnull(rsp->rcvd_protpart);
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(
        P11CMP_HDR_get0_transactionID(P11CMP_MSG_get0_header(rsp)),
        P11CMP_HDR_get0_transactionID(P11CMP_MSG_get0_header(genm))), 0);
    P11CMP_MSG_free(rsp);
}

/* --- exchange and keep-alive ------------------------------------------ */

START_TEST(test_genm_roundtrip)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    P11CMP_MSG *rsp = P11CMP_MSG_http_perform(ctx, genm);

    ck_assert_ptr_nonnull(rsp);
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(rsp), P11CMP_PKIBODY_GENP);
    P11CMP_MSG_free(rsp);
    P11CMP_CTX_free(ctx);
}
END_TEST

/*
 * 20 messages over one kept-alive connection: one connection on the
 * server side, and no delayed-ACK stall (~40 ms per message without
 * TCP_NODELAY, i.e. > 760 ms for 20).
 */
START_TEST(test_keepalive_one_connection_no_stall)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    double t0, elapsed;
    int i;

    send_genm_ok(ctx); /* connection set up outside the timing */
    t0 = now_s();
    for (i = 0; i < 20; i++) {
        send_genm_ok(ctx);
        ck_assert_ptr_nonnull(ctx->http_ctx);
    }
    elapsed = now_s() - t0;
    fprintf(stderr, "check_http: 20 kept-alive messages in %.1f ms\n",
            elapsed * 1000);
    ck_assert_double_lt(elapsed, 0.300 * slowness());
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 1);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(test_keepalive_0_one_connection_per_message)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    int i;

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_KEEP_ALIVE, 0));
    for (i = 0; i < 3; i++) {
        send_genm_ok(ctx);
        ck_assert_ptr_null(ctx->http_ctx);
    }
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 3);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* The server answers "Connection: close" to its last request. */
START_TEST(test_keepalive_2_server_closes)
{
    P11CMP_CTX *ctx;

    restart_ca("--max-requests=1");
    ctx = ctx_for(ca.port);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_KEEP_ALIVE, 2));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    ck_assert_int_eq(ERR_GET_LIB(ERR_peek_error()), ERR_LIB_HTTP);
    ck_assert_int_eq(ERR_GET_REASON(ERR_peek_error()),
                     HTTP_R_SERVER_CANCELED_CONNECTION);
    ck_assert_ptr_null(ctx->http_ctx);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

/* With keep-alive 1 the same server answer just ends the connection. */
START_TEST(test_keepalive_1_server_closes)
{
    P11CMP_CTX *ctx;

    restart_ca("--max-requests=1");
    ctx = ctx_for(ca.port);
    send_genm_ok(ctx);
    ck_assert_ptr_null(ctx->http_ctx);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(test_reinit_closes_connection)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);

    send_genm_ok(ctx);
    ck_assert_ptr_nonnull(ctx->http_ctx);
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert_ptr_null(ctx->http_ctx);
    send_genm_ok(ctx);
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 2);
    p11cmp_http_close(ctx, 1);
    ck_assert_ptr_null(ctx->http_ctx);
    P11CMP_CTX_free(ctx);
}
END_TEST

/*
 * A kept-alive connection the server dropped while idle (--io-timeout) is
 * noticed before the next request and replaced by a new one.
 */
START_TEST(test_keepalive_server_dropped_idle)
{
    struct timespec nap = { 0, 100000000 };
    P11CMP_CTX *ctx;
    sigset_t set;
    int i;

    restart_ca("--io-timeout=1");
    ctx = ctx_for(ca.port);
    send_genm_ok(ctx);
    ck_assert_ptr_nonnull(ctx->http_ctx);
    for (i = 0; i < 50 && testca_log_count(&ca, "closing idle") == 0; i++)
        nanosleep(&nap, NULL);
    ck_assert_int_eq(testca_log_count(&ca, "closing idle"), 1);
    send_genm_ok(ctx);
    ck_assert_ptr_nonnull(ctx->http_ctx);
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 2);
    /* unnoticed (socket unknown): the request fails, SIGPIPE or not */
    for (i = 0; i < 50 && testca_log_count(&ca, "closing idle") < 2; i++)
        nanosleep(&nap, NULL);
    ck_assert_int_eq(testca_log_count(&ca, "closing idle"), 2);
    ctx->http_fd = -1;
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    ERR_clear_error();
    ck_assert(sigpending(&set) == 0);
    ck_assert_int_eq(sigismember(&set, SIGPIPE), 0);
    ck_assert(pthread_sigmask(SIG_BLOCK, NULL, &set) == 0);
    ck_assert_int_eq(sigismember(&set, SIGPIPE), 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* --- timeouts, limits, errors ----------------------------------------- */

/*
 * A transfer on ctx (whose timeout is 2 s) fails with reason after 1 to
 * 3.5 s; the error stays on the stack for the caller.
 */
static void assert_times_out(P11CMP_CTX *ctx, int reason)
{
    double t0 = now_s(), elapsed;

    transfer_fails(ctx, reason);
    elapsed = now_s() - t0;
    ck_assert_double_ge(elapsed, 1.0);
    ck_assert_double_lt(elapsed, 3.5 * slowness());
}

START_TEST(test_msg_timeout)
{
    int port = 0, lfd = silent_listener(&port);
    P11CMP_CTX *ctx;

    ck_assert_int_ge(lfd, 0);
    ctx = ctx_for(port);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MSG_TIMEOUT, 2));
    assert_times_out(ctx, P11CMP_R_TRANSFER_ERROR);
    ck_assert_ptr_nonnull(strstr(last_data(), "no response within 2 s"));
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
    close(lfd);
}
END_TEST

START_TEST(test_total_timeout)
{
    int port = 0, lfd = silent_listener(&port);
    P11CMP_CTX *ctx;

    ck_assert_int_ge(lfd, 0);
    ctx = ctx_for(port);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MSG_TIMEOUT, 30));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_TOTAL_TIMEOUT, 2));
    p11cmp_ctx_start_timer(ctx);
    ck_assert(ctx->end_time != 0);
    assert_times_out(ctx, P11CMP_R_TOTAL_TIMEOUT);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
    close(lfd);
}
END_TEST

/* A passed deadline fails at once, without connecting. */
START_TEST(test_total_timeout_passed)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_TOTAL_TIMEOUT, 5));
    ctx->end_time = time(NULL) - 1;
    transfer_fails(ctx, P11CMP_R_TOTAL_TIMEOUT);
    ERR_clear_error();
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 0);
    /* reinit drops the deadline */
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(ctx->end_time == 0);
    send_genm_ok(ctx);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(test_response_too_large)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);

    ctx->max_resp_len = 100;
    transfer_fails(ctx, P11CMP_R_RESPONSE_TOO_LARGE);
    ck_assert_ptr_null(ctx->http_ctx);
    ERR_clear_error();
    ctx->max_resp_len = 1024 * 1024;
    send_genm_ok(ctx);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(test_connection_refused)
{
    int port = refused_port();
    P11CMP_CTX *ctx;
    char url[128];
    double t0;

    ck_assert_int_gt(port, 0);
    ctx = ctx_for(port);
    ck_assert(P11CMP_CTX_set1_serverPath(ctx, "pkix/"));
    /* libcrypto retries a refused connect until the timeout */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MSG_TIMEOUT, 1));
    t0 = now_s();
    ck_assert_ptr_null(p11cmp_ctx_transfer(ctx, genm));
    ck_assert_double_lt(now_s() - t0, 2.5 * slowness());
    ck_assert_int_eq(last_reason(), P11CMP_R_TRANSFER_ERROR);
    (void)snprintf(url, sizeof(url), "server=http://127.0.0.1:%d/pkix/, "
                   "no connection within 1 s", port);
    ck_assert_str_eq(last_data(), url);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(test_missing_server)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    transfer_fails(ctx, P11CMP_R_MISSING_SERVER);
    ERR_clear_error();
    ck_assert_ptr_null(p11cmp_ctx_transfer(NULL, genm));
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ck_assert_ptr_null(P11CMP_MSG_http_perform(ctx, NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

/* --- server address forms --------------------------------------------- */

START_TEST(test_server_url_forms)
{
    P11CMP_CTX *ctx;
    char server[128];

    restart_ca("--path=/pkix/");
    ctx = ctx_for(0);
    (void)snprintf(server, sizeof(server), "127.0.0.1:%d/pkix/", ca.port);
    ck_assert(P11CMP_CTX_set1_server(ctx, server));
    send_genm_ok(ctx);
    (void)snprintf(server, sizeof(server), "http://127.0.0.1:%d/other",
                   ca.port);
    ck_assert(P11CMP_CTX_set1_server(ctx, server));
    ck_assert(P11CMP_CTX_set1_serverPath(ctx, "pkix/")); /* path wins */
    send_genm_ok(ctx);
    ck_assert(P11CMP_CTX_set1_serverPath(ctx, "/wrong/"));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

/* --- proxy ------------------------------------------------------------ */

static void check_proxied(const PROXY *proxy, int connections)
{
    char want[128];

    ck_assert_int_eq(__atomic_load_n(&proxy->connections, __ATOMIC_SEQ_CST),
                     connections);
    (void)snprintf(want, sizeof(want), "POST http://127.0.0.1:%d/pkix/ ",
                   ca.port);
    ck_assert_int_eq(strncmp(proxy->request_line, want, strlen(want)), 0);
}

/* starts proxy in front of the CA; url: prefix, its host:port, suffix */
static void proxy_up(PROXY *proxy, char *url, size_t len, const char *prefix,
                     const char *suffix)
{
    ck_assert(proxy_start(proxy, ca.port, NULL));
    (void)snprintf(url, len, "%s127.0.0.1:%d%s", prefix, proxy->port,
                   suffix);
}

START_TEST(test_proxy)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    PROXY proxy;
    char url[64];

    proxy_up(&proxy, url, sizeof(url), "http://", "");
    ck_assert(P11CMP_CTX_set1_proxy(ctx, url));
    ck_assert(P11CMP_CTX_set1_no_proxy(ctx, "localhost, example.org"));
    ck_assert(P11CMP_CTX_set1_serverPath(ctx, "/pkix/"));
    send_genm_ok(ctx);
    proxy_stop(&proxy);
    check_proxied(&proxy, 1);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(test_no_proxy_bypass)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    PROXY proxy;
    char url[64];

    proxy_up(&proxy, url, sizeof(url), "", "");
    ck_assert(P11CMP_CTX_set1_proxy(ctx, url));
    ck_assert(P11CMP_CTX_set1_no_proxy(ctx, "example.org,127.0.0.1"));
    send_genm_ok(ctx);
    proxy_stop(&proxy);
    ck_assert_int_eq(proxy.connections, 0);
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 1);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* Unset proxy and no_proxy: http_proxy / no_proxy of the environment. */
START_TEST(test_proxy_from_environment)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    PROXY proxy;
    char url[64];

    proxy_up(&proxy, url, sizeof(url), "http://", "/");
    ck_assert(setenv("http_proxy", url, 1) == 0);
    ck_assert(unsetenv("no_proxy") == 0 && unsetenv("NO_PROXY") == 0);
    ck_assert(P11CMP_CTX_set1_proxy(ctx, NULL));
    ck_assert(P11CMP_CTX_set1_serverPath(ctx, "/pkix/"));
    send_genm_ok(ctx);
    ck_assert_int_eq(__atomic_load_n(&proxy.connections, __ATOMIC_SEQ_CST),
                     1);
    /* no_proxy from the environment bypasses it */
    ck_assert(setenv("no_proxy", "127.0.0.1", 1) == 0);
    send_genm_ok(ctx);
    ck_assert_int_eq(__atomic_load_n(&proxy.connections, __ATOMIC_SEQ_CST),
                     1);
    ck_assert(unsetenv("no_proxy") == 0);
    /* an empty proxy string forbids the proxy */
    ck_assert(P11CMP_CTX_set1_proxy(ctx, ""));
    send_genm_ok(ctx);
    proxy_stop(&proxy);
    check_proxied(&proxy, 1);
    ck_assert(unsetenv("http_proxy") == 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* --- callbacks -------------------------------------------------------- */

static int cb_connects, cb_disconnects, cb_detail, cb_ok;
static void *cb_arg_seen;

static BIO *count_cb(BIO *bio, void *arg, int connect, int detail)
{
    cb_arg_seen = arg;
    if (connect) {
        cb_connects++;
        cb_detail = detail;
    } else {
        cb_disconnects++;
        cb_ok = detail;
    }
    return bio;
}

/* A set http_cb_arg means TLS (OpenSSL 3.0's rule); a callback that
 * leaves the BIO alone gets plain HTTP through anyway. */
START_TEST(test_http_cb)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    int arg = 42;

    cb_connects = cb_disconnects = cb_detail = cb_ok = 0;
    ck_assert(P11CMP_CTX_set_http_cb(ctx, count_cb));
    send_genm_ok(ctx);
    ck_assert_int_eq(cb_connects, 1);
    ck_assert_int_eq(cb_detail, 0);
    ck_assert_ptr_null(cb_arg_seen);
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert_int_eq(cb_disconnects, 1);
    ck_assert_int_eq(cb_ok, 1);
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, &arg));
    send_genm_ok(ctx);
    send_genm_ok(ctx);
    ck_assert_int_eq(cb_connects, 2);
    ck_assert_int_eq(cb_detail, 1);
    ck_assert_ptr_eq(cb_arg_seen, &arg);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(cb_disconnects, 2);
}
END_TEST

/* P11CMP_OPT_USE_TLS (OpenSSL 3.5) overrides what http_cb_arg says */
START_TEST(test_use_tls_option)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    int arg = 42;

    cb_connects = cb_disconnects = cb_detail = cb_ok = 0;
    ck_assert(P11CMP_CTX_set_http_cb(ctx, count_cb));
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, &arg));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_USE_TLS, 0));
    send_genm_ok(ctx);
    ck_assert_int_eq(cb_connects, 1);
    ck_assert_int_eq(cb_detail, 0);
    ck_assert(P11CMP_CTX_reinit(ctx));
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, NULL));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_USE_TLS, 1));
    send_genm_ok(ctx);     /* count_cb leaves the BIO alone: plain HTTP */
    ck_assert_int_eq(cb_connects, 2);
    ck_assert_int_eq(cb_detail, 1);
    ck_assert(!P11CMP_CTX_set_option(ctx, P11CMP_OPT_USE_TLS, 2));
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(test_tls_without_http_cb)
{
    P11CMP_CTX *ctx = ctx_for(ca.port);
    int arg = 1;

    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, &arg));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    ERR_clear_error();
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* The server side and a client side trusting it (or not). */
static void tls_ctxs(SSL_CTX **server, SSL_CTX **client, int trust)
{
    X509 *cert;

    *server = tls_server_ctx(&cert);
    *client = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(*server);
    ck_assert_ptr_nonnull(*client);
    SSL_CTX_set_verify(*client, SSL_VERIFY_PEER, NULL);
    if (trust)
        ck_assert(X509_STORE_add_cert(SSL_CTX_get_cert_store(*client),
                                      cert));
    X509_free(cert);
}

/* HTTPS through the http_cb to a TLS front end of the test CA. */
START_TEST(test_tls)
{
    SSL_CTX *server, *client, *other;
    P11CMP_CTX *ctx = ctx_for(0);
    PROXY front;
    char url[128];

    tls_ctxs(&server, &client, 1);
    ck_assert(proxy_start(&front, ca.port, server));
    ck_assert(P11CMP_CTX_set_serverPort(ctx, front.port));
    ck_assert(P11CMP_CTX_set1_serverPath(ctx, "/pkix/"));
    ck_assert(P11CMP_CTX_set_http_cb(ctx, tls_http_cb));
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, client));
    tls_http_cb_connects = 0;
    send_genm_ok(ctx);
    ck_assert_int_eq(tls_http_cb_connects, 1);
    ck_assert_int_eq(__atomic_load_n(&front.connections, __ATOMIC_SEQ_CST),
                     1);
    /* a server the client does not trust */
    SSL_CTX_free(client);
    tls_ctxs(&other, &client, 0);
    SSL_CTX_free(other);
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, client));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    (void)snprintf(url, sizeof(url), "server=https://127.0.0.1:%d/pkix/",
                   front.port);
    ck_assert_int_eq(strncmp(last_data(), url, strlen(url)), 0);
    ERR_clear_error();
    proxy_stop(&front);
    ck_assert_str_eq(front.request_line, "POST /pkix/ HTTP/1.0");
    P11CMP_CTX_free(ctx);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}
END_TEST

/* A TLS server requiring a client certificate the client lacks: with
 * TLS 1.3 the client learns it only when reading the answer. */
START_TEST(test_tls_client_cert_required)
{
    SSL_CTX *server, *client;
    P11CMP_CTX *ctx = ctx_for(0);
    PROXY front;
    char url[128];

    tls_ctxs(&server, &client, 1);
    SSL_CTX_set_verify(server, SSL_VERIFY_PEER
                       | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    ck_assert(proxy_start(&front, ca.port, server));
    ck_assert(P11CMP_CTX_set_serverPort(ctx, front.port));
    ck_assert(P11CMP_CTX_set_http_cb(ctx, tls_http_cb));
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, client));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    (void)snprintf(url, sizeof(url), "server=https://127.0.0.1:%d/",
                   front.port);
    ck_assert_int_eq(strncmp(last_data(), url, strlen(url)), 0);
    ck_assert_ptr_null(ctx->http_ctx);
    ERR_clear_error();
    proxy_stop(&front);
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 0);
    P11CMP_CTX_free(ctx);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}
END_TEST

/* Port 0: 80 for HTTP, 443 for HTTPS (nothing listens there). */
START_TEST(test_default_ports)
{
    P11CMP_CTX *ctx = ctx_for(0);
    const char *want = "server=http://127.0.0.1:80/";

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MSG_TIMEOUT, 1));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    ck_assert_int_eq(strncmp(last_data(), want, strlen(want)), 0);
    ERR_clear_error();
    want = "server=https://127.0.0.1:443/";
    ck_assert(P11CMP_CTX_set_http_cb(ctx, count_cb));
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, ctx));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    ck_assert_int_eq(strncmp(last_data(), want, strlen(want)), 0);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

static int transfer_calls;

static P11CMP_MSG *echo_transfer(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    transfer_calls++;
    ck_assert_ptr_eq(P11CMP_CTX_get_transfer_cb_arg(ctx), &transfer_calls);
    return P11CMP_MSG_dup(req);
}

static P11CMP_MSG *fail_transfer(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    (void)ctx;
    (void)req;
    transfer_calls++;
    return NULL;
}

/* A transfer_cb replaces HTTP: no server needed, none contacted. */
START_TEST(test_transfer_cb)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    P11CMP_MSG *rsp;

    transfer_calls = 0;
    ck_assert(P11CMP_CTX_set_transfer_cb(ctx, echo_transfer));
    ck_assert(P11CMP_CTX_set_transfer_cb_arg(ctx, &transfer_calls));
    rsp = p11cmp_ctx_transfer(ctx, genm);
    ck_assert_ptr_nonnull(rsp);
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(rsp), P11CMP_PKIBODY_GENM);
    ck_assert_int_eq(transfer_calls, 1);
    P11CMP_MSG_free(rsp);
    ck_assert(P11CMP_CTX_set_transfer_cb(ctx, fail_transfer));
    transfer_fails(ctx, P11CMP_R_TRANSFER_ERROR);
    ck_assert_int_eq(transfer_calls, 2);
    ERR_clear_error();
    /* TOTAL_TIMEOUT applies to the callback too */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_TOTAL_TIMEOUT, 5));
    ctx->end_time = time(NULL) - 1;
    transfer_fails(ctx, P11CMP_R_TOTAL_TIMEOUT);
    ck_assert_int_eq(transfer_calls, 2);
    ERR_clear_error();
    ck_assert_int_eq(testca_log_count(&ca, ACCEPTED), 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("http");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_genm_roundtrip);
    tcase_add_test(tc, test_keepalive_one_connection_no_stall);
    tcase_add_test(tc, test_keepalive_0_one_connection_per_message);
    tcase_add_test(tc, test_keepalive_2_server_closes);
    tcase_add_test(tc, test_keepalive_1_server_closes);
    tcase_add_test(tc, test_reinit_closes_connection);
    tcase_add_test(tc, test_keepalive_server_dropped_idle);
    tcase_add_test(tc, test_msg_timeout);
    tcase_add_test(tc, test_total_timeout);
    tcase_add_test(tc, test_total_timeout_passed);
    tcase_add_test(tc, test_response_too_large);
    tcase_add_test(tc, test_connection_refused);
    tcase_add_test(tc, test_missing_server);
    tcase_add_test(tc, test_server_url_forms);
    tcase_add_test(tc, test_proxy);
    tcase_add_test(tc, test_no_proxy_bypass);
    tcase_add_test(tc, test_proxy_from_environment);
    tcase_add_test(tc, test_http_cb);
    tcase_add_test(tc, test_use_tls_option);
    tcase_add_test(tc, test_tls_without_http_cb);
    tcase_add_test(tc, test_tls);
    tcase_add_test(tc, test_tls_client_cert_required);
    tcase_add_test(tc, test_default_ports);
    tcase_add_test(tc, test_transfer_cb);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(http_suite(), CK_NORMAL);

    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
