/*
 * pkcs11/p11_token.c - token handles: finding the one token a URI
 * describes, opening a session (read-write only when writing), logging in
 * (CKR_USER_ALREADY_LOGGED_IN is fine), settling what a dead process left
 * in the token's journal, and getting the session back after it was lost,
 * the token re-inserted or the process forked; raising a failed module
 * call of a token as a p11cmp error.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "p11_local.h"

const char *p11cmp_p11_token_uri(const P11CMP_P11_TOKEN *tok)
{
    return tok != NULL ? p11cmp_p11_uri_text(tok->uri) : "(none)";
}

#define PROXY "all modules of p11-kit; module-name= or module-path= names one"

/* Finds the one initialised token matching tok->uri; its slot into tok. */
static int find_slot(P11CMP_P11_TOKEN *tok)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64, i, found = 0;
    CK_TOKEN_INFO info;
    CK_RV rv;
    int proxy;

    tok->last_fn = NULL;
    if (P11CMP_P11_CALL(tok, rv, C_GetSlotList, CK_TRUE, slots, &n)
        != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_TOKEN_NOT_FOUND, "listing slots");
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (P11CMP_P11_CALL(tok, rv, C_GetTokenInfo, slots[i], &info)
            != CKR_OK || (info.flags & CKF_TOKEN_INITIALIZED) == 0
            || !p11cmp_p11_uri_match_token(tok->uri, &info))
            continue;
        if (found++ == 0)
            tok->slot = slots[i];
    }
    if (found == 1)
        return 1;
    /* p11-kit's proxy, the default, offers every configured module */
    proxy = strstr(tok->mod->path, "p11-kit-proxy") != NULL;
    if (found == 0 && tok->last_fn != NULL) {
        p11cmp_p11_raise(tok, P11CMP_R_TOKEN_NOT_FOUND, proxy
                         ? "reading tokens (module p11-kit-proxy: " PROXY ")"
                         : "reading tokens");
        return 0;
    }
    p11cmp_raise_data(found == 0 ? P11CMP_R_TOKEN_NOT_FOUND
                      : P11CMP_R_AMBIGUOUS_TOKEN,
                      "%lu of %lu slots match uri=%s (module %s%s)",
                      (unsigned long)found, (unsigned long)n,
                      p11cmp_p11_token_uri(tok), tok->mod->path,
                      proxy ? ": " PROXY : "");
    return 0;
}

/*
 * The PIN for tok from its source (see p11cmp_p11_pin_get()); the token's
 * label is only read when a prompt needs it. New string, or NULL + error.
 */
static char *read_pin(P11CMP_P11_TOKEN *tok)
{
    CK_TOKEN_INFO info;
    char label[sizeof(info.label) + 1];
    CK_RV rv;

    memset(label, 0, sizeof(label));
    if (p11cmp_p11_pin_would_prompt(tok->uri, tok->pin_source)
        && P11CMP_P11_CALL(tok, rv, C_GetTokenInfo, tok->slot, &info)
           == CKR_OK)
        memcpy(label, info.label, sizeof(info.label));
    label[strcspn(label, " ")] = '\0';
    return p11cmp_p11_pin_get(tok->uri, tok->pin_source, label);
}

int p11cmp_p11_token_login(P11CMP_P11_TOKEN *tok)
{
    CK_RV rv;

    if (tok->pin == NULL && (tok->pin = read_pin(tok)) == NULL)
        return 0;
    (void)P11CMP_P11_CALL(tok, rv, C_Login, tok->session, CKU_USER,
                          (CK_UTF8CHAR *)tok->pin, strlen(tok->pin));
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return 1;
    p11cmp_p11_raise(tok, P11CMP_R_LOGIN_FAILED, NULL);
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED) {
        /* never try a wrong PIN again on re-login */
        p11cmp_p11_pin_free(tok->pin);
        tok->pin = NULL;
    }
    return 0;
}

static int recoverable(CK_RV rv)
{
    return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED
        || rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT
        || rv == CKR_USER_NOT_LOGGED_IN;
}

CK_RV p11cmp_p11_token_context_login(P11CMP_P11_TOKEN *tok)
{
    char *pin;
    CK_RV rv;

    /* the user PIN kept from the login saves asking the user again */
    if (tok->pin != NULL
        && !p11cmp_p11_pin_available(tok->uri, tok->pin_source))
        pin = OPENSSL_strdup(tok->pin);
    else
        pin = read_pin(tok);
    if (pin == NULL)
        return p11cmp_p11_note(tok, "reading the PIN",
                               CKR_FUNCTION_CANCELED);
    (void)P11CMP_P11_CALL(tok, rv, C_Login, tok->session,
                          CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR *)pin,
                          strlen(pin));
    p11cmp_p11_pin_free(pin);
    if (rv != CKR_OK && !recoverable(rv))
        p11cmp_p11_raise(tok, P11CMP_R_LOGIN_FAILED,
                         "context-specific login");
    return rv;
}

static int open_session(P11CMP_P11_TOKEN *tok)
{
    CK_FLAGS fl = CKF_SERIAL_SESSION;
    CK_RV rv;

    if ((tok->flags & P11CMP_P11_RW) != 0)
        fl |= CKF_RW_SESSION;
    if (P11CMP_P11_CALL(tok, rv, C_OpenSession, tok->slot, fl, NULL, NULL,
                        &tok->session) != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_PKCS11_ERROR, "opening a session");
        return 0;
    }
    tok->have_session = 1;
    tok->gen = tok->mod->gen;
    if ((tok->flags & (P11CMP_P11_LOGIN | P11CMP_P11_RW)) != 0
        && !p11cmp_p11_token_login(tok))
        return 0;
    return 1;
}

int p11cmp_p11_token_ready(P11CMP_P11_TOKEN *tok)
{
    if (!p11cmp_p11_module_check_fork(tok->mod))
        return 0;
    if (tok->have_session && tok->gen == tok->mod->gen)
        return 1;
    tok->have_session = 0;
    return find_slot(tok) && open_session(tok);
}

int p11cmp_p11_token_renew_session(P11CMP_P11_TOKEN *tok)
{
    CK_SESSION_HANDLE old = tok->session;
    int had = tok->have_session && tok->gen == tok->mod->gen;
    int res;
    CK_RV rv;

    tok->have_session = 0;
    res = p11cmp_p11_token_ready(tok);
    /* a module that dropped the old session may hand its number out again */
    if (had && !(tok->have_session && tok->session == old))
        (void)P11CMP_P11_CALL(tok, rv, C_CloseSession, old);
    return res;
}

int p11cmp_p11_recover(P11CMP_P11_TOKEN *tok, CK_RV rv, int try)
{
    if (rv == CKR_OK || !recoverable(rv) || try >= P11CMP_P11_MAX_RETRIES)
        return 0;
    if (rv == CKR_USER_NOT_LOGGED_IN) {
        tok->flags |= P11CMP_P11_LOGIN;
        if (tok->have_session) {
            /* the session is alive: replace it by a logged-in one */
            ERR_set_mark();
            (void)p11cmp_p11_token_renew_session(tok);
            (void)ERR_pop_to_mark();
            return 1;
        }
    }
    tok->have_session = 0; /* token_ready re-finds and re-opens */
    return 1;
}

P11CMP_P11_TOKEN *p11cmp_p11_token_open(const char *uri,
                                        const char *pin_source, int flags)
{
    P11CMP_P11_TOKEN *tok;

    if (uri == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((tok = OPENSSL_zalloc(sizeof(*tok))) == NULL
        || (tok->lock = CRYPTO_THREAD_lock_new()) == NULL
        || (pin_source != NULL
            && (tok->pin_source = OPENSSL_strdup(pin_source)) == NULL)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    tok->refs = 1;
    tok->flags = flags;
    if ((tok->uri = p11cmp_p11_uri_parse(uri)) == NULL)
        goto err;
    if ((flags & P11CMP_P11_LOGIN_IF_PIN) != 0
        && p11cmp_p11_pin_available(tok->uri, pin_source))
        tok->flags |= P11CMP_P11_LOGIN;
    if ((tok->mod = p11cmp_p11_module_get(
                p11cmp_p11_uri_module(tok->uri))) == NULL
        || !p11cmp_p11_token_ready(tok))
        goto err;
    /* what a dead run left is settled first (else in p11cmp_p11_txn_new) */
    if ((tok->flags & (P11CMP_P11_LOGIN | P11CMP_P11_RW)) != 0
        && !p11cmp_p11_journal_recover(tok))
        goto err;
    return tok;
 err:
    p11cmp_p11_token_free(tok);
    return NULL;
}

int p11cmp_p11_token_is(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri)
{
    CK_TOKEN_INFO info;
    CK_RV rv;

    if (p11cmp_p11_module_get(p11cmp_p11_uri_module(uri)) != tok->mod)
        return 0;
    if (P11CMP_P11_CALL(tok, rv, C_GetTokenInfo, tok->slot, &info)
        != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_TOKEN_NOT_FOUND, "reading the token");
        return -1;
    }
    return p11cmp_p11_uri_match_token(uri, &info);
}

int p11cmp_p11_token_up_ref(P11CMP_P11_TOKEN *tok)
{
    int n;

    return CRYPTO_atomic_add(&tok->refs, 1, &n, tok->lock) && n > 1;
}

void p11cmp_p11_token_free(P11CMP_P11_TOKEN *tok)
{
    CK_RV rv;
    int n = 0;

    if (tok == NULL)
        return;
    if (tok->lock != NULL && tok->refs > 0
        && (!CRYPTO_atomic_add(&tok->refs, -1, &n, tok->lock) || n > 0))
        return;
    if (tok->have_session && tok->gen == tok->mod->gen
        && tok->mod->pid == getpid())
        (void)P11CMP_P11_CALL(tok, rv, C_CloseSession, tok->session);
    p11cmp_p11_uri_free(tok->uri);
    p11cmp_p11_pin_free(tok->pin);
    OPENSSL_free(tok->pin_source);
    CRYPTO_THREAD_lock_free(tok->lock);
    OPENSSL_free(tok);
}

/*
 * Raises reason with the last failing module call of tok: its function,
 * CKR_ code and the token's URI (never a PIN) in the error data.
 */
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
