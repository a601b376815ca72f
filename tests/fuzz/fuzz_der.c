/*
 * tests/fuzz/fuzz_der.c - libFuzzer target: d2i_P11CMP_MSG() of the
 * input; a message that decodes must encode, decode again and encode to
 * the same DER, and its copy (P11CMP_MSG_dup) too.
 */
#include <openssl/err.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const unsigned char *p = data;
    P11CMP_MSG *msg, *dup;

    fuzz_init();
    if ((msg = d2i_P11CMP_MSG(NULL, &p, (long)len)) != NULL) {
        fuzz_check_roundtrip(msg);
        if ((dup = P11CMP_MSG_dup(msg)) != NULL) {
            fuzz_check_roundtrip(dup);
            P11CMP_MSG_free(dup);
        }
        (void)P11CMP_MSG_get_bodytype(msg);
        P11CMP_MSG_free(msg);
    }
    ERR_clear_error();
    return 0;
}
