/*
 * tests/check_asn1.h - what the parts of the ASN.1 unit test share: the
 * messages OpenSSL produced (recorded once in main()), helpers, and the
 * test case constructors of each part.
 */
#ifndef TESTS_CHECK_ASN1_H
#define TESTS_CHECK_ASN1_H

#include <check.h>

#include "asn1_peer.h"
#include "local.h"
#include "last_reason.h"

extern struct peer_msgs peer;
extern struct peer_pki pki;
extern int peer_ok;

const struct peer_msg *find_msg(const char *session, int bodytype);
P11CMP_MSG *decode(const struct peer_msg *m);
P11CMP_MSG *peer_decoded(const char *session, int bodytype);
int same_der(const unsigned char *a, int alen,
             const unsigned char *b, int blen);
int utf8_eq(const ASN1_UTF8STRING *s, const char *text);

TCase *peer_tcase(void);
TCase *build_tcase(void);
TCase *api_tcase(void);

#endif /* TESTS_CHECK_ASN1_H */
