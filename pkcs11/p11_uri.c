/*
 * pkcs11/p11_uri.c - RFC 7512 pkcs11: URIs, parsed by p11-kit: token
 * fields for matching, the object part (object=, id=, type=), the module
 * (module-path, or module-name resolved through p11-kit's module
 * configuration) and the PIN fields. Keeps a PIN-free text for messages.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "p11_local.h"

struct p11cmp_p11_uri_st {
    P11KitUri *kit;
    char *text;           /* formatted without pin-value */
    char *module;         /* module path to load */
    char *pin_value;      /* cleansed on free */
    char *label;
    unsigned char *id;
    size_t idlen;
    CK_ULONG cls;
};

int p11cmp_p11_is_uri(const char *text)
{
    return text != NULL && strncasecmp(text, "pkcs11:", 7) == 0;
}

/* Looks module-name up in p11-kit's configuration; new path or NULL. */
static char *module_by_name(const char *name)
{
    CK_FUNCTION_LIST **mods;
    CK_FUNCTION_LIST *mod;
    char *file, *res = NULL;

    mods = p11_kit_modules_load(NULL, P11_KIT_MODULE_UNMANAGED);
    if (mods == NULL) {
        p11cmp_raise_data(P11CMP_R_MODULE_LOAD_FAILED,
                          "module-name=%s: p11-kit configuration: %s",
                          name, p11_kit_message());
        return NULL;
    }
    mod = p11_kit_module_for_name(mods, name);
    file = mod != NULL ? p11_kit_module_get_filename(mod) : NULL;
    if (file != NULL)
        res = OPENSSL_strdup(file);
    free(file);
    p11_kit_modules_release(mods);
    if (res == NULL)
        p11cmp_raise_data(P11CMP_R_MODULE_LOAD_FAILED,
                          "module-name=%s: not in p11-kit configuration",
                          name);
    return res;
}

static int uri_bad(const char *text, const char *why)
{
    size_t n = 0;

    /* Only the path part: the query may carry a pin-value. */
    if (text != NULL)
        n = strcspn(text, "?");
    p11cmp_raise_data(P11CMP_R_INVALID_URI, "%s: %.*s%s", why, (int)n,
                      text != NULL ? text : "(null)",
                      text != NULL && text[n] != '\0' ? "?..." : "");
    return 0;
}

static int take_object_part(P11CMP_P11_URI *u)
{
    CK_ATTRIBUTE *a;

    u->cls = (CK_ULONG)-1;
    if ((a = p11_kit_uri_get_attribute(u->kit, CKA_LABEL)) != NULL
        && (u->label = OPENSSL_strndup(a->pValue, a->ulValueLen)) == NULL)
        return 0;
    if ((a = p11_kit_uri_get_attribute(u->kit, CKA_ID)) != NULL
        && a->ulValueLen > 0) {
        if ((u->id = OPENSSL_memdup(a->pValue, a->ulValueLen)) == NULL)
            return 0;
        u->idlen = a->ulValueLen;
    }
    if ((a = p11_kit_uri_get_attribute(u->kit, CKA_CLASS)) != NULL
        && a->ulValueLen == sizeof(CK_OBJECT_CLASS))
        u->cls = *(CK_OBJECT_CLASS *)a->pValue;
    return 1;
}

static int take_module_and_pin(P11CMP_P11_URI *u)
{
    const char *s;

    if ((s = p11_kit_uri_get_pin_value(u->kit)) != NULL) {
        if ((u->pin_value = OPENSSL_strdup(s)) == NULL)
            return 0;
        p11_kit_uri_set_pin_value(u->kit, NULL);
    }
    if ((s = p11_kit_uri_get_module_path(u->kit)) != NULL)
        u->module = OPENSSL_strdup(s);
    else if ((s = p11_kit_uri_get_module_name(u->kit)) != NULL)
        return (u->module = module_by_name(s)) != NULL;
    else
        u->module = OPENSSL_strdup(p11cmp_p11_default_module());
    return u->module != NULL;
}

P11CMP_P11_URI *p11cmp_p11_uri_parse(const char *text)
{
    P11CMP_P11_URI *u = NULL;
    int rc;

    if (!p11cmp_p11_is_uri(text)) {
        uri_bad(text, "not a pkcs11: URI");
        return NULL;
    }
    if ((u = OPENSSL_zalloc(sizeof(*u))) == NULL
        || (u->kit = p11_kit_uri_new()) == NULL)
        goto oom;
    rc = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, u->kit);
    if (rc != P11_KIT_URI_OK) {
        uri_bad(text, p11_kit_uri_message(rc));
        goto err;
    }
    if (p11_kit_uri_any_unrecognized(u->kit)) {
        uri_bad(text, "unrecognized attribute");
        goto err;
    }
    if (!take_object_part(u))
        goto oom;
    if (!take_module_and_pin(u))
        goto err;
    if (p11_kit_uri_format(u->kit, P11_KIT_URI_FOR_ANY, &u->text)
        != P11_KIT_URI_OK)
        goto oom;
    return u;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
 err:
    p11cmp_p11_uri_free(u);
    return NULL;
}

void p11cmp_p11_uri_free(P11CMP_P11_URI *u)
{
    if (u == NULL)
        return;
    if (u->kit != NULL)
        p11_kit_uri_free(u->kit);
    free(u->text);
    OPENSSL_free(u->module);
    OPENSSL_clear_free(u->pin_value,
                       u->pin_value != NULL ? strlen(u->pin_value) : 0);
    OPENSSL_free(u->label);
    OPENSSL_free(u->id);
    OPENSSL_free(u);
}

const char *p11cmp_p11_uri_text(const P11CMP_P11_URI *u)
{
    return u != NULL && u->text != NULL ? u->text : "(none)";
}

const char *p11cmp_p11_uri_module(const P11CMP_P11_URI *u)
{
    return u->module;
}

int p11cmp_p11_uri_match_token(const P11CMP_P11_URI *u, CK_TOKEN_INFO *info)
{
    return p11_kit_uri_match_token_info(u->kit, info);
}

const char *p11cmp_p11_uri_label(const P11CMP_P11_URI *u)
{
    return u->label;
}

const unsigned char *p11cmp_p11_uri_id(const P11CMP_P11_URI *u, size_t *len)
{
    *len = u->idlen;
    return u->id;
}

CK_ULONG p11cmp_p11_uri_class(const P11CMP_P11_URI *u)
{
    return u->cls;
}

const char *p11cmp_p11_uri_pin_value(const P11CMP_P11_URI *u)
{
    return u->pin_value;
}

const char *p11cmp_p11_uri_pin_source(const P11CMP_P11_URI *u)
{
    return p11_kit_uri_get_pin_source(u->kit);
}
