/*
 * src/app/setup.c - turns the options of p11cmp(1) into the settings of
 * a P11CMP_CTX: checks of option combinations (usage errors), transfer
 * (-server, -path, -proxy, timeouts), server authentication, client
 * authentication (PBM or signature, keys in files or on tokens), the
 * certificate template and the confirmation options. Only libp11cmp's
 * public API is used.
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/x509v3.h>

#include "app.h"

#define SET_OPT(a, opt, val) P11CMP_CTX_set_option((a)->ctx, (opt), (val))

/* What the RA batch mode (-batch_in) cannot be combined with. */
static int check_batch(struct app *a)
{
    static const enum opt_id single[] = {
        O_CSR, O_NEWKEY, O_NEWKEYGEN, O_CENTRALKEYGEN, O_SUBJECT, O_CERTOUT,
        O_CHAINOUT,
        O_REQIN, O_REQOUT, O_RSPIN, O_RSPOUT, O_REQOUT_ONLY,
        O_POST_HOOK, O_RENEW_WITHIN, O_EXTRACERTSOUT, O_CACERTSOUT
    };
    size_t i;

    if (OPT_STR(a, O_BATCH_IN) == NULL) {
        if (OPT_SET(a, O_BATCH_OUT) || OPT_SET(a, O_WORKERS))
            return app_usage_error("-batch_out and -workers need "
                                   "-batch_in");
        return EXIT_OK;
    }
    if (a->cmd != CMD_P10CR && a->cmd != CMD_CR)
        return app_usage_error("-batch_in needs -cmd p10cr or cr");
    for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
        if (OPT_SET(a, single[i]))
            return app_usage_error("-batch_in cannot be combined with -%s",
                                   app_opt_table()[single[i]].name);
    if (OPT_NUM(a, O_REPEAT) != 1)
        return app_usage_error("-batch_in cannot be combined with -repeat");
    if (OPT_NUM(a, O_WORKERS) > 64)
        return app_usage_error("-workers must be 1..64");
    return EXIT_OK;
}

/*
 * Whether the new certificate of ir/cr/kur is stored on a token: its key
 * (-newkey, else the -csr's, else -key) is a token key and -no_store is
 * not given. That is a destination like -certout.
 */
static int stored_on_token(struct app *a)
{
    const char *key = OPT_STR(a, O_NEWKEY);

    if (key == NULL && OPT_STR(a, O_CSR) == NULL)
        key = OPT_STR(a, O_KEY);
    return !OPT_NUM(a, O_NO_STORE) && app_is_uri(key);
}

/* Combinations openssl cmp refuses, and those of the additions. */
int app_check_options(struct app *a)
{
    const char *form;
    long rr = OPT_NUM(a, O_REVREASON), popo = OPT_NUM(a, O_POPO);
    int rc;

    if (OPT_STR(a, O_SERVER) == NULL && OPT_STR(a, O_RSPIN) == NULL
        && OPT_STR(a, O_REQOUT_ONLY) == NULL)
        return app_usage_error("missing -server (or -rspin)");
    (void)app_check_reqout_only(a);
    if (OPT_STR(a, O_SECRET) == NULL && OPT_STR(a, O_KEY) == NULL
        && !OPT_NUM(a, O_UNPROTECTED_REQUESTS))
        return app_usage_error("no protection: give -secret, -key/-cert, "
                               "or -unprotected_requests");
    if (OPT_STR(a, O_KEY) != NULL && OPT_STR(a, O_CERT) == NULL
        && OPT_STR(a, O_SECRET) == NULL)
        return app_usage_error("-key needs -cert (its certificate)");
    /* as openssl cmp: the sender of PBM may also come from -subject */
    if (OPT_STR(a, O_SECRET) != NULL && OPT_STR(a, O_REF) == NULL
        && OPT_STR(a, O_CERT) == NULL && OPT_STR(a, O_SUBJECT) == NULL)
        return app_usage_error("-secret needs -ref, -cert or -subject");
    if ((rc = check_batch(a)) != EXIT_OK)
        return rc;
    if (a->cmd == CMD_P10CR && OPT_STR(a, O_CSR) == NULL
        && OPT_STR(a, O_BATCH_IN) == NULL)
        return app_usage_error("-cmd p10cr needs -csr (or -batch_in)");
    if (a->cmd == CMD_KUR && OPT_STR(a, O_OLDCERT) == NULL
        && OPT_STR(a, O_CERT) == NULL)
        return app_usage_error("-cmd kur needs -oldcert or -cert");
    if (OPT_STR(a, O_SERIAL) != NULL && OPT_STR(a, O_ISSUER) == NULL)
        return app_usage_error("-serial needs -issuer");
    /* as openssl cmp: -cert is not the cert to revoke */
    if (a->cmd == CMD_RR && OPT_STR(a, O_OLDCERT) == NULL
        && OPT_STR(a, O_CSR) == NULL && OPT_STR(a, O_SERIAL) == NULL)
        return app_usage_error("-cmd rr needs -oldcert or -csr (or -issuer "
                               "and -serial)");
    if ((rc = app_check_ckg(a)) != EXIT_OK)
        return rc;
    if ((a->cmd == CMD_IR || a->cmd == CMD_CR || a->cmd == CMD_KUR)
        && OPT_STR(a, O_NEWKEY) == NULL && OPT_STR(a, O_KEY) == NULL
        && OPT_STR(a, O_CSR) == NULL && !app_ckg_wanted(a))
        return app_usage_error("-cmd %s needs -newkey (or -key or -csr)",
                               OPT_STR(a, O_CMD));
    if (OPT_STR(a, O_NEWKEYGEN) != NULL && !app_is_uri(OPT_STR(a, O_NEWKEY)))
        return app_usage_error("-newkeygen needs -newkey pkcs11:...");
    if (OPT_SET(a, O_RENEW_WITHIN) && a->cmd != CMD_KUR)
        return app_usage_error("-renew_within needs -cmd kur");
    if (OPT_NUM(a, O_KEEP_OLD) && a->cmd != CMD_KUR)
        return app_usage_error("-keep_old needs -cmd kur");
    if (rr < -1 || rr > 10 || rr == 7)
        return app_usage_error("-revreason must be -1, 0..6 or 8..10");
    if (popo < -1 || popo > 2)
        return app_usage_error("-popo must be -1..2");
    form = OPT_STR(a, O_CERTFORM);
    if (form != NULL && OPENSSL_strcasecmp(form, "PEM") != 0
        && OPENSSL_strcasecmp(form, "DER") != 0)
        return app_usage_error("-certform must be PEM or DER");
    form = OPT_STR(a, O_KEYFORM);
    if (form != NULL && OPENSSL_strcasecmp(form, "PEM") != 0
        && OPENSSL_strcasecmp(form, "DER") != 0
        && OPENSSL_strcasecmp(form, "P12") != 0
        && OPENSSL_strcasecmp(form, "ENGINE") != 0)
        return app_usage_error("-keyform must be PEM, DER, P12 or ENGINE");
    if ((a->cmd == CMD_IR || a->cmd == CMD_CR || a->cmd == CMD_KUR)
        && OPT_STR(a, O_CERTOUT) == NULL && OPT_STR(a, O_BATCH_IN) == NULL
        && OPT_STR(a, O_REQOUT_ONLY) == NULL && !stored_on_token(a))
        return app_usage_error("-certout not given, nowhere to save the "
                               "new certificate (a token key's is stored "
                               "on the token unless -no_store)");
    return app_check_genm(a);
}

static int setup_server(struct app *a)
{
    const char *server = OPT_STR(a, O_SERVER);
    char *host = NULL, *path = NULL;
    int ssl = 0, port = 0, ok, rc;

    if (server == NULL)
        return EXIT_OK;
    ERR_set_mark();
    ok = OSSL_HTTP_parse_url(server, &ssl, NULL, &host, NULL, &port, &path,
                             NULL, NULL);
    ERR_pop_to_mark();
    if (!ok)
        return app_usage_error("-server: cannot parse '%s'", server);
    if (ssl && !OPT_NUM(a, O_TLS_USED)) { /* as openssl cmp 3.0 */
        OPENSSL_free(host);
        OPENSSL_free(path);
        return app_usage_error("-server %s is https: give -tls_used too",
                               server);
    }
    ok = P11CMP_CTX_set1_server(a->ctx, host)
        && P11CMP_CTX_set_serverPort(a->ctx, port)
        && P11CMP_CTX_set1_serverPath(a->ctx, OPT_STR(a, O_PATH) != NULL
                                      ? OPT_STR(a, O_PATH) : path);
    rc = ok ? app_setup_tls(a, host)
        : app_usage_error("-server/-path not accepted");
    OPENSSL_free(host);
    OPENSSL_free(path);
    return rc;
}

static int setup_transfer(struct app *a)
{
    int rc;

    if ((rc = setup_server(a)) != EXIT_OK)
        return rc;
    if ((OPT_STR(a, O_PROXY) != NULL
         && !P11CMP_CTX_set1_proxy(a->ctx, OPT_STR(a, O_PROXY)))
        || (OPT_STR(a, O_NO_PROXY) != NULL
            && !P11CMP_CTX_set1_no_proxy(a->ctx, OPT_STR(a, O_NO_PROXY)))
        /* openssl cmp takes any value; above 2 it means 2 (require) */
        || !SET_OPT(a, P11CMP_OPT_KEEP_ALIVE,
                    OPT_NUM(a, O_KEEP_ALIVE) > 2 ? 2
                    : (int)OPT_NUM(a, O_KEEP_ALIVE))
        || (OPT_SET(a, O_MSG_TIMEOUT)
            && !SET_OPT(a, P11CMP_OPT_MSG_TIMEOUT,
                        (int)OPT_NUM(a, O_MSG_TIMEOUT)))
        || !SET_OPT(a, P11CMP_OPT_TOTAL_TIMEOUT,
                    (int)OPT_NUM(a, O_TOTAL_TIMEOUT)))
        return app_usage_error("transfer options not accepted");
    if (!P11CMP_CTX_set_transfer_cb(a->ctx, app_transfer_cb)
        || !P11CMP_CTX_set_transfer_cb_arg(a->ctx, a))
        return EXIT_OTHER;
    return EXIT_OK;
}

/* Sets a DN option through setter; EXIT_OK or a usage error. */
static int set_name(struct app *a, enum opt_id opt,
                    int (*setter)(P11CMP_CTX *, const X509_NAME *))
{
    X509_NAME *name;
    int ok;

    if (OPT_STR(a, opt) == NULL)
        return EXIT_OK;
    if ((name = app_parse_name(OPT_STR(a, opt),
                               app_opt_table()[opt].name)) == NULL)
        return EXIT_USAGE;
    ok = setter(a->ctx, name);
    X509_NAME_free(name);
    return ok ? EXIT_OK : EXIT_OTHER;
}

/* The EXIT_* code after a credential failed to load; errors printed. */
static int load_failed_code(struct app *a)
{
    int rc = app_errors_exit(a, EXIT_OTHER);

    return rc != EXIT_TOKEN && app_pass_failed() ? EXIT_USAGE : rc;
}
#define load_failed() load_failed_code(a)

static int setup_server_auth(struct app *a)
{
    const char *src;
    X509 *cert;
    X509_STORE *store;
    STACK_OF(X509) *sk;
    int ok, rc;

    if (OPT_STR(a, O_SRVCERT) != NULL) {
        src = OPT_STR(a, O_SRVCERT);
        if ((cert = app_load_cert(a, src, app_is_uri(src) ? NULL
                                  : OPT_STR(a, O_OTHERPASS), "-srvcert"))
            == NULL)
            return load_failed();
        ok = P11CMP_CTX_set1_srvCert(a->ctx, cert);
        X509_free(cert);
        if (!ok)
            return EXIT_OTHER;
    }
    if (OPT_STR(a, O_TRUSTED) != NULL) {
        if ((store = app_load_store(a, OPT_STR(a, O_TRUSTED), "-trusted"))
            == NULL)
            return load_failed();
        if (!P11CMP_CTX_set0_trustedStore(a->ctx, store)) {
            X509_STORE_free(store);
            return EXIT_OTHER;
        }
    }
    if (OPT_STR(a, O_UNTRUSTED) != NULL) {
        if ((sk = app_load_certs(a, OPT_STR(a, O_UNTRUSTED), "-untrusted"))
            == NULL)
            return load_failed();
        ok = P11CMP_CTX_set1_untrusted(a->ctx, sk);
        sk_X509_pop_free(sk, X509_free);
        if (!ok)
            return EXIT_OTHER;
    }
    if ((rc = set_name(a, O_EXPECT_SENDER, P11CMP_CTX_set1_expected_sender))
        != EXIT_OK || (rc = set_name(a, O_RECIPIENT,
                                     P11CMP_CTX_set1_recipient)) != EXIT_OK)
        return rc;
    if (!SET_OPT(a, P11CMP_OPT_IGNORE_KEYUSAGE,
                 (int)OPT_NUM(a, O_IGNORE_KEYUSAGE))
        || !SET_OPT(a, P11CMP_OPT_NO_CACHE_EXTRACERTS,
                    (int)OPT_NUM(a, O_NO_CACHE_EXTRACERTS))
        || !SET_OPT(a, P11CMP_OPT_UNPROTECTED_ERRORS,
                    (int)OPT_NUM(a, O_UNPROTECTED_ERRORS)))
        return EXIT_OTHER;
    return EXIT_OK;
}

static int setup_pbm(struct app *a)
{
    const char *ref = OPT_STR(a, O_REF);
    char *secret;
    int ok;

    if (ref != NULL
        && !P11CMP_CTX_set1_referenceValue(a->ctx, (const unsigned char *)ref,
                                           (int)strlen(ref)))
        return EXIT_OTHER;
    if (OPT_STR(a, O_SECRET) == NULL)
        return EXIT_OK;
    if ((secret = app_pass_get(OPT_STR(a, O_SECRET), "-secret")) == NULL)
        return EXIT_USAGE;
    ok = P11CMP_CTX_set1_secretValue(a->ctx, (unsigned char *)secret,
                                     (int)strlen(secret));
    app_pass_free(secret);
    return ok ? EXIT_OK : EXIT_OTHER;
}

/*
 * -digest and -mac as NIDs of the protection options; the MAC defaults
 * to hmac-sha1, as in openssl cmp (the library's default is stronger).
 */
static int setup_algs(struct app *a)
{
    const char *dgst = OPT_STR(a, O_DIGEST), *mac = OPT_STR(a, O_MAC);
    int nid;

    if (mac == NULL)
        mac = "hmac-sha1";
    if (dgst != NULL) {
        nid = OBJ_sn2nid(dgst);
        if (nid == NID_undef)
            nid = OBJ_ln2nid(dgst);
        if (nid == NID_undef || EVP_get_digestbynid(nid) == NULL
            || !SET_OPT(a, P11CMP_OPT_DIGEST_ALGNID, nid)
            || !SET_OPT(a, P11CMP_OPT_OWF_ALGNID, nid))
            return app_usage_error("-digest: unknown digest '%s'", dgst);
    }
    nid = OBJ_ln2nid(mac);
    if (nid == NID_undef)
        nid = OBJ_sn2nid(mac);
    if (nid == NID_undef || !SET_OPT(a, P11CMP_OPT_MAC_ALGNID, nid))
        return app_usage_error("-mac: unknown MAC algorithm '%s'", mac);
    return EXIT_OK;
}

/*
 * -cert, as openssl cmp reads it: the first certificate is the signer
 * cert, the others of the file are candidates (added to the untrusted
 * certs) for its chain, which is built (up to -own_trusted, if given)
 * and sent in the extraCerts.
 */
static int setup_cert(struct app *a)
{
    X509 *cert;
    X509_STORE *own = NULL;
    STACK_OF(X509) *rest = NULL;
    int ok;

    if ((cert = app_load_cert_chain(a, OPT_STR(a, O_CERT),
                                    OPT_STR(a, O_KEYPASS), "-cert", &rest))
        == NULL)
        return load_failed();
    a->refcert = cert;
    if (!P11CMP_CTX_set1_cert(a->ctx, cert)) {
        sk_X509_pop_free(rest, X509_free);
        return EXIT_OTHER;
    }
    if (OPT_STR(a, O_OWN_TRUSTED) != NULL
        && (own = app_load_store(a, OPT_STR(a, O_OWN_TRUSTED),
                                 "-own_trusted")) == NULL) {
        sk_X509_pop_free(rest, X509_free);
        return load_failed();
    }
    ok = P11CMP_CTX_build_cert_chain(a->ctx, own, rest);
    X509_STORE_free(own);
    sk_X509_pop_free(rest, X509_free);
    return ok ? EXIT_OK : app_errors_exit(a, EXIT_OTHER);
}

static int setup_client_auth(struct app *a)
{
    EVP_PKEY *pkey;
    STACK_OF(X509) *sk;
    int rc, ok = 1;

    if ((rc = setup_pbm(a)) != EXIT_OK || (rc = setup_algs(a)) != EXIT_OK)
        return rc;
    if (OPT_STR(a, O_CERT) != NULL && (rc = setup_cert(a)) != EXIT_OK)
        return rc;
    if (ok && OPT_STR(a, O_KEY) != NULL) {
        if ((pkey = app_load_key(a, OPT_STR(a, O_KEY), OPT_STR(a, O_KEYPASS),
                                 "-key", NULL)) == NULL)
            return load_failed();
        ok = P11CMP_CTX_set1_pkey(a->ctx, pkey);
        EVP_PKEY_free(pkey);
    }
    if (ok && OPT_STR(a, O_EXTRACERTS) != NULL) {
        if ((sk = app_load_certs(a, OPT_STR(a, O_EXTRACERTS),
                                 "-extracerts")) == NULL)
            return load_failed();
        ok = P11CMP_CTX_set1_extraCertsOut(a->ctx, sk);
        sk_X509_pop_free(sk, X509_free);
    }
    if (ok)
        ok = SET_OPT(a, P11CMP_OPT_UNPROTECTED_SEND,
                     (int)OPT_NUM(a, O_UNPROTECTED_REQUESTS));
    return ok ? EXIT_OK : EXIT_OTHER;
}

/* -newkey: a key file, a token key, or a key generated on the token. */
static int setup_newkey(struct app *a)
{
    const char *src = OPT_STR(a, O_NEWKEY);
    EVP_PKEY *pkey;
    int priv = 1;

    if (src == NULL)
        return EXIT_OK;
    if (OPT_STR(a, O_NEWKEYGEN) != NULL)
        return app_newkey_generate(a);
    if (app_ckg_wanted(a) && app_is_uri(src))
        return app_ckg_token_setup(a);
    if ((pkey = app_load_key(a, src, OPT_STR(a, O_NEWKEYPASS), "-newkey",
                             &priv)) == NULL)
        return load_failed();
    if (!P11CMP_CTX_set0_newPkey(a->ctx, priv, pkey)) {
        EVP_PKEY_free(pkey);
        return EXIT_OTHER;
    }
    return EXIT_OK;
}

/* -serial: with -issuer the cert to revoke; an EXIT_* code */
static int setup_serial(struct app *a)
{
    ASN1_INTEGER *sn;
    int ok;

    if (OPT_STR(a, O_SERIAL) == NULL)
        return EXIT_OK;
    if ((sn = s2i_ASN1_INTEGER(NULL, OPT_STR(a, O_SERIAL))) == NULL) {
        ERR_clear_error();
        return app_usage_error("-serial: not a number: %s",
                               OPT_STR(a, O_SERIAL));
    }
    ok = P11CMP_CTX_set1_serialNumber(a->ctx, sn);
    ASN1_INTEGER_free(sn);
    return ok ? EXIT_OK : EXIT_OTHER;
}

static int setup_oldcert(struct app *a)
{
    const char *src = OPT_STR(a, O_OLDCERT);
    X509 *cert;
    int ok, rc;

    if ((rc = setup_serial(a)) != EXIT_OK)
        return rc;
    if (src == NULL)
        return EXIT_OK;
    if ((cert = app_load_cert(a, src, OPT_STR(a, O_KEYPASS), "-oldcert"))
        == NULL)
        return load_failed();
    ok = P11CMP_CTX_set1_oldCert(a->ctx, cert);
    X509_free(a->refcert);
    a->refcert = cert;
    return ok ? EXIT_OK : EXIT_OTHER;
}

static int setup_csr(struct app *a)
{
    X509_REQ *csr;
    int ok;

    if (OPT_STR(a, O_CSR) == NULL)
        return EXIT_OK;
    if ((csr = app_load_csr(a, OPT_STR(a, O_CSR))) == NULL)
        return EXIT_OTHER;
    ok = P11CMP_CTX_set1_p10CSR(a->ctx, csr);
    X509_REQ_free(csr);
    return ok ? EXIT_OK : EXIT_OTHER;
}

static int setup_template(struct app *a)
{
    int rc;

    if ((rc = set_name(a, O_SUBJECT, P11CMP_CTX_set1_subjectName))
        != EXIT_OK
        || (rc = set_name(a, O_ISSUER, P11CMP_CTX_set1_issuer)) != EXIT_OK)
        return rc;
    if ((OPT_SET(a, O_DAYS)
         && !SET_OPT(a, P11CMP_OPT_VALIDITY_DAYS, (int)OPT_NUM(a, O_DAYS)))
        || !SET_OPT(a, P11CMP_OPT_SUBJECTALTNAME_NODEFAULT,
                    (int)OPT_NUM(a, O_SAN_NODEFAULT))
        || !SET_OPT(a, P11CMP_OPT_POLICIES_CRITICAL,
                    (int)OPT_NUM(a, O_POLICY_OIDS_CRITICAL))
        || !SET_OPT(a, P11CMP_OPT_POPO_METHOD, (int)OPT_NUM(a, O_POPO))
        || !SET_OPT(a, P11CMP_OPT_REVOCATION_REASON,
                    (int)OPT_NUM(a, O_REVREASON)))
        return app_usage_error("template options not accepted");
    if ((OPT_STR(a, O_SANS) != NULL && !app_set_sans(a, OPT_STR(a, O_SANS)))
        || (OPT_STR(a, O_POLICY_OIDS) != NULL
            && !app_set_policy_oids(a, OPT_STR(a, O_POLICY_OIDS)))
        || ((OPT_STR(a, O_REQEXTS) != NULL || OPT_STR(a, O_POLICIES) != NULL)
            && !app_set_reqexts(a))
        || (OPT_STR(a, O_GENINFO) != NULL
            && !app_set_geninfo(a, OPT_STR(a, O_GENINFO)))
        || (OPT_STR(a, O_PROFILE) != NULL
            && !app_set_profile(a, OPT_STR(a, O_PROFILE)))
        || (OPT_STR(a, O_INFOTYPE) != NULL && a->cmd == CMD_GENM
            && app_genm_kind(OPT_STR(a, O_INFOTYPE)) == GENM_OTHER
            && !app_set_infotype(a, OPT_STR(a, O_INFOTYPE))))
        return EXIT_USAGE;
    if ((rc = setup_newkey(a)) != EXIT_OK || (rc = setup_oldcert(a))
        != EXIT_OK || (rc = setup_csr(a)) != EXIT_OK)
        return rc;
    return EXIT_OK;
}

static int setup_confirm(struct app *a)
{
    X509_STORE *store;

    if (!SET_OPT(a, P11CMP_OPT_IMPLICIT_CONFIRM,
                 (int)OPT_NUM(a, O_IMPLICIT_CONFIRM))
        || !SET_OPT(a, P11CMP_OPT_DISABLE_CONFIRM,
                    (int)OPT_NUM(a, O_DISABLE_CONFIRM)))
        return EXIT_OTHER;
    if (OPT_STR(a, O_OUT_TRUSTED) == NULL)
        return EXIT_OK;
    if ((store = app_load_store(a, OPT_STR(a, O_OUT_TRUSTED),
                                "-out_trusted")) == NULL)
        return load_failed();
    return app_set_out_trusted(a, store);
}

int app_setup(struct app *a)
{
    int rc;

    P11CMP_PKCS11_set_batch((int)OPT_NUM(a, O_BATCH));
    if ((rc = setup_transfer(a)) != EXIT_OK
        || (rc = setup_server_auth(a)) != EXIT_OK
        || (rc = setup_client_auth(a)) != EXIT_OK
        || (rc = setup_template(a)) != EXIT_OK
        || (rc = setup_confirm(a)) != EXIT_OK
        || (rc = app_setup_store(a)) != EXIT_OK)
        return rc;
    return EXIT_OK;
}
