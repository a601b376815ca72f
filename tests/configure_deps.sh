#!/bin/bash
# tests/configure_deps.sh - configure stops with a clear message naming the
# missing dependency and the Debian package that provides it: each of
# libcrypto, p11-kit-1 and check is hidden from pkg-config in turn (a
# pkg-config directory holding every other .pc file), and pod2man is made
# unavailable through its cache variable. libp11 is no dependency (only
# tests/testca_engine_ir.sh uses its engine, as a peer): configure
# succeeds without libp11.pc.
# configure runs from a shadow of the source directory (links to its
# files), so the test works in a source directory that is itself
# configured (in-tree ./configure && make check), where configure would
# refuse an out-of-tree build.
. "$top_srcdir/tests/fixture.sh"
SHADOW=$WORK/src
mkdir -p "$SHADOW"
for f in "$top_srcdir"/* "$top_srcdir"/.[!.]*; do
    case ${f##*/} in
        config.status | config.log | config.h | Makefile | libtool | stamp-h1 \
            | p11cmp.pc | .deps | .libs | autom4te.cache) continue ;;
    esac
    [ -e "$f" ] && ln -s "$f" "$SHADOW/"
done
# pc_without NAME: a directory with links to every .pc file but NAME.pc.
pc_without() {
    d=$WORK/pc-$1
    mkdir -p "$d"
    for dir in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
        for pc in "$dir"/*.pc; do
            [ -f "$pc" ] && [ "$(basename "$pc")" != "$1.pc" ] \
                && ln -sf "$pc" "$d/"
        done
    done
    echo "$d"
}
# expect_configure_error WHAT TEXT [ENV...]: configure fails, saying TEXT.
expect_configure_error() {
    what=$1 text=$2
    shift 2
    b=$WORK/build-$what
    mkdir -p "$b"
    if (cd "$b" && env "$@" "$SHADOW/configure" -q \
            > "$b/out" 2>&1); then
        fail "configure succeeded without $what"
    fi
    grep -qF "error: $text" "$b/out" \
        || fail "configure without $what: want '$text', got: $(tail -n 3 "$b/out")"
    echo "ok: without $what: $(grep -F 'error:' "$b/out" | head -n 1)"
}
for dep in libcrypto:libssl-dev p11-kit-1:libp11-kit-dev check:check; do
    pc=${dep%%:*} deb=${dep#*:}
    expect_configure_error "$pc" \
        "$pc >= " PKG_CONFIG_LIBDIR="$(pc_without "$pc")"
    grep -qF "not found: install the Debian package $deb" \
        "$WORK/build-$pc/out" || fail "no package hint for $pc"
done
expect_configure_error pod2man \
    "pod2man not found: install the Debian package perl" ac_cv_path_POD2MAN=no
# without libp11 (its .pc file hidden) configure succeeds
b=$WORK/build-nolibp11
mkdir -p "$b"
(cd "$b" && env PKG_CONFIG_LIBDIR="$(pc_without libp11)" \
    "$SHADOW/configure" -q > "$b/out" 2>&1) \
    || fail "configure needs libp11: $(grep -F 'error:' "$b/out")"
grep -q 'LIBP11' "$b/Makefile" && fail "the Makefile still uses LIBP11"
echo "ok: configure succeeds without libp11.pc"
# and neither the library nor the program is linked to libp11
for f in "$top_builddir"/.libs/libp11cmp.so "$top_builddir"/.libs/p11cmp; do
    [ -f "$f" ] || continue
    objdump -p "$f" | grep -E 'NEEDED +libp11\.so' \
        && fail "$f is linked to libp11"
done
echo "ok: libp11cmp.so and p11cmp do not need libp11"
