#!/bin/sh
# The whole test suite, from a clean clone on Debian 12, as root:
# installs what it needs, builds with -Werror, runs the C unit tests, the
# static analysis, a short run of each fuzzer, the integration tests under
# ASan+UBSan, then the integration tests against the normal build (a real
# private httpd).  Extra arguments go to that last pytest (e.g. -k login).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh --enable-werror
make -s -C _build check >/dev/null || { cat _build/test-suite.log; exit 1; }
echo "C unit tests: ok"
scripts/lint.sh
/usr/bin/python3 scripts/check-docs.py
scripts/fuzz.sh
scripts/sanitize.sh
# Debian's python3 (not a pyenv or venv one), which sees python3-pytest etc.
exec /usr/bin/python3 -m pytest -p no:cacheprovider t "$@"
