#!/bin/sh
# attack_http.sh - issue 12 attacks over HTTP against the libmicrohttpd
# example (examples/mhd), driven with curl: a thief holding only the session
# cookie (or swapping in another device cookie) after the owner revoked the
# device (finding 1); stray chunk cookies (finding 14); the notices after a
# remote logout (on any page, and on a POST whose session ended elsewhere);
# the startup warning for CRUMB_SECURE=1 over plain HTTP; the fingerprint
# notice (report) and refusal (CRUMB_FINGERPRINT=refuse, all three modes;
# issue 16). Runs in
# stateless-store and server mode over the file store. Run from the repo root.
NAME=attack_http
cd "$(dirname "$0")/.." || exit 2
. tests/lib/server.sh
command -v curl >/dev/null || { echo "$NAME: FAIL: curl is not installed" >&2; exit 1; }
examples_build
BIN=$B/examples/crumb-mhd
[ -x "$BIN" ] || { echo "$NAME: FAIL: $BIN missing" >&2; exit 1; }

server_workdir attack-http

# start MODE: the example on a random free port (retried when taken)
start() {
    export CRUMB_VAR="$WORK/var-$1" CRUMB_MODE=$1 CRUMB_STORE=file HOST=127.0.0.1
    mhd_start
}

stop() { server_stop; }

# the helpers of the shared scenario (req/get/post/login/csrf/...), without
# running it: everything above its first step
sed '/^step "anonymous counter/,$d' examples/e2e/scenario.sh >"$WORK/helpers.sh"
. "$WORK/helpers.sh"
UA_T="curl/8.0 (the thief)"

# device_handle JAR UA: the first device of the signed-in user that is not
# the current one (from /devices)
device_handle() {
    get "$1" "$2" /devices; expect_status 200
    grep 'class="device"' "$WORK/body" | grep -v '(this device)' | head -n 1 |
        sed -n 's|.*name="handle" value="\([0-9a-f]*\)".*|\1|p'
}
cookie_named() { awk -v n="$2" '$6 == n { print $7 }' "$WORK/$1"; }

for MODE in stateless-store server; do
    start "$MODE"
    rm -f "$WORK/A" "$WORK/B" "$WORK/M"
    echo "$NAME: $MODE mode on $BASE"

    step "finding 1: thief with only the session cookie, after the owner revoked the device ($MODE)"
    login A "$UA_A" alice alice-demo-password
    stolen=$(cookie_of A)
    [ -n "$stolen" ] || fail "no session cookie"
    login M "$UA_T" bob bob-demo-password # the thief's own device cookie
    own_dev=$(cookie_named M crumb.d)
    RAW_COOKIE="$COOKIE=$stolen"
    get - "$UA_T" /; expect_status 200
    signed_in alice || fail "the stolen cookie does not work even before the revocation"
    # issue 16: the default CRUMB_FINGERPRINT=report keeps the session but
    # says it was signed in from another browser
    expect_body 'id="fingerprint-notice"'
    expect_body "If that was not you"
    login B "$UA_B" alice alice-demo-password
    handle=$(device_handle B "$UA_B")
    [ -n "$handle" ] || fail "no other device listed"
    tok=$(csrf)
    post B "$UA_B" /revoke-device "csrf=$tok&handle=$handle"; expect_status 303
    RAW_COOKIE="$COOKIE=$stolen"
    get - "$UA_T" /; expect_status 200
    signed_in alice && fail "the thief with only the session cookie is still signed in"
    reissued=$(sed -n 's/^Set-Cookie: crumb\.d=\([^;]*\).*/\1/p' "$WORK/hdrs" | tr -d '\r')
    [ -n "$reissued" ] && [ "$reissued" = "$(cookie_named A crumb.d)" ] &&
        fail "the revoked device's cookie was re-issued"
    RAW_COOKIE="$COOKIE=$stolen; $COOKIE.d=$own_dev"
    get - "$UA_T" /; expect_status 200
    signed_in alice && fail "the thief swapping in his own device cookie is still signed in"

    step "the revoked browser sees why, on any page, and can sign in again ($MODE)"
    get A "$UA_A" /devices; expect_status 303
    get A "$UA_A" /; expect_status 200
    expect_body 'id="notice"'
    expect_body "signed out from another device or revoked"
    login A "$UA_A" alice alice-demo-password
    get A "$UA_A" /; signed_in alice || fail "the revoked browser cannot sign in again"

    step "a POST whose session ended elsewhere says so, not 'invalid CSRF token' ($MODE)"
    get A "$UA_A" /; tok_a=$(csrf)
    get B "$UA_B" /; tok=$(csrf)
    post B "$UA_B" /logout-others "csrf=$tok"; expect_status 303
    post A "$UA_A" /logout-others "csrf=$tok_a"; expect_status 403
    expect_body "ended elsewhere"
    expect_no_body "invalid or missing CSRF token"

    step "finding 14: stray chunk cookies are deleted, not answered 500 forever ($MODE)"
    RAW_COOKIE=""
    for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        RAW_COOKIE="$RAW_COOKIE${RAW_COOKIE:+; }$COOKIE.$k=AAAA"
    done
    get - "$UA_T" /; expect_status 200
    for k in 1 7 15; do
        grep -qi "^Set-Cookie: $COOKIE\.$k=;.*Max-Age=0" "$WORK/hdrs" ||
            fail "no deletion of $COOKIE.$k"
    done
    stop
done

step "issue 16: CRUMB_FINGERPRINT=refuse: a cookie replayed from another browser is refused, with a notice"
for MODE in stateless stateless-store server; do
    export CRUMB_FINGERPRINT=refuse
    start "$MODE"
    rm -f "$WORK/A"
    login A "$UA_A" alice alice-demo-password
    RAW_COOKIE="$COOKIE=$(cookie_of A)"
    get - "$UA_T" /; expect_status 200
    signed_in alice && fail "a stolen cookie from another browser is accepted under refuse ($MODE)"
    expect_body 'id="fingerprint-notice"'
    expect_body "please sign in"
    get A "$UA_A" /; signed_in alice || fail "the owner was signed out by the thief's attempt ($MODE)"
    expect_no_body 'id="fingerprint-notice"'
    stop
    unset CRUMB_FINGERPRINT
done

step "startup warning: CRUMB_SECURE=1 over plain HTTP on a non-loopback host"
CRUMB_VAR="$WORK/var-warn" CRUMB_MODE=stateless CRUMB_SECURE=1 HOST=0.0.0.0 PORT=not-a-port \
    "$BIN" >"$WORK/warn.log" 2>&1
grep -q "warning: CRUMB_SECURE=1 but this server speaks plain HTTP" "$WORK/warn.log" ||
    fail "no warning for CRUMB_SECURE=1 on 0.0.0.0"
CRUMB_VAR="$WORK/var-warn" CRUMB_MODE=stateless CRUMB_SECURE=1 HOST=127.0.0.1 PORT=not-a-port \
    "$BIN" >"$WORK/warn.log" 2>&1
grep -q "warning:" "$WORK/warn.log" && fail "warning on loopback"
echo "$NAME: ok"
