#!/bin/sh
# e2e_mhd.sh - end-to-end test of the libmicrohttpd example
# (examples/mhd/crumb_mhd.c): starts the real server on a free port with a
# file store in a temp dir and drives it with curl and cookie jars
# (examples/e2e/scenario.sh). Mode/store from CRUMB_MODE / CRUMB_STORE
# (default stateless-store + file store). Run from the repo root.
NAME=e2e_mhd
cd "$(dirname "$0")/.." || exit 2
. tests/lib/server.sh
command -v curl >/dev/null || { echo "$NAME: FAIL: curl is not installed (make deps)" >&2; exit 1; }
examples_build
BIN=$B/examples/crumb-mhd
[ -x "$BIN" ] || { echo "$NAME: FAIL: $BIN missing" >&2; exit 1; }

server_workdir e2e-mhd

# Start on a random free port; retry when the port is taken.
export CRUMB_VAR="$WORK/var" CRUMB_MODE=${CRUMB_MODE:-stateless-store} \
    CRUMB_STORE=${CRUMB_STORE:-file} HOST=127.0.0.1
mhd_start
echo "$NAME: server on $BASE ($CRUMB_MODE, $CRUMB_STORE store)"

. examples/e2e/scenario.sh

STEP="clean shutdown on SIGTERM"
server_stop; rc=$?
[ $rc = 0 ] || fail "server exited with status $rc"
grep -q "stopping" "$WORK/server.log" || fail "no shutdown message"
echo "$NAME: ok"
