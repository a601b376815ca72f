/*
 * pkcs11/p11_pin.c - where a token PIN comes from: an explicit source
 * ("pass:", "env:", "file:", "fd:", "stdin", "|command"), the URI's
 * pin-value or pin-source, a process-wide default source, the
 * P11CMP_PIN environment variable, or a prompt on the terminal when one
 * is attached and batch mode is off.
 * PINs are cleansed when freed and never appear in error data.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ui.h>

#include "p11_local.h"

#define PIN_MAX 256

static int batch_mode;
static char *default_source;

int p11cmp_p11_set_default_pin_source(const char *source)
{
    char *copy = NULL;

    if (source != NULL && (copy = OPENSSL_strdup(source)) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    p11cmp_p11_pin_free(default_source);
    default_source = copy;
    return 1;
}

void p11cmp_p11_set_batch(int batch)
{
    batch_mode = batch != 0;
}

void p11cmp_p11_pin_free(char *pin)
{
    if (pin != NULL)
        OPENSSL_clear_free(pin, strlen(pin));
}

/*
 * The string in buf up to its first line end as a new string, or NULL;
 * wipes buf (size bytes) either way.
 */
static char *take_line(char *buf, size_t size)
{
    char *res;

    buf[strcspn(buf, "\r\n")] = '\0';
    res = OPENSSL_strdup(buf);
    OPENSSL_cleanse(buf, size);
    return res;
}

/* First line of f, without its line end; new string or NULL. */
static char *read_line(FILE *f)
{
    char buf[PIN_MAX];

    if (f != NULL && fgets(buf, sizeof(buf), f) != NULL)
        return take_line(buf, sizeof(buf));
    OPENSSL_cleanse(buf, sizeof(buf));
    return NULL;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *res = read_line(f);

    if (f != NULL)
        fclose(f);
    return res;
}

static char *read_fd(const char *num)
{
    char *end;
    long fd = strtol(num, &end, 10);
    char buf[PIN_MAX];
    ssize_t n;

    if (*num == '\0' || *end != '\0' || fd < 0)
        return NULL;
    n = read((int)fd, buf, sizeof(buf) - 1);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return take_line(buf, sizeof(buf));
}

static char *read_command(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char *res = read_line(p);

    if (p != NULL && pclose(p) != 0) {
        p11cmp_p11_pin_free(res);
        res = NULL;
    }
    return res;
}

static const char *source_kind(const char *source)
{
    if (strncmp(source, "env:", 4) == 0)
        return "env";
    if (strncmp(source, "fd:", 3) == 0)
        return "fd";
    if (source[0] == '|')
        return "command";
    if (strcmp(source, "stdin") == 0)
        return "stdin";
    return "file";
}

char *p11cmp_p11_pin_read(const char *source)
{
    char *pin = NULL;
    const char *env;

    if (source == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    if (strncmp(source, "pass:", 5) == 0)
        pin = OPENSSL_strdup(source + 5);
    else if (strncmp(source, "env:", 4) == 0)
        pin = (env = getenv(source + 4)) != NULL ? OPENSSL_strdup(env)
                                                 : NULL;
    else if (strncmp(source, "file:", 5) == 0)
        pin = read_file(source + 5);
    else if (strncmp(source, "fd:", 3) == 0)
        pin = read_fd(source + 3);
    else if (strcmp(source, "stdin") == 0)
        pin = read_line(stdin);
    else if (source[0] == '|')
        pin = read_command(source + 1);
    else
        pin = read_file(source);
    if (pin == NULL) {
        /* name the kind of source, not its content (pass: is a secret) */
        p11cmp_raise_data(P11CMP_R_PIN_UNAVAILABLE, "%s source%s%s",
                          source_kind(source),
                          strncmp(source, "pass:", 5) == 0 ? "" : " ",
                          strncmp(source, "pass:", 5) == 0 ? "" : source);
    }
    return pin;
}

static char *prompt(const char *token_label)
{
    char buf[PIN_MAX];
    char *res = NULL;
    char *msg = NULL;
    size_t len = strlen(token_label) + 32;

    if ((msg = OPENSSL_malloc(len)) == NULL)
        return NULL;
    snprintf(msg, len, "PIN for token %s: ", token_label);
    if (UI_UTIL_read_pw_string(buf, sizeof(buf), msg, 0) == 0)
        res = OPENSSL_strdup(buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    OPENSSL_free(msg);
    return res;
}

int p11cmp_p11_pin_available(const P11CMP_P11_URI *uri,
                             const char *pin_source)
{
    return pin_source != NULL
        || (uri != NULL && (p11cmp_p11_uri_pin_value(uri) != NULL
                            || p11cmp_p11_uri_pin_source(uri) != NULL))
        || default_source != NULL || getenv(P11CMP_P11_PIN_ENV) != NULL;
}

int p11cmp_p11_pin_would_prompt(const P11CMP_P11_URI *uri,
                                const char *pin_source)
{
    return !p11cmp_p11_pin_available(uri, pin_source) && !batch_mode
        && isatty(0);
}

char *p11cmp_p11_pin_get(const P11CMP_P11_URI *uri, const char *pin_source,
                         const char *token_label)
{
    const char *s;

    if (pin_source != NULL)
        return p11cmp_p11_pin_read(pin_source);
    if (uri != NULL && (s = p11cmp_p11_uri_pin_value(uri)) != NULL)
        return OPENSSL_strdup(s);
    if (uri != NULL && (s = p11cmp_p11_uri_pin_source(uri)) != NULL)
        return p11cmp_p11_pin_read(s);
    if (default_source != NULL)
        return p11cmp_p11_pin_read(default_source);
    if ((s = getenv(P11CMP_P11_PIN_ENV)) != NULL)
        return OPENSSL_strdup(s);
    if (!batch_mode && isatty(0))
        return prompt(token_label != NULL ? token_label : "?");
    p11cmp_raise_data(P11CMP_R_PIN_UNAVAILABLE,
                      "no pin-value, pin-source, $%s or terminal; uri=%s",
                      P11CMP_P11_PIN_ENV, p11cmp_p11_uri_text(uri));
    return NULL;
}
