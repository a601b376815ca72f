# scripts/lib.sh - shared by scripts/demo.sh and scripts/test.sh: install
# the Debian 12 packages that are missing, and build p11cmp out of tree.

P11CMP_DEBS="build-essential autoconf automake libtool pkg-config perl \
openssl libssl-dev libp11-kit-dev p11-kit softhsm2 check opensc \
gnutls-bin libengine-pkcs11-openssl iproute2 util-linux procps python3 \
swtpm swtpm-tools tpm2-tools tpm2-abrmd libtpm2-pkcs11-1 libtpm2-pkcs11-tools \
libtss2-tcti-swtpm0 libtss2-tcti-tabrmd0 dbus \
clang libclang-rt-dev valgrind"
# (swtpm ... dbus: tpm2-pkcs11 on a software TPM, the second module of the
# token tests; on Debian 13 apt installs libtss2-tcti-swtpm0t64 for
# libtss2-tcti-swtpm0; clang and libclang-rt-dev: the libFuzzer targets
# that tests/fuzz_smoke.sh runs; valgrind: the helgrind run of
# tests/cli_batch.sh)
# what `make bench` needs besides (bench/run.sh); not a test dependency
P11CMP_BENCH_DEBS="hyperfine"

# install_deps: apt-get installs only what dpkg does not list as installed.
install_deps() {
    missing=
    for p in $P11CMP_DEBS; do
        for q in "$p" "${p}t64"; do
            dpkg-query -W -f='${Status}' "$q" 2>/dev/null \
                | grep -q 'install ok installed' && continue 2
        done
        missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "== installing:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: packages missing and not root: $missing" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        $missing >/dev/null
}

# build_tree DIR [configure args...]: autoreconf once, configure in DIR,
# make. Prints DIR's absolute path as BUILD.
build_tree() {
    dir=$1
    shift
    [ -x "$SRC/configure" ] && [ "$SRC/configure" -nt "$SRC/configure.ac" ] \
        || (cd "$SRC" && autoreconf -fi >/dev/null 2>&1) \
        || { echo "error: autoreconf failed" >&2; return 1; }
    mkdir -p "$dir"
    BUILD=$(cd "$dir" && pwd)
    (cd "$BUILD" && { [ -f Makefile ] || "$SRC/configure" -q "$@"; } \
        && make -s -j"$(nproc)" >/dev/null) \
        || { echo "error: build failed in $BUILD" >&2; return 1; }
}
