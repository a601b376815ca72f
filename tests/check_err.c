/*
 * tests/check_err.c - unit tests of src/err.c: p11cmp has its own OpenSSL
 * error library whose name and reason strings ERR_* functions show.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <p11cmp/p11cmp.h>

#include "check_main.h"

START_TEST(lib_code_is_stable_and_named)
{
    int lib = P11CMP_ERR_get_lib();

    ck_assert_int_gt(lib, 0);
    ck_assert_int_eq(P11CMP_ERR_get_lib(), lib);
    ck_assert_int_eq(P11CMP_ERR_load_strings(), 1);
    ck_assert_str_eq(ERR_lib_error_string(ERR_PACK(lib, 0, 0)), "p11cmp");
}
END_TEST

START_TEST(raised_error_prints_reason)
{
    unsigned long e;
    char buf[256];

    ERR_clear_error();
    ERR_raise_data(P11CMP_ERR_get_lib(), P11CMP_R_BAD_MAC, "count=%d", 7);
    e = ERR_peek_last_error();
    ck_assert_int_eq(ERR_GET_LIB(e), P11CMP_ERR_get_lib());
    ck_assert_int_eq(ERR_GET_REASON(e), P11CMP_R_BAD_MAC);
    ERR_error_string_n(e, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "p11cmp"));
    ck_assert_ptr_nonnull(strstr(buf, "MAC does not verify"));
    ERR_clear_error();
}
END_TEST

START_TEST(every_reason_has_a_string)
{
    static const int reasons[] = {
        P11CMP_R_NULL_ARGUMENT, P11CMP_R_ASN1_DECODE_ERROR,
        P11CMP_R_MISSING_PROTECTION, P11CMP_R_TRANSFER_ERROR,
        P11CMP_R_PKCS11_ERROR, P11CMP_R_STORE_FAILED,
        P11CMP_R_ROLLBACK_FAILED
    };
    int lib = P11CMP_ERR_get_lib();
    size_t i;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        ck_assert_ptr_nonnull(
            ERR_reason_error_string(ERR_PACK(lib, 0, reasons[i])));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("core");
    int failed;

    tcase_add_test(tc, lib_code_is_stable_and_named);
    tcase_add_test(tc, raised_error_prints_reason);
    tcase_add_test(tc, every_reason_has_a_string);
    suite_add_tcase(s, tc);
    failed = check_run(s, CK_NORMAL);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
