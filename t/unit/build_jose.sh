#!/bin/sh
# Builds and runs the JOSE engine's unit test on its own, with the flags
# configure.ac takes from pkg-config (APR, APR-util, libcrypto, jansson)
# and its -Wall -Wextra, plus -Werror.  Until Makefile.am knows the test:
#   t/unit/build_jose.sh                  build, run the tests
#   t/unit/build_jose.sh --bench          build, print the benchmark
#   t/unit/build_jose.sh --vectors FILE   build, verify FILE's tokens
# OUT= names the binary (default: a temporary directory).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$(mktemp -d)/test_jose}
jwt="$top/src/strategy/jwt"
# shellcheck disable=SC2046
gcc -std=gnu99 -O2 -g -Wall -Wextra -Werror \
    -I"$jwt" -I"$top/t/unit" \
    $(pkg-config --cflags apr-1 apr-util-1 libcrypto jansson) \
    -o "$out" "$top/t/unit/test_jose.c" "$top/t/unit/test_jose_tools.c" \
    "$jwt/jose_key.c" "$jwt/jose_jwk.c" "$jwt/jose_jws.c" \
    $(pkg-config --libs apr-1 apr-util-1 libcrypto jansson)
exec "$out" "$@"
