/*
 * src/app/opts.c - the options of p11cmp(1): the table (names, argument
 * kinds, usage text), parsing of the command line, and options read from
 * sections of a -config file with libcrypto's NCONF, as openssl cmp does:
 * the sections named by -section (later ones override earlier ones, each
 * falling back to [default] and the unnamed section), then the command
 * line overriding all of them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "app.h"

static const struct opt_def table[] = {
    {O_HELP, "help", K_FLAG, NULL, "Print this summary and exit"},
    {O_VERSION, "version", K_FLAG, NULL, "Print the version and exit"},
    {O_CONFIG, "config", K_STR, "file",
     "Config file to read options from; \"\" = none (default: "
     "$OPENSSL_CONF)"},
    {O_SECTION, "section", K_STR, "names",
     "Config section(s) to use; \"\" = [default]; default \"cmp\""},
    {O_VERBOSITY, "verbosity", K_NONNEG, "level",
     "Log level 0..8; 6 = progress, 8 = trace; default 5"},
    {O_CMD, "cmd", K_STR, "cmd", "CMP request: ir|cr|kur|p10cr|rr|genm"},
    {O_INFOTYPE, "infotype", K_STR, "name", "InfoType to ask for in genm"},
    {O_PROFILE, "profile", K_STR, "name",
     "Certificate profile name for the generalInfo of requests"},
    {O_GENINFO, "geninfo", K_STR, "OID:int:N",
     "generalInfo integer value for the PKIHeader"},
    {O_TEMPLATE, "template", K_STR, "file",
     "Save the certTemplate of a genp certReqTemplate (DER)"},
    {O_KEYSPEC, "keyspec", K_STR, "file",
     "Save the keySpec of a genp certReqTemplate (DER)"},
    {O_NEWKEY, "newkey", K_STR, "key",
     "Key to enroll: file or pkcs11: URI (default: -csr, -key)"},
    {O_NEWKEYPASS, "newkeypass", K_STR, "src",
     "Pass phrase or PIN source of -newkey"},
    {O_NEWKEYGEN, "newkeygen", K_STR, "alg",
     "Generate -newkey on its token: EC:P-256, RSA:3072, ..."},
    {O_CENTRALKEYGEN, "centralkeygen", K_FLAG, NULL,
     "Ask the CA to generate the key (RFC 9483 4.1.6)"},
    {O_NEWKEYOUT, "newkeyout", K_STR, "file",
     "Save the centrally generated key to file (PEM, mode 0600)"},
    {O_SUBJECT, "subject", K_STR, "DN", "Subject DN of the cert template"},
    {O_ISSUER, "issuer", K_STR, "DN", "Issuer DN of the cert template"},
    {O_DAYS, "days", K_NONNEG, "n", "Requested validity in days"},
    {O_REQEXTS, "reqexts", K_STR, "section",
     "Config section with request extensions"},
    {O_SANS, "sans", K_STR, "names",
     "Subject alt names (DNS, IP, URI), \"critical\" marks them"},
    {O_SAN_NODEFAULT, "san_nodefault", K_FLAG, NULL,
     "No default SANs from the reference cert"},
    {O_POLICIES, "policies", K_STR, "section",
     "Config section with certificate policies"},
    {O_POLICY_OIDS, "policy_oids", K_STR, "OIDs", "Policy OIDs to request"},
    {O_POLICY_OIDS_CRITICAL, "policy_oids_critical", K_FLAG, NULL,
     "Mark the policies extension critical"},
    {O_POPO, "popo", K_INT, "n",
     "POPO: -1 none, 0 RAVERIFIED, 1 signature (default), 2 KEYENC"},
    {O_CSR, "csr", K_STR, "file", "PKCS#10 CSR (PEM or DER) for p10cr"},
    {O_OUT_TRUSTED, "out_trusted", K_STR, "files",
     "Trust anchors for the newly enrolled cert"},
    {O_IMPLICIT_CONFIRM, "implicit_confirm", K_FLAG, NULL,
     "Request implicit confirmation"},
    {O_DISABLE_CONFIRM, "disable_confirm", K_FLAG, NULL,
     "Do not send certConf (violates RFC 4210)"},
    {O_CERTOUT, "certout", K_STR, "file", "Save the new cert to file"},
    {O_CHAINOUT, "chainout", K_STR, "file",
     "Save the chain of the new cert to file"},
    {O_OLDCERT, "oldcert", K_STR, "cert",
     "Cert to update (kur) or revoke (rr): file or pkcs11: URI"},
    {O_SERIAL, "serial", K_STR, "n",
     "rr: serial number (decimal or 0x hex) of the cert to revoke, with "
     "-issuer"},
    {O_REVREASON, "revreason", K_INT, "n",
     "Revocation reason 0..6, 8..10, or -1 (default) for none"},
    {O_SERVER, "server", K_STR, "[http://]host[:port][/path]",
     "CMP server"},
    {O_PROXY, "proxy", K_STR, "[http://]host[:port]", "HTTP proxy"},
    {O_NO_PROXY, "no_proxy", K_STR, "hosts", "Hosts not to use the proxy for"},
    {O_RECIPIENT, "recipient", K_STR, "DN", "DN of the CA (recipient)"},
    {O_PATH, "path", K_STR, "path", "HTTP path at the server"},
    {O_KEEP_ALIVE, "keep_alive", K_NONNEG, "n",
     "Persistent HTTP: 0 no, 1 request (default), 2 require"},
    {O_MSG_TIMEOUT, "msg_timeout", K_NONNEG, "secs",
     "Timeout per message round trip, 0 = none"},
    {O_TOTAL_TIMEOUT, "total_timeout", K_NONNEG, "secs",
     "Timeout of a transaction incl. polling, 0 = none"},
    {O_TRUSTED, "trusted", K_STR, "files",
     "Trust anchors for signed responses"},
    {O_UNTRUSTED, "untrusted", K_STR, "files",
     "Intermediate certs for chain building"},
    {O_SRVCERT, "srvcert", K_STR, "cert", "Server cert to pin"},
    {O_EXPECT_SENDER, "expect_sender", K_STR, "DN",
     "Expected sender DN of responses"},
    {O_IGNORE_KEYUSAGE, "ignore_keyusage", K_FLAG, NULL,
     "Ignore the key usage of the CMP signer cert"},
    {O_UNPROTECTED_ERRORS, "unprotected_errors", K_FLAG, NULL,
     "Accept unprotected negative responses (violates RFC 4210)"},
    {O_NO_CACHE_EXTRACERTS, "no_cache_extracerts", K_FLAG, NULL,
     "Do not keep the extraCerts received for later chains"},
    {O_SRVCERTOUT, "srvcertout", K_STR, "file",
     "Save the server cert the response protection was validated with"},
    {O_EXTRACERTSOUT, "extracertsout", K_STR, "file",
     "Save the extraCerts received"},
    {O_CACERTSOUT, "cacertsout", K_STR, "file",
     "Save the caPubs received, or the CA certs of genm caCerts"},
    {O_OLDWITHOLD, "oldwithold", K_STR, "cert",
     "Root CA cert whose update genm rootCaCert asks for"},
    {O_NEWWITHNEW, "newwithnew", K_STR, "file",
     "Save the new root CA cert (newWithNew) of genm rootCaCert"},
    {O_NEWWITHOLD, "newwithold", K_STR, "file",
     "Save the newWithOld link cert of genm rootCaCert"},
    {O_OLDWITHNEW, "oldwithnew", K_STR, "file",
     "Save the oldWithNew link cert of genm rootCaCert"},
    {O_CRLCERT, "crlcert", K_STR, "cert",
     "Cert whose CRL genm crlStatusList asks for"},
    {O_OLDCRL, "oldcrl", K_STR, "file",
     "CRL to ask a newer one for in genm crlStatusList"},
    {O_CRLOUT, "crlout", K_STR, "file",
     "Save the CRL of genm crlStatusList"},
    {O_REF, "ref", K_STR, "value", "Reference (senderKID) for PBM"},
    {O_SECRET, "secret", K_STR, "src", "PBM secret source"},
    {O_CERT, "cert", K_STR, "cert",
     "Client's CMP signer cert: file or pkcs11: URI"},
    {O_OWN_TRUSTED, "own_trusted", K_STR, "files",
     "Trust anchors to build the own cert chain"},
    {O_KEY, "key", K_STR, "key",
     "CMP signer key: file or pkcs11: URI"},
    {O_KEYPASS, "keypass", K_STR, "src",
     "Pass phrase or PIN source of -key (and -cert, -oldcert)"},
    {O_DIGEST, "digest", K_STR, "alg", "Digest for protection and POPO"},
    {O_MAC, "mac", K_STR, "alg", "MAC algorithm of PBM"},
    {O_EXTRACERTS, "extracerts", K_STR, "files",
     "Certs to send in extraCerts"},
    {O_UNPROTECTED_REQUESTS, "unprotected_requests", K_FLAG, NULL,
     "Send requests without protection"},
    {O_CERTFORM, "certform", K_STR, "PEM|DER",
     "Format of certs written (and of cert files read)"},
    {O_CRLFORM, "crlform", K_STR, "PEM|DER",
     "Format of the CRL written with -crlout (default DER)"},
    {O_KEYFORM, "keyform", K_STR, "PEM|DER|P12", "Format of key files"},
    {O_OTHERPASS, "otherpass", K_STR, "src",
     "Pass phrase of PKCS#12 files of -trusted, -untrusted, -srvcert, "
     "-own_trusted, -out_trusted, -extracerts, -tls_extra, -tls_trusted"},
    {O_TLS_USED, "tls_used", K_FLAG, NULL, "Use TLS (https)"},
    {O_TLS_CERT, "tls_cert", K_STR, "cert", "Client's TLS cert"},
    {O_TLS_KEY, "tls_key", K_STR, "key",
     "Client's TLS key: file or pkcs11: URI"},
    {O_TLS_KEYPASS, "tls_keypass", K_STR, "src",
     "Pass phrase or PIN source of -tls_key"},
    {O_TLS_EXTRA, "tls_extra", K_STR, "files", "Extra certs for TLS"},
    {O_TLS_TRUSTED, "tls_trusted", K_STR, "files",
     "Trust anchors for the TLS server"},
    {O_TLS_HOST, "tls_host", K_STR, "name",
     "Host name to check in the TLS server cert"},
    {O_BATCH, "batch", K_FLAG, NULL, "Never prompt (passwords, PINs)"},
    {O_REPEAT, "repeat", K_POSINT, "n", "Run the transaction n times"},
    {O_REQIN, "reqin", K_STR, "files", "Send the requests in these files"},
    {O_REQIN_NEW_TID, "reqin_new_tid", K_FLAG, NULL,
     "Fresh transactionID for -reqin requests"},
    {O_REQOUT, "reqout", K_STR, "files", "Save the requests sent"},
    {O_RSPIN, "rspin", K_STR, "files",
     "Take responses from these files, not from the server"},
    {O_RSPOUT, "rspout", K_STR, "files", "Save the responses received"},
    {O_REQOUT_ONLY, "reqout_only", K_STR, "file",
     "Save the first request to file and exit without sending it"},
    {O_MODULE, "module", K_STR, "path",
     "PKCS#11 module for URIs without module-path"},
    {O_NO_STORE, "no_store", K_FLAG, NULL,
     "Do not store the new cert and chain on the token"},
    {O_KEEP_OLD, "keep_old", K_FLAG, NULL,
     "kur: keep the old key and cert on the token"},
    {O_RENEW_WITHIN, "renew_within", K_NONNEG, "days",
     "kur only if the cert expires within days, else exit 0"},
    {O_POST_HOOK, "post_hook", K_STR, "command",
     "Run command after a successful change"},
    {O_BATCH_IN, "batch_in", K_STR, "dir|list",
     "RA batch: p10cr for each *.csr of dir, or each file of list"},
    {O_BATCH_OUT, "batch_out", K_STR, "dir",
     "RA batch: write NAME.crt and NAME.err here, not next to NAME.csr"},
    {O_WORKERS, "workers", K_POSINT, "n",
     "RA batch: n parallel transactions, each with own context (1)"},
    {O_ENGINE, "engine", K_STR, "pkcs11",
     "Accepted for libp11 engine scripts (keys: pkcs11: URIs)"},
    {O_PROVIDER_PATH, "provider-path", K_STR, "dir", "Provider load path"},
    {O_PROVIDER, "provider", K_STR, "name",
     "Provider to load (can be repeated)"},
    {O_PROPQUERY, "propquery", K_STR, "query",
     "Property query for fetching algorithms"},
    {O_RAND, "rand", K_STR, "files", "Load files into the random generator"},
    {O_WRITERAND, "writerand", K_STR, "file",
     "Write random data to file at the end"},
    {O_V_POLICY, "policy", K_STR, "OID",
     "Add a policy to the acceptable policy set"},
    {O_V_PURPOSE, "purpose", K_STR, "name", "Certificate chain purpose"},
    {O_V_VERIFY_NAME, "verify_name", K_STR, "name",
     "Verification policy name"},
    {O_V_VERIFY_DEPTH, "verify_depth", K_INT, "n", "Chain depth limit"},
    {O_V_AUTH_LEVEL, "auth_level", K_INT, "n",
     "Chain authentication security level"},
    {O_V_ATTIME, "attime", K_STR, "secs", "Verification epoch time"},
    {O_V_VERIFY_HOSTNAME, "verify_hostname", K_STR, "name",
     "Host name the new cert must match"},
    {O_V_VERIFY_EMAIL, "verify_email", K_STR, "addr",
     "Email address the new cert must match"},
    {O_V_VERIFY_IP, "verify_ip", K_STR, "addr",
     "IP address the new cert must match"},
    {O_V_IGNORE_CRITICAL, "ignore_critical", K_FLAG, NULL,
     "Permit unhandled critical extensions"},
    {O_V_ISSUER_CHECKS, "issuer_checks", K_FLAG, NULL, "(deprecated)"},
    {O_V_CRL_CHECK, "crl_check", K_FLAG, NULL,
     "Check leaf certificate revocation"},
    {O_V_CRL_CHECK_ALL, "crl_check_all", K_FLAG, NULL,
     "Check full chain revocation"},
    {O_V_POLICY_CHECK, "policy_check", K_FLAG, NULL,
     "Perform RFC 5280 policy checks"},
    {O_V_EXPLICIT_POLICY, "explicit_policy", K_FLAG, NULL,
     "Set policy variable require-explicit-policy"},
    {O_V_INHIBIT_ANY, "inhibit_any", K_FLAG, NULL,
     "Set policy variable inhibit-any-policy"},
    {O_V_INHIBIT_MAP, "inhibit_map", K_FLAG, NULL,
     "Set policy variable inhibit-policy-mapping"},
    {O_V_X509_STRICT, "x509_strict", K_FLAG, NULL,
     "Disable certificate compatibility work-arounds"},
    {O_V_EXTENDED_CRL, "extended_crl", K_FLAG, NULL,
     "Enable extended CRL features"},
    {O_V_USE_DELTAS, "use_deltas", K_FLAG, NULL, "Use delta CRLs"},
    {O_V_POLICY_PRINT, "policy_print", K_FLAG, NULL,
     "Print policy processing diagnostics"},
    {O_V_CHECK_SS_SIG, "check_ss_sig", K_FLAG, NULL,
     "Check root CA self-signatures"},
    {O_V_TRUSTED_FIRST, "trusted_first", K_FLAG, NULL,
     "Search the trust store first (default)"},
    {O_V_SUITEB_128_ONLY, "suiteB_128_only", K_FLAG, NULL,
     "Suite B 128-bit-only mode"},
    {O_V_SUITEB_128, "suiteB_128", K_FLAG, NULL,
     "Suite B 128-bit mode allowing 192-bit algorithms"},
    {O_V_SUITEB_192, "suiteB_192", K_FLAG, NULL, "Suite B 192-bit-only mode"},
    {O_V_PARTIAL_CHAIN, "partial_chain", K_FLAG, NULL,
     "Accept chains anchored by intermediate trust-store CAs"},
    {O_V_NO_ALT_CHAINS, "no_alt_chains", K_FLAG, NULL, "(deprecated)"},
    {O_V_NO_CHECK_TIME, "no_check_time", K_FLAG, NULL,
     "Ignore certificate validity time"},
    {O_V_ALLOW_PROXY_CERTS, "allow_proxy_certs", K_FLAG, NULL,
     "Allow the use of proxy certificates"},
};

const struct opt_def *app_opt_table(void)
{
    return table;
}

int app_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("p11cmp: usage error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(see p11cmp -help)\n", stderr);
    return EXIT_USAGE;
}

/* Prints help in lines of at most 53 columns, indented by 26. */
static void print_help(FILE *out, const char *help)
{
    size_t len = strlen(help), cut;

    while (len > 53) {
        for (cut = 53; cut > 0 && help[cut] != ' '; cut--)
            ;
        if (cut == 0)
            break;
        fprintf(out, "%.*s\n%26s", (int)cut, help, "");
        help += cut + 1;
        len -= cut + 1;
    }
    fprintf(out, "%s\n", help);
}

void app_usage(FILE *out)
{
    size_t i;
    char left[64];

    fputs("Usage: p11cmp [options]\n", out);
    for (i = 0; i < O_COUNT; i++) {
        snprintf(left, sizeof(left), "-%s%s%s", table[i].name,
                 table[i].arg != NULL ? " " : "",
                 table[i].arg != NULL ? table[i].arg : "");
        if (strlen(left) > 24)
            fprintf(out, " %s\n %-24s ", left, "");
        else
            fprintf(out, " %-24s ", left);
        print_help(out, table[i].help);
    }
}

static const struct opt_def *find_opt(const char *name)
{
    size_t i;

    for (i = 0; i < O_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

/* Stores text as the value of def; EXIT_OK or a usage error. */
static int set_value(struct app *a, const struct opt_def *def,
                     const char *text, const char *where)
{
    struct opt_val *v = &a->v[def->id];
    char *end;
    long n;

    if (def->kind == K_STR) {
        v->str = text;
        v->set = 1;
        return app_xopt(a, def, text, where);
    }
    errno = 0;
    n = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0 || n < INT_MIN
        || n > INT_MAX)
        return app_usage_error("-%s%s: not a number: '%s'", def->name,
                               where, text);
    if ((def->kind == K_NONNEG && n < 0) || (def->kind == K_POSINT && n < 1))
        return app_usage_error("-%s%s: must be %s: '%s'", def->name, where,
                               def->kind == K_POSINT ? "positive"
                               : "non-negative", text);
    v->num = def->kind == K_FLAG ? n != 0 : n;
    v->str = text;
    v->set = 1;
    return app_xopt(a, def, text, where);
}

/*
 * A config value, with the rules of openssl cmp: an empty string unsets
 * a string option; a number that is empty or not a whole decimal number
 * ("yes", "5 seconds") counts as not given, so the option keeps its
 * built-in default. EXIT_OK or a usage error (a number out of range).
 */
static int set_conf_value(struct app *a, const struct opt_def *def,
                          const char *text, const char *where)
{
    struct opt_val *v = &a->v[def->id];
    char *end;

    if (def->kind == K_STR && *text == '\0') {
        v->str = NULL;
        v->set = 0;
        return EXIT_OK;
    }
    if (def->kind != K_STR) {
        errno = 0;
        (void)strtol(text, &end, 10);
        if (*text == '\0' || *end != '\0' || errno != 0)
            return EXIT_OK;
    }
    return set_value(a, def, text, where);
}

/* The sections of -section, split in place in copy; their number. */
static int split_sections(char *copy, char **names, int max)
{
    char *save = NULL, *name;
    int n = 0;

    for (name = strtok_r(copy, ", \t", &save); name != NULL && n < max;
         name = strtok_r(NULL, ", \t", &save))
        names[n++] = name;
    return n;
}

/*
 * The value of key as openssl cmp finds it: in the last of the sections
 * that has it, each section falling back to [default] and the unnamed
 * section; NULL if none has it. *found is the section searched.
 */
static const char *conf_lookup(struct app *a, char **names, int n,
                               const char *key, const char **found)
{
    const char *val = NULL;

    while (val == NULL && n-- > 0) {
        ERR_set_mark();
        val = NCONF_get_string(a->conf, names[n], key);
        ERR_pop_to_mark();
        *found = names[n];
    }
    return val;
}

/* Whether section sect of a->conf defines key (no error raised) */
static int sect_has(const struct app *a, const char *sect, const char *key)
{
    STACK_OF(CONF_VALUE) *vals = NCONF_get_section(a->conf, sect);
    int i;

    for (i = 0; i < sk_CONF_VALUE_num(vals); i++)
        if (strcmp(sk_CONF_VALUE_value(vals, i)->name, key) == 0)
            return 1;
    return 0;
}

/*
 * Whether conf_lookup() can find key: in a section searched or in
 * [default] (the unnamed section), or in the environment if a section
 * is ENV. Saves its NCONF_get_string() calls that would fail: each
 * raises and drops an error, for every one of the ~130 options.
 */
static int conf_may_have(const struct app *a, char **names, int n,
                         const char *key)
{
    int i;

    if (sect_has(a, "default", key))
        return 1;
    for (i = 0; i < n; i++)
        if (strcmp(names[i], "ENV") == 0 || sect_has(a, names[i], key))
            return 1;
    return 0;
}

/* Options of the config sections; EXIT_OK or a usage error. */
static int read_sections(struct app *a, char **names, int n)
{
    const char *val, *sect = NULL;
    char where[128];
    size_t i;
    int rc;

    for (i = O_VERBOSITY; i < O_COUNT; i++) {
        if (!conf_may_have(a, names, n, table[i].name)
            || (val = conf_lookup(a, names, n, table[i].name, &sect))
            == NULL)
            continue;
        snprintf(where, sizeof(where), " (config section [%s])", sect);
        if ((rc = set_conf_value(a, &table[i], val, where)) != EXIT_OK)
            return rc;
    }
    return EXIT_OK;
}

/*
 * Every section named by -section must exist, as in openssl cmp; only a
 * missing [cmp] when -section is the default "cmp" is just a note.
 */
static int check_sections(struct app *a, const char *file, char **names,
                          int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (NCONF_get_section(a->conf, names[i]) != NULL)
            continue;
        if (n == 1 && strcmp(names[0], "cmp") == 0) {
            app_log(a, P11CMP_LOG_DEBUG, "no [cmp] section in %s; using "
                    "[default] and the unnamed section", file);
            return EXIT_OK;
        }
        return app_usage_error("config file %s has no section [%s]", file,
                               names[i]);
    }
    return EXIT_OK;
}

#define MAX_SECTIONS 32

/* Reads the -config file and the -section sections; an EXIT_* code. */
static int read_config(struct app *a, const char *file, const char *sects)
{
    long line = -1;
    char *copy, *names[MAX_SECTIONS];
    int rc, n;

    if (file == NULL || *file == '\0')
        return EXIT_OK;
    if ((a->conf = NCONF_new(NULL)) == NULL)
        return EXIT_OTHER;
    if (NCONF_load(a->conf, file, &line) <= 0) {
        ERR_clear_error();
        if (line > 0)
            return app_usage_error("config file %s: syntax error in line "
                                   "%ld", file, line);
        return app_usage_error("cannot read config file %s", file);
    }
    if ((copy = OPENSSL_strdup(*sects == '\0' ? "default" : sects)) == NULL)
        return EXIT_OTHER;
    n = split_sections(copy, names, MAX_SECTIONS);
    app_log(a, P11CMP_LOG_DEBUG, "using section(s) '%s' of %s", sects,
            file);
    if ((rc = check_sections(a, file, names, n)) == EXIT_OK)
        rc = read_sections(a, names, n);
    OPENSSL_free(copy);
    return rc;
}

/* The option argv[i] names, or NULL (usage error printed). */
static const struct opt_def *arg_opt(const char *arg)
{
    const struct opt_def *def = NULL;

    if (arg[0] == '-')
        def = find_opt(arg[1] == '-' ? arg + 2 : arg + 1);
    if (def == NULL)
        (void)app_usage_error(arg[0] == '-' ? "unknown option %s"
                              : "unexpected argument '%s'", arg);
    return def;
}

/* First pass: -help, -version, -config, -section, -verbosity. */
static int prescan(struct app *a, int argc, char **argv, const char **file,
                   const char **sects)
{
    const struct opt_def *def;
    int i, rc;

    for (i = 1; i < argc; i++) {
        if ((def = arg_opt(argv[i])) == NULL)
            return EXIT_USAGE;
        if (def->kind == K_FLAG) {
            a->v[def->id].set = 1;
            a->v[def->id].num = 1;
            continue;
        }
        if (++i >= argc)
            return app_usage_error("option %s needs an argument (%s)",
                                   argv[i - 1], def->arg);
        if (def->id == O_CONFIG)
            *file = argv[i];
        else if (def->id == O_SECTION)
            *sects = argv[i];
        else if (def->id == O_VERBOSITY
                 && (rc = set_value(a, def, argv[i], "")) != EXIT_OK)
            return rc;
    }
    return EXIT_OK;
}

/*
 * As openssl cmp: an empty argument of a string option resets the option
 * (1 returned), with a warning; one starting with '-' is only warned of.
 */
static int arg_reset(struct app *a, const struct opt_def *def,
                     const char *arg)
{
    if (def->id == O_CONFIG || def->id == O_SECTION)
        return 0; /* "" has a meaning there */
    if (*arg == '\0') {
        app_log(a, P11CMP_LOG_WARNING, "-%s: empty argument; resetting "
                "the option", def->name);
        a->v[def->id].str = NULL;
        a->v[def->id].set = 0;
        return 1;
    }
    if (*arg == '-')
        app_log(a, P11CMP_LOG_WARNING, "-%s: argument starts with a "
                "hyphen: '%s'", def->name, arg);
    return 0;
}

/* Second pass: the command line overrides the config file. */
static int parse_args(struct app *a, int argc, char **argv)
{
    const struct opt_def *def;
    int i, rc;

    for (i = 1; i < argc; i++) {
        def = arg_opt(argv[i]);
        if (def->kind == K_FLAG) {
            a->v[def->id].num = 1;
            a->v[def->id].set = 1;
            if ((rc = app_xopt(a, def, NULL, "")) != EXIT_OK)
                return rc;
            continue;
        }
        i++;
        if (def->kind == K_STR && arg_reset(a, def, argv[i]))
            continue;
        if ((rc = set_value(a, def, argv[i], "")) != EXIT_OK)
            return rc;
        /* as openssl cmp: range-checked here, not in a config file */
        if (def->id == O_KEEP_ALIVE && a->v[O_KEEP_ALIVE].num > 2)
            return app_usage_error("-keep_alive: must be 0, 1 or 2: '%s'",
                                   argv[i]);
    }
    return EXIT_OK;
}

static int parse_cmd(struct app *a)
{
    static const char *const names[] = {
        "", "ir", "cr", "kur", "p10cr", "rr", "genm"
    };
    const char *cmd = OPT_STR(a, O_CMD);
    int i;

    if (cmd == NULL)
        return app_usage_error("no -cmd given (ir|cr|kur|p10cr|rr|genm)");
    for (i = CMD_IR; i <= CMD_GENM; i++)
        if (strcmp(cmd, names[i]) == 0) {
            a->cmd = i;
            return EXIT_OK;
        }
    return app_usage_error("unknown -cmd '%s' (ir|cr|kur|p10cr|rr|genm)",
                           cmd);
}

int app_parse(struct app *a, int argc, char **argv)
{
    const char *file = NULL, *sects = "cmp";
    char *dflt = NULL;
    int rc;

    a->verbosity = 5;
    a->v[O_POPO].num = 1;
    a->v[O_REVREASON].num = -1;
    a->v[O_KEEP_ALIVE].num = 1;
    a->v[O_REPEAT].num = 1;
    a->v[O_WORKERS].num = 1;
    if ((rc = prescan(a, argc, argv, &file, &sects)) != EXIT_OK)
        return rc;
    if (OPT_SET(a, O_VERBOSITY))
        a->verbosity = (int)OPT_NUM(a, O_VERBOSITY);
    if (OPT_SET(a, O_HELP) || OPT_SET(a, O_VERSION))
        return EXIT_OK;
    /* as openssl cmp: OPENSSL_CONF, else OpenSSL's file, if it exists */
    if (file == NULL && (dflt = CONF_get1_default_config_file()) != NULL
        && access(dflt, F_OK) == 0)
        file = dflt;
    rc = read_config(a, file, sects);
    OPENSSL_free(dflt);
    if (rc != EXIT_OK || (rc = parse_args(a, argc, argv)) != EXIT_OK)
        return rc;
    if (OPT_SET(a, O_VERBOSITY))
        a->verbosity = (int)OPT_NUM(a, O_VERBOSITY);
    if (a->verbosity > P11CMP_LOG_MAX)
        return app_usage_error("-verbosity must be 0..%d", P11CMP_LOG_MAX);
    return parse_cmd(a);
}

void app_opts_free(struct app *a)
{
    app_xopts_free(a);
    NCONF_free(a->conf);
    a->conf = NULL;
}
