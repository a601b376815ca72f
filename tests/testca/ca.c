/*
 * tests/testca/ca.c - the certificate authority of the test CA: creates an
 * EC P-256 key and self-signed certificate (or loads them), issues real
 * X.509 certificates with random serials for a given subject, public key
 * and validity, writes them out for the tests, and remembers which serials
 * it issued and which were revoked.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testca.h"

#define CA_CERT_DAYS 3650

/* Loads a PEM private key; returns it (caller frees) or NULL. */
EVP_PKEY *ca_load_key(const char *file)
{
    BIO *in = BIO_new_file(file, "r");
    EVP_PKEY *key = NULL;

    if (in != NULL)
        key = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    BIO_free(in);
    if (key == NULL)
        fprintf(stderr, "testca: cannot load key %s\n", file);
    return key;
}

/* Loads all PEM certificates of a file; returns a new stack (caller frees
 * with sk_X509_pop_free) with at least one cert, or NULL. */
STACK_OF(X509) *ca_load_certs(const char *file)
{
    BIO *in = BIO_new_file(file, "r");
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *cert;

    if (in == NULL || certs == NULL)
        goto err;
    while ((cert = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(certs, cert)) {
            X509_free(cert);
            goto err;
        }
    }
    ERR_clear_error(); /* the end of the file */
    if (sk_X509_num(certs) == 0)
        goto err;
    BIO_free(in);
    return certs;
 err:
    fprintf(stderr, "testca: cannot load certificates from %s\n", file);
    BIO_free(in);
    sk_X509_pop_free(certs, X509_free);
    return NULL;
}

/* Loads the first PEM certificate of a file; returns it (caller frees). */
X509 *ca_load_cert(const char *file)
{
    STACK_OF(X509) *certs = ca_load_certs(file);
    X509 *cert = NULL;

    if (certs != NULL)
        cert = sk_X509_shift(certs);
    sk_X509_pop_free(certs, X509_free);
    return cert;
}

/* Writes cert as PEM to file; returns 1 or 0. */
int ca_write_cert(const char *file, X509 *cert)
{
    BIO *out = BIO_new_file(file, "w");
    int res = 0;

    if (out == NULL || !PEM_write_bio_X509(out, cert))
        goto err;
    res = 1;
 err:
    if (!res)
        fprintf(stderr, "testca: cannot write %s\n", file);
    BIO_free(out);
    return res;
}

/* Returns the serial as upper-case hex like `openssl x509 -serial` does
 * (caller frees with OPENSSL_free), or NULL. */
char *ca_serial_hex(const ASN1_INTEGER *serial)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex = NULL;

    if (bn != NULL)
        hex = BN_bn2hex(bn);
    BN_free(bn);
    return hex;
}

/* Adds extension nid=value (openssl config syntax) to cert. */
static int add_ext(X509 *issuer, X509 *cert, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int res;

    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
        return 0;
    res = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return res;
}

/* Gives cert a random positive 120-bit serial number. */
static int set_random_serial(X509 *cert)
{
    BIGNUM *bn = BN_new();
    int res = 0;

    if (bn == NULL || !BN_rand(bn, 120, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY))
        goto err;
    if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
        goto err;
    res = 1;
 err:
    BN_free(bn);
    return res;
}

/* Signs cert with the CA key, with SHA-256 unless the key type has its own
 * digest (EdDSA). */
static int sign_cert(CA *ca, X509 *cert)
{
    const EVP_MD *md = EVP_sha256();

    if (EVP_PKEY_is_a(ca->key, "ED25519") || EVP_PKEY_is_a(ca->key, "ED448"))
        md = NULL;
    return X509_sign(cert, ca->key, md) > 0;
}

/* Makes the self-signed CA certificate for ca->key. */
static X509 *make_ca_cert(CA *ca)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok;

    ok = cert != NULL && name != NULL && X509_set_version(cert, 2)
        && set_random_serial(cert)
        && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                      (const unsigned char *)"p11cmp tests",
                                      -1, -1, 0)
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (const unsigned char *)"p11cmp test CA",
                                      -1, -1, 0)
        && X509_set_subject_name(cert, name)
        && X509_set_issuer_name(cert, name)
        && X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != NULL
        && X509_time_adj_ex(X509_getm_notAfter(cert), CA_CERT_DAYS, 0,
                            NULL) != NULL
        && X509_set_pubkey(cert, ca->key)
        && add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE")
        && add_ext(cert, cert, NID_key_usage,
                   "critical,keyCertSign,cRLSign,digitalSignature")
        && add_ext(cert, cert, NID_subject_key_identifier, "hash")
        && add_ext(cert, cert, NID_authority_key_identifier, "keyid:always")
        && (!ca->kga || add_ext(cert, cert, NID_ext_key_usage, "cmKGA"))
        && sign_cert(ca, cert);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(cert);
        cert = NULL;
    }
    return cert;
}

/* Sets up ca: loads keyfile/certfile when given (both or none), else
 * creates an EC P-256 key and a self-signed certificate. Returns 1 or 0;
 * free with ca_cleanup(). Expects ca zeroed except days/certout. */
int ca_init(CA *ca, const char *keyfile, const char *certfile)
{
    int res = 0;

    ca->issued = sk_X509_new_null();
    ca->revoked = sk_ASN1_INTEGER_new_null();
    if (ca->issued == NULL || ca->revoked == NULL)
        goto err;
    if (keyfile != NULL) {
        if ((ca->key = ca_load_key(keyfile)) == NULL
                || (ca->cert = ca_load_cert(certfile)) == NULL)
            goto err;
        if (!X509_check_private_key(ca->cert, ca->key)) {
            fprintf(stderr, "testca: --cakey does not match --cacert\n");
            goto err;
        }
    } else {
        if ((ca->key = EVP_EC_gen("P-256")) == NULL
                || (ca->cert = make_ca_cert(ca)) == NULL)
            goto err;
    }
    res = 1;
 err:
    return res;
}

/* Frees everything ca holds; accepts NULL. */
void ca_cleanup(CA *ca)
{
    if (ca == NULL)
        return;
    EVP_PKEY_free(ca->key);
    X509_free(ca->cert);
    sk_X509_pop_free(ca->issued, X509_free);
    sk_ASN1_INTEGER_pop_free(ca->revoked, ASN1_INTEGER_free);
    ca->key = NULL;
    ca->cert = NULL;
    ca->issued = NULL;
    ca->revoked = NULL;
}

/* Sets notBefore/notAfter: the requested times, else now and now + days
 * (counted from notBefore when only that was requested). */
static int set_validity(CA *ca, X509 *cert, const ASN1_TIME *nb,
                        const ASN1_TIME *na)
{
    time_t start = time(NULL);
    int day, sec;

    if (nb != NULL) {
        if (!X509_set1_notBefore(cert, nb)
                || !ASN1_TIME_diff(&day, &sec, NULL, nb))
            return 0;
        start += (time_t)day * 86400 + sec;
    } else if (ASN1_TIME_set(X509_getm_notBefore(cert), start) == NULL) {
        return 0;
    }
    if (na != NULL)
        return X509_set1_notAfter(cert, na);
    return ASN1_TIME_adj(X509_getm_notAfter(cert), start, (int)ca->days, 0)
        != NULL;
}

/* Adds the requested extensions except those the CA sets itself. */
static int add_requested_exts(X509 *cert,
                              const STACK_OF(X509_EXTENSION) *exts)
{
    int i;

    for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));

        if (nid == NID_basic_constraints || nid == NID_key_usage
                || nid == NID_subject_key_identifier
                || nid == NID_authority_key_identifier)
            continue;
        if (!X509_add_ext(cert, ext, -1))
            return 0;
    }
    return 1;
}

/* Records cert as issued and writes it to the --certout directory. */
static int record_issued(CA *ca, X509 *cert)
{
    char path[4096];
    char *hex = ca_serial_hex(X509_get0_serialNumber(cert));
    int res = 0;

    if (hex == NULL || !X509_up_ref(cert))
        goto err;
    if (!sk_X509_push(ca->issued, cert)) {
        X509_free(cert);
        goto err;
    }
    ca->n_issued++;
    fprintf(stderr, "testca: issued serial %s\n", hex);
    if (ca->certout != NULL) {
        snprintf(path, sizeof(path), "%s/cert-%d.pem", ca->certout,
                 ca->n_issued);
        if (!ca_write_cert(path, cert))
            goto err;
    }
    res = 1;
 err:
    OPENSSL_free(hex);
    return res;
}

/* Issues a certificate for subject and pub (borrowed), valid from nb to na
 * (either may be NULL: defaults), with the requested exts (may be NULL).
 * Returns the new certificate (caller frees) or NULL. */
X509 *ca_issue(CA *ca, const X509_NAME *subject, EVP_PKEY *pub,
               const ASN1_TIME *nb, const ASN1_TIME *na,
               const STACK_OF(X509_EXTENSION) *exts)
{
    X509 *cert = X509_new();
    int ok;

    ok = cert != NULL && X509_set_version(cert, 2)
        && set_random_serial(cert)
        && X509_set_subject_name(cert, subject)
        && X509_set_issuer_name(cert, X509_get_subject_name(ca->cert))
        && set_validity(ca, cert, nb, na)
        && X509_set_pubkey(cert, pub)
        && add_ext(ca->cert, cert, NID_basic_constraints, "critical,CA:FALSE")
        && add_ext(ca->cert, cert, NID_key_usage,
                   "critical,digitalSignature")
        && add_ext(ca->cert, cert, NID_subject_key_identifier, "hash")
        && add_ext(ca->cert, cert, NID_authority_key_identifier, "keyid")
        && add_requested_exts(cert, exts)
        && sign_cert(ca, cert)
        && record_issued(ca, cert);
    if (!ok) {
        fprintf(stderr, "testca: issuing failed\n");
        ERR_print_errors_fp(stderr);
        X509_free(cert);
        cert = NULL;
    }
    return cert;
}

/* Returns the issued certificate with this serial (borrowed) or NULL. */
X509 *ca_find_issued(const CA *ca, const ASN1_INTEGER *serial)
{
    int i;

    for (i = 0; serial != NULL && i < sk_X509_num(ca->issued); i++) {
        X509 *cert = sk_X509_value(ca->issued, i);

        if (ASN1_INTEGER_cmp(X509_get0_serialNumber(cert), serial) == 0)
            return cert;
    }
    return NULL;
}

/* Returns 1 if serial was revoked, else 0. */
int ca_is_revoked(const CA *ca, const ASN1_INTEGER *serial)
{
    int i;

    for (i = 0; i < sk_ASN1_INTEGER_num(ca->revoked); i++)
        if (ASN1_INTEGER_cmp(sk_ASN1_INTEGER_value(ca->revoked, i),
                             serial) == 0)
            return 1;
    return 0;
}

/* Records serial (copied) as revoked; returns 1 or 0. */
int ca_revoke(CA *ca, const ASN1_INTEGER *serial)
{
    ASN1_INTEGER *copy = ASN1_INTEGER_dup(serial);

    if (copy == NULL || !sk_ASN1_INTEGER_push(ca->revoked, copy)) {
        ASN1_INTEGER_free(copy);
        return 0;
    }
    return 1;
}
