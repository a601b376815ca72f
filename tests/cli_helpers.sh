# tests/cli_helpers.sh - shared by the tests/cli_*.sh tests of p11cmp(1),
# sourced after tests/fixture.sh:
#   expect CODE ARGS...  runs p11cmp with $CLI_ARGS (unquoted, e.g. a
#                        -server every run needs) and ARGS, stdout to
#                        $WORK/out, stderr to $WORK/err; fails unless it
#                        exits with CODE, showing both and the files of
#                        $CLI_LOGS; counts the runs in $n
#   has FILE TEXT        fails unless $WORK/FILE has a line matching TEXT
#   both NAME ARGS...    runs `openssl cmp` and then p11cmp (by expect),
#                        both with $CLI_ARGS and ARGS, the word @ in ARGS
#                        becoming o-NAME- for openssl and p-NAME- for
#                        p11cmp (their output files); both must exit 0,
#                        openssl's output goes to o-NAME.log
P11CMP=$top_builddir/p11cmp
CLI_ARGS=
CLI_LOGS=
n=0

expect() {
    want=$1
    shift
    set +e
    # shellcheck disable=SC2086
    "$P11CMP" $CLI_ARGS "$@" > "$WORK/out" 2> "$WORK/err"
    got=$?
    set -e
    # shellcheck disable=SC2086
    [ "$got" -eq "$want" ] || fail "exit $got, not $want: $*
$(cat "$WORK/out" "$WORK/err" $CLI_LOGS)"
    n=$((n + 1))
}

has() {
    grep -q -- "$2" "$WORK/$1" || fail "$1 lacks '$2': $(cat "$WORK/$1")"
}

both() {
    name=$1
    shift
    oargs=$(echo "$*" | sed "s/@/o-$name-/g")
    pargs=$(echo "$*" | sed "s/@/p-$name-/g")
    # shellcheck disable=SC2086
    openssl cmp -config "" $CLI_ARGS $oargs > "o-$name.log" 2>&1 \
        || fail "openssl cmp $name: $(cat "o-$name.log")"
    # shellcheck disable=SC2086
    expect 0 $pargs
}
