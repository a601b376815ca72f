/*
 * pkcs11/p11_module.c - PKCS#11 modules: loaded with dlopen and
 * initialised once per process, kept in a process-wide registry keyed by
 * the module's function list (two paths to one library share one entry),
 * re-initialised lazily in a child after fork.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "p11_local.h"

static P11CMP_P11_MODULE *modules;
static CRYPTO_RWLOCK *registry_lock;
static CRYPTO_ONCE registry_once = CRYPTO_ONCE_STATIC_INIT;

static void registry_init(void)
{
    registry_lock = CRYPTO_THREAD_lock_new();
}

static int registry_lock_write(void)
{
    return CRYPTO_THREAD_run_once(&registry_once, registry_init)
        && registry_lock != NULL && CRYPTO_THREAD_write_lock(registry_lock);
}

/* C_Initialize with OS locking; someone else's initialisation is fine. */
static int module_initialise(P11CMP_P11_MODULE *mod)
{
    CK_C_INITIALIZE_ARGS args;
    CK_RV rv;

    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    ERR_set_mark(); /* drop what the module's own libcrypto use leaves */
    rv = mod->fl->C_Initialize(&args);
    ERR_pop_to_mark();
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        p11cmp_raise_data(P11CMP_R_MODULE_LOAD_FAILED,
                          "C_Initialize: %s (0x%lx); module=%s",
                          p11cmp_p11_ckr_name(rv) != NULL
                          ? p11cmp_p11_ckr_name(rv) : "CKR_?",
                          (unsigned long)rv, mod->path);
        return 0;
    }
    mod->we_initialised = rv == CKR_OK;
    mod->pid = getpid();
    mod->gen++;
    return 1;
}

static P11CMP_P11_MODULE *module_load(const char *path)
{
    P11CMP_P11_MODULE *mod = NULL;
    CK_C_GetFunctionList get_list;
    CK_FUNCTION_LIST *fl = NULL;
    void *dl;

    ERR_set_mark(); /* see module_initialise() */
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ERR_pop_to_mark();
    if (dl == NULL) {
        p11cmp_raise_data(P11CMP_R_MODULE_LOAD_FAILED, "module=%s: %s",
                          path, dlerror());
        return NULL;
    }
    *(void **)&get_list = dlsym(dl, "C_GetFunctionList");
    if (get_list == NULL || get_list(&fl) != CKR_OK || fl == NULL) {
        p11cmp_raise_data(P11CMP_R_MODULE_LOAD_FAILED,
                          "module=%s: no C_GetFunctionList", path);
        goto err;
    }
    for (mod = modules; mod != NULL; mod = mod->next)
        if (mod->fl == fl) {
            dlclose(dl); /* the registry holds one reference already */
            return mod;
        }
    if ((mod = OPENSSL_zalloc(sizeof(*mod))) == NULL
        || (mod->path = OPENSSL_strdup(path)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    mod->fl = fl;
    mod->dl = dl;
    if (!module_initialise(mod))
        goto err;
    mod->next = modules;
    modules = mod;
    return mod;
 err:
    if (mod != NULL)
        OPENSSL_free(mod->path);
    OPENSSL_free(mod);
    dlclose(dl);
    return NULL;
}

P11CMP_P11_MODULE *p11cmp_p11_module_get(const char *path)
{
    P11CMP_P11_MODULE *mod;

    if (path == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (!registry_lock_write()) {
        p11cmp_raise(P11CMP_R_INTERNAL_ERROR);
        return NULL;
    }
    mod = module_load(path);
    CRYPTO_THREAD_unlock(registry_lock);
    if (mod != NULL && !p11cmp_p11_module_check_fork(mod))
        return NULL;
    return mod;
}

int p11cmp_p11_module_check_fork(P11CMP_P11_MODULE *mod)
{
    int res;

    if (mod->pid == getpid())
        return 1;
    if (!registry_lock_write()) {
        p11cmp_raise(P11CMP_R_INTERNAL_ERROR);
        return 0;
    }
    /* In the child: the parent's sessions are gone; initialise anew. */
    res = mod->pid == getpid() || module_initialise(mod);
    CRYPTO_THREAD_unlock(registry_lock);
    return res;
}

void p11cmp_p11_modules_cleanup(void)
{
    P11CMP_P11_MODULE *mod, *next;

    if (!registry_lock_write())
        return;
    for (mod = modules; mod != NULL; mod = next) {
        next = mod->next;
        if (mod->we_initialised && mod->pid == getpid()) {
            ERR_set_mark();
            (void)mod->fl->C_Finalize(NULL);
            ERR_pop_to_mark();
        }
        /*
         * No dlclose(): modules linked against libcrypto leave exit
         * handlers behind that would then point into unmapped code.
         */
        OPENSSL_free(mod->path);
        OPENSSL_free(mod);
    }
    modules = NULL;
    CRYPTO_THREAD_unlock(registry_lock);
}

const char *p11cmp_p11_default_module(void)
{
    const char *env = getenv("P11CMP_MODULE");

    if (env != NULL && *env != '\0')
        return env;
    return "p11-kit-proxy.so";
}
