/*
 * tests/shim/p11shim.c - a fault-injecting PKCS#11 module for tests: it
 * forwards every call to a real module (P11SHIM_REAL_MODULE, default
 * $SOFTHSM2_MODULE) and counts the calls; call number P11SHIM_FAIL_AT
 * (1-based) returns P11SHIM_FAIL_RV (a CKR_ name or number) instead of
 * being forwarded; with P11SHIM_REPORT=FILE the count is written to FILE
 * at C_Finalize. Tests in the same process steer it through the p11shim_
 * functions below (failing one call or a run of calls, by number or by
 * function name), and with p11shim_hide_mech() make it a module without
 * a mechanism (C_GetMechanismInfo, C_SignInit and C_GenerateKeyPair
 * answer CKR_MECHANISM_INVALID for it). It records the kind of each
 * session asked for (read-only or read-write) for p11shim_sessions().
 * Like a module bound to a device, it answers CKR_CRYPTOKI_NOT_INITIALIZED
 * in a child process (after fork) until the child calls C_Initialize.
 * For crash tests, P11SHIM_KILL_AFTER_WRITE=N kills the process with
 * SIGKILL right after the Nth call that changes the token (C_CreateObject,
 * C_DestroyObject, C_SetAttributeValue, C_GenerateKeyPair) returned, and
 * P11SHIM_REPORT also writes "writes N".
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

struct ckr_name {
    CK_RV rv;
    const char *name;
};

#define P11CMP_CKR(n) {n, #n},
static const struct ckr_name ckr_names[] = {
#include "../../pkcs11/p11_ckr_list.h"
};

static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST shim;
static unsigned long calls, fail_at, fail_count = 1, fn_hits, failed;
static CK_RV fail_rv = CKR_DEVICE_ERROR;
static char fail_fn[64];
static const char *last_failed = "";
static pid_t init_pid; /* the process that called C_Initialize */
static CK_MECHANISM_TYPE hidden = (CK_MECHANISM_TYPE)-1;
static unsigned long opened[2]; /* C_OpenSession calls: [0] ro, [1] rw */
static unsigned long writes, kill_after_write; /* P11SHIM_KILL_AFTER_WRITE */

/* Control from a test in the same process (found with dlsym). */
void p11shim_fail_at(unsigned long n, CK_RV rv);
void p11shim_fail_fn(const char *name, CK_RV rv);
void p11shim_fail_count(unsigned long count);
unsigned long p11shim_calls(void);
unsigned long p11shim_failed(void);
const char *p11shim_last_failed(void);
void p11shim_hide_mech(CK_MECHANISM_TYPE mech);
void p11shim_sessions(unsigned long *ro, unsigned long *rw);

/*
 * The C_OpenSession calls since the last call of this function: without
 * CKF_RW_SESSION into *ro, with it into *rw; the counts start again.
 */
void p11shim_sessions(unsigned long *ro, unsigned long *rw)
{
    *ro = opened[0];
    *rw = opened[1];
    opened[0] = opened[1] = 0;
}

/* From now on the module has no mechanism mech; (CK_ULONG)-1: all again */
void p11shim_hide_mech(CK_MECHANISM_TYPE mech)
{
    hidden = mech;
}

/* The next call of function name (e.g. "C_Sign") fails with rv, once. */
void p11shim_fail_fn(const char *name, CK_RV rv)
{
    strncpy(fail_fn, name, sizeof(fail_fn) - 1);
    fail_rv = rv;
    fail_count = 1;
    fn_hits = 0;
}

/* Call number n (counted since the module was loaded; 0: none) fails. */
void p11shim_fail_at(unsigned long n, CK_RV rv)
{
    fail_at = n;
    fail_rv = rv;
    fail_count = 1;
}

/*
 * Widens the failure just armed: the count calls from call n on (any
 * function) fail, or the next count calls of function name.
 */
void p11shim_fail_count(unsigned long count)
{
    fail_count = count;
}

/* Calls made so far. */
unsigned long p11shim_calls(void)
{
    return calls;
}

/* Calls failed on purpose so far. */
unsigned long p11shim_failed(void)
{
    return failed;
}

/* The function of the last call failed on purpose ("" if none). */
const char *p11shim_last_failed(void)
{
    return last_failed;
}

static CK_RV parse_rv(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++)
        if (strcmp(ckr_names[i].name, s) == 0)
            return ckr_names[i].rv;
    return strtoul(s, NULL, 0);
}

/* 1 if this call of name (a string literal) is to fail; counts it. */
static int fail_now(const char *name)
{
    ++calls;
    if (fail_fn[0] != '\0' && strcmp(fail_fn, name) == 0) {
        if (++fn_hits >= fail_count)
            fail_fn[0] = '\0';
    } else if (fail_at == 0 || calls < fail_at
               || calls - fail_at >= fail_count) {
        return 0;
    }
    failed++;
    last_failed = name;
    return 1;
}

#define WRAP(name, params, args) WRAP_MECH(name, params, args, (CK_ULONG)-2)

/* the same for a function using mechanism mech, which may be hidden */
#define WRAP_MECH(name, params, args, mech) \
    WRAP_NOTE(name, params, args, mech, (void)0, 0)

/* a call that changes the token */
#define WRAP_WRITE(name, params, args, mech) \
    WRAP_NOTE(name, params, args, mech, (void)0, 1)

/* the same, running statement note before a call is forwarded */
#define WRAP_NOTE(name, params, args, mech, note, write) \
    static CK_RV w_##name params \
    { \
        CK_RV rv_; \
        if (fail_now(#name)) \
            return fail_rv; \
        if (init_pid != getpid()) \
            return CKR_CRYPTOKI_NOT_INITIALIZED; \
        if ((mech) == hidden) \
            return CKR_MECHANISM_INVALID; \
        note; \
        rv_ = real->name args; \
        if ((write) && ++writes == kill_after_write) \
            (void)raise(SIGKILL); \
        return rv_; \
    }

static CK_RV w_C_Initialize(void *a)
{
    CK_RV rv;

    if (fail_now("C_Initialize"))
        return fail_rv;
    rv = real->C_Initialize(a);
    /* the real module may not see the fork: it is initialised for us */
    if (rv == CKR_OK || (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED
                         && init_pid != getpid())) {
        init_pid = getpid();
        rv = CKR_OK;
    }
    return rv;
}

/* With P11SHIM_REPORT=FILE, C_Finalize writes "calls N" into FILE. */
static CK_RV w_C_Finalize(void *a)
{
    const char *path = getenv("P11SHIM_REPORT");
    FILE *f;

    if (fail_now("C_Finalize"))
        return fail_rv;
    if (path != NULL && (f = fopen(path, "w")) != NULL) {
        fprintf(f, "calls %lu\nwrites %lu\n", calls, writes);
        fclose(f);
    }
    return real->C_Finalize(a);
}
WRAP(C_GetInfo, (CK_INFO *i), (i))
WRAP(C_GetSlotList, (CK_BBOOL p, CK_SLOT_ID *l, CK_ULONG *n), (p, l, n))
WRAP(C_GetSlotInfo, (CK_SLOT_ID s, CK_SLOT_INFO *i), (s, i))
WRAP(C_GetTokenInfo, (CK_SLOT_ID s, CK_TOKEN_INFO *i), (s, i))
WRAP_NOTE(C_OpenSession, (CK_SLOT_ID s, CK_FLAGS f, void *a, CK_NOTIFY n,
                          CK_SESSION_HANDLE *h), (s, f, a, n, h),
          (CK_ULONG)-2, opened[(f & CKF_RW_SESSION) != 0]++, 0)
WRAP(C_CloseSession, (CK_SESSION_HANDLE h), (h))
WRAP(C_Login, (CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR *p,
               CK_ULONG l), (h, u, p, l))
WRAP(C_Logout, (CK_SESSION_HANDLE h), (h))
WRAP_WRITE(C_CreateObject, (CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n,
                      CK_OBJECT_HANDLE *o), (h, t, n, o), (CK_ULONG)-2)
WRAP_WRITE(C_DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o), (h, o),
           (CK_ULONG)-2)
WRAP(C_GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                           CK_ATTRIBUTE *t, CK_ULONG n), (h, o, t, n))
WRAP_WRITE(C_SetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                                 CK_ATTRIBUTE *t, CK_ULONG n), (h, o, t, n),
           (CK_ULONG)-2)
WRAP(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n),
     (h, t, n))
WRAP(C_FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *o, CK_ULONG m,
                     CK_ULONG *n), (h, o, m, n))
WRAP(C_FindObjectsFinal, (CK_SESSION_HANDLE h), (h))
WRAP_MECH(C_SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM *m,
                      CK_OBJECT_HANDLE k), (h, m, k), m->mechanism)
WRAP(C_Sign, (CK_SESSION_HANDLE h, CK_BYTE *d, CK_ULONG dl, CK_BYTE *s,
              CK_ULONG *sl), (h, d, dl, s, sl))
WRAP_WRITE(C_GenerateKeyPair, (CK_SESSION_HANDLE h, CK_MECHANISM *m,
                               CK_ATTRIBUTE *pt, CK_ULONG pn,
                               CK_ATTRIBUTE *kt, CK_ULONG kn,
                               CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv),
           (h, m, pt, pn, kt, kn, pub, priv), m->mechanism)
WRAP_MECH(C_GetMechanismInfo, (CK_SLOT_ID s, CK_MECHANISM_TYPE t,
                               CK_MECHANISM_INFO *i), (s, t, i), t)

static int load_real(void)
{
    const char *path = getenv("P11SHIM_REAL_MODULE");
    const char *s;
    CK_RV (*get)(CK_FUNCTION_LIST **);
    void *dl;

    if (path == NULL)
        path = getenv("SOFTHSM2_MODULE");
    if (path == NULL)
        path = "/usr/lib/softhsm/libsofthsm2.so";
    if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
        return 0;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get == NULL || get(&real) != CKR_OK)
        return 0;
    if ((s = getenv("P11SHIM_FAIL_AT")) != NULL)
        fail_at = strtoul(s, NULL, 10);
    if ((s = getenv("P11SHIM_FAIL_RV")) != NULL)
        fail_rv = parse_rv(s);
    if ((s = getenv("P11SHIM_KILL_AFTER_WRITE")) != NULL)
        kill_after_write = strtoul(s, NULL, 10);
    shim = *real; /* what is not wrapped goes straight through */
    shim.C_Initialize = w_C_Initialize;
    shim.C_Finalize = w_C_Finalize;
    shim.C_GetInfo = w_C_GetInfo;
    shim.C_GetSlotList = w_C_GetSlotList;
    shim.C_GetSlotInfo = w_C_GetSlotInfo;
    shim.C_GetTokenInfo = w_C_GetTokenInfo;
    shim.C_OpenSession = w_C_OpenSession;
    shim.C_CloseSession = w_C_CloseSession;
    shim.C_Login = w_C_Login;
    shim.C_Logout = w_C_Logout;
    shim.C_CreateObject = w_C_CreateObject;
    shim.C_DestroyObject = w_C_DestroyObject;
    shim.C_GetAttributeValue = w_C_GetAttributeValue;
    shim.C_SetAttributeValue = w_C_SetAttributeValue;
    shim.C_FindObjectsInit = w_C_FindObjectsInit;
    shim.C_FindObjects = w_C_FindObjects;
    shim.C_FindObjectsFinal = w_C_FindObjectsFinal;
    shim.C_SignInit = w_C_SignInit;
    shim.C_Sign = w_C_Sign;
    shim.C_GenerateKeyPair = w_C_GenerateKeyPair;
    shim.C_GetMechanismInfo = w_C_GetMechanismInfo;
    return 1;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST **list);

CK_RV C_GetFunctionList(CK_FUNCTION_LIST **list)
{
    if (real == NULL && !load_real())
        return CKR_GENERAL_ERROR;
    *list = &shim;
    return CKR_OK;
}
