#!/bin/sh
# bench/callgrind.sh - instructions per operation, repeatable on a shared
# machine: callgrind total Ir for N iterations minus the total for 0
# iterations, divided by N (setup, key schedule and the priming seal cancel
# out). Usage: bench/callgrind.sh [BUILD] [N] [op...]
# ops: bench_codec's (seal1 open1 ... b64dec); file-check and file-get, and
# mem-check and mem-get (bench_store's measured loop only,
# --toggle-collect=bench_loop, on the file or memory store); sha256-sodium and sha256-mbedtls (one 64-byte SHA-256 block of that
# library, bench_sha256; N <= 4096). Skipped with a message when valgrind is
# absent.
BUILD=${1:-build}
N=${2:-1000}
[ $# -ge 2 ] && shift 2 || shift $#
OPS=${*:-"seal1 open1 naive-seal naive-open bare-seal1 bare-open1 seal2 open2 mbed-seal mbed-open seal3 open3 b64enc b64dec"}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind not installed, skipped"
    exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
ir() { # total instructions of one run of op $1 with $2 iterations
    case $1 in
    file-*) set -- --collect-atstart=no --toggle-collect=bench_loop \
                "$BUILD/bench/bench_store" "${1#file-}" file "$2" ;;
    mem-*) set -- --collect-atstart=no --toggle-collect=bench_loop \
                "$BUILD/bench/bench_store" "${1#mem-}" memory "$2" ;;
    sha256-*) set -- "$BUILD/bench/bench_sha256" "${1#sha256-}" "$2" ;;
    *) set -- "$BUILD/bench/bench_codec" --op "$1" --iters "$2" ;;
    esac
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$@" \
        >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    sed -n 's/^summary: *//p' "$tmp/cg"
}
printf '%-14s %14s   (callgrind, (Ir(N=%s) - Ir(N=0)) / %s)\n' op instructions/op "$N" "$N"
for op in $OPS; do
    a=$(ir "$op" 0) && b=$(ir "$op" "$N") || exit 1
    printf '%-14s %14s\n' "$op" "$(( (b - a + N / 2) / N ))"
done
