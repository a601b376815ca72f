/*
 * src/msg_io.c - decoding and encoding whole CMP messages: d2i/i2d with
 * the checks every received message gets (pvno, supported body), files
 * and BIOs, the received DER of the protected part, and the accessors of
 * P11CMP_MSG.
 */
#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>

#include "local.h"

/* Upper bound of one DER message read from a BIO or a file (64 MiB). */
#define MAX_MSG_DER (64L * 1024 * 1024)

/* 1 if p11cmp decodes bodies of this type into their structures */
static int body_supported(int type)
{
    switch (type) {
    case P11CMP_PKIBODY_IR: case P11CMP_PKIBODY_IP:
    case P11CMP_PKIBODY_CR: case P11CMP_PKIBODY_CP:
    case P11CMP_PKIBODY_P10CR: case P11CMP_PKIBODY_KUR:
    case P11CMP_PKIBODY_KUP: case P11CMP_PKIBODY_RR: case P11CMP_PKIBODY_RP:
    case P11CMP_PKIBODY_PKICONF: case P11CMP_PKIBODY_GENM:
    case P11CMP_PKIBODY_GENP: case P11CMP_PKIBODY_ERROR:
    case P11CMP_PKIBODY_CERTCONF: case P11CMP_PKIBODY_POLLREQ:
    case P11CMP_PKIBODY_POLLREP:
        return 1;
    default:
        return 0;
    }
}

/*
 * Finds the header and body TLVs inside the PKIMessage der of len bytes:
 * sets *start to the header and returns the length of header plus body,
 * or 0 if they cannot be delimited (a malformed or indefinite length).
 * If tag is not NULL it receives the tag of the body (-1 if unknown).
 */
static long find_header_body(const unsigned char *der, long len,
                             const unsigned char **start, int *tag)
{
    const unsigned char *p = der, *hdr;
    long clen;
    int t, xclass, ret, i;

    if (tag != NULL)
        *tag = -1;
    ret = ASN1_get_object(&p, &clen, &t, &xclass, len);
    if ((ret & 0x80) != 0 || (ret & 1) != 0)
        return 0;
    *start = hdr = p;
    for (i = 0; i < 2; i++) {
        ret = ASN1_get_object(&p, &clen, &t, &xclass, len - (p - der));
        if ((ret & 0x80) != 0 || (ret & 1) != 0)
            return 0;
        if (i == 1 && tag != NULL && xclass == V_ASN1_CONTEXT_SPECIFIC)
            *tag = t;
        p += clen;
    }
    return (long)(p - hdr);
}

/*
 * Stores in msg the DER of ProtectedPart built from the header and body
 * bytes exactly as found in der. Leaves it unset (and returns 1) when they
 * cannot be delimited, e.g. for indefinite-length BER.
 */
static int keep_received(P11CMP_MSG *msg, const unsigned char *der, long len)
{
    const unsigned char *hdr = NULL;
    long hblen = find_header_body(der, len, &hdr, NULL);
    unsigned char *buf, *q;
    int total;

    if (hblen <= 0 || hblen > INT_MAX / 2)
        return 1;
    total = ASN1_object_size(1, (int)hblen, V_ASN1_SEQUENCE);
    if (total <= 0 || (buf = OPENSSL_malloc((size_t)total)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    q = buf;
    ASN1_put_object(&q, 1, (int)hblen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(q, hdr, (size_t)hblen);
    OPENSSL_free(msg->rcvd_protpart);
    msg->rcvd_protpart = buf;
    msg->rcvd_protpart_len = (size_t)total;
    return 1;
}

/* The checks of a message that decoded: pvno and supported body type. */
static int check_decoded(const P11CMP_MSG *msg)
{
    long pvno = ASN1_INTEGER_get(msg->header->pvno);

    if (pvno != P11CMP_PVNO_2 && pvno != P11CMP_PVNO_3) {
        p11cmp_raise_data(P11CMP_R_UNSUPPORTED_PVNO, "pvno=%ld", pvno);
        return 0;
    }
    if (!body_supported(msg->body->type)) {
        p11cmp_raise_data(P11CMP_R_UNKNOWN_BODY_TYPE, "body type %d",
                          msg->body->type);
        return 0;
    }
    return 1;
}

/* The error of a PKIMessage that did not decode: an unknown body tag
 * beyond the RFC's CHOICE, or else malformed DER. */
static void raise_decode_error(const unsigned char *der, long len)
{
    const unsigned char *hdr;
    int tag;

    if (find_header_body(der, len, &hdr, &tag) > 0
            && tag > P11CMP_PKIBODY_TYPE_MAX)
        p11cmp_raise_data(P11CMP_R_UNKNOWN_BODY_TYPE, "body tag [%d]", tag);
    else
        p11cmp_raise(P11CMP_R_ASN1_DECODE_ERROR);
}

/*
 * Decodes a PKIMessage from *in (len bytes) like d2i_P11CMP_MSG(); the
 * certificates inside get libctx and propq, and so does the message.
 */
static P11CMP_MSG *msg_decode(P11CMP_MSG **out, const unsigned char **in,
                              long len, OSSL_LIB_CTX *libctx,
                              const char *propq)
{
    const unsigned char *p;
    P11CMP_MSG *msg;

    if (in == NULL || *in == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    p = *in;
    msg = (P11CMP_MSG *)ASN1_item_d2i_ex(NULL, &p, len,
                                         ASN1_ITEM_rptr(p11cmp_MSG),
                                         libctx, propq);
    if (msg == NULL) {
        raise_decode_error(*in, len);
        return NULL;
    }
    if (!check_decoded(msg) || !keep_received(msg, *in, (long)(p - *in)))
        goto err;
    msg->libctx = libctx;
    if (propq != NULL && (msg->propq = OPENSSL_strdup(propq)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto err;
    }
    if (out != NULL) {
        p11cmp_MSG_free(*out);
        *out = msg;
    }
    *in = p;
    return msg;
 err:
    p11cmp_MSG_free(msg);
    return NULL;
}

/*
 * Decodes a PKIMessage from the len bytes at *in, accepting pvno 2 and 3
 * and the body types p11cmp supports (P11CMP_R_UNSUPPORTED_PVNO,
 * P11CMP_R_UNKNOWN_BODY_TYPE, P11CMP_R_ASN1_DECODE_ERROR otherwise).
 * On success advances *in past the message, replaces (frees) *msg if msg
 * is not NULL, and returns the new message owned by the caller.
 */
P11CMP_MSG *d2i_P11CMP_MSG(P11CMP_MSG **msg, const unsigned char **in,
                           long len)
{
    return msg_decode(msg, in, len, NULL, NULL);
}

/* d2i_P11CMP_MSG() with libctx and propq; see src/local.h */
P11CMP_MSG *p11cmp_MSG_d2i_ex(const unsigned char **in, long len,
                              OSSL_LIB_CTX *libctx, const char *propq)
{
    return msg_decode(NULL, in, len, libctx, propq);
}

/*
 * DER-encodes msg like every i2d function: returns the length and, if out
 * is not NULL, writes to *out (allocating it if *out is NULL, else
 * advancing it). Returns -1 on error.
 */
int i2d_P11CMP_MSG(const P11CMP_MSG *msg, unsigned char **out)
{
    int len;

    if (msg == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return -1;
    }
    len = ASN1_item_i2d((const ASN1_VALUE *)msg, out,
                        ASN1_ITEM_rptr(p11cmp_MSG));
    if (len <= 0) {
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        return -1;
    }
    return len;
}

/* Reads exactly n bytes from bio into buf; 1 on success, 0 on EOF/error */
static int read_full(BIO *bio, unsigned char *buf, long n)
{
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        int got = BIO_read(bio, buf, chunk);

        if (got <= 0)
            return 0;
        buf += got;
        n -= got;
    }
    return 1;
}

/*
 * Reads one definite-length DER object from bio (at most MAX_MSG_DER
 * bytes). Returns its length and sets *der (caller frees), or -1.
 */
static long read_der(BIO *bio, unsigned char **der)
{
    unsigned char head[6], *buf = NULL;
    long nlen = 0, clen = 0, total, i;

    *der = NULL;
    if (!read_full(bio, head, 2))
        goto err;
    if ((head[1] & 0x80) == 0) {
        clen = head[1];
    } else {
        nlen = head[1] & 0x7f;
        if (nlen == 0 || nlen > 4 || !read_full(bio, head + 2, nlen))
            goto err;
        for (i = 0; i < nlen; i++)
            clen = (clen << 8) | head[2 + i];
    }
    total = 2 + nlen + clen;
    if (clen < 0 || total > MAX_MSG_DER)
        goto err;
    if ((buf = OPENSSL_malloc((size_t)total)) == NULL)
        goto err;
    memcpy(buf, head, (size_t)(2 + nlen));
    if (!read_full(bio, buf + 2 + nlen, clen))
        goto err;
    *der = buf;
    return total;
 err:
    OPENSSL_free(buf);
    return -1;
}

/* reads and decodes one message from bio; see d2i_P11CMP_MSG_bio() */
static P11CMP_MSG *msg_read_bio(BIO *bio, P11CMP_MSG **msg,
                                OSSL_LIB_CTX *libctx, const char *propq)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    long len;
    P11CMP_MSG *res;

    if (bio == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((len = read_der(bio, &der)) < 0) {
        p11cmp_raise(P11CMP_R_ASN1_DECODE_ERROR);
        return NULL;
    }
    p = der;
    res = msg_decode(msg, &p, len, libctx, propq);
    OPENSSL_free(der);
    return res;
}

/*
 * Reads one DER-encoded message from bio and decodes it as
 * d2i_P11CMP_MSG() does. Returns the message (also stored in *msg if msg
 * is not NULL, replacing the old one) or NULL on error.
 */
P11CMP_MSG *d2i_P11CMP_MSG_bio(BIO *bio, P11CMP_MSG **msg)
{
    return msg_read_bio(bio, msg, NULL, NULL);
}

/* Writes the DER of msg to bio; 1 on success, 0 on error. */
int i2d_P11CMP_MSG_bio(BIO *bio, const P11CMP_MSG *msg)
{
    unsigned char *der = NULL;
    int len, res = 0;

    if (bio == NULL || msg == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if ((len = i2d_P11CMP_MSG(msg, &der)) < 0)
        return 0;
    if (BIO_write(bio, der, len) != len || BIO_flush(bio) <= 0) {
        p11cmp_raise(P11CMP_R_FILE_IO_ERROR);
        goto err;
    }
    res = 1;
 err:
    OPENSSL_free(der);
    return res;
}

/*
 * Reads a DER-encoded message from file, decoding it as d2i_P11CMP_MSG()
 * does; libctx and propq (may be NULL) go with the message. Returns a new
 * message owned by the caller, or NULL (P11CMP_R_FILE_IO_ERROR if the file
 * cannot be read).
 */
P11CMP_MSG *P11CMP_MSG_read(const char *file, OSSL_LIB_CTX *libctx,
                            const char *propq)
{
    BIO *bio;
    P11CMP_MSG *msg;

    if (file == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if ((bio = BIO_new_file(file, "rb")) == NULL) {
        p11cmp_raise_data(P11CMP_R_FILE_IO_ERROR, "cannot open %s", file);
        return NULL;
    }
    msg = msg_read_bio(bio, NULL, libctx, propq);
    BIO_free(bio);
    return msg;
}

/*
 * Writes the DER of msg to file (created or truncated). Returns the
 * number of bytes written, or -1 on error.
 */
int P11CMP_MSG_write(const char *file, const P11CMP_MSG *msg)
{
    unsigned char *der = NULL;
    BIO *bio = NULL;
    int len, res = -1;

    if (file == NULL || msg == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return -1;
    }
    if ((len = i2d_P11CMP_MSG(msg, &der)) < 0)
        return -1;
    if ((bio = BIO_new_file(file, "wb")) == NULL
            || BIO_write(bio, der, len) != len || BIO_flush(bio) <= 0) {
        p11cmp_raise_data(P11CMP_R_FILE_IO_ERROR, "cannot write %s", file);
        goto err;
    }
    res = len;
 err:
    BIO_free(bio);
    OPENSSL_free(der);
    return res;
}

/* The header of msg, borrowed; NULL if msg is NULL. */
P11CMP_PKIHEADER *P11CMP_MSG_get0_header(const P11CMP_MSG *msg)
{
    if (msg == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    return msg->header;
}

/* The body type of msg (a P11CMP_PKIBODY_* value), or -1 if msg is NULL. */
int P11CMP_MSG_get_bodytype(const P11CMP_MSG *msg)
{
    if (msg == NULL || msg->body == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return -1;
    }
    return msg->body->type;
}

int p11cmp_MSG_protected_part_der(const P11CMP_MSG *msg, int as_received,
                                  unsigned char **der)
{
    p11cmp_PROTECTEDPART pp;
    int len;

    if (msg == NULL || der == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return -1;
    }
    *der = NULL;
    if (as_received && msg->rcvd_protpart != NULL) {
        *der = OPENSSL_memdup(msg->rcvd_protpart, msg->rcvd_protpart_len);
        if (*der == NULL) {
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            return -1;
        }
        return (int)msg->rcvd_protpart_len;
    }
    pp.header = msg->header;
    pp.body = msg->body;
    if ((len = i2d_p11cmp_PROTECTEDPART(&pp, der)) <= 0) {
        p11cmp_raise(P11CMP_R_ASN1_ENCODE_ERROR);
        return -1;
    }
    return len;
}

void p11cmp_MSG_forget_received(P11CMP_MSG *msg)
{
    if (msg == NULL)
        return;
    OPENSSL_free(msg->rcvd_protpart);
    msg->rcvd_protpart = NULL;
    msg->rcvd_protpart_len = 0;
}
