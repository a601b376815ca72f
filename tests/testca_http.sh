#!/bin/bash
# tests/testca_http.sh - the test CA's HTTP server, spoken to directly with
# bash's /dev/tcp: two requests answered over one keep-alive connection,
# HTTP/1.0 closing, the errors (413 too large, 411 no Content-Length, 405,
# 404 with --path, 415, 505, 431, 400 for a body that is no PKIMessage), an
# idle connection giving way to a new client, --io-timeout (408 for a request
# that does not arrive, idle connections closed), and the three ways it
# stops by itself or on request (--max-requests, --timeout, SIGTERM).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"

# http_open: fd 3 connected to the test CA.
http_open() {
    exec 3<>"/dev/tcp/127.0.0.1/$TESTCA_PORT" || fail "cannot connect"
}
http_close() {
    exec 3>&-
}
# http_post FILE VERSION [HEADER...]: sends FILE as the body of a POST to
# /pkix/ on fd 3 with a Content-Length (unless a header says "nolength").
http_post() {
    body=$1
    version=$2
    shift 2
    head="POST /pkix/ HTTP/$version\r\nHost: 127.0.0.1\r\n"
    head="${head}Content-Type: application/pkixcmp\r\n"
    length=yes
    for h in "$@"; do
        if [ "$h" = nolength ]; then
            length=no
        else
            head="$head$h\r\n"
        fi
    done
    [ $length = no ] \
        || head="${head}Content-Length: $(stat -c %s "$body")\r\n"
    printf "$head\r\n" >&3
    cat "$body" >&3
}
# http_response OUT: reads one response from fd 3; the body goes to OUT;
# sets STATUS, CONNECTION and CTYPE. Returns 1 if none arrives in 5 s.
http_response() {
    STATUS=
    CONNECTION=
    CTYPE=
    len=0
    IFS= read -r -t 5 line <&3 || return 1
    line=${line%$'\r'}
    STATUS=$(echo "$line" | cut -d ' ' -f 2)
    while IFS= read -r -t 5 line <&3; do
        line=${line%$'\r'}
        [ -n "$line" ] || break
        case "${line,,}" in
            content-length:*) len=${line#*: } ;;
            connection:*) CONNECTION=${line#*: } ;;
            content-type:*) CTYPE=${line#*: } ;;
        esac
    done
    timeout 5 head -c "$len" <&3 > "$1"
    expect_eq "body length" "$(stat -c %s "$1")" "$len"
}
# expect_closed: the server closed fd 3.
expect_closed() {
    if IFS= read -r -t 5 line <&3; then
        fail "connection still open, got: $line"
    fi
    http_close
}

# A valid request (genm with PBM) recorded from the openssl client.
testca_start --ref "$REF" --secret "$SECRET" --path /pkix/ --timeout 60
cmp_pbm -path /pkix/ -cmd genm -reqout "$WORK/genm.der" \
    || client_failed "genm"

# Keep-alive: two requests over one connection, both answered.
http_open
http_post "$WORK/genm.der" 1.1
http_response "$WORK/rsp1.der" || fail "no first response"
expect_eq "first status" "$STATUS" 200
expect_eq "first Connection" "$CONNECTION" keep-alive
expect_eq "first Content-Type" "$CTYPE" application/pkixcmp
http_post "$WORK/genm.der" 1.1 "Connection: close"
http_response "$WORK/rsp2.der" || fail "no second response on the connection"
expect_eq "second status" "$STATUS" 200
expect_eq "second Connection" "$CONNECTION" close
expect_closed
expect_eq "genp answers" "$(log_count ': genp')" 3
openssl asn1parse -inform DER -in "$WORK/rsp2.der" > /dev/null \
    || fail "response is not DER"

# HTTP/1.0 without keep-alive: answered, then closed.
http_open
http_post "$WORK/genm.der" 1.0
http_response "$WORK/rsp3.der" || fail "no HTTP/1.0 response"
expect_eq "HTTP/1.0 status" "$STATUS" 200
expect_eq "HTTP/1.0 Connection" "$CONNECTION" close
expect_closed

# A body that is no PKIMessage: 400, and the connection stays usable.
printf 'not a PKIMessage' > "$WORK/junk"
http_open
http_post "$WORK/junk" 1.1
http_response "$WORK/rsp.txt" || fail "no response to junk"
expect_eq "junk status" "$STATUS" 400
http_post "$WORK/genm.der" 1.1 "Connection: close"
http_response "$WORK/rsp4.der" || fail "no response after junk"
expect_eq "status after junk" "$STATUS" 200
expect_closed

# Errors that end the connection.
# expect_error STATUS VERSION [HEADER...]: posts genm.der, expects STATUS.
expect_error() {
    want=$1
    shift
    http_open
    http_post "$WORK/genm.der" "$@"
    http_response "$WORK/err.txt" || fail "no response (expected $want)"
    expect_eq "error status" "$STATUS" "$want"
    expect_eq "error Connection" "$CONNECTION" close
    expect_closed
}
expect_error 413 1.1 "Content-Length: 2000000" nolength
expect_error 411 1.1 nolength
expect_error 400 1.1 "Content-Length: twelve" nolength
expect_error 415 1.1 "Content-Type: text/plain"
http_open
printf 'GET /pkix/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&3
http_response "$WORK/err.txt" || fail "no response to GET"
expect_eq "GET status" "$STATUS" 405
expect_closed
http_open
printf 'POST /other HTTP/1.1\r\nContent-Length: 0\r\n\r\n' >&3
http_response "$WORK/err.txt" || fail "no response to a wrong path"
expect_eq "wrong path status" "$STATUS" 404
expect_closed

http_open
printf 'POST /pkix/ HTTP/2.0\r\nContent-Length: 0\r\n\r\n' >&3
http_response "$WORK/err.txt" || fail "no response to HTTP/2.0"
expect_eq "HTTP/2.0 status" "$STATUS" 505
expect_closed
http_open
printf 'POST /pkix/ HTTP/1.1\r\nX-Long: %s' "$(head -c 9000 /dev/zero \
    | tr '\0' a)" >&3
http_response "$WORK/err.txt" || fail "no response to a 9 KB head"
expect_eq "long head status" "$STATUS" 431
expect_closed

# An idle keep-alive connection does not block the next client.
http_open
http_post "$WORK/genm.der" 1.1
http_response "$WORK/rsp5.der" || fail "no response"
start=$(date +%s)
cmp_pbm -path /pkix/ -cmd genm || client_failed "genm beside an idle conn"
# well below the 10 s --io-timeout that would otherwise free the server
[ $(($(date +%s) - start)) -le 5 ] || fail "the idle connection blocked"
expect_eq "idle dropped" "$(log_count 'dropping idle connection')" 1
expect_closed

# SIGTERM: a clean stop with status 0.
kill -TERM "$TESTCA_PID"
testca_wait_exit 5 || fail "test CA ignored SIGTERM"
expect_eq "exit status after SIGTERM" "$TESTCA_RC" 0
expect_eq "stop reason" "$(log_count 'stopping (signal)')" 1

# --max-requests 2: the second answer says close, then the CA exits.
testca_start --ref "$REF" --secret "$SECRET" --max-requests 2 --timeout 60
http_open
http_post "$WORK/genm.der" 1.1
http_response "$WORK/rsp6.der" || fail "no response 1 of 2"
expect_eq "request 1 of 2" "$STATUS $CONNECTION" "200 keep-alive"
http_post "$WORK/genm.der" 1.1
http_response "$WORK/rsp7.der" || fail "no response 2 of 2"
expect_eq "request 2 of 2" "$STATUS $CONNECTION" "200 close"
expect_closed
testca_wait_exit 5 || fail "test CA still runs after --max-requests 2"
expect_eq "exit status after max-requests" "$TESTCA_RC" 0
expect_eq "stop reason" \
    "$(log_count 'stopping (max-requests reached) after 2 request(s)')" 1

# --io-timeout 1: an incomplete request gets 408, an idle connection is
# closed.
testca_start --io-timeout 1 --timeout 60
http_open
printf 'POST /pkix/ HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc' >&3
http_response "$WORK/err.txt" || fail "no answer to an incomplete request"
expect_eq "incomplete request" "$STATUS $CONNECTION" "408 close"
expect_closed
http_open
start=$(date +%s)
expect_closed
[ $(($(date +%s) - start)) -le 4 ] || fail "idle connection kept too long"
testca_stop

# --timeout 1: exits on its own.
testca_start --timeout 1
testca_wait_exit 5 || fail "test CA still runs after --timeout 1"
expect_eq "exit status after timeout" "$TESTCA_RC" 0
expect_eq "stop reason" "$(log_count 'stopping (timeout)')" 1
echo "PASS: keep-alive, HTTP errors, idle connections, bounded run time"
