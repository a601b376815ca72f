#!/bin/bash
# tests/cli_batch.sh - the RA batch mode of p11cmp(1): -cmd p10cr
# -batch_in DIR|LIST with -workers threads, each with its own context and
# session on ONE SoftHSM2 token holding the RA key, against the test CA
# serving each connection in its own process (--fork). Success with 3
# workers (every certificate next to its CSR, for that CSR's key and
# subject, verifying under the CA), a list file with -batch_out, partial
# failure (exit code, NAME.err, the rest enrolled), a rerun that skips what
# is done, SIGINT during a transaction (exit by the signal, finished
# certificates kept, no partial files, the rerun completes), CR entries
# (subject + public key) with POPO raVerified, usage errors,
# and helgrind (valgrind) clean on a 2-worker batch where valgrind exists.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
M=$SOFTHSM2_MODULE

fixture_token rabatch
printf '%s\n' "$PIN" > "$WORK/pin"
Q="?module-path=$M&pin-source=file:$WORK/pin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" -subj /CN=batch-ca \
    -days 2 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null \
    || fail "CA key and cert"
ca() {
    testca_stop
    testca_start --ref ra --secret pass:ra-secret --cakey "$WORK/ca.key" \
        --cacert "$WORK/ca.pem" --fork --timeout 300 "$@"
    SRV="-server 127.0.0.1:$TESTCA_PORT -path pkix/"
}
ca
expect 0 -cmd ir $SRV -ref ra -secret pass:ra-secret \
    -newkey "pkcs11:token=rabatch;object=ra;type=private$Q" \
    -newkeygen EC:P-256 -subject /CN=RA -batch
RA="-key pkcs11:token=rabatch;object=ra;type=private$Q \
-cert pkcs11:token=rabatch;object=ra;type=cert$Q -trusted $WORK/ca.pem -batch"

# csrs DIR N: N device keys and CSRs DIR/devI.csr (CN=devI)
csrs() {
    mkdir -p "$1"
    for i in $(seq "$2"); do
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
            -nodes -keyout "$1/dev$i.key" -subj "/CN=dev$i" \
            -out "$1/dev$i.csr" 2>/dev/null || fail "CSR $i"
    done
}
# issued DIR I [OUTDIR]: OUTDIR/devI.crt is for devI's key and CN, by the CA
issued() {
    crt=${3:-$1}/dev$2.crt
    [ -s "$crt" ] || fail "no $crt"
    [ "$(openssl x509 -in "$crt" -noout -pubkey)" \
        = "$(openssl pkey -in "$1/dev$2.key" -pubout)" ] \
        || fail "$crt is not for dev$2.key"
    [ "$(openssl x509 -in "$crt" -noout -subject -nameopt RFC2253)" \
        = "subject=CN=dev$2" ] || fail "$crt subject"
    openssl verify -CAfile "$WORK/ca.pem" "$crt" > /dev/null \
        || fail "$crt does not verify"
}
count() { find "$1" -name "$2" | wc -l; }

# usage errors
expect 2 -cmd ir $SRV $RA -batch_in "$WORK" -newkey "$WORK/x"
has err 'batch_in needs -cmd p10cr or cr'
expect 2 -cmd p10cr $SRV $RA -csr "$WORK/x" -workers 2
has err 'batch_out and -workers need -batch_in'
expect 2 -cmd p10cr $SRV $RA -batch_in "$WORK" -certout "$WORK/x"
has err 'batch_in cannot be combined with -certout'

# success: 12 CSRs, 3 workers, each certificate next to its CSR
csrs "$WORK/d" 12
expect 0 -cmd p10cr $SRV $RA -batch_in "$WORK/d" -workers 3
has out '^batch: 12 requests: 12 enrolled, 0 done before, 0 failed, 0 not'
for i in $(seq 12); do issued "$WORK/d" "$i"; done
[ "$(count "$WORK/d" '*.err')" -eq 0 ] || fail "error logs after success"
# the 12 requests came over at most 3 connections (kept alive)
conns=$(grep -c 'connection accepted' "$WORK/testca.err")
[ "$conns" -le 4 ] || fail "$conns connections for 12 requests"

# the token holds what it held: the RA key pair and certificate only
[ "$(pkcs11-tool --module "$M" --token-label rabatch --login --pin "$PIN" \
    --list-objects 2>/dev/null | grep -c 'Object;')" -eq 3 ] \
    || fail "the batch changed the RA token"

# a rerun has nothing to do
expect 0 -cmd p10cr $SRV $RA -batch_in "$WORK/d" -workers 2
has out '^batch: 12 requests: 0 enrolled, 12 done before, 0 failed'

# a list file (relative paths, comments) and -batch_out; one CSR broken
csrs "$WORK/l" 4
echo "garbage" > "$WORK/l/dev5.csr"
printf '# devices\ndev1.csr\n\ndev2.csr\n%s\ndev4.csr\ndev5.csr\n' \
    "$WORK/l/dev3.csr" > "$WORK/l/list"
mkdir "$WORK/outdir"
expect 1 -cmd p10cr $SRV $RA -batch_in "$WORK/l/list" \
    -batch_out "$WORK/outdir" -workers 2
has out '^batch: 5 requests: 4 enrolled, 0 done before, 1 failed, 0 not'
has err "batch: $WORK/l/dev5.csr failed (exit 1), see $WORK/outdir/dev5.err"
for i in 1 2 3 4; do issued "$WORK/l" "$i" "$WORK/outdir"; done
[ ! -e "$WORK/outdir/dev5.crt" ] || fail "certificate for the broken CSR"
grep -q 'cannot read the CSR' "$WORK/outdir/dev5.err" || fail "dev5.err"
[ "$(count "$WORK/l" '*.crt')" -eq 0 ] || fail "certs not in -batch_out"
# fixed, the rerun enrolls only dev5 and removes its error log
openssl req -new -key "$WORK/l/dev1.key" -subj /CN=dev5 \
    -out "$WORK/l/dev5.csr" 2>/dev/null
cp "$WORK/l/dev1.key" "$WORK/l/dev5.key"
expect 0 -cmd p10cr $SRV $RA -batch_in "$WORK/l/list" \
    -batch_out "$WORK/outdir"
has out '^batch: 5 requests: 1 enrolled, 4 done before, 0 failed'
issued "$WORK/l" 5 "$WORK/outdir"
[ ! -e "$WORK/outdir/dev5.err" ] || fail "dev5.err left after success"

# SIGINT: the 3rd request of the connection is held (polling); the batch
# stops, by the signal, with the 2 done kept; the rerun completes
csrs "$WORK/s" 5
ca --poll 1000 --check-after 0 --poll-from 3 --poll-to 1000
"$P11CMP" -cmd p10cr $SRV $RA -batch_in "$WORK/s" -workers 1 \
    > "$WORK/out" 2> "$WORK/err" &
PID=$!
for _ in $(seq 150); do
    grep -q '^testca: pollReq ' "$WORK/testca.err" && break
    sleep 0.1
done
grep -q '^testca: pollReq ' "$WORK/testca.err" || fail "no polling"
kill -INT "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" -eq 130 ] || fail "exit $rc after SIGINT, not 130: $(cat "$WORK/err")"
issued "$WORK/s" 1
issued "$WORK/s" 2
[ "$(count "$WORK/s" '*.crt')" -eq 2 ] || fail "not 2 certs after SIGINT"
[ "$(count "$WORK/s" '*.tmp*')" -eq 0 ] || fail "partial files left"
ca
expect 0 -cmd p10cr $SRV $RA -batch_in "$WORK/s" -workers 2
has out '^batch: 5 requests: 3 enrolled, 2 done before, 0 failed'
for i in 3 4 5; do issued "$WORK/s" "$i"; done

# CR entries (subject= line and public key), POPO raVerified: refused by
# a CA that does not accept raVerified (exit 4, the rejection in NAME.err),
# enrolled by one that does
mkdir "$WORK/e"
for i in 1 2 3; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$WORK/e/dev$i.key" 2>/dev/null || fail "key $i"
    { echo "subject=/CN=dev$i"; openssl pkey -in "$WORK/e/dev$i.key" \
        -pubout; } > "$WORK/e/dev$i.pub"
done
expect 4 -cmd cr $SRV $RA -batch_in "$WORK/e" -workers 2
has out '^batch: 3 requests: 0 enrolled, 0 done before, 3 failed'
grep -q 'server status: rejection; failInfo: badPOP' "$WORK/e/dev1.err" \
    || fail "dev1.err: $(cat "$WORK/e/dev1.err")"
ca --accept-raverified
# (-no_store: the batch's NAME.crt files are where certificates go)
expect 0 -cmd cr $SRV $RA -batch_in "$WORK/e" -workers 2 -no_store
has out '^batch: 3 requests: 3 enrolled, 0 done before, 0 failed'
for i in 1 2 3; do issued "$WORK/e" "$i"; done
[ "$(count "$WORK/e" '*.err')" -eq 0 ] || fail "error logs left"

# helgrind: two workers on one token, no data races or lock misuse
case ${P11CMP_TEST_CFLAGS:-} in *-fsanitize*) exit 0 ;; esac
command -v valgrind > /dev/null || { echo "helgrind skipped"; exit 0; }
csrs "$WORK/h" 4
"$top_builddir/libtool" --mode=execute valgrind --tool=helgrind \
    --suppressions="$top_srcdir/tests/helgrind.supp" --error-exitcode=9 \
    --log-file="$WORK/helgrind.log" "$P11CMP" -cmd p10cr $SRV $RA \
    -batch_in "$WORK/h" -workers 2 > "$WORK/out" 2> "$WORK/err" \
    || fail "helgrind: $(cat "$WORK/err" "$WORK/helgrind.log")"
has out '^batch: 4 requests: 4 enrolled'
echo "PASS: batch success, partial failure, rerun, SIGINT, helgrind"
