/*
 * src/genm.c - the general message exchanges of RFC 9810 5.3.19 / RFC 9483
 * 4.3 as one call each, like OpenSSL 3.5's cmp_genm.c: CA certificates
 * (caCerts), a root CA key update (rootCaCert -> rootCaKeyUpdate, the new
 * root checked as RFC 9810 4.4 says), a CRL update (crlStatusList ->
 * crls) and the certificate request template (certReqTemplate). Each
 * sends one genm with one ITAV and takes the first ITAV of the expected
 * type from the genp.
 */
#include <openssl/x509v3.h>

#include "local.h"

/*
 * Sends a genm with req (taken) and returns the first ITAV of the answer
 * of kind (new, the caller frees it), or NULL with an error. ctx must be
 * fresh (status unspecified: new or after P11CMP_CTX_reinit()).
 */
static P11CMP_ITAV *genm_itav(P11CMP_CTX *ctx, P11CMP_ITAV *req, int kind,
                              const char *name)
{
    STACK_OF(P11CMP_ITAV) *itavs = NULL;
    P11CMP_ITAV *res = NULL;
    int i, n;

    if (ctx == NULL || req == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        goto end;
    }
    if (ctx->status != P11CMP_PKISTATUS_unspecified) {
        p11cmp_raise_data(P11CMP_R_UNCLEAN_CTX, "call P11CMP_CTX_reinit() "
                          "before asking for %s", name);
        goto end;
    }
    if (!P11CMP_CTX_push0_genm_ITAV(ctx, req))
        goto end;
    req = NULL;
    if ((itavs = P11CMP_exec_GENM_ses(ctx)) == NULL) {
        p11cmp_raise_data(P11CMP_R_GETTING_GENP, "with infoType %s", name);
        goto end;
    }
    n = sk_P11CMP_ITAV_num(itavs);
    if (n > 1)
        p11cmp_log_warn(ctx, "genp has %d ITAVs; taking the first of type "
                        "%s", n, name);
    for (i = 0; i < n && res == NULL; i++) {
        P11CMP_ITAV *itav = sk_P11CMP_ITAV_value(itavs, i);

        if (itav->kind == kind)
            res = sk_P11CMP_ITAV_delete(itavs, i);
        else
            p11cmp_log_warn(ctx, "genp ITAV %d is not of type %s", i, name);
    }
    if (res == NULL)
        p11cmp_raise_data(P11CMP_R_INVALID_GENP, "no ITAV of type %s in the "
                          "genp", name);
 end:
    P11CMP_ITAV_free(req);
    sk_P11CMP_ITAV_pop_free(itavs, P11CMP_ITAV_free);
    return res;
}

/* the verification parameters of ctx's trust store */
static X509_VERIFY_PARAM *trust_vpm(const P11CMP_CTX *ctx)
{
    return X509_STORE_get0_param(ctx->trusted);
}

/* 1 if cert is valid now as vpm says and (if ca >= 0 and cert is v3) a
 * CA cert (ca 1) or not (ca 0); else 0 with an error of reason naming
 * what (P11CMP_R_CERT_NOT_VALID_NOW for the time) */
static int cert_ok(const char *what, X509 *cert, int ca,
                   const X509_VERIFY_PARAM *vpm, int reason)
{
    uint32_t flags = X509_get_extension_flags(cert);
    int t = X509_cmp_timeframe(vpm, X509_get0_notBefore(cert),
                               X509_get0_notAfter(cert));
    char *subj = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
    int ok = 0;

    if (t != 0)
        p11cmp_raise_data(P11CMP_R_CERT_NOT_VALID_NOW, "%s '%s' %s", what,
                          subj == NULL ? "?" : subj,
                          t > 0 ? "has expired" : "is not yet valid");
    else if (ca >= 0 && (flags & EXFLAG_V1) == 0
             && ((flags & EXFLAG_CA) != 0) != (ca != 0))
        p11cmp_raise_data(reason, "%s '%s' is %s", what,
                          subj == NULL ? "?" : subj,
                          ca ? "not a CA cert" : "a CA cert");
    else
        ok = 1;
    OPENSSL_free(subj);
    return ok;
}

int P11CMP_get1_caCerts(P11CMP_CTX *ctx, STACK_OF(X509) **out)
{
    P11CMP_ITAV *itav;
    STACK_OF(X509) *certs;
    int i, ok = 1;

    if (out == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    *out = NULL;
    itav = genm_itav(ctx, P11CMP_ITAV_new_caCerts(NULL), P11CMP_IT_CACERTS,
                     "caCerts");
    if (itav == NULL || !P11CMP_ITAV_get0_caCerts(itav, &certs)) {
        P11CMP_ITAV_free(itav);
        return 0;
    }
    for (i = 0; i < sk_X509_num(certs); i++)
        ok = cert_ok("caCerts certificate", sk_X509_value(certs, i), 1,
                     trust_vpm(ctx), P11CMP_R_INVALID_GENP) && ok;
    if (ok && certs != NULL) {
        /* the ITAV gives up its stack */
        *out = certs;
        itav->decoded = NULL;
    }
    P11CMP_ITAV_free(itav);
    return ok;
}

/* 1 if cert verifies (X509_verify_cert) against anchor, or against the
 * trust store of ctx if anchor is NULL; else 0 with an error */
static int verify_against(P11CMP_CTX *ctx, X509 *cert, X509 *anchor,
                          const char *what)
{
    X509_STORE *store = ctx->trusted;
    X509_STORE_CTX *csc = NULL;
    int ok = 0, err = X509_V_ERR_UNSPECIFIED;

    if (anchor != NULL
            && ((store = X509_STORE_new()) == NULL
                || !X509_STORE_set1_param(store, trust_vpm(ctx))
                || !X509_STORE_add_cert(store, anchor)))
        goto end;
    if ((csc = X509_STORE_CTX_new_ex(ctx->libctx, ctx->propq)) == NULL
            || !X509_STORE_CTX_init(csc, store, cert, NULL))
        goto end;
    ok = X509_verify_cert(csc) > 0;
    err = X509_STORE_CTX_get_error(csc);
 end:
    if (!ok)
        p11cmp_raise_data(P11CMP_R_INVALID_ROOTCAKEYUPDATE,
                          "%s does not verify %s: %s", what,
                          anchor != NULL ? "with the old root"
                          : "with the trust store",
                          X509_verify_cert_error_string(err));
    X509_STORE_CTX_free(csc);
    if (anchor != NULL)
        X509_STORE_free(store);
    return ok;
}

/* 1 if cert carries the public key of other; else 0 with an error */
static int key_is(X509 *cert, X509 *other, const char *what)
{
    if (EVP_PKEY_eq(X509_get0_pubkey(cert), X509_get0_pubkey(other)) == 1)
        return 1;
    p11cmp_raise_data(P11CMP_R_INVALID_ROOTCAKEYUPDATE,
                      "%s does not carry the expected public key", what);
    return 0;
}

/* 1 if cert is signed with the key of signer; else 0 with an error */
static int signed_by(X509 *cert, X509 *signer, const char *what)
{
    if (X509_verify(cert, X509_get0_pubkey(signer)) == 1)
        return 1;
    p11cmp_raise_data(P11CMP_R_INVALID_ROOTCAKEYUPDATE,
                      "%s is not signed by the expected key", what);
    return 0;
}

/* 1 if cert of a root update is a CA cert valid now */
static int link_ok(P11CMP_CTX *ctx, const char *what, X509 *cert)
{
    return cert_ok(what, cert, 1, trust_vpm(ctx),
                   P11CMP_R_INVALID_ROOTCAKEYUPDATE);
}

/*
 * The checks of RFC 9810 4.4 on an update of root oldWithOld (NULL: the
 * trust store of ctx stands for it): newWithNew is a self-signed CA cert
 * valid now; newWithOld, a CA cert valid now, carries its key and
 * verifies with the old root
 * (or the trust store); without newWithOld, newWithNew itself must verify
 * with the old root or trust store (i.e. be trusted already); oldWithNew,
 * if given with oldWithOld, is a CA cert valid now, carries the old key
 * and is signed by the new.
 */
static int root_update_ok(P11CMP_CTX *ctx, X509 *oldWithOld, X509 *nwn,
                          X509 *nwo, X509 *own)
{
    if (!link_ok(ctx, "newWithNew", nwn)
            || !signed_by(nwn, nwn, "newWithNew"))
        return 0;
    if (nwo != NULL) {
        if (!link_ok(ctx, "newWithOld", nwo)
                || !key_is(nwo, nwn, "newWithOld")
                || !verify_against(ctx, nwo, oldWithOld, "newWithOld"))
            return 0;
    } else if (!verify_against(ctx, nwn, oldWithOld, "newWithNew")) {
        return 0;
    }
    return own == NULL || oldWithOld == NULL
        || (link_ok(ctx, "oldWithNew", own)
            && key_is(own, oldWithOld, "oldWithNew")
            && signed_by(own, nwn, "oldWithNew"));
}

/* *out = a new reference to cert (NULL stays NULL); out may be NULL */
static void give(X509 *cert, X509 **out)
{
    if (out != NULL && cert != NULL && X509_up_ref(cert))
        *out = cert;
}

int P11CMP_get1_rootCaKeyUpdate(P11CMP_CTX *ctx, const X509 *oldWithOld,
                                X509 **newWithNew, X509 **newWithOld,
                                X509 **oldWithNew)
{
    P11CMP_ITAV *itav;
    X509 *old = NULL, *nwn, *nwo, *own;
    int ok = 0;

    if (newWithOld != NULL)
        *newWithOld = NULL;
    if (oldWithNew != NULL)
        *oldWithNew = NULL;
    if (newWithNew == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    *newWithNew = NULL;
    itav = genm_itav(ctx, P11CMP_ITAV_new_rootCaCert(oldWithOld),
                     P11CMP_IT_ROOTCAKEYUPDATE, "rootCaKeyUpdate");
    if (itav == NULL
            || !P11CMP_ITAV_get0_rootCaKeyUpdate(itav, &nwn, &nwo, &own))
        goto end;
    ok = 1;
    if (nwn == NULL) /* no update */
        goto end;
    if (oldWithOld != NULL && (old = X509_dup(oldWithOld)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        ok = 0;
        goto end;
    }
    if (!(ok = root_update_ok(ctx, old, nwn, nwo, own)))
        goto end;
    give(nwn, newWithNew);
    give(nwo, newWithOld);
    give(own, oldWithNew);
 end:
    X509_free(old);
    P11CMP_ITAV_free(itav);
    return ok;
}

int P11CMP_get1_crlUpdate(P11CMP_CTX *ctx, const X509 *crlcert,
                          const X509_CRL *last_crl, X509_CRL **crl)
{
    STACK_OF(P11CMP_CRLSTATUS) *list = NULL;
    P11CMP_CRLSTATUS *status;
    STACK_OF(X509_CRL) *crls;
    P11CMP_ITAV *req = NULL, *itav;
    int ok = 0;

    if (crl == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    *crl = NULL;
    if (crlcert == NULL && last_crl == NULL) {
        p11cmp_raise_data(P11CMP_R_NULL_ARGUMENT,
                          "need a certificate or the last CRL");
        return 0;
    }
    if ((status = P11CMP_CRLSTATUS_create(last_crl, crlcert, 1)) == NULL)
        return 0;
    if ((list = sk_P11CMP_CRLSTATUS_new_null()) == NULL
            || !sk_P11CMP_CRLSTATUS_push(list, status)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        sk_P11CMP_CRLSTATUS_free(list);
        P11CMP_CRLSTATUS_free(status);
        return 0;
    }
    if ((req = P11CMP_ITAV_new0_crlStatusList(list)) == NULL) {
        sk_P11CMP_CRLSTATUS_pop_free(list, P11CMP_CRLSTATUS_free);
        return 0;
    }
    itav = genm_itav(ctx, req, P11CMP_IT_CRLS, "crls");
    if (itav == NULL || !P11CMP_ITAV_get0_crls(itav, &crls))
        goto end;
    if (crls == NULL) { /* no update */
        ok = 1;
    } else if (sk_X509_CRL_num(crls) != 1) {
        p11cmp_raise_data(P11CMP_R_INVALID_GENP, "%d CRLs in the genp",
                          sk_X509_CRL_num(crls));
    } else if (X509_CRL_up_ref(sk_X509_CRL_value(crls, 0))) {
        *crl = sk_X509_CRL_value(crls, 0);
        ok = 1;
    }
 end:
    P11CMP_ITAV_free(itav);
    return ok;
}

int P11CMP_get1_certReqTemplate(P11CMP_CTX *ctx,
                                P11CMP_CRMF_CERTTEMPLATE **certTemplate,
                                P11CMP_ATAVS **keySpec)
{
    P11CMP_ITAV *itav;
    int ok;

    if (keySpec != NULL)
        *keySpec = NULL;
    if (certTemplate == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    *certTemplate = NULL;
    itav = genm_itav(ctx, P11CMP_ITAV_new0_certReqTemplate(NULL, NULL),
                     P11CMP_IT_CERTREQTEMPLATE, "certReqTemplate");
    ok = itav != NULL
        && P11CMP_ITAV_get1_certReqTemplate(itav, certTemplate, keySpec);
    P11CMP_ITAV_free(itav);
    return ok;
}
