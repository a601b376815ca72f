/*
 * tests/p11_fixture.c - the SoftHSM2 fixture shared by the C tests of the
 * PKCS#11 layer (see p11_fixture.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <p11cmp/p11cmp.h>

#include "p11_local.h"
#include "p11_fixture.h"
#include "check_main.h"

static char dir[256];
static char shim[1024];

#ifdef __SANITIZE_ADDRESS__
/* In sanitizer builds the token tests unwind malloc stacks the slow way:
 * SoftHSM2 and libcrypto have no frame pointers, and only a full stack
 * shows the libsofthsm2.so frame that tests/lsan.supp matches SoftHSM2's
 * own leaks by. Other tests keep the fast unwinder (many times faster). */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}
#endif

const char *p11_fixture_module(void)
{
    const char *m = getenv("SOFTHSM2_MODULE");

    return m != NULL && *m != '\0' ? m : "/usr/lib/softhsm/libsofthsm2.so";
}

const char *p11_fixture_shim(void)
{
    const char *b = getenv("top_builddir");

    snprintf(shim, sizeof(shim), "%s/tests/shim/.libs/libp11shim.so",
             b != NULL ? b : ".");
    return shim;
}

const char *p11_fixture_dir(void)
{
    return dir;
}

int p11_fixture_run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

int p11_fixture_setup(const char *const *labels)
{
    char conf[512];
    FILE *f;

    snprintf(dir, sizeof(dir), "%s/p11cmp-ctest.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 0;
    snprintf(conf, sizeof(conf), "%s/tokens", dir);
    if (p11_fixture_run("mkdir -p '%s'", conf) != 0)
        return 0;
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
    if ((f = fopen(conf, "w")) == NULL)
        return 0;
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = "
            "file\nlog.level = ERROR\nslots.removable = false\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    for (; *labels != NULL; labels++)
        if (p11_fixture_run("softhsm2-util --init-token --free --label '%s'"
                            " --pin %s --so-pin %s >/dev/null", *labels,
                            P11_FIXTURE_PIN, P11_FIXTURE_SO_PIN) != 0)
            return 0;
    return 1;
}

void p11_fixture_teardown(void)
{
    if (dir[0] != '\0')
        (void)p11_fixture_run("rm -rf '%s'", dir);
    dir[0] = '\0';
}

const char *p11_fixture_uri(const char *label, const char *extra,
                            const char *module, int pin)
{
    static char bufs[8][1024];
    static int next;
    char *b = bufs[next++ % 8];

    snprintf(b, sizeof(bufs[0]), "pkcs11:token=%s%s?module-path=%s%s",
             label, extra, module != NULL ? module : p11_fixture_module(),
             pin ? "&pin-value=" P11_FIXTURE_PIN : "");
    return b;
}

char *p11_fixture_list(const char *label)
{
    enum { MAX_LIST = 1 << 20 }; /* pkcs11-tool 0.26 says much per object */
    char cmd[1024], *buf = malloc(MAX_LIST);
    size_t n = 0, r;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "pkcs11-tool --module '%s' --token-label "
             "'%s' --login --pin %s --list-objects 2>&1 | sort",
             p11_fixture_module(), label, P11_FIXTURE_PIN);
    if (buf == NULL || (p = popen(cmd, "r")) == NULL) {
        free(buf);
        return NULL;
    }
    while (n < MAX_LIST - 1
           && (r = fread(buf + n, 1, MAX_LIST - 1 - n, p)) > 0)
        n += r;
    buf[n] = '\0';
    if (pclose(p) != 0 || n == MAX_LIST - 1) {
        free(buf);
        return NULL;
    }
    return buf;
}

int p11_fixture_count(const char *label, const char *text, int exact)
{
    char *list = p11_fixture_list(label), *line, *save = NULL;
    int n = 0;

    if (list == NULL)
        return -1;
    for (line = strtok_r(list, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        if (exact ? strcmp(line, text) == 0
            : strncmp(line, text, strlen(text)) == 0)
            n++;
    }
    free(list);
    return n;
}

int p11_fixture_count_label(const char *label, const char *object)
{
    char pat[256];

    snprintf(pat, sizeof(pat), "label:      %s", object);
    return p11_fixture_count(label, pat, 1);
}

int p11_fixture_count_found(const char *token, const char *label)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_token_open(
        p11_fixture_uri(token, "", NULL, 1), NULL, P11CMP_P11_LOGIN);
    CK_ATTRIBUTE a = {CKA_LABEL, (void *)label, strlen(label)};
    CK_OBJECT_HANDLE h[8];
    CK_ULONG n = 0;

    ck_assert_ptr_nonnull(tok);
    ck_assert(p11cmp_p11_find(tok, &a, 1, h, 8, &n));
    p11cmp_p11_token_free(tok);
    return (int)n;
}

X509 *p11_fixture_cert(EVP_PKEY *pub, const char *cn, long serial,
                       const X509 *issuer, EVP_PKEY *signer)
{
    const EVP_MD *md = EVP_PKEY_is_a(signer, "ED25519")
        || EVP_PKEY_is_a(signer, "ED448") ? NULL : EVP_sha256();
    X509 *c = X509_new();
    X509_NAME *nm = X509_NAME_new();
    int ok;

    ok = c != NULL && nm != NULL
        && X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                      (const unsigned char *)cn, -1, -1, 0)
        && X509_set_version(c, X509_VERSION_3)
        && ASN1_INTEGER_set(X509_get_serialNumber(c), serial)
        && X509_set_subject_name(c, nm)
        && X509_set_issuer_name(c, issuer != NULL
                                ? X509_get_subject_name(issuer) : nm)
        && X509_gmtime_adj(X509_getm_notBefore(c), 0) != NULL
        && X509_gmtime_adj(X509_getm_notAfter(c), 86400) != NULL
        && X509_set_pubkey(c, pub) && X509_sign(c, signer, md) > 0;
    X509_NAME_free(nm);
    if (ok)
        return c;
    X509_free(c);
    return NULL;
}

X509_REQ *p11_fixture_csr(EVP_PKEY *key, const char *cn)
{
    X509_REQ *req = X509_REQ_new();
    int ok;

    ok = req != NULL
        && (cn == NULL
            || X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req),
                                          "CN", MBSTRING_ASC,
                                          (const unsigned char *)cn, -1, -1,
                                          0))
        && X509_REQ_set_pubkey(req, key)
        && X509_REQ_sign(req, key, EVP_sha256()) > 0;
    if (ok)
        return req;
    X509_REQ_free(req);
    return NULL;
}

int p11_fixture_has_error(int reason, const char *text)
{
    const char *data;
    int flags, found = 0;
    unsigned long e;
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        if (getenv("P11_FIXTURE_DEBUG") != NULL)
            fprintf(stderr, "error %lx: %s\n", e,
                    (flags & ERR_TXT_STRING) != 0 ? data : "");
        if ((reason == 0 || (ERR_GET_LIB(e) == P11CMP_ERR_get_lib()
                             && ERR_GET_REASON(e) == reason))
            && (text == NULL || ((flags & ERR_TXT_STRING) != 0
                                 && strstr(data, text) != NULL)))
            found = 1;
    }
    return found;
}

int p11_fixture_main(const char *const *labels, Suite *s)
{
    int failed;

    if (!p11_fixture_setup(labels)) {
        fprintf(stderr, "SoftHSM2 fixture setup failed\n");
        return 99;
    }
    failed = check_run(s, CK_NORMAL);
    P11CMP_PKCS11_cleanup();
    p11_fixture_teardown();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
