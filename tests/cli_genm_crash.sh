#!/bin/bash
# tests/cli_genm_crash.sh - genm outputs onto a SoftHSM2 token killed
# with SIGKILL after each of their token writes (the shim module,
# P11SHIM_KILL_AFTER_WRITE=N, for every N of a clean run): a root CA
# update (-newwithnew on the label "root" that holds the old root,
# -newwithold and -oldwithnew on their own labels) and a CRL update
# (-crlout on the label of the older CRL). After each kill the next
# process that opens the token settles the journal, and the token then
# holds the old state (the old root alone under "root", nothing under
# the other labels; the old CRL) or the new one (newWithNew, newWithOld,
# oldWithNew; the new CRL), never a mix, and no journal record; the
# update run again completes. Runs on OpenSSL 3.0 and 3.5 against the
# test CA.
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
# recs: the number of journal records on the token, empty for none
recs() {
    r=$(pkcs11-tool --module "$TM" --token-label "$GT" --login \
        --pin "$PIN" --list-objects --type data 2> /dev/null \
        | grep -c "p11cmp journal" || true)
    [ "$r" != 0 ] || r=
    echo "$r"
}
# root_state: the fingerprints under the labels, and the journal records
root_state() {
    echo "$(tok_fps root any)|$(tok_fps nwo)|$(tok_fps own)|$(recs)"
}

# trials WHAT RESET STATE OLD NEW ARGS...: after RESET a clean run of
# ARGS leaves the state NEW (STATE prints it); then for each of its token
# writes N: RESET, ARGS killed after write N, the journal settled by
# another process; the state must be OLD or NEW, and ARGS run again NEW
trials() {
    what=$1 reset_fn=$2 state_fn=$3 old=$4 new=$5
    shift 5
    $reset_fn
    P11SHIM_REPORT=$WORK/report expect 0 "$@"
    [ "$($state_fn)" = "$new" ] || fail "$what: clean run: $($state_fn)"
    total=$(sed -n 's/^writes //p' report)
    [ "$total" -ge 3 ] || fail "$what: only $total token writes"
    kills=0 undone=0
    for w in $(seq 1 "$total"); do
        $reset_fn
        run_killed "$w" "$@" || fail "$what: write $w not reached"
        kills=$((kills + 1))
        "$TOOL" delete "$(out_uri none)" > /dev/null || fail "settling"
        st=$($state_fn)
        if [ "$st" = "$old" ]; then
            undone=$((undone + 1))
        elif [ "$st" != "$new" ]; then
            fail "$what: killed after write $w: neither old nor new: $st"
        fi
        expect 0 "$@"
        [ "$($state_fn)" = "$new" ] \
            || fail "$what: run again after kill $w: $($state_fn)"
    done
    echo "ok: $what: $kills kills (after each of $total token writes)," \
        "$undone found undone, $((kills - undone)) committed; each run" \
        "again completed"
}

# -oldwithold is the file: after a committed kill the token has the new
# root under "root" already, and the update is run again
trials "root CA update" reset root_state "$(fps old.pem)|||" \
    "$(fps new.pem)|$(fps nwo.pem)|$(fps own.pem)|" \
    -infotype rootCaCert -oldwithold old.pem -newwithnew "$(suri root)" \
    -newwithold "$(suri nwo)" -oldwithnew "$(suri own)"

# a CRL update: crl.der under "crl" (written by pkcs11-tool) replaced by
# the newer crl2.der the CA serves
openssl ca -config ca.cnf -gencrl -keyfile old.key -cert old.pem \
    -out crl2.pem 2> /dev/null || fail "CRL 2"
openssl crl -in crl2.pem -outform DER -out crl2.der
genm_ca --rsp-crl crl2.pem --timeout 600
crl_reset() {
    for _ in 1 2 3 4; do  # one object a call; a bounded loop
        pkcs11-tool --module "$TM" --token-label "$GT" --login \
            --pin "$PIN" --delete-object --type data --label crl \
            > /dev/null 2>&1 || break
    done
    pkcs11-tool --module "$TM" --token-label "$GT" --login --pin "$PIN" \
        --write-object crl.der --type data --label crl \
        --application-label "p11cmp crl" > /dev/null 2>&1 \
        || fail "pkcs11-tool --write-object crl"
}
crl_state() {
    c=$(tok_ncrl crl)
    if [ "$c" = 1 ]; then
        tok_crl crl got.crl
        c=$(sha256sum < got.crl | cut -c1-16)
    fi
    echo "$c|$(recs)"
}
trials "CRL update" crl_reset crl_state \
    "$(sha256sum < crl.der | cut -c1-16)|" \
    "$(sha256sum < crl2.der | cut -c1-16)|" \
    -infotype crlStatusList -crlcert ee.pem -crlout "$(suri crl)"
testca_stop
