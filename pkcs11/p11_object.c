/*
 * pkcs11/p11_object.c - token objects: find by template or by the object
 * part of a URI, read and set attributes, create and destroy, delete by
 * CKA_ID or CKA_LABEL. Each is one retried unit of module calls.
 */
#include "config.h"

#include <string.h>

#include "p11_local.h"

static CK_RV find_once(P11CMP_P11_TOKEN *tok, CK_ATTRIBUTE *tmpl,
                       CK_ULONG n, CK_OBJECT_HANDLE *out, CK_ULONG max,
                       CK_ULONG *count)
{
    CK_RV rv, rv2;

    *count = 0;
    (void)P11CMP_P11_CALL(tok, rv, C_FindObjectsInit, tok->session, tmpl, n);
    if (rv == CKR_OPERATION_ACTIVE) {
        /* an earlier search whose C_FindObjectsFinal failed: end it */
        (void)P11CMP_P11_CALL(tok, rv2, C_FindObjectsFinal, tok->session);
        (void)P11CMP_P11_CALL(tok, rv, C_FindObjectsInit, tok->session,
                              tmpl, n);
    }
    if (rv != CKR_OK)
        return rv;
    (void)P11CMP_P11_CALL(tok, rv, C_FindObjects, tok->session, out, max,
                          count);
    (void)P11CMP_P11_CALL(tok, rv2, C_FindObjectsFinal, tok->session);
    return rv != CKR_OK ? rv : rv2;
}

int p11cmp_p11_find(P11CMP_P11_TOKEN *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv, rv = find_once(tok, tmpl, n, out, max,
                                             count));
    if (rv != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "finding objects");
        return 0;
    }
    return 1;
}

int p11cmp_p11_refind(P11CMP_P11_TOKEN *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *h)
{
    CK_OBJECT_HANDLE found[2];
    CK_ULONG count = 0;
    const char *fn = tok->last_fn; /* the failure to report if not */
    CK_RV rv = tok->last_rv;
    int res;

    ERR_set_mark();
    res = p11cmp_p11_token_login(tok)
        && p11cmp_p11_find(tok, tmpl, n, found, 2, &count) && count == 1;
    (void)ERR_pop_to_mark();
    if (res)
        *h = found[0];
    tok->last_fn = fn;
    tok->last_rv = rv;
    return res;
}

int p11cmp_p11_find_uri(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri,
                        CK_ULONG cls, CK_OBJECT_HANDLE *out, CK_ULONG max,
                        CK_ULONG *count)
{
    CK_ATTRIBUTE tmpl[3];
    CK_ULONG n = 0;
    const unsigned char *id;
    size_t idlen;
    const char *label = p11cmp_p11_uri_label(uri);

    if (cls == (CK_ULONG)-1)
        cls = p11cmp_p11_uri_class(uri);
    if (cls != (CK_ULONG)-1) {
        tmpl[n].type = CKA_CLASS;
        tmpl[n].pValue = &cls;
        tmpl[n++].ulValueLen = sizeof(cls);
    }
    if (label != NULL) {
        tmpl[n].type = CKA_LABEL;
        tmpl[n].pValue = (void *)label;
        tmpl[n++].ulValueLen = strlen(label);
    }
    if ((id = p11cmp_p11_uri_id(uri, &idlen)) != NULL) {
        tmpl[n].type = CKA_ID;
        tmpl[n].pValue = (void *)id;
        tmpl[n++].ulValueLen = idlen;
    }
    return p11cmp_p11_find(tok, tmpl, n, out, max, count);
}

int p11cmp_p11_find_one(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri,
                        const struct p11cmp_p11_kind *kind,
                        CK_OBJECT_HANDLE *obj)
{
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ULONG n = 0;
    CK_ULONG cls = p11cmp_p11_uri_class(uri);

    if (cls != (CK_ULONG)-1 && cls != kind->cls) {
        p11cmp_raise_data(kind->not_found, "type= must be %s; uri=%s",
                          kind->type, p11cmp_p11_uri_text(uri));
        return 0;
    }
    if (!p11cmp_p11_find_uri(tok, uri, kind->cls, objs,
                             P11CMP_P11_MAX_OBJECTS, &n))
        return 0;
    if (n != 1) {
        p11cmp_raise_data(n == 0 ? kind->not_found : kind->ambiguous,
                          "%lu %s match uri=%s", (unsigned long)n,
                          kind->what, p11cmp_p11_uri_text(uri));
        return 0;
    }
    *obj = objs[0];
    return 1;
}

static CK_RV get_attr_once(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                           CK_ATTRIBUTE *a)
{
    CK_RV rv;

    OPENSSL_free(a->pValue);
    a->pValue = NULL;
    if (P11CMP_P11_CALL(tok, rv, C_GetAttributeValue, tok->session, h, a, 1)
        != CKR_OK)
        return rv;
    if (a->ulValueLen == (CK_ULONG)-1)
        return CKR_ATTRIBUTE_TYPE_INVALID;
    if ((a->pValue = OPENSSL_zalloc(a->ulValueLen + 1)) == NULL)
        return CKR_HOST_MEMORY;
    return P11CMP_P11_CALL(tok, rv, C_GetAttributeValue, tok->session, h,
                           a, 1);
}

int p11cmp_p11_get_attr(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                        CK_ATTRIBUTE_TYPE type, unsigned char **val,
                        size_t *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv, rv = get_attr_once(tok, h, &a));
    if (rv != CKR_OK) {
        OPENSSL_free(a.pValue);
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "reading attribute");
        return 0;
    }
    *val = a.pValue;
    if (len != NULL)
        *len = a.ulValueLen;
    return 1;
}

int p11cmp_p11_get_ulong(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                         CK_ATTRIBUTE_TYPE type, CK_ULONG *val)
{
    unsigned char *v = NULL;
    size_t len = 0;
    int res = 0;

    if (!p11cmp_p11_get_attr(tok, h, type, &v, &len))
        return 0;
    if (len == sizeof(CK_ULONG)) {
        memcpy(val, v, sizeof(CK_ULONG));
        res = 1;
    } else {
        p11cmp_raise_data(P11CMP_R_PKCS11_ERROR,
                          "attribute 0x%lx has %zu bytes; uri=%s",
                          (unsigned long)type, len, p11cmp_p11_token_uri(tok));
    }
    OPENSSL_free(v);
    return res;
}

int p11cmp_p11_get_bool(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                        CK_ATTRIBUTE_TYPE type, int *val)
{
    unsigned char *v = NULL;
    size_t len = 0;

    if (!p11cmp_p11_get_attr(tok, h, type, &v, &len))
        return 0;
    *val = len == 1 && v[0] != CK_FALSE;
    OPENSSL_free(v);
    return 1;
}

int p11cmp_p11_set_attrs(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                         CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv,
                     P11CMP_P11_CALL(tok, rv, C_SetAttributeValue,
                                     tok->session, h, tmpl, n));
    if (rv != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "setting attributes");
        return 0;
    }
    return 1;
}

int p11cmp_p11_create(P11CMP_P11_TOKEN *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *h)
{
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv,
                     P11CMP_P11_CALL(tok, rv, C_CreateObject, tok->session,
                                     tmpl, n, h));
    if (rv != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_STORE_FAILED, "creating an object");
        return 0;
    }
    return 1;
}

int p11cmp_p11_destroy(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    CK_RV rv;

    P11CMP_P11_RETRY(tok, rv,
                     P11CMP_P11_CALL(tok, rv, C_DestroyObject, tok->session,
                                     h));
    if (rv != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "destroying an object");
        return 0;
    }
    return 1;
}

int p11cmp_p11_delete(P11CMP_P11_TOKEN *tok, const unsigned char *id,
                      size_t idlen, const char *label, unsigned int classes,
                      int *count)
{
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ATTRIBUTE a;
    CK_ULONG n = 0, i, cls;
    int done = 0, res = 1;

    if (classes == 0)
        classes = 1u << CKO_CERTIFICATE | 1u << CKO_PUBLIC_KEY
            | 1u << CKO_PRIVATE_KEY;
    if (id != NULL) {
        a.type = CKA_ID;
        a.pValue = (void *)id;
        a.ulValueLen = idlen;
    } else if (label != NULL) {
        a.type = CKA_LABEL;
        a.pValue = (void *)label;
        a.ulValueLen = strlen(label);
    } else {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (!p11cmp_p11_find(tok, &a, 1, objs, P11CMP_P11_MAX_OBJECTS, &n))
        return 0;
    for (i = 0; i < n; i++) {
        if (!p11cmp_p11_get_ulong(tok, objs[i], CKA_CLASS, &cls))
            res = 0;
        else if (cls < 32 && (classes & (1u << cls)) != 0) {
            if (p11cmp_p11_destroy(tok, objs[i]))
                done++;
            else
                res = 0;
        }
    }
    if (count != NULL)
        *count = done;
    return res;
}
