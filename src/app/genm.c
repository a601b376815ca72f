/*
 * src/app/genm.c - the general messages of RFC 9810 that -cmd genm asks
 * for with -infotype, as openssl cmp 3.5 does: caCerts (-cacertsout),
 * rootCaCert (-oldwithold, -newwithnew, -newwithold, -oldwithnew),
 * crlStatusList (-crlcert, -oldcrl, -crlout, -crlform) and
 * certReqTemplate (-template, -keyspec). Where the server says it has no
 * update, a stale output file is removed, so that what is on disk after
 * the run is what the server said. Outputs that are pkcs11: URIs go to
 * the token through genm_token.c.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "app.h"

static const char *const kinds[] = {
    NULL, "caCerts", "rootCaCert", "crlStatusList", "certReqTemplate"
};

int app_genm_kind(const char *infotype)
{
    int i;

    if (infotype == NULL)
        return GENM_OTHER;
    for (i = GENM_CACERTS; i <= GENM_CERTREQTEMPLATE; i++)
        if (strcmp(infotype, kinds[i]) == 0
                || (strncmp(infotype, "id-it-", 6) == 0
                    && strcmp(infotype + 6, kinds[i]) == 0))
            return i;
    return GENM_OTHER;
}

/* the outputs that are files only; the others may be pkcs11: URIs */
static const enum opt_id file_outs[] = {
    O_CERTOUT, O_CHAINOUT, O_EXTRACERTSOUT, O_SRVCERTOUT, O_TEMPLATE,
    O_KEYSPEC
};

int app_check_genm(struct app *a)
{
    int kind = app_genm_kind(OPT_STR(a, O_INFOTYPE));
    const char *form = OPT_STR(a, O_CRLFORM);
    size_t i;

    for (i = 0; i < sizeof(file_outs) / sizeof(file_outs[0]); i++)
        if (app_is_uri(OPT_STR(a, file_outs[i])))
            return app_usage_error("-%s is a file, not a pkcs11: URI",
                                   app_opt_table()[file_outs[i]].name);

    if (form != NULL && OPENSSL_strcasecmp(form, "PEM") != 0
        && OPENSSL_strcasecmp(form, "DER") != 0)
        return app_usage_error("-crlform must be PEM or DER");
    if (a->cmd != CMD_GENM)
        return EXIT_OK;
    if (kind == GENM_CACERTS && OPT_STR(a, O_CACERTSOUT) == NULL)
        return app_usage_error("-infotype caCerts needs -cacertsout");
    if (kind == GENM_ROOTCACERT && OPT_STR(a, O_NEWWITHNEW) == NULL)
        return app_usage_error("-infotype rootCaCert needs -newwithnew");
    if (kind == GENM_CRLSTATUSLIST && OPT_STR(a, O_CRLOUT) == NULL)
        return app_usage_error("-infotype crlStatusList needs -crlout");
    if (kind == GENM_CRLSTATUSLIST && OPT_STR(a, O_CRLCERT) == NULL
        && OPT_STR(a, O_OLDCRL) == NULL)
        return app_usage_error("-infotype crlStatusList needs -crlcert "
                               "or -oldcrl");
    if (kind == GENM_CERTREQTEMPLATE && OPT_STR(a, O_TEMPLATE) == NULL)
        return app_usage_error("-infotype certReqTemplate needs -template");
    return EXIT_OK;
}

/* Removes file (if given) since the server has no desc; 1, or 0. */
static int remove_stale(struct app *a, const char *file, const char *desc)
{
    if (file == NULL)
        return 1;
    if (unlink(file) == 0) {
        app_log(a, P11CMP_LOG_INFO, "no %s: removed %s", desc, file);
        return 1;
    }
    if (errno == ENOENT)
        return 1;
    fprintf(stderr, "p11cmp: cannot remove %s, which must go since there "
            "is no %s: %s\n", file, desc, strerror(errno));
    return 0;
}

int app_save_or_remove(struct app *a, X509 *cert, const char *file,
                       const char *desc)
{
    if (file == NULL)
        return 1;
    return cert != NULL ? app_save_cert(a, cert, file)
        : remove_stale(a, file, desc);
}

static int ca_certs(struct app *a)
{
    STACK_OF(X509) *certs = NULL;
    const char *out = OPT_STR(a, O_CACERTSOUT);
    int rc;

    if (!P11CMP_get1_caCerts(a->ctx, &certs))
        return app_exit_code(a);
    if (certs == NULL) {
        /* as openssl cmp: the file (or the token) is left as it is */
        app_log(a, P11CMP_LOG_WARNING, "no CA certificates from the server");
        printf("genp: caCerts: none\n");
        return EXIT_OK;
    }
    printf("genp: caCerts: %d certificate(s)\n", sk_X509_num(certs));
    if (app_is_uri(out))
        rc = app_out_certs_now(a, out, certs, "caCerts");
    else
        rc = app_save_certs(a, certs, out) ? EXIT_OK : EXIT_OTHER;
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

/*
 * The outputs of a root CA update: those on the token in one transaction
 * (without an update, what is under their labels goes, except the old
 * root), then the files.
 */
static int root_outputs(struct app *a, X509 *old, X509 *const *certs)
{
    static const char *const desc[3] = {
        "newWithNew", "newWithOld", "oldWithNew"
    };
    const char *outs[3];
    P11CMP_PKCS11_TXN *txn;
    int i, rc, ok = 1;

    outs[0] = OPT_STR(a, O_NEWWITHNEW);
    outs[1] = OPT_STR(a, O_NEWWITHOLD);
    outs[2] = OPT_STR(a, O_OLDWITHNEW);
    if ((txn = app_out_txn(a, outs, 3, &rc)) == NULL && rc != EXIT_OK)
        return rc;
    for (i = 0; i < 3 && ok; i++)
        if (app_is_uri(outs[i]))
            ok = app_out_cert(a, txn, outs[i], certs[i],
                              certs[0] == NULL ? old : NULL, desc[i]);
    if ((rc = app_out_commit(a, txn, ok)) != EXIT_OK)
        return rc;
    for (i = 0; i < 3; i++)
        if (!app_is_uri(outs[i])
            && !app_save_or_remove(a, certs[i], outs[i], desc[i]))
            return EXIT_OTHER;
    return EXIT_OK;
}

static int root_update(struct app *a)
{
    X509 *old = NULL, *c[3] = {NULL, NULL, NULL};
    int rc = EXIT_OTHER;

    if (OPT_STR(a, O_OLDWITHOLD) == NULL)
        app_log(a, P11CMP_LOG_WARNING, "no -oldwithold: newWithNew is "
                "checked with the -trusted certs as trust anchors");
    else if ((old = app_load_cert(a, OPT_STR(a, O_OLDWITHOLD),
                                  OPT_STR(a, O_OTHERPASS),
                                  "-oldwithold")) == NULL)
        return app_errors_exit(a, EXIT_OTHER);
    if (!P11CMP_get1_rootCaKeyUpdate(a->ctx, old, &c[0], &c[1], &c[2])) {
        rc = app_exit_code(a);
        goto end;
    }
    if (c[0] == NULL)
        printf("genp: rootCaKeyUpdate: no update\n");
    else
        app_print_cert_line("genp: rootCaKeyUpdate: newWithNew", c[0]);
    if (old == NULL && c[2] != NULL)
        app_log(a, P11CMP_LOG_WARNING, "oldWithNew received but not "
                "checked: no -oldwithold");
    rc = root_outputs(a, old, c);
 end:
    X509_free(old);
    X509_free(c[0]);
    X509_free(c[1]);
    X509_free(c[2]);
    return rc;
}

/* a CRL from a PEM or DER file or a token, or NULL with a message */
static X509_CRL *load_crl(struct app *a, const char *file)
{
    BIO *b;
    X509_CRL *crl = NULL;

    if (app_is_uri(file))
        return app_load_token_crl(a, file);
    ERR_set_mark();
    if ((b = BIO_new_file(file, "rb")) != NULL) {
        crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
        if (crl == NULL && BIO_reset(b) == 0)
            crl = d2i_X509_CRL_bio(b, NULL);
        BIO_free(b);
    }
    ERR_pop_to_mark();
    if (crl == NULL)
        fprintf(stderr, "p11cmp: cannot load the CRL of -oldcrl from %s\n",
                file);
    return crl;
}

static int save_crl(struct app *a, X509_CRL *crl, const char *file)
{
    const char *form = OPT_STR(a, O_CRLFORM);
    BIO *b;
    int ok;

    ERR_set_mark();
    b = BIO_new_file(file, "wb");
    ERR_pop_to_mark();
    ok = b != NULL && (form != NULL && OPENSSL_strcasecmp(form, "PEM") == 0
                       ? PEM_write_bio_X509_CRL(b, crl)
                       : i2d_X509_CRL_bio(b, crl));
    ok = BIO_free(b) && ok;
    if (!ok)
        fprintf(stderr, "p11cmp: cannot write %s\n", file);
    return ok;
}

static int crl_update(struct app *a)
{
    X509 *cert = NULL;
    X509_CRL *old = NULL, *crl = NULL;
    const char *out = OPT_STR(a, O_CRLOUT);
    P11CMP_PKCS11_TXN *txn;
    int rc = EXIT_OTHER, ok;

    if (OPT_STR(a, O_CRLCERT) != NULL
        && (cert = app_load_cert(a, OPT_STR(a, O_CRLCERT),
                                 OPT_STR(a, O_OTHERPASS), "-crlcert"))
        == NULL)
        return app_errors_exit(a, EXIT_OTHER);
    if (OPT_STR(a, O_OLDCRL) != NULL
        && (old = load_crl(a, OPT_STR(a, O_OLDCRL))) == NULL)
        goto end;
    if (cert != NULL && old != NULL
        && X509_NAME_cmp(X509_CRL_get_issuer(old),
                         X509_get_issuer_name(cert)) != 0)
        app_log(a, P11CMP_LOG_WARNING, "-oldcrl and -crlcert have "
                "different issuers");
    if (!P11CMP_get1_crlUpdate(a->ctx, cert, old, &crl)) {
        rc = app_exit_code(a);
        goto end;
    }
    printf("genp: crls: %s\n", crl == NULL ? "no update" : "a new CRL");
    if (app_is_uri(out)) {
        /* without an update the CRL of -oldcrl stays, the others go */
        if ((txn = app_out_txn(a, &out, 1, &rc)) != NULL)
            rc = app_out_commit(a, txn, app_out_crl(a, txn, out, crl,
                                                    crl == NULL ? old
                                                    : NULL));
        goto end;
    }
    ok = crl != NULL ? save_crl(a, crl, out)
        : remove_stale(a, out, "CRL update");
    rc = ok ? EXIT_OK : EXIT_OTHER;
 end:
    X509_free(cert);
    X509_CRL_free(old);
    X509_CRL_free(crl);
    return rc;
}

/* writes DER of len bytes to file; 1 or 0 with a message */
static int save_der(const char *file, const unsigned char *der, int len)
{
    BIO *b;
    int ok;

    ERR_set_mark();
    b = BIO_new_file(file, "wb");
    ERR_pop_to_mark();
    ok = b != NULL && len > 0 && BIO_write(b, der, len) == len;
    ok = BIO_free(b) && ok;
    if (!ok)
        fprintf(stderr, "p11cmp: cannot write %s\n", file);
    return ok;
}

/* the key specification, one line per entry, on stdout */
static void print_keyspec(const P11CMP_ATAVS *ks)
{
    char name[80];
    int i;

    for (i = 0; i < sk_P11CMP_ATAV_num(ks); i++) {
        const P11CMP_ATAV *atav = sk_P11CMP_ATAV_value(ks, i);
        const X509_ALGOR *alg = P11CMP_ATAV_get0_algId(atav);
        const ASN1_OBJECT *oid;
        const void *param;
        int ptype;

        if (alg != NULL) {
            X509_ALGOR_get0(&oid, &ptype, &param, alg);
            OBJ_obj2txt(name, sizeof(name), oid, 0);
            printf("genp: keySpec: algId %s", name);
            if (ptype == V_ASN1_OBJECT) {
                OBJ_obj2txt(name, sizeof(name), param, 0);
                printf(" %s", name);
            }
            printf("\n");
        } else if (P11CMP_ATAV_get_rsaKeyLen(atav) > 0) {
            printf("genp: keySpec: rsaKeyLen %d\n",
                   P11CMP_ATAV_get_rsaKeyLen(atav));
        }
    }
}

static int req_template(struct app *a)
{
    P11CMP_CRMF_CERTTEMPLATE *tmpl = NULL;
    P11CMP_ATAVS *ks = NULL;
    unsigned char *der = NULL;
    int len, ok;

    if (!P11CMP_get1_certReqTemplate(a->ctx, &tmpl, &ks))
        return app_exit_code(a);
    if (tmpl == NULL) {
        printf("genp: certReqTemplate: none\n");
        return remove_stale(a, OPT_STR(a, O_TEMPLATE), "certTemplate")
            && remove_stale(a, OPT_STR(a, O_KEYSPEC), "keySpec")
            ? EXIT_OK : EXIT_OTHER;
    }
    printf("genp: certReqTemplate: a template%s\n",
           ks == NULL ? "" : " and keySpec");
    print_keyspec(ks);
    len = i2d_P11CMP_CRMF_CERTTEMPLATE(tmpl, &der);
    ok = save_der(OPT_STR(a, O_TEMPLATE), der, len);
    OPENSSL_free(der);
    der = NULL;
    if (ok && OPT_STR(a, O_KEYSPEC) != NULL && ks == NULL) {
        ok = remove_stale(a, OPT_STR(a, O_KEYSPEC), "keySpec");
    } else if (ok && OPT_STR(a, O_KEYSPEC) != NULL) {
        len = i2d_P11CMP_ATAVS(ks, &der);
        ok = save_der(OPT_STR(a, O_KEYSPEC), der, len);
        OPENSSL_free(der);
    }
    P11CMP_CRMF_CERTTEMPLATE_free(tmpl);
    P11CMP_ATAVS_free(ks);
    return ok ? EXIT_OK : EXIT_OTHER;
}

int app_run_genm(struct app *a, int kind)
{
    switch (kind) {
    case GENM_CACERTS:
        return ca_certs(a);
    case GENM_ROOTCACERT:
        return root_update(a);
    case GENM_CRLSTATUSLIST:
        return crl_update(a);
    case GENM_CERTREQTEMPLATE:
        return req_template(a);
    default:
        return EXIT_OTHER;
    }
}
