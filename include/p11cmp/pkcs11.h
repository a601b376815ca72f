/*
 * p11cmp/pkcs11.h - keys and certificates on PKCS#11 tokens, named by
 * RFC 7512 pkcs11: URIs: token-backed EVP_PKEYs whose private key never
 * leaves the token, key-pair generation on the token, and certificate
 * objects. See P11CMP_PKCS11_load_key(3).
 */
#ifndef P11CMP_PKCS11_H
#define P11CMP_PKCS11_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11cmp/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CKA_CERTIFICATE_CATEGORY of a stored certificate. */
#define P11CMP_PKCS11_CERT_UNSPECIFIED 0
#define P11CMP_PKCS11_CERT_USER        1
#define P11CMP_PKCS11_CERT_AUTHORITY   2

/* Flags of P11CMP_PKCS11_generate_key(). */
#define P11CMP_PKCS11_ID_FROM_PUBKEY   0x1

/*
 * The private key the URI names, as an EVP_PKEY whose signatures are made
 * by the token. pin_source may be NULL (then the URI's pin-value or
 * pin-source, $P11CMP_PIN, or a terminal prompt). Free with EVP_PKEY_free.
 */
EVP_PKEY *P11CMP_PKCS11_load_key(const char *uri, const char *pin_source);

/* The certificate the URI names; a new X509 the caller frees. */
X509 *P11CMP_PKCS11_load_cert(const char *uri, const char *pin_source);

/*
 * Generates a key pair on the token the URI names: alg is "RSA:2048",
 * "RSA:3072", "RSA:4096", "EC:P-256", "EC:P-384" or "EC:P-521". CKA_LABEL
 * is label (or the URI's object=), CKA_ID the URI's id=, else random, or
 * the SHA-1 of the public key with P11CMP_PKCS11_ID_FROM_PUBKEY. Returns
 * the token-backed private key; nothing is left on the token on failure.
 */
EVP_PKEY *P11CMP_PKCS11_generate_key(const char *token_uri, const char *alg,
                                     const char *label,
                                     const char *pin_source, int flags);

/*
 * Stores cert on the token the URI names, with the URI's id= and object=
 * (defaults: its subject key identifier, else the SHA-1 of its public
 * key, and its subject CN) and
 * category P11CMP_PKCS11_CERT_*. A certificate already on the token (same
 * DER) is not stored again. 1 on success, 0 on error.
 */
int P11CMP_PKCS11_store_cert(const char *uri, X509 *cert, int category,
                             const char *pin_source);

/*
 * Deletes every key and certificate object the URI's object part (id=
 * and/or object=, optional type=) matches; the number deleted into
 * *count if count is not NULL. 1 on success, 0 on error.
 */
int P11CMP_PKCS11_delete_objects(const char *uri, const char *pin_source,
                                 int *count);

/*
 * A token transaction for replacing what is kept under labels, as p11cmp
 * -cmd genm does with its outputs: CA certificates and CRLs. TXN_new opens
 * the token the URI names read-write (logged in, PIN as above; what a dead
 * run left is settled first). put_ca_certs makes the authority
 * certificates labelled with uri's object= (required; uri must name the
 * same token) be certs after the commit, keeping keep (may be NULL) if it
 * is there; put_crl does the same for a CRL, a data object (see
 * P11CMP_PKCS11_TXN_new(3)). The numbers of objects stored and to be
 * deleted go to *added and *removed (may be NULL). TXN_commit makes all of
 * it happen (crash-consistently: all or nothing); TXN_free rolls back
 * unless committed. 1 / a new transaction on success, 0 / NULL on error.
 */
typedef struct p11cmp_p11_txn_st P11CMP_PKCS11_TXN;
P11CMP_PKCS11_TXN *P11CMP_PKCS11_TXN_new(const char *uri,
                                         const char *pin_source);
int P11CMP_PKCS11_TXN_put_ca_certs(P11CMP_PKCS11_TXN *txn, const char *uri,
                                   STACK_OF(X509) *certs, X509 *keep,
                                   int *added, int *removed);
int P11CMP_PKCS11_TXN_put_crl(P11CMP_PKCS11_TXN *txn, const char *uri,
                              X509_CRL *crl, X509_CRL *keep, int *added,
                              int *removed);
int P11CMP_PKCS11_TXN_commit(P11CMP_PKCS11_TXN *txn);
/*
 * The CRL that put_crl keeps under the label of the URI's object=: a new
 * X509_CRL, or NULL (P11CMP_R_CRL_NOT_FOUND if there is not exactly one).
 */
X509_CRL *P11CMP_PKCS11_load_crl(const char *uri, const char *pin_source);
void P11CMP_PKCS11_TXN_free(P11CMP_PKCS11_TXN *txn);

/* 1 if pkey was made by this library for a token key, else 0. */
int P11CMP_PKCS11_is_token_key(const EVP_PKEY *pkey);

/* 1 if text is a pkcs11: URI, else 0. */
int P11CMP_PKCS11_is_uri(const char *text);

/*
 * The PIN source used when a call and its URI name none: "pass:PIN",
 * "env:VAR", "file:PATH", "fd:N", "stdin" or "|command" (copied; NULL
 * clears). Process-wide. 1 on success.
 */
int P11CMP_PKCS11_set1_pin_source(const char *source);

/*
 * A key from P11CMP_CTX_generate_newPkey() is provisional: it is removed
 * from the token when it is freed before its enrollment stored the
 * certificate. commit_key keeps it on the token from now on (1 on
 * success, also for any other key); discard_key removes it now (0 if it
 * is not provisional).
 */
int P11CMP_PKCS11_commit_key(EVP_PKEY *pkey);
int P11CMP_PKCS11_discard_key(EVP_PKEY *pkey);

/* batch != 0: never prompt for a PIN. Process-wide; default 0. */
void P11CMP_PKCS11_set_batch(int batch);

/*
 * Finalises the modules p11cmp loaded. Neither token keys still held nor
 * these functions may be used afterwards. Optional, at the end of a
 * program.
 */
void P11CMP_PKCS11_cleanup(void);

/*
 * P11CMP_CTX functions taking pkcs11: URIs (PIN as above). set1_pkey_uri
 * and set1_newPkey_uri set the token key the URI names as client key /
 * key to enroll; set1_cert_uri / set1_oldCert_uri read the certificate.
 * generate_newPkey generates a key pair on the token (alg as for
 * P11CMP_PKCS11_generate_key, label NULL = the URI's object=) and sets it
 * as the key to enroll, provisionally (see P11CMP_PKCS11_commit_key).
 * All return 1 on success, 0 on error.
 */
int P11CMP_CTX_set1_pkey_uri(P11CMP_CTX *ctx, const char *uri);
int P11CMP_CTX_set1_newPkey_uri(P11CMP_CTX *ctx, const char *uri);
int P11CMP_CTX_set1_cert_uri(P11CMP_CTX *ctx, const char *uri);
int P11CMP_CTX_set1_oldCert_uri(P11CMP_CTX *ctx, const char *uri);
int P11CMP_CTX_generate_newPkey(P11CMP_CTX *ctx, const char *token_uri,
                                const char *alg, const char *label);
/*
 * Central key generation onto a token: the key the CA returns is put on
 * the token the URI names (opened and logged in read-write now; NULL
 * clears), with the URI's object= as CKA_LABEL and its id= as CKA_ID
 * (else random):
 * private, sensitive, not extractable, sign only, its public half beside
 * it, provisionally as from P11CMP_CTX_generate_newPkey(), and becomes
 * the key to enroll; the software copy is freed at once. 1 or 0.
 */
int P11CMP_CTX_set1_centralKey_uri(P11CMP_CTX *ctx, const char *uri);

#ifdef __cplusplus
}
#endif
#endif /* P11CMP_PKCS11_H */
