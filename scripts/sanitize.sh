#!/bin/sh
# The integration suite against an AddressSanitizer + UndefinedBehavior-
# Sanitizer build of the module (clang), with the sanitizer runtime
# preloaded into httpd.  Any report fails the test that started that httpd
# (t/lib/harness.py).  Run by scripts/test.sh; extra arguments go to pytest.
#
# ASan cannot see overflows inside APR pool blocks (Debian's APR has no
# pool debugging): code that writes into pool buffers has explicit bounds.
set -eu
cd "$(dirname "$0")/.."
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -shared-libasan"
mkdir -p _build-asan
# configured from a view of the tree without an in-tree build's outputs,
# as _build/ is (scripts/tree-view.sh)
scripts/tree-view.sh _build-asan/tree
cd _build-asan
if [ ! -f Makefile ] || ! grep -qx 'srcdir = tree' Makefile; then
    # sanitizer flags cannot go to configure: its test programs would not
    # find the shared runtime
    tree/configure --quiet CC=clang --enable-werror
fi
# regenerate the Makefile (after a Makefile.am change) without the flags,
# for the same reason
make -s Makefile >/dev/null
make -s -j"$(nproc)" CFLAGS="-g -O1 -fno-omit-frame-pointer $SAN" \
    LDFLAGS="$SAN" >/dev/null
cd ..
export MOD_AUTH_BACKEND_SO="$PWD/_build-asan/.libs/mod_auth_backend.so"
export HTTPD_PRELOAD="$(clang -print-file-name=libclang_rt.asan-x86_64.so)"
# httpd itself is not instrumented: leaks are judged with valgrind and the
# benchmark's RSS figures instead; everything else stops at the first report
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1:print_stacktrace=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
[ $# -gt 0 ] || set -- t
echo "integration tests under ASan+UBSan ($MOD_AUTH_BACKEND_SO)"
exec /usr/bin/python3 -m pytest -p no:cacheprovider -q "$@"
