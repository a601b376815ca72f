/*
 * tests/fuzz/fuzz_response.c - libFuzzer target: the answer to a fixed IR
 * (key, subject and PBM secret of fuzz.c). The input is one PKIMessage;
 * its transactionID and recipNonce are replaced by the request's and its
 * PBM protection computed again, so it passes the header and protection
 * checks and the client goes on to validate the body (status, certReqId,
 * the certificate and its public key, caPubs, extraCerts, pollRep).
 * A second message (certConf, pollReq) gets no answer.
 */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    FUZZ_FEED feed = {data, len, 1, 0, 0};
    P11CMP_CTX *ctx;

    fuzz_init();
    ctx = fuzz_client(&feed);
    X509_free(P11CMP_exec_IR_ses(ctx) != NULL
              ? X509_dup(P11CMP_CTX_get0_newCert(ctx)) : NULL);
    (void)P11CMP_CTX_get_status(ctx);
    P11CMP_CTX_free(ctx);
    ERR_clear_error();
    return 0;
}
