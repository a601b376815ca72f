/*
 * tests/testca/testca.h - shared declarations of the test CA program: the
 * certificate authority (ca.c), DER reading that libcrypto 3.0 lacks
 * (der.c), the OSSL_CMP_SRV_CTX callbacks (srv.c) and the loopback HTTP
 * server (http.c). testca.c holds main() and the options.
 */
#ifndef TESTCA_H
#define TESTCA_H

#include <stddef.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* The CA: its key and certificate, and what it has issued and revoked. */
typedef struct {
    EVP_PKEY *key;
    X509 *cert;
    long days;                       /* default validity of issued certs */
    STACK_OF(X509) *issued;
    STACK_OF(ASN1_INTEGER) *revoked;
    const char *certout;             /* directory for cert-N.pem, or NULL */
    int n_issued;
    int kga;                         /* new CA cert gets EKU id-kp-cmKGA */
} CA;

/* The CMP server: the libcrypto server context and our test switches. */
typedef struct {
    CA *ca;
    OSSL_CMP_SRV_CTX *ctx;
    int poll_total;                  /* pollRep answers before the cert */
    int poll_from, poll_to;          /* cert requests that poll */
    int n_certreqs;                  /* cert requests so far */
    int check_after;
    int polls_left;
    int releasing;                   /* held request is being answered */
    OSSL_CMP_MSG *held;              /* request put on hold for polling */
    X509 *last_issued;               /* for checking certConf's certHash */
    X509 *signer;                    /* protection cert of this transaction */
    int reject_bit;                  /* failInfo bit to reject with, or -1 */
    int send_capubs;
    int central_keygen;              /* --central-keygen (ckg.c) */
    STACK_OF(X509) *extra_certs;     /* chain sent in extraCerts */
    STACK_OF(X509) *genm_cacerts;    /* genp answers (genm.c) */
    X509 *genm_nwn, *genm_nwo, *genm_own;
    X509_CRL *genm_crl;
    const char *genm_template_cn;
    long n_requests;
    long n_pollreq;
} SRV;

/* Settings of the CMP server context, filled in from the options. */
typedef struct {
    const char *ref;
    const char *secret;              /* pass:, env: or file: source */
    const char *srvcert;
    const char *srvkey;
    const char *trusted;
    int accept_unprotected;
    int accept_raverified;           /* accept POPO raVerified (an RA's) */
    int grant_implicit_confirm;
    int verbose;
} SRV_CFG;

/* Called with each request body; sets *rsp (caller frees with
 * OPENSSL_free) and returns the HTTP status to answer with. */
typedef int (*http_handler_fn)(void *arg, const unsigned char *body,
                               size_t len, unsigned char **rsp,
                               size_t *rsplen);

typedef struct {
    int port;                        /* 0: the kernel picks one */
    const char *path;                /* NULL: any path */
    long max_requests;               /* 0: unlimited */
    long timeout;                    /* seconds of running, 0: unlimited */
    long io_timeout;                 /* seconds idle or reading a request */
    int fork;                        /* serve connections in children */
    http_handler_fn handler;
    void *arg;
} HTTP_CFG;

/* from ca.c */
int ca_init(CA *ca, const char *keyfile, const char *certfile);
void ca_cleanup(CA *ca);
X509 *ca_issue(CA *ca, const X509_NAME *subject, EVP_PKEY *pub,
               const ASN1_TIME *nb, const ASN1_TIME *na,
               const STACK_OF(X509_EXTENSION) *exts);
X509 *ca_find_issued(const CA *ca, const ASN1_INTEGER *serial);
int ca_is_revoked(const CA *ca, const ASN1_INTEGER *serial);
int ca_revoke(CA *ca, const ASN1_INTEGER *serial);
char *ca_serial_hex(const ASN1_INTEGER *serial);
EVP_PKEY *ca_load_key(const char *file);
X509 *ca_load_cert(const char *file);
STACK_OF(X509) *ca_load_certs(const char *file);
int ca_write_cert(const char *file, X509 *cert);

/* from der.c */
EVP_PKEY *der_tmpl_pubkey(OSSL_CRMF_CERTTEMPLATE *tmpl);
int der_tmpl_validity(OSSL_CRMF_CERTTEMPLATE *tmpl, ASN1_TIME **nb,
                      ASN1_TIME **na);
X509 *der_msg_first_extracert(const OSSL_CMP_MSG *msg);

/* from genm.c: the general messages of RFC 9810 5.3.19, with libcrypto's
 * own constructors where it has them (3.4 and later), else as DER */
#define GENM_OSSL_HAS_TYPES (OPENSSL_VERSION_NUMBER >= 0x30400000L)
#define GENM_OID_CACERTS "1.3.6.1.5.5.7.4.17"
#define GENM_OID_ROOTCAKEYUPDATE "1.3.6.1.5.5.7.4.18"
#define GENM_OID_CERTREQTEMPLATE "1.3.6.1.5.5.7.4.19"
#define GENM_OID_ROOTCACERT "1.3.6.1.5.5.7.4.20"
#define GENM_OID_CRLSTATUSLIST "1.3.6.1.5.5.7.4.22"
#define GENM_OID_CRLS "1.3.6.1.5.5.7.4.23"
#define GENM_OID_ALGID "1.3.6.1.5.5.7.5.1.11"
#define GENM_OID_RSAKEYLEN "1.3.6.1.5.5.7.5.1.12"
#define GENM_RSA_KEYLEN 2048
/* a DER buffer; err is set once something did not fit or encode */
typedef struct {
    unsigned char buf[16384];
    int n;
    int err;
} GDER;
void gder_wrap(GDER *d, int tag, int cls);
/* the DER of values: caCerts, RootCaKeyUpdateContent (nwo, own may be
 * NULL), crls of one CRL, a crlStatusList of one CRLStatus with issuer
 * names (thisUpdate may be NULL), CertReqTemplateContent with subject
 * CN=cn and keySpec { algId EC P-256, rsaKeyLen GENM_RSA_KEYLEN } */
int gder_certs(GDER *d, const STACK_OF(X509) *certs);
int gder_root_update(GDER *d, X509 *nwn, X509 *nwo, X509 *own);
int gder_crls(GDER *d, X509_CRL *crl);
int gder_crl_status(GDER *d, const GENERAL_NAMES *issuer,
                    const ASN1_TIME *thisUpdate);
int gder_template(GDER *d, const char *cn);
X509_ALGOR *genm_ec_alg(void);
OSSL_CRMF_CERTTEMPLATE *genm_template(const char *cn);
int genm_type_is(const OSSL_CMP_ITAV *itav, const char *oid);
/* genp ITAVs; NULL/empty arguments give the ITAV without value */
OSSL_CMP_ITAV *genm_itav_cacerts(const STACK_OF(X509) *certs);
OSSL_CMP_ITAV *genm_itav_root_update(X509 *nwn, X509 *nwo, X509 *own);
OSSL_CMP_ITAV *genm_itav_crls(X509_CRL *crl);
OSSL_CMP_ITAV *genm_itav_template(const char *cn);
int genm_value_der(const OSSL_CMP_ITAV *itav, GDER *d);

/* from ckg.c: central key generation, which libcrypto's server side has
 * from 3.5 on (before, ckg_requested() is 0 and ckg_new_key() NULL) */
#define TESTCA_HAS_CKG (OPENSSL_VERSION_NUMBER >= 0x30500000L)
int ckg_requested(const OSSL_CRMF_MSG *crm);
EVP_PKEY *ckg_new_key(const OSSL_CRMF_MSG *crm);

/* from srv.c */
int srv_failinfo_bit(const char *name);
int srv_init(SRV *s, const SRV_CFG *cfg);
void srv_cleanup(SRV *s);
int srv_handle(void *arg, const unsigned char *body, size_t len,
               unsigned char **rsp, size_t *rsplen);

/* from http.c */
int http_serve(const HTTP_CFG *cfg);

#endif
