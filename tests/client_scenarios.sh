#!/bin/bash
# tests/client_scenarios.sh - p11cmp's client in the situations the test
# CA can play: polling (exec and try_certreq with a manual loop, abort
# with an error message), TOTAL_TIMEOUT during polling, rejection,
# implicit confirmation granted or not, DISABLE_CONFIRM, certConf
# rejection by the callback, the default callback with a store, the
# error messages the CA receives when the client gives up or refuses a
# response, and MSG_TIMEOUT against a server that never answers.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/client_helpers.sh"

new_key "$WORK/k.key"
openssl req -new -key "$WORK/k.key" -subj "/CN=p10" -out "$WORK/k.csr" \
    2>/dev/null || fail "openssl req"
ca() {
    testca_start --ref "$REF" --secret "$SECRET" \
        --cacertout "$WORK/ca.pem" --timeout 60 "$@"
}
ir() {
    client_pbm --cmd ir --newkey "$WORK/k.key" --subject scen \
        --certout "$WORK/new.pem" "$@"
}
# count_req TYPE: requests of TYPE the test CA received
count_req() {
    grep -c -E "^testca: request [0-9]+: $1\$" "$WORK/testca.err" || true
}
# elapsed_between WHAT MIN MAX: the transaction took MIN..MAX seconds
# (plus $SLACK, e.g. under valgrind)
elapsed_between() {
    e=$(val elapsed)
    [ "$e" -ge "$2" ] && [ "$e" -le $(($3 + ${SLACK:-0})) ] \
        || fail "$1: took $e s, expected $2..$3 s"
}

# polling: 2 pollRep with checkAfter 1, then the certificate
ca --poll 2 --check-after 1
ir || client_fail "ir with polling"
expect_issued "polling" "$WORK/new.pem" "$WORK/k.key" "CN=scen"
expect_eq "polling pollReq" "$(count_req pollReq)" 3
expect_eq "polling pollRep" "$(log_count "-> pollRep checkAfter 1")" 2
expect_eq "polling certConf" "$(count_req certConf)" 1
elapsed_between "polling" 2 6
testca_stop

# P10CR with polling (certReqId -1 or 0 in pollReq and the answer)
ca --poll 1 --check-after 1
client_pbm --cmd p10cr --csr "$WORK/k.csr" --certout "$WORK/new.pem" \
    || client_fail "p10cr with polling"
expect_issued "p10cr polling" "$WORK/new.pem" "$WORK/k.key" "CN=p10"
expect_eq "p10cr polling pollReq" "$(count_req pollReq)" 2
testca_stop

# TOTAL_TIMEOUT shorter than the polling: fails with TOTAL_TIMEOUT (401)
# as soon as checkAfter would pass the deadline, not after it
ca --poll 5 --check-after 2
ir --total-timeout 3 && fail "polling beyond TOTAL_TIMEOUT succeeded"
expect_val "total timeout result" result fail
expect_reason "total timeout" 401
expect_val "total timeout newcert" newcert no
elapsed_between "total timeout" 0 3
# the server learns that the client gave up: an error message, rejection
# without failure bits
expect_eq "total timeout error sent" "$(count_req error)" 1
expect_eq "total timeout error text" "$(log_count "client sent error: \
PKIStatus: rejection; <no failure info>; StatusString: \"polling given up\
: total timeout\"")" 1
testca_stop

# try_certreq with a manual loop: -1 with checkAfter 1 twice, then 1
ca --poll 2 --check-after 1
ir --try || client_fail "try_certreq loop"
expect_issued "try loop" "$WORK/new.pem" "$WORK/k.key" "CN=scen"
expect_eq "try loop checkafter lines" "$(grep -c '^checkafter 1$' \
    "$WORK/out")" 2
expect_eq "try loop while waiting" "$(grep -c \
    '^waitstatus 3 newcert no$' "$WORK/out")" 2
expect_eq "try loop certConf" "$(count_req certConf)" 1
testca_stop

# try_certreq abort (req_type < 0) after the first waiting: sends an
# error message, returns 1
ca --poll 3 --check-after 1
rc=0
ir --try --abort-after 1 || rc=$?
expect_eq "abort exit status" "$rc" 3
expect_val "abort" aborted 1
expect_eq "abort error sent" "$(count_req error)" 1
expect_eq "abort error logged" "$(log_count "client sent error: \
PKIStatus: rejection")" 1
expect_eq "abort no certConf" "$(count_req certConf)" 0
expect_val "abort newcert" newcert no
testca_stop

# rejection by the CA: NULL, status rejection, failInfo badPOP (bit 9),
# the CA's text as statusString, reason REQUEST_REJECTED_BY_SERVER (402)
ca --reject badPOP
ir && fail "rejected ir succeeded"
expect_val "reject result" result fail
expect_val "reject status" status 2
expect_val "reject failinfo" failinfo 0x200
expect_reason "reject" 402
expect_val "reject newcert" newcert no
[ -n "$(val statusstring)" ] || fail "reject: no statusString"
expect_eq "reject certConf" "$(count_req certConf)" 0
# nothing to tell the server after its own rejection
expect_eq "reject no error sent" "$(count_req error)" 0
testca_stop

# implicit confirmation: asked and granted -> no certConf
ca --grant-implicit-confirm yes
ir --implicit-confirm || client_fail "implicit confirm granted"
expect_issued "implicit granted" "$WORK/new.pem" "$WORK/k.key" "CN=scen"
expect_eq "implicit granted certConf" "$(count_req certConf)" 0
# granted but not asked for -> certConf
ir || client_fail "implicit confirm not asked"
expect_eq "implicit not asked certConf" "$(count_req certConf)" 1
testca_stop
# asked, not granted -> certConf
ca --grant-implicit-confirm no
ir --implicit-confirm || client_fail "implicit confirm not granted"
expect_issued "implicit not granted" "$WORK/new.pem" "$WORK/k.key" \
    "CN=scen"
expect_eq "implicit not granted certConf" "$(count_req certConf)" 1
testca_stop

# DISABLE_CONFIRM: no certConf, cert accepted
ca
ir --disable-confirm || client_fail "disable confirm"
expect_issued "disable confirm" "$WORK/new.pem" "$WORK/k.key" "CN=scen"
expect_eq "disable confirm certConf" "$(count_req certConf)" 0

# the certConf callback rejects with incorrectData (bit 7): certConf
# with rejection, NULL, status rejected_by_client (-5, as OpenSSL 3.5),
# CERTIFICATE_NOT_ACCEPTED (404)
ir --reject-bit 7 && fail "cert rejected by the callback was kept"
expect_val "cb reject status" status -5
expect_val "cb reject failinfo" failinfo 0x80
expect_val "cb reject newcert" newcert no
expect_reason "cb reject" 404
expect_eq "cb reject certConf" "$(log_count "certConf for certReqId 0: \
PKIStatus: rejection; PKIFailureInfo: incorrectData")" 1

# the default callback with a store: the CA's cert validates the new one;
# a foreign root does not (incorrectData)
ir --out-trusted "$WORK/ca.pem" || client_fail "default cb, CA store"
expect_issued "default cb" "$WORK/new.pem" "$WORK/k.key" "CN=scen"
expect_val "default cb chain" chain 0
openssl req -x509 -new -key "$WORK/k.key" -subj "/CN=other root" -days 1 \
    -out "$WORK/other.pem" 2>/dev/null || fail "other root"
ir --out-trusted "$WORK/other.pem" && fail "default cb accepted a cert \
it cannot validate"
expect_val "default cb reject failinfo" failinfo 0x80
expect_reason "default cb reject" 404
expect_eq "default cb certConf rejection" "$(log_count "PKIStatus: \
rejection; PKIFailureInfo: incorrectData")" 2

# a response the client cannot validate (signed by the CA, which the
# client does not trust): refused with an error message (badMessageCheck)
# that the CA receives; no certConf; the status stays "trans" (-2)
ir --out-trusted "$WORK/ca.pem" || client_fail "ir for a signer cert"
cp "$WORK/new.pem" "$WORK/signer.pem"
errors=$(count_req error)
confs=$(count_req certConf)
client --cert "$WORK/signer.pem" --key "$WORK/k.key" \
    --trusted "$WORK/other.pem" --cmd cr --newkey "$WORK/k.key" \
    --subject untrusted && fail "response from an untrusted CA accepted"
expect_val "untrusted CA result" result fail
expect_reason "untrusted CA" 306
expect_val "untrusted CA status" status -2
expect_val "untrusted CA newcert" newcert no
expect_eq "untrusted CA error sent" "$(count_req error)" $((errors + 1))
expect_eq "untrusted CA error logged" "$(log_count "client sent error: \
PKIStatus: rejection; PKIFailureInfo: badMessageCheck")" 1
expect_eq "untrusted CA no certConf" "$(count_req certConf)" "$confs"
testca_stop

# MSG_TIMEOUT against a server that accepts but never answers
timeout 30 "$CMP_CLIENT" --silent-server --cmd ir --ref "$REF" \
    --secret x --newkey "$WORK/k.key" --subject t --msg-timeout 2 \
    > "$WORK/out" 2> "$WORK/err" && fail "silent server answered"
expect_val "msg timeout result" result fail
expect_reason "msg timeout" 400
expect_val "msg timeout status" status -2
elapsed_between "msg timeout" 1 4
