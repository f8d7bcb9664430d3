#!/bin/sh
# Builds the module in _build/ (out of tree).  Extra arguments go to
# configure, e.g. --enable-werror.  src/sources.am, the list of sources
# that Makefile.am includes, is written first (scripts/sources.sh).
#
# _build/ is configured from _build/tree/, a view of the source tree
# without the outputs of an in-tree ./configure && make
# (scripts/tree-view.sh): the two builds coexist, and neither touches the
# other's files.
set -eu
cd "$(dirname "$0")/.."
scripts/sources.sh
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] \
    && [ Makefile.in -nt src/sources.am ] \
    || autoreconf -fi >/dev/null
mkdir -p _build
scripts/tree-view.sh _build/tree
cd _build
# (a _build/ configured from .. before the view: configure it again)
if [ ! -f Makefile ] || ! grep -qx 'srcdir = tree' Makefile \
        || [ "${*:-}" != "$(cat .configure-args 2>/dev/null)" ]; then
    tree/configure --quiet "$@"
    echo "${*:-}" > .configure-args
fi
make -s -j"$(nproc)"
