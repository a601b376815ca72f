/*
 * tests/port/ossl_client.c - a CMP client written against OpenSSL 3.0's
 * OSSL_CMP API only. The build compiles it as is against libcrypto and,
 * after the mechanical rename of the OSSL_CMP_ prefix and of the header
 * (the sed in tests/Makemodule.am), against p11cmp;
 * tests/client_port.sh runs both against the test CA and compares.
 *
 * usage: ossl_client CMD PORT [options]
 *   CMD ir|cr|kur|rr|genm; options: -ref R -secret S (PBM), -cert F
 *   -key F -trusted F (signature), -newkey F, -subject CN, -oldcert F,
 *   -certout F, -out_trusted F (store for the default certConf callback),
 *   -popo N (POPO method; -1 asks for central key generation, which
 *   OpenSSL 3.5 implements), -newkeyout F (the certified key after the
 *   enrollment: the centrally generated one, PEM).
 *   Prints "status N", "failinfo N", "capubs N", "itavs N", "chain N
 *   SUBJECT..." (newChain); exit status 0 on success, 1 on a failed
 *   transaction, 2 on errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/pem.h>

static const char *arg(int argc, char **argv, const char *name)
{
    int i;

    for (i = 3; i + 1 < argc; i += 2)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static X509 *read_cert(const char *file)
{
    FILE *f = fopen(file, "r");
    X509 *x = f == NULL ? NULL : PEM_read_X509(f, NULL, NULL, NULL);

    if (f != NULL)
        fclose(f);
    return x;
}

static EVP_PKEY *read_key(const char *file)
{
    FILE *f = fopen(file, "r");
    EVP_PKEY *k = f == NULL ? NULL : PEM_read_PrivateKey(f, NULL, NULL,
                                                          NULL);

    if (f != NULL)
        fclose(f);
    return k;
}

/* sets up the protection: PBM with -ref/-secret, else -cert/-key */
static int set_credentials(OSSL_CMP_CTX *ctx, int argc, char **argv)
{
    const char *ref = arg(argc, argv, "-ref");
    const char *sec = arg(argc, argv, "-secret");
    const char *cert = arg(argc, argv, "-cert");
    const char *trusted = arg(argc, argv, "-trusted");
    X509 *x;
    EVP_PKEY *k;
    X509_STORE *st;
    int ok;

    if (sec != NULL)
        return OSSL_CMP_CTX_set1_referenceValue(ctx,
                                                (const unsigned char *)ref,
                                                (int)strlen(ref))
            && OSSL_CMP_CTX_set1_secretValue(ctx,
                                             (const unsigned char *)sec,
                                             (int)strlen(sec));
    if (cert == NULL || trusted == NULL)
        return 0;
    x = read_cert(cert);
    k = read_key(arg(argc, argv, "-key"));
    st = X509_STORE_new();
    ok = x != NULL && k != NULL && st != NULL
        && X509_STORE_load_file(st, trusted)
        && OSSL_CMP_CTX_set1_cert(ctx, x) && OSSL_CMP_CTX_set1_pkey(ctx, k)
        && OSSL_CMP_CTX_set0_trustedStore(ctx, st);
    if (!ok)
        X509_STORE_free(st);
    X509_free(x);
    EVP_PKEY_free(k);
    return ok;
}

/* the certificate template: -newkey, -subject, -oldcert */
static int set_template(OSSL_CMP_CTX *ctx, int argc, char **argv)
{
    const char *newkey = arg(argc, argv, "-newkey");
    const char *subject = arg(argc, argv, "-subject");
    const char *oldcert = arg(argc, argv, "-oldcert");
    const char *popo = arg(argc, argv, "-popo");
    EVP_PKEY *k;
    X509_NAME *n;
    X509 *x;
    int ok = 1;

    if (popo != NULL
        && !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_POPO_METHOD,
                                    atoi(popo)))
        return 0;
    if (newkey != NULL) {
        if ((k = read_key(newkey)) == NULL
            || !OSSL_CMP_CTX_set0_newPkey(ctx, 1, k))
            return 0;
    }
    if (subject != NULL) {
        n = X509_NAME_new();
        ok = n != NULL
            && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                          (const unsigned char *)subject,
                                          -1, -1, 0)
            && OSSL_CMP_CTX_set1_subjectName(ctx, n);
        X509_NAME_free(n);
    }
    if (ok && oldcert != NULL) {
        x = read_cert(oldcert);
        ok = x != NULL && OSSL_CMP_CTX_set1_oldCert(ctx, x);
        X509_free(x);
    }
    return ok;
}

/* -out_trusted: the store of the default certConf callback (NULL cb) */
static X509_STORE *set_out_trusted(OSSL_CMP_CTX *ctx, const char *file,
                                   int *ok)
{
    X509_STORE *st;

    if (file == NULL)
        return NULL;
    st = X509_STORE_new();
    *ok = st != NULL && X509_STORE_load_file(st, file)
        && OSSL_CMP_CTX_set_certConf_cb_arg(ctx, st);
    return st;
}

/* newChain: its length and the subjects, issuer of the new cert first */
static void print_chain(OSSL_CMP_CTX *ctx)
{
    STACK_OF(X509) *chain = OSSL_CMP_CTX_get1_newChain(ctx);
    char name[256];
    int i;

    printf("chain %d", chain == NULL ? 0 : sk_X509_num(chain));
    for (i = 0; i < sk_X509_num(chain); i++) {
        X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain, i)),
                          name, sizeof(name));
        printf(" %s", name);
    }
    printf("\n");
    sk_X509_pop_free(chain, X509_free);
}

/* -newkeyout: the key the enrollment certified, as PEM; 1 or 0 */
static int save_newkey(OSSL_CMP_CTX *ctx, const char *file)
{
    EVP_PKEY *k = OSSL_CMP_CTX_get0_newPkey(ctx, 1);
    FILE *f;
    int ok;

    if (file == NULL)
        return 1;
    if (k == NULL || (f = fopen(file, "w")) == NULL)
        return 0;
    ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    return fclose(f) == 0 && ok;
}

static int enroll(OSSL_CMP_CTX *ctx, const char *cmd, const char *certout)
{
    X509 *cert = NULL;
    STACK_OF(X509) *caPubs;
    FILE *f;

    if (strcmp(cmd, "ir") == 0)
        cert = OSSL_CMP_exec_IR_ses(ctx);
    else if (strcmp(cmd, "cr") == 0)
        cert = OSSL_CMP_exec_CR_ses(ctx);
    else
        cert = OSSL_CMP_exec_KUR_ses(ctx);
    caPubs = OSSL_CMP_CTX_get1_caPubs(ctx);
    printf("capubs %d\n", caPubs == NULL ? 0 : sk_X509_num(caPubs));
    sk_X509_pop_free(caPubs, X509_free);
    print_chain(ctx);
    if (cert == NULL || cert != OSSL_CMP_CTX_get0_newCert(ctx))
        return 0;
    if (certout != NULL) {
        if ((f = fopen(certout, "w")) == NULL)
            return 0;
        PEM_write_X509(f, cert);
        fclose(f);
    }
    return 1;
}

static int genm(OSSL_CMP_CTX *ctx)
{
    ASN1_OBJECT *type = OBJ_txt2obj("1.3.6.1.5.5.7.4.17", 1);
    OSSL_CMP_ITAV *itav = OSSL_CMP_ITAV_create(type, NULL);
    STACK_OF(OSSL_CMP_ITAV) *itavs;

    if (itav == NULL || !OSSL_CMP_CTX_push0_genm_ITAV(ctx, itav))
        return 0;
    if ((itavs = OSSL_CMP_exec_GENM_ses(ctx)) == NULL)
        return 0;
    printf("itavs %d\n", sk_OSSL_CMP_ITAV_num(itavs));
    sk_OSSL_CMP_ITAV_pop_free(itavs, OSSL_CMP_ITAV_free);
    return 1;
}

int main(int argc, char **argv)
{
    OSSL_CMP_CTX *ctx;
    X509_STORE *out_trusted;
    const char *cmd = argc > 2 ? argv[1] : "";
    int ok = 1;

    if (argc < 3 || (ctx = OSSL_CMP_CTX_new(NULL, NULL)) == NULL)
        return 2;
    if (!OSSL_CMP_CTX_set1_server(ctx, "127.0.0.1")
        || !OSSL_CMP_CTX_set_serverPort(ctx, atoi(argv[2]))
        || !OSSL_CMP_CTX_set1_serverPath(ctx, "pkix/")
        || !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, 30)
        || !set_credentials(ctx, argc, argv)
        || !set_template(ctx, argc, argv)) {
        OSSL_CMP_CTX_free(ctx);
        return 2;
    }
    out_trusted = set_out_trusted(ctx, arg(argc, argv, "-out_trusted"),
                                  &ok);
    if (!ok) {
        X509_STORE_free(out_trusted);
        OSSL_CMP_CTX_free(ctx);
        return 2;
    }
    if (strcmp(cmd, "rr") == 0)
        ok = OSSL_CMP_exec_RR_ses(ctx) == 1;
    else if (strcmp(cmd, "genm") == 0)
        ok = genm(ctx);
    else
        ok = enroll(ctx, cmd, arg(argc, argv, "-certout"))
            && save_newkey(ctx, arg(argc, argv, "-newkeyout"));
    printf("status %d\n", OSSL_CMP_CTX_get_status(ctx));
    printf("failinfo %d\n", OSSL_CMP_CTX_get_failInfoCode(ctx));
    if (!ok)
        OSSL_CMP_CTX_print_errors(ctx);
    OSSL_CMP_CTX_free(ctx);
    X509_STORE_free(out_trusted);
    return ok ? 0 : 1;
}
