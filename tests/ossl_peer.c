/*
 * tests/ossl_peer.c - the OpenSSL server and client setup that the
 * in-process peers of the tests (asn1_peer.c, verify_peer.c) share.
 */
#include <string.h>
#include <time.h>

#include "ossl_peer.h"

STACK_OF(X509) *ossl_peer_one_cert(X509 *cert)
{
    STACK_OF(X509) *sk = sk_X509_new_null();

    if (sk != NULL && X509_up_ref(cert) && sk_X509_push(sk, cert) > 0)
        return sk;
    sk_X509_free(sk);
    return NULL;
}

X509_STORE *ossl_peer_store_of(X509 *cert)
{
    X509_STORE *ts = X509_STORE_new();

    if (ts != NULL && X509_STORE_add_cert(ts, cert))
        return ts;
    X509_STORE_free(ts);
    return NULL;
}

static void srv_error(OSSL_CMP_SRV_CTX *srv_ctx, const OSSL_CMP_MSG *req,
                      const OSSL_CMP_PKISI *si, const ASN1_INTEGER *code,
                      const OSSL_CMP_PKIFREETEXT *details)
{
    (void)srv_ctx;
    (void)req;
    (void)si;
    (void)code;
    (void)details;
}

static int srv_certConf(OSSL_CMP_SRV_CTX *srv_ctx, const OSSL_CMP_MSG *req,
                        int rid, const ASN1_OCTET_STRING *certHash,
                        const OSSL_CMP_PKISI *si)
{
    (void)srv_ctx;
    (void)req;
    (void)rid;
    (void)certHash;
    (void)si;
    return 1;
}

static int set_pbm(OSSL_CMP_CTX *ctx, const char *ref, const char *secret)
{
    return OSSL_CMP_CTX_set1_referenceValue(ctx, (const unsigned char *)ref,
                                            strlen(ref))
        && OSSL_CMP_CTX_set1_secretValue(ctx, (const unsigned char *)secret,
                                         strlen(secret));
}

/* PBM, or signatures with trust (if any) in the trusted store */
static int protect(OSSL_CMP_CTX *ctx, const struct ossl_peer_prot *p)
{
    X509_STORE *ts;

    if (p->secret != NULL)
        return set_pbm(ctx, p->ref, p->secret);
    if (p->trust != NULL
            && ((ts = ossl_peer_store_of(p->trust)) == NULL
                || !OSSL_CMP_CTX_set0_trustedStore(ctx, ts))) {
        X509_STORE_free(ts);
        return 0;
    }
    return OSSL_CMP_CTX_set1_cert(ctx, p->cert)
        && OSSL_CMP_CTX_set1_pkey(ctx, p->key);
}

OSSL_CMP_SRV_CTX *ossl_peer_srv_new(void *st,
                                    OSSL_CMP_SRV_cert_request_cb_t cert_req,
                                    OSSL_CMP_SRV_rr_cb_t rr,
                                    OSSL_CMP_SRV_genm_cb_t genm,
                                    OSSL_CMP_SRV_pollReq_cb_t poll,
                                    const struct ossl_peer_prot *prot)
{
    OSSL_CMP_SRV_CTX *srv = OSSL_CMP_SRV_CTX_new(NULL, NULL);
    OSSL_CMP_CTX *sctx;

    if (srv == NULL
            || !OSSL_CMP_SRV_CTX_init(srv, st, cert_req, rr, genm, srv_error,
                                      srv_certConf, poll))
        goto err;
    sctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(srv);
    (void)OSSL_CMP_CTX_set_option(sctx, OSSL_CMP_OPT_LOG_VERBOSITY,
                                  OSSL_CMP_LOG_CRIT);
    if (protect(sctx, prot))
        return srv;
 err:
    OSSL_CMP_SRV_CTX_free(srv);
    return NULL;
}

OSSL_CMP_CTX *ossl_peer_client_new(OSSL_CMP_transfer_cb_t transfer,
                                   void *arg, EVP_PKEY *new_key,
                                   const struct ossl_peer_prot *prot)
{
    OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
    X509_NAME *subject = X509_NAME_new();
    int ok;

    ok = ctx != NULL && subject != NULL
        && X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                      (const unsigned char *)"ee", -1, -1, 0)
        && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_LOG_VERBOSITY,
                                   OSSL_CMP_LOG_CRIT)
        && OSSL_CMP_CTX_set_transfer_cb(ctx, transfer)
        && OSSL_CMP_CTX_set_transfer_cb_arg(ctx, arg)
        && OSSL_CMP_CTX_set1_subjectName(ctx, subject)
        && EVP_PKEY_up_ref(new_key)
        && OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key)
        && protect(ctx, prot);
    X509_NAME_free(subject);
    if (ok)
        return ctx;
    OSSL_CMP_CTX_free(ctx);
    return NULL;
}

int ossl_peer_genm_echo(OSSL_CMP_SRV_CTX *srv_ctx, const OSSL_CMP_MSG *req,
                        const STACK_OF(OSSL_CMP_ITAV) *in,
                        STACK_OF(OSSL_CMP_ITAV) **out)
{
    (void)srv_ctx;
    (void)req;
    *out = sk_OSSL_CMP_ITAV_deep_copy(in, OSSL_CMP_ITAV_dup,
                                      OSSL_CMP_ITAV_free);
    return *out != NULL;
}

int ossl_peer_push0_geninfo(OSSL_CMP_CTX *ctx, ASN1_OBJECT *type,
                            ASN1_TYPE **val)
{
    OSSL_CMP_ITAV *itav = OSSL_CMP_ITAV_create(type, *val);

    if (itav == NULL)
        return 0;
    *val = NULL;
    if (OSSL_CMP_CTX_push0_geninfo_ITAV(ctx, itav))
        return 1;
    OSSL_CMP_ITAV_free(itav);
    return 0;
}

/*
 * OpenSSL's ITAV holds the value of an infoType it knows in a union
 * member of that type, so the GeneralizedTime itself goes in where the
 * prototype says ASN1_TYPE (as OpenSSL does for implicitConfirm).
 */
int ossl_peer_push_confirm_wait(OSSL_CMP_CTX *ctx, long secs,
                                ASN1_GENERALIZEDTIME **when)
{
    ASN1_GENERALIZEDTIME *t = ASN1_GENERALIZEDTIME_adj(NULL, time(NULL),
                                                       0, secs);
    ASN1_TYPE *val = (ASN1_TYPE *)t;
    int ok;

    ASN1_GENERALIZEDTIME_free(*when);
    *when = ASN1_STRING_dup(t);
    ok = t != NULL && *when != NULL
        && ossl_peer_push0_geninfo(ctx,
                                   OBJ_nid2obj(NID_id_it_confirmWaitTime),
                                   &val);
    ASN1_GENERALIZEDTIME_free((ASN1_GENERALIZEDTIME *)val);
    return ok;
}
