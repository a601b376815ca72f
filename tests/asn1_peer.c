/*
 * tests/asn1_peer.c - OpenSSL as the independent peer of the ASN.1 tests:
 * CMP sessions between OpenSSL's client (OSSL_CMP_CTX) and OpenSSL's
 * server (OSSL_CMP_SRV_CTX) in one process, joined by a transfer callback
 * that records the DER of every request and response.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "asn1_peer.h"
#include "ossl_peer.h"

struct srv_state {
    struct peer_pki *pki;
    int waiting;       /* answer the next cert request with "waiting" */
    int poll_rounds;   /* pollReps saying "still waiting" before the cert */
    int fail;          /* let cert requests fail: an error message */
    OSSL_CMP_MSG *pending;
    long serial;
};

struct session {
    struct peer_msgs *out;
    OSSL_CMP_SRV_CTX *srv;
    struct srv_state st;
    const char *name;
};

EVP_PKEY *peer_new_key(void)
{
    return EVP_EC_gen("P-256");
}

/* a certificate for pub, signed by ca_key (self-signed CA if no ca_cert) */
X509 *peer_issue(EVP_PKEY *pub, const char *cn, X509 *ca_cert,
                 EVP_PKEY *ca_key, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX v3;
    X509_EXTENSION *ext = NULL;

    if (x == NULL || name == NULL
            || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                           (const unsigned char *)cn, -1,
                                           -1, 0)
            || !X509_set_version(x, X509_VERSION_3)
            || !ASN1_INTEGER_set(X509_get_serialNumber(x), serial)
            || !X509_set_subject_name(x, name)
            || !X509_set_issuer_name(x, ca_cert != NULL
                                     ? X509_get_subject_name(ca_cert) : name)
            || X509_gmtime_adj(X509_getm_notBefore(x), -60) == NULL
            || X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL
            || !X509_set_pubkey(x, pub))
        goto err;
    if (ca_cert == NULL) {
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                  "critical,CA:TRUE");
        if (ext == NULL || !X509_add_ext(x, ext, -1))
            goto err;
    }
    if (X509_sign(x, ca_key, EVP_sha256()) <= 0)
        goto err;
    X509_EXTENSION_free(ext);
    X509_NAME_free(name);
    return x;
 err:
    X509_EXTENSION_free(ext);
    X509_NAME_free(name);
    X509_free(x);
    return NULL;
}

static void record(struct session *s, const OSSL_CMP_MSG *msg)
{
    struct peer_msg *m;

    if (s->out->n >= PEER_MAX_MSGS)
        return;
    m = &s->out->msg[s->out->n];
    m->der = NULL;
    m->len = i2d_OSSL_CMP_MSG(msg, &m->der);
    if (m->len <= 0)
        return;
    m->bodytype = OSSL_CMP_MSG_get_bodytype(msg);
    m->session = s->name;
    s->out->n++;
}

static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
    struct session *s = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
    OSSL_CMP_MSG *rsp;

    record(s, req);
    rsp = OSSL_CMP_SRV_process_request(s->srv, req);
    if (rsp != NULL)
        record(s, rsp);
    return rsp;
}

static OSSL_CMP_PKISI *srv_cert_request(OSSL_CMP_SRV_CTX *srv_ctx,
                                        const OSSL_CMP_MSG *req,
                                        int certReqId,
                                        const OSSL_CRMF_MSG *crm,
                                        const X509_REQ *p10cr,
                                        X509 **certOut,
                                        STACK_OF(X509) **chainOut,
                                        STACK_OF(X509) **caPubs)
{
    struct srv_state *st = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv_ctx);
    EVP_PKEY *pub = st->pki->ee_key;

    (void)certReqId;
    (void)crm;
    if (st->fail)
        return NULL;
    if (st->waiting) {
        st->waiting = 0;
        OSSL_CMP_MSG_free(st->pending);
        st->pending = OSSL_CMP_MSG_dup(req);
        return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0, NULL);
    }
    if (p10cr != NULL)
        pub = X509_REQ_get0_pubkey((X509_REQ *)p10cr);
    *certOut = peer_issue(pub, "issued", st->pki->ca_cert, st->pki->ca_key,
                          ++st->serial);
    *chainOut = ossl_peer_one_cert(st->pki->ca_cert);
    *caPubs = ossl_peer_one_cert(st->pki->ca_cert);
    return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0,
                                   "issued by the peer");
}

static OSSL_CMP_PKISI *srv_rr(OSSL_CMP_SRV_CTX *srv_ctx,
                              const OSSL_CMP_MSG *req,
                              const X509_NAME *issuer,
                              const ASN1_INTEGER *serial)
{
    (void)srv_ctx;
    (void)req;
    (void)issuer;
    (void)serial;
    return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0,
                                   "revoked");
}

static int srv_pollReq(OSSL_CMP_SRV_CTX *srv_ctx, const OSSL_CMP_MSG *req,
                       int certReqId, OSSL_CMP_MSG **certReq,
                       int64_t *check_after)
{
    struct srv_state *st = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv_ctx);

    (void)req;
    (void)certReqId;
    *check_after = 0;
    *certReq = NULL;
    if (st->pending == NULL)
        return 0;
    if (st->poll_rounds > 0) {
        st->poll_rounds--;
        return 1;
    }
    *certReq = st->pending;
    st->pending = NULL;
    return 1;
}

/* server side: PBM (sig == 0) or signature by the CA (sig != 0) */
static int init_server(struct session *s, struct peer_pki *pki, int sig)
{
    struct ossl_peer_prot prot = { PEER_REF, sig ? NULL : PEER_SECRET,
                                   pki->ca_cert, pki->ca_cert, pki->ca_key };

    s->st.pki = pki;
    s->srv = ossl_peer_srv_new(&s->st, srv_cert_request, srv_rr,
                               ossl_peer_genm_echo, srv_pollReq, &prot);
    return s->srv != NULL;
}

/* client side, protected like the server of the session, which it pins */
static OSSL_CMP_CTX *new_client(struct session *s, struct peer_pki *pki,
                                int sig)
{
    struct ossl_peer_prot prot = { PEER_REF, sig ? NULL : PEER_SECRET,
                                   NULL, pki->ee_cert, pki->ee_key };
    OSSL_CMP_CTX *ctx = ossl_peer_client_new(transfer, s, pki->ee_key, &prot);

    if (ctx == NULL || !sig || OSSL_CMP_CTX_set1_srvCert(ctx, pki->ca_cert))
        return ctx;
    OSSL_CMP_CTX_free(ctx);
    return NULL;
}

static void end_session(struct session *s, OSSL_CMP_CTX *ctx)
{
    OSSL_CMP_CTX_free(ctx);
    OSSL_CMP_SRV_CTX_free(s->srv);
    OSSL_CMP_MSG_free(s->st.pending);
    memset(s, 0, sizeof(*s));
}

static int start(struct session *s, struct peer_msgs *out,
                 struct peer_pki *pki, const char *name, int sig,
                 OSSL_CMP_CTX **ctx)
{
    memset(s, 0, sizeof(*s));
    s->out = out;
    s->name = name;
    if (!init_server(s, pki, sig)
            || (*ctx = new_client(s, pki, sig)) == NULL) {
        fprintf(stderr, "peer: cannot set up session %s\n", name);
        return 0;
    }
    return 1;
}

/* a generalInfo ITAV of a private type with a UTF8String value */
static int push_geninfo(OSSL_CMP_CTX *ctx)
{
    ASN1_TYPE *val = ASN1_TYPE_new();
    ASN1_UTF8STRING *str = ASN1_UTF8STRING_new();
    int ok = val != NULL && str != NULL && ASN1_STRING_set(str, "info", 4);

    if (ok) {
        ASN1_TYPE_set(val, V_ASN1_UTF8STRING, str);
        str = NULL;
        ok = ossl_peer_push0_geninfo(ctx,
                                     OBJ_txt2obj("1.3.6.1.4.1.99999.2", 1),
                                     &val);
    }
    ASN1_TYPE_free(val);
    ASN1_UTF8STRING_free(str);
    return ok;
}

/* an enrollment of type req_type that must give a certificate */
static int run_certreq(struct peer_msgs *out, struct peer_pki *pki,
                       const char *name, int req_type, int sig)
{
    struct session s;
    OSSL_CMP_CTX *ctx = NULL;
    int ok = start(&s, out, pki, name, sig, &ctx);

    if (ok && req_type == OSSL_CMP_KUR)
        ok = OSSL_CMP_CTX_set1_oldCert(ctx, pki->ee_cert);
    if (ok && req_type == OSSL_CMP_P10CR) {
        X509_REQ *csr = X509_REQ_new();

        ok = csr != NULL
            && X509_REQ_set_subject_name(csr,
                                         X509_get_subject_name(pki->ee_cert))
            && X509_REQ_set_pubkey(csr, pki->ee_key)
            && X509_REQ_sign(csr, pki->ee_key, EVP_sha256()) > 0
            && OSSL_CMP_CTX_set1_p10CSR(ctx, csr);
        X509_REQ_free(csr);
    }
    if (ok && sig) {
        GENERAL_NAME *san = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_DNS,
                                             "peer.example", 0);

        ok = san != NULL && OSSL_CMP_CTX_push1_subjectAltName(ctx, san);
        GENERAL_NAME_free(san);
    }
    if (ok && req_type == OSSL_CMP_IR && !sig)
        ok = OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, 1)
            && push_geninfo(ctx);
    if (ok && req_type == OSSL_CMP_CR)
        ok = ossl_peer_push_confirm_wait(
            OSSL_CMP_SRV_CTX_get0_cmp_ctx(s.srv), 300, &pki->confirm_wait);
    if (ok && strcmp(name, "polled-ir") == 0) {
        s.st.waiting = 1;
        s.st.poll_rounds = 1;
    }
    /* the certificate returned stays owned by ctx */
    if (ok)
        ok = OSSL_CMP_exec_certreq(ctx, req_type, NULL) != NULL;
    if (!ok)
        fprintf(stderr, "peer: session %s failed\n", name);
    end_session(&s, ctx);
    return ok;
}

static int run_rr(struct peer_msgs *out, struct peer_pki *pki)
{
    struct session s;
    OSSL_CMP_CTX *ctx = NULL;
    int ok = start(&s, out, pki, "rr", 0, &ctx)
        && OSSL_CMP_CTX_set1_oldCert(ctx, pki->ee_cert)
        && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON,
                                   CRL_REASON_KEY_COMPROMISE)
        && OSSL_CMP_exec_RR_ses(ctx) == 1;

    end_session(&s, ctx);
    return ok;
}

static int run_genm(struct peer_msgs *out, struct peer_pki *pki)
{
    struct session s;
    OSSL_CMP_CTX *ctx = NULL;
    STACK_OF(OSSL_CMP_ITAV) *itavs = NULL;
    ASN1_TYPE *val = ASN1_TYPE_new();
    ASN1_UTF8STRING *str = ASN1_UTF8STRING_new();
    OSSL_CMP_ITAV *itav = NULL;
    int ok = start(&s, out, pki, "genm", 0, &ctx) && val != NULL
        && str != NULL && ASN1_STRING_set(str, "hello", 5);

    if (ok) {
        ASN1_TYPE_set(val, V_ASN1_UTF8STRING, str);
        str = NULL;
        itav = OSSL_CMP_ITAV_create(OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1),
                                    val);
        val = NULL;
        ok = itav != NULL && OSSL_CMP_CTX_push0_genm_ITAV(ctx, itav);
        itav = OSSL_CMP_ITAV_create(
            OBJ_nid2obj(NID_id_it_signKeyPairTypes), NULL);
        ok = ok && itav != NULL && OSSL_CMP_CTX_push0_genm_ITAV(ctx, itav);
    }
    ok = ok && (itavs = OSSL_CMP_exec_GENM_ses(ctx)) != NULL
        && sk_OSSL_CMP_ITAV_num(itavs) == 2;
    sk_OSSL_CMP_ITAV_pop_free(itavs, OSSL_CMP_ITAV_free);
    ASN1_TYPE_free(val);
    ASN1_UTF8STRING_free(str);
    end_session(&s, ctx);
    return ok;
}

/* the server fails the request: ir, error */
static int run_srv_error(struct peer_msgs *out, struct peer_pki *pki)
{
    struct session s;
    OSSL_CMP_CTX *ctx = NULL;
    int ok = start(&s, out, pki, "srv-error", 0, &ctx);

    s.st.fail = 1;
    ok = ok && OSSL_CMP_exec_certreq(ctx, OSSL_CMP_IR, NULL) == NULL
        && OSSL_CMP_CTX_get_status(ctx) == OSSL_CMP_PKISTATUS_rejection;
    ERR_clear_error();
    end_session(&s, ctx);
    return ok;
}

/* the client gives up polling: ir, ip, pollReq, pollRep, error, pkiconf */
static int run_client_error(struct peer_msgs *out, struct peer_pki *pki)
{
    struct session s;
    OSSL_CMP_CTX *ctx = NULL;
    int check_after = -1;
    int ok = start(&s, out, pki, "client-error", 0, &ctx);

    s.st.waiting = 1;
    s.st.poll_rounds = 1;
    ok = ok && OSSL_CMP_try_certreq(ctx, OSSL_CMP_IR, NULL,
                                    &check_after) == -1
        && check_after == 0
        && OSSL_CMP_try_certreq(ctx, -1, NULL, &check_after) == 1;
    end_session(&s, ctx);
    return ok;
}

int peer_run_all(struct peer_msgs *out, struct peer_pki *pki)
{
    int ok;

    memset(out, 0, sizeof(*out));
    memset(pki, 0, sizeof(*pki));
    ok = (pki->ca_key = peer_new_key()) != NULL
        && (pki->ee_key = peer_new_key()) != NULL
        && (pki->ca_cert = peer_issue(pki->ca_key, "peer CA", NULL,
                                      pki->ca_key, 1)) != NULL
        && (pki->ee_cert = peer_issue(pki->ee_key, "ee", pki->ca_cert,
                                      pki->ca_key, 2)) != NULL;
    ok = ok && run_certreq(out, pki, "ir", OSSL_CMP_IR, 0);
    ok = ok && run_certreq(out, pki, "cr", OSSL_CMP_CR, 0);
    ok = ok && run_certreq(out, pki, "p10cr", OSSL_CMP_P10CR, 0);
    ok = ok && run_certreq(out, pki, "kur", OSSL_CMP_KUR, 0);
    ok = ok && run_certreq(out, pki, "polled-ir", OSSL_CMP_IR, 0);
    ok = ok && run_certreq(out, pki, "signed-ir", OSSL_CMP_IR, 1);
    ok = ok && run_rr(out, pki);
    ok = ok && run_genm(out, pki);
    ok = ok && run_srv_error(out, pki);
    ok = ok && run_client_error(out, pki);
    if (!ok)
        ERR_print_errors_fp(stderr);
    return ok;
}

void peer_free(struct peer_msgs *msgs, struct peer_pki *pki)
{
    int i;

    for (i = 0; msgs != NULL && i < msgs->n; i++)
        OPENSSL_free(msgs->msg[i].der);
    if (pki == NULL)
        return;
    EVP_PKEY_free(pki->ca_key);
    EVP_PKEY_free(pki->ee_key);
    X509_free(pki->ca_cert);
    X509_free(pki->ee_cert);
    ASN1_GENERALIZEDTIME_free(pki->confirm_wait);
}
