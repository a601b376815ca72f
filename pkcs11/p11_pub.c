/*
 * pkcs11/p11_pub.c - the public half of a token key as a software
 * EVP_PKEY of the default library context: RSA from CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT, EC from CKA_EC_PARAMS (a named curve) and
 * CKA_EC_POINT, EdDSA (Ed25519, Ed448) from the same two attributes.
 * Read from the public key object with the private key's CKA_ID when
 * there is one (some tokens keep no public values on the private key).
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

#include "p11_local.h"

/*
 * The public key object with the same CKA_ID as h into *pub (h itself if
 * h is one, or if there is none); 0 only if the token failed.
 */
static int public_half(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                       CK_OBJECT_HANDLE *pub)
{
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, NULL, 0}};
    CK_ULONG got = 0, n = 0;
    unsigned char *id = NULL;
    size_t idlen = 0;
    int res = 0;

    *pub = h;
    if (!p11cmp_p11_get_ulong(tok, h, CKA_CLASS, &n))
        return 0;
    if (n == CKO_PUBLIC_KEY)
        return 1;
    if (!p11cmp_p11_get_attr(tok, h, CKA_ID, &id, &idlen))
        return 0;
    t[1].pValue = id;
    t[1].ulValueLen = idlen;
    if (p11cmp_p11_find(tok, t, 2, pub, 1, &got)) {
        if (got != 1)
            *pub = h;
        res = 1;
    }
    OPENSSL_free(id);
    return res;
}

/* A public key of type name ("RSA", "EC") from params; NULL if refused. */
static EVP_PKEY *from_params(const char *name, OSSL_PARAM *params)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
    EVP_PKEY *pk = NULL;

    if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0
        || EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pk = NULL;
    EVP_PKEY_CTX_free(pctx);
    return pk;
}

static EVP_PKEY *rsa_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h)
{
    unsigned char *n = NULL, *e = NULL;
    size_t nlen = 0, elen = 0;
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pk = NULL;

    if (!p11cmp_p11_get_attr(tok, h, CKA_MODULUS, &n, &nlen)
        || !p11cmp_p11_get_attr(tok, h, CKA_PUBLIC_EXPONENT, &e, &elen))
        goto end;
    if ((bn = BN_bin2bn(n, nlen, NULL)) == NULL
        || (be = BN_bin2bn(e, elen, NULL)) == NULL
        || (bld = OSSL_PARAM_BLD_new()) == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto end;
    }
    if ((pk = from_params("RSA", params)) == NULL)
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "RSA public key not understood; uri=%s",
                          p11cmp_p11_token_uri(tok));
 end:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    OPENSSL_free(n);
    OPENSSL_free(e);
    return pk;
}

/* The octets of a CKA_EC_POINT (DER OCTET STRING, or raw as some do). */
static ASN1_OCTET_STRING *ec_point_octets(const unsigned char *v,
                                          size_t len)
{
    const unsigned char *p = v;
    ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &p, len);

    if (os != NULL && p == v + len)
        return os;
    ASN1_OCTET_STRING_free(os);
    if ((os = ASN1_OCTET_STRING_new()) != NULL
        && !ASN1_OCTET_STRING_set(os, v, len)) {
        ASN1_OCTET_STRING_free(os);
        os = NULL;
    }
    return os;
}

/* The NID of the named curve CKA_EC_PARAMS gives; NID_undef if none. */
static int ec_curve(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    EC_GROUP *grp = d2i_ECPKParameters(NULL, &p, len);
    int nid = grp != NULL ? EC_GROUP_get_curve_name(grp) : NID_undef;

    EC_GROUP_free(grp);
    return nid;
}

/*
 * The EdDSA curve CKA_EC_PARAMS names (RFC 8410 OID, or PKCS#11 3.0's
 * PrintableString curve name) as NID_ED25519 / NID_ED448; else NID_undef.
 */
static int eddsa_curve(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, len);
    ASN1_PRINTABLESTRING *name = NULL;
    int nid = NID_undef;

    if (obj != NULL && p == der + len)
        nid = OBJ_obj2nid(obj);
    ASN1_OBJECT_free(obj);
    p = der;
    if (nid == NID_undef
        && (name = d2i_ASN1_PRINTABLESTRING(NULL, &p, len)) != NULL
        && p == der + len)
        nid = strcmp((char *)name->data, "edwards25519") == 0 ? NID_ED25519
            : strcmp((char *)name->data, "edwards448") == 0 ? NID_ED448
            : NID_undef;
    ASN1_PRINTABLESTRING_free(name);
    return nid == NID_ED25519 || nid == NID_ED448 ? nid : NID_undef;
}

/* An EC (named curve nid) public key with point os; NULL if refused. */
static EVP_PKEY *ec_key(int nid, const ASN1_OCTET_STRING *os)
{
    OSSL_PARAM params[3];

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)OBJ_nid2sn(nid), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  os->data, os->length);
    params[2] = OSSL_PARAM_construct_end();
    return from_params("EC", params);
}

/* EC or EdDSA (eddsa) public key object h. */
static EVP_PKEY *ec_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                         int eddsa)
{
    unsigned char *par = NULL, *pt = NULL;
    size_t parlen = 0, ptlen = 0;
    ASN1_OCTET_STRING *os = NULL;
    EVP_PKEY *pk = NULL;
    int nid;

    if (!p11cmp_p11_get_attr(tok, h, CKA_EC_PARAMS, &par, &parlen)
        || !p11cmp_p11_get_attr(tok, h, CKA_EC_POINT, &pt, &ptlen))
        goto end;
    if ((nid = eddsa ? eddsa_curve(par, parlen) : ec_curve(par, parlen))
        == NID_undef) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE, eddsa
                          ? "EdDSA curve not supported (Ed25519 and Ed448 "
                            "are); uri=%s"
                          : "EC parameters not understood (a named curve "
                            "is needed); uri=%s", p11cmp_p11_token_uri(tok));
        goto end;
    }
    if ((os = ec_point_octets(pt, ptlen)) == NULL
        || (pk = eddsa ? EVP_PKEY_new_raw_public_key(nid, NULL, os->data,
                                                     os->length)
                       : ec_key(nid, os)) == NULL)
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "%s point not understood; uri=%s",
                          eddsa ? "EdDSA" : "EC", p11cmp_p11_token_uri(tok));
 end:
    ASN1_OCTET_STRING_free(os);
    OPENSSL_free(par);
    OPENSSL_free(pt);
    return pk;
}

EVP_PKEY *p11cmp_p11_pubkey_read(P11CMP_P11_TOKEN *tok, CK_OBJECT_HANDLE h,
                                 CK_KEY_TYPE *type)
{
    CK_KEY_TYPE kt;

    if (!p11cmp_p11_get_ulong(tok, h, CKA_KEY_TYPE, &kt))
        return NULL;
    if (type != NULL)
        *type = kt;
    if (!public_half(tok, h, &h))
        return NULL;
    switch (kt) {
    case CKK_RSA:
        return rsa_read(tok, h);
    case CKK_EC:
        return ec_read(tok, h, 0);
    case CKK_EC_EDWARDS:
        return ec_read(tok, h, 1);
    default:
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                          "CKK 0x%lx; uri=%s", (unsigned long)kt,
                          p11cmp_p11_token_uri(tok));
        return NULL;
    }
}
