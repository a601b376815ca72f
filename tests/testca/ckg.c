/*
 * tests/testca/ckg.c - central key generation by the test CA
 * (--central-keygen, RFC 9483 4.1.6): for a certificate request without
 * a public key (none, or an algorithm with an empty BIT STRING, as
 * p11cmp and openssl cmp 3.5 send it) a new key of the template's
 * algorithm (EC on its curve, RSA 2048, Ed25519, Ed448), EC P-256 when
 * the template names none. srv.c certifies it and hands it to
 * libcrypto's server, which returns it in EnvelopedData to the
 * requester; libcrypto has that server side from 3.5 on only, so
 * before 3.5 nothing here is requested.
 */
#include <stdio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "testca.h"

#define CKG_RSA_BITS 2048

#if TESTCA_HAS_CKG
int ckg_requested(const OSSL_CRMF_MSG *crm)
{
    return crm != NULL && OSSL_CRMF_MSG_centralkeygen_requested(crm, NULL)
        == 1;
}

/* The curve of an id-ecPublicKey AlgorithmIdentifier, or NID_undef. */
static int ec_curve(const X509_ALGOR *alg)
{
    const void *pval = NULL;
    int ptype = V_ASN1_UNDEF;

    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    return ptype == V_ASN1_OBJECT ? OBJ_obj2nid(pval) : NID_undef;
}

/* A new key for the algorithm nid (its parameters in alg), or NULL. */
static EVP_PKEY *key_for(int nid, const X509_ALGOR *alg)
{
    int curve;

    switch (nid) {
    case NID_undef:
        return EVP_EC_gen(SN_X9_62_prime256v1);
    case NID_X9_62_id_ecPublicKey:
        if ((curve = ec_curve(alg)) == NID_undef)
            return NULL;
        return EVP_EC_gen(OBJ_nid2sn(curve));
    case NID_rsaEncryption:
        return EVP_RSA_gen(CKG_RSA_BITS);
    case NID_ED25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case NID_ED448:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    default:
        return NULL;
    }
}

EVP_PKEY *ckg_new_key(const OSSL_CRMF_MSG *crm)
{
    X509_PUBKEY *spki =
        OSSL_CRMF_CERTTEMPLATE_get0_publicKey(OSSL_CRMF_MSG_get0_tmpl(crm));
    ASN1_OBJECT *obj = NULL;
    X509_ALGOR *alg = NULL;
    EVP_PKEY *key;
    int nid = NID_undef;

    if (spki != NULL && X509_PUBKEY_get0_param(&obj, NULL, NULL, &alg, spki))
        nid = OBJ_obj2nid(obj);
    if ((key = key_for(nid, alg)) == NULL)
        fprintf(stderr, "testca: central keygen: no key for algorithm %s\n",
                nid == NID_undef ? "(unknown)" : OBJ_nid2sn(nid));
    else
        fprintf(stderr, "testca: central keygen: new %s key\n",
                EVP_PKEY_get0_type_name(key));
    return key;
}
#else
int ckg_requested(const OSSL_CRMF_MSG *crm)
{
    (void)crm;
    return 0;
}

EVP_PKEY *ckg_new_key(const OSSL_CRMF_MSG *crm)
{
    (void)crm;
    return NULL;
}
#endif
