/*
 * tests/token_ca.c - the test CA, its client and the shim controls shared
 * by the tests of whole transactions on a token (see token_ca.h).
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "p11_local.h"
#include "token_ca.h"

TESTCA token_ca;
X509 *token_ca_cert;

void token_ca_start(const char *a1, const char *a2)
{
    char certout[512];
    FILE *f;

    snprintf(certout, sizeof(certout), "%s/ca.%ld.pem", p11_fixture_dir(),
             (long)getpid());
    ck_assert(testca_start(&token_ca, "--ref", "ref", "--secret",
                           "pass:secret", "--cacertout", certout, a1, a2,
                           (char *)NULL));
    ck_assert_ptr_nonnull(f = fopen(certout, "r"));
    ck_assert_ptr_nonnull(token_ca_cert = PEM_read_X509(f, NULL, NULL,
                                                        NULL));
    fclose(f);
}

void token_ca_stop(void)
{
    testca_stop(&token_ca);
    X509_free(token_ca_cert);
    token_ca_cert = NULL;
}

P11CMP_CTX *token_ca_client(int pbm, const char *cn)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    X509_STORE *ts = X509_STORE_new();
    X509_NAME *nm = X509_NAME_new();

    ck_assert_ptr_nonnull(ctx);
    ck_assert(P11CMP_CTX_set1_server(ctx, "127.0.0.1"));
    ck_assert(P11CMP_CTX_set_serverPort(ctx, token_ca.port));
    ck_assert(P11CMP_CTX_set1_serverPath(ctx, "pkix/"));
    ck_assert(X509_STORE_add_cert(ts, token_ca_cert));
    ck_assert(P11CMP_CTX_set0_trustedStore(ctx, ts));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_LOG_VERBOSITY,
                                    P11CMP_LOG_ERR));
    if (pbm) {
        ck_assert(P11CMP_CTX_set1_referenceValue(ctx,
                                                 (unsigned char *)"ref", 3));
        ck_assert(P11CMP_CTX_set1_secretValue(ctx,
                                              (unsigned char *)"secret", 6));
    }
    if (cn != NULL) {
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0);
        ck_assert(P11CMP_CTX_set1_subjectName(ctx, nm));
    }
    X509_NAME_free(nm);
    return ctx;
}

X509 *token_ca_enroll(const char *token, const char *label,
                      const char *alg)
{
    P11CMP_CTX *ctx = token_ca_client(1, label);
    X509 *cert;

    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI(token, ""), alg, label));
    cert = P11CMP_exec_IR_ses(ctx);
    ck_assert_msg(cert != NULL, "IR with %s failed", alg);
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx), P11CMP_PKISTATUS_accepted);
    ck_assert_int_eq(EVP_PKEY_eq(P11CMP_CTX_get0_newPkey(ctx, 1),
                                 X509_get0_pubkey(cert)), 1);
    X509_up_ref(cert);
    P11CMP_CTX_free(ctx);
    return cert;
}

int token_ca_cert_is(const char *token, const char *label, X509 *cert)
{
    char extra[96];
    X509 *c;
    int eq;

    snprintf(extra, sizeof(extra), ";object=%s;type=cert", label);
    if ((c = P11CMP_PKCS11_load_cert(URI(token, extra), NULL)) == NULL)
        return 0;
    eq = X509_cmp(c, cert) == 0;
    X509_free(c);
    return eq;
}

/* The shim's function name, found with dlsym in dl, into *fn. */
#define FIND(dl, fn, name) \
    do { \
        *(void **)&(fn) = dlsym((dl), (name)); \
        ck_assert_msg((fn) != NULL, "%s not in the shim", (name)); \
    } while (0)

void shim_attach(SHIM_CTL *shim, const char *label)
{
    P11CMP_P11_TOKEN *tok;
    void *dl;

    tok = p11cmp_p11_token_open(SHIM_URI(label, ""), NULL, 0);
    ck_assert_ptr_nonnull(tok);
    p11cmp_p11_token_free(tok);
    dl = dlopen(p11_fixture_shim(), RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(dl);
    FIND(dl, shim->fail_at, "p11shim_fail_at");
    FIND(dl, shim->fail_fn, "p11shim_fail_fn");
    FIND(dl, shim->fail_count, "p11shim_fail_count");
    FIND(dl, shim->calls, "p11shim_calls");
    FIND(dl, shim->failed, "p11shim_failed");
    FIND(dl, shim->last_failed, "p11shim_last_failed");
    dlclose(dl); /* p11cmp's registry keeps it loaded */
}
