/*
 * src/app/tmpl.c - the certificate template and header pieces of
 * p11cmp(1) made from option text, as openssl cmp reads them: DNs in the
 * "/type=value/type=value" form (-subject, -issuer, -recipient,
 * -expect_sender), -sans, -policy_oids, -reqexts/-policies config
 * sections, -geninfo, -infotype and -profile. Each returns 0 after
 * printing what is wrong with the text (a usage error).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "app.h"

/*
 * One "type=value" element of a "/type=value/..." DN, as openssl(1)
 * reads it: the type runs to the first '=' (no escapes), the value to
 * the next unescaped '/' or '+' ('+' adds to a multi-valued RDN), '\'
 * escapes the next character. The element is copied to buf (type and
 * value NUL-terminated: *val points into buf); *plus tells that a '+'
 * ended it. Returns the position after it, or NULL with *why set.
 */
static const char *next_ava(const char *p, char *buf, char **val, int *plus,
                            const char **why)
{
    char *b = buf;

    while (*p != '\0' && *p != '=')
        *b++ = *p++;
    *b++ = '\0';
    if (*p++ == '\0') {
        *why = "missing '=' after a type";
        return NULL;
    }
    *val = b;
    *plus = 0;
    for (; *p != '\0' && *p != '/'; *b++ = *p++) {
        if (*p == '+') {
            *plus = 1;
            break;
        }
        if (*p == '\\' && *++p == '\0') {
            *why = "'\\' at the end";
            return NULL;
        }
    }
    *b = '\0';
    return *p != '\0' ? p + 1 : p;
}

/*
 * Adds the element to name; as openssl(1), an unknown type or an empty
 * value is skipped with a warning. 1, or 0 if the value is not valid for
 * its type.
 */
static int add_ava(X509_NAME *name, const char *type, const char *val,
                   int multi, const char *opt)
{
    char msg[256];
    int nid = OBJ_txt2nid(type);

    if (nid == NID_undef || *val == '\0') {
        ERR_clear_error();
        snprintf(msg, sizeof(msg), "-%s: skipping %s \"%s\"", opt,
                 nid == NID_undef ? "unknown attribute type"
                 : "empty value of", type);
        app_log_cb(NULL, NULL, 0, P11CMP_LOG_WARNING, msg);
        return 1;
    }
    if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                   (const unsigned char *)val, -1, -1,
                                   multi ? -1 : 0))
        return 1;
    ERR_clear_error();
    return 0;
}

X509_NAME *app_parse_name(const char *dn, const char *opt)
{
    X509_NAME *name = X509_NAME_new();
    char *buf = OPENSSL_malloc(strlen(dn) + 2), *val = NULL;
    const char *p = dn + 1, *why = "not of the form /type=value/...";
    int plus = 0, multi;

    if (name == NULL || buf == NULL)
        goto err;
    if (*dn != '/')
        goto bad;
    while (*p != '\0') {
        multi = plus;
        if ((p = next_ava(p, buf, &val, &plus, &why)) == NULL)
            goto bad;
        if (!add_ava(name, buf, val, multi, opt)) {
            why = "bad value";
            goto bad;
        }
    }
    OPENSSL_free(buf);
    return name;
 bad:
    (void)app_usage_error("-%s: not a DN (%s): '%s'", opt, why, dn);
 err:
    OPENSSL_free(buf);
    X509_NAME_free(name);
    return NULL;
}

/* A GENERAL_NAME for one -sans entry: IP address, URI or DNS name. */
static GENERAL_NAME *san_entry(const char *text)
{
    GENERAL_NAME *gn = NULL;
    ASN1_OCTET_STRING *ip;

    ERR_set_mark();
    if ((ip = a2i_IPADDRESS(text)) != NULL) {
        if ((gn = GENERAL_NAME_new()) != NULL)
            GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
        else
            ASN1_OCTET_STRING_free(ip);
    } else {
        gn = a2i_GENERAL_NAME(NULL, NULL, NULL,
                              strstr(text, "://") != NULL ? GEN_URI
                              : GEN_DNS, text, 0);
    }
    ERR_pop_to_mark();
    return gn;
}

int app_set_sans(struct app *a, const char *list)
{
    char *copy = OPENSSL_strdup(list), *tok, *save = NULL;
    GENERAL_NAME *gn;
    int ok = copy != NULL;

    for (tok = ok ? strtok_r(copy, ", \t", &save) : NULL; ok && tok != NULL;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (strcmp(tok, "critical") == 0) {
            ok = P11CMP_CTX_set_option(a->ctx,
                                       P11CMP_OPT_SUBJECTALTNAME_CRITICAL, 1);
            continue;
        }
        if ((gn = san_entry(tok)) == NULL) {
            (void)app_usage_error("-sans: bad name '%s'", tok);
            ok = 0;
            break;
        }
        ok = P11CMP_CTX_push1_subjectAltName(a->ctx, gn);
        GENERAL_NAME_free(gn);
    }
    OPENSSL_free(copy);
    return ok;
}

int app_set_policy_oids(struct app *a, const char *list)
{
    char *copy = OPENSSL_strdup(list), *tok, *save = NULL;
    POLICYINFO *pi;
    ASN1_OBJECT *obj;
    int ok = copy != NULL;

    if (OPT_STR(a, O_POLICIES) != NULL) {
        OPENSSL_free(copy);
        (void)app_usage_error("policies both from -policies and from "
                              "-policy_oids");
        return 0;
    }
    for (tok = ok ? strtok_r(copy, ", \t", &save) : NULL; ok && tok != NULL;
         tok = strtok_r(NULL, ", \t", &save)) {
        if ((obj = OBJ_txt2obj(tok, 1)) == NULL) {
            ERR_clear_error();
            (void)app_usage_error("-policy_oids: not an OID: '%s'", tok);
            ok = 0;
            break;
        }
        if ((pi = POLICYINFO_new()) == NULL) {
            ASN1_OBJECT_free(obj);
            ok = 0;
            break;
        }
        pi->policyid = obj;
        if (!(ok = P11CMP_CTX_push0_policy(a->ctx, pi)))
            POLICYINFO_free(pi);
    }
    OPENSSL_free(copy);
    return ok;
}

/*
 * As openssl cmp: -reqexts may not bring subject alt names when -sans
 * gives some, nor policies when -policies or -policy_oids do. 1 if not,
 * else 0 after a usage error.
 */
static int reqexts_alone(struct app *a,
                         const STACK_OF(X509_EXTENSION) *exts)
{
    if (OPT_STR(a, O_SANS) != NULL
        && X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0)
        return app_usage_error("subject alt names both in -reqexts [%s] "
                               "and in -sans", OPT_STR(a, O_REQEXTS)) == 0;
    if ((OPT_STR(a, O_POLICIES) != NULL || OPT_STR(a, O_POLICY_OIDS) != NULL)
        && X509v3_get_ext_by_NID(exts, NID_certificate_policies, -1) >= 0)
        return app_usage_error("policies both in -reqexts [%s] and in "
                               "-policies or -policy_oids",
                               OPT_STR(a, O_REQEXTS)) == 0;
    return 1;
}

int app_set_reqexts(struct app *a)
{
    const char *sects[2] = { OPT_STR(a, O_REQEXTS), OPT_STR(a, O_POLICIES) };
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509V3_CTX v3;
    int i;

    if (exts == NULL)
        return 0;
    if (a->conf == NULL) {
        sk_X509_EXTENSION_free(exts);
        return app_usage_error("-reqexts and -policies need -config") == 0;
    }
    X509V3_set_ctx(&v3, NULL, NULL, NULL, NULL, 0);
    X509V3_set_nconf(&v3, a->conf);
    for (i = 0; i < 2; i++) {
        if (sects[i] != NULL
            && !X509V3_EXT_add_nconf_sk(a->conf, &v3, sects[i], &exts)) {
            ERR_clear_error();
            sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
            return app_usage_error("config section [%s]: bad extensions",
                                   sects[i]) == 0;
        }
        if (i == 0 && !reqexts_alone(a, exts)) {
            sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
            return 0;
        }
    }
    if (!P11CMP_CTX_set0_reqExtensions(a->ctx, exts)) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        return 0;
    }
    return 1;
}

int app_set_geninfo(struct app *a, const char *text)
{
    char oid[256], *end;
    const char *colon = strchr(text, ':');
    ASN1_OBJECT *obj = NULL;
    ASN1_INTEGER *aint = NULL;
    ASN1_TYPE *val = NULL;
    P11CMP_ITAV *itav = NULL;
    long n;

    if (colon == NULL || (size_t)(colon - text) >= sizeof(oid)
        || strncmp(colon, ":int:", 5) != 0)
        return app_usage_error("-geninfo: expected OID:int:N, got '%s'",
                               text) == 0;
    memcpy(oid, text, (size_t)(colon - text));
    oid[colon - text] = '\0';
    n = strtol(colon + 5, &end, 10);
    if (colon[5] == '\0' || *end != '\0'
        || (obj = OBJ_txt2obj(oid, 1)) == NULL) {
        ERR_clear_error();
        return app_usage_error("-geninfo: bad OID or number in '%s'",
                               text) == 0;
    }
    if ((aint = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set(aint, n)
        || (val = ASN1_TYPE_new()) == NULL)
        goto err;
    ASN1_TYPE_set(val, V_ASN1_INTEGER, aint);
    aint = NULL;
    if ((itav = P11CMP_ITAV_create(obj, val)) == NULL)
        goto err;
    if (P11CMP_CTX_push0_geninfo_ITAV(a->ctx, itav))
        return 1;
    P11CMP_ITAV_free(itav);
    return 0;
 err:
    ASN1_OBJECT_free(obj);
    ASN1_INTEGER_free(aint);
    ASN1_TYPE_free(val);
    return 0;
}

int app_set_infotype(struct app *a, const char *name)
{
    char buf[128];
    int nid = OBJ_sn2nid(name);
    P11CMP_ITAV *itav;

    if (nid == NID_undef) {
        snprintf(buf, sizeof(buf), "id-it-%s", name);
        nid = OBJ_sn2nid(buf);
    }
    if (nid == NID_undef)
        nid = OBJ_txt2nid(name);
    if (nid == NID_undef) {
        ERR_clear_error();
        return app_usage_error("-infotype: unknown InfoType '%s'", name)
            == 0;
    }
    if ((itav = P11CMP_ITAV_create(OBJ_nid2obj(nid), NULL)) == NULL)
        return 0;
    if (P11CMP_CTX_push0_genm_ITAV(a->ctx, itav))
        return 1;
    P11CMP_ITAV_free(itav);
    return 0;
}

int app_set_profile(struct app *a, const char *name)
{
    STACK_OF(ASN1_UTF8STRING) *names = sk_ASN1_UTF8STRING_new_null();
    ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();
    P11CMP_ITAV *itav = NULL;

    if (names == NULL || s == NULL || !ASN1_STRING_set(s, name, -1)
        || !sk_ASN1_UTF8STRING_push(names, s))
        goto err;
    s = NULL;
    if ((itav = P11CMP_ITAV_new0_certProfile(names)) == NULL)
        goto err;
    names = NULL;
    if (P11CMP_CTX_push0_geninfo_ITAV(a->ctx, itav))
        return 1;
 err:
    P11CMP_ITAV_free(itav);
    ASN1_UTF8STRING_free(s);
    sk_ASN1_UTF8STRING_pop_free(names, ASN1_UTF8STRING_free);
    return 0;
}
