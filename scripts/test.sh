#!/bin/bash
# scripts/test.sh - README command 2: install what is missing, build with
# warnings as errors and without OpenSSL's deprecated API (the library
# and the program), run the whole test suite (make check) and check the
# distribution (make distcheck). Skipped tests are named with their
# reason; the last line is "N passed, M failed".
# Exits non-zero on any failure.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/scripts/lib.sh"
install_deps || exit 1
build_tree "${P11CMP_BUILD_DIR:-$SRC/build}" --enable-werror \
    --enable-no-deprecated || exit 1
cd "$BUILD"
make -j"$(nproc)" check
rc=$?
# failed_logs DIR: the end of the log of each failed test under DIR
failed_logs() {
    [ -n "$1" ] && [ -d "$1" ] || return 0
    for trs in $(grep -lE '^:test-result: (FAIL|ERROR)' \
        $(find "$1" -name '*.trs') < /dev/null); do
        echo "---- ${trs%.trs}.log"
        tail -n 40 "${trs%.trs}.log"
    done 2>/dev/null
}
failed_logs .
for trs in $(grep -lE '^:test-result: SKIP' $(find . -name '*.trs')); do
    echo "skipped: ${trs%.trs} ($(grep -h '^SKIP: ' "${trs%.trs}.log" \
        | head -n 1))"
done 2>/dev/null
summary=$(grep -E '^# (PASS|FAIL|ERROR|XPASS):' test-suite.log 2>/dev/null)
pass=$(echo "$summary" | sed -n 's/^# PASS: *//p')
fail=0
for k in FAIL ERROR XPASS; do
    n=$(echo "$summary" | sed -n "s/^# $k: *//p")
    fail=$((fail + ${n:-0}))
done
[ $rc -ne 0 ] && [ $fail -eq 0 ] && fail=1 # make check failed outside a test
if [ $rc -eq 0 ] && [ "${P11CMP_SKIP_DISTCHECK:-0}" != 1 ]; then
    echo "== make distcheck"
    if ! make -j"$(nproc)" distcheck > distcheck.log 2>&1; then
        tail -n 40 distcheck.log
        # (a failed distcheck leaves its tree: name the tests that failed)
        failed_logs "$(ls -d p11cmp-*/_build 2>/dev/null | head -n 1)"
        echo "make distcheck failed (see $BUILD/distcheck.log)"
        rc=1
        fail=$((fail + 1))
    fi
fi
echo "${pass:-0} passed, $fail failed"
[ $rc -eq 0 ] && [ "$fail" -eq 0 ]
