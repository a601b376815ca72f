/*
 * src/hdr.c - the PKIHeader of the requests p11cmp sends (RFC 4210 5.1.1):
 * pvno, sender and recipient names, messageTime, senderKID, the
 * transactionID kept across a transaction, fresh senderNonces, the
 * recipNonce echoing the server, and the generalInfo ITAVs including
 * implicitConfirm; and P11CMP_MSG_update_transactionID/_recipNonce, which
 * fit a message made earlier (e.g. read from a file) into the current
 * transaction and protect it again.
 */
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "local.h"

int p11cmp_set_random_octets(ASN1_OCTET_STRING **field,
                             OSSL_LIB_CTX *libctx, int len)
{
    unsigned char buf[64];
    ASN1_OCTET_STRING *os = NULL;

    if (field == NULL || len <= 0 || len > (int)sizeof(buf)) {
        p11cmp_raise(P11CMP_R_INVALID_ARGUMENT);
        return 0;
    }
    if (RAND_bytes_ex(libctx, buf, (size_t)len, 0) <= 0) {
        p11cmp_raise(P11CMP_R_RANDOM_FAILURE);
        return 0;
    }
    if ((os = ASN1_OCTET_STRING_new()) == NULL
        || !ASN1_OCTET_STRING_set(os, buf, len)) {
        ASN1_OCTET_STRING_free(os);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    ASN1_OCTET_STRING_free(*field);
    *field = os;
    return 1;
}

int p11cmp_hdr_get_pvno(const P11CMP_PKIHEADER *hdr)
{
    int64_t v;

    if (hdr == NULL || hdr->pvno == NULL
        || !ASN1_INTEGER_get_int64(&v, hdr->pvno) || v < 0 || v > 1000)
        return -1;
    return (int)v;
}

int p11cmp_hdr_set_pvno(P11CMP_PKIHEADER *hdr, int pvno)
{
    if (hdr == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (hdr->pvno == NULL && (hdr->pvno = ASN1_INTEGER_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    if (!ASN1_INTEGER_set(hdr->pvno, pvno)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    return 1;
}

/* Replaces *gen by a directoryName holding a copy of nm (NULL: NULL-DN) */
static int set1_dirname(GENERAL_NAME **gen, const X509_NAME *nm)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    X509_NAME *copy = nm != NULL ? X509_NAME_dup(nm) : X509_NAME_new();

    if (g == NULL || copy == NULL) {
        GENERAL_NAME_free(g);
        X509_NAME_free(copy);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    GENERAL_NAME_set0_value(g, GEN_DIRNAME, copy);
    GENERAL_NAME_free(*gen);
    *gen = g;
    return 1;
}

int p11cmp_hdr_set1_sender(P11CMP_PKIHEADER *hdr, const X509_NAME *nm)
{
    if (hdr == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    return set1_dirname(&hdr->sender, nm);
}

int p11cmp_hdr_set1_recipient(P11CMP_PKIHEADER *hdr, const X509_NAME *nm)
{
    if (hdr == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    return set1_dirname(&hdr->recipient, nm);
}

/* Replaces *field by a copy of src (NULL clears). 1 or 0. */
int p11cmp_octets_set1(ASN1_OCTET_STRING **field,
                       const ASN1_OCTET_STRING *src)
{
    ASN1_OCTET_STRING *copy = NULL;

    if (src != NULL && (copy = ASN1_OCTET_STRING_dup(src)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    ASN1_OCTET_STRING_free(*field);
    *field = copy;
    return 1;
}

int p11cmp_hdr_set1_senderKID(P11CMP_PKIHEADER *hdr,
                              const ASN1_OCTET_STRING *kid)
{
    if (hdr == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    return p11cmp_octets_set1(&hdr->senderKID, kid);
}

int p11cmp_hdr_update_messageTime(P11CMP_PKIHEADER *hdr)
{
    ASN1_GENERALIZEDTIME *t;

    if (hdr == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    t = ASN1_GENERALIZEDTIME_set(hdr->messageTime, time(NULL));
    if (t == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    hdr->messageTime = t;
    return 1;
}

int p11cmp_hdr_push1_generalInfo(P11CMP_PKIHEADER *hdr,
                                 const P11CMP_ITAV *itav)
{
    P11CMP_ITAV *copy;

    if (hdr == NULL || itav == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if ((copy = P11CMP_ITAV_dup(itav)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    if (!P11CMP_ITAV_push0_stack_item(&hdr->generalInfo, copy)) {
        P11CMP_ITAV_free(copy);
        return 0;
    }
    return 1;
}

int p11cmp_hdr_has_implicitConfirm(const P11CMP_PKIHEADER *hdr)
{
    int i;

    if (hdr == NULL)
        return 0;
    for (i = 0; i < sk_P11CMP_ITAV_num(hdr->generalInfo); i++) {
        P11CMP_ITAV *itav = sk_P11CMP_ITAV_value(hdr->generalInfo, i);

        if (OBJ_obj2nid(itav->infoType) == NID_id_it_implicitConfirm)
            return 1;
    }
    return 0;
}

/* ImplicitConfirmValue ::= NULL (RFC 4210 5.1.1.1) */
int p11cmp_hdr_set_implicitConfirm(P11CMP_PKIHEADER *hdr)
{
    ASN1_TYPE *null = NULL;
    P11CMP_ITAV *itav = NULL;

    if (hdr == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (p11cmp_hdr_has_implicitConfirm(hdr))
        return 1;
    if ((null = ASN1_TYPE_new()) == NULL)
        goto oom;
    ASN1_TYPE_set(null, V_ASN1_NULL, NULL);
    itav = P11CMP_ITAV_create(OBJ_nid2obj(NID_id_it_implicitConfirm), null);
    if (itav == NULL) {
        ASN1_TYPE_free(null);
        return 0;
    }
    if (!P11CMP_ITAV_push0_stack_item(&hdr->generalInfo, itav)) {
        P11CMP_ITAV_free(itav);
        return 0;
    }
    return 1;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return 0;
}

/* The sender name of requests (see p11cmp_hdr_init()), borrowed */
static const X509_NAME *sender_name(const P11CMP_CTX *ctx)
{
    if (ctx->cert != NULL)
        return X509_get_subject_name(ctx->cert);
    if (ctx->oldCert != NULL)
        return X509_get_subject_name(ctx->oldCert);
    if (ctx->p10CSR != NULL)
        return X509_REQ_get_subject_name(ctx->p10CSR);
    return ctx->subjectName;
}

/* The recipient name of requests, borrowed; NULL for the NULL-DN */
static const X509_NAME *recipient_name(const P11CMP_CTX *ctx)
{
    if (ctx->recipient != NULL)
        return ctx->recipient;
    if (ctx->srvCert != NULL)
        return X509_get_subject_name(ctx->srvCert);
    if (ctx->issuer != NULL)
        return ctx->issuer;
    if (ctx->oldCert != NULL)
        return X509_get_issuer_name(ctx->oldCert);
    if (ctx->cert != NULL)
        return X509_get_issuer_name(ctx->cert);
    return NULL;
}

/* transactionID of hdr := the one kept in ctx, created there first */
static int set_transactionID(P11CMP_CTX *ctx, P11CMP_PKIHEADER *hdr)
{
    ASN1_OCTET_STRING *tid = NULL;

    if (ctx->transactionID == NULL) {
        if (!p11cmp_set_random_octets(&tid, ctx->libctx, P11CMP_NONCE_LEN))
            return 0;
        if (!P11CMP_CTX_set1_transactionID(ctx, tid)) {
            ASN1_OCTET_STRING_free(tid);
            return 0;
        }
        ASN1_OCTET_STRING_free(tid);
        p11cmp_log_debug(ctx, "starting a new transaction");
    }
    return p11cmp_octets_set1(&hdr->transactionID, ctx->transactionID);
}

/* transactionID (kept in ctx) and a fresh senderNonce (copied to ctx) */
static int set_ids_and_nonces(P11CMP_CTX *ctx, P11CMP_PKIHEADER *hdr)
{
    if (!set_transactionID(ctx, hdr)
        || !p11cmp_set_random_octets(&hdr->senderNonce, ctx->libctx,
                                     P11CMP_NONCE_LEN)
        || !P11CMP_CTX_set1_senderNonce(ctx, hdr->senderNonce))
        return 0;
    return p11cmp_octets_set1(&hdr->recipNonce, ctx->recipNonce);
}

int p11cmp_hdr_init(P11CMP_CTX *ctx, P11CMP_PKIHEADER *hdr)
{
    int i;

    if (ctx == NULL || hdr == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (!p11cmp_hdr_set_pvno(hdr, P11CMP_PVNO)
        || !p11cmp_hdr_set1_sender(hdr, sender_name(ctx))
        || !p11cmp_hdr_set1_recipient(hdr, recipient_name(ctx))
        || !p11cmp_hdr_update_messageTime(hdr)
        || !set_ids_and_nonces(ctx, hdr))
        return 0;
    for (i = 0; i < sk_P11CMP_ITAV_num(ctx->geninfo_ITAVs); i++)
        if (!p11cmp_hdr_push1_generalInfo(hdr,
                sk_P11CMP_ITAV_value(ctx->geninfo_ITAVs, i)))
            return 0;
    return 1;
}

/*
 * After a header field of msg changed: a protected msg gets protection
 * anew from ctx's credentials (p11cmp_msg_protect()); an unprotected one
 * stays so and only drops the bytes it was received as.
 */
static int reprotect(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    if (msg->header->protectionAlg == NULL) {
        p11cmp_MSG_forget_received(msg);
        return 1;
    }
    return p11cmp_msg_protect(ctx, msg);
}

int P11CMP_MSG_update_transactionID(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    if (ctx == NULL || msg == NULL || msg->header == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    return set_transactionID(ctx, msg->header) && reprotect(ctx, msg);
}

int P11CMP_MSG_update_recipNonce(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    if (ctx == NULL || msg == NULL || msg->header == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (ctx->recipNonce == NULL) /* no response yet: nothing to echo */
        return 1;
    return p11cmp_octets_set1(&msg->header->recipNonce, ctx->recipNonce)
        && reprotect(ctx, msg);
}
