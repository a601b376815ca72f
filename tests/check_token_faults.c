/*
 * tests/check_token_faults.c - PKCS#11 failures injected through the shim
 * module (tests/shim) into whole transactions against the test CA: IR
 * with a key generated on the token, CR and P10CR protected by a token
 * key loaded by URI (its certificate read from the token by URI), KUR of
 * such a pair, RR removing the revoked pair, and the loading by URI
 * alone. Each call the transaction makes, from loading its keys on, fails
 * in turn, with the CKR_ code varied from call to call: a failed
 * transaction names the function and the CKR_ code and leaves the token
 * exactly as before (RR failing after the CA revoked, and an undo that
 * itself failed, leave what the man pages say); a lost session
 * (CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED) is found again, within
 * P11CMP_P11_MAX_RETRIES tries and no more; what a transaction that
 * succeeds anyway leaves on the token is checked exactly.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "p11_local.h"
#include "token_ca.h"

static const char *const labels[] = {"f-ir", "f-sig", "f-kur", "f-rr",
                                     "f-lost", NULL};

#define listed(token, label) p11_fixture_count_label((token), (label))

static SHIM_CTL shim;

/* The codes injected in turn; the last two say the session was lost. */
static const CK_RV codes[] = {
    CKR_DEVICE_ERROR, CKR_GENERAL_ERROR, CKR_DEVICE_MEMORY,
    CKR_FUNCTION_FAILED, CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

static int lost(CK_RV rv)
{
    return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_DEVICE_REMOVED;
}

/* 1 if fn is in a name list ending in NULL. */
static int fn_in(const char *fn, const char *const *names)
{
    for (; *names != NULL; names++)
        if (strcmp(fn, *names) == 0)
            return 1;
    return 0;
}

/* Calls made on an open session: retried on a new one if it was lost. */
static int retried(const char *fn)
{
    static const char *const names[] = {
        "C_FindObjectsInit", "C_FindObjects", "C_FindObjectsFinal",
        "C_GetAttributeValue", "C_SetAttributeValue", "C_CreateObject",
        "C_DestroyObject", "C_SignInit", "C_Sign", "C_GenerateKeyPair", NULL
    };

    return fn_in(fn, names);
}

/*
 * Calls whose failure must not fail the transaction: closing a session
 * that is no longer used, and reading the token info of a slot that is
 * not the one asked for (the shim cannot tell the slots apart).
 */
static int harmless(const char *fn)
{
    static const char *const names[] = {
        "C_CloseSession", "C_GetTokenInfo", NULL
    };

    return fn_in(fn, names);
}

/* The failure injected into the current run (fn NULL: none). */
static const char *injected_fn;
static CK_RV injected_rv;

/* The error queue of the last run: one "\nR<reason> <data>" a line. */
static char errs[8192];

static void take_errors(void)
{
    const char *data;
    size_t n = 0;
    unsigned long e;
    int flags;

    errs[0] = '\0';
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0)
        if (n < sizeof(errs))
            n += snprintf(errs + n, sizeof(errs) - n, "\nR%d %s",
                          ERR_GET_LIB(e) == P11CMP_ERR_get_lib()
                          ? ERR_GET_REASON(e) : -1,
                          (flags & ERR_TXT_STRING) != 0 ? data : "");
}

/* 1 if the errors of the last run have p11cmp's reason. */
static int errs_have_reason(int reason)
{
    char r[32];

    snprintf(r, sizeof(r), "\nR%d ", reason);
    return strstr(errs, r) != NULL;
}

/* 1 if the errors name call fn and code rv as "fn: CKR_NAME (". */
static int errs_name(const char *fn, CK_RV rv)
{
    char text[128];

    snprintf(text, sizeof(text), "%s: %s (", fn, p11cmp_p11_ckr_name(rv));
    return strstr(errs, text) != NULL;
}

/* A read-write token handle on label without the shim, logged in. */
static P11CMP_P11_TOKEN *plain_token(const char *label)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_token_open(URI(label, ""), NULL,
                                                  P11CMP_P11_RW);

    ck_assert_ptr_nonnull(tok);
    return tok;
}

/*
 * Settles the journal (p11_journal.c) on token label as the next process
 * would: what a run left because the device stayed away through its
 * rollback is undone then. The records there were before.
 */
static int settle_journal(const char *label)
{
    P11CMP_P11_TOKEN *tok = plain_token(label);
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_APPLICATION, "p11cmp journal", 14}};
    CK_OBJECT_HANDLE h[8];
    CK_ULONG n = 0, left = 1;

    ck_assert(p11cmp_p11_find(tok, t, 2, h, 8, &n));
    ck_assert(p11cmp_p11_journal_recover_mine(tok));
    ck_assert(p11cmp_p11_find(tok, t, 2, h, 8, &left));
    ck_assert_int_eq(left, 0);
    p11cmp_p11_token_free(tok);
    return (int)n;
}

/* A CKA_ID. */
typedef struct {
    unsigned char v[64];
    size_t len;
} CKAID;

static int id_eq(const CKAID *a, const CKAID *b)
{
    return a->len == b->len && memcmp(a->v, b->v, a->len) == 0;
}

/* Objects on token label with CKA_ID id. */
static int count_id(const char *label, const CKAID *id)
{
    P11CMP_P11_TOKEN *tok = plain_token(label);
    CK_ATTRIBUTE a = {CKA_ID, (void *)id->v, id->len};
    CK_OBJECT_HANDLE h[8];
    CK_ULONG n = 0;

    ck_assert(p11cmp_p11_find(tok, &a, 1, h, 8, &n));
    p11cmp_p11_token_free(tok);
    return (int)n;
}

/*
 * Certificate objects on token label holding cert; with destroy set they
 * are destroyed; the CKA_ID of the first into id if not NULL. Their
 * number.
 */
static int cert_objects(const char *label, X509 *cert, int destroy,
                        CKAID *id)
{
    P11CMP_P11_TOKEN *tok = plain_token(label);
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    unsigned char *der = NULL, *v = NULL;
    int len = i2d_X509(cert, &der);
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_VALUE, der, (CK_ULONG)len}};
    CK_OBJECT_HANDLE h[8];
    CK_ULONG n = 0, i;

    ck_assert_int_gt(len, 0);
    ck_assert(p11cmp_p11_find(tok, t, 2, h, 8, &n));
    if (id != NULL && n > 0) {
        ck_assert(p11cmp_p11_get_attr(tok, h[0], CKA_ID, &v, &id->len));
        ck_assert_int_le(id->len, sizeof(id->v));
        memcpy(id->v, v, id->len);
    }
    for (i = 0; destroy && i < n; i++)
        ck_assert(p11cmp_p11_destroy(tok, h[i]));
    OPENSSL_free(v);
    OPENSSL_free(der);
    p11cmp_p11_token_free(tok);
    return (int)n;
}

/* A transaction under test; its hooks get the TXN. */
typedef struct txn_st TXN;
struct txn_st {
    const char *name;
    const char *token;            /* the token it works on */
    const char *label;            /* the key pair it works with */
    int type;                     /* its request type, e.g. P11CMP_CR */
    void (*prepare)(const TXN *); /* before each run; NULL: nothing */
    int (*run)(const TXN *);      /* through the shim; 1 if it succeeded */
    void (*check_ok)(const TXN *);  /* checks (and undoes) a success */
    /* checks a failed run; NULL: expect_unchanged() */
    void (*check_failed)(const TXN *, const char *before);
    /* 1 if a success despite a failed call is as documented */
    int (*tolerated)(const TXN *);
};

static unsigned long run_no; /* k of the current run */
static unsigned long window_now; /* its window */
static int undo_failed; /* failed IRs that could not remove their key */

/* Asserts that token t->token lists as before. */
static void expect_unchanged(const TXN *t, const char *before)
{
    char *after = p11_fixture_list(t->token);

    ck_assert_msg(after != NULL && strcmp(before, after) == 0,
                  "%s call %lu (%s, %s) left the token changed:\n%s",
                  t->name, run_no, injected_fn != NULL ? injected_fn : "-",
                  p11cmp_p11_ckr_name(injected_rv), after);
    free(after);
}

/* Checks one failed run: the injected call named, the token kept. */
static void failed_run(const TXN *t, unsigned long window,
                       const char *before)
{
    /* several failed calls (window): the code is named, maybe not for
     * the last of them */
    ck_assert_msg(errs_name(window > 1 ? "" : injected_fn, injected_rv),
                  "%s call %lu (%s, %s) failed without naming it:%s",
                  t->name, run_no, injected_fn,
                  p11cmp_p11_ckr_name(injected_rv), errs);
    /* the device away through the rollback too: the next run's work */
    if (window > 1)
        (void)settle_journal(t->token);
    if (t->check_failed != NULL)
        t->check_failed(t, before);
    else
        expect_unchanged(t, before);
}

/* Checks one run that succeeded although call run_no failed. */
static void succeeded_run(const TXN *t, unsigned long window,
                          const char *before, unsigned long *counts)
{
    int must = window == 1 && lost(injected_rv) && retried(injected_fn);
    int kind = must ? 0 : harmless(injected_fn) ? 1 : 2;

    ck_assert_msg(kind < 2 || (t->tolerated != NULL && t->tolerated(t)),
                  "%s call %lu (%s, %s) did not fail it", t->name, run_no,
                  injected_fn, p11cmp_p11_ckr_name(injected_rv));
    t->check_ok(t);
    if (t->prepare == NULL)
        expect_unchanged(t, before); /* check_ok took all back */
    counts[kind]++;
}

/*
 * Runs t once per call it makes: run k fails calls k .. k + window - 1
 * (counted from the start of run) with codes[k % NCODES], or with
 * CKR_DEVICE_REMOVED when window > 1 (the device stays away longer than
 * the retries). A run ends as the code and the failed call demand: a lost
 * session in a call on a session, failing once: success (recovered);
 * else failure, or success if the call is harmless() or t->tolerated().
 * Ends when a run makes fewer than k calls (it must succeed).
 */
static void fail_each_call(const TXN *t, unsigned long window)
{
    char *before = NULL;
    unsigned long base, nfailed, failed = 0, counts[3] = {0, 0, 0};
    time_t start = time(NULL);
    int ok;

    window_now = window;
    for (run_no = 1; run_no <= 500; run_no++) {
        if (t->prepare != NULL)
            t->prepare(t);
        if (t->prepare != NULL || before == NULL) {
            free(before);
            ck_assert_ptr_nonnull(before = p11_fixture_list(t->token));
        }
        injected_rv = window > 1 ? CKR_DEVICE_REMOVED
            : codes[run_no % NCODES];
        base = shim.calls();
        nfailed = shim.failed();
        shim.fail_at(base + run_no, injected_rv);
        shim.fail_count(window);
        ok = t->run(t);
        shim.fail_at(0, CKR_OK);
        injected_fn = shim.failed() > nfailed ? shim.last_failed() : NULL;
        take_errors();
        if (injected_fn == NULL) { /* past the last call: all went well */
            ck_assert_msg(ok, "%s failed without a failure:%s", t->name,
                          errs);
            t->check_ok(t);
            break;
        }
        ck_assert_msg(ok || window > 1 || !lost(injected_rv)
                      || !retried(injected_fn), "%s call %lu (%s, %s) was"
                      " not recovered:%s", t->name, run_no, injected_fn,
                      p11cmp_p11_ckr_name(injected_rv), errs);
        if (ok) {
            succeeded_run(t, window, before, counts);
        } else {
            failed_run(t, window, before);
            failed++;
        }
    }
    free(before);
    fprintf(stderr, "%s, %lu call(s) failing at a time: %lu PKCS#11 calls;"
            " %lu failed it cleanly, %lu recovered, %lu harmless, %lu "
            "tolerated (%ld s)\n", t->name, window, run_no - 1, failed,
            counts[0], counts[1], counts[2], (long)(time(NULL) - start));
    ck_assert_int_lt(run_no, 500);
    ck_assert_int_gt(run_no, 10);
    ck_assert_int_gt(failed, 0);
    ck_assert(window > 1 || counts[0] > 0);
}

/* What the transactions share: the certificate a run got, the pair's. */
static X509 *issued, *old_cert;
static X509_REQ *csr;
static CKAID pair_id;

/* The CKA_ID of the one certificate object of cert (then destroyed if
 * destroy). */
static CKAID cert_id(const char *token, X509 *cert, int destroy)
{
    CKAID id;

    ck_assert_int_eq(cert_objects(token, cert, destroy, &id), 1);
    return id;
}

/* Removes every object under label from token; expect: how many, or -1 */
static void delete_label(const char *token, const char *label, int expect)
{
    char extra[96];
    int n = -1;

    snprintf(extra, sizeof(extra), ";object=%s", label);
    ck_assert(P11CMP_PKCS11_delete_objects(URI(token, extra), NULL, &n));
    if (expect >= 0)
        ck_assert_int_eq(n, expect);
}

/* Keeps the certificate a run got (NULL: none) in issued. */
static int keep_issued(X509 *cert)
{
    X509_free(issued);
    issued = cert;
    return cert != NULL && X509_up_ref(cert);
}

/*
 * Request t->type with ctx (freed), for a key generated under t->label
 * through the shim first if newkey; the certificate into issued. 1 or 0.
 */
static int request(P11CMP_CTX *ctx, const TXN *t, int newkey)
{
    int ok;

    ok = (!newkey || P11CMP_CTX_generate_newPkey(ctx, SHIM_URI(t->token, ""),
                                                 "EC:P-256", t->label))
        && keep_issued(P11CMP_exec_certreq(ctx, t->type, NULL));
    P11CMP_CTX_free(ctx);
    return ok;
}

/* IR with a key generated through the shim; the CA sends caPubs. */
static int run_ir(const TXN *t)
{
    return request(token_ca_client(1, t->label), t, 1);
}

/* After an IR: the pair with its certificate, and the CA certificate. */
static void check_ok_ir(const TXN *t)
{
    CKAID id = cert_id(t->token, issued, 0);

    ck_assert_int_eq(count_id(t->token, &id), 3);
    delete_label(t->token, t->label, 3);
    delete_label(t->token, "p11cmp%20test%20CA", 1);
}

/* The URI of the pair's object of type (private, cert) through the shim */
static const char *pair_uri(const TXN *t, const char *type)
{
    char extra[96];

    snprintf(extra, sizeof(extra), ";object=%s;type=%s", t->label, type);
    return SHIM_URI(t->token, extra);
}

/*
 * A failed IR: the token as before. Only if the device stayed away
 * through the undo as well (several calls failing), the rollback may fail
 * (P11CMP_R_ROLLBACK_FAILED); then the journal left for the next run
 * undoes it (failed_run() settles it first).
 */
static void check_failed_ir(const TXN *t, const char *before)
{
    if (errs_have_reason(P11CMP_R_ROLLBACK_FAILED)) {
        /* the journal, settled in failed_run(), undid it all */
        ck_assert_msg(window_now > 1, "call %lu: rollback failed", run_no);
        undo_failed++;
    }
    expect_unchanged(t, before);
}

/*
 * A client signing with the pair t->label: key and certificate loaded
 * through the shim by URI. NULL if loading failed.
 */
static P11CMP_CTX *signing_client(const TXN *t)
{
    P11CMP_CTX *ctx = token_ca_client(0, NULL);

    if (P11CMP_CTX_set1_pkey_uri(ctx, pair_uri(t, "private"))
        && P11CMP_CTX_set1_cert_uri(ctx, pair_uri(t, "cert")))
        return ctx;
    P11CMP_CTX_free(ctx);
    return NULL;
}

/* CR or P10CR (t->type, the CSR csr) signed by the pair's token key. */
static int run_signed(const TXN *t)
{
    P11CMP_CTX *ctx = signing_client(t);

    if (ctx == NULL)
        return 0;
    if (t->type == P11CMP_P10CR)
        ck_assert(P11CMP_CTX_set1_p10CSR(ctx, csr));
    return request(ctx, t, 0);
}

/* After a CR or P10CR: the new certificate next to the pair's key. */
static void check_ok_signed(const TXN *t)
{
    CKAID id = cert_id(t->token, issued, 1);

    ck_assert(id_eq(&id, &pair_id));
}

/* Enrolls the pair t->label afresh (old_cert, pair_id): nothing else. */
static void prepare_pair(const TXN *t)
{
    delete_label(t->token, t->label, -1);
    X509_free(old_cert);
    old_cert = token_ca_enroll(t->token, t->label, "EC:P-256");
    pair_id = cert_id(t->token, old_cert, 0);
}

/* The KUR retired the old pair only in part and said so. */
static int kur_warned;

static int kur_log(const char *func, const char *file, int line,
                   P11CMP_severity level, const char *msg)
{
    (void)func, (void)file, (void)line;
    if (level == P11CMP_LOG_WARNING
        && strstr(msg, "could not all be deleted") != NULL)
        kur_warned = 1;
    return 1;
}

/* KUR of the pair t->label to a new key generated through the shim. */
static int run_kur(const TXN *t)
{
    P11CMP_CTX *ctx = signing_client(t);

    kur_warned = 0;
    if (ctx == NULL)
        return 0;
    ck_assert(P11CMP_CTX_set_log_cb(ctx, kur_log));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_LOG_VERBOSITY,
                                    P11CMP_LOG_WARNING));
    return request(ctx, t, 1);
}

/*
 * After a KUR: the new pair and its certificate; the old pair retired,
 * also when a deletion after the commit failed (warned): then by the
 * journal, settled as the next run would.
 */
static void check_ok_kur(const TXN *t)
{
    static const char *const retiring[] = {
        "C_FindObjectsInit", "C_FindObjects", "C_FindObjectsFinal",
        "C_GetAttributeValue", "C_DestroyObject", NULL
    };
    CKAID id = cert_id(t->token, issued, 0);
    int left;

    if (kur_warned) {
        /* a deletion after the commit failed: the journal's commit
         * record has the next run finish it */
        ck_assert_msg(fn_in(injected_fn, retiring), "warned after %s",
                      injected_fn);
        ck_assert_int_gt(settle_journal(t->token), 0);
    }
    left = count_id(t->token, &pair_id);
    ck_assert(!id_eq(&id, &pair_id));
    ck_assert_int_eq(count_id(t->token, &id), 3);
    ck_assert(token_ca_cert_is(t->token, t->label, issued));
    ck_assert_int_eq(listed(t->token, t->label), 3);
    ck_assert_int_eq(left, 0);
}

static int kur_tolerated(const TXN *t)
{
    (void)t;
    return kur_warned;
}

/* The status of the last RR; RRs that failed after the CA revoked. */
static int rr_status, rr_after_revocation;

/* RR of old_cert signed by its own token key, removing the pair. */
static int run_rr(const TXN *t)
{
    P11CMP_CTX *ctx = signing_client(t);
    int ok;

    rr_status = -1;
    if (ctx == NULL)
        return 0;
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, old_cert));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_REMOVE_REVOKED, 2));
    ok = P11CMP_exec_RR_ses(ctx) == 1;
    rr_status = P11CMP_CTX_get_status(ctx);
    P11CMP_CTX_free(ctx);
    return ok;
}

/* How often the test CA revoked old_cert. */
static int revocations(void)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(old_cert), NULL);
    char *hex = BN_bn2hex(bn), line[160];

    ck_assert_ptr_nonnull(hex);
    snprintf(line, sizeof(line), "revoked serial %s\n", hex);
    OPENSSL_free(hex);
    BN_free(bn);
    return testca_log_count(&token_ca, line);
}

static void check_ok_rr(const TXN *t)
{
    ck_assert_int_eq(revocations(), 1);
    ck_assert_int_eq(rr_status, P11CMP_PKISTATUS_accepted);
    ck_assert_int_eq(listed(t->token, t->label), 0);
}

/*
 * A failed RR. Before the CA revoked: the token as before. After (removing
 * the pair failed): status accepted, P11CMP_R_STORE_FAILED, and as the
 * certificate goes before its key objects, what is left is the whole
 * pair or key objects without their certificate.
 */
static void check_failed_rr(const TXN *t, const char *before)
{
    int left, certs;

    if (revocations() == 0) {
        ck_assert_int_ne(rr_status, P11CMP_PKISTATUS_accepted);
        expect_unchanged(t, before);
        return;
    }
    ck_assert_int_eq(rr_status, P11CMP_PKISTATUS_accepted);
    ck_assert_msg(errs_have_reason(P11CMP_R_STORE_FAILED), "%s", errs);
    left = count_id(t->token, &pair_id);
    certs = cert_objects(t->token, old_cert, 0, NULL);
    ck_assert_msg(left >= 1 && left <= 3 && (certs == 0 || left == 3),
                  "call %lu (%s): %d objects left, %d certificates",
                  run_no, injected_fn, left, certs);
    ck_assert_int_eq(listed(t->token, t->label), left);
    rr_after_revocation++;
}

/* Loads the pair by URI through the shim: client key, cert, old cert,
 * new key. */
static int run_load(const TXN *t)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    int ok;

    ck_assert_ptr_nonnull(ctx);
    if (!P11CMP_CTX_set1_pkey_uri(ctx, pair_uri(t, "private"))) {
        ck_assert_ptr_null(P11CMP_CTX_get0_newPkey(ctx, 1)); /* none set */
        P11CMP_CTX_free(ctx);
        return 0;
    }
    ok = P11CMP_CTX_set1_cert_uri(ctx, pair_uri(t, "cert"))
        && P11CMP_CTX_set1_oldCert_uri(ctx, pair_uri(t, "cert"))
        && P11CMP_CTX_set1_newPkey_uri(ctx, pair_uri(t, "private"));
    ck_assert(!ok || EVP_PKEY_eq(P11CMP_CTX_get0_newPkey(ctx, 1),
                                 X509_get0_pubkey(old_cert)) == 1);
    P11CMP_CTX_free(ctx);
    return ok;
}

static void check_ok_load(const TXN *t)
{
    (void)t; /* loading writes nothing: the listing is compared */
}

/* A PKCS#10 request for the token key of the pair label, signed by it. */
static X509_REQ *token_csr(const char *token, const char *label)
{
    char extra[96];
    EVP_PKEY *key;
    X509_REQ *req;

    snprintf(extra, sizeof(extra), ";object=%s;type=private", label);
    ck_assert_ptr_nonnull(key = P11CMP_PKCS11_load_key(URI(token, extra),
                                                       NULL));
    ck_assert_ptr_nonnull(req = p11_fixture_csr(key, label));
    EVP_PKEY_free(key);
    return req;
}

/*
 * The loops of t against a fresh test CA (ca_arg: one more argument or
 * NULL): one call failing at a time, and if wide, the device away for
 * P11CMP_P11_MAX_RETRIES + 1 calls. If pair, t's pair is enrolled first
 * (and a CSR for its key made for a P10CR).
 */
static void fault_loops(const TXN *t, const char *ca_arg, int pair,
                        int wide)
{
    token_ca_start(ca_arg, NULL);
    shim_attach(&shim, t->token);
    if (pair)
        prepare_pair(t);
    if (t->type == P11CMP_P10CR)
        csr = token_csr(t->token, t->label);
    fail_each_call(t, 1);
    if (wide)
        fail_each_call(t, P11CMP_P11_MAX_RETRIES + 1);
    X509_REQ_free(csr);
    csr = NULL;
    token_ca_stop();
}

START_TEST(ir_fails_cleanly_at_every_call)
{
    static const TXN t = {"IR", "f-ir", "flt", P11CMP_IR, NULL, run_ir,
                          check_ok_ir, check_failed_ir, NULL};

    undo_failed = 0;
    fault_loops(&t, "--send-capubs", 0, 1); /* the CA cert is stored too */
    fprintf(stderr, "IR: %d failed runs could not remove their key pair; "
            "their journal did\n", undo_failed);
}
END_TEST

/*
 * The transactions whose fault loops need nothing around them, each with
 * the arguments of fault_loops: CR and P10CR signed by a token key, KUR,
 * and loading key and certificate by URI.
 */
static const struct {
    TXN t;
    const char *ca_arg;
    int pair, wide;
} plain_loops[] = {
    { {"CR signed by a token key", "f-sig", "sig", P11CMP_CR, NULL,
       run_signed, check_ok_signed, NULL, NULL}, NULL, 1, 1 },
    { {"P10CR signed by a token key", "f-sig", "p10", P11CMP_P10CR, NULL,
       run_signed, check_ok_signed, NULL, NULL}, NULL, 1, 0 },
    { {"KUR", "f-kur", "kr", P11CMP_KUR, prepare_pair, run_kur,
       check_ok_kur, NULL, kur_tolerated}, NULL, 0, 0 },
    { {"loading by URI", "f-sig", "ld", 0, NULL, run_load, check_ok_load,
       NULL, NULL}, NULL, 1, 1 },
};

START_TEST(fails_cleanly_at_every_call)
{
    fault_loops(&plain_loops[_i].t, plain_loops[_i].ca_arg,
                plain_loops[_i].pair, plain_loops[_i].wide);
}
END_TEST

START_TEST(rr_fails_cleanly_at_every_call)
{
    static const TXN t = {"RR removing the revoked pair", "f-rr", "rv", 0,
                          prepare_pair, run_rr, check_ok_rr,
                          check_failed_rr, NULL};

    rr_after_revocation = 0;
    fault_loops(&t, NULL, 0, 0);
    fprintf(stderr, "RR: %d failed after the CA revoked\n",
            rr_after_revocation);
    ck_assert_int_gt(rr_after_revocation, 0);
}
END_TEST

/*
 * Call fn of t fails with the session-loss code rv P11CMP_P11_MAX_RETRIES
 * times in a row: t recovers; one time more: t fails cleanly, having
 * tried exactly that often.
 */
static void retry_bound(const TXN *t, const char *fn, CK_RV rv)
{
    char *before = p11_fixture_list(t->token);
    unsigned long count, n0;
    int ok;

    ck_assert_ptr_nonnull(before);
    for (count = P11CMP_P11_MAX_RETRIES;
         count <= P11CMP_P11_MAX_RETRIES + 1; count++) {
        n0 = shim.failed();
        shim.fail_fn(fn, rv);
        shim.fail_count(count);
        ok = t->run(t);
        take_errors();
        injected_fn = fn;
        injected_rv = rv;
        run_no = count;
        ck_assert_int_eq(shim.failed() - n0, count);
        if (count == P11CMP_P11_MAX_RETRIES) {
            ck_assert_msg(ok, "%s: %s failing %lu times:%s", t->name, fn,
                          count, errs);
            t->check_ok(t);
            expect_unchanged(t, before);
        } else {
            ck_assert_msg(!ok, "%s: %s failing %lu times", t->name, fn,
                          count);
            failed_run(t, 1, before);
        }
    }
    fprintf(stderr, "%s: %s lost with %s %d times: recovered; %d times: "
            "failed cleanly\n", t->name, fn, p11cmp_p11_ckr_name(rv),
            P11CMP_P11_MAX_RETRIES, P11CMP_P11_MAX_RETRIES + 1);
    free(before);
}

START_TEST(session_loss_retries_are_bounded)
{
    static const TXN cr = {"CR", "f-sig", "rt", P11CMP_CR, NULL,
                           run_signed, check_ok_signed, NULL, NULL};
    static const TXN load = {"loading by URI", "f-sig", "rt", 0, NULL,
                             run_load, check_ok_load, NULL, NULL};
    static const TXN ir = {"IR", "f-ir", "st", P11CMP_IR, NULL, run_ir,
                           check_ok_ir, NULL, NULL};

    token_ca_start("--send-capubs", NULL);
    shim_attach(&shim, cr.token);
    prepare_pair(&cr);
    retry_bound(&cr, "C_Sign", CKR_SESSION_HANDLE_INVALID);
    retry_bound(&load, "C_FindObjectsInit", CKR_SESSION_CLOSED);
    retry_bound(&ir, "C_GenerateKeyPair", CKR_TOKEN_NOT_PRESENT);
    retry_bound(&ir, "C_CreateObject", CKR_DEVICE_REMOVED);
    token_ca_stop();
}
END_TEST

/*
 * certConf callback: the token of the new key loses its login (arg 0:
 * logged out; 1: all sessions closed), then the certificate is rejected.
 */
static int lose_then_reject(P11CMP_CTX *ctx, X509 *cert, int fail_info,
                            const char **text)
{
    P11CMP_P11_TOKEN *tok;
    CK_RV rv;

    (void)cert, (void)fail_info;
    tok = p11cmp_p11_pkey_token(P11CMP_CTX_get0_newPkey(ctx, 1));
    if (P11CMP_CTX_get_certConf_cb_arg(ctx) == NULL)
        (void)P11CMP_P11_CALL(tok, rv, C_Logout, tok->session);
    else
        (void)P11CMP_P11_CALL(tok, rv, C_CloseAllSessions, tok->slot);
    *text = rv == CKR_OK ? "login lost" : "could not lose the login";
    return 1 << P11CMP_PKIFAILUREINFO_badCertTemplate;
}

/*
 * An IR with a key generated through the shim fails after the CA issued
 * the certificate (the certConf callback rejects it), and the token was
 * logged out (or all its sessions were closed) just before: the
 * generated pair is still found and removed, the token holds exactly
 * what it held before.
 */
START_TEST(ir_rollback_after_logout)
{
    P11CMP_CTX *ctx;
    char *before, *after;

    token_ca_start(NULL, NULL);
    shim_attach(&shim, "f-lost");
    ck_assert_ptr_nonnull(before = p11_fixture_list("f-lost"));
    ctx = token_ca_client(1, "lost");
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, SHIM_URI("f-lost", ""),
                                          "EC:P-256", "lost"));
    ck_assert_int_eq(listed("f-lost", "lost"), 2);
    ck_assert(P11CMP_CTX_set_certConf_cb(ctx, lose_then_reject));
    ck_assert(P11CMP_CTX_set_certConf_cb_arg(ctx, _i ? ctx : NULL));
    ERR_clear_error();
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    take_errors();
    ck_assert_msg(errs_have_reason(P11CMP_R_CERTIFICATE_NOT_ACCEPTED),
                  "%s", errs);
    ck_assert_msg(!errs_have_reason(P11CMP_R_ROLLBACK_FAILED), "%s", errs);
    ck_assert_int_eq(testca_log_count(&token_ca, "login lost"), 1);
    ck_assert_int_eq(listed("f-lost", "lost"), 0);
    P11CMP_CTX_free(ctx);
    ck_assert_ptr_nonnull(after = p11_fixture_list("f-lost"));
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    token_ca_stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("token_faults");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 600); /* KUR: ~200 runs, journal included */
    tcase_add_test(tc, ir_fails_cleanly_at_every_call);
    tcase_add_loop_test(tc, fails_cleanly_at_every_call, 0,
                        (int)(sizeof(plain_loops) / sizeof(plain_loops[0])));
    tcase_add_test(tc, rr_fails_cleanly_at_every_call);
    tcase_add_test(tc, session_loss_retries_are_bounded);
    tcase_add_loop_test(tc, ir_rollback_after_logout, 0, 2);
    suite_add_tcase(s, tc);
    return p11_fixture_main(labels, s);
}
