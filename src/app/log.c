/*
 * src/app/log.c - diagnostics of p11cmp(1) on stderr: the library's log
 * callback and the program's own progress lines, both filtered by
 * -verbosity (6 = progress, 7 = debug, 8 = trace). Results go to stdout
 * elsewhere; secrets are never passed to these functions.
 */
#include "config.h"

#include <stdarg.h>

#include "app.h"

static const struct app *log_app;

void app_set_log_app(struct app *a)
{
    log_app = a;
}

static const char *level_name(int level)
{
    static const char *const names[] = {
        "EMERG", "ALERT", "CRIT", "error", "warning", "notice", "info",
        "debug", "trace"
    };

    return level >= 0 && level <= P11CMP_LOG_MAX ? names[level] : "log";
}

static int verbosity(void)
{
    return log_app != NULL ? log_app->verbosity : 5;
}

int app_log_cb(const char *func, const char *file, int line,
               P11CMP_severity level, const char *msg)
{
    if (level > verbosity()
        || (log_app != NULL && log_app->reqout_only_done
            && level <= P11CMP_LOG_WARNING))
        return 1; /* after -reqout_only: the missing answer is no error */
    if (verbosity() >= P11CMP_LOG_DEBUG && func != NULL)
        fprintf(stderr, "p11cmp: %s: %s (%s:%d): %s\n", level_name(level),
                func, file != NULL ? file : "?", line, msg);
    else
        fprintf(stderr, "p11cmp: %s: %s\n", level_name(level), msg);
    return 1;
}

void app_log(struct app *a, int level, const char *fmt, ...)
{
    va_list ap;

    if (level > a->verbosity)
        return;
    fprintf(stderr, "p11cmp: %s: ", level_name(level));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
