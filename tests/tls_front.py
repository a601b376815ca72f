# tests/tls_front.py - a TLS front end for the tests (tests/cli_tls.sh,
# tests/diff/run.sh): accepts TLS on 127.0.0.1 (port chosen by the
# kernel, printed as "LISTENING PORT"), asks for a client certificate
# (optional, verified against CA), and relays each connection to the
# plain-HTTP backend 127.0.0.1:BACKEND. With LOG, appends one line per
# connection: "client: <CN of the client cert or ->" or "handshake failed".
# Usage: python3 tls_front.py CHAIN KEY CA BACKEND [LOG]; stops on SIGTERM.
import socket
import ssl
import sys
import threading

chain, key, ca, backend = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
log = sys.argv[5] if len(sys.argv) > 5 else None
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(chain, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_OPTIONAL
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print("LISTENING", srv.getsockname()[1], flush=True)


def copy(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def note(line):
    if log is not None:
        with open(log, "a") as f:
            f.write(line + "\n")


def serve(conn):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        note("handshake failed")
        conn.close()
        return
    peer = tls.getpeercert()
    subj = dict(x[0] for x in peer["subject"]) if peer else {}
    note("client: %s" % subj.get("commonName", "-"))
    back = socket.create_connection(("127.0.0.1", backend), timeout=30)
    threading.Thread(target=copy, args=(back, tls), daemon=True).start()
    copy(tls, back)


while True:
    c, _ = srv.accept()
    c.settimeout(30)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
