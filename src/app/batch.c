/*
 * src/app/batch.c - the RA batch mode of p11cmp(1) (-batch_in): P10CR
 * for every PKCS#10 request (NAME.csr) of a directory or list file, or
 * CR with POPO raVerified for every entry NAME.pub (a line "subject=DN"
 * and a PEM public key), by -workers
 * threads, each with its own P11CMP_CTX, token session and kept-alive
 * connection, all signing with the one RA key (-key). Each certificate
 * is written next to its request (or into -batch_out), atomically; a
 * request whose certificate exists is skipped (reruns continue); a
 * failure leaves the errors in NAME.err. A progress line on a terminal,
 * a summary on stdout, and the exit code of the first failed request.
 * SIGINT/SIGTERM/SIGHUP stop the batch: the transactions under way are
 * rolled back, finished certificates stay.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "app.h"

#define MAX_JOBS 1000000

enum job_state { JOB_TODO, JOB_SKIPPED, JOB_DONE, JOB_FAILED };

struct job {
    char *req, *out, *err;   /* paths; owned */
    enum job_state state;
    int rc;                  /* EXIT_* of a failed request */
};

struct batch {
    struct job *jobs;
    int n, cap, next, done, skipped, failed, running;
    pthread_mutex_t lock;
    double t_end;            /* when the last worker ended (now_s()) */
};

struct worker {
    struct app a;            /* a copy of the options, own ctx */
    struct batch *b;
    pthread_t tid;
};

static char *path_join(const char *dir, size_t dirlen, const char *name,
                       size_t namelen, const char *ext)
{
    size_t len = dirlen + 1 + namelen + strlen(ext) + 1;
    char *p = OPENSSL_malloc(len);

    if (p != NULL)
        (void)snprintf(p, len, "%.*s%s%.*s%s", (int)dirlen, dir,
                       dirlen > 0 ? "/" : "", (int)namelen, name, ext);
    return p;
}

/* Adds the request at path (dir/name) with its output paths; 1 or 0. */
static int add_job(struct batch *b, const char *req, const char *outdir)
{
    const char *base = strrchr(req, '/'), *dot;
    size_t dirlen, stem;
    struct job *j;

    base = base != NULL ? base + 1 : req;
    dirlen = base > req ? (size_t)(base - req - 1) : 0;
    dot = strrchr(base, '.');
    stem = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    if (b->n == b->cap) {
        int cap = b->cap == 0 ? 64 : b->cap * 2;
        struct job *nj = cap > MAX_JOBS ? NULL
            : OPENSSL_realloc(b->jobs, (size_t)cap * sizeof(*nj));

        if (nj == NULL)
            return 0;
        b->jobs = nj;
        b->cap = cap;
    }
    j = &b->jobs[b->n];
    memset(j, 0, sizeof(*j));
    j->req = OPENSSL_strdup(req);
    if (outdir != NULL) {
        j->out = path_join(outdir, strlen(outdir), base, stem, ".crt");
        j->err = path_join(outdir, strlen(outdir), base, stem, ".err");
    } else {
        j->out = path_join(req, dirlen, base, stem, ".crt");
        j->err = path_join(req, dirlen, base, stem, ".err");
    }
    b->n++;
    return j->req != NULL && j->out != NULL && j->err != NULL;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const struct job *)x)->req, ((const struct job *)y)->req);
}

/* The files of dir whose names end in ext, sorted; 1 or 0. */
static int jobs_from_dir(struct batch *b, const char *dir, const char *ext,
                         const char *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t len;
    char *p;
    int ok = d != NULL;

    while (ok && (e = readdir(d)) != NULL) {
        len = strlen(e->d_name);
        if (len <= strlen(ext)
            || strcmp(e->d_name + len - strlen(ext), ext) != 0)
            continue;
        p = path_join(dir, strlen(dir), e->d_name, len, "");
        ok = p != NULL && add_job(b, p, out);
        OPENSSL_free(p);
    }
    if (d != NULL)
        closedir(d);
    if (ok)
        qsort(b->jobs, (size_t)b->n, sizeof(*b->jobs), by_name);
    return ok;
}

/* One request path a line (relative to the list's directory); # comments */
static int jobs_from_list(struct batch *b, const char *list, const char *out)
{
    FILE *f = fopen(list, "r");
    const char *slash = strrchr(list, '/');
    size_t dirlen = slash != NULL ? (size_t)(slash - list) : 0;
    char line[4096], *p, *path;
    int ok = f != NULL;

    while (ok && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        for (p = line; *p == ' ' || *p == '\t'; p++)
            ;
        if (*p == '\0' || *p == '#')
            continue;
        path = *p == '/' || dirlen == 0 ? OPENSSL_strdup(p)
            : path_join(list, dirlen, p, strlen(p), "");
        ok = path != NULL && add_job(b, path, out);
        OPENSSL_free(path);
    }
    if (f != NULL)
        fclose(f);
    return ok;
}

static void jobs_free(struct batch *b)
{
    int i;

    for (i = 0; i < b->n; i++) {
        OPENSSL_free(b->jobs[i].req);
        OPENSSL_free(b->jobs[i].out);
        OPENSSL_free(b->jobs[i].err);
    }
    OPENSSL_free(b->jobs);
}

/*
 * A CR entry: the line "subject=DN" (as -subject), then a PEM public
 * key. 1 with *name and *pub set, or 0.
 */
static int read_entry(const char *file, X509_NAME **name, EVP_PKEY **pub)
{
    BIO *bio = BIO_new_file(file, "r");
    char line[1024];
    int ok = 0;

    *name = NULL;
    *pub = NULL;
    ERR_set_mark();
    if (bio != NULL && BIO_gets(bio, line, sizeof(line)) > 0
        && strncmp(line, "subject=", 8) == 0) {
        line[strcspn(line, "\r\n")] = '\0';
        *name = app_parse_name(line + 8, "subject= of a batch entry");
        *pub = *name != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)
            : NULL;
        ok = *pub != NULL;
    }
    ERR_pop_to_mark();
    BIO_free(bio);
    if (!ok) {
        X509_NAME_free(*name);
        *name = NULL;
    }
    return ok;
}

/* Sets ctx up for the request of j; 1, or 0 with *why set. */
static int set_request(struct worker *w, struct job *j, const char **why)
{
    X509_REQ *csr;
    X509_NAME *name;
    EVP_PKEY *pub;
    int ok;

    if (w->a.cmd == CMD_CR) {
        *why = "cannot read the entry (subject=DN, then a PEM public key)";
        if (!read_entry(j->req, &name, &pub))
            return 0;
        *why = NULL;
        ok = P11CMP_CTX_set1_subjectName(w->a.ctx, name)
            && P11CMP_CTX_set0_newPkey(w->a.ctx, 0, pub);
        if (!ok)
            EVP_PKEY_free(pub);
        X509_NAME_free(name);
        return ok;
    }
    *why = "cannot read the CSR (PEM or DER)";
    if ((csr = app_read_csr(j->req)) == NULL)
        return 0;
    *why = NULL;
    ok = P11CMP_CTX_set1_p10CSR(w->a.ctx, csr);
    X509_REQ_free(csr);
    return ok;
}

/* Writes cert to j->out through a temporary file and rename(); 1 or 0. */
static int write_cert(struct worker *w, struct job *j, X509 *cert)
{
    size_t len = strlen(j->out) + 32;
    char *tmp = OPENSSL_malloc(len);
    const char *form = OPT_STR(&w->a, O_CERTFORM);
    BIO *bio = NULL;
    int ok = 0;

    if (tmp == NULL)
        return 0;
    (void)snprintf(tmp, len, "%s.tmp%ld", j->out, (long)getpid());
    if ((bio = BIO_new_file(tmp, "wb")) != NULL)
        ok = form != NULL && OPENSSL_strcasecmp(form, "DER") == 0
            ? i2d_X509_bio(bio, cert) : PEM_write_bio_X509(bio, cert);
    if (bio != NULL && BIO_flush(bio) <= 0)
        ok = 0;
    BIO_free(bio);
    if (ok)
        ok = rename(tmp, j->out) == 0;
    if (!ok)
        (void)unlink(tmp);
    OPENSSL_free(tmp);
    return ok;
}

/* The error log of a failed request: the ERR stack and the status. */
static int failed(struct worker *w, struct job *j, const char *why)
{
    FILE *f = fopen(j->err, "w");
    int rc;

    if (f != NULL && why != NULL)
        fprintf(f, "p11cmp: error: %s: %s\n", j->req, why);
    rc = app_exit_code_to(&w->a, f != NULL ? f : stderr);
    if (why != NULL && rc == EXIT_OK)
        rc = EXIT_OTHER;
    if (f != NULL)
        fclose(f);
    return rc;
}

/* One P10CR or CR; the job's state and rc are set. */
static void enroll(struct worker *w, struct job *j)
{
    int type = w->a.cmd == CMD_CR ? P11CMP_CR : P11CMP_P10CR;
    const char *why = NULL;
    X509 *cert = NULL;

    ERR_clear_error();
    if (!set_request(w, j, &why)) {
        j->rc = failed(w, j, why);
    } else if ((cert = P11CMP_exec_certreq(w->a.ctx, type, NULL)) == NULL) {
        if (P11CMP_interrupted()) {
            ERR_clear_error();
            return;         /* not done: the next run does it */
        }
        j->rc = failed(w, j, NULL);
    } else if (!write_cert(w, j, cert)) {
        j->rc = failed(w, j, "cannot write the certificate");
    } else {
        (void)unlink(j->err);
        j->rc = EXIT_OK;
    }
    j->state = j->rc == EXIT_OK ? JOB_DONE : JOB_FAILED;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct batch *b = w->b;
    struct job *j;

    for (;;) {
        pthread_mutex_lock(&b->lock);
        while (b->next < b->n && b->jobs[b->next].state == JOB_SKIPPED)
            b->next++;
        j = b->next < b->n && !P11CMP_interrupted() ? &b->jobs[b->next++]
            : NULL;
        pthread_mutex_unlock(&b->lock);
        if (j == NULL)
            break;
        enroll(w, j);
        pthread_mutex_lock(&b->lock);
        b->done += j->state == JOB_DONE;
        b->failed += j->state == JOB_FAILED;
        pthread_mutex_unlock(&b->lock);
    }
    ERR_clear_error();
    pthread_mutex_lock(&b->lock);
    if (--b->running == 0)
        b->t_end = now_s();
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

/* A worker's own copy of the options and its own context; EXIT_*. */
static int worker_setup(struct worker *w, const struct app *base)
{
    w->a = *base;
    if (base->cmd == CMD_CR && !OPT_SET(base, O_POPO))
        w->a.v[O_POPO].num = P11CMP_POPO_RAVERIFIED;
    w->a.ctx = NULL;
    w->a.out_trusted = NULL;
    w->a.stored_uri = NULL;
    w->a.refcert = NULL;
    w->a.ssl_ctx = NULL;
    w->a.tls_host = NULL;
    memset(&w->a.reqin, 0, sizeof(w->a.reqin));
    memset(&w->a.reqout, 0, sizeof(w->a.reqout));
    memset(&w->a.rspin, 0, sizeof(w->a.rspin));
    memset(&w->a.rspout, 0, sizeof(w->a.rspout));
    if ((w->a.ctx = P11CMP_CTX_new(NULL, NULL)) == NULL
        || !P11CMP_CTX_set_log_cb(w->a.ctx, app_log_cb)
        || !P11CMP_CTX_set_log_verbosity(w->a.ctx,
                                         OPT_SET(base, O_VERBOSITY)
                                         ? base->verbosity : P11CMP_LOG_CRIT))
        return app_errors_exit(&w->a, EXIT_OTHER);
    return app_setup(&w->a);
}

static void worker_free(struct worker *w)
{
    P11CMP_CTX_free(w->a.ctx);
    app_tls_free(&w->a);
    X509_STORE_free(w->a.out_trusted);
    X509_free(w->a.refcert);
    OPENSSL_free(w->a.stored_uri);
}

/*
 * With a terminal, shows a progress line every 200 ms until the workers
 * have ended; without one, returns at once (the caller joins them).
 */
static void wait_workers(struct batch *b, double t0, int todo)
{
    struct timespec tick = { 0, 200000000 };
    int running, done, failed;

    if (!isatty(STDERR_FILENO))
        return;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        running = b->running;
        done = b->done;
        failed = b->failed;
        pthread_mutex_unlock(&b->lock);
        fprintf(stderr, "\rbatch: %d/%d done, %.1f certs/s, %d failed ",
                done + failed, todo, done / (now_s() - t0 + 1e-9), failed);
        if (running == 0)
            break;
        (void)nanosleep(&tick, NULL);
    }
    fputc('\n', stderr);
}

/* Starts the workers with the signals blocked (the main thread takes
 * them); the number started. */
static int start_workers(struct worker *w, int n)
{
    sigset_t set, old;
    int i;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    (void)pthread_sigmask(SIG_BLOCK, &set, &old);
    for (i = 0; i < n; i++)
        if (pthread_create(&w[i].tid, NULL, work, &w[i]) != 0)
            break;
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    return i;
}

static int summary(struct batch *b, int nworkers, double secs)
{
    int i, rc = EXIT_OK, left;

    for (i = 0; i < b->n; i++)
        if (b->jobs[i].state == JOB_FAILED) {
            fprintf(stderr, "p11cmp: batch: %s failed (exit %d), see %s\n",
                    b->jobs[i].req, b->jobs[i].rc, b->jobs[i].err);
            if (rc == EXIT_OK)
                rc = b->jobs[i].rc;
        }
    left = b->n - b->done - b->skipped - b->failed;
    printf("batch: %d requests: %d enrolled, %d done before, %d failed, "
           "%d not done; %.2f s, %.1f certs/s, %d workers\n", b->n, b->done,
           b->skipped, b->failed, left, secs, b->done / (secs + 1e-9),
           nworkers);
    if (rc == EXIT_OK && left > 0)
        rc = EXIT_OTHER;
    return rc;
}

static int collect(struct batch *b, const char *in, const char *out,
                   int cr)
{
    struct stat st;
    int i, ok;

    if (stat(in, &st) != 0) {
        fprintf(stderr, "p11cmp: batch: cannot read %s: %s\n", in,
                strerror(errno));
        return 0;
    }
    ok = S_ISDIR(st.st_mode)
        ? jobs_from_dir(b, in, cr ? ".pub" : ".csr", out)
        : jobs_from_list(b, in, out);
    if (!ok) {
        fprintf(stderr, "p11cmp: batch: cannot read the requests of %s\n",
                in);
        return 0;
    }
    for (i = 0; i < b->n; i++)
        if (stat(b->jobs[i].out, &st) == 0 && st.st_size > 0) {
            b->jobs[i].state = JOB_SKIPPED;
            b->skipped++;
        }
    return 1;
}

int app_batch_run(struct app *a)
{
    struct batch b;
    struct worker *w = NULL;
    int nw = (int)OPT_NUM(a, O_WORKERS), i, set = 0, rc = EXIT_OTHER;
    double t0;

    memset(&b, 0, sizeof(b));
    if (pthread_mutex_init(&b.lock, NULL) != 0)
        return EXIT_OTHER;
    if (!collect(&b, OPT_STR(a, O_BATCH_IN), OPT_STR(a, O_BATCH_OUT),
                 a->cmd == CMD_CR))
        goto end;
    if (nw > b.n - b.skipped)
        nw = b.n - b.skipped > 0 ? b.n - b.skipped : 1;
    if ((w = OPENSSL_zalloc(sizeof(*w) * (size_t)nw)) == NULL)
        goto end;
    for (set = 0; set < nw; set++) {
        w[set].b = &b;
        if ((rc = worker_setup(&w[set], a)) != EXIT_OK) {
            set++;
            goto end;
        }
    }
    t0 = now_s();
    b.running = nw;
    i = start_workers(w, nw);
    if (i < nw) {
        pthread_mutex_lock(&b.lock);
        b.running -= nw - i;
        pthread_mutex_unlock(&b.lock);
    }
    wait_workers(&b, t0, b.n - b.skipped);
    while (i-- > 0)
        (void)pthread_join(w[i].tid, NULL);
    rc = summary(&b, nw, (b.t_end > 0 ? b.t_end : now_s()) - t0);
 end:
    while (set-- > 0)
        worker_free(&w[set]);
    OPENSSL_free(w);
    jobs_free(&b);
    pthread_mutex_destroy(&b.lock);
    return rc;
}
