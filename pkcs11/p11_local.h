/*
 * pkcs11/p11_local.h - the internal API of p11cmp's PKCS#11 layer, for the
 * CMP engine (src/) and the store session (src/store.c): token handles
 * opened from RFC 7512 URIs, token-backed EVP_PKEYs, key-pair generation,
 * certificate objects, and a transaction (undo list) so that nothing is
 * left half-written on a token.
 *
 * Typical use by the engine and the store session:
 *
 *   tok = p11cmp_p11_token_open(uri, pin_source, P11CMP_P11_RW);
 *   txn = p11cmp_p11_txn_new(tok);
 *   p11cmp_p11_txn_keygen(txn, "EC:P-256", label, NULL, 0, 0, &newPkey);
 *   ... CMP transaction, POPO signed through EVP with newPkey ...
 *   p11cmp_p11_txn_store_cert(txn, newCert, id, idlen, label,
 *                             P11CMP_P11_CAT_USER, NULL);
 *   p11cmp_p11_txn_store_cert(txn, caCert, NULL, 0, NULL,
 *                             P11CMP_P11_CAT_AUTHORITY, NULL);
 *   ok ? p11cmp_p11_txn_commit(txn) : p11cmp_p11_txn_rollback(txn);
 *   p11cmp_p11_txn_free(txn);   (rolls back unless committed)
 *   p11cmp_p11_token_free(tok);
 *
 * A key from P11CMP_CTX_generate_newPkey() carries its own transaction:
 * the store session gets it with p11cmp_p11_pkey_txn(newPkey) (NULL for a
 * key that was loaded: then it opens one on p11cmp_p11_pkey_token(pkey)),
 * stores the certificates into it and commits it, or rolls it back when
 * the enrollment failed. For a loaded key, p11cmp_p11_pkey_get_id() gives
 * the CKA_ID and CKA_LABEL to store the certificate under.
 *
 * Every direct module call goes through P11CMP_P11_CALL; failures reach
 * the user as P11CMP_R_PKCS11_ERROR (or a more precise reason) whose error
 * data names the function, the CKR_ code by name and the URI (never a PIN).
 */
#ifndef P11CMP_P11_LOCAL_H
#define P11CMP_P11_LOCAL_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "../src/err.h"

typedef struct p11cmp_p11_uri_st P11CMP_P11_URI;
typedef struct p11cmp_p11_module_st P11CMP_P11_MODULE;
typedef struct p11cmp_p11_token_st P11CMP_P11_TOKEN;
typedef struct p11cmp_p11_txn_st P11CMP_P11_TXN;
typedef struct p11cmp_p11_key_st P11CMP_P11_KEY;
typedef struct p11cmp_p11_journal_st P11CMP_P11_JOURNAL;

/* Environment variable holding a PIN when no other source is given. */
#define P11CMP_P11_PIN_ENV "P11CMP_PIN"
/* How often a call is retried after the session was lost. */
#define P11CMP_P11_MAX_RETRIES 3
/* The most objects one URI lookup considers. */
#define P11CMP_P11_MAX_OBJECTS 64
/* The most attributes identifying an object created in a transaction. */
#define P11CMP_P11_MAX_IDENT 4
/* The most mechanisms a token key remembers the listing of. */
#define P11CMP_P11_KEY_MECHS 8
/* Bytes of a random CKA_ID. */
#define P11CMP_P11_ID_LEN 20

/* CKA_CERTIFICATE_CATEGORY values. */
#define P11CMP_P11_CAT_UNSPECIFIED 0
#define P11CMP_P11_CAT_USER 1
#define P11CMP_P11_CAT_AUTHORITY 2

/* Flags of p11cmp_p11_token_open(). */
#define P11CMP_P11_RW 0x1      /* read-write session (implies login) */
#define P11CMP_P11_LOGIN 0x2   /* log in as user (PIN needed) */
#define P11CMP_P11_LOGIN_IF_PIN 0x4 /* log in if a PIN is at hand */

/* Flags of p11cmp_p11_txn_keygen(). */
#define P11CMP_P11_ID_FROM_PUBKEY 0x1 /* CKA_ID = SHA-1 of the public key */

/*
 * The one way to call the module: fn is a CK_FUNCTION_LIST member name,
 * rv receives the result; a failure is remembered in tok (function name
 * and CKR_ code) for p11cmp_p11_raise(). What the module itself leaves on
 * the thread's ERR stack (SoftHSM2 uses libcrypto, e.g. its failed look
 * for the rdrand engine) is dropped: it is not an error of the caller.
 */
#define P11CMP_P11_CALL(tok, rv, fn, ...) \
    ((rv) = p11cmp_p11_called((tok), #fn, \
                              (ERR_set_mark(), \
                               (tok)->mod->fl->fn(__VA_ARGS__))))

/*
 * Runs stmt (which sets rv, through P11CMP_P11_CALL, using tok->session),
 * and again after re-finding the token and re-opening the session when rv
 * says the session or login was lost; at most P11CMP_P11_MAX_RETRIES times.
 */
#define P11CMP_P11_RETRY(tok, rv, stmt) \
    do { \
        int try_ = 0; \
        (tok)->last_fn = NULL; \
        do { \
            if (!p11cmp_p11_token_ready(tok)) { \
                (rv) = (tok)->last_fn != NULL ? (tok)->last_rv \
                                              : CKR_GENERAL_ERROR; \
                break; \
            } \
            stmt; \
        } while (p11cmp_p11_recover((tok), (rv), try_++)); \
    } while (0)

/* A loaded and initialised module; owned by the process-wide registry. */
struct p11cmp_p11_module_st {
    CK_FUNCTION_LIST *fl;
    void *dl;
    char *path;
    pid_t pid;          /* process that initialised it */
    unsigned int gen;   /* bumped on every (re)initialisation */
    int we_initialised; /* 0 when somebody else initialised it */
    P11CMP_P11_MODULE *next;
};

/* An open session on one token; reference counted. */
struct p11cmp_p11_token_st {
    P11CMP_P11_MODULE *mod;
    P11CMP_P11_URI *uri;    /* what the token was found by */
    char *pin_source;       /* as given by the caller, or NULL */
    char *pin;              /* kept for re-login; cleansed on free */
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session;
    int have_session;
    unsigned int gen;       /* module gen the session belongs to */
    int flags;              /* P11CMP_P11_RW / P11CMP_P11_LOGIN */
    const char *last_fn;    /* last failing module function */
    CK_RV last_rv;
    int refs;
    void *lock;             /* CRYPTO_RWLOCK serialising signatures */
    int journal_settled;    /* p11cmp_p11_journal_recover() ran */
};

/* from p11_ckr.c */
/* The name of a CKR_ code ("CKR_PIN_INCORRECT"), or NULL if unknown. */
const char *p11cmp_p11_ckr_name(CK_RV rv);
/* Returns rv; when rv != CKR_OK remembers fn and rv in tok. */
CK_RV p11cmp_p11_note(P11CMP_P11_TOKEN *tok, const char *fn, CK_RV rv);
/* p11cmp_p11_note() after P11CMP_P11_CALL: also pops to its ERR mark */
CK_RV p11cmp_p11_called(P11CMP_P11_TOKEN *tok, const char *fn, CK_RV rv);

/* from p11_module.c */
/*
 * Returns the module at path, loaded and initialised once per process
 * (again in a child after fork); the registry keeps it until
 * p11cmp_p11_modules_cleanup(). NULL and an error if it cannot be loaded.
 */
P11CMP_P11_MODULE *p11cmp_p11_module_get(const char *path);
/* Re-initialises mod if the process forked since; 1 on success. */
int p11cmp_p11_module_check_fork(P11CMP_P11_MODULE *mod);
/* Finalises and unloads every module p11cmp loaded. */
void p11cmp_p11_modules_cleanup(void);
/* The module used when a URI names none: $P11CMP_MODULE, else p11-kit's
 * proxy module (every module p11-kit is configured with). get0. */
const char *p11cmp_p11_default_module(void);

/* from p11_uri.c */
/* Parses a pkcs11: URI; NULL and P11CMP_R_INVALID_URI (with why) if bad. */
P11CMP_P11_URI *p11cmp_p11_uri_parse(const char *text);
void p11cmp_p11_uri_free(P11CMP_P11_URI *uri);
/* The URI as text without pin-value (for messages); get0. */
const char *p11cmp_p11_uri_text(const P11CMP_P11_URI *uri);
/* Module path named by module-path, module-name or the default; get0. */
const char *p11cmp_p11_uri_module(const P11CMP_P11_URI *uri);
/* 1 if the token described by info matches the URI's token fields. */
int p11cmp_p11_uri_match_token(const P11CMP_P11_URI *uri,
                               CK_TOKEN_INFO *info);
/* The URI's object= (CKA_LABEL) or NULL; get0. */
const char *p11cmp_p11_uri_label(const P11CMP_P11_URI *uri);
/* The URI's id= bytes (may be NULL with *len 0); get0. */
const unsigned char *p11cmp_p11_uri_id(const P11CMP_P11_URI *uri,
                                       size_t *len);
/* The URI's type= as CKO_ class, or (CK_ULONG)-1 if absent. */
CK_ULONG p11cmp_p11_uri_class(const P11CMP_P11_URI *uri);
/* pin-value (get0, may be NULL) and pin-source (get0, may be NULL). */
const char *p11cmp_p11_uri_pin_value(const P11CMP_P11_URI *uri);
const char *p11cmp_p11_uri_pin_source(const P11CMP_P11_URI *uri);
/* 1 if text starts with "pkcs11:" (case-insensitive). */
int p11cmp_p11_is_uri(const char *text);

/* from p11_pin.c */
/*
 * Reads a PIN from a source: "pass:PIN", "env:VAR", "file:PATH" (first
 * line), "fd:N", "stdin", "|command" (first line of its output); a bare
 * path is taken as file:. Returns a new string the caller must cleanse
 * and free (p11cmp_p11_pin_free), or NULL with P11CMP_R_PIN_UNAVAILABLE.
 */
char *p11cmp_p11_pin_read(const char *source);
/*
 * The PIN for uri: from pin_source if given, else the URI's pin-value,
 * else its pin-source, else the default source, else $P11CMP_PIN, else a
 * prompt on the terminal (never in batch mode or without a tty). New
 * string, or NULL + error.
 */
char *p11cmp_p11_pin_get(const P11CMP_P11_URI *uri, const char *pin_source,
                         const char *token_label);
void p11cmp_p11_pin_free(char *pin);
/* 1 if a PIN is at hand without prompting (some source is set). */
int p11cmp_p11_pin_available(const P11CMP_P11_URI *uri,
                             const char *pin_source);
/* 1 if p11cmp_p11_pin_get() would have to prompt on the terminal. */
int p11cmp_p11_pin_would_prompt(const P11CMP_P11_URI *uri,
                                const char *pin_source);
/* The process-wide default PIN source (copied; NULL clears). */
int p11cmp_p11_set_default_pin_source(const char *source);
/* Batch mode: never prompt. Process-wide; default off. */
void p11cmp_p11_set_batch(int batch);

/* from p11_token.c */
/*
 * Raises reason with data "C_Fn: CKR_NAME (0xNN) [what] uri=URI" from the
 * last failure remembered in tok; what may be NULL.
 */
void p11cmp_p11_raise(P11CMP_P11_TOKEN *tok, int reason, const char *what);
/*
 * Finds the one token the URI describes (module from the URI), opens a
 * session on it (read-write with P11CMP_P11_RW) and logs in when flags ask
 * for it. NULL and P11CMP_R_TOKEN_NOT_FOUND / P11CMP_R_AMBIGUOUS_TOKEN /
 * P11CMP_R_LOGIN_FAILED etc. on error. Free with p11cmp_p11_token_free().
 */
P11CMP_P11_TOKEN *p11cmp_p11_token_open(const char *uri,
                                        const char *pin_source, int flags);
/*
 * 1 if tok is a token uri describes (the same module, and the token
 * fields of uri match it), 0 if not, -1 with an error if it cannot tell.
 */
int p11cmp_p11_token_is(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri);
int p11cmp_p11_token_up_ref(P11CMP_P11_TOKEN *tok);
void p11cmp_p11_token_free(P11CMP_P11_TOKEN *tok);
/* Makes sure tok has a live session (after fork, after loss); 1 if so. */
int p11cmp_p11_token_ready(P11CMP_P11_TOKEN *tok);
/*
 * Replaces tok's session by a new one (read-write if tok->flags say so),
 * opening the new one BEFORE closing the old: modules such as SoftHSM2
 * forget the login and invalidate every object handle when the last
 * session on a slot closes, which would break handles held by keys and
 * undo lists. 1 on success; else 0 and tok has no session (the old one
 * is closed anyway; p11cmp_p11_token_ready() tries again later).
 */
int p11cmp_p11_token_renew_session(P11CMP_P11_TOKEN *tok);
/* Decides whether to retry after rv at attempt try; re-opens if so. */
int p11cmp_p11_recover(P11CMP_P11_TOKEN *tok, CK_RV rv, int try);
/* The URI the token was opened with, without PIN; get0. */
const char *p11cmp_p11_token_uri(const P11CMP_P11_TOKEN *tok);
/* Logs in as user (PIN as for p11cmp_p11_pin_get); 1 on success. */
int p11cmp_p11_token_login(P11CMP_P11_TOKEN *tok);
/*
 * C_Login as CKU_CONTEXT_SPECIFIC for the operation just initialised in
 * tok's session (a key with CKA_ALWAYS_AUTHENTICATE, before each C_Sign).
 * The PIN is read again from the token's PIN source, or is the one kept
 * from the user login when that source would have to prompt; it is
 * cleansed at once. Returns the CKR_ code; a failure that a new session
 * cannot cure is raised as P11CMP_R_LOGIN_FAILED naming the CKR_ code.
 */
CK_RV p11cmp_p11_token_context_login(P11CMP_P11_TOKEN *tok);

/* from p11_object.c */
/*
 * Finds objects matching tmpl (n attributes): up to max handles into out,
 * their number into *count. 1 on success (also when none match).
 */
int p11cmp_p11_find(P11CMP_P11_TOKEN *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count);
/*
 * Finds the one object matching tmpl again, after its handle became
 * invalid (SoftHSM2 drops the handles of private objects when the token
 * is logged out, and of all objects when its last session closes): logs
 * in again first, since private objects are found only then. 1 and its
 * handle into *h if exactly one matches, else 0; the error queue and
 * tok's last failure stay as they were.
 */
int p11cmp_p11_refind(P11CMP_P11_TOKEN *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *h);
/*
 * Finds objects matching the object part of uri (object=, id=, type=)
 * and, if cls is not (CK_ULONG)-1, of that class.
 */
int p11cmp_p11_find_uri(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri,
                        CK_ULONG cls, CK_OBJECT_HANDLE *out, CK_ULONG max,
                        CK_ULONG *count);
/* an object class as the single-object lookups name it in errors */
struct p11cmp_p11_kind {
    CK_ULONG cls;
    const char *type;   /* its type= word in a URI */
    const char *what;   /* plural, e.g. "private keys" */
    int not_found, ambiguous;   /* the reasons raised */
};
/*
 * The one object of kind that uri names on tok, into *obj. 1, or 0
 * with kind->not_found (uri's type= is another class, or no match) or
 * kind->ambiguous (several match).
 */
int p11cmp_p11_find_one(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri,
                        const struct p11cmp_p11_kind *kind,
                        CK_OBJECT_HANDLE *obj);
/* Reads one attribute into a new buffer *val (NUL-terminated extra). */
int p11cmp_p11_get_attr(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                        CK_ATTRIBUTE_TYPE type, unsigned char **val,
                        size_t *len);
/* Reads a CK_ULONG / CK_BBOOL attribute. */
int p11cmp_p11_get_ulong(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                         CK_ATTRIBUTE_TYPE type, CK_ULONG *val);
int p11cmp_p11_get_bool(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                        CK_ATTRIBUTE_TYPE type, int *val);
/* Sets attributes of an existing object. */
int p11cmp_p11_set_attrs(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                         CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* Creates an object; its handle into *h. */
int p11cmp_p11_create(P11CMP_P11_TOKEN *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *h);
/* Destroys an object. */
int p11cmp_p11_destroy(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h);
/*
 * Destroys every object of the given classes (bit 1<<CKO_x; 0 = keys and
 * certificates) with CKA_ID id (or CKA_LABEL label when id is NULL);
 * the number destroyed into *count if not NULL. Not undoable (KUR retire,
 * RR cleanup).
 */
int p11cmp_p11_delete(P11CMP_P11_TOKEN *tok, const unsigned char *id,
                      size_t idlen, const char *label, unsigned int classes,
                      int *count);

/* from p11_key.c: the token key object */
/*
 * The private key object h of tok (of CKK_ type type): reads CKA_ID,
 * CKA_LABEL and CKA_ALWAYS_AUTHENTICATE and takes a reference to tok.
 * NULL on error.
 */
P11CMP_P11_KEY *p11cmp_p11_key_new(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                                   CK_KEY_TYPE type);
/* A copy on the same token object (no transaction); NULL on error. */
P11CMP_P11_KEY *p11cmp_p11_key_dup(const P11CMP_P11_KEY *k);
/* Frees k (rolling back its transaction if uncommitted); NULL is fine. */
void p11cmp_p11_key_free(P11CMP_P11_KEY *k);
/* The token of k (get0). */
P11CMP_P11_TOKEN *p11cmp_p11_key_token(const P11CMP_P11_KEY *k);
/* CKA_ID (get0, *idlen) and CKA_LABEL (get0, may be NULL) of k. */
void p11cmp_p11_key_get_id(const P11CMP_P11_KEY *k, const unsigned char **id,
                           size_t *idlen, const char **label);
/* k's transaction (get0) while it has something to undo, else NULL. */
P11CMP_P11_TXN *p11cmp_p11_key_txn(const P11CMP_P11_KEY *k);
/* k takes txn; 0 (INVALID_ARGUMENT) if it has one already. */
int p11cmp_p11_key_set0_txn(P11CMP_P11_KEY *k, P11CMP_P11_TXN *txn);
/*
 * The token signs in (inlen bytes) with mechanism mech (no parameters) as
 * key k: the signature into out, whose size is *outlen, and its length
 * into *outlen. 1, or 0 with P11CMP_R_PKCS11_ERROR.
 */
int p11cmp_p11_key_sign(P11CMP_P11_KEY *k, CK_MECHANISM_TYPE mech,
                        const unsigned char *in, size_t inlen,
                        unsigned char *out, CK_ULONG *outlen);
/*
 * The same with mechanism m (parameters and all); returns the CKR_ code,
 * with P11CMP_R_PKCS11_ERROR on the error stack unless CKR_OK.
 */
CK_RV p11cmp_p11_key_sign_mech(P11CMP_P11_KEY *k, CK_MECHANISM *m,
                                const unsigned char *in, size_t inlen,
                                unsigned char *out, CK_ULONG *outlen);
/*
 * 1 if k's token lists mech with CKF_SIGN (C_GetMechanismInfo, asked once
 * per key and mechanism), else 0; never an error on the stack.
 */
/*
 * The token decrypts in (inlen bytes) with mechanism m as key k (needs
 * CKA_DECRYPT): the plaintext into out (size *outlen), its length into
 * *outlen. Returns the CKR_ code, with P11CMP_R_PKCS11_ERROR on the error
 * stack unless CKR_OK.
 */
CK_RV p11cmp_p11_key_decrypt_mech(P11CMP_P11_KEY *k, CK_MECHANISM *m,
                                   const unsigned char *in, size_t inlen,
                                   unsigned char *out, CK_ULONG *outlen);
/*
 * ECDH on the token as key k (needs CKA_DERIVE): the shared secret Z
 * with the peer's uncompressed point pt into z (size *zlen: the field
 * size), its length into *zlen; the module's secret object is a session
 * object destroyed at once. The CKR_ code, P11CMP_R_PKCS11_ERROR raised
 * unless CKR_OK.
 */
CK_RV p11cmp_p11_key_ecdh(P11CMP_P11_KEY *k, const unsigned char *pt,
                          size_t ptlen, unsigned char *z, CK_ULONG *zlen);
int p11cmp_p11_key_can_sign(P11CMP_P11_KEY *k, CK_MECHANISM_TYPE mech);

/* from p11_pub.c */
/*
 * The public key of a token key object h (public or private) as a
 * software EVP_PKEY of the default library context; its CKK_ type into
 * *type (may be NULL). P11CMP_R_UNSUPPORTED_KEY_TYPE for other key types
 * and for curves that are not named (EC) or not Ed25519 / Ed448.
 */
EVP_PKEY *p11cmp_p11_pubkey_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                                 CK_KEY_TYPE *type);

/* from p11_prov.c */
/*
 * A token-backed EVP_PKEY of p11cmp's provider (loaded into its own
 * library context on first use): the public key is that of pub (RSA, EC,
 * ED25519 or ED448), signatures are made by k, which the new key takes
 * (freed on failure too). NULL and an error otherwise.
 */
EVP_PKEY *p11cmp_p11_prov_pkey_new(const EVP_PKEY *pub, P11CMP_P11_KEY *k);
/* The token key of a key from p11cmp_p11_prov_pkey_new (get0), or NULL. */
P11CMP_P11_KEY *p11cmp_p11_prov_key_of(const EVP_PKEY *pkey);
/* Unloads the provider (process exit). */
void p11cmp_p11_prov_cleanup(void);

/* from p11_pkey.c: token keys as EVP_PKEYs */
/*
 * A token-backed EVP_PKEY for the private key object h (RSA, EC, or EdDSA
 * on Ed25519 / Ed448): its signatures are made by C_Sign on the token.
 * Holds a reference to tok. P11CMP_R_UNSUPPORTED_KEY_TYPE for other key
 * types and curves, and for EdDSA keys on a module without CKM_EDDSA.
 */
EVP_PKEY *p11cmp_p11_pkey_new(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h);
/*
 * The token-backed private key the URI names (type=private implied):
 * exactly one must match, else P11CMP_R_KEY_NOT_FOUND / AMBIGUOUS_KEY
 * with the URI in the error data.
 */
EVP_PKEY *p11cmp_p11_key_load(const char *uri, const char *pin_source);
/* Same on an open token, matching the object part of uri. */
EVP_PKEY *p11cmp_p11_key_find(P11CMP_P11_TOKEN *tok,
                              const P11CMP_P11_URI *uri);
/* 1 if pkey is token-backed (made by p11cmp_p11_pkey_new, or a copy). */
int p11cmp_p11_pkey_is_token(const EVP_PKEY *pkey);
/* The token of a token-backed key (get0), or NULL. */
P11CMP_P11_TOKEN *p11cmp_p11_pkey_token(const EVP_PKEY *pkey);
/* CKA_ID (get0, *idlen) and CKA_LABEL (get0, may be NULL) of the key. */
int p11cmp_p11_pkey_get_id(const EVP_PKEY *pkey, const unsigned char **id,
                           size_t *idlen, const char **label);
/*
 * The transaction a provisional key was generated in (get0), or NULL for a
 * key that was loaded or whose transaction was committed, and for copies.
 * The store session stores the certificates into it and commits it;
 * rolling it back destroys the key pair.
 */
P11CMP_P11_TXN *p11cmp_p11_pkey_txn(const EVP_PKEY *pkey);
/*
 * Makes pkey provisional: it takes txn, which is rolled back (the pair
 * destroyed) when the last reference to pkey is freed uncommitted.
 */
int p11cmp_p11_pkey_set0_txn(EVP_PKEY *pkey, P11CMP_P11_TXN *txn);

/* from p11_keygen.c */
/*
 * Parses "RSA:2048" / "RSA:3072" / "RSA:4096" / "EC:P-256" / "EC:P-384" /
 * "EC:P-521" / "ED25519" / "ED448" (case-insensitive; "EC:prime256v1" and
 * friends too) into a key type and size or curve NID; 1 on success.
 */
int p11cmp_p11_alg_parse(const char *alg, CK_KEY_TYPE *type, int *bits_or_nid);
/*
 * Generates a key pair on txn's token: CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE, CKA_EXTRACTABLE=false, sign only (private CKA_SIGN;
 * CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE, CKA_SIGN_RECOVER false; no usage
 * on the public half, which tpm2-pkcs11 derives from the TPM object), the
 * given
 * CKA_LABEL (may be NULL) on both halves and CKA_ID id (idlen bytes), or a
 * random 20-byte id when id is NULL, or the SHA-1 of the public key with
 * P11CMP_P11_ID_FROM_PUBKEY. Both objects are recorded in txn's undo list.
 * If pkey is not NULL it receives the token-backed private key.
 */
/*
 * Puts the software key sw (RSA, or EC P-256/P-384/P-521) onto txn's
 * token as a key pair (C_CreateObject of both halves) with the private
 * attributes of p11cmp_p11_txn_keygen(): private, sensitive, not
 * extractable, sign only; CKA_LABEL label (may be NULL), CKA_ID id, or a
 * random 20-byte id when id is NULL. Journaled and recorded in txn like a
 * generated pair. The private values pass through secure-heap buffers,
 * cleansed before return. If pkey is not NULL it receives the
 * token-backed private key. 1, or 0 with P11CMP_R_STORE_FAILED (and
 * UNSUPPORTED_KEY_TYPE for another key type).
 */
int p11cmp_p11_txn_import(P11CMP_P11_TXN *txn, EVP_PKEY *sw,
                          const char *label, const unsigned char *id,
                          size_t idlen, EVP_PKEY **pkey);
int p11cmp_p11_txn_keygen(P11CMP_P11_TXN *txn, const char *alg,
                          const char *label, const unsigned char *id,
                          size_t idlen, int flags, EVP_PKEY **pkey);

/* from p11_cert.c */
/*
 * Stores cert as CKO_CERTIFICATE/CKC_X_509 (CKA_ID, CKA_LABEL, SUBJECT,
 * ISSUER, SERIAL_NUMBER, VALUE, CKA_TOKEN, CKA_CERTIFICATE_CATEGORY
 * category). A certificate with the same CKA_VALUE already on the token is
 * skipped (*stored = 0); else *stored = 1 and the object is recorded in
 * txn's undo list. id/label may be NULL (then the cert's subject key
 * identifier, else the SHA-1 of its public key / the subject's CN are
 * used).
 */
int p11cmp_p11_txn_store_cert(P11CMP_P11_TXN *txn, X509 *cert,
                              const unsigned char *id, size_t idlen,
                              const char *label, int category, int *stored);
/*
 * The same, but a certificate counts as present only as an object labelled
 * label (which is required): the CA certificates of a genm go under the
 * label of their output even when the same certificate is on the token
 * under another one.
 */
int p11cmp_p11_txn_put_cert(P11CMP_P11_TXN *txn, X509 *cert,
                            const unsigned char *id, size_t idlen,
                            const char *label, int category, int *stored);
/* The one certificate the URI names (type=cert implied). New X509. */
X509 *p11cmp_p11_cert_load(const char *uri, const char *pin_source);
/* Same on an open token. */
X509 *p11cmp_p11_cert_find(P11CMP_P11_TOKEN *tok, const P11CMP_P11_URI *uri);
/*
 * Finds the certificate objects whose CKA_VALUE is cert's DER: up to max
 * handles into objs, their number into *n. 1 on success (also when none).
 */
int p11cmp_p11_cert_objects(P11CMP_P11_TOKEN *tok, X509 *cert,
                            CK_OBJECT_HANDLE *objs, CK_ULONG max,
                            CK_ULONG *n);
/* Reads certificate object h as X509. */
X509 *p11cmp_p11_cert_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h);

/* from p11_replace.c: genm outputs under a label, replaced in a txn */
/*
 * Makes the certificates labelled with uri's object= (required) on txn's
 * token (which uri must name) be certs once txn commits: those not there
 * yet are stored as authority certificates (CKA_ID: uri's id=, allowed
 * for one certificate only, else the key identifier, see
 * p11cmp_p11_txn_store_cert()), the others under the label are deleted at
 * the commit, except keep (may be NULL) and certificates of category user
 * (one's own, next to a key). certs may be NULL or empty: then
 * all but keep go. The numbers stored and planned for deletion into
 * *added and *removed. 1, or 0 with an error (P11CMP_R_INVALID_URI for a
 * URI without object=, of another type=, or of another token).
 */
int p11cmp_p11_txn_put_ca_certs(P11CMP_P11_TXN *txn,
                                const P11CMP_P11_URI *uri,
                                STACK_OF(X509) *certs, X509 *keep,
                                int *added, int *removed);
/*
 * The same for a CRL: a CKO_DATA object with CKA_APPLICATION "p11cmp crl",
 * CKA_OBJECT_ID 2.5.4.39, CKA_LABEL uri's object=, CKA_VALUE the DER of
 * crl, public (CKA_PRIVATE false); other such objects of the label go at
 * the commit, except one holding keep. crl may be NULL.
 */
int p11cmp_p11_txn_put_crl(P11CMP_P11_TXN *txn, const P11CMP_P11_URI *uri,
                           X509_CRL *crl, X509_CRL *keep, int *added,
                           int *removed);
/*
 * The one CRL object (as put there by p11cmp_p11_txn_put_crl()) labelled
 * with the URI's object=; a new X509_CRL, or NULL with
 * P11CMP_R_CRL_NOT_FOUND (none or several) or another error.
 */
X509_CRL *p11cmp_p11_crl_load(const char *uri, const char *pin_source);

/* from p11_txn.c */
/* A new transaction on tok (takes a reference). */
P11CMP_P11_TXN *p11cmp_p11_txn_new(P11CMP_P11_TOKEN *tok);
/* The token of txn; get0. */
P11CMP_P11_TOKEN *p11cmp_p11_txn_token(P11CMP_P11_TXN *txn);
/*
 * Records that object h was created in txn: rollback destroys it. ident
 * (n attributes, at most P11CMP_P11_MAX_IDENT, copied) identifies the
 * object on the token: its CKA_CLASS, CKA_ID and CKA_LABEL, for a
 * certificate also CKA_VALUE. When the handle was lost (the token was
 * logged out), rollback destroys the one object that matches ident
 * instead, and none if several or none match.
 */
int p11cmp_p11_txn_add_created(P11CMP_P11_TXN *txn, CK_OBJECT_HANDLE h,
                               const CK_ATTRIBUTE *ident, CK_ULONG n);
/*
 * Sets attributes of object h created in txn (p11cmp_p11_set_attrs), and
 * the same attributes of its recorded identity.
 */
int p11cmp_p11_txn_set_attrs(P11CMP_P11_TXN *txn, CK_OBJECT_HANDLE h,
                             CK_ATTRIBUTE *tmpl, CK_ULONG n);
/*
 * Sets CKA_LABEL of every key and certificate object with CKA_ID id to
 * label; rollback restores the old labels (KUR keep_old), on objects whose
 * handles were lost found again by class, CKA_ID, label and a
 * certificate's CKA_VALUE, as for p11cmp_p11_txn_add_created().
 */
int p11cmp_p11_txn_relabel(P11CMP_P11_TXN *txn, const unsigned char *id,
                           size_t idlen, const char *label);
/*
 * Writes to the token's journal, before an object is created in txn,
 * what will identify it (as for p11cmp_p11_txn_add_created()), so that
 * a later run destroys it if this process dies before the commit. With
 * more set the entry is only planned, to go into one journal record with
 * the next call's. 1 or 0.
 */
int p11cmp_p11_txn_will_create(P11CMP_P11_TXN *txn, const CK_ATTRIBUTE *ident,
                               CK_ULONG n, int more);
/*
 * Plans that the objects matching tmpl (n attributes) are destroyed when
 * txn commits (KUR retiring the old pair): they go into the journal's
 * commit record, so that a run that dies after the commit has them done
 * by the next one. 1 or 0.
 */
int p11cmp_p11_txn_delete_at_commit(P11CMP_P11_TXN *txn,
                                    const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* 1 if txn committed but not all its deletes could be done yet. */
int p11cmp_p11_txn_unfinished(const P11CMP_P11_TXN *txn);
/* Number of undo entries (for tests and logging). */
int p11cmp_p11_txn_count(const P11CMP_P11_TXN *txn);
/*
 * Keeps everything done in txn (the journal's commit point), then does
 * the deletes planned with p11cmp_p11_txn_delete_at_commit(); the undo
 * list is emptied. 1 once committed (see p11cmp_p11_txn_unfinished()).
 */
int p11cmp_p11_txn_commit(P11CMP_P11_TXN *txn);
/*
 * Undoes everything recorded, newest first; 1 if all was undone, else 0
 * with P11CMP_R_ROLLBACK_FAILED (the rest is still attempted).
 */
int p11cmp_p11_txn_rollback(P11CMP_P11_TXN *txn);
/*
 * Rolls back unless committed (only in the process that created txn: a
 * forked child never undoes its parent's work), then frees. NULL is fine.
 */
void p11cmp_p11_txn_free(P11CMP_P11_TXN *txn);

/* from p11_journal.c (the on-token journal of a transaction) */
/* A journal with a new random id, nothing written yet; NULL + error. */
P11CMP_P11_JOURNAL *p11cmp_p11_journal_new(void);
void p11cmp_p11_journal_free(P11CMP_P11_JOURNAL *j);
/*
 * Plans one operation for the next record: verb "create" or "relabel"
 * (old label old, oldlen bytes; NULL for the others), or "delete" (for
 * the commit record), on the objects matching the n attributes a. 1 or 0.
 */
int p11cmp_p11_journal_plan(P11CMP_P11_JOURNAL *j, const char *verb,
                            const unsigned char *old, size_t oldlen,
                            const CK_ATTRIBUTE *a, CK_ULONG n);
/* Writes the planned operations as the next record on tok; 1 or 0. */
int p11cmp_p11_journal_write(P11CMP_P11_TOKEN *tok, P11CMP_P11_JOURNAL *j);
/*
 * Commits j (nothing to do if nothing was journaled): without planned
 * deletes the removal of its last record is the commit point; with them
 * writing the commit record is, and then the deletes are done and the
 * records removed: *finished is 0 if some of that failed (a later run
 * finishes it). 1 if committed, else 0 and an error (then nothing was
 * committed: the caller rolls back).
 */
int p11cmp_p11_journal_commit(P11CMP_P11_TOKEN *tok, P11CMP_P11_JOURNAL *j,
                              int *finished);
/* Removes j's records after its changes were undone; 1 or 0. */
int p11cmp_p11_journal_discard(P11CMP_P11_TOKEN *tok, P11CMP_P11_JOURNAL *j);
/*
 * Finishes or undoes every transaction on tok that a dead process left
 * (see p11_journal.c), in a read-write session of its own if tok's is
 * read-only. 1 if there was nothing to do or all went; else 0 + error.
 */
int p11cmp_p11_journal_recover(P11CMP_P11_TOKEN *tok);
/*
 * The same, also for what this process left (a rollback that failed
 * because the token was away): as the next process would. Single
 * threaded use only (tests, or a process about to give up the token).
 */
int p11cmp_p11_journal_recover_mine(P11CMP_P11_TOKEN *tok);

#endif /* P11CMP_P11_LOCAL_H */
