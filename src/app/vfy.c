/*
 * src/app/vfy.c - the generic application options p11cmp(1) shares with
 * openssl cmp: the X.509 verification options (collected in one
 * X509_VERIFY_PARAM that every trust store p11cmp loads gets, as openssl
 * cmp does), -provider/-provider-path/-propquery, -rand/-writerand, and
 * -engine/-keyform ENGINE of scripts written for libp11's engine (keys on
 * tokens are pkcs11: URIs either way). Each occurrence is applied in
 * order, config file sections first, like openssl's option loop.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "app.h"

/* the verification flags, by option */
static const struct {
    enum opt_id id;
    unsigned long flags;
} vflags[] = {
    {O_V_IGNORE_CRITICAL, X509_V_FLAG_IGNORE_CRITICAL},
    {O_V_ISSUER_CHECKS, 0}, /* deprecated: accepted, no effect */
    {O_V_CRL_CHECK, X509_V_FLAG_CRL_CHECK},
    {O_V_CRL_CHECK_ALL, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL},
    {O_V_POLICY_CHECK, X509_V_FLAG_POLICY_CHECK},
    {O_V_EXPLICIT_POLICY, X509_V_FLAG_EXPLICIT_POLICY},
    {O_V_INHIBIT_ANY, X509_V_FLAG_INHIBIT_ANY},
    {O_V_INHIBIT_MAP, X509_V_FLAG_INHIBIT_MAP},
    {O_V_X509_STRICT, X509_V_FLAG_X509_STRICT},
    {O_V_EXTENDED_CRL, X509_V_FLAG_EXTENDED_CRL_SUPPORT},
    {O_V_USE_DELTAS, X509_V_FLAG_USE_DELTAS},
    {O_V_POLICY_PRINT, X509_V_FLAG_NOTIFY_POLICY},
    {O_V_CHECK_SS_SIG, X509_V_FLAG_CHECK_SS_SIGNATURE},
    {O_V_TRUSTED_FIRST, X509_V_FLAG_TRUSTED_FIRST},
    {O_V_SUITEB_128_ONLY, X509_V_FLAG_SUITEB_128_LOS_ONLY},
    {O_V_SUITEB_128, X509_V_FLAG_SUITEB_128_LOS},
    {O_V_SUITEB_192, X509_V_FLAG_SUITEB_192_LOS},
    {O_V_PARTIAL_CHAIN, X509_V_FLAG_PARTIAL_CHAIN},
    {O_V_NO_ALT_CHAINS, X509_V_FLAG_NO_ALT_CHAINS},
    {O_V_NO_CHECK_TIME, X509_V_FLAG_NO_CHECK_TIME},
    {O_V_ALLOW_PROXY_CERTS, X509_V_FLAG_ALLOW_PROXY_CERTS},
};

static int bad(const struct opt_def *def, const char *what, const char *val,
               const char *where)
{
    return app_usage_error("-%s%s: %s '%s'", def->name, where, what, val);
}

/* The options with an argument; EXIT_OK or a usage error. */
static int vpm_arg(X509_VERIFY_PARAM *vpm, const struct opt_def *def,
                   const char *val, const char *where)
{
    const X509_VERIFY_PARAM *named;
    ASN1_OBJECT *obj;
    char *end;
    long long t;
    int i;

    switch (def->id) {
    case O_V_POLICY:
        if ((obj = OBJ_txt2obj(val, 0)) == NULL)
            return bad(def, "invalid policy", val, where);
        if (!X509_VERIFY_PARAM_add0_policy(vpm, obj)) {
            ASN1_OBJECT_free(obj);
            return EXIT_OTHER;
        }
        return EXIT_OK;
    case O_V_PURPOSE:
        if ((i = X509_PURPOSE_get_by_sname(val)) < 0)
            return bad(def, "unknown purpose", val, where);
        i = X509_PURPOSE_get_id(X509_PURPOSE_get0(i));
        return X509_VERIFY_PARAM_set_purpose(vpm, i) ? EXIT_OK : EXIT_OTHER;
    case O_V_VERIFY_NAME:
        if ((named = X509_VERIFY_PARAM_lookup(val)) == NULL)
            return bad(def, "unknown verification policy name", val, where);
        return X509_VERIFY_PARAM_set1(vpm, named) ? EXIT_OK : EXIT_OTHER;
    case O_V_VERIFY_DEPTH: /* negative: no limit set, as in openssl */
        if ((i = (int)strtol(val, NULL, 10)) >= 0)
            X509_VERIFY_PARAM_set_depth(vpm, i);
        return EXIT_OK;
    case O_V_AUTH_LEVEL:
        if ((i = (int)strtol(val, NULL, 10)) >= 0)
            X509_VERIFY_PARAM_set_auth_level(vpm, i);
        return EXIT_OK;
    case O_V_ATTIME:
        errno = 0;
        t = strtoll(val, &end, 10);
        if (*val == '\0' || *end != '\0' || errno != 0)
            return bad(def, "not a number:", val, where);
        X509_VERIFY_PARAM_set_time(vpm, (time_t)t);
        return EXIT_OK;
    case O_V_VERIFY_HOSTNAME:
        return X509_VERIFY_PARAM_set1_host(vpm, val, 0)
            ? EXIT_OK : bad(def, "bad host name", val, where);
    case O_V_VERIFY_EMAIL:
        return X509_VERIFY_PARAM_set1_email(vpm, val, 0)
            ? EXIT_OK : bad(def, "bad email address", val, where);
    case O_V_VERIFY_IP:
        return X509_VERIFY_PARAM_set1_ip_asc(vpm, val)
            ? EXIT_OK : bad(def, "bad IP address", val, where);
    default:
        return EXIT_OK;
    }
}

static int load_provider(struct app *a, const struct opt_def *def,
                         const char *name, const char *where)
{
    OSSL_PROVIDER *prov;

    if (a->n_prov >= (int)(sizeof(a->prov) / sizeof(a->prov[0])))
        return bad(def, "too many providers at", name, where);
    if ((prov = OSSL_PROVIDER_load(NULL, name)) == NULL) {
        ERR_clear_error();
        fprintf(stderr, "p11cmp: error: cannot load provider %s (see "
                "-provider-path and OPENSSL_MODULES)\n", name);
        return EXIT_USAGE;
    }
    a->prov[a->n_prov++] = prov;
    return EXIT_OK;
}

/* -rand FILE[:FILE...]: each file into the random generator */
static int load_rand(const struct opt_def *def, const char *list,
                     const char *where)
{
    char *copy = OPENSSL_strdup(list), *f, *save = NULL;
    int rc = EXIT_OK;

    if (copy == NULL)
        return EXIT_OTHER;
    for (f = strtok_r(copy, ":", &save); f != NULL && rc == EXIT_OK;
         f = strtok_r(NULL, ":", &save))
        if (RAND_load_file(f, -1) < 0) {
            ERR_clear_error();
            rc = bad(def, "cannot load into the random generator:", f,
                     where);
        }
    OPENSSL_free(copy);
    return rc;
}

int app_xopt(struct app *a, const struct opt_def *def, const char *val,
             const char *where)
{
    size_t i;

    if (def->id < O_XOPT_FIRST)
        return EXIT_OK;
    if (a->vpm == NULL && (a->vpm = X509_VERIFY_PARAM_new()) == NULL)
        return EXIT_OTHER;
    if (def->kind == K_FLAG) {
        if (val != NULL && strtol(val, NULL, 10) == 0)
            return EXIT_OK; /* "crl_check = 0" in a config file */
        for (i = 0; i < sizeof(vflags) / sizeof(vflags[0]); i++)
            if (vflags[i].id == def->id && vflags[i].flags != 0
                && !X509_VERIFY_PARAM_set_flags(a->vpm, vflags[i].flags))
                return EXIT_OTHER;
        return EXIT_OK;
    }
    switch (def->id) {
    case O_PROVIDER_PATH:
        return OSSL_PROVIDER_set_default_search_path(NULL, val)
            ? EXIT_OK : EXIT_OTHER;
    case O_PROVIDER:
        return load_provider(a, def, val, where);
    case O_PROPQUERY:
        return EVP_set_default_properties(NULL, val) ? EXIT_OK
            : bad(def, "bad property query", val, where);
    case O_RAND:
        return load_rand(def, val, where);
    case O_WRITERAND:
        a->writerand = val;
        return EXIT_OK;
    case O_ENGINE:
        if (strcmp(val, "pkcs11") != 0)
            return bad(def, "no such engine (p11cmp takes keys on tokens "
                       "as pkcs11: URIs and accepts only -engine pkcs11)",
                       val, where);
        return EXIT_OK;
    default:
        return vpm_arg(a->vpm, def, val, where);
    }
}

int app_store_set_param(struct app *a, X509_STORE *store, const char *what)
{
    X509_VERIFY_PARAM *param;

    if (a->vpm == NULL)
        return 1;
    if (!X509_STORE_set1_param(store, a->vpm))
        return 0;
    param = X509_STORE_get0_param(store);
    if (strcmp(what, "-out_trusted") == 0) {
        /* the new cert is current: no -attime for it, as in openssl */
        return X509_VERIFY_PARAM_clear_flags(param,
                                             X509_V_FLAG_USE_CHECK_TIME);
    }
    /* host, email and IP are checked only in newly enrolled certs */
    return X509_VERIFY_PARAM_set1_host(param, NULL, 0)
        && X509_VERIFY_PARAM_set1_email(param, NULL, 0)
        && X509_VERIFY_PARAM_set1_ip(param, NULL, 0);
}

int app_xopts_finish(struct app *a)
{
    int rc = EXIT_OK;

    if (a->writerand != NULL && RAND_write_file(a->writerand) <= 0) {
        ERR_clear_error();
        fprintf(stderr, "p11cmp: error: cannot write random bytes to %s\n",
                a->writerand);
        rc = EXIT_OTHER;
    }
    return rc;
}

void app_xopts_free(struct app *a)
{
    X509_VERIFY_PARAM_free(a->vpm);
    a->vpm = NULL;
    while (a->n_prov > 0)
        (void)OSSL_PROVIDER_unload(a->prov[--a->n_prov]);
}
