/*
 * tests/token_ca.h - what the tests of whole transactions on a token
 * share: the test CA (tests/testca, PBM reference "ref" and secret
 * "secret") started by each test, a client context for it, an IR that
 * enrolls a key generated on a token, and the controls of the fault
 * injecting shim module (tests/shim) loaded through p11cmp.
 */
#ifndef P11CMP_TESTS_TOKEN_CA_H
#define P11CMP_TESTS_TOKEN_CA_H

#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <p11cmp/p11cmp.h>

#include "http_servers.h"
#include "p11_fixture.h"

#define URI(label, extra) p11_fixture_uri((label), (extra), NULL, 1)
#define SHIM_URI(label, extra) \
    p11_fixture_uri((label), (extra), p11_fixture_shim(), 1)

/* The running test CA and its certificate (set by token_ca_start()). */
extern TESTCA token_ca;
extern X509 *token_ca_cert;

/* Starts the test CA with up to two more arguments (NULL: none). */
void token_ca_start(const char *a1, const char *a2);
/* Stops it and frees token_ca_cert. */
void token_ca_stop(void);
/*
 * A client of the test CA trusting token_ca_cert, logging errors only;
 * with PBM credentials if pbm, with subject CN=cn unless cn is NULL.
 */
P11CMP_CTX *token_ca_client(int pbm, const char *cn);
/*
 * IR (PBM) with an alg key generated on token under label (POPO by the
 * token), stored there with its certificate; the new certificate, which
 * certifies that key (the caller frees it).
 */
X509 *token_ca_enroll(const char *token, const char *label,
                      const char *alg);
/* 1 if the one certificate under label on token is cert. */
int token_ca_cert_is(const char *token, const char *label, X509 *cert);

/* The controls of the shim module (see tests/shim/p11shim.c). */
typedef struct {
    void (*fail_at)(unsigned long n, CK_RV rv);
    void (*fail_fn)(const char *name, CK_RV rv);
    void (*fail_count)(unsigned long count);
    unsigned long (*calls)(void);
    unsigned long (*failed)(void);
    const char *(*last_failed)(void);
} SHIM_CTL;

/* Loads the shim through p11cmp (on token label) and finds its controls. */
void shim_attach(SHIM_CTL *shim, const char *label);

#endif
