/*
 * tests/verify_peer.c - OpenSSL as the server of the validation tests: a
 * test PKI, CMP sessions between OSSL_CMP_CTX and OSSL_CMP_SRV_CTX in
 * process recording the DER of every message, and re-protection of
 * altered responses (PBM with OSSL_CRMF_pbm_new, signatures with
 * EVP_DigestSign) so that only the altered rule fails.
 */
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ossl_peer.h"
#include "verify_peer.h"

struct srv_state {
    const struct vp_pki *pki;
    int fail;
    long serial;
};

struct run {
    struct vp_session *s;
    OSSL_CMP_SRV_CTX *srv;
    struct srv_state st;
};

X509_NAME *vp_name(const char *cn)
{
    X509_NAME *name = X509_NAME_new();

    if (name != NULL
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                          (const unsigned char *)cn, -1, -1,
                                          0))
        return name;
    X509_NAME_free(name);
    return NULL;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    ok = ext != NULL && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

X509 *vp_cert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *ikey,
              const char *ku, int days_from, int days_to)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *name = vp_name(cn);
    int ok;

    ok = x != NULL && name != NULL && X509_set_version(x, X509_VERSION_3)
        && ASN1_INTEGER_set(X509_get_serialNumber(x), serial++)
        && X509_set_subject_name(x, name)
        && X509_set_issuer_name(x, issuer != NULL
                                ? X509_get_subject_name(issuer) : name)
        && X509_time_adj_ex(X509_getm_notBefore(x), days_from, 0, NULL)
        && X509_time_adj_ex(X509_getm_notAfter(x), days_to, 0, NULL)
        && X509_set_pubkey(x, pub)
        && add_ext(x, issuer != NULL ? issuer : x,
                   NID_subject_key_identifier, "hash");
    if (ok && issuer == NULL)
        ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
    if (ok && issuer != NULL)
        ok = add_ext(x, issuer, NID_authority_key_identifier, "keyid");
    if (ok && ku != NULL)
        ok = add_ext(x, x, NID_key_usage, ku);
    ok = ok && X509_sign(x, ikey, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (ok)
        return x;
    X509_free(x);
    return NULL;
}

int vp_pki_new(struct vp_pki *pki)
{
    EVP_PKEY *other_root_key = EVP_EC_gen("P-256");
    int ok;

    memset(pki, 0, sizeof(*pki));
    ok = (pki->root_key = EVP_EC_gen("P-256")) != NULL
        && (pki->srv_key = EVP_EC_gen("P-256")) != NULL
        && (pki->ee_key = EVP_EC_gen("P-256")) != NULL
        && (pki->other_key = EVP_EC_gen("P-256")) != NULL
        && other_root_key != NULL
        && (pki->root = vp_cert(pki->root_key, "vp root", NULL,
                                pki->root_key, "keyCertSign,cRLSign",
                                -1, 30)) != NULL
        && (pki->other_root = vp_cert(other_root_key, "vp other root", NULL,
                                      other_root_key, "keyCertSign",
                                      -1, 30)) != NULL
        && (pki->srv = vp_cert(pki->srv_key, "vp server", pki->root,
                               pki->root_key, "critical,digitalSignature",
                               -1, 10)) != NULL
        && (pki->srv_expired = vp_cert(pki->srv_key, "vp server", pki->root,
                                       pki->root_key, "digitalSignature",
                                       -10, -1)) != NULL
        && (pki->srv_nods = vp_cert(pki->srv_key, "vp server", pki->root,
                                    pki->root_key, "keyAgreement",
                                    -1, 10)) != NULL
        && (pki->ee = vp_cert(pki->ee_key, "ee", pki->root, pki->root_key,
                              "digitalSignature", -1, 10)) != NULL
        && (pki->ee_other = vp_cert(pki->other_key, "ee", pki->root,
                                    pki->root_key, "digitalSignature",
                                    -1, 10)) != NULL;
    EVP_PKEY_free(other_root_key);
    return ok;
}

void vp_pki_free(struct vp_pki *pki)
{
    EVP_PKEY_free(pki->root_key);
    EVP_PKEY_free(pki->srv_key);
    EVP_PKEY_free(pki->ee_key);
    EVP_PKEY_free(pki->other_key);
    X509_free(pki->root);
    X509_free(pki->other_root);
    X509_free(pki->srv);
    X509_free(pki->srv_expired);
    X509_free(pki->srv_nods);
    X509_free(pki->ee);
    X509_free(pki->ee_other);
    memset(pki, 0, sizeof(*pki));
}

void vp_session_free(struct vp_session *s)
{
    int i;

    for (i = 0; i < s->n; i++)
        OPENSSL_free(s->der[i]);
    memset(s, 0, sizeof(*s));
}

static void record(struct vp_session *s, const OSSL_CMP_MSG *msg)
{
    if (s->n >= VP_MAX_MSGS)
        return;
    s->der[s->n] = NULL;
    s->len[s->n] = i2d_OSSL_CMP_MSG(msg, &s->der[s->n]);
    if (s->len[s->n] > 0)
        s->n++;
}

static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
    struct run *r = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
    OSSL_CMP_MSG *rsp;

    record(r->s, req);
    rsp = OSSL_CMP_SRV_process_request(r->srv, req);
    if (rsp != NULL)
        record(r->s, rsp);
    return rsp;
}

/* the mock CA: issues a cert for ee_key, with the root as caPubs */
static OSSL_CMP_PKISI *srv_cert_request(OSSL_CMP_SRV_CTX *srv_ctx,
                                        const OSSL_CMP_MSG *req, int rid,
                                        const OSSL_CRMF_MSG *crm,
                                        const X509_REQ *p10cr,
                                        X509 **certOut,
                                        STACK_OF(X509) **chainOut,
                                        STACK_OF(X509) **caPubs)
{
    struct srv_state *st = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv_ctx);

    (void)req;
    (void)rid;
    (void)crm;
    (void)p10cr;
    if (st->fail)
        return NULL;
    *certOut = vp_cert(st->pki->ee_key, "ee", st->pki->root,
                       st->pki->root_key, "digitalSignature", -1, 10);
    *chainOut = ossl_peer_one_cert(st->pki->root);
    *caPubs = ossl_peer_one_cert(st->pki->root);
    return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, "ok");
}

/* the OpenSSL server: PBM, or signing with srv_key and srv; the sessions
 * send IR and certConf only, so it has no callbacks for other requests */
static int init_server(struct run *r, const struct vp_pki *pki, int sig)
{
    struct ossl_peer_prot prot = { VP_REF, sig ? NULL : VP_SECRET, pki->root,
                                   pki->srv, pki->srv_key };

    r->st.pki = pki;
    r->srv = ossl_peer_srv_new(&r->st, srv_cert_request, NULL, NULL, NULL,
                               &prot);
    return r->srv != NULL;
}

/* the OpenSSL client, protected like the server */
static OSSL_CMP_CTX *new_client(struct run *r, const struct vp_pki *pki,
                                int sig)
{
    struct ossl_peer_prot prot = { VP_REF, sig ? NULL : VP_SECRET,
                                   pki->root, pki->ee, pki->ee_key };

    return ossl_peer_client_new(transfer, r, pki->ee_key, &prot);
}

int vp_run(const struct vp_pki *pki, enum vp_kind kind,
           struct vp_session *s)
{
    struct run r;
    OSSL_CMP_CTX *ctx = NULL;
    X509 *cert = NULL;
    int ok;

    memset(&r, 0, sizeof(r));
    memset(s, 0, sizeof(*s));
    r.s = s;
    r.st.fail = kind == VP_FAIL;
    ok = init_server(&r, pki, kind == VP_SIG)
        && (ctx = new_client(&r, pki, kind == VP_SIG)) != NULL;
    if (ok) {
        /* the cert stays owned by ctx (OSSL_CMP_exec_certreq(3)) */
        cert = OSSL_CMP_exec_certreq(ctx, OSSL_CMP_IR, NULL);
        ok = kind == VP_FAIL ? cert == NULL && s->n == 2
                             : cert != NULL && s->n == 4;
    }
    ERR_clear_error();
    OSSL_CMP_CTX_free(ctx);
    OSSL_CMP_SRV_CTX_free(r.srv);
    return ok;
}

P11CMP_MSG *vp_msg(const struct vp_session *s, int i)
{
    const unsigned char *p;

    if (i < 0 || i >= s->n)
        return NULL;
    p = s->der[i];
    return d2i_P11CMP_MSG(NULL, &p, s->len[i]);
}

P11CMP_CTX *vp_ctx(const struct vp_pki *pki, const struct vp_session *s,
                   int pbm)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    P11CMP_MSG *req = vp_msg(s, 0);
    X509_STORE *ts = NULL;
    int ok;

    ok = ctx != NULL && req != NULL
        && P11CMP_CTX_set1_transactionID(ctx, req->header->transactionID)
        && P11CMP_CTX_set1_senderNonce(ctx, req->header->senderNonce)
        && EVP_PKEY_up_ref(pki->ee_key)
        && P11CMP_CTX_set0_newPkey(ctx, 0, pki->ee_key);
    if (ok && pbm)
        ok = P11CMP_CTX_set1_secretValue(ctx,
                                         (const unsigned char *)VP_SECRET,
                                         strlen(VP_SECRET));
    if (ok && !pbm) {
        ok = (ts = ossl_peer_store_of(pki->root)) != NULL
            && P11CMP_CTX_set0_trustedStore(ctx, ts);
        if (!ok)
            X509_STORE_free(ts);
    }
    P11CMP_MSG_free(req);
    if (ok)
        return ctx;
    P11CMP_CTX_free(ctx);
    return NULL;
}

P11CMP_MSG *vp_roundtrip(P11CMP_MSG *msg)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    P11CMP_MSG *out = NULL;
    int len = msg != NULL ? i2d_P11CMP_MSG(msg, &der) : -1;

    if (len > 0) {
        p = der;
        out = d2i_P11CMP_MSG(NULL, &p, len);
    }
    OPENSSL_free(der);
    P11CMP_MSG_free(msg);
    return out;
}

/* the fresh DER of the protected part of the changed msg */
static int fresh_der(P11CMP_MSG *msg, unsigned char **der)
{
    p11cmp_MSG_forget_received(msg);
    return p11cmp_MSG_protected_part_der(msg, 0, der);
}

static int set_protection(P11CMP_MSG *msg, const unsigned char *val,
                          size_t len)
{
    if (msg->protection == NULL
            && (msg->protection = ASN1_BIT_STRING_new()) == NULL)
        return 0;
    if (!ASN1_BIT_STRING_set(msg->protection, (unsigned char *)val,
                             (int)len))
        return 0;
    msg->protection->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    msg->protection->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    return 1;
}

/* the PBM with the parameters of alg over the len bytes at der */
static int pbm_over(const X509_ALGOR *alg, const unsigned char *der,
                    int len, const char *secret, unsigned char **mac,
                    size_t *maclen)
{
    const ASN1_OBJECT *obj;
    const void *pval;
    const ASN1_STRING *param;
    const unsigned char *p;
    OSSL_CRMF_PBMPARAMETER *pbmp;
    int ptype, ok;

    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    if (ptype != V_ASN1_SEQUENCE)
        return 0;
    param = pval;
    p = param->data;
    if ((pbmp = d2i_OSSL_CRMF_PBMPARAMETER(NULL, &p, param->length)) == NULL)
        return 0;
    ok = OSSL_CRMF_pbm_new(NULL, NULL, pbmp, der, (size_t)len,
                           (const unsigned char *)secret, strlen(secret),
                           mac, maclen);
    OSSL_CRMF_PBMPARAMETER_free(pbmp);
    return ok;
}

int vp_reprotect_pbm(P11CMP_MSG *msg, const char *secret)
{
    unsigned char *der = NULL, *mac = NULL;
    size_t maclen = 0;
    int len = fresh_der(msg, &der), ok;

    ok = len > 0 && pbm_over(msg->header->protectionAlg, der, len, secret,
                             &mac, &maclen)
        && set_protection(msg, mac, maclen);
    OPENSSL_free(der);
    OPENSSL_free(mac);
    return ok;
}

int vp_reprotect_sig(P11CMP_MSG *msg, EVP_PKEY *key)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    unsigned char *der = NULL, *sig = NULL;
    size_t siglen = 0;
    int len = fresh_der(msg, &der), ok;
    int eddsa = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");

    ok = len > 0 && mctx != NULL
        && EVP_DigestSignInit(mctx, NULL, eddsa ? NULL : EVP_sha256(),
                              NULL, key) == 1
        && EVP_DigestSign(mctx, NULL, &siglen, der, (size_t)len) == 1
        && (sig = OPENSSL_malloc(siglen)) != NULL
        && EVP_DigestSign(mctx, sig, &siglen, der, (size_t)len) == 1
        && set_protection(msg, sig, siglen);
    EVP_MD_CTX_free(mctx);
    OPENSSL_free(der);
    OPENSSL_free(sig);
    return ok;
}

int vp_set_pbm_params(P11CMP_MSG *msg, size_t slen, size_t iter)
{
    OSSL_CRMF_PBMPARAMETER *pbmp;
    ASN1_STRING *param = ASN1_STRING_new();
    unsigned char *der = NULL;
    int len = -1;

    pbmp = OSSL_CRMF_pbmp_new(NULL, slen, NID_sha256, iter,
                              NID_hmacWithSHA256);
    if (pbmp != NULL)
        len = i2d_OSSL_CRMF_PBMPARAMETER(pbmp, &der);
    OSSL_CRMF_PBMPARAMETER_free(pbmp);
    if (len <= 0 || param == NULL) {
        ASN1_STRING_free(param);
        OPENSSL_free(der);
        return 0;
    }
    ASN1_STRING_set0(param, der, len);
    return X509_ALGOR_set0(msg->header->protectionAlg,
                           OBJ_nid2obj(NID_id_PasswordBasedMAC),
                           V_ASN1_SEQUENCE, param);
}

/* writes tag, length and the clen bytes at c to out; returns the end */
static unsigned char *put_tlv(unsigned char *out, int constructed, int tag,
                              int xclass, const unsigned char *c, int clen)
{
    ASN1_put_object(&out, constructed, clen, tag, xclass);
    memcpy(out, c, (size_t)clen);
    return out + clen;
}

/* the size of the TLV at *p (of at most max bytes); advances *p past it */
static int skip_tlv(const unsigned char **p, long max)
{
    const unsigned char *start = *p;
    long len;
    int tag, xclass;

    if (ASN1_get_object(p, &len, &tag, &xclass, max) & 0x80)
        return -1;
    *p += len;
    return (int)(*p - start);
}

/*
 * The header content at h (hlen bytes) with the senderNonce [5] OCTET
 * STRING length in long form (04 81 10 instead of 04 10), written to out.
 */
static unsigned char *nonminimal_header(unsigned char *out,
                                        const unsigned char *h, long hlen)
{
    const unsigned char *p = h, *e, *inner;
    unsigned char nonce[3 + 64];
    long elen, ilen;
    int tag, xclass, n;

    while (p < h + hlen) {
        e = p;
        if (ASN1_get_object(&p, &elen, &tag, &xclass, h + hlen - p) & 0x80)
            return NULL;
        inner = p;
        p += elen;
        if (xclass != V_ASN1_CONTEXT_SPECIFIC || tag != 5) {
            memcpy(out, e, (size_t)(p - e));
            out += p - e;
            continue;
        }
        if (ASN1_get_object(&inner, &ilen, &tag, &xclass, elen) & 0x80
                || ilen > 64)
            return NULL;
        nonce[0] = V_ASN1_OCTET_STRING;
        nonce[1] = 0x81;
        nonce[2] = (unsigned char)ilen;
        memcpy(nonce + 3, inner, (size_t)ilen);
        n = 3 + (int)ilen;
        out = put_tlv(out, 1, 5, V_ASN1_CONTEXT_SPECIFIC, nonce, n);
    }
    return out;
}

unsigned char *vp_nonminimal_pbm(const unsigned char *der, int len,
                                 const char *secret, int *outlen)
{
    size_t cap = (size_t)len + 512;
    unsigned char *hc = OPENSSL_malloc(cap), *pp = OPENSSL_malloc(cap);
    unsigned char *mc = OPENSSL_malloc(cap), *out = OPENSSL_malloc(cap);
    unsigned char *mac = NULL, *q, bits[1 + 64], prot[2 + 1 + 64];
    const unsigned char *p = der, *body, *tail;
    P11CMP_MSG *orig = NULL;
    long mlen, hlen;
    int tag, xclass, blen, hblen, pplen, ok = 0;
    size_t maclen = 0;

    if (hc == NULL || pp == NULL || mc == NULL || out == NULL
            || (orig = d2i_P11CMP_MSG(NULL, &p, len)) == NULL)
        goto end;
    p = der;
    ASN1_get_object(&p, &mlen, &tag, &xclass, len);      /* PKIMessage */
    ASN1_get_object(&p, &hlen, &tag, &xclass, der + len - p); /* header */
    tail = body = p + hlen;
    if ((blen = skip_tlv(&tail, der + len - body)) <= 0
            || skip_tlv(&tail, der + len - tail) <= 0     /* protection */
            || (q = nonminimal_header(hc, p, hlen)) == NULL)
        goto end;
    q = put_tlv(mc, 1, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, hc, (int)(q - hc));
    memcpy(q, body, (size_t)blen);
    hblen = (int)(q + blen - mc);
    pplen = (int)(put_tlv(pp, 1, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, mc,
                          hblen) - pp);
    if (!pbm_over(orig->header->protectionAlg, pp, pplen, secret, &mac,
                  &maclen) || maclen > 64)
        goto end;
    bits[0] = 0;
    memcpy(bits + 1, mac, maclen);
    q = put_tlv(prot, 0, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL, bits,
                (int)maclen + 1);
    q = put_tlv(mc + hblen, 1, 0, V_ASN1_CONTEXT_SPECIFIC, prot,
                (int)(q - prot));
    memcpy(q, tail, (size_t)(der + len - tail));
    q += der + len - tail;
    *outlen = (int)(put_tlv(out, 1, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, mc,
                            (int)(q - mc)) - out);
    ok = 1;
 end:
    P11CMP_MSG_free(orig);
    OPENSSL_free(mac);
    OPENSSL_free(hc);
    OPENSSL_free(pp);
    OPENSSL_free(mc);
    if (ok)
        return out;
    OPENSSL_free(out);
    return NULL;
}

/* an ANY holding the DER der as it is (a SEQUENCE), for ASN1_item_sign */
static ASN1_TYPE *any_of(const unsigned char *der, int len)
{
    ASN1_TYPE *t = ASN1_TYPE_new();
    ASN1_STRING *seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);

    if (t == NULL || seq == NULL || !ASN1_STRING_set(seq, der, len)) {
        ASN1_TYPE_free(t);
        ASN1_STRING_free(seq);
        return NULL;
    }
    ASN1_TYPE_set(t, V_ASN1_SEQUENCE, seq);
    return t;
}

int vp_resign(P11CMP_MSG *msg, EVP_PKEY *key)
{
    static const unsigned char empty[] = { 0x30, 0x00 };
    const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519")
        || EVP_PKEY_is_a(key, "ED448") ? NULL : EVP_sha256();
    ASN1_TYPE *t = any_of(empty, (int)sizeof(empty));
    ASN1_BIT_STRING *sig = ASN1_BIT_STRING_new();
    unsigned char *der = NULL;
    int len, ok;

    /* libcrypto's AlgorithmIdentifier for key and md, then the real one */
    ok = t != NULL && sig != NULL
        && ASN1_item_sign_ex(ASN1_ITEM_rptr(ASN1_ANY),
                             msg->header->protectionAlg, NULL, sig, t, NULL,
                             key, md, NULL, NULL) > 0;
    ASN1_TYPE_free(t);
    t = NULL;
    ok = ok && (len = fresh_der(msg, &der)) > 0
        && (t = any_of(der, len)) != NULL
        && ASN1_item_sign_ex(ASN1_ITEM_rptr(ASN1_ANY), NULL, NULL, sig, t,
                             NULL, key, md, NULL, NULL) > 0
        && set_protection(msg, sig->data, (size_t)sig->length);
    ASN1_TYPE_free(t);
    ASN1_BIT_STRING_free(sig);
    OPENSSL_free(der);
    return ok;
}
