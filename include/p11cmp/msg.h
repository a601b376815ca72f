/*
 * p11cmp/msg.h - CMP messages (P11CMP_MSG), their headers, PKIStatusInfo
 * and InfoTypeAndValue: DER encoding and decoding, files, and accessors.
 * Names, arguments and ownership mirror OpenSSL 3.0's OSSL_CMP_MSG,
 * OSSL_CMP_ITAV and OSSL_CMP_PKISI functions.
 */
#ifndef P11CMP_MSG_H
#define P11CMP_MSG_H

#include <openssl/bio.h>
#include <openssl/types.h>
#include <openssl/x509v3.h>
#include <p11cmp/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PKIBody types: the CHOICE tag numbers of RFC 4210 (as OpenSSL's) */
#define P11CMP_PKIBODY_IR        0
#define P11CMP_PKIBODY_IP        1
#define P11CMP_PKIBODY_CR        2
#define P11CMP_PKIBODY_CP        3
#define P11CMP_PKIBODY_P10CR     4
#define P11CMP_PKIBODY_POPDECC   5
#define P11CMP_PKIBODY_POPDECR   6
#define P11CMP_PKIBODY_KUR       7
#define P11CMP_PKIBODY_KUP       8
#define P11CMP_PKIBODY_KRR       9
#define P11CMP_PKIBODY_KRP      10
#define P11CMP_PKIBODY_RR       11
#define P11CMP_PKIBODY_RP       12
#define P11CMP_PKIBODY_CCR      13
#define P11CMP_PKIBODY_CCP      14
#define P11CMP_PKIBODY_CKUANN   15
#define P11CMP_PKIBODY_CANN     16
#define P11CMP_PKIBODY_RANN     17
#define P11CMP_PKIBODY_CRLANN   18
#define P11CMP_PKIBODY_PKICONF  19
#define P11CMP_PKIBODY_NESTED   20
#define P11CMP_PKIBODY_GENM     21
#define P11CMP_PKIBODY_GENP     22
#define P11CMP_PKIBODY_ERROR    23
#define P11CMP_PKIBODY_CERTCONF 24
#define P11CMP_PKIBODY_POLLREQ  25
#define P11CMP_PKIBODY_POLLREP  26
#define P11CMP_PKIBODY_TYPE_MAX P11CMP_PKIBODY_POLLREP

/* messages */
void P11CMP_MSG_free(P11CMP_MSG *msg);
P11CMP_MSG *P11CMP_MSG_dup(const P11CMP_MSG *msg);
P11CMP_MSG *d2i_P11CMP_MSG(P11CMP_MSG **msg, const unsigned char **in,
                           long len);
int i2d_P11CMP_MSG(const P11CMP_MSG *msg, unsigned char **out);
P11CMP_MSG *d2i_P11CMP_MSG_bio(BIO *bio, P11CMP_MSG **msg);
int i2d_P11CMP_MSG_bio(BIO *bio, const P11CMP_MSG *msg);
P11CMP_MSG *P11CMP_MSG_read(const char *file, OSSL_LIB_CTX *libctx,
                            const char *propq);
int P11CMP_MSG_write(const char *file, const P11CMP_MSG *msg);
P11CMP_PKIHEADER *P11CMP_MSG_get0_header(const P11CMP_MSG *msg);
int P11CMP_MSG_get_bodytype(const P11CMP_MSG *msg);
/* header fields from ctx's transaction; protected again if it was */
int P11CMP_MSG_update_transactionID(P11CMP_CTX *ctx, P11CMP_MSG *msg);
int P11CMP_MSG_update_recipNonce(P11CMP_CTX *ctx, P11CMP_MSG *msg);
/* sends req to ctx's server over HTTP(S) and returns the response */
P11CMP_MSG *P11CMP_MSG_http_perform(P11CMP_CTX *ctx, const P11CMP_MSG *req);

/* headers */
P11CMP_PKIHEADER *P11CMP_PKIHEADER_new(void);
void P11CMP_PKIHEADER_free(P11CMP_PKIHEADER *hdr);
P11CMP_PKIHEADER *d2i_P11CMP_PKIHEADER(P11CMP_PKIHEADER **hdr,
                                       const unsigned char **in, long len);
int i2d_P11CMP_PKIHEADER(const P11CMP_PKIHEADER *hdr, unsigned char **out);
ASN1_OCTET_STRING *P11CMP_HDR_get0_transactionID(const P11CMP_PKIHEADER
                                                 *hdr);
ASN1_OCTET_STRING *P11CMP_HDR_get0_recipNonce(const P11CMP_PKIHEADER *hdr);
STACK_OF(P11CMP_ITAV) *P11CMP_HDR_get0_geninfo_ITAVs(const P11CMP_PKIHEADER
                                                     *hdr);

/* PKIStatusInfo */
P11CMP_PKISI *P11CMP_PKISI_new(void);
void P11CMP_PKISI_free(P11CMP_PKISI *si);
P11CMP_PKISI *P11CMP_PKISI_dup(const P11CMP_PKISI *si);
P11CMP_PKISI *d2i_P11CMP_PKISI(P11CMP_PKISI **si, const unsigned char **in,
                               long len);
int i2d_P11CMP_PKISI(const P11CMP_PKISI *si, unsigned char **out);

/* InfoTypeAndValue */
P11CMP_ITAV *P11CMP_ITAV_create(ASN1_OBJECT *type, ASN1_TYPE *value);
void P11CMP_ITAV_set0(P11CMP_ITAV *itav, ASN1_OBJECT *type,
                      ASN1_TYPE *value);
ASN1_OBJECT *P11CMP_ITAV_get0_type(const P11CMP_ITAV *itav);
ASN1_TYPE *P11CMP_ITAV_get0_value(const P11CMP_ITAV *itav);
int P11CMP_ITAV_push0_stack_item(STACK_OF(P11CMP_ITAV) **itav_sk_p,
                                 P11CMP_ITAV *itav);
void P11CMP_ITAV_free(P11CMP_ITAV *itav);
P11CMP_ITAV *P11CMP_ITAV_dup(const P11CMP_ITAV *itav);

/*
 * ITAVs of the general messages of RFC 9810 5.3.19 (OpenSSL 3.5's
 * OSSL_CMP_ITAV_new_caCerts(3)): new_ copies its arguments, new0_ takes
 * them (only on success), get0_ borrows from itav (valid while itav
 * lives), get1_ gives copies. A NULL argument to a constructor makes the
 * ITAV without value that a genm asks with, or a genp says "nothing"
 * with. The getters fail on an ITAV of another type; they return 1 and
 * NULL outputs for an ITAV without value.
 */
P11CMP_ITAV *P11CMP_ITAV_new_caCerts(const STACK_OF(X509) *caCerts);
int P11CMP_ITAV_get0_caCerts(const P11CMP_ITAV *itav, STACK_OF(X509) **out);
P11CMP_ITAV *P11CMP_ITAV_new_rootCaCert(const X509 *rootCaCert);
int P11CMP_ITAV_get0_rootCaCert(const P11CMP_ITAV *itav, X509 **out);
P11CMP_ITAV *P11CMP_ITAV_new_rootCaKeyUpdate(const X509 *newWithNew,
                                             const X509 *newWithOld,
                                             const X509 *oldWithNew);
int P11CMP_ITAV_get0_rootCaKeyUpdate(const P11CMP_ITAV *itav,
                                     X509 **newWithNew, X509 **newWithOld,
                                     X509 **oldWithNew);
P11CMP_ITAV *P11CMP_ITAV_new0_crlStatusList(STACK_OF(P11CMP_CRLSTATUS)
                                            *crlStatusList);
int P11CMP_ITAV_get0_crlStatusList(const P11CMP_ITAV *itav,
                                   STACK_OF(P11CMP_CRLSTATUS) **out);
P11CMP_ITAV *P11CMP_ITAV_new_crls(const X509_CRL *crl);
int P11CMP_ITAV_get0_crls(const P11CMP_ITAV *itav, STACK_OF(X509_CRL) **out);
P11CMP_ITAV *P11CMP_ITAV_new0_certReqTemplate(P11CMP_CRMF_CERTTEMPLATE
                                              *certTemplate,
                                              P11CMP_ATAVS *keySpec);
int P11CMP_ITAV_get1_certReqTemplate(const P11CMP_ITAV *itav,
                                     P11CMP_CRMF_CERTTEMPLATE **certTemplate,
                                     P11CMP_ATAVS **keySpec);
/* certProfile (RFC 9483 4.1.1) for the generalInfo of requests */
P11CMP_ITAV *P11CMP_ITAV_new0_certProfile(STACK_OF(ASN1_UTF8STRING)
                                          *certProfile);
int P11CMP_ITAV_get0_certProfile(const P11CMP_ITAV *itav,
                                 STACK_OF(ASN1_UTF8STRING) **out);

/* CRLStatus: new1 copies dpn or issuer (exactly one) and thisUpdate;
 * create picks the source from cert and/or crl (only_DN: an issuer name
 * only if it is one directoryName); get0 borrows */
P11CMP_CRLSTATUS *P11CMP_CRLSTATUS_new1(const DIST_POINT_NAME *dpn,
                                        const GENERAL_NAMES *issuer,
                                        const ASN1_TIME *thisUpdate);
P11CMP_CRLSTATUS *P11CMP_CRLSTATUS_create(const X509_CRL *crl,
                                          const X509 *cert, int only_DN);
int P11CMP_CRLSTATUS_get0(const P11CMP_CRLSTATUS *crlstatus,
                          DIST_POINT_NAME **dpn, GENERAL_NAMES **issuer,
                          ASN1_TIME **thisUpdate);
void P11CMP_CRLSTATUS_free(P11CMP_CRLSTATUS *crlstatus);

/* keySpec controls (OpenSSL 3.5's OSSL_CMP_ATAV_*): create/set0 take
 * type and value; get0 borrow; push1 appends a copy */
P11CMP_ATAV *P11CMP_ATAV_create(ASN1_OBJECT *type, ASN1_TYPE *value);
void P11CMP_ATAV_set0(P11CMP_ATAV *atav, ASN1_OBJECT *type,
                      ASN1_TYPE *value);
ASN1_OBJECT *P11CMP_ATAV_get0_type(const P11CMP_ATAV *atav);
ASN1_TYPE *P11CMP_ATAV_get0_value(const P11CMP_ATAV *atav);
P11CMP_ATAV *P11CMP_ATAV_new_algId(const X509_ALGOR *alg);
X509_ALGOR *P11CMP_ATAV_get0_algId(const P11CMP_ATAV *atav);
P11CMP_ATAV *P11CMP_ATAV_new_rsaKeyLen(int len);
int P11CMP_ATAV_get_rsaKeyLen(const P11CMP_ATAV *atav);
int P11CMP_ATAV_push1(P11CMP_ATAVS **sk_p, const P11CMP_ATAV *atav);
void P11CMP_ATAV_free(P11CMP_ATAV *atav);
void P11CMP_ATAVS_free(P11CMP_ATAVS *atavs);
P11CMP_ATAVS *P11CMP_ATAVS_dup(const P11CMP_ATAVS *atavs);
P11CMP_ATAVS *d2i_P11CMP_ATAVS(P11CMP_ATAVS **atavs,
                               const unsigned char **in, long len);
int i2d_P11CMP_ATAVS(const P11CMP_ATAVS *atavs, unsigned char **out);

/* CRMF CertTemplate (as OpenSSL's OSSL_CRMF_CERTTEMPLATE_get0_*) */
void P11CMP_CRMF_CERTTEMPLATE_free(P11CMP_CRMF_CERTTEMPLATE *tmpl);
P11CMP_CRMF_CERTTEMPLATE *P11CMP_CRMF_CERTTEMPLATE_dup(
    const P11CMP_CRMF_CERTTEMPLATE *tmpl);
P11CMP_CRMF_CERTTEMPLATE *d2i_P11CMP_CRMF_CERTTEMPLATE(
    P11CMP_CRMF_CERTTEMPLATE **tmpl, const unsigned char **in, long len);
int i2d_P11CMP_CRMF_CERTTEMPLATE(const P11CMP_CRMF_CERTTEMPLATE *tmpl,
                                 unsigned char **out);
X509_NAME *P11CMP_CRMF_CERTTEMPLATE_get0_subject(
    const P11CMP_CRMF_CERTTEMPLATE *tmpl);
X509_NAME *P11CMP_CRMF_CERTTEMPLATE_get0_issuer(
    const P11CMP_CRMF_CERTTEMPLATE *tmpl);
ASN1_INTEGER *P11CMP_CRMF_CERTTEMPLATE_get0_serialNumber(
    const P11CMP_CRMF_CERTTEMPLATE *tmpl);
X509_PUBKEY *P11CMP_CRMF_CERTTEMPLATE_get0_publicKey(
    const P11CMP_CRMF_CERTTEMPLATE *tmpl);
X509_EXTENSIONS *P11CMP_CRMF_CERTTEMPLATE_get0_extensions(
    const P11CMP_CRMF_CERTTEMPLATE *tmpl);

#ifdef __cplusplus
}
#endif
#endif /* P11CMP_MSG_H */
