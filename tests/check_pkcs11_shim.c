/*
 * tests/check_pkcs11_shim.c - fault injection through the shim module
 * (tests/shim): a key generation plus certificate store transaction, and
 * the public store function, failed at each PKCS#11 call in turn, leave
 * the token exactly as before and name the CKR_ code; a lost session
 * (CKR_SESSION_HANDLE_INVALID and friends, once) is recovered; a child
 * after fork initialises the module again before using it; a module
 * without EdDSA mechanisms refuses Ed25519 keys clearly; sessions are
 * read-write only for what writes to the token.
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "local.h"
#include "p11_local.h"
#include "p11_fixture.h"
#include "uri_sign.h"

static const char *const labels[] = {"s-fault", "s-store", "s-recover",
                                     "s-relogin", "s-fork", "s-noed",
                                     "s-lost", "s-rw", "s-rsa", NULL};
static void (*shim_fail_at)(unsigned long, CK_RV);
static void (*shim_fail_fn)(const char *, CK_RV);
static unsigned long (*shim_calls)(void);
static void (*shim_hide_mech)(CK_MECHANISM_TYPE);
static void (*shim_sessions)(unsigned long *, unsigned long *);

#define SHIM_URI(label, extra) \
    p11_fixture_uri((label), (extra), p11_fixture_shim(), 1)
#define URI_PLAIN(label, extra) p11_fixture_uri((label), (extra), NULL, 1)
#define count_label(token, label) p11_fixture_count_found((token), (label))

/* Loads the shim through p11cmp once and finds its control functions. */
static void shim_attach(void)
{
    P11CMP_P11_TOKEN *tok;
    void *dl;

    if (shim_calls != NULL)
        return;
    tok = p11cmp_p11_token_open(SHIM_URI("s-fault", ""), NULL, 0);
    ck_assert_ptr_nonnull(tok);
    p11cmp_p11_token_free(tok);
    dl = dlopen(p11_fixture_shim(), RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(dl);
    *(void **)&shim_fail_at = dlsym(dl, "p11shim_fail_at");
    *(void **)&shim_fail_fn = dlsym(dl, "p11shim_fail_fn");
    *(void **)&shim_calls = dlsym(dl, "p11shim_calls");
    *(void **)&shim_hide_mech = dlsym(dl, "p11shim_hide_mech");
    *(void **)&shim_sessions = dlsym(dl, "p11shim_sessions");
    ck_assert_ptr_nonnull(shim_calls);
    ck_assert_ptr_nonnull(shim_sessions);
    dlclose(dl); /* p11cmp's registry keeps it loaded */
}

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
    return p11_fixture_cert(key, cn, 1, NULL, key);
}

/*
 * The transaction the store session will run: key pair, its certificate
 * and a CA certificate; on any failure everything is rolled back.
 */
static int enroll_txn(X509 *cacert)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    const unsigned char *id;
    size_t idlen;
    int res = 0;

    if ((tok = p11cmp_p11_token_open(SHIM_URI("s-fault", ""), NULL,
                                     P11CMP_P11_RW)) == NULL
        || (txn = p11cmp_p11_txn_new(tok)) == NULL
        || !p11cmp_p11_txn_keygen(txn, "EC:P-256", "enr", NULL, 0, 0, &key)
        || (cert = self_signed(key, "enr")) == NULL
        || !p11cmp_p11_pkey_get_id(key, &id, &idlen, NULL)
        || !p11cmp_p11_txn_store_cert(txn, cert, id, idlen, "enr",
                                      P11CMP_P11_CAT_USER, NULL)
        || !p11cmp_p11_txn_store_cert(txn, cacert, NULL, 0, "ca",
                                      P11CMP_P11_CAT_AUTHORITY, NULL))
        goto end;
    res = p11cmp_p11_txn_commit(txn);
 end:
    p11cmp_p11_txn_free(txn);
    p11cmp_p11_token_free(tok);
    X509_free(cert);
    EVP_PKEY_free(key);
    return res;
}

/* Deletes what a successful run stored: exactly expect objects. */
static void remove_all(const char *label, const char *obj, int expect)
{
    char extra[64];
    int n = -1;

    snprintf(extra, sizeof(extra), ";object=%s", obj);
    ck_assert(P11CMP_PKCS11_delete_objects(URI_PLAIN(label, extra), NULL,
                                           &n));
    ck_assert_int_eq(n, expect);
}

static int sign_verify(EVP_PKEY *key)
{
    static const unsigned char msg[] = "message";
    unsigned char sig[256];
    size_t len = sizeof(sig);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok;

    ok = EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) == 1
        && EVP_DigestSign(c, sig, &len, msg, sizeof(msg)) == 1;
    EVP_MD_CTX_free(c);
    c = EVP_MD_CTX_new();
    ok = ok && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, key) == 1
        && EVP_DigestVerify(c, sig, len, msg, sizeof(msg)) == 1;
    EVP_MD_CTX_free(c);
    return ok;
}

/*
 * Runs op with call k (k = 1, 2, ... past the last call op makes) failing
 * with CKR_DEVICE_ERROR; each failed run must leave token label exactly as
 * before and name the CKR; a run that still succeeds (the failed call did
 * not matter, e.g. closing the session) is undone with undo.
 */
static void fail_each_call(const char *label, int (*op)(void *), void *arg,
                           void (*undo)(void), int *failed, int *total)
{
    char *before = p11_fixture_list(label), *after;
    unsigned long base, used, k;
    int ok;

    ck_assert_ptr_nonnull(before);
    base = shim_calls();
    ck_assert_int_eq(op(arg), 1);
    used = shim_calls() - base;
    undo();
    *failed = 0;
    for (k = 1; k <= used; k++) {
        base = shim_calls();
        shim_fail_at(base + k, CKR_DEVICE_ERROR);
        ok = op(arg);
        shim_fail_at(0, CKR_DEVICE_ERROR);
        if (ok) {
            ERR_clear_error();
            undo();
        } else {
            ck_assert_msg(p11_fixture_has_error(0, "CKR_DEVICE_ERROR"),
                          "call %lu: CKR not named", k);
            (*failed)++;
        }
        after = p11_fixture_list(label);
        ck_assert_msg(after != NULL && strcmp(before, after) == 0,
                      "call %lu of %lu left the token changed:\n%s\n"
                      "before:\n%s", k, used, after, before);
        free(after);
    }
    *total = (int)used;
    free(before);
}

static int op_enroll(void *cacert)
{
    return enroll_txn(cacert);
}

static void undo_enroll(void)
{
    remove_all("s-fault", "enr", 3);
    remove_all("s-fault", "ca", 1);
}

static int op_store(void *cert)
{
    return P11CMP_PKCS11_store_cert(SHIM_URI("s-store", ";object=c"), cert,
                                    P11CMP_PKCS11_CERT_USER, NULL);
}

static void undo_store(void)
{
    remove_all("s-store", "c", 1);
}

/*
 * The fault loops: what runs (op with a certificate for a new software
 * key, named cn: the CA certificate of the enrollment, the certificate
 * to store) on token label, its undo, and how many calls it makes at
 * least.
 */
static const struct {
    const char *what, *label, *cn;
    int (*op)(void *);
    void (*undo)(void);
    int min_calls;
} fault_loops[] = {
    { "enroll transaction", "s-fault", "ca", op_enroll, undo_enroll, 10 },
    { "certificate store", "s-store", "c", op_store, undo_store, 5 },
};

START_TEST(fails_cleanly_at_every_call)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *cert = self_signed(k, fault_loops[_i].cn);
    int failed = 0, total = 0;

    ck_assert_ptr_nonnull(cert);
    shim_attach();
    fail_each_call(fault_loops[_i].label, fault_loops[_i].op, cert,
                   fault_loops[_i].undo, &failed, &total);
    fprintf(stderr, "%s: %d calls, %d failed cleanly\n",
            fault_loops[_i].what, total, failed);
    ck_assert_int_gt(total, fault_loops[_i].min_calls);
    /* calls whose failure does not matter (closing the session, reading
     * other slots' token info) let the run succeed; all others fail it */
    ck_assert_int_ge(failed, total / 2);
    X509_free(cert);
    EVP_PKEY_free(k);
}
END_TEST

START_TEST(session_recovery)
{
    EVP_PKEY *key, *again;
    X509 *cert;

    shim_attach();
    shim_fail_fn("C_GenerateKeyPair", CKR_SESSION_HANDLE_INVALID);
    key = P11CMP_PKCS11_generate_key(SHIM_URI("s-recover", ";object=r"),
                                     "EC:P-256", NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(count_label("s-recover", "r"), 2); /* exactly one pair */
    shim_fail_fn("C_Sign", CKR_SESSION_CLOSED);
    ck_assert_int_eq(sign_verify(key), 1);
    shim_fail_fn("C_SignInit", CKR_USER_NOT_LOGGED_IN);
    ck_assert_int_eq(sign_verify(key), 1);
    cert = self_signed(key, "r");
    shim_fail_fn("C_CreateObject", CKR_DEVICE_REMOVED);
    ck_assert(P11CMP_PKCS11_store_cert(SHIM_URI("s-recover", ";object=r"),
                                       cert, P11CMP_PKCS11_CERT_USER, NULL));
    ck_assert_int_eq(count_label("s-recover", "r"), 3);
    shim_fail_fn("C_FindObjectsInit", CKR_TOKEN_NOT_PRESENT);
    again = P11CMP_PKCS11_load_key(SHIM_URI("s-recover", ";object=r"), NULL);
    ck_assert_ptr_nonnull(again);
    /* not recoverable: reported by name, no retry */
    shim_fail_fn("C_Sign", CKR_DEVICE_ERROR);
    ck_assert_int_eq(sign_verify(again), 0);
    ck_assert(p11_fixture_has_error(P11CMP_R_PKCS11_ERROR,
                                    "C_Sign: CKR_DEVICE_ERROR"));
    ck_assert_int_eq(sign_verify(again), 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(again);
}
END_TEST

/*
 * A session that lost its login is replaced by a new one opened before
 * the old one is closed: closing the only session on the slot first
 * would log the token out and invalidate the object handles held by a
 * key and by an undo list, so neither signing nor a rollback would work.
 */
START_TEST(relogin_keeps_handles)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    EVP_PKEY *key = NULL;

    shim_attach();
    tok = p11cmp_p11_token_open(SHIM_URI("s-relogin", ""), NULL,
                                P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    ck_assert_ptr_nonnull(txn = p11cmp_p11_txn_new(tok));
    ck_assert(p11cmp_p11_txn_keygen(txn, "EC:P-256", "rl", NULL, 0, 0,
                                    &key));
    ck_assert_int_eq(count_label("s-relogin", "rl"), 2);
    shim_fail_fn("C_SignInit", CKR_USER_NOT_LOGGED_IN);
    ck_assert_int_eq(sign_verify(key), 1);
    shim_fail_fn("C_DestroyObject", CKR_USER_NOT_LOGGED_IN);
    ck_assert_int_eq(p11cmp_p11_txn_rollback(txn), 1);
    ck_assert_int_eq(count_label("s-relogin", "rl"), 0);
    p11cmp_p11_txn_free(txn);
    EVP_PKEY_free(key);
    p11cmp_p11_token_free(tok);
}
END_TEST

/*
 * In a child after fork the shim, like a module bound to a device, works
 * only once the child has called C_Initialize: p11cmp does so lazily on
 * the first use, so keys of the parent sign and load in the child; the
 * child's exit does not undo the parent's provisional key pair, and the
 * parent goes on with its own sessions.
 */
START_TEST(fork_reinitialises_lazily)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    EVP_PKEY *key, *prov = NULL;
    int status = -1;
    pid_t pid;

    shim_attach();
    key = P11CMP_PKCS11_generate_key(SHIM_URI("s-fork", ";object=f"),
                                     "EC:P-256", NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    tok = p11cmp_p11_token_open(SHIM_URI("s-fork", ""), NULL, P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    ck_assert_ptr_nonnull(txn = p11cmp_p11_txn_new(tok));
    ck_assert(p11cmp_p11_txn_keygen(txn, "EC:P-256", "prov", NULL, 0, 0,
                                    &prov));
    ck_assert(p11cmp_p11_pkey_set0_txn(prov, txn));
    ck_assert_int_eq(sign_verify(key), 1);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        EVP_PKEY *again;
        int ok = sign_verify(key) && sign_verify(prov);

        again = P11CMP_PKCS11_load_key(SHIM_URI("s-fork", ";object=f"),
                                       NULL);
        ok = ok && again != NULL && sign_verify(again);
        EVP_PKEY_free(again);
        EVP_PKEY_free(prov); /* not rolled back: the parent's */
        EVP_PKEY_free(key);
        p11cmp_p11_token_free(tok);
        P11CMP_PKCS11_cleanup();
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(count_label("s-fork", "prov"), 2);
    ck_assert_int_eq(sign_verify(key), 1);
    ck_assert_int_eq(sign_verify(prov), 1);
    EVP_PKEY_free(prov); /* rolled back here */
    ck_assert_int_eq(count_label("s-fork", "prov"), 0);
    EVP_PKEY_free(key);
    p11cmp_p11_token_free(tok);
}
END_TEST

/*
 * A module that cannot sign with CKM_EDDSA: its Ed25519 key is refused
 * when loaded, not at the first signature; one that cannot generate
 * EdDSA keys refuses and the token stays as it was.
 */
START_TEST(module_without_eddsa)
{
    EVP_PKEY *key;
    char *before, *after;

    key = P11CMP_PKCS11_generate_key(URI_PLAIN("s-noed", ";object=ed"),
                                     "ED25519", NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    EVP_PKEY_free(key);
    shim_attach();
    shim_hide_mech(CKM_EDDSA);
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(SHIM_URI("s-noed",
                                                       ";object=ed"), NULL));
    ck_assert(p11_fixture_has_error(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                                    "cannot sign with CKM_EDDSA"));
    shim_hide_mech(CKM_EC_EDWARDS_KEY_PAIR_GEN);
    before = p11_fixture_list("s-noed");
    ck_assert_ptr_null(P11CMP_PKCS11_generate_key(SHIM_URI("s-noed",
                                                           ";object=ed2"),
                                                  "ED25519", NULL, NULL,
                                                  0));
    ck_assert(p11_fixture_has_error(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                                    "C_GenerateKeyPair: "
                                    "CKR_MECHANISM_INVALID"));
    after = p11_fixture_list("s-noed");
    ck_assert_str_eq(before, after);
    shim_hide_mech((CK_ULONG)-1);
    key = P11CMP_PKCS11_load_key(SHIM_URI("s-noed", ";object=ed"), NULL);
    ck_assert_ptr_nonnull(key);
    EVP_PKEY_free(key);
    free(before);
    free(after);
}
END_TEST

/*
 * Which mechanism signs with an RSA key (pkcs11/p11_sig_rsa.c): a
 * hashing or PSS mechanism the module lists goes first (the signature
 * works with the raw one hidden), the raw ones are the fallback (it works
 * with the first choice hidden); PSS with a salt longer than the digest.
 */
START_TEST(rsa_mechanism_choice)
{
    static const CK_MECHANISM_TYPE hide[] = {
        CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_RSA_X_509, CKM_RSA_PKCS_PSS,
        CKM_SHA256_RSA_PKCS_PSS, (CK_ULONG)-1
    };
    const char *uri = SHIM_URI("s-rsa", ";object=r;type=private");
    EVP_PKEY *key;
    size_t i;

    key = P11CMP_PKCS11_generate_key(URI_PLAIN("s-rsa", ";object=r"),
                                     "RSA:2048", NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    EVP_PKEY_free(key);
    shim_attach();
    for (i = 0; i < sizeof(hide) / sizeof(hide[0]); i++) {
        shim_hide_mech(hide[i]);
        ck_assert_msg(uri_sign_ok(uri, 0, 0), "PKCS#1, hidden %lx", hide[i]);
        ck_assert_msg(uri_sign_ok(uri, 1, RSA_PSS_SALTLEN_DIGEST),
                      "PSS, hidden %lx", hide[i]);
        ck_assert_msg(uri_sign_ok(uri, 1, RSA_PSS_SALTLEN_MAX),
                      "PSS max salt, hidden %lx", hide[i]);
    }
    ERR_clear_error();
}
END_TEST

/*
 * Loses tok's login as another application would: how 0 logs the token
 * out (SoftHSM2 drops the handles of private objects), 1 closes all its
 * sessions (SoftHSM2 drops every object handle and the session).
 */
static void lose_login(P11CMP_P11_TOKEN *tok, int how)
{
    CK_RV rv;

    if (how == 0)
        ck_assert_int_eq(P11CMP_P11_CALL(tok, rv, C_Logout, tok->session),
                         CKR_OK);
    else
        ck_assert_int_eq(P11CMP_P11_CALL(tok, rv, C_CloseAllSessions,
                                         tok->slot), CKR_OK);
}

/* An existing pair with CKA_ID 4b 0n and its certificate, label kept. */
static void kept_pair(int n)
{
    char extra[64];
    EVP_PKEY *key;
    X509 *cert;

    snprintf(extra, sizeof(extra), ";object=kept;id=%%4b%%%02x", n);
    key = P11CMP_PKCS11_generate_key(URI_PLAIN("s-lost", extra), "EC:P-256",
                                     NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    cert = self_signed(key, "kept");
    ck_assert(P11CMP_PKCS11_store_cert(URI_PLAIN("s-lost", extra), cert,
                                       P11CMP_PKCS11_CERT_USER, NULL));
    X509_free(cert);
    EVP_PKEY_free(key);
}

/*
 * A transaction that relabelled an existing pair and its certificate (as
 * KUR with KEEP_OLD does), generated a key pair and stored its
 * certificate and a CA certificate fails, and the token is logged out
 * before the rollback: the undo list's handles are invalid, so the
 * rollback finds each object again (class, CKA_ID, CKA_LABEL, a
 * certificate's DER) and destroys or relabels it back; the token holds
 * exactly what it held before.
 */
START_TEST(rollback_after_logout)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    EVP_PKEY *ca = EVP_EC_gen("P-256"), *key = NULL;
    X509 *cacert = self_signed(ca, "lost-ca"), *cert;
    const unsigned char *id, kept_id[] = {0x4b, (unsigned char)_i};
    size_t idlen;
    char *before, *after;

    shim_attach();
    kept_pair(_i);
    ck_assert_ptr_nonnull(before = p11_fixture_list("s-lost"));
    tok = p11cmp_p11_token_open(SHIM_URI("s-lost", ""), NULL, P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    ck_assert_ptr_nonnull(txn = p11cmp_p11_txn_new(tok));
    ck_assert(p11cmp_p11_txn_relabel(txn, kept_id, 2, "kept-old"));
    ck_assert_int_eq(count_label("s-lost", "kept-old"), 3);
    ck_assert(p11cmp_p11_txn_keygen(txn, "EC:P-256", "lost", NULL, 0, 0,
                                    &key));
    cert = self_signed(key, "lost");
    ck_assert(p11cmp_p11_pkey_get_id(key, &id, &idlen, NULL));
    ck_assert(p11cmp_p11_txn_store_cert(txn, cert, id, idlen, "lost",
                                        P11CMP_P11_CAT_USER, NULL));
    ck_assert(p11cmp_p11_txn_store_cert(txn, cacert, NULL, 0, "lost-ca",
                                        P11CMP_P11_CAT_AUTHORITY, NULL));
    ck_assert_int_eq(count_label("s-lost", "lost"), 3);
    lose_login(tok, _i);
    ERR_clear_error();
    ck_assert_int_eq(p11cmp_p11_txn_rollback(txn), 1);
    ck_assert(!p11_fixture_has_error(0, NULL)); /* none left behind */
    ck_assert_ptr_nonnull(after = p11_fixture_list("s-lost"));
    ck_assert_str_eq(before, after);
    p11cmp_p11_txn_free(txn);
    p11cmp_p11_token_free(tok);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca);
    X509_free(cert);
    X509_free(cacert);
    free(before);
    free(after);
}
END_TEST

/*
 * Only what the transaction created is destroyed: a key pair generated in
 * it with the CKA_ID and label of a pair already on the token cannot be
 * told from that one once the handles are lost, so the rollback destroys
 * neither and says so.
 */
START_TEST(rollback_spares_lookalikes)
{
    static const unsigned char id[] = {0x7a, 0x11};
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    EVP_PKEY *key;

    key = P11CMP_PKCS11_generate_key(URI_PLAIN("s-lost",
                                               ";object=twin;id=%7a%11"),
                                     "EC:P-256", NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    EVP_PKEY_free(key);
    key = NULL;
    shim_attach();
    tok = p11cmp_p11_token_open(SHIM_URI("s-lost", ""), NULL, P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    ck_assert_ptr_nonnull(txn = p11cmp_p11_txn_new(tok));
    ck_assert(p11cmp_p11_txn_keygen(txn, "EC:P-256", "twin", id,
                                    sizeof(id), 0, &key));
    ck_assert_int_eq(count_label("s-lost", "twin"), 4);
    lose_login(tok, 1);
    ck_assert_int_eq(p11cmp_p11_txn_rollback(txn), 0);
    ck_assert(p11_fixture_has_error(P11CMP_R_ROLLBACK_FAILED,
                                    "2 objects could not be restored"));
    ck_assert_int_eq(count_label("s-lost", "twin"), 4);
    p11cmp_p11_txn_free(txn);
    p11cmp_p11_token_free(tok);
    EVP_PKEY_free(key);
    remove_all("s-lost", "twin", 4);
}
END_TEST

enum { NO_SESSION, READ_ONLY, READ_WRITE };

/*
 * Fails unless the sessions opened since the last check were of kind:
 * none at all, or at least one and every one read-only (read-write).
 */
static void sessions_were(const char *what, int kind)
{
    unsigned long ro, rw;

    shim_sessions(&ro, &rw);
    ck_assert_msg(kind == NO_SESSION ? ro + rw == 0
                  : kind == READ_ONLY ? ro >= 1 && rw == 0
                  : rw >= 1 && ro == 0,
                  "%s: %lu read-only and %lu read-write sessions", what, ro,
                  rw);
}

/*
 * Read-write sessions only when writing: generating a key, storing a
 * certificate and deleting objects ask for CKF_RW_SESSION; loading a key
 * or a certificate does not, and signing opens no session of its own.
 */
START_TEST(rw_only_when_writing)
{
    EVP_PKEY *key;
    X509 *cert, *back;
    unsigned long ro, rw;
    int n = 0;

    shim_attach();
    shim_sessions(&ro, &rw); /* count from here on */
    key = P11CMP_PKCS11_generate_key(SHIM_URI("s-rw", ""), "EC:P-256", "rw",
                                     NULL, 0);
    ck_assert_ptr_nonnull(key);
    sessions_were("key generation", READ_WRITE);
    cert = self_signed(key, "rw");
    ck_assert_ptr_nonnull(cert);
    EVP_PKEY_free(key);
    key = P11CMP_PKCS11_load_key(SHIM_URI("s-rw", ";object=rw"), NULL);
    ck_assert_ptr_nonnull(key);
    sessions_were("loading a key", READ_ONLY);
    ck_assert(sign_verify(key));
    sessions_were("signing", NO_SESSION);
    EVP_PKEY_free(key);
    ck_assert(P11CMP_PKCS11_store_cert(SHIM_URI("s-rw", ";object=rw"), cert,
                                       P11CMP_PKCS11_CERT_USER, NULL));
    sessions_were("storing a certificate", READ_WRITE);
    back = P11CMP_PKCS11_load_cert(SHIM_URI("s-rw", ";object=rw"), NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(X509_cmp(back, cert), 0);
    sessions_were("reading a certificate", READ_ONLY);
    ck_assert(P11CMP_PKCS11_delete_objects(SHIM_URI("s-rw", ";object=rw"),
                                           NULL, &n));
    ck_assert_int_eq(n, 3);
    sessions_were("deleting", READ_WRITE);
    ck_assert_int_eq(count_label("s-rw", "rw"), 0);
    X509_free(back);
    X509_free(cert);
}
END_TEST

/*
 * The session layer stores a certificate next to a key that was loaded
 * read-only: only then is the key's session renewed read-write.
 */
START_TEST(store_renews_session_rw)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    EVP_PKEY *key;
    X509 *cert;
    unsigned long ro, rw;
    int n = 0;

    shim_attach();
    ck_assert_ptr_nonnull(ctx);
    key = P11CMP_PKCS11_generate_key(SHIM_URI("s-rw", ""), "EC:P-256", "sl",
                                     NULL, 0);
    ck_assert_ptr_nonnull(key);
    EVP_PKEY_free(key);
    shim_sessions(&ro, &rw); /* count from here on */
    ck_assert(P11CMP_CTX_set1_newPkey_uri(ctx, SHIM_URI("s-rw",
                                                        ";object=sl")));
    sessions_were("loading newPkey", READ_ONLY);
    key = P11CMP_CTX_get0_newPkey(ctx, 1);
    ck_assert_ptr_nonnull(cert = self_signed(key, "sl"));
    ck_assert(p11cmp_ctx_set0_newCert(ctx, cert));
    sessions_were("signing the certificate", NO_SESSION);
    ck_assert_int_eq(p11cmp_store_commit(ctx, P11CMP_CR), 1);
    sessions_were("storing the new certificate", READ_WRITE);
    ck_assert_int_eq(count_label("s-rw", "sl"), 3);
    P11CMP_CTX_free(ctx);
    ck_assert(P11CMP_PKCS11_delete_objects(SHIM_URI("s-rw", ";object=sl"),
                                           NULL, &n));
    ck_assert_int_eq(n, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pkcs11_shim");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, fails_cleanly_at_every_call, 0,
                        (int)(sizeof(fault_loops) / sizeof(fault_loops[0])));
    tcase_add_test(tc, session_recovery);
    tcase_add_test(tc, relogin_keeps_handles);
    tcase_add_test(tc, fork_reinitialises_lazily);
    tcase_add_test(tc, module_without_eddsa);
    tcase_add_test(tc, rsa_mechanism_choice);
    tcase_add_loop_test(tc, rollback_after_logout, 0, 2);
    tcase_add_test(tc, rollback_spares_lookalikes);
    tcase_add_test(tc, rw_only_when_writing);
    tcase_add_test(tc, store_renews_session_rw);
    suite_add_tcase(s, tc);
    return p11_fixture_main(labels, s);
}
