#!/bin/sh
# header_limits.sh URL - measure the longest request Cookie header a web
# server accepts: bisects the length of the value of one "Cookie:" header
# (a single cookie "c=AAAA...") between 1 KB and 128 KB and prints the
# largest length answered with anything other than 400/413/431/494 or a
# dropped connection, and the status the first refused length got.
# Used for the figures in examples/README.md ("Server header limits").
url=${1:?usage: header_limits.sh URL}
tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT
status() { # status LEN: HTTP status for a Cookie header value of LEN bytes
    awk -v n="$1" 'BEGIN { printf "Cookie: c="; for (i = 2; i < n; i++) printf "A"; print "" }' >"$tmp"
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H @"$tmp" "$url" 2>/dev/null || true
}
ok() { case $(status "$1") in 400|413|431|494|000|"") return 1 ;; esac; return 0; }
lo=1024; hi=131072
ok $lo || { echo "header_limits: even $lo bytes are refused ($(status $lo))"; exit 1; }
if ok $hi; then echo "header_limits: $url accepts a Cookie header of $hi bytes or more"; exit 0; fi
while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if ok $mid; then lo=$mid; else hi=$mid; fi
done
echo "header_limits: $url accepts a Cookie value up to $lo bytes; $hi gets $(status $hi)"
