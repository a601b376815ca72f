/*
 * src/crlsource.c - P11CMP_CRLSTATUS_create(): the CRLStatus a client
 * sends in a genm crlStatusList (RFC 9810 5.3.19.19), its CRLSource taken
 * from a certificate and/or the last CRL it has: a distribution point
 * name if there is one (the cert's cRLDistributionPoints before the CRL's
 * issuingDistributionPoint), else the first usable issuer name of the
 * cert's distribution points, the cert's authority key identifier, the
 * cert's issuer, the CRL's authority key identifier, the CRL's issuer.
 */
#include <openssl/x509v3.h>

#include "local.h"

/* the first distribution point name of the cert's CDP, borrowed from
 * *cdp (new, the caller frees it), or NULL */
static const DIST_POINT_NAME *cert_dpn(const X509 *cert,
                                       STACK_OF(DIST_POINT) **cdp)
{
    int i;

    *cdp = cert == NULL ? NULL
        : X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    for (i = 0; i < sk_DIST_POINT_num(*cdp); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(*cdp, i);

        if (dp->distpoint != NULL)
            return dp->distpoint;
    }
    return NULL;
}

/* the distribution point of the CRL's IDP, borrowed from *idp (new), or
 * NULL */
static const DIST_POINT_NAME *crl_dpn(const X509_CRL *crl,
                                      ISSUING_DIST_POINT **idp)
{
    *idp = crl == NULL ? NULL
        : X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL,
                               NULL);
    return *idp == NULL ? NULL : (*idp)->distpoint;
}

/* 1 if names may serve: with only_DN exactly one directoryName */
static int names_ok(const GENERAL_NAMES *names, int only_DN)
{
    if (sk_GENERAL_NAME_num(names) <= 0)
        return 0;
    return !only_DN || (sk_GENERAL_NAME_num(names) == 1
                        && sk_GENERAL_NAME_value(names, 0)->type
                        == GEN_DIRNAME);
}

/* new GeneralNames holding one directoryName copy of name, or NULL */
static GENERAL_NAMES *dn_names(const X509_NAME *name)
{
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    X509_NAME *copy = name == NULL ? NULL : X509_NAME_dup(name);

    if (names == NULL || gn == NULL || copy == NULL
            || !sk_GENERAL_NAME_push(names, gn)) {
        X509_NAME_free(copy);
        GENERAL_NAME_free(gn);
        sk_GENERAL_NAME_free(names);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME, copy);
    return names;
}

/* the issuer of the AKID extension of cert or crl (one NULL), or NULL */
static AUTHORITY_KEYID *akid_of(const X509 *cert, const X509_CRL *crl)
{
    if (cert != NULL)
        return X509_get_ext_d2i(cert, NID_authority_key_identifier, NULL,
                                NULL);
    if (crl != NULL)
        return X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier,
                                    NULL, NULL);
    return NULL;
}

/* a CRLStatus with the first usable issuer candidate, or NULL */
static P11CMP_CRLSTATUS *by_issuer(const X509 *cert, const X509_CRL *crl,
                                   const STACK_OF(DIST_POINT) *cdp,
                                   int only_DN, const ASN1_TIME *upd)
{
    P11CMP_CRLSTATUS *st = NULL;
    AUTHORITY_KEYID *akid;
    GENERAL_NAMES *dn;
    int i, pass;

    for (i = 0; i < sk_DIST_POINT_num(cdp); i++) {
        const GENERAL_NAMES *iss = sk_DIST_POINT_value(cdp, i)->CRLissuer;

        if (names_ok(iss, only_DN))
            return P11CMP_CRLSTATUS_new1(NULL, iss, upd);
    }
    for (pass = 0; pass < 2 && st == NULL; pass++) {
        const X509 *c = pass == 0 ? cert : NULL;
        const X509_CRL *l = pass == 1 ? crl : NULL;

        if (c == NULL && l == NULL)
            continue;
        akid = akid_of(c, l);
        if (akid != NULL && names_ok(akid->issuer, only_DN))
            st = P11CMP_CRLSTATUS_new1(NULL, akid->issuer, upd);
        AUTHORITY_KEYID_free(akid);
        if (st != NULL)
            break;
        dn = dn_names(c != NULL ? X509_get_issuer_name(c)
                      : X509_CRL_get_issuer(l));
        if (dn == NULL) {
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            return NULL;
        }
        st = P11CMP_CRLSTATUS_new1(NULL, dn, upd);
        sk_GENERAL_NAME_pop_free(dn, GENERAL_NAME_free);
        if (st == NULL)
            return NULL;
    }
    return st;
}

P11CMP_CRLSTATUS *P11CMP_CRLSTATUS_create(const X509_CRL *crl,
                                          const X509 *cert, int only_DN)
{
    STACK_OF(DIST_POINT) *cdp = NULL;
    ISSUING_DIST_POINT *idp = NULL;
    const DIST_POINT_NAME *dpn;
    const ASN1_TIME *upd = crl == NULL ? NULL : X509_CRL_get0_lastUpdate(crl);
    P11CMP_CRLSTATUS *st;

    if (crl == NULL && cert == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((dpn = cert_dpn(cert, &cdp)) == NULL)
        dpn = crl_dpn(crl, &idp);
    if (dpn != NULL)
        st = P11CMP_CRLSTATUS_new1(dpn, NULL, upd);
    else
        st = by_issuer(cert, crl, cdp, only_DN, upd);
    sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
    ISSUING_DIST_POINT_free(idp);
    return st;
}
