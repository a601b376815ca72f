#!/bin/bash
# tests/cli_genm_crash.sh - a root CA update onto a SoftHSM2 token
# (-newwithnew on the label "root" that holds the old root, -newwithold
# and -oldwithnew on their own labels) killed with SIGKILL after each of its
# token writes (the shim module, P11SHIM_KILL_AFTER_WRITE=N, for every N of
# a clean run). After each kill, the next process that opens the token
# settles the journal, and the token then holds the old state (the old
# root alone under "root", nothing under the other labels) or the new one
# (newWithNew, newWithOld, oldWithNew), never a mix, and no journal
# record; the update run again completes. Runs on OpenSSL 3.0 and 3.5
# against the test CA.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
. "$top_srcdir/tests/genm_token.sh"
. "$top_srcdir/tests/shim_kill.sh"
cd "$WORK"

genm_pki "old root" "new root"
genm_token_setup crashroot
genm_ca --rsp-newwithnew new.pem --rsp-newwithold nwo.pem \
    --rsp-oldwithnew own.pem --timeout 600
openssl x509 -in old.pem -outform DER -out old.der
# through the shim: the outputs and -oldwithold
suri() {
    echo "pkcs11:token=$GT;object=$1?module-path=$SHIM&pin-source=file:$WORK/pin"
}
# reset: the old root alone under "root", the other labels empty
reset() {
    for l in root nwo own; do
        "$TOOL" delete "$(out_uri "$l")" > /dev/null || fail "delete $l"
    done
    pkcs11-tool --module "$TM" --token-label "$GT" --login --pin "$PIN" \
        --write-object old.der --type cert --label root --id 01 \
        > /dev/null 2>&1 || fail "pkcs11-tool --write-object"
}
OLDSTATE="$(fps old.pem)|||"
NEWSTATE="$(fps new.pem)|$(fps nwo.pem)|$(fps own.pem)|"
# state: the fingerprints under the labels, and the journal records
state() {
    recs=$(pkcs11-tool --module "$TM" --token-label "$GT" --login \
        --pin "$PIN" --list-objects --type data 2> /dev/null \
        | grep -c "p11cmp journal" || true)
    [ "$recs" != 0 ] || recs=
    echo "$(tok_fps root any)|$(tok_fps nwo)|$(tok_fps own)|$recs"
}

reset
# -oldwithold is the file: after a committed kill the token has the new
# root under "root" already, and the update is run again
UPD="-infotype rootCaCert -oldwithold old.pem -newwithnew $(suri root)
     -newwithold $(suri nwo) -oldwithnew $(suri own)"
# shellcheck disable=SC2086
P11SHIM_REPORT=$WORK/report expect 0 $UPD
[ "$(state)" = "$NEWSTATE" ] || fail "clean run: $(state)"
total=$(sed -n 's/^writes //p' report)
[ "$total" -ge 6 ] || fail "only $total token writes"
kills=0 undone=0
for w in $(seq 1 "$total"); do
    reset
    run_killed "$w" $UPD || fail "write $w not reached"
    kills=$((kills + 1))
    # a process that opens the token read-write settles the journal
    "$TOOL" delete "$(out_uri none)" > /dev/null || fail "settling"
    st=$(state)
    if [ "$st" = "$OLDSTATE" ]; then
        undone=$((undone + 1))
    elif [ "$st" != "$NEWSTATE" ]; then
        fail "killed after write $w: neither old nor new: $st"
    fi
    # shellcheck disable=SC2086
    expect 0 $UPD
    [ "$(state)" = "$NEWSTATE" ] || fail "run again after kill $w: $(state)"
done
testca_stop
echo "ok: root CA update: $kills kills (after each of $total token" \
    "writes), $undone found undone, $((kills - undone)) committed; each" \
    "run again completed"
