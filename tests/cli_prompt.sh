#!/bin/bash
# tests/cli_prompt.sh - the interactive PIN prompt of p11cmp(1): with no
# PIN source and a terminal, p11cmp asks for the token PIN on the
# terminal (without echoing it) and the enrollment works; with -batch, or
# without a terminal, it never prompts, fails with exit code 6 (token or
# PIN error) and says why, and the token is left as it was.
# The terminal is a pseudo-terminal made by python3's pty module, which
# types the PIN only once the prompt has appeared (so the line discipline
# cannot echo it before p11cmp turns echo off).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
M=$SOFTHSM2_MODULE
unset P11CMP_PIN

command -v python3 > /dev/null || skip_test "no python3"
# a machine (or chroot) without /dev/pts has no terminal to test with
python3 -c 'import os, pty; [os.close(f) for f in pty.openpty()]' \
    2> /dev/null || skip_test "no pseudo-terminal available (/dev/pts)"

# on_pty ARGS...: runs p11cmp ARGS on a new pseudo-terminal (stdin,
# stdout and stderr, and /dev/tty); answers each "PIN for token" prompt
# (at most 3, within 60 s) with $PIN; all it printed goes to $WORK/tty,
# the number of prompts to $WORK/prompts; returns p11cmp's exit code
on_pty() {
    set +e
    python3 - "$PIN" "$WORK/tty" "$WORK/prompts" "$P11CMP" "$@" <<'PY'
import os, pty, select, sys, time
pin, out, prompts, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
buf, seen, deadline = b"", 0, time.monotonic() + 60
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    buf += data
    if buf.count(b"PIN for token") > seen and seen < 3:
        seen += 1
        time.sleep(0.2)
        os.write(fd, pin.encode() + b"\n")
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
open(out, "wb").write(buf)
open(prompts, "w").write("%d\n" % seen)
sys.exit(os.waitstatus_to_exitcode(status))
PY
    got=$?
    set -e
    return $got
}
objects() {
    pkcs11-tool --module "$M" --token-label cliprompt --login --pin "$PIN" \
        --list-objects 2>/dev/null | grep 'Object;' | sort || true
}
# unchanged: the token holds what it held before (in $WORK/before)
unchanged() {
    objects > "$WORK/now"
    cmp -s "$WORK/before" "$WORK/now" \
        || fail "$1: token changed: $(cat "$WORK/now")"
}

# a PIN that no serial number or date in the output can contain
PIN=pin-Secret_42
fixture_token cliprompt
testca_start --ref pr --secret pass:pr-secret --cacertout "$WORK/ca.pem"
SRV="-server 127.0.0.1:$TESTCA_PORT -path pkix/ -ref pr -secret pass:pr-secret"
NEW="pkcs11:token=cliprompt;object=host;type=private?module-path=$M"
IR="-cmd ir $SRV -newkey $NEW -newkeygen EC:P-256 -subject /CN=host.example"
objects > "$WORK/before"

# -batch on a terminal: no prompt, exit 6, the reason, token unchanged
# shellcheck disable=SC2086
on_pty $IR -batch || rc=$?
[ "${rc:-0}" -eq 6 ] || fail "-batch: exit ${rc:-0}, not 6: $(cat "$WORK/tty")"
grep -q 'PIN for token' "$WORK/tty" && fail "-batch prompted"
grep -q 'PIN unavailable' "$WORK/tty" \
    || fail "-batch: no 'PIN unavailable': $(cat "$WORK/tty")"
grep -q 'no pin-value, pin-source, \$P11CMP_PIN or terminal' "$WORK/tty" \
    || fail "-batch: reason not named: $(cat "$WORK/tty")"
unchanged "-batch"

# no terminal (stdin from /dev/null, no controlling tty): the same
# shellcheck disable=SC2086
expect 6 $IR < /dev/null
has err 'PIN unavailable'
has err 'no pin-value, pin-source, \$P11CMP_PIN or terminal'
grep -q 'PIN for token' "$WORK/out" "$WORK/err" && fail "prompted w/o tty"
unchanged "no tty"

# a wrong PIN typed at the prompt: exit 6, login failed, token unchanged
GOOD=$PIN
PIN=wrong-Pin_99
rc=0
# shellcheck disable=SC2086
on_pty $IR || rc=$?
PIN=$GOOD
[ "$rc" -eq 6 ] || fail "wrong PIN: exit $rc, not 6: $(cat "$WORK/tty")"
grep -q 'token login failed' "$WORK/tty" \
    || fail "wrong PIN: no 'token login failed': $(cat "$WORK/tty")"
grep -q 'CKR_PIN_INCORRECT' "$WORK/tty" \
    || fail "wrong PIN: CKR_PIN_INCORRECT not named: $(cat "$WORK/tty")"
[ "$(cat "$WORK/prompts")" -eq 1 ] || fail "wrong PIN: asked again"
grep -q wrong-Pin_99 "$WORK/tty" && fail "wrong PIN echoed"
unchanged "wrong PIN"

# on a terminal without a PIN source: one prompt naming the token, the PIN
# never shown, the key generated and the certificate stored on the token
rc=0
# shellcheck disable=SC2086
on_pty $IR -certout "$WORK/host.pem" || rc=$?
[ "$rc" -eq 0 ] || fail "prompted IR: exit $rc: $(cat "$WORK/tty")"
grep -q 'PIN for token cliprompt: ' "$WORK/tty" \
    || fail "no prompt: $(cat "$WORK/tty")"
[ "$(cat "$WORK/prompts")" -eq 1 ] \
    || fail "$(cat "$WORK/prompts") prompts, not 1: $(cat "$WORK/tty")"
grep -q "$PIN" "$WORK/tty" && fail "the PIN appeared: $(cat "$WORK/tty")"
grep -q '^enrolled: subject=/CN=host.example serial=' "$WORK/tty" \
    || fail "not enrolled: $(cat "$WORK/tty")"
objects > "$WORK/now"
for t in 'Private Key' 'Public Key' 'Certificate'; do
    [ "$(grep -c "^$t Object;" "$WORK/now")" -eq 1 ] \
        || fail "after IR: not one $t: $(cat "$WORK/now")"
done
pkcs11-tool --module "$M" --token-label cliprompt --read-object \
    --type cert --label host -o "$WORK/tok.der" > /dev/null 2>&1 \
    || fail "reading the stored certificate"
[ "$(openssl x509 -inform DER -in "$WORK/tok.der" -noout -fingerprint)" \
    = "$(openssl x509 -in "$WORK/host.pem" -noout -fingerprint)" ] \
    || fail "stored certificate is not the enrolled one"
echo "PASS: cli_prompt ($n direct runs + 3 on a terminal)"
