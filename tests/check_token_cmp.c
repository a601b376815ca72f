/*
 * tests/check_token_cmp.c - whole CMP transactions with keys on a fresh
 * SoftHSM2 token against the test CA (tests/testca): enrollment with a
 * key generated on the token and the certificate stored next to it, CR and
 * KUR protected by a token key whose certificate is read from the token,
 * KUR rotation and RR of the old certificate, RR removing the revoked
 * pair, a rejected IR, a key that wants a context-specific login before
 * each signature (CKA_ALWAYS_AUTHENTICATE), and TLS client authentication
 * with the token key to an HTTPS front end. The same with Ed25519 token
 * keys (IR with POPO by the token, CR and KUR protected by it, TLS).
 * Failures injected into these transactions: check_token_faults.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "p11_local.h"
#include "p11_fixture.h"
#include "token_ca.h"

static const char *const labels[] = {
    "e-ir", "e-sig", "e-kur", "e-rej", "e-tls", "e-rr", "e-auth",
    "e-ed", "e-csr",
    NULL
};

#define listed(token, label) p11_fixture_count_label((token), (label))

START_TEST(ir_key_generated_on_token)
{
    P11CMP_CTX *ctx;
    P11CMP_P11_TOKEN *tok;
    EVP_PKEY *key;
    X509 *cert;
    const unsigned char *id;
    size_t idlen;
    unsigned char *val = NULL;
    size_t len = 0;
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_OBJECT_HANDLE h[4];
    CK_ULONG n = 0;
    char *list, out[512];
    STACK_OF(X509) *capubs;

    token_ca_start("--send-capubs", NULL);
    ctx = token_ca_client(1, "ir-key");
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI("e-ir", ""), "EC:P-256",
                                          "ir-key"));
    ck_assert_ptr_nonnull(cert = P11CMP_exec_IR_ses(ctx));
    key = P11CMP_CTX_get0_newPkey(ctx, 1);
    ck_assert(P11CMP_PKCS11_is_token_key(key));
    ck_assert_int_eq(EVP_PKEY_eq(key, X509_get0_pubkey(cert)), 1);
    /* the certificate is on the token with the key's CKA_ID and label */
    ck_assert(p11cmp_p11_pkey_get_id(key, &id, &idlen, NULL));
    tok = p11cmp_p11_pkey_token(key);
    {
        CK_ATTRIBUTE t[3] = {{CKA_CLASS, &cls, sizeof(cls)},
                             {CKA_ID, (void *)id, idlen},
                             {CKA_LABEL, "ir-key", 6}};

        ck_assert(p11cmp_p11_find(tok, t, 3, h, 4, &n));
    }
    ck_assert_int_eq(n, 1);
    ck_assert(token_ca_cert_is("e-ir", "ir-key", cert));
    ck_assert_int_eq(listed("e-ir", "ir-key"), 3); /* priv, pub, cert */
    /* caPubs: the CA certificate, as authority certificate */
    capubs = P11CMP_CTX_get1_caPubs(ctx);
    ck_assert_int_eq(sk_X509_num(capubs), 1);
    ck_assert_int_eq(X509_cmp(sk_X509_value(capubs, 0), token_ca_cert), 0);
    sk_X509_pop_free(capubs, X509_free);
    list = p11_fixture_list("e-ir");
    ck_assert_ptr_nonnull(list);
    ck_assert_ptr_nonnull(strstr(list, "Access:     sensitive, always "
                                 "sensitive, never extractable, local"));
    ck_assert_int_eq(listed("e-ir", "p11cmp test CA"), 1);
    free(list);
    /* the private key's value cannot be read, neither by us ... */
    {
        CK_OBJECT_CLASS pcls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE t[2] = {{CKA_CLASS, &pcls, sizeof(pcls)},
                             {CKA_ID, (void *)id, idlen}};

        ck_assert(p11cmp_p11_find(tok, t, 2, h, 4, &n));
        ck_assert_int_eq(n, 1);
        ck_assert(!p11cmp_p11_get_attr(tok, h[0], CKA_VALUE, &val, &len));
        ck_assert(p11_fixture_has_error(0, "CKR_ATTRIBUTE_SENSITIVE"));
    }
    /* ... nor by pkcs11-tool, which refuses and writes nothing */
    snprintf(out, sizeof(out), "%s/priv.der", p11_fixture_dir());
    (void)p11_fixture_run("pkcs11-tool --module '%s' --token-label e-ir "
                          "--login --pin %s --read-object --type privkey "
                          "--label ir-key -o '%s' >/dev/null 2>&1",
                          p11_fixture_module(), P11_FIXTURE_PIN, out);
    ck_assert_int_ne(access(out, F_OK), 0);
    P11CMP_CTX_free(ctx);
    token_ca_stop();
}
END_TEST

/*
 * A client of the test CA signing with the token key of the pair label
 * on token, with cert as its certificate or (NULL) the pair's one.
 */
static P11CMP_CTX *token_signer(const char *token, const char *label,
                                X509 *cert)
{
    P11CMP_CTX *ctx = token_ca_client(0, NULL);
    char key[64], crt[64];

    snprintf(key, sizeof(key), ";object=%s;type=private", label);
    snprintf(crt, sizeof(crt), ";object=%s;type=cert", label);
    ck_assert(P11CMP_CTX_set1_pkey_uri(ctx, URI(token, key)));
    if (cert != NULL)
        ck_assert(P11CMP_CTX_set1_cert(ctx, cert));
    else
        ck_assert(P11CMP_CTX_set1_cert_uri(ctx, URI(token, crt)));
    return ctx;
}

START_TEST(cr_signed_by_token_key)
{
    P11CMP_CTX *ctx;
    X509 *first, *second;

    token_ca_start(NULL, NULL);
    first = token_ca_enroll("e-sig", "sig", "EC:P-256");
    /* client key and certificate from the token by URI, no PBM */
    ctx = token_signer("e-sig", "sig", NULL);
    ck_assert_ptr_nonnull(second = P11CMP_exec_CR_ses(ctx));
    ck_assert_int_eq(X509_cmp(first, second) != 0, 1);
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(first),
                                 X509_get0_pubkey(second)), 1);
    ck_assert_int_eq(testca_log_count(&token_ca, ": cr\n"), 1);
    /* the second cert is stored next to the same key */
    ck_assert_int_eq(listed("e-sig", "sig"), 4);
    P11CMP_CTX_free(ctx);
    X509_free(first);
    token_ca_stop();
}
END_TEST

START_TEST(kur_rotation_then_rr)
{
    P11CMP_CTX *ctx;
    X509 *old, *cert;
    char *serial, line[128];
    BIGNUM *bn;

    token_ca_start(NULL, NULL);
    old = token_ca_enroll("e-kur", "rot", "EC:P-256");
    ck_assert_int_eq(listed("e-kur", "rot"), 3);
    /* KUR signed by the old token key, new key generated on the token */
    ctx = token_signer("e-kur", "rot", NULL);
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI("e-kur", ""), "EC:P-256",
                                          "rot"));
    ck_assert_ptr_nonnull(cert = P11CMP_exec_KUR_ses(ctx));
    X509_up_ref(cert);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(testca_log_count(&token_ca, "kur: renewing serial"), 1);
    /* exactly one key pair and certificate under the label: the new */
    ck_assert_int_eq(listed("e-kur", "rot"), 3);
    ck_assert(token_ca_cert_is("e-kur", "rot", cert));
    /* revoke the old certificate, signed by the new token key */
    ctx = token_signer("e-kur", "rot", NULL);
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, old));
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 1);
    P11CMP_CTX_free(ctx);
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(old), NULL);
    serial = BN_bn2hex(bn);
    snprintf(line, sizeof(line), "revoked serial %s", serial);
    ck_assert_int_eq(testca_log_count(&token_ca, line), 1);
    ck_assert_int_eq(listed("e-kur", "rot"), 3);
    OPENSSL_free(serial);
    BN_free(bn);
    X509_free(old);
    X509_free(cert);
    token_ca_stop();
}
END_TEST

START_TEST(rr_removes_revoked_pair)
{
    P11CMP_CTX *ctx;
    X509 *cert;

    token_ca_start(NULL, NULL);
    cert = token_ca_enroll("e-rr", "gone", "EC:P-256");
    ck_assert_int_eq(listed("e-rr", "gone"), 3);
    /* revoke it, signed by its own key, and remove cert and key pair */
    ctx = token_signer("e-rr", "gone", NULL);
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, cert));
    ck_assert(P11CMP_CTX_set_option(ctx, P11CMP_OPT_REMOVE_REVOKED, 2));
    ck_assert_int_eq(P11CMP_exec_RR_ses(ctx), 1);
    ck_assert_int_eq(testca_log_count(&token_ca, "revoked serial"), 1);
    ck_assert_int_eq(listed("e-rr", "gone"), 0);
    P11CMP_CTX_free(ctx);
    X509_free(cert);
    token_ca_stop();
}
END_TEST

START_TEST(rejected_ir_leaves_token)
{
    char *before, *after;
    P11CMP_CTX *ctx;

    token_ca_start("--reject", "badPOP");
    before = p11_fixture_list("e-rej");
    ck_assert_ptr_nonnull(before);
    ctx = token_ca_client(1, "rej");
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI("e-rej", ""), "EC:P-256",
                                          "rej"));
    ck_assert_int_eq(listed("e-rej", "rej"), 2); /* provisional pair */
    ck_assert_ptr_null(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(P11CMP_CTX_get_status(ctx),
                     P11CMP_PKISTATUS_rejection);
    ck_assert_int_eq(P11CMP_CTX_get_failInfoCode(ctx),
                     1 << P11CMP_PKIFAILUREINFO_badPOP);
    ck_assert_int_eq(listed("e-rej", "rej"), 0); /* gone already */
    ERR_clear_error();
    P11CMP_CTX_free(ctx);
    after = p11_fixture_list("e-rej");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    token_ca_stop();
}
END_TEST

/* Writes pin into the file the e-auth URIs name as their pin-source. */
static const char *auth_pin(const char *pin)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/auth.pin", p11_fixture_dir());
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fprintf(f, "%s\n", pin);
    fclose(f);
    return path;
}

/* The e-auth URI of object auth (type), PIN from the auth_pin() file. */
static const char *auth_uri(const char *type)
{
    static char bufs[2][1200];
    static int next;
    char *b = bufs[next++ % 2], extra[64];

    snprintf(extra, sizeof(extra), ";object=auth;type=%s", type);
    snprintf(b, sizeof(bufs[0]), "%s&pin-source=file:%s",
             p11_fixture_uri("e-auth", extra, NULL, 0), auth_pin("1234"));
    return b;
}

/*
 * A CR protected by the key auth and with its POPO, client certificate
 * cert or (NULL) the one on the token; the new certificate or NULL.
 */
static X509 *auth_cr(const char *pin_then, X509 *cert)
{
    P11CMP_CTX *ctx = token_ca_client(0, NULL);

    ck_assert(P11CMP_CTX_set1_pkey_uri(ctx, auth_uri("private")));
    ck_assert(cert != NULL ? P11CMP_CTX_set1_cert(ctx, cert)
              : P11CMP_CTX_set1_cert_uri(ctx, auth_uri("cert")));
    (void)auth_pin(pin_then); /* read again before each signature */
    if ((cert = P11CMP_exec_CR_ses(ctx)) != NULL)
        X509_up_ref(cert);
    P11CMP_CTX_free(ctx);
    return cert;
}

/*
 * A smartcard-like key (CKA_ALWAYS_AUTHENTICATE, made by pkcs11-tool):
 * each C_Sign needs a C_Login as CKU_CONTEXT_SPECIFIC, with the PIN read
 * again from the same source. IR with its POPO, then CR protected by it;
 * a wrong PIN at that point fails by name and leaves the token as it was.
 */
START_TEST(always_authenticate_key)
{
    P11CMP_CTX *ctx;
    X509 *second;
    char *before, *after;

    token_ca_start(NULL, NULL);
    ck_assert_int_eq(p11_fixture_run(
        "pkcs11-tool --module '%s' --token-label e-auth --login --pin %s "
        "--keypairgen --key-type EC:prime256v1 --id 0c --label auth "
        "--always-auth >/dev/null 2>&1", p11_fixture_module(),
        P11_FIXTURE_PIN), 0);
    ck_assert_int_eq(p11_fixture_count("e-auth", "Access:     always "
                                       "authenticate", 0), 1);
    ctx = token_ca_client(1, "auth");
    ck_assert(P11CMP_CTX_set1_newPkey_uri(ctx, auth_uri("private")));
    ck_assert_ptr_nonnull(P11CMP_exec_IR_ses(ctx));
    ck_assert_int_eq(listed("e-auth", "auth"), 3); /* stored next to it */
    P11CMP_CTX_free(ctx);
    ck_assert_ptr_nonnull(second = auth_cr(P11_FIXTURE_PIN, NULL));
    ck_assert_int_eq(testca_log_count(&token_ca, ": cr\n"), 1);
    ck_assert_int_eq(listed("e-auth", "auth"), 4);
    /* the PIN source now gives a wrong PIN: nothing is sent or stored */
    before = p11_fixture_list("e-auth");
    ck_assert_ptr_null(auth_cr("9999", second));
    ck_assert(p11_fixture_has_error(P11CMP_R_LOGIN_FAILED,
                                    "C_Login: CKR_PIN_INCORRECT"));
    ck_assert(!p11_fixture_has_error(0, "9999"));
    ck_assert_int_eq(testca_log_count(&token_ca, ": cr\n"), 1);
    after = p11_fixture_list("e-auth");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    X509_free(second);
    token_ca_stop();
}
END_TEST

/*
 * Ed25519 on the token all the way: an IR with a key generated there
 * (POPO signed by the token, the certificate stored next to it), a CR
 * protected by that key, and a KUR protected by it with a new Ed25519
 * key; the CA verifies each signature.
 */
START_TEST(ed25519_ir_cr_kur)
{
    P11CMP_CTX *ctx;
    X509 *first, *second, *renewed;

    token_ca_start(NULL, NULL);
    first = token_ca_enroll("e-ed", "ed", "ED25519");
    ck_assert(EVP_PKEY_is_a(X509_get0_pubkey(first), "ED25519"));
    ck_assert(token_ca_cert_is("e-ed", "ed", first));
    ck_assert_int_eq(listed("e-ed", "ed"), 3);
    /* CR protected by the token key, its certificate from the token */
    ctx = token_signer("e-ed", "ed", NULL);
    ck_assert(EVP_PKEY_is_a(P11CMP_CTX_get0_newPkey(ctx, 0), "ED25519"));
    ck_assert_ptr_nonnull(second = P11CMP_exec_CR_ses(ctx));
    X509_up_ref(second);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(first),
                                 X509_get0_pubkey(second)), 1);
    ck_assert_int_eq(testca_log_count(&token_ca, ": cr\n"), 1);
    ck_assert_int_eq(listed("e-ed", "ed"), 4);
    /* KUR protected by it, a new Ed25519 key generated on the token */
    ctx = token_signer("e-ed", "ed", second);
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI("e-ed", ""), "ED25519",
                                          "ed"));
    ck_assert_ptr_nonnull(renewed = P11CMP_exec_KUR_ses(ctx));
    ck_assert_int_eq(EVP_PKEY_eq(P11CMP_CTX_get0_newPkey(ctx, 1),
                                 X509_get0_pubkey(renewed)), 1);
    ck_assert_int_ne(EVP_PKEY_eq(X509_get0_pubkey(first),
                                 X509_get0_pubkey(renewed)), 1);
    ck_assert_int_eq(testca_log_count(&token_ca, "kur: renewing serial"), 1);
    ck_assert(token_ca_cert_is("e-ed", "ed", renewed));
    ck_assert_int_eq(listed("e-ed", "ed"), 3);
    P11CMP_CTX_free(ctx);
    X509_free(first);
    X509_free(second);
    token_ca_stop();
}
END_TEST

/* What the TLS front end saw of the client certificate (proxy thread). */
static X509 *tls_peer;

static int front_verify(int ok, X509_STORE_CTX *sctx)
{
    if (!ok || X509_STORE_CTX_get_error_depth(sctx) != 0)
        return ok;
    X509_free(tls_peer);
    tls_peer = X509_dup(X509_STORE_CTX_get_current_cert(sctx));
    return 1;
}

/* The HTTPS front end: self-signed server cert, client cert required
 * and validated against the test CA. The server cert into *srv. */
static SSL_CTX *front_ctx(X509 **srv)
{
    SSL_CTX *sctx = tls_server_ctx(srv);

    ck_assert_ptr_nonnull(sctx);
    ck_assert(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx),
                                  token_ca_cert));
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER
                       | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, front_verify);
    return sctx;
}

/* A client SSL_CTX trusting srv; with the token key and cert if set. */
static SSL_CTX *tls_client(X509 *srv, EVP_PKEY *key, X509 *cert)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());

    ck_assert_ptr_nonnull(c);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    ck_assert(X509_STORE_add_cert(SSL_CTX_get_cert_store(c), srv));
    if (key != NULL) {
        ck_assert_int_eq(SSL_CTX_use_certificate(c, cert), 1);
        ck_assert_int_eq(SSL_CTX_use_PrivateKey(c, key), 1);
        ck_assert_int_eq(SSL_CTX_check_private_key(c), 1);
    }
    return c;
}

/*
 * A CR over HTTPS via front, CMP-signed by the token key under label, its
 * certificate read from the token (cert NULL) or cert; 1 if issued.
 */
static int cr_over_tls(const PROXY *front, SSL_CTX *tls, const char *label,
                       X509 *cert)
{
    P11CMP_CTX *ctx = token_signer("e-tls", label, cert);
    int ok;

    ck_assert(P11CMP_CTX_set_serverPort(ctx, front->port));
    ck_assert(P11CMP_CTX_set_http_cb(ctx, tls_http_cb));
    ck_assert(P11CMP_CTX_set_http_cb_arg(ctx, tls));
    ok = P11CMP_exec_CR_ses(ctx) != NULL;
    P11CMP_CTX_free(ctx);
    return ok;
}

/*
 * TLS client keys on the token, their labels there, the highest TLS
 * version and the client's signature algorithms (NULL: OpenSSL's): RSA
 * signs TLS 1.3 with PSS, TLS 1.2 with PKCS#1 v1.5 or PSS as allowed.
 */
static const struct {
    const char *alg, *label;
    int max_version;
    const char *sigalgs;
} tls_rows[] = {
    { "EC:P-256", "tls", 0, NULL },
    { "ED25519", "tls-ed", 0, NULL },
    { "RSA:2048", "tls-rsa", TLS1_3_VERSION, "rsa_pss_rsae_sha256" },
    { "RSA:2048", "tls-rsa12", TLS1_2_VERSION, "RSA+SHA256" },
    { "RSA:3072", "tls-pss12", TLS1_2_VERSION, "rsa_pss_rsae_sha384" },
    { "EC:P-384", "tls-ec12", TLS1_2_VERSION, "ECDSA+SHA384" },
};

/* tls_client() limited as tls_rows[i] says. */
static SSL_CTX *tls_client_row(X509 *srv, EVP_PKEY *key, X509 *cert, int i)
{
    SSL_CTX *c = tls_client(srv, key, cert);

    if (tls_rows[i].max_version != 0)
        ck_assert(SSL_CTX_set_max_proto_version(c, tls_rows[i].max_version));
    if (tls_rows[i].sigalgs != NULL)
        ck_assert(SSL_CTX_set1_client_sigalgs_list(c, tls_rows[i].sigalgs));
    return c;
}

START_TEST(tls_client_auth_with_token_key)
{
    const char *label = tls_rows[_i].label;
    char extra[64];
    SSL_CTX *server, *tls;
    EVP_PKEY *key;
    X509 *srv, *cert;
    PROXY front;

    token_ca_start(NULL, NULL);
    cert = token_ca_enroll("e-tls", label, tls_rows[_i].alg);
    server = front_ctx(&srv);
    ck_assert(proxy_start(&front, token_ca.port, server));
    snprintf(extra, sizeof(extra), ";object=%s;type=private", label);
    key = P11CMP_PKCS11_load_key(URI("e-tls", extra), NULL);
    ck_assert(P11CMP_PKCS11_is_token_key(key));
    /* the TLS handshake is signed by the token key */
    tls = tls_client_row(srv, key, cert, _i);
    ck_assert_msg(cr_over_tls(&front, tls, label, NULL),
                  "CR over TLS with %s (%s) failed", tls_rows[_i].alg,
                  label);
    ck_assert_ptr_nonnull(tls_peer);
    ck_assert_int_eq(X509_cmp(tls_peer, cert), 0);
    ck_assert_int_eq(testca_log_count(&token_ca, ": cr\n"), 1);
    SSL_CTX_free(tls);
    /* without a client certificate the front end refuses */
    tls = tls_client(srv, NULL, NULL);
    ck_assert(!cr_over_tls(&front, tls, label, cert));
    ck_assert(p11_fixture_has_error(P11CMP_R_TRANSFER_ERROR, NULL));
    ck_assert_int_eq(testca_log_count(&token_ca, ": cr\n"), 1);
    SSL_CTX_free(tls);
    proxy_stop(&front);
    SSL_CTX_free(server);
    X509_free(tls_peer);
    tls_peer = NULL; /* the next row's front end frees what it finds */
    X509_free(srv);
    X509_free(cert);
    EVP_PKEY_free(key);
    token_ca_stop();
}
END_TEST

/* CSR and self-signed certificate subjects and token key algorithms */
static const char *const csr_algs[] = { "RSA:2048", "EC:P-256" };
static const char *const csr_labels[] = { "csr-rsa", "csr-ec" };

/*
 * A CSR and a self-signed certificate holding a token key (set with
 * X509_REQ_set_pubkey / X509_set_pubkey, signed by the token): OpenSSL
 * 3.0 cannot copy an RSA token key, so set1_p10CSR copies the CSR
 * through its DER; the certificate setters keep references. A P10CR with
 * that CSR then enrolls the token key.
 */
START_TEST(p10cr_with_csr_of_token_key)
{
    const char *label = csr_labels[_i];
    EVP_PKEY *key;
    X509_REQ *csr;
    X509 *self, *cert;
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    char extra[64];

    snprintf(extra, sizeof(extra), ";object=%s", label);
    key = P11CMP_PKCS11_generate_key(URI("e-csr", extra), csr_algs[_i],
                                     NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(csr = p11_fixture_csr(key, label));
    self = p11_fixture_cert(key, label, 1, NULL, key); /* signed by it */
    ck_assert_ptr_nonnull(self);
    ck_assert(P11CMP_CTX_set1_p10CSR(ctx, csr));
    ck_assert(P11CMP_CTX_set1_cert(ctx, self));
    ck_assert(P11CMP_CTX_set1_oldCert(ctx, self));
    ck_assert(P11CMP_CTX_set1_srvCert(ctx, self));
    ck_assert(P11CMP_CTX_set1_pkey(ctx, key));
    ck_assert_int_eq(EVP_PKEY_eq(P11CMP_CTX_get0_newPkey(ctx, 0), key), 1);
    P11CMP_CTX_free(ctx);
    token_ca_start(NULL, NULL);
    ctx = token_ca_client(1, NULL);
    ck_assert(P11CMP_CTX_set1_p10CSR(ctx, csr));
    ck_assert_msg((cert = P11CMP_exec_P10CR_ses(ctx)) != NULL,
                  "P10CR with a CSR of a %s token key", csr_algs[_i]);
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(cert), key), 1);
    ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(cert),
                                   X509_REQ_get_subject_name(csr)), 0);
    ck_assert_int_eq(testca_log_count(&token_ca, ": p10cr\n"), 1);
    P11CMP_CTX_free(ctx);
    token_ca_stop();
    X509_free(self);
    X509_REQ_free(csr);
    EVP_PKEY_free(key);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("token_cmp");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, ir_key_generated_on_token);
    tcase_add_test(tc, cr_signed_by_token_key);
    tcase_add_test(tc, kur_rotation_then_rr);
    tcase_add_test(tc, rr_removes_revoked_pair);
    tcase_add_test(tc, rejected_ir_leaves_token);
    tcase_add_test(tc, always_authenticate_key);
    tcase_add_loop_test(tc, tls_client_auth_with_token_key, 0,
                        (int)(sizeof(tls_rows) / sizeof(tls_rows[0])));
    tcase_add_test(tc, ed25519_ir_cr_kur);
    tcase_add_loop_test(tc, p10cr_with_csr_of_token_key, 0,
                        (int)(sizeof(csr_algs) / sizeof(csr_algs[0])));
    suite_add_tcase(s, tc);
    return p11_fixture_main(labels, s);
}
