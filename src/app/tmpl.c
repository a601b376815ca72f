/*
 * src/app/tmpl.c - the certificate template and header pieces of
 * p11cmp(1) made from option text, as openssl cmp reads them: DNs in the
 * "/type=value/type=value" form (-subject, -issuer, -recipient,
 * -expect_sender), -sans, -policy_oids, -reqexts/-policies config
 * sections, -geninfo and -infotype. Each returns 0 after printing what is
 * wrong with the text (a usage error).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "app.h"

/* Copies the next element of a "/a=b/c=d" DN into buf; NULL at the end. */
static const char *next_rdn(const char *p, char *buf, size_t size, int *plus)
{
    size_t n = 0;

    *plus = 0;
    for (; *p != '\0' && *p != '/' && *p != '+'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        if (n + 1 < size)
            buf[n++] = *p;
    }
    buf[n] = '\0';
    if (*p == '+')
        *plus = 1;
    return p;
}

X509_NAME *app_parse_name(const char *dn, const char *opt)
{
    X509_NAME *name = X509_NAME_new();
    char buf[1024], *eq;
    const char *p = dn;
    int plus = 0, prev_plus = 0;

    if (name == NULL)
        return NULL;
    if (*p != '/')
        goto bad;
    for (p++; *p != '\0'; prev_plus = plus) {
        p = next_rdn(p, buf, sizeof(buf), &plus);
        if (*p != '\0')
            p++;
        if (buf[0] == '\0' && *p == '\0')
            break;
        if ((eq = strchr(buf, '=')) == NULL)
            goto bad;
        *eq++ = '\0';
        if (!X509_NAME_add_entry_by_txt(name, buf, MBSTRING_UTF8,
                                        (unsigned char *)eq, -1, -1,
                                        prev_plus ? -1 : 0)) {
            ERR_clear_error();
            goto bad;
        }
    }
    return name;
 bad:
    X509_NAME_free(name);
    (void)app_usage_error("-%s: not a DN of the form /type=value/...: '%s'",
                          opt, dn);
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
