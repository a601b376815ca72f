/*
 * tests/build_fixture.h - shared fixture of check_msg and check_protect:
 * a small PKI with a key and certificate per signature algorithm, p11cmp
 * contexts for PBM and signature protection, and OpenSSL (the peer) to
 * decode and validate what p11cmp built.
 */
#ifndef BUILD_FIXTURE_H
#define BUILD_FIXTURE_H

#include <check.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/x509v3.h>
#include <p11cmp/p11cmp.h>

#include "local.h"

enum fx_alg {
    FX_RSA, FX_RSA_PSS, FX_P256, FX_P384, FX_P521, FX_ED25519, FX_ED448,
    FX_NUM_ALGS
};

#define FX_SECRET "pbm secret 1234"
#define FX_REF "client-ref-7"

struct fx_pki {
    EVP_PKEY *root_key;     /* P-256, self-signed root CA */
    X509 *root;
    EVP_PKEY *sub_key;      /* P-256, intermediate CA under root */
    X509 *sub;
    EVP_PKEY *key[FX_NUM_ALGS];
    X509 *cert[FX_NUM_ALGS]; /* CN=client-<alg>, issued by root, SKID */
    X509 *leaf_of_sub;      /* P-256 client cert issued by sub */
    EVP_PKEY *new_key;      /* P-256 key to be certified */
    X509 *old_cert;         /* cert of new_key by root with a SAN */
};

extern struct fx_pki fx;

void fx_setup(void);
void fx_teardown(void);
const char *fx_alg_name(int alg);

/* the p11cmp reason of the newest error (-1 if none); clears the queue */
int fx_reason(void);
#define ASSERT_REASON(r) ck_assert_int_eq(fx_reason(), (r))

X509_NAME *fx_name(const char *cn);
/*
 * A v3 cert for pub named cn, signed by ikey/issuer with md (NULL for
 * EdDSA); self-signed if issuer is NULL. ca: CA cert; san: a DNS SAN
 * or NULL. Has SKID, AKID and keyUsage.
 */
X509 *fx_issue(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *ikey,
               const EVP_MD *md, int ca, const char *san);

/* p11cmp contexts: PBM with FX_SECRET/FX_REF, or signing with alg */
P11CMP_CTX *fx_ctx_pbm(void);
P11CMP_CTX *fx_ctx_sig(int alg);

/* every request body type p11cmp builds, and a name for each */
#define FX_NUM_REQ_TYPES 9
extern const int fx_req_types[FX_NUM_REQ_TYPES];
const char *fx_body_name(int bodytype);
/*
 * A request of bodytype (one of fx_req_types) built by ctx with the
 * builder of src/msg.c for it, after putting into ctx what that type
 * needs: oldCert = old_cert (KUR, RR), a CSR of new_key (P10CR). certConf
 * confirms cert[FX_P256]; pollReq and error use certReqId 0. NULL if the
 * builder failed (its error stays on the ERR stack).
 */
P11CMP_MSG *fx_build(P11CMP_CTX *ctx, int bodytype);

/*
 * OpenSSL's view of msg: i2d with p11cmp, d2i_OSSL_CMP_MSG, and OpenSSL
 * re-encodes it to exactly the same bytes; what names msg in the failure
 * messages. The caller frees the result.
 */
OSSL_CMP_MSG *fx_to_ossl_as(const P11CMP_MSG *msg, const char *what);
#define fx_to_ossl(msg) fx_to_ossl_as((msg), "message")
/* OpenSSL validators: PBM with secret; pinned srvCert; trusted root */
OSSL_CMP_CTX *fx_ossl_pbm(const char *secret);
OSSL_CMP_CTX *fx_ossl_srvcert(X509 *cert);
OSSL_CMP_CTX *fx_ossl_trusted(void);
/* 1 if OSSL_CMP_validate_msg() with vctx accepts msg (vctx freed) */
int fx_ossl_validates(OSSL_CMP_CTX *vctx, const P11CMP_MSG *msg);

/*
 * The DER of msg (*der, to be freed) and in it the content of the body's
 * EXPLICIT tag: *content / *clen.
 */
void fx_body_content(const P11CMP_MSG *msg, unsigned char **der,
                     const unsigned char **content, long *clen);
/* The CertReqMessages of an IR/CR/KUR, decoded by OpenSSL */
OSSL_CRMF_MSGS *fx_crmf_msgs(const P11CMP_MSG *msg);
/* the TLV with context tag [tag] among the elements of SEQUENCE der */
int fx_find_tagged(const unsigned char *der, long len, int tag,
                   const unsigned char **tlv, long *tlvlen);
/* a p11cmp copy of msg as received (i2d, d2i_P11CMP_MSG) */
P11CMP_MSG *fx_received(const P11CMP_MSG *msg);

#endif
