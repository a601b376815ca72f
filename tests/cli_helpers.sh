# tests/cli_helpers.sh - shared by the tests/cli_*.sh tests of p11cmp(1),
# sourced after tests/fixture.sh:
#   expect CODE ARGS...  runs p11cmp with $CLI_ARGS (unquoted, e.g. a
#                        -server every run needs) and ARGS, stdout to
#                        $WORK/out, stderr to $WORK/err; fails unless it
#                        exits with CODE, showing both and the files of
#                        $CLI_LOGS; counts the runs in $n
#   has FILE TEXT        fails unless $WORK/FILE has a line matching TEXT
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
