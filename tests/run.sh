#!/bin/sh
# run.sh - runs every test stage that `make check` built and ends with
# "N passed, N failed". Stages: plain tests, ASan+UBSan tests, TSan tests
# (programs listed in tests/tsan.list), valgrind (tests/valgrind.list),
# script tests (tests/*.sh other than this one), fuzz corpus replay.
# Usage: tests/run.sh [name-filter]
cd "$(dirname "$0")/.." || exit 2
filter=${1:-}
pass=0; fail=0; failed=""
T=${CRUMB_TEST_TIMEOUT:-600}

run() { # run LABEL CMD...
    label=$1; shift
    case "$label" in *"$filter"*) ;; *) return 0 ;; esac
    log=build/logs/$(echo "$label" | tr '/ ' '__').log
    mkdir -p build/logs
    start=$(date +%s)
    if timeout "$T" "$@" >"$log" 2>&1; then
        pass=$((pass + 1)); echo "PASS $label ($(( $(date +%s) - start ))s)"
    else
        fail=$((fail + 1)); failed="$failed $label"
        echo "FAIL $label (log: $log)"; tail -n 30 "$log" | sed 's/^/    /'
    fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}

for t in build/tests/test_*; do [ -x "$t" ] && run "plain/$(basename "$t")" "$t"; done
for t in build/asan/tests/test_*; do [ -x "$t" ] && run "asan/$(basename "$t")" "$t"; done
if [ -f tests/tsan.list ]; then
    for n in $(grep -v '^#' tests/tsan.list); do
        [ -x "build/tsan/tests/$n" ] && run "tsan/$n" "build/tsan/tests/$n"
    done
fi
if [ -f tests/valgrind.list ] && command -v valgrind >/dev/null; then
    for n in $(grep -v '^#' tests/valgrind.list); do
        [ -x "build/tests/$n" ] && run "valgrind/$n" valgrind -q --error-exitcode=1 \
            --leak-check=full --errors-for-leak-kinds=definite "build/tests/$n"
    done
fi
for s in tests/*.sh; do
    [ "$s" = tests/run.sh ] && continue
    run "script/$(basename "$s")" sh "$s"
done
for r in build/asan/fuzz/*-replay; do
    [ -x "$r" ] || continue
    n=$(basename "$r" -replay); n=${n#fuzz_}
    [ -d "fuzz/corpus/$n" ] && run "fuzz-replay/$n" "$r" "fuzz/corpus/$n"
done

echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
