#!/bin/bash
# tests/fuzz/build.sh - `make fuzz`: builds the libFuzzer targets of
# tests/fuzz with clang, -fsanitize=fuzzer,address,undefined, into
# BUILD/tests/fuzz. The library sources (FUZZ_SOURCES, from Makefile.am)
# are compiled again with the same sanitizers and coverage; objects are
# rebuilt only when a source or header is newer. Exits 77 without clang.
#   FUZZ_SOURCES=... FUZZ_CFLAGS=... FUZZ_LIBS=... build.sh SRC BUILD
set -eu
SRC=$1
BUILD=$2
CLANG=${FUZZ_CC:-clang}
command -v "$CLANG" > /dev/null 2>&1 || { echo "no $CLANG"; exit 77; }
OUT=$BUILD/tests/fuzz
mkdir -p "$OUT/obj"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L $SAN ${FUZZ_CFLAGS:-}"
INC="-I$SRC/include -I$BUILD -I$SRC/src -I$SRC/pkcs11"
newest_header=$(find "$SRC/include" "$SRC/src" "$SRC/pkcs11" "$SRC/tests/fuzz" \
    "$BUILD/config.h" -name '*.h' -newer "$OUT/obj" 2>/dev/null | head -n 1)
[ -z "$newest_header" ] || rm -f "$OUT"/obj/*.o
objs=
for s in ${FUZZ_SOURCES:?}; do
    case $s in *.c) ;; *) continue ;; esac
    o=$OUT/obj/$(echo "${s%.c}" | tr / _).o
    if [ ! -f "$o" ] || [ "$SRC/$s" -nt "$o" ]; then
        "$CLANG" $CFLAGS -fsanitize=fuzzer-no-link $INC -c "$SRC/$s" -o "$o"
    fi
    objs="$objs $o"
done
touch "$OUT/obj"
for t in der response session parse; do
    "$CLANG" $CFLAGS -fsanitize=fuzzer $INC -o "$OUT/fuzz_$t" \
        "$SRC/tests/fuzz/fuzz_$t.c" "$SRC/tests/fuzz/fuzz.c" $objs \
        ${FUZZ_LIBS:-}
done
echo "fuzz targets in $OUT: fuzz_der fuzz_response fuzz_session fuzz_parse"
