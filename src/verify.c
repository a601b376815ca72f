/*
 * src/verify.c - validation of every CMP message the client receives:
 * bounds, protocol version, sender, protection (PBM or signature with
 * sender certificate search and path validation), body type,
 * transactionID and nonces; then the checks of a certificate response
 * (exactly one CertResponse, certReqId, public key of the new cert).
 * Nothing from a message is stored in the context before every check of
 * p11cmp_msg_check_received() passed, except the senderNonce of a
 * response of this transaction whose protection fails: the error message
 * the client then sends answers it (learn_nonce_for_error()).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "local.h"

/* the stages a candidate sender cert passes, in the order checked */
enum stage {
    ST_NONE = 0, ST_KID, ST_TIME, ST_KEYUSAGE, ST_SIGNATURE, ST_PATH, ST_OK
};

static const int stage_reason[] = {
    P11CMP_R_NO_SENDER_CERT, P11CMP_R_SENDER_KID_MISMATCH,
    P11CMP_R_CERT_NOT_VALID_NOW, P11CMP_R_MISSING_KEY_USAGE_DIGITALSIGNATURE,
    P11CMP_R_BAD_SIGNATURE, P11CMP_R_CERT_PATH_VALIDATION_FAILED
};

static int is_certrep(int type)
{
    return type == P11CMP_PKIBODY_IP || type == P11CMP_PKIBODY_CP
        || type == P11CMP_PKIBODY_KUP;
}

/* The sender DN of msg, or NULL if the sender is not a directoryName. */
static const X509_NAME *sender_name(const P11CMP_MSG *msg)
{
    const GENERAL_NAME *gn = msg->header->sender;

    if (gn == NULL || gn->type != GEN_DIRNAME)
        return NULL;
    return gn->d.directoryName;
}

static int has_protection(const P11CMP_MSG *msg)
{
    return msg->header->protectionAlg != NULL && msg->protection != NULL;
}

/* PBM: the MAC over the received bytes, compared in constant time */
static int check_pbm(const P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    ASN1_BIT_STRING *mac;
    int ok;

    if (ctx->secretValue == NULL) {
        p11cmp_raise_data(P11CMP_R_WRONG_PROTECTION,
                          "PBM-protected, but no secretValue is set");
        return 0;
    }
    if ((mac = p11cmp_calc_protection(ctx, msg, 1)) == NULL)
        return 0;
    ok = mac->length == msg->protection->length
        && CRYPTO_memcmp(mac->data, msg->protection->data,
                         (size_t)mac->length) == 0;
    ASN1_BIT_STRING_free(mac);
    if (!ok)
        p11cmp_raise(P11CMP_R_BAD_MAC);
    return ok;
}

/* The untrusted certs for path building: ctx untrusted + extraCerts. */
static STACK_OF(X509) *path_untrusted(const P11CMP_CTX *ctx,
                                      const P11CMP_MSG *msg)
{
    STACK_OF(X509) *sk = sk_X509_dup(ctx->untrusted);
    int i;

    if (sk == NULL)
        return NULL;
    for (i = 0; i < sk_X509_num(msg->extraCerts); i++)
        if (sk_X509_push(sk, sk_X509_value(msg->extraCerts, i)) <= 0) {
            sk_X509_free(sk);
            return NULL;
        }
    return sk;
}

/*
 * X509_verify_cert() of cert against store with untrusted as
 * intermediates. 1 if valid; else 0 and *err gets the verify error.
 */
static int verify_path(const P11CMP_CTX *ctx, X509_STORE *store, X509 *cert,
                       STACK_OF(X509) *untrusted, int *err)
{
    X509_STORE_CTX *csc = X509_STORE_CTX_new_ex(ctx->libctx, ctx->propq);
    int ok;

    *err = X509_V_ERR_UNSPECIFIED;
    ok = csc != NULL && X509_STORE_CTX_init(csc, store, cert, untrusted)
        && X509_verify_cert(csc) > 0;
    if (!ok && csc != NULL)
        *err = X509_STORE_CTX_get_error(csc);
    X509_STORE_CTX_free(csc);
    return ok;
}

/* The certificate of the first CertResponse of an IP, or NULL. */
static X509 *ip_new_cert(const P11CMP_MSG *msg)
{
    p11cmp_CERTRESPONSE *crep;
    p11cmp_CERTORENCCERT *coec;

    if (msg->body->type != P11CMP_PKIBODY_IP)
        return NULL;
    crep = sk_p11cmp_CERTRESPONSE_value(msg->body->value.ip->response, 0);
    if (crep == NULL || crep->certifiedKeyPair == NULL)
        return NULL;
    coec = crep->certifiedKeyPair->certOrEncCert;
    if (coec == NULL || coec->type != P11CMP_CERTORENCCERT_CERTIFICATE)
        return NULL;
    return coec->value.certificate;
}

/*
 * PERMIT_TA_IN_EXTRACERTS_FOR_IR (3GPP TS 33.310): for an IP, the
 * self-signed certs among extraCerts serve as trust anchors, for the
 * sender cert AND for the newly enrolled cert of the IP.
 */
static int verify_path_3gpp(const P11CMP_CTX *ctx, const P11CMP_MSG *msg,
                            X509 *cert, STACK_OF(X509) *untrusted, int *err)
{
    X509_STORE *store = X509_STORE_new();
    X509 *newcert = ip_new_cert(msg);
    int i, n = 0, ok = 0;

    if (store == NULL
            || !X509_STORE_set1_param(store,
                                      X509_STORE_get0_param(ctx->trusted)))
        goto end;
    for (i = 0; i < sk_X509_num(msg->extraCerts); i++) {
        X509 *x = sk_X509_value(msg->extraCerts, i);

        if (X509_self_signed(x, 1) == 1) {
            if (!X509_STORE_add_cert(store, x))
                goto end;
            n++;
        }
    }
    ok = n > 0 && verify_path(ctx, store, cert, untrusted, err)
        && (newcert == NULL
            || verify_path(ctx, store, newcert, untrusted, err));
    if (ok)
        p11cmp_log_info(ctx, "sender cert validated with a trust anchor "
                        "from extraCerts (PERMIT_TA_IN_EXTRACERTS_FOR_IR)");
 end:
    X509_STORE_free(store);
    return ok;
}

static int check_path(const P11CMP_CTX *ctx, const P11CMP_MSG *msg,
                      X509 *cert, STACK_OF(X509) *untrusted, int *err)
{
    int err2;

    if (verify_path(ctx, ctx->trusted, cert, untrusted, err))
        return 1;
    return ctx->permitTAInExtraCertsForIR
        && msg->body->type == P11CMP_PKIBODY_IP
        && verify_path_3gpp(ctx, msg, cert, untrusted, &err2);
}

/*
 * Runs the checks of a candidate sender cert whose subject matches the
 * sender; returns the stage reached (ST_OK if all passed). *verr gets the
 * path validation error. Errors of libcrypto are left for the caller.
 */
static enum stage check_candidate(const P11CMP_CTX *ctx,
                                  const P11CMP_MSG *msg, X509 *cert,
                                  STACK_OF(X509) *untrusted, int *verr)
{
    const ASN1_OCTET_STRING *kid = msg->header->senderKID;
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

    if (kid != NULL && (skid == NULL || ASN1_OCTET_STRING_cmp(kid, skid)))
        return ST_KID;
    if (X509_cmp_timeframe(X509_STORE_get0_param(ctx->trusted),
                           X509_get0_notBefore(cert),
                           X509_get0_notAfter(cert)) != 0)
        return ST_TIME;
    if (!ctx->ignore_keyusage
            && (X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE) == 0)
        return ST_KEYUSAGE;
    if (p11cmp_verify_signature(ctx, msg, X509_get0_pubkey(cert)) != 1)
        return ST_SIGNATURE;
    if (!check_path(ctx, msg, cert, untrusted, verr))
        return ST_PATH;
    return ST_OK;
}

/*
 * The candidate sender certs, borrowed: the one validated before in this
 * transaction, extraCerts, untrusted, then the trusted store's. The
 * stack itself is the caller's (sk_X509_free); the certs of the trusted
 * store are added to *owned, which the caller pop_frees.
 */
static STACK_OF(X509) *candidates(const P11CMP_CTX *ctx,
                                  const P11CMP_MSG *msg,
                                  STACK_OF(X509) **owned)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    int ok;

    *owned = X509_STORE_get1_all_certs(ctx->trusted);
    ok = sk != NULL && *owned != NULL
        && (ctx->validatedSrvCert == NULL
            || sk_X509_push(sk, ctx->validatedSrvCert) > 0)
        && X509_add_certs(sk, msg->extraCerts, X509_ADD_FLAG_DEFAULT)
        && X509_add_certs(sk, ctx->untrusted, X509_ADD_FLAG_DEFAULT)
        && X509_add_certs(sk, *owned, X509_ADD_FLAG_DEFAULT);
    if (ok)
        return sk;
    sk_X509_free(sk);
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return NULL;
}

/*
 * No candidate has the sender as subject. If one of extraCerts or
 * untrusted nevertheless made the signature, the sender field lies about
 * the signer: P11CMP_R_SENDER_MISMATCH; else P11CMP_R_NO_SENDER_CERT.
 */
static void raise_no_match(const P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    STACK_OF(X509) *sets[2];
    int s, i;

    sets[0] = msg->extraCerts;
    sets[1] = ctx->untrusted;
    for (s = 0; s < 2; s++)
        for (i = 0; i < sk_X509_num(sets[s]); i++) {
            X509 *x = sk_X509_value(sets[s], i);
            int ok;

            ERR_set_mark();
            ok = p11cmp_verify_signature(ctx, msg, X509_get0_pubkey(x));
            ERR_pop_to_mark();
            if (ok == 1) {
                p11cmp_raise_data(P11CMP_R_SENDER_MISMATCH,
                                  "message signed by a cert whose subject "
                                  "is not the sender");
                return;
            }
        }
    p11cmp_raise_data(P11CMP_R_NO_SENDER_CERT,
                      "no cert with the sender as subject");
}

/* 1 if the trusted store of ctx holds no certificate (none was set) */
static int no_trust_anchor(const P11CMP_CTX *ctx)
{
    STACK_OF(X509) *certs = X509_STORE_get1_all_certs(ctx->trusted);
    int none = certs != NULL && sk_X509_num(certs) == 0;

    sk_X509_pop_free(certs, X509_free);
    return none;
}

/*
 * The error of the candidate that got furthest. A path that failed for
 * want of any trusted cert is MISSING_TRUST_STORE, where OpenSSL 3.0
 * raises CMP_R_MISSING_TRUST_STORE (no store set, no srvCert pinned).
 */
static void raise_stage(const P11CMP_CTX *ctx, enum stage best, int verr)
{
    if (best == ST_PATH && no_trust_anchor(ctx))
        p11cmp_raise_data(P11CMP_R_MISSING_TRUST_STORE, "the trusted store "
                          "is empty and no srvCert is pinned");
    else if (best == ST_PATH)
        p11cmp_raise_data(P11CMP_R_CERT_PATH_VALIDATION_FAILED, "%s",
                          X509_verify_cert_error_string(verr));
    else
        p11cmp_raise(stage_reason[best]);
}

/* Signature protection without a pinned srvCert: find and check a cert. */
static int check_sig_find_cert(P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    const X509_NAME *sender = sender_name(msg);
    STACK_OF(X509) *cands = NULL, *owned = NULL, *untrusted = NULL;
    enum stage st, best = ST_NONE;
    int i, verr = 0, err, matched = 0, ok = 0;

    if ((cands = candidates(ctx, msg, &owned)) == NULL
            || (untrusted = path_untrusted(ctx, msg)) == NULL)
        goto end;
    for (i = 0; i < sk_X509_num(cands) && !ok; i++) {
        X509 *cert = sk_X509_value(cands, i);

        if (sender == NULL
                || X509_NAME_cmp(X509_get_subject_name(cert), sender) != 0)
            continue;
        matched = 1;
        ERR_set_mark();
        st = check_candidate(ctx, msg, cert, untrusted, &err);
        ERR_pop_to_mark();
        if (st == ST_OK)
            ok = p11cmp_ctx_set1_validatedSrvCert(ctx, cert);
        else if (st > best) {
            best = st;
            verr = err;
        }
    }
    if (!ok && !matched)
        raise_no_match(ctx, msg);
    else if (!ok)
        raise_stage(ctx, best, verr);
 end:
    sk_X509_free(cands);
    sk_X509_free(untrusted);
    sk_X509_pop_free(owned, X509_free);
    return ok;
}

/* Signature protection; with a pinned srvCert only that cert counts. */
static int check_signature(P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    const ASN1_OBJECT *oid;
    int nid;

    X509_ALGOR_get0(&oid, NULL, NULL, msg->header->protectionAlg);
    nid = OBJ_obj2nid(oid);
    if (nid == NID_undef || !OBJ_find_sigid_algs(nid, NULL, NULL)) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "protectionAlg is neither PBM nor a signature");
        return 0;
    }
    if (ctx->srvCert == NULL)
        return check_sig_find_cert(ctx, msg);
    /* pinned: trusted as it is (even expired), as OSSL_CMP_CTX_new(3) */
    if (p11cmp_verify_signature(ctx, msg, X509_get0_pubkey(ctx->srvCert))
            != 1) {
        p11cmp_raise_data(P11CMP_R_BAD_SIGNATURE,
                          "signature does not verify with srvCert");
        return 0;
    }
    return p11cmp_ctx_set1_validatedSrvCert(ctx, ctx->srvCert);
}

int p11cmp_msg_check_protection(P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    if (ctx == NULL || msg == NULL || msg->header == NULL
            || msg->body == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (!has_protection(msg)) {
        p11cmp_raise(P11CMP_R_MISSING_PROTECTION);
        return 0;
    }
    if (sk_X509_num(msg->extraCerts) > ctx->max_certs) {
        p11cmp_raise_data(P11CMP_R_TOO_MANY_CERTS, "%d extraCerts",
                          sk_X509_num(msg->extraCerts));
        return 0;
    }
    if (p11cmp_alg_is_pbm(msg->header->protectionAlg))
        return check_pbm(ctx, msg);
    return check_signature(ctx, msg);
}

/* 1 if every PKIStatusInfo in sis says rejection (and there is one) */
static int all_rejected(const STACK_OF(P11CMP_PKISI) *sis)
{
    int i, n = sk_P11CMP_PKISI_num(sis);

    for (i = 0; i < n; i++)
        if (ASN1_INTEGER_get(sk_P11CMP_PKISI_value(sis, i)->status)
                != P11CMP_PKISTATUS_rejection)
            return 0;
    return n > 0;
}

int p11cmp_msg_unprotected_exception(const P11CMP_CTX *ctx,
                                     const P11CMP_MSG *msg)
{
    const STACK_OF(p11cmp_CERTRESPONSE) *rsp;
    p11cmp_CERTRESPONSE *crep;

    if (ctx == NULL || msg == NULL || msg->body == NULL
            || !ctx->unprotectedErrors)
        return 0;
    switch (msg->body->type) {
    case P11CMP_PKIBODY_ERROR:
        return 1;
    case P11CMP_PKIBODY_RP:
        return all_rejected(msg->body->value.rp->status);
    case P11CMP_PKIBODY_IP:
    case P11CMP_PKIBODY_CP:
    case P11CMP_PKIBODY_KUP:
        rsp = msg->body->value.ip->response;
        if (sk_p11cmp_CERTRESPONSE_num(rsp) != 1)
            return 0;
        crep = sk_p11cmp_CERTRESPONSE_value(rsp, 0);
        return crep->status != NULL && ASN1_INTEGER_get(crep->status->status)
            == P11CMP_PKISTATUS_rejection;
    default:
        return 0;
    }
}

/* the caps on the size and the number of certs of a response */
static int check_bounds(const P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    int len = i2d_P11CMP_MSG(msg, NULL);
    int n = sk_X509_num(msg->extraCerts);

    if (len <= 0)
        return 0;
    if (ctx->max_resp_len > 0 && (size_t)len > ctx->max_resp_len) {
        p11cmp_raise_data(P11CMP_R_RESPONSE_TOO_LARGE, "%d bytes", len);
        return 0;
    }
    if (n > ctx->max_certs) {
        p11cmp_raise_data(P11CMP_R_TOO_MANY_CERTS, "%d extraCerts", n);
        return 0;
    }
    if (is_certrep(msg->body->type)
            && (n = sk_X509_num(msg->body->value.ip->caPubs))
               > ctx->max_certs) {
        p11cmp_raise_data(P11CMP_R_TOO_MANY_CERTS, "%d caPubs", n);
        return 0;
    }
    return 1;
}

/* pvno, and the sender against expected_sender, else srvCert's subject */
static int check_version_sender(const P11CMP_CTX *ctx,
                                const P11CMP_MSG *msg)
{
    long pvno = ASN1_INTEGER_get(msg->header->pvno);
    const X509_NAME *expected = ctx->expected_sender;
    const X509_NAME *sender = sender_name(msg);

    if (pvno != P11CMP_PVNO_2 && pvno != P11CMP_PVNO_3) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_PVNO, "pvno=%ld", pvno);
        return 0;
    }
    if (sender == NULL) {
        p11cmp_raise_data(P11CMP_R_UNEXPECTED_SENDER,
                          "sender is not a directoryName");
        return 0;
    }
    if (expected == NULL && ctx->srvCert != NULL)
        expected = X509_get_subject_name(ctx->srvCert);
    if (expected != NULL && X509_NAME_cmp(expected, sender) != 0) {
        p11cmp_raise(P11CMP_R_UNEXPECTED_SENDER);
        return 0;
    }
    return 1;
}

/*
 * Protection, or one of the documented exceptions. *valid is set to 1 if
 * the protection was present and validated.
 */
static int check_protection_or_exception(P11CMP_CTX *ctx,
                                         const P11CMP_MSG *msg, int *valid)
{
    int exception = p11cmp_msg_unprotected_exception(ctx, msg);

    *valid = 0;
    if (!has_protection(msg) && exception) {
        p11cmp_log_warn(ctx, "accepting an unprotected error or rejection "
                        "(UNPROTECTED_ERRORS)");
        return 1;
    }
    if (exception)
        ERR_set_mark();
    *valid = p11cmp_msg_check_protection(ctx, msg);
    if (*valid || !exception)
        return *valid;
    ERR_pop_to_mark();
    p11cmp_log_warn(ctx, "accepting an error or rejection whose protection "
                    "is invalid (UNPROTECTED_ERRORS)");
    return 1;
}

/* 1 if body type is in the mask, an error message, or a certificate
 * response where a pollRep is expected */
static int type_expected(int type, unsigned long mask)
{
    if (type < 0 || type > P11CMP_PKIBODY_TYPE_MAX)
        return 0;
    if ((mask & P11CMP_BODY_MASK(type)) != 0 || type == P11CMP_PKIBODY_ERROR)
        return 1;
    return (mask & P11CMP_BODY_MASK(P11CMP_PKIBODY_POLLREP)) != 0
        && is_certrep(type);
}

/* transactionID and recipNonce against the ones of our request */
static int check_ids(const P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    const P11CMP_PKIHEADER *hdr = msg->header;

    if (ctx->transactionID == NULL || hdr->transactionID == NULL
            || ASN1_OCTET_STRING_cmp(ctx->transactionID,
                                     hdr->transactionID) != 0) {
        p11cmp_raise(P11CMP_R_TRANSACTIONID_MISMATCH);
        return 0;
    }
    if (ctx->senderNonce == NULL || hdr->recipNonce == NULL
            || ASN1_OCTET_STRING_cmp(ctx->senderNonce, hdr->recipNonce) != 0) {
        p11cmp_raise(P11CMP_R_RECIPNONCE_MISMATCH);
        return 0;
    }
    return 1;
}

/*
 * A response of this transaction that failed its protection check: its
 * senderNonce becomes the recipNonce of the error message the client
 * sends next (RFC 4210 5.1.1), as OpenSSL 3.5 does; a server checks it
 * (OpenSSL 3.5's refuses an error message without it). Nothing else of
 * the unauthenticated message is taken, and no error is raised.
 */
static void learn_nonce_for_error(P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    const P11CMP_PKIHEADER *hdr = msg->header;

    if (ctx->transactionID == NULL || hdr->transactionID == NULL
            || ctx->senderNonce == NULL || hdr->recipNonce == NULL
            || hdr->senderNonce == NULL
            || ASN1_OCTET_STRING_cmp(ctx->transactionID,
                                     hdr->transactionID) != 0
            || ASN1_OCTET_STRING_cmp(ctx->senderNonce, hdr->recipNonce) != 0)
        return;
    ERR_set_mark();
    if (!p11cmp_ctx_set1_recipNonce(ctx, hdr->senderNonce))
        ERR_pop_to_mark();
    else
        ERR_clear_last_mark();
}

/*
 * RFC 4210 5.3.2: with shared-secret protection the caPubs of IP/CP/KUP
 * may be trusted directly as root CA certs: add them to ctx->trusted.
 */
static int trust_caPubs(P11CMP_CTX *ctx, const P11CMP_MSG *msg)
{
    STACK_OF(X509) *caPubs;
    int i;

    if (!is_certrep(msg->body->type)
            || !p11cmp_alg_is_pbm(msg->header->protectionAlg))
        return 1;
    caPubs = msg->body->value.ip->caPubs;
    for (i = 0; i < sk_X509_num(caPubs); i++)
        if (!X509_STORE_add_cert(ctx->trusted, sk_X509_value(caPubs, i))) {
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            return 0;
        }
    if (i > 0)
        p11cmp_log_info(ctx, "trusting %d caPubs of a PBM-protected "
                        "response (RFC 4210 5.3.2)", i);
    return 1;
}

/* after every check passed: what the context learns from msg */
static int store_accepted(P11CMP_CTX *ctx, const P11CMP_MSG *msg, int valid)
{
    int type = msg->body->type;

    if (!p11cmp_ctx_set1_recipNonce(ctx, msg->header->senderNonce))
        return 0;
    if (!valid)
        return 1;
    if (type != P11CMP_PKIBODY_POLLREP && type != P11CMP_PKIBODY_PKICONF
            && !p11cmp_ctx_set1_extraCertsIn(ctx, msg->extraCerts))
        return 0;
    /* as OpenSSL: keep them for chains of this and later transactions */
    if (!ctx->no_cache_extracerts
            && !X509_add_certs(ctx->untrusted, msg->extraCerts,
                               X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    return trust_caPubs(ctx, msg);
}

int p11cmp_msg_check_received(P11CMP_CTX *ctx, const P11CMP_MSG *msg,
                              unsigned long expected_types)
{
    int valid = 0;

    if (ctx == NULL || msg == NULL || msg->header == NULL
            || msg->body == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (!check_bounds(ctx, msg) || !check_version_sender(ctx, msg))
        return 0;
    if (!check_protection_or_exception(ctx, msg, &valid)) {
        learn_nonce_for_error(ctx, msg);
        return 0;
    }
    if (!type_expected(msg->body->type, expected_types)) {
        p11cmp_raise_data(P11CMP_R_UNEXPECTED_BODY_TYPE, "body type %d",
                          msg->body->type);
        return 0;
    }
    if (!check_ids(ctx, msg))
        return 0;
    return store_accepted(ctx, msg, valid);
}

p11cmp_CERTRESPONSE *p11cmp_certrep_get0_response(const P11CMP_MSG *msg,
                                                  int rid)
{
    const STACK_OF(p11cmp_CERTRESPONSE) *rsp;
    p11cmp_CERTRESPONSE *crep;
    int n;

    if (msg == NULL || msg->body == NULL || !is_certrep(msg->body->type)) {
        p11cmp_raise(P11CMP_R_INVALID_ARGUMENT);
        return NULL;
    }
    rsp = msg->body->value.ip->response;
    if ((n = sk_p11cmp_CERTRESPONSE_num(rsp)) != 1) {
        p11cmp_raise_data(P11CMP_R_MULTIPLE_RESPONSES, "%d responses", n);
        return NULL;
    }
    crep = sk_p11cmp_CERTRESPONSE_value(rsp, 0);
    if (crep->certReqId == NULL || ASN1_INTEGER_get(crep->certReqId) != rid) {
        p11cmp_raise_data(P11CMP_R_CERTREQID_MISMATCH, "expected %d", rid);
        return NULL;
    }
    return crep;
}

X509 *p11cmp_certresponse_get1_cert(const P11CMP_CTX *ctx,
                                    const p11cmp_CERTRESPONSE *crep)
{
    const p11cmp_CERTORENCCERT *coec;
    EVP_PKEY *expected;
    X509 *cert;

    if (ctx == NULL || crep == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    coec = crep->certifiedKeyPair == NULL ? NULL
        : crep->certifiedKeyPair->certOrEncCert;
    if (coec == NULL || coec->type != P11CMP_CERTORENCCERT_CERTIFICATE
            || coec->value.certificate == NULL) {
        if (coec != NULL && coec->type != P11CMP_CERTORENCCERT_CERTIFICATE)
            p11cmp_raise_data(P11CMP_R_NO_CERT_IN_RESPONSE,
                              "encrypted certificates are not supported");
        else
            p11cmp_raise(P11CMP_R_NO_CERT_IN_RESPONSE);
        return NULL;
    }
    cert = coec->value.certificate;
    expected = p11cmp_ctx_get0_newPubkey(ctx);
    /* expected first: a token key is exported once, then libcrypto's copy */
    if (expected != NULL && EVP_PKEY_eq(expected, X509_get0_pubkey(cert))
            != 1) {
        p11cmp_raise(P11CMP_R_PUBLIC_KEY_MISMATCH);
        return NULL;
    }
    if (!X509_up_ref(cert)) {
        p11cmp_raise(P11CMP_R_INTERNAL_ERROR);
        return NULL;
    }
    return cert;
}
