/*
 * bench/inproc.c - in-process cost of an enrollment: N IRs (PBM, POPO
 * signed by a token key, new certificate checked against the CA) in one
 * process against the test CA, with
 *   p11cmp   the p11cmp API, one context, one kept-alive connection
 *   openssl  OpenSSL's OSSL_CMP API, one context (OpenSSL closes the
 *            connection at the end of each transaction)
 * both with the same token key (one EVP_PKEY of P11CMP_PKCS11_load_key)
 * and nothing stored on the token (like OpenSSL), or
 *   floor    the crypto of one transaction alone, N times: four PBMs
 *            (IR, IP, certConf, PKIConf) at ITER iterations of SHA-256
 *            with HMAC-SHA256 over 1 KiB, the POPO signature with the
 *            token key, and the check of the new certificate's signature
 *            with the CA key.
 * Usage: inproc PORT N p11cmp|openssl|floor KEY-URI CA-PEM [ITER]
 * Prints "tx_per_s cpu_us_per_tx rss_kb_after_100 rss_kb_after_N" (the
 * floor prints its CPU µs per transaction in the second column). CPU is
 * user + system time of this process (getrusage), SoftHSM2 included.
 * Not a test: see bench/README.md and bench/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <p11cmp/p11cmp.h>

#define REF "testref"
#define SECRET "test-secret-0815"

struct run {
    int port, n, iter;
    EVP_PKEY *key;
    X509 *ca;
    X509_NAME *subject;
};

static double cpu_us(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
        + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static double wall_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kb;
}

static X509_STORE *ca_store(X509 *ca)
{
    X509_STORE *st = X509_STORE_new();

    if (st != NULL && !X509_STORE_add_cert(st, ca)) {
        X509_STORE_free(st);
        st = NULL;
    }
    return st;
}

/* One p11cmp context enrolling r->n times; 1 on success. */
static int setup_p11cmp(P11CMP_CTX *ctx, const struct run *r, X509_STORE *st)
{
    return EVP_PKEY_up_ref(r->key)
        && P11CMP_CTX_set0_newPkey(ctx, 1, r->key)
        && P11CMP_CTX_set1_server(ctx, "127.0.0.1")
        && P11CMP_CTX_set_serverPort(ctx, r->port)
        && P11CMP_CTX_set1_proxy(ctx, "")
        && P11CMP_CTX_set_log_verbosity(ctx, 3)
        && P11CMP_CTX_set1_referenceValue(ctx, (unsigned char *)REF,
                                          strlen(REF))
        && P11CMP_CTX_set1_secretValue(ctx, (unsigned char *)SECRET,
                                       strlen(SECRET))
        && P11CMP_CTX_set1_subjectName(ctx, r->subject)
        && P11CMP_CTX_set_option(ctx, P11CMP_OPT_KEEP_ALIVE, 1)
        && P11CMP_CTX_set_option(ctx, P11CMP_OPT_STORE_RESULTS, 0)
        && P11CMP_CTX_set_certConf_cb(ctx, P11CMP_certConf_cb)
        && P11CMP_CTX_set_certConf_cb_arg(ctx, st);
}

static int enroll_p11cmp(void *ctx)
{
    return P11CMP_exec_IR_ses((P11CMP_CTX *)ctx) != NULL;
}

static int setup_openssl(OSSL_CMP_CTX *ctx, const struct run *r,
                         X509_STORE *st)
{
    return EVP_PKEY_up_ref(r->key)
        && OSSL_CMP_CTX_set0_newPkey(ctx, 1, r->key)
        && OSSL_CMP_CTX_set1_server(ctx, "127.0.0.1")
        && OSSL_CMP_CTX_set_serverPort(ctx, r->port)
        && OSSL_CMP_CTX_set1_proxy(ctx, "")
        && OSSL_CMP_CTX_set_log_verbosity(ctx, OSSL_CMP_LOG_ERR)
        && OSSL_CMP_CTX_set1_referenceValue(ctx, (unsigned char *)REF,
                                            strlen(REF))
        && OSSL_CMP_CTX_set1_secretValue(ctx, (unsigned char *)SECRET,
                                         strlen(SECRET))
        && OSSL_CMP_CTX_set1_subjectName(ctx, r->subject)
        && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_KEEP_ALIVE, 1)
        && OSSL_CMP_CTX_set_certConf_cb(ctx, OSSL_CMP_certConf_cb)
        && OSSL_CMP_CTX_set_certConf_cb_arg(ctx, st);
}

static int enroll_openssl(void *ctx)
{
    int ok = OSSL_CMP_exec_IR_ses((OSSL_CMP_CTX *)ctx) != NULL;

    return OSSL_CMP_CTX_reinit((OSSL_CMP_CTX *)ctx) && ok;
}

/* RFC 4210 PBM with SHA-256 and HMAC-SHA256, the plain computation */
static int pbm(int iter, const unsigned char *data, size_t len)
{
    static const unsigned char salt[16] = { 7 };
    unsigned char key[SHA256_DIGEST_LENGTH], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    SHA256_CTX c;
    int i;

    SHA256_Init(&c);
    SHA256_Update(&c, SECRET, strlen(SECRET));
    SHA256_Update(&c, salt, sizeof(salt));
    SHA256_Final(key, &c);
    for (i = 1; i < iter; i++) {
        SHA256_Init(&c);
        SHA256_Update(&c, key, sizeof(key));
        SHA256_Final(key, &c);
    }
    return HMAC(EVP_sha256(), key, sizeof(key), data, len, mac, &maclen)
        != NULL;
}

static int floor_tx(void *arg)
{
    const struct run *r = arg;
    static unsigned char data[1024], sig[512];
    size_t siglen = sizeof(sig);
    EVP_PKEY *capub = X509_get0_pubkey(r->ca);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int i, ok = md != NULL
        && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, r->key,
                                 NULL)
        && EVP_DigestSign(md, sig, &siglen, data, 200)
        && X509_verify(r->ca, capub) == 1;

    for (i = 0; ok && i < 4; i++)
        ok = pbm(r->iter, data, sizeof(data));
    EVP_MD_CTX_free(md);
    return ok;
}

/* Runs tx n times after one warm-up; prints the figures. */
static int measure(const struct run *r, int (*tx)(void *), void *arg)
{
    double c0, t0;
    long rss100 = -1;
    int i;

    if (!tx(arg))
        return 0;
    c0 = cpu_us();
    t0 = wall_s();
    for (i = 1; i <= r->n; i++) {
        if (!tx(arg))
            return 0;
        if (i == 100)
            rss100 = rss_kb();
    }
    printf("%.1f %.1f %ld %ld\n", r->n / (wall_s() - t0),
           (cpu_us() - c0) / r->n, rss100, rss_kb());
    return 1;
}

static int run_variant(const struct run *r, const char *variant)
{
    X509_STORE *st = ca_store(r->ca);
    int ok = 0;

    if (st == NULL)
        return 0;
    if (strcmp(variant, "p11cmp") == 0) {
        P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

        ok = ctx != NULL && setup_p11cmp(ctx, r, st)
            && measure(r, enroll_p11cmp, ctx);
        P11CMP_CTX_free(ctx);
    } else if (strcmp(variant, "openssl") == 0) {
        OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);

        ok = ctx != NULL && setup_openssl(ctx, r, st)
            && measure(r, enroll_openssl, ctx);
        OSSL_CMP_CTX_free(ctx);
    } else if (strcmp(variant, "floor") == 0) {
        ok = measure(r, floor_tx, (void *)r);
    }
    X509_STORE_free(st);
    return ok;
}

int main(int argc, char **argv)
{
    struct run r = { 0, 0, 500, NULL, NULL, NULL };
    FILE *f = argc > 5 ? fopen(argv[5], "r") : NULL;
    int ok;

    if (argc < 6 || f == NULL) {
        fprintf(stderr, "usage: inproc PORT N p11cmp|openssl|floor KEY-URI"
                " CA-PEM [ITER]\n");
        return 2;
    }
    r.port = atoi(argv[1]);
    r.n = atoi(argv[2]);
    if (argc > 6)
        r.iter = atoi(argv[6]);
    r.ca = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    r.key = P11CMP_PKCS11_load_key(argv[4], NULL);
    ERR_clear_error();
    r.subject = X509_NAME_new();
    ok = r.ca != NULL && r.key != NULL && r.subject != NULL && r.n > 0
        && X509_NAME_add_entry_by_txt(r.subject, "CN", MBSTRING_ASC,
                                      (unsigned char *)"bench", -1, -1, 0)
        && run_variant(&r, argv[3]);
    if (!ok)
        ERR_print_errors_fp(stderr);
    X509_NAME_free(r.subject);
    EVP_PKEY_free(r.key);
    X509_free(r.ca);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
