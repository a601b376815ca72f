/*
 * tests/check_main.h - the end of every Check test's main(): run a suite
 * and count its failures. Check only, so that tests/testca (which must
 * not depend on p11cmp) can use it too.
 */
#ifndef TESTS_CHECK_MAIN_H
#define TESTS_CHECK_MAIN_H

#include <check.h>

/* runs every test of s (the runner takes s over) printing as mode says;
 * returns how many tests failed */
static inline int check_run(Suite *s, enum print_output mode)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, mode);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

#endif
