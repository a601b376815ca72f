#!/bin/sh
# tests/style.sh - the written-down style, checked: every C file starts
# with a comment saying what it is for, lines are at most 80 columns, no
# tabs and no trailing white space. Reviews can then be about behaviour.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 99
bad=0
files=$(find src pkcs11 include tests bench -name '*.[ch]' 2>/dev/null | sort)
for f in $files; do
    head -n 1 "$f" | grep -q '^/\*' \
        || { echo "$f:1: first line must open the file's comment"; bad=1; }
    awk -v f="$f" '
        length($0) > 80 { printf "%s:%d: longer than 80 columns\n", f, NR; b = 1 }
        /\t/ { printf "%s:%d: tab\n", f, NR; b = 1 }
        /[ \t]$/ { printf "%s:%d: trailing white space\n", f, NR; b = 1 }
        END { exit b }' "$f" || bad=1
done
[ -n "$files" ] || { echo "no C files found"; exit 99; }
exit $bad
