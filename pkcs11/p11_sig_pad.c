/*
 * pkcs11/p11_sig_pad.c - the encodings around a token's raw signatures:
 * an RSA PKCS#1 v1.5 DigestInfo (the token pads it, CKM_RSA_PKCS), an
 * RSA EMSA-PSS encoded message (RFC 8017 9.1.1; the token only does the
 * RSA operation, CKM_RSA_X_509), and an ECDSA signature from the token's
 * r || s (CKM_ECDSA) to DER Ecdsa-Sig-Value.
 */
#include "config.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/rand.h>

#include "p11_sig_pad.h"

int p11cmp_digest_info(const EVP_MD *md, const unsigned char *dgst,
                       size_t dlen, unsigned char **out, size_t *outlen)
{
    X509_SIG *sig = X509_SIG_new();
    X509_ALGOR *alg = NULL;
    ASN1_OCTET_STRING *os = NULL;
    int len = -1;

    *out = NULL;
    if (sig != NULL) {
        X509_SIG_getm(sig, &alg, &os);
        if (X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)),
                            V_ASN1_NULL, NULL)
            && ASN1_OCTET_STRING_set(os, dgst, (int)dlen))
            len = i2d_X509_SIG(sig, out);
    }
    X509_SIG_free(sig);
    if (len <= 0) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    *outlen = (size_t)len;
    return 1;
}

/* mask ^= MGF1(seed) over len bytes (RFC 8017 B.2.1). 1 on success. */
static int mgf1_xor(unsigned char *mask, size_t len, const unsigned char *seed,
                    size_t seedlen, const EVP_MD *md)
{
    unsigned char h[EVP_MAX_MD_SIZE], c[4];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t hlen = (size_t)EVP_MD_get_size(md), done, i;
    uint32_t n;
    int ok = ctx != NULL;

    for (done = 0, n = 0; ok && done < len; n++) {
        c[0] = (unsigned char)(n >> 24);
        c[1] = (unsigned char)(n >> 16);
        c[2] = (unsigned char)(n >> 8);
        c[3] = (unsigned char)n;
        ok = EVP_DigestInit_ex(ctx, md, NULL)
            && EVP_DigestUpdate(ctx, seed, seedlen)
            && EVP_DigestUpdate(ctx, c, sizeof(c))
            && EVP_DigestFinal_ex(ctx, h, NULL);
        for (i = 0; ok && i < hlen && done < len; i++)
            mask[done++] ^= h[i];
    }
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(h, sizeof(h));
    return ok;
}

/* H = Hash(8 zero bytes || mhash || salt) into h. 1 on success. */
static int pss_hash(const EVP_MD *md, const unsigned char *mhash,
                    const unsigned char *salt, size_t slen, unsigned char *h)
{
    static const unsigned char zeros[8] = {0};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL)
        && EVP_DigestUpdate(ctx, zeros, sizeof(zeros))
        && EVP_DigestUpdate(ctx, mhash, (size_t)EVP_MD_get_size(md))
        && EVP_DigestUpdate(ctx, salt, slen)
        && EVP_DigestFinal_ex(ctx, h, NULL);

    EVP_MD_CTX_free(ctx);
    return ok;
}

int p11cmp_pss_saltlen(int saltlen, const EVP_MD *md, int modbits)
{
    int hlen = EVP_MD_get_size(md);
    int emlen = (modbits - 1 + 7) / 8, max = emlen - hlen - 2;

    if (saltlen == P11CMP_PSS_SALTLEN_DIGEST)
        saltlen = hlen;
    else if (saltlen == P11CMP_PSS_SALTLEN_AUTO
             || saltlen == P11CMP_PSS_SALTLEN_MAX)
        saltlen = max;
    else if (saltlen == P11CMP_PSS_SALTLEN_AUTO_DIGEST_MAX)
        saltlen = hlen < max ? hlen : max;
    return saltlen < 0 || saltlen > max ? -1 : saltlen;
}

int p11cmp_pss_encode(OSSL_LIB_CTX *libctx, const EVP_MD *md,
                      const EVP_MD *mgf1, const unsigned char *mhash,
                      int slen, int modbits, unsigned char *em, size_t k)
{
    size_t hlen = (size_t)EVP_MD_get_size(md);
    size_t embits = (size_t)modbits - 1, emlen = (embits + 7) / 8;
    size_t dblen = emlen - hlen - 1, off = k - emlen;
    unsigned char *db, *salt;

    if (slen < 0 || k < emlen || emlen < hlen + (size_t)slen + 2) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "PSS salt too long for the key");
        return 0;
    }
    memset(em, 0, k);
    db = em + off;                   /* PS || 0x01 || salt, then masked */
    salt = db + dblen - (size_t)slen;
    db[dblen - (size_t)slen - 1] = 0x01;
    if ((slen > 0 && RAND_bytes_ex(libctx, salt, (size_t)slen, 0) <= 0)
        || !pss_hash(md, mhash, salt, (size_t)slen, db + dblen)
        || !mgf1_xor(db, dblen, db + dblen, hlen, mgf1)) {
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR, "PSS encoding failed");
        return 0;
    }
    db[0] &= 0xFF >> (8 * emlen - embits);
    em[k - 1] = 0xbc;
    return 1;
}

int p11cmp_ecdsa_der(const unsigned char *rs, size_t len, unsigned char *out,
                     size_t *outlen, size_t cap)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, (int)(len / 2), NULL);
    BIGNUM *s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
    unsigned char *p = out;
    int n = -1;

    if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s)) {
        r = s = NULL;
        if (i2d_ECDSA_SIG(sig, NULL) <= (int)cap)
            n = i2d_ECDSA_SIG(sig, &p);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    if (n <= 0) {
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR,
                          "cannot encode the ECDSA signature");
        return 0;
    }
    *outlen = (size_t)n;
    return 1;
}
