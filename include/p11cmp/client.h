/*
 * p11cmp/client.h - the CMP client transactions of OpenSSL 3.0's
 * OSSL_CMP_exec_certreq(3) page under the prefix P11CMP_: certificate
 * enrollment (IR, CR, P10CR, KUR) with polling and confirmation,
 * revocation (RR) and general messages (GENM), plus the default
 * certificate confirmation callback and the CRMF template type.
 */
#ifndef P11CMP_CLIENT_H
#define P11CMP_CLIENT_H

#include <openssl/x509.h>
#include <p11cmp/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A CRMF CertReqMsg for P11CMP_exec_certreq() and P11CMP_try_certreq(),
 * e.g. decoded from DER a caller built elsewhere. d2i_ returns a new
 * message owned by the caller (or NULL), i2d_ its DER length (or < 0).
 */
P11CMP_CRMF_MSG *d2i_P11CMP_CRMF_MSG(P11CMP_CRMF_MSG **msg,
                                     const unsigned char **in, long len);
int i2d_P11CMP_CRMF_MSG(const P11CMP_CRMF_MSG *msg, unsigned char **out);
void P11CMP_CRMF_MSG_free(P11CMP_CRMF_MSG *msg);

/*
 * Enrollment of req_type P11CMP_IR, P11CMP_CR, P11CMP_P10CR or P11CMP_KUR
 * with the template from ctx, or from crm (copied; not for P10CR) if not
 * NULL; polls while the server says "waiting". Returns the new cert
 * (borrowed from ctx: valid until the next transaction, reinit or free)
 * or NULL on error.
 */
X509 *P11CMP_exec_certreq(P11CMP_CTX *ctx, int req_type,
                          const P11CMP_CRMF_MSG *crm);
#define P11CMP_exec_IR_ses(ctx) \
    P11CMP_exec_certreq(ctx, P11CMP_IR, NULL)
#define P11CMP_exec_CR_ses(ctx) \
    P11CMP_exec_certreq(ctx, P11CMP_CR, NULL)
#define P11CMP_exec_P10CR_ses(ctx) \
    P11CMP_exec_certreq(ctx, P11CMP_P10CR, NULL)
#define P11CMP_exec_KUR_ses(ctx) \
    P11CMP_exec_certreq(ctx, P11CMP_KUR, NULL)

/*
 * One step of an enrollment for callers that poll themselves: 1 when the
 * cert is available (P11CMP_CTX_get0_newCert()) or a pending request was
 * aborted (req_type < 0, which sends an error message), -1 while the
 * server says "waiting" (*checkAfter, if not NULL, gets the seconds to
 * wait), 0 on error.
 */
int P11CMP_try_certreq(P11CMP_CTX *ctx, int req_type,
                       const P11CMP_CRMF_MSG *crm, int *checkAfter);

/*
 * Asks every running transaction of the process to give up at its next
 * safe point (async-signal-safe: for a SIGTERM/SIGINT/SIGHUP handler):
 * no new request is sent, polling ends with an error message to the
 * server, a new certificate not yet confirmed is rejected in certConf,
 * and a key pair generated for the transaction is removed again; storing
 * on the token, once begun, is finished first. Failures then carry
 * P11CMP_R_INTERRUPTED. sig (not 0) is what P11CMP_interrupted()
 * returns from then on; 0 clears the interruption (for a process that
 * goes on after it).
 */
void P11CMP_interrupt(int sig);
/* The sig of the first P11CMP_interrupt() call, or 0. */
int P11CMP_interrupted(void);

/* Revokes oldCert of ctx: 1 on success (also on a revocation warning or
 * notification), 0 on error. */
int P11CMP_exec_RR_ses(P11CMP_CTX *ctx);

/* Sends the genm ITAVs of ctx; returns the ITAVs of the answer, owned by
 * the caller (free with sk_P11CMP_ITAV_pop_free(.., P11CMP_ITAV_free)),
 * or NULL on error. */
STACK_OF(P11CMP_ITAV) *P11CMP_exec_GENM_ses(P11CMP_CTX *ctx);

/*
 * The general messages of RFC 9810 5.3.19 as single calls (OpenSSL 3.5's
 * OSSL_CMP_get1_*): each needs a fresh ctx (new or reinit), returns 1 on
 * success and 0 on error, and gives what it got to the caller (free it);
 * a NULL output on success means the server had nothing to offer.
 * caCerts: the CA certs (each a CA cert valid now). rootCaKeyUpdate: the
 * update of root oldWithOld (NULL: of the trust store), checked as RFC
 * 9810 4.4 says; newWithOld/oldWithNew may be NULL. crlUpdate: a newer
 * CRL than last_crl for the source named by crlcert and/or last_crl.
 * certReqTemplate: the template and key specification (keySpec may be
 * NULL) to use for requests.
 */
int P11CMP_get1_caCerts(P11CMP_CTX *ctx, STACK_OF(X509) **out);
int P11CMP_get1_rootCaKeyUpdate(P11CMP_CTX *ctx, const X509 *oldWithOld,
                                X509 **newWithNew, X509 **newWithOld,
                                X509 **oldWithNew);
int P11CMP_get1_crlUpdate(P11CMP_CTX *ctx, const X509 *crlcert,
                          const X509_CRL *last_crl, X509_CRL **crl);
int P11CMP_get1_certReqTemplate(P11CMP_CTX *ctx,
                                P11CMP_CRMF_CERTTEMPLATE **certTemplate,
                                P11CMP_ATAVS **keySpec);

/*
 * The default certConf callback: returns fail_info unchanged if it is
 * not 0; else validates cert against the X509_STORE in the certConf_cb
 * arg of ctx (if set; failure gives the incorrectData bit and points
 * *txt to a static text) and stores the chain (without cert) as
 * newChain. Without a store it accepts cert.
 */
int P11CMP_certConf_cb(P11CMP_CTX *ctx, X509 *cert, int fail_info,
                       const char **txt);

#ifdef __cplusplus
}
#endif
#endif /* P11CMP_CLIENT_H */
