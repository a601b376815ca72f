/*
 * src/app/ckg.c - p11cmp(1)'s central key generation, as openssl cmp 3.5
 * has it: -centralkeygen (also implied by -popo -1) asks the CA for the
 * key, -newkeyout says where it goes: a PEM file (PKCS#8, mode 0600,
 * encrypted with AES-256-CBC under -newkeypass if that is given). Beyond
 * openssl cmp: with -newkey pkcs11:... the key goes onto that token
 * (object= its label, id= its CKA_ID) and never onto disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "app.h"

static int is_enroll(const struct app *a)
{
    return a->cmd == CMD_IR || a->cmd == CMD_CR || a->cmd == CMD_KUR;
}

int app_ckg_wanted(const struct app *a)
{
    return is_enroll(a)
        && (OPT_NUM(a, O_CENTRALKEYGEN) || OPT_NUM(a, O_POPO) == -1);
}

/* 1 if the centrally generated key goes to the token of -newkey */
static int to_token(const struct app *a)
{
    return app_ckg_wanted(a) && app_is_uri(OPT_STR(a, O_NEWKEY));
}

int app_check_ckg(struct app *a)
{
    if (!is_enroll(a)) {
        if (OPT_NUM(a, O_CENTRALKEYGEN) || OPT_STR(a, O_NEWKEYOUT) != NULL)
            app_log(a, P11CMP_LOG_WARNING, "-centralkeygen and -newkeyout "
                    "are ignored for commands other than ir, cr and kur");
        return EXIT_OK;
    }
    if (!app_ckg_wanted(a)) {
        if (OPT_STR(a, O_NEWKEYOUT) != NULL)
            app_log(a, P11CMP_LOG_WARNING, "-newkeyout is ignored without "
                    "-centralkeygen");
        return EXIT_OK;
    }
    if (OPT_NUM(a, O_POPO) > -1 && OPT_SET(a, O_POPO))
        return app_usage_error("-popo %ld is inconsistent with "
                               "-centralkeygen", OPT_NUM(a, O_POPO));
    if (!OPT_NUM(a, O_CENTRALKEYGEN))
        app_log(a, P11CMP_LOG_INFO, "POPO is disabled, which implies "
                "-centralkeygen");
    if (to_token(a) && OPT_STR(a, O_NEWKEYOUT) != NULL)
        return app_usage_error("-newkeyout cannot be combined with "
                               "-newkey pkcs11:... (the key goes onto the "
                               "token only)");
    if (to_token(a) && OPT_NUM(a, O_NO_STORE))
        return app_usage_error("-no_store cannot be combined with "
                               "-centralkeygen -newkey pkcs11:...");
    if (!to_token(a) && OPT_STR(a, O_NEWKEYOUT) == NULL)
        return app_usage_error("-newkeyout not given, nowhere to save the "
                               "centrally generated key (or -newkey "
                               "pkcs11:...)");
    if (OPT_STR(a, O_NEWKEYGEN) != NULL)
        return app_usage_error("-newkeygen cannot be combined with "
                               "-centralkeygen");
    a->v[O_POPO].num = P11CMP_POPO_NONE;
    return EXIT_OK;
}

int app_ckg_token_setup(struct app *a)
{
    char *uri, *pin = NULL;
    int ok;

    if (!to_token(a))
        return EXIT_OK;
    if ((uri = app_uri_with_module(a, OPT_STR(a, O_NEWKEY))) == NULL)
        return EXIT_OTHER;
    if (OPT_STR(a, O_NEWKEYPASS) != NULL
        && (pin = app_pin_arg(OPT_STR(a, O_NEWKEYPASS), "-newkeypass"))
        == NULL) {
        OPENSSL_free(uri);
        return EXIT_USAGE;
    }
    ok = P11CMP_PKCS11_set1_pin_source(pin)
        && P11CMP_CTX_set1_centralKey_uri(a->ctx, uri);
    (void)P11CMP_PKCS11_set1_pin_source(NULL);
    app_pass_free(pin);
    OPENSSL_free(uri);
    if (!ok)
        return app_errors_exit(a, EXIT_TOKEN);
    app_log(a, P11CMP_LOG_INFO, "the centrally generated key goes onto the "
            "token of -newkey");
    return EXIT_OK;
}

/* An open BIO on file, created or truncated with mode 0600, or NULL */
static BIO *open_private(const char *file)
{
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f;

    if (fd < 0)
        return NULL;
    if (fchmod(fd, 0600) != 0 || (f = fdopen(fd, "wb")) == NULL) {
        close(fd);
        return NULL;
    }
    return BIO_new_fp(f, BIO_CLOSE);
}

int app_save_newkey(struct app *a)
{
    EVP_PKEY *pk = P11CMP_CTX_get0_newPkey(a->ctx, 1);
    const char *file = OPT_STR(a, O_NEWKEYOUT);
    const EVP_CIPHER *enc = NULL;
    char *pass = NULL;
    BIO *b;
    int ok;

    if (!app_ckg_wanted(a) || file == NULL)
        return 1;
    if (pk == NULL) {
        fprintf(stderr, "p11cmp: no centrally generated key to save\n");
        return 0;
    }
    if (OPT_STR(a, O_NEWKEYPASS) != NULL) {
        if ((pass = app_pass_get(OPT_STR(a, O_NEWKEYPASS), "-newkeypass"))
            == NULL)
            return 0;
        enc = EVP_aes_256_cbc();
    }
    app_log(a, P11CMP_LOG_INFO, "saving the centrally generated key to %s",
            file);
    if ((b = open_private(file)) == NULL) {
        fprintf(stderr, "p11cmp: cannot write %s: %s\n", file,
                strerror(errno));
        app_pass_free(pass);
        return 0;
    }
    ok = PEM_write_bio_PrivateKey(b, pk, enc, NULL, 0, NULL, pass);
    ok = BIO_free(b) && ok;
    app_pass_free(pass);
    if (!ok)
        fprintf(stderr, "p11cmp: cannot write %s\n", file);
    return ok;
}
