#!/bin/bash
# tests/pkcs11_shim.sh - process-level fault injection: p11_tool runs a key
# generation and a certificate store through the shim module with
# P11SHIM_FAIL_AT=N for every call N; each failed run must name the CKR_
# code and leave the token exactly as before (pkcs11-tool's object list),
# each run that still succeeds must have stored everything. Also: the
# private key is listed as sensitive and never extractable, and PINs come
# from pin-source file: and |command.
. "$top_srcdir/tests/fixture.sh"
TOOL=$top_builddir/tests/p11_tool
SHIM=$top_builddir/tests/shim/.libs/libp11shim.so
[ -x "$TOOL" ] || fail "not built: $TOOL"
[ -f "$SHIM" ] || fail "not built: $SHIM"
fixture_token shimsh
printf '%s\n' "$PIN" > "$WORK/pin"
Q="pin-source=file:$WORK/pin"
URI="pkcs11:token=shimsh;object=k?module-path=$SHIM&$Q"
DIRECT="pkcs11:token=shimsh;object=k?module-path=$SOFTHSM2_MODULE&$Q"

list() {
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label shimsh --login \
        --pin "$PIN" --list-objects 2>&1 | sort
}

# fault_loop WHAT EXPECT ARGS...: run p11_tool ARGS failing each call
fault_loop() {
    what=$1 expect=$2
    shift 2
    P11SHIM_REPORT=$WORK/count "$TOOL" "$@" || fail "$what: clean run"
    total=$(sed -n 's/^calls //p' "$WORK/count")
    [ "$("$TOOL" delete "$DIRECT")" = "deleted $expect" ] \
        || fail "$what: clean run did not store $expect objects"
    before=$(list)
    failed=0 harmless=0 n=1
    while [ $n -le "$total" ]; do
        if P11SHIM_FAIL_AT=$n P11SHIM_FAIL_RV=CKR_GENERAL_ERROR \
            "$TOOL" "$@" 2> "$WORK/err"; then
            [ "$("$TOOL" delete "$DIRECT")" = "deleted $expect" ] \
                || fail "$what: call $n: succeeded but stored partly"
            harmless=$((harmless + 1))
        else
            grep -q 'CKR_GENERAL_ERROR' "$WORK/err" \
                || fail "$what: call $n: CKR not named: $(cat "$WORK/err")"
            failed=$((failed + 1))
        fi
        [ "$(list)" = "$before" ] \
            || fail "$what: call $n of $total left the token changed"
        n=$((n + 1))
    done
    echo "$what: $total calls, $failed failed cleanly, $harmless harmless"
    [ $failed -gt $((total / 2)) ] || fail "$what: too few failures"
}

fault_loop keygen 2 keygen "$URI" EC:P-256
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/c.key" -out "$WORK/c.pem" -subj /CN=c -days 1 \
    2>/dev/null || fail "openssl req"
fault_loop store 1 store "$URI" "$WORK/c.pem"

# what an independent reader sees of a generated key
"$TOOL" keygen "$DIRECT" RSA:2048 || fail "keygen"
list | grep -q 'Access: *sensitive, always sensitive, never extractable' \
    || fail "private key not listed as sensitive/never extractable"
# a PIN from a command named in the URI (|cat FILE, percent-encoded)
"$TOOL" sign "pkcs11:token=shimsh;object=k?module-path=$SOFTHSM2_MODULE&pin-source=%7Ccat%20$WORK/pin" \
    || fail "sign with pin-source=|command"
# a wrong PIN is named, and not shown
printf '9999\n' > "$WORK/badpin"
if "$TOOL" sign "pkcs11:token=shimsh;object=k?module-path=$SOFTHSM2_MODULE&pin-source=file:$WORK/badpin" \
    2> "$WORK/err"; then
    fail "wrong PIN accepted"
fi
grep -q 'C_Login: CKR_PIN_INCORRECT' "$WORK/err" || fail "CKR not named"
! grep -q 9999 "$WORK/err" || fail "PIN shown in the error"
exit 0
