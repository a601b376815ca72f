/*
 * src/spki.c - the SubjectPublicKeyInfo (X509_PUBKEY) of the key a
 * request certifies. X509_PUBKEY_set() of a provider's key, which every
 * key is in OpenSSL 3, encodes it through OSSL_ENCODER and decodes the DER
 * again through OSSL_DECODER. The first encoder lookup in a library
 * context sets up every encoder of its providers, which costs a one-shot
 * enrollment more than its whole request. An EC key on a named curve and
 * an EdDSA key are therefore put together from their parameters (curve
 * and encoded point), decoded once, and checked to be the same public
 * key; any other key, or any failure on that way, goes through
 * X509_PUBKEY_set(). And a copy that encodes as the original, which
 * X509_PUBKEY_dup() alone does not give (see p11cmp_spki_dup()).
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "local.h"

/* Whether the EC key pkey's string parameter name has the value want */
static int ec_param_is(const EVP_PKEY *pkey, const char *name,
                       const char *want)
{
    char v[32] = "";

    return EVP_PKEY_get_utf8_string_param(pkey, name, v, sizeof(v), NULL)
        && strcmp(v, want) == 0;
}

/*
 * The AlgorithmIdentifier of pkey's SPKI in *alg: EdDSA, or EC on a named
 * curve with its point uncompressed (the encoded point is always that);
 * 0 for the keys left to X509_PUBKEY_set().
 */
static int spki_alg(const EVP_PKEY *pkey, X509_ALGOR *alg)
{
    char group[80] = "";
    int nid;

    if (EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448")) {
        nid = EVP_PKEY_is_a(pkey, "ED25519") ? NID_ED25519 : NID_ED448;
        return X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL);
    }
    if (!EVP_PKEY_is_a(pkey, "EC")
        || !ec_param_is(pkey, OSSL_PKEY_PARAM_EC_ENCODING,
                        OSSL_PKEY_EC_ENCODING_GROUP)
        || !ec_param_is(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                        OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED)
        || !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group), NULL)
        || (nid = OBJ_txt2nid(group)) == NID_undef
        || OBJ_length(OBJ_nid2obj(nid)) == 0)
        return 0;
    return X509_ALGOR_set0(alg, OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                           V_ASN1_OBJECT, OBJ_nid2obj(nid));
}

/* The BIT STRING of pkey's encoded public key (no unused bits), or NULL */
static ASN1_BIT_STRING *spki_key(const EVP_PKEY *pkey)
{
    ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
    unsigned char *pt = NULL;
    size_t len = 0;

    if (bits == NULL
        || !EVP_PKEY_get_octet_string_param(pkey,
                                            OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            NULL, 0, &len)
        || len == 0 || len > INT_MAX || (pt = OPENSSL_malloc(len)) == NULL
        || !EVP_PKEY_get_octet_string_param(pkey,
                                            OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            pt, len, &len)) {
        OPENSSL_free(pt);
        ASN1_BIT_STRING_free(bits);
        return NULL;
    }
    ASN1_STRING_set0(bits, pt, (int)len);
    bits->flags &= ~0x07L;
    bits->flags |= ASN1_STRING_FLAG_BITS_LEFT; /* 0 unused bits */
    return bits;
}

/* The DER of pkey's SPKI from its parameters in *der; its length or 0 */
static int spki_der(const EVP_PKEY *pkey, unsigned char **der)
{
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_BIT_STRING *bits = NULL;
    unsigned char *p;
    int alen, blen, len = 0;

    *der = NULL;
    if (alg != NULL && spki_alg(pkey, alg)
        && (bits = spki_key(pkey)) != NULL
        && (alen = i2d_X509_ALGOR(alg, NULL)) > 0
        && (blen = i2d_ASN1_BIT_STRING(bits, NULL)) > 0
        && (len = ASN1_object_size(1, alen + blen, V_ASN1_SEQUENCE)) > 0
        && (*der = p = OPENSSL_malloc(len)) != NULL) {
        ASN1_put_object(&p, 1, alen + blen, V_ASN1_SEQUENCE,
                        V_ASN1_UNIVERSAL);
        if (i2d_X509_ALGOR(alg, &p) != alen
            || i2d_ASN1_BIT_STRING(bits, &p) != blen || p != *der + len) {
            OPENSSL_free(*der);
            *der = NULL;
        }
    }
    X509_ALGOR_free(alg);
    ASN1_BIT_STRING_free(bits);
    return *der != NULL ? len : 0;
}

/* pkey's SPKI decoded from its parameters, if it is pkey's; else NULL */
static X509_PUBKEY *spki_from_params(EVP_PKEY *pkey)
{
    X509_PUBKEY *spki = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *got;
    int len = spki_der(pkey, &der);

    if (len > 0) {
        p = der;
        spki = d2i_X509_PUBKEY(NULL, &p, len);
        if (spki != NULL && (p != der + len
                             || (got = X509_PUBKEY_get0(spki)) == NULL
                             || EVP_PKEY_eq(pkey, got) != 1)) {
            X509_PUBKEY_free(spki);
            spki = NULL;
        }
    }
    OPENSSL_free(der);
    return spki;
}

X509_PUBKEY *p11cmp_spki_new(EVP_PKEY *pkey)
{
    X509_PUBKEY *spki;

    ERR_set_mark();
    spki = spki_from_params(pkey);
    ERR_pop_to_mark();
    if (spki == NULL && !X509_PUBKEY_set(&spki, pkey))
        return NULL;
    return spki;
}

/* Whether a and b have the same DER */
static int same_der(const X509_PUBKEY *a, const X509_PUBKEY *b)
{
    unsigned char *da = NULL, *db = NULL;
    int la = i2d_X509_PUBKEY(a, &da), lb = i2d_X509_PUBKEY(b, &db);
    int same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

    OPENSSL_free(da);
    OPENSSL_free(db);
    return same;
}

/*
 * X509_PUBKEY_dup() of OpenSSL 3.0 copies the key's BIT STRING without
 * its count of unused bits, so the copy's DER says that the trailing zero
 * bits of the key are unused. The copy gets the key bits again (with no
 * unused bits, the algorithm's parameters kept) and must encode as spki.
 */
X509_PUBKEY *p11cmp_spki_dup(const X509_PUBKEY *spki)
{
    X509_PUBKEY *copy = X509_PUBKEY_dup(spki);
    ASN1_OBJECT *alg = NULL;
    const ASN1_OBJECT *obj;
    const unsigned char *pk;
    unsigned char *bits = NULL;
    X509_ALGOR *pa;
    int pklen, ptype;

    if (copy == NULL
        || !X509_PUBKEY_get0_param((ASN1_OBJECT **)&obj, &pk, &pklen, &pa,
                                   copy)
        || pklen <= 0 || (alg = OBJ_dup(obj)) == NULL
        || (bits = OPENSSL_memdup(pk, (size_t)pklen)) == NULL)
        goto err;
    X509_ALGOR_get0(NULL, &ptype, NULL, pa);
    if (!X509_PUBKEY_set0_param(copy, alg, ptype == V_ASN1_UNDEF
                                ? V_ASN1_UNDEF : V_ASN1_EOC, NULL, bits,
                                pklen))
        goto err;
    if (same_der(spki, copy))
        return copy;
    alg = NULL;
    bits = NULL;
 err:
    ASN1_OBJECT_free(alg);
    OPENSSL_free(bits);
    X509_PUBKEY_free(copy);
    return NULL;
}
