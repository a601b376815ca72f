/*
 * src/err.h - how libp11cmp raises its errors: the ERR library code of
 * p11cmp (err.c) and the macros that put a P11CMP_R_ reason on the ERR
 * stack. The one internal header the PKCS#11 layer (pkcs11/) shares with
 * the engine.
 */
#ifndef P11CMP_ERR_LOCAL_H
#define P11CMP_ERR_LOCAL_H

#include <openssl/err.h>
#include <p11cmp/err.h>

/* from err.c */
int p11cmp_err_lib(void);

/*
 * Puts reason on the ERR stack with p11cmp's library code and the caller's
 * file, line and function; the _data form adds a printf-style text.
 * Both evaluate to nothing useful: use them as statements.
 */
#define p11cmp_raise(reason) \
    (ERR_new(), ERR_set_debug(OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC), \
     ERR_set_error(p11cmp_err_lib(), (reason), NULL))
#define p11cmp_raise_data(reason, ...) \
    (ERR_new(), ERR_set_debug(OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC), \
     ERR_set_error(p11cmp_err_lib(), (reason), __VA_ARGS__))

#endif
