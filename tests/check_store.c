/*
 * tests/check_store.c - unit tests of the session layer (src/store.c) on
 * fresh SoftHSM2 tokens, without a CA: the results of a transaction are
 * put into the context by hand (a certificate for the token key, signed
 * by a software CA) and the store hooks are called as client.c calls
 * them; pkcs11-tool lists what ends up on the token.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "local.h"
#include "p11_local.h"
#include "p11_fixture.h"

static const char *const labels[] = {
    "st-ir", "st-abort", "st-off", "st-kur", "st-keep", "st-rr", "st-sw",
    "st-nocert", NULL
};

#define URI(label, extra) p11_fixture_uri((label), (extra), NULL, 1)

static EVP_PKEY *ca_key;
static X509 *ca_cert;

/* A certificate for key's public half, subject CN=cn, issued by the CA
 * (self-signed while there is none); NULL on error. */
static X509 *issue(EVP_PKEY *key, const char *cn, long serial)
{
    return p11_fixture_cert(key, cn, serial, ca_cert, ca_key);
}

/*
 * A key pair generated on token label, provisional as
 * P11CMP_CTX_generate_newPkey() leaves it (the key owns the transaction).
 */
static EVP_PKEY *gen_key(const char *label, const char *keylabel)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_token_open(URI(label, ""), NULL,
                                                  P11CMP_P11_RW);
    P11CMP_P11_TXN *txn;
    EVP_PKEY *key = NULL;

    ck_assert_ptr_nonnull(tok);
    ck_assert_ptr_nonnull(txn = p11cmp_p11_txn_new(tok));
    ck_assert(p11cmp_p11_txn_keygen(txn, "EC:P-256", keylabel, NULL, 0, 0,
                                    &key));
    ck_assert(p11cmp_p11_pkey_set0_txn(key, txn));
    p11cmp_p11_token_free(tok);
    return key;
}

/* ctx with newPkey (taken) and the results of an enrollment for it. */
static P11CMP_CTX *enrolled_ctx(EVP_PKEY *newkey, const char *cn,
                                long serial)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *cert = issue(newkey, cn, serial);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_nonnull(cert);
    ck_assert(P11CMP_CTX_set0_newPkey(ctx, 1, newkey));
    sk_X509_push(chain, cert);
    sk_X509_push(chain, ca_cert);
    ck_assert(p11cmp_ctx_set1_newChain(ctx, chain));
    ck_assert(p11cmp_ctx_set1_caPubs(ctx, chain));
    sk_X509_free(chain);
    ck_assert(p11cmp_ctx_set0_newCert(ctx, cert));
    return ctx;
}

/* Objects of class cls ("Certificate", "Private Key", ...) with CKA_ID
 * and label as the token key's (both from the token itself). */
static int count_objects(P11CMP_P11_TOKEN *tok, CK_OBJECT_CLASS cls,
                         const unsigned char *id, size_t idlen,
                         const char *label)
{
    CK_ATTRIBUTE t[3] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_ID, (void *)id, idlen},
                         {CKA_LABEL, (void *)label, strlen(label)}};
    CK_OBJECT_HANDLE h[16];
    CK_ULONG n = 0;

    ck_assert(p11cmp_p11_find(tok, t, label != NULL ? 3 : 2, h, 16, &n));
    return (int)n;
}

#define listed(token, label) p11_fixture_count_label((token), (label))

START_TEST(commit_stores_cert_next_to_key)
{
    EVP_PKEY *key = gen_key("st-ir", "enr");
    P11CMP_P11_TOKEN *tok = p11cmp_p11_pkey_token(key);
    P11CMP_CTX *ctx = enrolled_ctx(key, "enr", 1);
    const unsigned char *id;
    size_t idlen;

    ck_assert_ptr_nonnull(p11cmp_p11_pkey_txn(key));
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_IR), 1);
    ck_assert_ptr_null(p11cmp_p11_pkey_txn(key)); /* now permanent */
    ck_assert(p11cmp_p11_pkey_get_id(key, &id, &idlen, NULL));
    ck_assert_int_eq(count_objects(tok, CKO_CERTIFICATE, id, idlen, "enr"),
                     1);
    ck_assert_int_eq(count_objects(tok, CKO_PRIVATE_KEY, id, idlen, "enr"),
                     1);
    /* chain and caPubs hold the CA cert twice and newCert: stored once */
    ck_assert_int_eq(p11_fixture_count("st-ir", "Certificate Object", 0), 2);
    ck_assert_int_eq(listed("st-ir", "ca"), 1);
    /* a second commit of the same results stores nothing new */
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_CR), 1);
    ck_assert_int_eq(listed("st-ir", "enr"), 3);
    P11CMP_CTX_free(ctx); /* committed: the pair stays */
    ck_assert_int_eq(listed("st-ir", "enr"), 3);
    ck_assert_int_eq(listed("st-ir", "ca"), 1);
}
END_TEST

START_TEST(abort_removes_generated_pair)
{
    char *before = p11_fixture_list("st-abort"), *after;
    EVP_PKEY *key = gen_key("st-abort", "gone");
    P11CMP_CTX *ctx = enrolled_ctx(key, "gone", 2);

    ck_assert_int_eq(listed("st-abort", "gone"), 2);
    p11cmp_store_abort(ctx);
    ck_assert_int_eq(listed("st-abort", "gone"), 0);
    ERR_clear_error();
    p11cmp_store_abort(ctx); /* twice is fine */
    ck_assert_int_eq(ERR_peek_error(), 0);
    P11CMP_CTX_free(ctx);
    after = p11_fixture_list("st-abort");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(store_off_keeps_key_only)
{
    EVP_PKEY *key = gen_key("st-off", "nostore");
    P11CMP_CTX *ctx = enrolled_ctx(key, "nostore", 3);

    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_STORE_RESULTS),
                     1);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_STORE_RESULTS, 0));
    ck_assert(!P11CMP_CTX_set_option(ctx, P11CMP_OPT_STORE_RESULTS, 2));
    ERR_clear_error();
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_IR), 1);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(listed("st-off", "nostore"), 2); /* the key pair */
    ck_assert_int_eq(listed("st-off", "ca"), 0);
}
END_TEST

START_TEST(bad_arguments)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    ck_assert_int_eq(p11cmp_store_commit(NULL, P11CMP_IR), 0);
    ck_assert(p11_fixture_has_error(P11CMP_R_NULL_ARGUMENT, NULL));
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_IR), 0); /* no cert */
    ck_assert(p11_fixture_has_error(P11CMP_R_NULL_ARGUMENT, NULL));
    ck_assert(p11cmp_ctx_set0_newCert(ctx, X509_dup(ca_cert)));
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_PKIBODY_RR), 0);
    ck_assert(p11_fixture_has_error(P11CMP_R_INVALID_ARGUMENT, "req_type"));
    /* a cert for no token key: nothing to do */
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_CR), 1);
    ck_assert_int_eq(p11cmp_store_revoked(ctx), 1);
    ck_assert_int_eq(p11cmp_store_revoked(NULL), 0);
    ck_assert(p11_fixture_has_error(P11CMP_R_NULL_ARGUMENT, NULL));
    p11cmp_store_abort(ctx);
    p11cmp_store_abort(NULL);
    ck_assert_int_eq(ERR_peek_error(), 0);
    P11CMP_CTX_free(ctx);
}
END_TEST

/*
 * Enrolls a first pair "rot" on token (committed, cert stored) and
 * returns the old cert; the old key is loaded again by URI (read-only
 * session) into *oldkey.
 */
static X509 *first_pair(const char *token, EVP_PKEY **oldkey)
{
    EVP_PKEY *key = gen_key(token, "rot");
    P11CMP_CTX *ctx = enrolled_ctx(key, "rot", 10);
    X509 *old;

    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_IR), 1);
    old = P11CMP_CTX_get0_newCert(ctx);
    X509_up_ref(old);
    P11CMP_CTX_free(ctx);
    *oldkey = p11cmp_p11_key_load(URI(token, ";object=rot"), NULL);
    ck_assert_ptr_nonnull(*oldkey);
    return old;
}

/* The KUR context: client key and cert the old ones, a new key "rot". */
static P11CMP_CTX *kur_ctx(const char *token, EVP_PKEY *oldkey, X509 *old)
{
    P11CMP_CTX *ctx = enrolled_ctx(gen_key(token, "rot"), "rot", 11);

    ck_assert(P11CMP_CTX_set1_pkey(ctx, oldkey));
    ck_assert(P11CMP_CTX_set1_cert(ctx, old));
    return ctx;
}

START_TEST(kur_retires_old_pair)
{
    EVP_PKEY *oldkey;
    X509 *old = first_pair("st-kur", &oldkey);
    P11CMP_CTX *ctx = kur_ctx("st-kur", oldkey, old);
    P11CMP_P11_TOKEN *tok = p11cmp_p11_pkey_token(ctx->newPkey);
    const unsigned char *id;
    size_t idlen;

    ck_assert_int_eq(listed("st-kur", "rot"), 5); /* old 3 + new 2 */
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_KUR), 1);
    ck_assert_int_eq(listed("st-kur", "rot"), 3);
    ck_assert(p11cmp_p11_pkey_get_id(ctx->newPkey, &id, &idlen, NULL));
    ck_assert_int_eq(count_objects(tok, CKO_CERTIFICATE, id, idlen, "rot"),
                     1);
    ck_assert_int_eq(count_objects(tok, CKO_PRIVATE_KEY, id, idlen, "rot"),
                     1);
    ck_assert_int_eq(listed("st-kur", "ca"), 1);
    P11CMP_CTX_free(ctx);
    EVP_PKEY_free(oldkey);
    X509_free(old);
}
END_TEST

START_TEST(kur_keep_old_relabels)
{
    EVP_PKEY *oldkey;
    X509 *old = first_pair("st-keep", &oldkey);
    P11CMP_CTX *ctx = kur_ctx("st-keep", oldkey, old);

    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_KEEP_OLD, 1));
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_KUR), 1);
    ck_assert_int_eq(listed("st-keep", "rot"), 3);
    ck_assert_int_eq(listed("st-keep", "rot-old-0A"), 3);
    P11CMP_CTX_free(ctx);
    EVP_PKEY_free(oldkey);
    X509_free(old);
}
END_TEST

START_TEST(kur_old_key_without_cert_on_token)
{
    EVP_PKEY *key = gen_key("st-nocert", "nc"), *oldkey;
    P11CMP_CTX *ctx = enrolled_ctx(key, "nc", 30);
    X509 *old;

    /* the first pair is kept, its certificate is not stored */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_STORE_RESULTS, 0));
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_IR), 1);
    old = P11CMP_CTX_get0_newCert(ctx);
    X509_up_ref(old);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(listed("st-nocert", "nc"), 2);
    /* KUR: the old key (loaded again, another handle) is found by the
     * client key and retired */
    oldkey = p11cmp_p11_key_load(URI("st-nocert", ";object=nc"), NULL);
    ck_assert_ptr_nonnull(oldkey);
    ctx = kur_ctx("st-nocert", oldkey, old);
    ck_assert_int_eq(P11CMP_CTX_get_option(ctx, P11CMP_OPT_STORE_RESULTS),
                     1);
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_KUR), 1);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(listed("st-nocert", "nc"), 0);
    ck_assert_int_eq(listed("st-nocert", "rot"), 3);
    EVP_PKEY_free(oldkey);
    X509_free(old);
}
END_TEST

/* The context of a revocation of old, signed by its key oldkey. */
static P11CMP_CTX *rr_ctx(EVP_PKEY *oldkey, X509 *old)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);

    ck_assert_ptr_nonnull(ctx);
    ck_assert(P11CMP_CTX_set1_pkey(ctx, oldkey));
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, old));
    return ctx;
}

START_TEST(rr_removes_revoked)
{
    EVP_PKEY *oldkey;
    X509 *old = first_pair("st-rr", &oldkey);
    P11CMP_CTX *ctx = rr_ctx(oldkey, old);

    ck_assert_int_eq(p11cmp_store_revoked(ctx), 1); /* default: keep */
    ck_assert_int_eq(listed("st-rr", "rot"), 3);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_REMOVE_REVOKED, 1));
    ck_assert_int_eq(p11cmp_store_revoked(ctx), 1);
    ck_assert_int_eq(listed("st-rr", "rot"), 2); /* the key pair stays */
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_REMOVE_REVOKED, 2));
    ck_assert_int_eq(p11cmp_store_revoked(ctx), 1); /* cert gone already */
    ck_assert_int_eq(listed("st-rr", "rot"), 2);
    P11CMP_CTX_free(ctx);

    /* a second pair, removed with its key */
    EVP_PKEY_free(oldkey);
    X509_free(old);
    ck_assert(P11CMP_PKCS11_delete_objects(URI("st-rr", ";object=rot"),
                                           NULL, NULL));
    old = first_pair("st-rr", &oldkey);
    ctx = rr_ctx(oldkey, old);
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_REMOVE_REVOKED, 2));
    ck_assert_int_eq(p11cmp_store_revoked(ctx), 1);
    ck_assert_int_eq(listed("st-rr", "rot"), 0);
    ck_assert_int_eq(listed("st-rr", "ca"), 1);
    P11CMP_CTX_free(ctx);
    EVP_PKEY_free(oldkey);
    X509_free(old);
}
END_TEST

START_TEST(software_key_nothing_stored)
{
    char *before = p11_fixture_list("st-sw"), *after;
    EVP_PKEY *sw = EVP_EC_gen("P-256");
    P11CMP_CTX *ctx = enrolled_ctx(sw, "sw", 20);

    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_IR), 1);
    P11CMP_CTX_free(ctx);
    after = p11_fixture_list("st-sw");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");
    int rc;

    ca_key = EVP_EC_gen("P-256");
    if (ca_key == NULL || (ca_cert = issue(ca_key, "ca", 1000)) == NULL)
        return 1;
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, commit_stores_cert_next_to_key);
    tcase_add_test(tc, abort_removes_generated_pair);
    tcase_add_test(tc, store_off_keeps_key_only);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, kur_retires_old_pair);
    tcase_add_test(tc, kur_keep_old_relabels);
    tcase_add_test(tc, kur_old_key_without_cert_on_token);
    tcase_add_test(tc, rr_removes_revoked);
    tcase_add_test(tc, software_key_nothing_stored);
    suite_add_tcase(s, tc);
    rc = p11_fixture_main(labels, s);
    X509_free(ca_cert);
    EVP_PKEY_free(ca_key);
    return rc;
}
