#!/bin/bash
# scripts/demo.sh - README command 1, the main job: install what is
# missing, build, make a SoftHSM2 token in $P11CMP_DEMO_DIR (default
# ./demo-run), start the test CA on 127.0.0.1, generate a key pair ON the
# token, enroll it (IR) with p11cmp, store the certificate on the token and
# list what the token holds. The CA is stopped on every exit. A step that
# p11cmp cannot do yet is reported as missing, never faked.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/scripts/lib.sh"
DEMO=${P11CMP_DEMO_DIR:-./demo-run}
LABEL=p11cmp-demo
CA_PID=

step() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }
stop_ca() {
    [ -n "$CA_PID" ] && kill "$CA_PID" 2>/dev/null && wait "$CA_PID" 2>/dev/null
    CA_PID=
}
trap stop_ca EXIT
trap 'exit 1' INT TERM HUP

step "installing missing Debian packages, building"
install_deps || die "package installation failed"
build_tree "${P11CMP_BUILD_DIR:-$SRC/build}" || die "build failed"
make -s -C "$BUILD" tests/testca/testca >/dev/null 2>&1 \
    || die "building the test CA failed"
: "${SOFTHSM2_MODULE:=$(sed -n 's/^SOFTHSM2_MODULE = //p' "$BUILD/Makefile")}"
[ -f "$SOFTHSM2_MODULE" ] || die "SoftHSM2 module not found"

step "SoftHSM2 token '$LABEL' in $DEMO"
mkdir -p "$DEMO"
DEMO=$(cd "$DEMO" && pwd)
rm -rf "$DEMO/tokens"
mkdir -p "$DEMO/tokens"
umask 077
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' \
    "$DEMO/tokens" > "$DEMO/softhsm2.conf"
export SOFTHSM2_CONF=$DEMO/softhsm2.conf
# A throwaway demo token: its PINs are random and kept in files.
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' > "$DEMO/user.pin"
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' > "$DEMO/so.pin"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$DEMO/pbm.secret"
softhsm2-util --init-token --free --label "$LABEL" \
    --pin "$(cat "$DEMO/user.pin")" --so-pin "$(cat "$DEMO/so.pin")" \
    >/dev/null || die "token initialisation failed"
TOKEN="pkcs11:token=$LABEL"
PINQ="module-path=$SOFTHSM2_MODULE&pin-source=file:$DEMO/user.pin"

step "test CA on 127.0.0.1 (PBM reference 'demo')"
"$BUILD/tests/testca/testca" --port 0 --ref demo \
    --secret "file:$DEMO/pbm.secret" --timeout 300 \
    > "$DEMO/testca.out" 2> "$DEMO/testca.err" &
CA_PID=$!
PORT=
for _ in $(seq 100); do
    PORT=$(sed -n 's/^LISTENING 127\.0\.0\.1 \([0-9]*\)$/\1/p' "$DEMO/testca.out")
    [ -n "$PORT" ] && break
    kill -0 "$CA_PID" 2>/dev/null || die "test CA exited: $(cat "$DEMO/testca.err")"
    sleep 0.1
done
[ -n "$PORT" ] || die "test CA did not start within 10 s"
echo "listening on 127.0.0.1:$PORT"

step "key pair generated on the token (EC P-256, label demo-key)"
GNUTLS_PIN=$(cat "$DEMO/user.pin") p11tool --provider "$SOFTHSM2_MODULE" \
    --login --generate-privkey=ECDSA --curve=secp256r1 --label=demo-key \
    --outfile "$DEMO/demo-key.pub" "$TOKEN" >/dev/null \
    || die "key generation on the token failed"

step "enrollment (IR) with p11cmp, PBM-protected"
KEY="$TOKEN;object=demo-key;type=private?$PINQ"
"$BUILD/p11cmp" -cmd ir -server "127.0.0.1:$PORT" -path pkix/ \
    -ref demo -secret "file:$DEMO/pbm.secret" -newkey "$KEY" \
    -subject "/CN=p11cmp demo" -days 30 -certout "$DEMO/demo.crt"
rc=$?
if [ $rc -ne 0 ]; then
    echo "MISSING: p11cmp could not enroll (exit $rc, see the error above" \
         "and EXIT STATUS in p11cmp(1)), so no certificate was issued or" \
         "stored."
fi

step "objects on the token"
GNUTLS_PIN=$(cat "$DEMO/user.pin") p11tool --provider "$SOFTHSM2_MODULE" \
    --login --list-all "$TOKEN" | tee "$DEMO/objects.txt"
stop_ca
if [ $rc -eq 0 ] && ! grep -q 'object=demo-key;type=cert' "$DEMO/objects.txt"
then
    echo "MISSING: p11cmp enrolled, but the certificate is not on the token"
    rc=3
fi
if [ $rc -ne 0 ]; then
    echo "demo incomplete: enrollment or storing is missing (see above)"
    exit 2
fi
echo "demo complete: the certificate is on the token and in $DEMO/demo.crt"
