#!/bin/bash
# temporary: the differential harness alone in the Debian 13 root
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/scripts/lib.sh"
install_deps || exit 1
build_tree "$SRC/build" || exit 1
cd "$BUILD" && make -j2 check TESTS=tests/diff/run.sh > /dev/null 2>&1
rc=$?
openssl version
grep -E "^(FAIL|NOTE|known|diff:)" -A8 tests/diff/run.log | grep -v "^  args" | head -300
exit $rc
