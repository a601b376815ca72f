/*
 * src/protect.c - message protection (RFC 4210 5.1.3): the password-based
 * MAC (PBM, 5.1.3.1) and signatures (5.1.3.3) over the DER of
 * ProtectedPart, the extraCerts of outgoing requests, and the functions
 * verify.c uses to recompute or check the protection of received messages.
 * Signatures go through EVP_DigestSign only, so a token-backed EVP_PKEY
 * signs unchanged.
 */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "local.h"

int p11cmp_alg_is_pbm(const X509_ALGOR *alg)
{
    return alg != NULL && alg->algorithm != NULL
        && OBJ_obj2nid(alg->algorithm) == NID_id_PasswordBasedMAC;
}

/* The digest NID behind a PBM mac algorithm NID; NID_undef if none */
static int pbm_mac_md_nid(int mac_nid)
{
    int md_nid = NID_undef;

    if (mac_nid == NID_hmac_sha1) /* RFC 4210's own hmac-sha1 OID */
        return NID_sha1;
    if (!p11cmp_hmac_nid_to_md_nid(mac_nid, &md_nid))
        return NID_undef;
    return md_nid;
}

/* Fetches the digest named by nid; raises UNSUPPORTED_ALGORITHM if none */
static EVP_MD *fetch_md(OSSL_LIB_CTX *libctx, const char *propq, int nid,
                        const char *what)
{
    const char *name = nid == NID_undef ? NULL : OBJ_nid2sn(nid);
    EVP_MD *md = NULL;

    if (name != NULL) {
        ERR_set_mark();
        md = EVP_MD_fetch(libctx, name, propq);
        ERR_pop_to_mark();
    }
    if (md == NULL)
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM, "%s %s", what,
                          name != NULL ? name : "(unknown)");
    return md;
}

/* Checks the PBM parameters against the caps; raises on failure */
static int check_pbm_params(const p11cmp_PBMPARAMETER *pbm,
                            int max_itercnt, int max_slen, long *itercnt)
{
    int64_t v;

    if (pbm->salt == NULL || pbm->owf == NULL || pbm->mac == NULL
        || pbm->iterationCount == NULL
        || !ASN1_INTEGER_get_int64(&v, pbm->iterationCount) || v < 1) {
        p11cmp_raise_data(P11CMP_R_WRONG_PROTECTION,
                          "invalid PBM parameters");
        return 0;
    }
    if (v > max_itercnt) {
        p11cmp_raise_data(P11CMP_R_PBM_ITERATION_COUNT_TOO_HIGH,
                          "%lld > %d", (long long)v, max_itercnt);
        return 0;
    }
    if (pbm->salt->length > max_slen) {
        p11cmp_raise_data(P11CMP_R_PBM_SALT_TOO_LONG, "%d > %d bytes",
                          pbm->salt->length, max_slen);
        return 0;
    }
    *itercnt = (long)v;
    return 1;
}

/*
 * BASEKEY of RFC 4210 5.1.3.1: owf applied iterationCount times, first
 * to secret || salt. Writes it to key (EVP_MAX_MD_SIZE) and *keylen.
 * The digest is set up once (init) and each iteration starts from a copy
 * of that state: cheaper than an EVP_DigestInit_ex per iteration.
 */
static int pbm_basekey(const EVP_MD *owf, const p11cmp_PBMPARAMETER *pbm,
                       long itercnt, const unsigned char *secret,
                       size_t secretlen, unsigned char *key,
                       unsigned int *keylen)
{
    EVP_MD_CTX *init = EVP_MD_CTX_new(), *mctx = EVP_MD_CTX_new();
    int res = 0;

    if (init == NULL || mctx == NULL
        || !EVP_DigestInit_ex(init, owf, NULL)
        || !EVP_MD_CTX_copy_ex(mctx, init)
        || !EVP_DigestUpdate(mctx, secret, secretlen)
        || !EVP_DigestUpdate(mctx, pbm->salt->data,
                             (size_t)pbm->salt->length)
        || !EVP_DigestFinal_ex(mctx, key, keylen))
        goto err;
    while (--itercnt > 0)
        if (!EVP_MD_CTX_copy_ex(mctx, init)
            || !EVP_DigestUpdate(mctx, key, *keylen)
            || !EVP_DigestFinal_ex(mctx, key, keylen))
            goto err;
    res = 1;
 err:
    if (!res)
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR, "PBM one-way function");
    EVP_MD_CTX_free(mctx);
    EVP_MD_CTX_free(init);
    return res;
}

int p11cmp_pbm_mac(OSSL_LIB_CTX *libctx, const char *propq,
                   const p11cmp_PBMPARAMETER *pbm,
                   const unsigned char *secret, size_t secretlen,
                   const unsigned char *data, size_t datalen,
                   int max_itercnt, int max_slen,
                   unsigned char **mac, size_t *maclen)
{
    EVP_MD *owf = NULL, *hmd = NULL;
    unsigned char key[EVP_MAX_MD_SIZE], out[EVP_MAX_MD_SIZE];
    unsigned int keylen = 0;
    size_t outlen = 0;
    long itercnt = 0;
    int res = 0;

    if (pbm == NULL || secret == NULL || data == NULL || mac == NULL
        || maclen == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (!check_pbm_params(pbm, max_itercnt, max_slen, &itercnt)
        || (owf = fetch_md(libctx, propq, OBJ_obj2nid(pbm->owf->algorithm),
                           "PBM owf")) == NULL
        || (hmd = fetch_md(libctx, propq,
                           pbm_mac_md_nid(OBJ_obj2nid(pbm->mac->algorithm)),
                           "PBM mac with")) == NULL
        || !pbm_basekey(owf, pbm, itercnt, secret, secretlen, key, &keylen))
        goto err;
    if (EVP_Q_mac(libctx, "HMAC", propq, EVP_MD_get0_name(hmd), NULL, key,
                  keylen, data, datalen, out, sizeof(out), &outlen) == NULL) {
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR, "PBM HMAC");
        goto err;
    }
    if ((*mac = OPENSSL_memdup(out, outlen)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    *maclen = outlen;
    res = 1;
 err:
    OPENSSL_cleanse(key, sizeof(key));
    EVP_MD_free(owf);
    EVP_MD_free(hmd);
    return res;
}

/* Decodes the PBMParameter of a PBM protectionAlg; raises on failure */
static p11cmp_PBMPARAMETER *pbm_params(const X509_ALGOR *alg)
{
    const ASN1_TYPE *param = alg->parameter;
    p11cmp_PBMPARAMETER *pbm = NULL;

    if (param != NULL && param->type == V_ASN1_SEQUENCE)
        pbm = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(p11cmp_PBMPARAMETER),
                                        param);
    if (pbm == NULL)
        p11cmp_raise_data(P11CMP_R_WRONG_PROTECTION,
                          "missing or malformed PBM parameters");
    return pbm;
}

/* a bit string holding the len bytes at data, with no unused bits */
static int bits_set(ASN1_BIT_STRING *bs, const unsigned char *data,
                    size_t len)
{
    if (len > INT_MAX || !ASN1_BIT_STRING_set(bs, (unsigned char *)data,
                                              (int)len)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    return 1;
}

/* The PBM of der under the parameters in alg with ctx's secret */
static ASN1_BIT_STRING *calc_pbm(const P11CMP_CTX *ctx,
                                 const X509_ALGOR *alg,
                                 const unsigned char *der, size_t len)
{
    p11cmp_PBMPARAMETER *pbm = NULL;
    unsigned char *mac = NULL;
    size_t maclen = 0;
    ASN1_BIT_STRING *prot = NULL;

    if (ctx->secretValue == NULL) {
        p11cmp_raise_data(P11CMP_R_MISSING_KEY, "no PBM secret");
        return NULL;
    }
    if ((pbm = pbm_params(alg)) == NULL
        || !p11cmp_pbm_mac(ctx->libctx, ctx->propq, pbm,
                           ctx->secretValue->data,
                           (size_t)ctx->secretValue->length, der, len,
                           ctx->pbm_max_itercnt, ctx->pbm_max_slen,
                           &mac, &maclen))
        goto err;
    if ((prot = ASN1_BIT_STRING_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    if (!bits_set(prot, mac, maclen)) {
        ASN1_BIT_STRING_free(prot);
        prot = NULL;
    }
 err:
    if (mac != NULL)
        OPENSSL_clear_free(mac, maclen);
    p11cmp_PBMPARAMETER_free(pbm);
    return prot;
}

ASN1_BIT_STRING *p11cmp_calc_protection(const P11CMP_CTX *ctx,
                                        const P11CMP_MSG *msg,
                                        int as_received)
{
    const X509_ALGOR *alg;
    unsigned char *der = NULL;
    ASN1_BIT_STRING *prot = NULL;
    int len;

    if (ctx == NULL || msg == NULL || msg->header == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((alg = msg->header->protectionAlg) == NULL) {
        p11cmp_raise(P11CMP_R_MISSING_PROTECTION);
        return NULL;
    }
    if ((len = p11cmp_MSG_protected_part_der(msg, as_received, &der)) < 0)
        return NULL;
    if (p11cmp_alg_is_pbm(alg)) {
        prot = calc_pbm(ctx, alg, der, (size_t)len);
    } else if (ctx->pkey == NULL) {
        p11cmp_raise_data(P11CMP_R_MISSING_KEY, "no key for signing");
    } else if ((prot = ASN1_BIT_STRING_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    } else if (!p11cmp_sign_data(ctx->libctx, ctx->propq, ctx->pkey, alg,
                                 der, (size_t)len, prot)) {
        ASN1_BIT_STRING_free(prot);
        prot = NULL;
    }
    OPENSSL_free(der);
    return prot;
}

int p11cmp_verify_signature(const P11CMP_CTX *ctx, const P11CMP_MSG *msg,
                            EVP_PKEY *pubkey)
{
    unsigned char *der = NULL;
    int len, res;

    if (ctx == NULL || msg == NULL || msg->header == NULL
        || pubkey == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (msg->header->protectionAlg == NULL || msg->protection == NULL) {
        p11cmp_raise(P11CMP_R_MISSING_PROTECTION);
        return 0;
    }
    if ((len = p11cmp_MSG_protected_part_der(msg, 1, &der)) < 0)
        return 0;
    res = p11cmp_verify_data(ctx->libctx, ctx->propq, pubkey,
                             msg->header->protectionAlg, msg->protection,
                             der, (size_t)len);
    OPENSSL_free(der);
    return res;
}

/* The PBM protectionAlg with fresh salt and ctx's owf, count and mac */
static X509_ALGOR *pbm_alg_new(const P11CMP_CTX *ctx)
{
    p11cmp_PBMPARAMETER *pbm = p11cmp_PBMPARAMETER_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_STRING *param = NULL;

    if (pbm == NULL || alg == NULL)
        goto oom;
    if (!p11cmp_set_random_octets(&pbm->salt, ctx->libctx, ctx->pbm_slen))
        goto err;
    if (!ASN1_INTEGER_set(pbm->iterationCount, ctx->pbm_itercnt)
        || !X509_ALGOR_set0(pbm->owf, OBJ_nid2obj(ctx->pbm_owf),
                            V_ASN1_UNDEF, NULL)
        || !X509_ALGOR_set0(pbm->mac, OBJ_nid2obj(ctx->pbm_mac),
                            V_ASN1_UNDEF, NULL)
        || ASN1_item_pack(pbm, ASN1_ITEM_rptr(p11cmp_PBMPARAMETER),
                          &param) == NULL)
        goto oom;
    if (!X509_ALGOR_set0(alg, OBJ_nid2obj(NID_id_PasswordBasedMAC),
                         V_ASN1_SEQUENCE, param))
        goto oom;
    p11cmp_PBMPARAMETER_free(pbm);
    return alg;
 oom:
    p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
 err:
    ASN1_STRING_free(param);
    p11cmp_PBMPARAMETER_free(pbm);
    X509_ALGOR_free(alg);
    return NULL;
}

/* 1 if the header sender is the NULL-DN */
static int sender_is_null_dn(const P11CMP_PKIHEADER *hdr)
{
    const GENERAL_NAME *s = hdr->sender;

    return s == NULL
        || (s->type == GEN_DIRNAME
            && X509_NAME_entry_count(s->d.directoryName) == 0);
}

/*
 * Chooses the protection: sets protectionAlg and senderKID. Returns 1 and
 * sets *sign to 1 for signature, 0 for PBM or -1 for none; 0 on error.
 */
static int choose_protection(P11CMP_CTX *ctx, P11CMP_PKIHEADER *hdr,
                             int *sign)
{
    const ASN1_OCTET_STRING *kid = ctx->referenceValue;

    X509_ALGOR_free(hdr->protectionAlg);
    hdr->protectionAlg = NULL;
    if (ctx->unprotectedSend) {
        *sign = -1;
    } else if (ctx->secretValue != NULL) {
        *sign = 0;
        if ((hdr->protectionAlg = pbm_alg_new(ctx)) == NULL)
            return 0;
    } else if (ctx->cert != NULL && ctx->pkey != NULL) {
        *sign = 1;
        if (!X509_check_private_key(ctx->cert, ctx->pkey)) {
            p11cmp_raise_data(P11CMP_R_INVALID_ARGUMENT,
                              "CMP signer cert and key do not match");
            return 0;
        }
        if (X509_get0_subject_key_id(ctx->cert) != NULL)
            kid = X509_get0_subject_key_id(ctx->cert);
        hdr->protectionAlg = p11cmp_sigalg_new(ctx->pkey, ctx->digest);
        if (hdr->protectionAlg == NULL)
            return 0;
    } else {
        p11cmp_raise_data(P11CMP_R_MISSING_KEY, "no PBM secret and no "
                          "CMP signer cert with key for protection");
        return 0;
    }
    if (!p11cmp_hdr_set1_senderKID(hdr, kid))
        return 0;
    if (sender_is_null_dn(hdr) && hdr->senderKID == NULL) {
        p11cmp_raise_data(P11CMP_R_ERROR_CREATING_MESSAGE, "sender is the "
                          "NULL-DN and no senderKID (referenceValue) set");
        return 0;
    }
    return 1;
}

int p11cmp_msg_protect(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    int sign = -1;

    if (ctx == NULL || msg == NULL || msg->header == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    ASN1_BIT_STRING_free(msg->protection);
    msg->protection = NULL;
    p11cmp_MSG_forget_received(msg);
    if (!choose_protection(ctx, msg->header, &sign))
        return 0;
    if (sign >= 0) {
        msg->protection = p11cmp_calc_protection(ctx, msg, 0);
        if (msg->protection == NULL)
            return 0;
        p11cmp_log_debug(ctx, "protected the request with %s",
                         sign ? "a signature" : "PBM");
    } else {
        p11cmp_log_debug(ctx, "sending the request unprotected");
    }
    return p11cmp_msg_add_extraCerts(ctx, msg);
}

/* Adds cert and its chain (built on demand) to *certs */
static int add_own_chain(P11CMP_CTX *ctx, STACK_OF(X509) *certs)
{
    if (!X509_add_cert(certs, ctx->cert,
                       X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    if (ctx->chain == NULL) {
        ERR_set_mark();
        if (!P11CMP_CTX_build_cert_chain(ctx, NULL, NULL)) {
            ERR_pop_to_mark();
            p11cmp_log_warn(ctx, "could not build the chain of the CMP "
                            "signer cert; sending the cert alone");
            return 1;
        }
        ERR_clear_last_mark();
    }
    if (!X509_add_certs(certs, ctx->chain, X509_ADD_FLAG_UP_REF
                        | X509_ADD_FLAG_NO_DUP | X509_ADD_FLAG_NO_SS)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    return 1;
}

int p11cmp_msg_add_extraCerts(P11CMP_CTX *ctx, P11CMP_MSG *msg)
{
    int signing;

    if (ctx == NULL || msg == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    signing = !ctx->unprotectedSend && ctx->secretValue == NULL
        && ctx->cert != NULL && ctx->pkey != NULL;
    if (msg->extraCerts == NULL
        && (msg->extraCerts = sk_X509_new_null()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    if (signing && !add_own_chain(ctx, msg->extraCerts))
        return 0;
    if (!X509_add_certs(msg->extraCerts, ctx->extraCertsOut,
                        X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    if (sk_X509_num(msg->extraCerts) == 0) {
        sk_X509_free(msg->extraCerts);
        msg->extraCerts = NULL;
    }
    return 1;
}

/* DER of the AlgorithmIdentifier of md_nid, as ASN1_STRING (SEQUENCE) */
static ASN1_STRING *md_alg_packed(int md_nid)
{
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_STRING *str = NULL;

    if (alg != NULL
        && X509_ALGOR_set0(alg, OBJ_nid2obj(md_nid), V_ASN1_UNDEF, NULL))
        (void)ASN1_item_pack(alg, ASN1_ITEM_rptr(X509_ALGOR), &str);
    X509_ALGOR_free(alg);
    return str;
}

/*
 * RSASSA-PSS-params (RFC 4055) for md_nid: hash and MGF1 hash md_nid,
 * salt length = digest length; SHA-1 and 20 are DEFAULTs, left out.
 */
static ASN1_STRING *pss_params_new(int md_nid, int mdsize)
{
    RSA_PSS_PARAMS *pss = RSA_PSS_PARAMS_new();
    ASN1_STRING *mgfp = NULL, *out = NULL;

    if (pss == NULL)
        goto err;
    if (md_nid != NID_sha1) {
        if ((pss->hashAlgorithm = X509_ALGOR_new()) == NULL
            || !X509_ALGOR_set0(pss->hashAlgorithm, OBJ_nid2obj(md_nid),
                                V_ASN1_UNDEF, NULL)
            || (mgfp = md_alg_packed(md_nid)) == NULL
            || (pss->maskGenAlgorithm = X509_ALGOR_new()) == NULL
            || !X509_ALGOR_set0(pss->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1),
                                V_ASN1_SEQUENCE, mgfp))
            goto err;
        mgfp = NULL;
    }
    if (mdsize != 20
        && ((pss->saltLength = ASN1_INTEGER_new()) == NULL
            || !ASN1_INTEGER_set(pss->saltLength, mdsize)))
        goto err;
    (void)ASN1_item_pack(pss, ASN1_ITEM_rptr(RSA_PSS_PARAMS), &out);
 err:
    ASN1_STRING_free(mgfp);
    RSA_PSS_PARAMS_free(pss);
    if (out == NULL)
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
    return out;
}

/* The signature NID for key type pk_nid and digest md_nid, or NID_undef */
static int sig_nid_for(int pk_nid, int md_nid)
{
    int sig_nid = NID_undef;

    if (!OBJ_find_sigid_by_algs(&sig_nid, md_nid, pk_nid))
        return NID_undef;
    return sig_nid;
}

X509_ALGOR *p11cmp_sigalg_new(EVP_PKEY *pkey, int md_nid)
{
    int pk = pkey == NULL ? NID_undef : EVP_PKEY_get_base_id(pkey);
    int sig_nid = NID_undef, ptype = V_ASN1_UNDEF, mdsize;
    ASN1_STRING *param = NULL;
    X509_ALGOR *alg;

    switch (pk) {
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
        sig_nid = pk;
        break;
    case EVP_PKEY_RSA:
        sig_nid = sig_nid_for(NID_rsaEncryption, md_nid);
        ptype = V_ASN1_NULL;
        break;
    case EVP_PKEY_EC:
        sig_nid = sig_nid_for(NID_X9_62_id_ecPublicKey, md_nid);
        break;
    case EVP_PKEY_RSA_PSS:
        mdsize = EVP_MD_get_size(EVP_get_digestbynid(md_nid));
        if (mdsize <= 0)
            break;
        if ((param = pss_params_new(md_nid, mdsize)) == NULL)
            return NULL;
        sig_nid = NID_rsassaPss;
        ptype = V_ASN1_SEQUENCE;
        break;
    default:
        break;
    }
    if (sig_nid == NID_undef) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "signing with %s keys and digest %s",
                          pk == NID_undef ? "(no)" : OBJ_nid2sn(pk),
                          OBJ_nid2sn(md_nid));
        return NULL;
    }
    if ((alg = X509_ALGOR_new()) == NULL
        || !X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid), ptype, param)) {
        X509_ALGOR_free(alg);
        ASN1_STRING_free(param);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    return alg;
}

/* The digest NID named by an AlgorithmIdentifier (NULL: SHA-1 default) */
static int md_nid_of(const X509_ALGOR *alg)
{
    return alg == NULL ? NID_sha1 : OBJ_obj2nid(alg->algorithm);
}

/*
 * Reads RSASSA-PSS-params from alg: hash, MGF1 hash and salt length with
 * their DEFAULTs. 1, or 0 (UNSUPPORTED_ALGORITHM) if malformed.
 */
static int pss_params_get(const X509_ALGOR *alg, int *md_nid, int *mgf_nid,
                          int *saltlen)
{
    RSA_PSS_PARAMS *pss = NULL;
    X509_ALGOR *mgfmd = NULL;
    const ASN1_TYPE *mp;
    int64_t v = 20;
    int res = 0;

    if (alg->parameter == NULL || alg->parameter->type != V_ASN1_SEQUENCE
        || (pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
                                            alg->parameter)) == NULL)
        goto err;
    *md_nid = md_nid_of(pss->hashAlgorithm);
    *mgf_nid = NID_sha1;
    if (pss->maskGenAlgorithm != NULL) {
        mp = pss->maskGenAlgorithm->parameter;
        if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1
            || mp == NULL || mp->type != V_ASN1_SEQUENCE
            || (mgfmd = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
                                                  mp)) == NULL)
            goto err;
        *mgf_nid = md_nid_of(mgfmd);
    }
    if (pss->saltLength != NULL
        && (!ASN1_INTEGER_get_int64(&v, pss->saltLength) || v < 0
            || v > 1024))
        goto err;
    *saltlen = (int)v;
    res = 1;
 err:
    if (!res)
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "malformed RSASSA-PSS parameters");
    X509_ALGOR_free(mgfmd);
    RSA_PSS_PARAMS_free(pss);
    return res;
}

/* Initialises mctx for signing with pkey as alg says */
static int sign_init(EVP_MD_CTX *mctx, OSSL_LIB_CTX *libctx,
                     const char *propq, EVP_PKEY *pkey,
                     const X509_ALGOR *alg)
{
    int nid = OBJ_obj2nid(alg->algorithm), pss = nid == NID_rsassaPss;
    int md_nid = NID_undef, pk_nid = NID_undef, mgf_nid = NID_undef;
    int saltlen = 0;
    EVP_PKEY_CTX *pctx = NULL;
    const char *mdname;

    if (pss ? !pss_params_get(alg, &md_nid, &mgf_nid, &saltlen)
        : !OBJ_find_sigid_algs(nid, &md_nid, &pk_nid)) {
        if (!pss)
            p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                              "signature algorithm %s", OBJ_nid2sn(nid));
        return 0;
    }
    mdname = md_nid == NID_undef ? NULL : OBJ_nid2sn(md_nid);
    if (EVP_DigestSignInit_ex(mctx, &pctx, mdname, libctx, propq, pkey,
                              NULL) <= 0
        || (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx,
                                                 RSA_PKCS1_PSS_PADDING) <= 0
                    || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) <= 0
                    || EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx,
                           OBJ_nid2sn(mgf_nid), NULL) <= 0))) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM,
                          "cannot sign with %s and this key",
                          OBJ_nid2sn(nid));
        return 0;
    }
    return 1;
}

int p11cmp_sign_data(OSSL_LIB_CTX *libctx, const char *propq,
                     EVP_PKEY *pkey, const X509_ALGOR *alg,
                     const unsigned char *data, size_t len,
                     ASN1_BIT_STRING *sig)
{
    EVP_MD_CTX *mctx = NULL;
    unsigned char *buf = NULL;
    size_t siglen = 0;
    int res = 0;

    if (pkey == NULL || alg == NULL || data == NULL || sig == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if ((mctx = EVP_MD_CTX_new()) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    if (!sign_init(mctx, libctx, propq, pkey, alg))
        goto err;
    if (EVP_DigestSign(mctx, NULL, &siglen, data, len) <= 0
        || (buf = OPENSSL_malloc(siglen)) == NULL
        || EVP_DigestSign(mctx, buf, &siglen, data, len) <= 0) {
        p11cmp_raise_data(P11CMP_R_INTERNAL_ERROR, "signing failed");
        goto err;
    }
    res = bits_set(sig, buf, siglen);
 err:
    OPENSSL_free(buf);
    EVP_MD_CTX_free(mctx);
    return res;
}

/* 1 if libcrypto's newest error says the algorithm is unknown */
static int unknown_alg_error(void)
{
    unsigned long e = ERR_peek_last_error();
    int r = ERR_GET_REASON(e);

    return ERR_GET_LIB(e) == ERR_LIB_ASN1
        && (r == ASN1_R_UNKNOWN_SIGNATURE_ALGORITHM
            || r == ASN1_R_UNKNOWN_MESSAGE_DIGEST_ALGORITHM);
}

int p11cmp_verify_data(OSSL_LIB_CTX *libctx, const char *propq,
                       EVP_PKEY *pubkey, const X509_ALGOR *alg,
                       const ASN1_BIT_STRING *sig,
                       const unsigned char *data, size_t len)
{
    ASN1_TYPE *any = NULL;
    ASN1_STRING *str = NULL;
    int ret;

    if (pubkey == NULL || alg == NULL || sig == NULL || data == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    /* ANY of type SEQUENCE re-encodes to exactly its stored bytes */
    if (len > INT_MAX || (any = ASN1_TYPE_new()) == NULL
        || (str = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL
        || !ASN1_STRING_set(str, data, (int)len)) {
        ASN1_STRING_free(str);
        ASN1_TYPE_free(any);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    ASN1_TYPE_set(any, V_ASN1_SEQUENCE, str);
    ret = ASN1_item_verify_ex(ASN1_ITEM_rptr(ASN1_ANY), alg, sig, any,
                              NULL, pubkey, libctx, propq);
    ASN1_TYPE_free(any);
    if (ret > 0)
        return 1;
    if (unknown_alg_error())
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_ALGORITHM, "cannot verify %s",
                          OBJ_nid2sn(OBJ_obj2nid(alg->algorithm)));
    else /* also malformed signature values and keys of another type */
        p11cmp_raise(P11CMP_R_BAD_SIGNATURE);
    return 0;
}
