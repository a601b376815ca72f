#!/bin/bash
# tests/cli_transfer.sh - p11cmp(1) message transfer options, each seen
# at work: -proxy (and http_proxy) through a small HTTP proxy on
# 127.0.0.1 (Python, bounded by a timeout) that logs what it forwards,
# -no_proxy bypassing it, -keep_alive in the connections the test CA
# counts, -total_timeout firing in bounded time while the CA has the
# client polling, an HTTP error and a response above the size limit
# (exit 3).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
W=$WORK
# the proxy variables of this run's environment play no part
unset http_proxy HTTP_PROXY no_proxy NO_PROXY

# a forward proxy for plain HTTP to 127.0.0.1 only: logs each request
# line, sends the request on with "Connection: close", relays the answer
cat > "$W/proxy.py" <<'PY'
import socket, sys, threading
log = sys.argv[1]
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(4)
print("LISTENING", lsock.getsockname()[1], flush=True)
def handle(c):
    f = c.makefile("rb")
    line = f.readline().decode("latin-1")
    heads, length = [], 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name = h.split(b":")[0].strip().lower()
        if name == b"content-length":
            length = int(h.split(b":")[1])
        if name not in (b"connection", b"proxy-connection"):
            heads.append(h)
    body = f.read(length)
    open(log, "a").write(line)
    method, url, _ = line.split()
    hostport, _, path = url.partition("://")[2].partition("/")
    host, _, port = hostport.partition(":")
    if host != "127.0.0.1":
        c.sendall(b"HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    b = socket.create_connection((host, int(port or 80)))
    b.sendall(("%s /%s HTTP/1.0\r\n" % (method, path)).encode()
              + b"".join(heads) + b"Connection: close\r\n\r\n" + body)
    while True:
        d = b.recv(65536)
        if not d:
            break
        c.sendall(d)
    b.close()
    c.close()
while True:
    c, _ = lsock.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
py_start "$W/proxy.py" "$W/proxy.log"
PROXY_PORT=$PY_PORT

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$W/k.pem" 2>/dev/null
testca_start --ref tr --secret pass:tr-secret --path /pkix/
IR="-cmd ir -ref tr -secret pass:tr-secret -newkey $W/k.pem -subject /CN=tr"
IR="$IR -certout $W/nc.pem"
SRV="-server 127.0.0.1:$TESTCA_PORT/pkix/"
proxied() { grep -c "^POST http://127.0.0.1:$TESTCA_PORT/pkix/ " \
    "$W/proxy.log" 2>/dev/null || true; }
connections() { grep -c 'http: connection accepted' "$W/testca.err" || true; }

# -proxy: ir and certConf go through the proxy
CLI_LOGS="$W/proxy.log $W/testca.err"
expect 0 $IR $SRV -proxy "127.0.0.1:$PROXY_PORT"
[ "$(proxied)" -eq 2 ] || fail "-proxy: $(cat "$W/proxy.log")"
# the http_proxy variable is the default of -proxy
http_proxy=http://127.0.0.1:$PROXY_PORT expect 0 $IR $SRV
[ "$(proxied)" -eq 4 ] || fail "http_proxy: $(cat "$W/proxy.log")"
# -no_proxy: this server is reached directly
expect 0 $IR $SRV -proxy "127.0.0.1:$PROXY_PORT" -no_proxy "127.0.0.1"
[ "$(proxied)" -eq 4 ] || fail "-no_proxy: $(cat "$W/proxy.log")"
http_proxy=http://127.0.0.1:$PROXY_PORT no_proxy=127.0.0.1 expect 0 $IR $SRV
[ "$(proxied)" -eq 4 ] || fail "no_proxy: $(cat "$W/proxy.log")"
py_stop

# -keep_alive: 0 a connection per message, 1 and 2 one for both
for ka in 0 1 2; do
    before=$(connections)
    expect 0 $IR $SRV -keep_alive $ka
    got=$(( $(connections) - before ))
    [ "$got" -eq "$([ $ka -eq 0 ] && echo 2 || echo 1)" ] \
        || fail "-keep_alive $ka: $got connections"
done

# an HTTP error: the CA serves only /pkix/
expect 3 $IR -server "127.0.0.1:$TESTCA_PORT/other/"
has err 'code=404'
testca_stop

# -total_timeout 2 while the CA says "check after 3 s" five times: the
# client gives up within 6 s (start-up included), not after 15 s
testca_start --ref tr --secret pass:tr-secret --poll 5 --check-after 3
SRV="-server 127.0.0.1:$TESTCA_PORT/pkix/"
start=$(date +%s)
expect 3 $IR $SRV -total_timeout 2
took=$(( $(date +%s) - start ))
[ "$took" -le 6 ] || fail "-total_timeout 2 took $took s"
has err 'total timeout'
[ "$(grep -c 'issued serial' "$W/testca.err" || true)" -eq 0 ] \
    || fail "a certificate was issued after the timeout"
testca_stop

# a response larger than the limit (1 MiB) is a transport error: exit 3
cat > "$W/big.py" <<'PY'
import socket, sys
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(4)
print("LISTENING", lsock.getsockname()[1], flush=True)
lsock.settimeout(60)
c, _ = lsock.accept()
c.settimeout(10)
f = c.makefile("rb")
length = 0
while True:
    h = f.readline()
    if h in (b"\r\n", b"\n", b""):
        break
    if h.lower().startswith(b"content-length:"):
        length = int(h.split(b":")[1])
f.read(length)
size = 2 * 1024 * 1024
body = b"\x30\x83" + (size - 5).to_bytes(3, "big") + b"\0" * 1024
c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\n"
          b"Content-Length: %d\r\n\r\n" % size + body)
c.close()
PY
py_start "$W/big.py"
expect 3 $IR -server "127.0.0.1:$PY_PORT/pkix/"
has err 'response too large'
py_stop
echo "cli_transfer: $n runs passed"
