/*
 * p11cmp/types.h - the opaque types and constants of the p11cmp API. They
 * mirror OpenSSL 3.0's OSSL_CMP_ names and have the same values, so that
 * code written for OpenSSL ports by renaming OSSL_CMP_ to P11CMP_.
 */
#ifndef P11CMP_TYPES_H
#define P11CMP_TYPES_H

#include <openssl/asn1.h>
#include <openssl/safestack.h>
#include <openssl/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct p11cmp_ctx_st P11CMP_CTX;
typedef struct p11cmp_msg_st P11CMP_MSG;
typedef struct p11cmp_pkiheader_st P11CMP_PKIHEADER;
typedef struct p11cmp_itav_st P11CMP_ITAV;
typedef struct p11cmp_pkisi_st P11CMP_PKISI;
typedef ASN1_BIT_STRING P11CMP_PKIFAILUREINFO;
typedef ASN1_INTEGER P11CMP_PKISTATUS;
/* a CRMF CertReqMsg (RFC 4211), the template argument of
 * P11CMP_exec_certreq(); see p11cmp/client.h */
typedef struct p11cmp_crmf_msg_st P11CMP_CRMF_MSG;
DEFINE_STACK_OF(P11CMP_ITAV)
/* a CRMF CertTemplate (RFC 4211 5), as a genp certReqTemplate carries it */
typedef struct p11cmp_crmf_certtemplate_st P11CMP_CRMF_CERTTEMPLATE;
/* an AttributeTypeAndValue of CRMF Controls, e.g. a keySpec entry
 * (RFC 9810 5.3.19.16); P11CMP_ATAVS is a sequence of them */
typedef struct p11cmp_crmf_atav_st P11CMP_ATAV;
DEFINE_STACK_OF(P11CMP_ATAV)
typedef STACK_OF(P11CMP_ATAV) P11CMP_ATAVS;
/* a CRLStatus of a genm crlStatusList (RFC 9810 5.3.19.19) */
typedef struct p11cmp_crlstatus_st P11CMP_CRLSTATUS;
DEFINE_STACK_OF(P11CMP_CRLSTATUS)

/* failInfo bit numbers (RFC 4210 PKIFailureInfo) */
#define P11CMP_PKIFAILUREINFO_badAlg                   0
#define P11CMP_PKIFAILUREINFO_badMessageCheck          1
#define P11CMP_PKIFAILUREINFO_badRequest               2
#define P11CMP_PKIFAILUREINFO_badTime                  3
#define P11CMP_PKIFAILUREINFO_badCertId                4
#define P11CMP_PKIFAILUREINFO_badDataFormat            5
#define P11CMP_PKIFAILUREINFO_wrongAuthority           6
#define P11CMP_PKIFAILUREINFO_incorrectData            7
#define P11CMP_PKIFAILUREINFO_missingTimeStamp         8
#define P11CMP_PKIFAILUREINFO_badPOP                   9
#define P11CMP_PKIFAILUREINFO_certRevoked              10
#define P11CMP_PKIFAILUREINFO_certConfirmed            11
#define P11CMP_PKIFAILUREINFO_wrongIntegrity           12
#define P11CMP_PKIFAILUREINFO_badRecipientNonce        13
#define P11CMP_PKIFAILUREINFO_timeNotAvailable         14
#define P11CMP_PKIFAILUREINFO_unacceptedPolicy         15
#define P11CMP_PKIFAILUREINFO_unacceptedExtension      16
#define P11CMP_PKIFAILUREINFO_addInfoNotAvailable      17
#define P11CMP_PKIFAILUREINFO_badSenderNonce           18
#define P11CMP_PKIFAILUREINFO_badCertTemplate          19
#define P11CMP_PKIFAILUREINFO_signerNotTrusted         20
#define P11CMP_PKIFAILUREINFO_transactionIdInUse       21
#define P11CMP_PKIFAILUREINFO_unsupportedVersion       22
#define P11CMP_PKIFAILUREINFO_notAuthorized            23
#define P11CMP_PKIFAILUREINFO_systemUnavail            24
#define P11CMP_PKIFAILUREINFO_systemFailure            25
#define P11CMP_PKIFAILUREINFO_duplicateCertReq         26
#define P11CMP_PKIFAILUREINFO_MAX                      26
#define P11CMP_PKIFAILUREINFO_MAX_BIT_PATTERN \
    ((1 << (P11CMP_PKIFAILUREINFO_MAX + 1)) - 1)

/* the same reasons as bit masks, as P11CMP_CTX_get_failInfoCode() and
 * the certConf callback use them: P11CMP_CTX_FAILINFO_x is
 * 1 << P11CMP_PKIFAILUREINFO_x */
#define P11CMP_CTX_FAILINFO_badAlg                     (1 << 0)
#define P11CMP_CTX_FAILINFO_badMessageCheck            (1 << 1)
#define P11CMP_CTX_FAILINFO_badRequest                 (1 << 2)
#define P11CMP_CTX_FAILINFO_badTime                    (1 << 3)
#define P11CMP_CTX_FAILINFO_badCertId                  (1 << 4)
#define P11CMP_CTX_FAILINFO_badDataFormat              (1 << 5)
#define P11CMP_CTX_FAILINFO_wrongAuthority             (1 << 6)
#define P11CMP_CTX_FAILINFO_incorrectData              (1 << 7)
#define P11CMP_CTX_FAILINFO_missingTimeStamp           (1 << 8)
#define P11CMP_CTX_FAILINFO_badPOP                     (1 << 9)
#define P11CMP_CTX_FAILINFO_certRevoked                (1 << 10)
#define P11CMP_CTX_FAILINFO_certConfirmed              (1 << 11)
#define P11CMP_CTX_FAILINFO_wrongIntegrity             (1 << 12)
#define P11CMP_CTX_FAILINFO_badRecipientNonce          (1 << 13)
#define P11CMP_CTX_FAILINFO_timeNotAvailable           (1 << 14)
#define P11CMP_CTX_FAILINFO_unacceptedPolicy           (1 << 15)
#define P11CMP_CTX_FAILINFO_unacceptedExtension        (1 << 16)
#define P11CMP_CTX_FAILINFO_addInfoNotAvailable        (1 << 17)
#define P11CMP_CTX_FAILINFO_badSenderNonce             (1 << 18)
#define P11CMP_CTX_FAILINFO_badCertTemplate            (1 << 19)
#define P11CMP_CTX_FAILINFO_signerNotTrusted           (1 << 20)
#define P11CMP_CTX_FAILINFO_transactionIdInUse         (1 << 21)
#define P11CMP_CTX_FAILINFO_unsupportedVersion         (1 << 22)
#define P11CMP_CTX_FAILINFO_notAuthorized              (1 << 23)
#define P11CMP_CTX_FAILINFO_systemUnavail              (1 << 24)
#define P11CMP_CTX_FAILINFO_systemFailure              (1 << 25)
#define P11CMP_CTX_FAILINFO_duplicateCertReq           (1 << 26)

/* protocol versions: cmp2000 (RFC 4210) and cmp2021 (RFC 9480), both
 * accepted; P11CMP_PVNO is the one p11cmp sends (as in OpenSSL 3.5) */
#define P11CMP_PVNO_2 2
#define P11CMP_PVNO_3 3
#define P11CMP_PVNO P11CMP_PVNO_2

/* PKIStatus values, and the pseudo-values of a context before a result;
 * rejected_by_client: the client rejected the new certificate (certConf
 * with rejection), as in OpenSSL 3.5 */
#define P11CMP_PKISTATUS_rejected_by_client            -5
#define P11CMP_PKISTATUS_request                       -3
#define P11CMP_PKISTATUS_trans                         -2
#define P11CMP_PKISTATUS_unspecified                   -1
#define P11CMP_PKISTATUS_accepted                      0
#define P11CMP_PKISTATUS_grantedWithMods               1
#define P11CMP_PKISTATUS_rejection                     2
#define P11CMP_PKISTATUS_waiting                       3
#define P11CMP_PKISTATUS_revocationWarning             4
#define P11CMP_PKISTATUS_revocationNotification        5
#define P11CMP_PKISTATUS_keyUpdateWarning              6

/* options of P11CMP_CTX_set_option() */
#define P11CMP_OPT_LOG_VERBOSITY                       0
#define P11CMP_OPT_KEEP_ALIVE                          10
#define P11CMP_OPT_MSG_TIMEOUT                         11
#define P11CMP_OPT_TOTAL_TIMEOUT                       12
/* OpenSSL 3.5: 1 TLS, 0 plain HTTP, -1 (default) TLS iff http_cb_arg */
#define P11CMP_OPT_USE_TLS                             13
#define P11CMP_OPT_VALIDITY_DAYS                       20
#define P11CMP_OPT_SUBJECTALTNAME_NODEFAULT            21
#define P11CMP_OPT_SUBJECTALTNAME_CRITICAL             22
#define P11CMP_OPT_POLICIES_CRITICAL                   23
#define P11CMP_OPT_POPO_METHOD                         24
#define P11CMP_OPT_IMPLICIT_CONFIRM                    25
#define P11CMP_OPT_DISABLE_CONFIRM                     26
#define P11CMP_OPT_REVOCATION_REASON                   27
#define P11CMP_OPT_UNPROTECTED_SEND                    30
#define P11CMP_OPT_UNPROTECTED_ERRORS                  31
#define P11CMP_OPT_OWF_ALGNID                          32
#define P11CMP_OPT_MAC_ALGNID                          33
#define P11CMP_OPT_DIGEST_ALGNID                       34
#define P11CMP_OPT_IGNORE_KEYUSAGE                     35
#define P11CMP_OPT_PERMIT_TA_IN_EXTRACERTS_FOR_IR      36
/* OpenSSL 3.3+: do not keep the extraCerts of a response as untrusted
 * certs of ctx for the rest of the transaction and later ones */
#define P11CMP_OPT_NO_CACHE_EXTRACERTS                 37

/*
 * The message timeout in seconds while P11CMP_OPT_MSG_TIMEOUT is at its
 * default (P11CMP_CTX_get_option() then gives -1, as OpenSSL does)
 */
#define P11CMP_DEFAULT_MSG_TIMEOUT                     120

/* request types of P11CMP_exec_certreq() and P11CMP_try_certreq() */
#define P11CMP_IR    0
#define P11CMP_CR    2
#define P11CMP_P10CR 4
#define P11CMP_KUR   7
/* the GENM and error body types under the names of OpenSSL 3.5 */
#define P11CMP_GENM  21
#define P11CMP_ERROR 23

/* proof-of-possession methods (P11CMP_OPT_POPO_METHOD) */
#define P11CMP_POPO_NONE       -1
#define P11CMP_POPO_RAVERIFIED 0
#define P11CMP_POPO_SIGNATURE  1
#define P11CMP_POPO_KEYENC     2
#define P11CMP_POPO_KEYAGREE   3

/* log severities, as in syslog.h */
typedef int P11CMP_severity;
#define P11CMP_LOG_EMERG                               0
#define P11CMP_LOG_ALERT                               1
#define P11CMP_LOG_CRIT                                2
#define P11CMP_LOG_ERR                                 3
#define P11CMP_LOG_WARNING                             4
#define P11CMP_LOG_NOTICE                              5
#define P11CMP_LOG_INFO                                6
#define P11CMP_LOG_DEBUG                               7
#define P11CMP_LOG_TRACE                               8
#define P11CMP_LOG_MAX P11CMP_LOG_TRACE

/*
 * The log callback: receives each message of the given severity with the
 * function, file and line it comes from; returns 1 on success, 0 on error.
 */
typedef int (*P11CMP_log_cb_t)(const char *func, const char *file, int line,
                               P11CMP_severity level, const char *msg);

#ifdef __cplusplus
}
#endif
#endif /* P11CMP_TYPES_H */
