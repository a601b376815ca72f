/*
 * tests/p11_tool.c - a small driver of the public PKCS#11 functions for
 * the shell tests: generate a key pair, store a certificate, sign with a
 * token key, delete objects, put CA certificates under a label in a
 * transaction (P11CMP_PKCS11_TXN_*) committed or rolled back. Exit 0 on
 * success, 1 with the OpenSSL error queue on stderr otherwise.
 *
 *   p11_tool keygen URI ALG       p11_tool store URI CERT.pem
 *   p11_tool sign URI [pss]       p11_tool delete URI
 *   p11_tool put URI CERTS.pem [rollback]
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <p11cmp/p11cmp.h>

#include "uri_sign.h"

static int store(const char *uri, const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *cert = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    int ok = cert != NULL
        && P11CMP_PKCS11_store_cert(uri, cert, P11CMP_PKCS11_CERT_USER, NULL);

    if (f != NULL)
        fclose(f);
    X509_free(cert);
    return ok;
}

/* the certificates of a PEM file put under the URI's label */
static int put(const char *uri, const char *path, int commit)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    P11CMP_PKCS11_TXN *txn = NULL;
    FILE *f = fopen(path, "r");
    X509 *cert;
    int ok = 0, added = 0, removed = 0;

    while (f != NULL && certs != NULL
           && (cert = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
        if (!sk_X509_push(certs, cert))
            X509_free(cert);
    ERR_clear_error(); /* the end of the file */
    if (sk_X509_num(certs) > 0
        && (txn = P11CMP_PKCS11_TXN_new(uri, NULL)) != NULL
        && P11CMP_PKCS11_TXN_put_ca_certs(txn, uri, certs, NULL, &added,
                                          &removed)
        && (!commit || P11CMP_PKCS11_TXN_commit(txn))) {
        printf("added %d removed %d%s\n", added, removed,
               commit ? "" : " rolled back");
        ok = 1;
    }
    P11CMP_PKCS11_TXN_free(txn);
    sk_X509_pop_free(certs, X509_free);
    if (f != NULL)
        fclose(f);
    return ok;
}

static int run(int argc, char **argv)
{
    EVP_PKEY *key;
    int n = 0;

    if (argc == 4 && strcmp(argv[1], "keygen") == 0) {
        key = P11CMP_PKCS11_generate_key(argv[2], argv[3], NULL, NULL, 0);
        EVP_PKEY_free(key);
        return key != NULL;
    }
    if (argc == 4 && strcmp(argv[1], "store") == 0)
        return store(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "sign") == 0)
        return uri_sign_ok(argv[2], 0, 0);
    if (argc == 4 && strcmp(argv[1], "sign") == 0
        && strcmp(argv[3], "pss") == 0)
        return uri_sign_ok(argv[2], 1, RSA_PSS_SALTLEN_DIGEST);
    if (argc == 4 && strcmp(argv[1], "put") == 0)
        return put(argv[2], argv[3], 1);
    if (argc == 5 && strcmp(argv[1], "put") == 0
        && strcmp(argv[4], "rollback") == 0)
        return put(argv[2], argv[3], 0);
    if (argc == 3 && strcmp(argv[1], "delete") == 0) {
        if (!P11CMP_PKCS11_delete_objects(argv[2], NULL, &n))
            return 0;
        printf("deleted %d\n", n);
        return 1;
    }
    fprintf(stderr, "usage: p11_tool keygen|store|sign|delete|put URI "
            "[ARG]\n");
    return 0;
}

int main(int argc, char **argv)
{
    int ok;

    P11CMP_PKCS11_set_batch(1);
    ok = run(argc, argv);
    if (!ok)
        ERR_print_errors_fp(stderr);
    P11CMP_PKCS11_cleanup();
    return ok ? 0 : 1;
}
