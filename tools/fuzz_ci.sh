#!/bin/sh
# fuzz_ci.sh - bounded libFuzzer runs for CI, and corpus regeneration.
#   tools/fuzz_ci.sh [run]       build with `make fuzz`, run every harness for
#                                FUZZ_SECONDS (default 60), FUZZ_JOBS at a time
#                                (default 2); any crash, leak or timeout fails
#                                and prints the reproducer path and a base64 dump.
#   tools/fuzz_ci.sh corpus [DIR...]
#                                regenerate seeds (build/fuzz/gen_corpus), then
#                                minimise seeds + fuzz/corpus/<name> + DIR/<name>
#                                into fuzz/corpus/<name> with -merge=1
#                                (regress-* files are always kept).
# Harnesses run with a scratch copy of fuzz/corpus/<name>, so CI never
# changes the committed corpus. Work files: build/fuzz/ci/.
cd "$(dirname "$0")/.." || exit 2
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}
OUT=build/fuzz/ci
mode=${1:-run}
[ $# -gt 0 ] && shift

harnesses() {
    for f in fuzz/fuzz_*.c; do n=$(basename "$f" .c); echo "${n#fuzz_}"; done
}

dict_for() { # dict_for NAME -> a -dict= option or nothing
    case "$1" in
    token | b64) echo "-dict=fuzz/token.dict" ;;
    cookie) echo "-dict=fuzz/cookie.dict" ;;
    esac
}

make fuzz >build/fuzz-make.log 2>&1 || { tail -n 40 build/fuzz-make.log; echo "fuzz_ci: make fuzz failed"; exit 1; }

if [ "$mode" = corpus ]; then
    make build/fuzz/gen_corpus >>build/fuzz-make.log 2>&1 || { tail -n 20 build/fuzz-make.log; exit 1; }
    rm -rf build/fuzz/seeds && build/fuzz/gen_corpus build/fuzz/seeds || exit 1
    for n in $(harnesses); do
        new=build/fuzz/merge-$n
        rm -rf "$new" && mkdir -p "$new" "fuzz/corpus/$n"
        extra=""
        for d in "$@"; do [ -d "$d/$n" ] && extra="$extra $d/$n"; done
        # shellcheck disable=SC2086
        build/fuzz/fuzz_$n -merge=1 $(dict_for "$n") "$new" "fuzz/corpus/$n" \
            build/fuzz/seeds/$n $extra >"build/fuzz/merge-$n.log" 2>&1 \
            || { tail -n 20 "build/fuzz/merge-$n.log"; exit 1; }
        find "fuzz/corpus/$n" -type f ! -name 'regress-*' -exec rm -f {} +
        cp "$new"/* "fuzz/corpus/$n/" 2>/dev/null
        echo "$n: $(ls "fuzz/corpus/$n" | wc -l) files, $(du -sk "fuzz/corpus/$n" | cut -f1) KiB"
    done
    du -sh fuzz/corpus
    exit 0
fi

[ "$mode" = run ] || { echo "usage: $0 [run | corpus [DIR...]]"; exit 2; }
rm -rf "$OUT" && mkdir -p "$OUT"

run_one() { # run_one NAME: fuzz one harness; exit status of libFuzzer
    n=$1
    mkdir -p "$OUT/corpus/$n" "$OUT/artifacts/$n"
    [ -d "fuzz/corpus/$n" ] && cp fuzz/corpus/"$n"/* "$OUT/corpus/$n/" 2>/dev/null
    # shellcheck disable=SC2046
    build/fuzz/fuzz_$n -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 $(dict_for "$n") -artifact_prefix="$OUT/artifacts/$n/" \
        "$OUT/corpus/$n" >"$OUT/$n.log" 2>&1
    echo $? >"$OUT/$n.rc"
}

set -- $(harnesses)
while [ $# -gt 0 ]; do
    i=0
    while [ $# -gt 0 ] && [ $i -lt "$FUZZ_JOBS" ]; do
        echo "fuzz: $1 for ${FUZZ_SECONDS}s"
        run_one "$1" &
        shift; i=$((i + 1))
    done
    wait
done

fail=0
printf '%-14s %12s %10s %7s %7s\n' harness execs exec/s cov ft
for n in $(harnesses); do
    log=$OUT/$n.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    printf '%-14s %12s %10s %7s %7s\n' "$n" "${execs:-?}" "${rate:-?}" \
        "$(echo "$cov" | cut -d' ' -f2)" "$(echo "$cov" | cut -d' ' -f4)"
    arts=$(find "$OUT/artifacts/$n" -type f 2>/dev/null)
    if [ "$(cat "$OUT/$n.rc")" != 0 ] || [ -n "$arts" ]; then
        fail=1
        echo "FAIL $n (exit $(cat "$OUT/$n.rc"), log $log)"
        grep -E 'ERROR|SUMMARY|invariant|runtime error' "$log" | head -n 10 | sed 's/^/    /'
        for a in $arts; do
            echo "    reproducer: $a (replay: build/fuzz/fuzz_$n $a)"
            base64 "$a" | head -c 16384 | sed 's/^/    /'
            echo
        done
    fi
done
[ "$fail" -eq 0 ] && echo "fuzz_ci: all harnesses clean" || echo "fuzz_ci: FAILED"
exit "$fail"
