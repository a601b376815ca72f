#!/bin/bash
# tests/cli_crash_random.sh - p11cmp(1) killed with SIGKILL at random
# moments of IR -newkeygen, KUR -newkeygen and KUR -newkeygen -keep_old,
# on the module P11CMP_TEST_TOKEN names (tests/token_fixture.sh; SoftHSM2
# by default, tpm2-pkcs11 as tests/cli_crash_random_tpm2.sh). Where
# tests/cli_crash.sh stops the process right after each token write, this
# one lets it run and kills it (timeout -s KILL) after a delay drawn from
# 0 .. 1.25 times the mean wall time of the complete runs of the same
# command (the first, and each one after a kill), so
# kills also land inside module calls, during login, key generation, the
# journal recovery and the network exchange. After each kill the next run
# must leave exactly one complete set (private key, public key,
# certificate) under the label and no journal record, and the rotation
# run again must complete. A kill inside SoftHSM2's in-place rewrite of a
# file loses that file (see torn below): such trials are undone and
# counted, not judged. The delays come from bash's RANDOM seeded with
# P11CMP_CRASH_SEED (default: the time), printed so that a failure can be
# replayed; P11CMP_CRASH_TRIALS kills per command (default 20).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/token_fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/token_sets.sh"
TOOL=$top_builddir/tests/p11_tool
[ -x "$TOOL" ] || fail "not built: $TOOL"
command -v timeout > /dev/null || skip_test "no timeout(1)"

token_fixture crashr
SETS_TOKEN=crashr
[ "$TOKEN_KIND" != softhsm ] \
    || TOKEN_SIZE=$(stat -c %s "$WORK"/tokens/*/token.object)
SEED=${P11CMP_CRASH_SEED:-$(date +%s)}
TRIALS=${P11CMP_CRASH_TRIALS:-20}
echo "seed $SEED ($TOKEN_KIND, $TRIALS kills per command;" \
    "P11CMP_CRASH_SEED=$SEED replays)"
RANDOM=$SEED

now_ms() { echo $(($(date +%s%N) / 1000000)); }

printf '%s\n' "$PIN" > "$WORK/pin"
Q="?module-path=$M&pin-source=file:$WORK/pin"
crash_ca

# clean_ms ARGS...: a run of p11cmp ARGS that must succeed; the mean
# wall time of the runs since MS was cleared (RUNS=0) into MS, in ms: the
# range of the delays follows the machine's load
MS=0 RUNS=0
clean_ms() {
    t0=$(now_ms)
    expect 0 "$@"
    MS=$(((MS * RUNS + $(now_ms) - t0) / (RUNS + 1)))
    RUNS=$((RUNS + 1))
}

# torn: 0 if the kill tore a file of SoftHSM2, which rewrites a file in
# place (truncate, then write in pieces: token.object at every login, an
# object at every change), so that a kill in between loses the token
# (token.object of another size), or an object (its file empty now; an
# empty file is also SoftHSM2's next object, so only one that was not
# empty before the run counts), or leaves an object with only its first
# attributes: one without a label, or a key or certificate without a
# CKA_ID (p11cmp gives every object a label, keys and certificates an
# id). That state is the module's, not p11cmp's to repair: the trial is
# put back (the copy of the token taken before it), counted and not
# judged. tpm2-pkcs11 keeps its objects in SQLite.
torn() {
    [ "$TOKEN_KIND" = softhsm ] || return 1
    [ "$(stat -c %s "$WORK"/tokens/*/token.object)" = "$TOKEN_SIZE" ] \
        || return 0
    find "$WORK/tokens" -name '*.object' -size 0 -printf '%f\n' | sort \
        > "$WORK/empty"
    [ -z "$(comm -12 "$WORK/full" "$WORK/empty")" ] || return 0
    objects | awk '
        function check() { if (n && (lab == "" || lab == "'"''"'" \
                                     || (key && !id))) bad = 1 }
        /Object;/ || /^Data object/ { check(); n = 1; lab = ""; id = 0
                                      key = /Object;/ }
        /^ *label:/ { sub(/^ *label: */, ""); lab = $0 }
        /^ *ID:/ { id = 1 }
        END { check(); exit !bad }'
}

# kill_run MS ARGS...: p11cmp ARGS killed by SIGKILL after a random delay
# of 0 .. 1.25 * MS ms (in DELAY, microseconds). 0 if it was killed, 1 if
# it had ended (successfully: anything else fails) before, 2 if the kill
# tore a SoftHSM2 file (the token is put back as it was before the run)
kill_run() {
    range=$(($1 * 1250))
    shift
    DELAY=$(((RANDOM * 32768 + RANDOM) % range))
    if [ "$TOKEN_KIND" = softhsm ]; then
        rm -rf "$WORK/tokens.copy"
        cp -a "$WORK/tokens" "$WORK/tokens.copy"
        find "$WORK/tokens" -name '*.object' -size +0 -printf '%f\n' \
            | sort > "$WORK/full"
    fi
    set +e
    # shellcheck disable=SC2086
    timeout --foreground -s KILL "$(printf '%d.%06d' $((DELAY / 1000000)) \
        $((DELAY % 1000000)))" "$P11CMP" $CLI_ARGS "$@" \
        > "$WORK/out" 2> "$WORK/err"
    rc=$?
    set -e
    # killed: 137 (or 124: timeout(1) that killed with --foreground)
    [ $rc -eq 0 ] || [ $rc -eq 137 ] || [ $rc -eq 124 ] \
        || fail "killed after ${DELAY} us (seed $SEED): exit $rc:" \
            "$(cat "$WORK/err")"
    [ $rc -ne 0 ] || return 1
    torn || return 0
    rm -rf "$WORK/tokens"
    mv "$WORK/tokens.copy" "$WORK/tokens"
    return 2
}

# tore: ", N tore a SoftHSM2 file" (N: $tears) on SoftHSM2
tore() {
    [ "$TOKEN_KIND" != softhsm ] || echo ", $tears tore a SoftHSM2 file"
}

# trial ARGS...: kill_run ARGS counted in kills, done_before and tears;
# 0 if the trial is to be judged (not torn)
trial() {
    set +e
    kill_run "$@"
    r=$?
    set -e
    case $r in
        0) kills=$((kills + 1)) ;;
        1) done_before=$((done_before + 1)) ;;
        *) tears=$((tears + 1)) ;;
    esac
    [ $r -lt 2 ]
}

# IR -newkeygen: after the kill a run that only loads the key settles the
# token (undone: nothing under the label; committed: one set); if nothing
# is there the IR runs again
IR="-cmd ir -ref cr -secret pass:cr-secret -newkeygen EC:P-256 -subject /CN=k"
KEY="pkcs11:token=crashr;object=k;type=private"
clean_ms $IR -newkey "$KEY$Q"
set_ok "IR clean"
kills=0 undone=0 done_before=0 tears=0 all_tears=0
for t in $(seq 1 "$TRIALS"); do
    "$TOOL" delete "pkcs11:token=crashr;object=k$Q" > /dev/null
    "$TOOL" delete "pkcs11:token=crashr;object=${CA_LABEL// /%20}$Q" \
        > /dev/null
    if ! trial "$MS" $IR -newkey "$KEY$Q"; then
        clean_ms $IR -newkey "$KEY$Q" # put back without the set
        continue
    fi
    "$TOOL" sign "$KEY$Q" > /dev/null 2>&1 || true
    state k
    case $st in
        0000) undone=$((undone + 1)); clean_ms $IR -newkey "$KEY$Q" ;;
        1110) ;;
        *) fail "IR trial $t killed after $DELAY us (seed $SEED), then a" \
               "key load: label k: $st:
$LIST" ;;
    esac
    set_ok "IR trial $t killed after $DELAY us, run again"
done
echo "ok: IR -newkeygen (runs of $MS ms): $TRIALS trials, $kills" \
    "killed ($undone undone and enrolled again, $((kills - undone))" \
    "found committed), $done_before ended before the kill$(tore)"
all_tears=$tears

# kur_trials WHAT ARGS...: KUR killed at random moments; each time the
# KUR run again must succeed and leave one set under the label
kur_trials() {
    what=$1
    shift
    MS=0 RUNS=0
    clean_ms "$@"
    set_ok "$what clean"
    kills=0 done_before=0 tears=0
    for t in $(seq 1 "$TRIALS"); do
        trial "$MS" "$@" || continue
        clean_ms "$@"
        set_ok "$what trial $t killed after $DELAY us, run again"
    done
    echo "ok: $what (runs of $MS ms): $TRIALS trials, $kills killed," \
        "$done_before ended before the kill$(tore); each rotation run" \
        "again completed with one set"
    all_tears=$((all_tears + tears))
}
kur_both
# every old set kept is complete and alone under its label
olds_complete " (seed $SEED)"
tears=$all_tears
echo "ok: $olds_n old sets kept, each complete$(tore \
    | sed 's/^,/; in all,/')"
exit 0
