/*
 * src/app/pass.c - password sources of p11cmp(1), as openssl(1) reads
 * them: "pass:TEXT", "env:VAR", "file:PATH" (first line), "fd:N" (first
 * line), "stdin" (first line); other text is the password itself, with
 * a warning, as in openssl cmp 3.0. They give the PBM secret (-secret), pass
 * phrases of key files and the PINs of tokens (-keypass, -newkeypass,
 * -tls_keypass). Each source is read once per run and cached, so that
 * fd: and stdin can serve several options; values are cleansed at exit
 * and never printed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "app.h"

#define PASS_MAX 1024
#define CACHE_MAX 8

static struct {
    char *source;
    char *value;
} cache[CACHE_MAX];
static int failed;

int app_pass_failed(void)
{
    return failed;
}

/* The first line of what fd gives (without its line end), or NULL. */
static char *read_fd_line(int fd)
{
    char buf[PASS_MAX];
    size_t len = 0;
    ssize_t n;
    char *res = NULL;

    while (len < sizeof(buf) - 1) {
        n = read(fd, buf + len, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || buf[len] == '\n')
            break;
        len++;
    }
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    res = OPENSSL_strdup(buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    return res;
}

static char *read_file_line(const char *path)
{
    char *res;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return NULL;
    res = read_fd_line(fd);
    close(fd);
    return res;
}

/* Reads source (not pass:); prints what failed; NULL on error. */
static char *read_source(const char *source, const char *what)
{
    char *end, *res = NULL;
    const char *val;
    long fd;

    if (strncmp(source, "env:", 4) == 0) {
        if ((val = getenv(source + 4)) != NULL)
            res = OPENSSL_strdup(val);
        else
            fprintf(stderr, "p11cmp: %s: environment variable %s is not "
                    "set\n", what, source + 4);
    } else if (strncmp(source, "file:", 5) == 0) {
        if ((res = read_file_line(source + 5)) == NULL)
            fprintf(stderr, "p11cmp: %s: cannot read %s: %s\n", what,
                    source + 5, strerror(errno));
    } else if (strncmp(source, "fd:", 3) == 0) {
        fd = strtol(source + 3, &end, 10);
        if (source[3] == '\0' || *end != '\0' || fd < 0 || fd > 65535)
            fprintf(stderr, "p11cmp: %s: bad file descriptor in '%.3s...'"
                    "\n", what, source);
        else
            res = read_fd_line((int)fd);
    } else if (strcmp(source, "stdin") == 0) {
        res = read_fd_line(0);
    } else {
        /* as openssl cmp 3.0: text that names no source is the password */
        app_log_cb(NULL, NULL, 0, P11CMP_LOG_WARNING, "password source "
                   "without pass:, env:, file:, fd: or stdin; using the "
                   "text as the password (better precede it with 'pass:')");
        res = OPENSSL_strdup(source);
    }
    return res;
}

char *app_pass_get(const char *source, const char *what)
{
    char *val;
    int i;

    if (source == NULL)
        return NULL;
    if (strncmp(source, "pass:", 5) == 0)
        return OPENSSL_strdup(source + 5);
    for (i = 0; i < CACHE_MAX && cache[i].source != NULL; i++)
        if (strcmp(cache[i].source, source) == 0)
            return OPENSSL_strdup(cache[i].value);
    if ((val = read_source(source, what)) == NULL)
        failed = 1;
    if (val == NULL || i == CACHE_MAX)
        return val;
    cache[i].source = OPENSSL_strdup(source);
    cache[i].value = OPENSSL_strdup(val);
    if (cache[i].source == NULL || cache[i].value == NULL) {
        OPENSSL_free(cache[i].source);
        app_pass_free(cache[i].value);
        cache[i].source = NULL;
        cache[i].value = NULL;
    }
    return val;
}

void app_pass_free(char *pass)
{
    if (pass != NULL)
        OPENSSL_clear_free(pass, strlen(pass));
}

void app_pass_cleanup(void)
{
    int i;

    for (i = 0; i < CACHE_MAX; i++) {
        OPENSSL_free(cache[i].source);
        app_pass_free(cache[i].value);
        cache[i].source = NULL;
        cache[i].value = NULL;
    }
}
