/*
 * tests/fuzz/fuzz.h - shared parts of the libFuzzer targets: a fixed key
 * and certificate (the seed corpora are made with the same key, so the
 * certificates in seed responses are for it), a client context with PBM
 * protection, and a transfer callback that answers each request with the
 * next message of the fuzzer's input, optionally "repaired" so that it
 * passes the header checks: transactionID and recipNonce echoed from the
 * request and the PBM protection computed again.
 */
#ifndef P11CMP_FUZZ_H
#define P11CMP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <p11cmp/p11cmp.h>

#define FUZZ_REF "fuzzref"
#define FUZZ_SECRET "fuzz-secret"

/* Input the transfer callback answers from. */
typedef struct {
    const uint8_t *data;
    size_t len;
    int repair;                 /* echo tid/nonce and protect again */
    int chunked;                /* 2-byte big-endian length per message */
    int calls;
} FUZZ_FEED;

/* One-time setup: the key, certificate and CSR below; quiet errors. */
void fuzz_init(void);
EVP_PKEY *fuzz_key(void);       /* borrowed */
X509 *fuzz_cert(void);          /* borrowed, self-signed for fuzz_key */
X509_REQ *fuzz_csr(void);       /* borrowed */
/* A new client context: PBM (FUZZ_REF, FUZZ_SECRET), newPkey = fuzz_key,
 * subject CN=fuzz, transfer from feed, logging off. */
P11CMP_CTX *fuzz_client(FUZZ_FEED *feed);
/* The next message of feed (its remaining input when not chunked). */
P11CMP_MSG *fuzz_next_msg(FUZZ_FEED *feed);
/* Echoes req's transactionID and senderNonce into rsp and protects rsp
 * with PBM again. Returns 1 or 0. */
int fuzz_repair(const P11CMP_MSG *req, P11CMP_MSG *rsp);
/* Fails (abort) unless msg encodes, decodes and encodes again to the
 * same DER. */
void fuzz_check_roundtrip(const P11CMP_MSG *msg);

#endif
