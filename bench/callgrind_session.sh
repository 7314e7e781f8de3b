#!/bin/sh
# bench/callgrind_session.sh - instructions per operation of bench_session's
# callgrind ops (suite 1, 205-byte payload): callgrind total Ir for N
# iterations minus the total for 0, divided by N, as bench/callgrind.sh does
# for the codec. Usage: bench/callgrind_session.sh [BUILD] [N] [op...]
# Skipped with a message when valgrind is absent.
BUILD=${1:-build}
N=${2:-1000}
[ $# -ge 2 ] && shift 2 || shift $#
OPS=${*:-"open seal setcookie line load load-set-save save-new mem-load mem-load-set-save server-load server-load-set-save"}
BIN=$BUILD/bench/bench_session
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind_session.sh: valgrind not installed, skipped"
    exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
ir() { # total instructions of one run
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$BIN" --op "$1" --iters "$2" \
        >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    sed -n 's/^summary: *//p' "$tmp/cg"
}
printf '%-22s %14s   (callgrind, (Ir(N=%s) - Ir(N=0)) / %s)\n' op instructions/op "$N" "$N"
for op in $OPS; do
    a=$(ir "$op" 0) && b=$(ir "$op" "$N") || exit 1
    printf '%-22s %14s\n' "$op" "$(( (b - a + N / 2) / N ))" | tee -a "$tmp/res"
done
# the memory store's own check (bench_store's measured loop), for the
# store-mode target below
case " $OPS " in *" mem-load "*)
    ck() {
        valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" --collect-atstart=no \
            --toggle-collect=bench_loop "$BUILD/bench/bench_store" check memory "$1" \
            >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
        sed -n 's/^summary: *//p' "$tmp/cg"
    }
    a=$(ck 0) && b=$(ck "$N") || exit 1
    printf '%-22s %14s   (bench_store check memory)\n' mem-check "$(( (b - a + N / 2) / N ))"
    echo "mem-check $(( (b - a + N / 2) / N ))" >>"$tmp/res" ;;
esac
# issue 15's session-path targets, from the ops measured above (if present)
awk '{ v[$1] = $2 }
     function verdict(name, x, lim) {
         printf "%-34s %6.3fx  (target <= %.2fx: %s)\n", name, x, lim, x <= lim ? "met" : "MISSED" }
     END {
         if (v["open"] && v["load"]) verdict("load / open", v["load"] / v["open"], 1.2)
         if (v["open"] && v["seal"] && v["load-set-save"])
             verdict("load-set-save / (open + seal)", v["load-set-save"] / (v["open"] + v["seal"]), 1.3)
         if (v["load"] && v["mem-load"] && v["mem-check"])
             verdict("(mem-load - mem-check) / load", (v["mem-load"] - v["mem-check"]) / v["load"], 1.3)
         if (v["line"]) printf "%-34s %6d   (target < 1,500: %s)\n", "Set-Cookie line", v["line"], v["line"] < 1500 ? "met" : "MISSED"
     }' "$tmp/res"
