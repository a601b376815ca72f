/*
 * tests/last_reason.h - for the unit tests' assertions on errors: the
 * p11cmp reason code of the newest error on OpenSSL's error stack.
 */
#ifndef TESTS_LAST_REASON_H
#define TESTS_LAST_REASON_H

#include <openssl/err.h>
#include <p11cmp/p11cmp.h>

/* The p11cmp reason of the newest error, -1 if none or foreign; leaves
 * the stack as it is. */
static inline int last_reason(void)
{
    unsigned long e = ERR_peek_last_error();

    if (e == 0 || ERR_GET_LIB(e) != P11CMP_ERR_get_lib())
        return -1;
    return ERR_GET_REASON(e);
}

#endif
