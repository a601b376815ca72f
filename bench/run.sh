#!/bin/bash
# bench/run.sh - `make bench`: p11cmp against `openssl cmp` (libp11's
# engine) and against the physical floor, every figure measured in this
# one run against one test CA and one SoftHSM2 token, printed as ONE table
# with the ratios first (absolute times on a shared machine are noise).
# Compared commands are interleaved: ROUNDS hyperfine rounds of RUNS runs
# of each command, medians over all rounds. See bench/README.md.
#
# Usage: bench/run.sh BUILDDIR [--callgrind]   (BUILDDIR: a configured
# and built p11cmp tree). --callgrind prints instead the instructions per
# in-process transaction (callgrind, repeatable on a noisy machine) of
# p11cmp, OSSL_CMP and the crypto floor, and of one CLI enrollment.
# Environment: BENCH_ROUNDS (8), BENCH_RUNS (4), BENCH_TX (1000),
# BENCH_BATCH (200 requests), BENCH_BATCH_ROUNDS (3), BENCH_OUT (also
# write the table to this file).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:?usage: bench/run.sh BUILDDIR}" && pwd)
. "$SRC/scripts/lib.sh"
# hyperfine is needed by the benchmark only, not by the tests
P11CMP_DEBS=$P11CMP_BENCH_DEBS install_deps
ROUNDS=${BENCH_ROUNDS:-8}
RUNS=${BENCH_RUNS:-4}
TX=${BENCH_TX:-1000}
BATCH_N=${BENCH_BATCH:-200}
BATCH_ROUNDS=${BENCH_BATCH_ROUNDS:-3}
: "${SOFTHSM2_MODULE:=$(sed -n 's/^SOFTHSM2_MODULE = //p' "$BUILD/Makefile")}"
M=$SOFTHSM2_MODULE
W=$(mktemp -d /tmp/p11cmp-bench.XXXXXX)
CA_PID=
CA2_PID=
cleanup() {
    for pid in $CA_PID $CA2_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
note() { echo "bench: $*" >&2; }

note "building the bench programs"
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 $(pkg-config --cflags p11-kit-1) \
    -o "$W/floor" "$SRC/bench/floor.c" -ldl
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wno-deprecated-declarations \
    -I"$SRC/include" -o "$W/inproc" "$SRC/bench/inproc.c" \
    -L"$BUILD/.libs" -Wl,-rpath,"$BUILD/.libs" -lp11cmp \
    $(pkg-config --cflags --libs libcrypto)

note "token and test CA"
mkdir "$W/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' \
    "$W/tokens" > "$W/softhsm2.conf"
printf 'log.level = ERROR\nslots.removable = false\n' >> "$W/softhsm2.conf"
export SOFTHSM2_CONF=$W/softhsm2.conf
echo 1234 > "$W/pin"
for t in bench gen; do
    softhsm2-util --init-token --free --label $t --pin 1234 \
        --so-pin 12345678 > /dev/null
done
pkcs11-tool --module "$M" --token-label bench --login --pin 1234 \
    --keypairgen --key-type EC:prime256v1 --id 01 --label rakey \
    > /dev/null 2>&1
ENGINE_SO=$(openssl version -e | sed 's/^ENGINESDIR: "\(.*\)"$/\1/')/pkcs11.so
cat > "$W/engine.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE_SO
MODULE_PATH = $M
init = 0
CNF
# start_ca NAME ARGS...: a test CA, its certificate in $W/NAME.pem; sets
# CA_STARTED (its PID) and CA_PORT
start_ca() {
    name=$1
    shift
    "$BUILD/tests/testca/testca" --port 0 --timeout 3600 --ref testref \
        --secret pass:test-secret-0815 --cacertout "$W/$name.pem" "$@" \
        > "$W/$name.out" 2> "$W/$name.err" &
    CA_STARTED=$!
    CA_PORT=
    for _ in $(seq 100); do
        CA_PORT=$(sed -n 's/^LISTENING 127\.0\.0\.1 \([0-9]*\)$/\1/p' \
            "$W/$name.out")
        [ -n "$CA_PORT" ] && return 0
        sleep 0.1
    done
    note "test CA $name did not start"
    return 1
}
start_ca ca
CA_PID=$CA_STARTED
PORT=$CA_PORT

KEY="pkcs11:token=bench;object=rakey;type=private"
PINQ="module-path=$M&pin-source=file:$W/pin"
COMMON="-cmd ir -server 127.0.0.1:$PORT -ref testref \
-secret pass:test-secret-0815 -subject /CN=bench -out_trusted $W/ca.pem \
-keep_alive 0 -batch -certout $W/out.pem"
# the program itself, not libtool's wrapper script (which runs bash first)
P11BIN=$BUILD/.libs/p11cmp
[ -x "$P11BIN" ] || P11BIN=$BUILD/p11cmp
P11="env LD_LIBRARY_PATH=$BUILD/.libs $P11BIN $COMMON -no_store"
OSSL="env OPENSSL_CONF=$W/engine.cnf openssl cmp $COMMON -engine pkcs11 \
-keyform ENGINE -newkeypass pass:1234"
# the commands of rows 1 and 2, in hyperfine's shell-word syntax
C1_FLOOR="$W/floor $M bench 1234 rakey sign"
C1_P11="$P11 -newkey '$KEY?$PINQ'"
C1_OSSL="$OSSL -newkey '$KEY'"
C2_FLOOR="$W/floor $M gen 1234 gk-floor keygen"
C2_P11="$P11 -newkeygen EC:P-256 \
-newkey 'pkcs11:token=gen;object=gk-p11cmp;type=private?$PINQ'"
C2_OSSL="bash $SRC/bench/openssl-keygen-ir.sh $M gen $W/pin $W/engine.cnf \
$COMMON"

# instructions (callgrind) of a command
instr() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --trace-children=yes "$@" 2>&1 >/dev/null \
        | sed -n 's/^==[0-9]*== Collected : //p' | tail -n 1
}
if [ "${2:-}" = --callgrind ]; then
    command -v valgrind > /dev/null || { note "valgrind is needed"; exit 1; }
    for v in p11cmp openssl floor; do
        one=$(instr "$W/inproc" "$PORT" 1 $v "$KEY?$PINQ" "$W/ca.pem")
        many=$(instr "$W/inproc" "$PORT" 21 $v "$KEY?$PINQ" "$W/ca.pem")
        echo "in-process $v: $(( (many - one) / 20 )) instructions per IR"
    done
    eval "set -- $C1_P11"
    echo "one-shot p11cmp CLI IR: $(instr "$@") instructions"
    eval "set -- $C1_FLOOR"
    echo "one-shot floor: $(instr "$@") instructions"
    exit 0
fi

for c in "$C1_FLOOR" "$C1_P11" "$C1_OSSL" "$C2_FLOOR" "$C2_P11" \
         "$C2_OSSL"; do
    eval "set -- $c"
    "$@" > "$W/check.log" 2>&1 \
        || { note "failed: $c"; cat "$W/check.log" >&2; exit 1; }
done

# rounds ROW CMD...: ROUNDS hyperfine rounds; the run times in ROW-*.json
rounds() {
    row=$1
    shift
    for r in $(seq "$ROUNDS"); do
        hyperfine -N --style none --warmup 1 --runs "$RUNS" \
            --export-json "$W/$row-$r.json" "$@" > /dev/null \
            2> "$W/hyperfine.err" \
            || { cat "$W/hyperfine.err" >&2; return 1; }
    done
}
note "row 1: one-shot IR, $ROUNDS x $RUNS runs each"
rounds r1 "$C1_FLOOR" "$C1_P11" "$C1_OSSL"
note "row 2: one-shot IR with a new key, $ROUNDS x $RUNS runs each"
rounds r2 "$C2_FLOOR" "$C2_P11" "$C2_OSSL"

# peak RSS (KiB) of one command
maxrss() {
    python3 -c 'import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1); os.dup2(fd, 2)
    os.execvp(sys.argv[1], sys.argv[1:])
_, st, ru = os.wait4(pid, 0)
print(ru.ru_maxrss if st == 0 else -1)' "$@"
}
note "row 4: peak RSS of one enrollment"
eval "set -- $C1_P11"
RSS_P11=$(maxrss "$@")
eval "set -- $C1_OSSL"
RSS_OSSL=$(maxrss "$@")

note "row 3: $TX in-process IRs each (OpenSSL's API is slow here)"
inproc() { "$W/inproc" "$PORT" "$TX" "$1" "$KEY?$PINQ" "$W/ca.pem"; }
IN_P11=$(inproc p11cmp)
IN_FLOOR=$(inproc floor)
IN_OSSL=$(inproc openssl)

note "row 5: RA batch of $BATCH_N P10CRs with 1, 2 and 4 workers"
# a test CA serving each connection in its own process, and an RA
# certificate from it for the token key
start_ca ca2 --fork
CA2_PID=$CA_STARTED
PORT2=$CA_PORT
p11() { LD_LIBRARY_PATH=$BUILD/.libs "$P11BIN" "$@"; }
p11 -cmd ir -server "127.0.0.1:$PORT2" -ref testref \
    -secret pass:test-secret-0815 -newkey "$KEY?$PINQ" -subject /CN=RA \
    -batch > /dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$W/dev.key" 2> /dev/null
mkdir "$W/csr"
for i in $(seq "$BATCH_N"); do
    openssl req -new -key "$W/dev.key" -subj "/CN=dev$i" \
        -out "$W/csr/dev$i.csr" 2> /dev/null
done
batch_rate() {
    rm -rf "$W/issued"
    mkdir "$W/issued"
    p11 -cmd p10cr -server "127.0.0.1:$PORT2" -key "$KEY?$PINQ" \
        -cert "pkcs11:token=bench;object=rakey;type=cert?$PINQ" \
        -trusted "$W/ca2.pem" -batch -batch_in "$W/csr" \
        -batch_out "$W/issued" -workers "$1" 2> "$W/batch.err" \
        | sed -n 's/.* \([0-9.]*\) certs\/s, .*/\1/p'
}
B1= B2= B4=
for _ in $(seq "$BATCH_ROUNDS"); do
    B1="$B1 $(batch_rate 1)"
    B2="$B2 $(batch_rate 2)"
    B4="$B4 $(batch_rate 4)"
done
kill "$CA2_PID" 2> /dev/null || true
wait "$CA2_PID" 2> /dev/null || true

python3 - "$W" "$IN_P11" "$IN_OSSL" "$IN_FLOOR" "$RSS_P11" "$RSS_OSSL" \
    "$(nproc)" "$(uptime | sed 's/.*load average: //')" \
    "$(openssl version | cut -d' ' -f2)" "$TX" "$B1" "$B2" "$B4" "$BATCH_N" \
    > "$W/table.txt" <<'PY'
import glob, json, statistics, sys
(w, in_p11, in_ossl, in_floor, rss_p11, rss_ossl, ncpu, load, ver, tx,
 b1, b2, b4, bn) = sys.argv[1:]
b1, b2, b4 = [statistics.median(map(float, x.split())) for x in (b1, b2, b4)]
def times(row, key="times"):
    t = [[], [], []]
    for f in sorted(glob.glob(w + "/" + row + "-*.json")):
        for i, res in enumerate(json.load(open(f))["results"]):
            # hyperfine gives CPU times as means per round
            t[i] += res["times"] if key == "times" \
                else [res["user"] + res["system"]]
    return [statistics.median(x) * 1e3 for x in t], len(t[0])
(f1, p1, o1), n1 = times("r1")
(f2, p2, o2), n2 = times("r2")
(cf1, cp1, co1), _ = times("r1", "cpu")
tp, cp, rp100, rpn = map(float, in_p11.split())
to, co, ro100, ron = map(float, in_ossl.split())
cf = float(in_floor.split()[1])
rows = [
 ("1 one-shot IR, token key", "p11cmp / floor", p1 / f1, "<= 1.4"),
 ("", "p11cmp / openssl cmp", p1 / o1, "<= 0.5"),
 ("  the same, client CPU only", "p11cmp / floor", cp1 / cf1, ""),
 ("", "p11cmp / openssl cmp", cp1 / co1, ""),
 ("2 one-shot IR, -newkeygen EC:P-256", "p11cmp / floor", p2 / f2,
  "<= 1.4"),
 ("", "p11cmp / openssl+pkcs11-tool", p2 / o2, "<= 0.5"),
 ("3 in-process IR, CPU per tx", "p11cmp / OSSL_CMP", cp / co, "<= 0.5"),
 ("", "p11cmp / crypto floor", cp / cf, "<= 2"),
 ("", "OSSL_CMP / crypto floor", co / cf, ""),
 ("  in-process IR, tx/s", "p11cmp / OSSL_CMP", tp / to, ""),
 ("4 peak RSS, one CLI IR", "p11cmp / openssl cmp",
  float(rss_p11) / float(rss_ossl), ""),
 ("  RSS after %s tx / after 100" % tx, "p11cmp", rpn / rp100, "1.0"),
 ("", "OSSL_CMP", ron / ro100, ""),
 ("5 RA batch, certs/s", "2 workers / 1 worker", b2 / b1, ">= 1.7"),
 ("", "4 workers / 2 workers", b4 / b2, ">= 1.0"),
]
print("%-36s %-30s %6s  %s" % ("row", "ratio", "value", "target"))
for a, b, v, t in rows:
    print(("%-36s %-30s %6.2f  %s" % (a, b, v, t)).rstrip())
print()
print("figures (medians of %d runs per command; CPU = user+sys, in rows 1"
      " and 2 the median of the rounds' means):" % n1)
print("  1 ms: floor %.1f  p11cmp %.1f  openssl cmp %.1f; CPU ms: %.1f %.1f "
      "%.1f" % (f1, p1, o1, cf1, cp1, co1))
print("  2 ms: floor %.1f  p11cmp %.1f  pkcs11-tool + openssl cmp %.1f"
      % (f2, p2, o2))
print("  3 %s IRs: p11cmp %.0f tx/s %.0f us CPU/tx; OSSL_CMP %.0f tx/s "
      "%.0f us CPU/tx; crypto floor %.0f us CPU/tx" % (tx, tp, cp, to, co, cf))
print("  4 peak RSS KiB: p11cmp %s  openssl cmp %s; in-process RSS KiB "
      "after 100/%s: p11cmp %.0f/%.0f  OSSL_CMP %.0f/%.0f"
      % (rss_p11, rss_ossl, tx, rp100, rpn, ro100, ron))
print("  5 RA batch of %s P10CRs, certs/s (median): 1 worker %.1f, "
      "2 workers %.1f, 4 workers %.1f" % (bn, b1, b2, b4))
print("machine: %s cores, load average %s, OpenSSL %s" % (ncpu, load, ver))
PY
cat "$W/table.txt"
[ -z "${BENCH_OUT:-}" ] || cp "$W/table.txt" "$BENCH_OUT"
