/*
 * tests/check_asn1_peer.c - messages of every body type produced by
 * OpenSSL's CMP client and server decode in p11cmp with the right field
 * values, re-encode to identical bytes, and, changed by p11cmp, decode in
 * OpenSSL again.
 */
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>

#include "check_asn1.h"

START_TEST(peer_produced_every_body_type)
{
    static const int wanted[] = {
        P11CMP_PKIBODY_IR, P11CMP_PKIBODY_IP, P11CMP_PKIBODY_CR,
        P11CMP_PKIBODY_CP, P11CMP_PKIBODY_P10CR, P11CMP_PKIBODY_KUR,
        P11CMP_PKIBODY_KUP, P11CMP_PKIBODY_RR, P11CMP_PKIBODY_RP,
        P11CMP_PKIBODY_PKICONF, P11CMP_PKIBODY_GENM, P11CMP_PKIBODY_GENP,
        P11CMP_PKIBODY_ERROR, P11CMP_PKIBODY_CERTCONF,
        P11CMP_PKIBODY_POLLREQ, P11CMP_PKIBODY_POLLREP
    };
    size_t i;
    int j, found;

    ck_assert_int_eq(peer_ok, 1);
    /* 4 per enrollment (x5), 8 polled, rr 2, genm 2, errors 2 + 6 */
    ck_assert_int_eq(peer.n, 4 * 5 + 8 + 2 + 2 + 2 + 6);
    for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        for (found = 0, j = 0; j < peer.n; j++)
            found |= peer.msg[j].bodytype == wanted[i];
        ck_assert_msg(found, "OpenSSL produced no body type %d", wanted[i]);
    }
    ck_assert_ptr_nonnull(find_msg("client-error", P11CMP_PKIBODY_ERROR));
    ck_assert_ptr_nonnull(find_msg("srv-error", P11CMP_PKIBODY_ERROR));
}
END_TEST

/* every message: decodes, same body type, identical DER again */
START_TEST(peer_msgs_roundtrip_identically)
{
    int i, len, plen, rlen;
    unsigned char *der, *fresh, *rcvd;
    const unsigned char *p;
    P11CMP_MSG *msg;

    ck_assert_int_gt(peer.n, 0);
    for (i = 0; i < peer.n; i++) {
        p = peer.msg[i].der;
        msg = d2i_P11CMP_MSG(NULL, &p, peer.msg[i].len);
        ck_assert_msg(msg != NULL, "%s msg %d (body %d) did not decode",
                      peer.msg[i].session, i, peer.msg[i].bodytype);
        ck_assert_ptr_eq(p, peer.msg[i].der + peer.msg[i].len);
        ck_assert_int_eq(P11CMP_MSG_get_bodytype(msg), peer.msg[i].bodytype);
        der = NULL;
        len = i2d_P11CMP_MSG(msg, &der);
        ck_assert_msg(same_der(der, len, peer.msg[i].der, peer.msg[i].len),
                      "%s msg %d re-encodes differently",
                      peer.msg[i].session, i);
        /* received and fresh protected part agree for DER input */
        ck_assert_ptr_nonnull(msg->rcvd_protpart);
        rlen = p11cmp_MSG_protected_part_der(msg, 1, &rcvd);
        plen = p11cmp_MSG_protected_part_der(msg, 0, &fresh);
        ck_assert(same_der(rcvd, rlen, fresh, plen));
        OPENSSL_free(rcvd);
        OPENSSL_free(fresh);
        OPENSSL_free(der);
        P11CMP_MSG_free(msg);
    }
}
END_TEST

static const P11CMP_ITAV *find_itav(const STACK_OF(P11CMP_ITAV) *sk,
                                    int nid)
{
    int i;

    for (i = 0; i < sk_P11CMP_ITAV_num(sk); i++)
        if (OBJ_obj2nid(sk_P11CMP_ITAV_value(sk, i)->infoType) == nid)
            return sk_P11CMP_ITAV_value(sk, i);
    return NULL;
}

/* the POPO signature of crm verifies with key over DER of CertRequest */
static int popo_verifies(const p11cmp_CRMF_MSG *crm, EVP_PKEY *key)
{
    const p11cmp_CRMF_POPOSIGNINGKEY *sk = crm->popo->value.signature;

    return ASN1_item_verify(ASN1_ITEM_rptr(p11cmp_CRMF_CERTREQUEST),
                            sk->algorithmIdentifier, sk->signature,
                            crm->certReq, key) == 1;
}

START_TEST(peer_ir_fields)
{
    P11CMP_MSG *msg = peer_decoded("ir", P11CMP_PKIBODY_IR);
    P11CMP_PKIHEADER *hdr = P11CMP_MSG_get0_header(msg);
    p11cmp_CRMF_MSG *crm;
    p11cmp_CRMF_CERTTEMPLATE *tmpl;
    p11cmp_PBMPARAMETER *pbm;
    X509_NAME *ee = X509_NAME_new();

    ck_assert_int_eq(ASN1_INTEGER_get(hdr->pvno), 2);
    ck_assert_int_eq(hdr->sender->type, GEN_DIRNAME);
    ck_assert_int_eq(ASN1_STRING_length(P11CMP_HDR_get0_transactionID(hdr)),
                     16);
    ck_assert_int_eq(ASN1_STRING_length(hdr->senderNonce), 16);
    ck_assert_ptr_null(P11CMP_HDR_get0_recipNonce(hdr));
    ck_assert_ptr_nonnull(hdr->messageTime);
    ck_assert_ptr_nonnull(find_itav(hdr->generalInfo,
                                    NID_id_it_implicitConfirm));
    ck_assert_int_eq(OBJ_obj2nid(hdr->protectionAlg->algorithm),
                     NID_id_PasswordBasedMAC);
    pbm = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(p11cmp_PBMPARAMETER),
                                    hdr->protectionAlg->parameter);
    ck_assert_ptr_nonnull(pbm);
    ck_assert_int_eq(ASN1_INTEGER_get(pbm->iterationCount), 500);
    ck_assert_int_eq(OBJ_obj2nid(pbm->owf->algorithm), NID_sha256);
    ck_assert_int_eq(ASN1_STRING_length(hdr->senderKID), 8);
    ck_assert_ptr_nonnull(msg->protection);
    ck_assert_int_eq(sk_p11cmp_CRMF_MSG_num(msg->body->value.ir), 1);
    crm = sk_p11cmp_CRMF_MSG_value(msg->body->value.ir, 0);
    ck_assert_int_eq(ASN1_INTEGER_get(crm->certReq->certReqId), 0);
    tmpl = crm->certReq->certTemplate;
    X509_NAME_add_entry_by_txt(ee, "CN", MBSTRING_ASC,
                               (const unsigned char *)"ee", -1, -1, 0);
    ck_assert_int_eq(X509_NAME_cmp(tmpl->subject, ee), 0);
    ck_assert_int_eq(EVP_PKEY_eq(X509_PUBKEY_get0(tmpl->publicKey),
                                 pki.ee_key), 1);
    ck_assert_int_eq(crm->popo->type, P11CMP_POPO_SIGNATURE);
    ck_assert_int_eq(popo_verifies(crm, pki.ee_key), 1);
    p11cmp_PBMPARAMETER_free(pbm);
    X509_NAME_free(ee);
    P11CMP_MSG_free(msg);
}
END_TEST

START_TEST(peer_ip_fields)
{
    P11CMP_MSG *msg = peer_decoded("ir", P11CMP_PKIBODY_IP);
    p11cmp_CERTREPMESSAGE *rep = msg->body->value.ip;
    p11cmp_CERTRESPONSE *resp;
    X509 *cert;

    ck_assert_int_eq(sk_X509_num(rep->caPubs), 1);
    ck_assert_int_eq(X509_cmp(sk_X509_value(rep->caPubs, 0), pki.ca_cert),
                     0);
    ck_assert_int_eq(sk_p11cmp_CERTRESPONSE_num(rep->response), 1);
    resp = sk_p11cmp_CERTRESPONSE_value(rep->response, 0);
    ck_assert_int_eq(ASN1_INTEGER_get(resp->certReqId), 0);
    ck_assert_int_eq(ASN1_INTEGER_get(resp->status->status),
                     P11CMP_PKISTATUS_accepted);
    ck_assert(utf8_eq(sk_ASN1_UTF8STRING_value(resp->status->statusString,
                                               0), "issued by the peer"));
    ck_assert_int_eq(resp->certifiedKeyPair->certOrEncCert->type,
                     P11CMP_CERTORENCCERT_CERTIFICATE);
    cert = resp->certifiedKeyPair->certOrEncCert->value.certificate;
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), pki.ee_key), 1);
    ck_assert_int_eq(X509_verify(cert, pki.ca_key), 1);
    ck_assert_int_ge(sk_X509_num(msg->extraCerts), 1);
    ck_assert_ptr_nonnull(P11CMP_HDR_get0_recipNonce(msg->header));
    P11CMP_MSG_free(msg);
}
END_TEST

START_TEST(peer_kur_p10cr_fields)
{
    P11CMP_MSG *kur = peer_decoded("kur", P11CMP_PKIBODY_KUR);
    P11CMP_MSG *p10 = peer_decoded("p10cr", P11CMP_PKIBODY_P10CR);
    P11CMP_MSG *kup = peer_decoded("kur", P11CMP_PKIBODY_KUP);
    p11cmp_CRMF_MSG *crm = sk_p11cmp_CRMF_MSG_value(kur->body->value.kur, 0);
    p11cmp_CRMF_ATAV *atav;
    p11cmp_CRMF_CERTID *cid;

    ck_assert_int_eq(sk_p11cmp_CRMF_ATAV_num(crm->certReq->controls), 1);
    atav = sk_p11cmp_CRMF_ATAV_value(crm->certReq->controls, 0);
    ck_assert_int_eq(OBJ_obj2nid(atav->type), NID_id_regCtrl_oldCertID);
    cid = atav->value.oldCertID;
    ck_assert_int_eq(ASN1_INTEGER_get(cid->serialNumber), 2);
    ck_assert_int_eq(cid->issuer->type, GEN_DIRNAME);
    ck_assert_int_eq(X509_NAME_cmp(cid->issuer->d.directoryName,
                                   X509_get_subject_name(pki.ca_cert)), 0);
    ck_assert_int_eq(popo_verifies(crm, pki.ee_key), 1);
    ck_assert_int_eq(X509_REQ_verify(p10->body->value.p10cr, pki.ee_key), 1);
    ck_assert_int_eq(sk_p11cmp_CERTRESPONSE_num(
                         kup->body->value.kup->response), 1);
    P11CMP_MSG_free(kur);
    P11CMP_MSG_free(p10);
    P11CMP_MSG_free(kup);
}
END_TEST

START_TEST(peer_rr_rp_fields)
{
    P11CMP_MSG *rr = peer_decoded("rr", P11CMP_PKIBODY_RR);
    P11CMP_MSG *rp = peer_decoded("rr", P11CMP_PKIBODY_RP);
    p11cmp_REVDETAILS *rd = sk_p11cmp_REVDETAILS_value(rr->body->value.rr,
                                                      0);
    p11cmp_REVREPCONTENT *rrep = rp->body->value.rp;
    ASN1_ENUMERATED *reason;

    ck_assert_int_eq(sk_p11cmp_REVDETAILS_num(rr->body->value.rr), 1);
    ck_assert_int_eq(ASN1_INTEGER_get(rd->certDetails->serialNumber), 2);
    ck_assert_int_eq(X509_NAME_cmp(rd->certDetails->issuer,
                                   X509_get_subject_name(pki.ca_cert)), 0);
    reason = X509V3_get_d2i(rd->crlEntryDetails, NID_crl_reason, NULL,
                            NULL);
    ck_assert_ptr_nonnull(reason);
    ck_assert_int_eq(ASN1_ENUMERATED_get(reason), CRL_REASON_KEY_COMPROMISE);
    ASN1_ENUMERATED_free(reason);
    ck_assert_int_eq(sk_P11CMP_PKISI_num(rrep->status), 1);
    ck_assert_int_eq(ASN1_INTEGER_get(sk_P11CMP_PKISI_value(rrep->status,
                                                            0)->status),
                     P11CMP_PKISTATUS_accepted);
    ck_assert_int_eq(sk_p11cmp_CRMF_CERTID_num(rrep->revCerts), 1);
    ck_assert_int_eq(ASN1_INTEGER_get(sk_p11cmp_CRMF_CERTID_value(
                                          rrep->revCerts, 0)->serialNumber),
                     2);
    P11CMP_MSG_free(rr);
    P11CMP_MSG_free(rp);
}
END_TEST

START_TEST(peer_genm_genp_fields)
{
    P11CMP_MSG *genm = peer_decoded("genm", P11CMP_PKIBODY_GENM);
    P11CMP_MSG *genp = peer_decoded("genm", P11CMP_PKIBODY_GENP);
    STACK_OF(P11CMP_ITAV) *in = genm->body->value.genm;
    STACK_OF(P11CMP_ITAV) *out = genp->body->value.genp;
    ASN1_TYPE *val;
    char oid[64];

    ck_assert_int_eq(sk_P11CMP_ITAV_num(in), 2);
    ck_assert_int_eq(sk_P11CMP_ITAV_num(out), 2);
    OBJ_obj2txt(oid, sizeof(oid),
                P11CMP_ITAV_get0_type(sk_P11CMP_ITAV_value(in, 0)), 1);
    ck_assert_str_eq(oid, "1.3.6.1.4.1.99999.1");
    val = P11CMP_ITAV_get0_value(sk_P11CMP_ITAV_value(out, 0));
    ck_assert_int_eq(val->type, V_ASN1_UTF8STRING);
    ck_assert(utf8_eq(val->value.utf8string, "hello"));
    ck_assert_int_eq(OBJ_obj2nid(P11CMP_ITAV_get0_type(
                                     sk_P11CMP_ITAV_value(out, 1))),
                     NID_id_it_signKeyPairTypes);
    ck_assert_ptr_null(P11CMP_ITAV_get0_value(sk_P11CMP_ITAV_value(out, 1)));
    P11CMP_MSG_free(genm);
    P11CMP_MSG_free(genp);
}
END_TEST

START_TEST(peer_polling_certconf_error_fields)
{
    P11CMP_MSG *pollreq = peer_decoded("polled-ir", P11CMP_PKIBODY_POLLREQ);
    P11CMP_MSG *pollrep = peer_decoded("polled-ir", P11CMP_PKIBODY_POLLREP);
    P11CMP_MSG *conf = peer_decoded("polled-ir", P11CMP_PKIBODY_CERTCONF);
    P11CMP_MSG *err = peer_decoded("srv-error", P11CMP_PKIBODY_ERROR);
    P11CMP_MSG *cerr = peer_decoded("client-error", P11CMP_PKIBODY_ERROR);
    p11cmp_POLLREP *rep;
    p11cmp_CERTSTATUS *cs;

    ck_assert_int_eq(ASN1_INTEGER_get(sk_p11cmp_POLLREQ_value(
                         pollreq->body->value.pollReq, 0)->certReqId), 0);
    rep = sk_p11cmp_POLLREP_value(pollrep->body->value.pollRep, 0);
    ck_assert_int_eq(ASN1_INTEGER_get(rep->certReqId), 0);
    ck_assert_int_eq(ASN1_INTEGER_get(rep->checkAfter), 0);
    cs = sk_p11cmp_CERTSTATUS_value(conf->body->value.certConf, 0);
    ck_assert_int_eq(ASN1_STRING_length(cs->certHash), 32);
    ck_assert_int_eq(ASN1_INTEGER_get(cs->certReqId), 0);
    ck_assert_ptr_null(cs->hashAlg);
    ck_assert_int_eq(ASN1_INTEGER_get(
                         err->body->value.error->pKIStatusInfo->status),
                     P11CMP_PKISTATUS_rejection);
    ck_assert_int_eq(ASN1_INTEGER_get(
                         cerr->body->value.error->pKIStatusInfo->status),
                     P11CMP_PKISTATUS_rejection);
    P11CMP_MSG_free(pollreq);
    P11CMP_MSG_free(pollrep);
    P11CMP_MSG_free(conf);
    P11CMP_MSG_free(err);
    P11CMP_MSG_free(cerr);
}
END_TEST

START_TEST(peer_signed_ir_fields)
{
    P11CMP_MSG *msg = peer_decoded("signed-ir", P11CMP_PKIBODY_IR);
    p11cmp_CRMF_MSG *crm = sk_p11cmp_CRMF_MSG_value(msg->body->value.ir, 0);
    GENERAL_NAMES *sans;

    ck_assert_int_eq(OBJ_obj2nid(msg->header->protectionAlg->algorithm),
                     NID_ecdsa_with_SHA256);
    ck_assert_int_eq(X509_NAME_cmp(msg->header->sender->d.directoryName,
                                   X509_get_subject_name(pki.ee_cert)), 0);
    ck_assert_int_ge(sk_X509_num(msg->extraCerts), 1);
    ck_assert_int_eq(X509_cmp(sk_X509_value(msg->extraCerts, 0),
                              pki.ee_cert), 0);
    sans = X509V3_get_d2i(crm->certReq->certTemplate->extensions,
                          NID_subject_alt_name, NULL, NULL);
    ck_assert_int_eq(sk_GENERAL_NAME_num(sans), 1);
    GENERAL_NAMES_free(sans);
    P11CMP_MSG_free(msg);
}
END_TEST

/*
 * The cp of session cr carries the server's confirmWaitTime (RFC 4210
 * 5.1.1.2, id-it 14): it decodes, re-encodes to the same bytes and the
 * GeneralizedTime is reachable through P11CMP_HDR_get0_geninfo_ITAVs().
 */
START_TEST(peer_cp_confirmwaittime)
{
    const struct peer_msg *m = find_msg("cr", P11CMP_PKIBODY_CP);
    P11CMP_MSG *msg = peer_decoded("cr", P11CMP_PKIBODY_CP);
    STACK_OF(P11CMP_ITAV) *gi;
    const P11CMP_ITAV *itav = NULL;
    const ASN1_TYPE *val;
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.4.14", 1);
    unsigned char *der = NULL;
    int i, len;

    ck_assert_ptr_nonnull(pki.confirm_wait);
    len = i2d_P11CMP_MSG(msg, &der);
    ck_assert(same_der(der, len, m->der, m->len));
    gi = P11CMP_HDR_get0_geninfo_ITAVs(P11CMP_MSG_get0_header(msg));
    for (i = 0; i < sk_P11CMP_ITAV_num(gi); i++)
        if (OBJ_cmp(P11CMP_ITAV_get0_type(sk_P11CMP_ITAV_value(gi, i)),
                    oid) == 0)
            itav = sk_P11CMP_ITAV_value(gi, i);
    ck_assert_msg(itav != NULL, "no confirmWaitTime in the cp");
    ck_assert_int_eq(OBJ_obj2nid(P11CMP_ITAV_get0_type(itav)),
                     NID_id_it_confirmWaitTime);
    val = P11CMP_ITAV_get0_value(itav);
    ck_assert_int_eq(ASN1_TYPE_get(val), V_ASN1_GENERALIZEDTIME);
    ck_assert_int_eq(ASN1_STRING_cmp(val->value.generalizedtime,
                                     pki.confirm_wait), 0);
    ck_assert_int_eq(ASN1_TIME_check(val->value.generalizedtime), 1);
    /* no implicitConfirm granted: the client confirmed and got pkiconf */
    ck_assert_int_eq(p11cmp_hdr_has_implicitConfirm(msg->header), 0);
    ck_assert_ptr_nonnull(find_msg("cr", P11CMP_PKIBODY_CERTCONF));
    ck_assert_ptr_nonnull(find_msg("cr", P11CMP_PKIBODY_PKICONF));
    /* a header without generalInfo gives NULL, a NULL header an error */
    P11CMP_MSG_free(msg);
    msg = peer_decoded("cr", P11CMP_PKIBODY_CR);
    ck_assert_ptr_null(P11CMP_HDR_get0_geninfo_ITAVs(msg->header));
    ck_assert_ptr_null(P11CMP_HDR_get0_geninfo_ITAVs(NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ERR_clear_error();
    ASN1_OBJECT_free(oid);
    OPENSSL_free(der);
    P11CMP_MSG_free(msg);
}
END_TEST

/* p11cmp changes header fields of each message; OpenSSL decodes it */
START_TEST(changed_by_p11cmp_decodes_in_openssl)
{
    static const unsigned char tid[16] = {
        0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
        0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab
    };
    int i, len, olen;
    unsigned char *der, *oder;
    const unsigned char *p;
    P11CMP_MSG *msg;
    OSSL_CMP_MSG *omsg;
    ASN1_UTF8STRING *text;

    for (i = 0; i < peer.n; i++) {
        msg = decode(&peer.msg[i]);
        ck_assert_ptr_nonnull(msg);
        ck_assert(ASN1_OCTET_STRING_set(msg->header->transactionID, tid,
                                        sizeof(tid)));
        ck_assert(ASN1_INTEGER_set(msg->header->pvno, 3));
        text = ASN1_UTF8STRING_new();
        ck_assert(ASN1_STRING_set(text, "changed by p11cmp", -1));
        if (msg->header->freeText == NULL)
            msg->header->freeText = sk_ASN1_UTF8STRING_new_null();
        ck_assert(sk_ASN1_UTF8STRING_push(msg->header->freeText, text));
        p11cmp_MSG_forget_received(msg);
        der = NULL;
        len = i2d_P11CMP_MSG(msg, &der);
        ck_assert_int_gt(len, peer.msg[i].len);
        p = der;
        omsg = d2i_OSSL_CMP_MSG(NULL, &p, len);
        ck_assert_msg(omsg != NULL, "OpenSSL rejects changed msg %d", i);
        ck_assert_int_eq(OSSL_CMP_MSG_get_bodytype(omsg),
                         peer.msg[i].bodytype);
        ck_assert_int_eq(ASN1_OCTET_STRING_cmp(OSSL_CMP_HDR_get0_transactionID(
                             OSSL_CMP_MSG_get0_header(omsg)),
                             msg->header->transactionID), 0);
        oder = NULL;
        olen = i2d_OSSL_CMP_MSG(omsg, &oder);
        ck_assert(same_der(der, len, oder, olen));
        OPENSSL_free(oder);
        OSSL_CMP_MSG_free(omsg);
        OPENSSL_free(der);
        P11CMP_MSG_free(msg);
    }
}
END_TEST

TCase *peer_tcase(void)
{
    TCase *tc = tcase_create("openssl-peer");

    tcase_add_test(tc, peer_produced_every_body_type);
    tcase_add_test(tc, peer_msgs_roundtrip_identically);
    tcase_add_test(tc, peer_ir_fields);
    tcase_add_test(tc, peer_ip_fields);
    tcase_add_test(tc, peer_kur_p10cr_fields);
    tcase_add_test(tc, peer_rr_rp_fields);
    tcase_add_test(tc, peer_genm_genp_fields);
    tcase_add_test(tc, peer_polling_certconf_error_fields);
    tcase_add_test(tc, peer_signed_ir_fields);
    tcase_add_test(tc, peer_cp_confirmwaittime);
    tcase_add_test(tc, changed_by_p11cmp_decodes_in_openssl);
    return tc;
}
