#!/bin/bash
# scripts/demo.sh - README command 1, the main job: install what is
# missing, build, make a SoftHSM2 token in $P11CMP_DEMO_DIR (default
# ./demo-run), start the test CA on 127.0.0.1, then with p11cmp alone:
# generate a key pair ON the token and enroll it (IR, -newkeygen), the
# certificate stored beside the key; ask whether a renewal is due
# (-renew_within, not yet); renew it (KUR with a new key generated on the
# token), which replaces the old key and certificate on the token. The
# token is listed after each step, and each result is checked (the
# certificate on the token is the one issued, for the key on the token).
# The CA is stopped on every exit. A step that fails is reported, never
# faked.
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
    --secret "file:$DEMO/pbm.secret" --cacertout "$DEMO/ca.pem" \
    --timeout 300 \
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

# token_cert OUT: the certificate labelled demo-key on the token, as PEM
token_cert() {
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$LABEL" \
        --read-object --type cert --label demo-key -o "$1.der" \
        >/dev/null 2>&1 \
        && openssl x509 -inform DER -in "$1.der" -out "$1" && rm -f "$1.der"
}
# token_pub OUT: the public key labelled demo-key on the token, as PEM
token_pub() {
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$LABEL" \
        --read-object --type pubkey --label demo-key -o "$1.der" \
        >/dev/null 2>&1 \
        && openssl pkey -pubin -inform DER -in "$1.der" -out "$1" \
        && rm -f "$1.der"
}
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
# listing WHEN: what the token holds, saved as objects-WHEN.txt
listing() {
    step "objects on the token $1"
    GNUTLS_PIN=$(cat "$DEMO/user.pin") p11tool --provider "$SOFTHSM2_MODULE" \
        --login --list-all "$TOKEN" 2>/dev/null | tee "$DEMO/objects-$2.txt"
    [ -s "$DEMO/objects-$2.txt" ] || echo "(no objects)"
}
# check_pair CERT WHAT: the token holds one key pair and one certificate
# labelled demo-key, and that certificate is CERT, for that key
check_pair() {
    n=$(grep -c 'object=demo-key;type=cert' "$DEMO/objects-$2.txt")
    [ "$n" -eq 1 ] || die "$2: $n certificates labelled demo-key"
    n=$(grep -c 'object=demo-key;type=private' "$DEMO/objects-$2.txt")
    [ "$n" -eq 1 ] || die "$2: $n private keys labelled demo-key"
    token_cert "$DEMO/token-$2.crt" || die "$2: cannot read the token's cert"
    cmp -s <(openssl x509 -in "$1" -outform DER) \
        <(openssl x509 -in "$DEMO/token-$2.crt" -outform DER) \
        || die "$2: the certificate on the token is not the one issued"
    token_pub "$DEMO/token-$2.pub" || die "$2: cannot read the token's key"
    [ "$(openssl x509 -in "$1" -noout -pubkey)" \
        = "$(cat "$DEMO/token-$2.pub")" ] \
        || die "$2: the certificate is not for the key on the token"
    echo "checked: the token holds $1 (serial $(serial "$1")) beside its key"
}

KEY="$TOKEN;object=demo-key;type=private?$PINQ"
CERT="$TOKEN;object=demo-key;type=cert?$PINQ"
SRV="-server 127.0.0.1:$PORT -path pkix/"
listing "before enrollment (empty)" empty

step "p11cmp: key pair generated ON the token (-newkeygen EC:P-256) and" \
    "enrolled (IR, PBM-protected); the certificate is stored beside it"
"$BUILD/p11cmp" -cmd ir $SRV -ref demo -secret "file:$DEMO/pbm.secret" \
    -newkey "$KEY" -newkeygen EC:P-256 -subject "/CN=p11cmp demo" -days 30 \
    -certout "$DEMO/demo.crt" \
    || die "enrollment failed (exit $?, see the error above and EXIT STATUS" \
        "in p11cmp(1))"
listing "after enrollment" ir
check_pair "$DEMO/demo.crt" ir

step "p11cmp: renewal due within 10 days? (-renew_within 10)"
"$BUILD/p11cmp" -cmd kur $SRV -key "$KEY" -cert "$CERT" \
    -trusted "$DEMO/ca.pem" -newkey "$KEY" -newkeygen EC:P-256 \
    -renew_within 10 -certout "$DEMO/demo-renewed.crt" \
    | tee "$DEMO/not-due.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] && grep -q '^not due: ' "$DEMO/not-due.txt" \
    || die "-renew_within 10 did not say 'not due'"

step "p11cmp: renewal (KUR signed by the old key on the token, new key" \
    "pair generated ON the token; -renew_within 60: the 30-day cert is due)"
"$BUILD/p11cmp" -cmd kur $SRV -key "$KEY" -cert "$CERT" \
    -trusted "$DEMO/ca.pem" -newkey "$KEY" -newkeygen EC:P-256 \
    -renew_within 60 -certout "$DEMO/demo-renewed.crt" \
    || die "renewal failed (exit $?, see the error above)"
listing "after renewal" kur
check_pair "$DEMO/demo-renewed.crt" kur
[ "$(serial "$DEMO/demo.crt")" != "$(serial "$DEMO/demo-renewed.crt")" ] \
    || die "the renewed certificate has the old serial"
cmp -s "$DEMO/token-ir.pub" "$DEMO/token-kur.pub" \
    && die "the renewal kept the old key"
echo "rotated: the old key and certificate are gone, the new ones are on" \
    "the token"
stop_ca
echo "demo complete: key pair generated on the token, enrolled, renewed;" \
    "certificates in $DEMO/demo.crt and $DEMO/demo-renewed.crt"
