/*
 * src/crmf_pub.c - the public face of two CRMF structures a genp
 * certReqTemplate hands out: the CertTemplate (P11CMP_CRMF_CERTTEMPLATE,
 * getters as OpenSSL's OSSL_CRMF_CERTTEMPLATE_get0_*) and the keySpec
 * controls (P11CMP_ATAV / P11CMP_ATAVS, as OpenSSL 3.5's OSSL_CMP_ATAV_*):
 * id-regCtrl-algId with an AlgorithmIdentifier and id-regCtrl-rsaKeyLen
 * with an INTEGER (RFC 9810 5.3.19.16).
 */
#include <limits.h>

#include <openssl/asn1t.h>

#include "local.h"

/* the certificate template */

void P11CMP_CRMF_CERTTEMPLATE_free(P11CMP_CRMF_CERTTEMPLATE *tmpl)
{
    p11cmp_CRMF_CERTTEMPLATE_free(tmpl);
}

P11CMP_CRMF_CERTTEMPLATE *P11CMP_CRMF_CERTTEMPLATE_dup(
    const P11CMP_CRMF_CERTTEMPLATE *tmpl)
{
    P11CMP_CRMF_CERTTEMPLATE *copy;

    if (tmpl == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((copy = p11cmp_CRMF_CERTTEMPLATE_dup(tmpl)) == NULL)
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return copy;
}

P11CMP_CRMF_CERTTEMPLATE *d2i_P11CMP_CRMF_CERTTEMPLATE(
    P11CMP_CRMF_CERTTEMPLATE **tmpl, const unsigned char **in, long len)
{
    return d2i_p11cmp_CRMF_CERTTEMPLATE(tmpl, in, len);
}

int i2d_P11CMP_CRMF_CERTTEMPLATE(const P11CMP_CRMF_CERTTEMPLATE *tmpl,
                                 unsigned char **out)
{
    return i2d_p11cmp_CRMF_CERTTEMPLATE(tmpl, out);
}

#define TMPL_GET0(FUNC, TYPE, FIELD)                                \
    TYPE *FUNC(const P11CMP_CRMF_CERTTEMPLATE *tmpl)                \
    {                                                               \
        if (tmpl == NULL) {                                         \
            p11cmp_raise(P11CMP_R_NULL_ARGUMENT);                   \
            return NULL;                                            \
        }                                                           \
        return tmpl->FIELD;                                         \
    }

TMPL_GET0(P11CMP_CRMF_CERTTEMPLATE_get0_subject, X509_NAME, subject)
TMPL_GET0(P11CMP_CRMF_CERTTEMPLATE_get0_issuer, X509_NAME, issuer)
TMPL_GET0(P11CMP_CRMF_CERTTEMPLATE_get0_serialNumber, ASN1_INTEGER,
          serialNumber)
TMPL_GET0(P11CMP_CRMF_CERTTEMPLATE_get0_publicKey, X509_PUBKEY, publicKey)
TMPL_GET0(P11CMP_CRMF_CERTTEMPLATE_get0_extensions, X509_EXTENSIONS,
          extensions)

/* the keySpec controls */

ASN1_ITEM_TEMPLATE(p11cmp_ATAVS) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, p11cmp_ATAVS,
                          p11cmp_CRMF_ATAV)
ASN1_ITEM_TEMPLATE_END(p11cmp_ATAVS)

void P11CMP_ATAV_free(P11CMP_ATAV *atav)
{
    p11cmp_CRMF_ATAV_free(atav);
}

void P11CMP_ATAVS_free(P11CMP_ATAVS *atavs)
{
    sk_P11CMP_ATAV_pop_free(atavs, P11CMP_ATAV_free);
}

P11CMP_ATAVS *P11CMP_ATAVS_dup(const P11CMP_ATAVS *atavs)
{
    P11CMP_ATAVS *copy = ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_ATAVS), atavs);

    if (copy == NULL)
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return copy;
}

P11CMP_ATAVS *d2i_P11CMP_ATAVS(P11CMP_ATAVS **atavs,
                               const unsigned char **in, long len)
{
    return (P11CMP_ATAVS *)ASN1_item_d2i((ASN1_VALUE **)atavs, in, len,
                                         ASN1_ITEM_rptr(p11cmp_ATAVS));
}

int i2d_P11CMP_ATAVS(const P11CMP_ATAVS *atavs, unsigned char **out)
{
    return ASN1_item_i2d((const ASN1_VALUE *)atavs, out,
                         ASN1_ITEM_rptr(p11cmp_ATAVS));
}

P11CMP_ATAV *P11CMP_ATAV_create(ASN1_OBJECT *type, ASN1_TYPE *value)
{
    P11CMP_ATAV *atav;

    if (type == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((atav = p11cmp_CRMF_ATAV_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    P11CMP_ATAV_set0(atav, type, value);
    return atav;
}

/* Replaces type and value of atav, taking both (a value of an OID with a
 * decoded form in p11cmp, as oldCertID, is kept only as its type says). */
void P11CMP_ATAV_set0(P11CMP_ATAV *atav, ASN1_OBJECT *type, ASN1_TYPE *value)
{
    if (atav == NULL)
        return;
    if (atav->type != type)
        ASN1_OBJECT_free(atav->type);
    if (OBJ_obj2nid(atav->type) == NID_id_regCtrl_oldCertID)
        p11cmp_CRMF_CERTID_free(atav->value.oldCertID);
    else if (atav->value.other != value)
        ASN1_TYPE_free(atav->value.other);
    X509_ALGOR_free(atav->algId);
    atav->algId = NULL;
    atav->type = type;
    atav->value.other = value;
    if (p11cmp_regctrl_kind(type) == P11CMP_REGCTRL_ALGID) {
        ERR_set_mark();
        atav->algId = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
                                                value);
        ERR_pop_to_mark();
    }
}

ASN1_OBJECT *P11CMP_ATAV_get0_type(const P11CMP_ATAV *atav)
{
    return atav == NULL ? NULL : atav->type;
}

ASN1_TYPE *P11CMP_ATAV_get0_value(const P11CMP_ATAV *atav)
{
    if (atav == NULL || OBJ_obj2nid(atav->type) == NID_id_regCtrl_oldCertID)
        return NULL;
    return atav->value.other;
}

/* a new ATAV of control kind with value (taken), or NULL */
static P11CMP_ATAV *regctrl_new(int kind, ASN1_TYPE *value)
{
    ASN1_OBJECT *obj = p11cmp_regctrl_obj(kind);
    P11CMP_ATAV *atav = obj == NULL ? NULL : P11CMP_ATAV_create(obj, value);

    if (atav == NULL) {
        ASN1_OBJECT_free(obj);
        ASN1_TYPE_free(value);
    }
    return atav;
}

P11CMP_ATAV *P11CMP_ATAV_new_algId(const X509_ALGOR *alg)
{
    ASN1_TYPE *val = NULL;

    if (alg == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(X509_ALGOR), (void *)alg,
                                &val) == NULL) {
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        return NULL;
    }
    return regctrl_new(P11CMP_REGCTRL_ALGID, val);
}

X509_ALGOR *P11CMP_ATAV_get0_algId(const P11CMP_ATAV *atav)
{
    if (atav == NULL || p11cmp_regctrl_kind(atav->type)
            != P11CMP_REGCTRL_ALGID)
        return NULL;
    return atav->algId;
}

P11CMP_ATAV *P11CMP_ATAV_new_rsaKeyLen(int len)
{
    ASN1_INTEGER *ai = NULL;
    ASN1_TYPE *val = NULL;

    if (len <= 0) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT, "rsaKeyLen %d", len);
        return NULL;
    }
    if ((ai = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set(ai, len)
            || (val = ASN1_TYPE_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        ASN1_INTEGER_free(ai);
        return NULL;
    }
    ASN1_TYPE_set(val, V_ASN1_INTEGER, ai);
    return regctrl_new(P11CMP_REGCTRL_RSAKEYLEN, val);
}

int P11CMP_ATAV_get_rsaKeyLen(const P11CMP_ATAV *atav)
{
    long len;

    if (atav == NULL || p11cmp_regctrl_kind(atav->type)
            != P11CMP_REGCTRL_RSAKEYLEN
            || atav->value.other == NULL
            || atav->value.other->type != V_ASN1_INTEGER)
        return -1;
    len = ASN1_INTEGER_get(atav->value.other->value.integer);
    return len <= 0 || len > INT_MAX ? -1 : (int)len;
}

int P11CMP_ATAV_push1(P11CMP_ATAVS **sk_p, const P11CMP_ATAV *atav)
{
    P11CMP_ATAV *copy;

    if (sk_p == NULL || atav == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    copy = ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_CRMF_ATAV), atav);
    if (copy == NULL || (*sk_p == NULL
                         && (*sk_p = sk_P11CMP_ATAV_new_null()) == NULL))
        goto oom;
    if (sk_P11CMP_ATAV_push(*sk_p, copy) > 0)
        return 1;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    P11CMP_ATAV_free(copy);
    return 0;
}
