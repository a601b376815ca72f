/*
 * tests/ossl_peer.h - the parts the in-process OpenSSL peers of the tests
 * (asn1_peer.c, verify_peer.c) share: an OSSL_CMP_SRV_CTX set up for PBM
 * or signature protection, and the common setup of the OSSL_CMP_CTX
 * client that talks to it through a transfer callback.
 */
#ifndef TESTS_OSSL_PEER_H
#define TESTS_OSSL_PEER_H

#include <openssl/cmp.h>

/* a new stack holding one reference to cert, or NULL */
STACK_OF(X509) *ossl_peer_one_cert(X509 *cert);
/* a new store trusting cert, or NULL */
X509_STORE *ossl_peer_store_of(X509 *cert);

/* how a session is protected: PBM with ref and secret if secret != NULL,
 * else signatures with cert and key, trusting trust (if not NULL) */
struct ossl_peer_prot {
    const char *ref, *secret;
    X509 *trust, *cert;
    EVP_PKEY *key;
};

/*
 * A new server with custom context st and the given callbacks (error and
 * certConf messages are accepted as they are; a request whose callback
 * is NULL is answered with an error message), quiet, protected as prot
 * says with trust in its trusted store; NULL on error.
 */
OSSL_CMP_SRV_CTX *ossl_peer_srv_new(void *st,
                                    OSSL_CMP_SRV_cert_request_cb_t cert_req,
                                    OSSL_CMP_SRV_rr_cb_t rr,
                                    OSSL_CMP_SRV_genm_cb_t genm,
                                    OSSL_CMP_SRV_pollReq_cb_t poll,
                                    const struct ossl_peer_prot *prot);
/*
 * A new client: quiet, transfer(arg) as transfer callback, subject
 * "CN=ee", a new reference to new_key as newPkey, protected as prot says
 * (trust in its trusted store). NULL on error.
 */
OSSL_CMP_CTX *ossl_peer_client_new(OSSL_CMP_transfer_cb_t transfer,
                                   void *arg, EVP_PKEY *new_key,
                                   const struct ossl_peer_prot *prot);

/* a genm callback: answers with copies of the ITAVs received */
int ossl_peer_genm_echo(OSSL_CMP_SRV_CTX *srv_ctx, const OSSL_CMP_MSG *req,
                        const STACK_OF(OSSL_CMP_ITAV) *in,
                        STACK_OF(OSSL_CMP_ITAV) **out);

/*
 * Pushes the ITAV (type, *val) to the generalInfo ITAVs of ctx. Once the
 * ITAV is made it owns type and *val (*val is then NULL, also if the push
 * fails); else the caller still owns both. 1 on success.
 */
int ossl_peer_push0_geninfo(OSSL_CMP_CTX *ctx, ASN1_OBJECT *type,
                            ASN1_TYPE **val);

/*
 * Pushes the ITAV confirmWaitTime (RFC 4210 5.1.1.2), secs from now, to
 * the generalInfo ITAVs of ctx (a server's: it then goes into every
 * message the server sends); *when (freed first) gets a copy of the time.
 * 1 on success.
 */
int ossl_peer_push_confirm_wait(OSSL_CMP_CTX *ctx, long secs,
                                ASN1_GENERALIZEDTIME **when);

#endif
