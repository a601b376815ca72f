/*
 * src/app/app.h - the private header of p11cmp(1): the option table and
 * its values, the exit codes, and the prototypes of the program's files
 * (opts.c, pass.c, load.c, cmd.c, renew.c, log.c, main.c). The program
 * uses only the public API of libp11cmp.
 */
#ifndef P11CMP_APP_H
#define P11CMP_APP_H

#include <stdio.h>

#include <openssl/conf.h>
#include <openssl/x509.h>
#include <p11cmp/p11cmp.h>

/* Exit codes, documented in p11cmp(1) EXIT STATUS. */
enum {
    EXIT_OK = 0,         /* success, or nothing to do (-renew_within) */
    EXIT_OTHER = 1,      /* any other error: files, memory, internal */
    EXIT_USAGE = 2,      /* bad option, value, combination or config */
    EXIT_TRANSPORT = 3,  /* no answer: connection, HTTP, timeout */
    EXIT_REJECTED = 4,   /* the server said no: rejection, error msg */
    EXIT_VALIDATION = 5, /* a response or the new cert failed our checks */
    EXIT_TOKEN = 6       /* PKCS#11: module, token, key, PIN, storing */
};

/* Kinds of option arguments. */
enum opt_kind { K_FLAG, K_STR, K_INT, K_NONNEG, K_POSINT };

/* Every option of p11cmp, in the order of the usage text. */
enum opt_id {
    O_HELP, O_VERSION, O_CONFIG, O_SECTION, O_VERBOSITY,
    O_CMD, O_INFOTYPE, O_PROFILE, O_GENINFO, O_TEMPLATE, O_KEYSPEC,
    O_NEWKEY, O_NEWKEYPASS, O_NEWKEYGEN, O_CENTRALKEYGEN, O_NEWKEYOUT,
    O_SUBJECT, O_ISSUER, O_DAYS,
    O_REQEXTS, O_SANS, O_SAN_NODEFAULT, O_POLICIES, O_POLICY_OIDS,
    O_POLICY_OIDS_CRITICAL, O_POPO, O_CSR, O_OUT_TRUSTED,
    O_IMPLICIT_CONFIRM, O_DISABLE_CONFIRM, O_CERTOUT, O_CHAINOUT,
    O_OLDCERT, O_SERIAL, O_REVREASON,
    O_SERVER, O_PROXY, O_NO_PROXY, O_RECIPIENT, O_PATH, O_KEEP_ALIVE,
    O_MSG_TIMEOUT, O_TOTAL_TIMEOUT,
    O_TRUSTED, O_UNTRUSTED, O_SRVCERT, O_EXPECT_SENDER, O_IGNORE_KEYUSAGE,
    O_UNPROTECTED_ERRORS, O_NO_CACHE_EXTRACERTS, O_SRVCERTOUT,
    O_EXTRACERTSOUT,
    O_CACERTSOUT, O_OLDWITHOLD, O_NEWWITHNEW, O_NEWWITHOLD, O_OLDWITHNEW,
    O_CRLCERT, O_OLDCRL, O_CRLOUT,
    O_REF, O_SECRET, O_CERT, O_OWN_TRUSTED, O_KEY, O_KEYPASS, O_DIGEST,
    O_MAC, O_EXTRACERTS, O_UNPROTECTED_REQUESTS,
    O_CERTFORM, O_CRLFORM, O_KEYFORM, O_OTHERPASS,
    O_TLS_USED, O_TLS_CERT, O_TLS_KEY, O_TLS_KEYPASS, O_TLS_EXTRA,
    O_TLS_TRUSTED, O_TLS_HOST,
    O_BATCH, O_REPEAT, O_REQIN, O_REQIN_NEW_TID, O_REQOUT, O_RSPIN,
    O_RSPOUT, O_REQOUT_ONLY,
    O_MODULE, O_NO_STORE, O_KEEP_OLD, O_RENEW_WITHIN, O_POST_HOOK,
    O_BATCH_IN, O_BATCH_OUT, O_WORKERS,
    /* openssl cmp's generic application options (vfy.c) */
    O_ENGINE, O_PROVIDER_PATH, O_PROVIDER, O_PROPQUERY, O_RAND, O_WRITERAND,
    O_V_POLICY, O_V_PURPOSE, O_V_VERIFY_NAME, O_V_VERIFY_DEPTH,
    O_V_AUTH_LEVEL, O_V_ATTIME, O_V_VERIFY_HOSTNAME, O_V_VERIFY_EMAIL,
    O_V_VERIFY_IP, O_V_IGNORE_CRITICAL, O_V_ISSUER_CHECKS, O_V_CRL_CHECK,
    O_V_CRL_CHECK_ALL, O_V_POLICY_CHECK, O_V_EXPLICIT_POLICY,
    O_V_INHIBIT_ANY, O_V_INHIBIT_MAP, O_V_X509_STRICT, O_V_EXTENDED_CRL,
    O_V_USE_DELTAS, O_V_POLICY_PRINT, O_V_CHECK_SS_SIG, O_V_TRUSTED_FIRST,
    O_V_SUITEB_128_ONLY, O_V_SUITEB_128, O_V_SUITEB_192, O_V_PARTIAL_CHAIN,
    O_V_NO_ALT_CHAINS, O_V_NO_CHECK_TIME, O_V_ALLOW_PROXY_CERTS,
    O_COUNT
};
#define O_XOPT_FIRST O_ENGINE

/* One entry of the option table. */
struct opt_def {
    enum opt_id id;
    const char *name;    /* without the leading '-' */
    enum opt_kind kind;
    const char *arg;     /* argument name in the usage text, or NULL */
    const char *help;
};

/* The value of one option: from the command line or the config file. */
struct opt_val {
    const char *str;     /* borrowed from argv or the CONF; NULL = unset */
    long num;            /* K_FLAG / K_INT / K_NONNEG / K_POSINT */
    int set;             /* given on the command line or in the config */
};

/* the files of -reqin, -reqout, -rspin, -rspout, used in order */
struct app_files {
    char *list;          /* a copy of the option text, split in place */
    char *next;          /* strtok_r position */
    int started;
};

/* The parsed options; values are borrowed from argv and conf. */
struct app {
    struct opt_val v[O_COUNT];
    CONF *conf;          /* the -config file, or NULL */
    int verbosity;
    P11CMP_CTX *ctx;
    int cmd;             /* CMD_* */
    struct app_files reqin, reqout, rspin, rspout;
    int polls;           /* pollReqs sent in this transaction */
    int file_error;      /* a -reqin/-rspin/-reqout/-rspout file failed */
    int reqout_only_done; /* -reqout_only: the request is saved, unsent */
    X509_STORE *out_trusted; /* certConf callback argument; owned */
    char *stored_uri;    /* where the new cert was stored; owned */
    X509 *refcert;       /* -oldcert, else -cert; owned */
    struct ssl_ctx_st *ssl_ctx; /* TLS settings, or NULL; owned */
    char *tls_host;      /* server name for SNI; owned */
    X509_VERIFY_PARAM *vpm; /* verification options, or NULL; owned */
    struct ossl_provider_st *prov[16]; /* -provider; owned */
    int n_prov;
    const char *writerand; /* -writerand file, borrowed */
};

enum { CMD_NONE, CMD_IR, CMD_CR, CMD_KUR, CMD_P10CR, CMD_RR, CMD_GENM };
/* the -infotype values of -cmd genm with their own handling (genm.c) */
enum { GENM_OTHER, GENM_CACERTS, GENM_ROOTCACERT, GENM_CRLSTATUSLIST,
       GENM_CERTREQTEMPLATE };

#define OPT_STR(a, id) ((a)->v[(id)].str)
#define OPT_NUM(a, id) ((a)->v[(id)].num)
#define OPT_SET(a, id) ((a)->v[(id)].set)

/* from opts.c */
const struct opt_def *app_opt_table(void);
/* Parses argv (and -config/-section) into a; returns an EXIT_* code. */
int app_parse(struct app *a, int argc, char **argv);
void app_usage(FILE *out);
/* Frees what app_parse allocated (the CONF). */
void app_opts_free(struct app *a);
/* Prints "p11cmp: usage error: ..." to stderr; returns EXIT_USAGE. */
int app_usage_error(const char *fmt, ...);

/* from pass.c */
/*
 * The password a source names ("pass:", "env:", "file:", "fd:", "stdin"):
 * a new string the caller frees with app_pass_free, or NULL with a message
 * on stderr. Each source is read once per run; a repeated source gives the
 * same value again (so fd: and stdin can serve two options).
 */
char *app_pass_get(const char *source, const char *what);
void app_pass_free(char *pass);
/* 1 once a password source gave nothing (a usage error, exit 2). */
int app_pass_failed(void);
/* Cleanses and frees every cached password; at exit. */
void app_pass_cleanup(void);

/* from load.c */
X509 *app_load_cert(struct app *a, const char *src, const char *passsrc,
                    const char *what);
/*
 * The first certificate of src and, in *rest (a new stack, NULL for a
 * token), the others of a file: a cert with its chain, as openssl cmp
 * reads -cert. NULL (message printed) if there is none.
 */
X509 *app_load_cert_chain(struct app *a, const char *src,
                          const char *passsrc, const char *what,
                          STACK_OF(X509) **rest);
STACK_OF(X509) *app_load_certs(struct app *a, const char *srcs,
                               const char *what);
X509_STORE *app_load_store(struct app *a, const char *srcs,
                           const char *what);
/* A key; *priv (if not NULL) = 0 when a file held only a public key. */
EVP_PKEY *app_load_key(struct app *a, const char *src, const char *passsrc,
                       const char *what, int *priv);
X509_REQ *app_load_csr(struct app *a, const char *file);
/* The CSR (PEM or DER) of file, or NULL; no message, no error left. */
X509_REQ *app_read_csr(const char *file);
int app_save_cert(struct app *a, X509 *cert, const char *file);
int app_save_certs(struct app *a, STACK_OF(X509) *certs, const char *file);
/* 1 if src is a pkcs11: URI. */
int app_is_uri(const char *src);
/*
 * The URI with "module-path=PATH" of -module added when it has none; a
 * new string, or NULL on error.
 */
char *app_uri_with_module(struct app *a, const char *uri);

/* from tmpl.c: each returns 1, or 0 after printing a usage error */
X509_NAME *app_parse_name(const char *dn, const char *opt);
int app_set_sans(struct app *a, const char *list);
int app_set_policy_oids(struct app *a, const char *list);
int app_set_reqexts(struct app *a);
int app_set_geninfo(struct app *a, const char *text);
int app_set_infotype(struct app *a, const char *name);
int app_set_profile(struct app *a, const char *name);

/* from genm.c */
/* The GENM_* kind of an -infotype name (caCerts or id-it-caCerts ...). */
int app_genm_kind(const char *infotype);
/* Usage errors of the genm output options; an EXIT_* code. */
int app_check_genm(struct app *a);
/* Runs the genm of kind and writes (or removes) its files; EXIT_*. */
int app_run_genm(struct app *a, int kind);
/* Saves cert to file, or without cert removes a stale file (desc says
 * what is missing); 1, or 0 with a message. No-op without file. */
int app_save_or_remove(struct app *a, X509 *cert, const char *file,
                       const char *desc);

/* from genm_token.c: genm outputs that are pkcs11: URIs */
/*
 * The token transaction for the outputs outs[0..n-1] (NULL entries
 * allowed) that are pkcs11: URIs, opened on the token of the first; NULL
 * with *rc EXIT_OK when none is a URI, else NULL with *rc an EXIT_* code
 * (printed) if it cannot be opened.
 */
P11CMP_PKCS11_TXN *app_out_txn(struct app *a, const char *const *outs,
                               int n, int *rc);
/*
 * Puts certs (or the one cert, may be NULL) under the label of out in
 * txn, keeping keep (may be NULL); desc names the output in the log. 1 or
 * 0 (errors left on the stack).
 */
int app_out_certs(struct app *a, P11CMP_PKCS11_TXN *txn, const char *out,
                  STACK_OF(X509) *certs, X509 *keep, const char *desc);
int app_out_cert(struct app *a, P11CMP_PKCS11_TXN *txn, const char *out,
                 X509 *cert, X509 *keep, const char *desc);
/* All of it for certs (may be empty) and out alone; an EXIT_* code. */
int app_out_certs_now(struct app *a, const char *out, STACK_OF(X509) *certs,
                      const char *desc);
/* The same for a CRL (may be NULL), keeping keep (may be NULL). */
int app_out_crl(struct app *a, P11CMP_PKCS11_TXN *txn, const char *out,
                X509_CRL *crl, X509_CRL *keep);
/* The CRL object a pkcs11: URI names (-oldcrl); NULL with a message. */
X509_CRL *app_load_token_crl(struct app *a, const char *src);
/*
 * Commits txn if ok (else rolls it back) and frees it; EXIT_OK, or an
 * EXIT_* code with the errors printed. EXIT_OK for txn NULL.
 */
int app_out_commit(struct app *a, P11CMP_PKCS11_TXN *txn, int ok);

/* from setup.c */
/* Usage errors of option values and combinations; an EXIT_* code. */
int app_check_options(struct app *a);
/*
 * Configures a->ctx from the options (transfer, protection, template,
 * credentials); an EXIT_* code, messages printed.
 */
int app_setup(struct app *a);

/* from tls.c */
/* With -tls_used: the SSL_CTX and the http_cb; an EXIT_* code. */
int app_setup_tls(struct app *a, const char *host);
void app_tls_free(struct app *a);

/* from xfer.c */
/*
 * The transfer callback of p11cmp: progress lines, -reqout/-rspout,
 * -reqin/-rspin, then HTTP(S) through P11CMP_MSG_http_perform().
 */
P11CMP_MSG *app_transfer_cb(P11CMP_CTX *ctx, const P11CMP_MSG *req);
/* With -reqout_only: warns about the options it overrides; EXIT_OK. */
int app_check_reqout_only(struct app *a);
const char *app_body_name(int type);

/* from vfy.c */
/*
 * Applies one occurrence of an option from O_XOPT_FIRST on (verification,
 * provider, random state, engine): val is its argument, or for a flag
 * NULL (command line) or the config value ("0" = not set). where says
 * where it came from, for messages. EXIT_OK or an EXIT_* code (printed).
 */
int app_xopt(struct app *a, const struct opt_def *def, const char *val,
             const char *where);
/*
 * Gives store the verification options; what is the option it is for
 * ("-out_trusted": without -attime; others: without the host, email and
 * IP, which only newly enrolled certs are checked for). 1 or 0.
 */
int app_store_set_param(struct app *a, X509_STORE *store, const char *what);
/* At the end of a run: -writerand; EXIT_OK or EXIT_OTHER (printed). */
int app_xopts_finish(struct app *a);
void app_xopts_free(struct app *a);

/* from log.c */
int app_log_cb(const char *func, const char *file, int line,
               P11CMP_severity level, const char *msg);
void app_log(struct app *a, int level, const char *fmt, ...);
void app_set_log_app(struct app *a);

/* from cmd.c */
/* Sets ctx up from the options and runs -cmd; returns an EXIT_* code. */
int app_run(struct app *a);
/* The EXIT_* code for the errors on the ERR stack and ctx's status. */
int app_exit_code(struct app *a);
/* The same, the errors and the status printed to out. */
int app_exit_code_to(struct app *a, FILE *out);
/* Prints and clears the ERR stack; its EXIT_* class, else dflt. */
int app_errors_exit(struct app *a, int dflt);
/* Takes store as the trust anchors of the default certConf callback. */
int app_set_out_trusted(struct app *a, X509_STORE *store);
/* "what: subject=... serial=... notAfter=..." on stdout. */
void app_print_cert_line(const char *what, X509 *cert);

/* from token.c */
int app_newkey_generate(struct app *a);

/* from ckg.c: -centralkeygen, -newkeyout */
/* 1 if an ir/cr/kur asks for central key generation */
int app_ckg_wanted(const struct app *a);
/* the checks of -centralkeygen and -newkeyout; sets -popo -1; EXIT_* */
int app_check_ckg(struct app *a);
/*
 * With -centralkeygen -newkey pkcs11:...: opens that token for the key
 * (P11CMP_CTX_set1_centralKey_uri); an EXIT_* code (EXIT_OK if not asked).
 */
int app_ckg_token_setup(struct app *a);
/* writes the centrally generated key to -newkeyout, if asked; 1 or 0 */
int app_save_newkey(struct app *a);
int app_setup_store(struct app *a);
/* The pkcs11: URI of the stored new cert, or NULL; owned by a. */
const char *app_stored_uri(struct app *a);
void app_report_stored(struct app *a, X509 *cert);

/* from batch.c */
/*
 * -batch_in: P10CR for each request of the directory or list, -workers
 * threads with a context each; the EXIT_* of the first failed request.
 */
int app_batch_run(struct app *a);

/* from renew.c */
/*
 * With -renew_within: 1 if the certificate to renew is valid for longer
 * than the window (nothing to do, a line printed), 0 if renewal is due,
 * -1 on error (message printed).
 */
int app_renew_check(struct app *a);
/* Runs -post_hook with P11CMP_* variables; EXIT_OK or EXIT_OTHER. */
int app_post_hook(struct app *a, X509 *cert, const char *cert_file,
                  const char *cert_uri);

/* from load.c: "pass:VALUE" of a password source, or NULL (caller frees) */
char *app_pin_arg(const char *passsrc, const char *what);

#endif /* P11CMP_APP_H */
