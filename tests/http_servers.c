/*
 * tests/http_servers.c - the servers of tests/check_http.c: the test CA
 * as a child process, a relaying loopback proxy in a thread, a listener
 * that never answers and a port that refuses. All on 127.0.0.1, all
 * bounded in time. Also the server context of a TLS front end and the
 * client's http_cb for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "http_servers.h"

#define MAX_ARGS 24
#define IO_TIMEOUT_S 5

/* Execs the test CA in the child: stdout to outfd, stderr to the log. */
static void testca_exec(const TESTCA *ca, int outfd, char **argv)
{
    int logfd = open(ca->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (logfd < 0 || dup2(outfd, 1) < 0 || dup2(logfd, 2) < 0)
        _exit(127);
    execv(argv[0], argv);
    _exit(127);
}

/* Reads the "LISTENING 127.0.0.1 <port>" line from fd within 10 s. */
static int read_port(int fd)
{
    char line[128];
    size_t len = 0;
    struct pollfd pf = { fd, POLLIN, 0 };
    int port = 0;

    while (len < sizeof(line) - 1 && poll(&pf, 1, 10000) > 0) {
        ssize_t n = read(fd, line + len, 1);

        if (n <= 0)
            return 0;
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    if (sscanf(line, "LISTENING 127.0.0.1 %d", &port) != 1)
        return 0;
    return port;
}

int testca_start(TESTCA *ca, ...)
{
    const char *top = getenv("top_builddir");
    char path[512], *argv[MAX_ARGS];
    int pfd[2], n = 0;
    va_list ap;

    (void)snprintf(path, sizeof(path), "%s/tests/testca/testca",
                   top != NULL ? top : ".");
    (void)snprintf(ca->log, sizeof(ca->log), "/tmp/check_http.%ld.%ld.log",
                   (long)getpid(), (long)time(NULL));
    argv[n++] = path;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--timeout";
    argv[n++] = "600"; /* the fault loops run long on a busy machine */
    va_start(ap, ca);
    while (n < MAX_ARGS - 1 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    if (pipe(pfd) != 0)
        return 0;
    if ((ca->pid = fork()) == 0) {
        close(pfd[0]);
        testca_exec(ca, pfd[1], argv);
    }
    close(pfd[1]);
    ca->port = ca->pid > 0 ? read_port(pfd[0]) : 0;
    close(pfd[0]);
    if (ca->port == 0)
        testca_stop(ca);
    return ca->port != 0;
}

void testca_stop(TESTCA *ca)
{
    struct timespec tick = { 0, 100000000 };
    int i, status;

    if (ca->pid <= 0)
        return;
    (void)kill(ca->pid, SIGTERM);
    for (i = 0; i < 50; i++) {
        if (waitpid(ca->pid, &status, WNOHANG) == ca->pid)
            break;
        nanosleep(&tick, NULL);
    }
    if (i == 50) {
        (void)kill(ca->pid, SIGKILL);
        (void)waitpid(ca->pid, &status, 0);
    }
    ca->pid = 0;
    (void)unlink(ca->log);
}

int testca_log_count(const TESTCA *ca, const char *text)
{
    FILE *f = fopen(ca->log, "r");
    char line[1024];
    int count = 0;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, text) != NULL)
            count++;
    fclose(f);
    return count;
}

/* A listening socket on 127.0.0.1 with a kernel-chosen port. */
static int listen_any(int *port)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0
            || listen(fd, 8) != 0
            || getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int silent_listener(int *port)
{
    return listen_any(port);
}

int refused_port(void)
{
    int port = 0, fd = listen_any(&port);

    if (fd < 0)
        return 0;
    close(fd);
    return port;
}

/* Bounds every read and write on fd to IO_TIMEOUT_S. */
static void set_io_timeout(int fd)
{
    struct timeval tv = { IO_TIMEOUT_S, 0 };

    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n <= 0)
            return 0;
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

/* One accepted client: a socket, with TLS on top if ssl is set. */
typedef struct {
    int fd;
    SSL *ssl;
} PEER;

static ssize_t peer_read(PEER *p, char *buf, size_t len)
{
    if (p->ssl != NULL)
        return SSL_read(p->ssl, buf, (int)len);
    return recv(p->fd, buf, len, 0);
}

static int peer_write(PEER *p, const char *buf, size_t len)
{
    if (p->ssl != NULL)
        return SSL_write(p->ssl, buf, (int)len) == (int)len;
    return write_all(p->fd, buf, len);
}

/*
 * Reads one request (head and Content-Length body) from p into buf.
 * Returns the total length and sets *head_len, or 0.
 */
static size_t read_request(PEER *p, char *buf, size_t cap, size_t *head_len)
{
    size_t len = 0;
    long clen = -1;
    char *end, *cl;

    while (len < cap - 1) {
        ssize_t n = peer_read(p, buf + len, cap - 1 - len);

        if (n <= 0)
            return 0;
        len += (size_t)n;
        buf[len] = '\0';
        if ((end = strstr(buf, "\r\n\r\n")) == NULL)
            continue;
        *head_len = (size_t)(end + 4 - buf);
        if (clen < 0) {
            for (cl = buf; (cl = strchr(cl, '\n')) != NULL; cl++)
                if (strncasecmp(cl + 1, "Content-Length:", 15) == 0)
                    clen = strtol(cl + 16, NULL, 10);
            if (clen < 0)
                return 0;
        }
        if (len >= *head_len + (size_t)clen)
            return *head_len + (size_t)clen;
    }
    return 0;
}

/* Connects to 127.0.0.1:port; the socket or -1. */
static int connect_local(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    set_io_timeout(fd);
    return fd;
}

/* Forwards the body to the target as an HTTP/1.0 POST and copies the
 * whole answer back to the client. */
static void relay(PEER *client, int target_port, const char *body,
                  size_t len)
{
    char head[256], buf[16384];
    int tfd = connect_local(target_port);
    ssize_t n;

    if (tfd < 0)
        return;
    (void)snprintf(head, sizeof(head), "POST / HTTP/1.0\r\nContent-Type: "
                   "application/pkixcmp\r\nContent-Length: %zu\r\n\r\n",
                   len);
    if (write_all(tfd, head, strlen(head)) && write_all(tfd, body, len))
        while ((n = recv(tfd, buf, sizeof(buf), 0)) > 0)
            if (!peer_write(client, buf, (size_t)n))
                break;
    close(tfd);
}

/* Serves one client connection: one request, relayed, then closed. */
static void proxy_serve(PROXY *proxy, int cfd)
{
    static char buf[1 << 20];
    size_t head_len = 0, len, n;
    PEER peer = { cfd, NULL };
    char *eol;

    set_io_timeout(cfd);
    if (proxy->ssl_ctx != NULL
            && ((peer.ssl = SSL_new(proxy->ssl_ctx)) == NULL
                || !SSL_set_fd(peer.ssl, cfd) || SSL_accept(peer.ssl) <= 0))
        goto end;
    len = read_request(&peer, buf, sizeof(buf), &head_len);
    if (len > 0) {
        eol = strstr(buf, "\r\n");
        n = (size_t)(eol - buf);
        if (n >= sizeof(proxy->request_line))
            n = sizeof(proxy->request_line) - 1;
        memcpy(proxy->request_line, buf, n);
        proxy->request_line[n] = '\0';
        relay(&peer, proxy->target_port, buf + head_len, len - head_len);
    }
    if (peer.ssl != NULL)
        (void)SSL_shutdown(peer.ssl);
 end:
    SSL_free(peer.ssl);
    close(cfd);
}

static void *proxy_main(void *arg)
{
    PROXY *proxy = arg;
    struct pollfd pf;
    int cfd;

    while (__atomic_load_n(&proxy->running, __ATOMIC_SEQ_CST)) {
        pf.fd = proxy->lfd;
        pf.events = POLLIN;
        if (poll(&pf, 1, 50) <= 0)
            continue;
        if ((cfd = accept(proxy->lfd, NULL, NULL)) < 0)
            continue;
        __atomic_add_fetch(&proxy->connections, 1, __ATOMIC_SEQ_CST);
        proxy_serve(proxy, cfd);
    }
    return NULL;
}

int proxy_start(PROXY *proxy, int target_port, SSL_CTX *ssl_ctx)
{
    memset(proxy, 0, sizeof(*proxy));
    proxy->target_port = target_port;
    proxy->ssl_ctx = ssl_ctx;
    if ((proxy->lfd = listen_any(&proxy->port)) < 0)
        return 0;
    proxy->running = 1;
    if (pthread_create(&proxy->thread, NULL, proxy_main, proxy) != 0) {
        close(proxy->lfd);
        proxy->running = 0;
        return 0;
    }
    return 1;
}

void proxy_stop(PROXY *proxy)
{
    if (!proxy->running)
        return;
    __atomic_store_n(&proxy->running, 0, __ATOMIC_SEQ_CST);
    (void)pthread_join(proxy->thread, NULL);
    close(proxy->lfd);
}

SSL_CTX *tls_server_ctx(X509 **cert)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *nm = x != NULL ? X509_get_subject_name(x) : NULL;
    int ok;

    ok = sctx != NULL && key != NULL && nm != NULL
        && X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                      (const unsigned char *)"127.0.0.1",
                                      -1, -1, 0)
        && X509_set_issuer_name(x, nm)
        && X509_set_version(x, X509_VERSION_3)
        && ASN1_INTEGER_set(X509_get_serialNumber(x), 1)
        && X509_gmtime_adj(X509_getm_notBefore(x), -60) != NULL
        && X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL
        && X509_set_pubkey(x, key) && X509_sign(x, key, EVP_sha256()) > 0
        && SSL_CTX_use_certificate(sctx, x)
        && SSL_CTX_use_PrivateKey(sctx, key);
    EVP_PKEY_free(key);
    if (ok) {
        *cert = x;
        return sctx;
    }
    X509_free(x);
    SSL_CTX_free(sctx);
    *cert = NULL;
    return NULL;
}

int tls_http_cb_connects;

BIO *tls_http_cb(BIO *bio, void *arg, int connect, int detail)
{
    BIO *next;

    if (connect && detail) {
        BIO *sbio = BIO_new_ssl((SSL_CTX *)arg, 1);

        tls_http_cb_connects++;
        return sbio != NULL ? BIO_push(sbio, bio) : NULL;
    }
    if (connect || BIO_method_type(bio) != BIO_TYPE_SSL)
        return bio;
    BIO_ssl_shutdown(bio);
    next = BIO_pop(bio);
    BIO_free(bio);
    return next;
}
