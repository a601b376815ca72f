/*
 * tests/cmp_client.c - a small CMP client on the public p11cmp API for
 * the shell tests of the transactions (tests/client_*.sh): options set
 * up a P11CMP_CTX, one transaction runs, and the results are printed on
 * stdout as "key value" lines the tests compare:
 *   result ok|fail, status N, failinfo 0xHEX, statusstring TEXT,
 *   reasons R1 R2 ... (p11cmp reason codes on the ERR stack, in order),
 *   newcert yes|no, chain N, capubs N, extracerts N, itavs N,
 *   checkafter N (each -1 of P11CMP_try_certreq), elapsed SECS.
 * --repeat N runs the transaction N times with one context.
 * Exit status 0 if the transaction succeeded, 1 if it failed, 2 on
 * usage or setup errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <p11cmp/p11cmp.h>

#include "http_servers.h"

struct opts {
    const char *server, *path, *cmd, *ref, *secret, *cert, *key;
    const char *trusted, *srvcert, *newkey, *subject, *csr, *oldcert;
    const char *certout, *out_trusted, *genm_oid, *crm;
    int implicit, disable, total_timeout, msg_timeout, reject_bit;
    int try_mode, abort_after, silent, revreason, keep_alive, repeat;
};

static void usage(void)
{
    fprintf(stderr, "usage: cmp_client --cmd ir|cr|p10cr|kur|rr|genm "
            "--server H:P [--path P] [--ref R --secret S] [--cert F "
            "--key F] [--trusted F] [--srvcert F] [--newkey F] "
            "[--subject DN] [--csr F] [--oldcert F] [--certout F] "
            "[--out-trusted F] [--implicit-confirm] [--disable-confirm] "
            "[--total-timeout N] [--msg-timeout N] [--reject-bit N] "
            "[--try] [--abort-after N] [--silent-server] [--revreason N] "
            "[--keep-alive N] [--genm-oid OID] [--crm DERFILE] "
            "[--repeat N]\n");
    exit(2);
}

static void die(const char *what)
{
    fprintf(stderr, "cmp_client: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static int parse(int argc, char **argv, struct opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->reject_bit = -1;
    o->abort_after = -1;
    o->revreason = -1;
    o->keep_alive = -1;
    o->repeat = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **s = NULL;
        int *n = NULL;

        if (strcmp(a, "--implicit-confirm") == 0)
            o->implicit = 1;
        else if (strcmp(a, "--disable-confirm") == 0)
            o->disable = 1;
        else if (strcmp(a, "--try") == 0)
            o->try_mode = 1;
        else if (strcmp(a, "--silent-server") == 0)
            o->silent = 1;
        else if (strcmp(a, "--server") == 0)
            s = &o->server;
        else if (strcmp(a, "--path") == 0)
            s = &o->path;
        else if (strcmp(a, "--cmd") == 0)
            s = &o->cmd;
        else if (strcmp(a, "--ref") == 0)
            s = &o->ref;
        else if (strcmp(a, "--secret") == 0)
            s = &o->secret;
        else if (strcmp(a, "--cert") == 0)
            s = &o->cert;
        else if (strcmp(a, "--key") == 0)
            s = &o->key;
        else if (strcmp(a, "--trusted") == 0)
            s = &o->trusted;
        else if (strcmp(a, "--srvcert") == 0)
            s = &o->srvcert;
        else if (strcmp(a, "--newkey") == 0)
            s = &o->newkey;
        else if (strcmp(a, "--subject") == 0)
            s = &o->subject;
        else if (strcmp(a, "--csr") == 0)
            s = &o->csr;
        else if (strcmp(a, "--oldcert") == 0)
            s = &o->oldcert;
        else if (strcmp(a, "--certout") == 0)
            s = &o->certout;
        else if (strcmp(a, "--out-trusted") == 0)
            s = &o->out_trusted;
        else if (strcmp(a, "--genm-oid") == 0)
            s = &o->genm_oid;
        else if (strcmp(a, "--crm") == 0)
            s = &o->crm;
        else if (strcmp(a, "--total-timeout") == 0)
            n = &o->total_timeout;
        else if (strcmp(a, "--msg-timeout") == 0)
            n = &o->msg_timeout;
        else if (strcmp(a, "--reject-bit") == 0)
            n = &o->reject_bit;
        else if (strcmp(a, "--abort-after") == 0)
            n = &o->abort_after;
        else if (strcmp(a, "--revreason") == 0)
            n = &o->revreason;
        else if (strcmp(a, "--keep-alive") == 0)
            n = &o->keep_alive;
        else if (strcmp(a, "--repeat") == 0)
            n = &o->repeat;
        else
            usage();
        if (s != NULL || n != NULL) {
            if (v == NULL)
                usage();
            if (s != NULL)
                *s = v;
            else
                *n = atoi(v);
            i++;
        }
    }
    if (o->cmd == NULL || (o->server == NULL && !o->silent))
        usage();
    return 1;
}

static X509 *load_cert(const char *file)
{
    FILE *f = fopen(file, "r");
    X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

    if (f != NULL)
        fclose(f);
    if (x == NULL)
        die(file);
    return x;
}

static EVP_PKEY *load_key(const char *file)
{
    FILE *f = fopen(file, "r");
    EVP_PKEY *k = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
        : NULL;

    if (f != NULL)
        fclose(f);
    if (k == NULL)
        die(file);
    return k;
}

static X509_STORE *load_store(const char *file)
{
    X509_STORE *st = X509_STORE_new();

    if (st == NULL || !X509_STORE_load_file(st, file))
        die(file);
    return st;
}

/* the certConf callback of --reject-bit: rejects with that failInfo */
static int reject_cb(P11CMP_CTX *ctx, X509 *cert, int fail_info,
                     const char **txt)
{
    int bit = *(int *)P11CMP_CTX_get_certConf_cb_arg(ctx);

    (void)cert;
    *txt = "rejected by the test callback";
    return fail_info | (1 << bit);
}

static void setup_server(P11CMP_CTX *ctx, const struct opts *o, int *fd)
{
    char buf[64];
    int port;

    if (o->silent) {
        if ((*fd = silent_listener(&port)) < 0)
            die("silent server");
        snprintf(buf, sizeof(buf), "127.0.0.1:%d", port);
        if (!P11CMP_CTX_set1_server(ctx, buf))
            die("server");
    } else if (!P11CMP_CTX_set1_server(ctx, o->server)) {
        die("server");
    }
    if (o->path != NULL && !P11CMP_CTX_set1_serverPath(ctx, o->path))
        die("path");
}

static void setup_credentials(P11CMP_CTX *ctx, const struct opts *o)
{
    if (o->secret != NULL
        && (!P11CMP_CTX_set1_secretValue(ctx, (const unsigned char *)
                                         o->secret, (int)strlen(o->secret))
            || !P11CMP_CTX_set1_referenceValue(ctx, (const unsigned char *)
                                               o->ref, (int)strlen(o->ref))))
        die("PBM");
    if (o->cert != NULL) {
        X509 *c = load_cert(o->cert);
        EVP_PKEY *k = load_key(o->key);

        if (!P11CMP_CTX_set1_cert(ctx, c) || !P11CMP_CTX_set1_pkey(ctx, k))
            die("cert/key");
        X509_free(c);
        EVP_PKEY_free(k);
    }
    if (o->trusted != NULL
        && !P11CMP_CTX_set0_trustedStore(ctx, load_store(o->trusted)))
        die("trusted");
    if (o->srvcert != NULL) {
        X509 *c = load_cert(o->srvcert);

        if (!P11CMP_CTX_set1_srvCert(ctx, c))
            die("srvcert");
        X509_free(c);
    }
}

static void setup_template(P11CMP_CTX *ctx, const struct opts *o)
{
    if (o->newkey != NULL
        && !P11CMP_CTX_set0_newPkey(ctx, 1, load_key(o->newkey)))
        die("newkey");
    if (o->subject != NULL) {
        X509_NAME *n = X509_NAME_new();

        if (n == NULL || !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                                     (const unsigned char *)
                                                     o->subject, -1, -1, 0)
            || !P11CMP_CTX_set1_subjectName(ctx, n))
            die("subject");
        X509_NAME_free(n);
    }
    if (o->csr != NULL) {
        FILE *f = fopen(o->csr, "r");
        X509_REQ *r = f != NULL ? PEM_read_X509_REQ(f, NULL, NULL, NULL)
            : NULL;

        if (f != NULL)
            fclose(f);
        if (r == NULL || !P11CMP_CTX_set1_p10CSR(ctx, r))
            die("csr");
        X509_REQ_free(r);
    }
    if (o->oldcert != NULL) {
        X509 *c = load_cert(o->oldcert);

        if (!P11CMP_CTX_set1_oldCert(ctx, c))
            die("oldcert");
        X509_free(c);
    }
}

static void setup_options(P11CMP_CTX *ctx, const struct opts *o,
                          int *reject_bit, X509_STORE **out_trusted)
{
    if (!P11CMP_CTX_set_option(ctx, P11CMP_OPT_IMPLICIT_CONFIRM, o->implicit)
        || !P11CMP_CTX_set_option(ctx, P11CMP_OPT_DISABLE_CONFIRM,
                                  o->disable)
        || !P11CMP_CTX_set_option(ctx, P11CMP_OPT_TOTAL_TIMEOUT,
                                  o->total_timeout)
        || (o->msg_timeout > 0
            && !P11CMP_CTX_set_option(ctx, P11CMP_OPT_MSG_TIMEOUT,
                                      o->msg_timeout))
        || (o->keep_alive >= 0
            && !P11CMP_CTX_set_option(ctx, P11CMP_OPT_KEEP_ALIVE,
                                      o->keep_alive))
        || (o->revreason >= 0
            && !P11CMP_CTX_set_option(ctx, P11CMP_OPT_REVOCATION_REASON,
                                      o->revreason)))
        die("options");
    if (o->reject_bit >= 0) {
        *reject_bit = o->reject_bit;
        if (!P11CMP_CTX_set_certConf_cb(ctx, reject_cb)
            || !P11CMP_CTX_set_certConf_cb_arg(ctx, reject_bit))
            die("certConf cb");
    } else if (o->out_trusted != NULL) {
        *out_trusted = load_store(o->out_trusted);
        if (!P11CMP_CTX_set_certConf_cb_arg(ctx, *out_trusted))
            die("out-trusted");
    }
    if (o->genm_oid != NULL) {
        ASN1_OBJECT *obj = OBJ_txt2obj(o->genm_oid, 1);
        P11CMP_ITAV *itav = obj != NULL ? P11CMP_ITAV_create(obj, NULL)
            : NULL;

        if (itav == NULL || !P11CMP_CTX_push0_genm_ITAV(ctx, itav))
            die("genm ITAV");
    }
}

static int req_type(const char *cmd)
{
    if (strcmp(cmd, "ir") == 0)
        return P11CMP_IR;
    if (strcmp(cmd, "cr") == 0)
        return P11CMP_CR;
    if (strcmp(cmd, "p10cr") == 0)
        return P11CMP_P10CR;
    if (strcmp(cmd, "kur") == 0)
        return P11CMP_KUR;
    return -1;
}

static P11CMP_CRMF_MSG *load_crm(const char *file)
{
    unsigned char buf[8192];
    const unsigned char *p = buf;
    FILE *f;
    size_t n;
    P11CMP_CRMF_MSG *crm;

    if (file == NULL)
        return NULL;
    if ((f = fopen(file, "rb")) == NULL)
        die(file);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if ((crm = d2i_P11CMP_CRMF_MSG(NULL, &p, (long)n)) == NULL)
        die("crm");
    return crm;
}

/* P11CMP_try_certreq in a loop, sleeping checkAfter; aborts after
 * abort_after waiting answers if that is >= 0 */
static int try_loop(P11CMP_CTX *ctx, int type, const P11CMP_CRMF_MSG *crm,
                    int abort_after)
{
    int res, after = -1, waits = 0;

    for (;;) {
        res = P11CMP_try_certreq(ctx, type, crm, &after);
        if (res != -1)
            return res;
        printf("checkafter %d\n", after);
        printf("waitstatus %d newcert %s\n", P11CMP_CTX_get_status(ctx),
               P11CMP_CTX_get0_newCert(ctx) != NULL ? "yes" : "no");
        if (++waits == abort_after) {
            res = P11CMP_try_certreq(ctx, -1, NULL, NULL);
            printf("aborted %d\n", res);
            return res == 1 ? 2 : 0;
        }
        if (after > 0)
            sleep((unsigned)after);
    }
}

static int certs_num_free(STACK_OF(X509) *certs)
{
    int n = certs == NULL ? -1 : sk_X509_num(certs);

    sk_X509_pop_free(certs, X509_free);
    return n;
}

static void print_results(P11CMP_CTX *ctx, const struct opts *o, int ok)
{
    P11CMP_PKIFREETEXT *text = P11CMP_CTX_get0_statusString(ctx);
    X509 *cert = P11CMP_CTX_get0_newCert(ctx);
    unsigned long e;
    int i;

    printf("result %s\n", ok ? "ok" : "fail");
    printf("status %d\n", P11CMP_CTX_get_status(ctx));
    printf("failinfo 0x%x\n", P11CMP_CTX_get_failInfoCode(ctx));
    for (i = 0; i < sk_ASN1_UTF8STRING_num(text); i++) {
        ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(text, i);

        printf("statusstring %.*s\n", s->length, (const char *)s->data);
    }
    printf("reasons");
    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_LIB(e) == P11CMP_ERR_get_lib())
            printf(" %d", ERR_GET_REASON(e));
    printf("\n");
    printf("newcert %s\n", cert != NULL ? "yes" : "no");
    printf("chain %d\n", certs_num_free(P11CMP_CTX_get1_newChain(ctx)));
    printf("capubs %d\n", certs_num_free(P11CMP_CTX_get1_caPubs(ctx)));
    printf("extracerts %d\n",
           certs_num_free(P11CMP_CTX_get1_extraCertsIn(ctx)));
    if (cert != NULL && o->certout != NULL) {
        FILE *f = fopen(o->certout, "w");

        if (f == NULL || !PEM_write_X509(f, cert))
            die(o->certout);
        fclose(f);
    }
}

/* one transaction as the options say: 1 ok, 0 failed, 2 aborted */
static int transaction(P11CMP_CTX *ctx, const struct opts *o,
                       const P11CMP_CRMF_MSG *crm)
{
    int ok = 0, type = req_type(o->cmd);

    if (type >= 0 && o->try_mode) {
        ok = try_loop(ctx, type, crm, o->abort_after);
    } else if (type >= 0) {
        ok = P11CMP_exec_certreq(ctx, type, crm) != NULL;
    } else if (strcmp(o->cmd, "rr") == 0) {
        ok = P11CMP_exec_RR_ses(ctx);
    } else if (strcmp(o->cmd, "genm") == 0) {
        STACK_OF(P11CMP_ITAV) *itavs = P11CMP_exec_GENM_ses(ctx);

        ok = itavs != NULL;
        printf("itavs %d\n", ok ? sk_P11CMP_ITAV_num(itavs) : -1);
        sk_P11CMP_ITAV_pop_free(itavs, P11CMP_ITAV_free);
    } else {
        usage();
    }
    return ok;
}

int main(int argc, char **argv)
{
    struct opts o;
    P11CMP_CTX *ctx;
    P11CMP_CRMF_MSG *crm;
    X509_STORE *out_trusted = NULL;
    time_t start;
    int ok = 0, fd = -1, reject_bit = 0, i;

    parse(argc, argv, &o);
    if ((ctx = P11CMP_CTX_new(NULL, NULL)) == NULL)
        die("ctx");
    setup_server(ctx, &o, &fd);
    setup_credentials(ctx, &o);
    setup_template(ctx, &o);
    setup_options(ctx, &o, &reject_bit, &out_trusted);
    crm = load_crm(o.crm);
    start = time(NULL); /* the transactions only */
    for (i = 0; i < o.repeat; i++)
        if ((ok = transaction(ctx, &o, crm)) != 1)
            break;
    print_results(ctx, &o, ok == 1);
    printf("elapsed %ld\n", (long)(time(NULL) - start));
    P11CMP_CRMF_MSG_free(crm);
    P11CMP_CTX_free(ctx);
    X509_STORE_free(out_trusted);
    if (fd >= 0)
        close(fd);
    return ok == 1 ? 0 : ok == 2 ? 3 : 1;
}
