/*
 * tests/check_pkcs11.c - unit tests of the PKCS#11 layer (pkcs11/) on a
 * fresh SoftHSM2 token: URIs and PIN sources, lookup errors by reason,
 * key generation with the attributes that keep keys inside, signatures
 * through EVP, certificate objects, transactions and fork safety.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <p11-kit/uri.h>
#include <p11cmp/p11cmp.h>

#include "p11_local.h"
#include "p11_fixture.h"

static const char *const labels[] = {
    "t-errors", "t-keygen", "t-cert", "t-txn", "t-fork", "t-ed", "t-ctx",
    "t-foreign", "t-pin1", "t-pin2", "t-dup", "t-match1", "t-match2",
    "t-dec", "t-imp", NULL
};

#define URI(label, extra) p11_fixture_uri((label), (extra), NULL, 1)
#define count_label(token, label) p11_fixture_count_found((token), (label))

static int err_is(int reason, const char *text)
{
    int r = p11_fixture_has_error(reason, text);

    ERR_clear_error();
    return r;
}

/* The digest to sign with key: none for EdDSA, else SHA-256. */
static const EVP_MD *md_for(const EVP_PKEY *key)
{
    return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448")
        ? NULL : EVP_sha256();
}

/* Signs "message" with key and verifies it with pub; 1 if it verifies. */
static int sign_verify(EVP_PKEY *key, EVP_PKEY *pub, int pss)
{
    static const unsigned char msg[] = "message";
    unsigned char sig[1024];
    size_t len = sizeof(sig);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    int ok;

    ok = EVP_DigestSignInit(c, &pc, md_for(key), NULL, key) == 1
        && (!pss || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING))
        && EVP_DigestSign(c, sig, &len, msg, sizeof(msg)) == 1;
    EVP_MD_CTX_free(c);
    if (!ok)
        return 0;
    c = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(c, &pc, md_for(pub), NULL, pub) == 1
        && (!pss || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING))
        && EVP_DigestVerify(c, sig, len, msg, sizeof(msg)) == 1;
    EVP_MD_CTX_free(c);
    return ok;
}

/* 1 if key signs through EVP in library context lc with query propq. */
static int sign_in(EVP_PKEY *key, OSSL_LIB_CTX *lc, const char *propq)
{
    unsigned char sig[1024];
    size_t len = sizeof(sig);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = EVP_DigestSignInit_ex(c, NULL, NULL, lc, propq, key, NULL) == 1
        && EVP_DigestSign(c, sig, &len, (const unsigned char *)"m", 1) == 1;

    EVP_MD_CTX_free(c);
    return ok;
}

/*
 * A key pair that pkcs11-tool makes on token (type: its key type and any
 * further options, e.g. "EC:prime256v1 --usage-derive") under CKA_ID id
 * (hex) and label; its private key, loaded by the id.
 */
static EVP_PKEY *tool_key(const char *token, const char *type,
                          const char *id, const char *label)
{
    char extra[32];
    EVP_PKEY *key;

    ck_assert_int_eq(p11_fixture_run(
        "pkcs11-tool --module '%s' --token-label %s --login --pin %s "
        "--keypairgen --key-type %s --id %s --label %s >/dev/null 2>&1",
        p11_fixture_module(), token, P11_FIXTURE_PIN, type, id, label), 0);
    snprintf(extra, sizeof(extra), ";id=%%%s", id);
    key = P11CMP_PKCS11_load_key(URI(token, extra), NULL);
    ck_assert_ptr_nonnull(key);
    return key;
}

/* A software copy of the public half of key. */
static EVP_PKEY *public_copy(EVP_PKEY *key)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int len = i2d_PUBKEY(key, &der);
    EVP_PKEY *pub;

    ck_assert_int_gt(len, 0);
    p = der;
    pub = d2i_PUBKEY(NULL, &p, len);
    OPENSSL_free(der);
    ck_assert_ptr_nonnull(pub);
    return pub;
}

START_TEST(uri_parse_errors)
{
    P11CMP_P11_URI *u;

    ck_assert_ptr_null(p11cmp_p11_uri_parse("http://example.org/"));
    ck_assert(err_is(P11CMP_R_INVALID_URI, "not a pkcs11: URI"));
    ck_assert_ptr_null(p11cmp_p11_uri_parse("pkcs11:token=%zz"));
    ck_assert(err_is(P11CMP_R_INVALID_URI,
                     p11_kit_uri_message(P11_KIT_URI_BAD_ENCODING)));
    ck_assert_ptr_null(p11cmp_p11_uri_parse("pkcs11:tokn=x"));
    ck_assert(err_is(P11CMP_R_INVALID_URI, "unrecognized attribute"));
    /* the query (where a pin-value lives) never shows in the error */
    ck_assert_ptr_null(p11cmp_p11_uri_parse(
        "pkcs11:token=%zz?pin-value=secret99"));
    ck_assert(!p11_fixture_has_error(0, "secret99"));
    u = p11cmp_p11_uri_parse("pkcs11:token=a;object=k1;id=%01%02;"
                             "type=private?module-path=/x.so&"
                             "pin-value=secret99");
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(p11cmp_p11_uri_label(u), "k1");
    ck_assert_str_eq(p11cmp_p11_uri_module(u), "/x.so");
    ck_assert_str_eq(p11cmp_p11_uri_pin_value(u), "secret99");
    ck_assert_int_eq(p11cmp_p11_uri_class(u), CKO_PRIVATE_KEY);
    {
        size_t n;
        const unsigned char *id = p11cmp_p11_uri_id(u, &n);

        ck_assert_int_eq(n, 2);
        ck_assert_int_eq(id[0], 1);
        ck_assert_int_eq(id[1], 2);
    }
    ck_assert_ptr_null(strstr(p11cmp_p11_uri_text(u), "secret99"));
    ck_assert_ptr_nonnull(strstr(p11cmp_p11_uri_text(u), "object=k1"));
    p11cmp_p11_uri_free(u);
}
END_TEST

START_TEST(uri_module_name)
{
    P11CMP_P11_URI *u = p11cmp_p11_uri_parse("pkcs11:?module-name=softhsm2");

    ck_assert_ptr_nonnull(u);
    ck_assert_ptr_nonnull(strstr(p11cmp_p11_uri_module(u), "libsofthsm2"));
    p11cmp_p11_uri_free(u);
    ck_assert_ptr_null(p11cmp_p11_uri_parse("pkcs11:?module-name=nosuch"));
    ck_assert(err_is(P11CMP_R_MODULE_LOAD_FAILED,
                     "module-name=nosuch: not in p11-kit configuration"));
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(
        "pkcs11:object=x?module-path=/nonexistent/mod.so", NULL));
    ck_assert(err_is(P11CMP_R_MODULE_LOAD_FAILED, "/nonexistent/mod.so"));
}
END_TEST

START_TEST(ckr_names)
{
    ck_assert_str_eq(p11cmp_p11_ckr_name(CKR_PIN_INCORRECT),
                     "CKR_PIN_INCORRECT");
    ck_assert_str_eq(p11cmp_p11_ckr_name(CKR_SESSION_HANDLE_INVALID),
                     "CKR_SESSION_HANDLE_INVALID");
    ck_assert_str_eq(p11cmp_p11_ckr_name(CKR_OK), "CKR_OK");
    ck_assert_ptr_null(p11cmp_p11_ckr_name(0x80001234UL));
}
END_TEST

START_TEST(pin_sources)
{
    char path[512], src[600], *pin;
    FILE *f;
    P11CMP_P11_URI *u;
    int fds[2];

    snprintf(path, sizeof(path), "%s/pinfile", p11_fixture_dir());
    f = fopen(path, "w");
    fputs("4321\n", f);
    fclose(f);
    snprintf(src, sizeof(src), "file:%s", path);
    pin = p11cmp_p11_pin_read(src);
    ck_assert_str_eq(pin, "4321");
    p11cmp_p11_pin_free(pin);
    pin = p11cmp_p11_pin_read("pass:77");
    ck_assert_str_eq(pin, "77");
    p11cmp_p11_pin_free(pin);
    setenv("P11CMP_TEST_PIN", "5555", 1);
    pin = p11cmp_p11_pin_read("env:P11CMP_TEST_PIN");
    ck_assert_str_eq(pin, "5555");
    p11cmp_p11_pin_free(pin);
    pin = p11cmp_p11_pin_read("|echo 6666");
    ck_assert_str_eq(pin, "6666");
    p11cmp_p11_pin_free(pin);
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "9999\r\nrest", 10), 10);
    close(fds[1]);
    snprintf(src, sizeof(src), "fd:%d", fds[0]);
    pin = p11cmp_p11_pin_read(src);
    close(fds[0]);
    ck_assert_str_eq(pin, "9999");
    p11cmp_p11_pin_free(pin);
    ck_assert_ptr_null(p11cmp_p11_pin_read("file:/nonexistent/pin"));
    ck_assert(err_is(P11CMP_R_PIN_UNAVAILABLE, "file source"));
    ck_assert_ptr_null(p11cmp_p11_pin_read("env:P11CMP_NO_SUCH_VAR"));
    ck_assert(err_is(P11CMP_R_PIN_UNAVAILABLE, "env source"));
    /* order: explicit source, pin-value, pin-source, $P11CMP_PIN */
    snprintf(src, sizeof(src), "pkcs11:token=x?pin-source=file:%s", path);
    u = p11cmp_p11_uri_parse(src);
    ck_assert_ptr_nonnull(u);
    pin = p11cmp_p11_pin_get(u, "pass:1", "x");
    ck_assert_str_eq(pin, "1");
    p11cmp_p11_pin_free(pin);
    pin = p11cmp_p11_pin_get(u, NULL, "x");
    ck_assert_str_eq(pin, "4321");
    p11cmp_p11_pin_free(pin);
    p11cmp_p11_uri_free(u);
    u = p11cmp_p11_uri_parse("pkcs11:token=x");
    setenv(P11CMP_P11_PIN_ENV, "8888", 1);
    pin = p11cmp_p11_pin_get(u, NULL, "x");
    ck_assert_str_eq(pin, "8888");
    p11cmp_p11_pin_free(pin);
    unsetenv(P11CMP_P11_PIN_ENV);
    p11cmp_p11_set_batch(1);
    ck_assert_ptr_null(p11cmp_p11_pin_get(u, NULL, "x"));
    ck_assert(err_is(P11CMP_R_PIN_UNAVAILABLE, P11CMP_P11_PIN_ENV));
    p11cmp_p11_set_batch(0);
    p11cmp_p11_uri_free(u);
}
END_TEST

START_TEST(lookup_errors)
{
    EVP_PKEY *k1, *k2;
    const char *uri;

    ck_assert_ptr_null(P11CMP_PKCS11_load_key(URI("nosuch", ";object=a"),
                                              NULL));
    ck_assert(err_is(P11CMP_R_TOKEN_NOT_FOUND, "token=nosuch"));
    /* no module named: p11-kit's proxy, which the error names as such */
    if (getenv("P11CMP_MODULE") == NULL) {
        ck_assert_ptr_null(P11CMP_PKCS11_load_key("pkcs11:token=nosuch;"
                                                  "object=a", NULL));
        ck_assert(err_is(P11CMP_R_TOKEN_NOT_FOUND, "all modules of p11-kit;"
                         " module-name= or module-path= names one"));
    }
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(URI("t-errors", ";object=a"),
                                              NULL));
    ck_assert(err_is(P11CMP_R_KEY_NOT_FOUND, "object=a"));
    ck_assert_ptr_null(P11CMP_PKCS11_load_cert(URI("t-errors", ";object=a"),
                                               NULL));
    ck_assert(err_is(P11CMP_R_CERT_NOT_FOUND, "object=a"));
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(
                           URI("t-errors", ";object=a;type=cert"), NULL));
    ck_assert(err_is(P11CMP_R_KEY_NOT_FOUND, "type= must be private"));
    ck_assert_ptr_null(P11CMP_PKCS11_load_cert(
                           URI("t-errors", ";object=a;type=private"), NULL));
    ck_assert(err_is(P11CMP_R_CERT_NOT_FOUND, "type= must be cert"));
    k1 = P11CMP_PKCS11_generate_key(URI("t-errors", ""), "EC:P-256", "dup",
                                    NULL, 0);
    k2 = P11CMP_PKCS11_generate_key(URI("t-errors", ""), "EC:P-256", "dup",
                                    NULL, 0);
    ck_assert_ptr_nonnull(k1);
    ck_assert_ptr_nonnull(k2);
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(URI("t-errors", ";object=dup"),
                                              NULL));
    ck_assert(err_is(P11CMP_R_AMBIGUOUS_KEY, "object=dup"));
    /*
     * A wrong PIN: CKR_PIN_INCORRECT by name, and no PIN in the data.
     * (Free the keys first: while a session is open the token stays
     * logged in and C_Login answers CKR_USER_ALREADY_LOGGED_IN.)
     */
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    uri = p11_fixture_uri("t-errors", ";object=dup", NULL, 0);
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(uri, "pass:9999"));
    ck_assert(p11_fixture_has_error(P11CMP_R_LOGIN_FAILED,
                                    "C_Login: CKR_PIN_INCORRECT"));
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(uri, "pass:9999"));
    ck_assert(!p11_fixture_has_error(0, "9999"));
    ck_assert_ptr_null(P11CMP_PKCS11_generate_key(URI("t-errors", ""),
                                                  "DSA:1024", "x", NULL, 0));
    ck_assert(err_is(P11CMP_R_UNSUPPORTED_KEY_TYPE, "DSA:1024"));
}
END_TEST

/* Slot and token info of token label, read through p11cmp's own layer. */
static CK_SLOT_ID token_info(const char *label, CK_TOKEN_INFO *info)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_token_open(URI(label, ""), NULL, 0);
    CK_SLOT_ID slot;
    CK_RV rv;

    ck_assert_ptr_nonnull(tok);
    ck_assert_int_eq(P11CMP_P11_CALL(tok, rv, C_GetTokenInfo, tok->slot,
                                     info), CKR_OK);
    slot = tok->slot;
    p11cmp_p11_token_free(tok);
    return slot;
}

/* A blank-padded token info field as a string (in buf, size n + 1). */
static const char *unpad(const CK_UTF8CHAR *field, size_t n, char *buf)
{
    memcpy(buf, field, n);
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return buf;
}

/*
 * The slot of the one token "pkcs11:ATTRS" (with module and PIN) finds;
 * (CK_SLOT_ID)-1 if none, the error left on the queue.
 */
static CK_SLOT_ID slot_of(const char *attrs)
{
    char uri[512];
    P11CMP_P11_TOKEN *tok;
    CK_SLOT_ID slot = (CK_SLOT_ID)-1;

    snprintf(uri, sizeof(uri), "pkcs11:%s?module-path=%s&pin-value=%s",
             attrs, p11_fixture_module(), P11_FIXTURE_PIN);
    if ((tok = p11cmp_p11_token_open(uri, NULL, 0)) != NULL)
        slot = tok->slot;
    p11cmp_p11_token_free(tok);
    return slot;
}

/*
 * RFC 7512 token attributes: serial= picks one of two SoftHSM2 tokens,
 * manufacturer= and model= match SoftHSM2's own values (as C_GetTokenInfo
 * gives them, percent-encoded in the URI); a wrong serial, model or
 * manufacturer finds no token, and the error names the URI searched.
 */
START_TEST(token_attrs)
{
    CK_TOKEN_INFO i1, i2;
    CK_SLOT_ID s1 = token_info("t-match1", &i1);
    CK_SLOT_ID s2 = token_info("t-match2", &i2);
    char ser1[17], ser2[17], buf[64], attrs[160], uri[512];
    EVP_PKEY *k;

    ck_assert_uint_ne(s1, s2);
    ck_assert_str_eq(unpad(i2.manufacturerID, 32, buf), "SoftHSM project");
    ck_assert_str_eq(unpad(i2.model, 16, buf), "SoftHSM v2");
    unpad(i1.serialNumber, 16, ser1);
    unpad(i2.serialNumber, 16, ser2);
    ck_assert_str_ne(ser1, ser2);
    snprintf(attrs, sizeof(attrs), "serial=%s", ser2);
    ck_assert_uint_eq(slot_of(attrs), s2);
    snprintf(attrs, sizeof(attrs), "serial=%s", ser1);
    ck_assert_uint_eq(slot_of(attrs), s1);
    snprintf(attrs, sizeof(attrs), "manufacturer=SoftHSM%%20project;"
             "model=SoftHSM%%20v2;serial=%s", ser2);
    ck_assert_uint_eq(slot_of(attrs), s2);
    ck_assert_uint_eq(slot_of("manufacturer=SoftHSM%20project;"
                              "token=t-match1"), s1);
    /* the manufacturer alone matches every token here */
    ck_assert_uint_eq(slot_of("manufacturer=SoftHSM%20project"),
                      (CK_SLOT_ID)-1);
    ck_assert(err_is(P11CMP_R_AMBIGUOUS_TOKEN,
                     "slots match uri=pkcs11:manufacturer=SoftHSM%20project"
                     "?module-path="));
    /* wrong values: no token, the URI searched named */
    ck_assert_uint_eq(slot_of("serial=0123456789abcdef"), (CK_SLOT_ID)-1);
    ck_assert(err_is(P11CMP_R_TOKEN_NOT_FOUND,
                     "slots match uri=pkcs11:serial=0123456789abcdef?"));
    snprintf(attrs, sizeof(attrs), "model=SoftHSM%%20v3;serial=%s", ser2);
    ck_assert_uint_eq(slot_of(attrs), (CK_SLOT_ID)-1);
    ck_assert(err_is(P11CMP_R_TOKEN_NOT_FOUND, "model=SoftHSM%20v3;serial="));
    ck_assert_uint_eq(slot_of("manufacturer=Other;token=t-match1"),
                      (CK_SLOT_ID)-1);
    ck_assert(err_is(P11CMP_R_TOKEN_NOT_FOUND,
                     "uri=pkcs11:manufacturer=Other;token=t-match1?"));
    /* a key generated by serial= lands on that token only */
    snprintf(uri, sizeof(uri), "pkcs11:serial=%s?module-path=%s"
             "&pin-value=%s", ser2, p11_fixture_module(), P11_FIXTURE_PIN);
    k = P11CMP_PKCS11_generate_key(uri, "EC:P-256", "byserial", NULL, 0);
    ck_assert_ptr_nonnull(k);
    EVP_PKEY_free(k);
    ck_assert_int_eq(p11_fixture_count_label("t-match2", "byserial"), 2);
    ck_assert_int_eq(p11_fixture_count_label("t-match1", "byserial"), 0);
}
END_TEST

/* Generates alg on t-keygen and checks attributes and signatures. */
static void keygen_check(const char *alg, const char *label, int pss)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    EVP_PKEY *key = NULL, *pub, *tokpub;
    CK_OBJECT_HANDLE objs[4];
    CK_ATTRIBUTE a = {CKA_LABEL, (void *)label, strlen(label)};
    CK_ULONG n = 0, i, cls;
    unsigned char *v = NULL, *id0 = NULL, *id1 = NULL;
    size_t l0 = 0, l1 = 0;
    int b;
    CK_ATTRIBUTE_TYPE secret = strncmp(alg, "RSA", 3) == 0
        ? CKA_PRIVATE_EXPONENT : CKA_VALUE;

    tok = p11cmp_p11_token_open(URI("t-keygen", ""), NULL, P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    txn = p11cmp_p11_txn_new(tok);
    ck_assert_int_eq(p11cmp_p11_txn_keygen(txn, alg, label, NULL, 0, 0,
                                           &key), 1);
    ck_assert_int_eq(p11cmp_p11_txn_count(txn), 2);
    ck_assert_int_eq(p11cmp_p11_txn_commit(txn), 1);
    p11cmp_p11_txn_free(txn);
    ck_assert(P11CMP_PKCS11_is_token_key(key));
    ck_assert_int_eq(p11cmp_p11_find(tok, &a, 1, objs, 4, &n), 1);
    ck_assert_int_eq(n, 2); /* public and private half, same label */
    ck_assert(p11cmp_p11_get_attr(tok, objs[0], CKA_ID, &id0, &l0));
    ck_assert(p11cmp_p11_get_attr(tok, objs[1], CKA_ID, &id1, &l1));
    ck_assert_int_eq(l0, P11CMP_P11_ID_LEN);
    ck_assert_int_eq(l1, l0);
    ck_assert_mem_eq(id0, id1, l0);
    for (i = 0; i < n; i++) {
        ck_assert(p11cmp_p11_get_ulong(tok, objs[i], CKA_CLASS, &cls));
        if (cls != CKO_PRIVATE_KEY)
            continue;
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_SENSITIVE, &b) && b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_EXTRACTABLE, &b)
                  && !b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_ALWAYS_SENSITIVE,
                                      &b) && b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_NEVER_EXTRACTABLE,
                                      &b) && b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_TOKEN, &b) && b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_PRIVATE, &b) && b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_SIGN, &b) && b);
        /* sign only: no decryption, unwrapping, derivation, recovery */
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_DECRYPT, &b) && !b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_UNWRAP, &b) && !b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_DERIVE, &b) && !b);
        ck_assert(p11cmp_p11_get_bool(tok, objs[i], CKA_SIGN_RECOVER, &b)
                  && !b);
        /* the private value cannot be read */
        ck_assert_int_eq(p11cmp_p11_get_attr(tok, objs[i], secret, &v,
                                             NULL), 0);
        ck_assert(err_is(P11CMP_R_PKCS11_ERROR, "CKR_ATTRIBUTE_SENSITIVE"));
        tokpub = p11cmp_p11_pubkey_read(tok, objs[i], NULL);
        ck_assert_ptr_nonnull(tokpub);
        ck_assert_int_eq(sign_verify(key, tokpub, 0), 1);
        EVP_PKEY_free(tokpub);
    }
    pub = public_copy(key);
    ck_assert_int_eq(sign_verify(key, pub, 0), 1);
    if (pss)
        ck_assert_int_eq(sign_verify(key, pub, 1), 1);
    OPENSSL_free(id0);
    OPENSSL_free(id1);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);
    p11cmp_p11_token_free(tok);
}

START_TEST(keygen_rsa2048)
{
    char *list;

    keygen_check("RSA:2048", "rsa2048", 1);
    /* an independent reader agrees */
    list = p11_fixture_list("t-keygen");
    ck_assert_ptr_nonnull(list);
    ck_assert_ptr_nonnull(strstr(list, "sensitive, always sensitive, "
                                 "never extractable"));
    free(list);
}
END_TEST

/* the other key types generated on the token, each its own test */
static const struct {
    const char *alg, *label;
    int pss;
} keygens[] = {
    { "RSA:3072", "rsa3072", 1 },
    { "RSA:4096", "rsa4096", 0 },
    { "EC:P-256", "p256", 0 },
    { "EC:P-384", "p384", 0 },
    { "EC:P-521", "p521", 0 },
    { "ED25519", "ed25519", 0 },
    { "ED448", "ed448", 0 },
};

START_TEST(keygen_types)
{
    keygen_check(keygens[_i].alg, keygens[_i].label, keygens[_i].pss);
}
END_TEST

START_TEST(keygen_id_from_pubkey)
{
    EVP_PKEY *key, *again;
    const unsigned char *id, *bits;
    unsigned char md[SHA_DIGEST_LENGTH];
    X509_PUBKEY *xpk = NULL;
    size_t idlen;
    int len;

    key = P11CMP_PKCS11_generate_key(URI("t-keygen", ";object=byspki"),
                                     "EC:prime256v1", NULL, NULL,
                                     P11CMP_PKCS11_ID_FROM_PUBKEY);
    ck_assert_ptr_nonnull(key);
    ck_assert(p11cmp_p11_pkey_get_id(key, &id, &idlen, NULL));
    ck_assert(X509_PUBKEY_set(&xpk, key));
    ck_assert(X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, xpk));
    SHA1(bits, len, md);
    ck_assert_int_eq(idlen, sizeof(md));
    /* the EVP_PKEY was made before the id changed: reload by label */
    again = P11CMP_PKCS11_load_key(URI("t-keygen", ";object=byspki"), NULL);
    ck_assert_ptr_nonnull(again);
    ck_assert(p11cmp_p11_pkey_get_id(again, &id, &idlen, NULL));
    ck_assert_mem_eq(id, md, sizeof(md));
    X509_PUBKEY_free(xpk);
    EVP_PKEY_free(key);
    EVP_PKEY_free(again);
}
END_TEST

/* A certificate for key in its own name, signed by signer. */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, const char *cn,
                       long serial)
{
    X509 *c = p11_fixture_cert(key, cn, serial, NULL, signer);

    ck_assert_ptr_nonnull(c);
    return c;
}

/*
 * 1 if CMS signed data made by key (with cert, signed attributes) verifies
 * and gives the content back.
 */
static int cms_signs(X509 *cert, EVP_PKEY *key)
{
    static const char data[] = "content";
    BIO *in = BIO_new_mem_buf(data, sizeof(data) - 1);
    BIO *out = BIO_new(BIO_s_mem());
    CMS_ContentInfo *cms = CMS_sign(cert, key, NULL, in, CMS_BINARY);
    char buf[16] = "";
    int ok = cms != NULL
        && CMS_verify(cms, NULL, NULL, NULL, out,
                      CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1
        && BIO_read(out, buf, sizeof(buf) - 1) == (int)sizeof(data) - 1
        && strcmp(buf, data) == 0;

    CMS_ContentInfo_free(cms);
    BIO_free(in);
    BIO_free(out);
    return ok;
}

/* 1 if a CSR signed by key with RSASSA-PSS (SHA-256) verifies with pub. */
static int pss_csr_signs(EVP_PKEY *key, EVP_PKEY *pub)
{
    X509_REQ *req = X509_REQ_new();
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    const X509_ALGOR *alg = NULL;
    int ok = req != NULL && c != NULL
        && X509_REQ_set_version(req, X509_REQ_VERSION_1)
        && X509_REQ_set_pubkey(req, key)
        && EVP_DigestSignInit(c, &pc, EVP_sha256(), NULL, key) == 1
        && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0
        && EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) > 0
        && X509_REQ_sign_ctx(req, c) > 0;

    if (ok) {
        X509_REQ_get0_signature(req, NULL, &alg);
        ok = OBJ_obj2nid(alg->algorithm) == NID_rsassaPss
            && X509_REQ_verify(req, pub) == 1;
    }
    EVP_MD_CTX_free(c);
    X509_REQ_free(req);
    return ok;
}

/* the key types of provider_keys: one software key of each type too */
static const struct {
    const char *alg, *type, *soft;
    int base_id, size, secbits, pss;
} prov_keys[] = {
    { "ED25519", "ED25519", "ED25519", EVP_PKEY_ED25519, 64, 128, 0 },
    { "ED448", "ED448", "ED448", EVP_PKEY_ED448, 114, 224, 0 },
    { "RSA:2048", "RSA", "RSA", EVP_PKEY_RSA, 256, 112, 0 },
    { "RSA:2048", "RSA", "RSA", EVP_PKEY_RSA, 256, 112, 1 },
    { "EC:P-256", "EC", "EC", EVP_PKEY_EC, 72, 128, 0 },
    { "EC:P-521", "EC", "EC", EVP_PKEY_EC, 139, 256, 0 },
};

/* A software key of the type prov_keys[i] names. */
static EVP_PKEY *soft_key(int i)
{
    return strcmp(prov_keys[i].soft, "RSA") == 0
        ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
        : strcmp(prov_keys[i].soft, "EC") == 0
        ? EVP_PKEY_Q_keygen(NULL, NULL, "EC",
                            prov_keys[i].size == 72 ? "P-256" : "P-521")
        : EVP_PKEY_Q_keygen(NULL, NULL, prov_keys[i].soft);
}

/*
 * A token key of each type (an EVP_PKEY of p11cmp's provider) compares
 * with software keys and certificates, signs X.509 structures, is found
 * by URI, is copied as a token key and never exports its private half;
 * software keys of the type made after it still come from the default
 * provider.
 */
START_TEST(provider_keys)
{
    EVP_PKEY *key, *loaded, *pub, *soft, *copy;
    X509 *cert, *other;
    unsigned char *der = NULL;
    OSSL_LIB_CTX *lc;
    int pss = prov_keys[_i].pss;
    char obj[32], priv[48];

    snprintf(obj, sizeof(obj), ";object=pk%d", _i);
    snprintf(priv, sizeof(priv), "%s;type=private", obj);
    key = P11CMP_PKCS11_generate_key(URI("t-ed", obj), prov_keys[_i].alg,
                                     NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    ck_assert(P11CMP_PKCS11_is_token_key(key));
    ck_assert(EVP_PKEY_is_a(key, prov_keys[_i].type));
    ck_assert_int_eq(EVP_PKEY_get_base_id(key), prov_keys[_i].base_id);
    ck_assert_int_eq(EVP_PKEY_get_size(key), prov_keys[_i].size);
    ck_assert_int_eq(EVP_PKEY_get_security_bits(key),
                     prov_keys[_i].secbits);
    pub = public_copy(key);
    ck_assert_int_eq(EVP_PKEY_eq(key, pub), 1);
    ck_assert_int_eq(EVP_PKEY_eq(pub, key), 1);
    ck_assert_int_eq(sign_verify(key, pub, pss), 1);
    loaded = P11CMP_PKCS11_load_key(URI("t-ed", priv), NULL);
    ck_assert_ptr_nonnull(loaded);
    ck_assert_int_eq(EVP_PKEY_eq(loaded, key), 1);
    /* a certificate signed by the token matches the key, not another */
    cert = make_cert(key, key, "ed", 9);
    ck_assert_int_eq(X509_verify(cert, pub), 1);
    ck_assert_int_eq(X509_check_private_key(cert, loaded), 1);
    soft = soft_key(_i);
    ck_assert_ptr_nonnull(soft);
    ck_assert(!P11CMP_PKCS11_is_token_key(soft));
    ck_assert_str_eq(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(soft)),
                     "default");
    ck_assert_int_eq(sign_verify(soft, soft, 0), 1);
    ck_assert_int_eq(EVP_PKEY_eq(soft, loaded), 0);
    ck_assert_int_eq(X509_check_private_key(cert, soft), 0);
    other = make_cert(soft, soft, "soft", 10);
    ck_assert_int_eq(X509_check_private_key(other, loaded), 0);
    /* (OpenSSL 3.0's CMS knows no digest for EdDSA, not even in software) */
    ck_assert(md_for(loaded) == NULL || cms_signs(cert, loaded));
    ck_assert(!pss || pss_csr_signs(loaded, pub));
    /* the token key object verifies too (in software) */
    ck_assert_int_eq(X509_verify(cert, loaded), 1);
    ck_assert_int_le(X509_verify(other, loaded), 0);
    ERR_clear_error();
    /* the private half is never exported; a copy is a token key too */
    ck_assert_int_le(i2d_PrivateKey(loaded, &der), 0);
    ERR_clear_error();
    ck_assert_ptr_nonnull(copy = EVP_PKEY_dup(loaded));
    ck_assert(P11CMP_PKCS11_is_token_key(copy));
    ck_assert_int_le(i2d_PrivateKey(copy, &der), 0);
    ERR_clear_error();
    ck_assert_int_eq(sign_verify(copy, pub, pss), 1);
    EVP_PKEY_free(copy);
    /* after all those comparisons the token still signs */
    ck_assert_int_eq(sign_verify(loaded, pub, pss), 1);
    /* also for another library context, unless a query excludes ours */
    ck_assert_ptr_nonnull(lc = OSSL_LIB_CTX_new());
    ck_assert(sign_in(loaded, lc, NULL));
    ck_assert(!sign_in(loaded, NULL, "provider=default"));
    ERR_clear_error();
    OSSL_LIB_CTX_free(lc);
    X509_free(cert);
    X509_free(other);
    EVP_PKEY_free(soft);
    EVP_PKEY_free(loaded);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);
}
END_TEST

/*
 * An Ed25519 key that wants the PIN for every signature (made by
 * pkcs11-tool --always-auth) signs: the provider's signatures take the
 * same path, context-specific login included, as RSA and EC ones.
 */
START_TEST(eddsa_always_authenticate)
{
    EVP_PKEY *key, *pub;

    ck_assert_int_eq(p11_fixture_run(
        "pkcs11-tool --module '%s' --token-label t-ed --login --pin %s "
        "--keypairgen --key-type EC:edwards25519 --id 0d --label edauth "
        "--always-auth >/dev/null 2>&1", p11_fixture_module(),
        P11_FIXTURE_PIN), 0);
    ck_assert_int_eq(p11_fixture_count("t-ed", "Access:     always "
                                       "authenticate", 0), 1);
    key = P11CMP_PKCS11_load_key(URI("t-ed", ";object=edauth"), NULL);
    ck_assert_ptr_nonnull(key);
    pub = public_copy(key);
    ck_assert_int_eq(sign_verify(key, pub, 0), 1);
    ck_assert_int_eq(sign_verify(key, pub, 0), 1);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);
}
END_TEST

/* An EdDSA key on a curve other than Ed25519 / Ed448 is refused clearly. */
START_TEST(eddsa_unsupported_curve)
{
    static CK_BBOOL yes = CK_TRUE;
    static unsigned char x25519[] = {0x06, 0x03, 0x2b, 0x65, 0x6e};
    static CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
    static CK_KEY_TYPE kt = CKK_EC_EDWARDS;
    unsigned char point[34] = {0x04, 0x20, 9}, value[32] = {1};
    CK_ATTRIBUTE common[] = {
        {CKA_CLASS, &pubc, sizeof(pubc)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_TOKEN, &yes, 1}, {CKA_ID, "\x0e", 1}, {CKA_LABEL, "x25519", 6},
        {CKA_EC_PARAMS, x25519, sizeof(x25519)},
        {CKA_EC_POINT, point, sizeof(point)}
    };
    P11CMP_P11_TOKEN *tok;
    CK_OBJECT_HANDLE h;
    char *before, *after;

    tok = p11cmp_p11_token_open(URI("t-ed", ""), NULL, P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    ck_assert(p11cmp_p11_create(tok, common, 7, &h));
    common[0].pValue = &privc;
    common[6].type = CKA_VALUE;
    common[6].pValue = value;
    common[6].ulValueLen = sizeof(value);
    ck_assert(p11cmp_p11_create(tok, common, 7, &h));
    before = p11_fixture_list("t-ed");
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(URI("t-ed",
                                                  ";object=x25519"), NULL));
    ck_assert(err_is(P11CMP_R_UNSUPPORTED_KEY_TYPE,
                     "EdDSA curve not supported"));
    after = p11_fixture_list("t-ed");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    p11cmp_p11_token_free(tok);
}
END_TEST

START_TEST(cert_objects)
{
    EVP_PKEY *key, *pub;
    X509 *cert, *back;
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    const unsigned char *id;
    size_t idlen;
    const char *label;
    CK_OBJECT_HANDLE h;
    CK_ULONG n = 0, cat = 9;
    P11CMP_P11_URI *u;
    int stored = -1, count = 0;

    key = P11CMP_PKCS11_generate_key(URI("t-cert", ";object=me"), "EC:P-384",
                                     NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    cert = make_cert(key, key, "me", 7); /* signed on the token */
    pub = public_copy(key);
    ck_assert_int_eq(X509_verify(cert, pub), 1);
    ck_assert(p11cmp_p11_pkey_get_id(key, &id, &idlen, &label));
    ck_assert_str_eq(label, "me");
    tok = p11cmp_p11_pkey_token(key);
    txn = p11cmp_p11_txn_new(tok);
    ck_assert(p11cmp_p11_txn_store_cert(txn, cert, id, idlen, label,
                                        P11CMP_P11_CAT_USER, &stored));
    ck_assert_int_eq(stored, 1);
    ck_assert(p11cmp_p11_txn_store_cert(txn, cert, id, idlen, label,
                                        P11CMP_P11_CAT_USER, &stored));
    ck_assert_int_eq(stored, 0); /* already there: not stored twice */
    ck_assert(p11cmp_p11_txn_commit(txn));
    p11cmp_p11_txn_free(txn);
    u = p11cmp_p11_uri_parse("pkcs11:object=me;type=cert");
    ck_assert(p11cmp_p11_find_uri(tok, u, (CK_ULONG)-1, &h, 1, &n));
    ck_assert_int_eq(n, 1);
    ck_assert(p11cmp_p11_get_ulong(tok, h, CKA_CERTIFICATE_CATEGORY, &cat));
    ck_assert_int_eq(cat, P11CMP_P11_CAT_USER);
    p11cmp_p11_uri_free(u);
    back = P11CMP_PKCS11_load_cert(p11_fixture_uri("t-cert", ";object=me",
                                                   NULL, 0), NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(X509_cmp(back, cert), 0);
    X509_free(back);
    /* the public store function skips the same certificate too */
    ck_assert(P11CMP_PKCS11_store_cert(URI("t-cert", ";object=other"), cert,
                                       P11CMP_PKCS11_CERT_AUTHORITY, NULL));
    ck_assert_ptr_null(P11CMP_PKCS11_load_cert(URI("t-cert",
                                                   ";object=other"), NULL));
    ck_assert(err_is(P11CMP_R_CERT_NOT_FOUND, "object=other"));
    /* delete cert and both key halves */
    ck_assert(P11CMP_PKCS11_delete_objects(URI("t-cert", ";object=me"), NULL,
                                           &count));
    ck_assert_int_eq(count, 3);
    ck_assert_ptr_null(P11CMP_PKCS11_load_cert(URI("t-cert", ";object=me"),
                                               NULL));
    ck_assert(err_is(P11CMP_R_CERT_NOT_FOUND, "object=me"));
    X509_free(cert);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(txn_rollback)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    EVP_PKEY *key = NULL, *ca;
    X509 *cert, *cacert;
    const unsigned char *id;
    size_t idlen;
    char *before, *mid, *after;
    int stored;

    ca = P11CMP_PKCS11_generate_key(URI("t-txn", ";object=keep"), "EC:P-256",
                                    NULL, NULL, 0);
    ck_assert_ptr_nonnull(ca);
    before = p11_fixture_list("t-txn");
    tok = p11cmp_p11_token_open(URI("t-txn", ""), NULL, P11CMP_P11_RW);
    txn = p11cmp_p11_txn_new(tok);
    ck_assert(p11cmp_p11_txn_keygen(txn, "RSA:2048", "new", NULL, 0, 0,
                                    &key));
    ck_assert(p11cmp_p11_pkey_get_id(key, &id, &idlen, NULL));
    cacert = make_cert(ca, ca, "ca", 1);
    cert = make_cert(key, ca, "new", 2);
    ck_assert(p11cmp_p11_txn_store_cert(txn, cert, id, idlen, "new",
                                        P11CMP_P11_CAT_USER, &stored));
    ck_assert(p11cmp_p11_txn_store_cert(txn, cacert, NULL, 0, NULL,
                                        P11CMP_P11_CAT_AUTHORITY, &stored));
    ck_assert(p11cmp_p11_pkey_get_id(ca, &id, &idlen, NULL));
    ck_assert(p11cmp_p11_txn_relabel(txn, id, idlen, "keep-old"));
    ck_assert_int_eq(p11cmp_p11_txn_count(txn), 6);
    mid = p11_fixture_list("t-txn");
    ck_assert_ptr_nonnull(strstr(mid, "keep-old"));
    ck_assert_str_ne(before, mid);
    ck_assert_int_eq(p11cmp_p11_txn_rollback(txn), 1);
    after = p11_fixture_list("t-txn");
    ck_assert_str_eq(before, after);
    /* the generated key is gone: signing with it fails by CKR name */
    ck_assert_int_eq(sign_verify(key, ca, 0), 0);
    ck_assert(err_is(P11CMP_R_PKCS11_ERROR, "HANDLE_INVALID"));
    p11cmp_p11_txn_free(txn);
    p11cmp_p11_token_free(tok);
    X509_free(cert);
    X509_free(cacert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca);
    free(before);
    free(mid);
    free(after);
}
END_TEST

static int cms_roundtrip(X509 *cert, EVP_PKEY *key);

/*
 * cms_roundtrip with a certificate for key's public half (common name cn,
 * the serial, issued by ca); what cms_roundtrip returns.
 */
static int cms_cert_roundtrip(EVP_PKEY *key, const char *cn, long serial,
                              EVP_PKEY *ca)
{
    EVP_PKEY *pub = public_copy(key);
    X509 *cert = p11_fixture_cert(pub, cn, serial, NULL, ca);
    int ok;

    ck_assert_ptr_nonnull(cert);
    ok = cms_roundtrip(cert, key);
    X509_free(cert);
    EVP_PKEY_free(pub);
    return ok;
}

/*
 * A token EC key with CKA_DERIVE (pkcs11-tool) agrees on the key of a
 * CMS EnvelopedData (ECDH on the token, the X9.63 KDF in software: CMS
 * key agreement, as central key generation's EnvelopedData to an EC
 * client needs); a key p11cmp generated (CKA_DERIVE false) is refused.
 */
START_TEST(token_ecdh)
{
    EVP_PKEY *key, *ca = EVP_EC_gen("P-256"), *own;

    key = tool_key("t-dec", "EC:prime256v1 --usage-derive --usage-sign",
                   "0e", "ecdh");
    ck_assert_int_eq(cms_cert_roundtrip(key, "ecdh", 78, ca), 1);
    EVP_PKEY_free(key);

    own = P11CMP_PKCS11_generate_key(URI("t-dec", ""), "EC:P-256", "own-ec",
                                     NULL, 0);
    ck_assert_ptr_nonnull(own);
    ck_assert_int_eq(cms_cert_roundtrip(own, "own-ec", 79, ca), 0);
    ck_assert(err_is(P11CMP_R_PKCS11_ERROR, "ECDH key agreement"));
    EVP_PKEY_free(own);
    EVP_PKEY_free(ca);
}
END_TEST

/*
 * A software key imported onto the token (a centrally generated key):
 * RSA and EC, both halves under the label, the private key sensitive and
 * not extractable, it signs what the software key verifies; uncommitted,
 * freeing the transaction takes it back; a process that dies after the
 * import leaves it to the journal, and the next open removes it. An
 * Ed25519 key is refused (UNSUPPORTED_KEY_TYPE), the token unchanged.
 */
START_TEST(import_key)
{
    EVP_PKEY *sw = _i == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-384");
    P11CMP_P11_TOKEN *tok;
    P11CMP_P11_TXN *txn;
    EVP_PKEY *key = NULL;
    char *list, *after;
    pid_t pid;
    int st;

    ck_assert_ptr_nonnull(sw);
    tok = p11cmp_p11_token_open(URI("t-imp", ""), NULL, P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    txn = p11cmp_p11_txn_new(tok);
    ck_assert(p11cmp_p11_txn_import(txn, sw, "imp", NULL, 0, &key));
    ck_assert_int_eq(sign_verify(key, sw, 0), 1);
    list = p11_fixture_list("t-imp");
    ck_assert_int_eq(p11_fixture_count_label("t-imp", "imp"), 2);
    ck_assert_ptr_nonnull(strstr(list, "sensitive"));
    ck_assert_ptr_null(strstr(list, "extractable"));
    free(list);
    EVP_PKEY_free(key);
    p11cmp_p11_txn_free(txn); /* not committed: rolled back */
    ck_assert_int_eq(count_label("t-imp", "imp"), 0);

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        P11CMP_P11_TXN *t = p11cmp_p11_txn_new(tok);

        _exit(t != NULL && p11cmp_p11_txn_import(t, sw, "dead", NULL, 0,
                                                 NULL) ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(p11_fixture_count_label("t-imp", "dead"), 2);
    ck_assert_int_eq(count_label("t-imp", "dead"), 0); /* recovered */
    EVP_PKEY_free(sw);

    /* a type it does not import: the exact reason, the token unchanged */
    sw = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    list = p11_fixture_list("t-imp");
    txn = p11cmp_p11_txn_new(tok);
    ck_assert(!p11cmp_p11_txn_import(txn, sw, "ed", NULL, 0, NULL));
    ck_assert(err_is(P11CMP_R_UNSUPPORTED_KEY_TYPE, "key to import"));
    p11cmp_p11_txn_free(txn);
    after = p11_fixture_list("t-imp");
    ck_assert_str_eq(list, after);
    free(after);
    free(list);
    p11cmp_p11_token_free(tok);
    EVP_PKEY_free(sw);
}
END_TEST

START_TEST(fork_safety)
{
    EVP_PKEY *key, *pub;
    pid_t pid;
    int status = -1;

    key = P11CMP_PKCS11_generate_key(URI("t-fork", ";object=f"), "EC:P-256",
                                     NULL, NULL, 0);
    ck_assert_ptr_nonnull(key);
    pub = public_copy(key);
    ck_assert_int_eq(sign_verify(key, pub, 0), 1);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int ok = sign_verify(key, pub, 0) == 1
            && sign_verify(key, pub, 0) == 1;

        EVP_PKEY_free(pub);
        EVP_PKEY_free(key);
        P11CMP_PKCS11_cleanup();
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(sign_verify(key, pub, 0), 1); /* parent still fine */
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(ctx_functions)
{
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    EVP_PKEY *k;
    X509 *cert;

    ck_assert_ptr_nonnull(ctx);
    /* a generated key is provisional: freed uncommitted, it is removed */
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI("t-ctx", ""), "EC:P-256",
                                          "gen"));
    k = P11CMP_CTX_get0_newPkey(ctx, 1);
    ck_assert(P11CMP_PKCS11_is_token_key(k));
    ck_assert_ptr_nonnull(p11cmp_p11_pkey_txn(k));
    ck_assert_int_eq(count_label("t-ctx", "gen"), 2);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(count_label("t-ctx", "gen"), 0);
    /* committed, it stays */
    ctx = P11CMP_CTX_new(NULL, NULL);
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI("t-ctx", ";object=kept"),
                                          "RSA:2048", NULL));
    k = P11CMP_CTX_get0_newPkey(ctx, 1);
    ck_assert(P11CMP_PKCS11_commit_key(k));
    ck_assert_ptr_null(p11cmp_p11_pkey_txn(k));
    ck_assert(!P11CMP_PKCS11_discard_key(k));
    ck_assert(err_is(P11CMP_R_INVALID_ARGUMENT, "not a provisional"));
    cert = make_cert(k, k, "kept", 3);
    P11CMP_CTX_free(ctx);
    ck_assert_int_eq(count_label("t-ctx", "kept"), 2);
    /* discarded at once */
    ctx = P11CMP_CTX_new(NULL, NULL);
    ck_assert(P11CMP_CTX_generate_newPkey(ctx, URI("t-ctx", ""), "EC:P-384",
                                          "gone"));
    ck_assert_int_eq(count_label("t-ctx", "gone"), 2);
    ck_assert(P11CMP_PKCS11_discard_key(P11CMP_CTX_get0_newPkey(ctx, 1)));
    ck_assert_int_eq(count_label("t-ctx", "gone"), 0);
    /* keys and certificates by URI */
    ck_assert(P11CMP_PKCS11_store_cert(URI("t-ctx", ";object=kept"), cert,
                                       P11CMP_PKCS11_CERT_USER, NULL));
    ck_assert(P11CMP_CTX_set1_pkey_uri(ctx, URI("t-ctx", ";object=kept")));
    ck_assert(P11CMP_CTX_set1_cert_uri(ctx, URI("t-ctx", ";object=kept")));
    ck_assert(P11CMP_CTX_set1_oldCert_uri(ctx, URI("t-ctx",
                                                   ";object=kept")));
    ck_assert(P11CMP_CTX_set1_newPkey_uri(ctx, URI("t-ctx",
                                                   ";object=kept")));
    k = P11CMP_CTX_get0_newPkey(ctx, 1);
    ck_assert(P11CMP_PKCS11_is_token_key(k));
    ck_assert_ptr_null(p11cmp_p11_pkey_txn(k));
    ck_assert(!P11CMP_CTX_set1_pkey_uri(ctx, URI("t-ctx", ";object=none")));
    ck_assert(err_is(P11CMP_R_KEY_NOT_FOUND, "object=none"));
    ck_assert(!P11CMP_CTX_set1_cert_uri(ctx, URI("t-ctx", ";object=none")));
    ck_assert(err_is(P11CMP_R_CERT_NOT_FOUND, "object=none"));
    P11CMP_CTX_free(ctx);
    X509_free(cert);
    /* the default PIN source is used when the URI has no PIN */
    ck_assert(P11CMP_PKCS11_set1_pin_source("pass:" P11_FIXTURE_PIN));
    k = P11CMP_PKCS11_load_key(p11_fixture_uri("t-ctx", ";object=kept",
                                               NULL, 0), NULL);
    ck_assert(P11CMP_PKCS11_set1_pin_source(NULL));
    ck_assert_ptr_nonnull(k);
    EVP_PKEY_free(k);
}
END_TEST

/* A context whose client key is object on token, PIN from file pin. */
static P11CMP_CTX *ctx_with_key(const char *token, const char *object,
                                const char *pin)
{
    char path[512], uri[1200], extra[64];
    P11CMP_CTX *ctx = P11CMP_CTX_new(NULL, NULL);
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.%s.pin", p11_fixture_dir(), token,
             pin);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fprintf(f, "%s\n", pin);
    fclose(f);
    snprintf(extra, sizeof(extra), ";object=%s", object);
    snprintf(uri, sizeof(uri), "%s&pin-source=file:%s",
             p11_fixture_uri(token, extra, NULL, 0), path);
    ck_assert_ptr_nonnull(ctx);
    if (!P11CMP_CTX_set1_pkey_uri(ctx, uri)) {
        P11CMP_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Logs tok out, so that its next use must log in again (with its PIN). */
static void log_out(EVP_PKEY *key)
{
    P11CMP_P11_TOKEN *tok = p11cmp_p11_pkey_token(key);
    CK_RV rv;

    ck_assert_int_eq(P11CMP_P11_CALL(tok, rv, C_Logout, tok->session),
                     CKR_OK);
}

/*
 * The PIN source belongs to the key: two contexts with keys on two
 * tokens with different PINs (each URI with its own pin-source) sign side
 * by side, also after both tokens were logged out; the process-wide
 * default source (here a wrong one) is not used for them.
 */
START_TEST(pin_per_token)
{
    P11CMP_P11_TOKEN *tok;
    P11CMP_CTX *c1, *c2;
    EVP_PKEY *k1, *k2, *p1, *p2;
    CK_RV rv;
    int i;

    tok = p11cmp_p11_token_open(URI("t-pin2", ""), NULL, P11CMP_P11_RW);
    ck_assert_ptr_nonnull(tok);
    ck_assert_int_eq(P11CMP_P11_CALL(tok, rv, C_SetPIN, tok->session,
                                     (CK_UTF8CHAR *)P11_FIXTURE_PIN, 4,
                                     (CK_UTF8CHAR *)"24680", 5), CKR_OK);
    p11cmp_p11_token_free(tok);
    k1 = P11CMP_PKCS11_generate_key(URI("t-pin1", ";object=a"), "EC:P-256",
                                    NULL, NULL, 0);
    k2 = P11CMP_PKCS11_generate_key(p11_fixture_uri("t-pin2", ";object=b",
                                                    NULL, 0),
                                    "EC:P-256", NULL, "pass:24680", 0);
    ck_assert_ptr_nonnull(k1);
    ck_assert_ptr_nonnull(k2);
    p1 = public_copy(k1);
    p2 = public_copy(k2);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    ck_assert(P11CMP_PKCS11_set1_pin_source("pass:0000"));
    ck_assert_ptr_nonnull(c1 = ctx_with_key("t-pin1", "a", "1234"));
    ck_assert_ptr_nonnull(c2 = ctx_with_key("t-pin2", "b", "24680"));
    k1 = P11CMP_CTX_get0_newPkey(c1, 1);
    k2 = P11CMP_CTX_get0_newPkey(c2, 1);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(sign_verify(k1, p1, 0), 1);
        ck_assert_int_eq(sign_verify(k2, p2, 0), 1);
        log_out(k1);
        log_out(k2);
    }
    /* the other token's PIN is wrong here, and named as such */
    ck_assert_ptr_null(ctx_with_key("t-pin2", "b", "1234"));
    ck_assert(err_is(P11CMP_R_LOGIN_FAILED, "C_Login: CKR_PIN_INCORRECT"));
    ck_assert_int_eq(sign_verify(k1, p1, 0), 1);
    ck_assert_int_eq(sign_verify(k2, p2, 0), 1);
    ck_assert(P11CMP_PKCS11_set1_pin_source(NULL));
    P11CMP_CTX_free(c1);
    P11CMP_CTX_free(c2);
    EVP_PKEY_free(p1);
    EVP_PKEY_free(p2);
}
END_TEST

/*
 * Keys made by another tool (pkcs11-tool) load by id= and sign; its
 * Ed25519 key names the curve by PrintableString, not by OID.
 */
START_TEST(foreign_keys)
{
    static const char *const types[] = {"rsa:2048", "EC:secp384r1",
                                        "EC:edwards25519"};
    static const char *const ids[] = {"0a", "0b", "0c"};
    EVP_PKEY *key, *pub;
    int i;

    for (i = 0; i < 3; i++) {
        key = tool_key("t-foreign", types[i], ids[i], "other");
        pub = public_copy(key);
        ck_assert_int_eq(sign_verify(key, pub, 0), 1);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(key);
    }
    /* one label on all three: by label alone it is ambiguous */
    ck_assert_ptr_null(P11CMP_PKCS11_load_key(URI("t-foreign",
                                                  ";object=other"), NULL));
    ck_assert(err_is(P11CMP_R_AMBIGUOUS_KEY, "3 private keys match"));
}
END_TEST

/*
 * EVP_PKEY_encrypt of msg with pub, EVP_PKEY_decrypt with key, OAEP if
 * oaep (SHA-1, no label: SoftHSM2 refuses other OAEP parameters with
 * CKR_ARGUMENTS_BAD); 1 if the plaintext comes back.
 */
static int enc_dec(EVP_PKEY *pub, EVP_PKEY *key, int oaep)
{
    static const unsigned char msg[32] = "a 32 byte content-encryption k";
    unsigned char ct[512], pt[512];
    size_t ctlen = sizeof(ct), ptlen = 0;
    EVP_PKEY_CTX *ctx[2];
    int i, ok = 1;

    ctx[0] = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
    ctx[1] = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    for (i = 0; i < 2; i++) {
        ok = ok && ctx[i] != NULL
            && (i == 0 ? EVP_PKEY_encrypt_init(ctx[0])
                : EVP_PKEY_decrypt_init(ctx[1])) == 1;
        if (ok && oaep)
            ok = EVP_PKEY_CTX_set_rsa_padding(ctx[i],
                                              RSA_PKCS1_OAEP_PADDING) > 0
                && EVP_PKEY_CTX_set_rsa_oaep_md(ctx[i], EVP_sha1()) > 0;
    }
    ok = ok && EVP_PKEY_encrypt(ctx[0], ct, &ctlen, msg, sizeof(msg)) == 1
        && EVP_PKEY_decrypt(ctx[1], NULL, &ptlen, ct, ctlen) == 1
        && ptlen <= sizeof(pt)
        && EVP_PKEY_decrypt(ctx[1], pt, &ptlen, ct, ctlen) == 1
        && ptlen == sizeof(msg) && memcmp(pt, msg, ptlen) == 0;
    EVP_PKEY_CTX_free(ctx[0]);
    EVP_PKEY_CTX_free(ctx[1]);
    return ok;
}

/* CMS_encrypt to cert, CMS_decrypt with key; 1 if the content is back */
static int cms_roundtrip(X509 *cert, EVP_PKEY *key)
{
    static const char data[] = "the content";
    STACK_OF(X509) *recips = sk_X509_new_null();
    BIO *in = BIO_new_mem_buf(data, sizeof(data)), *out = BIO_new(BIO_s_mem());
    CMS_ContentInfo *cms = NULL;
    char *p;
    int ok = recips != NULL && sk_X509_push(recips, cert)
        && (cms = CMS_encrypt(recips, in, EVP_aes_256_cbc(), CMS_BINARY))
        != NULL
        && CMS_decrypt(cms, key, cert, NULL, out, CMS_BINARY) == 1
        && BIO_get_mem_data(out, &p) == (long)sizeof(data)
        && memcmp(p, data, sizeof(data)) == 0;

    CMS_ContentInfo_free(cms);
    BIO_free(in);
    BIO_free(out);
    sk_X509_free(recips);
    return ok;
}

/*
 * A token RSA key with CKA_DECRYPT (made by pkcs11-tool) decrypts on the
 * token: PKCS#1 v1.5, OAEP, and CMS key
 * transport (what central key generation's EnvelopedData needs). A key
 * p11cmp generated (CKA_DECRYPT false) is refused by the token.
 */
START_TEST(token_rsa_decrypt)
{
    EVP_PKEY *key, *pub, *ca = EVP_EC_gen("P-256"), *own;

    key = tool_key("t-dec", "rsa:2048", "0d", "dec");
    pub = public_copy(key);
    ck_assert_int_eq(enc_dec(pub, key, 0), 1);
    ck_assert_int_eq(enc_dec(pub, key, 1), 1);
    EVP_PKEY_free(pub);
    ck_assert_int_eq(cms_cert_roundtrip(key, "dec", 77, ca), 1);
    EVP_PKEY_free(key);

    own = P11CMP_PKCS11_generate_key(URI("t-dec", ""), "RSA:2048", "own",
                                     NULL, 0);
    ck_assert_ptr_nonnull(own);
    pub = public_copy(own);
    ck_assert_int_eq(enc_dec(pub, own, 0), 0);
    ck_assert(err_is(P11CMP_R_PKCS11_ERROR, "decrypting"));
    EVP_PKEY_free(pub);
    EVP_PKEY_free(own);
    EVP_PKEY_free(ca);
}
END_TEST

/*
 * Copies of an RSA and an EC token key (EVP_PKEY_dup(), and the one
 * inside a copied PKCS#10 request holding the key) sign on the token and
 * outlive the original; each copy frees only what is its own.
 */
static const char *const copy_algs[] = { "EC:P-256", "RSA:2048" };

START_TEST(token_key_copies)
{
    EVP_PKEY *key, *dup, *pub;
    X509_REQ *req, *copy;
    char obj[32], label[16];

    snprintf(label, sizeof(label), "dup%d", _i);
    snprintf(obj, sizeof(obj), ";object=%s", label);
    key = P11CMP_PKCS11_generate_key(URI("t-dup", obj), copy_algs[_i], NULL,
                                     NULL, 0);
    ck_assert_ptr_nonnull(key);
    pub = public_copy(key);
    ck_assert_ptr_nonnull(dup = EVP_PKEY_dup(key));
    ck_assert(P11CMP_PKCS11_is_token_key(dup));
    ck_assert_ptr_nonnull(req = p11_fixture_csr(key, NULL));
    ck_assert_ptr_nonnull(copy = X509_REQ_dup(req));
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    ck_assert_int_eq(sign_verify(dup, pub, 0), 1);
    ck_assert_int_eq(X509_REQ_verify(copy, pub), 1);
    X509_REQ_free(copy);
    EVP_PKEY_free(dup);
    EVP_PKEY_free(pub);
    ck_assert_int_eq(p11_fixture_count_label("t-dup", label), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pkcs11");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, uri_parse_errors);
    tcase_add_test(tc, uri_module_name);
    tcase_add_test(tc, ckr_names);
    tcase_add_test(tc, pin_sources);
    tcase_add_test(tc, lookup_errors);
    tcase_add_test(tc, token_attrs);
    tcase_add_test(tc, keygen_rsa2048);
    tcase_add_loop_test(tc, keygen_types, 0,
                        (int)(sizeof(keygens) / sizeof(keygens[0])));
    tcase_add_test(tc, keygen_id_from_pubkey);
    tcase_add_loop_test(tc, provider_keys, 0,
                        sizeof(prov_keys) / sizeof(prov_keys[0]));
    tcase_add_test(tc, eddsa_unsupported_curve);
    tcase_add_test(tc, eddsa_always_authenticate);
    tcase_add_test(tc, cert_objects);
    tcase_add_test(tc, txn_rollback);
    tcase_add_test(tc, fork_safety);
    tcase_add_test(tc, ctx_functions);
    tcase_add_test(tc, foreign_keys);
    tcase_add_test(tc, token_rsa_decrypt);
    tcase_add_test(tc, token_ecdh);
    tcase_add_loop_test(tc, import_key, 0, 2);
    tcase_add_test(tc, pin_per_token);
    tcase_add_loop_test(tc, token_key_copies, 0,
                        sizeof(copy_algs) / sizeof(copy_algs[0]));
    suite_add_tcase(s, tc);
    return p11_fixture_main(labels, s);
}
