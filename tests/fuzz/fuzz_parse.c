/*
 * tests/fuzz/fuzz_parse.c - libFuzzer target: the certificate, CRL and
 * ITAV parsing paths of p11cmp's own ASN.1 templates (src/asn1*.c). Byte
 * 0 picks the structure the rest is decoded as: PKIHeader (generalInfo
 * ITAVs), CertRepMessage (caPubs and issued certificates),
 * CertifiedKeyPair, RevRepContent (CRLs), PKIStatusInfo or a PKIMessage
 * whose body parts are then walked. A structure that decodes must
 * encode, decode and encode to the same DER; certificates and CRLs found
 * are re-encoded and their names and keys read as the client does.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "../../src/local.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* Decodes with it, re-encodes, decodes and re-encodes: same DER or abort.
 * Returns the decoded value (ASN1_item_free it) or NULL. */
static ASN1_VALUE *roundtrip(const ASN1_ITEM *it, const uint8_t *d, size_t n)
{
    const unsigned char *p = d;
    ASN1_VALUE *v = ASN1_item_d2i(NULL, &p, (long)n, it), *w;
    unsigned char *e1 = NULL, *e2 = NULL;
    int l1, l2;

    if (v == NULL)
        return NULL;
    if ((l1 = ASN1_item_i2d(v, &e1, it)) > 0) {
        p = e1;
        if ((w = ASN1_item_d2i(NULL, &p, l1, it)) == NULL)
            abort();
        l2 = ASN1_item_i2d(w, &e2, it);
        if (l2 != l1 || memcmp(e1, e2, (size_t)l1) != 0)
            abort();
        ASN1_item_free(w, it);
    }
    OPENSSL_free(e1);
    OPENSSL_free(e2);
    return v;
}

/* what the client reads of a certificate it receives */
static void use_cert(X509 *c)
{
    unsigned char *der = NULL;
    EVP_PKEY *pk;

    if (c == NULL)
        return;
    (void)X509_NAME_hash_ex(X509_get_subject_name(c), NULL, NULL, NULL);
    (void)X509_get0_subject_key_id(c);
    (void)X509_check_purpose(c, -1, 0);
    if ((pk = X509_get0_pubkey(c)) != NULL)
        (void)EVP_PKEY_eq(pk, fuzz_key());
    if (i2d_X509(c, &der) < 0)
        ERR_clear_error();
    OPENSSL_free(der);
}

static void use_certs(STACK_OF(X509) *certs)
{
    int i;

    for (i = 0; i < sk_X509_num(certs); i++)
        use_cert(sk_X509_value(certs, i));
}

static void use_itavs(STACK_OF(P11CMP_ITAV) *itavs)
{
    int i;

    for (i = 0; i < sk_P11CMP_ITAV_num(itavs); i++) {
        P11CMP_ITAV *dup = P11CMP_ITAV_dup(sk_P11CMP_ITAV_value(itavs, i));

        if (dup != NULL) {
            (void)OBJ_obj2nid(P11CMP_ITAV_get0_type(dup));
            (void)P11CMP_ITAV_get0_value(dup);
        }
        P11CMP_ITAV_free(dup);
    }
}

static void use_certrep(p11cmp_CERTREPMESSAGE *rep)
{
    int i;

    if (rep == NULL)
        return;
    use_certs(rep->caPubs);
    for (i = 0; i < sk_p11cmp_CERTRESPONSE_num(rep->response); i++) {
        p11cmp_CERTRESPONSE *r = sk_p11cmp_CERTRESPONSE_value(rep->response,
                                                              i);

        (void)ASN1_INTEGER_get(r->certReqId);
        if (r->certifiedKeyPair != NULL
            && r->certifiedKeyPair->certOrEncCert != NULL
            && r->certifiedKeyPair->certOrEncCert->type
               == P11CMP_CERTORENCCERT_CERTIFICATE)
            use_cert(r->certifiedKeyPair->certOrEncCert->value.certificate);
    }
}

static void use_revrep(p11cmp_REVREPCONTENT *rp)
{
    unsigned char *der = NULL;
    int i;

    if (rp == NULL)
        return;
    for (i = 0; i < sk_X509_CRL_num(rp->crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(rp->crls, i);

        (void)X509_CRL_get_issuer(crl);
        (void)sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
        if (i2d_X509_CRL(crl, &der) < 0)
            ERR_clear_error();
        OPENSSL_free(der);
        der = NULL;
    }
}

static void use_msg(P11CMP_MSG *msg)
{
    p11cmp_PKIBODY *b = msg->body;

    if (msg->header != NULL)
        use_itavs(P11CMP_HDR_get0_geninfo_ITAVs(msg->header));
    use_certs(msg->extraCerts);
    fuzz_check_roundtrip(msg);
    switch (b->type) {
    case P11CMP_PKIBODY_IP:
    case P11CMP_PKIBODY_CP:
    case P11CMP_PKIBODY_KUP:
        use_certrep(b->value.ip);
        break;
    case P11CMP_PKIBODY_RP:
        use_revrep(b->value.rp);
        break;
    case P11CMP_PKIBODY_GENP:
    case P11CMP_PKIBODY_GENM:
        use_itavs(b->value.genp);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const unsigned char *p;
    ASN1_VALUE *v;
    P11CMP_MSG *msg;

    if (len < 1)
        return 0;
    fuzz_init();
    p = data + 1;
    switch (data[0] % 6) {
    case 0:
        if ((msg = d2i_P11CMP_MSG(NULL, &p, (long)len - 1)) != NULL)
            use_msg(msg);
        P11CMP_MSG_free(msg);
        break;
    case 1:
        v = roundtrip(ASN1_ITEM_rptr(p11cmp_PKIHEADER), data + 1, len - 1);
        if (v != NULL)
            use_itavs(P11CMP_HDR_get0_geninfo_ITAVs((P11CMP_PKIHEADER *)v));
        ASN1_item_free(v, ASN1_ITEM_rptr(p11cmp_PKIHEADER));
        break;
    case 2:
        v = roundtrip(ASN1_ITEM_rptr(p11cmp_CERTREPMESSAGE), data + 1,
                      len - 1);
        use_certrep((p11cmp_CERTREPMESSAGE *)v);
        ASN1_item_free(v, ASN1_ITEM_rptr(p11cmp_CERTREPMESSAGE));
        break;
    case 3:
        v = roundtrip(ASN1_ITEM_rptr(p11cmp_CERTIFIEDKEYPAIR), data + 1,
                      len - 1);
        ASN1_item_free(v, ASN1_ITEM_rptr(p11cmp_CERTIFIEDKEYPAIR));
        break;
    case 4:
        v = roundtrip(ASN1_ITEM_rptr(p11cmp_REVREPCONTENT), data + 1,
                      len - 1);
        use_revrep((p11cmp_REVREPCONTENT *)v);
        ASN1_item_free(v, ASN1_ITEM_rptr(p11cmp_REVREPCONTENT));
        break;
    default:
        v = roundtrip(ASN1_ITEM_rptr(p11cmp_PKISI), data + 1, len - 1);
        ASN1_item_free(v, ASN1_ITEM_rptr(p11cmp_PKISI));
        break;
    }
    ERR_clear_error();
    return 0;
}
