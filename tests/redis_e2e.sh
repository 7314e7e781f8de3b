#!/bin/sh
# redis_e2e.sh - two libmicrohttpd example servers (examples/mhd) on two
# ports share one Redis (CRUMB_STORE=redis, CRUMB_REDIS_URL) and one key
# directory: alice signs in on server A with browser 1 and on server B with
# browser 2; "log out others" on B ends browser 1's session on its next
# request to A, and browser 2 stays signed in on both. The redis-server is
# private (random loopback port, no persistence, temp dir removed at exit).
# Prints "SKIP: needs <component>" and exits 77 when redis-server or curl is
# missing, or libcrumb was built without hiredis (tests/run.sh counts that
# skip as a failure where the component is there). Run from the repo root after `make check`.
# Debugging: KEEP=DIR copies the work directory (server logs, and a
# redis-cli MONITOR log of every command) to DIR at exit.
NAME=redis_e2e
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
skip() { echo "SKIP: needs $1: $NAME: $2"; exit 77; }
fail() { echo "$NAME: FAIL: $*" >&2; exit 1; }
command -v redis-server >/dev/null || skip redis-server "redis-server is not installed"
command -v curl >/dev/null || skip curl "curl is not installed"
make -s -C examples BUILD="$BUILD" >/dev/null 2>&1 || fail "examples do not build here"
BIN=$B/examples/crumb-mhd
[ -x "$BIN" ] || fail "$BIN missing"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crumb-redis-e2e.XXXXXX") || exit 2
PIDS=
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "$KEEP" ] && cp -r "$WORK" "$KEEP"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

rand_port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000)); }

# redis-server on a random port, retried when taken
tries=0
while :; do
    tries=$((tries + 1))
    [ $tries -le 10 ] || { echo "$NAME: FAIL: no free port for redis-server" >&2; exit 1; }
    RPORT=$(rand_port r$tries)
    redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
    RPID=$!
    up=0
    for _ in $(seq 1 50); do
        if grep -q "Ready to accept" "$WORK/redis.log"; then up=1; break; fi
        kill -0 "$RPID" 2>/dev/null || break
        sleep 0.1
    done
    [ $up = 1 ] && break
    kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null
done
PIDS="$RPID"
[ -n "$KEEP" ] && { redis-cli -p "$RPORT" monitor >"$WORK/monitor.log" 2>&1 & PIDS="$PIDS $!"; }

export CRUMB_VAR="$WORK/var" CRUMB_MODE=stateless-store CRUMB_STORE=redis \
    CRUMB_REDIS_URL="redis://127.0.0.1:$RPORT/0" HOST=127.0.0.1

# start_server LABEL: start one example server on a free port; sets PORT
start_server() {
    tries=0
    while :; do
        tries=$((tries + 1))
        [ $tries -le 10 ] || { echo "$NAME: FAIL: no free port for server $1" >&2; exit 1; }
        PORT=$(rand_port "$1$tries")
        PORT=$PORT "$BIN" >"$WORK/server-$1.log" 2>&1 &
        pid=$!
        up=0
        for _ in $(seq 1 100); do
            if grep -q "listening on" "$WORK/server-$1.log"; then up=1; break; fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if [ $up = 1 ]; then PIDS="$PIDS $pid"; return 0; fi
        wait "$pid" 2>/dev/null
        grep -q "not available in this build" "$WORK/server-$1.log" &&
            skip hiredis "libcrumb was built without hiredis (make REDIS=off)"
        grep -q "cannot listen" "$WORK/server-$1.log" && continue
        echo "$NAME: FAIL at step \"start $1\": server did not start:" >&2
        cat "$WORK/server-$1.log" >&2; exit 1
    done
}
start_server A; PORT_A=$PORT
start_server B; PORT_B=$PORT
grep -q "redis" "$WORK/server-A.log" || fail "server A does not report a redis store"
echo "$NAME: servers on :$PORT_A and :$PORT_B sharing redis :$RPORT"

# helpers as in examples/e2e/scenario.sh, with BASE switched per request
BASE=http://127.0.0.1:$PORT_A
STEP=setup
UA_A="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
UA_B="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
fail() {
    echo "$NAME: FAIL at step \"$STEP\": $*" >&2
    [ -f "$WORK/body" ] && { echo "--- last body:" >&2; head -c 2000 "$WORK/body" >&2; echo >&2; }
    exit 1
}
step() { STEP=$1; echo "$NAME: $STEP"; }
req() { # req JAR UA METHOD PATH: one request with a cookie jar; sets STATUS
    jar=$WORK/$1 ua=$2 method=$3 path=$4
    if [ "$method" = POST ]; then
        STATUS=$(curl -sS -o "$WORK/body" -D "$WORK/hdrs" -A "$ua" -w '%{http_code}' \
            --max-time 20 -b "$jar" -c "$jar" -X POST \
            -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$FORM" \
            "$BASE$path") || fail "curl POST $path failed"
    else
        STATUS=$(curl -sS -o "$WORK/body" -D "$WORK/hdrs" -A "$ua" -w '%{http_code}' \
            --max-time 20 -b "$jar" -c "$jar" "$BASE$path") || fail "curl GET $path failed"
    fi
}
get() { req "$1" "$2" GET "$3"; }
post() { FORM=$4; req "$1" "$2" POST "$3"; }
expect_status() { [ "$STATUS" = "$1" ] || fail "expected HTTP $1, got $STATUS"; }
csrf() { sed -n 's|.*name="csrf" value="\([0-9a-f]*\)".*|\1|p' "$WORK/body" | head -n 1; }
signed_in() { grep -q "Signed in as <b>$1</b>" "$WORK/body"; }
on() { BASE=http://127.0.0.1:$1; }
login() { # login JAR UA
    get "$1" "$2" /; expect_status 200
    tok=$(csrf); [ -n "$tok" ] || fail "no CSRF token"
    post "$1" "$2" /login "csrf=$tok&user=alice&password=alice-demo-password"
    expect_status 303
    get "$1" "$2" /; expect_status 200
    signed_in alice || fail "not signed in after login"
}

step "browser 1 signs in on server A, browser 2 on server B"
on "$PORT_A"; login J1 "$UA_A"
on "$PORT_B"; login J2 "$UA_B"
step "each browser's cookie is accepted by the other server too"
on "$PORT_B"; get J1 "$UA_A" /; signed_in alice || fail "server B refuses browser 1"
on "$PORT_A"; get J2 "$UA_B" /; signed_in alice || fail "server A refuses browser 2"
step "log out others on server B ends browser 1's session on server A"
on "$PORT_B"; get J2 "$UA_B" /devices; tok=$(csrf)
post J2 "$UA_B" /logout-others "csrf=$tok"; expect_status 303
on "$PORT_A"; get J1 "$UA_A" /; expect_status 200
signed_in alice && fail "server A still accepts browser 1 after log out others on B"
get J2 "$UA_B" /; signed_in alice || fail "browser 2 was signed out on server A"
echo "$NAME: ok"
