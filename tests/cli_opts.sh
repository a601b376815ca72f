#!/bin/bash
# tests/cli_opts.sh - p11cmp(1) option handling: usage errors and their
# exit code 2, -help/-version, options from -config sections (order,
# [default] fallback, command line overriding), password sources of
# -secret and token PINs (pass:, env:, file:, fd:, stdin, pin-source),
# and that no secret or PIN is printed even at -verbosity 8.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
SECRET=cli-opts-$$-secret

# expect CODE CMD...: runs CMD, checks its exit status.
expect_err() {
    grep -q -- "$1" "$WORK/err" || fail "stderr lacks '$1': $(cat "$WORK/err")"
}

# usage errors
expect 2
expect_err "Usage: p11cmp"
expect 2 -nosuchoption
expect_err "unknown option -nosuchoption"
expect 2 -cmd ir stray
expect_err "unexpected argument 'stray'"
expect 2 -cmd ir -days
expect_err "option -days needs an argument"
expect 2 -cmd ir -days ten
expect_err "not a number"
expect 2 -cmd ir -days -1
expect 2 -cmd frobnicate -server 127.0.0.1:1
expect_err "unknown -cmd 'frobnicate'"
expect 2 -server 127.0.0.1:1
expect_err "no -cmd given"
expect 2 -cmd ir -ref x -secret pass:y -newkey k.pem
expect_err "missing -server"
expect 2 -cmd ir -server 127.0.0.1:1 -newkey k.pem
expect_err "no protection"
expect 2 -cmd ir -server 127.0.0.1:1 -secret pass:y -newkey k
expect_err "needs -ref, -cert or -subject"
expect 2 -cmd p10cr -server 127.0.0.1:1 -ref r -secret pass:y
expect_err "needs -csr"
expect 2 -cmd rr -server 127.0.0.1:1 -ref r -secret pass:y
expect_err "needs -oldcert or -csr"
expect 2 -cmd kur -server 127.0.0.1:1 -ref r -secret pass:y
expect_err "needs -oldcert or -cert"
expect 2 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -newkeygen EC:P-256
expect_err "needs -newkey pkcs11:"
expect 2 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -renew_within 30
expect_err "-renew_within needs -cmd kur"
expect 2 -cmd rr -server 127.0.0.1:1 -ref r -secret pass:y \
    -oldcert c.pem -revreason 7
expect 2 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -popo 3
expect 2 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -certform XML
expect 2 -cmd ir -verbosity 9
# -keyform ENGINE and -engine pkcs11 are accepted for libp11 engine
# scripts; the keys are pkcs11: URIs then (tests/diff/cases compares more)
expect 1 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -keyform ENGINE -engine pkcs11 -certout c.pem
expect_err "with -keyform ENGINE the key is a pkcs11: URI"
expect 2 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -keyform XYZ -certout c.pem
expect_err "-keyform must be PEM, DER, P12 or ENGINE"
expect 2 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -engine nosuch -certout c.pem
expect_err "no such engine"
expect 2 -cmd ir -server 127.0.0.1:1 -ref r -secret pass:y \
    -newkey k.pem -subject CN=nodelimiter -certout c.pem
expect_err "not a DN"
expect 2 -cmd genm -server 127.0.0.1:1 -ref r \
    -secret env:P11CMP_TEST_UNSET_VAR
expect_err "P11CMP_TEST_UNSET_VAR is not set"
expect 2 -config "$WORK/none.cnf" -cmd genm
expect_err "cannot read config file"
printf '[cmp\nserver = x\n' > "$WORK/bad.cnf"
expect 2 -config "$WORK/bad.cnf" -cmd genm
expect_err "syntax error in line 1"
# a config number that is not one counts as not given (as in openssl
# cmp, tests/cli_dropin.sh), a negative -days is an error
printf '[cmp]\ndays = -1\n' > "$WORK/badval.cnf"
expect 2 -config "$WORK/badval.cnf" -cmd genm
expect_err "config section \[cmp\]"

# -help and -version
expect 0 -help
grep -q '^ -renew_within days' "$WORK/out" || fail "-help lacks -renew_within"
[ "$(awk 'length > 80' "$WORK/out" | wc -l)" -eq 0 ] \
    || fail "-help has lines over 80 columns"
expect 0 -version
grep -qx 'p11cmp [0-9.]*' "$WORK/out" || fail "-version: $(cat "$WORK/out")"

# a test CA with PBM, and a key file
testca_start --ref cliref --secret "pass:$SECRET"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/k.pem" 2>/dev/null
SRV="-server 127.0.0.1:$TESTCA_PORT -path pkix/"
subject_of() {
    openssl x509 -in "$1" -noout -subject -nameopt compat | sed 's/^subject=//'
}

# options from config sections: later sections override earlier ones,
# [default] fills in, the command line overrides all
cat > "$WORK/p11cmp.cnf" <<CNF
ref = cliref
[cmp]
cmd = ir
server = 127.0.0.1:$TESTCA_PORT
path = pkix/
secret = env:CLI_SECRET
newkey = $WORK/k.pem
subject = /CN=from cmp
certout = $WORK/cfg.pem
[other]
subject = /CN=from other
days = 3
CNF
export CLI_SECRET=$SECRET
expect 0 -config "$WORK/p11cmp.cnf"
[ "$(subject_of "$WORK/cfg.pem")" = "/CN=from cmp" ] \
    || fail "config [cmp]: $(subject_of "$WORK/cfg.pem")"
expect 0 -config "$WORK/p11cmp.cnf" -section "cmp, other"
[ "$(subject_of "$WORK/cfg.pem")" = "/CN=from other" ] \
    || fail "config [cmp],[other]: $(subject_of "$WORK/cfg.pem")"
days=$(( ($(date -d "$(openssl x509 -in "$WORK/cfg.pem" -noout -enddate \
    | cut -d= -f2)" +%s) - $(date +%s) + 43200) / 86400 ))
[ "$days" -eq 3 ] || fail "days from [other]: $days"
expect 0 -config "$WORK/p11cmp.cnf" -section "cmp other" \
    -subject "/CN=from argv"
[ "$(subject_of "$WORK/cfg.pem")" = "/CN=from argv" ] \
    || fail "command line over config: $(subject_of "$WORK/cfg.pem")"
OPENSSL_CONF=$WORK/p11cmp.cnf expect 0 -subject "/CN=from env"
[ "$(subject_of "$WORK/cfg.pem")" = "/CN=from env" ] \
    || fail "OPENSSL_CONF: $(subject_of "$WORK/cfg.pem")"
unset CLI_SECRET

# every password source for the PBM secret
printf '%s\n' "$SECRET" > "$WORK/secret.txt"
IR="-cmd ir $SRV -ref cliref -newkey $WORK/k.pem -subject /CN=pass"
IR="$IR -certout $WORK/nc.pem"
export CLI_SECRET=$SECRET
for src in "pass:$SECRET" env:CLI_SECRET "file:$WORK/secret.txt"; do
    expect 0 $IR -secret "$src"
    grep -q '^enrolled: subject=/CN=pass serial=' "$WORK/out" \
        || fail "-secret $src: $(cat "$WORK/out")"
done
expect 0 $IR -secret fd:3 3< "$WORK/secret.txt"
expect 0 $IR -secret stdin < "$WORK/secret.txt"
# a key pass phrase source that gives nothing is a usage error
expect 2 $IR -secret fd:3 -newkeypass "file:$WORK/nopass" \
    3< "$WORK/secret.txt"
expect_err "-newkey: cannot read"
# a wrong secret fails the MAC check at the server
set +e
"$P11CMP" $IR -secret pass:wrong > "$WORK/out" 2> "$WORK/err"
rc=$?
set -e
[ $rc -eq 4 ] || [ $rc -eq 5 ] || fail "wrong secret: exit $rc"
n=$((n + 1))

# token PINs: -newkeypass sources and the URI's pin-source
fixture_token cliopts
# a PIN that cannot appear by chance in hex dumps of the trace output
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label cliopts --login \
    --pin "$PIN" --change-pin --new-pin "Pin-$$-q" >/dev/null 2>&1 \
    || fail "pkcs11-tool --change-pin"
PIN=Pin-$$-q
printf '%s\n' "$PIN" > "$WORK/pin.txt"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label cliopts --login \
    --pin "$PIN" --keypairgen --key-type EC:prime256v1 --label tk \
    --id 01 >/dev/null 2>&1 || fail "pkcs11-tool keygen"
KEY="pkcs11:token=cliopts;object=tk;type=private"
IRT="-cmd ir $SRV -ref cliref -secret file:$WORK/secret.txt -subject /CN=tk"
IRT="$IRT -certout $WORK/nc.pem"
IRT="$IRT -no_store"
export CLI_PIN=$PIN
for src in "file:$WORK/pin.txt" env:CLI_PIN "pass:$PIN"; do
    expect 0 $IRT -newkey "$KEY" -module "$SOFTHSM2_MODULE" \
        -newkeypass "$src"
done
expect 0 $IRT -newkey "$KEY" -module "$SOFTHSM2_MODULE" \
    -newkeypass fd:4 4< "$WORK/pin.txt"
expect 0 $IRT -batch \
    -newkey "$KEY?module-path=$SOFTHSM2_MODULE&pin-source=file:$WORK/pin.txt"
printf 'bad-pin\n' > "$WORK/badpin.txt"
expect 6 $IRT -batch -newkey "$KEY" -module "$SOFTHSM2_MODULE" \
    -newkeypass "file:$WORK/badpin.txt"
unset CLI_PIN

# no secret and no PIN in any output, even at -verbosity 8; nothing but
# the result line up to 5 (the default), progress lines from 6 on
for v in 4 5 6 7 8; do
    "$P11CMP" $IRT -newkey "$KEY" -module "$SOFTHSM2_MODULE" \
        -newkeypass "file:$WORK/pin.txt" -verbosity $v \
        > "$WORK/out" 2> "$WORK/err" || fail "-verbosity $v: exit $?"
    [ $v -lt 6 ] || grep -q 'info: ' "$WORK/err" \
        || fail "no progress lines at -verbosity $v"
    [ $v -ge 6 ] || [ ! -s "$WORK/err" ] \
        || fail "stderr at -verbosity $v: $(cat "$WORK/err")"
    [ "$(wc -l < "$WORK/out")" -eq 1 ] && grep -q '^enrolled: ' "$WORK/out" \
        || fail "stdout at -verbosity $v: $(cat "$WORK/out")"
    ! grep -q -e "$SECRET" -e "$PIN" "$WORK/out" "$WORK/err" \
        || fail "a secret was printed at -verbosity $v"
    n=$((n + 1))
done
testca_stop
echo "cli_opts: $n checks passed"
