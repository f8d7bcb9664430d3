#!/bin/sh
# Builds the module in _build/ (out of tree).  Extra arguments go to
# configure, e.g. --enable-werror.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] \
    || autoreconf -fi >/dev/null
mkdir -p _build
cd _build
if [ ! -f Makefile ] || [ "${*:-}" != "$(cat .configure-args 2>/dev/null)" ]; then
    ../configure --quiet "$@"
    echo "${*:-}" > .configure-args
fi
make -s -j"$(nproc)"
