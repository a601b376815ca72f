/*
 * src/local.h - the private header of libp11cmp: internal structures and
 * every internal prototype, grouped by the file that defines them.
 * Internal names start with p11cmp_; nothing here is exported.
 */
#ifndef P11CMP_LOCAL_H
#define P11CMP_LOCAL_H

#include <openssl/err.h>
#include <p11cmp/p11cmp.h>

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

#endif /* P11CMP_LOCAL_H */
