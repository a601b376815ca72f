/*
 * p11cmp/p11cmp.h - the one header of libp11cmp: a CMP (RFC 4210/9480)
 * client with the API of OpenSSL 3.0's OSSL_CMP_* client, under the prefix
 * P11CMP_, whose private keys stay on PKCS#11 tokens.
 */
#ifndef P11CMP_P11CMP_H
#define P11CMP_P11CMP_H

#include <p11cmp/err.h>
#include <p11cmp/types.h>
#include <p11cmp/pkcs11.h>
#include <p11cmp/ctx.h>
#include <p11cmp/msg.h>
#include <p11cmp/client.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library as a string, e.g. "0.1.0". */
const char *P11CMP_version(void);

#ifdef __cplusplus
}
#endif
#endif /* P11CMP_P11CMP_H */
