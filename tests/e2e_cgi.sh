#!/bin/sh
# e2e_cgi.sh - end-to-end test of the CGI example (examples/cgi/crumb_cgi.c)
# through a real lighttpd (mod_cgi) on a free port: document root, key
# files and file store in a temp dir, curl with cookie jars as the client
# (examples/e2e/scenario.sh). Run from the repo root.
NAME=e2e_cgi
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
for t in curl lighttpd; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] ||
        { echo "$NAME: FAIL: $t is not installed (make deps)" >&2; exit 1; }
done
LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
make -s -C examples BUILD="$BUILD" >/dev/null ||
    { echo "$NAME: FAIL at step \"build\": make -C examples failed" >&2; exit 1; }
[ -x "$B/examples/crumb.cgi" ] || { echo "$NAME: FAIL: $B/examples/crumb.cgi missing" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crumb-e2e-cgi.XXXXXX") || exit 2
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir "$WORK/www" && cp "$B/examples/crumb.cgi" "$WORK/www/crumb.cgi" || exit 2
CRUMB_MODE=${CRUMB_MODE:-stateless-store}

# Start lighttpd on a random free port; retry when the port is taken.
tries=0
while :; do
    tries=$((tries + 1))
    [ $tries -le 10 ] || { echo "$NAME: FAIL at step \"start\": no free port" >&2; exit 1; }
    PORT=$(awk -v s="$$$tries$(date +%N)" 'BEGIN { srand(s % 1000003); print 20000 + int(rand() * 40000) }')
    cat >"$WORK/lighttpd.conf" <<CONF
server.modules = ( "mod_rewrite", "mod_setenv", "mod_cgi" )
server.document-root = "$WORK/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$WORK/error.log"
server.max-request-size = 64
cgi.assign = ( "/crumb.cgi" => "" )
url.rewrite-once = ( "^/([^?]*)(\?.*)?\$" => "/crumb.cgi/\$1\$2" )
setenv.add-environment = ( "CRUMB_VAR" => "$WORK/var", "CRUMB_MODE" => "$CRUMB_MODE",
                           "CRUMB_STORE" => "file" )
CONF
    : >"$WORK/error.log"
    "$LIGHTTPD" -D -f "$WORK/lighttpd.conf" >"$WORK/server.log" 2>&1 &
    PID=$!
    up=0
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/nope"; then up=1; break; fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    [ $up = 1 ] && break
    kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
    grep -qi "address already in use\|can't bind" "$WORK/server.log" "$WORK/error.log" && continue
    echo "$NAME: FAIL at step \"start\": lighttpd did not start:" >&2
    cat "$WORK/server.log" "$WORK/error.log" >&2; exit 1
done
BASE=http://127.0.0.1:$PORT
echo "$NAME: lighttpd on $BASE ($CRUMB_MODE, file store)"

if ! ( . examples/e2e/scenario.sh ); then
    echo "--- lighttpd error log:" >&2; tail -n 20 "$WORK/error.log" >&2
    exit 1
fi

STEP="var/ is private"
[ "$(stat -c %a "$WORK/var")" = 700 ] || { echo "$NAME: FAIL: var/ is not 0700" >&2; exit 1; }
[ "$(stat -c %a "$WORK/var/keys")" = 600 ] || { echo "$NAME: FAIL: var/keys is not 0600" >&2; exit 1; }
echo "$NAME: ok"
