#!/bin/bash
# tests/configure_deps.sh - configure stops with a clear message naming the
# missing dependency and the Debian package that provides it: each of
# libcrypto, libp11, p11-kit-1 and check is hidden from pkg-config in
# turn (a pkg-config directory holding every other .pc file), and pod2man
# is made unavailable through its cache variable.
. "$top_srcdir/tests/fixture.sh"
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
    if (cd "$b" && env "$@" "$top_srcdir/configure" -q \
            > "$b/out" 2>&1); then
        fail "configure succeeded without $what"
    fi
    grep -qF "error: $text" "$b/out" \
        || fail "configure without $what: want '$text', got: $(tail -n 3 "$b/out")"
    echo "ok: without $what: $(grep -F 'error:' "$b/out" | head -n 1)"
}
for dep in libcrypto:libssl-dev libp11:libp11-dev p11-kit-1:libp11-kit-dev \
        check:check; do
    pc=${dep%%:*} deb=${dep#*:}
    expect_configure_error "$pc" \
        "$pc >= " PKG_CONFIG_LIBDIR="$(pc_without "$pc")"
    grep -qF "not found: install the Debian package $deb" \
        "$WORK/build-$pc/out" || fail "no package hint for $pc"
done
expect_configure_error pod2man \
    "pod2man not found: install the Debian package perl" ac_cv_path_POD2MAN=no
