#!/bin/bash
# tests/cli_crash.sh - p11cmp(1) killed with SIGKILL in the middle of
# IR -newkeygen, KUR -newkeygen and KUR -newkeygen -keep_old on a SoftHSM2
# token: the shim module kills the process right after its Nth call that
# changes the token returned (P11SHIM_KILL_AFTER_WRITE=N), for every N of
# a clean run, so each state a kill can leave between two token writes is
# met once. After each kill the next run that opens the token settles
# what the dead one left (the journal, p11_journal.c): the token then has
# exactly one complete set (private key, public key, certificate) under
# the label, old or new, no journal record, and the rotation runs again
# and completes. Trial counts are printed.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/shim_kill.sh"
. "$top_srcdir/tests/token_sets.sh"
M=$SOFTHSM2_MODULE

# empty_or_set WHAT LABEL: nothing or one complete set under LABEL
empty_or_set() {
    state "$2"
    [ "$st" = 0000 ] || [ "$st" = 1110 ] || fail "$1: label $2: $st" \
        "(cert, private, public, journal records):
$LIST"
}
writes() { sed -n 's/^writes //p' "$WORK/report"; }

fixture_token crash
SETS_TOKEN=crash
printf '%s\n' "$PIN" > "$WORK/pin"
Q="?module-path=$SHIM&pin-source=file:$WORK/pin"
DQ="?module-path=$M&pin-source=file:$WORK/pin"
crash_ca


# IR -newkeygen: after the kill, a run that only loads keys settles the
# token (undone: nothing under the label; committed: one set); if nothing
# is there the IR runs again
IR="-cmd ir -ref cr -secret pass:cr-secret -newkeygen EC:P-256 -subject /CN=k"
KEY="pkcs11:token=crash;object=k;type=private"
P11SHIM_REPORT=$WORK/report expect 0 $IR -newkey "$KEY$Q"
total=$(writes)
[ "$total" -ge 4 ] || fail "IR: only $total token writes"
set_ok "IR clean" k
ir_kills=0 ir_undone=0
for w in $(seq 1 "$total"); do
    "$TOOL" delete "pkcs11:token=crash;object=k$DQ" > /dev/null
    "$TOOL" delete "pkcs11:token=crash;object=${CA_LABEL// /%20}$DQ" \
        > /dev/null
    run_killed "$w" $IR -newkey "$KEY$Q" || fail "IR: write $w not reached"
    ir_kills=$((ir_kills + 1))
    "$TOOL" sign "$KEY$Q" > /dev/null 2>&1 || true
    empty_or_set "IR killed after write $w, then a key load" k
    if [ "$st" = 0000 ]; then
        ir_undone=$((ir_undone + 1))
        expect 0 $IR -newkey "$KEY$Q"
    fi
    set_ok "IR killed after write $w, run again" k
done
echo "ok: IR -newkeygen: $ir_kills kills (after each of $total token" \
    "writes), $ir_undone undone and enrolled again, $((ir_kills - ir_undone))" \
    "found committed"

# kur_trials WHAT ARGS...: KUR killed after each token write, then the KUR
# run again must succeed and leave one set under the label
kur_trials() {
    what=$1
    shift
    P11SHIM_REPORT=$WORK/report expect 0 "$@"
    set_ok "$what clean" k
    total=$(writes)
    kills=0
    for w in $(seq 1 "$total"); do
        run_killed "$w" "$@" || fail "$what: write $w not reached"
        kills=$((kills + 1))
        expect 0 "$@"
        set_ok "$what killed after write $w, run again" k
    done
    echo "ok: $what: $kills kills (after each of $total token writes)," \
        "each rotation run again completed with one set"
}
kur_both
# every old set kept is complete and alone under its label
olds_complete ""
echo "ok: $olds_n old sets kept, each complete"
exit 0
