# tests/token_fixture.sh - the token of the token end-to-end tests on the
# PKCS#11 module that P11CMP_TEST_TOKEN names: "softhsm" (default, SoftHSM2
# as tests/fixture.sh makes it) or "tpm2" (tpm2-pkcs11 on a software TPM).
# Sourced after tests/fixture.sh:
#   token_fixture LABEL   an initialised token LABEL (user PIN $PIN, SO PIN
#                         $SO_PIN); sets M (the module), TOKEN_URI and
#                         TOKEN_KIND
# For tpm2 it starts, all under $WORK/tpm2 and stopped by PID on exit:
# swtpm (TPM 2.0, state in a temporary directory, commands and control on
# unix sockets only), a private D-Bus session bus (unix socket), tpm2-abrmd
# on that bus talking to swtpm (tpm2-pkcs11 cannot create a token on swtpm
# directly: TPM error 0x902), and a tpm2_ptool token in a temporary
# TPM2_PKCS11_STORE. A test skips (77) naming what is missing when the
# tpm2 stack is not installed or swtpm cannot run here.

TOKEN_KIND=${P11CMP_TEST_TOKEN:-softhsm}
TPM2_SWTPM_PID=
TPM2_BUS_PID=
TPM2_ABRMD_PID=

# tpm2_stop: stops tpm2-abrmd, the bus and swtpm (those this test started)
tpm2_stop() {
    bg_stop TPM2_ABRMD_PID
    bg_stop TPM2_BUS_PID
    bg_stop TPM2_SWTPM_PID
}
trap 'tpm2_stop; fixture_cleanup' EXIT

# tpm2_wait WHAT TEST...: runs TEST until it succeeds, 10 s at most.
tpm2_wait() {
    what=$1
    shift
    i=0
    until "$@" > /dev/null 2>&1; do
        [ $i -lt 100 ] || fail "$what did not come up within 10 s: $(cat \
            "$WORK/tpm2/"*.log 2>/dev/null | tail -n 20)"
        sleep 0.1
        i=$((i + 1))
    done
}

# tpm2_token LABEL: the software TPM stack and a tpm2-pkcs11 token LABEL.
tpm2_token() {
    M=
    for f in /usr/lib/*/pkcs11/libtpm2_pkcs11.so /usr/lib/pkcs11/libtpm2_pkcs11.so; do
        [ -f "$f" ] && M=$f && break
    done
    [ -n "$M" ] || skip_test "tpm2-pkcs11 not installed (libtpm2-pkcs11-1)"
    for t in swtpm tpm2-abrmd tpm2_ptool dbus-daemon tpm2_getrandom; do
        command -v "$t" > /dev/null 2>&1 || [ -x "/usr/sbin/$t" ] \
            || skip_test "$t not installed (see P11CMP_DEBS)"
    done
    abrmd=$(command -v tpm2-abrmd || echo /usr/sbin/tpm2-abrmd)
    d=$WORK/tpm2
    mkdir -p "$d/state" "$d/store"
    swtpm socket --tpm2 --tpmstate "dir=$d/state" \
        --server "type=unixio,path=$d/tpm.sock" \
        --ctrl "type=unixio,path=$d/tpm.sock.ctrl" \
        --flags not-need-init,startup-clear > "$d/swtpm.log" 2>&1 &
    TPM2_SWTPM_PID=$!
    i=0
    while [ ! -S "$d/tpm.sock" ]; do
        kill -0 "$TPM2_SWTPM_PID" 2> /dev/null \
            || skip_test "swtpm cannot run here: $(tail -n 3 "$d/swtpm.log")"
        [ $i -lt 100 ] || skip_test "swtpm did not listen within 10 s"
        sleep 0.1
        i=$((i + 1))
    done
    cat > "$d/bus.conf" <<BUS
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$d/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
BUS
    dbus-daemon --config-file="$d/bus.conf" --nofork --nopidfile \
        > "$d/bus.log" 2>&1 &
    TPM2_BUS_PID=$!
    DBUS_SESSION_BUS_ADDRESS=unix:path=$d/bus.sock
    export DBUS_SESSION_BUS_ADDRESS
    tpm2_wait "the D-Bus session bus" test -S "$d/bus.sock"
    root=
    [ "$(id -u)" -ne 0 ] || root=--allow-root
    "$abrmd" --session $root --tcti "swtpm:path=$d/tpm.sock" \
        > "$d/abrmd.log" 2>&1 &
    TPM2_ABRMD_PID=$!
    TPM2TOOLS_TCTI=tabrmd:bus_type=session
    TPM2_PKCS11_TCTI=tabrmd:bus_type=session
    TPM2_PKCS11_STORE=$d/store
    TPM2_PKCS11_LOG_LEVEL=${TPM2_PKCS11_LOG_LEVEL:-0}
    export TPM2TOOLS_TCTI TPM2_PKCS11_TCTI TPM2_PKCS11_STORE \
        TPM2_PKCS11_LOG_LEVEL
    tpm2_wait "tpm2-abrmd" tpm2_getrandom 1
    tpm2_ptool init > "$d/ptool.log" 2>&1 || fail "tpm2_ptool init: $(cat \
        "$d/ptool.log")"
    tpm2_ptool addtoken --pid=1 --label="$1" --sopin="$SO_PIN" \
        --userpin="$PIN" >> "$d/ptool.log" 2>&1 \
        || fail "tpm2_ptool addtoken: $(cat "$d/ptool.log")"
    TOKEN_URI="pkcs11:token=$1"
}

token_fixture() {
    case $TOKEN_KIND in
        softhsm) fixture_token "$1"; M=$SOFTHSM2_MODULE ;;
        tpm2) tpm2_token "$1" ;;
        *) fail "P11CMP_TEST_TOKEN=$TOKEN_KIND: not softhsm or tpm2" ;;
    esac
}
