#!/bin/bash
# tests/cli_replay.sh - the debugging options of p11cmp(1) that record and
# replay messages, as openssl cmp has them: -reqout/-rspout save what was
# built and received (as far as the lists go), -reqin sends recorded
# requests again in a new transaction (recipNonce fitted in, and with
# -reqin_new_tid a fresh transactionID, both re-protected), -rspin takes
# recorded responses instead of the server; openssl cmp accepts the same
# recorded requests. The transactionID the test CA saw is the one it
# echoes in its responses (-rspout).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
# tid FILE: the transactionID of a DER PKIMessage in hex (the OCTET STRING
# under the header's [4]; the sender's [4] holds a SEQUENCE)
tid() {
    openssl asn1parse -inform DER -in "$1" | awk '
        /d=2 .*cont \[ 4 \]/ { f = 1; next }
        f && /d=3 .*OCTET STRING/ { sub(/.*DUMP\]:/, ""); print; exit }
        { f = 0 }'
}
# body FILE: the tag number of the body of a DER PKIMessage
body() {
    openssl asn1parse -inform DER -in "$1" | awk '
        /d=1 / { n++ } n == 2 { sub(/.*cont \[ */, ""); sub(/ *\].*/, "");
        print; exit }'
}
issued_for_key() {
    [ "$(openssl x509 -in "$WORK/c.pem" -noout -pubkey)" \
        = "$(openssl pkey -in "$WORK/k.pem" -pubout)" ] \
        || fail "$1: the cert is not for the key"
}
W=$WORK
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$W/k.pem" 2>/dev/null
testca_start --ref rp --secret pass:rp-secret --poll 1 --check-after 1
IR="-cmd ir -server 127.0.0.1:$TESTCA_PORT/pkix/ -ref rp"
IR="$IR -secret pass:rp-secret -newkey $W/k.pem -subject /CN=replay"
IR="$IR -certout $W/c.pem"

# record: ir, pollReq, pollReq, certConf were built; only three names
expect 0 $IR -reqout "$W/q1 $W/q2 $W/q3" -rspout "$W/s1,$W/s2,$W/s3"
[ "$(body "$W/q1")" = 0 ] && [ "$(body "$W/q2")" = 25 ] \
    && [ "$(body "$W/q3")" = 25 ] && [ "$(body "$W/s1")" = 1 ] \
    && [ "$(body "$W/s2")" = 26 ] || fail "recorded bodies"
[ ! -e "$W/q4" ] || fail "-reqout wrote past its list"
old=$(tid "$W/q1")
[ ${#old} -eq 32 ] && [ "$(tid "$W/s3")" = "$old" ] \
    || fail "recorded transactionID '$old'"

# replay ir and the first pollReq: the recorded transactionID reaches the
# CA; the pollReq gets the recipNonce of this transaction (the CA checks
# it); the rest of the transaction is built as usual
expect 0 $IR -reqin "$W/q1,$W/q2" -rspout "$W/r1 $W/r2 $W/r3" -verbosity 6
grep -q -- "-reqin: using $W/q2" "$W/err" || fail "q2 not used"
[ "$(tid "$W/r1")" = "$old" ] && [ "$(tid "$W/r3")" = "$old" ] \
    || fail "replay without -reqin_new_tid: $(tid "$W/r1")"
issued_for_key "-reqin"
# -reqin_new_tid: a fresh transactionID, the requests protected anew
expect 0 $IR -reqin "$W/q1 $W/q2" -reqin_new_tid -rspout "$W/t1 $W/t2"
new=$(tid "$W/t1")
[ ${#new} -eq 32 ] && [ "$new" != "$old" ] && [ "$(tid "$W/t2")" = "$new" ] \
    || fail "-reqin_new_tid: '$new' (recorded '$old')"
issued_for_key "-reqin_new_tid"
# openssl cmp takes the same recorded requests
openssl cmp -config "" $IR -reqin "$W/q1 $W/q2" -reqin_new_tid \
    -rspout "$W/o1" > "$W/openssl.log" 2>&1 \
    || fail "openssl cmp -reqin: $(cat "$W/openssl.log")"
[ "$(tid "$W/o1")" != "$old" ] || fail "openssl cmp: old transactionID"
n=$((n + 1))
# a -reqin file that holds no PKIMessage: a file error
expect 1 $IR -reqin "$W/k.pem"
grep -q "cannot read a PKIMessage from $W/k.pem" "$W/err" \
    || fail "-reqin k.pem: $(cat "$W/err")"
testca_stop

# -rspin: a recorded genp is taken without a server; its protection is
# still checked (exit 5 with another secret)
testca_start --ref rp --secret pass:rp-secret
expect 0 -cmd genm -server "127.0.0.1:$TESTCA_PORT/pkix/" -ref rp \
    -secret pass:rp-secret -rspout "$W/genp.der"
testca_stop
expect 0 -cmd genm -ref rp -secret pass:rp-secret -rspin "$W/genp.der"
grep -q '^genp: ' "$W/out" || fail "-rspin genm: $(cat "$W/out")"
expect 5 -cmd genm -ref rp -secret pass:other -rspin "$W/genp.der"
# the recorded ir answer says "waiting"; no file and no server for the
# pollReq: transfer error
expect 3 -cmd ir -certout "$WORK/nc.pem" -ref rp -secret pass:rp-secret -newkey "$W/k.pem" \
    -subject /CN=replay -rspin "$W/s1"
grep -q 'no file left for the response, and no -server' "$W/err" \
    || fail "-rspin end: $(cat "$W/err")"
echo "cli_replay: $n runs passed"
