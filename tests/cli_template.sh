#!/bin/bash
# tests/cli_template.sh - p11cmp(1) options that shape requests and their
# handling, checked in what the test CA issues and logs: -sans,
# -policy_oids(_critical), -reqexts/-policies config sections, -days,
# -geninfo (seen in -reqout), -repeat, -popo, -implicit_confirm,
# -disable_confirm, -unprotected_requests, -chainout/-extracertsout,
# -srvcert and -expect_sender.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
ext() { openssl x509 -in "$WORK/c.pem" -noout -ext "$1" 2>/dev/null; }
log_count() { grep -c -- "$1" "$WORK/testca.err" || true; }

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/k.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/x.key" -subj /CN=extra -out "$WORK/x.pem" 2>/dev/null
# the CA is an intermediate under a root
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/root.key" -subj "/CN=template root" \
    -out "$WORK/root.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$WORK/ca.key" -subj "/CN=template CA" 2>/dev/null \
    | openssl x509 -req -CA "$WORK/root.pem" -CAkey "$WORK/root.key" \
        -set_serial 2 -days 2 -extfile <(echo basicConstraints=CA:TRUE) \
        -out "$WORK/ca.pem" 2>/dev/null
cat "$WORK/x.pem" "$WORK/root.pem" "$WORK/ca.pem" > "$WORK/extras.pem"
testca_start --ref tpl --secret pass:tpl-secret --cakey "$WORK/ca.key" \
    --cacert "$WORK/ca.pem" --extra-certs "$WORK/extras.pem"
B="-server 127.0.0.1:$TESTCA_PORT -path pkix/ -ref tpl"
B="$B -secret pass:tpl-secret -newkey $WORK/k.pem -certout $WORK/c.pem"

expect 0 -cmd ir $B -subject /CN=sans -sans "a.example, 192.0.2.7 critical"
ext subjectAltName | grep -q 'critical' || fail "-sans critical"
ext subjectAltName | grep -q 'DNS:a.example, IP Address:192.0.2.7' \
    || fail "-sans: $(ext subjectAltName)"

expect 0 -cmd cr $B -subject /CN=pol -policy_oids "1.2.3.4, 1.2.3.5" \
    -policy_oids_critical -days 7
ext certificatePolicies | grep -q 'critical' || fail "policies critical"
ext certificatePolicies | grep -q 'Policy: 1.2.3.5' || fail "-policy_oids"
left=$(( ($(date -d "$(openssl x509 -in "$WORK/c.pem" -noout -enddate \
    | cut -d= -f2)" +%s) - $(date +%s) + 43200) / 86400 ))
[ "$left" -eq 7 ] || fail "-days 7 gave $left"

cat > "$WORK/ext.cnf" <<CNF
[exts]
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[pols]
certificatePolicies = 1.3.6.1.4.1.99.1
CNF
expect 0 -cmd ir $B -config "$WORK/ext.cnf" -subject /CN=exts \
    -reqexts exts -policies pols
ext keyUsage | grep -q 'Digital Signature' || fail "-reqexts keyUsage"
ext extendedKeyUsage | grep -q 'TLS Web Client' || fail "-reqexts EKU"
ext certificatePolicies | grep -q '1.3.6.1.4.1.99.1' || fail "-policies"

expect 0 -cmd genm $B -geninfo 1.2.3.99:int:4711 -reqout "$WORK/genm.der"
openssl asn1parse -inform DER -in "$WORK/genm.der" > "$WORK/genm.txt"
grep -q ':1.2.3.99' "$WORK/genm.txt" && grep -q 'INTEGER *:1267' \
    "$WORK/genm.txt" || fail "-geninfo not in the request"

before=$(log_count 'issued serial')
expect 0 -cmd ir $B -subject /CN=twice -repeat 2
[ $(( $(log_count 'issued serial') - before )) -eq 2 ] || fail "-repeat 2"
[ "$(grep -c '^enrolled: ' "$WORK/out")" -eq 2 ] || fail "-repeat output"

before=$(log_count 'request [0-9]*: certConf')
expect 0 -cmd ir $B -subject /CN=noconf -disable_confirm
[ "$(log_count 'request [0-9]*: certConf')" -eq "$before" ] \
    || fail "-disable_confirm sent a certConf"

expect 0 -cmd ir $B -subject /CN=chain -chainout "$WORK/chain.pem" \
    -extracertsout "$WORK/extra.pem"
cmp -s "$WORK/extra.pem" "$WORK/extras.pem" || fail "-extracertsout"
# the chain built from the extraCerts, as OpenSSL builds it: the issuing
# CA only (no unrelated cert, no self-signed root), compared as DER
[ "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$WORK/chain.pem")" -eq 1 ] \
    && cmp -s <(openssl x509 -in "$WORK/chain.pem" -outform DER) \
        <(openssl x509 -in "$WORK/ca.pem" -outform DER) \
    || fail "-chainout: $(cat "$WORK/chain.pem")"

# -popo reaches the CA, which wants a signature POPO
expect 4 -cmd ir $B -subject /CN=popo0 -popo 0
grep -q 'text: "popo raverified not accepted"' "$WORK/err" || fail "-popo 0"
openssl pkey -in "$WORK/k.pem" -pubout -out "$WORK/kpub.pem"
# no POPO means central key generation (RFC 9483 4.1.6), as in openssl
# cmp 3.5: without -newkeyout there is nowhere to put the key
expect 2 -cmd ir ${B/k.pem/kpub.pem} -subject /CN=popo-1 -popo -1
grep -q -- '-newkeyout not given' "$WORK/err" \
    || fail "-popo -1: $(cat "$WORK/err")"
expect 2 -cmd ir $B -subject /CN=popo-1 -centralkeygen -popo 1 \
    -newkeyout "$WORK/nk.pem"
grep -q -- 'inconsistent with -centralkeygen' "$WORK/err" \
    || fail "-popo 1 -centralkeygen: $(cat "$WORK/err")"

# -expect_sender: the CA's name passes, another name fails validation
ca_dn=$(openssl x509 -in "$WORK/ca.pem" -noout -subject -nameopt compat \
    | sed 's/^subject=//')
expect 0 -cmd genm $B -expect_sender "$ca_dn"
expect 5 -cmd genm $B -expect_sender "/CN=somebody else"
testca_stop

# implicit confirmation granted: no certConf
testca_start --ref tpl --secret pass:tpl-secret --grant-implicit-confirm yes
B="-server 127.0.0.1:$TESTCA_PORT -path pkix/ -ref tpl"
B="$B -secret pass:tpl-secret -newkey $WORK/k.pem -certout $WORK/c.pem"
expect 0 -cmd ir $B -subject /CN=implicit -implicit_confirm
[ "$(log_count 'request [0-9]*: certConf')" -eq 0 ] \
    || fail "-implicit_confirm: certConf sent"
testca_stop

# unprotected requests to a CA that accepts them, signed answers
testca_start --accept-unprotected --cacertout "$WORK/ca2.pem"
expect 0 -cmd ir -server "127.0.0.1:$TESTCA_PORT/pkix/" \
    -unprotected_requests -trusted "$WORK/ca2.pem" -newkey "$WORK/k.pem" \
    -subject /CN=unprotected -certout "$WORK/c.pem"
testca_stop
echo "cli_template: $n runs passed"
