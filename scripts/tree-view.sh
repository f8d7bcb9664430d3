#!/bin/sh
# Makes DIR/tree (inside a build directory DIR) a view of the source
# tree without what an in-tree build adds: symbolic links to every file,
# the outputs of ./configure && make (config.status, Makefile, libtool,
# objects, .libs, .deps, unit-test programs and logs) left out.
# scripts/build.sh and scripts/sanitize.sh configure their build
# directories with DIR/tree as srcdir: automake refuses a VPATH build of a
# source directory that holds a config.status, and would find the in-tree
# objects through VPATH.  So an in-tree build and _build/ coexist.  Made
# again on each build, so that a new file is seen; edits to existing files
# are seen at once (links).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
view="${1:-}"
# it is removed and made again: only ever a folder named tree
case "$view" in
    */tree) ;;
    *) echo "usage: $0 DIR/tree" >&2; exit 2 ;;
esac
rm -rf "$view"
mkdir -p "$view"
for e in "$root"/* "$root"/.[!.]*; do
    case "${e##*/}" in
        _build*|.git|autom4te.cache|.pytest_cache|mod_auth_backend-[0-9]*) ;;
        *) [ -e "$e" ] && cp -as "$e" "$view/" ;;
    esac
done
# where the links lead: make dist copies whole folders from there (the
# view would lack files added since it was made)
echo "$root" > "$view/.tree-view"
cd "$view"
rm -f Makefile config.status config.log libtool test-suite.log \
    build-aux/config.h build-aux/stamp-h1
find . \( -name .deps -o -name .libs -o -name __pycache__ \) -prune \
        -exec rm -rf {} + \
    -o \( -name '*.o' -o -name '*.lo' -o -name '*.la' -o -name '*.log' \
          -o -name '*.trs' -o -name .dirstamp \) -exec rm -f {} +
# a program built in place from NAME.c (the unit tests' check_PROGRAMS)
for f in t/unit/*; do
    case "$f" in *.*) ;; *) [ -e "$f.c" ] && rm -f "$f" ;; esac
done
exit 0
