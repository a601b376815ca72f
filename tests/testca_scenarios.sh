#!/bin/bash
# tests/testca_scenarios.sh - the test CA's scenario switches against the
# `openssl cmp` client: polling (--poll/--check-after), rejection with a
# failInfo (--reject), implicit confirmation granted or not, caPubs
# (--send-capubs) and an extraCerts chain (--extra-certs).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

new_key "$WORK/k.pem"
pub=$(openssl pkey -in "$WORK/k.pem" -pubout)
# fingerprints FILE: the SHA-256 fingerprints of all certs in FILE.
fingerprints() {
    rm -f "$WORK"/fp.*
    awk -v out="$WORK/fp." '/BEGIN CERT/ { n++ } n { print > (out n) }' "$1"
    for f in "$WORK"/fp.*; do
        openssl x509 -in "$f" -noout -fingerprint -sha256
    done
}
expect_client_output() {
    grep -q -F -- "$1" "$WORK/client.log" \
        || client_failed "expected '$1' in the client's output"
}

# Polling: two pollRep with checkAfter 1 s, the third pollReq gets the
# certificate.
testca_start --ref "$REF" --secret "$SECRET" --poll 2 --check-after 1 \
    --timeout 60
start=$(date +%s%N)
cmp_pbm -cmd ir -newkey "$WORK/k.pem" -subject /CN=poll \
    -certout "$WORK/poll.pem" || client_failed "ir with polling"
took_ms=$((($(date +%s%N) - start) / 1000000))
[ $took_ms -ge 2000 ] || fail "polling took only $took_ms ms, expected >= 2 s"
expect_eq "poll cert key" "$(cert_pubkey "$WORK/poll.pem")" "$pub"
expect_eq "pollReqs" "$(log_count 'testca: pollReq ')" 3
expect_eq "pollReps" "$(log_count '-> pollRep checkAfter 1')" 2
expect_eq "answered" "$(log_count 'pollReq 3 -> answering held request')" 1
expect_eq "client waits" "$(grep -c 'checkAfter = 1 seconds' \
    "$WORK/client.log")" 2
testca_stop

# Rejection with failInfo badPOP and a statusString
testca_start --ref "$REF" --secret "$SECRET" --reject badPOP --timeout 60
cmp_pbm -cmd ir -newkey "$WORK/k.pem" -subject /CN=rej \
    -certout "$WORK/rej.pem" && fail "ir succeeded despite --reject"
expect_client_output 'PKIStatus: rejection; PKIFailureInfo: badPOP;'
expect_client_output 'StatusString: "rejected by the test CA (--reject)"'
[ ! -e "$WORK/rej.pem" ] || fail "a certificate was saved"
expect_eq "issued" "$(log_count 'issued serial')" 0
testca_stop
"$TESTCA" --reject noSuchBit > /dev/null 2>&1 \
    && fail "unknown failInfo name accepted"

# Implicit confirm granted, caPubs and an extraCerts chain
new_key "$WORK/x.pem"
openssl req -x509 -new -key "$WORK/x.pem" -subj /CN=chain1 -days 2 \
    -out "$WORK/chain.pem" || fail "chain cert 1"
openssl req -x509 -new -key "$WORK/k.pem" -subj /CN=chain2 -days 2 \
    >> "$WORK/chain.pem" || fail "chain cert 2"
testca_start --ref "$REF" --secret "$SECRET" --grant-implicit-confirm yes \
    --send-capubs --extra-certs "$WORK/chain.pem" \
    --cacertout "$WORK/ca.pem" --timeout 60
cmp_pbm -cmd ir -newkey "$WORK/k.pem" -subject /CN=granted \
    -implicit_confirm -certout "$WORK/granted.pem" \
    -cacertsout "$WORK/capubs.pem" -extracertsout "$WORK/extra.pem" \
    || client_failed "ir with implicit confirm"
expect_eq "requests when granted" "$(log_count 'testca: request ')" 1
expect_eq "certConf when granted" "$(log_count 'certConf')" 0
expect_eq "caPubs" "$(fingerprints "$WORK/capubs.pem")" \
    "$(fingerprints "$WORK/ca.pem")"
expect_eq "extraCerts" "$(fingerprints "$WORK/extra.pem")" \
    "$(fingerprints "$WORK/chain.pem")"
expect_eq "caPubs count" "$(grep -c 'BEGIN CERT' "$WORK/capubs.pem")" 1
expect_eq "extraCerts count" "$(grep -c 'BEGIN CERT' "$WORK/extra.pem")" 2
testca_stop

# Implicit confirm asked for but not granted: the client confirms; no
# caPubs or extraCerts without the switches.
testca_start --ref "$REF" --secret "$SECRET" --grant-implicit-confirm no \
    --timeout 60
cmp_pbm -cmd ir -newkey "$WORK/k.pem" -subject /CN=notgranted \
    -implicit_confirm -certout "$WORK/notgranted.pem" \
    -cacertsout "$WORK/capubs2.pem" -extracertsout "$WORK/extra2.pem" \
    || client_failed "ir with implicit confirm not granted"
expect_eq "requests when not granted" "$(log_count 'testca: request ')" 2
expect_eq "certConf when not granted" \
    "$(log_count 'certConf for certReqId 0: PKIStatus: accepted')" 1
[ ! -s "$WORK/capubs2.pem" ] || fail "caPubs sent without --send-capubs"
[ ! -s "$WORK/extra2.pem" ] || fail "extraCerts sent without --extra-certs"
testca_stop
echo "PASS: polling, rejection, implicit confirm, caPubs, extraCerts"
