#!/bin/sh
# e2e_mhd.sh - end-to-end test of the libmicrohttpd example
# (examples/mhd/crumb_mhd.c): starts the real server on a free port with a
# file store in a temp dir and drives it with curl and cookie jars
# (examples/e2e/scenario.sh). Mode/store from CRUMB_MODE / CRUMB_STORE
# (default stateless-store + file store). Run from the repo root.
NAME=e2e_mhd
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
command -v curl >/dev/null || { echo "$NAME: FAIL: curl is not installed (make deps)" >&2; exit 1; }
make -s -C examples BUILD="$BUILD" >/dev/null ||
    { echo "$NAME: FAIL at step \"build\": make -C examples failed" >&2; exit 1; }
BIN=$B/examples/crumb-mhd
[ -x "$BIN" ] || { echo "$NAME: FAIL: $BIN missing" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crumb-e2e-mhd.XXXXXX") || exit 2
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Start on a random free port; retry when the port is taken.
export CRUMB_VAR="$WORK/var" CRUMB_MODE=${CRUMB_MODE:-stateless-store} \
    CRUMB_STORE=${CRUMB_STORE:-file} HOST=127.0.0.1
tries=0
while :; do
    tries=$((tries + 1))
    [ $tries -le 10 ] || { echo "$NAME: FAIL at step \"start\": no free port" >&2; exit 1; }
    PORT=$(awk -v s="$$$tries$(date +%N)" 'BEGIN { srand(s % 1000003); print 20000 + int(rand() * 40000) }')
    PORT=$PORT "$BIN" >"$WORK/server.log" 2>&1 &
    PID=$!
    up=0
    for _ in $(seq 1 100); do
        if grep -q "listening on" "$WORK/server.log"; then up=1; break; fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    [ $up = 1 ] && break
    wait "$PID" 2>/dev/null; PID=
    grep -q "cannot listen" "$WORK/server.log" && continue
    echo "$NAME: FAIL at step \"start\": server did not start:" >&2
    cat "$WORK/server.log" >&2; exit 1
done
BASE=http://127.0.0.1:$PORT
echo "$NAME: server on $BASE ($CRUMB_MODE, $CRUMB_STORE store)"

. examples/e2e/scenario.sh

STEP="clean shutdown on SIGTERM"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ $rc = 0 ] || fail "server exited with status $rc"
grep -q "stopping" "$WORK/server.log" || fail "no shutdown message"
echo "$NAME: ok"
