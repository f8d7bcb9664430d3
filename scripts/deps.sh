#!/bin/sh
# Installs the Debian packages a purpose needs, when they are missing.
#   scripts/deps.sh build   - to build the module
#   scripts/deps.sh test    - to build it and run the test suite
#   scripts/deps.sh demo    - to build it and run the demo
#   scripts/deps.sh bench   - to build it and run the benchmarks
set -eu

BUILD="autoconf automake libtool pkg-config make gcc
       apache2-bin apache2-dev apache2-utils
       libapr1-dev libaprutil1-dev libjansson-dev libssl-dev libcurl4-openssl-dev
       libhiredis-dev"
RUNTIME="openssl curl ca-certificates media-types"
TEST="python3 python3-pytest python3-requests python3-jwt python3-jwcrypto
      python3-cryptography libaprutil1-dbd-sqlite3 sqlite3
      cppcheck clang-tidy-14 clang libclang-rt-14-dev llvm-14
      postgresql libaprutil1-dbd-pgsql python3-psycopg2
      python3-starlette chromium chromium-driver python3-selenium
      redis-server redis-sentinel redis-tools python3-redis
      git fail2ban wrk"

# a peer to compare with, measured by bench/ when installed
BENCH="wrk libapache2-mod-auth-openidc"

case "${1:-build}" in
    build) want="$BUILD" ;;
    test)  want="$BUILD $RUNTIME $TEST" ;;
    demo)  want="$BUILD $RUNTIME" ;;
    bench) want="$BUILD $RUNTIME $BENCH" ;;
    *) echo "usage: $0 build|test|demo|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
