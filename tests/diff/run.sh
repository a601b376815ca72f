#!/bin/bash
# tests/diff/run.sh - the differential harness: every case of the case
# table (tests/diff/cases, syntax at its top) runs with `openssl cmp` and
# with p11cmp against the same peer, a fresh `openssl cmp -port 0` mock
# server per case group or tests/testca, and the two runs are compared:
# the outcome (success or failure, and p11cmp's exit class where the case
# pins it), the output files (present or absent; the same certificates,
# as DER where the mock server is deterministic, else by subject, issuer
# and public key) and the stderr facts the case names. Nothing here reads
# OpenSSL's message texts beyond what a case asks for, so it runs with
# OpenSSL 3.0 (Debian 12) and 3.5 (Debian 13) as the peer; where openssl
# itself changed, a case says so per release (v35=).
#
# The mock server listens on all interfaces, so the whole run happens in
# a private network namespace (FIXTURE_NETNS). DIFF_CASES=FILE runs
# another table; DIFF_ONLY=REGEX runs only the matching case names (and
# the directives of their groups); DIFF_KEEP=1 keeps $WORK.
FIXTURE_NETNS=1
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/diff/pki.sh"
P11CMP=$top_builddir/p11cmp
CASES=${DIFF_CASES:-$top_srcdir/tests/diff/cases}
W=$WORK/w
mkdir -p "$W"
unset OPENSSL_CONF P11CMP_PIN
[ -x "$P11CMP" ] || fail "p11cmp not built: $P11CMP"
[ -x "$TESTCA" ] || fail "test CA not built: $TESTCA"
[ -n "${DIFF_KEEP:-}" ] && trap 'testca_stop; mock_stop; py_stop' EXIT

# the peer's release: 30 for OpenSSL 3.0.x, 35 for 3.5.x, ...
OSSL_REL=$(openssl version -v | sed -n 's/^OpenSSL \([0-9]*\)\.\([0-9]*\).*/\1\2/p')
[ -n "$OSSL_REL" ] || fail "cannot tell the OpenSSL release"

pki_make
export DIFF_PASS=12345 DIFF_SECRET=sec1

SRV=          # host:port of the current group's server
TLS=          # host:port of its TLS front end (@tls)
KIND= GARGS= FRESH= g= # how to start the group's server; @fresh
GROUP=        # name of the current group
COMMON=       # arguments every case of the group gets
total=0 passed=0 failed=0 known=0
FAILS=
KNOWN=
UNSUPPORTED=

# subst TEXT: the table's placeholders replaced (%W inputs, %S server,
# %P port, %M SoftHSM2 module; %O is replaced per run)
subst() {
    local t=$1
    t=${t//%W/$W}
    t=${t//%S/$SRV}
    t=${t//%P/${SRV##*:}}
    t=${t//%M/$SOFTHSM2_MODULE}
    t=${t//%T/$TLS}
    t=${t//%R/$WORK/runs}
    printf '%s' "$t"
}

# listen_port: the TCP port something listens on; the namespace is
# private and only one server runs at a time, so it is the server's
listen_port() {
    awk '$4 == "0A" { split($2, a, ":"); print a[2]; exit }' \
        /proc/net/tcp /proc/net/tcp6 2> /dev/null | head -n 1 \
        | while read -r hex; do echo $((16#$hex)); done
}

group_stop() {
    py_stop
    mock_stop
    testca_stop
    SRV=
    TLS=
}

# group_tls: a TLS front end (tests/tls_front.py, cert tls.pem for
# 127.0.0.1 issued by int) before the group's server; sets TLS
group_tls() {
    py_start "$top_srcdir/tests/tls_front.py" "$W/tls_chain.pem" \
        "$W/tls.key" "$W/root.pem" "${SRV##*:}"
    TLS=127.0.0.1:$PY_PORT
}

# group_mock NAME ARGS...: a fresh mock server (openssl cmp -port 0)
group_mock() {
    local i
    group_stop
    GROUP=$1
    shift
    # shellcheck disable=SC2046
    eval "set -- $(subst "$*")"
    timeout 600 openssl cmp -config "" -port 0 "$@" \
        > "$WORK/mock.log" 2>&1 &
    MOCK_PID=$!
    for i in $(seq 100); do
        p=$(listen_port)
        [ -n "$p" ] && break
        kill -0 "$MOCK_PID" 2> /dev/null \
            || fail "group $GROUP: mock server exited: $(cat "$WORK/mock.log")"
        sleep 0.1
    done
    [ -n "$p" ] || fail "group $GROUP: mock server did not listen in 10 s"
    SRV=127.0.0.1:$p
}

# group_testca NAME ARGS...: a fresh tests/testca
group_testca() {
    group_stop
    GROUP=$1
    shift
    eval "set -- $(subst "$*")"
    testca_start "$@"
    SRV=127.0.0.1:$TESTCA_PORT
}

# certs_of FILE HOW: one line per certificate in FILE (PEM, several, or
# DER): its DER's SHA-256 (HOW=same) or subject, issuer and public key
# (HOW=fields); "none" for an empty file, "unreadable" if no cert
certs_of() {
    local f=$1 how=$2 part n=0
    rm -f "$f".part.*
    if grep -q -- '-----BEGIN' "$f" 2> /dev/null; then
        awk -v out="$f.part" '/-----BEGIN CERTIFICATE-----/ { n++;
            fn = sprintf("%s.%03d", out, n) } fn != "" { print > fn }
            /-----END CERTIFICATE-----/ { close(fn); fn = "" }' "$f"
    elif [ -s "$f" ]; then
        openssl x509 -inform DER -in "$f" -out "$f.part.001" 2> /dev/null \
            || { echo unreadable; return; }
    else
        echo none
        return
    fi
    for part in "$f".part.*; do
        [ -f "$part" ] || { echo unreadable; return; }
        n=$((n + 1))
        if [ "$how" = same ]; then
            openssl x509 -in "$part" -outform DER 2> /dev/null | sha256sum \
                | cut -c1-16
        else
            { openssl x509 -in "$part" -noout -subject -issuer \
                -nameopt RFC2253 && openssl x509 -in "$part" -noout \
                -pubkey; } 2> /dev/null | sha256sum | cut -c1-16
        fi
    done | tr '\n' ' '
    rm -f "$f".part.*
}

# files_of DIR HOW: what the run wrote: one "name: certs" line per file
files_of() {
    local f
    for f in "$1"/*; do
        [ -e "$f" ] || continue
        case $f in *.part.*) continue ;; esac
        case ${f##*/} in
            req*|rsp*|*.der.msg) echo "${f##*/}: (written)" ;;
            *) echo "${f##*/}: $(certs_of "$f" "$2")" ;;
        esac
    done
}

# run_one PROG DIR ARGS...: one client run; sets RC, output in DIR/../
run_one() {
    local prog=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    local ins=/dev/null fd3=/dev/null
    [ -n "$C_IN" ] && ins=$W/$C_IN
    [ -n "$C_FD3" ] && fd3=$W/$C_FD3
    set +e
    # shellcheck disable=SC2086
    env $C_ENV timeout -k 2 "$C_LIMIT" $prog "$@" < "$ins" > "$dir.out" \
        2> "$dir.err" 3< "$fd3"
    RC=$?
    set -e
}

outcome() { [ "$1" -eq 0 ] && echo ok || echo fail; }

# case_fail WHY: records a failed case with both outcomes
case_fail() {
    failed=$((failed + 1))
    FAILS="$FAILS $C_NAME"
    {
        echo "FAIL: case $C_NAME (group $GROUP, line $LINENO_C): $1"
        echo "  openssl cmp: exit $RC_O ($(outcome $RC_O)); p11cmp: exit $RC_P ($(outcome $RC_P)); expected $C_EXP${C_RC:+, p11cmp exit $C_RC}"
        echo "  args: $C_ARGS"
        echo "  openssl files: $(files_of "$D/openssl" "$C_CERT" | tr '\n' ';')"
        echo "  p11cmp  files: $(files_of "$D/p11cmp" "$C_CERT" | tr '\n' ';')"
        echo "  --- openssl stderr (last lines):"
        tail -n 6 "$D/openssl.err" | sed 's/^/    /'
        echo "  --- p11cmp stderr (last lines):"
        tail -n 6 "$D/p11cmp.err" | sed 's/^/    /'
    } >&2
}

# run_case NAME EXPECT ARGS: one line of the table
run_case() {
    local tok why=
    C_NAME=$1 C_EXP= C_RC= C_IN= C_FD3= C_CERT=same C_TODO= C_NOCONF=
    C_ENV= C_LIMIT=60 C_NOFILES=
    C_ERR=() C_PERR=() C_OERR=() C_NERR=()
    case $GROUP in testca*) C_CERT=fields ;; esac
    for tok in $2; do
        case $tok in
            ok|fail) C_EXP=$tok ;;
            rc=*) C_RC=${tok#rc=} ;;
            v$OSSL_REL=*) C_OEXP=${tok#v*=} ;;
            v[0-9][0-9]=*) ;;
            f$OSSL_REL=skip) C_NOFILES=1 ;;
            f[0-9][0-9]=skip) ;;
            todo$OSSL_REL=*) C_TODO=${tok#todo*=} ;;
            todo[0-9][0-9]=*) ;;
            in=*) C_IN=${tok#in=} ;;
            fd3=*) C_FD3=${tok#fd3=} ;;
            cert=*) C_CERT=${tok#cert=} ;;
            err=*) C_ERR+=("${tok#err=}") ;;
            perr=*) C_PERR+=("${tok#perr=}") ;;
            oerr=*) C_OERR+=("${tok#oerr=}") ;;
            noerr=*) C_NERR+=("${tok#noerr=}") ;;
            todo=*) C_TODO=${tok#todo=} ;;
            noconf) C_NOCONF=1 ;;
            env=*) C_ENV="$C_ENV $(subst "${tok#env=}")" ;;
            limit=*) C_LIMIT=${tok#limit=} ;;
            *) fail "line $LINENO_C: unknown check '$tok'" ;;
        esac
    done
    [ -n "$C_EXP" ] || fail "line $LINENO_C: case $C_NAME has no ok/fail"
    : "${C_OEXP:=$C_EXP}"
    [ -n "$SRV" ] || fail "line $LINENO_C: case $C_NAME outside a group"
    C_ARGS="$COMMON $3"
    total=$((total + 1))
    D=$WORK/runs/$C_NAME
    rm -rf "$D"
    mkdir -p "$D"
    local a
    a=$(subst "$C_ARGS")
    local conf=(-config "")
    [ -n "$C_NOCONF" ] && conf=()
    case " $a " in *" -config "*) conf=() ;; esac
    local t0
    t0=$(date +%s%N)
    [ -z "$FRESH" ] || { group_restart; a=$(subst "$C_ARGS"); }
    a=${a//%O/$D/%X}
    eval "set -- ${a//%X/openssl}"
    run_one "openssl cmp" "$D/openssl" "${conf[@]}" "$@"
    RC_O=$RC
    [ -z "$FRESH" ] || { group_restart; a=$(subst "$C_ARGS"); }
    a=${a//%O/$D/%X}
    eval "set -- ${a//%X/p11cmp}"
    run_one "$P11CMP" "$D/p11cmp" "${conf[@]}" "$@"
    RC_P=$RC
    [ -z "${DIFF_TIMES:-}" ] \
        || echo "time: $C_NAME $((($(date +%s%N) - t0) / 1000000)) ms" >&2
    local fo fp
    fo=$(files_of "$D/openssl" "$C_CERT")
    fp=$(files_of "$D/p11cmp" "$C_CERT")
    if [ "$(outcome $RC_O)" != "$C_OEXP" ]; then
        why="openssl cmp did not give the outcome of the table (peer changed?)"
    elif [ "$(outcome $RC_P)" != "$C_EXP" ]; then
        why="p11cmp's outcome differs"
    elif [ -n "$C_RC" ] && [ "$RC_P" -ne "$C_RC" ]; then
        why="p11cmp's exit class differs"
    elif [ -z "$C_NOFILES" ] && [ "$C_OEXP" = "$C_EXP" ] \
        && [ "$fo" != "$fp" ]; then
        why="the files written differ"
    fi
    if [ -z "$why" ]; then
        for tok in "${C_ERR[@]}" "${C_OERR[@]}"; do
            grep -Eiq -- "$tok" "$D/openssl.err" \
                || { why="openssl stderr lacks /$tok/"; break; }
        done
    fi
    if [ -z "$why" ]; then
        for tok in "${C_ERR[@]}" "${C_PERR[@]}"; do
            grep -Eiq -- "$tok" "$D/p11cmp.err" \
                || { why="p11cmp stderr lacks /$tok/"; break; }
        done
    fi
    if [ -z "$why" ]; then
        for tok in "${C_NERR[@]}"; do
            grep -Eiq -- "$tok" "$D/p11cmp.err" \
                && { why="p11cmp stderr has /$tok/"; break; }
        done
    fi
    C_OEXP=
    if [ -z "$why" ]; then
        passed=$((passed + 1))
        [ -n "$C_TODO" ] && echo "NOTE: case $C_NAME passes now: drop" \
            "its todo ($C_TODO)" >&2
        return 0
    fi
    if [ -n "$C_TODO" ]; then
        known=$((known + 1))
        KNOWN="$KNOWN $C_NAME"
        echo "known difference: $C_NAME ($C_TODO): $why;" \
            "openssl $RC_O, p11cmp $RC_P" >&2
        return 0
    fi
    case_fail "$why"
}

# group_restart: (again) a fresh server of the current group
group_restart() {
    if [ "$KIND" = @mock ]; then
        group_mock "$g" "$GARGS"
    else
        group_testca "$g" "$GARGS"
    fi
}

# the table: "@file NAME" ... "@end" writes $W/NAME (placeholders
# replaced); "@mock GROUP ARGS" / "@testca GROUP ARGS" start a group's
# fresh server ("@fresh": a fresh one for each run of each case);
# "@common ARGS" sets the arguments of its cases; "@tls" puts a TLS
# front end before it; "@unsupported OPTS" lists options not compared;
# "NAME | CHECKS | ARGS" is a case
lineno=0
FILE_OUT=
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    if [ -n "$FILE_OUT" ]; then
        if [ "$line" = "@end" ]; then
            FILE_OUT=
        else
            printf '%s\n' "$(subst "$line")" >> "$FILE_OUT"
        fi
        continue
    fi
    case $line in
        ''|'#'*) continue ;;
        '@file '*) FILE_OUT=$W/${line#@file }; : > "$FILE_OUT"; continue ;;
        '@mock '*|'@testca '*)
                   set -- ${line#@* }; g=$1; shift
                   KIND=${line%% *} GARGS="$*" COMMON= FRESH=
                   group_restart; continue ;;
        '@fresh') FRESH=1; continue ;;
        '@common '*) COMMON=${line#@common }; continue ;;
        '@common') COMMON=; continue ;;
        '@tls') group_tls; continue ;;
        '@unsupported '*) UNSUPPORTED="$UNSUPPORTED ${line#@unsupported }"
                   continue ;;
        @*) fail "line $lineno: unknown directive: $line" ;;
    esac
    name=$(echo "${line%%|*}" | tr -d ' ')
    rest=${line#*|}
    checks=${rest%%|*}
    args=${rest#*|}
    [ "$rest" != "$line" ] && [ "$args" != "$rest" ] \
        || fail "line $lineno: not NAME | CHECKS | ARGS: $line"
    if [ -n "${DIFF_ONLY:-}" ] && ! echo "$name" | grep -Eq "$DIFF_ONLY"; then
        continue
    fi
    LINENO_C=$lineno
    run_case "$name" "$checks" "$args"
done < "$CASES"
group_stop

# Every option of `openssl cmp -help` is compared by some case (on the
# command line or as a config key) or listed by "@unsupported" (and then
# in p11cmp(1)). Options of later releases are only named (not in 3.0).
coverage() {
    local o miss= newer=
    for o in $(openssl cmp -help 2>&1 | sed -n 's/^ -\([A-Za-z0-9_-]*\).*/\1/p'); do
        case " $UNSUPPORTED " in
            *" $o "*)
                grep -q -- "B<-$o>" "$top_srcdir/docs/man1/p11cmp.pod" \
                    || miss="$miss -$o(not in p11cmp.pod)"
                continue ;;
        esac
        if ! "$P11CMP" -help | grep -q -- "^ -$o[ ]"; then
            if [ "$OSSL_REL" = 30 ]; then
                miss="$miss -$o(not in p11cmp -help)"
            else
                newer="$newer -$o"
            fi
            continue
        fi
        if ! grep -Eq -- "(-$o([ \"]|\$)|^$o *=)" "$CASES"; then
            if [ "$OSSL_REL" = 30 ]; then
                miss="$miss -$o(no case)"
            else
                newer="$newer -$o"
            fi
            continue
        fi
        covered=$((covered + 1))
    done
    [ -z "$newer" ] || echo "diff: options of openssl cmp $OSSL_REL" \
        "that 3.0 lacks (no case compares them):$newer"
    [ -z "$miss" ] || fail "options of openssl cmp -help neither compared" \
        "nor listed unsupported:$miss"
}
covered=0
[ -n "${DIFF_ONLY:-}" ] || coverage

echo "diff: OpenSSL $(openssl version -v | cut -d' ' -f2) as the peer:" \
    "$total cases, $passed passed, $known known differences," \
    "$failed failed; $covered options compared"
[ -z "$KNOWN" ] || echo "diff: known differences:$KNOWN"
[ "$failed" -eq 0 ] || fail "differing cases:$FAILS"
[ -n "${DIFF_ONLY:-}" ] || [ "$total" -ge 250 ] \
    || echo "diff: note: fewer than 250 cases ($total)"
