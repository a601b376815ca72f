/*
 * tests/testca/srv.c - the CMP side of the test CA, built on libcrypto's
 * own server (OSSL_CMP_SRV_CTX): its callbacks issue certificates through
 * ca.c for IR/CR/KUR/P10CR, revoke for RR, echo GENM, log certConf and
 * error messages, and play the test scenarios (polling, rejection with a
 * failInfo, caPubs, extraCerts). srv_handle() turns one DER request into
 * one DER response for http.c.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "testca.h"

static const char *const body_names[] = {
    "ir", "ip", "cr", "cp", "p10cr", "popdecc", "popdecr", "kur", "kup",
    "krr", "krp", "rr", "rp", "ccr", "ccp", "ckuann", "cann", "rann",
    "crlann", "pkiconf", "nested", "genm", "genp", "error", "certConf",
    "pollReq", "pollRep"
};

static const char *const failinfo_names[] = {
    "badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
    "badDataFormat", "wrongAuthority", "incorrectData", "missingTimeStamp",
    "badPOP", "certRevoked", "certConfirmed", "wrongIntegrity",
    "badRecipientNonce", "timeNotAvailable", "unacceptedPolicy",
    "unacceptedExtension", "addInfoNotAvailable", "badSenderNonce",
    "badCertTemplate", "signerNotTrusted", "transactionIdInUse",
    "unsupportedVersion", "notAuthorized", "systemUnavail", "systemFailure",
    "duplicateCertReq"
};

/* PKIBody choice numbers (not public in libcrypto 3.0) */
#define BODY_IR 0
#define BODY_CR 2
#define BODY_P10CR 4
#define BODY_KUR 7
#define BODY_RR 11
#define BODY_GENM 21
#define BODY_ERROR 23

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *body_name(int type)
{
    return type >= 0 && type < N_ELEMS(body_names) ? body_names[type] : "?";
}

/* Returns the bit number of the failInfo called name, or -1. */
int srv_failinfo_bit(const char *name)
{
    int i;

    for (i = 0; i < N_ELEMS(failinfo_names); i++)
        if (strcmp(name, failinfo_names[i]) == 0)
            return i;
    return -1;
}

/* Returns a new rejection status with failInfo bit and text, logged. */
static OSSL_CMP_PKISI *reject(int bit, const char *text)
{
    fprintf(stderr, "testca: rejecting with failInfo %s: %s\n",
            failinfo_names[bit], text);
    return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, 1 << bit,
                                   text);
}

/* Returns a new accepted status. */
static OSSL_CMP_PKISI *accepted(void)
{
    return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
}

/* Issues for a CRMF request: public key (newkey if not NULL), subject,
 * validity and extensions from its CertTemplate; the subject defaults to
 * old's (KUR). Returns the new cert (caller frees) or NULL with *fail. */
static X509 *issue_crm(SRV *s, const OSSL_CRMF_MSG *crm, X509 *old,
                       EVP_PKEY *newkey, int *fail)
{
    OSSL_CRMF_CERTTEMPLATE *tmpl = OSSL_CRMF_MSG_get0_tmpl(crm);
    const X509_NAME *subject = NULL;
    EVP_PKEY *pub = NULL;
    ASN1_TIME *nb = NULL, *na = NULL;
    X509 *cert = NULL;

    *fail = OSSL_CMP_PKIFAILUREINFO_badCertTemplate;
    if (newkey != NULL && EVP_PKEY_up_ref(newkey))
        pub = newkey;
    if (tmpl == NULL
            || (pub == NULL && (pub = der_tmpl_pubkey(tmpl)) == NULL)) {
        fprintf(stderr, "testca: no usable publicKey in CertTemplate\n");
        goto err;
    }
    if ((subject = OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl)) == NULL
            && old != NULL)
        subject = X509_get_subject_name(old);
    if (subject == NULL) {
        fprintf(stderr, "testca: no subject in CertTemplate\n");
        goto err;
    }
    if (!der_tmpl_validity(tmpl, &nb, &na)) {
        fprintf(stderr, "testca: malformed validity in CertTemplate\n");
        goto err;
    }
    cert = ca_issue(s->ca, subject, pub, nb, na,
                    OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl));
    if (cert == NULL)
        *fail = OSSL_CMP_PKIFAILUREINFO_systemFailure;
 err:
    EVP_PKEY_free(pub);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    return cert;
}

/* Issues for a PKCS#10 request after verifying its signature. */
static X509 *issue_p10cr(SRV *s, const X509_REQ *p10cr, int *fail)
{
    X509_REQ *csr = (X509_REQ *)p10cr;
    EVP_PKEY *pub = X509_REQ_get0_pubkey(csr);
    STACK_OF(X509_EXTENSION) *exts = NULL;
    X509 *cert;

    if (pub == NULL || X509_REQ_verify(csr, pub) <= 0) {
        fprintf(stderr, "testca: CSR signature does not verify\n");
        *fail = OSSL_CMP_PKIFAILUREINFO_badPOP;
        return NULL;
    }
    exts = X509_REQ_get_extensions(csr);
    cert = ca_issue(s->ca, X509_REQ_get_subject_name(csr), pub, NULL, NULL,
                    exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (cert == NULL)
        *fail = OSSL_CMP_PKIFAILUREINFO_systemFailure;
    return cert;
}

/* Finds the serial a KUR renews: its oldCertID control, else the request's
 * protection certificate. Returns the old cert (borrowed) or NULL with
 * *fail set (unknown or revoked). */
static X509 *kur_old_cert(SRV *s, const OSSL_CMP_MSG *req,
                          const OSSL_CRMF_MSG *crm, int *fail)
{
    OSSL_CRMF_CERTID *cid = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm);
    const X509_NAME *ca_name = X509_get_subject_name(s->ca->cert);
    const ASN1_INTEGER *serial = NULL;
    X509 *prot = NULL, *old = NULL;
    char *hex = NULL;

    *fail = OSSL_CMP_PKIFAILUREINFO_badCertId;
    if (cid != NULL) {
        const X509_NAME *issuer = OSSL_CRMF_CERTID_get0_issuer(cid);

        if (issuer != NULL && X509_NAME_cmp(issuer, ca_name) == 0)
            serial = OSSL_CRMF_CERTID_get0_serialNumber(cid);
    } else if ((prot = der_msg_first_extracert(req)) != NULL) {
        serial = X509_get0_serialNumber(prot);
    }
    if (serial == NULL || (hex = ca_serial_hex(serial)) == NULL) {
        fprintf(stderr, "testca: kur: no old certificate of this CA\n");
    } else if ((old = ca_find_issued(s->ca, serial)) == NULL) {
        fprintf(stderr, "testca: kur: serial %s not issued here\n", hex);
    } else if (ca_is_revoked(s->ca, serial)) {
        fprintf(stderr, "testca: kur: serial %s is revoked\n", hex);
        *fail = OSSL_CMP_PKIFAILUREINFO_certRevoked;
        old = NULL;
    } else {
        fprintf(stderr, "testca: kur: renewing serial %s (%s)\n", hex,
                cid != NULL ? "oldCertID" : "protection cert");
    }
    OPENSSL_free(hex);
    X509_free(prot);
    return old;
}

/* Issues the certificate that req asks for (for newkey, made here, if not
 * NULL); NULL with *fail on refusal. */
static X509 *make_cert(SRV *s, const OSSL_CMP_MSG *req,
                       const OSSL_CRMF_MSG *crm, const X509_REQ *p10cr,
                       EVP_PKEY *newkey, int *fail)
{
    X509 *old = NULL;

    if (p10cr != NULL)
        return issue_p10cr(s, p10cr, fail);
    if (OSSL_CMP_MSG_get_bodytype(req) == BODY_KUR
            && (old = kur_old_cert(s, req, crm, fail)) == NULL)
        return NULL;
    return issue_crm(s, crm, old, newkey, fail);
}

/* Puts the request on hold for --poll: the answer is 'waiting'. */
static OSSL_CMP_PKISI *start_polling(SRV *s, const OSSL_CMP_MSG *req)
{
    OSSL_CMP_MSG_free(s->held);
    if ((s->held = OSSL_CMP_MSG_dup(req)) == NULL)
        return NULL;
    s->polls_left = s->poll_total;
    fprintf(stderr, "testca: holding request, %d pollRep(s) to go\n",
            s->polls_left);
    return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0, NULL);
}

/* Fills the chain for extraCerts and, with --send-capubs, caPubs. */
static int add_chains(SRV *s, STACK_OF(X509) **chainOut,
                      STACK_OF(X509) **caPubs)
{
    if (s->extra_certs != NULL
            && (*chainOut = X509_chain_up_ref(s->extra_certs)) == NULL)
        return 0;
    if (s->send_capubs) {
        if ((*caPubs = sk_X509_new_null()) == NULL)
            return 0;
        if (!X509_add_cert(*caPubs, s->ca->cert, X509_ADD_FLAG_UP_REF))
            return 0;
    }
    return 1;
}

/* Remembers cert as the one issued last, adds the chains and accepts. */
static OSSL_CMP_PKISI *issued(SRV *s, X509 *cert, STACK_OF(X509) **chainOut,
                              STACK_OF(X509) **caPubs)
{
    X509_free(s->last_issued);
    s->last_issued = cert;
    if (!X509_up_ref(s->last_issued)) {
        s->last_issued = NULL;
        return NULL;
    }
    if (!add_chains(s, chainOut, caPubs))
        return NULL; /* the server frees what was set */
    return accepted();
}

/* --central-keygen: a new key (ckg.c), certified and handed to libcrypto's
 * server as the server context's newPkey, which it encrypts to the
 * request's signer and then drops. */
static OSSL_CMP_PKISI *central_keygen(SRV *s, OSSL_CMP_SRV_CTX *sctx,
                                      const OSSL_CMP_MSG *req,
                                      const OSSL_CRMF_MSG *crm,
                                      X509 **certOut,
                                      STACK_OF(X509) **chainOut,
                                      STACK_OF(X509) **caPubs)
{
    OSSL_CMP_CTX *ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(sctx);
    EVP_PKEY *key = ckg_new_key(crm);
    int fail = OSSL_CMP_PKIFAILUREINFO_badAlg;

    if (key == NULL)
        return reject(fail, "no key of the template's algorithm");
    if ((*certOut = make_cert(s, req, crm, NULL, key, &fail)) == NULL) {
        EVP_PKEY_free(key);
        return reject(fail, "request refused by the test CA");
    }
    if (!OSSL_CMP_CTX_set0_newPkey(ctx, 1, key)) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return issued(s, *certOut, chainOut, caPubs);
}

/* OSSL_CMP_SRV_cert_request_cb_t for ir, cr, kur and p10cr. */
static OSSL_CMP_PKISI *cert_request_cb(OSSL_CMP_SRV_CTX *sctx,
                                       const OSSL_CMP_MSG *req,
                                       int certReqId,
                                       const OSSL_CRMF_MSG *crm,
                                       const X509_REQ *p10cr, X509 **certOut,
                                       STACK_OF(X509) **chainOut,
                                       STACK_OF(X509) **caPubs)
{
    SRV *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);
    int fail = OSSL_CMP_PKIFAILUREINFO_badRequest;

    (void)certReqId;
    if (s->reject_bit >= 0)
        return reject(s->reject_bit, "rejected by the test CA (--reject)");
    if (!s->releasing)
        s->n_certreqs++;
    if (s->poll_total > 0 && !s->releasing && s->n_certreqs >= s->poll_from
        && s->n_certreqs <= s->poll_to)
        return start_polling(s, req);
    s->releasing = 0;
    if (s->central_keygen && ckg_requested(crm))
        return central_keygen(s, sctx, req, crm, certOut, chainOut, caPubs);
    if ((*certOut = make_cert(s, req, crm, p10cr, NULL, &fail)) == NULL)
        return reject(fail, "request refused by the test CA");
    return issued(s, *certOut, chainOut, caPubs);
}

/* OSSL_CMP_SRV_rr_cb_t: revokes a certificate this CA issued, once. */
static OSSL_CMP_PKISI *rr_cb(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                             const X509_NAME *issuer,
                             const ASN1_INTEGER *serial)
{
    SRV *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);
    OSSL_CMP_PKISI *si = NULL;
    char *hex = NULL;

    (void)req;
    if (issuer == NULL || serial == NULL
            || X509_NAME_cmp(issuer, X509_get_subject_name(s->ca->cert)) != 0)
        return reject(OSSL_CMP_PKIFAILUREINFO_badCertId,
                      "no issuer and serial of this CA");
    if ((hex = ca_serial_hex(serial)) == NULL)
        return NULL;
    if (ca_find_issued(s->ca, serial) == NULL) {
        si = reject(OSSL_CMP_PKIFAILUREINFO_badCertId,
                    "certificate not issued by this CA");
    } else if (ca_is_revoked(s->ca, serial)) {
        si = reject(OSSL_CMP_PKIFAILUREINFO_certRevoked,
                    "certificate already revoked");
    } else if (ca_revoke(s->ca, serial)) {
        fprintf(stderr, "testca: revoked serial %s\n", hex);
        si = accepted();
    }
    OPENSSL_free(hex);
    return si;
}

/* The genp ITAV for the RFC 9810 genm itav, or NULL for other types. */
static OSSL_CMP_ITAV *genm_answer(SRV *s, const OSSL_CMP_ITAV *itav,
                                  const char **what)
{
    *what = NULL;
    if (genm_type_is(itav, GENM_OID_CACERTS)) {
        *what = "caCerts";
        return genm_itav_cacerts(s->genm_cacerts);
    }
    if (genm_type_is(itav, GENM_OID_ROOTCACERT)) {
        *what = "rootCaCert";
        return genm_itav_root_update(s->genm_nwn, s->genm_nwo, s->genm_own);
    }
    if (genm_type_is(itav, GENM_OID_CRLSTATUSLIST)) {
        *what = "crlStatusList";
        return genm_itav_crls(s->genm_crl);
    }
    if (genm_type_is(itav, GENM_OID_CERTREQTEMPLATE)) {
        *what = "certReqTemplate";
        return genm_itav_template(s->genm_template_cn);
    }
    return NULL;
}

/* OSSL_CMP_SRV_genm_cb_t: answers a genm of one of the types of RFC 9810
 * (genm.c) as the --rsp-* options say, anything else with a copy of the
 * ITAVs asked for. */
static int genm_cb(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                   const STACK_OF(OSSL_CMP_ITAV) *in,
                   STACK_OF(OSSL_CMP_ITAV) **out)
{
    SRV *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);
    OSSL_CMP_ITAV *rsp;
    const char *what = NULL;
    GDER d;

    (void)req;
    if (sk_OSSL_CMP_ITAV_num(in) == 1
            && (rsp = genm_answer(s, sk_OSSL_CMP_ITAV_value(in, 0), &what))
            != NULL) {
        int ok = genm_value_der(sk_OSSL_CMP_ITAV_value(in, 0), &d);

        fprintf(stderr, "testca: genm %s (%s, value of %d bytes) answered\n",
                what, ok ? "well-formed" : "MALFORMED", d.n);
        if (ok && (*out = sk_OSSL_CMP_ITAV_new_null()) != NULL
                && sk_OSSL_CMP_ITAV_push(*out, rsp))
            return 1;
        OSSL_CMP_ITAV_free(rsp);
        sk_OSSL_CMP_ITAV_free(*out);
        *out = NULL;
        return 0;
    }
    if (sk_OSSL_CMP_ITAV_num(in) == 1 && what != NULL)
        return 0;
    fprintf(stderr, "testca: genm with %d ITAV(s), echoed\n",
            sk_OSSL_CMP_ITAV_num(in) < 0 ? 0 : sk_OSSL_CMP_ITAV_num(in));
    if (in == NULL)
        *out = sk_OSSL_CMP_ITAV_new_null();
    else
        *out = sk_OSSL_CMP_ITAV_deep_copy(in, OSSL_CMP_ITAV_dup,
                                          OSSL_CMP_ITAV_free);
    return *out != NULL;
}

/* OSSL_CMP_SRV_error_cb_t: logs the client's error message. */
static void error_cb(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                     const OSSL_CMP_PKISI *si, const ASN1_INTEGER *code,
                     const OSSL_CMP_PKIFREETEXT *details)
{
    char buf[512];

    (void)sctx;
    (void)req;
    (void)code;
    (void)details;
    fprintf(stderr, "testca: client sent error: %s\n",
            si == NULL ? "(no status)"
            : OSSL_CMP_snprint_PKIStatusInfo(si, buf, sizeof(buf)));
}

/* Returns 1 if certHash is the hash of cert (with the digest of cert's
 * signature algorithm, as RFC 4210 says), else 0. */
static int cert_hash_ok(X509 *cert, const ASN1_OCTET_STRING *certHash)
{
    ASN1_OCTET_STRING *digest;
    int ok;

    if (cert == NULL || certHash == NULL)
        return 0;
    if ((digest = X509_digest_sig(cert, NULL, NULL)) == NULL)
        return 0;
    ok = ASN1_OCTET_STRING_cmp(digest, certHash) == 0;
    ASN1_OCTET_STRING_free(digest);
    return ok;
}

/* OSSL_CMP_SRV_certConf_cb_t: checks the certHash against the cert just
 * issued and logs the client's confirmation. */
static int certconf_cb(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                       int certReqId, const ASN1_OCTET_STRING *certHash,
                       const OSSL_CMP_PKISI *si)
{
    SRV *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);
    char buf[512];

    (void)req;
    if (!cert_hash_ok(s->last_issued, certHash)) {
        fprintf(stderr, "testca: certConf: certHash does not match the "
                "issued certificate\n");
        return 0;
    }
    fprintf(stderr, "testca: certConf for certReqId %d: %s\n", certReqId,
            si == NULL ? "accepted"
            : OSSL_CMP_snprint_PKIStatusInfo(si, buf, sizeof(buf)));
    return 1;
}

/* OSSL_CMP_SRV_pollReq_cb_t: pollRep while --poll counts down, then
 * hands the held request back to be answered. */
static int pollreq_cb(OSSL_CMP_SRV_CTX *sctx, const OSSL_CMP_MSG *req,
                      int certReqId, OSSL_CMP_MSG **certReq,
                      int64_t *check_after)
{
    SRV *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(sctx);

    (void)req;
    (void)certReqId;
    s->n_pollreq++;
    *certReq = NULL;
    *check_after = 0;
    if (s->held == NULL) {
        fprintf(stderr, "testca: pollReq %ld without a held request\n",
                s->n_pollreq);
        return 0;
    }
    if (s->polls_left > 0) {
        s->polls_left--;
        *check_after = s->check_after;
        fprintf(stderr, "testca: pollReq %ld -> pollRep checkAfter %d\n",
                s->n_pollreq, s->check_after);
        return 1;
    }
    fprintf(stderr, "testca: pollReq %ld -> answering held request\n",
            s->n_pollreq);
    *certReq = s->held;
    s->held = NULL;
    s->releasing = 1;
    return 1;
}

/* Logs libcrypto's CMP messages to stderr. */
static int log_cb(const char *func, const char *file, int line,
                  OSSL_CMP_severity level, const char *msg)
{
    (void)func;
    (void)file;
    (void)line;
    fprintf(stderr, "testca: cmp(%d): %s\n", (int)level, msg);
    return 1;
}

/* Reads a secret given as pass:TEXT, env:VAR or file:PATH (first line)
 * into buf. Returns 1 or 0. Never prints the secret. */
static int read_secret(const char *src, char *buf, size_t size)
{
    const char *val = NULL;
    FILE *f;

    if (strncmp(src, "pass:", 5) == 0) {
        val = src + 5;
    } else if (strncmp(src, "env:", 4) == 0) {
        val = getenv(src + 4);
    } else if (strncmp(src, "file:", 5) == 0) {
        if ((f = fopen(src + 5, "r")) == NULL)
            return 0;
        val = fgets(buf, (int)size, f);
        fclose(f);
        if (val == NULL)
            return 0;
        buf[strcspn(buf, "\r\n")] = '\0';
        return 1;
    }
    if (val == NULL || strlen(val) >= size)
        return 0;
    strcpy(buf, val);
    return 1;
}

/* Sets PBM (ref, secret) and signature (cert, key) protection. */
static int set_protection(OSSL_CMP_CTX *ctx, CA *ca, const SRV_CFG *cfg)
{
    char secret[1024];
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    int res = 0;

    if (cfg->ref != NULL && !OSSL_CMP_CTX_set1_referenceValue(ctx,
            (const unsigned char *)cfg->ref, (int)strlen(cfg->ref)))
        goto err;
    if (cfg->secret != NULL) {
        if (!read_secret(cfg->secret, secret, sizeof(secret))) {
            fprintf(stderr, "testca: cannot read --secret (pass:, env:, "
                    "file:)\n");
            goto err;
        }
        if (!OSSL_CMP_CTX_set1_secretValue(ctx, (unsigned char *)secret,
                                           (int)strlen(secret)))
            goto err;
    }
    if (cfg->srvcert != NULL) {
        if ((cert = ca_load_cert(cfg->srvcert)) == NULL
                || (key = ca_load_key(cfg->srvkey)) == NULL
                || (chain = sk_X509_new_null()) == NULL
                || !X509_add_cert(chain, ca->cert, X509_ADD_FLAG_UP_REF)
                || !OSSL_CMP_CTX_set1_untrusted(ctx, chain))
            goto err;
    }
    res = OSSL_CMP_CTX_set1_cert(ctx, cert != NULL ? cert : ca->cert)
        && OSSL_CMP_CTX_set1_pkey(ctx, key != NULL ? key : ca->key);
 err:
    OPENSSL_cleanse(secret, sizeof(secret));
    X509_free(cert);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    return res;
}

/* Trusts the CA certificate and those in the --trusted file for
 * verifying signature-protected requests. */
static int set_trust(OSSL_CMP_CTX *ctx, CA *ca, const char *trusted)
{
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *certs = NULL;
    int i, res = 0;

    if (store == NULL || !X509_STORE_add_cert(store, ca->cert))
        goto err;
    if (trusted != NULL && (certs = ca_load_certs(trusted)) == NULL)
        goto err;
    for (i = 0; i < sk_X509_num(certs); i++)
        if (!X509_STORE_add_cert(store, sk_X509_value(certs, i)))
            goto err;
    if (!OSSL_CMP_CTX_set0_trustedStore(ctx, store))
        goto err;
    store = NULL;
    res = 1;
 err:
    X509_STORE_free(store);
    sk_X509_pop_free(certs, X509_free);
    return res;
}

/* Creates s->ctx with our callbacks and the settings of cfg. s->ca and the
 * scenario fields must be set. Returns 1 or 0; free with srv_cleanup(). */
int srv_init(SRV *s, const SRV_CFG *cfg)
{
    OSSL_CMP_CTX *ctx;

    if ((s->ctx = OSSL_CMP_SRV_CTX_new(NULL, NULL)) == NULL
            || !OSSL_CMP_SRV_CTX_init(s->ctx, s, cert_request_cb, rr_cb,
                                      genm_cb, error_cb, certconf_cb,
                                      pollreq_cb))
        return 0;
    ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(s->ctx);
    return OSSL_CMP_CTX_set_log_cb(ctx, log_cb)
        && OSSL_CMP_CTX_set_log_verbosity(ctx, cfg->verbose
                                          ? OSSL_CMP_LOG_DEBUG
                                          : OSSL_CMP_LOG_INFO)
        && set_protection(ctx, s->ca, cfg)
        && set_trust(ctx, s->ca, cfg->trusted)
        && OSSL_CMP_SRV_CTX_set_accept_unprotected(s->ctx,
                                                   cfg->accept_unprotected)
        && OSSL_CMP_SRV_CTX_set_accept_raverified(s->ctx,
                                                  cfg->accept_raverified)
        && OSSL_CMP_SRV_CTX_set_grant_implicit_confirm(s->ctx,
                                          cfg->grant_implicit_confirm)
        && OSSL_CMP_SRV_CTX_set_send_unprotected_errors(s->ctx, 0);
}

/* Frees what srv_init() and the requests left in s; accepts NULL. */
void srv_cleanup(SRV *s)
{
    if (s == NULL)
        return;
    OSSL_CMP_SRV_CTX_free(s->ctx);
    OSSL_CMP_MSG_free(s->held);
    X509_free(s->last_issued);
    X509_free(s->signer);
    sk_X509_pop_free(s->extra_certs, X509_free);
    sk_X509_pop_free(s->genm_cacerts, X509_free);
    X509_free(s->genm_nwn);
    X509_free(s->genm_nwo);
    X509_free(s->genm_own);
    X509_CRL_free(s->genm_crl);
    s->last_issued = NULL;
    s->signer = NULL;
    s->ctx = NULL;
    s->held = NULL;
    s->extra_certs = NULL;
}

/* Returns 1 if a request of body type starts a new transaction (libcrypto's
 * server resets its transaction state for these), else 0. */
static int starts_transaction(int type)
{
    return type == BODY_IR || type == BODY_CR || type == BODY_P10CR
        || type == BODY_KUR || type == BODY_RR || type == BODY_GENM
        || type == BODY_ERROR;
}

/*
 * Prepares the server context for req. libcrypto 3.0 caches the certificate
 * that validated a request in the context and tries it first on the next
 * one; when that fails it frees the cache and then reads it again
 * (use-after-free, issue 13 item 7). So the cache never outlives a
 * transaction: a request that starts one resets the context (which drops
 * the cache; the server resets transactionID and nonces for it anyway),
 * and the later requests of a transaction are checked against the
 * protection certificate of its first request, pinned as srvCert, so the
 * cache is not consulted. A different signer then gets an error response.
 */
static int srv_prepare(SRV *s, const OSSL_CMP_MSG *req)
{
    OSSL_CMP_CTX *ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(s->ctx);

    if (!starts_transaction(OSSL_CMP_MSG_get_bodytype(req)))
        return OSSL_CMP_CTX_set1_srvCert(ctx, s->signer);
    X509_free(s->signer);
    s->signer = NULL;
    return OSSL_CMP_CTX_set1_srvCert(ctx, NULL) && OSSL_CMP_CTX_reinit(ctx);
}

/* Remembers the protection certificate (the first extraCert) of a request
 * that started a transaction the server accepted, for srv_prepare(). */
static void srv_remember_signer(SRV *s, const OSSL_CMP_MSG *req,
                                const OSSL_CMP_MSG *res)
{
    if (starts_transaction(OSSL_CMP_MSG_get_bodytype(req))
            && OSSL_CMP_MSG_get_bodytype(res) != BODY_ERROR) {
        X509_free(s->signer);
        s->signer = der_msg_first_extracert(req);
        ERR_clear_error(); /* a PBM request may carry no extraCerts */
    }
}

/* http_handler_fn: decodes a PKIMessage, lets libcrypto's server process
 * it and encodes the answer. Returns 200, 400 (not a PKIMessage) or 500. */
int srv_handle(void *arg, const unsigned char *body, size_t len,
               unsigned char **rsp, size_t *rsplen)
{
    SRV *s = arg;
    const unsigned char *p = body;
    OSSL_CMP_MSG *req = NULL, *res = NULL;
    int der_len, status = 500;

    *rsp = NULL;
    *rsplen = 0;
    s->n_requests++;
    if (len > LONG_MAX
            || (req = d2i_OSSL_CMP_MSG(NULL, &p, (long)len)) == NULL) {
        fprintf(stderr, "testca: request %ld: not a PKIMessage\n",
                s->n_requests);
        status = 400;
        goto err;
    }
    fprintf(stderr, "testca: request %ld: %s\n", s->n_requests,
            body_name(OSSL_CMP_MSG_get_bodytype(req)));
    if (!srv_prepare(s, req)
            || (res = OSSL_CMP_SRV_process_request(s->ctx, req)) == NULL)
        goto err;
    srv_remember_signer(s, req, res);
    fprintf(stderr, "testca: response %ld: %s\n", s->n_requests,
            body_name(OSSL_CMP_MSG_get_bodytype(res)));
    if ((der_len = i2d_OSSL_CMP_MSG(res, rsp)) <= 0)
        goto err;
    *rsplen = (size_t)der_len;
    status = 200;
 err:
    ERR_print_errors_fp(stderr);
    OSSL_CMP_MSG_free(req);
    OSSL_CMP_MSG_free(res);
    return status;
}
