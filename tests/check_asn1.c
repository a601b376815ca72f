/*
 * tests/check_asn1.c - unit tests of src/asn1.c, src/asn1_crmf.c and
 * src/msg_io.c with OpenSSL as the independent peer: messages of every
 * body type that OpenSSL's client and server produce decode in p11cmp and
 * re-encode to the same bytes; messages p11cmp encodes decode in OpenSSL;
 * unsupported bodies, bad pvno and broken DER fail with our reasons.
 * This file has main() and the shared helpers; the test cases are in
 * check_asn1_peer.c, check_asn1_build.c and check_asn1_api.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>

#include "check_asn1.h"
#include "check_main.h"

struct peer_msgs peer;
struct peer_pki pki;
int peer_ok;

/* the first recorded message of session with bodytype, or NULL */
const struct peer_msg *find_msg(const char *session, int bodytype)
{
    int i;

    for (i = 0; i < peer.n; i++)
        if (strcmp(peer.msg[i].session, session) == 0
                && peer.msg[i].bodytype == bodytype)
            return &peer.msg[i];
    return NULL;
}

P11CMP_MSG *decode(const struct peer_msg *m)
{
    const unsigned char *p = m->der;

    return d2i_P11CMP_MSG(NULL, &p, m->len);
}

/* decodes a peer message that must exist and decode */
P11CMP_MSG *peer_decoded(const char *session, int bodytype)
{
    const struct peer_msg *m = find_msg(session, bodytype);
    P11CMP_MSG *msg;

    ck_assert_msg(m != NULL, "no %d in session %s", bodytype, session);
    msg = decode(m);
    ck_assert_ptr_nonnull(msg);
    return msg;
}

int same_der(const unsigned char *a, int alen,
             const unsigned char *b, int blen)
{
    return alen == blen && alen > 0 && memcmp(a, b, (size_t)alen) == 0;
}

int utf8_eq(const ASN1_UTF8STRING *s, const char *text)
{
    return s != NULL && ASN1_STRING_length(s) == (int)strlen(text)
        && memcmp(ASN1_STRING_get0_data(s), text, strlen(text)) == 0;
}


int main(void)
{
    Suite *s = suite_create("asn1");
    int failed;

    peer_ok = peer_run_all(&peer, &pki);
    suite_add_tcase(s, peer_tcase());
    suite_add_tcase(s, build_tcase());
    suite_add_tcase(s, api_tcase());
    failed = check_run(s, CK_NORMAL);
    peer_free(&peer, &pki);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
