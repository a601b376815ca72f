/*
 * pkcs11/p11_prov.h - inside p11cmp's provider: the key data its key
 * management (p11_prov.c) keeps and its signature implementations
 * (p11_sig.c for RSA and ECDSA, p11_sig_ed.c for EdDSA) work on. Nothing
 * outside these three files includes it. The provider context the
 * signature functions are given is the provider's library context.
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

/* The signature dispatch tables (RSA and ECDSA; EdDSA). */
extern const OSSL_DISPATCH p11cmp_prov_sig_functions[];
extern const OSSL_DISPATCH p11cmp_prov_sig_ed_functions[];
/* The asymmetric cipher (RSA decryption, p11_dec.c). */
extern const OSSL_DISPATCH p11cmp_prov_dec_functions[];
/* The key exchange (ECDH, p11_exch.c). */
extern const OSSL_DISPATCH p11cmp_prov_exch_functions[];

#endif
