/*
 * pkcs11/p11_ckr.c - PKCS#11 return codes by name: the CKR_ value -> name
 * table, and remembering the last failing module call of a token handle
 * (p11cmp_p11_raise() in p11_token.c raises it).
 */
#include "config.h"


#include "p11_local.h"

struct ckr_name {
    CK_RV rv;
    const char *name;
};

#define P11CMP_CKR(n) {n, #n},
static const struct ckr_name ckr_names[] = {
#include "p11_ckr_list.h"
};
#undef P11CMP_CKR

const char *p11cmp_p11_ckr_name(CK_RV rv)
{
    size_t i;

    for (i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++)
        if (ckr_names[i].rv == rv)
            return ckr_names[i].name;
    return NULL;
}

CK_RV p11cmp_p11_note(P11CMP_P11_TOKEN *tok, const char *fn, CK_RV rv)
{
    if (rv != CKR_OK && tok != NULL) {
        tok->last_fn = fn;
        tok->last_rv = rv;
    }
    return rv;
}

CK_RV p11cmp_p11_called(P11CMP_P11_TOKEN *tok, const char *fn, CK_RV rv)
{
    ERR_pop_to_mark();
    return p11cmp_p11_note(tok, fn, rv);
}
