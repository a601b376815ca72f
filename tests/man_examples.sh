#!/bin/sh
# tests/man_examples.sh - every man3 page's EXAMPLES section is a program
# that compiles and links against libp11cmp: extract it and build it.
. "$top_srcdir/tests/fixture.sh"
n=0
for pod in "$top_srcdir"/docs/man3/*.pod; do
    name=$(basename "$pod" .pod)
    awk '/^=head1 EXAMPLES/ { on = 1; next } /^=head1/ { on = 0 }
         on && /^ / { sub(/^ /, ""); print; next }
         on && /^$/ { print }' "$pod" > "$WORK/$name.c"
    grep -q 'main(' "$WORK/$name.c" || fail "$name: EXAMPLES has no program"
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror ${P11CMP_TEST_CFLAGS:-} \
        -I"$top_srcdir/include" \
        -o "$WORK/$name" "$WORK/$name.c" -L"$top_builddir/.libs" -lp11cmp \
        $(pkg-config --cflags --libs libcrypto) \
        || fail "$name: EXAMPLES does not compile"
    LD_LIBRARY_PATH="$top_builddir/.libs" "$WORK/$name" > /dev/null \
        || fail "$name: EXAMPLES program failed"
    n=$((n + 1))
done
[ $n -gt 0 ] || fail "no man3 pages found"
echo "compiled and ran $n man3 examples"
