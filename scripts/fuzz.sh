#!/bin/sh
# Builds the libFuzzer harnesses of fuzz/ (clang, ASan + UBSan) and runs
# each for a while from its committed seeds; fails on any crash, sanitizer
# report, leak, timeout or failed property.  Run by scripts/test.sh.
#
#   scripts/fuzz.sh                              every harness, 15 s each
#   scripts/fuzz.sh --seconds 3600 fuzz_jwt      a longer campaign of one
#   scripts/fuzz.sh --long [harness ...]         10^7 executions each, one
#                                                harness after the other
#   scripts/fuzz.sh --runs N [harness ...]       N executions each
#
# --long is not part of scripts/test.sh (about two hours for all of them
# on one core); fuzz/RESULTS.md records its figures.  Each harness runs as
# one process (no -jobs/-workers), so a campaign takes one core.
#
# New inputs go to _build/fuzz/corpus/<harness>/ (kept between runs; the
# seeds in fuzz/corpus/ are only read), crashing inputs to
# _build/fuzz/artifacts/.
set -eu
cd "$(dirname "$0")/.."

seconds=15
runs=-1
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --seconds=*) seconds="${1#--seconds=}"; shift ;;
        --runs) runs="$2"; seconds=0; shift 2 ;;
        --runs=*) runs="${1#--runs=}"; seconds=0; shift ;;
        --long) runs=10000000; seconds=0; shift ;;
        -*) echo "usage: $0 [--seconds N | --runs N | --long] [harness ...]" >&2
            exit 2 ;;
        *) break ;;
    esac
done
harnesses="${*:-fuzz_token fuzz_bearer fuzz_cookie fuzz_login fuzz_jwt
                fuzz_jwt_claims fuzz_options fuzz_browser fuzz_jwk fuzz_claims
                fuzz_throttle fuzz_sqlite_header fuzz_origin}"

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
        fuzz_claims)      max_len=4096; dict=claims ;;
        fuzz_throttle)    max_len=256;  dict=throttle ;;
        fuzz_sqlite_header) max_len=128; dict=sqlite ;;
        fuzz_origin)      max_len=2048; dict=browser ;;
        *) echo "fuzz: unknown harness $h" >&2; exit 2 ;;
    esac
    mkdir -p "$out/corpus/$h"
    log="$out/$h.log"
    # shellcheck disable=SC2086
    start=$(date +%s)
    if ! "$out/$h" -max_total_time="$seconds" -runs="$runs" -max_len="$max_len" \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$out/artifacts/$h-" \
            ${dict:+-dict=fuzz/dict/$dict.dict} \
            "$out/corpus/$h" "fuzz/corpus/$h" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $h FAILED (log: $log; input: $out/artifacts/$h-*)" >&2
        exit 1
    fi
    done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    # libFuzzer's last status line: "#N DONE cov: C ft: F corp: U/Sb ..."
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | grep -o 'cov: [0-9]*')
    ft=$(echo "$last" | grep -o 'ft: [0-9]*')
    corp=$(echo "$last" | grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*')
    echo "fuzz: $h ok ($done_runs runs in $(( $(date +%s) - start ))s," \
         "$cov, $ft, $corp, 0 crashes)"
done
