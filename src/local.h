/*
 * src/local.h - the private header of libp11cmp: internal structures and
 * every internal prototype, grouped by the file that defines them.
 * Internal names start with p11cmp_; nothing here is exported.
 */
#ifndef P11CMP_LOCAL_H
#define P11CMP_LOCAL_H

#include <stdint.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/x509v3.h>
#include <p11cmp/p11cmp.h>

#include "err.h"

/* Fails the calling function with ret if its ctx argument is NULL. */
#define CHECK_CTX(ret)                              \
    do {                                            \
        if (ctx == NULL) {                          \
            p11cmp_raise(P11CMP_R_NULL_ARGUMENT);   \
            return ret;                             \
        }                                           \
    } while (0)


/* from asn1.c and asn1_crmf.c */
/*
 * The ASN.1 structures of CMP (RFC 4210/9480) and CRMF (RFC 4211). Field
 * names follow the RFCs (and OpenSSL's cmp_local.h / crmf_local.h). Every
 * type has an ASN1_ITEM p11cmp_X_it and, where other files need them,
 * p11cmp_X_new/free, d2i_/i2d_p11cmp_X and p11cmp_X_dup.
 */
#include <openssl/x509.h>
#include <openssl/x509v3.h>

typedef STACK_OF(ASN1_UTF8STRING) p11cmp_PKIFREETEXT;

/* CRMF CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER } */
typedef struct p11cmp_crmf_certid_st {
    GENERAL_NAME *issuer;
    ASN1_INTEGER *serialNumber;
} p11cmp_CRMF_CERTID;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_CERTID)
DECLARE_ASN1_DUP_FUNCTION(p11cmp_CRMF_CERTID)
DEFINE_STACK_OF(p11cmp_CRMF_CERTID)

/*
 * AttributeTypeAndValue of Controls and regInfo: the value of
 * id-regCtrl-oldCertID (NID_id_regCtrl_oldCertID) is decoded to a CertId,
 * every other value is kept as it came (ASN1_TYPE).
 */
typedef struct p11cmp_crmf_atav_st {
    ASN1_OBJECT *type;
    union {
        p11cmp_CRMF_CERTID *oldCertID;
        ASN1_TYPE *other;
    } value;
    X509_ALGOR *algId;      /* not encoded: value.other of id-regCtrl-algId
                             * decoded, for P11CMP_ATAV_get0_algId() */
} p11cmp_CRMF_ATAV;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_ATAV)
DEFINE_STACK_OF(p11cmp_CRMF_ATAV)

/* OptionalValidity ::= SEQUENCE { notBefore [0] Time OPT, notAfter [1] } */
typedef struct p11cmp_crmf_optionalvalidity_st {
    ASN1_TIME *notBefore;
    ASN1_TIME *notAfter;
} p11cmp_CRMF_OPTIONALVALIDITY;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_OPTIONALVALIDITY)

/* CertTemplate (RFC 4211 5): every field OPTIONAL, tags [0]..[9] */
typedef struct p11cmp_crmf_certtemplate_st {
    ASN1_INTEGER *version;
    ASN1_INTEGER *serialNumber;
    X509_ALGOR *signingAlg;
    X509_NAME *issuer;
    p11cmp_CRMF_OPTIONALVALIDITY *validity;
    X509_NAME *subject;
    X509_PUBKEY *publicKey;
    ASN1_BIT_STRING *issuerUID;
    ASN1_BIT_STRING *subjectUID;
    STACK_OF(X509_EXTENSION) *extensions;
} p11cmp_CRMF_CERTTEMPLATE;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_CERTTEMPLATE)
DECLARE_ASN1_DUP_FUNCTION(p11cmp_CRMF_CERTTEMPLATE)

/* CertRequest ::= SEQUENCE { certReqId, certTemplate, controls OPT } */
typedef struct p11cmp_crmf_certrequest_st {
    ASN1_INTEGER *certReqId;
    p11cmp_CRMF_CERTTEMPLATE *certTemplate;
    STACK_OF(p11cmp_CRMF_ATAV) *controls;
} p11cmp_CRMF_CERTREQUEST;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_CERTREQUEST)

/* PKMACValue ::= SEQUENCE { algId AlgorithmIdentifier, value BIT STRING } */
typedef struct p11cmp_crmf_pkmacvalue_st {
    X509_ALGOR *algId;
    ASN1_BIT_STRING *value;
} p11cmp_CRMF_PKMACVALUE;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_PKMACVALUE)

/* authInfo CHOICE { sender [0] GeneralName, publicKeyMAC PKMACValue } */
#define P11CMP_CRMF_POPOSKINPUT_SENDER       0
#define P11CMP_CRMF_POPOSKINPUT_PUBLICKEYMAC 1
typedef struct p11cmp_crmf_poposkinput_authinfo_st {
    int type;
    union {
        GENERAL_NAME *sender;
        p11cmp_CRMF_PKMACVALUE *publicKeyMAC;
    } value;
} p11cmp_CRMF_POPOSKINPUT_AUTHINFO;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_POPOSKINPUT_AUTHINFO)

/* POPOSigningKeyInput ::= SEQUENCE { authInfo, publicKey SPKI } */
typedef struct p11cmp_crmf_poposkinput_st {
    p11cmp_CRMF_POPOSKINPUT_AUTHINFO *authInfo;
    X509_PUBKEY *publicKey;
} p11cmp_CRMF_POPOSKINPUT;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_POPOSKINPUT)

/*
 * POPOSigningKey ::= SEQUENCE { poposkInput [0] OPT, algorithmIdentifier,
 * signature BIT STRING }. Without poposkInput the signature is computed
 * over the DER of the CertRequest (i2d_p11cmp_CRMF_CERTREQUEST).
 */
typedef struct p11cmp_crmf_poposigningkey_st {
    p11cmp_CRMF_POPOSKINPUT *poposkInput;
    X509_ALGOR *algorithmIdentifier;
    ASN1_BIT_STRING *signature;
} p11cmp_CRMF_POPOSIGNINGKEY;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_POPOSIGNINGKEY)

/*
 * POPOPrivKey CHOICE (keyEncipherment / keyAgreement). encryptedKey [4]
 * (a CMS EnvelopedData) is kept as the raw content of the SEQUENCE.
 */
#define P11CMP_CRMF_POPOPRIVKEY_THISMESSAGE       0
#define P11CMP_CRMF_POPOPRIVKEY_SUBSEQUENTMESSAGE 1
#define P11CMP_CRMF_POPOPRIVKEY_DHMAC             2
#define P11CMP_CRMF_POPOPRIVKEY_AGREEMAC          3
#define P11CMP_CRMF_POPOPRIVKEY_ENCRYPTEDKEY      4
#define P11CMP_CRMF_SUBSEQUENTMESSAGE_ENCRCERT    0
#define P11CMP_CRMF_SUBSEQUENTMESSAGE_CHALLENGERESP 1
typedef struct p11cmp_crmf_popoprivkey_st {
    int type;
    union {
        ASN1_BIT_STRING *thisMessage;
        ASN1_INTEGER *subsequentMessage;
        ASN1_BIT_STRING *dhMAC;
        p11cmp_CRMF_PKMACVALUE *agreeMAC;
        ASN1_STRING *encryptedKey;
    } value;
} p11cmp_CRMF_POPOPRIVKEY;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_POPOPRIVKEY)

/* ProofOfPossession CHOICE; type values equal P11CMP_POPO_* */
typedef struct p11cmp_crmf_popo_st {
    int type;
    union {
        ASN1_NULL *raVerified;
        p11cmp_CRMF_POPOSIGNINGKEY *signature;
        p11cmp_CRMF_POPOPRIVKEY *keyEncipherment;
        p11cmp_CRMF_POPOPRIVKEY *keyAgreement;
    } value;
} p11cmp_CRMF_POPO;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_POPO)

/* CertReqMsg ::= SEQUENCE { certReq, popo OPT, regInfo OPT } */
typedef struct p11cmp_crmf_msg_st {
    p11cmp_CRMF_CERTREQUEST *certReq;
    p11cmp_CRMF_POPO *popo;
    STACK_OF(p11cmp_CRMF_ATAV) *regInfo;
} p11cmp_CRMF_MSG;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_MSG)
DEFINE_STACK_OF(p11cmp_CRMF_MSG)
/* CertReqMessages ::= SEQUENCE SIZE (1..MAX) OF CertReqMsg */
typedef STACK_OF(p11cmp_CRMF_MSG) p11cmp_CRMF_MSGS;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_MSGS)

/* SinglePubInfo / PKIPublicationInfo (RFC 4211 6.3) */
typedef struct p11cmp_crmf_singlepubinfo_st {
    ASN1_INTEGER *pubMethod;
    GENERAL_NAME *pubLocation;
} p11cmp_CRMF_SINGLEPUBINFO;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_SINGLEPUBINFO)
DEFINE_STACK_OF(p11cmp_CRMF_SINGLEPUBINFO)
typedef struct p11cmp_crmf_pkipublicationinfo_st {
    ASN1_INTEGER *action;
    STACK_OF(p11cmp_CRMF_SINGLEPUBINFO) *pubInfos;
} p11cmp_CRMF_PKIPUBLICATIONINFO;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRMF_PKIPUBLICATIONINFO)

/*
 * InfoTypeAndValue; infoValue is OPTIONAL and kept as it came. For the
 * infoTypes of RFC 9810 that p11cmp knows (see asn1_genm.c) the value is
 * also held decoded in 'decoded' (an object of the ASN1_ITEM of 'kind'),
 * set on decoding, by the constructors and by P11CMP_ITAV_set0(), and
 * freed with the ITAV; the get0 functions hand out parts of it. NULL if
 * the value is absent or does not decode.
 */
struct p11cmp_itav_st {
    ASN1_OBJECT *infoType;
    ASN1_TYPE *infoValue;
    int kind;               /* not encoded: P11CMP_IT_*, or 0 */
    void *decoded;          /* not encoded */
};
DECLARE_ASN1_ITEM(p11cmp_ITAV)
typedef STACK_OF(P11CMP_ITAV) p11cmp_GENMSGCONTENT;
typedef STACK_OF(P11CMP_ITAV) p11cmp_GENREPCONTENT;

/* from asn1_genm.c: the values of the general messages of RFC 9810
 * 5.3.19 that p11cmp knows, and the infoType OIDs they belong to */
#define P11CMP_IT_CACERTS         1   /* id-it-caCerts, SEQUENCE OF cert */
#define P11CMP_IT_ROOTCAKEYUPDATE 2   /* id-it-rootCaKeyUpdate */
#define P11CMP_IT_CERTREQTEMPLATE 3   /* id-it-certReqTemplate */
#define P11CMP_IT_ROOTCACERT      4   /* id-it-rootCaCert, a cert */
#define P11CMP_IT_CRLSTATUSLIST   5   /* id-it-crlStatusList */
#define P11CMP_IT_CRLS            6   /* id-it-crls, SEQUENCE OF CRL */
#define P11CMP_IT_CERTPROFILE     7   /* id-it-certProfile (generalInfo) */
/* the new infoType OID of kind, a new object owned by the caller */
ASN1_OBJECT *p11cmp_it_obj(int kind);
/* the kind of infoType obj, or 0 for any other type */
int p11cmp_it_kind(const ASN1_OBJECT *obj);
/* the ASN1_ITEM of the values of kind, or NULL */
const ASN1_ITEM *p11cmp_it_item(int kind);
/* the keySpec ATAV types (RFC 9810 5.3.19.16) */
#define P11CMP_REGCTRL_ALGID     1    /* id-regCtrl-algId */
#define P11CMP_REGCTRL_RSAKEYLEN 2    /* id-regCtrl-rsaKeyLen */
int p11cmp_regctrl_kind(const ASN1_OBJECT *obj);
ASN1_OBJECT *p11cmp_regctrl_obj(int kind);
/* the decoded view of an ITAV (struct p11cmp_itav_st): set it from the
 * type and value, drop it, get it (1, or 0 with an error if itav is not
 * of kind or its value did not decode), make a new ITAV of kind from a
 * decoded value (taken on success; NULL for an ITAV without value) */
void p11cmp_itav_decode(P11CMP_ITAV *itav);
int p11cmp_any_ok(const ASN1_TYPE *any);
void p11cmp_itav_drop_decoded(P11CMP_ITAV *itav);
int p11cmp_itav_get0_decoded(const P11CMP_ITAV *itav, int kind,
                             const char *name, void **out);
P11CMP_ITAV *p11cmp_itav_new_decoded(int kind, void *decoded);

/* RootCaKeyUpdateContent (RFC 9810 5.3.19.15) */
typedef struct p11cmp_rootcakeyupdate_st {
    X509 *newWithNew;
    X509 *newWithOld;       /* [0] OPTIONAL */
    X509 *oldWithNew;       /* [1] OPTIONAL */
} p11cmp_ROOTCAKEYUPDATE;
DECLARE_ASN1_FUNCTIONS(p11cmp_ROOTCAKEYUPDATE)

/* CertReqTemplateContent ::= SEQUENCE { certTemplate, keySpec OPT } */
typedef struct p11cmp_certreqtemplate_st {
    p11cmp_CRMF_CERTTEMPLATE *certTemplate;
    STACK_OF(P11CMP_ATAV) *keySpec;
} p11cmp_CERTREQTEMPLATE;
DECLARE_ASN1_FUNCTIONS(p11cmp_CERTREQTEMPLATE)

/* CRLSource ::= CHOICE { dpn [0] DistributionPointName,
 * issuer [1] GeneralNames } */
#define P11CMP_CRLSOURCE_DPN    0
#define P11CMP_CRLSOURCE_ISSUER 1
typedef struct p11cmp_crlsource_st {
    int type;
    union {
        DIST_POINT_NAME *dpn;
        GENERAL_NAMES *issuer;
    } value;
} p11cmp_CRLSOURCE;
DECLARE_ASN1_FUNCTIONS(p11cmp_CRLSOURCE)

/* CRLStatus ::= SEQUENCE { source CRLSource, thisUpdate Time OPT } */
struct p11cmp_crlstatus_st {
    p11cmp_CRLSOURCE *source;
    ASN1_TIME *thisUpdate;
};
DECLARE_ASN1_ITEM(p11cmp_CRLSTATUS)
P11CMP_CRLSTATUS *p11cmp_CRLSTATUS_new(void);
void p11cmp_CRLSTATUS_free(P11CMP_CRLSTATUS *st);
P11CMP_CRLSTATUS *p11cmp_CRLSTATUS_dup(const P11CMP_CRLSTATUS *st);
DECLARE_ASN1_ITEM(p11cmp_CRLSTATUSLIST)
DECLARE_ASN1_ITEM(p11cmp_CERTS)
DECLARE_ASN1_ITEM(p11cmp_CRLS)
DECLARE_ASN1_ITEM(p11cmp_ATAVS)
DECLARE_ASN1_ITEM(p11cmp_UTF8STRINGS)

/* PKIStatusInfo ::= SEQUENCE { status, statusString OPT, failInfo OPT } */
struct p11cmp_pkisi_st {
    P11CMP_PKISTATUS *status;
    p11cmp_PKIFREETEXT *statusString;
    P11CMP_PKIFAILUREINFO *failInfo;
};
DECLARE_ASN1_ITEM(p11cmp_PKISI)
DEFINE_STACK_OF(P11CMP_PKISI)

/* PBMParameter (RFC 4210 5.1.3.1) */
typedef struct p11cmp_pbmparameter_st {
    ASN1_OCTET_STRING *salt;
    X509_ALGOR *owf;
    ASN1_INTEGER *iterationCount;
    X509_ALGOR *mac;
} p11cmp_PBMPARAMETER;
DECLARE_ASN1_FUNCTIONS(p11cmp_PBMPARAMETER)

/* CertOrEncCert CHOICE { certificate [0], encryptedCert [1] } */
#define P11CMP_CERTORENCCERT_CERTIFICATE   0
#define P11CMP_CERTORENCCERT_ENCRYPTEDCERT 1
typedef struct p11cmp_certorenccert_st {
    int type;
    union {
        X509 *certificate;
        ASN1_TYPE *encryptedCert; /* EncryptedKey, kept as it came */
    } value;
} p11cmp_CERTORENCCERT;
DECLARE_ASN1_FUNCTIONS(p11cmp_CERTORENCCERT)

/* CertifiedKeyPair; privateKey (EncryptedKey) is kept as it came */
typedef struct p11cmp_certifiedkeypair_st {
    p11cmp_CERTORENCCERT *certOrEncCert;
    ASN1_TYPE *privateKey;
    p11cmp_CRMF_PKIPUBLICATIONINFO *publicationInfo;
} p11cmp_CERTIFIEDKEYPAIR;
DECLARE_ASN1_FUNCTIONS(p11cmp_CERTIFIEDKEYPAIR)

/* CertResponse ::= SEQUENCE { certReqId, status, certifiedKeyPair OPT,
 * rspInfo OPT } */
typedef struct p11cmp_certresponse_st {
    ASN1_INTEGER *certReqId;
    P11CMP_PKISI *status;
    p11cmp_CERTIFIEDKEYPAIR *certifiedKeyPair;
    ASN1_OCTET_STRING *rspInfo;
} p11cmp_CERTRESPONSE;
DECLARE_ASN1_FUNCTIONS(p11cmp_CERTRESPONSE)
DEFINE_STACK_OF(p11cmp_CERTRESPONSE)

/* CertRepMessage ::= SEQUENCE { caPubs [1] OPT, response } */
typedef struct p11cmp_certrepmessage_st {
    STACK_OF(X509) *caPubs;
    STACK_OF(p11cmp_CERTRESPONSE) *response;
} p11cmp_CERTREPMESSAGE;
DECLARE_ASN1_FUNCTIONS(p11cmp_CERTREPMESSAGE)

/* RevDetails ::= SEQUENCE { certDetails CertTemplate, crlEntryDetails } */
typedef struct p11cmp_revdetails_st {
    p11cmp_CRMF_CERTTEMPLATE *certDetails;
    STACK_OF(X509_EXTENSION) *crlEntryDetails;
} p11cmp_REVDETAILS;
DECLARE_ASN1_FUNCTIONS(p11cmp_REVDETAILS)
DEFINE_STACK_OF(p11cmp_REVDETAILS)
typedef STACK_OF(p11cmp_REVDETAILS) p11cmp_REVREQCONTENT;

/* RevRepContent ::= SEQUENCE { status, revCerts [0] OPT, crls [1] OPT } */
typedef struct p11cmp_revrepcontent_st {
    STACK_OF(P11CMP_PKISI) *status;
    STACK_OF(p11cmp_CRMF_CERTID) *revCerts;
    STACK_OF(X509_CRL) *crls;
} p11cmp_REVREPCONTENT;
DECLARE_ASN1_FUNCTIONS(p11cmp_REVREPCONTENT)

/* CertStatus ::= SEQUENCE { certHash, certReqId, statusInfo OPT,
 * hashAlg [0] OPT (RFC 9480) } */
typedef struct p11cmp_certstatus_st {
    ASN1_OCTET_STRING *certHash;
    ASN1_INTEGER *certReqId;
    P11CMP_PKISI *statusInfo;
    X509_ALGOR *hashAlg;
} p11cmp_CERTSTATUS;
DECLARE_ASN1_FUNCTIONS(p11cmp_CERTSTATUS)
DEFINE_STACK_OF(p11cmp_CERTSTATUS)
typedef STACK_OF(p11cmp_CERTSTATUS) p11cmp_CERTCONFIRMCONTENT;

/* ErrorMsgContent ::= SEQUENCE { pKIStatusInfo, errorCode OPT,
 * errorDetails OPT } */
typedef struct p11cmp_errormsgcontent_st {
    P11CMP_PKISI *pKIStatusInfo;
    ASN1_INTEGER *errorCode;
    p11cmp_PKIFREETEXT *errorDetails;
} p11cmp_ERRORMSGCONTENT;
DECLARE_ASN1_FUNCTIONS(p11cmp_ERRORMSGCONTENT)

/* PollReqContent ::= SEQUENCE OF SEQUENCE { certReqId } */
typedef struct p11cmp_pollreq_st {
    ASN1_INTEGER *certReqId;
} p11cmp_POLLREQ;
DECLARE_ASN1_FUNCTIONS(p11cmp_POLLREQ)
DEFINE_STACK_OF(p11cmp_POLLREQ)
typedef STACK_OF(p11cmp_POLLREQ) p11cmp_POLLREQCONTENT;

/* PollRepContent ::= SEQUENCE OF SEQUENCE { certReqId, checkAfter,
 * reason OPT } */
typedef struct p11cmp_pollrep_st {
    ASN1_INTEGER *certReqId;
    ASN1_INTEGER *checkAfter;
    p11cmp_PKIFREETEXT *reason;
} p11cmp_POLLREP;
DECLARE_ASN1_FUNCTIONS(p11cmp_POLLREP)
DEFINE_STACK_OF(p11cmp_POLLREP)
typedef STACK_OF(p11cmp_POLLREP) p11cmp_POLLREPCONTENT;

/* PKIHeader (RFC 4210 5.1.1); pvno P11CMP_PVNO_2 (cmp2000) or
 * P11CMP_PVNO_3 (cmp2021) accepted; requests carry P11CMP_PVNO (2), or 3
 * where RFC 9480 asks */
struct p11cmp_pkiheader_st {
    ASN1_INTEGER *pvno;
    GENERAL_NAME *sender;
    GENERAL_NAME *recipient;
    ASN1_GENERALIZEDTIME *messageTime;
    X509_ALGOR *protectionAlg;
    ASN1_OCTET_STRING *senderKID;
    ASN1_OCTET_STRING *recipKID;
    ASN1_OCTET_STRING *transactionID;
    ASN1_OCTET_STRING *senderNonce;
    ASN1_OCTET_STRING *recipNonce;
    p11cmp_PKIFREETEXT *freeText;
    STACK_OF(P11CMP_ITAV) *generalInfo;
};
DECLARE_ASN1_ITEM(p11cmp_PKIHEADER)

/*
 * PKIBody CHOICE. type is the tag number, one of P11CMP_PKIBODY_*. Bodies
 * p11cmp does not support (popdecc, krr, ccr, nested, ...) decode into
 * value.other; d2i_P11CMP_MSG() rejects them with
 * P11CMP_R_UNKNOWN_BODY_TYPE.
 */
typedef struct p11cmp_pkibody_st {
    int type;
    union {
        p11cmp_CRMF_MSGS *ir;                /* 0 */
        p11cmp_CERTREPMESSAGE *ip;           /* 1 */
        p11cmp_CRMF_MSGS *cr;                /* 2 */
        p11cmp_CERTREPMESSAGE *cp;           /* 3 */
        X509_REQ *p10cr;                     /* 4 */
        p11cmp_CRMF_MSGS *kur;               /* 7 */
        p11cmp_CERTREPMESSAGE *kup;          /* 8 */
        p11cmp_REVREQCONTENT *rr;            /* 11 */
        p11cmp_REVREPCONTENT *rp;            /* 12 */
        ASN1_NULL *pkiconf;                  /* 19 */
        p11cmp_GENMSGCONTENT *genm;          /* 21 */
        p11cmp_GENREPCONTENT *genp;          /* 22 */
        p11cmp_ERRORMSGCONTENT *error;       /* 23 */
        p11cmp_CERTCONFIRMCONTENT *certConf; /* 24 */
        p11cmp_POLLREQCONTENT *pollReq;      /* 25 */
        p11cmp_POLLREPCONTENT *pollRep;      /* 26 */
        ASN1_TYPE *other;                    /* unsupported bodies */
    } value;
} p11cmp_PKIBODY;
DECLARE_ASN1_FUNCTIONS(p11cmp_PKIBODY)

/*
 * PKIMessage. The fields after extraCerts are not part of the encoding:
 * rcvd_protpart holds the DER of ProtectedPart ::= SEQUENCE { header, body }
 * rebuilt from the header and body bytes EXACTLY as received (set by
 * d2i_P11CMP_MSG() and P11CMP_MSG_read(), kept by P11CMP_MSG_dup(), NULL
 * for messages built locally). See p11cmp_MSG_protected_part_der().
 */
struct p11cmp_msg_st {
    P11CMP_PKIHEADER *header;
    p11cmp_PKIBODY *body;
    ASN1_BIT_STRING *protection;
    STACK_OF(X509) *extraCerts;
    unsigned char *rcvd_protpart;
    size_t rcvd_protpart_len;
    OSSL_LIB_CTX *libctx;
    char *propq;
};
DECLARE_ASN1_ITEM(p11cmp_MSG)

/* ProtectedPart ::= SEQUENCE { header, body }: what protection covers */
typedef struct p11cmp_protectedpart_st {
    P11CMP_PKIHEADER *header;
    p11cmp_PKIBODY *body;
} p11cmp_PROTECTEDPART;
DECLARE_ASN1_FUNCTIONS(p11cmp_PROTECTEDPART)

/*
 * Internal constructors of the public types; the public functions
 * (include/p11cmp/msg.h) mirror OpenSSL's set, which has no MSG_new.
 * Each _new returns an empty object owned by the caller, or NULL.
 */
P11CMP_MSG *p11cmp_MSG_new(void);
void p11cmp_MSG_free(P11CMP_MSG *msg);
P11CMP_ITAV *p11cmp_ITAV_new(void);
void p11cmp_ITAV_free(P11CMP_ITAV *itav);
/* a deep copy of hdr owned by the caller, or NULL */
P11CMP_PKIHEADER *p11cmp_PKIHEADER_dup(const P11CMP_PKIHEADER *hdr);

/* from ctx.c */
/*
 * The CMP client context. ctx.c owns every field: it allocates, copies,
 * frees and resets them; the other files read them directly and change
 * only the results and transaction state, through the p11cmp_ctx_ setters
 * below. Who reads what:
 * - client.c: options (implicitConfirm, disableConfirm, total_timeout,
 *   revocationReason, popoMethod), certConf_cb/_arg, genm_ITAVs, oldCert,
 *   end_time; it sets the results (status, statusString, failInfoCode,
 *   newCert, newChain, caPubs, extraCertsIn).
 * - msg.c / hdr.c: recipient, geninfo_ITAVs, transactionID, senderNonce,
 *   recipNonce, implicitConfirm, the certificate template fields (newPkey,
 *   issuer, subjectName, subjectAltNames, reqExtensions, policies, days,
 *   the *_critical / SAN_nodefault flags), oldCert, p10CSR, cert.
 * - protect.c: secretValue, referenceValue, pbm_owf, pbm_mac, pbm_itercnt,
 *   pbm_slen, cert, chain, pkey, digest, extraCertsOut, untrusted,
 *   unprotectedSend.
 * - verify.c: srvCert, expected_sender, trusted, untrusted,
 *   unprotectedErrors, ignore_keyusage, permitTAInExtraCertsForIR,
 *   no_cache_extracerts (adds received extraCerts to untrusted unless),
 *   secretValue, pbm_max_itercnt, pbm_max_slen, max_certs,
 *   transactionID, senderNonce; it sets validatedSrvCert.
 * - http.c: server, serverPort, serverPath (NULL means "/"), proxy,
 *   no_proxy, http_cb/_arg, keep_alive, msg_timeout, max_resp_len,
 *   http_ctx (the kept-alive connection; ctx.c closes it on reinit/free).
 * - store.c and pkcs11/: store_results, token (session state, freed with
 *   token_free on P11CMP_CTX_free).
 */
struct p11cmp_ctx_st {
    OSSL_LIB_CTX *libctx;
    char *propq;

    /* logging */
    P11CMP_log_cb_t log_cb;
    int log_verbosity;

    /* message transfer */
    P11CMP_transfer_cb_t transfer_cb;
    void *transfer_cb_arg;
    char *serverPath;
    char *server;
    int serverPort;
    char *proxy;
    char *no_proxy;
    int keep_alive;             /* 0, 1 prefer, 2 require */
    int use_tls;                /* 1, 0, -1: TLS iff http_cb_arg */
    int msg_timeout;            /* seconds, 0 = infinite */
    int total_timeout;          /* seconds, 0 = infinite */
    size_t max_resp_len;        /* cap on a response's DER size */
    OSSL_HTTP_bio_cb_t http_cb;
    void *http_cb_arg;
    OSSL_HTTP_REQ_CTX *http_ctx; /* open connection, owned by http.c */
    int http_fd;                /* its socket, set by http.c on connect */
    time_t end_time;            /* deadline of TOTAL_TIMEOUT, 0 = none */
    int max_poll_time;          /* bound on polling without end_time */
    time_t poll_end;            /* its deadline, set at the first poll */

    /* server authentication */
    int unprotectedErrors;
    int ignore_keyusage;
    int permitTAInExtraCertsForIR;
    int no_cache_extracerts;    /* do not add extraCerts to untrusted */
    X509 *srvCert;              /* pinned server cert */
    X509 *validatedSrvCert;     /* sender cert validated this transaction */
    X509_NAME *expected_sender;
    X509_STORE *trusted;        /* never NULL */
    STACK_OF(X509) *untrusted;  /* never NULL */
    int max_certs;              /* cap on extraCerts/caPubs received */
    int pbm_max_itercnt;        /* cap on a received PBM iteration count */
    int pbm_max_slen;           /* cap on a received PBM salt length */

    /* client authentication */
    int unprotectedSend;
    X509 *cert;
    STACK_OF(X509) *chain;      /* from build_cert_chain, cert first */
    EVP_PKEY *pkey;
    ASN1_OCTET_STRING *referenceValue;
    ASN1_OCTET_STRING *secretValue; /* cleansed before free */
    int pbm_owf;                /* NID of the one-way function */
    int pbm_mac;                /* NID of the HMAC */
    int pbm_itercnt;
    int pbm_slen;               /* salt length in bytes */
    int digest;                 /* NID for signatures and POPO */

    /* message header and extra certificates */
    X509_NAME *recipient;
    STACK_OF(P11CMP_ITAV) *geninfo_ITAVs;
    int implicitConfirm;
    int disableConfirm;
    STACK_OF(X509) *extraCertsOut;

    /* certificate template */
    EVP_PKEY *newPkey;
    int newPkey_priv;
    struct p11cmp_p11_token_st *centralKey_tok; /* ctx_token.c: the token
                                                 * for a central key */
    X509_PUBKEY *tmpl_spki;     /* msg.c: SPKI of tmpl_spki_key, */
    EVP_PKEY *tmpl_spki_key;    /* the last key certified (held) */
    X509_NAME *issuer;
    int days;
    X509_NAME *subjectName;
    STACK_OF(GENERAL_NAME) *subjectAltNames;
    int SubjectAltName_nodefault;
    int setSubjectAltNameCritical;
    X509_EXTENSIONS *reqExtensions;
    CERTIFICATEPOLICIES *policies;
    int setPoliciesCritical;
    int popoMethod;
    X509 *oldCert;
    ASN1_INTEGER *serialNumber; /* with issuer: the cert to revoke */
    X509_REQ *p10CSR;

    /* misc body contents */
    int revocationReason;       /* -1 = none */
    STACK_OF(P11CMP_ITAV) *genm_ITAVs;

    /* certificate confirmation */
    P11CMP_certConf_cb_t certConf_cb;
    void *certConf_cb_arg;

    /* transaction state, dropped by reinit */
    ASN1_OCTET_STRING *transactionID;
    ASN1_OCTET_STRING *senderNonce; /* last one sent */
    ASN1_OCTET_STRING *recipNonce;  /* for the next request */

    /* results of the last transaction, dropped by reinit */
    int status;                 /* PKIStatus or -1 */
    P11CMP_PKIFREETEXT *statusString;
    int failInfoCode;           /* bit field or -1 */
    X509 *newCert;
    STACK_OF(X509) *newChain;
    STACK_OF(X509) *caPubs;
    STACK_OF(X509) *extraCertsIn;

    /* token and session layer (store.c, pkcs11/) */
    int store_results;          /* write results to the token, default 1 */
    int store_keep_old;         /* KUR: relabel the old pair, not delete */
    int store_remove_revoked;   /* RR: 0 keep, 1 remove cert, 2 and key */
    void *token;
    void (*token_free)(void *token);
};

/*
 * Logs the printf-style message at level through ctx's log callback if
 * level <= the LOG_VERBOSITY option; drops it when ctx or the callback is
 * NULL. Returns 1, or 0 if the callback failed. Callers never pass
 * secrets (PINs, MAC secrets, key material) in the message.
 */
int p11cmp_ctx_log(const P11CMP_CTX *ctx, P11CMP_severity level,
                   const char *func, const char *file, int line,
                   const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 6, 7)))
#endif
    ;
#define p11cmp_log(ctx, level, ...) \
    p11cmp_ctx_log((ctx), (level), OPENSSL_FUNC, OPENSSL_FILE, \
                   OPENSSL_LINE, __VA_ARGS__)
#define p11cmp_log_err(ctx, ...) p11cmp_log(ctx, P11CMP_LOG_ERR, __VA_ARGS__)
#define p11cmp_log_warn(ctx, ...) \
    p11cmp_log(ctx, P11CMP_LOG_WARNING, __VA_ARGS__)
#define p11cmp_log_info(ctx, ...) \
    p11cmp_log(ctx, P11CMP_LOG_INFO, __VA_ARGS__)
#define p11cmp_log_debug(ctx, ...) \
    p11cmp_log(ctx, P11CMP_LOG_DEBUG, __VA_ARGS__)
#define p11cmp_log_trace(ctx, ...) \
    p11cmp_log(ctx, P11CMP_LOG_TRACE, __VA_ARGS__)

/* setters of results and transaction state: 1 on success, 0 on error */
int p11cmp_ctx_set_status(P11CMP_CTX *ctx, int status);
int p11cmp_ctx_set_failInfoCode(P11CMP_CTX *ctx, int bits);
/* takes text (may be NULL) */
int p11cmp_ctx_set0_statusString(P11CMP_CTX *ctx, P11CMP_PKIFREETEXT *text);
/* takes cert (may be NULL) */
int p11cmp_ctx_set0_newCert(P11CMP_CTX *ctx, X509 *cert);
/* these up-ref the certs (the stack is copied); NULL clears */
int p11cmp_ctx_set1_newChain(P11CMP_CTX *ctx, STACK_OF(X509) *certs);
int p11cmp_ctx_set1_caPubs(P11CMP_CTX *ctx, STACK_OF(X509) *certs);
int p11cmp_ctx_set1_extraCertsIn(P11CMP_CTX *ctx, STACK_OF(X509) *certs);
int p11cmp_ctx_set1_validatedSrvCert(P11CMP_CTX *ctx, X509 *cert);
/* copies nonce (may be NULL to clear) */
int p11cmp_ctx_set1_recipNonce(P11CMP_CTX *ctx,
                               const ASN1_OCTET_STRING *nonce);
/*
 * The public key to be certified (borrowed): newPkey, else the CSR's key,
 * else oldCert's, else cert's, else pkey; NULL if none.
 */
EVP_PKEY *p11cmp_ctx_get0_newPubkey(const P11CMP_CTX *ctx);
/*
 * A copy of csr made through its DER (in libctx / propq), for the CSR
 * kept by set1_p10CSR and the one sent in a P10CR: X509_REQ_dup() also
 * copies the public key object a CSR built with X509_REQ_set_pubkey()
 * holds, which for a token key is a copy of the token key itself. The
 * copy holds the public key decoded from the DER, in libctx. New
 * object, or NULL with P11CMP_R_ASN1_ENCODE_ERROR / _DECODE_ERROR.
 */
X509_REQ *p11cmp_X509_REQ_dup(const X509_REQ *csr, OSSL_LIB_CTX *libctx,
                              const char *propq);
/*
 * For a PBM MAC NID (e.g. NID_hmacWithSHA256) gives the NID of its digest
 * in *md_nid; returns 1, or 0 if mac_nid names no HMAC known to libcrypto.
 */
int p11cmp_hmac_nid_to_md_nid(int mac_nid, int *md_nid);

/* from msg_io.c */
/*
 * The DER of msg's ProtectedPart ::= SEQUENCE { header, body }, the input
 * of PBM and signature protection. Sets *der to a new buffer (the caller
 * OPENSSL_free()s it) and returns its length, or -1 on error.
 *
 * as_received = 1 is for VERIFYING a received message: d2i_P11CMP_MSG()
 * keeps the header and body bytes exactly as they arrived, and the DER is
 * rebuilt from them, so protection is checked over what the sender sent
 * (re-encoding, as OpenSSL does, could differ from the received bytes
 * wherever libcrypto's decoder accepts a non-canonical form, and would
 * then reject a valid message or verify bytes nobody sent). Messages
 * built locally, copies that lost it, or input with indefinite lengths
 * fall back to a fresh encoding.
 * as_received = 0 is for PROTECTING a message: always a fresh encoding of
 * the current header and body. Code that modifies a received message and
 * then verifies it again must call p11cmp_MSG_forget_received() first.
 */
int p11cmp_MSG_protected_part_der(const P11CMP_MSG *msg, int as_received,
                                  unsigned char **der);
/* Drops the received DER kept in msg (after modifying header or body). */
void p11cmp_MSG_forget_received(P11CMP_MSG *msg);
/*
 * d2i_P11CMP_MSG() giving the message and the certificates in it libctx
 * and propq (both may be NULL; propq is copied). Advances *in past the
 * message; returns a new message owned by the caller, or NULL.
 */
P11CMP_MSG *p11cmp_MSG_d2i_ex(const unsigned char **in, long len,
                              OSSL_LIB_CTX *libctx, const char *propq);

/* from store.c */
/*
 * The session layer: what a transaction leaves on the PKCS#11 token.
 * client.c calls these at the end of a transaction; none of them sends a
 * message. They act only on token keys (pkcs11/), for software keys
 * there is nothing to do and they succeed.
 *
 * p11cmp_store_commit: call once the new certificate of an IR/CR/P10CR/
 * KUR (req_type P11CMP_IR, P11CMP_CR, P11CMP_P10CR or P11CMP_KUR) is
 * accepted AND confirmed: PKIConf received for our certConf, implicit
 * confirm granted, or DISABLE_CONFIRM set; ctx->newCert, newChain and
 * caPubs must be set by then. If the key certified (ctx->newPkey, else
 * ctx->pkey, whichever is a token key whose public key is the one in
 * newCert) is on a token and P11CMP_OPT_STORE_RESULTS is on (default),
 * stores newCert there with the key's CKA_ID and CKA_LABEL, and newChain
 * and caPubs as authority certificates (skipping any already present).
 * A key pair made by P11CMP_CTX_generate_newPkey() becomes permanent
 * (also with STORE_RESULTS off). For KUR, only after all that, the old
 * certificate (ctx->oldCert, else ctx->cert) and its key pair are retired:
 * relabelled if P11CMP_OPT_KEEP_OLD is set (all or nothing with the
 * rest), else deleted (after the commit; a failure there is logged as a
 * warning and leaves old objects behind, never the new ones missing).
 * Returns 1 on success (also when there is nothing to store). On error
 * returns 0 with the reason on the error queue, having removed again
 * everything this call wrote AND a generated key pair (as
 * p11cmp_store_abort() does): the caller must then fail the transaction.
 */
int p11cmp_store_commit(P11CMP_CTX *ctx, int req_type);
/*
 * Call when a transaction fails at any point after it began (rejection,
 * error message, protocol or transfer error, timeout, certConf rejected
 * by the callback or the server, p11cmp_store_commit() failed): destroys
 * the key pair P11CMP_CTX_generate_newPkey() made if it is still
 * provisional (ctx->newPkey then names a key that is gone: generate a
 * new one before trying again). Never fails (a failed undo is logged and
 * left on the error queue as P11CMP_R_ROLLBACK_FAILED); a no-op when there
 * is nothing to undo, so calling it twice is fine.
 */
void p11cmp_store_abort(P11CMP_CTX *ctx);
/*
 * Call after an RR that revoked ctx->oldCert was answered with accepted
 * (or grantedWithMods) status. With P11CMP_OPT_REMOVE_REVOKED 1 removes the
 * certificate objects with oldCert's DER from the token of ctx->pkey
 * (else of ctx->newPkey), with 2 also the key objects with their CKA_ID.
 * 1 on success or when there is nothing to do (option 0, no token key, cert
 * not on the token); 0 on error (the revocation at the CA stands; the
 * caller reports the RR as failed).
 */
int p11cmp_store_revoked(P11CMP_CTX *ctx);

/* from http.c */
/*
 * Sends req (borrowed) and returns the response (owned by the caller,
 * with its received DER kept): through ctx's transfer_cb if set, else
 * P11CMP_MSG_http_perform() over ctx's kept-alive connection. Bounded by
 * MSG_TIMEOUT and by the deadline set with p11cmp_ctx_start_timer()
 * (P11CMP_R_TOTAL_TIMEOUT once it has passed). NULL on error, with
 * P11CMP_R_TRANSFER_ERROR (server URL in the error data),
 * P11CMP_R_RESPONSE_TOO_LARGE (over ctx->max_resp_len),
 * P11CMP_R_TOTAL_TIMEOUT, P11CMP_R_MISSING_SERVER or a decoding error;
 * the connection is closed on any error.
 */
P11CMP_MSG *p11cmp_ctx_transfer(P11CMP_CTX *ctx, const P11CMP_MSG *req);
/*
 * Starts the TOTAL_TIMEOUT clock of a transaction: ctx->end_time = now +
 * total_timeout, or 0 (no deadline) if the option is 0. client.c calls it
 * when a transaction begins; P11CMP_CTX_reinit() clears it.
 */
void p11cmp_ctx_start_timer(P11CMP_CTX *ctx);
/*
 * Closes the kept-alive connection of ctx, if any. ok: 1 at the normal
 * end of a transaction, 0 after an error (passed on to the http_cb).
 */
void p11cmp_http_close(P11CMP_CTX *ctx, int ok);

/* from hdr.c */
/* Length in bytes of the transactionID and senderNonce p11cmp creates */
#define P11CMP_NONCE_LEN 16
/*
 * Fills hdr (new from P11CMP_PKIHEADER_new()) for the next request of ctx:
 * pvno 2; sender = subject of cert, else of oldCert, else of p10CSR, else
 * subjectName, else the NULL-DN; recipient = ctx recipient, else subject
 * of srvCert, else issuer, else issuer of oldCert, else of cert, else the
 * NULL-DN; messageTime now; transactionID from ctx, created there first
 * (P11CMP_NONCE_LEN random bytes) if ctx has none; a fresh random
 * senderNonce, also stored in ctx->senderNonce; recipNonce =
 * ctx->recipNonce if set; generalInfo = copies of ctx->geninfo_ITAVs.
 * senderKID and protectionAlg are left to p11cmp_msg_protect(). 1 or 0.
 */
int p11cmp_hdr_init(P11CMP_CTX *ctx, P11CMP_PKIHEADER *hdr);
/* pvno of hdr (2 or 3), or -1 if hdr or its pvno is missing */
int p11cmp_hdr_get_pvno(const P11CMP_PKIHEADER *hdr);
int p11cmp_hdr_set_pvno(P11CMP_PKIHEADER *hdr, int pvno);
/* these copy their argument; a NULL name sets the NULL-DN */
int p11cmp_hdr_set1_sender(P11CMP_PKIHEADER *hdr, const X509_NAME *nm);
int p11cmp_hdr_set1_recipient(P11CMP_PKIHEADER *hdr, const X509_NAME *nm);
/* kid NULL clears the field */
int p11cmp_hdr_set1_senderKID(P11CMP_PKIHEADER *hdr,
                              const ASN1_OCTET_STRING *kid);
int p11cmp_hdr_update_messageTime(P11CMP_PKIHEADER *hdr);
/* appends a copy of itav to generalInfo */
int p11cmp_hdr_push1_generalInfo(P11CMP_PKIHEADER *hdr,
                                 const P11CMP_ITAV *itav);
/* adds the implicitConfirm ITAV (value NULL) unless it is there already */
int p11cmp_hdr_set_implicitConfirm(P11CMP_PKIHEADER *hdr);
/* 1 if generalInfo of hdr holds implicitConfirm, else 0 */
int p11cmp_hdr_has_implicitConfirm(const P11CMP_PKIHEADER *hdr);
/*
 * Replaces *field by a new octet string of len random bytes (drawn with
 * RAND_bytes_ex from libctx). 1, or 0 with P11CMP_R_RANDOM_FAILURE.
 */
int p11cmp_set_random_octets(ASN1_OCTET_STRING **field,
                             OSSL_LIB_CTX *libctx, int len);
/*
 * Replaces *field by a copy of src (NULL clears it). 1, or 0 with
 * P11CMP_R_MALLOC_FAILURE (*field unchanged).
 */
int p11cmp_octets_set1(ASN1_OCTET_STRING **field,
                       const ASN1_OCTET_STRING *src);

/* from msg.c */
/* the certReqId p11cmp uses for its single request of IR/CR/KUR (0) */
#define P11CMP_CERTREQID 0
/* certReqId of P10CR's response and of its pollReq (RFC 9480: -1) */
#define P11CMP_CERTREQID_NONE -1
/*
 * Every builder returns a new message owned by the caller (free with
 * P11CMP_MSG_free()), with the header from p11cmp_hdr_init() and, unless
 * said otherwise, protected by p11cmp_msg_protect(); NULL on error.
 *
 * p11cmp_msg_create: header only plus an EMPTY body of type bodytype (any
 * P11CMP_PKIBODY_ the ASN.1 layer supports; content left for the caller),
 * not protected; adds implicitConfirm to generalInfo for IR/CR/P10CR/KUR
 * when the IMPLICIT_CONFIRM option is set.
 */
P11CMP_MSG *p11cmp_msg_create(P11CMP_CTX *ctx, int bodytype);
/*
 * IR/CR/KUR with one CertReqMsg (certReqId P11CMP_CERTREQID, template and
 * POPO from ctx), or P10CR with ctx->p10CSR. bodytype is
 * P11CMP_PKIBODY_IR/CR/KUR/P10CR (== P11CMP_IR/CR/KUR/P10CR).
 */
P11CMP_MSG *p11cmp_certreq_new(P11CMP_CTX *ctx, int bodytype);
/*
 * spki.c: a new SubjectPublicKeyInfo of pkey (its public part), decoded
 * like a received one; NULL with an error if it cannot be made.
 */
X509_PUBKEY *p11cmp_spki_new(EVP_PKEY *pkey);
/* a copy of spki with the same DER (and key), or NULL */
X509_PUBKEY *p11cmp_spki_dup(const X509_PUBKEY *spki);
/* RR for ctx->oldCert (P11CMP_R_MISSING_REFERENCE_CERT if none) */
P11CMP_MSG *p11cmp_rr_new(P11CMP_CTX *ctx);
/* the cert RR revokes: issuer and serialNumber of ctx if both are set,
 * else those of oldCert (borrowed); 1, or 0 if neither (the RR is then
 * made from p10CSR) */
int p11cmp_rr_target(const P11CMP_CTX *ctx, const X509_NAME **issuer,
                     const ASN1_INTEGER **serial);
/* GENM with copies of ctx->genm_ITAVs (may be empty) */
P11CMP_MSG *p11cmp_genm_new(P11CMP_CTX *ctx);
/*
 * certConf for cert (borrowed; NULL means ctx->newCert) with certReqId.
 * certHash: see p11cmp_cert_hash(); for an EdDSA-signed cert hashAlg is
 * set and pvno is 3 (RFC 9480), which OpenSSL 3.0 peers cannot decode.
 * fail_info 0: status accepted; else rejection with these failInfo bits
 * and text (may be NULL) as statusString.
 */
P11CMP_MSG *p11cmp_certConf_new(P11CMP_CTX *ctx, int certReqId,
                                const X509 *cert, int fail_info,
                                const char *text);
/* pollReq for certReqId */
P11CMP_MSG *p11cmp_pollReq_new(P11CMP_CTX *ctx, int certReqId);
/*
 * error message with a copy of si, errorCode if >= 0 and details (may be
 * NULL) as errorDetails; not protected if unprotected is set.
 */
P11CMP_MSG *p11cmp_error_new(P11CMP_CTX *ctx, const P11CMP_PKISI *si,
                             int64_t errorCode, const char *details,
                             int unprotected);
/* a new PKIStatusInfo: status, failInfo bits (if != 0), text (if set) */
P11CMP_PKISI *p11cmp_pkisi_create(int status, int fail_info,
                                  const char *text);
/*
 * The certificate hash of certConf (RFC 4210 5.3.18, RFC 9480 2.10): the
 * digest of cert's DER with the hash of its signature algorithm, or for
 * EdDSA SHA-512 (Ed25519) / SHAKE256 with 64 bytes (Ed448, RFC 9481);
 * *md_nid receives the digest used and *explicit 1 if it must be named
 * in hashAlg (EdDSA). New octet string or NULL.
 */
ASN1_OCTET_STRING *p11cmp_cert_hash(OSSL_LIB_CTX *libctx, const char *propq,
                                    const X509 *cert, int *md_nid,
                                    int *explicit);

/* from protect.c */
/*
 * Protects msg (built locally) as ctx says: nothing if UNPROTECTED_SEND;
 * else PBM if a secretValue is set (senderKID = referenceValue); else a
 * signature with pkey if cert and pkey are set (senderKID = SKID of cert,
 * else referenceValue); else fails with P11CMP_R_MISSING_KEY.
 * protectionAlg is set in the header before the protection is computed
 * over the fresh DER of ProtectedPart. Then adds the extraCerts (see
 * p11cmp_msg_add_extraCerts()). 1 on success, 0 on error.
 */
int p11cmp_msg_protect(P11CMP_CTX *ctx, P11CMP_MSG *msg);
/*
 * Adds to msg->extraCerts (no duplicates): for signature protection cert
 * and its chain (ctx->chain, else built on demand from untrusted), then
 * ctx->extraCertsOut. 1 or 0.
 */
int p11cmp_msg_add_extraCerts(P11CMP_CTX *ctx, P11CMP_MSG *msg);
/* 1 if alg is id-PasswordBasedMAC (RFC 4210 PBM), else 0 */
int p11cmp_alg_is_pbm(const X509_ALGOR *alg);
/*
 * The PBM of RFC 4210 5.1.3.1 over the datalen bytes at data with the
 * secret and the decoded PBMParameter pbm. Checks the parameters first:
 * iterationCount > max_itercnt raises P11CMP_R_PBM_ITERATION_COUNT_TOO_HIGH
 * (< 1 P11CMP_R_WRONG_PROTECTION), a salt longer than max_slen
 * P11CMP_R_PBM_SALT_TOO_LONG, an unknown owf or mac
 * P11CMP_R_UNSUPPORTED_ALGORITHM. On success *mac is a new buffer (the
 * caller OPENSSL_free()s it) of *maclen bytes; returns 1, else 0.
 */
int p11cmp_pbm_mac(OSSL_LIB_CTX *libctx, const char *propq,
                   const p11cmp_PBMPARAMETER *pbm,
                   const unsigned char *secret, size_t secretlen,
                   const unsigned char *data, size_t datalen,
                   int max_itercnt, int max_slen,
                   unsigned char **mac, size_t *maclen);
/*
 * The protection value of msg for the protectionAlg in its header, over
 * the DER of ProtectedPart (as received if as_received, see
 * p11cmp_MSG_protected_part_der()): for PBM the MAC with ctx->secretValue
 * under the caps ctx->pbm_max_itercnt / pbm_max_slen (verify.c compares it
 * with CRYPTO_memcmp()); for a signature algorithm a new signature with
 * ctx->pkey. New bit string owned by the caller, or NULL: then the reason
 * is P11CMP_R_MISSING_PROTECTION (no protectionAlg), P11CMP_R_MISSING_KEY
 * (no secret / key), or one of p11cmp_pbm_mac()'s.
 */
ASN1_BIT_STRING *p11cmp_calc_protection(const P11CMP_CTX *ctx,
                                        const P11CMP_MSG *msg,
                                        int as_received);
/*
 * Verifies the signature protection of the RECEIVED msg with pubkey
 * (borrowed) over its ProtectedPart as received. protectionAlg may carry
 * parameters (RSASSA-PSS). 1 if valid; 0 with P11CMP_R_BAD_SIGNATURE if
 * not, P11CMP_R_MISSING_PROTECTION without protection or protectionAlg,
 * P11CMP_R_UNSUPPORTED_ALGORITHM if alg and key do not fit.
 */
int p11cmp_verify_signature(const P11CMP_CTX *ctx, const P11CMP_MSG *msg,
                            EVP_PKEY *pubkey);
/*
 * Signature helpers shared with msg.c (POPO). p11cmp_sigalg_new: the
 * AlgorithmIdentifier for signing with pkey and digest md_nid: RSA
 * PKCS#1 v1.5 (params NULL), RSASSA-PSS for RSA-PSS keys (hash = MGF1
 * hash = md, salt length = digest length), ECDSA (no params), Ed25519 /
 * Ed448 (md ignored). New X509_ALGOR or NULL (P11CMP_R_UNSUPPORTED_ALGORITHM).
 * p11cmp_sign_data: signs the len bytes at data with pkey as alg (from
 * p11cmp_sigalg_new) says, through EVP_DigestSign, so token-backed keys
 * work; sets sig to the signature. 1 or 0.
 */
X509_ALGOR *p11cmp_sigalg_new(EVP_PKEY *pkey, int md_nid);
int p11cmp_sign_data(OSSL_LIB_CTX *libctx, const char *propq,
                     EVP_PKEY *pkey, const X509_ALGOR *alg,
                     const unsigned char *data, size_t len,
                     ASN1_BIT_STRING *sig);
/*
 * Verifies sig over the len bytes at data with pubkey as alg says (also
 * RSASSA-PSS parameters). 1 valid, 0 invalid (P11CMP_R_BAD_SIGNATURE)
 * or error.
 */
int p11cmp_verify_data(OSSL_LIB_CTX *libctx, const char *propq,
                       EVP_PKEY *pubkey, const X509_ALGOR *alg,
                       const ASN1_BIT_STRING *sig,
                       const unsigned char *data, size_t len);

/* from status.c */
/* names of PKIStatus values and failInfo bit numbers; NULL if invalid */
const char *p11cmp_status_to_string(int status);
const char *p11cmp_failinfo_bit_to_string(int bit);
/*
 * The PKIStatus of si (0..6), or -1 with P11CMP_R_NULL_ARGUMENT /
 * P11CMP_R_UNEXPECTED_PKISTATUS if it is missing or out of range.
 */
int p11cmp_pkisi_get_status(const P11CMP_PKISI *si);
/* failInfo of si as bit field (bit n = P11CMP_PKIFAILUREINFO_ n), 0 if
 * absent, -1 if si is NULL */
int p11cmp_pkisi_get_failinfo_code(const P11CMP_PKISI *si);
/*
 * Writes one line describing si into buf (size bytes, truncated, always
 * NUL-terminated): status=NAME[; failInfo=a,b][; text="..." "..."].
 * Returns buf, or NULL if an argument is NULL or size is 0.
 */
char *p11cmp_pkisi_snprint(const P11CMP_PKISI *si, char *buf, size_t size);
/* Stores status, failInfoCode and a copy of statusString of si in the
 * results of ctx. 1 or 0. */
int p11cmp_ctx_save_pkisi(P11CMP_CTX *ctx, const P11CMP_PKISI *si);

/* from ctx_token.c */
/*
 * Puts the centrally generated key sw (taken) onto the token of
 * ctx->centralKey_uri, provisionally, and makes the token key newPkey.
 * Without that URI sw simply becomes newPkey. 1, or 0 (sw freed).
 */
int p11cmp_ctx_set0_central_key(P11CMP_CTX *ctx, EVP_PKEY *sw);
/* Closes ctx->centralKey_tok (P11CMP_CTX_free) */
void p11cmp_ctx_free_centralKey_tok(P11CMP_CTX *ctx);

/* from ckg.c */
/* 1 if ctx asks for central key generation (POPO_METHOD POPO_NONE) */
int p11cmp_ckg_requested(const P11CMP_CTX *ctx);
/*
 * The template key of a central key generation request: pkey's algorithm
 * with an empty BIT STRING as subjectPublicKey (new), or NULL.
 */
X509_PUBKEY *p11cmp_ckg_pubkey_new(EVP_PKEY *pkey);
/*
 * The private key in EncryptedKey enc (certifiedKeyPair.privateKey, as
 * received): envelopedData decrypted with ctx->pkey and ctx->cert (or,
 * without pkey, ctx->secretValue), its SignedData verified, its one
 * signer validated against ctx->trusted (intermediates: the SignedData's
 * certificates and ctx->untrusted) and carrying EKU id-kp-cmKGA. New (the
 * caller frees it), or NULL with FAILED_EXTRACTING_CENTRAL_GEN_KEY or
 * NOT_KEY_GENERATION_AUTHORITY. Plaintext buffers are cleansed.
 */
EVP_PKEY *p11cmp_ckg_get1_pkey(const P11CMP_CTX *ctx, const ASN1_TYPE *enc);

/* from verify.c */
/* bit of a body type in the expected_types of p11cmp_msg_check_received */
#define P11CMP_BODY_MASK(type) (1UL << (type))
/*
 * Validates the protection of the received msg over its ProtectedPart
 * as received. PBM: the MAC with ctx->secretValue (caps pbm_max_itercnt,
 * pbm_max_slen), compared in constant time. Signature: with ctx->srvCert
 * if set (trusted as is, even expired), else with a cert among
 * validatedSrvCert, msg extraCerts, ctx untrusted and the trusted store's
 * certs whose subject is the sender, whose SKID equals senderKID if that
 * is present, valid now, with keyUsage digitalSignature (unless
 * IGNORE_KEYUSAGE), whose signature verifies and whose path validates
 * (X509_verify_cert) against ctx->trusted with untrusted + extraCerts as
 * intermediates; for an IP with PERMIT_TA_IN_EXTRACERTS_FOR_IR also
 * against the self-signed extraCerts (which must validate the new cert
 * too). On success sets ctx->validatedSrvCert (signature) and returns 1;
 * else 0 with one reason: MISSING_PROTECTION, WRONG_PROTECTION, BAD_MAC,
 * PBM_ITERATION_COUNT_TOO_HIGH, PBM_SALT_TOO_LONG, BAD_SIGNATURE,
 * NO_SENDER_CERT, SENDER_MISMATCH (signed by a cert whose subject is not
 * the sender), SENDER_KID_MISMATCH, CERT_NOT_VALID_NOW,
 * MISSING_KEY_USAGE_DIGITALSIGNATURE, CERT_PATH_VALIDATION_FAILED
 * (MISSING_TRUST_STORE instead if ctx->trusted holds no cert); with
 * several candidates, the reason of the one that passed most checks;
 * TOO_MANY_CERTS if msg has more than max_certs extraCerts;
 * UNSUPPORTED_ALGORITHM for a protectionAlg that is no signature.
 */
int p11cmp_msg_check_protection(P11CMP_CTX *ctx, const P11CMP_MSG *msg);
/*
 * 1 if UNPROTECTED_ERRORS is set and msg is one of the messages
 * OSSL_CMP_CTX_new(3) lists for it: an error message, an RP whose statuses
 * all say rejection, an IP/CP/KUP with exactly one CertResponse saying
 * rejection. (PKIConf is not among them.) Else 0.
 */
int p11cmp_msg_unprotected_exception(const P11CMP_CTX *ctx,
                                     const P11CMP_MSG *msg);
/*
 * Every check of a response to our last request, in this order: DER size
 * <= max_resp_len (RESPONSE_TOO_LARGE), extraCerts and caPubs <=
 * max_certs (TOO_MANY_CERTS), pvno 2/3 (UNSUPPORTED_PVNO), sender a DN
 * equal to expected_sender, else to srvCert's subject (UNEXPECTED_SENDER),
 * protection (p11cmp_msg_check_protection(), unless the exception above
 * applies: then missing or invalid protection is logged and accepted),
 * body type in expected_types (P11CMP_BODY_MASK bits; an error message is
 * always accepted, IP/CP/KUP also when POLLREP is expected;
 * UNEXPECTED_BODY_TYPE), transactionID == ctx->transactionID
 * (TRANSACTIONID_MISMATCH), recipNonce == ctx->senderNonce
 * (RECIPNONCE_MISMATCH). Only if ALL passed, ctx learns: recipNonce :=
 * msg senderNonce; and only if the protection validated: extraCertsIn :=
 * msg extraCerts (not for pollRep/PKIConf) and, for a PBM-protected
 * IP/CP/KUP, its caPubs are added to ctx->trusted (RFC 4210 5.3.2).
 * If only the protection failed and transactionID and recipNonce match,
 * recipNonce := msg senderNonce all the same, for the error message the
 * client sends next (RFC 4210 5.1.1; OpenSSL 3.5's server checks it).
 * Extra certs are never added to ctx->untrusted. 1 or 0.
 */
int p11cmp_msg_check_received(P11CMP_CTX *ctx, const P11CMP_MSG *msg,
                              unsigned long expected_types);
/*
 * The single CertResponse (borrowed) of an IP/CP/KUP msg, which must have
 * certReqId rid: NULL with MULTIPLE_RESPONSES if there is not exactly one,
 * CERTREQID_MISMATCH, or INVALID_ARGUMENT for other bodies.
 */
p11cmp_CERTRESPONSE *p11cmp_certrep_get0_response(const P11CMP_MSG *msg,
                                                  int rid);
/*
 * The certificate of crep (a new reference) if its public key equals
 * p11cmp_ctx_get0_newPubkey(ctx) (PUBLIC_KEY_MISMATCH otherwise; no
 * comparison if ctx has no key); NO_CERT_IN_RESPONSE if crep holds none
 * or an encrypted one. Does not change ctx.
 */
X509 *p11cmp_certresponse_get1_cert(const P11CMP_CTX *ctx,
                                    const p11cmp_CERTRESPONSE *crep);

#endif /* P11CMP_LOCAL_H */
