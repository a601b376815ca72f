/*
 * tests/check_asn1_build.c - messages put together field by field through
 * the internal structures (every CertTemplate field, controls, each POPO
 * kind, certConf with RFC 9480 hashAlg, error, pollReq, pkiconf) encode
 * to DER that OpenSSL decodes and re-encodes to the same bytes, and whose
 * POPO signature OpenSSL verifies.
 */
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/x509v3.h>

#include "check_asn1.h"

static GENERAL_NAME *dirname(const X509_NAME *name)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();

    ck_assert_ptr_nonnull(gn);
    gn->type = GEN_DIRNAME;
    gn->d.directoryName = X509_NAME_dup(name);
    ck_assert_ptr_nonnull(gn->d.directoryName);
    return gn;
}

static ASN1_OCTET_STRING *octets(unsigned char fill, int len)
{
    unsigned char buf[32];
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

    memset(buf, fill, sizeof(buf));
    ck_assert(os != NULL && ASN1_OCTET_STRING_set(os, buf, len));
    return os;
}

static p11cmp_PKIFREETEXT *freetext(const char *text)
{
    p11cmp_PKIFREETEXT *ft = sk_ASN1_UTF8STRING_new_null();
    ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();

    ck_assert(s != NULL && ASN1_STRING_set(s, text, -1));
    ck_assert(sk_ASN1_UTF8STRING_push(ft, s) > 0);
    return ft;
}

/* a message with a full header and an empty body of type bodytype */
static P11CMP_MSG *new_msg(int bodytype)
{
    P11CMP_MSG *msg = p11cmp_MSG_new();
    P11CMP_PKIHEADER *hdr;
    ASN1_TYPE *val = ASN1_TYPE_new();

    ck_assert(msg != NULL && val != NULL);
    hdr = msg->header;
    ck_assert(ASN1_INTEGER_set(hdr->pvno, 2));
    GENERAL_NAME_free(hdr->sender);
    hdr->sender = dirname(X509_get_subject_name(pki.ee_cert));
    GENERAL_NAME_free(hdr->recipient);
    hdr->recipient = dirname(X509_get_subject_name(pki.ca_cert));
    hdr->messageTime = ASN1_GENERALIZEDTIME_set(NULL, 1700000000);
    hdr->senderKID = octets(0x11, 20);
    hdr->recipKID = octets(0x22, 20);
    hdr->transactionID = octets(0x33, 16);
    hdr->senderNonce = octets(0x44, 16);
    hdr->recipNonce = octets(0x55, 16);
    hdr->freeText = freetext("built by p11cmp");
    ASN1_TYPE_set(val, V_ASN1_NULL, NULL);
    ck_assert(P11CMP_ITAV_push0_stack_item(&hdr->generalInfo,
              P11CMP_ITAV_create(OBJ_nid2obj(NID_id_it_implicitConfirm),
                                 val)));
    msg->body->type = bodytype;
    return msg;
}

/* a CertTemplate with every field of RFC 4211 set */
static void fill_template(p11cmp_CRMF_CERTTEMPLATE *t)
{
    X509_EXTENSION *ext;

    t->version = ASN1_INTEGER_new();
    ck_assert(ASN1_INTEGER_set(t->version, 2));
    t->serialNumber = ASN1_INTEGER_new();
    ck_assert(ASN1_INTEGER_set(t->serialNumber, 4242));
    t->signingAlg = X509_ALGOR_new();
    ck_assert(X509_ALGOR_set0(t->signingAlg,
                              OBJ_nid2obj(NID_ecdsa_with_SHA256),
                              V_ASN1_UNDEF, NULL));
    t->issuer = X509_NAME_dup(X509_get_subject_name(pki.ca_cert));
    t->validity = p11cmp_CRMF_OPTIONALVALIDITY_new();
    t->validity->notBefore = ASN1_TIME_set(NULL, 1700000000);
    t->validity->notAfter = ASN1_TIME_set(NULL, 1800000000);
    t->subject = X509_NAME_dup(X509_get_subject_name(pki.ee_cert));
    ck_assert(X509_PUBKEY_set(&t->publicKey, pki.ee_key));
    t->issuerUID = ASN1_BIT_STRING_new();
    ck_assert(ASN1_BIT_STRING_set(t->issuerUID, (unsigned char *)"iu", 2));
    t->subjectUID = ASN1_BIT_STRING_new();
    ck_assert(ASN1_BIT_STRING_set(t->subjectUID, (unsigned char *)"su", 2));
    ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                              "DNS:hand.example");
    ck_assert_ptr_nonnull(ext);
    ck_assert(X509v3_add_ext(&t->extensions, ext, -1) != NULL);
    X509_EXTENSION_free(ext);
}

static p11cmp_CRMF_ATAV *old_cert_id(void)
{
    p11cmp_CRMF_ATAV *atav = p11cmp_CRMF_ATAV_new();
    p11cmp_CRMF_CERTID *cid = p11cmp_CRMF_CERTID_new();

    ck_assert(atav != NULL && cid != NULL);
    GENERAL_NAME_free(cid->issuer);
    cid->issuer = dirname(X509_get_subject_name(pki.ca_cert));
    ck_assert(ASN1_INTEGER_set(cid->serialNumber, 2));
    atav->type = OBJ_nid2obj(NID_id_regCtrl_oldCertID);
    atav->value.oldCertID = cid;
    return atav;
}

/* POPO by signature of ee_key over the DER of the CertRequest */
static p11cmp_CRMF_POPO *popo_signature(const p11cmp_CRMF_CERTREQUEST *req)
{
    p11cmp_CRMF_POPO *popo = p11cmp_CRMF_POPO_new();
    p11cmp_CRMF_POPOSIGNINGKEY *sk = p11cmp_CRMF_POPOSIGNINGKEY_new();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *der = NULL, sig[160];
    size_t siglen = sizeof(sig);
    int len = i2d_p11cmp_CRMF_CERTREQUEST(req, &der);

    ck_assert(popo != NULL && sk != NULL && md != NULL && len > 0);
    ck_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pki.ee_key));
    ck_assert(EVP_DigestSign(md, sig, &siglen, der, (size_t)len));
    ck_assert(X509_ALGOR_set0(sk->algorithmIdentifier,
                              OBJ_nid2obj(NID_ecdsa_with_SHA256),
                              V_ASN1_UNDEF, NULL));
    ck_assert(ASN1_BIT_STRING_set(sk->signature, sig, (int)siglen));
    sk->signature->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    sk->signature->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    popo->type = P11CMP_POPO_SIGNATURE;
    popo->value.signature = sk;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return popo;
}

static p11cmp_CRMF_MSG *new_crm(int id, int popo_type)
{
    p11cmp_CRMF_MSG *crm = p11cmp_CRMF_MSG_new();
    p11cmp_CRMF_POPO *popo = NULL;

    ck_assert_ptr_nonnull(crm);
    ck_assert(ASN1_INTEGER_set(crm->certReq->certReqId, id));
    fill_template(crm->certReq->certTemplate);
    crm->certReq->controls = sk_p11cmp_CRMF_ATAV_new_null();
    ck_assert(sk_p11cmp_CRMF_ATAV_push(crm->certReq->controls,
                                       old_cert_id()) > 0);
    if (popo_type == P11CMP_POPO_SIGNATURE) {
        popo = popo_signature(crm->certReq);
    } else if (popo_type == P11CMP_POPO_RAVERIFIED) {
        popo = p11cmp_CRMF_POPO_new();
        popo->type = P11CMP_POPO_RAVERIFIED;
        popo->value.raVerified = ASN1_NULL_new();
    } else if (popo_type == P11CMP_POPO_KEYENC) {
        popo = p11cmp_CRMF_POPO_new();
        popo->type = P11CMP_POPO_KEYENC;
        popo->value.keyEncipherment = p11cmp_CRMF_POPOPRIVKEY_new();
        popo->value.keyEncipherment->type =
            P11CMP_CRMF_POPOPRIVKEY_SUBSEQUENTMESSAGE;
        popo->value.keyEncipherment->value.subsequentMessage =
            ASN1_INTEGER_new();
        ck_assert(ASN1_INTEGER_set(
            popo->value.keyEncipherment->value.subsequentMessage,
            P11CMP_CRMF_SUBSEQUENTMESSAGE_ENCRCERT));
    }
    crm->popo = popo;
    return crm;
}

/* encodes msg; OpenSSL must decode it and re-encode the same bytes */
static OSSL_CMP_MSG *check_openssl_decodes(const P11CMP_MSG *msg)
{
    unsigned char *der = NULL, *oder = NULL;
    const unsigned char *p;
    int len = i2d_P11CMP_MSG(msg, &der), olen;
    OSSL_CMP_MSG *omsg;

    ck_assert_int_gt(len, 0);
    p = der;
    omsg = d2i_OSSL_CMP_MSG(NULL, &p, len);
    ck_assert_msg(omsg != NULL, "OpenSSL cannot decode body %d",
                  msg->body->type);
    ck_assert_int_eq(OSSL_CMP_MSG_get_bodytype(omsg), msg->body->type);
    olen = i2d_OSSL_CMP_MSG(omsg, &oder);
    ck_assert_msg(same_der(der, len, oder, olen),
                  "OpenSSL re-encodes body %d differently", msg->body->type);
    OPENSSL_free(der);
    OPENSSL_free(oder);
    return omsg;
}

/* decodes msg's DER in p11cmp again: same bytes */
static void check_p11cmp_roundtrip(const P11CMP_MSG *msg)
{
    unsigned char *der = NULL, *der2 = NULL;
    const unsigned char *p;
    int len = i2d_P11CMP_MSG(msg, &der), len2;
    P11CMP_MSG *back;

    p = der;
    back = d2i_P11CMP_MSG(NULL, &p, len);
    ck_assert_ptr_nonnull(back);
    len2 = i2d_P11CMP_MSG(back, &der2);
    ck_assert(same_der(der, len, der2, len2));
    P11CMP_MSG_free(back);
    OPENSSL_free(der);
    OPENSSL_free(der2);
}

START_TEST(built_ir_decodes_and_verifies_in_openssl)
{
    P11CMP_MSG *msg = new_msg(P11CMP_PKIBODY_IR);
    OSSL_CMP_MSG *omsg;
    OSSL_CRMF_MSGS *oreqs;
    OSSL_CRMF_MSG *ocrm;
    const unsigned char *p;
    unsigned char *der = NULL;
    int len;

    msg->body->value.ir = sk_p11cmp_CRMF_MSG_new_null();
    ck_assert(sk_p11cmp_CRMF_MSG_push(msg->body->value.ir,
                                      new_crm(0, P11CMP_POPO_SIGNATURE)));
    omsg = check_openssl_decodes(msg);
    check_p11cmp_roundtrip(msg);
    /* the CRMF part alone: OpenSSL verifies the POPO and finds fields */
    len = i2d_p11cmp_CRMF_MSGS(msg->body->value.ir, &der);
    p = der;
    oreqs = d2i_OSSL_CRMF_MSGS(NULL, &p, len);
    ck_assert_ptr_nonnull(oreqs);
    ck_assert_int_eq(OSSL_CRMF_MSGS_verify_popo(oreqs, 0, 0, NULL, NULL), 1);
    ocrm = sk_OSSL_CRMF_MSG_value(oreqs, 0);
    ck_assert_int_eq(ASN1_INTEGER_get(OSSL_CRMF_CERTID_get0_serialNumber(
                         OSSL_CRMF_MSG_get0_regCtrl_oldCertID(ocrm))), 2);
    ck_assert_int_eq(ASN1_INTEGER_get(OSSL_CRMF_CERTTEMPLATE_get0_serialNumber(
                         OSSL_CRMF_MSG_get0_tmpl(ocrm))), 4242);
    ck_assert_int_eq(X509_NAME_cmp(OSSL_CRMF_CERTTEMPLATE_get0_subject(
                                       OSSL_CRMF_MSG_get0_tmpl(ocrm)),
                                   X509_get_subject_name(pki.ee_cert)), 0);
    sk_OSSL_CRMF_MSG_pop_free(oreqs, OSSL_CRMF_MSG_free);
    OPENSSL_free(der);
    OSSL_CMP_MSG_free(omsg);
    P11CMP_MSG_free(msg);
}
END_TEST

START_TEST(built_popo_kinds_decode_in_openssl)
{
    static const int kinds[] = {
        P11CMP_POPO_RAVERIFIED, P11CMP_POPO_KEYENC, P11CMP_POPO_NONE
    };
    static const int bodies[] = {
        P11CMP_PKIBODY_CR, P11CMP_PKIBODY_KUR, P11CMP_PKIBODY_IR
    };
    size_t i;
    P11CMP_MSG *msg;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        msg = new_msg(bodies[i]);
        msg->body->value.cr = sk_p11cmp_CRMF_MSG_new_null();
        ck_assert(sk_p11cmp_CRMF_MSG_push(msg->body->value.cr,
                                          new_crm(0, kinds[i])));
        OSSL_CMP_MSG_free(check_openssl_decodes(msg));
        check_p11cmp_roundtrip(msg);
        P11CMP_MSG_free(msg);
    }
}
END_TEST

static P11CMP_PKISI *status_info(int status, int bit, const char *text)
{
    P11CMP_PKISI *si = P11CMP_PKISI_new();

    ck_assert(ASN1_INTEGER_set(si->status, status));
    si->statusString = freetext(text);
    if (bit >= 0) {
        si->failInfo = ASN1_BIT_STRING_new();
        ck_assert(ASN1_BIT_STRING_set_bit(si->failInfo, bit, 1));
    }
    return si;
}

START_TEST(built_small_bodies_decode_in_openssl)
{
    P11CMP_MSG *conf = new_msg(P11CMP_PKIBODY_CERTCONF);
    P11CMP_MSG *err = new_msg(P11CMP_PKIBODY_ERROR);
    P11CMP_MSG *poll = new_msg(P11CMP_PKIBODY_POLLREQ);
    P11CMP_MSG *pkiconf = new_msg(P11CMP_PKIBODY_PKICONF);
    p11cmp_CERTSTATUS *cs = p11cmp_CERTSTATUS_new();
    p11cmp_POLLREQ *pr = p11cmp_POLLREQ_new();
    p11cmp_ERRORMSGCONTENT *ec = p11cmp_ERRORMSGCONTENT_new();

    ck_assert(ASN1_OCTET_STRING_set(cs->certHash,
                                    (unsigned char *)"0123456789abcdef"
                                    "0123456789abcdef", 32));
    cs->statusInfo = status_info(P11CMP_PKISTATUS_rejection,
                                 P11CMP_PKIFAILUREINFO_badPOP, "no");
    conf->body->value.certConf = sk_p11cmp_CERTSTATUS_new_null();
    ck_assert(sk_p11cmp_CERTSTATUS_push(conf->body->value.certConf, cs));
    P11CMP_PKISI_free(ec->pKIStatusInfo);
    ec->pKIStatusInfo = status_info(P11CMP_PKISTATUS_rejection,
                                    P11CMP_PKIFAILUREINFO_systemFailure,
                                    "broken");
    ec->errorCode = ASN1_INTEGER_new();
    ck_assert(ASN1_INTEGER_set(ec->errorCode, 77));
    ec->errorDetails = freetext("details");
    err->body->value.error = ec;
    poll->body->value.pollReq = sk_p11cmp_POLLREQ_new_null();
    ck_assert(sk_p11cmp_POLLREQ_push(poll->body->value.pollReq, pr));
    pkiconf->body->value.pkiconf = ASN1_NULL_new();
    OSSL_CMP_MSG_free(check_openssl_decodes(conf));
    OSSL_CMP_MSG_free(check_openssl_decodes(err));
    OSSL_CMP_MSG_free(check_openssl_decodes(poll));
    OSSL_CMP_MSG_free(check_openssl_decodes(pkiconf));
    check_p11cmp_roundtrip(conf);
    check_p11cmp_roundtrip(err);
    check_p11cmp_roundtrip(poll);
    check_p11cmp_roundtrip(pkiconf);
    P11CMP_MSG_free(conf);
    P11CMP_MSG_free(err);
    P11CMP_MSG_free(poll);
    P11CMP_MSG_free(pkiconf);
}
END_TEST

/* RFC 9480 adds hashAlg [0] to CertStatus: kept through a round trip */
START_TEST(certstatus_hashalg_roundtrip)
{
    P11CMP_MSG *conf = new_msg(P11CMP_PKIBODY_CERTCONF);
    p11cmp_CERTSTATUS *cs = p11cmp_CERTSTATUS_new();
    unsigned char *der = NULL;
    const unsigned char *p;
    P11CMP_MSG *back;
    int len;

    ck_assert(ASN1_INTEGER_set(conf->header->pvno, 3));
    ck_assert(ASN1_OCTET_STRING_set(cs->certHash, (unsigned char *)"h", 1));
    cs->hashAlg = X509_ALGOR_new();
    X509_ALGOR_set_md(cs->hashAlg, EVP_sha512());
    conf->body->value.certConf = sk_p11cmp_CERTSTATUS_new_null();
    ck_assert(sk_p11cmp_CERTSTATUS_push(conf->body->value.certConf, cs));
    len = i2d_P11CMP_MSG(conf, &der);
    p = der;
    back = d2i_P11CMP_MSG(NULL, &p, len);
    ck_assert_ptr_nonnull(back);
    cs = sk_p11cmp_CERTSTATUS_value(back->body->value.certConf, 0);
    ck_assert_ptr_nonnull(cs->hashAlg);
    ck_assert_int_eq(OBJ_obj2nid(cs->hashAlg->algorithm), NID_sha512);
    check_p11cmp_roundtrip(back);
    P11CMP_MSG_free(back);
    P11CMP_MSG_free(conf);
    OPENSSL_free(der);
}
END_TEST

/* PBMParameter: OpenSSL's encoding decodes and re-encodes identically */
START_TEST(pbmparameter_interop)
{
    OSSL_CRMF_PBMPARAMETER *opbm = OSSL_CRMF_pbmp_new(NULL, 16, NID_sha256,
                                                      1000, NID_hmac_sha1);
    unsigned char *der = NULL, *der2 = NULL;
    const unsigned char *p;
    p11cmp_PBMPARAMETER *pbm;
    int len, len2;

    ck_assert_ptr_nonnull(opbm);
    len = i2d_OSSL_CRMF_PBMPARAMETER(opbm, &der);
    p = der;
    pbm = d2i_p11cmp_PBMPARAMETER(NULL, &p, len);
    ck_assert_ptr_nonnull(pbm);
    ck_assert_int_eq(ASN1_STRING_length(pbm->salt), 16);
    ck_assert_int_eq(OBJ_obj2nid(pbm->owf->algorithm), NID_sha256);
    ck_assert_int_eq(ASN1_INTEGER_get(pbm->iterationCount), 1000);
    ck_assert_int_eq(OBJ_obj2nid(pbm->mac->algorithm), NID_hmac_sha1);
    len2 = i2d_p11cmp_PBMPARAMETER(pbm, &der2);
    ck_assert(same_der(der, len, der2, len2));
    p11cmp_PBMPARAMETER_free(pbm);
    OSSL_CRMF_PBMPARAMETER_free(opbm);
    OPENSSL_free(der);
    OPENSSL_free(der2);
}
END_TEST

/* der decodes with item it and re-encodes to the same bytes */
static void check_item_roundtrip(const ASN1_ITEM *it,
                                 const unsigned char *der, long len)
{
    const unsigned char *p = der;
    ASN1_VALUE *val = ASN1_item_d2i(NULL, &p, len, it);
    unsigned char *out = NULL;
    int olen;

    ck_assert_msg(val != NULL, "%s does not decode", it->sname);
    olen = ASN1_item_i2d(val, &out, it);
    ck_assert(same_der(out, olen, der, (int)len));
    OPENSSL_free(out);
    ASN1_item_free(val, it);
}

/*
 * Forms OpenSSL 3.0 does not produce: POPO keyEncipherment with an
 * encryptedKey [4] (EnvelopedData, kept as it came), and a CertTemplate
 * whose publicKey has an empty BIT STRING (central key generation,
 * RFC 9483 4.1.6).
 */
START_TEST(popo_encryptedkey_and_empty_publickey)
{
    static const unsigned char popo[] = {
        0xa2, 0x07, 0xa4, 0x05, 0x02, 0x01, 0x00, 0x05, 0x00
    };
    static const unsigned char tmpl[] = {
        0x30, 0x1a, 0xa6, 0x18, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
        0x03, 0x01, 0x07, 0x03, 0x01, 0x00
    };
    const unsigned char *p = popo;
    p11cmp_CRMF_POPO *po = d2i_p11cmp_CRMF_POPO(NULL, &p, sizeof(popo));

    ck_assert_ptr_nonnull(po);
    ck_assert_int_eq(po->type, P11CMP_POPO_KEYENC);
    ck_assert_int_eq(po->value.keyEncipherment->type,
                     P11CMP_CRMF_POPOPRIVKEY_ENCRYPTEDKEY);
    p11cmp_CRMF_POPO_free(po);
    check_item_roundtrip(ASN1_ITEM_rptr(p11cmp_CRMF_POPO), popo,
                         sizeof(popo));
    check_item_roundtrip(ASN1_ITEM_rptr(p11cmp_CRMF_CERTTEMPLATE), tmpl,
                         sizeof(tmpl));
}
END_TEST

TCase *build_tcase(void)
{
    TCase *tc = tcase_create("built-by-p11cmp");

    tcase_add_test(tc, built_ir_decodes_and_verifies_in_openssl);
    tcase_add_test(tc, built_popo_kinds_decode_in_openssl);
    tcase_add_test(tc, built_small_bodies_decode_in_openssl);
    tcase_add_test(tc, certstatus_hashalg_roundtrip);
    tcase_add_test(tc, pbmparameter_interop);
    tcase_add_test(tc, popo_encryptedkey_and_empty_publickey);
    return tc;
}
