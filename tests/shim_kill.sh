# tests/shim_kill.sh - p11cmp killed with SIGKILL right after its Nth
# token write, through the shim module (tests/shim/p11shim.c), for the
# crash tests (cli_crash.sh, cli_genm_crash.sh). Sourced after
# tests/fixture.sh and tests/cli_helpers.sh:
#   TOOL, SHIM           tests/p11_tool and the shim module (the test
#                        fails if they are not built); the shim forwards
#                        to SoftHSM2 (P11SHIM_REAL_MODULE)
#   run_killed N ARGS... p11cmp $CLI_ARGS ARGS killed after token write N;
#                        0 if it was, 1 if it ended before (fewer writes)
TOOL=$top_builddir/tests/p11_tool
SHIM=$top_builddir/tests/shim/.libs/libp11shim.so
[ -x "$TOOL" ] || fail "not built: $TOOL"
[ -f "$SHIM" ] || fail "not built: $SHIM"
export P11SHIM_REAL_MODULE=$SOFTHSM2_MODULE

run_killed() {
    set +e
    # shellcheck disable=SC2086
    P11SHIM_KILL_AFTER_WRITE=$1 "$P11CMP" $CLI_ARGS "${@:2}" \
        > "$WORK/out" 2> "$WORK/err"
    rc=$?
    set -e
    [ $rc -eq 0 ] || [ $rc -eq 137 ] || fail "kill after write $1: exit" \
        "$rc: $(cat "$WORK/err")"
    [ $rc -eq 137 ]
}
