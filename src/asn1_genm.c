/*
 * src/asn1_genm.c - ASN.1 of the general messages of RFC 9810 5.3.19 that
 * p11cmp knows (caCerts, rootCaCert, rootCaKeyUpdate, certReqTemplate,
 * crlStatusList, crls, and certProfile of the generalInfo header field)
 * and of the keySpec controls: the infoType OIDs by
 * text (OpenSSL 3.0 has NIDs for only some of them), the templates of
 * their values, and the decoded view an ITAV keeps of such a value
 * (see struct p11cmp_itav_st in local.h). The CMP module uses EXPLICIT
 * tags.
 */
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>

#include "local.h"

ASN1_SEQUENCE(p11cmp_ROOTCAKEYUPDATE) = {
    ASN1_SIMPLE(p11cmp_ROOTCAKEYUPDATE, newWithNew, X509),
    ASN1_EXP_OPT(p11cmp_ROOTCAKEYUPDATE, newWithOld, X509, 0),
    ASN1_EXP_OPT(p11cmp_ROOTCAKEYUPDATE, oldWithNew, X509, 1)
} ASN1_SEQUENCE_END(p11cmp_ROOTCAKEYUPDATE)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_ROOTCAKEYUPDATE)

ASN1_SEQUENCE(p11cmp_CERTREQTEMPLATE) = {
    ASN1_SIMPLE(p11cmp_CERTREQTEMPLATE, certTemplate,
                p11cmp_CRMF_CERTTEMPLATE),
    ASN1_SEQUENCE_OF_OPT(p11cmp_CERTREQTEMPLATE, keySpec, p11cmp_CRMF_ATAV)
} ASN1_SEQUENCE_END(p11cmp_CERTREQTEMPLATE)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_CERTREQTEMPLATE)

ASN1_CHOICE(p11cmp_CRLSOURCE) = {
    ASN1_EXP(p11cmp_CRLSOURCE, value.dpn, DIST_POINT_NAME, 0),
    ASN1_EXP_SEQUENCE_OF(p11cmp_CRLSOURCE, value.issuer, GENERAL_NAME, 1)
} ASN1_CHOICE_END(p11cmp_CRLSOURCE)
IMPLEMENT_ASN1_FUNCTIONS(p11cmp_CRLSOURCE)

ASN1_SEQUENCE(p11cmp_CRLSTATUS) = {
    ASN1_SIMPLE(P11CMP_CRLSTATUS, source, p11cmp_CRLSOURCE),
    ASN1_OPT(P11CMP_CRLSTATUS, thisUpdate, ASN1_TIME)
} ASN1_SEQUENCE_END_name(P11CMP_CRLSTATUS, p11cmp_CRLSTATUS)
IMPLEMENT_ASN1_ALLOC_FUNCTIONS_fname(P11CMP_CRLSTATUS, p11cmp_CRLSTATUS,
                                     p11cmp_CRLSTATUS)

P11CMP_CRLSTATUS *p11cmp_CRLSTATUS_dup(const P11CMP_CRLSTATUS *st)
{
    return ASN1_item_dup(ASN1_ITEM_rptr(p11cmp_CRLSTATUS), st);
}

ASN1_ITEM_TEMPLATE(p11cmp_CRLSTATUSLIST) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, p11cmp_CRLSTATUSLIST,
                          p11cmp_CRLSTATUS)
ASN1_ITEM_TEMPLATE_END(p11cmp_CRLSTATUSLIST)

ASN1_ITEM_TEMPLATE(p11cmp_CERTS) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, p11cmp_CERTS, X509)
ASN1_ITEM_TEMPLATE_END(p11cmp_CERTS)

ASN1_ITEM_TEMPLATE(p11cmp_UTF8STRINGS) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, p11cmp_UTF8STRINGS,
                          ASN1_UTF8STRING)
ASN1_ITEM_TEMPLATE_END(p11cmp_UTF8STRINGS)

ASN1_ITEM_TEMPLATE(p11cmp_CRLS) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, p11cmp_CRLS, X509_CRL)
ASN1_ITEM_TEMPLATE_END(p11cmp_CRLS)

struct oid_kind {
    int kind;
    const char *oid;
};

/* the infoTypes, id-it = 1.3.6.1.5.5.7.4 */
static const struct oid_kind infotypes[] = {
    { P11CMP_IT_CACERTS, "1.3.6.1.5.5.7.4.17" },
    { P11CMP_IT_ROOTCAKEYUPDATE, "1.3.6.1.5.5.7.4.18" },
    { P11CMP_IT_CERTREQTEMPLATE, "1.3.6.1.5.5.7.4.19" },
    { P11CMP_IT_ROOTCACERT, "1.3.6.1.5.5.7.4.20" },
    { P11CMP_IT_CERTPROFILE, "1.3.6.1.5.5.7.4.21" },
    { P11CMP_IT_CRLSTATUSLIST, "1.3.6.1.5.5.7.4.22" },
    { P11CMP_IT_CRLS, "1.3.6.1.5.5.7.4.23" },
    { 0, NULL }
};

/* the keySpec controls, id-regCtrl = 1.3.6.1.5.5.7.5.1 */
static const struct oid_kind regctrls[] = {
    { P11CMP_REGCTRL_ALGID, "1.3.6.1.5.5.7.5.1.11" },
    { P11CMP_REGCTRL_RSAKEYLEN, "1.3.6.1.5.5.7.5.1.12" },
    { 0, NULL }
};

/* the kind of obj in table, or 0 */
static int kind_of(const struct oid_kind *table, const ASN1_OBJECT *obj)
{
    char buf[64];

    if (obj == NULL || OBJ_obj2txt(buf, sizeof(buf), obj, 1) <= 0)
        return 0;
    for (; table->oid != NULL; table++)
        if (strcmp(buf, table->oid) == 0)
            return table->kind;
    return 0;
}

/* a new object of the OID of kind in table, or NULL (raised) */
static ASN1_OBJECT *obj_of(const struct oid_kind *table, int kind)
{
    ASN1_OBJECT *obj = NULL;

    for (; table->oid != NULL && obj == NULL; table++)
        if (table->kind == kind && (obj = OBJ_txt2obj(table->oid, 1)) == NULL)
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return obj;
}

int p11cmp_it_kind(const ASN1_OBJECT *obj)
{
    return kind_of(infotypes, obj);
}

ASN1_OBJECT *p11cmp_it_obj(int kind)
{
    return obj_of(infotypes, kind);
}

int p11cmp_regctrl_kind(const ASN1_OBJECT *obj)
{
    return kind_of(regctrls, obj);
}

ASN1_OBJECT *p11cmp_regctrl_obj(int kind)
{
    return obj_of(regctrls, kind);
}

const ASN1_ITEM *p11cmp_it_item(int kind)
{
    switch (kind) {
    case P11CMP_IT_CACERTS:
        return ASN1_ITEM_rptr(p11cmp_CERTS);
    case P11CMP_IT_ROOTCAKEYUPDATE:
        return ASN1_ITEM_rptr(p11cmp_ROOTCAKEYUPDATE);
    case P11CMP_IT_CERTREQTEMPLATE:
        return ASN1_ITEM_rptr(p11cmp_CERTREQTEMPLATE);
    case P11CMP_IT_ROOTCACERT:
        return ASN1_ITEM_rptr(X509);
    case P11CMP_IT_CRLSTATUSLIST:
        return ASN1_ITEM_rptr(p11cmp_CRLSTATUSLIST);
    case P11CMP_IT_CRLS:
        return ASN1_ITEM_rptr(p11cmp_CRLS);
    case P11CMP_IT_CERTPROFILE:
        return ASN1_ITEM_rptr(p11cmp_UTF8STRINGS);
    default:
        return NULL;
    }
}

/* Drops the decoded view of itav. */
void p11cmp_itav_drop_decoded(P11CMP_ITAV *itav)
{
    const ASN1_ITEM *it = p11cmp_it_item(itav->kind);

    if (it != NULL && itav->decoded != NULL)
        ASN1_item_free(itav->decoded, it);
    itav->decoded = NULL;
    itav->kind = 0;
}

/*
 * Sets the decoded view of itav from its type and value. A value that
 * does not decode leaves it NULL without an error on the stack: the
 * getters report it (p11cmp_itav_get0_decoded()).
 */
void p11cmp_itav_decode(P11CMP_ITAV *itav)
{
    const ASN1_ITEM *it;

    p11cmp_itav_drop_decoded(itav);
    itav->kind = p11cmp_it_kind(itav->infoType);
    if ((it = p11cmp_it_item(itav->kind)) == NULL || itav->infoValue == NULL)
        return;
    ERR_set_mark();
    if (itav->infoValue->type == V_ASN1_SEQUENCE)
        itav->decoded = ASN1_TYPE_unpack_sequence(it, itav->infoValue);
    ERR_pop_to_mark();
}

/*
 * The decoded value of itav, which must be of kind (name for errors),
 * in *out (borrowed; NULL if the value is absent). 1, or 0 with an error
 * if itav is NULL, of another type or its value does not decode.
 */
int p11cmp_itav_get0_decoded(const P11CMP_ITAV *itav, int kind,
                             const char *name, void **out)
{
    if (out != NULL)
        *out = NULL;
    if (itav == NULL || out == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (itav->kind != kind) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "ITAV is not of type %s", name);
        return 0;
    }
    if (itav->infoValue != NULL && itav->decoded == NULL) {
        p11cmp_raise_data(P11CMP_R_ASN1_DECODE_ERROR,
                          "invalid %s value", name);
        return 0;
    }
    *out = itav->decoded;
    return 1;
}

/*
 * A new ITAV of kind with value decoded (taken on success; may be NULL
 * for an ITAV without value), encoded into infoValue. NULL on error.
 */
P11CMP_ITAV *p11cmp_itav_new_decoded(int kind, void *decoded)
{
    ASN1_OBJECT *obj = p11cmp_it_obj(kind);
    ASN1_TYPE *val = NULL;
    P11CMP_ITAV *itav = NULL;

    if (obj == NULL)
        return NULL;
    if (decoded != NULL
            && ASN1_TYPE_pack_sequence(p11cmp_it_item(kind), decoded,
                                       &val) == NULL) {
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        goto err;
    }
    if ((itav = P11CMP_ITAV_create(obj, val)) == NULL)
        goto err;
    /* P11CMP_ITAV_create() decoded val again: keep the caller's object */
    p11cmp_itav_drop_decoded(itav);
    itav->kind = kind;
    itav->decoded = decoded;
    return itav;
 err:
    ASN1_TYPE_free(val);
    ASN1_OBJECT_free(obj);
    return NULL;
}
