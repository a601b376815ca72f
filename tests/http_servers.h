/*
 * tests/http_servers.h - the servers of tests/check_http.c: the test CA
 * (tests/testca/testca) run as a child process, and small loopback
 * servers in a thread (a relaying HTTP proxy, a listener that never
 * answers), and the client side of a TLS front end.
 */
#ifndef P11CMP_TESTS_HTTP_SERVERS_H
#define P11CMP_TESTS_HTTP_SERVERS_H

#include <pthread.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* The test CA run by testca_start(). */
typedef struct {
    pid_t pid;
    int port;
    char log[256];              /* its stderr */
} TESTCA;

/*
 * Starts $top_builddir/tests/testca/testca --port 0 with the extra
 * arguments (NULL-terminated list) and waits for its LISTENING line.
 * Returns 1, or 0 if it did not come up within 10 s.
 */
int testca_start(TESTCA *ca, ...);
/* Stops the test CA (SIGTERM, then SIGKILL after 5 s) and reaps it. */
void testca_stop(TESTCA *ca);
/* How many lines of the test CA's log contain text. */
int testca_log_count(const TESTCA *ca, const char *text);

/*
 * A loopback HTTP proxy in a thread: relays each request to the test CA
 * (one request per connection). With ssl_ctx set it is a TLS front end
 * instead: it accepts TLS and relays the plain request.
 */
typedef struct {
    SSL_CTX *ssl_ctx;           /* borrowed; NULL: plain HTTP */
    int lfd;
    int port;
    int target_port;            /* where to relay to (the test CA) */
    int connections;            /* accepted so far */
    char request_line[512];     /* of the last request */
    pthread_t thread;
    int running;
} PROXY;

/*
 * Starts proxy on a free port relaying to target_port, with TLS if
 * ssl_ctx is not NULL; 1 on success.
 */
int proxy_start(PROXY *proxy, int target_port, SSL_CTX *ssl_ctx);
/* Stops the proxy thread and closes its sockets. */
void proxy_stop(PROXY *proxy);

/*
 * A listening socket on 127.0.0.1 that accepts nothing: connections
 * complete in the backlog and requests are never read or answered.
 * Returns the socket and sets *port, or -1.
 */
int silent_listener(int *port);
/* A port on 127.0.0.1 where nothing listens (connect is refused). */
int refused_port(void);

/*
 * A TLS server context (for proxy_start) with a new self-signed P-256
 * certificate for 127.0.0.1, valid for an hour, and its key; *cert gets
 * the certificate (the caller frees it). NULL on error.
 */
SSL_CTX *tls_server_ctx(X509 **cert);
/*
 * The http_cb (OSSL_HTTP_open(3)) of a client talking to a TLS front end:
 * arg is the client SSL_CTX; TLS goes on when the connection is made and
 * is shut down at its end. Counts the TLS connections it makes.
 */
BIO *tls_http_cb(BIO *bio, void *arg, int connect, int detail);
extern int tls_http_cb_connects;

#endif /* P11CMP_TESTS_HTTP_SERVERS_H */
