/*
 * pkcs11/p11_sig_rsa.h - an RSA signature by the token with the
 * mechanism that suits the token (p11_sig_rsa.c), for the provider's
 * RSA signature (p11_sig.c).
 */
#ifndef P11CMP_P11_SIG_RSA_H
#define P11CMP_P11_SIG_RSA_H

#include "p11_local.h"

/* What a signature is asked for (get0 pointers, owned by the caller). */
typedef struct {
    int pad;                  /* RSA_PKCS1_PADDING, _PSS_, RSA_NO_PADDING */
    const EVP_MD *md;         /* NULL: tbs is signed as given */
    const EVP_MD *mgf1;       /* PSS: MGF1 digest; NULL: md */
    int saltlen;              /* PSS: a length or OpenSSL's special value */
    int bits;                 /* modulus bits */
    const unsigned char *msg; /* the message md hashed into tbs, or NULL */
    size_t msglen;
} P11CMP_RSA_SIG;

/*
 * Signs tbs (the digest of s->md, or raw input when s->md is NULL) as s
 * asks with the token key k into sig, whose size is *len (the modulus
 * size); the signature's length into *len. With s->msg the token may hash
 * the message itself. 1, or 0 and an error.
 */
int p11cmp_rsa_token_sign(OSSL_LIB_CTX *lc, P11CMP_P11_KEY *k,
                          const P11CMP_RSA_SIG *s, const unsigned char *tbs,
                          size_t tbslen, unsigned char *sig, CK_ULONG *len);

#endif
