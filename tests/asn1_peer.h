/*
 * tests/asn1_peer.h - OpenSSL as the independent peer of the ASN.1 tests:
 * runs CMP transactions between an OSSL_CMP_CTX client and an
 * OSSL_CMP_SRV_CTX server in process and records the DER of every
 * message that passes, so that p11cmp can be tested on OpenSSL's output.
 */
#ifndef TESTS_ASN1_PEER_H
#define TESTS_ASN1_PEER_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#define PEER_MAX_MSGS 128

/* the PBM reference and secret of every session except "signed-ir" */
#define PEER_REF "peer-ref"
#define PEER_SECRET "peer-secret"

struct peer_msg {
    unsigned char *der;
    int len;
    int bodytype;   /* as OpenSSL's OSSL_CMP_MSG_get_bodytype() says */
    const char *session;
};

struct peer_msgs {
    struct peer_msg msg[PEER_MAX_MSGS];
    int n;
};

/* keys and certificates the sessions used, for checks on decoded fields */
struct peer_pki {
    EVP_PKEY *ca_key;
    X509 *ca_cert;
    EVP_PKEY *ee_key;     /* the key every request asks a certificate for */
    X509 *ee_cert;        /* issued to ee_key, used for KUR and RR */
    /* the confirmWaitTime the server put in every message of session cr */
    ASN1_GENERALIZEDTIME *confirm_wait;
};

/*
 * Runs IR, CR, P10CR, KUR, RR, GENM, a polled IR, a server-side error, a
 * client-side error (aborted polling) and a signature-protected IR; fills
 * out with every request and response. Sessions "ir", "cr", "p10cr",
 * "kur", "polled-ir", "rr", "genm", "srv-error", "client-error" use PBM
 * with PEER_REF/PEER_SECRET; in "signed-ir" the client signs with
 * ee_key/ee_cert and the server with ca_key/ca_cert. In "cr" the server
 * announces confirmWaitTime (pki->confirm_wait, 5 minutes ahead) in the
 * generalInfo of its messages. Returns 1 if all
 * sessions went as planned, 0 otherwise (printing OpenSSL's errors).
 */
int peer_run_all(struct peer_msgs *out, struct peer_pki *pki);
void peer_free(struct peer_msgs *msgs, struct peer_pki *pki);

/* helpers shared with the tests */
EVP_PKEY *peer_new_key(void);
X509 *peer_issue(EVP_PKEY *pub, const char *cn, X509 *ca_cert,
                 EVP_PKEY *ca_key, long serial);

#endif /* TESTS_ASN1_PEER_H */
