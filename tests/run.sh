#!/bin/sh
# run.sh - runs every test stage that `make check` built and ends with
# "N passed, N failed, N skipped". Stages: plain tests, ASan+UBSan tests,
# TSan tests (programs listed in tests/tsan.list), valgrind
# (tests/valgrind.list), script tests (tests/*.sh other than this one), fuzz
# corpus replay.
# Usage: tests/run.sh [name-filter]
# Build roots (the Makefile's `check` passes them): CRUMB_BUILD (plain,
# default build), CRUMB_BUILD_ASAN (default $CRUMB_BUILD/asan),
# CRUMB_BUILD_TSAN (default $CRUMB_BUILD/tsan); an empty value leaves that
# stage out. CRUMB_STAGES (default "plain asan tsan valgrind script fuzz")
# picks stages.
#
# Exit codes of a test: 0 pass, 77 skip (automake's convention), anything
# else fail. A skipping test prints "SKIP: needs <component>: <why>"; the
# skip counts as a FAIL when this build promises the component: libsodium
# or hiredis compiled in (read from $CRUMB_BUILD/config.stamp), or any
# other component that is an installed command (redis-server, lighttpd, ...).
# The run fails when nothing ran (only skips, or a filter matching nothing).
cd "$(dirname "$0")/.." || exit 2
filter=${1:-}
B=${CRUMB_BUILD-build}
BA=${CRUMB_BUILD_ASAN-${B:+$B/asan}}
BT=${CRUMB_BUILD_TSAN-${B:+$B/tsan}}
STAGES=${CRUMB_STAGES:-plain asan tsan valgrind script fuzz}
LOGS=${B:-build}/logs
pass=0; fail=0; skip=0; failed=""; skipped=""
T=${CRUMB_TEST_TIMEOUT:-600}
export BUILD=${B:-build} CRUMB_BUILD=${B:-build} CRUMB=${CRUMB:-${B:-build}/crumb}

stage() { case " $STAGES " in *" $1 "*) return 0 ;; esac; return 1; }

# promised COMPONENT: true when this build or machine provides it, so a test
# must not skip for want of it.
promised() {
    stamp=${B:-build}/config.stamp
    case $1 in
    libsodium) grep -q -- '-DCRUMB_HAVE_SODIUM=1' "$stamp" 2>/dev/null ;;
    hiredis) grep -q -- '-DCRUMB_HAVE_REDIS=1' "$stamp" 2>/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ;;
    esac
}

run() { # run LABEL CMD...
    label=$1; shift
    case "$label" in *"$filter"*) ;; *) return 0 ;; esac
    log=$LOGS/$(echo "$label" | tr '/ ' '__').log
    mkdir -p "$LOGS"
    start=$(date +%s)
    timeout "$T" "$@" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1)); echo "PASS $label (${secs}s)"
        return 0
    fi
    if [ $rc -eq 77 ]; then
        why=$(grep '^SKIP' "$log" | tail -n 1)
        need=$(echo "$why" | sed -n 's/^SKIP: needs \([A-Za-z0-9_.+-]*\).*/\1/p')
        if [ -z "$need" ] || ! promised "$need"; then
            skip=$((skip + 1)); skipped="$skipped $label"
            echo "SKIP $label: ${why#SKIP: }"
            return 0
        fi
        echo "FAIL $label: skipped, but this build promises $need: ${why#SKIP: }"
    else
        echo "FAIL $label (exit $rc, log: $log)"; tail -n 30 "$log" | sed 's/^/    /'
    fi
    fail=$((fail + 1)); failed="$failed $label"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}

if [ -n "$B" ] && stage plain; then
    for t in "$B"/tests/test_*; do [ -x "$t" ] && run "plain/$(basename "$t")" "$t"; done
fi
if [ -n "$BA" ] && stage asan; then
    for t in "$BA"/tests/test_*; do [ -x "$t" ] && run "asan/$(basename "$t")" "$t"; done
fi
if [ -n "$BT" ] && stage tsan && [ -f tests/tsan.list ]; then
    for n in $(grep -v '^#' tests/tsan.list); do
        [ -x "$BT/tests/$n" ] && run "tsan/$n" "$BT/tests/$n"
    done
fi
if [ -n "$B" ] && stage valgrind && [ -f tests/valgrind.list ] && command -v valgrind >/dev/null; then
    for n in $(grep -v '^#' tests/valgrind.list); do
        [ -x "$B/tests/$n" ] && run "valgrind/$n" valgrind -q --error-exitcode=1 \
            --leak-check=full --errors-for-leak-kinds=definite "$B/tests/$n"
    done
fi
if stage script; then
    for s in tests/*.sh; do
        [ "$s" = tests/run.sh ] && continue
        run "script/$(basename "$s")" sh "$s"
    done
fi
if [ -n "$BA" ] && stage fuzz; then
    for r in "$BA"/fuzz/*-replay; do
        [ -x "$r" ] || continue
        n=$(basename "$r" -replay); n=${n#fuzz_}
        [ -d "fuzz/corpus/$n" ] && run "fuzz-replay/$n" "$r" "fuzz/corpus/$n"
    done
fi

echo
[ -n "$skipped" ] && echo "skipped:$skipped"
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
if [ $((pass + fail)) -eq 0 ]; then
    echo "FAIL: no test ran (filter \"$filter\", build roots: ${B:--} ${BA:--} ${BT:--})"
    exit 1
fi
[ "$fail" -eq 0 ]
