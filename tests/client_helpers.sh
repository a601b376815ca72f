# tests/client_helpers.sh - helpers of the tests/client_*.sh tests, sourced
# after tests/fixture.sh and tests/testca/helpers.sh: tests/cmp_client
# against the running test CA, and checks of the "key value" lines it
# prints (see tests/cmp_client.c).

CMP_CLIENT=$top_builddir/tests/cmp_client

# client ARGS...: cmp_client to the test CA, bounded in time; its stdout
# goes to $WORK/out, stderr to $WORK/err. Returns its exit status.
client() {
    timeout 60 ${CLIENT_WRAPPER:-} "$CMP_CLIENT" \
        --server "127.0.0.1:$TESTCA_PORT" --msg-timeout 20 "$@" \
        > "$WORK/out" 2> "$WORK/err"
}

# client_pbm ARGS...: client with PBM protection
client_pbm() {
    client --ref "$REF" --secret "${SECRET#pass:}" "$@"
}

client_fail() {
    fail "$1: $(cat "$WORK/out" "$WORK/err")"
}

# val KEY: the value of the first line "KEY value" of the last output
val() {
    sed -n "s/^$1 //p" "$WORK/out" | head -n 1
}

# expect_val WHAT KEY WANT
expect_val() {
    [ "$(val "$2")" = "$3" ] \
        || fail "$1: $2 is '$(val "$2")', expected '$3'; $(cat "$WORK/out")"
}

# expect_reason WHAT CODE: the p11cmp reason CODE was raised
expect_reason() {
    case " $(val reasons) " in
    *" $2 "*) ;;
    *) fail "$1: reason $2 not in '$(val reasons)'" ;;
    esac
}

# expect_issued WHAT CERT KEY SUBJECT: a successful enrollment: status
# accepted, the cert for KEY with SUBJECT, issued by the test CA
expect_issued() {
    expect_val "$1 result" result ok
    expect_val "$1 status" status 0
    expect_val "$1 newcert" newcert yes
    expect_eq "$1 public key" "$(cert_pubkey "$2")" \
        "$(openssl pkey -in "$3" -pubout)"
    expect_eq "$1 subject" "$(cert_subject "$2")" "$4"
    expect_eq "$1 verify" "$(openssl verify -CAfile "$WORK/ca.pem" "$2" \
        2>&1)" "$2: OK"
}
