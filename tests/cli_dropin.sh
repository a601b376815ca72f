#!/bin/bash
# tests/cli_dropin.sh - p11cmp(1) as a drop-in for `openssl cmp` (issue
# 11, items 1-7 and 10-12): each case runs `openssl cmp` and p11cmp with
# the same arguments against the same peer (the test CA, or a fresh
# `openssl cmp -port` mock server) and compares the outcomes: success or
# failure, the files written (each program runs in its own directory, so
# relative output names show what it wrote) and, where it matters, facts
# of stderr. The mock server listens on all interfaces, so the test runs
# in a private network namespace.
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"
# P11CMP_UNDER_TEST: another p11cmp to compare (e.g. an older build)
P11CMP=${P11CMP_UNDER_TEST:-$top_builddir/p11cmp}
n=0
unset OPENSSL_CONF

# side NAME ARGS...: both programs with ARGS, each in $WORK/NAME.PROG/;
# exit statuses in RC_openssl and RC_p11cmp, output in
# $WORK/NAME.PROG.out and .err. Bounded: 60 s each.
side() {
    name=$1
    shift
    for prog in openssl p11cmp; do
        d=$WORK/$name.$prog
        rm -rf "$d"
        mkdir -p "$d"
        # SIDE_BEFORE: a command run before each program (a fresh peer)
        [ -z "${SIDE_BEFORE:-}" ] || $SIDE_BEFORE
        set +e
        if [ $prog = openssl ]; then
            (cd "$d" && timeout 60 openssl cmp "$@") \
                > "$d.out" 2> "$d.err"
        else
            (cd "$d" && timeout 60 "$P11CMP" "$@") > "$d.out" 2> "$d.err"
        fi
        eval "RC_$prog=\$?"
        set -e
    done
}

# group NAME: whether to run the cases of NAME (DROPIN_GROUP, if set,
# selects one group, e.g. to show that it fails with an older p11cmp)
group() {
    [ -z "${DROPIN_GROUP:-}" ] || [ "$DROPIN_GROUP" = "$1" ]
}

# outcomes NAME: both outcomes for a failure message
outcomes() {
    for prog in openssl p11cmp; do
        eval "rc=\$RC_$prog"
        echo "--- $prog: exit $rc, files: $(ls "$WORK/$1.$prog" | tr '\n' ' ')"
        tail -n 8 "$WORK/$1.$prog.out" "$WORK/$1.$prog.err"
    done
}

# agree NAME P11CMP_RC: after side NAME: both succeeded or both failed,
# p11cmp with exit P11CMP_RC, and they wrote the same files.
agree() {
    ok_o=$([ "$RC_openssl" -eq 0 ] && echo ok || echo failed)
    ok_p=$([ "$RC_p11cmp" -eq 0 ] && echo ok || echo failed)
    [ "$ok_o" = "$ok_p" ] && [ "$RC_p11cmp" -eq "$2" ] \
        || fail "$1: openssl $ok_o, p11cmp exit $RC_p11cmp (want $2)
$(outcomes "$1")"
    [ "$(ls "$WORK/$1.openssl")" = "$(ls "$WORK/$1.p11cmp")" ] \
        || fail "$1: different files written
$(outcomes "$1")"
    n=$((n + 1))
}

# both_err NAME TEXT: both programs' diagnostics match TEXT (grep -E
# -i; openssl cmp 3.0 logs to stdout when it is no terminal)
both_err() {
    for prog in openssl p11cmp; do
        cat "$WORK/$1.$prog.out" "$WORK/$1.$prog.err" | grep -Eiq -- "$2" \
            || fail "$1: $prog stderr lacks '$2'
$(outcomes "$1")"
    done
}

# same_subject NAME FILE: both wrote FILE, with the same subject
same_subject() {
    a=$(openssl x509 -in "$WORK/$1.openssl/$2" -noout -subject)
    b=$(openssl x509 -in "$WORK/$1.p11cmp/$2" -noout -subject)
    [ "$a" = "$b" ] || fail "$1: subjects differ: $a / $b"
}

# p11_err NAME TEXT / p11_no_err NAME TEXT: p11cmp's stderr has / has not
p11_err() {
    grep -Eq -- "$2" "$WORK/$1.p11cmp.err" \
        || fail "$1: p11cmp stderr lacks '$2'
$(outcomes "$1")"
}
p11_no_err() {
    ! grep -Eq -- "$2" "$WORK/$1.p11cmp.err" \
        || fail "$1: p11cmp stderr has '$2'
$(outcomes "$1")"
}

testca_start --ref "$REF" --secret "$SECRET" --send-capubs --timeout 600 \
    --cacertout "$WORK/ca.pem"
new_key "$WORK/k.pem"
SRV="127.0.0.1:$TESTCA_PORT/pkix/"
PBM="-ref $REF -secret $SECRET"
IR="-cmd ir -server $SRV $PBM -newkey $WORK/k.pem -subject /CN=dropin"
# a certificate of k.pem from the test CA, for -cert, -oldcert
openssl cmp -config "" -server "$SRV" $PBM -cmd ir -newkey "$WORK/k.pem" \
    -subject /CN=leaf -certout "$WORK/leaf.pem" > /dev/null 2>&1 \
    || fail "leaf cert"

# --- item 1: empty config values: a string is unset, a number keeps its
# built-in default (also after a non-empty value in an earlier section)
if group empty_conf; then
cat > "$WORK/empty.cnf" <<CNF
[base]
server = $SRV
ref = $REF
secret = $SECRET
cmd = ir
newkey = $WORK/k.pem
subject = /CN=dropin empty
certout = cert.pem
extracertsout = extra.pem
cacertsout = capubs.pem
repeat = 2
[reset]
extracertsout =
total_timeout =
msg_timeout =
tls_used =
proxy =
recipient =
repeat =
popo =
keep_alive =
revreason =
days =
CNF
side empty1 -config "$WORK/empty.cnf" -section "base reset"
agree empty1 0
[ -f "$WORK/empty1.p11cmp/cert.pem" ] && [ -f "$WORK/empty1.p11cmp/capubs.pem" ] \
    && [ ! -f "$WORK/empty1.p11cmp/extra.pem" ] \
    || fail "empty1: wrong files: $(outcomes empty1)"
# repeat= in the last section: 1 transaction (the default), not 2 from [base]
[ "$(grep -c '^enrolled' "$WORK/empty1.p11cmp.out")" -eq 1 ] \
    || fail "empty1: repeat: $(cat "$WORK/empty1.p11cmp.out")"
fi

# --- item 10: non-numbers count as not given, numbers are not
# range-checked, a missing named section is an error, OPENSSL_CONF that
# does not exist is no config file
if group conf_rules; then
cat > "$WORK/rules.cnf" <<CNF
[nonnum]
keep_alive = yes
msg_timeout = 5 seconds
total_timeout = soon
tls_used = no
repeat = twice
[ka5]
keep_alive = 5
[cmp]
CNF
side nonnum -config "$WORK/rules.cnf" -section nonnum $IR -certout c.pem
agree nonnum 0
side ka5 -config "$WORK/rules.cnf" -section ka5 $IR -certout c.pem
agree ka5 0
side nosect -config "$WORK/rules.cnf" -section "nonnum nosuch" $IR \
    -certout c.pem
agree nosect 2
p11_err nosect "no section \[nosuch\]"
side nosect1 -config "$WORK/rules.cnf" -section nosuch $IR -certout c.pem
agree nosect1 2
OPENSSL_CONF=$WORK/none.cnf side noconf $IR -certout c.pem
agree noconf 0
# OPENSSL_CONF names the default config file, read without -config
printf '[cmp]\ncertout = fromconf.pem\n' > "$WORK/env.cnf"
OPENSSL_CONF=$WORK/env.cnf side envconf $IR
agree envconf 0
[ -f "$WORK/envconf.p11cmp/fromconf.pem" ] || fail "envconf: $(outcomes envconf)"
fi

# --- item 4: an empty argument resets a string option, with a warning
if group empty_args; then
side emptyarg1 $IR -expect_sender "" -certout c.pem
agree emptyarg1 0
both_err emptyarg1 "empty"
side emptyarg2 $IR -certout c.pem -extracertsout ""
agree emptyarg2 0
# -secret "" leaves no protection
side emptyarg3 -cmd ir -server "$SRV" -ref "$REF" -secret "" \
    -newkey "$WORK/k.pem" -subject /CN=dropin -certout c.pem
agree emptyarg3 2
fi

# --- item 5: a password without a source prefix is the password itself
if group plain_pass; then
openssl pkey -in "$WORK/k.pem" -aes128 -passout pass:12345 \
    -out "$WORK/ke.pem"
side plainpass1 -cmd ir -server "$SRV" $PBM -newkey "$WORK/ke.pem" \
    -newkeypass 12345 -subject /CN=dropin -certout c.pem
agree plainpass1 0
side plainpass2 -cmd ir -server "$SRV" -ref "$REF" -secret "${SECRET#pass:}" \
    -newkey "$WORK/k.pem" -subject /CN=dropin -certout c.pem
agree plainpass2 0
both_err plainpass2 "pass:"
# a wrong one fails in both
side plainpass3 -cmd ir -server "$SRV" $PBM -newkey "$WORK/ke.pem" \
    -newkeypass 54321 -subject /CN=dropin -certout c.pem -batch
agree plainpass3 1
fi

# --- item 3: DNs as openssl(1) parses them: unknown types and empty
# values are skipped with a warning, '//' and a trailing '\' are errors
if group dn; then
CA_DN=$(openssl x509 -in "$WORK/ca.pem" -noout -subject -nameopt compat \
    | sed 's/^subject=//')
DNIR="-cmd ir -server $SRV $PBM -newkey $WORK/k.pem -certout c.pem"
side dn1 $DNIR -subject "/CN=dropin dn/ABC=123"
agree dn1 0
same_subject dn1 c.pem
both_err dn1 "ABC"
side dn2 $DNIR -subject "/cn=lower/CN=dropin dn2/O=x+OU=y"
agree dn2 0
same_subject dn2 c.pem
side dn3 $DNIR -subject "/CN=/O=dropin dn3/"
agree dn3 0
same_subject dn3 c.pem
side dn4 $DNIR -subject "/CN=a//"
agree dn4 2
side dn5 $DNIR -subject '/CN=a\'
agree dn5 2
side dn6 $DNIR -subject '/CN=a\/b\+c/2.5.4.10=num/commonName=ln'
agree dn6 0
same_subject dn6 c.pem
side dn7 $DNIR -subject /CN=dropin -recipient "/CN=x/ABC=1" \
    -issuer "/CN=y/DEF=2"
agree dn7 0
side dn8 $DNIR -subject /CN=dropin -expect_sender "$CA_DN/ABC=1"
agree dn8 0
side dn9 $DNIR -subject /CN=dropin -expect_sender "/CN=not the CA/ABC=1"
agree dn9 5
fi

# --- item 7: ir/cr/kur need somewhere to put the new certificate
if group certout; then
for c in ir cr; do
    side nocertout_$c -cmd $c -server "$SRV" $PBM -newkey "$WORK/k.pem" \
        -subject /CN=dropin
    agree nocertout_$c 2
    both_err nocertout_$c "certout"
done
side nocertout_kur -cmd kur -server "$SRV" $PBM -oldcert "$WORK/leaf.pem" \
    -newkey "$WORK/k.pem"
agree nocertout_kur 2
openssl req -new -key "$WORK/k.pem" -subj /CN=dropin -out "$WORK/k.csr"
side nocertout_p10cr -cmd p10cr -server "$SRV" $PBM -csr "$WORK/k.csr"
agree nocertout_p10cr 0
# p11cmp only: with the new key on a token, the token is a destination
fixture_token dropin
TK="pkcs11:token=dropin;object=new;type=private?module-path=$SOFTHSM2_MODULE"
side tokdest -cmd ir -server "$SRV" $PBM -newkey "$TK" -newkeygen EC:P-256 \
    -newkeypass "pass:$PIN" -subject /CN=dropin
[ "$RC_p11cmp" -eq 0 ] || fail "tokdest: $(outcomes tokdest)"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label dropin --list-objects \
    --type cert 2>/dev/null | grep -q "label: *new" \
    || fail "tokdest: no cert stored on the token"
side tokdest_nostore -cmd ir -server "$SRV" $PBM -newkey "$TK" \
    -newkeypass "pass:$PIN" -subject /CN=dropin -no_store
[ "$RC_p11cmp" -eq 2 ] || fail "tokdest_nostore: $(outcomes tokdest_nostore)"
fi

# --- item 12: smaller ones
if group small; then
cat > "$WORK/exts.cnf" <<CNF
[cmp]
[exts]
subjectAltName = DNS:from.reqexts.example
CNF
side sans_twice -config "$WORK/exts.cnf" $IR -certout c.pem -reqexts exts \
    -sans other.example
agree sans_twice 2
p11_err sans_twice "subject alt names both in -reqexts"
# PBM whose sender comes from -subject: no -ref needed
side pbm_subject -cmd ir -server "$SRV" -secret "$SECRET" \
    -newkey "$WORK/k.pem" -subject "/CN=dropin pbm" -certout c.pem
agree pbm_subject 0
# rr takes -oldcert (or -csr), not -cert: an option error
side rr_cert -cmd rr -server "$SRV" $PBM -cert "$WORK/leaf.pem" \
    -key "$WORK/k.pem"
agree rr_cert 2
# unreadable message files are file errors
side rspin_none $IR -certout c.pem -rspin "$WORK/none.der"
agree rspin_none 1
side reqin_none $IR -certout c.pem -reqin "$WORK/none.der"
agree reqin_none 1
fi

# only the errors of the failed operation: nothing the token module's
# own libcrypto use left behind (SoftHSM2 looks for the rdrand engine)
if group stale_errors; then
[ -n "${SOFTHSM2_CONF:-}" ] || fixture_token dropin
KEYURI="pkcs11:token=dropin;object=nokey;type=private"
KEYURI="$KEYURI?module-path=$SOFTHSM2_MODULE"
side stale $IR -certout c.pem -key "$KEYURI" -keypass "pass:$PIN" \
    -cert "$WORK/leaf.pem"
[ "$RC_p11cmp" -eq 6 ] || fail "stale: $(outcomes stale)"
p11_err stale "key not found"
p11_no_err stale "rdrand|DSO|engine"
fi

# --- item 11: a CA that is down (nothing listens): both fail at once;
# with -msg_timeout both retry the refused connection until it ends
if group ca_down; then
DOWN="-cmd ir -server 127.0.0.1:9/pkix/ $PBM -newkey $WORK/k.pem"
DOWN="$DOWN -subject /CN=dropin -certout c.pem"
t0=$(date +%s)
side down1 $DOWN
t1=$(date +%s)
agree down1 3
[ $((t1 - t0)) -le 10 ] || fail "down1: took $((t1 - t0)) s"
side down2 $DOWN -msg_timeout 2
agree down2 3
fi

testca_stop

# --- against fresh openssl cmp mock servers
MOCK_PORT=1701
new_key "$WORK/root.key"
new_key "$WORK/sub.key"
new_key "$WORK/ee.key"
new_key "$WORK/srv.key"
openssl req -x509 -new -key "$WORK/root.key" -subj "/CN=dropin root" \
    -days 2 -out "$WORK/root.pem" 2> /dev/null || fail "root cert"
printf '[ca]\nbasicConstraints = critical,CA:true\nkeyUsage = keyCertSign\n' \
    > "$WORK/ca.ext"
printf '[ee]\nkeyUsage = digitalSignature\n' > "$WORK/ee.ext"
# issue KEY SUBJECT OUT CA CAKEY EXT
issue() {
    openssl req -new -key "$1" -subj "$2" 2> /dev/null \
        | openssl x509 -req -CA "$4" -CAkey "$5" -CAcreateserial -days 1 \
            -extfile "$WORK/$6.ext" -extensions "$6" -out "$3" 2> /dev/null \
        || fail "issue $2"
}
issue "$WORK/sub.key" "/CN=dropin sub" "$WORK/sub.pem" "$WORK/root.pem" \
    "$WORK/root.key" ca
issue "$WORK/ee.key" "/CN=dropin ee" "$WORK/ee.pem" "$WORK/sub.pem" \
    "$WORK/sub.key" ee
issue "$WORK/srv.key" "/CN=dropin mock" "$WORK/srv.pem" "$WORK/root.pem" \
    "$WORK/root.key" ee
issue "$WORK/k.pem" "/CN=dropin new" "$WORK/new.pem" "$WORK/root.pem" \
    "$WORK/root.key" ee
cat "$WORK/ee.pem" "$WORK/sub.pem" > "$WORK/ee-chain.pem"
fresh_mock() {
    mock_stop
    mock_start $FRESH_MOCK_ARGS
}

# --- item 2: -cert FILE with its chain: the intermediate goes into the
# extraCerts, so a fresh server can verify the signature
if group cert_chain; then
FRESH_MOCK_ARGS="-srv_cert $WORK/srv.pem -srv_key $WORK/srv.key"
FRESH_MOCK_ARGS="$FRESH_MOCK_ARGS -srv_trusted $WORK/root.pem"
FRESH_MOCK_ARGS="$FRESH_MOCK_ARGS -rsp_cert $WORK/new.pem"
SIG="-server 127.0.0.1:$MOCK_PORT -key $WORK/ee.key -trusted $WORK/root.pem"
SIDE_BEFORE=fresh_mock side chain1 -cmd cr $SIG -cert "$WORK/ee-chain.pem" \
    -newkey "$WORK/k.pem" -subject "/CN=dropin new" -certout c.pem
agree chain1 0
# without the intermediate, a fresh server cannot
SIDE_BEFORE=fresh_mock side chain2 -cmd cr $SIG -cert "$WORK/ee.pem" \
    -newkey "$WORK/k.pem" -subject "/CN=dropin new" -certout c.pem
agree chain2 4
# -own_trusted checks the chain built from the file
SIDE_BEFORE=fresh_mock side chain3 -cmd cr $SIG -cert "$WORK/ee-chain.pem" \
    -own_trusted "$WORK/root.pem" -newkey "$WORK/k.pem" \
    -subject "/CN=dropin new" -certout c.pem
agree chain3 0
mock_stop
fi

# --- item 6: revocation by CSR; OpenSSL's server answers it with an
# empty revCerts list
if group rr_csr; then
FRESH_MOCK_ARGS="-srv_ref mref -srv_secret pass:msecret -rsp_cert $WORK/new.pem"
MPBM="-server 127.0.0.1:$MOCK_PORT -ref mref -secret pass:msecret"
openssl req -new -key "$WORK/k.pem" -subj "/CN=dropin new" \
    -out "$WORK/new.csr" 2> /dev/null
SIDE_BEFORE=fresh_mock side rrcsr1 -cmd rr $MPBM -csr "$WORK/new.csr"
agree rrcsr1 0
SIDE_BEFORE=fresh_mock side rrcsr2 -cmd rr $MPBM -oldcert "$WORK/new.pem"
agree rrcsr2 0
SIDE_BEFORE=fresh_mock side rrcsr3 -cmd rr $MPBM
agree rrcsr3 2
mock_stop
fi
echo "cli_dropin: $n cases agree"
