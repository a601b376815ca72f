/*
 * p11cmp/ctx.h - the CMP client context P11CMP_CTX: configuration of
 * transfer, protection, message header and certificate template, the
 * options, logging, and the results of the last transaction. It mirrors
 * OpenSSL 3.0's OSSL_CMP_CTX_new(3) page under the prefix P11CMP_, with the
 * same parameters, ownership (set0 takes, set1 copies or up-refs, get0
 * borrows, get1 gives a new reference) and return values.
 */
#ifndef P11CMP_CTX_H
#define P11CMP_CTX_H

#include <openssl/http.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <p11cmp/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The free text of a PKIStatusInfo: a stack of UTF8Strings (RFC 4210). */
typedef STACK_OF(ASN1_UTF8STRING) P11CMP_PKIFREETEXT;

/*
 * Options beyond OpenSSL's (values chosen far from OpenSSL's range):
 * P11CMP_OPT_PBM_ITERATIONS is the iteration count of the password-based
 * MAC (PBM) protection of requests; 1..100000, default 500.
 */
#define P11CMP_OPT_PBM_ITERATIONS                      100
/*
 * What a transaction leaves on the PKCS#11 token (see
 * P11CMP_OPT_STORE_RESULTS(3)): STORE_RESULTS (default 1) stores an
 * enrolled certificate, its chain and caPubs next to a token key;
 * KEEP_OLD (default 0) makes KUR relabel the old key and certificate
 * instead of deleting them; REMOVE_REVOKED (default 0) makes RR remove the
 * revoked certificate (1) and also its key pair (2).
 */
#define P11CMP_OPT_STORE_RESULTS                       101
#define P11CMP_OPT_KEEP_OLD                            102
#define P11CMP_OPT_REMOVE_REVOKED                      103
/*
 * P11CMP_OPT_MAX_POLL_TIME bounds polling when TOTAL_TIMEOUT is 0: the
 * seconds a transaction may keep polling, 1..INT_MAX, default 3600.
 * Polls are at least P11CMP_POLL_MIN_INTERVAL seconds apart, whatever
 * checkAfter says.
 */
#define P11CMP_OPT_MAX_POLL_TIME                       104
#define P11CMP_POLL_MIN_INTERVAL 1
#define P11CMP_DEFAULT_MAX_POLL_TIME 3600

/*
 * Sends req (not consumed) and returns the response, or NULL on error.
 * Replaces the default transfer over HTTP(S).
 */
typedef P11CMP_MSG *(*P11CMP_transfer_cb_t)(P11CMP_CTX *ctx,
                                            const P11CMP_MSG *req);
/*
 * Judges a newly enrolled cert: returns 0 to accept it, else a
 * PKIFailureInfo bit field; may point *txt to a static explanation.
 */
typedef int (*P11CMP_certConf_cb_t)(P11CMP_CTX *ctx, X509 *cert,
                                    int fail_info, const char **txt);

/* life cycle and options */
P11CMP_CTX *P11CMP_CTX_new(OSSL_LIB_CTX *libctx, const char *propq);
void P11CMP_CTX_free(P11CMP_CTX *ctx);
int P11CMP_CTX_reinit(P11CMP_CTX *ctx);
int P11CMP_CTX_set_option(P11CMP_CTX *ctx, int opt, int val);
int P11CMP_CTX_get_option(const P11CMP_CTX *ctx, int opt);

/* logging and error reporting */
int P11CMP_CTX_set_log_cb(P11CMP_CTX *ctx, P11CMP_log_cb_t cb);
#define P11CMP_CTX_set_log_verbosity(ctx, level) \
    P11CMP_CTX_set_option(ctx, P11CMP_OPT_LOG_VERBOSITY, level)
void P11CMP_CTX_print_errors(const P11CMP_CTX *ctx);

/* message transfer */
int P11CMP_CTX_set1_serverPath(P11CMP_CTX *ctx, const char *path);
int P11CMP_CTX_set1_server(P11CMP_CTX *ctx, const char *address);
int P11CMP_CTX_set_serverPort(P11CMP_CTX *ctx, int port);
int P11CMP_CTX_set1_proxy(P11CMP_CTX *ctx, const char *name);
int P11CMP_CTX_set1_no_proxy(P11CMP_CTX *ctx, const char *names);
int P11CMP_CTX_set_http_cb(P11CMP_CTX *ctx, OSSL_HTTP_bio_cb_t cb);
int P11CMP_CTX_set_http_cb_arg(P11CMP_CTX *ctx, void *arg);
void *P11CMP_CTX_get_http_cb_arg(const P11CMP_CTX *ctx);
int P11CMP_CTX_set_transfer_cb(P11CMP_CTX *ctx, P11CMP_transfer_cb_t cb);
int P11CMP_CTX_set_transfer_cb_arg(P11CMP_CTX *ctx, void *arg);
void *P11CMP_CTX_get_transfer_cb_arg(const P11CMP_CTX *ctx);

/* server authentication */
int P11CMP_CTX_set1_srvCert(P11CMP_CTX *ctx, X509 *cert);
int P11CMP_CTX_set1_expected_sender(P11CMP_CTX *ctx, const X509_NAME *name);
int P11CMP_CTX_set0_trustedStore(P11CMP_CTX *ctx, X509_STORE *store);
X509_STORE *P11CMP_CTX_get0_trustedStore(const P11CMP_CTX *ctx);
/* the shorter names of OpenSSL 3.5 for the same two functions */
#define P11CMP_CTX_set0_trusted P11CMP_CTX_set0_trustedStore
#define P11CMP_CTX_get0_trusted P11CMP_CTX_get0_trustedStore
int P11CMP_CTX_set1_untrusted(P11CMP_CTX *ctx, STACK_OF(X509) *certs);
STACK_OF(X509) *P11CMP_CTX_get0_untrusted(const P11CMP_CTX *ctx);

/* client authentication */
int P11CMP_CTX_set1_cert(P11CMP_CTX *ctx, X509 *cert);
int P11CMP_CTX_build_cert_chain(P11CMP_CTX *ctx, X509_STORE *own_trusted,
                                STACK_OF(X509) *candidates);
int P11CMP_CTX_set1_pkey(P11CMP_CTX *ctx, EVP_PKEY *pkey);
int P11CMP_CTX_set1_referenceValue(P11CMP_CTX *ctx,
                                   const unsigned char *ref, int len);
int P11CMP_CTX_set1_secretValue(P11CMP_CTX *ctx, const unsigned char *sec,
                                const int len);

/* message header and extra certificates */
int P11CMP_CTX_set1_recipient(P11CMP_CTX *ctx, const X509_NAME *name);
int P11CMP_CTX_push0_geninfo_ITAV(P11CMP_CTX *ctx, P11CMP_ITAV *itav);
int P11CMP_CTX_reset_geninfo_ITAVs(P11CMP_CTX *ctx);
int P11CMP_CTX_set1_extraCertsOut(P11CMP_CTX *ctx,
                                  STACK_OF(X509) *extraCertsOut);

/* certificate template */
int P11CMP_CTX_set0_newPkey(P11CMP_CTX *ctx, int priv, EVP_PKEY *pkey);
EVP_PKEY *P11CMP_CTX_get0_newPkey(const P11CMP_CTX *ctx, int priv);
int P11CMP_CTX_set1_issuer(P11CMP_CTX *ctx, const X509_NAME *name);
/* with the issuer: the cert RR revokes, instead of oldCert (OpenSSL 3.2) */
int P11CMP_CTX_set1_serialNumber(P11CMP_CTX *ctx, const ASN1_INTEGER *sn);
int P11CMP_CTX_set1_subjectName(P11CMP_CTX *ctx, const X509_NAME *name);
int P11CMP_CTX_push1_subjectAltName(P11CMP_CTX *ctx,
                                    const GENERAL_NAME *name);
int P11CMP_CTX_set0_reqExtensions(P11CMP_CTX *ctx, X509_EXTENSIONS *exts);
int P11CMP_CTX_reqExtensions_have_SAN(P11CMP_CTX *ctx);
int P11CMP_CTX_push0_policy(P11CMP_CTX *ctx, POLICYINFO *pinfo);
int P11CMP_CTX_set1_oldCert(P11CMP_CTX *ctx, X509 *cert);
int P11CMP_CTX_set1_p10CSR(P11CMP_CTX *ctx, const X509_REQ *csr);

/* body of general messages */
int P11CMP_CTX_push0_genm_ITAV(P11CMP_CTX *ctx, P11CMP_ITAV *itav);

/*
 * certificate confirmation; the default callback P11CMP_certConf_cb()
 * belongs to the transactions (client.c) and is declared with them
 */
int P11CMP_CTX_set_certConf_cb(P11CMP_CTX *ctx, P11CMP_certConf_cb_t cb);
int P11CMP_CTX_set_certConf_cb_arg(P11CMP_CTX *ctx, void *arg);
void *P11CMP_CTX_get_certConf_cb_arg(const P11CMP_CTX *ctx);

/* results of the last transaction */
int P11CMP_CTX_get_status(const P11CMP_CTX *ctx);
P11CMP_PKIFREETEXT *P11CMP_CTX_get0_statusString(const P11CMP_CTX *ctx);
int P11CMP_CTX_get_failInfoCode(const P11CMP_CTX *ctx);
X509 *P11CMP_CTX_get0_newCert(const P11CMP_CTX *ctx);
STACK_OF(X509) *P11CMP_CTX_get1_newChain(const P11CMP_CTX *ctx);
STACK_OF(X509) *P11CMP_CTX_get1_caPubs(const P11CMP_CTX *ctx);
STACK_OF(X509) *P11CMP_CTX_get1_extraCertsIn(const P11CMP_CTX *ctx);
/* the server cert that the protection of the last response was validated
 * with (borrowed), or NULL (none, or MAC protection) */
X509 *P11CMP_CTX_get0_validatedSrvCert(const P11CMP_CTX *ctx);

/* for testing and debugging */
int P11CMP_CTX_set1_transactionID(P11CMP_CTX *ctx,
                                  const ASN1_OCTET_STRING *id);
int P11CMP_CTX_set1_senderNonce(P11CMP_CTX *ctx,
                                const ASN1_OCTET_STRING *nonce);

#ifdef __cplusplus
}
#endif
#endif /* P11CMP_CTX_H */
