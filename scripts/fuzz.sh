#!/bin/sh
# Builds the libFuzzer harnesses of fuzz/ (clang, ASan + UBSan) and runs
# each for a while from its committed seeds; fails on any crash, sanitizer
# report, leak, timeout or failed property.  Run by scripts/test.sh.
#
#   scripts/fuzz.sh                              every harness, 15 s each
#   scripts/fuzz.sh --seconds 3600 fuzz_jwt      a longer campaign of one
#
# New inputs go to _build/fuzz/corpus/<harness>/ (kept between runs; the
# seeds in fuzz/corpus/ are only read), crashing inputs to
# _build/fuzz/artifacts/.
set -eu
cd "$(dirname "$0")/.."

seconds=15
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --seconds=*) seconds="${1#--seconds=}"; shift ;;
        -*) echo "usage: $0 [--seconds N] [harness ...]" >&2; exit 2 ;;
        *) break ;;
    esac
done
harnesses="${*:-fuzz_token fuzz_bearer fuzz_cookie fuzz_login fuzz_jwt
                fuzz_jwt_claims fuzz_options fuzz_browser fuzz_jwk}"

make -s -C fuzz -j"$(nproc)"

out=_build/fuzz
mkdir -p "$out/artifacts"
# halt on the first UBSan report too, with its stack
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1"
# reports with file and line (llvm-14 has it; clang alone does not)
if [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
    export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

for h in $harnesses; do
    case "$h" in
        fuzz_token)       max_len=512;  dict= ;;
        fuzz_bearer)      max_len=8300; dict=jwt ;;
        fuzz_cookie)      max_len=4096; dict=cookie ;;
        fuzz_login)       max_len=4096; dict=login ;;
        fuzz_jwt)         max_len=8300; dict=jwt ;;
        fuzz_jwt_claims)  max_len=4096; dict=jwt ;;
        fuzz_options)     max_len=1024; dict=options ;;
        fuzz_browser)     max_len=4200; dict=browser ;;
        fuzz_jwk)         max_len=16384; dict=jwt ;;
        *) echo "fuzz: unknown harness $h" >&2; exit 2 ;;
    esac
    mkdir -p "$out/corpus/$h"
    log="$out/$h.log"
    # shellcheck disable=SC2086
    if ! "$out/$h" -max_total_time="$seconds" -max_len="$max_len" \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$out/artifacts/$h-" \
            ${dict:+-dict=fuzz/dict/$dict.dict} \
            "$out/corpus/$h" "fuzz/corpus/$h" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $h FAILED (log: $log; input: $out/artifacts/$h-*)" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    echo "fuzz: $h ok ($runs runs in ${seconds}s, $cov)"
done
