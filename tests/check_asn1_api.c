/*
 * tests/check_asn1_api.c - the public message API: decoding errors with
 * their exact reasons (unsupported bodies, pvno, truncated and garbage
 * DER), ITAV create/get0/push0/dup, PKIStatusInfo against OpenSSL, file
 * and BIO I/O, dup, and NULL arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/cmp.h>

#include "check_asn1.h"

/* DER of SEQUENCE { header of a genm, [tag] { NULL } } */
static int msg_with_body_tag(int tag, unsigned char **out)
{
    P11CMP_MSG *genm = peer_decoded("genm", P11CMP_PKIBODY_GENM);
    unsigned char *hdr = NULL, *p;
    int hlen = i2d_P11CMP_PKIHEADER(genm->header, &hdr);
    int blen = ASN1_object_size(1, 2, tag);
    int total = ASN1_object_size(1, hlen + blen, V_ASN1_SEQUENCE);

    ck_assert(hlen > 0 && blen > 0 && total > 0);
    p = *out = OPENSSL_malloc((size_t)total);
    ASN1_put_object(&p, 1, hlen + blen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(p, hdr, (size_t)hlen);
    p += hlen;
    ASN1_put_object(&p, 1, 2, tag, V_ASN1_CONTEXT_SPECIFIC);
    *p++ = V_ASN1_NULL;
    *p++ = 0;
    OPENSSL_free(hdr);
    P11CMP_MSG_free(genm);
    return total;
}

START_TEST(unsupported_bodies_fail_by_name)
{
    static const int tags[] = {
        P11CMP_PKIBODY_POPDECC, P11CMP_PKIBODY_POPDECR, P11CMP_PKIBODY_KRR,
        P11CMP_PKIBODY_KRP, P11CMP_PKIBODY_CCR, P11CMP_PKIBODY_CCP,
        P11CMP_PKIBODY_CKUANN, P11CMP_PKIBODY_CANN, P11CMP_PKIBODY_RANN,
        P11CMP_PKIBODY_CRLANN, P11CMP_PKIBODY_NESTED, 27, 30
    };
    size_t i;
    unsigned char *der;
    const unsigned char *p;
    P11CMP_MSG *msg = NULL;
    int len;

    for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
        len = msg_with_body_tag(tags[i], &der);
        p = der;
        ERR_clear_error();
        ck_assert_ptr_null(d2i_P11CMP_MSG(&msg, &p, len));
        ck_assert_msg(last_reason() == P11CMP_R_UNKNOWN_BODY_TYPE,
                      "tag %d gives reason %d", tags[i], last_reason());
        ck_assert_ptr_eq(p, der);
        ck_assert_ptr_null(msg);
        OPENSSL_free(der);
    }
    /* a supported tag with the same content is a plain decode error */
    len = msg_with_body_tag(P11CMP_PKIBODY_IR, &der);
    p = der;
    ck_assert_ptr_null(d2i_P11CMP_MSG(NULL, &p, len));
    ck_assert_int_eq(last_reason(), P11CMP_R_ASN1_DECODE_ERROR);
    OPENSSL_free(der);
    ERR_clear_error();
}
END_TEST

/* the genm of the peer with its pvno set to pvno, re-encoded */
static int genm_with_pvno(long pvno, unsigned char **der)
{
    P11CMP_MSG *msg = peer_decoded("genm", P11CMP_PKIBODY_GENM);
    int len;

    ck_assert(ASN1_INTEGER_set(msg->header->pvno, pvno));
    *der = NULL;
    len = i2d_P11CMP_MSG(msg, der);
    P11CMP_MSG_free(msg);
    return len;
}

START_TEST(pvno_2_and_3_only)
{
    static const long pvnos[] = { 0, 1, 2, 3, 4, 99, -2 };
    size_t i;
    unsigned char *der;
    const unsigned char *p;
    P11CMP_MSG *msg;
    int len;

    for (i = 0; i < sizeof(pvnos) / sizeof(pvnos[0]); i++) {
        len = genm_with_pvno(pvnos[i], &der);
        p = der;
        ERR_clear_error();
        msg = d2i_P11CMP_MSG(NULL, &p, len);
        if (pvnos[i] == 2 || pvnos[i] == 3) {
            ck_assert_ptr_nonnull(msg);
            ck_assert_int_eq(ASN1_INTEGER_get(msg->header->pvno), pvnos[i]);
        } else {
            ck_assert_ptr_null(msg);
            ck_assert_int_eq(last_reason(), P11CMP_R_UNSUPPORTED_PVNO);
        }
        P11CMP_MSG_free(msg);
        OPENSSL_free(der);
    }
    ERR_clear_error();
}
END_TEST

START_TEST(truncated_and_garbage_fail)
{
    const struct peer_msg *m = find_msg("ir", P11CMP_PKIBODY_IP);
    static const unsigned char garbage[] = {
        0x30, 0x03, 0x02, 0x01, 0x02, 0xff, 0x00, 0x13, 0x37
    };
    unsigned char *copy;
    const unsigned char *p;
    long cut;

    ck_assert_ptr_nonnull(m);
    for (cut = 0; cut < m->len; cut++) {
        copy = OPENSSL_memdup(m->der, (size_t)(cut > 0 ? cut : 1));
        p = copy;
        ERR_clear_error();
        ck_assert_ptr_null(d2i_P11CMP_MSG(NULL, &p, cut));
        ck_assert_msg(last_reason() == P11CMP_R_ASN1_DECODE_ERROR,
                      "cut at %ld gives %d", cut, last_reason());
        OPENSSL_free(copy);
    }
    p = garbage;
    ck_assert_ptr_null(d2i_P11CMP_MSG(NULL, &p, sizeof(garbage)));
    ck_assert_int_eq(last_reason(), P11CMP_R_ASN1_DECODE_ERROR);
    p = NULL;
    ck_assert_ptr_null(d2i_P11CMP_MSG(NULL, &p, 10));
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ERR_clear_error();
}
END_TEST

static int itav_der(const P11CMP_ITAV *itav, unsigned char **der)
{
    *der = NULL;
    return ASN1_item_i2d((const ASN1_VALUE *)itav, der,
                         ASN1_ITEM_rptr(p11cmp_ITAV));
}

START_TEST(itav_create_get_push_dup)
{
    ASN1_OBJECT *type = OBJ_txt2obj("1.2.3.4.5", 1);
    ASN1_TYPE *value = ASN1_TYPE_new();
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    STACK_OF(P11CMP_ITAV) *sk = NULL;
    P11CMP_ITAV *itav, *copy;
    unsigned char *der1, *der2;
    int len1, len2;

    ck_assert(ASN1_INTEGER_set(num, 12345));
    ASN1_TYPE_set(value, V_ASN1_INTEGER, num);
    itav = P11CMP_ITAV_create(type, value);
    ck_assert_ptr_nonnull(itav);
    ck_assert_ptr_eq(P11CMP_ITAV_get0_type(itav), type);
    ck_assert_ptr_eq(P11CMP_ITAV_get0_value(itav), value);
    ck_assert(P11CMP_ITAV_push0_stack_item(&sk, itav));
    ck_assert_int_eq(sk_P11CMP_ITAV_num(sk), 1);
    copy = P11CMP_ITAV_dup(itav);
    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_ne(P11CMP_ITAV_get0_value(copy), value);
    ck_assert_int_eq(OBJ_cmp(P11CMP_ITAV_get0_type(copy), type), 0);
    len1 = itav_der(itav, &der1);
    len2 = itav_der(copy, &der2);
    ck_assert(same_der(der1, len1, der2, len2));
    ck_assert(P11CMP_ITAV_push0_stack_item(&sk, copy));
    ck_assert_int_eq(sk_P11CMP_ITAV_num(sk), 2);
    /* set0 replaces and frees what was there; value may be absent */
    P11CMP_ITAV_set0(copy, OBJ_nid2obj(NID_id_it_implicitConfirm), NULL);
    ck_assert_ptr_null(P11CMP_ITAV_get0_value(copy));
    ck_assert_int_eq(OBJ_obj2nid(P11CMP_ITAV_get0_type(copy)),
                     NID_id_it_implicitConfirm);
    OPENSSL_free(der1);
    OPENSSL_free(der2);
    sk_P11CMP_ITAV_pop_free(sk, P11CMP_ITAV_free);
}
END_TEST

START_TEST(itav_null_arguments)
{
    STACK_OF(P11CMP_ITAV) *sk = NULL;

    ERR_clear_error();
    ck_assert_ptr_null(P11CMP_ITAV_create(NULL, NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ck_assert_int_eq(P11CMP_ITAV_push0_stack_item(&sk, NULL), 0);
    ck_assert_ptr_null(sk);
    ck_assert_int_eq(P11CMP_ITAV_push0_stack_item(NULL, NULL), 0);
    ck_assert_ptr_null(P11CMP_ITAV_get0_type(NULL));
    ck_assert_ptr_null(P11CMP_ITAV_get0_value(NULL));
    ck_assert_ptr_null(P11CMP_ITAV_dup(NULL));
    P11CMP_ITAV_set0(NULL, NULL, NULL);
    P11CMP_ITAV_free(NULL);
    P11CMP_PKISI_free(NULL);
    P11CMP_MSG_free(NULL);
    P11CMP_PKIHEADER_free(NULL);
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(NULL), -1);
    ck_assert_ptr_null(P11CMP_MSG_get0_header(NULL));
    ck_assert_ptr_null(P11CMP_HDR_get0_transactionID(NULL));
    ck_assert_ptr_null(P11CMP_HDR_get0_recipNonce(NULL));
    ck_assert_int_eq(i2d_P11CMP_MSG(NULL, NULL), -1);
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ERR_clear_error();
}
END_TEST

START_TEST(pkisi_interop)
{
    OSSL_CMP_PKISI *osi = OSSL_CMP_STATUSINFO_new(
        OSSL_CMP_PKISTATUS_rejection,
        (1 << OSSL_CMP_PKIFAILUREINFO_badPOP)
        | (1 << OSSL_CMP_PKIFAILUREINFO_duplicateCertReq), "bad pop");
    unsigned char *der = NULL, *der2 = NULL;
    const unsigned char *p;
    P11CMP_PKISI *si, *copy;
    int len, len2;

    ck_assert_ptr_nonnull(osi);
    len = i2d_OSSL_CMP_PKISI(osi, &der);
    p = der;
    si = d2i_P11CMP_PKISI(NULL, &p, len);
    ck_assert_ptr_nonnull(si);
    ck_assert_int_eq(ASN1_INTEGER_get(si->status),
                     P11CMP_PKISTATUS_rejection);
    ck_assert(utf8_eq(sk_ASN1_UTF8STRING_value(si->statusString, 0),
                      "bad pop"));
    ck_assert_int_eq(ASN1_BIT_STRING_get_bit(si->failInfo,
                                             P11CMP_PKIFAILUREINFO_badPOP), 1);
    ck_assert_int_eq(ASN1_BIT_STRING_get_bit(
                         si->failInfo, P11CMP_PKIFAILUREINFO_duplicateCertReq),
                     1);
    ck_assert_int_eq(ASN1_BIT_STRING_get_bit(si->failInfo,
                                             P11CMP_PKIFAILUREINFO_badAlg), 0);
    copy = P11CMP_PKISI_dup(si);
    len2 = i2d_P11CMP_PKISI(copy, &der2);
    ck_assert(same_der(der, len, der2, len2));
    P11CMP_PKISI_free(copy);
    P11CMP_PKISI_free(si);
    OSSL_CMP_PKISI_free(osi);
    OPENSSL_free(der);
    OPENSSL_free(der2);
}
END_TEST

static char *temp_path(const char *name)
{
    static char path[256];
    const char *dir = getenv("TMPDIR");

    snprintf(path, sizeof(path), "%s/check_asn1_%ld_%s",
             dir != NULL ? dir : "/tmp", (long)getpid(), name);
    return path;
}

START_TEST(write_then_read_gives_same_der)
{
    const struct peer_msg *m = find_msg("signed-ir", P11CMP_PKIBODY_IP);
    P11CMP_MSG *msg = decode(m), *back;
    char *path = temp_path("ip.der");
    unsigned char *der = NULL;
    int len;

    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(P11CMP_MSG_write(path, msg), m->len);
    back = P11CMP_MSG_read(path, NULL, "provider=default");
    ck_assert_ptr_nonnull(back);
    len = i2d_P11CMP_MSG(back, &der);
    ck_assert(same_der(der, len, m->der, m->len));
    ck_assert_ptr_nonnull(back->rcvd_protpart);
    ck_assert_str_eq(back->propq, "provider=default");
    ck_assert_int_eq(unlink(path), 0);
    OPENSSL_free(der);
    P11CMP_MSG_free(back);
    P11CMP_MSG_free(msg);
}
END_TEST

START_TEST(read_errors)
{
    char *path = temp_path("garbage.der");
    FILE *f;

    ERR_clear_error();
    ck_assert_ptr_null(P11CMP_MSG_read("/nonexistent/dir/msg.der", NULL,
                                       NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_FILE_IO_ERROR);
    ck_assert_ptr_null(P11CMP_MSG_read(NULL, NULL, NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ck_assert_ptr_nonnull(f = fopen(path, "wb"));
    ck_assert_int_ge(fputs("not DER at all", f), 0);
    fclose(f);
    ck_assert_ptr_null(P11CMP_MSG_read(path, NULL, NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_ASN1_DECODE_ERROR);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(P11CMP_MSG_write("/nonexistent/dir/msg.der",
                                      NULL), -1);
    ck_assert_int_eq(last_reason(), P11CMP_R_NULL_ARGUMENT);
    ERR_clear_error();
}
END_TEST

START_TEST(write_to_unwritable_path_fails)
{
    P11CMP_MSG *msg = peer_decoded("genm", P11CMP_PKIBODY_GENP);

    ERR_clear_error();
    ck_assert_int_eq(P11CMP_MSG_write("/nonexistent/dir/msg.der", msg), -1);
    ck_assert_int_eq(last_reason(), P11CMP_R_FILE_IO_ERROR);
    ERR_clear_error();
    P11CMP_MSG_free(msg);
}
END_TEST

/* two messages on one stream come back one by one, in order */
START_TEST(bio_reads_one_message_at_a_time)
{
    P11CMP_MSG *a = peer_decoded("rr", P11CMP_PKIBODY_RR);
    P11CMP_MSG *b = peer_decoded("rr", P11CMP_PKIBODY_RP);
    P11CMP_MSG *got = NULL;
    BIO *bio = BIO_new(BIO_s_mem());

    ck_assert_int_eq(i2d_P11CMP_MSG_bio(bio, a), 1);
    ck_assert_int_eq(i2d_P11CMP_MSG_bio(bio, b), 1);
    ck_assert_ptr_nonnull(d2i_P11CMP_MSG_bio(bio, &got));
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(got), P11CMP_PKIBODY_RR);
    ck_assert_ptr_nonnull(d2i_P11CMP_MSG_bio(bio, &got));
    ck_assert_int_eq(P11CMP_MSG_get_bodytype(got), P11CMP_PKIBODY_RP);
    ERR_clear_error();
    ck_assert_ptr_null(d2i_P11CMP_MSG_bio(bio, NULL));
    ck_assert_int_eq(last_reason(), P11CMP_R_ASN1_DECODE_ERROR);
    ERR_clear_error();
    BIO_free(bio);
    P11CMP_MSG_free(got);
    P11CMP_MSG_free(a);
    P11CMP_MSG_free(b);
}
END_TEST

/* dup copies what is not encoded too; forgetting drops received DER */
START_TEST(dup_keeps_received_der)
{
    P11CMP_MSG *msg = peer_decoded("genm", P11CMP_PKIBODY_GENP);
    P11CMP_MSG *copy = P11CMP_MSG_dup(msg);
    unsigned char *a, *b;
    int alen, blen;

    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_nonnull(copy->rcvd_protpart);
    ck_assert_ptr_ne(copy->rcvd_protpart, msg->rcvd_protpart);
    ck_assert(same_der(copy->rcvd_protpart, (int)copy->rcvd_protpart_len,
                       msg->rcvd_protpart, (int)msg->rcvd_protpart_len));
    /* a change is visible in the fresh encoding, not the received one */
    ck_assert(ASN1_INTEGER_set(copy->header->pvno, 3));
    alen = p11cmp_MSG_protected_part_der(copy, 1, &a);
    blen = p11cmp_MSG_protected_part_der(copy, 0, &b);
    ck_assert(alen > 0 && blen == alen && memcmp(a, b, (size_t)alen) != 0);
    OPENSSL_free(a);
    p11cmp_MSG_forget_received(copy);
    ck_assert_ptr_null(copy->rcvd_protpart);
    alen = p11cmp_MSG_protected_part_der(copy, 1, &a);
    ck_assert(same_der(a, alen, b, blen));
    OPENSSL_free(a);
    OPENSSL_free(b);
    P11CMP_MSG_free(copy);
    P11CMP_MSG_free(msg);
}
END_TEST

/* where bytes are in haystack, or NULL */
static const unsigned char *find_bytes(const unsigned char *hay, long hlen,
                                       const unsigned char *needle,
                                       long nlen)
{
    long i;

    for (i = 0; i + nlen <= hlen; i++)
        if (memcmp(hay + i, needle, (size_t)nlen) == 0)
            return hay + i;
    return NULL;
}

/*
 * Protection is checked over the bytes received even where re-encoding
 * would differ: here a failInfo BIT STRING with a padding bit set, which
 * libcrypto accepts and clears.
 */
START_TEST(received_der_differs_from_reencoding)
{
    P11CMP_MSG *msg = peer_decoded("ir", P11CMP_PKIBODY_CERTCONF);
    p11cmp_CERTSTATUS *cs = sk_p11cmp_CERTSTATUS_value(
        msg->body->value.certConf, 0);
    static const unsigned char bits[] = { 0x03, 0x03, 0x06, 0x00, 0x40 };
    unsigned char *der = NULL, *rcvd, *fresh, *pos;
    const unsigned char *p;
    P11CMP_MSG *back;
    const unsigned char *rc, *fc;
    long rclen, fclen;
    int len, rlen, flen, tag, xclass;

    P11CMP_PKISI_free(cs->statusInfo);
    cs->statusInfo = P11CMP_PKISI_new();
    cs->statusInfo->failInfo = ASN1_BIT_STRING_new();
    ck_assert(ASN1_BIT_STRING_set_bit(cs->statusInfo->failInfo,
                                      P11CMP_PKIFAILUREINFO_badPOP, 1));
    len = i2d_P11CMP_MSG(msg, &der);
    pos = (unsigned char *)find_bytes(der, len, bits, sizeof(bits));
    ck_assert_ptr_nonnull(pos);
    pos[4] = 0x41;
    p = der;
    back = d2i_P11CMP_MSG(NULL, &p, len);
    ck_assert_ptr_nonnull(back);
    rlen = p11cmp_MSG_protected_part_der(back, 1, &rcvd);
    flen = p11cmp_MSG_protected_part_der(back, 0, &fresh);
    ck_assert_int_eq(rlen, flen);
    ck_assert_int_ne(memcmp(rcvd, fresh, (size_t)rlen), 0);
    /* received: the header and body bytes as sent, in a new SEQUENCE */
    rc = rcvd;
    fc = fresh;
    ck_assert_int_eq(ASN1_get_object(&rc, &rclen, &tag, &xclass, rlen),
                     V_ASN1_CONSTRUCTED);
    ck_assert_int_eq(ASN1_get_object(&fc, &fclen, &tag, &xclass, flen),
                     V_ASN1_CONSTRUCTED);
    ck_assert_ptr_nonnull(find_bytes(der, len, rc, rclen));
    ck_assert_ptr_null(find_bytes(der, len, fc, fclen));
    OPENSSL_free(rcvd);
    OPENSSL_free(fresh);
    OPENSSL_free(der);
    P11CMP_MSG_free(back);
    P11CMP_MSG_free(msg);
}
END_TEST

/*
 * Every single-bit change at every position of a few messages decodes
 * or fails with one of the three decoding reasons: never a crash, never
 * an error without a reason (valgrind runs this too).
 */
START_TEST(bit_flips_fail_cleanly)
{
    static const struct { const char *session; int body; } which[] = {
        { "ir", P11CMP_PKIBODY_IR }, { "signed-ir", P11CMP_PKIBODY_IP },
        { "rr", P11CMP_PKIBODY_RP }, { "genm", P11CMP_PKIBODY_GENP }
    };
    static const unsigned char flips[] = { 0x01, 0x20, 0x80 };
    const struct peer_msg *m;
    unsigned char *copy, *der;
    const unsigned char *p;
    P11CMP_MSG *msg;
    size_t w, f;
    int i, r, len, decoded = 0, failed = 0;

    for (w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
        m = find_msg(which[w].session, which[w].body);
        ck_assert_ptr_nonnull(m);
        copy = OPENSSL_memdup(m->der, (size_t)m->len);
        for (i = 0; i < m->len; i++) {
            for (f = 0; f < sizeof(flips); f++) {
                copy[i] ^= flips[f];
                p = copy;
                ERR_clear_error();
                if ((msg = d2i_P11CMP_MSG(NULL, &p, m->len)) != NULL) {
                    der = NULL;
                    len = i2d_P11CMP_MSG(msg, &der);
                    ck_assert_int_gt(len, 0);
                    OPENSSL_free(der);
                    P11CMP_MSG_free(msg);
                    decoded++;
                } else {
                    r = last_reason();
                    ck_assert_msg(r == P11CMP_R_ASN1_DECODE_ERROR
                                  || r == P11CMP_R_UNKNOWN_BODY_TYPE
                                  || r == P11CMP_R_UNSUPPORTED_PVNO,
                                  "byte %d ^ %02x: reason %d", i, flips[f], r);
                    failed++;
                }
                copy[i] ^= flips[f];
            }
        }
        OPENSSL_free(copy);
    }
    /* many flips hit only values (nonces, signatures), many the DER */
    ck_assert_int_gt(decoded, 100);
    ck_assert_int_gt(failed, 100);
    ERR_clear_error();
}
END_TEST

TCase *api_tcase(void)
{
    TCase *tc = tcase_create("api");

    /* bit_flips_fail_cleanly decodes some 8000 messages */
    tcase_set_timeout(tc, 60);

    tcase_add_test(tc, unsupported_bodies_fail_by_name);
    tcase_add_test(tc, pvno_2_and_3_only);
    tcase_add_test(tc, truncated_and_garbage_fail);
    tcase_add_test(tc, itav_create_get_push_dup);
    tcase_add_test(tc, itav_null_arguments);
    tcase_add_test(tc, pkisi_interop);
    tcase_add_test(tc, write_then_read_gives_same_der);
    tcase_add_test(tc, read_errors);
    tcase_add_test(tc, write_to_unwritable_path_fails);
    tcase_add_test(tc, bio_reads_one_message_at_a_time);
    tcase_add_test(tc, dup_keeps_received_der);
    tcase_add_test(tc, received_der_differs_from_reencoding);
    tcase_add_test(tc, bit_flips_fail_cleanly);
    return tc;
}
