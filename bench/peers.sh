#!/bin/sh
# bench/peers.sh - crumb beside its peers on the same 205-byte payload, one
# run, ops per CPU second (user + system, so system calls count):
#   gorilla/securecookie (Go; Debian golang-github-gorilla-securecookie-dev,
#     built offline in GOPATH mode; HMAC-SHA-256 + AES-256-CTR, NopEncoder)
#   Fernet (python3-cryptography; AES-128-CBC + HMAC-SHA-256)
# Each peer missing is skipped with a message. Not part of make check.
# Usage: [ROUNDS=3] bench/peers.sh [BUILD]   (run by `make bench`)
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
out=$tmp/rates

ROUNDS=${ROUNDS:-3}
SC=/usr/share/gocode/src/github.com/gorilla/securecookie
have_go=0
if ! command -v go >/dev/null 2>&1; then
    echo "peers.sh: go not installed: gorilla/securecookie skipped"
elif [ ! -d "$SC" ]; then
    echo "peers.sh: $SC absent (apt-get install golang-github-gorilla-securecookie-dev): gorilla/securecookie skipped"
else
    mkdir -p "$tmp/go/src/peers" && cp "$HERE/peers/securecookie_bench.go" "$tmp/go/src/peers/"
    if (cd "$tmp/go/src/peers" && GO111MODULE=off GOPATH="$tmp/go:/usr/share/gocode" \
        GOCACHE="$tmp/gocache" GOFLAGS= go build -o "$tmp/sc" .) >"$tmp/go.log" 2>&1; then
        have_go=1
    else
        echo "peers.sh: building the securecookie bench failed: skipped"
        sed 's/^/  /' "$tmp/go.log"
    fi
fi
have_py=0
if python3 -c 'import cryptography.fernet' 2>/dev/null; then
    have_py=1
else
    echo "peers.sh: python3-cryptography not installed: Fernet skipped"
fi

# ROUNDS rounds, each running crumb and every peer once in turn, so a load
# change on the shared machine hits all of them; the median per op is kept.
raw=$tmp/raw
for r in $(seq "$ROUNDS"); do
    "$BUILD/bench/bench_codec" --cpu >>"$raw" || exit 1
    "$BUILD/bench/bench_session" --cpu >>"$raw" || exit 1
    [ $have_go = 1 ] && { "$tmp/sc" >>"$raw" || exit 1; }
    [ $have_py = 1 ] && { python3 "$HERE/peers/fernet_bench.py" >>"$raw" || exit 1; }
done
awk '{ v[$1] = v[$1] " " $2; len[$1] = $3 }
     END { for (k in v) { n = split(v[k], a, " ");
             for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
             print k, a[int((n + 1) / 2)], len[k] } }' "$raw" >"$out"

# a peer's open+seal of one request: 1 / (1/open + 1/seal)
for p in gorilla fernet; do
    awk -v p="$p" '$1 == p "-open" { o = $2 } $1 == p "-seal" { s = $2 }
        END { if (o && s) printf "%s-open+seal %.0f\n", p, 1 / (1 / o + 1 / s) }' "$out" >>"$out.2"
done
[ -f "$out.2" ] && cat "$out.2" >>"$out"

# rate NAME: ops/s of NAME from this run, or empty
rate() { awk -v n="$1" '$1 == n { print $2 }' "$out"; }
row() { # label crumb-op peer-op
    a=$(rate "$2") b=$(rate "$3")
    [ -n "$a" ] && [ -n "$b" ] || return 0
    printf '%-44s %12s %12s %8s\n' "$1" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }')"
}
echo "ops per CPU second (user+sys), 205-byte payload, median of $ROUNDS interleaved rounds, one run; ratio = crumb / peer"
printf '%-44s %12s %12s %8s\n' "crumb op vs peer op" crumb peer ratio
for p in gorilla fernet; do
    for s in 1 2 3; do
        row "seal suite $s vs $p seal" "crumb-seal$s" "$p-seal"
        row "open suite $s vs $p open" "crumb-open$s" "$p-open"
    done
    row "session save (new, stateless) vs $p seal" crumb-session-save-new "$p-seal"
    row "session load (stateless) vs $p open" crumb-session-load "$p-open"
    row "session load+set+save vs $p open+seal" crumb-session-load-set-save "$p-open+seal"
done
echo "token lengths: $(awk 'NF == 3 { printf "%s %s chars; ", $1, $3 }' "$out")"
