#!/bin/bash
# tests/cli_ckg_crash.sh - p11cmp(1) killed with SIGKILL in the middle of
# central key generation onto a token (-centralkeygen -newkey pkcs11:...,
# against OpenSSL 3.5's mock server): the shim module kills the process
# right after its Nth call that changes the token (P11SHIM_KILL_AFTER_WRITE
# =N), for every N of a clean run. After each kill the next run that
# opens the token settles what the dead one left (the journal): the token
# then has nothing or exactly one complete set (private key, public key,
# certificate) under the label and no journal record; if nothing, the
# enrollment runs again and completes. The mock server listens on all
# interfaces, so the test runs in a private network namespace. Skipped
# where openssl cmp has no central key generation (OpenSSL 3.0: Debian
# 12; check_pkcs11 import_key kills a process after an import there).
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/shim_kill.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
. "$top_srcdir/tests/ckg_pki.sh"
need_cmp_option -rsp_key \
    "central key generation (-rsp_key: needs 3.5)"
M=$SOFTHSM2_MODULE
cd "$WORK"
ckg_pki

# "CERTS PRIVATE PUBLIC RECORDS" under label k (records: data objects)
state() {
    LIST=$(pkcs11-tool --module "$M" --token-label crash --login \
        --pin "$PIN" --list-objects 2>/dev/null)
    for t in Certificate 'Private Key' 'Public Key'; do
        echo "$LIST" | awk -v t="$t" '
            /Object;/ { cur = index($0, t " Object") == 1 }
            /label:/ { sub(/^ *label: */, ""); if (cur && $0 == "k") n++ }
            END { printf "%d", n + 0 }'
    done
    echo "$LIST" | grep -c '^Data object' || true
}
check() {
    st=$(state)
    case " $2 " in
        *" $st "*) ;;
        *) fail "$1: $st (cert, private, public, journal records):
$LIST" ;;
    esac
}
writes() { sed -n 's/^writes //p' "$WORK/report"; }

fixture_token crash
printf '%s\n' "$PIN" > "$WORK/pin"
Q="?module-path=$SHIM&pin-source=file:$WORK/pin"
DQ="?module-path=$M&pin-source=file:$WORK/pin"
KEY="pkcs11:token=crash;object=k"
MOCK_PORT=1705
MOCK_ARGS="-max_msgs 200"
mock_start -srv_cert kga.pem -srv_key kga.key -srv_trusted root.pem \
    -rsp_cert ee.pem -rsp_key ee.key
CLI_ARGS="-server 127.0.0.1:$MOCK_PORT -trusted root.pem -msg_timeout 20"
IR="-cmd ir -cert rsa.pem -key rsa.key -subject /CN=ee -centralkeygen"

P11SHIM_REPORT=$WORK/report expect 0 $IR -newkey "$KEY$Q"
total=$(writes)
[ "$total" -ge 3 ] || fail "only $total token writes"
check "clean run" 1110
kills=0 undone=0
for w in $(seq 1 "$total"); do
    "$TOOL" delete "$KEY$DQ" > /dev/null
    check "before trial $w" 0000
    run_killed "$w" $IR -newkey "$KEY$Q" || fail "write $w not reached"
    kills=$((kills + 1))
    # a run that opens the token logged in settles it
    "$TOOL" sign "pkcs11:token=crash;object=none$DQ" > /dev/null 2>&1 || true
    check "killed after write $w, then a token open" "0000 1110"
    if [ "$st" = 0000 ]; then
        undone=$((undone + 1))
        expect 0 $IR -newkey "$KEY$Q"
    fi
    check "killed after write $w, run again" 1110
done
mock_stop
echo "ok: central key onto the token: $kills kills (after each of" \
    "$total token writes), $undone undone and enrolled again," \
    "$((kills - undone)) found committed"
