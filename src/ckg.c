/*
 * src/ckg.c - central key generation (RFC 9483 4.1.6, RFC 9810 5.2.2):
 * the certificate template of a request for a key made by the CA (the
 * key's algorithm with an empty BIT STRING, as OpenSSL 3.5 sends it),
 * and the private key the CA returns in certifiedKeyPair.privateKey: an
 * EncryptedKey envelopedData [0] decrypted with the client's own key (or
 * its PBM secret), holding a SignedData by a key generation authority
 * (extended key usage id-kp-cmKGA, chained to the trusted certificates)
 * over the key (an AsymmetricKeyPackage, or the one key OpenSSL 3.5
 * sends). The plaintext lives in secure-heap memory BIOs, which are
 * cleansed when freed.
 */
#include <string.h>

#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include "local.h"

/* id-ct-KP-aKeyPackage (RFC 5958); OpenSSL 3.0 has no NID for it */
#define OID_AKEYPACKAGE "2.16.840.1.101.2.1.2.78.5"

int p11cmp_ckg_requested(const P11CMP_CTX *ctx)
{
    return ctx != NULL && ctx->popoMethod == P11CMP_POPO_NONE;
}

/*
 * TLV of tag (universal, constructed) around the len bytes of in, in a
 * new buffer (*outlen its length), or NULL.
 */
static unsigned char *wrap(int tag, int cls, const unsigned char *in,
                           int len, int *outlen)
{
    int n = ASN1_object_size(1, len, tag);
    unsigned char *buf, *p;

    if (n <= 0 || (buf = p = OPENSSL_malloc(n)) == NULL)
        return NULL;
    ASN1_put_object(&p, 1, len, tag, cls);
    memcpy(p, in, len);
    *outlen = n;
    return buf;
}

X509_PUBKEY *p11cmp_ckg_pubkey_new(EVP_PKEY *pkey)
{
    static const unsigned char empty_bits[] = { 0x03, 0x01, 0x00 };
    X509_PUBKEY *full = NULL, *res = NULL;
    X509_ALGOR *alg;
    unsigned char *der = NULL, *seq = NULL, *p;
    const unsigned char *q;
    int len, seqlen;

    if (!X509_PUBKEY_set(&full, pkey)
        || !X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, full)
        || (len = i2d_X509_ALGOR(alg, NULL)) <= 0
        || (der = p = OPENSSL_malloc(len + sizeof(empty_bits))) == NULL
        || i2d_X509_ALGOR(alg, &p) != len)
        goto end;
    memcpy(p, empty_bits, sizeof(empty_bits));
    len += (int)sizeof(empty_bits);
    if ((seq = wrap(V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, der, len, &seqlen))
        == NULL)
        goto end;
    q = seq;
    res = d2i_X509_PUBKEY(NULL, &q, seqlen);
 end:
    if (res == NULL)
        p11cmp_raise_data(P11CMP_R_ERROR_CREATING_MESSAGE,
                          "template key for central key generation");
    OPENSSL_free(seq);
    OPENSSL_free(der);
    X509_PUBKEY_free(full);
    return res;
}

/*
 * The ContentInfo of type nid around the DER (universal SEQUENCE) of its
 * content, in ctx's library context, or NULL.
 */
static CMS_ContentInfo *content_info(const P11CMP_CTX *ctx, int nid,
                                     const unsigned char *der, int len)
{
    CMS_ContentInfo *ci = CMS_ContentInfo_new_ex(ctx->libctx, ctx->propq);
    unsigned char *oid = NULL, *exp = NULL, *body = NULL, *all = NULL;
    const unsigned char *p;
    int oidlen, explen, alllen;

    if (ci == NULL
        || (oidlen = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &oid)) <= 0
        || (exp = wrap(0, V_ASN1_CONTEXT_SPECIFIC, der, len, &explen))
        == NULL
        || (body = OPENSSL_malloc(oidlen + explen)) == NULL)
        goto err;
    memcpy(body, oid, oidlen);
    memcpy(body + oidlen, exp, explen);
    if ((all = wrap(V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, body,
                    oidlen + explen, &alllen)) == NULL)
        goto err;
    p = all;
    if (d2i_CMS_ContentInfo(&ci, &p, alllen) == NULL)
        ci = NULL; /* freed by the failed d2i */
    goto end;
 err:
    CMS_ContentInfo_free(ci);
    ci = NULL;
 end:
    OPENSSL_free(oid);
    OPENSSL_clear_free(exp, exp == NULL ? 0 : (size_t)explen);
    OPENSSL_clear_free(body, body == NULL ? 0 : (size_t)(oidlen + explen));
    OPENSSL_clear_free(all, all == NULL ? 0 : (size_t)alllen);
    return ci;
}

/* The EnvelopedData of EncryptedKey enc as a ContentInfo, or NULL */
static CMS_ContentInfo *enveloped(const P11CMP_CTX *ctx, const ASN1_TYPE *enc)
{
    const ASN1_STRING *s;
    unsigned char *der;
    CMS_ContentInfo *ci;
    long len;
    int tag, cls;
    const unsigned char *p;

    if (enc == NULL || (enc->type != V_ASN1_OTHER
                        && enc->type != V_ASN1_SEQUENCE)) {
        p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                          "privateKey is no EncryptedKey");
        return NULL;
    }
    s = enc->value.asn1_string;
    p = s->data;
    if (enc->type == V_ASN1_SEQUENCE
        || (ASN1_get_object(&p, &len, &tag, &cls, s->length) & 0x80) != 0
        || tag != 0 || cls != V_ASN1_CONTEXT_SPECIFIC) {
        p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                          "EncryptedKey is no envelopedData (the deprecated "
                          "EncryptedValue is not supported)");
        return NULL;
    }
    if ((der = OPENSSL_memdup(s->data, s->length)) == NULL)
        return NULL;
    der[0] = V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED; /* [0] IMPLICIT */
    ci = content_info(ctx, NID_pkcs7_enveloped, der, s->length);
    OPENSSL_free(der);
    if (ci == NULL)
        p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                          "cannot decode the EnvelopedData");
    return ci;
}

/*
 * Decrypts env with the client's key (ctx->pkey, its cert ctx->cert),
 * else with the PBM secret, into a new secure memory BIO, or NULL.
 */
static BIO *decrypt(const P11CMP_CTX *ctx, CMS_ContentInfo *env)
{
    BIO *out = BIO_new(BIO_s_secmem());
    int ok = 0;

    if (out == NULL)
        return NULL;
    if (ctx->pkey != NULL) {
        ok = CMS_decrypt(env, ctx->pkey, ctx->cert, NULL, out, CMS_BINARY);
    } else if (ctx->secretValue != NULL) {
        ok = CMS_decrypt_set1_password(env, ctx->secretValue->data,
                                       ctx->secretValue->length)
            && CMS_decrypt(env, NULL, NULL, NULL, out, CMS_BINARY);
    }
    if (ok)
        return out;
    BIO_free(out);
    p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                      ctx->pkey != NULL || ctx->secretValue != NULL
                      ? "cannot decrypt the EnvelopedData"
                      : "no key or secret to decrypt the EnvelopedData");
    return NULL;
}

/* The SignedData (ContentInfo or bare, as RFC 9483 has it) in b */
static CMS_ContentInfo *signed_data(const P11CMP_CTX *ctx, BIO *b)
{
    CMS_ContentInfo *ci = CMS_ContentInfo_new_ex(ctx->libctx, ctx->propq);
    const unsigned char *p;
    char *data;
    long len = BIO_get_mem_data(b, &data);

    if (ci == NULL || len <= 0 || len > INT_MAX)
        goto err;
    p = (const unsigned char *)data;
    ERR_set_mark();
    if (d2i_CMS_ContentInfo(&ci, &p, len) != NULL) {
        ERR_pop_to_mark();
        if (OBJ_obj2nid(CMS_get0_type(ci)) == NID_pkcs7_signed)
            return ci;
        CMS_ContentInfo_free(ci);
        ci = NULL;
        goto err;
    }
    ERR_pop_to_mark();
    if ((ci = content_info(ctx, NID_pkcs7_signed, (unsigned char *)data,
                           (int)len)) != NULL)
        return ci;
 err:
    CMS_ContentInfo_free(ci);
    p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                      "the EnvelopedData holds no SignedData");
    return NULL;
}

/* 1 if cert has extended key usage id-kp-cmKGA */
static int is_kga(X509 *cert)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage,
                                               NULL, NULL);
    int i, res = 0;

    for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
        if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_cmKGA)
            res = 1;
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return res;
}

/*
 * Checks the one signer of sd: a path to ctx->trusted (through the
 * certificates of sd and ctx->untrusted) and EKU id-kp-cmKGA. 1 or 0.
 */
static int check_kga(const P11CMP_CTX *ctx, CMS_ContentInfo *sd)
{
    STACK_OF(X509) *signers = CMS_get0_signers(sd);
    STACK_OF(X509) *certs = CMS_get1_certs(sd);
    X509_STORE_CTX *vctx = NULL;
    X509 *kga = sk_X509_value(signers, 0);
    int i, ok = 0;

    if (sk_X509_num(signers) != 1) {
        p11cmp_raise_data(P11CMP_R_NOT_KEY_GENERATION_AUTHORITY,
                          "%d signers of the key, not one",
                          sk_X509_num(signers));
        goto end;
    }
    if (!is_kga(kga)) {
        p11cmp_raise_data(P11CMP_R_NOT_KEY_GENERATION_AUTHORITY,
                          "the signer of the key lacks id-kp-cmKGA");
        goto end;
    }
    if (certs == NULL && (certs = sk_X509_new_null()) == NULL)
        goto end;
    for (i = 0; i < sk_X509_num(ctx->untrusted); i++)
        if (!X509_add_cert(certs, sk_X509_value(ctx->untrusted, i),
                           X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP))
            goto end;
    if ((vctx = X509_STORE_CTX_new_ex(ctx->libctx, ctx->propq)) == NULL
        || !X509_STORE_CTX_init(vctx, ctx->trusted, kga, certs))
        goto end;
    if (X509_verify_cert(vctx) == 1)
        ok = 1;
    else
        p11cmp_raise_data(P11CMP_R_NOT_KEY_GENERATION_AUTHORITY,
                          "the signer of the key does not validate: %s",
                          X509_verify_cert_error_string(
                              X509_STORE_CTX_get_error(vctx)));
 end:
    X509_STORE_CTX_free(vctx);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_free(signers);
    return ok;
}

/* The one private key of the DER in b: AsymmetricKeyPackage or a key */
static EVP_PKEY *parse_key(const P11CMP_CTX *ctx, BIO *b)
{
    const unsigned char *p, *q;
    char *data;
    long len = BIO_get_mem_data(b, &data), inner;
    int tag, cls, ret;
    PKCS8_PRIV_KEY_INFO *p8;
    EVP_PKEY *pk = NULL;

    p = (const unsigned char *)data;
    ret = ASN1_get_object(&p, &inner, &tag, &cls, len);
    q = p;
    if ((ret & 0x80) == 0 && tag == V_ASN1_SEQUENCE && inner > 0
        && *q == (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED)) {
        /* AsymmetricKeyPackage: SEQUENCE OF OneAsymmetricKey */
        if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, inner)) != NULL
            && q == p + inner)
            pk = EVP_PKCS82PKEY_ex(p8, ctx->libctx, ctx->propq);
        PKCS8_PRIV_KEY_INFO_free(p8);
    } else {
        p = (const unsigned char *)data;
        pk = d2i_AutoPrivateKey_ex(NULL, &p, len, ctx->libctx, ctx->propq);
    }
    if (pk == NULL)
        p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                          "cannot decode the key (one key expected)");
    return pk;
}

/* Frees sd after cleansing its eContent (the key's DER) */
static void free_cleansed(CMS_ContentInfo *sd)
{
    ASN1_OCTET_STRING **pos = sd == NULL ? NULL : CMS_get0_content(sd);

    if (pos != NULL && *pos != NULL)
        OPENSSL_cleanse((*pos)->data, (*pos)->length);
    CMS_ContentInfo_free(sd);
}

/* 1 if the content type of sd is id-data or id-ct-KP-aKeyPackage */
static int key_content_type(CMS_ContentInfo *sd)
{
    const ASN1_OBJECT *t = CMS_get0_eContentType(sd);
    char txt[64];

    if (OBJ_obj2nid(t) == NID_pkcs7_data)
        return 1;
    if (OBJ_obj2txt(txt, sizeof(txt), t, 1) > 0
        && strcmp(txt, OID_AKEYPACKAGE) == 0)
        return 1;
    p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                      "the SignedData holds no key package");
    return 0;
}

EVP_PKEY *p11cmp_ckg_get1_pkey(const P11CMP_CTX *ctx, const ASN1_TYPE *enc)
{
    CMS_ContentInfo *env = NULL, *sd = NULL;
    BIO *plain = NULL, *content = NULL;
    EVP_PKEY *pk = NULL;

    if ((env = enveloped(ctx, enc)) == NULL
        || (plain = decrypt(ctx, env)) == NULL
        || (sd = signed_data(ctx, plain)) == NULL
        || !key_content_type(sd)
        || (content = BIO_new(BIO_s_secmem())) == NULL)
        goto end;
    if (!CMS_verify(sd, NULL, NULL, NULL, content,
                    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY)) {
        p11cmp_raise_data(P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY,
                          "the signature over the key does not verify");
        goto end;
    }
    if (check_kga(ctx, sd))
        pk = parse_key(ctx, content);
 end:
    BIO_free(content);
    free_cleansed(sd);
    BIO_free(plain);
    CMS_ContentInfo_free(env);
    return pk;
}
