# scenario.sh - the end-to-end scenario shared by tests/e2e_mhd.sh and
# tests/e2e_cgi.sh (sourced, POSIX sh). Needs: BASE (http://127.0.0.1:PORT),
# WORK (a scratch directory), NAME (for messages), curl. Every check names
# its step; the first failure exits 1.

UA_A="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
UA_B="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
STEP="start"
COOKIE=crumb

fail() {
    echo "$NAME: FAIL at step \"$STEP\": $*" >&2
    if [ -f "$WORK/body" ]; then
        echo "--- last response headers:" >&2; cat "$WORK/hdrs" >&2 2>/dev/null
        echo "--- last response body:" >&2; head -c 3000 "$WORK/body" >&2; echo >&2
    fi
    exit 1
}
step() { STEP=$1; echo "$NAME: $STEP"; }

# req JAR UA METHOD PATH [FORM-DATA]: one request with a cookie jar
# (JAR "-" = none; then $RAW_COOKIE is sent as the Cookie header). Sets
# STATUS; headers in $WORK/hdrs, body in $WORK/body.
req() {
    jar=$1 ua=$2 method=$3 path=$4
    set -- -sS -o "$WORK/body" -D "$WORK/hdrs" -A "$ua" -w '%{http_code}' --max-time 20
    if [ "$jar" = - ]; then
        set -- "$@" -H "Cookie: $RAW_COOKIE"
    else
        set -- "$@" -b "$WORK/$jar" -c "$WORK/$jar"
    fi
    if [ "$method" = POST ]; then
        STATUS=$(curl "$@" -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
            --data-binary "$FORM" "$BASE$path") || fail "curl $method $path failed"
    else
        STATUS=$(curl "$@" "$BASE$path") || fail "curl $method $path failed"
    fi
}
get() { req "$1" "$2" GET "$3"; }
post() { FORM=$4; req "$1" "$2" POST "$3"; }

expect_status() { [ "$STATUS" = "$1" ] || fail "expected HTTP $1, got $STATUS"; }
expect_body() { grep -q -- "$1" "$WORK/body" || fail "response lacks: $1"; }
expect_no_body() { ! grep -q -- "$1" "$WORK/body" || fail "response unexpectedly has: $1"; }
visits() { sed -n 's|.*Visits: <b>\([0-9]*\)</b>.*|\1|p' "$WORK/body"; }
csrf() { sed -n 's|.*name="csrf" value="\([0-9a-f]*\)".*|\1|p' "$WORK/body" | head -n 1; }
cookie_of() { awk -v n="$COOKIE" '$6 == n { print $7 }' "$WORK/$1"; }
signed_in() { grep -q "Signed in as <b>$1</b>" "$WORK/body"; }

# login JAR UA USER PASSWORD: sign in from a fresh page load.
login() {
    get "$1" "$2" /; expect_status 200
    tok=$(csrf); [ -n "$tok" ] || fail "no CSRF token on the home page"
    post "$1" "$2" /login "csrf=$tok&user=$3&password=$4"
    expect_status 303
    get "$1" "$2" /; expect_status 200
    signed_in "$3" || fail "not signed in as $3 after login"
}

step "anonymous counter across requests (cookie round trip)"
for i in 1 2 3; do
    get A "$UA_A" /; expect_status 200
    [ "$(visits)" = "$i" ] || fail "visit $i: page says $(visits)"
done
expect_body "Not signed in"
[ -n "$(cookie_of A)" ] || fail "no $COOKIE cookie in the jar"

step "unknown paths and wrong methods"
get A "$UA_A" /nope; expect_status 404
get A "$UA_A" /login; expect_status 405
post A "$UA_A" / "x=1"; expect_status 405

step "POST without a CSRF token is refused"
post A "$UA_A" /login "user=alice&password=alice-demo-password"
expect_status 403
get A "$UA_A" /; signed_in alice && fail "signed in without a CSRF token"

step "malformed and oversized form bodies"
get A "$UA_A" /; tok=$(csrf)
post A "$UA_A" /login "csrf=$tok&user=alice&user=bob&password=x"; expect_status 400
post A "$UA_A" /login "csrf=$tok&user=%zz&password=x"; expect_status 400
big=$(head -c 6000 /dev/zero | tr '\0' 'a')
FORM="csrf=$tok&user=$big"
STATUS=$(curl -sS -o "$WORK/body" -D "$WORK/hdrs" -w '%{http_code}' --max-time 20 \
    -b "$WORK/A" -c "$WORK/A" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "$FORM" "$BASE/login" 2>/dev/null) || STATUS=closed
[ "$STATUS" = 413 ] || [ "$STATUS" = closed ] || fail "oversized body: got HTTP $STATUS"

step "login with a wrong password fails"
get A "$UA_A" /; tok=$(csrf)
post A "$UA_A" /login "csrf=$tok&user=alice&password=wrong-password"
expect_status 403
expect_body "Wrong user name or password"
get A "$UA_A" /; expect_status 200
signed_in alice && fail "signed in with a wrong password"
post A "$UA_A" /login "csrf=$(csrf)&user=mallory&password=x"; expect_status 403

step "login rotates the session (new cookie; the old one is not signed in)"
get A "$UA_A" /; tok=$(csrf); before=$(visits)
old=$(cookie_of A)
post A "$UA_A" /login "csrf=$tok&user=alice&password=alice-demo-password"
expect_status 303
new=$(cookie_of A)
[ -n "$new" ] && [ "$new" != "$old" ] || fail "session cookie did not change on login"
get A "$UA_A" /; expect_status 200
signed_in alice || fail "not signed in after login"
[ "$(visits)" = $((before + 1)) ] || fail "counter lost across login: $before -> $(visits)"
RAW_COOKIE="$COOKIE=$old"
get - "$UA_A" /; expect_status 200
signed_in alice && fail "the pre-login cookie shows the signed-in page"
expect_body "Visits:"

step "devices page lists this device and session"
get A "$UA_A" /devices; expect_status 200
signed_in alice || fail "devices page: not signed in (the old cookie's replay ended the family?)"
grep -q 'class="device".*(this device)' "$WORK/body" || fail "this device is not listed"
grep -q 'class="session".*(this session)' "$WORK/body" || fail "this session is not listed"

step "a second browser signs in as alice"
login B "$UA_B" alice alice-demo-password
get B "$UA_B" /devices; expect_status 200
[ "$(grep -c 'class="device"' "$WORK/body")" -ge 2 ] || fail "expected 2 devices listed"

step "log out others (from B) ends A's session on its next request"
get B "$UA_B" /devices; tok=$(csrf)
post B "$UA_B" /logout-others "csrf=$tok"; expect_status 303
get A "$UA_A" /; expect_status 200
signed_in alice && fail "A is still signed in after log out others"
expect_body "Not signed in"
get B "$UA_B" /; expect_status 200
signed_in alice || fail "B was signed out by its own log out others"

step "A, signed out by log out others, can sign in again"
# A's fresh session was issued before or at the log-out-others second, but
# its login is after it: the login must stick.
login A "$UA_A" alice alice-demo-password
get A "$UA_A" /; signed_in alice || fail "A's new login was revoked on the next request"

step "revoke A's device from B"
get B "$UA_B" /devices; expect_status 200
line=$(grep 'class="device"' "$WORK/body" | grep -v '(this device)' | head -n 1)
handle=$(printf '%s\n' "$line" | sed -n 's|.*name="handle" value="\([0-9a-f]*\)".*|\1|p')
[ -n "$handle" ] || fail "no other device with a revoke button"
tok=$(csrf)
post B "$UA_B" /revoke-device "csrf=$tok&handle=$handle"; expect_status 303
get A "$UA_A" /; expect_status 200
signed_in alice && fail "A is still signed in after its device was revoked"
get B "$UA_B" /; expect_status 200
signed_in alice || fail "B lost its session when A's device was revoked"
post B "$UA_B" /revoke-device "csrf=$tok&handle=zz"; expect_status 400

step "log out deletes the cookie (Max-Age=0)"
get B "$UA_B" /; tok=$(csrf)
post B "$UA_B" /logout "csrf=$tok"; expect_status 303
grep -qi "^set-cookie: $COOKIE=;.*Max-Age=0" "$WORK/hdrs" || fail "no deletion Set-Cookie line"
get B "$UA_B" /; expect_status 200
signed_in alice && fail "still signed in after log out"

step "a tampered cookie gives a fresh anonymous session, not an error"
login A "$UA_A" bob bob-demo-password
tok=$(cookie_of A)
mid=$(( ${#tok} / 2 ))
c=$(printf '%s' "$tok" | cut -c $((mid + 1)))
if [ "$c" = A ]; then r=B; else r=A; fi
bad="$(printf '%s' "$tok" | cut -c 1-$mid)$r$(printf '%s' "$tok" | cut -c $((mid + 2))-)"
RAW_COOKIE="$COOKIE=$bad"
get - "$UA_A" /; expect_status 200
expect_body "Not signed in"
[ "$(visits)" = 1 ] || fail "tampered cookie: counter is $(visits), expected a fresh 1"
RAW_COOKIE="$COOKIE=%%%not-base64%%%; other=1"
get - "$UA_A" /; expect_status 200
expect_body "Not signed in"
get A "$UA_A" /; signed_in bob || fail "the untampered cookie stopped working"

echo "$NAME: all steps passed"
