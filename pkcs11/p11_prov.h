/*
 * pkcs11/p11_prov.h - inside p11cmp's provider: the key data its key
 * management (p11_prov.c) keeps and its operations (p11_sig.c for RSA and
 * ECDSA, p11_sig_ed.c for EdDSA, p11_dec.c, p11_exch.c) work on, and what
 * the operations share (p11_prov_op.c). Nothing outside the provider's
 * files includes it. The provider context the operation functions are
 * given is the provider's library context.
 */
#ifndef P11CMP_P11_PROV_H
#define P11CMP_P11_PROV_H

#include <openssl/core_dispatch.h>

#include "p11_local.h"

/* The property query that selects the default provider in our context. */
#define P11CMP_PROV_DEFAULT "provider=default"

/* One key type of the provider. */
typedef struct {
    const char *name;      /* key type: "RSA", "EC", "ED25519", "ED448" */
    const char *signame;   /* our signature algorithm for it */
    const char *decname;   /* our asymmetric cipher for it, or NULL */
    const char *exchname;  /* our key exchange for it, or NULL */
} P11CMP_PROV_ALG;

/*
 * Key data: the public key as a key of the default provider in our
 * library context (so that it encodes, compares and verifies exactly as a
 * software key does), and for a token key the token key object that
 * signs. Imported public keys (for comparisons) have no token key.
 */
typedef struct {
    const P11CMP_PROV_ALG *alg;
    EVP_PKEY *pub;
    P11CMP_P11_KEY *k;
} P11CMP_PROV_KEY;

/*
 * A new zeroed operation context of size bytes, a struct whose first
 * member is OSSL_LIB_CTX *libctx, set to provctx; NULL if out of memory.
 */
void *p11cmp_prov_op_new(void *provctx, size_t size);
/* *dst = a copy of the len bytes at src, or NULL if src is; 0 if no memory */
int p11cmp_prov_octets_dup(unsigned char **dst, const unsigned char *src,
                           size_t len);
/*
 * The octet-string parameter name of params, if there, into a new *buf
 * (the old one freed) and *len; 1 unless it is there and not read.
 */
int p11cmp_prov_octets_param(const OSSL_PARAM params[], const char *name,
                             unsigned char **buf, size_t *len);

/* The signature dispatch tables (RSA and ECDSA; EdDSA). */
extern const OSSL_DISPATCH p11cmp_prov_sig_functions[];
extern const OSSL_DISPATCH p11cmp_prov_sig_ed_functions[];
/* The asymmetric cipher (RSA decryption, p11_dec.c). */
extern const OSSL_DISPATCH p11cmp_prov_dec_functions[];
/* The key exchange (ECDH, p11_exch.c). */
extern const OSSL_DISPATCH p11cmp_prov_exch_functions[];

#endif
