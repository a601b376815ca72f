#!/bin/bash
# tests/fuzz/seeds.sh - seed corpora for the fuzz targets from real
# messages: p11cmp(1) runs IR, CR, P10CR, KUR, RR and GENM (also with
# polling, caPubs and a rejection) against the test CA on 127.0.0.1 with
# the key of tests/fuzz/fuzz.c, and the requests and responses become
# OUT/{der,response,session,parse}/ files in each target's input format.
#   seeds.sh SRC BUILD OUT
set -eu
SRC=$1
BUILD=$2
OUT=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/p11cmp-seeds.XXXXXX")
CA_PID=
cleanup() {
    [ -z "$CA_PID" ] || { kill "$CA_PID" 2>/dev/null; wait "$CA_PID" || true; }
    rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$OUT/der" "$OUT/response" "$OUT/session" "$OUT/parse"
# the key fuzz.c embeds, so that issued certificates are for it
sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' "$SRC/tests/fuzz/fuzz.c" \
    | sed 's/^ *"//; s/\\n"[;]*$//' > "$TMP/key.pem"
openssl pkey -in "$TMP/key.pem" -noout || { echo "no key in fuzz.c"; exit 1; }

ca_start() {
    [ -z "$CA_PID" ] || { kill "$CA_PID"; wait "$CA_PID" || true; }
    "$BUILD/tests/testca/testca" --port 0 --ref fuzzref \
        --secret pass:fuzz-secret --timeout 60 "$@" > "$TMP/ca.out" \
        2> "$TMP/ca.err" &
    CA_PID=$!
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^LISTENING 127\.0\.0\.1 //p' "$TMP/ca.out")
        [ -n "$PORT" ] && return 0
        sleep 0.1
    done
    echo "test CA did not start"; exit 1
}
n=0
# run NAME CMDBYTE ARGS...: one p11cmp session, its messages saved
run() {
    name=$1
    byte=$2
    shift 2
    rm -f "$TMP"/req* "$TMP"/rsp*
    "$BUILD/p11cmp" -server "127.0.0.1:$PORT" -ref fuzzref \
        -secret pass:fuzz-secret -reqout "$TMP/req1,$TMP/req2,$TMP/req3" \
        -rspout "$TMP/rsp1,$TMP/rsp2,$TMP/rsp3" "$@" > /dev/null 2>&1 || true
    [ -s "$TMP/rsp1" ] || { echo "seed $name: no response"; exit 1; }
    printf "\\x$(printf %02x "$byte")" > "$OUT/session/$name"
    for f in "$TMP"/req? "$TMP"/rsp?; do
        [ -s "$f" ] || continue
        n=$((n + 1))
        cp "$f" "$OUT/der/$name-$(basename "$f")"
        { printf '\0'; cat "$f"; } > "$OUT/parse/$name-$(basename "$f")"
    done
    cp "$TMP/rsp1" "$OUT/response/$name"
    for f in "$TMP"/rsp?; do
        [ -s "$f" ] || continue
        len=$(stat -c %s "$f")
        printf "\\x$(printf %02x $((len >> 8)))\\x$(printf %02x $((len & 255)))" \
            >> "$OUT/session/$name"
        cat "$f" >> "$OUT/session/$name"
    done
}
# (ir, cr and kur of a key file need a -certout, as in openssl cmp)
K="-newkey $TMP/key.pem -subject /CN=fuzz -certout $TMP/new.pem"
openssl req -new -key "$TMP/key.pem" -subj /CN=fuzz -out "$TMP/csr.pem"
ca_start --send-capubs
run ir 8 -cmd ir $K -certout "$TMP/cert.pem"
run ir-implicit 24 -cmd ir $K -implicit_confirm
run cr 9 -cmd cr $K
run p10cr 10 -cmd p10cr -csr "$TMP/csr.pem"
run kur 11 -cmd kur $K -oldcert "$TMP/cert.pem"
run rr 12 -cmd rr -oldcert "$TMP/cert.pem"
run rr-again 12 -cmd rr -oldcert "$TMP/cert.pem"
run genm 13 -cmd genm -infotype signKeyPairTypes
ca_start --poll 1 --check-after 0
run ir-poll 8 -cmd ir $K
ca_start --reject badPOP
run ir-reject 8 -cmd ir $K
echo "seeds: $n messages from 10 sessions in $OUT"
