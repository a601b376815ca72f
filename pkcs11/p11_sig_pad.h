/*
 * pkcs11/p11_sig_pad.h - encodings around a token's raw signatures
 * (p11_sig_pad.c), used by the provider's RSA / ECDSA signature.
 */
#ifndef P11CMP_P11_SIG_PAD_H
#define P11CMP_P11_SIG_PAD_H

#include "p11_local.h"

/* The special PSS salt lengths (the values of OpenSSL's "saltlen"). */
#define P11CMP_PSS_SALTLEN_DIGEST (-1)
#define P11CMP_PSS_SALTLEN_AUTO (-2)
#define P11CMP_PSS_SALTLEN_MAX (-3)
#define P11CMP_PSS_SALTLEN_AUTO_DIGEST_MAX (-4)

/* DER DigestInfo of dgst (digest md) into a new *out. 1 on success. */
int p11cmp_digest_info(const EVP_MD *md, const unsigned char *dgst,
                       size_t dlen, unsigned char **out, size_t *outlen);
/*
 * The salt length a PSS signature with md by a modbits-bit key has for
 * the requested saltlen (a length or a special value); -1 if too long.
 */
int p11cmp_pss_saltlen(int saltlen, const EVP_MD *md, int modbits);
/*
 * EMSA-PSS-ENCODE of the digest mhash (md, MGF1 with mgf1, slen salt
 * bytes from libctx's RNG) for a modbits-bit key, left-padded with zeros
 * to the k bytes of the modulus in em. 1 on success.
 */
int p11cmp_pss_encode(OSSL_LIB_CTX *libctx, const EVP_MD *md,
                      const EVP_MD *mgf1, const unsigned char *mhash,
                      int slen, int modbits, unsigned char *em, size_t k);
/* DER Ecdsa-Sig-Value of r || s (len bytes) into out (cap bytes). */
int p11cmp_ecdsa_der(const unsigned char *rs, size_t len, unsigned char *out,
                     size_t *outlen, size_t cap);

#endif
