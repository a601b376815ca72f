/*
 * pkcs11/p11_keygen.c - key-pair generation on the token (RSA 2048-4096,
 * EC P-256/P-384/P-521, Ed25519 and Ed448 where the module has them)
 * with the attributes that keep the private key inside: token, private,
 * sensitive, never extractable, sign only. The public template names no
 * usage (CKA_VERIFY...): tpm2-pkcs11 derives the public half's usage
 * attributes from the TPM object it makes for the private template and
 * fails C_GenerateKeyPair ("attr mismatch") when the public template says
 * otherwise; the sign-only property lives on the private half, where
 * CKA_SIGN is set and CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE and
 * CKA_SIGN_RECOVER (a raw RSA operation) are cleared,
 * which SoftHSM2 and tpm2-pkcs11 both accept. CKA_ID and CKA_LABEL are
 * shared by both halves; both are recorded in the transaction's undo
 * list.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "p11_local.h"

int p11cmp_p11_alg_parse(const char *alg, CK_KEY_TYPE *type,
                         int *bits_or_nid)
{
    const char *arg;
    int nid;

    if (alg == NULL)
        goto bad;
    arg = strchr(alg, ':');
    if (strncasecmp(alg, "RSA:", 4) == 0) {
        *type = CKK_RSA;
        *bits_or_nid = atoi(arg + 1);
        if (strcmp(arg + 1, "2048") == 0 || strcmp(arg + 1, "3072") == 0
            || strcmp(arg + 1, "4096") == 0)
            return 1;
    } else if (strncasecmp(alg, "EC:", 3) == 0) {
        *type = CKK_EC;
        nid = EC_curve_nist2nid(arg + 1);
        if (nid == NID_undef)
            nid = OBJ_sn2nid(arg + 1);
        *bits_or_nid = nid;
        if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1
            || nid == NID_secp521r1)
            return 1;
    } else if (strcasecmp(alg, "ED25519") == 0
               || strcasecmp(alg, "EC:edwards25519") == 0) {
        *type = CKK_EC_EDWARDS;
        *bits_or_nid = NID_ED25519;
        return 1;
    } else if (strcasecmp(alg, "ED448") == 0
               || strcasecmp(alg, "EC:edwards448") == 0) {
        *type = CKK_EC_EDWARDS;
        *bits_or_nid = NID_ED448;
        return 1;
    }
 bad:
    p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                      "algorithm \"%s\" (use RSA:2048|3072|4096, "
                      "EC:P-256|P-384|P-521, ED25519 or ED448)",
                      alg != NULL ? alg : "(null)");
    return 0;
}

/* DER of the curve OID for CKA_EC_PARAMS; new buffer. */
static int curve_params(int nid, unsigned char **der, int *len)
{
    const ASN1_OBJECT *obj = OBJ_nid2obj(nid);

    *der = NULL;
    return obj != NULL && (*len = i2d_ASN1_OBJECT(obj, der)) > 0;
}

typedef struct {
    CK_KEY_TYPE type;
    int arg;                 /* RSA bits or curve NID */
    const unsigned char *id;
    size_t idlen;
    const char *label;
} KEYGEN;

#define ADD(t, n, ty, v, l) \
    ((t)[n].type = (ty), (t)[n].pValue = (void *)(v), \
     (t)[n].ulValueLen = (l), (n)++)

static CK_RV generate(P11CMP_P11_TOKEN *tok, const KEYGEN *g,
                      unsigned char *params, int plen,
                      CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    static CK_BYTE e65537[] = {0x01, 0x00, 0x01};
    CK_ULONG bits = g->arg;
    CK_ATTRIBUTE pt[7], kt[13];
    CK_ULONG np = 0, nk = 0;
    CK_MECHANISM m = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_RV rv;

    ADD(pt, np, CKA_TOKEN, &yes, 1);
    ADD(pt, np, CKA_PRIVATE, &no, 1);
    ADD(pt, np, CKA_ID, g->id, g->idlen);
    ADD(kt, nk, CKA_TOKEN, &yes, 1);
    ADD(kt, nk, CKA_PRIVATE, &yes, 1);
    ADD(kt, nk, CKA_SENSITIVE, &yes, 1);
    ADD(kt, nk, CKA_EXTRACTABLE, &no, 1);
    ADD(kt, nk, CKA_SIGN, &yes, 1);
    ADD(kt, nk, CKA_DECRYPT, &no, 1);
    ADD(kt, nk, CKA_UNWRAP, &no, 1);
    ADD(kt, nk, CKA_DERIVE, &no, 1);
    ADD(kt, nk, CKA_SIGN_RECOVER, &no, 1);
    ADD(kt, nk, CKA_ID, g->id, g->idlen);
    if (g->label != NULL) {
        ADD(pt, np, CKA_LABEL, g->label, strlen(g->label));
        ADD(kt, nk, CKA_LABEL, g->label, strlen(g->label));
    }
    if (g->type == CKK_RSA) {
        ADD(pt, np, CKA_MODULUS_BITS, &bits, sizeof(bits));
        ADD(pt, np, CKA_PUBLIC_EXPONENT, e65537, sizeof(e65537));
    } else {
        m.mechanism = g->type == CKK_EC ? CKM_EC_KEY_PAIR_GEN
                                        : CKM_EC_EDWARDS_KEY_PAIR_GEN;
        ADD(pt, np, CKA_EC_PARAMS, params, plen);
    }
    P11CMP_P11_RETRY(tok, rv,
                     P11CMP_P11_CALL(tok, rv, C_GenerateKeyPair,
                                     tok->session, &m, pt, np, kt, nk,
                                     pub, priv));
    return rv;
}

/*
 * What identifies a half of the pair g into t: class *cls, CKA_ID and
 * CKA_LABEL (to find it again after the token was logged out, or after
 * the process died). The number of attributes.
 */
static CK_ULONG pair_ident(const KEYGEN *g, CK_OBJECT_CLASS *cls,
                           CK_ATTRIBUTE t[3])
{
    CK_ULONG n = 2;

    t[0].type = CKA_CLASS;
    t[0].pValue = cls;
    t[0].ulValueLen = sizeof(*cls);
    t[1].type = CKA_ID;
    t[1].pValue = (void *)g->id;
    t[1].ulValueLen = g->idlen;
    if (g->label != NULL) {
        t[2].type = CKA_LABEL;
        t[2].pValue = (void *)g->label;
        t[2].ulValueLen = strlen(g->label);
        n++;
    }
    return n;
}

/* Journals the pair g before it is generated (one record for both). */
static int journal_pair(P11CMP_P11_TXN *txn, const KEYGEN *g)
{
    CK_OBJECT_CLASS pub = CKO_PUBLIC_KEY, priv = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[3];

    return p11cmp_p11_txn_will_create(txn, t, pair_ident(g, &pub, t), 1)
        && p11cmp_p11_txn_will_create(txn, t, pair_ident(g, &priv, t), 0);
}

/* Records pub and priv in txn, by handle and by identity. */
static int add_pair(P11CMP_P11_TXN *txn, const KEYGEN *g,
                    CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_ATTRIBUTE t[3];
    CK_ULONG n = pair_ident(g, &cls, t);

    if (!p11cmp_p11_txn_add_created(txn, pub, t, n))
        return 0;
    cls = CKO_PRIVATE_KEY;
    return p11cmp_p11_txn_add_created(txn, priv, t, n);
}

/* CKA_ID := SHA-1 of the public key bits on both halves. */
static int id_from_pubkey(P11CMP_P11_TXN *txn, CK_OBJECT_HANDLE pub,
                          CK_OBJECT_HANDLE priv)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    unsigned char md[SHA_DIGEST_LENGTH];
    const unsigned char *bits;
    X509_PUBKEY *xpk = NULL;
    EVP_PKEY *pk;
    CK_ATTRIBUTE a = {CKA_ID, md, sizeof(md)};
    int len, res = 0;

    if ((pk = p11cmp_p11_pubkey_read(tok, pub, NULL)) == NULL)
        return 0;
    if (X509_PUBKEY_set(&xpk, pk)
        && X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, xpk)
        && SHA1(bits, len, md) != NULL)
        res = p11cmp_p11_txn_set_attrs(txn, pub, &a, 1)
            && p11cmp_p11_txn_set_attrs(txn, priv, &a, 1);
    X509_PUBKEY_free(xpk);
    EVP_PKEY_free(pk);
    return res;
}

int p11cmp_p11_txn_keygen(P11CMP_P11_TXN *txn, const char *alg,
                          const char *label, const unsigned char *id,
                          size_t idlen, int flags, EVP_PKEY **pkey)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    unsigned char rid[P11CMP_P11_ID_LEN], *params = NULL;
    CK_OBJECT_HANDLE pub = 0, priv = 0;
    KEYGEN g;
    CK_RV rv;
    int plen = 0, res = 0;

    if (tok == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    memset(&g, 0, sizeof(g));
    if (!p11cmp_p11_alg_parse(alg, &g.type, &g.arg))
        return 0;
    if (id == NULL) {
        if (RAND_bytes(rid, sizeof(rid)) <= 0) {
            p11cmp_raise(P11CMP_R_RANDOM_FAILURE);
            return 0;
        }
        id = rid;
        idlen = sizeof(rid);
    }
    g.id = id;
    g.idlen = idlen;
    g.label = label;
    if (g.type != CKK_RSA && !curve_params(g.arg, &params, &plen)) {
        p11cmp_raise(P11CMP_R_INTERNAL_ERROR);
        return 0;
    }
    if (!journal_pair(txn, &g)) {
        OPENSSL_free(params);
        return 0;
    }
    if ((rv = generate(tok, &g, params, plen, &pub, &priv)) != CKR_OK) {
        p11cmp_p11_raise(tok, rv == CKR_MECHANISM_INVALID
                         ? P11CMP_R_UNSUPPORTED_KEY_TYPE
                         : P11CMP_R_KEYGEN_FAILED, alg);
        OPENSSL_free(params);
        return 0;
    }
    if (!add_pair(txn, &g, pub, priv)
        || ((flags & P11CMP_P11_ID_FROM_PUBKEY) != 0
            && !id_from_pubkey(txn, pub, priv))
        || (pkey != NULL && (*pkey = p11cmp_p11_pkey_new(tok, priv)) == NULL))
        goto end;
    res = 1;
 end:
    if (!res)
        p11cmp_raise_data(P11CMP_R_KEYGEN_FAILED, "%s; uri=%s", alg,
                          p11cmp_p11_token_uri(tok));
    OPENSSL_free(params);
    return res;
}
