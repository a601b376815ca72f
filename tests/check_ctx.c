/*
 * tests/check_ctx.c - unit tests of src/ctx.c: option defaults and ranges,
 * set/get round trips, ownership (set0 takes, set1 copies or up-refs, get1
 * gives new references), NULL-context errors, reinit, logging and the
 * chain building of the CMP signer cert. Linked against the internal
 * library so that it can look into struct p11cmp_ctx_st.
 */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <p11cmp/p11cmp.h>

#include "local.h"
#include "build_fixture.h"
#include "check_main.h"
#include "last_reason.h"

static P11CMP_CTX *new_ctx(void)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    ck_assert_ptr_nonnull(key);
    return key;
}

/*
 * A certificate for key named cn, signed by issuer/ikey, or self-signed
 * if issuer is NULL; a CA if ca is set.
 */
static X509 *new_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                      EVP_PKEY *ikey, int ca)
{
    return fx_issue(key, cn, issuer, ikey != NULL ? ikey : key, EVP_sha256(),
                    ca, NULL);
}

static X509 *new_leaf(const char *cn)
{
    EVP_PKEY *key = new_key();
    X509 *cert = new_cert(cn, key, NULL, NULL, 0);

    EVP_PKEY_free(key);
    return cert;
}

START_TEST(options_have_openssl_defaults)
{
    static const struct { int opt, val; } defaults[] = {
        {P11CMP_OPT_LOG_VERBOSITY, P11CMP_LOG_INFO},
        {P11CMP_OPT_KEEP_ALIVE, 1},
        {P11CMP_OPT_MSG_TIMEOUT, -1}, /* P11CMP_DEFAULT_MSG_TIMEOUT */
        {P11CMP_OPT_TOTAL_TIMEOUT, 0},
        {P11CMP_OPT_USE_TLS, -1},
        {P11CMP_OPT_VALIDITY_DAYS, 0},
        {P11CMP_OPT_SUBJECTALTNAME_NODEFAULT, 0},
        {P11CMP_OPT_SUBJECTALTNAME_CRITICAL, 0},
        {P11CMP_OPT_POLICIES_CRITICAL, 0},
        {P11CMP_OPT_POPO_METHOD, P11CMP_POPO_SIGNATURE},
        {P11CMP_OPT_IMPLICIT_CONFIRM, 0},
        {P11CMP_OPT_DISABLE_CONFIRM, 0},
        {P11CMP_OPT_REVOCATION_REASON, -1},
        {P11CMP_OPT_UNPROTECTED_SEND, 0},
        {P11CMP_OPT_UNPROTECTED_ERRORS, 0},
        {P11CMP_OPT_OWF_ALGNID, NID_sha256},
        {P11CMP_OPT_MAC_ALGNID, NID_hmacWithSHA256},
        {P11CMP_OPT_DIGEST_ALGNID, NID_sha256},
        {P11CMP_OPT_IGNORE_KEYUSAGE, 0},
        {P11CMP_OPT_PERMIT_TA_IN_EXTRACERTS_FOR_IR, 0},
        {P11CMP_OPT_NO_CACHE_EXTRACERTS, 0},
        {P11CMP_OPT_PBM_ITERATIONS, 500},
    };
    P11CMP_CTX *ctx = new_ctx();
    size_t i;

    for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        ck_assert_int_eq(P11CMP_CTX_get_option(ctx, defaults[i].opt),
                         defaults[i].val);
    ck_assert_int_eq(ERR_peek_error(), 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(other_fields_start_empty)
{
    P11CMP_CTX *ctx = new_ctx();
    STACK_OF(X509) *certs;

    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), -1);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx), -1);
    ck_assert_ptr_null(P11CMP_CTX_get0_statusString(ctx));
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
    ck_assert_ptr_null(P11CMP_CTX_get0_newPkey(ctx, 0));
    ck_assert_ptr_null(P11CMP_CTX_get_http_cb_arg(ctx));
    ck_assert_ptr_null(P11CMP_CTX_get_transfer_cb_arg(ctx));
    ck_assert_ptr_null(P11CMP_CTX_get_certConf_cb_arg(ctx));
    ck_assert_ptr_nonnull(P11CMP_CTX_get0_trustedStore(ctx));
    ck_assert_ptr_nonnull(P11CMP_CTX_get0_untrusted(ctx));
    ck_assert_int_eq(sk_X509_num(P11CMP_CTX_get0_untrusted(ctx)), 0);
    ck_assert_int_eq(P11CMP_CTX_reqExtensions_have_SAN(ctx), 0);
    certs = P11CMP_CTX_get1_caPubs(ctx);
    ck_assert_ptr_nonnull(certs);
    ck_assert_int_eq(sk_X509_num(certs), 0);
    sk_X509_free(certs);
    certs = P11CMP_CTX_get1_extraCertsIn(ctx);
    ck_assert_int_eq(sk_X509_num(certs), 0);
    sk_X509_free(certs);
    certs = P11CMP_CTX_get1_newChain(ctx);
    ck_assert_int_eq(sk_X509_num(certs), 0);
    sk_X509_free(certs);
    ck_assert_ptr_null(ctx->serverPath);
    ck_assert_int_eq(ctx->serverPort, 0);
    ck_assert_int_eq(ERR_peek_error(), 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* Each option's lowest and highest accepted value. */
static const struct { int opt, min, max; } ranges[] = {
    {P11CMP_OPT_LOG_VERBOSITY, 0, 8},
    {P11CMP_OPT_KEEP_ALIVE, 0, 2},
    {P11CMP_OPT_MSG_TIMEOUT, 0, INT_MAX},
    {P11CMP_OPT_TOTAL_TIMEOUT, 0, INT_MAX},
    {P11CMP_OPT_VALIDITY_DAYS, 0, INT_MAX},
    {P11CMP_OPT_SUBJECTALTNAME_NODEFAULT, 0, INT_MAX},
    {P11CMP_OPT_SUBJECTALTNAME_CRITICAL, 0, INT_MAX},
    {P11CMP_OPT_POLICIES_CRITICAL, 0, INT_MAX},
    {P11CMP_OPT_POPO_METHOD, -1, 3},
    {P11CMP_OPT_IMPLICIT_CONFIRM, 0, INT_MAX},
    {P11CMP_OPT_DISABLE_CONFIRM, 0, INT_MAX},
    {P11CMP_OPT_REVOCATION_REASON, -1, 10},
    {P11CMP_OPT_UNPROTECTED_SEND, 0, INT_MAX},
    {P11CMP_OPT_UNPROTECTED_ERRORS, 0, INT_MAX},
    {P11CMP_OPT_IGNORE_KEYUSAGE, 0, INT_MAX},
    {P11CMP_OPT_PERMIT_TA_IN_EXTRACERTS_FOR_IR, 0, INT_MAX},
    {P11CMP_OPT_PBM_ITERATIONS, 1, 100000},
};

START_TEST(option_range_limits)
{
    P11CMP_CTX *ctx = new_ctx();
    int opt = ranges[_i].opt, min = ranges[_i].min, max = ranges[_i].max;
    int before = P11CMP_CTX_get_option(ctx, opt);

    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, opt, min - 1), 0);
    ASSERT_REASON(P11CMP_R_OPTION_VALUE_OUT_OF_RANGE);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, opt), before);
    if (max < INT_MAX) {
        ck_assert_int_eq(P11CMP_CTX_set_option(ctx, opt, max + 1), 0);
        ASSERT_REASON(P11CMP_R_OPTION_VALUE_OUT_OF_RANGE);
        ck_assert_int_eq(P11CMP_CTX_get_option(ctx, opt), before);
    }
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, opt, min), 1);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, opt), min);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, opt, max), 1);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, opt), max);
    ck_assert_int_eq(ERR_peek_error(), 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(revocation_reason_7_is_rejected)
{
    P11CMP_CTX *ctx = new_ctx();

    ck_assert_int_eq(P11CMP_CTX_set_option(ctx,
                                           P11CMP_OPT_REVOCATION_REASON, 7),
                     0);
    ASSERT_REASON(P11CMP_R_OPTION_VALUE_OUT_OF_RANGE);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx,
                                           P11CMP_OPT_REVOCATION_REASON), -1);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx,
                                           P11CMP_OPT_REVOCATION_REASON, 6),
                     1);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx,
                                           P11CMP_OPT_REVOCATION_REASON, 8),
                     1);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(unknown_option_is_invalid)
{
    static const int bad[] = { -1, 1, 14, 28, 38, 99, 199 };
    P11CMP_CTX *ctx = new_ctx();
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(P11CMP_CTX_set_option(ctx, bad[i], 0), 0);
        ASSERT_REASON(P11CMP_R_INVALID_OPTION);
        ck_assert_int_eq(P11CMP_CTX_get_option(ctx, bad[i]), -1);
        ASSERT_REASON(P11CMP_R_INVALID_OPTION);
    }
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(algorithm_options_take_only_usable_nids)
{
    P11CMP_CTX *ctx = new_ctx();

    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_DIGEST_ALGNID,
                                           NID_sha384), 1);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_DIGEST_ALGNID),
                     NID_sha384);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_OWF_ALGNID,
                                           NID_sha512), 1);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MAC_ALGNID,
                                           NID_hmac_sha1), 1);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_MAC_ALGNID),
                     NID_hmac_sha1);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_DIGEST_ALGNID,
                                           NID_undef), 0);
    ASSERT_REASON(P11CMP_R_OPTION_VALUE_OUT_OF_RANGE);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_DIGEST_ALGNID,
                                           NID_commonName), 0);
    ASSERT_REASON(P11CMP_R_UNSUPPORTED_ALGORITHM);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_OWF_ALGNID,
                                           NID_rsaEncryption), 0);
    ASSERT_REASON(P11CMP_R_UNSUPPORTED_ALGORITHM);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MAC_ALGNID,
                                           NID_sha256), 0);
    ASSERT_REASON(P11CMP_R_UNSUPPORTED_ALGORITHM);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_DIGEST_ALGNID),
                     NID_sha384);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_MAC_ALGNID),
                     NID_hmac_sha1);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(log_verbosity_macro_sets_the_option)
{
    P11CMP_CTX *ctx = new_ctx();

    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, P11CMP_LOG_DEBUG), 1);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_LOG_VERBOSITY),
                     P11CMP_LOG_DEBUG);
    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, 9), 0);
    ASSERT_REASON(P11CMP_R_OPTION_VALUE_OUT_OF_RANGE);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* What the log callback received. */
#define MAX_LOGGED 32
static struct {
    int n;
    int level[MAX_LOGGED];
    char msg[MAX_LOGGED][256];
    char func[MAX_LOGGED][64];
} logged;

static int collect_log(const char *func, const char *file, int line,
                       P11CMP_severity level, const char *msg)
{
    (void)file;
    (void)line;
    if (logged.n < MAX_LOGGED) {
        logged.level[logged.n] = level;
        strncpy(logged.msg[logged.n], msg, sizeof(logged.msg[0]) - 1);
        strncpy(logged.func[logged.n], func, sizeof(logged.func[0]) - 1);
    }
    logged.n++;
    return 1;
}

static void log_one_of_each(P11CMP_CTX *ctx)
{
    p11cmp_log_err(ctx, "e %d", 3);
    p11cmp_log_warn(ctx, "w %d", 4);
    p11cmp_log_info(ctx, "i %d", 6);
    p11cmp_log_debug(ctx, "d %d", 7);
    p11cmp_log_trace(ctx, "t %d", 8);
}

START_TEST(log_cb_gets_messages_up_to_verbosity)
{
    P11CMP_CTX *ctx = new_ctx();

    memset(&logged, 0, sizeof(logged));
    log_one_of_each(ctx);
    ck_assert_int_eq(logged.n, 0); /* no callback: dropped */

    ck_assert_int_eq(P11CMP_CTX_set_log_cb(ctx, collect_log), 1);
    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, P11CMP_LOG_WARNING),
                     1);
    log_one_of_each(ctx);
    ck_assert_int_eq(logged.n, 2);
    ck_assert_int_eq(logged.level[0], P11CMP_LOG_ERR);
    ck_assert_str_eq(logged.msg[0], "e 3");
    ck_assert_str_eq(logged.func[0], "log_one_of_each");
    ck_assert_int_eq(logged.level[1], P11CMP_LOG_WARNING);
    ck_assert_str_eq(logged.msg[1], "w 4");

    memset(&logged, 0, sizeof(logged));
    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, P11CMP_LOG_DEBUG), 1);
    log_one_of_each(ctx);
    ck_assert_int_eq(logged.n, 4);
    ck_assert_int_eq(logged.level[3], P11CMP_LOG_DEBUG);
    ck_assert_str_eq(logged.msg[3], "d 7");

    memset(&logged, 0, sizeof(logged));
    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, P11CMP_LOG_TRACE), 1);
    log_one_of_each(ctx);
    ck_assert_int_eq(logged.n, 5);

    memset(&logged, 0, sizeof(logged));
    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, P11CMP_LOG_CRIT), 1);
    log_one_of_each(ctx);
    ck_assert_int_eq(logged.n, 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(print_errors_goes_through_log_cb)
{
    P11CMP_CTX *ctx = new_ctx();

    memset(&logged, 0, sizeof(logged));
    ck_assert_int_eq(P11CMP_CTX_set_log_cb(ctx, collect_log), 1);
    ERR_clear_error();
    ERR_raise_data(P11CMP_ERR_get_lib(), P11CMP_R_BAD_MAC, "count=%d", 7);
    ERR_raise(P11CMP_ERR_get_lib(), P11CMP_R_TOTAL_TIMEOUT);
    P11CMP_CTX_print_errors(ctx);
    ck_assert_int_eq(ERR_peek_error(), 0);
    ck_assert_int_eq(logged.n, 2);
    ck_assert_int_eq(logged.level[0], P11CMP_LOG_ERR);
    ck_assert_str_eq(logged.msg[0], "p11cmp: MAC does not verify: count=7");
    ck_assert_str_eq(logged.msg[1], "p11cmp: total timeout");

    /* below LOG_ERR nothing is printed */
    memset(&logged, 0, sizeof(logged));
    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, P11CMP_LOG_CRIT), 1);
    ERR_raise(P11CMP_ERR_get_lib(), P11CMP_R_TOTAL_TIMEOUT);
    P11CMP_CTX_print_errors(ctx);
    ck_assert_int_eq(logged.n, 0);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(secret_value_never_shows)
{
    static const char secret[] = "TopSecret-42";
    P11CMP_CTX *ctx = new_ctx();
    int i;

    memset(&logged, 0, sizeof(logged));
    ck_assert_int_eq(P11CMP_CTX_set_log_cb(ctx, collect_log), 1);
    ck_assert_int_eq(P11CMP_CTX_set_log_verbosity(ctx, P11CMP_LOG_TRACE), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_secretValue(ctx,
                         (const unsigned char *)secret, strlen(secret)), 1);
    ck_assert_ptr_nonnull(ctx->secretValue);
    ck_assert_int_eq(ctx->secretValue->length, (int)strlen(secret));
    ck_assert_int_eq(P11CMP_CTX_set1_secretValue(ctx,
                         (const unsigned char *)secret, -1), 0);
    P11CMP_CTX_print_errors(ctx);
    ck_assert_int_eq(P11CMP_CTX_reinit(ctx), 1);
    ck_assert_int_gt(logged.n, 0);
    for (i = 0; i < logged.n && i < MAX_LOGGED; i++)
        ck_assert_ptr_null(strstr(logged.msg[i], "TopSecret"));
    /* it is kept across reinit, and clearing it drops it */
    ck_assert_ptr_nonnull(ctx->secretValue);
    ck_assert_ptr_null(ctx->referenceValue);
    ck_assert_int_eq(P11CMP_CTX_set1_secretValue(ctx, NULL, 0), 1);
    ck_assert_ptr_null(ctx->secretValue);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(string_settings_are_copied)
{
    P11CMP_CTX *ctx = new_ctx();
    char buf[32];

    strcpy(buf, "ca.example");
    ck_assert_int_eq(P11CMP_CTX_set1_server(ctx, buf), 1);
    strcpy(buf, "/pkix/");
    ck_assert_int_eq(P11CMP_CTX_set1_serverPath(ctx, buf), 1);
    strcpy(buf, "proxy:3128");
    ck_assert_int_eq(P11CMP_CTX_set1_proxy(ctx, buf), 1);
    strcpy(buf, "localhost, .lan");
    ck_assert_int_eq(P11CMP_CTX_set1_no_proxy(ctx, buf), 1);
    memset(buf, 'x', sizeof(buf));
    ck_assert_str_eq(ctx->server, "ca.example");
    ck_assert_str_eq(ctx->serverPath, "/pkix/");
    ck_assert_str_eq(ctx->proxy, "proxy:3128");
    ck_assert_str_eq(ctx->no_proxy, "localhost, .lan");
    ck_assert_int_eq(P11CMP_CTX_set1_server(ctx, NULL), 1);
    ck_assert_ptr_null(ctx->server);

    ck_assert_int_eq(P11CMP_CTX_set_serverPort(ctx, 8080), 1);
    ck_assert_int_eq(ctx->serverPort, 8080);
    ck_assert_int_eq(P11CMP_CTX_set_serverPort(ctx, 65535), 1);
    ck_assert_int_eq(P11CMP_CTX_set_serverPort(ctx, 65536), 0);
    ASSERT_REASON(P11CMP_R_INVALID_ARGUMENT);
    ck_assert_int_eq(P11CMP_CTX_set_serverPort(ctx, -1), 0);
    ASSERT_REASON(P11CMP_R_INVALID_ARGUMENT);
    ck_assert_int_eq(ctx->serverPort, 65535);
    P11CMP_CTX_free(ctx);
}
END_TEST

static P11CMP_MSG *dummy_transfer(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    (void)ctx;
    (void)req;
    return NULL;
}

static BIO *dummy_http_cb(BIO *bio, void *arg, int connect, int detail)
{
    (void)arg;
    (void)connect;
    (void)detail;
    return bio;
}

static int dummy_certconf(P11CMP_CTX *ctx, X509 *cert, int fail_info,
                          const char **txt)
{
    (void)ctx;
    (void)cert;
    (void)txt;
    return fail_info;
}

START_TEST(callbacks_and_arguments_round_trip)
{
    P11CMP_CTX *ctx = new_ctx();
    int a, b, c;

    ck_assert_int_eq(P11CMP_CTX_set_http_cb(ctx, dummy_http_cb), 1);
    ck_assert_int_eq(P11CMP_CTX_set_http_cb_arg(ctx, &a), 1);
    ck_assert_int_eq(P11CMP_CTX_set_transfer_cb(ctx, dummy_transfer), 1);
    ck_assert_int_eq(P11CMP_CTX_set_transfer_cb_arg(ctx, &b), 1);
    ck_assert_int_eq(P11CMP_CTX_set_certConf_cb(ctx, dummy_certconf), 1);
    ck_assert_int_eq(P11CMP_CTX_set_certConf_cb_arg(ctx, &c), 1);
    ck_assert_ptr_eq(P11CMP_CTX_get_http_cb_arg(ctx), &a);
    ck_assert_ptr_eq(P11CMP_CTX_get_transfer_cb_arg(ctx), &b);
    ck_assert_ptr_eq(P11CMP_CTX_get_certConf_cb_arg(ctx), &c);
    ck_assert(ctx->http_cb == dummy_http_cb);
    ck_assert(ctx->transfer_cb == dummy_transfer);
    ck_assert(ctx->certConf_cb == dummy_certconf);
    ck_assert_int_eq(P11CMP_CTX_set_transfer_cb_arg(ctx, NULL), 1);
    ck_assert_ptr_null(P11CMP_CTX_get_transfer_cb_arg(ctx));
    ck_assert_int_eq(P11CMP_CTX_reinit(ctx), 1);
    ck_assert_ptr_eq(P11CMP_CTX_get_http_cb_arg(ctx), &a);
    ck_assert(ctx->transfer_cb == dummy_transfer);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(set1_cert_and_key_take_own_reference)
{
    P11CMP_CTX *ctx = new_ctx();
    X509 *cert = new_leaf("client"), *copy = X509_dup(cert);
    EVP_PKEY *key = new_key();

    ck_assert_int_eq(P11CMP_CTX_set1_cert(ctx, cert), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_srvCert(ctx, cert), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_oldCert(ctx, cert), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_pkey(ctx, key), 1);
    X509_free(cert); /* the caller's reference only */
    EVP_PKEY_free(key);
    ck_assert_int_eq(X509_cmp(ctx->cert, copy), 0);
    ck_assert_int_eq(X509_cmp(ctx->srvCert, copy), 0);
    ck_assert_int_eq(X509_cmp(ctx->oldCert, copy), 0);
    ck_assert_int_eq(EVP_PKEY_get_bits(ctx->pkey), 256);
    ck_assert_ptr_eq(P11CMP_CTX_get0_newPkey(ctx, 1), ctx->pkey);
    ck_assert_int_eq(P11CMP_CTX_set1_srvCert(ctx, NULL), 1);
    ck_assert_ptr_null(ctx->srvCert);
    ck_assert_int_eq(P11CMP_CTX_set1_pkey(ctx, NULL), 1);
    ck_assert_ptr_null(ctx->pkey);
    X509_free(copy);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(set1_names_and_csr_are_copies)
{
    P11CMP_CTX *ctx = new_ctx();
    X509_NAME *name = fx_name("subject"), *same = X509_NAME_dup(name);
    X509_REQ *csr = X509_REQ_new();
    EVP_PKEY *key = new_key();

    ck_assert_int_eq(P11CMP_CTX_set1_subjectName(ctx, name), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_issuer(ctx, name), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_recipient(ctx, name), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_expected_sender(ctx, name), 1);
    ck_assert_ptr_ne(ctx->subjectName, name);
    ck_assert_ptr_ne(ctx->issuer, name);
    X509_NAME_free(name);
    ck_assert_int_eq(X509_NAME_cmp(ctx->subjectName, same), 0);
    ck_assert_int_eq(X509_NAME_cmp(ctx->issuer, same), 0);
    ck_assert_int_eq(X509_NAME_cmp(ctx->recipient, same), 0);
    ck_assert_int_eq(X509_NAME_cmp(ctx->expected_sender, same), 0);
    ck_assert_int_eq(P11CMP_CTX_set1_issuer(ctx, NULL), 1);
    ck_assert_ptr_null(ctx->issuer);

    ck_assert(X509_REQ_set_subject_name(csr, same));
    ck_assert(X509_REQ_set_pubkey(csr, key));
    ck_assert_int_gt(X509_REQ_sign(csr, key, EVP_sha256()), 0);
    ck_assert_int_eq(P11CMP_CTX_set1_p10CSR(ctx, csr), 1);
    ck_assert_ptr_ne(ctx->p10CSR, csr);
    X509_REQ_free(csr);
    ck_assert_int_eq(X509_NAME_cmp(X509_REQ_get_subject_name(ctx->p10CSR),
                                   same), 0);
    /* without newPkey the CSR's public key is the one to certify */
    ck_assert_int_eq(EVP_PKEY_eq(P11CMP_CTX_get0_newPkey(ctx, 0), key), 1);
    ck_assert_ptr_null(P11CMP_CTX_get0_newPkey(ctx, 1));
    X509_NAME_free(same);
    EVP_PKEY_free(key);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(new_pkey_set0_and_fallbacks)
{
    P11CMP_CTX *ctx = new_ctx();
    EVP_PKEY *pkey = new_key(), *newkey = new_key(), *pub = new_key();

    ck_assert_int_eq(P11CMP_CTX_set1_pkey(ctx, pkey), 1);
    ck_assert_ptr_eq(P11CMP_CTX_get0_newPkey(ctx, 1), pkey);
    ck_assert_ptr_eq(P11CMP_CTX_get0_newPkey(ctx, 0), pkey);
    ck_assert_int_eq(P11CMP_CTX_set0_newPkey(ctx, 1, newkey), 1);
    ck_assert_ptr_eq(P11CMP_CTX_get0_newPkey(ctx, 1), newkey);
    ck_assert_ptr_eq(P11CMP_CTX_get0_newPkey(ctx, 0), newkey);
    ck_assert_ptr_eq(p11cmp_ctx_get0_newPubkey(ctx), newkey);
    /* set0 takes: the ctx frees newkey when it is replaced */
    ck_assert_int_eq(P11CMP_CTX_set0_newPkey(ctx, 0, pub), 1);
    ck_assert_ptr_null(P11CMP_CTX_get0_newPkey(ctx, 1));
    ck_assert_ptr_eq(P11CMP_CTX_get0_newPkey(ctx, 0), pub);
    ck_assert_int_eq(P11CMP_CTX_set0_newPkey(ctx, 0, NULL), 1);
    ck_assert_ptr_eq(P11CMP_CTX_get0_newPkey(ctx, 1), pkey);
    EVP_PKEY_free(pkey);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(certificate_stacks_are_copied)
{
    P11CMP_CTX *ctx = new_ctx();
    X509 *a = new_leaf("a"), *b = new_leaf("b");
    STACK_OF(X509) *certs = sk_X509_new_null(), *got;

    ck_assert(sk_X509_push(certs, a) && X509_up_ref(a));
    ck_assert(sk_X509_push(certs, b) && X509_up_ref(b));
    ck_assert(sk_X509_push(certs, a) && X509_up_ref(a));
    ck_assert_int_eq(P11CMP_CTX_set1_untrusted(ctx, certs), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_extraCertsOut(ctx, certs), 1);
    ck_assert_int_eq(p11cmp_ctx_set1_caPubs(ctx, certs), 1);
    sk_X509_pop_free(certs, X509_free);
    /* untrusted leaves out the duplicate */
    ck_assert_int_eq(sk_X509_num(P11CMP_CTX_get0_untrusted(ctx)), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(ctx->untrusted, 1), b), 0);
    ck_assert_int_eq(sk_X509_num(ctx->extraCertsOut), 3);

    got = P11CMP_CTX_get1_caPubs(ctx);
    ck_assert_ptr_ne(got, ctx->caPubs);
    ck_assert_int_eq(sk_X509_num(got), 3);
    ck_assert_ptr_eq(sk_X509_value(got, 1), b);
    sk_X509_pop_free(got, X509_free);
    ck_assert_int_eq(X509_cmp(sk_X509_value(ctx->caPubs, 1), b), 0);

    ck_assert_int_eq(P11CMP_CTX_set1_untrusted(ctx, NULL), 1);
    ck_assert_int_eq(sk_X509_num(P11CMP_CTX_get0_untrusted(ctx)), 0);
    ck_assert_int_eq(P11CMP_CTX_set1_extraCertsOut(ctx, NULL), 1);
    ck_assert_ptr_null(ctx->extraCertsOut);
    X509_free(a);
    X509_free(b);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(trusted_store_is_taken)
{
    P11CMP_CTX *ctx = new_ctx();
    X509_STORE *store = X509_STORE_new();

    ck_assert_int_eq(P11CMP_CTX_set0_trustedStore(ctx, store), 1);
    ck_assert_ptr_eq(P11CMP_CTX_get0_trustedStore(ctx), store);
    ck_assert_int_eq(P11CMP_CTX_set0_trustedStore(ctx, NULL), 1);
    ck_assert_ptr_nonnull(P11CMP_CTX_get0_trustedStore(ctx));
    ck_assert_ptr_ne(P11CMP_CTX_get0_trustedStore(ctx), store);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(octet_strings_are_copied)
{
    P11CMP_CTX *ctx = new_ctx();
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
    static const unsigned char ref[] = "user-4711";

    ck_assert(ASN1_OCTET_STRING_set(id, (const unsigned char *)"0123", 4));
    ck_assert_int_eq(P11CMP_CTX_set1_transactionID(ctx, id), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_senderNonce(ctx, id), 1);
    ck_assert_int_eq(p11cmp_ctx_set1_recipNonce(ctx, id), 1);
    ck_assert_ptr_ne(ctx->transactionID, id);
    ASN1_OCTET_STRING_free(id);
    ck_assert_int_eq(ctx->transactionID->length, 4);
    ck_assert_mem_eq(ctx->senderNonce->data, "0123", 4);
    ck_assert_mem_eq(ctx->recipNonce->data, "0123", 4);
    ck_assert_int_eq(P11CMP_CTX_set1_transactionID(ctx, NULL), 1);
    ck_assert_ptr_null(ctx->transactionID);

    ck_assert_int_eq(P11CMP_CTX_set1_referenceValue(ctx, ref, 9), 1);
    ck_assert_int_eq(ctx->referenceValue->length, 9);
    ck_assert_mem_eq(ctx->referenceValue->data, ref, 9);
    ck_assert_int_eq(P11CMP_CTX_set1_referenceValue(ctx, ref, -2), 0);
    ASSERT_REASON(P11CMP_R_INVALID_ARGUMENT);
    ck_assert_int_eq(ctx->referenceValue->length, 9);
    ck_assert_int_eq(P11CMP_CTX_set1_referenceValue(ctx, NULL, 0), 1);
    ck_assert_ptr_null(ctx->referenceValue);
    P11CMP_CTX_free(ctx);
}
END_TEST

static P11CMP_ITAV *new_itav(void)
{
    P11CMP_ITAV *itav =
        P11CMP_ITAV_create(OBJ_nid2obj(NID_id_it_signKeyPairTypes), NULL);

    ck_assert_ptr_nonnull(itav);
    return itav;
}

START_TEST(itavs_and_policies_are_pushed)
{
    P11CMP_CTX *ctx = new_ctx();

    ck_assert_int_eq(P11CMP_CTX_push0_geninfo_ITAV(ctx, NULL), 0);
    ASSERT_REASON(P11CMP_R_NULL_ARGUMENT);
    ck_assert_int_eq(P11CMP_CTX_push0_geninfo_ITAV(ctx, new_itav()), 1);
    ck_assert_int_eq(P11CMP_CTX_push0_geninfo_ITAV(ctx, new_itav()), 1);
    ck_assert_int_eq(sk_P11CMP_ITAV_num(ctx->geninfo_ITAVs), 2);
    ck_assert_int_eq(P11CMP_CTX_reset_geninfo_ITAVs(ctx), 1);
    ck_assert_ptr_null(ctx->geninfo_ITAVs);
    ck_assert_int_eq(P11CMP_CTX_push0_genm_ITAV(ctx, new_itav()), 1);
    ck_assert_int_eq(sk_P11CMP_ITAV_num(ctx->genm_ITAVs), 1);

    ck_assert_int_eq(P11CMP_CTX_push0_policy(ctx, NULL), 0);
    ASSERT_REASON(P11CMP_R_NULL_ARGUMENT);
    ck_assert_int_eq(P11CMP_CTX_push0_policy(ctx, POLICYINFO_new()), 1);
    ck_assert_int_eq(sk_POLICYINFO_num(ctx->policies), 1);
    P11CMP_CTX_free(ctx);
}
END_TEST

static X509_EXTENSIONS *new_exts(int with_san)
{
    X509_EXTENSIONS *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext;

    ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "CA:FALSE");
    ck_assert(ext != NULL && sk_X509_EXTENSION_push(exts, ext));
    if (with_san) {
        ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                                  "DNS:host.example");
        ck_assert(ext != NULL && sk_X509_EXTENSION_push(exts, ext));
    }
    return exts;
}

static void exts_free(X509_EXTENSIONS *exts)
{
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

START_TEST(san_sources_exclude_each_other)
{
    P11CMP_CTX *ctx = new_ctx();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
    X509_EXTENSIONS *exts;

    ck_assert(ASN1_STRING_set(dns, "host.example", -1));
    GENERAL_NAME_set0_value(gn, GEN_DNS, dns);

    ck_assert_int_eq(P11CMP_CTX_set0_reqExtensions(ctx, new_exts(0)), 1);
    ck_assert_int_eq(P11CMP_CTX_reqExtensions_have_SAN(ctx), 0);
    ck_assert_int_eq(P11CMP_CTX_set0_reqExtensions(ctx, new_exts(1)), 1);
    ck_assert_int_eq(P11CMP_CTX_reqExtensions_have_SAN(ctx), 1);
    ck_assert_int_eq(P11CMP_CTX_push1_subjectAltName(ctx, gn), 0);
    ASSERT_REASON(P11CMP_R_MULTIPLE_SAN_SOURCES);

    ck_assert_int_eq(P11CMP_CTX_set0_reqExtensions(ctx, NULL), 1);
    ck_assert_int_eq(P11CMP_CTX_reqExtensions_have_SAN(ctx), 0);
    ck_assert_int_eq(P11CMP_CTX_push1_subjectAltName(ctx, gn), 1);
    GENERAL_NAME_free(gn); /* the ctx has its own copy */
    ck_assert_int_eq(sk_GENERAL_NAME_num(ctx->subjectAltNames), 1);
    exts = new_exts(1);
    ck_assert_int_eq(P11CMP_CTX_set0_reqExtensions(ctx, exts), 0);
    ASSERT_REASON(P11CMP_R_MULTIPLE_SAN_SOURCES);
    exts_free(exts); /* not taken on failure */
    ck_assert_int_eq(P11CMP_CTX_set0_reqExtensions(ctx, new_exts(0)), 1);
    ck_assert_int_eq(P11CMP_CTX_push1_subjectAltName(ctx, NULL), 0);
    ASSERT_REASON(P11CMP_R_NULL_ARGUMENT);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(reinit_keeps_config_drops_results)
{
    P11CMP_CTX *ctx = new_ctx();
    X509 *cert = new_leaf("issued");
    STACK_OF(X509) *certs = sk_X509_new_null(), *got;
    P11CMP_PKIFREETEXT *text = sk_ASN1_UTF8STRING_new_null();
    ASN1_UTF8STRING *line = ASN1_UTF8STRING_new();
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
    X509_NAME *name = fx_name("me");

    ck_assert(ASN1_STRING_set(line, "rejected", -1));
    ck_assert(sk_ASN1_UTF8STRING_push(text, line));
    ck_assert(sk_X509_push(certs, cert) && X509_up_ref(cert));
    ck_assert(ASN1_OCTET_STRING_set(id, (const unsigned char *)"tid", 3));

    ck_assert_int_eq(P11CMP_CTX_set1_server(ctx, "127.0.0.1"), 1);
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_MSG_TIMEOUT, 7),
                     1);
    ck_assert_int_eq(P11CMP_CTX_set1_subjectName(ctx, name), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_cert(ctx, cert), 1);

    ck_assert_int_eq(p11cmp_ctx_set_status(ctx,
                                           P11CMP_PKISTATUS_rejection), 1);
    ck_assert_int_eq(p11cmp_ctx_set_failInfoCode(ctx, 1 << 2), 1);
    ck_assert_int_eq(p11cmp_ctx_set0_statusString(ctx, text), 1);
    ck_assert_int_eq(X509_up_ref(cert), 1);
    ck_assert_int_eq(p11cmp_ctx_set0_newCert(ctx, cert), 1);
    ck_assert_int_eq(p11cmp_ctx_set1_newChain(ctx, certs), 1);
    ck_assert_int_eq(p11cmp_ctx_set1_caPubs(ctx, certs), 1);
    ck_assert_int_eq(p11cmp_ctx_set1_extraCertsIn(ctx, certs), 1);
    ck_assert_int_eq(p11cmp_ctx_set1_validatedSrvCert(ctx, cert), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_transactionID(ctx, id), 1);
    ck_assert_int_eq(P11CMP_CTX_set1_senderNonce(ctx, id), 1);
    ck_assert_int_eq(p11cmp_ctx_set1_recipNonce(ctx, id), 1);
    ck_assert_int_eq(P11CMP_CTX_push0_genm_ITAV(ctx, new_itav()), 1);

    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_rejection);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx), 4);
    ck_assert_ptr_eq(P11CMP_CTX_get0_statusString(ctx), text);
    ck_assert_ptr_eq(P11CMP_CTX_get0_newCert(ctx), cert);
    got = P11CMP_CTX_get1_newChain(ctx);
    ck_assert_int_eq(sk_X509_num(got), 1);
    sk_X509_pop_free(got, X509_free);
    got = P11CMP_CTX_get1_extraCertsIn(ctx);
    ck_assert_int_eq(sk_X509_num(got), 1);
    sk_X509_pop_free(got, X509_free);

    ck_assert_int_eq(P11CMP_CTX_reinit(ctx), 1);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), -1);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx), -1);
    ck_assert_ptr_null(P11CMP_CTX_get0_statusString(ctx));
    ck_assert_ptr_null(P11CMP_CTX_get0_newCert(ctx));
    got = P11CMP_CTX_get1_caPubs(ctx);
    ck_assert_int_eq(sk_X509_num(got), 0);
    sk_X509_free(got);
    ck_assert_ptr_null(ctx->newChain);
    ck_assert_ptr_null(ctx->extraCertsIn);
    ck_assert_ptr_null(ctx->validatedSrvCert);
    ck_assert_ptr_null(ctx->transactionID);
    ck_assert_ptr_null(ctx->senderNonce);
    ck_assert_ptr_null(ctx->recipNonce);
    ck_assert_ptr_null(ctx->genm_ITAVs);
    /* the configuration is kept */
    ck_assert_str_eq(ctx->server, "127.0.0.1");
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_MSG_TIMEOUT), 7);
    ck_assert_int_eq(X509_NAME_cmp(ctx->subjectName, name), 0);
    ck_assert_int_eq(X509_cmp(ctx->cert, cert), 0);

    sk_X509_pop_free(certs, X509_free);
    X509_free(cert);
    ASN1_OCTET_STRING_free(id);
    X509_NAME_free(name);
    P11CMP_CTX_free(ctx);
}
END_TEST

/* root -> intermediate -> leaf, made here */
static struct {
    EVP_PKEY *root_key, *int_key, *leaf_key;
    X509 *root, *inter, *leaf;
} pki;

static void make_pki(void)
{
    pki.root_key = new_key();
    pki.int_key = new_key();
    pki.leaf_key = new_key();
    pki.root = new_cert("Root CA", pki.root_key, NULL, NULL, 1);
    pki.inter = new_cert("Sub CA", pki.int_key, pki.root, pki.root_key, 1);
    pki.leaf = new_cert("Signer", pki.leaf_key, pki.inter, pki.int_key, 0);
}

static void free_pki(void)
{
    EVP_PKEY_free(pki.root_key);
    EVP_PKEY_free(pki.int_key);
    EVP_PKEY_free(pki.leaf_key);
    X509_free(pki.root);
    X509_free(pki.inter);
    X509_free(pki.leaf);
}

static STACK_OF(X509) *stack_of(X509 *a, X509 *b)
{
    STACK_OF(X509) *sk = sk_X509_new_null();

    ck_assert(sk_X509_push(sk, a) > 0);
    if (b != NULL)
        ck_assert(sk_X509_push(sk, b) > 0);
    return sk; /* borrows the certs: free with sk_X509_free() */
}

START_TEST(build_cert_chain_with_trust_anchor)
{
    P11CMP_CTX *ctx = new_ctx();
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *cand = stack_of(pki.inter, NULL);

    ck_assert(X509_STORE_add_cert(store, pki.root));
    ck_assert_int_eq(P11CMP_CTX_build_cert_chain(ctx, store, cand), 0);
    ASSERT_REASON(P11CMP_R_FAILED_BUILDING_OWN_CHAIN); /* no cert yet */
    ck_assert_int_eq(P11CMP_CTX_set1_cert(ctx, pki.leaf), 1);
    ck_assert_int_eq(P11CMP_CTX_build_cert_chain(ctx, store, cand), 1);
    ck_assert_int_eq(sk_X509_num(ctx->chain), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(ctx->chain, 0), pki.leaf), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(ctx->chain, 1), pki.inter), 0);
    /* the candidates were added to the untrusted certs */
    ck_assert_int_eq(sk_X509_num(P11CMP_CTX_get0_untrusted(ctx)), 1);
    /* a new signer cert drops the chain of the old one */
    ck_assert_int_eq(P11CMP_CTX_set1_cert(ctx, pki.inter), 1);
    ck_assert_ptr_null(ctx->chain);
    sk_X509_free(cand);
    X509_STORE_free(store);
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(build_cert_chain_without_trust_anchor)
{
    P11CMP_CTX *ctx = new_ctx();
    STACK_OF(X509) *cand = stack_of(pki.root, pki.inter);

    ck_assert_int_eq(P11CMP_CTX_set1_cert(ctx, pki.leaf), 1);
    ck_assert_int_eq(P11CMP_CTX_build_cert_chain(ctx, NULL, NULL), 1);
    ck_assert_int_eq(sk_X509_num(ctx->chain), 1); /* as far as it goes */
    ck_assert_int_eq(P11CMP_CTX_build_cert_chain(ctx, NULL, cand), 1);
    /* the self-signed root is not part of the chain */
    ck_assert_int_eq(sk_X509_num(ctx->chain), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(ctx->chain, 1), pki.inter), 0);
    sk_X509_free(cand);
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
}
END_TEST

START_TEST(build_cert_chain_fails_with_wrong_anchor)
{
    P11CMP_CTX *ctx = new_ctx();
    X509_STORE *store = X509_STORE_new();
    EVP_PKEY *key = new_key();
    X509 *other = new_cert("Other Root", key, NULL, NULL, 1);
    STACK_OF(X509) *cand = stack_of(pki.inter, NULL);

    ck_assert(X509_STORE_add_cert(store, other));
    ck_assert_int_eq(P11CMP_CTX_set1_cert(ctx, pki.leaf), 1);
    ck_assert_int_eq(P11CMP_CTX_build_cert_chain(ctx, store, cand), 0);
    ASSERT_REASON(P11CMP_R_FAILED_BUILDING_OWN_CHAIN);
    ck_assert_ptr_null(ctx->chain);
    sk_X509_free(cand);
    X509_free(other);
    EVP_PKEY_free(key);
    X509_STORE_free(store);
    P11CMP_CTX_free(ctx);
}
END_TEST

#define NULL_CTX(call, ret)                                     \
    do {                                                        \
        ERR_clear_error();                                      \
        ck_assert_msg((call) == (ret), "%s", #call);            \
        ck_assert_msg(last_reason() == P11CMP_R_NULL_ARGUMENT,  \
                      "%s raised no NULL_ARGUMENT", #call);     \
    } while (0)

START_TEST(null_ctx_is_an_error_everywhere)
{
    P11CMP_CTX *n = NULL;
    X509 *cert = new_leaf("x");
    X509_NAME *name = fx_name("x");
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    EVP_PKEY *key = new_key();
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509_REQ *csr = X509_REQ_new();
    X509_STORE *store = X509_STORE_new();
    P11CMP_ITAV *itav = new_itav();
    POLICYINFO *pi = POLICYINFO_new();
    X509_EXTENSIONS *exts = new_exts(0);
    int arg;

    NULL_CTX(P11CMP_CTX_reinit(n), 0);
    NULL_CTX(P11CMP_CTX_set_option(n, P11CMP_OPT_KEEP_ALIVE, 0), 0);
    NULL_CTX(P11CMP_CTX_get_option(n, P11CMP_OPT_KEEP_ALIVE), -1);
    NULL_CTX(P11CMP_CTX_set_log_cb(n, collect_log), 0);
    NULL_CTX(P11CMP_CTX_set_log_verbosity(n, 3), 0);
    NULL_CTX(P11CMP_CTX_set1_serverPath(n, "/"), 0);
    NULL_CTX(P11CMP_CTX_set1_server(n, "x"), 0);
    NULL_CTX(P11CMP_CTX_set_serverPort(n, 80), 0);
    NULL_CTX(P11CMP_CTX_set1_proxy(n, "x"), 0);
    NULL_CTX(P11CMP_CTX_set1_no_proxy(n, "x"), 0);
    NULL_CTX(P11CMP_CTX_set_http_cb(n, dummy_http_cb), 0);
    NULL_CTX(P11CMP_CTX_set_http_cb_arg(n, &arg), 0);
    NULL_CTX(P11CMP_CTX_get_http_cb_arg(n), NULL);
    NULL_CTX(P11CMP_CTX_set_transfer_cb(n, dummy_transfer), 0);
    NULL_CTX(P11CMP_CTX_set_transfer_cb_arg(n, &arg), 0);
    NULL_CTX(P11CMP_CTX_get_transfer_cb_arg(n), NULL);
    NULL_CTX(P11CMP_CTX_set1_srvCert(n, cert), 0);
    NULL_CTX(P11CMP_CTX_set1_expected_sender(n, name), 0);
    NULL_CTX(P11CMP_CTX_set0_trustedStore(n, store), 0);
    NULL_CTX(P11CMP_CTX_get0_trustedStore(n), NULL);
    NULL_CTX(P11CMP_CTX_set1_untrusted(n, certs), 0);
    NULL_CTX(P11CMP_CTX_get0_untrusted(n), NULL);
    NULL_CTX(P11CMP_CTX_set1_cert(n, cert), 0);
    NULL_CTX(P11CMP_CTX_build_cert_chain(n, store, certs), 0);
    NULL_CTX(P11CMP_CTX_set1_pkey(n, key), 0);
    NULL_CTX(P11CMP_CTX_set1_referenceValue(n, (unsigned char *)"r", 1), 0);
    NULL_CTX(P11CMP_CTX_set1_secretValue(n, (unsigned char *)"s", 1), 0);
    NULL_CTX(P11CMP_CTX_set1_recipient(n, name), 0);
    NULL_CTX(P11CMP_CTX_push0_geninfo_ITAV(n, itav), 0);
    NULL_CTX(P11CMP_CTX_reset_geninfo_ITAVs(n), 0);
    NULL_CTX(P11CMP_CTX_set1_extraCertsOut(n, certs), 0);
    NULL_CTX(P11CMP_CTX_set0_newPkey(n, 1, key), 0);
    NULL_CTX(P11CMP_CTX_get0_newPkey(n, 1), NULL);
    NULL_CTX(P11CMP_CTX_set1_issuer(n, name), 0);
    NULL_CTX(P11CMP_CTX_set1_subjectName(n, name), 0);
    NULL_CTX(P11CMP_CTX_push1_subjectAltName(n, gn), 0);
    NULL_CTX(P11CMP_CTX_set0_reqExtensions(n, exts), 0);
    NULL_CTX(P11CMP_CTX_reqExtensions_have_SAN(n), -1);
    NULL_CTX(P11CMP_CTX_push0_policy(n, pi), 0);
    NULL_CTX(P11CMP_CTX_set1_oldCert(n, cert), 0);
    NULL_CTX(P11CMP_CTX_set1_p10CSR(n, csr), 0);
    NULL_CTX(P11CMP_CTX_push0_genm_ITAV(n, itav), 0);
    NULL_CTX(P11CMP_CTX_set_certConf_cb(n, dummy_certconf), 0);
    NULL_CTX(P11CMP_CTX_set_certConf_cb_arg(n, &arg), 0);
    NULL_CTX(P11CMP_CTX_get_certConf_cb_arg(n), NULL);
    NULL_CTX(P11CMP_CTX_get_status(n), -1);
    NULL_CTX(P11CMP_CTX_get0_statusString(n), NULL);
    NULL_CTX(P11CMP_CTX_get_failInfoCode(n), -1);
    NULL_CTX(P11CMP_CTX_get0_newCert(n), NULL);
    NULL_CTX(P11CMP_CTX_get1_newChain(n), NULL);
    NULL_CTX(P11CMP_CTX_get1_caPubs(n), NULL);
    NULL_CTX(P11CMP_CTX_get1_extraCertsIn(n), NULL);
    NULL_CTX(P11CMP_CTX_set1_transactionID(n, os), 0);
    NULL_CTX(P11CMP_CTX_set1_senderNonce(n, os), 0);
    NULL_CTX(p11cmp_ctx_set_status(n, 0), 0);
    NULL_CTX(p11cmp_ctx_set0_newCert(n, cert), 0);
    NULL_CTX(p11cmp_ctx_set1_caPubs(n, certs), 0);
    P11CMP_CTX_free(n); /* accepted */
    ERR_clear_error();

    /* nothing was taken by the failed set0/push0 calls */
    X509_free(cert);
    X509_NAME_free(name);
    ASN1_OCTET_STRING_free(os);
    GENERAL_NAME_free(gn);
    EVP_PKEY_free(key);
    sk_X509_free(certs);
    X509_REQ_free(csr);
    X509_STORE_free(store);
    P11CMP_ITAV_free(itav);
    POLICYINFO_free(pi);
    exts_free(exts);
}
END_TEST

START_TEST(libctx_and_propq_are_kept)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    P11CMP_CTX *ctx;

    ck_assert_ptr_nonnull(libctx);
    ctx = P11CMP_CTX_new(libctx, "provider=default");
    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_eq(ctx->libctx, libctx);
    ck_assert_str_eq(ctx->propq, "provider=default");
    /* algorithm checks use the library context */
    ck_assert_int_eq(P11CMP_CTX_set_option(ctx, P11CMP_OPT_DIGEST_ALGNID,
                                           NID_sha512), 1);
    P11CMP_CTX_free(ctx);
    OSSL_LIB_CTX_free(libctx);
}
END_TEST

static Suite *ctx_suite(void)
{
    Suite *s = suite_create("ctx");
    TCase *tc = tcase_create("core");
    TCase *chain = tcase_create("chain");

    tcase_add_test(tc, options_have_openssl_defaults);
    tcase_add_test(tc, other_fields_start_empty);
    tcase_add_loop_test(tc, option_range_limits, 0,
                        (int)(sizeof(ranges) / sizeof(ranges[0])));
    tcase_add_test(tc, revocation_reason_7_is_rejected);
    tcase_add_test(tc, unknown_option_is_invalid);
    tcase_add_test(tc, algorithm_options_take_only_usable_nids);
    tcase_add_test(tc, log_verbosity_macro_sets_the_option);
    tcase_add_test(tc, log_cb_gets_messages_up_to_verbosity);
    tcase_add_test(tc, print_errors_goes_through_log_cb);
    tcase_add_test(tc, secret_value_never_shows);
    tcase_add_test(tc, string_settings_are_copied);
    tcase_add_test(tc, callbacks_and_arguments_round_trip);
    tcase_add_test(tc, set1_cert_and_key_take_own_reference);
    tcase_add_test(tc, set1_names_and_csr_are_copies);
    tcase_add_test(tc, new_pkey_set0_and_fallbacks);
    tcase_add_test(tc, certificate_stacks_are_copied);
    tcase_add_test(tc, trusted_store_is_taken);
    tcase_add_test(tc, octet_strings_are_copied);
    tcase_add_test(tc, itavs_and_policies_are_pushed);
    tcase_add_test(tc, san_sources_exclude_each_other);
    tcase_add_test(tc, reinit_keeps_config_drops_results);
    tcase_add_test(tc, null_ctx_is_an_error_everywhere);
    tcase_add_test(tc, libctx_and_propq_are_kept);
    suite_add_tcase(s, tc);

    tcase_add_unchecked_fixture(chain, make_pki, free_pki);
    tcase_add_test(chain, build_cert_chain_with_trust_anchor);
    tcase_add_test(chain, build_cert_chain_without_trust_anchor);
    tcase_add_test(chain, build_cert_chain_fails_with_wrong_anchor);
    suite_add_tcase(s, chain);
    return s;
}

int main(void)
{
    int failed = check_run(ctx_suite(), CK_NORMAL);

    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
