/*
 * src/msg.c - builders of the messages the client sends: ir/cr/kur with
 * their CRMF CertReqMessages (CertTemplate from the context, oldCertID
 * control, proof of possession), p10cr, rr, genm, certConf, pollReq and
 * error, and the PKIStatusInfo they carry. Headers come from hdr.c,
 * protection and extraCerts from protect.c.
 */
#include <string.h>

#include <openssl/x509v3.h>

#include "local.h"

static int is_certreq(int type)
{
    return type == P11CMP_PKIBODY_IR || type == P11CMP_PKIBODY_CR
        || type == P11CMP_PKIBODY_KUR || type == P11CMP_PKIBODY_P10CR;
}

/* The empty content of a body of the given type; NULL if unsupported */
static void *body_content_new(int type)
{
    switch (type) {
    case P11CMP_PKIBODY_IR: case P11CMP_PKIBODY_CR: case P11CMP_PKIBODY_KUR:
        return sk_p11cmp_CRMF_MSG_new_null();
    case P11CMP_PKIBODY_P10CR:
        return X509_REQ_new();
    case P11CMP_PKIBODY_IP: case P11CMP_PKIBODY_CP: case P11CMP_PKIBODY_KUP:
        return p11cmp_CERTREPMESSAGE_new();
    case P11CMP_PKIBODY_RR:
        return sk_p11cmp_REVDETAILS_new_null();
    case P11CMP_PKIBODY_RP:
        return p11cmp_REVREPCONTENT_new();
    case P11CMP_PKIBODY_PKICONF:
        return ASN1_NULL_new();
    case P11CMP_PKIBODY_GENM: case P11CMP_PKIBODY_GENP:
        return sk_P11CMP_ITAV_new_null();
    case P11CMP_PKIBODY_ERROR:
        return p11cmp_ERRORMSGCONTENT_new();
    case P11CMP_PKIBODY_CERTCONF:
        return sk_p11cmp_CERTSTATUS_new_null();
    case P11CMP_PKIBODY_POLLREQ:
        return sk_p11cmp_POLLREQ_new_null();
    case P11CMP_PKIBODY_POLLREP:
        return sk_p11cmp_POLLREP_new_null();
    default:
        return NULL;
    }
}

/* Sets the union member of type to content (all members are pointers) */
static void body_set0(p11cmp_PKIBODY *body, int type, void *content)
{
    body->type = type;
    switch (type) {
    case P11CMP_PKIBODY_P10CR:
        body->value.p10cr = content;
        break;
    case P11CMP_PKIBODY_IP: case P11CMP_PKIBODY_CP: case P11CMP_PKIBODY_KUP:
        body->value.ip = content;
        break;
    case P11CMP_PKIBODY_RP:
        body->value.rp = content;
        break;
    case P11CMP_PKIBODY_PKICONF:
        body->value.pkiconf = content;
        break;
    case P11CMP_PKIBODY_ERROR:
        body->value.error = content;
        break;
    default: /* the stacks */
        body->value.ir = content;
        break;
    }
}

P11CMP_MSG *p11cmp_msg_create(P11CMP_CTX *ctx, int bodytype)
{
    P11CMP_MSG *msg = NULL;
    p11cmp_PKIBODY *body = NULL;
    void *content;

    CHECK_CTX(NULL);
    if ((content = body_content_new(bodytype)) == NULL) {
        p11cmp_raise_data(P11CMP_R_UNKNOWN_BODY_TYPE, "body type %d",
                          bodytype);
        return NULL;
    }
    if ((body = p11cmp_PKIBODY_new()) == NULL
        || (msg = p11cmp_MSG_new()) == NULL
        || (ctx->propq != NULL
            && (msg->propq = OPENSSL_strdup(ctx->propq)) == NULL)) {
        /* content is a stack or ASN.1 object; free it as the body would */
        if (body != NULL)
            body_set0(body, bodytype, content);
        p11cmp_PKIBODY_free(body);
        p11cmp_MSG_free(msg);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    body_set0(body, bodytype, content);
    p11cmp_PKIBODY_free(msg->body);
    msg->body = body;
    msg->libctx = ctx->libctx;
    if (!p11cmp_hdr_init(ctx, msg->header)
        || (ctx->implicitConfirm && is_certreq(bodytype)
            && !p11cmp_hdr_set_implicitConfirm(msg->header))) {
        p11cmp_MSG_free(msg);
        return NULL;
    }
    return msg;
}

/* Protects msg (built by the caller), freeing it on failure */
static P11CMP_MSG *finish(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    if (msg != NULL && !p11cmp_msg_protect(ctx, msg)) {
        p11cmp_MSG_free(msg);
        return NULL;
    }
    return msg;
}

P11CMP_PKISI *p11cmp_pkisi_create(int status, int fail_info,
                                  const char *text)
{
    P11CMP_PKISI *si = P11CMP_PKISI_new();
    ASN1_UTF8STRING *utf8 = NULL;
    int i;

    if (si == NULL || !ASN1_INTEGER_set(si->status, status))
        goto oom;
    if (text != NULL) {
        if ((si->statusString = sk_ASN1_UTF8STRING_new_null()) == NULL
            || (utf8 = ASN1_UTF8STRING_new()) == NULL
            || !ASN1_STRING_set(utf8, text, -1)
            || !sk_ASN1_UTF8STRING_push(si->statusString, utf8))
            goto oom;
        utf8 = NULL;
    }
    for (i = 0; i <= P11CMP_PKIFAILUREINFO_MAX; i++) {
        if ((fail_info & (1 << i)) == 0)
            continue;
        if ((si->failInfo == NULL
             && (si->failInfo = ASN1_BIT_STRING_new()) == NULL)
            || !ASN1_BIT_STRING_set_bit(si->failInfo, i, 1))
            goto oom;
    }
    return si;
 oom:
    ASN1_UTF8STRING_free(utf8);
    P11CMP_PKISI_free(si);
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return NULL;
}

/* 1 if exts hold a subjectAltName */
static int has_san(const X509_EXTENSIONS *exts)
{
    return X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0;
}

/*
 * The subject of the template, borrowed (NULL: none): subjectName (the
 * NULL-DN meaning none), else the reference subject for KUR, and for
 * IR/CR if no SANs are requested and SUBJECTALTNAME_NODEFAULT is unset.
 */
static const X509_NAME *template_subject(const P11CMP_CTX *ctx, int kur,
                                         const X509_NAME *ref_subj)
{
    if (ctx->subjectName != NULL)
        return X509_NAME_entry_count(ctx->subjectName) == 0
            ? NULL : ctx->subjectName;
    if (ref_subj == NULL)
        return NULL;
    if (kur || (sk_GENERAL_NAME_num(ctx->subjectAltNames) <= 0
                && !has_san(ctx->reqExtensions)
                && !ctx->SubjectAltName_nodefault))
        return ref_subj;
    return NULL;
}

/* Adds (or replaces) extension nid with value to *exts */
static int exts_add(X509_EXTENSIONS **exts, int nid, int crit, void *value)
{
    if (X509V3_add1_i2d(exts, nid, value, crit, X509V3_ADD_REPLACE) != 1) {
        p11cmp_raise_data(P11CMP_R_ERROR_CREATING_MESSAGE,
                          "cannot add extension %s", OBJ_nid2sn(nid));
        return 0;
    }
    return 1;
}

/*
 * The extensions to request, new (NULL if none, also on error: then
 * *ok is 0): reqExtensions (else those of the CSR), SANs pushed (else
 * those of refcert unless SUBJECTALTNAME_NODEFAULT or SANs are already
 * there), policies. SANs are critical if asked or if subject is NULL.
 */
static X509_EXTENSIONS *template_exts(const P11CMP_CTX *ctx, X509 *refcert,
                                      int no_subject, int *ok)
{
    X509_EXTENSIONS *exts = NULL;
    GENERAL_NAMES *dflt = NULL;
    int crit = ctx->setSubjectAltNameCritical || no_subject;

    *ok = 0;
    if (ctx->reqExtensions != NULL)
        exts = sk_X509_EXTENSION_deep_copy(ctx->reqExtensions,
                                           X509_EXTENSION_dup,
                                           X509_EXTENSION_free);
    else if (ctx->p10CSR != NULL)
        exts = X509_REQ_get_extensions(ctx->p10CSR);
    if (sk_GENERAL_NAME_num(ctx->subjectAltNames) > 0) {
        if (!exts_add(&exts, NID_subject_alt_name, crit,
                      ctx->subjectAltNames))
            goto err;
    } else if (refcert != NULL && !ctx->SubjectAltName_nodefault
               && !has_san(exts)
               && (dflt = X509_get_ext_d2i(refcert, NID_subject_alt_name,
                                           NULL, NULL)) != NULL) {
        if (!exts_add(&exts, NID_subject_alt_name, crit, dflt))
            goto err;
    }
    if (sk_POLICYINFO_num(ctx->policies) > 0
        && !exts_add(&exts, NID_certificate_policies,
                     ctx->setPoliciesCritical, ctx->policies))
        goto err;
    *ok = 1;
 err:
    GENERAL_NAMES_free(dflt);
    if (!*ok || sk_X509_EXTENSION_num(exts) <= 0) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        exts = NULL;
    }
    return exts;
}

/* The validity of the template if VALIDITY_DAYS > 0 */
static int template_validity(const P11CMP_CTX *ctx,
                             p11cmp_CRMF_CERTTEMPLATE *tmpl)
{
    p11cmp_CRMF_OPTIONALVALIDITY *v;

    if (ctx->days <= 0)
        return 1;
    if ((v = p11cmp_CRMF_OPTIONALVALIDITY_new()) == NULL)
        goto oom;
    tmpl->validity = v;
    if ((v->notBefore = X509_time_adj_ex(NULL, 0, 0, NULL)) == NULL
        || (v->notAfter = X509_time_adj_ex(NULL, ctx->days, 0, NULL))
        == NULL)
        goto oom;
    return 1;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return 0;
}

/* The public key to certify, borrowed: the signing key when no newPkey */
static EVP_PKEY *template_pubkey(const P11CMP_CTX *ctx)
{
    if (ctx->newPkey == NULL && ctx->p10CSR == NULL && ctx->pkey != NULL)
        return ctx->pkey;
    return p11cmp_ctx_get0_newPubkey(ctx);
}

/*
 * Sets *spki to the SubjectPublicKeyInfo of pubkey (p11cmp_spki_new()).
 * ctx keeps the last one made and the key it was made of (held, so the
 * pointer names it); later templates of the same key copy it. A copy
 * that fails (e.g. a provider that cannot copy its keys) is made anew.
 * 1 or 0.
 */
static int template_spki(P11CMP_CTX *ctx, X509_PUBKEY **spki,
                         EVP_PKEY *pubkey)
{
    X509_PUBKEY *copy;

    if (ctx->tmpl_spki == NULL || ctx->tmpl_spki_key != pubkey) {
        X509_PUBKEY_free(ctx->tmpl_spki);
        EVP_PKEY_free(ctx->tmpl_spki_key);
        ctx->tmpl_spki_key = NULL;
        if ((ctx->tmpl_spki = p11cmp_spki_new(pubkey)) == NULL
            || !EVP_PKEY_up_ref(pubkey))
            return 0;
        ctx->tmpl_spki_key = pubkey;
    }
    ERR_set_mark();
    if ((copy = p11cmp_spki_dup(ctx->tmpl_spki)) == NULL) {
        ERR_pop_to_mark();
        copy = p11cmp_spki_new(pubkey);
    } else {
        ERR_clear_last_mark();
    }
    if (copy == NULL)
        return 0;
    X509_PUBKEY_free(*spki);
    *spki = copy;
    return 1;
}

/*
 * publicKey of tmpl: pubkey; for central key generation only pubkey's
 * algorithm (an empty key, RFC 9483 4.1.6), or none without pubkey.
 */
static int template_set_pubkey(P11CMP_CTX *ctx,
                               p11cmp_CRMF_CERTTEMPLATE *tmpl,
                               EVP_PKEY *pubkey)
{
    if (!p11cmp_ckg_requested(ctx))
        return template_spki(ctx, &tmpl->publicKey, pubkey);
    if (pubkey == NULL)
        return 1;
    X509_PUBKEY_free(tmpl->publicKey);
    return (tmpl->publicKey = p11cmp_ckg_pubkey_new(pubkey)) != NULL;
}

static p11cmp_CRMF_CERTTEMPLATE *template_new(P11CMP_CTX *ctx,
                                              int kur, X509 *refcert)
{
    p11cmp_CRMF_CERTTEMPLATE *tmpl = p11cmp_CRMF_CERTTEMPLATE_new();
    const X509_NAME *ref_subj = NULL, *subject, *issuer = ctx->issuer;
    EVP_PKEY *pubkey = template_pubkey(ctx);
    int ok = 0;

    if (tmpl == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    if (refcert != NULL)
        ref_subj = X509_get_subject_name(refcert);
    else if (ctx->p10CSR != NULL)
        ref_subj = X509_REQ_get_subject_name(ctx->p10CSR);
    subject = template_subject(ctx, kur, ref_subj);
    if (issuer == NULL && refcert != NULL)
        issuer = X509_get_issuer_name(refcert);
    if (pubkey == NULL && !p11cmp_ckg_requested(ctx)) {
        p11cmp_raise_data(P11CMP_R_MISSING_KEY, "no public key to certify");
        goto err;
    }
    if ((subject != NULL && !X509_NAME_set(&tmpl->subject, subject))
        || (issuer != NULL && !X509_NAME_set(&tmpl->issuer, issuer))
        || !template_set_pubkey(ctx, tmpl, pubkey)) {
        p11cmp_raise(P11CMP_R_ERROR_CREATING_MESSAGE);
        goto err;
    }
    if (!template_validity(ctx, tmpl))
        goto err;
    tmpl->extensions = template_exts(ctx, refcert, subject == NULL, &ok);
    if (ok)
        return tmpl;
 err:
    p11cmp_CRMF_CERTTEMPLATE_free(tmpl);
    return NULL;
}

/* The control id-regCtrl-oldCertID naming refcert (RFC 4211 6.5) */
static p11cmp_CRMF_ATAV *oldcertid_new(X509 *refcert)
{
    p11cmp_CRMF_ATAV *atav = p11cmp_CRMF_ATAV_new();
    p11cmp_CRMF_CERTID *cid = p11cmp_CRMF_CERTID_new();
    X509_NAME *iss = X509_NAME_dup(X509_get_issuer_name(refcert));

    if (atav == NULL || cid == NULL || iss == NULL
        || (cid->issuer == NULL && (cid->issuer = GENERAL_NAME_new()) == NULL))
        goto oom;
    GENERAL_NAME_set0_value(cid->issuer, GEN_DIRNAME, iss);
    iss = NULL;
    ASN1_INTEGER_free(cid->serialNumber);
    cid->serialNumber = ASN1_INTEGER_dup(X509_get0_serialNumber(refcert));
    if (cid->serialNumber == NULL)
        goto oom;
    ASN1_OBJECT_free(atav->type);
    atav->type = OBJ_nid2obj(NID_id_regCtrl_oldCertID);
    atav->value.oldCertID = cid;
    return atav;
 oom:
    X509_NAME_free(iss);
    p11cmp_CRMF_CERTID_free(cid);
    p11cmp_CRMF_ATAV_free(atav);
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return NULL;
}

/* POPO signature with pkey over the DER of crm's CertRequest */
static p11cmp_CRMF_POPOSIGNINGKEY *popo_signature(const P11CMP_CTX *ctx,
                                                  p11cmp_CRMF_MSG *crm)
{
    EVP_PKEY *pkey = P11CMP_CTX_get0_newPkey(ctx, 1);
    p11cmp_CRMF_POPOSIGNINGKEY *ps = NULL;
    unsigned char *der = NULL;
    int len;

    if (pkey == NULL) {
        p11cmp_raise_data(P11CMP_R_MISSING_KEY,
                          "no private key for the POPO signature");
        return NULL;
    }
    if ((ps = p11cmp_CRMF_POPOSIGNINGKEY_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    X509_ALGOR_free(ps->algorithmIdentifier);
    if ((ps->algorithmIdentifier = p11cmp_sigalg_new(pkey, ctx->digest))
        == NULL)
        goto err;
    if ((len = i2d_p11cmp_CRMF_CERTREQUEST(crm->certReq, &der)) <= 0) {
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        goto err;
    }
    if (p11cmp_sign_data(ctx->libctx, ctx->propq, pkey,
                         ps->algorithmIdentifier, der, (size_t)len,
                         ps->signature)) {
        OPENSSL_free(der);
        return ps;
    }
 err:
    OPENSSL_free(der);
    p11cmp_CRMF_POPOSIGNINGKEY_free(ps);
    return NULL;
}

/* POPOPrivKey subsequentMessage encrCert, as OpenSSL sends it */
static p11cmp_CRMF_POPOPRIVKEY *popo_privkey(void)
{
    p11cmp_CRMF_POPOPRIVKEY *pk = p11cmp_CRMF_POPOPRIVKEY_new();

    if (pk == NULL
        || (pk->value.subsequentMessage = ASN1_INTEGER_new()) == NULL
        || !ASN1_INTEGER_set(pk->value.subsequentMessage,
                             P11CMP_CRMF_SUBSEQUENTMESSAGE_ENCRCERT)) {
        p11cmp_CRMF_POPOPRIVKEY_free(pk);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    pk->type = P11CMP_CRMF_POPOPRIVKEY_SUBSEQUENTMESSAGE;
    return pk;
}

/* Adds the proof of possession the POPO_METHOD option asks for */
static int add_popo(const P11CMP_CTX *ctx, p11cmp_CRMF_MSG *crm)
{
    p11cmp_CRMF_POPO *popo;
    void *val = NULL;

    if (ctx->popoMethod == P11CMP_POPO_NONE)
        return 1;
    if ((popo = p11cmp_CRMF_POPO_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    switch (ctx->popoMethod) {
    case P11CMP_POPO_RAVERIFIED:
        val = popo->value.raVerified = ASN1_NULL_new();
        break;
    case P11CMP_POPO_SIGNATURE:
        val = popo->value.signature = popo_signature(ctx, crm);
        break;
    default: /* KEYENC, KEYAGREE */
        val = popo->value.keyEncipherment = popo_privkey();
        break;
    }
    popo->type = ctx->popoMethod;
    if (val == NULL) {
        p11cmp_CRMF_POPO_free(popo);
        if (ctx->popoMethod == P11CMP_POPO_RAVERIFIED)
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    crm->popo = popo;
    return 1;
}

/* One CertReqMsg with certReqId rid for IR/CR/KUR */
static p11cmp_CRMF_MSG *crm_new(P11CMP_CTX *ctx, int bodytype, int rid)
{
    int kur = bodytype == P11CMP_PKIBODY_KUR;
    X509 *refcert = ctx->oldCert != NULL ? ctx->oldCert : ctx->cert;
    p11cmp_CRMF_MSG *crm = p11cmp_CRMF_MSG_new();
    p11cmp_CRMF_CERTREQUEST *req;
    p11cmp_CRMF_ATAV *cid = NULL;

    if (crm == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    req = crm->certReq;
    if (kur && refcert == NULL && ctx->p10CSR == NULL) {
        p11cmp_raise_data(P11CMP_R_MISSING_REFERENCE_CERT,
                          "KUR needs oldCert or cert");
        goto err;
    }
    if (!ASN1_INTEGER_set(req->certReqId, rid))
        goto oom;
    p11cmp_CRMF_CERTTEMPLATE_free(req->certTemplate);
    if ((req->certTemplate = template_new(ctx, kur, refcert)) == NULL)
        goto err;
    if (kur && refcert != NULL) {
        if ((cid = oldcertid_new(refcert)) == NULL)
            goto err;
        if ((req->controls = sk_p11cmp_CRMF_ATAV_new_null()) == NULL
            || !sk_p11cmp_CRMF_ATAV_push(req->controls, cid)) {
            p11cmp_CRMF_ATAV_free(cid);
            goto oom;
        }
    }
    if (add_popo(ctx, crm))
        return crm;
    goto err;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
 err:
    p11cmp_CRMF_MSG_free(crm);
    return NULL;
}

P11CMP_MSG *p11cmp_certreq_new(P11CMP_CTX *ctx, int bodytype)
{
    P11CMP_MSG *msg;
    p11cmp_CRMF_MSG *crm;

    CHECK_CTX(NULL);
    if (!is_certreq(bodytype)) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "body type %d is no certificate request",
                          bodytype);
        return NULL;
    }
    if (bodytype == P11CMP_PKIBODY_P10CR && ctx->p10CSR == NULL) {
        p11cmp_raise_data(P11CMP_R_ERROR_CREATING_MESSAGE,
                          "P10CR needs a PKCS#10 CSR (p10CSR)");
        return NULL;
    }
    if ((msg = p11cmp_msg_create(ctx, bodytype)) == NULL)
        return NULL;
    if (bodytype == P11CMP_PKIBODY_P10CR) {
        X509_REQ_free(msg->body->value.p10cr);
        msg->body->value.p10cr = p11cmp_X509_REQ_dup(ctx->p10CSR,
                                                     ctx->libctx,
                                                     ctx->propq);
        if (msg->body->value.p10cr == NULL)
            goto err;
        return finish(ctx, msg);
    }
    if ((crm = crm_new(ctx, bodytype, P11CMP_CERTREQID)) == NULL)
        goto err;
    if (!sk_p11cmp_CRMF_MSG_push(msg->body->value.ir, crm)) {
        p11cmp_CRMF_MSG_free(crm);
        goto oom;
    }
    return finish(ctx, msg);
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
 err:
    p11cmp_MSG_free(msg);
    return NULL;
}

int p11cmp_rr_target(const P11CMP_CTX *ctx, const X509_NAME **issuer,
                     const ASN1_INTEGER **serial)
{
    if (ctx->serialNumber != NULL && ctx->issuer != NULL) {
        *issuer = ctx->issuer;
        *serial = ctx->serialNumber;
        return 1;
    }
    if (ctx->oldCert != NULL) {
        *issuer = X509_get_issuer_name(ctx->oldCert);
        *serial = X509_get0_serialNumber(ctx->oldCert);
        return 1;
    }
    return 0;
}

/*
 * The certDetails of an RR: issuer and serial (p11cmp_rr_target()), else
 * (as OpenSSL does) subject and public key of p10CSR. 1 or 0.
 */
static int revtemplate_fill(const P11CMP_CTX *ctx,
                            p11cmp_CRMF_CERTTEMPLATE *t)
{
    const X509_NAME *issuer;
    const ASN1_INTEGER *serial;
    X509_REQ *csr = ctx->p10CSR;

    if (p11cmp_rr_target(ctx, &issuer, &serial))
        return X509_NAME_set(&t->issuer, issuer)
            && (t->serialNumber = ASN1_INTEGER_dup(serial)) != NULL;
    return X509_NAME_set(&t->subject, X509_REQ_get_subject_name(csr))
        && X509_PUBKEY_set(&t->publicKey, X509_REQ_get0_pubkey(csr));
}

/* RevDetails for the RR (see revtemplate_fill); reason if set */
static p11cmp_REVDETAILS *revdetails_new(const P11CMP_CTX *ctx)
{
    p11cmp_REVDETAILS *rd = p11cmp_REVDETAILS_new();
    ASN1_ENUMERATED *reason = NULL;

    if (rd == NULL || !revtemplate_fill(ctx, rd->certDetails))
        goto oom;
    if (ctx->revocationReason >= 0) {
        if ((reason = ASN1_ENUMERATED_new()) == NULL
            || !ASN1_ENUMERATED_set(reason, ctx->revocationReason)
            || X509V3_add1_i2d(&rd->crlEntryDetails, NID_crl_reason, reason,
                               0, X509V3_ADD_REPLACE) != 1)
            goto oom;
        ASN1_ENUMERATED_free(reason);
    }
    return rd;
 oom:
    ASN1_ENUMERATED_free(reason);
    p11cmp_REVDETAILS_free(rd);
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return NULL;
}

P11CMP_MSG *p11cmp_rr_new(P11CMP_CTX *ctx)
{
    P11CMP_MSG *msg;
    p11cmp_REVDETAILS *rd;

    CHECK_CTX(NULL);
    if ((ctx->serialNumber == NULL || ctx->issuer == NULL)
        && ctx->oldCert == NULL && ctx->p10CSR == NULL) {
        p11cmp_raise_data(P11CMP_R_MISSING_REFERENCE_CERT,
                          "RR needs the cert to revoke (oldCert, or issuer "
                          "and serialNumber) or a PKCS#10 CSR (p10CSR)");
        return NULL;
    }
    if ((msg = p11cmp_msg_create(ctx, P11CMP_PKIBODY_RR)) == NULL)
        return NULL;
    if ((rd = revdetails_new(ctx)) == NULL)
        goto err;
    if (!sk_p11cmp_REVDETAILS_push(msg->body->value.rr, rd)) {
        p11cmp_REVDETAILS_free(rd);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    return finish(ctx, msg);
 err:
    p11cmp_MSG_free(msg);
    return NULL;
}

P11CMP_MSG *p11cmp_genm_new(P11CMP_CTX *ctx)
{
    P11CMP_MSG *msg;
    P11CMP_ITAV *copy;
    int i;

    if ((msg = p11cmp_msg_create(ctx, P11CMP_PKIBODY_GENM)) == NULL)
        return NULL;
    for (i = 0; i < sk_P11CMP_ITAV_num(ctx->genm_ITAVs); i++) {
        copy = P11CMP_ITAV_dup(sk_P11CMP_ITAV_value(ctx->genm_ITAVs, i));
        if (copy == NULL || !sk_P11CMP_ITAV_push(msg->body->value.genm,
                                                 copy)) {
            P11CMP_ITAV_free(copy);
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            p11cmp_MSG_free(msg);
            return NULL;
        }
    }
    return finish(ctx, msg);
}

/*
 * The digest of certHash for cert: that of its signature algorithm (also
 * inside RSASSA-PSS parameters), or for EdDSA SHA-512 / SHAKE256 (RFC
 * 9481 3.3), then *explicit = 1 and *outlen = 64 for the XOF.
 */
static int cert_hash_md(const X509 *cert, int *md_nid, int *explicit,
                        size_t *outlen)
{
    int mdnid = NID_undef, pknid = NID_undef;

    /* only caches the decoded signature info: const in effect */
    if (!X509_get_signature_info((X509 *)cert, &mdnid, &pknid, NULL, NULL))
        return 0;
    *explicit = 0;
    *outlen = 0;
    if (mdnid == NID_undef && pknid == NID_ED25519) {
        mdnid = NID_sha512;
        *explicit = 1;
    } else if (mdnid == NID_undef && pknid == NID_ED448) {
        mdnid = NID_shake256;
        *explicit = 1;
        *outlen = 64;
    }
    *md_nid = mdnid;
    return mdnid != NID_undef;
}

ASN1_OCTET_STRING *p11cmp_cert_hash(OSSL_LIB_CTX *libctx, const char *propq,
                                    const X509 *cert, int *md_nid,
                                    int *explicit)
{
    unsigned char *der = NULL, buf[EVP_MAX_MD_SIZE];
    EVP_MD *md = NULL;
    EVP_MD_CTX *mctx = NULL;
    ASN1_OCTET_STRING *hash = NULL;
    unsigned int hlen = 0;
    size_t xoflen = 0;
    int len, ok;

    if (cert == NULL || md_nid == NULL || explicit == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (!cert_hash_md(cert, md_nid, explicit, &xoflen)
        || (md = EVP_MD_fetch(libctx, OBJ_nid2sn(*md_nid), propq)) == NULL) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "no hash for the cert's signature algorithm");
        return NULL;
    }
    if ((len = i2d_X509(cert, &der)) <= 0 || (mctx = EVP_MD_CTX_new()) == NULL)
        goto err;
    ok = EVP_DigestInit_ex(mctx, md, NULL)
        && EVP_DigestUpdate(mctx, der, (size_t)len)
        && (xoflen > 0 ? EVP_DigestFinalXOF(mctx, buf, xoflen)
            : EVP_DigestFinal_ex(mctx, buf, &hlen));
    if (xoflen > 0)
        hlen = (unsigned int)xoflen;
    if (ok && (hash = ASN1_OCTET_STRING_new()) != NULL
        && !ASN1_OCTET_STRING_set(hash, buf, (int)hlen)) {
        ASN1_OCTET_STRING_free(hash);
        hash = NULL;
    }
 err:
    if (hash == NULL)
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR, "hashing the cert");
    EVP_MD_CTX_free(mctx);
    EVP_MD_free(md);
    OPENSSL_free(der);
    return hash;
}

/* The CertStatus of certConf for cert */
static p11cmp_CERTSTATUS *certstatus_new(const P11CMP_CTX *ctx,
                                         int certReqId, const X509 *cert,
                                         int fail_info, const char *text,
                                         int *explicit)
{
    p11cmp_CERTSTATUS *cs = p11cmp_CERTSTATUS_new();
    int md_nid = NID_undef;

    if (cs == NULL)
        goto oom;
    ASN1_OCTET_STRING_free(cs->certHash);
    if ((cs->certHash = p11cmp_cert_hash(ctx->libctx, ctx->propq, cert,
                                         &md_nid, explicit)) == NULL)
        goto err;
    if (*explicit
        && ((cs->hashAlg = X509_ALGOR_new()) == NULL
            || !X509_ALGOR_set0(cs->hashAlg, OBJ_nid2obj(md_nid),
                                V_ASN1_UNDEF, NULL)))
        goto oom;
    if (!ASN1_INTEGER_set(cs->certReqId, certReqId))
        goto oom;
    fail_info &= P11CMP_PKIFAILUREINFO_MAX_BIT_PATTERN;
    cs->statusInfo = p11cmp_pkisi_create(fail_info != 0
                                         ? P11CMP_PKISTATUS_rejection
                                         : P11CMP_PKISTATUS_accepted,
                                         fail_info, text);
    if (cs->statusInfo != NULL)
        return cs;
    goto err;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
 err:
    p11cmp_CERTSTATUS_free(cs);
    return NULL;
}

P11CMP_MSG *p11cmp_certConf_new(P11CMP_CTX *ctx, int certReqId,
                                const X509 *cert, int fail_info,
                                const char *text)
{
    P11CMP_MSG *msg;
    p11cmp_CERTSTATUS *cs;
    int explicit = 0;

    CHECK_CTX(NULL);
    if (cert == NULL && (cert = ctx->newCert) == NULL) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "no certificate to confirm");
        return NULL;
    }
    if ((msg = p11cmp_msg_create(ctx, P11CMP_PKIBODY_CERTCONF)) == NULL)
        return NULL;
    cs = certstatus_new(ctx, certReqId, cert, fail_info, text, &explicit);
    if (cs == NULL)
        goto err;
    if (!sk_p11cmp_CERTSTATUS_push(msg->body->value.certConf, cs)) {
        p11cmp_CERTSTATUS_free(cs);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    /* RFC 9480 2.10: hashAlg needs cmp2021 */
    if (explicit && !p11cmp_hdr_set_pvno(msg->header, P11CMP_PVNO_3))
        goto err;
    return finish(ctx, msg);
 err:
    p11cmp_MSG_free(msg);
    return NULL;
}

P11CMP_MSG *p11cmp_pollReq_new(P11CMP_CTX *ctx, int certReqId)
{
    P11CMP_MSG *msg;
    p11cmp_POLLREQ *pr = NULL;

    if ((msg = p11cmp_msg_create(ctx, P11CMP_PKIBODY_POLLREQ)) == NULL)
        return NULL;
    if ((pr = p11cmp_POLLREQ_new()) == NULL
        || !ASN1_INTEGER_set(pr->certReqId, certReqId)
        || !sk_p11cmp_POLLREQ_push(msg->body->value.pollReq, pr)) {
        p11cmp_POLLREQ_free(pr);
        p11cmp_MSG_free(msg);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    return finish(ctx, msg);
}

/* errorCode and errorDetails of an error message */
static int error_fill(p11cmp_ERRORMSGCONTENT *err, int64_t errorCode,
                      const char *details)
{
    ASN1_UTF8STRING *utf8 = NULL;

    if (errorCode >= 0
        && ((err->errorCode = ASN1_INTEGER_new()) == NULL
            || !ASN1_INTEGER_set_int64(err->errorCode, errorCode)))
        goto oom;
    if (details != NULL
        && ((err->errorDetails = sk_ASN1_UTF8STRING_new_null()) == NULL
            || (utf8 = ASN1_UTF8STRING_new()) == NULL
            || !ASN1_STRING_set(utf8, details, -1)
            || !sk_ASN1_UTF8STRING_push(err->errorDetails, utf8)))
        goto oom;
    return 1;
 oom:
    ASN1_UTF8STRING_free(utf8);
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return 0;
}

P11CMP_MSG *p11cmp_error_new(P11CMP_CTX *ctx, const P11CMP_PKISI *si,
                             int64_t errorCode, const char *details,
                             int unprotected)
{
    P11CMP_MSG *msg;
    p11cmp_ERRORMSGCONTENT *err;

    if (ctx == NULL || si == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((msg = p11cmp_msg_create(ctx, P11CMP_PKIBODY_ERROR)) == NULL)
        return NULL;
    err = msg->body->value.error;
    P11CMP_PKISI_free(err->pKIStatusInfo);
    if ((err->pKIStatusInfo = P11CMP_PKISI_dup(si)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    if (!error_fill(err, errorCode, details))
        goto err;
    return unprotected ? msg : finish(ctx, msg);
 err:
    p11cmp_MSG_free(msg);
    return NULL;
}
