/*
 * pkcs11/p11_keygen.c - key pairs made on the token: generated (RSA
 * 2048-4096, EC P-256/P-384/P-521, Ed25519 and Ed448 where the module has
 * them) or imported from a software key (RSA, EC P-256/P-384/P-521: a
 * centrally generated key, C_CreateObject of both halves, the private
 * values in secure-heap buffers cleansed right after the call), with the
 * attributes that keep the private key inside: token, private,
 * sensitive, not extractable, sign only. The public template names no
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

/* The templates of an imported pair and the buffers they point into. */
typedef struct {
    CK_ATTRIBUTE pt[10], kt[24];
    CK_ULONG np, nk;
    unsigned char *buf[10];
    size_t len[10];
    int nbuf;
} IMPORT;

#define TO_PUB 1
#define TO_PRIV 2

static void import_clear(IMPORT *im)
{
    while (im->nbuf > 0) {
        im->nbuf--;
        OPENSSL_secure_clear_free(im->buf[im->nbuf], im->len[im->nbuf]);
    }
}

/* Adds attribute t (len bytes at v) to the templates named by to */
static void import_add(IMPORT *im, int to, CK_ATTRIBUTE_TYPE t,
                       const void *v, size_t len)
{
    if ((to & TO_PUB) != 0)
        ADD(im->pt, im->np, t, v, len);
    if ((to & TO_PRIV) != 0)
        ADD(im->kt, im->nk, t, v, len);
}

/* A new secure buffer of len bytes kept in im; NULL if none */
static unsigned char *import_buf(IMPORT *im, size_t len)
{
    unsigned char *b;

    if (im->nbuf >= 10 || (b = OPENSSL_secure_zalloc(len)) == NULL)
        return NULL;
    im->buf[im->nbuf] = b;
    im->len[im->nbuf++] = len;
    return b;
}

/* The BIGNUM parameter name of pk as attribute t (pad: length or 0) */
static int import_bn(IMPORT *im, int to, CK_ATTRIBUTE_TYPE t,
                     EVP_PKEY *pk, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char *b;
    int len, ok = 0;

    if (EVP_PKEY_get_bn_param(pk, name, &bn)) {
        len = pad > 0 ? pad : BN_num_bytes(bn);
        if ((b = import_buf(im, len > 0 ? len : 1)) != NULL
            && BN_bn2binpad(bn, b, len) == len) {
            import_add(im, to, t, b, len);
            ok = 1;
        }
    }
    BN_clear_free(bn);
    return ok;
}

static int import_rsa(IMPORT *im, EVP_PKEY *pk)
{
    return import_bn(im, TO_PUB | TO_PRIV, CKA_MODULUS, pk, "n", 0)
        && import_bn(im, TO_PUB | TO_PRIV, CKA_PUBLIC_EXPONENT, pk, "e", 0)
        && import_bn(im, TO_PRIV, CKA_PRIVATE_EXPONENT, pk, "d", 0)
        && import_bn(im, TO_PRIV, CKA_PRIME_1, pk, "rsa-factor1", 0)
        && import_bn(im, TO_PRIV, CKA_PRIME_2, pk, "rsa-factor2", 0)
        && import_bn(im, TO_PRIV, CKA_EXPONENT_1, pk, "rsa-exponent1", 0)
        && import_bn(im, TO_PRIV, CKA_EXPONENT_2, pk, "rsa-exponent2", 0)
        && import_bn(im, TO_PRIV, CKA_COEFFICIENT, pk, "rsa-coefficient1",
                     0);
}

/* EC: the curve (P-256/384/521), the point, the private value */
static int import_ec(IMPORT *im, EVP_PKEY *pk)
{
    char group[64];
    unsigned char pt[200], *params = NULL, *b, *p;
    size_t ptlen = 0;
    int nid, plen = 0, n;

    if (!EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group),
                                        NULL)
        || ((nid = EC_curve_nist2nid(group)) == NID_undef
            && (nid = OBJ_sn2nid(group)) == NID_undef)
        || (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1
            && nid != NID_secp521r1)
        || !EVP_PKEY_get_octet_string_param(pk, "encoded-pub-key", pt,
                                            sizeof(pt), &ptlen)
        || !curve_params(nid, &params, &plen))
        goto unsupported;
    n = ASN1_object_size(0, (int)ptlen, V_ASN1_OCTET_STRING);
    if ((b = import_buf(im, plen)) == NULL
        || (p = import_buf(im, n)) == NULL) {
        OPENSSL_free(params);
        return 0;
    }
    memcpy(b, params, plen);
    OPENSSL_free(params);
    import_add(im, TO_PUB | TO_PRIV, CKA_EC_PARAMS, b, plen);
    import_add(im, TO_PUB, CKA_EC_POINT, p, n);
    ASN1_put_object(&p, 0, (int)ptlen, V_ASN1_OCTET_STRING,
                    V_ASN1_UNIVERSAL);
    memcpy(p, pt, ptlen);
    return import_bn(im, TO_PRIV, CKA_VALUE, pk, "priv",
                     (EVP_PKEY_get_bits(pk) + 7) / 8);
 unsupported:
    OPENSSL_free(params);
    p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE, "EC key to import "
                      "(P-256, P-384, P-521)");
    return 0;
}

/* The usage and protection attributes, CKA_ID and CKA_LABEL of g */
static void import_common(IMPORT *im, const KEYGEN *g, CK_OBJECT_CLASS *pub,
                          CK_OBJECT_CLASS *priv, CK_KEY_TYPE *type)
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

    ADD(im->pt, im->np, CKA_CLASS, pub, sizeof(*pub));
    ADD(im->kt, im->nk, CKA_CLASS, priv, sizeof(*priv));
    import_add(im, TO_PUB | TO_PRIV, CKA_KEY_TYPE, type, sizeof(*type));
    import_add(im, TO_PUB | TO_PRIV, CKA_TOKEN, &yes, 1);
    ADD(im->pt, im->np, CKA_PRIVATE, &no, 1);
    ADD(im->kt, im->nk, CKA_PRIVATE, &yes, 1);
    ADD(im->kt, im->nk, CKA_SENSITIVE, &yes, 1);
    ADD(im->kt, im->nk, CKA_EXTRACTABLE, &no, 1);
    ADD(im->kt, im->nk, CKA_SIGN, &yes, 1);
    ADD(im->kt, im->nk, CKA_DECRYPT, &no, 1);
    ADD(im->kt, im->nk, CKA_UNWRAP, &no, 1);
    ADD(im->kt, im->nk, CKA_DERIVE, &no, 1);
    ADD(im->kt, im->nk, CKA_SIGN_RECOVER, &no, 1);
    import_add(im, TO_PUB | TO_PRIV, CKA_ID, g->id, g->idlen);
    if (g->label != NULL)
        import_add(im, TO_PUB | TO_PRIV, CKA_LABEL, g->label,
                   strlen(g->label));
}

/* Creates the public, then the private half; each recorded in txn */
static int import_create(P11CMP_P11_TXN *txn, const KEYGEN *g, IMPORT *im,
                         CK_OBJECT_HANDLE *priv)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_OBJECT_HANDLE pub;
    CK_ATTRIBUTE t[3];
    CK_ULONG n = pair_ident(g, &cls, t);

    if (!p11cmp_p11_create(tok, im->pt, im->np, &pub)
        || !p11cmp_p11_txn_add_created(txn, pub, t, n))
        return 0;
    cls = CKO_PRIVATE_KEY;
    return p11cmp_p11_create(tok, im->kt, im->nk, priv)
        && p11cmp_p11_txn_add_created(txn, *priv, t, n);
}

int p11cmp_p11_txn_import(P11CMP_P11_TXN *txn, EVP_PKEY *sw,
                          const char *label, const unsigned char *id,
                          size_t idlen, EVP_PKEY **pkey)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_txn_token(txn);
    CK_OBJECT_CLASS pub = CKO_PUBLIC_KEY, priv = CKO_PRIVATE_KEY;
    CK_KEY_TYPE type = EVP_PKEY_is_a(sw, "RSA") ? CKK_RSA : CKK_EC;
    unsigned char rid[P11CMP_P11_ID_LEN];
    CK_OBJECT_HANDLE h = 0;
    IMPORT im;
    KEYGEN g;
    int res = 0;

    memset(&im, 0, sizeof(im));
    memset(&g, 0, sizeof(g));
    if (tok == NULL || sw == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if (id == NULL && RAND_bytes(rid, sizeof(rid)) <= 0) {
        p11cmp_raise(P11CMP_R_RANDOM_FAILURE);
        return 0;
    }
    g.id = id != NULL ? id : rid;
    g.idlen = id != NULL ? idlen : sizeof(rid);
    g.label = label;
    import_common(&im, &g, &pub, &priv, &type);
    if (!EVP_PKEY_is_a(sw, "RSA") && !EVP_PKEY_is_a(sw, "EC"))
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_KEY_TYPE, "key to import: "
                          "%s (RSA or EC)", EVP_PKEY_get0_type_name(sw));
    else if ((type == CKK_RSA ? import_rsa(&im, sw) : import_ec(&im, sw))
             && journal_pair(txn, &g) && import_create(txn, &g, &im, &h)
             && (pkey == NULL
                 || (*pkey = p11cmp_p11_pkey_new(tok, h)) != NULL))
        res = 1;
    import_clear(&im);
    if (!res)
        p11cmp_raise_data(P11CMP_R_STORE_FAILED, "importing a key; uri=%s",
                          p11cmp_p11_token_uri(tok));
    return res;
}
