/*
 * src/itav.c - the ITAVs of the general messages of RFC 9810 5.3.19
 * (caCerts, rootCaCert, rootCaKeyUpdate, crlStatusList, crls,
 * certReqTemplate), certProfile, and CRLStatus: the constructors and
 * getters of OpenSSL 3.5's OSSL_CMP_ITAV_new_caCerts(3) page under the
 * prefix P11CMP_, with its ownership: new copies its arguments, new0
 * takes them, get0 borrows from the ITAV, get1 gives copies.
 */
#include <openssl/x509v3.h>

#include "local.h"

/* a deep copy of certs, or NULL on error (raised) */
static STACK_OF(X509) *certs_dup(const STACK_OF(X509) *certs)
{
    STACK_OF(X509) *copy = sk_X509_deep_copy(certs, X509_dup, X509_free);

    if (copy == NULL)
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return copy;
}

/* *out = a copy of cert (NULL stays NULL); 1, or 0 on error */
static int cert_dup(const X509 *cert, X509 **out)
{
    *out = NULL;
    if (cert != NULL && (*out = X509_dup(cert)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    return 1;
}

P11CMP_ITAV *P11CMP_ITAV_new_caCerts(const STACK_OF(X509) *caCerts)
{
    STACK_OF(X509) *copy = NULL;
    P11CMP_ITAV *itav;

    if (sk_X509_num(caCerts) > 0 && (copy = certs_dup(caCerts)) == NULL)
        return NULL;
    if ((itav = p11cmp_itav_new_decoded(P11CMP_IT_CACERTS, copy)) == NULL)
        sk_X509_pop_free(copy, X509_free);
    return itav;
}

int P11CMP_ITAV_get0_caCerts(const P11CMP_ITAV *itav, STACK_OF(X509) **out)
{
    return p11cmp_itav_get0_decoded(itav, P11CMP_IT_CACERTS, "caCerts",
                                    (void **)out);
}

P11CMP_ITAV *P11CMP_ITAV_new_rootCaCert(const X509 *rootCaCert)
{
    X509 *copy;
    P11CMP_ITAV *itav;

    if (!cert_dup(rootCaCert, &copy))
        return NULL;
    if ((itav = p11cmp_itav_new_decoded(P11CMP_IT_ROOTCACERT, copy)) == NULL)
        X509_free(copy);
    return itav;
}

int P11CMP_ITAV_get0_rootCaCert(const P11CMP_ITAV *itav, X509 **out)
{
    return p11cmp_itav_get0_decoded(itav, P11CMP_IT_ROOTCACERT,
                                    "rootCaCert", (void **)out);
}

P11CMP_ITAV *P11CMP_ITAV_new_rootCaKeyUpdate(const X509 *newWithNew,
                                             const X509 *newWithOld,
                                             const X509 *oldWithNew)
{
    p11cmp_ROOTCAKEYUPDATE *upd = NULL;
    P11CMP_ITAV *itav;

    if (newWithNew != NULL) {
        if ((upd = p11cmp_ROOTCAKEYUPDATE_new()) == NULL) {
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            return NULL;
        }
        X509_free(upd->newWithNew); /* the template made an empty one */
        if (!cert_dup(newWithNew, &upd->newWithNew)
                || !cert_dup(newWithOld, &upd->newWithOld)
                || !cert_dup(oldWithNew, &upd->oldWithNew))
            goto err;
    }
    itav = p11cmp_itav_new_decoded(P11CMP_IT_ROOTCAKEYUPDATE, upd);
    if (itav != NULL)
        return itav;
 err:
    p11cmp_ROOTCAKEYUPDATE_free(upd);
    return NULL;
}

int P11CMP_ITAV_get0_rootCaKeyUpdate(const P11CMP_ITAV *itav,
                                     X509 **newWithNew, X509 **newWithOld,
                                     X509 **oldWithNew)
{
    p11cmp_ROOTCAKEYUPDATE *upd;

    if (newWithOld != NULL)
        *newWithOld = NULL;
    if (oldWithNew != NULL)
        *oldWithNew = NULL;
    if (newWithNew == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    *newWithNew = NULL;
    if (!p11cmp_itav_get0_decoded(itav, P11CMP_IT_ROOTCAKEYUPDATE,
                                  "rootCaKeyUpdate", (void **)&upd))
        return 0;
    if (upd == NULL)
        return 1;
    *newWithNew = upd->newWithNew;
    if (newWithOld != NULL)
        *newWithOld = upd->newWithOld;
    if (oldWithNew != NULL)
        *oldWithNew = upd->oldWithNew;
    return 1;
}

P11CMP_ITAV *P11CMP_ITAV_new0_crlStatusList(STACK_OF(P11CMP_CRLSTATUS)
                                            *crlStatusList)
{
    return p11cmp_itav_new_decoded(P11CMP_IT_CRLSTATUSLIST, crlStatusList);
}

int P11CMP_ITAV_get0_crlStatusList(const P11CMP_ITAV *itav,
                                   STACK_OF(P11CMP_CRLSTATUS) **out)
{
    return p11cmp_itav_get0_decoded(itav, P11CMP_IT_CRLSTATUSLIST,
                                    "crlStatusList", (void **)out);
}

P11CMP_ITAV *P11CMP_ITAV_new_crls(const X509_CRL *crl)
{
    STACK_OF(X509_CRL) *crls = NULL;
    X509_CRL *copy = NULL;
    P11CMP_ITAV *itav;

    if (crl != NULL
            && ((crls = sk_X509_CRL_new_null()) == NULL
                || (copy = X509_CRL_dup(crl)) == NULL
                || !sk_X509_CRL_push(crls, copy))) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        X509_CRL_free(copy);
        sk_X509_CRL_free(crls);
        return NULL;
    }
    if ((itav = p11cmp_itav_new_decoded(P11CMP_IT_CRLS, crls)) == NULL)
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return itav;
}

int P11CMP_ITAV_get0_crls(const P11CMP_ITAV *itav, STACK_OF(X509_CRL) **out)
{
    return p11cmp_itav_get0_decoded(itav, P11CMP_IT_CRLS, "crls",
                                    (void **)out);
}

P11CMP_ITAV *P11CMP_ITAV_new0_certReqTemplate(P11CMP_CRMF_CERTTEMPLATE
                                              *certTemplate,
                                              P11CMP_ATAVS *keySpec)
{
    p11cmp_CERTREQTEMPLATE *tmpl = NULL;
    P11CMP_ITAV *itav;

    if (certTemplate == NULL && keySpec != NULL) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "keySpec given without certTemplate");
        return NULL;
    }
    if (certTemplate != NULL) {
        if ((tmpl = p11cmp_CERTREQTEMPLATE_new()) == NULL) {
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            return NULL;
        }
        p11cmp_CRMF_CERTTEMPLATE_free(tmpl->certTemplate);
        tmpl->certTemplate = certTemplate;
        tmpl->keySpec = keySpec;
    }
    itav = p11cmp_itav_new_decoded(P11CMP_IT_CERTREQTEMPLATE, tmpl);
    if (itav == NULL && tmpl != NULL) {
        /* the caller keeps its arguments on failure */
        tmpl->certTemplate = NULL;
        tmpl->keySpec = NULL;
        p11cmp_CERTREQTEMPLATE_free(tmpl);
    }
    return itav;
}

/* 1 if every control of keySpec is an algId or rsaKeyLen one */
static int keyspec_ok(const P11CMP_ATAVS *keySpec)
{
    int i;

    for (i = 0; i < sk_P11CMP_ATAV_num(keySpec); i++)
        if (p11cmp_regctrl_kind(P11CMP_ATAV_get0_type(
                sk_P11CMP_ATAV_value(keySpec, i))) == 0) {
            p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                              "keySpec entry %d is neither algId nor "
                              "rsaKeyLen", i);
            return 0;
        }
    return 1;
}

int P11CMP_ITAV_get1_certReqTemplate(const P11CMP_ITAV *itav,
                                     P11CMP_CRMF_CERTTEMPLATE **certTemplate,
                                     P11CMP_ATAVS **keySpec)
{
    p11cmp_CERTREQTEMPLATE *tmpl;

    if (keySpec != NULL)
        *keySpec = NULL;
    if (certTemplate == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    *certTemplate = NULL;
    if (!p11cmp_itav_get0_decoded(itav, P11CMP_IT_CERTREQTEMPLATE,
                                  "certReqTemplate", (void **)&tmpl))
        return 0;
    if (tmpl == NULL)
        return 1;
    if (keySpec != NULL && tmpl->keySpec != NULL) {
        if (!keyspec_ok(tmpl->keySpec))
            return 0;
        if ((*keySpec = P11CMP_ATAVS_dup(tmpl->keySpec)) == NULL)
            return 0;
    }
    if ((*certTemplate = P11CMP_CRMF_CERTTEMPLATE_dup(tmpl->certTemplate))
            != NULL)
        return 1;
    if (keySpec != NULL) {
        P11CMP_ATAVS_free(*keySpec);
        *keySpec = NULL;
    }
    return 0;
}

P11CMP_ITAV *P11CMP_ITAV_new0_certProfile(STACK_OF(ASN1_UTF8STRING)
                                          *certProfile)
{
    return p11cmp_itav_new_decoded(P11CMP_IT_CERTPROFILE, certProfile);
}

int P11CMP_ITAV_get0_certProfile(const P11CMP_ITAV *itav,
                                 STACK_OF(ASN1_UTF8STRING) **out)
{
    return p11cmp_itav_get0_decoded(itav, P11CMP_IT_CERTPROFILE,
                                    "certProfile", (void **)out);
}

/* CRLStatus */

void P11CMP_CRLSTATUS_free(P11CMP_CRLSTATUS *crlstatus)
{
    p11cmp_CRLSTATUS_free(crlstatus);
}

P11CMP_CRLSTATUS *P11CMP_CRLSTATUS_new1(const DIST_POINT_NAME *dpn,
                                        const GENERAL_NAMES *issuer,
                                        const ASN1_TIME *thisUpdate)
{
    P11CMP_CRLSTATUS *st;
    p11cmp_CRLSOURCE *src;

    if (dpn == NULL && issuer == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (dpn != NULL && issuer != NULL) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "both dpn and issuer given");
        return NULL;
    }
    if ((st = p11cmp_CRLSTATUS_new()) == NULL)
        goto oom;
    src = st->source;
    if (dpn != NULL) {
        src->type = P11CMP_CRLSOURCE_DPN;
        src->value.dpn = ASN1_item_dup(ASN1_ITEM_rptr(DIST_POINT_NAME), dpn);
    } else {
        src->type = P11CMP_CRLSOURCE_ISSUER;
        src->value.issuer = ASN1_item_dup(ASN1_ITEM_rptr(GENERAL_NAMES),
                                          issuer);
    }
    if (src->value.dpn == NULL)
        goto oom;
    if (thisUpdate != NULL
            && (st->thisUpdate = ASN1_STRING_dup(thisUpdate)) == NULL)
        goto oom;
    return st;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    p11cmp_CRLSTATUS_free(st);
    return NULL;
}

int P11CMP_CRLSTATUS_get0(const P11CMP_CRLSTATUS *crlstatus,
                          DIST_POINT_NAME **dpn, GENERAL_NAMES **issuer,
                          ASN1_TIME **thisUpdate)
{
    if (crlstatus == NULL || dpn == NULL || issuer == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    *dpn = NULL;
    *issuer = NULL;
    if (crlstatus->source->type == P11CMP_CRLSOURCE_DPN)
        *dpn = crlstatus->source->value.dpn;
    else
        *issuer = crlstatus->source->value.issuer;
    if (thisUpdate != NULL)
        *thisUpdate = crlstatus->thisUpdate;
    return 1;
}
