/*
 * src/app/renew.c - the agent part of p11cmp(1): -renew_within DAYS
 * decides whether the certificate of -oldcert (or -cert), in a file or on
 * a token, is due for renewal, before any key is loaded or the server is
 * contacted; -post_hook runs a shell command after a successful change
 * with the new certificate's location in P11CMP_* environment variables.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "app.h"

#define SECS_PER_DAY 86400L

int app_renew_check(struct app *a)
{
    const char *src = OPT_STR(a, O_OLDCERT) != NULL ? OPT_STR(a, O_OLDCERT)
        : OPT_STR(a, O_CERT);
    long days = OPT_NUM(a, O_RENEW_WITHIN);
    time_t limit = time(NULL) + (time_t)days * SECS_PER_DAY;
    X509 *cert;
    int res;

    if (src == NULL) {
        (void)app_usage_error("-renew_within needs -oldcert or -cert");
        return -1;
    }
    if ((cert = app_load_cert(a, src, OPT_STR(a, O_KEYPASS), "the "
                              "certificate to renew")) == NULL) {
        (void)app_errors_exit(a, EXIT_OTHER);
        return -1;
    }
    if (X509_cmp_time(X509_get0_notAfter(cert), &limit) > 0) {
        app_print_cert_line("not due", cert);
        res = 1;
    } else {
        if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
            app_log(a, P11CMP_LOG_WARNING, "the certificate has expired; "
                    "the server may refuse to renew it");
        app_log(a, P11CMP_LOG_INFO, "renewal due: the certificate expires "
                "within %ld days", days);
        res = 0;
    }
    X509_free(cert);
    return res;
}

/* Sets the P11CMP_* variables of the hook in this (child) process. */
static void hook_env(struct app *a, X509 *cert, const char *file,
                     const char *uri)
{
    char *subj = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    const ASN1_TIME *na = X509_get0_notAfter(cert);

    setenv("P11CMP_CMD", OPT_STR(a, O_CMD), 1);
    if (file != NULL)
        setenv("P11CMP_CERT_FILE", file, 1);
    if (uri != NULL)
        setenv("P11CMP_CERT_URI", uri, 1);
    if (subj != NULL)
        setenv("P11CMP_SUBJECT", subj, 1);
    if (hex != NULL)
        setenv("P11CMP_SERIAL", hex, 1);
    setenv("P11CMP_NOT_AFTER", (const char *)ASN1_STRING_get0_data(na), 1);
    OPENSSL_free(hex);
    BN_free(bn);
    OPENSSL_free(subj);
}

int app_post_hook(struct app *a, X509 *cert, const char *cert_file,
                  const char *cert_uri)
{
    const char *cmd = OPT_STR(a, O_POST_HOOK);
    pid_t pid;
    int status;

    if (cmd == NULL)
        return EXIT_OK;
    app_log(a, P11CMP_LOG_INFO, "running the post hook");
    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0) {
        fprintf(stderr, "p11cmp: cannot run -post_hook\n");
        return EXIT_OTHER;
    }
    if (pid == 0) {
        hook_env(a, cert, cert_file, cert_uri);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "p11cmp: -post_hook: lost the process\n");
            return EXIT_OTHER;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return EXIT_OK;
    fprintf(stderr, "p11cmp: -post_hook failed (%s %d)\n",
            WIFEXITED(status) ? "exit status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return EXIT_OTHER;
}
