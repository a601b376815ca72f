/*
 * tests/fuzz/fuzz.c - what the libFuzzer targets share (see fuzz.h): the
 * fixed credentials, the client context and the transfer callback that
 * feeds the fuzzer's messages to a client session.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "../../src/local.h"
#include "fuzz.h"

/* EC P-256 key and a self-signed certificate for it (CN=fuzz, 100 years);
 * tests/fuzz/seeds.sh enrolls the same key, so seeds carry its certs. */
static const char key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg44H/yjvvLIbWeUVx\n"
    "GAcWrcd98wG3BnPyqK4f02SJ1pGhRANCAATV1QD+WJ8dNslIRfLYcebiZCw+dKFh\n"
    "TCorsIOYGYBFTMRbA8PtKPZo6hQVcOI4gHLqfr9GrzZ2y4grv10NfQqt\n"
    "-----END PRIVATE KEY-----\n";
static const char cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdjCCARugAwIBAgIUc7fqdCjT4Ng1qKy6pJ1yhLFJdNEwCgYIKoZIzj0EAwIw\n"
    "DzENMAsGA1UEAwwEZnV6ejAgFw0yNjEyMDQxODQyNTVaGA8yMTI2MTExMDE4NDI1\n"
    "NVowDzENMAsGA1UEAwwEZnV6ejBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNXV\n"
    "AP5Ynx02yUhF8thx5uJkLD50oWFMKiuwg5gZgEVMxFsDw+0o9mjqFBVw4jiAcup+\n"
    "v0avNnbLiCu/XQ19Cq2jUzBRMB0GA1UdDgQWBBQPGGbWNVIoUQglvCGGEOMRkYAh\n"
    "eDAfBgNVHSMEGDAWgBQPGGbWNVIoUQglvCGGEOMRkYAheDAPBgNVHRMBAf8EBTAD\n"
    "AQH/MAoGCCqGSM49BAMCA0kAMEYCIQDuUZRI4doZkDdhjjvnfe63RJ7fAubtMrWK\n"
    "CC0H4tUe1wIhAO9raioRsQQb1CeyYNPXe1A7t0HD9ort/lpfNOUzlGdc\n"
    "-----END CERTIFICATE-----\n";

static EVP_PKEY *key;
static X509 *cert;
static X509_REQ *csr;
static P11CMP_CTX *srv;          /* protects repaired responses */

static void *load(const char *pem, int is_key)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    void *obj = NULL;

    if (b != NULL)
        obj = is_key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
                     : (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (obj == NULL)
        abort();
    return obj;
}

static void make_csr(void)
{
    X509_NAME *name = X509_NAME_new();

    if ((csr = X509_REQ_new()) == NULL || name == NULL
        || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       (const unsigned char *)"fuzz", -1,
                                       -1, 0)
        || !X509_REQ_set_subject_name(csr, name)
        || !X509_REQ_set_pubkey(csr, key)
        || X509_REQ_sign(csr, key, EVP_sha256()) <= 0)
        abort();
    X509_NAME_free(name);
}

void fuzz_init(void)
{
    if (key != NULL)
        return;
    key = load(key_pem, 1);
    cert = load(cert_pem, 0);
    make_csr();
    if ((srv = P11CMP_CTX_new(NULL, NULL)) == NULL
        || !P11CMP_CTX_set_option(srv, P11CMP_OPT_LOG_VERBOSITY, 0)
        || !P11CMP_CTX_set_option(srv, P11CMP_OPT_PBM_ITERATIONS, 100)
        || !P11CMP_CTX_set1_referenceValue(srv, (unsigned char *)FUZZ_REF,
                                           strlen(FUZZ_REF))
        || !P11CMP_CTX_set1_secretValue(srv, (unsigned char *)FUZZ_SECRET,
                                        strlen(FUZZ_SECRET)))
        abort();
    ERR_clear_error();
}

EVP_PKEY *fuzz_key(void)
{
    return key;
}

X509 *fuzz_cert(void)
{
    return cert;
}

X509_REQ *fuzz_csr(void)
{
    return csr;
}

P11CMP_MSG *fuzz_next_msg(FUZZ_FEED *feed)
{
    const unsigned char *p = feed->data;
    size_t n = feed->len, skip = 0;

    if (feed->chunked) {
        if (feed->len < 2)
            return NULL;
        n = ((size_t)feed->data[0] << 8) | feed->data[1];
        if (n > feed->len - 2)
            n = feed->len - 2;
        p += 2;
        skip = 2;
    }
    feed->data += skip + n;
    feed->len -= skip + n;
    return d2i_P11CMP_MSG(NULL, &p, (long)n);
}

static int set1_octets(ASN1_OCTET_STRING **dst, const ASN1_OCTET_STRING *src)
{
    ASN1_OCTET_STRING *copy = NULL;

    if (src != NULL && (copy = ASN1_OCTET_STRING_dup(src)) == NULL)
        return 0;
    ASN1_OCTET_STRING_free(*dst);
    *dst = copy;
    return 1;
}

int fuzz_repair(const P11CMP_MSG *req, P11CMP_MSG *rsp)
{
    if (rsp->header == NULL || req->header == NULL)
        return 0;
    return set1_octets(&rsp->header->transactionID,
                       req->header->transactionID)
        && set1_octets(&rsp->header->recipNonce, req->header->senderNonce)
        && p11cmp_msg_protect(srv, rsp);
}

/* P11CMP_transfer_cb_t: the next message of the feed, repaired if asked */
static P11CMP_MSG *transfer(P11CMP_CTX *ctx, const P11CMP_MSG *req)
{
    FUZZ_FEED *feed = P11CMP_CTX_get_transfer_cb_arg(ctx);
    P11CMP_MSG *rsp;

    if (feed->calls++ > 16 || (rsp = fuzz_next_msg(feed)) == NULL)
        return NULL;
    if (feed->repair && !fuzz_repair(req, rsp)) {
        P11CMP_MSG_free(rsp);
        return NULL;
    }
    return rsp;
}

P11CMP_CTX *fuzz_client(FUZZ_FEED *feed)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    X509_NAME *name = X509_NAME_new();

    if (ctx == NULL || name == NULL
        || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       (const unsigned char *)"fuzz", -1,
                                       -1, 0)
        || !P11CMP_CTX_set_option(ctx, P11CMP_OPT_LOG_VERBOSITY, 0)
        || !P11CMP_CTX_set_option(ctx, P11CMP_OPT_PBM_ITERATIONS, 100)
        || !P11CMP_CTX_set_option(ctx, P11CMP_OPT_TOTAL_TIMEOUT, 5)
        || !P11CMP_CTX_set_transfer_cb(ctx, transfer)
        || !P11CMP_CTX_set_transfer_cb_arg(ctx, feed)
        || !P11CMP_CTX_set1_referenceValue(ctx, (unsigned char *)FUZZ_REF,
                                           strlen(FUZZ_REF))
        || !P11CMP_CTX_set1_secretValue(ctx, (unsigned char *)FUZZ_SECRET,
                                        strlen(FUZZ_SECRET))
        || !P11CMP_CTX_set1_subjectName(ctx, name)
        || !EVP_PKEY_up_ref(key))
        abort();
    if (!P11CMP_CTX_set0_newPkey(ctx, 1, key))
        abort();
    X509_NAME_free(name);
    return ctx;
}

void fuzz_check_roundtrip(const P11CMP_MSG *msg)
{
    unsigned char *der1 = NULL, *der2 = NULL;
    const unsigned char *p;
    P11CMP_MSG *again;
    int l1, l2;

    if ((l1 = i2d_P11CMP_MSG(msg, &der1)) <= 0) {
        ERR_clear_error();
        return; /* e.g. a body it decodes but does not send */
    }
    p = der1;
    if ((again = d2i_P11CMP_MSG(NULL, &p, l1)) == NULL)
        abort(); /* what it encoded it cannot decode */
    if ((l2 = i2d_P11CMP_MSG(again, &der2)) != l1
        || memcmp(der1, der2, (size_t)l1) != 0)
        abort(); /* the encoding is not stable */
    P11CMP_MSG_free(again);
    OPENSSL_free(der1);
    OPENSSL_free(der2);
}
