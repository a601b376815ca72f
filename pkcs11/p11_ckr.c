/*
 * pkcs11/p11_ckr.c - PKCS#11 return codes by name: the CKR_ value -> name
 * table, remembering the last failing module call of a token handle, and
 * raising it as a p11cmp error whose data names the function, the CKR_
 * code and the URI (never a PIN).
 */
#include "config.h"

#include <stdio.h>

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

void p11cmp_p11_raise(P11CMP_P11_TOKEN *tok, int reason, const char *what)
{
    const char *name = NULL, *fn = "?", *uri = "?";
    unsigned long rv = 0;

    if (tok != NULL) {
        rv = tok->last_rv;
        fn = tok->last_fn != NULL ? tok->last_fn : "?";
        uri = p11cmp_p11_token_uri(tok);
        name = p11cmp_p11_ckr_name(tok->last_rv);
    }
    if (tok == NULL || tok->last_fn == NULL)
        p11cmp_raise_data(reason, "%s%suri=%s", what != NULL ? what : "",
                          what != NULL ? "; " : "", uri);
    else
        p11cmp_raise_data(reason, "%s: %s (0x%lx)%s%s; uri=%s", fn,
                          name != NULL ? name : "CKR_VENDOR_DEFINED", rv,
                          what != NULL ? "; " : "",
                          what != NULL ? what : "", uri);
}
