/*
 * tests/uri_sign.h - for the test programs (tests/p11_tool.c,
 * tests/check_pkcs11_shim.c): a SHA-256 signature with the key a pkcs11:
 * URI names, loaded anew (the mechanisms a key knows of are asked once
 * per key), verified again with that key, for RSA optionally with PSS.
 */
#ifndef TESTS_URI_SIGN_H
#define TESTS_URI_SIGN_H

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <p11cmp/p11cmp.h>

/* RSA-PSS with salt length saltlen on pc if pss; 1 if done. */
static inline int uri_sign_pss(EVP_PKEY_CTX *pc, int pss, int saltlen)
{
    return !pss
        || (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen) == 1);
}

/*
 * Signs a message with the key uri names and verifies the signature (RSA:
 * PKCS#1 v1.5, or PSS with salt length saltlen if pss); 1 if both worked.
 */
static inline int uri_sign_ok(const char *uri, int pss, int saltlen)
{
    static const unsigned char msg[] = "message";
    unsigned char sig[1024];
    size_t len = sizeof(sig);
    EVP_PKEY *key = P11CMP_PKCS11_load_key(uri, NULL);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    int ok;

    ok = key != NULL && md != NULL
        && EVP_DigestSignInit(md, &pc, EVP_sha256(), NULL, key) == 1
        && uri_sign_pss(pc, pss, saltlen)
        && EVP_DigestSign(md, sig, &len, msg, sizeof(msg)) == 1
        && EVP_DigestVerifyInit(md, &pc, EVP_sha256(), NULL, key) == 1
        && uri_sign_pss(pc, pss, saltlen)
        && EVP_DigestVerify(md, sig, len, msg, sizeof(msg)) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return ok;
}

#endif
