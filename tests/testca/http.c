/*
 * tests/testca/http.c - the test CA's HTTP/1.1 server: one listening socket
 * on 127.0.0.1 only, one connection served at a time (an idle keep-alive
 * connection gives way to a new client), POST of application/pkixcmp with
 * a required Content-Length up to 1 MiB (413 beyond), keep-alive as the
 * Connection header and HTTP version say, TCP_NODELAY, idle and read
 * timeouts (--io-timeout: an idle connection is closed, a request that
 * does not arrive in full gets 408). It always stops: on SIGTERM/SIGINT,
 * after --max-requests answers or when --timeout has passed. With --fork
 * each connection is served by a child process of its own, so that
 * clients (the RA batch's workers) are served at the same time; the
 * parent stops its children when it stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <openssl/crypto.h>

#include "testca.h"

#define MAX_BODY (1024 * 1024)
#define MAX_HEAD 8192
#define READ_CHUNK 16384
#define WRITE_TIMEOUT_MS 10000
#define LINGER_MS 500

static volatile sig_atomic_t stop_signal;

/* The connection being served and its unprocessed input. */
typedef struct {
    int fd;
    unsigned char *buf;
    size_t len;
    size_t cap;
    long long started_ms;            /* first byte of pending request */
    long long last_ms;               /* last activity */
} CONN;

/* What the head of one request said. */
typedef struct {
    size_t head_len;
    long content_length;             /* -1: none given */
    int keep_alive;
    int status;                      /* 0, or the error to answer with */
} REQ;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

/* Sends all of data, waiting at most WRITE_TIMEOUT_MS for the peer. */
static int send_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    struct pollfd pf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK
                && errno != EINTR)
            return 0;
        pf.fd = fd;
        pf.events = POLLOUT;
        if (poll(&pf, 1, WRITE_TIMEOUT_MS) <= 0)
            return 0;
    }
    return 1;
}

/* Sends one response with a Content-Length and Connection header. */
static int send_response(int fd, int status, const char *ctype,
                         const void *body, size_t len, int keep_alive)
{
    char head[256];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n", status, reason_phrase(status),
                     ctype, len, keep_alive ? "keep-alive" : "close");

    return send_all(fd, head, (size_t)n) && send_all(fd, body, len);
}

/* Answers with an error status and a one-line text body. */
static int send_error(int fd, int status, int keep_alive)
{
    char body[80];
    int n = snprintf(body, sizeof(body), "%d %s\n", status,
                     reason_phrase(status));

    fprintf(stderr, "testca: http: answering %d %s\n", status,
            reason_phrase(status));
    return send_response(fd, status, "text/plain", body, (size_t)n,
                         keep_alive);
}

/* Ends our side after an error answer and reads what the client still
 * sends (at most LINGER_MS), so that closing does not reset the connection
 * before the client has read the answer. */
static void linger_close(int fd)
{
    unsigned char scratch[4096];
    long long end = now_ms() + LINGER_MS;
    struct pollfd pf;

    (void)shutdown(fd, SHUT_WR);
    pf.fd = fd;
    pf.events = POLLIN;
    while (now_ms() < end && poll(&pf, 1, (int)(end - now_ms())) > 0)
        if (recv(fd, scratch, sizeof(scratch), 0) <= 0)
            break;
}

/* Returns the offset just past "\r\n\r\n" in buf, or 0. */
static size_t head_end(const unsigned char *buf, size_t len)
{
    size_t i;

    for (i = 0; i + 3 < len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return 0;
}

/* Checks the request line; sets keep-alive default and errors. */
static void parse_request_line(char *line, const HTTP_CFG *cfg, REQ *r)
{
    char *path = strchr(line, ' ');
    char *version = path == NULL ? NULL : strchr(path + 1, ' ');

    if (path == NULL || version == NULL) {
        r->status = 400;
        return;
    }
    *path++ = '\0';
    *version++ = '\0';
    r->keep_alive = strcmp(version, "HTTP/1.1") == 0;
    if (!r->keep_alive && strcmp(version, "HTTP/1.0") != 0)
        r->status = 505;
    else if (strcmp(line, "POST") != 0)
        r->status = 405;
    else if (cfg->path != NULL && strcmp(path, cfg->path) != 0)
        r->status = 404;
}

/* Takes in one "Name: value" header line. */
static void parse_header(char *line, REQ *r)
{
    char *value = strchr(line, ':');
    char *end;

    if (value == NULL) {
        r->status = 400;
        return;
    }
    *value++ = '\0';
    value += strspn(value, " \t");
    if (strcasecmp(line, "Content-Length") == 0) {
        errno = 0;
        r->content_length = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0'
                || r->content_length < 0)
            r->status = 400;
    } else if (strcasecmp(line, "Connection") == 0) {
        if (strcasecmp(value, "close") == 0)
            r->keep_alive = 0;
        else if (strcasecmp(value, "keep-alive") == 0)
            r->keep_alive = 1;
    } else if (strcasecmp(line, "Content-Type") == 0) {
        if (strncasecmp(value, "application/pkixcmp", 19) != 0)
            r->status = 415;
    } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
        r->status = 411; /* we require Content-Length */
    }
}

/* Parses the head at the start of buf. Returns 0 if incomplete, else 1
 * with r filled (r->status set on errors). */
static int parse_head(const unsigned char *buf, size_t len,
                      const HTTP_CFG *cfg, REQ *r)
{
    char *head, *line, *next;

    memset(r, 0, sizeof(*r));
    r->content_length = -1;
    if ((r->head_len = head_end(buf, len)) == 0) {
        if (len <= MAX_HEAD)
            return 0;
        r->status = 431;
        return 1;
    }
    if ((head = OPENSSL_strndup((const char *)buf, r->head_len)) == NULL) {
        r->status = 500;
        return 1;
    }
    for (line = head; r->status == 0 && *line != '\0'; line = next) {
        if ((next = strstr(line, "\r\n")) == NULL || next == line)
            break;
        *next = '\0';
        next += 2;
        if (line == head)
            parse_request_line(line, cfg, r);
        else
            parse_header(line, r);
    }
    OPENSSL_free(head);
    if (r->status == 0 && r->content_length < 0)
        r->status = 411;
    if (r->status == 0 && r->content_length > MAX_BODY)
        r->status = 413;
    return 1;
}

/* Answers one complete request of c->buf; returns the keep-alive flag to
 * go on with, or 0 to close. */
static int answer(CONN *c, const REQ *r, const HTTP_CFG *cfg, int last)
{
    unsigned char *rsp = NULL;
    size_t rsplen = 0;
    int keep = r->keep_alive && !last;
    int status, ok;

    status = cfg->handler(cfg->arg, c->buf + r->head_len,
                          (size_t)r->content_length, &rsp, &rsplen);
    if (status == 200)
        ok = send_response(c->fd, 200, "application/pkixcmp", rsp, rsplen,
                           keep);
    else
        ok = send_error(c->fd, status, keep);
    OPENSSL_free(rsp);
    return ok && keep;
}

/* Serves the complete requests buffered in c. Returns 1 to keep the
 * connection, 0 to close it. Counts answers in *served. */
static int serve_buffered(CONN *c, const HTTP_CFG *cfg, long *served)
{
    REQ r;
    size_t total;
    int keep;

    while (c->len > 0) {
        if (!parse_head(c->buf, c->len, cfg, &r))
            return 1;
        if (r.status != 0) {
            (*served)++;
            (void)send_error(c->fd, r.status, 0);
            linger_close(c->fd);
            return 0;
        }
        total = r.head_len + (size_t)r.content_length;
        if (c->len < total)
            return 1;
        (*served)++;
        keep = answer(c, &r, cfg, cfg->max_requests > 0
                      && *served >= cfg->max_requests);
        memmove(c->buf, c->buf + total, c->len - total);
        c->len -= total;
        c->started_ms = c->len > 0 ? now_ms() : 0;
        c->last_ms = now_ms(); /* idle time counts from the answer */
        if (!keep)
            return 0;
    }
    return 1;
}

/* Reads what the peer sent and serves it. Returns 0 to close. */
static int conn_read(CONN *c, const HTTP_CFG *cfg, long *served)
{
    ssize_t n;

    if (c->cap - c->len < READ_CHUNK) {
        unsigned char *p = OPENSSL_realloc(c->buf, c->len + READ_CHUNK);

        if (p == NULL)
            return 0;
        c->buf = p;
        c->cap = c->len + READ_CHUNK;
    }
    n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0)
        return 0; /* the peer closed */
    if (c->len == 0)
        c->started_ms = now_ms();
    c->len += (size_t)n;
    c->last_ms = now_ms();
    return serve_buffered(c, cfg, served);
}

static void conn_close(CONN *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

/* Closes c if idle or a request takes too long to arrive (408). */
static void conn_check_timeouts(CONN *c, long long limit_ms)
{
    long long now = now_ms();

    if (c->fd < 0)
        return;
    if (c->len > 0 && now - c->started_ms > limit_ms) {
        (void)send_error(c->fd, 408, 0);
        conn_close(c);
    } else if (c->len == 0 && now - c->last_ms > limit_ms) {
        fprintf(stderr, "testca: http: closing idle connection\n");
        conn_close(c);
    }
}

/* Accepts a connection into c (non-blocking, TCP_NODELAY). */
static void conn_accept(int lfd, CONN *c)
{
    int one = 1;
    int fd = accept(lfd, NULL, NULL);

    if (fd < 0)
        return;
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0
            || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
                          sizeof(one)) != 0) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->len = 0;
    c->last_ms = now_ms();
    fprintf(stderr, "testca: http: connection accepted\n");
}

/* Opens the listening socket on 127.0.0.1:port and announces the port on
 * stdout. Returns the socket or -1. */
static int open_listener(int port)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0
            || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))
            || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0
            || listen(fd, 16) != 0
            || fcntl(fd, F_SETFL, O_NONBLOCK) != 0
            || getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        perror("testca: listen on 127.0.0.1");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    printf("LISTENING 127.0.0.1 %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* Returns how long the next poll() may wait, or -1 once cfg->timeout has
 * passed. */
static int wait_ms(long long deadline)
{
    long long left;

    if (deadline == 0)
        return 1000;
    if ((left = deadline - now_ms()) <= 0)
        return -1;
    return left < 1000 ? (int)left : 1000;
}

/* Says why the loop should end, or NULL to go on. */
static const char *stop_reason(const HTTP_CFG *cfg, long served, int wait)
{
    if (stop_signal != 0)
        return "signal";
    if (cfg->max_requests > 0 && served >= cfg->max_requests)
        return "max-requests reached";
    if (wait < 0)
        return "timeout";
    return NULL;
}

/* One round: waits for input and serves it. Returns 0 on fatal error. */
static int serve_once(int lfd, CONN *c, const HTTP_CFG *cfg, long *served,
                      int wait)
{
    struct pollfd pf[2];
    int nfds = 0, listen_at = -1, conn_at = -1;

    if (c->fd >= 0) {
        pf[nfds].fd = c->fd;
        pf[nfds].events = POLLIN;
        conn_at = nfds++;
    }
    if (c->fd < 0 || c->len == 0) {
        pf[nfds].fd = lfd;
        pf[nfds].events = POLLIN;
        listen_at = nfds++;
    }
    if (poll(pf, (nfds_t)nfds, wait) < 0)
        return errno == EINTR;
    if (conn_at >= 0 && pf[conn_at].revents != 0
            && !conn_read(c, cfg, served))
        conn_close(c);
    conn_check_timeouts(c, cfg->io_timeout * 1000LL);
    if (listen_at >= 0 && (pf[listen_at].revents & POLLIN) != 0
            && (cfg->max_requests == 0 || *served < cfg->max_requests)) {
        if (c->fd >= 0 && c->len == 0) {
            fprintf(stderr, "testca: http: new client, dropping idle "
                    "connection\n");
            conn_close(c);
        }
        if (c->fd < 0)
            conn_accept(lfd, c);
    }
    return 1;
}

#define MAX_CHILDREN 64

/* The child of --fork: serves connection c alone until it closes. */
static void child_serve(CONN *c, const HTTP_CFG *cfg, long long deadline)
{
    long served = 0;
    int wait;

    while (c->fd >= 0) {
        wait = wait_ms(deadline);
        if (stop_reason(cfg, served, wait) != NULL
                || !serve_once(-1, c, cfg, &served, wait))
            break;
    }
    conn_close(c);
    _exit(0);
}

/* Forgets the children that ended; the number still running. */
static int reap(pid_t *kids, int n)
{
    int i = 0;

    while (i < n)
        if (waitpid(kids[i], NULL, WNOHANG) == kids[i])
            kids[i] = kids[--n];
        else
            i++;
    return n;
}

/* --fork: accepts connections and hands each to a new child. */
static int fork_serve(int lfd, const HTTP_CFG *cfg, long long deadline)
{
    pid_t kids[MAX_CHILDREN], pid;
    CONN c = { -1, NULL, 0, 0, 0, 0 };
    struct pollfd pf;
    int n = 0, wait, i;

    while ((wait = wait_ms(deadline)) >= 0 && stop_signal == 0) {
        n = reap(kids, n);
        pf.fd = lfd;
        pf.events = POLLIN;
        if (poll(&pf, 1, wait < 200 ? wait : 200) <= 0
                || n == MAX_CHILDREN)
            continue;
        conn_accept(lfd, &c);
        if (c.fd < 0)
            continue;
        fflush(stderr);
        if ((pid = fork()) == 0) {
            close(lfd);
            child_serve(&c, cfg, deadline);
        }
        if (pid > 0)
            kids[n++] = pid;
        conn_close(&c);
    }
    for (i = 0; i < n; i++)
        (void)kill(kids[i], SIGTERM);
    for (i = 0; i < n; i++)
        (void)waitpid(kids[i], NULL, 0);
    fprintf(stderr, "testca: stopping (%s)\n",
            stop_signal != 0 ? "signal" : "timeout");
    return 1;
}

/* Runs the server until a signal, cfg->max_requests answers or
 * cfg->timeout seconds. Returns 1 on a clean stop, 0 on error. */
int http_serve(const HTTP_CFG *cfg)
{
    CONN c = { -1, NULL, 0, 0, 0, 0 };
    long long deadline = 0;
    long served = 0;
    const char *why;
    int lfd, wait, res = 0;

    install_signals();
    if ((lfd = open_listener(cfg->port)) < 0)
        return 0;
    if (cfg->timeout > 0)
        deadline = now_ms() + cfg->timeout * 1000LL;
    if (cfg->fork) {
        res = fork_serve(lfd, cfg, deadline);
        goto err;
    }
    for (;;) {
        wait = wait_ms(deadline);
        if ((why = stop_reason(cfg, served, wait)) != NULL)
            break;
        if (!serve_once(lfd, &c, cfg, &served, wait)) {
            perror("testca: poll");
            goto err;
        }
    }
    fprintf(stderr, "testca: stopping (%s) after %ld request(s)\n", why,
            served);
    res = 1;
 err:
    conn_close(&c);
    OPENSSL_free(c.buf);
    close(lfd);
    return res;
}
