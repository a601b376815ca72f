/*
 * tests/verify_peer.h - OpenSSL as the server whose responses the
 * validation tests of src/verify.c check: a small PKI, CMP sessions run
 * in process between OpenSSL's client and OpenSSL's server (PBM and
 * signature protected), and the tools to alter a response and protect it
 * again so that exactly one rule of the validation fails.
 */
#ifndef TESTS_VERIFY_PEER_H
#define TESTS_VERIFY_PEER_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "local.h"

#define VP_SECRET "verify-secret"
#define VP_REF "verify-ref"
#define VP_MAX_MSGS 16

/* the keys and certs of the test PKI */
struct vp_pki {
    EVP_PKEY *root_key, *srv_key, *ee_key, *other_key;
    X509 *root;          /* self-signed trust anchor, "CN=vp root" */
    X509 *other_root;    /* a root that signed nothing of the sessions */
    X509 *srv;           /* "CN=vp server": digitalSignature, SKID */
    X509 *srv_expired;   /* same key and subject, expired */
    X509 *srv_nods;      /* same key and subject, no digitalSignature */
    X509 *ee;            /* client cert for signed requests */
    X509 *ee_other;      /* a cert for other_key, issued by root */
};

/* the DER of the messages of one session, in the order they passed */
struct vp_session {
    unsigned char *der[VP_MAX_MSGS];
    int len[VP_MAX_MSGS];
    int n;
};

/* sessions: IR with PBM, IR signed, IR that the server fails (error) */
enum vp_kind { VP_PBM, VP_SIG, VP_FAIL };

int vp_pki_new(struct vp_pki *pki);
void vp_pki_free(struct vp_pki *pki);
/* runs a session of kind; 1 if it went as planned */
int vp_run(const struct vp_pki *pki, enum vp_kind kind,
           struct vp_session *s);
void vp_session_free(struct vp_session *s);

/* message i of s decoded by p11cmp (as received), or NULL */
P11CMP_MSG *vp_msg(const struct vp_session *s, int i);
/*
 * A client context that sent message 0 of s: its transactionID and
 * senderNonce, newPkey = ee_key; for PBM the secret, for signatures
 * root in the trusted store.
 */
P11CMP_CTX *vp_ctx(const struct vp_pki *pki, const struct vp_session *s,
                   int pbm);
/* encodes msg and decodes it again: as the client would receive it;
 * frees msg */
P11CMP_MSG *vp_roundtrip(P11CMP_MSG *msg);
/*
 * Protects msg again after a change: PBM with the parameters in its
 * protectionAlg and secret, or a signature with key (EVP_DigestSign;
 * SHA-256 unless key is EdDSA) that fits the protectionAlg.
 */
int vp_reprotect_pbm(P11CMP_MSG *msg, const char *secret);
int vp_reprotect_sig(P11CMP_MSG *msg, EVP_PKEY *key);
/*
 * Signs msg again with key, whatever its type: libcrypto chooses the
 * AlgorithmIdentifier (ASN1_item_sign_ex: SHA-256, RSASSA-PSS parameters
 * for RSA-PSS keys, none for EdDSA), put into protectionAlg first.
 */
int vp_resign(P11CMP_MSG *msg, EVP_PKEY *key);
/* new PBM parameters (salt length, iteration count) in protectionAlg */
int vp_set_pbm_params(P11CMP_MSG *msg, size_t slen, size_t iter);
/*
 * The PBM-protected message der (len bytes) with its senderNonce length
 * encoded in long form, which is valid BER but not DER, and protected
 * with secret over exactly these bytes: a message that only verifies
 * over the bytes as received. New buffer of *outlen bytes, or NULL.
 */
unsigned char *vp_nonminimal_pbm(const unsigned char *der, int len,
                                 const char *secret, int *outlen);
/* a name "CN=cn" (new) */
X509_NAME *vp_name(const char *cn);
/* a cert: serial, subject CN, issued by issuer/ikey (self-signed if
 * NULL), key usage ku (NULL: none), valid from days_from to days_to */
X509 *vp_cert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *ikey,
              const char *ku, int days_from, int days_to);

#endif /* TESTS_VERIFY_PEER_H */
