# tests/lib/server.sh - sourced (from the repo root, NAME set) by the tests
# that drive an example server over HTTP (tests/attack_http.sh,
# tests/e2e_mhd.sh, tests/e2e_cgi.sh): the build directory, the examples'
# build, a temp dir removed on exit (the server killed), and starting a
# server on a random free port. Not a test itself (tests/run.sh runs
# tests/*.sh only).

BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac

# examples_build: make -C examples, or fail the test.
examples_build() {
    make -s -C examples BUILD="$BUILD" >/dev/null ||
        { echo "$NAME: FAIL at step \"build\": make -C examples failed" >&2; exit 1; }
}

# server_workdir TAG: WORK = a fresh ${TMPDIR:-/tmp}/crumb-TAG.XXXXXX, removed
# on exit after the server ($PID, if set) is killed.
server_cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    rm -rf "$WORK"
}
server_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/crumb-$1.XXXXXX") || exit 2
    PID=
    trap server_cleanup EXIT
    trap 'exit 1' INT TERM HUP
}

# server_start LAUNCH READY WHAT LOG BUSY: pick a random port (PORT), run
# LAUNCH (starts the server in the background on $PORT, output to LOG, PID
# set) and wait up to 10 s for READY to succeed; if the server exits and LOG
# matches BUSY (grep -i: the port was taken) retry, up to 10 ports. Sets
# BASE; fails the test ("WHAT did not start") otherwise.
server_start() {
    tries=0
    while :; do
        tries=$((tries + 1))
        [ $tries -le 10 ] || { echo "$NAME: FAIL at step \"start\": no free port" >&2; exit 1; }
        PORT=$(awk -v s="$$$tries$(date +%N)" 'BEGIN { srand(s % 1000003); print 20000 + int(rand() * 40000) }')
        "$1"
        up=0
        for _ in $(seq 1 100); do
            if "$2"; then up=1; break; fi
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        [ $up = 1 ] && break
        kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
        grep -qi "$5" "$4" && continue
        echo "$NAME: FAIL at step \"start\": $3 did not start:" >&2
        cat "$4" >&2; exit 1
    done
    BASE=http://127.0.0.1:$PORT
}

# mhd_start: the libmicrohttpd example ($BIN) via server_start, its output
# in $WORK/server.log (CRUMB_* and HOST from the environment).
mhd_launch() {
    PORT=$PORT "$BIN" >"$WORK/server.log" 2>&1 &
    PID=$!
}
mhd_ready() { grep -q "listening on" "$WORK/server.log"; }
mhd_start() { server_start mhd_launch mhd_ready server "$WORK/server.log" "cannot listen"; }

# server_stop: SIGTERM the server and wait; returns its exit status.
server_stop() {
    kill -TERM "$PID"
    wait "$PID"
    rc=$?
    PID=
    return $rc
}
