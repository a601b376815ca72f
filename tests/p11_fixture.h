/*
 * tests/p11_fixture.h - the SoftHSM2 fixture of the C tests: one private
 * token directory per test program run (own SOFTHSM2_CONF), tokens
 * initialised with PIN 1234, helpers to list a token's objects with
 * pkcs11-tool (an independent reader) and with p11cmp's own layer, to
 * make test certificates and to look for an error on the OpenSSL error
 * queue.
 */
#ifndef P11_FIXTURE_H
#define P11_FIXTURE_H

#include <check.h>
#include <openssl/x509.h>

#define P11_FIXTURE_PIN "1234"
#define P11_FIXTURE_SO_PIN "12345678"

/* The SoftHSM2 module ($SOFTHSM2_MODULE or the Debian path). */
const char *p11_fixture_module(void);
/* The shim module built for the tests (tests/shim/.libs/libp11shim.so). */
const char *p11_fixture_shim(void);
/*
 * Makes a temporary token directory, points SOFTHSM2_CONF at it and
 * initialises one token per label (NULL-terminated list). Call before any
 * module is loaded. 1 on success.
 */
int p11_fixture_setup(const char *const *labels);
/* Removes the directory again. */
void p11_fixture_teardown(void);
/*
 * The main() of a token test program: sets up the tokens of labels, runs
 * the tests of s (which it takes over), cleans up the PKCS#11 layer and
 * removes the tokens. Exit status: EXIT_SUCCESS if every test passed,
 * EXIT_FAILURE if not, 99 (hard error) if the tokens cannot be set up.
 */
int p11_fixture_main(const char *const *labels, Suite *s);
/* The temporary directory (for PIN files and such). */
const char *p11_fixture_dir(void);
/*
 * "pkcs11:token=LABEL;...extra?module-path=MODULE&pin-value=1234" written
 * into a static buffer (one of 8, rotating); extra may be "" or start
 * with ";", module NULL means SoftHSM2, pin 0 leaves the PIN out.
 */
const char *p11_fixture_uri(const char *label, const char *extra,
                            const char *module, int pin);
/*
 * pkcs11-tool --list-objects on token label (logged in), its lines
 * sorted: a new string the caller frees, NULL on error.
 */
char *p11_fixture_list(const char *label);
/*
 * How many lines of p11_fixture_list(label) are, after leading blanks,
 * equal to text (exact) or start with it (!exact); -1 on error.
 */
int p11_fixture_count(const char *label, const char *text, int exact);
/* Objects on token whose CKA_LABEL is exactly object; -1 on error. */
int p11_fixture_count_label(const char *label, const char *object);
/*
 * Objects with CKA_LABEL label that p11cmp's own PKCS#11 layer finds on
 * token (logged in; at most 8); the test fails if the token cannot be
 * opened or searched.
 */
int p11_fixture_count_found(const char *token, const char *label);
/*
 * A v3 certificate for pub, subject CN=cn, serial, valid for a day from
 * now, issued in the name of issuer (NULL: its own name) and signed by
 * signer (SHA-256, none for EdDSA); NULL on error (usable outside tests).
 */
X509 *p11_fixture_cert(EVP_PKEY *pub, const char *cn, long serial,
                       const X509 *issuer, EVP_PKEY *signer);
/* A CSR for key with subject CN=cn (NULL: empty), signed by key with
 * SHA-256; NULL on error. */
X509_REQ *p11_fixture_csr(EVP_PKEY *key, const char *cn);
/* Runs a shell command with the fixture's environment; its exit code. */
int p11_fixture_run(const char *fmt, ...);
/*
 * 1 if the thread's error queue holds an entry with reason (p11cmp's
 * library; 0 = any reason) whose data contains text (NULL = any). The
 * queue is emptied.
 */
int p11_fixture_has_error(int reason, const char *text);

#endif
