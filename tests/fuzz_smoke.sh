#!/bin/bash
# tests/fuzz_smoke.sh - the fuzz targets in make check: builds them (make
# fuzz, clang with -fsanitize=fuzzer,address,undefined), makes the seed
# corpora from the test CA (tests/fuzz/seeds.sh), runs every input of
# tests/fuzz/regress (earlier findings) through its target, then fuzzes
# each target over its seeds for FUZZ_SECONDS (default 5) seconds. Any
# crash, leak or sanitizer report fails. Skips (77) without clang.
. "$top_srcdir/tests/fixture.sh"
command -v clang > /dev/null || skip_test "clang not installed (make fuzz needs it)"
secs=${FUZZ_SECONDS:-5}
${MAKE:-make} -s -C "$top_builddir" fuzz > "$WORK/build.log" 2>&1 \
    || { rc=$?; [ $rc -ne 77 ] || skip_test "make fuzz: $(tail -n 1 \
        "$WORK/build.log")"; fail "make fuzz: $(tail -n 30 "$WORK/build.log")"; }
bash "$top_srcdir/tests/fuzz/seeds.sh" "$top_srcdir" "$top_builddir" \
    "$WORK/seeds" > "$WORK/seeds.log" 2>&1 \
    || fail "seeds: $(cat "$WORK/seeds.log")"
F=$top_builddir/tests/fuzz
for t in der response session parse; do
    [ "$(ls "$WORK/seeds/$t" | wc -l)" -ge 8 ] || fail "$t: too few seeds"
    # earlier findings first: each must run clean
    if [ -d "$top_srcdir/tests/fuzz/regress/$t" ]; then
        for f in "$top_srcdir/tests/fuzz/regress/$t"/*; do
            [ -f "$f" ] || continue
            "$F/fuzz_$t" "$f" > "$WORK/$t.regress" 2>&1 \
                || fail "$t: regression input $f: $(tail -n 30 "$WORK/$t.regress")"
        done
    fi
    mkdir -p "$WORK/corpus/$t" "$WORK/art/$t"
    "$F/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$WORK/art/$t/" "$WORK/corpus/$t" "$WORK/seeds/$t" \
        > "$WORK/$t.log" 2>&1 || fail "fuzz_$t: $(tail -n 40 "$WORK/$t.log")"
    grep -q 'INITED' "$WORK/$t.log" || fail "fuzz_$t did not start"
    ls "$WORK/art/$t" | grep -q . && fail "fuzz_$t left $(ls "$WORK/art/$t")"
    echo "fuzz_$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$WORK/$t.log" | tail -n 1)"
done
echo "PASS: 4 fuzz targets, ${secs}s each over the seed corpora"
