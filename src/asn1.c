/*
 * src/asn1.c - ASN.1 templates of CMP (RFC 4210, RFC 9480): PKIMessage,
 * PKIHeader, the PKIBody CHOICE with its contents, PKIStatusInfo, ITAV and
 * PBMParameter, and the small public functions of P11CMP_ITAV,
 * P11CMP_PKISI and P11CMP_PKIHEADER. The CMP module uses EXPLICIT tags.
 * The CRMF structures are in asn1_crmf.c.
 */
#include <string.h>

#include <openssl/asn1t.h>

#include "local.h"

/*
 * 0 for an ANY value that libcrypto takes but cannot give back: universal
 * tag 0 (end-of-contents, reserved) re-encodes as 00 00, which ends the
 * structure around it. 1 for anything else, NULL included.
 */
int p11cmp_any_ok(const ASN1_TYPE *any)
{
    return any == NULL || any->type != V_ASN1_EOC;
}

/* keeps the decoded view of a known infoType's value (asn1_genm.c) */
static int itav_cb(int op, ASN1_VALUE **pval, const ASN1_ITEM *it,
                   void *exarg)
{
    P11CMP_ITAV *itav = (P11CMP_ITAV *)*pval;

    (void)it, (void)exarg;
    if (op == ASN1_OP_D2I_POST && !p11cmp_any_ok(itav->infoValue))
        return 0;
    if (op == ASN1_OP_D2I_POST)
        p11cmp_itav_decode(itav);
    else if (op == ASN1_OP_FREE_PRE)
        p11cmp_itav_drop_decoded(itav);
    return 1;
}

ASN1_SEQUENCE_cb(p11cmp_ITAV, itav_cb) = {
    ASN1_SIMPLE(P11CMP_ITAV, infoType, ASN1_OBJECT),
    ASN1_OPT(P11CMP_ITAV, infoValue, ASN1_ANY)
} ASN1_SEQUENCE_END_cb(P11CMP_ITAV, p11cmp_ITAV)
IMPLEMENT_ASN1_ALLOC_FUNCTIONS_fname(P11CMP_ITAV, p11cmp_ITAV, p11cmp_ITAV)

ASN1_SEQUENCE(p11cmp_PKISI) = {
    ASN1_SIMPLE(P11CMP_PKISI, status, ASN1_INTEGER),
    ASN1_SEQUENCE_OF_OPT(P11CMP_PKISI, statusString, ASN1_UTF8STRING),
    ASN1_OPT(P11CMP_PKISI, failInfo, ASN1_BIT_STRING)
} ASN1_SEQUENCE_END_name(P11CMP_PKISI, p11cmp_PKISI)
IMPLEMENT_ASN1_FUNCTIONS_fname(P11CMP_PKISI, p11cmp_PKISI, P11CMP_PKISI)

ASN1_SEQUENCE(p11cmp_PBMPARAMETER) = {
    ASN1_SIMPLE(p11cmp_PBMPARAMETER, salt, ASN1_OCTET_STRING),
    ASN1_SIMPLE(p11cmp_PBMPARAMETER, owf, X509_ALGOR),
    ASN1_SIMPLE(p11cmp_PBMPARAMETER, iterationCount, ASN1_INTEGER),
    ASN1_SIMPLE(p11cmp_PBMPARAMETER, mac, X509_ALGOR)
} ASN1_SEQUENCE_END(p11cmp_PBMPARAMETER)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_PBMPARAMETER)

ASN1_CHOICE(p11cmp_CERTORENCCERT) = {
    ASN1_EXP(p11cmp_CERTORENCCERT, value.certificate, X509, 0),
    ASN1_EXP(p11cmp_CERTORENCCERT, value.encryptedCert, ASN1_ANY, 1)
} ASN1_CHOICE_END(p11cmp_CERTORENCCERT)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_CERTORENCCERT)

ASN1_SEQUENCE(p11cmp_CERTIFIEDKEYPAIR) = {
    ASN1_SIMPLE(p11cmp_CERTIFIEDKEYPAIR, certOrEncCert,
                p11cmp_CERTORENCCERT),
    ASN1_EXP_OPT(p11cmp_CERTIFIEDKEYPAIR, privateKey, ASN1_ANY, 0),
    ASN1_EXP_OPT(p11cmp_CERTIFIEDKEYPAIR, publicationInfo,
                 p11cmp_CRMF_PKIPUBLICATIONINFO, 1)
} ASN1_SEQUENCE_END(p11cmp_CERTIFIEDKEYPAIR)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_CERTIFIEDKEYPAIR)

ASN1_SEQUENCE(p11cmp_CERTRESPONSE) = {
    ASN1_SIMPLE(p11cmp_CERTRESPONSE, certReqId, ASN1_INTEGER),
    ASN1_SIMPLE(p11cmp_CERTRESPONSE, status, p11cmp_PKISI),
    ASN1_OPT(p11cmp_CERTRESPONSE, certifiedKeyPair, p11cmp_CERTIFIEDKEYPAIR),
    ASN1_OPT(p11cmp_CERTRESPONSE, rspInfo, ASN1_OCTET_STRING)
} ASN1_SEQUENCE_END(p11cmp_CERTRESPONSE)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_CERTRESPONSE)

ASN1_SEQUENCE(p11cmp_CERTREPMESSAGE) = {
    ASN1_EXP_SEQUENCE_OF_OPT(p11cmp_CERTREPMESSAGE, caPubs, X509, 1),
    ASN1_SEQUENCE_OF(p11cmp_CERTREPMESSAGE, response, p11cmp_CERTRESPONSE)
} ASN1_SEQUENCE_END(p11cmp_CERTREPMESSAGE)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_CERTREPMESSAGE)

ASN1_SEQUENCE(p11cmp_REVDETAILS) = {
    ASN1_SIMPLE(p11cmp_REVDETAILS, certDetails, p11cmp_CRMF_CERTTEMPLATE),
    ASN1_SEQUENCE_OF_OPT(p11cmp_REVDETAILS, crlEntryDetails, X509_EXTENSION)
} ASN1_SEQUENCE_END(p11cmp_REVDETAILS)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_REVDETAILS)

ASN1_SEQUENCE(p11cmp_REVREPCONTENT) = {
    ASN1_SEQUENCE_OF(p11cmp_REVREPCONTENT, status, p11cmp_PKISI),
    ASN1_EXP_SEQUENCE_OF_OPT(p11cmp_REVREPCONTENT, revCerts,
                             p11cmp_CRMF_CERTID, 0),
    ASN1_EXP_SEQUENCE_OF_OPT(p11cmp_REVREPCONTENT, crls, X509_CRL, 1)
} ASN1_SEQUENCE_END(p11cmp_REVREPCONTENT)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_REVREPCONTENT)

ASN1_SEQUENCE(p11cmp_CERTSTATUS) = {
    ASN1_SIMPLE(p11cmp_CERTSTATUS, certHash, ASN1_OCTET_STRING),
    ASN1_SIMPLE(p11cmp_CERTSTATUS, certReqId, ASN1_INTEGER),
    ASN1_OPT(p11cmp_CERTSTATUS, statusInfo, p11cmp_PKISI),
    ASN1_EXP_OPT(p11cmp_CERTSTATUS, hashAlg, X509_ALGOR, 0)
} ASN1_SEQUENCE_END(p11cmp_CERTSTATUS)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_CERTSTATUS)

ASN1_SEQUENCE(p11cmp_ERRORMSGCONTENT) = {
    ASN1_SIMPLE(p11cmp_ERRORMSGCONTENT, pKIStatusInfo, p11cmp_PKISI),
    ASN1_OPT(p11cmp_ERRORMSGCONTENT, errorCode, ASN1_INTEGER),
    ASN1_SEQUENCE_OF_OPT(p11cmp_ERRORMSGCONTENT, errorDetails,
                         ASN1_UTF8STRING)
} ASN1_SEQUENCE_END(p11cmp_ERRORMSGCONTENT)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_ERRORMSGCONTENT)

ASN1_SEQUENCE(p11cmp_POLLREQ) = {
    ASN1_SIMPLE(p11cmp_POLLREQ, certReqId, ASN1_INTEGER)
} ASN1_SEQUENCE_END(p11cmp_POLLREQ)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_POLLREQ)

ASN1_SEQUENCE(p11cmp_POLLREP) = {
    ASN1_SIMPLE(p11cmp_POLLREP, certReqId, ASN1_INTEGER),
    ASN1_SIMPLE(p11cmp_POLLREP, checkAfter, ASN1_INTEGER),
    ASN1_SEQUENCE_OF_OPT(p11cmp_POLLREP, reason, ASN1_UTF8STRING)
} ASN1_SEQUENCE_END(p11cmp_POLLREP)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_POLLREP)

ASN1_SEQUENCE(p11cmp_PKIHEADER) = {
    ASN1_SIMPLE(P11CMP_PKIHEADER, pvno, ASN1_INTEGER),
    ASN1_SIMPLE(P11CMP_PKIHEADER, sender, GENERAL_NAME),
    ASN1_SIMPLE(P11CMP_PKIHEADER, recipient, GENERAL_NAME),
    ASN1_EXP_OPT(P11CMP_PKIHEADER, messageTime, ASN1_GENERALIZEDTIME, 0),
    ASN1_EXP_OPT(P11CMP_PKIHEADER, protectionAlg, X509_ALGOR, 1),
    ASN1_EXP_OPT(P11CMP_PKIHEADER, senderKID, ASN1_OCTET_STRING, 2),
    ASN1_EXP_OPT(P11CMP_PKIHEADER, recipKID, ASN1_OCTET_STRING, 3),
    ASN1_EXP_OPT(P11CMP_PKIHEADER, transactionID, ASN1_OCTET_STRING, 4),
    ASN1_EXP_OPT(P11CMP_PKIHEADER, senderNonce, ASN1_OCTET_STRING, 5),
    ASN1_EXP_OPT(P11CMP_PKIHEADER, recipNonce, ASN1_OCTET_STRING, 6),
    ASN1_EXP_SEQUENCE_OF_OPT(P11CMP_PKIHEADER, freeText, ASN1_UTF8STRING, 7),
    ASN1_EXP_SEQUENCE_OF_OPT(P11CMP_PKIHEADER, generalInfo, p11cmp_ITAV, 8)
} ASN1_SEQUENCE_END_name(P11CMP_PKIHEADER, p11cmp_PKIHEADER)
IMPLEMENT_ASN1_FUNCTIONS_fname(P11CMP_PKIHEADER, p11cmp_PKIHEADER,
                               P11CMP_PKIHEADER)

/*
 * The template index of each alternative equals its tag number, which is
 * also the P11CMP_PKIBODY_* value: keep all 27 in order. Unsupported
 * bodies are decoded as ANY so that they can be rejected by name.
 */
#define BODY_CRMF(field, tag) \
    ASN1_EXP(p11cmp_PKIBODY, value.field, p11cmp_CRMF_MSGS, tag)
#define BODY_REP(field, tag) \
    ASN1_EXP(p11cmp_PKIBODY, value.field, p11cmp_CERTREPMESSAGE, tag)
#define BODY_OTHER(tag) ASN1_EXP(p11cmp_PKIBODY, value.other, ASN1_ANY, tag)
ASN1_CHOICE(p11cmp_PKIBODY) = {
    BODY_CRMF(ir, 0),
    BODY_REP(ip, 1),
    BODY_CRMF(cr, 2),
    BODY_REP(cp, 3),
    ASN1_EXP(p11cmp_PKIBODY, value.p10cr, X509_REQ, 4),
    BODY_OTHER(5),  /* popdecc */
    BODY_OTHER(6),  /* popdecr */
    BODY_CRMF(kur, 7),
    BODY_REP(kup, 8),
    BODY_OTHER(9),  /* krr */
    BODY_OTHER(10), /* krp */
    ASN1_EXP_SEQUENCE_OF(p11cmp_PKIBODY, value.rr, p11cmp_REVDETAILS, 11),
    ASN1_EXP(p11cmp_PKIBODY, value.rp, p11cmp_REVREPCONTENT, 12),
    BODY_OTHER(13), /* ccr */
    BODY_OTHER(14), /* ccp */
    BODY_OTHER(15), /* ckuann */
    BODY_OTHER(16), /* cann */
    BODY_OTHER(17), /* rann */
    BODY_OTHER(18), /* crlann */
    ASN1_EXP(p11cmp_PKIBODY, value.pkiconf, ASN1_NULL, 19),
    BODY_OTHER(20), /* nested */
    ASN1_EXP_SEQUENCE_OF(p11cmp_PKIBODY, value.genm, p11cmp_ITAV, 21),
    ASN1_EXP_SEQUENCE_OF(p11cmp_PKIBODY, value.genp, p11cmp_ITAV, 22),
    ASN1_EXP(p11cmp_PKIBODY, value.error, p11cmp_ERRORMSGCONTENT, 23),
    ASN1_EXP_SEQUENCE_OF(p11cmp_PKIBODY, value.certConf,
                         p11cmp_CERTSTATUS, 24),
    ASN1_EXP_SEQUENCE_OF(p11cmp_PKIBODY, value.pollReq, p11cmp_POLLREQ, 25),
    ASN1_EXP_SEQUENCE_OF(p11cmp_PKIBODY, value.pollRep, p11cmp_POLLREP, 26)
} ASN1_CHOICE_END(p11cmp_PKIBODY)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_PKIBODY)

ASN1_SEQUENCE(p11cmp_PROTECTEDPART) = {
    ASN1_SIMPLE(p11cmp_PROTECTEDPART, header, p11cmp_PKIHEADER),
    ASN1_SIMPLE(p11cmp_PROTECTEDPART, body, p11cmp_PKIBODY)
} ASN1_SEQUENCE_END(p11cmp_PROTECTEDPART)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_PROTECTEDPART)

/*
 * Callback of the PKIMessage item: frees and copies the fields of the
 * struct that are not part of the encoding (received DER, libctx, propq).
 */
static int msg_cb(int op, ASN1_VALUE **pval, const ASN1_ITEM *it,
                  void *exarg)
{
    P11CMP_MSG *msg = (P11CMP_MSG *)*pval;
    const P11CMP_MSG *old = exarg;

    (void)it;
    switch (op) {
    case ASN1_OP_FREE_POST:
        OPENSSL_free(msg->rcvd_protpart);
        OPENSSL_free(msg->propq);
        break;
    case ASN1_OP_DUP_POST:
        if (msg == NULL || old == NULL)
            break;
        msg->libctx = old->libctx;
        if (old->propq != NULL
                && (msg->propq = OPENSSL_strdup(old->propq)) == NULL)
            return 0;
        if (old->rcvd_protpart != NULL) {
            msg->rcvd_protpart = OPENSSL_memdup(old->rcvd_protpart,
                                                old->rcvd_protpart_len);
            if (msg->rcvd_protpart == NULL)
                return 0;
            msg->rcvd_protpart_len = old->rcvd_protpart_len;
        }
        break;
    case ASN1_OP_GET0_LIBCTX:
        *(OSSL_LIB_CTX **)exarg = msg->libctx;
        break;
    case ASN1_OP_GET0_PROPQ:
        *(const char **)exarg = msg->propq;
        break;
    default:
        break;
    }
    return 1;
}

ASN1_SEQUENCE_cb(p11cmp_MSG, msg_cb) = {
    ASN1_SIMPLE(P11CMP_MSG, header, p11cmp_PKIHEADER),
    ASN1_SIMPLE(P11CMP_MSG, body, p11cmp_PKIBODY),
    ASN1_EXP_OPT(P11CMP_MSG, protection, ASN1_BIT_STRING, 0),
    ASN1_EXP_SEQUENCE_OF_OPT(P11CMP_MSG, extraCerts, X509, 1)
} ASN1_SEQUENCE_END_cb(P11CMP_MSG, p11cmp_MSG)
IMPLEMENT_ASN1_ALLOC_FUNCTIONS_fname(P11CMP_MSG, p11cmp_MSG, p11cmp_MSG)

/* the public free and dup functions; all accept NULL */
void P11CMP_MSG_free(P11CMP_MSG *msg)
{
    p11cmp_MSG_free(msg);
}

/*
 * A deep copy of msg including what is not encoded (the received DER of
 * its protected part, libctx, propq); the caller frees it. NULL on error.
 */
P11CMP_MSG *P11CMP_MSG_dup(const P11CMP_MSG *msg)
{
    return ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_MSG), msg);
}

void P11CMP_ITAV_free(P11CMP_ITAV *itav)
{
    p11cmp_ITAV_free(itav);
}

P11CMP_ITAV *P11CMP_ITAV_dup(const P11CMP_ITAV *itav)
{
    return ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_ITAV), itav);
}

P11CMP_PKISI *P11CMP_PKISI_dup(const P11CMP_PKISI *si)
{
    return ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_PKISI), si);
}

P11CMP_PKIHEADER *p11cmp_PKIHEADER_dup(const P11CMP_PKIHEADER *hdr)
{
    return ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_PKIHEADER), hdr);
}

/*
 * Creates an ITAV of type and value, taking ownership of both on success
 * (on failure the caller still owns them). value may be NULL for an ITAV
 * without infoValue. Returns NULL on error.
 */
P11CMP_ITAV *P11CMP_ITAV_create(ASN1_OBJECT *type, ASN1_TYPE *value)
{
    P11CMP_ITAV *itav;

    if (type == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((itav = p11cmp_ITAV_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    P11CMP_ITAV_set0(itav, type, value);
    return itav;
}

/*
 * Replaces type and value of itav, taking ownership of both; the previous
 * ones are freed unless they are the same objects. No-op if itav is NULL.
 */
void P11CMP_ITAV_set0(P11CMP_ITAV *itav, ASN1_OBJECT *type, ASN1_TYPE *value)
{
    if (itav == NULL)
        return;
    if (itav->infoType != type)
        ASN1_OBJECT_free(itav->infoType);
    if (itav->infoValue != value)
        ASN1_TYPE_free(itav->infoValue);
    itav->infoType = type;
    itav->infoValue = value;
    p11cmp_itav_decode(itav);
}

/*
 * Defines TYPE *name(const STYPE *obj) returning obj->field, borrowed;
 * NULL with P11CMP_R_NULL_ARGUMENT if obj is NULL.
 */
#define GET0(name, STYPE, TYPE, field)                 \
    TYPE *name(const STYPE *obj)                       \
    {                                                  \
        if (obj == NULL) {                             \
            p11cmp_raise(P11CMP_R_NULL_ARGUMENT);      \
            return NULL;                               \
        }                                              \
        return obj->field;                             \
    }

/* The infoType of itav, borrowed; NULL if itav is NULL. */
GET0(P11CMP_ITAV_get0_type, P11CMP_ITAV, ASN1_OBJECT, infoType)

/* The infoValue of itav, borrowed; NULL if absent or itav is NULL. */
GET0(P11CMP_ITAV_get0_value, P11CMP_ITAV, ASN1_TYPE, infoValue)

/*
 * Appends itav to *itav_sk_p, creating the stack if *itav_sk_p is NULL.
 * Takes ownership of itav on success only. Returns 1 on success, 0 on
 * error (a stack created here is freed again and *itav_sk_p reset).
 */
int P11CMP_ITAV_push0_stack_item(STACK_OF(P11CMP_ITAV) **itav_sk_p,
                                 P11CMP_ITAV *itav)
{
    int created = 0;

    if (itav_sk_p == NULL || itav == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (*itav_sk_p == NULL) {
        if ((*itav_sk_p = sk_P11CMP_ITAV_new_null()) == NULL)
            goto err;
        created = 1;
    }
    if (sk_P11CMP_ITAV_push(*itav_sk_p, itav) > 0)
        return 1;
 err:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    if (created) {
        sk_P11CMP_ITAV_free(*itav_sk_p);
        *itav_sk_p = NULL;
    }
    return 0;
}

/* The transactionID of hdr, borrowed; NULL if absent or hdr is NULL. */
GET0(P11CMP_HDR_get0_transactionID, P11CMP_PKIHEADER, ASN1_OCTET_STRING,
     transactionID)

/* The recipNonce of hdr, borrowed; NULL if absent or hdr is NULL. */
GET0(P11CMP_HDR_get0_recipNonce, P11CMP_PKIHEADER, ASN1_OCTET_STRING,
     recipNonce)

/*
 * The ITAVs of the generalInfo of hdr (implicitConfirm, confirmWaitTime,
 * ...), borrowed; NULL if absent or hdr is NULL.
 */
GET0(P11CMP_HDR_get0_geninfo_ITAVs, P11CMP_PKIHEADER,
     STACK_OF(P11CMP_ITAV), generalInfo)
