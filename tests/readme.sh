#!/bin/sh
# readme.sh - the README's CGI example must compile against the tree and
# work as a CGI program: first visit sets a cookie, the second reads it.
set -eu
B=${CRUMB_BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
awk '/^```c$/{f=1;next} /^```$/{f=0} f' README.md > "$T/app.c"
grep -q crumb_cgi_load "$T/app.c" || { echo "README example not found"; exit 1; }
mkdir -p "$T/keys"  # the store creates its own 0700 directory
sed -i "s|/etc/myapp/keys|$T/keys/k|; s|/var/lib/myapp/sessions|$T/sessions|" "$T/app.c"
cc -std=c11 -Wall -Wextra -Werror -Iinclude -o "$T/app" "$T/app.c" "$B/libcrumb.a" \
    -lsodium -lmbedcrypto -lz -lpthread
"$B/crumb" keygen "$T/keys/k" >/dev/null
out=$(env -i HTTP_COOKIE= "$T/app")
cookie=$(printf '%s\n' "$out" | sed -n 's/^Set-Cookie: \(__Host-sid=[^;]*\).*/\1/p' | tr -d '\r')
[ -n "$cookie" ] || { echo "first visit set no cookie:"; printf '%s\n' "$out"; exit 1; }
printf '%s\n' "$out" | grep -q "visit 1" || { echo "first visit is not 1"; exit 1; }
out2=$(env -i HTTP_COOKIE="$cookie" "$T/app")
printf '%s\n' "$out2" | grep -q "visit 2" || { echo "second visit is not 2:"; printf '%s\n' "$out2"; exit 1; }
echo "README example: compiled, visit 1 then visit 2"
