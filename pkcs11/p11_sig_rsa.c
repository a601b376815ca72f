/*
 * pkcs11/p11_sig_rsa.c - which PKCS#11 mechanism makes an RSA signature
 * of the provider (p11_sig.c) on the token. Modules differ: SoftHSM2
 * signs with anything; tpm2-pkcs11 does the raw mechanisms (CKM_RSA_PKCS
 * over a DigestInfo, CKM_RSA_X_509 over an encoding made here) as a TPM
 * RSA decryption, which a sign-only key refuses, and signs such a key
 * only with the mechanisms the TPM does itself: CKM_SHA*_RSA_PKCS over the
 * message, CKM_RSA_PKCS_PSS over a digest or CKM_SHA*_RSA_PKCS_PSS over
 * the message, both with MGF1 of the same hash and a salt as long as the
 * digest. So a mechanism that leaves the padding to the token goes first
 * when the token lists it (C_GetMechanismInfo, once per key), the raw
 * ones are the fallback; a token that refuses the first one's parameters
 * for this key gets the next.
 */
#include "config.h"

#include <openssl/rsa.h>

#include "p11_sig_pad.h"
#include "p11_sig_rsa.h"

/* The PKCS#11 names of a digest. */
typedef struct {
    int nid;
    CK_MECHANISM_TYPE hash, pkcs, pss;
    CK_RSA_PKCS_MGF_TYPE mgf;
} HASHMECH;

static const HASHMECH hashmechs[] = {
    {NID_sha1, CKM_SHA_1, CKM_SHA1_RSA_PKCS, CKM_SHA1_RSA_PKCS_PSS,
     CKG_MGF1_SHA1},
    {NID_sha224, CKM_SHA224, CKM_SHA224_RSA_PKCS, CKM_SHA224_RSA_PKCS_PSS,
     CKG_MGF1_SHA224},
    {NID_sha256, CKM_SHA256, CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS,
     CKG_MGF1_SHA256},
    {NID_sha384, CKM_SHA384, CKM_SHA384_RSA_PKCS, CKM_SHA384_RSA_PKCS_PSS,
     CKG_MGF1_SHA384},
    {NID_sha512, CKM_SHA512, CKM_SHA512_RSA_PKCS, CKM_SHA512_RSA_PKCS_PSS,
     CKG_MGF1_SHA512},
};

#define NHASH (sizeof(hashmechs) / sizeof(hashmechs[0]))

/* The PKCS#11 names of md, or NULL (none, or md is NULL). */
static const HASHMECH *hashmech(const EVP_MD *md)
{
    size_t i;

    for (i = 0; md != NULL && i < NHASH; i++)
        if (EVP_MD_is_a(md, OBJ_nid2sn(hashmechs[i].nid)))
            return &hashmechs[i];
    return NULL;
}

/*
 * 1 if rv says the token will not do this mechanism or these parameters
 * with this key (refused before anything was signed): try the next one.
 */
static int refused(CK_RV rv)
{
    return rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID
        || rv == CKR_KEY_TYPE_INCONSISTENT
        || rv == CKR_KEY_FUNCTION_NOT_PERMITTED;
}

/*
 * Signs in with mechanism mech (parameters p, plen) if the token lists it
 * for signing: 1 signed, 0 failed (error raised), -1 not listed or refused
 * (nothing on the error stack): the caller tries its next mechanism.
 */
static int try_mech(P11CMP_P11_KEY *k, CK_MECHANISM_TYPE mech, void *p,
                    CK_ULONG plen, const unsigned char *in, size_t inlen,
                    unsigned char *sig, CK_ULONG *len)
{
    CK_MECHANISM m = {mech, p, plen};
    CK_ULONG cap = *len;
    CK_RV rv;

    if (in == NULL || !p11cmp_p11_key_can_sign(k, mech))
        return -1;
    ERR_set_mark();
    rv = p11cmp_p11_key_sign_mech(k, &m, in, inlen, sig, len);
    if (rv == CKR_OK || !refused(rv)) {
        (void)ERR_clear_last_mark();
        return rv == CKR_OK;
    }
    (void)ERR_pop_to_mark();
    *len = cap;
    return -1;
}

/* PKCS#1 v1.5 of the digest tbs (or of the message s->msg). */
static int pkcs1_sign(P11CMP_P11_KEY *k, const P11CMP_RSA_SIG *s,
                      const unsigned char *tbs, size_t tbslen,
                      unsigned char *sig, CK_ULONG *len)
{
    const HASHMECH *h = hashmech(s->md);
    unsigned char *di = NULL;
    size_t dilen = 0;
    int ok;

    if (tbslen != (size_t)EVP_MD_get_size(s->md)) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "digest length %zu for %s", tbslen,
                          EVP_MD_get0_name(s->md));
        return 0;
    }
    if (h != NULL
        && (ok = try_mech(k, h->pkcs, NULL, 0, s->msg, s->msglen, sig,
                          len)) >= 0)
        return ok;
    ok = p11cmp_digest_info(s->md, tbs, tbslen, &di, &dilen)
        && p11cmp_p11_key_sign(k, CKM_RSA_PKCS, di, dilen, sig, len);
    OPENSSL_free(di);
    return ok;
}

/* PSS of the digest tbs (or of the message s->msg); *len: modulus size. */
static int pss_sign(OSSL_LIB_CTX *lc, P11CMP_P11_KEY *k,
                    const P11CMP_RSA_SIG *s, const unsigned char *tbs,
                    size_t tbslen, unsigned char *sig, CK_ULONG *len)
{
    const EVP_MD *mgf1 = s->mgf1 != NULL ? s->mgf1 : s->md;
    const HASHMECH *h = hashmech(s->md), *hm = hashmech(mgf1);
    CK_RSA_PKCS_PSS_PARAMS pp;
    unsigned char *em = NULL;
    int slen, ok = -1;

    if (s->md == NULL || tbslen != (size_t)EVP_MD_get_size(s->md)
        || (slen = p11cmp_pss_saltlen(s->saltlen, s->md, s->bits)) < 0) {
        p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                          "PSS needs a digest and a salt that fits");
        return 0;
    }
    if (h != NULL && hm != NULL) {
        pp.hashAlg = h->hash;
        pp.mgf = hm->mgf;
        pp.sLen = (CK_ULONG)slen;
        ok = try_mech(k, CKM_RSA_PKCS_PSS, &pp, sizeof(pp), tbs, tbslen,
                      sig, len);
        if (ok < 0)
            ok = try_mech(k, h->pss, &pp, sizeof(pp), s->msg, s->msglen,
                          sig, len);
    }
    if (ok >= 0)
        return ok;
    ok = (em = OPENSSL_malloc(*len)) != NULL
        && p11cmp_pss_encode(lc, s->md, mgf1, tbs, slen, s->bits, em, *len)
        && p11cmp_p11_key_sign(k, CKM_RSA_X_509, em, *len, sig, len);
    OPENSSL_clear_free(em, *len);
    return ok;
}

int p11cmp_rsa_token_sign(OSSL_LIB_CTX *lc, P11CMP_P11_KEY *k,
                          const P11CMP_RSA_SIG *s, const unsigned char *tbs,
                          size_t tbslen, unsigned char *sig, CK_ULONG *len)
{
    if (s->pad == RSA_PKCS1_PSS_PADDING)
        return pss_sign(lc, k, s, tbs, tbslen, sig, len);
    if (s->pad == RSA_NO_PADDING && s->md == NULL)
        return p11cmp_p11_key_sign(k, CKM_RSA_X_509, tbs, tbslen, sig, len);
    if (s->pad == RSA_PKCS1_PADDING && s->md == NULL)
        return p11cmp_p11_key_sign(k, CKM_RSA_PKCS, tbs, tbslen, sig, len);
    if (s->pad == RSA_PKCS1_PADDING)
        return pkcs1_sign(k, s, tbs, tbslen, sig, len);
    p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                      "RSA padding %d on a token key", s->pad);
    return 0;
}
