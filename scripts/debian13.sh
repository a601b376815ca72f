#!/bin/bash
# scripts/debian13.sh - run a README command inside a fresh Debian 13
# (trixie) root: debootstrap a minbase root once into a cache (a tarball
# under $P11CMP_ROOT_CACHE, default /var/cache/p11cmp), unpack a fresh copy
# for this run, copy the source tree in, bind /proc, /dev and /dev/pts, and
# run "bash scripts/test.sh" (or the script named as $1) there as root.
# The mirror is the one this machine's apt sources name. Must run as root.
# The root is unmounted and deleted on any exit (also on a signal); the
# command reads no stdin; CI is passed through; the exit status is the
# command's. Downloaded .debs are cached beside the tarball.
#   bash scripts/debian13.sh [scripts/test.sh|scripts/demo.sh]
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
CMD=${1:-scripts/test.sh}
SUITE=${P11CMP_ROOT_SUITE:-trixie}
CACHE=${P11CMP_ROOT_CACHE:-/var/cache/p11cmp}
TARBALL=$CACHE/$SUITE-minbase.tar

[ "$(id -u)" -eq 0 ] || { echo "error: $0 must run as root" >&2; exit 1; }

# mirror: the first deb.* URI of this machine's apt sources.
mirror() {
    m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list 2>/dev/null | grep -v security \
        | grep -oE 'https?://[^ ]+' | head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

ensure_tools() {
    command -v debootstrap >/dev/null && return 0
    DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends debootstrap >/dev/null
}

# make_tarball: debootstrap into a temporary dir and pack it; the tarball
# is replaced only when complete, and refreshed when older than a week.
make_tarball() {
    if [ -s "$TARBALL" ] && [ -z "$(find "$TARBALL" -mtime +7)" ]; then
        return 0
    fi
    mkdir -p "$CACHE"
    tmp=$(mktemp -d "$CACHE/boot.XXXXXX")
    echo "== debootstrap $SUITE from $(mirror)"
    if ! debootstrap --variant=minbase "$SUITE" "$tmp" "$(mirror)" \
            > "$CACHE/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE/debootstrap.log"
        rm -rf "$tmp"
        return 1
    fi
    tar -C "$tmp" -cf "$TARBALL.new" . && mv "$TARBALL.new" "$TARBALL"
    rc=$?
    rm -rf "$tmp"
    return $rc
}

[ -f "$SRC/$CMD" ] || { echo "error: no such command: $CMD" >&2; exit 2; }
ensure_tools </dev/null \
    || { echo "error: cannot install debootstrap" >&2; exit 1; }
mkdir -p "$CACHE"
# one debootstrap at a time; a concurrent run waits for the tarball
(flock 9 && make_tarball) 9> "$CACHE/.lock" </dev/null \
    || { echo "error: debootstrap $SUITE failed" >&2; exit 1; }

ROOT=$(mktemp -d /var/tmp/p11cmp-$SUITE.XXXXXX)
# cleanup: unmount what is mounted (innermost first), then delete the
# root without crossing into a file system still mounted there
cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    for m in var/cache/apt/archives dev/pts dev proc; do
        if mountpoint -q "$ROOT/$m"; then
            umount "$ROOT/$m" 2>/dev/null || umount -l "$ROOT/$m"
        fi
    done
    rm -rf --one-file-system "$ROOT"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
tar -C "$ROOT" -xf "$TARBALL" || exit 1
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
mkdir -p "$ROOT/src"
# the tree as committed plus local changes, without build products
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - -cf -) | tar -C "$ROOT/src" -xf -
mount -t proc proc "$ROOT/proc" && mount --bind /dev "$ROOT/dev" \
    && mount --bind /dev/pts "$ROOT/dev/pts" || exit 1
# downloaded .debs are kept between runs; the install itself runs each time
mkdir -p "$CACHE/archives-$SUITE" "$ROOT/var/cache/apt/archives"
mount --bind "$CACHE/archives-$SUITE" "$ROOT/var/cache/apt/archives" \
    || exit 1
echo "== $CMD in a fresh $SUITE root ($ROOT)"
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 CI="${CI:-}" \
    /bin/bash -c "echo 'APT::Keep-Downloaded-Packages \"true\";' \
        > /etc/apt/apt.conf.d/99keep; cd /src && bash $CMD" </dev/null
