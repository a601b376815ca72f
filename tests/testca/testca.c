/*
 * tests/testca/testca.c - main() of the test CA: a CMP server on
 * 127.0.0.1 for the tests, built on libcrypto's OSSL_CMP_SRV_CTX so that
 * it is independent of p11cmp. Parses the options, sets up the CA (ca.c)
 * and the CMP server (srv.c) and runs the HTTP server (http.c). The first
 * line on stdout is "LISTENING 127.0.0.1 <port>"; logs go to stderr.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "testca.h"

#define DEFAULT_DAYS 30
#define DEFAULT_TIMEOUT 300
#define DEFAULT_IO_TIMEOUT 10

static const char usage[] =
"usage: testca [options]\n"
"  --port P                 listen on 127.0.0.1:P (0: kernel picks)\n"
"  --path PATH              only accept this HTTP path (default: any)\n"
"  --max-requests N         exit after answering N requests\n"
"  --timeout SECS           exit after SECS seconds (default 300, 0: never)\n"
"  --io-timeout SECS        drop idle connections and incomplete requests\n"
"                           (408) after SECS seconds (default 10)\n"
"  --fork                   serve each connection in a child process, at\n"
"                           the same time (--max-requests per connection)\n"
"  --ref REF --secret SRC   PBM protection; SRC is pass:, env: or file:\n"
"  --cakey F --cacert F     load the CA key and cert (default: new P-256)\n"
"  --cacertout F            write the CA certificate (PEM) to F\n"
"  --srvcert F --srvkey F   sign responses with these, not the CA's\n"
"  --trusted F              also trust these certs for client signatures\n"
"  --accept-unprotected     accept requests without protection\n"
"  --accept-raverified      accept POPO raVerified (the RA checked it)\n"
"  --days N                 validity when the request asks none (30)\n"
"  --certout DIR            write issued certs as DIR/cert-N.pem\n"
"  --poll N                 answer cert requests after N pollRep\n"
"  --check-after SECS       checkAfter in pollRep (default 1)\n"
"  --poll-from N --poll-to M  --poll only for the Nth to Mth cert request\n"
"  --reject FAILINFO        reject cert requests with this failInfo\n"
"  --grant-implicit-confirm yes|no  (default no)\n"
"  --send-capubs            put the CA cert into caPubs\n"
"  --extra-certs F          send the certs of F in extraCerts\n"
"  --rsp-cacerts F          answer genm caCerts with the certs of F\n"
"  --rsp-newwithnew F --rsp-newwithold F --rsp-oldwithnew F\n"
"                           answer genm rootCaCert with this update\n"
"  --rsp-crl F              answer genm crlStatusList with this CRL (PEM)\n"
"  --rsp-template CN        answer genm certReqTemplate with subject CN=CN\n"
"                           and keySpec EC P-256, RSA 2048\n"
"  (without them a genm of these types gets the answer 'none')\n"
"  --central-keygen         generate the key of a request without one and\n"
"                           return it encrypted (libcrypto 3.5 and later);\n"
"                           the new CA cert gets EKU id-kp-cmKGA\n"
"  --verbose                log libcrypto's CMP debug messages\n";

/* Everything the command line sets. */
typedef struct {
    HTTP_CFG http;
    SRV_CFG srv;
    const char *cakey;
    const char *cacert;
    const char *cacertout;
    const char *extra_certs;
    const char *reject;
    long days;
    int poll;
    int poll_from, poll_to;
    int check_after;
    int send_capubs;
    int central_keygen;
    const char *certout;
    const char *rsp[6];              /* the --rsp-* files / the CN */
} OPTS;

enum {
    O_PORT = 256, O_PATH, O_MAXREQ, O_TIMEOUT, O_REF, O_SECRET, O_CAKEY,
    O_CACERT, O_CACERTOUT, O_SRVCERT, O_SRVKEY, O_TRUSTED, O_ACCEPT_UNPROT,
    O_DAYS, O_CERTOUT, O_POLL, O_POLL_FROM, O_POLL_TO, O_CHECK_AFTER,
    O_REJECT, O_IMPLICIT, O_CAPUBS, O_EXTRA, O_VERBOSE, O_IO_TIMEOUT, O_FORK,
    O_RAVERIFIED, O_RSP_CACERTS, O_RSP_NWN, O_RSP_NWO, O_RSP_OWN, O_RSP_CRL,
    O_RSP_TEMPLATE, O_CKG, O_HELP
};

static const struct option long_opts[] = {
    { "port", required_argument, NULL, O_PORT },
    { "path", required_argument, NULL, O_PATH },
    { "max-requests", required_argument, NULL, O_MAXREQ },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "ref", required_argument, NULL, O_REF },
    { "secret", required_argument, NULL, O_SECRET },
    { "cakey", required_argument, NULL, O_CAKEY },
    { "cacert", required_argument, NULL, O_CACERT },
    { "cacertout", required_argument, NULL, O_CACERTOUT },
    { "srvcert", required_argument, NULL, O_SRVCERT },
    { "srvkey", required_argument, NULL, O_SRVKEY },
    { "trusted", required_argument, NULL, O_TRUSTED },
    { "accept-unprotected", no_argument, NULL, O_ACCEPT_UNPROT },
    { "days", required_argument, NULL, O_DAYS },
    { "certout", required_argument, NULL, O_CERTOUT },
    { "poll", required_argument, NULL, O_POLL },
    { "check-after", required_argument, NULL, O_CHECK_AFTER },
    { "poll-from", required_argument, NULL, O_POLL_FROM },
    { "poll-to", required_argument, NULL, O_POLL_TO },
    { "reject", required_argument, NULL, O_REJECT },
    { "grant-implicit-confirm", required_argument, NULL, O_IMPLICIT },
    { "send-capubs", no_argument, NULL, O_CAPUBS },
    { "extra-certs", required_argument, NULL, O_EXTRA },
    { "verbose", no_argument, NULL, O_VERBOSE },
    { "io-timeout", required_argument, NULL, O_IO_TIMEOUT },
    { "fork", no_argument, NULL, O_FORK },
    { "accept-raverified", no_argument, NULL, O_RAVERIFIED },
    { "rsp-cacerts", required_argument, NULL, O_RSP_CACERTS },
    { "rsp-newwithnew", required_argument, NULL, O_RSP_NWN },
    { "rsp-newwithold", required_argument, NULL, O_RSP_NWO },
    { "rsp-oldwithnew", required_argument, NULL, O_RSP_OWN },
    { "rsp-crl", required_argument, NULL, O_RSP_CRL },
    { "rsp-template", required_argument, NULL, O_RSP_TEMPLATE },
    { "central-keygen", no_argument, NULL, O_CKG },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 }
};

/* Parses a number in [min, max] for option name; exits on error. */
static long number(const char *name, const char *arg, long min, long max)
{
    char *end;
    long val = strtol(arg, &end, 10);

    if (end == arg || *end != '\0' || val < min || val > max) {
        fprintf(stderr, "testca: bad --%s: %s\n", name, arg);
        exit(2);
    }
    return val;
}

/* Parses yes/no for option name; exits on error. */
static int yes_no(const char *name, const char *arg)
{
    if (strcmp(arg, "yes") == 0)
        return 1;
    if (strcmp(arg, "no") == 0)
        return 0;
    fprintf(stderr, "testca: --%s wants yes or no\n", name);
    exit(2);
}

/* Stores the argument of the options naming files and texts. */
static int set_string(OPTS *o, int opt, const char *arg)
{
    const char **slot;

    switch (opt) {
    case O_PATH: slot = &o->http.path; break;
    case O_REF: slot = &o->srv.ref; break;
    case O_SECRET: slot = &o->srv.secret; break;
    case O_CAKEY: slot = &o->cakey; break;
    case O_CACERT: slot = &o->cacert; break;
    case O_CACERTOUT: slot = &o->cacertout; break;
    case O_SRVCERT: slot = &o->srv.srvcert; break;
    case O_SRVKEY: slot = &o->srv.srvkey; break;
    case O_TRUSTED: slot = &o->srv.trusted; break;
    case O_CERTOUT: slot = &o->certout; break;
    case O_REJECT: slot = &o->reject; break;
    case O_EXTRA: slot = &o->extra_certs; break;
    case O_RSP_CACERTS: case O_RSP_NWN: case O_RSP_NWO: case O_RSP_OWN:
    case O_RSP_CRL: case O_RSP_TEMPLATE:
        slot = &o->rsp[opt - O_RSP_CACERTS];
        break;
    default: return 0;
    }
    *slot = arg;
    return 1;
}

/* Stores one option; exits on bad values. */
static void set_option(OPTS *o, int opt, const char *arg)
{
    const char *name = opt >= O_PORT && opt <= O_HELP
        ? long_opts[opt - O_PORT].name : "?";

    if (set_string(o, opt, arg))
        return;
    switch (opt) {
    case O_PORT: o->http.port = (int)number(name, arg, 0, 65535); break;
    case O_MAXREQ: o->http.max_requests = number(name, arg, 0, 1L << 30);
        break;
    case O_TIMEOUT: o->http.timeout = number(name, arg, 0, 1L << 30); break;
    case O_IO_TIMEOUT: o->http.io_timeout = number(name, arg, 1, 3600);
        break;
    case O_DAYS: o->days = number(name, arg, 1, 36500); break;
    case O_POLL: o->poll = (int)number(name, arg, 0, 1000); break;
    case O_POLL_FROM: o->poll_from = (int)number(name, arg, 1, 1000); break;
    case O_POLL_TO: o->poll_to = (int)number(name, arg, 1, 1000); break;
    case O_CHECK_AFTER: o->check_after = (int)number(name, arg, 0, 3600);
        break;
    case O_ACCEPT_UNPROT: o->srv.accept_unprotected = 1; break;
    case O_FORK: o->http.fork = 1; break;
    case O_RAVERIFIED: o->srv.accept_raverified = 1; break;
    case O_IMPLICIT: o->srv.grant_implicit_confirm = yes_no(name, arg);
        break;
    case O_CAPUBS: o->send_capubs = 1; break;
    case O_VERBOSE: o->srv.verbose = 1; break;
    case O_CKG: o->central_keygen = 1; break;
    case O_HELP: fputs(usage, stdout); exit(0);
    default: fputs(usage, stderr); exit(2);
    }
}

/* Parses argv into o; exits with 2 on usage errors. */
static void parse_args(OPTS *o, int argc, char **argv)
{
    int opt;

    memset(o, 0, sizeof(*o));
    o->http.timeout = DEFAULT_TIMEOUT;
    o->http.io_timeout = DEFAULT_IO_TIMEOUT;
    o->days = DEFAULT_DAYS;
    o->check_after = 1;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1)
        set_option(o, opt, optarg);
    if (optind != argc || (o->cakey == NULL) != (o->cacert == NULL)
            || (o->srv.srvcert == NULL) != (o->srv.srvkey == NULL)
            || (o->srv.ref != NULL && o->srv.secret == NULL)) {
        fprintf(stderr, "testca: --cakey/--cacert and --srvcert/--srvkey "
                "go in pairs, --ref needs --secret\n%s", usage);
        exit(2);
    }
    if (o->central_keygen && !TESTCA_HAS_CKG) {
        fprintf(stderr, "testca: --central-keygen needs libcrypto 3.5 or "
                "later (server-side central key generation), not %s\n",
                OpenSSL_version(OPENSSL_VERSION));
        exit(2);
    }
    if (o->reject != NULL && srv_failinfo_bit(o->reject) < 0) {
        fprintf(stderr, "testca: unknown failInfo name %s\n", o->reject);
        exit(2);
    }
}

/* Loads what the --rsp-* options name for genm answers. 1 or 0. */
static int setup_genm(const OPTS *o, SRV *s)
{
    X509 **certs[3] = { &s->genm_nwn, &s->genm_nwo, &s->genm_own };
    BIO *b;
    int i;

    if (o->rsp[0] != NULL
            && (s->genm_cacerts = ca_load_certs(o->rsp[0])) == NULL)
        return 0;
    for (i = 0; i < 3; i++)
        if (o->rsp[1 + i] != NULL
                && (*certs[i] = ca_load_cert(o->rsp[1 + i])) == NULL)
            return 0;
    if (o->rsp[4] != NULL) {
        if ((b = BIO_new_file(o->rsp[4], "r")) != NULL)
            s->genm_crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
        BIO_free(b);
        if (s->genm_crl == NULL)
            return 0;
    }
    s->genm_template_cn = o->rsp[5];
    return 1;
}

/* Sets up CA and server from o. Returns 1 or 0. */
static int setup(const OPTS *o, CA *ca, SRV *s)
{
    ca->days = o->days;
    ca->certout = o->certout;
    ca->kga = o->central_keygen;
    if (!ca_init(ca, o->cakey, o->cacert))
        return 0;
    if (o->cacertout != NULL && !ca_write_cert(o->cacertout, ca->cert))
        return 0;
    s->ca = ca;
    s->poll_total = o->poll;
    s->poll_from = o->poll_from > 0 ? o->poll_from : 1;
    s->poll_to = o->poll_to > 0 ? o->poll_to : INT_MAX;
    s->check_after = o->check_after;
    s->reject_bit = o->reject != NULL ? srv_failinfo_bit(o->reject) : -1;
    s->send_capubs = o->send_capubs;
    s->central_keygen = o->central_keygen;
    if (o->extra_certs != NULL
            && (s->extra_certs = ca_load_certs(o->extra_certs)) == NULL)
        return 0;
    if (!setup_genm(o, s))
        return 0;
    return srv_init(s, &o->srv);
}

int main(int argc, char **argv)
{
    OPTS o;
    CA ca;
    SRV s;
    int res = 1;

    memset(&ca, 0, sizeof(ca));
    memset(&s, 0, sizeof(s));
    parse_args(&o, argc, argv);
    if (!setup(&o, &ca, &s))
        goto err;
    o.http.handler = srv_handle;
    o.http.arg = &s;
    if (!http_serve(&o.http))
        goto err;
    fprintf(stderr, "testca: %d certificate(s) issued, %ld pollReq(s)\n",
            ca.n_issued, s.n_pollreq);
    res = 0;
 err:
    if (res != 0) {
        fprintf(stderr, "testca: failed\n");
        ERR_print_errors_fp(stderr);
    }
    srv_cleanup(&s);
    ca_cleanup(&ca);
    return res;
}
