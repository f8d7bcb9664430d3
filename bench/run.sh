#!/bin/sh
# The benchmark, as root on Debian 12: installs wrk (and the token stores
# it measures when they are packaged), builds the module, runs bench.py.
# It prints figures and writes bench/RESULTS.md; it never fails on timing.
# Options go to bench.py (--rounds, --seconds, --connections, --no-results;
# --distinct [N] for the many-distinct-tokens mode, bench/distinct.py).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/deps.sh bench
scripts/build.sh
exec /usr/bin/python3 bench/bench.py "$@"
