/*
 * tests/fuzz/fuzz_session.c - libFuzzer target: a whole client session
 * fed from the input through the transfer callback (enrollments polled
 * with P11CMP_try_certreq(), which does not sleep). Byte 0 picks the
 * transaction (IR, CR, P10CR, KUR, RR, GENM; bits 0-2), whether the
 * answers are repaired (bit 3: transactionID and recipNonce echoed, PBM
 * computed again, as fuzz_response does), implicit confirm (bit 4) and
 * whether the CA's certificate is trusted for signed answers (bit 5).
 * The rest is a sequence of answers, each a 2-byte big-endian length and
 * that many bytes of DER.
 */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* an enrollment polled without sleeping: at most 8 steps, the last one
 * (while still waiting) aborts the request as a caller would */
static void enroll(P11CMP_CTX *ctx, int req_type)
{
    int i, res = -1, after;

    for (i = 0; i < 8 && res == -1; i++)
        res = P11CMP_try_certreq(ctx, req_type, NULL, &after);
    if (res == -1)
        (void)P11CMP_try_certreq(ctx, -1, NULL, &after);
}

static void run(P11CMP_CTX *ctx, int cmd)
{
    STACK_OF(P11CMP_ITAV) *itavs;

    switch (cmd) {
    case 0: case 6: case 7:
        enroll(ctx, P11CMP_IR);
        break;
    case 1:
        enroll(ctx, P11CMP_CR);
        break;
    case 2:
        (void)P11CMP_CTX_set1_p10CSR(ctx, fuzz_csr());
        enroll(ctx, P11CMP_P10CR);
        break;
    case 3:
        (void)P11CMP_CTX_set1_oldCert(ctx, fuzz_cert());
        enroll(ctx, P11CMP_KUR);
        break;
    case 4:
        (void)P11CMP_CTX_set1_oldCert(ctx, fuzz_cert());
        (void)P11CMP_exec_RR_ses(ctx);
        break;
    case 5:
        itavs = P11CMP_exec_GENM_ses(ctx);
        sk_P11CMP_ITAV_pop_free(itavs, P11CMP_ITAV_free);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    FUZZ_FEED feed = {data + 1, len - 1, 0, 1, 0};
    X509_STORE *store;
    P11CMP_CTX *ctx;

    if (len < 1)
        return 0;
    fuzz_init();
    feed.repair = (data[0] & 8) != 0;
    ctx = fuzz_client(&feed);
    (void)P11CMP_CTX_set_option(ctx, P11CMP_OPT_IMPLICIT_CONFIRM,
                                (data[0] & 16) != 0);
    if ((data[0] & 32) != 0 && (store = X509_STORE_new()) != NULL) {
        if (!X509_STORE_add_cert(store, fuzz_cert())
            || !P11CMP_CTX_set0_trustedStore(ctx, store))
            X509_STORE_free(store);
    }
    run(ctx, data[0] & 7);
    P11CMP_CTX_free(ctx);
    ERR_clear_error();
    return 0;
}
