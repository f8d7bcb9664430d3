#!/bin/sh
# Static analysis of the module's C sources: cppcheck and clang-tidy must
# be clean, src/sources.am current, and the layout sound (no cycles between
# areas or files, no oversized file or function: scripts/check-layout.py).
# Run by scripts/test.sh, after the build.
set -eu
cd "$(dirname "$0")/.."
SOURCES="mod_auth_backend.c $(find src -name '*.c' | LC_ALL=C sort)"

cppcheck -q --enable=warning,style,performance,portability --std=c99 \
    --library=posix --suppress=missingIncludeSystem --suppress=missingInclude \
    --inline-suppr --error-exitcode=1 -Iinclude -Isrc $SOURCES

# insecureAPI flags the memset in apr_pcalloc; suspicious-string-compare
# flags httpd's own `if (strcasecmp(...))` idiom; swappable parameters and
# reserved identifiers are APR/httpd conventions.
CHECKS='-*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-macro-parentheses,-bugprone-suspicious-string-compare,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
# shellcheck disable=SC2086
if ! out=$(clang-tidy-14 --quiet --warnings-as-errors='*' --checks="$CHECKS" \
        $SOURCES -- $(apxs -q EXTRA_CPPFLAGS) -I"$(apxs -q INCLUDEDIR)" \
        -I"$(apxs -q APR_INCLUDEDIR)" \
        $(pkg-config --cflags jansson hiredis libcurl) -Iinclude -Isrc 2>&1)
then
    echo "$out" | grep -v "warnings generated"
    exit 1
fi
echo "static analysis: cppcheck and clang-tidy clean"
scripts/sources.sh --check
/usr/bin/python3 scripts/check-layout.py
