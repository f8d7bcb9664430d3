#!/bin/sh
# Builds the module in _build/ (out of tree).  Extra arguments go to
# configure, e.g. --enable-werror.  src/sources.am, the list of sources
# that Makefile.am includes, is written first (scripts/sources.sh).
set -eu
cd "$(dirname "$0")/.."
scripts/sources.sh
# A tree configured in place (./configure && make) keeps automake from
# configuring _build/: clean it the way automake asks, then build out of
# tree as always.
if [ -f config.status ]; then
    echo "the source tree was configured in place: make distclean, then _build/"
    make -s distclean >/dev/null 2>&1 || rm -f config.status Makefile
fi
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] \
    && [ Makefile.in -nt src/sources.am ] \
    || autoreconf -fi >/dev/null
mkdir -p _build
cd _build
if [ ! -f Makefile ] || [ "${*:-}" != "$(cat .configure-args 2>/dev/null)" ]; then
    ../configure --quiet "$@"
    echo "${*:-}" > .configure-args
fi
make -s -j"$(nproc)"
