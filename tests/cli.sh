#!/bin/sh
# cli.sh - drives the built `crumb` binary (build/crumb; override with
# CRUMB=path): every subcommand's success and failure paths and exit codes,
# seal -> open round trips, key rotation end to end, and store
# administration on a real file store in a temp dir. Prints one line per
# failed assertion and exits non-zero if any failed.
cd "$(dirname "$0")/.." || exit 2
CRUMB=${CRUMB:-build/crumb}
case "$CRUMB" in /*) ;; *) CRUMB=$(pwd)/$CRUMB ;; esac
if [ ! -x "$CRUMB" ]; then
    echo "cli.sh: $CRUMB not built (run make first)" >&2
    exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/crumb-cli.XXXXXX") || exit 2
RPID=
trap '[ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$T"' EXIT INT TERM
unset CRUMB_KEYFILE
checks=0
failures=0
OUT=$T/stdout
ERR=$T/stderr

fail() {
    failures=$((failures + 1))
    echo "FAIL: $*"
}

# t WANT_RC DESC CMD...: run CMD, stdout/stderr to $OUT/$ERR, check the exit code.
t() {
    want=$1; desc=$2; shift 2
    checks=$((checks + 1))
    "$@" >"$OUT" 2>"$ERR"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$desc: exit $rc, want $want"
        sed -n '1,5s/^/    stdout: /p' "$OUT"
        sed -n '1,5s/^/    stderr: /p' "$ERR"
    fi
}

# has FILE PATTERN DESC / lacks FILE PATTERN DESC: fixed-string checks.
has() {
    checks=$((checks + 1))
    grep -qF -- "$2" "$1" || { fail "$3: output lacks '$2'"; sed -n '1,8s/^/    got: /p' "$1"; }
}
lacks() {
    checks=$((checks + 1))
    ! grep -qF -- "$2" "$1" || fail "$3: output contains '$2'"
}
same() { # same A B DESC
    checks=$((checks + 1))
    [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

K=$T/keys
NOW=1800000000

# ---- top level -----------------------------------------------------------
t 2 "no arguments is a usage error" "$CRUMB"
t 0 "crumb --help" "$CRUMB" --help
has "$OUT" "Exit codes" "crumb --help documents exit codes"
t 2 "unknown command" "$CRUMB" frobnicate
has "$ERR" "unknown command" "unknown command message"
for c in keygen key seal open verify inspect store; do
    t 0 "crumb $c --help" "$CRUMB" "$c" --help
    has "$OUT" "usage: crumb $c" "crumb $c --help shows usage"
done
t 0 "crumb --version" "$CRUMB" --version

# ---- keygen --------------------------------------------------------------
t 0 "keygen writes a key file" "$CRUMB" keygen "$K"
perm=$(ls -l "$K" | cut -c1-10)
same "$perm" "-rw-------" "key file mode"
has "$K" "crumb-keys v1" "key file magic"
has "$K" "1 primary " "key file has primary key 1"
leftovers=$(ls "$T" | grep -c '\.tmp\.' || true)
same "$leftovers" "0" "no temp files left behind by keygen"
sum1=$(cksum <"$K")
t 3 "keygen refuses to overwrite" "$CRUMB" keygen "$K"
has "$ERR" "refusing to overwrite" "keygen overwrite message"
same "$(cksum <"$K")" "$sum1" "refused keygen leaves the file unchanged"
cp "$K" "$T/k-force" && chmod 600 "$T/k-force"
t 0 "keygen --force replaces" "$CRUMB" keygen --force "$T/k-force"
[ "$(cksum <"$T/k-force")" != "$sum1" ] || fail "keygen --force: key file unchanged"
t 2 "keygen without a file" "$CRUMB" keygen
t 3 "keygen into a missing directory" "$CRUMB" keygen "$T/nodir/keys"
t 0 "keygen uses CRUMB_KEYFILE" env CRUMB_KEYFILE="$T/k-env" "$CRUMB" keygen
[ -f "$T/k-env" ] || fail "keygen with CRUMB_KEYFILE did not create the file"
t 0 "keygen --id" "$CRUMB" keygen --id 7 "$T/k7"
has "$T/k7" "7 primary " "keygen --id 7"
t 2 "keygen --id 0" "$CRUMB" keygen --id 0 "$T/k0"

# ---- key list / errors loading keys ---------------------------------------
keyb64=$(awk '$1 == "1" { print $3 }' "$K")
t 0 "key list" "$CRUMB" key list --keys "$K"
has "$OUT" "1 primary" "key list shows key 1"
lacks "$OUT" "$keyb64" "key list never prints key bytes"
t 0 "key list --json" "$CRUMB" key list --json --keys "$K"
has "$OUT" '{"keys":[{"id":1,"state":"primary"}]}' "key list --json"
t 0 "key list via CRUMB_KEYFILE" env CRUMB_KEYFILE="$K" "$CRUMB" key list
t 2 "key without subcommand" "$CRUMB" key --keys "$K"
t 2 "key unknown subcommand" "$CRUMB" key frob --keys "$K"
t 2 "no key file given" "$CRUMB" key list
t 3 "missing key file" "$CRUMB" key list --keys "$T/absent"
cp "$K" "$T/k-open" && chmod 644 "$T/k-open"
t 3 "key file readable by others is refused" "$CRUMB" key list --keys "$T/k-open"
has "$ERR" "chmod 600" "permission error message"
printf 'crumb-keys v1\n1 primary short\n' >"$T/k-bad" && chmod 600 "$T/k-bad"
t 3 "malformed key file" "$CRUMB" key list --keys "$T/k-bad"
has "$ERR" "line 2" "malformed key file reports the line"

# ---- seal / open round trip ----------------------------------------------
t 0 "seal with flags" "$CRUMB" seal --keys "$K" --user alice --tenant acme --device laptop \
    --data cart=3 --data "note=hello world" --data-hex bin=00ff --auth authenticated \
    --factors password,totp --schema 2
TOK=$(cat "$OUT")
[ -n "$TOK" ] || fail "seal printed no token"
t 0 "open the sealed token" "$CRUMB" open --keys "$K" "$TOK"
has "$OUT" "status:      valid" "open status"
has "$OUT" "user:        alice" "open shows user"
has "$OUT" "tenant:      acme" "open shows tenant"
has "$OUT" "device:      laptop" "open shows device"
has "$OUT" "cart = 3" "open shows data cart"
has "$OUT" "note = hello world" "open shows data note"
has "$OUT" 'bin = \x00\xff' "open escapes binary data"
has "$OUT" "authenticated factors=password,totp" "open shows auth"
has "$OUT" "app schema:  2" "open shows schema"
has "$OUT" "reseal:      no" "open reseal no"
lacks "$OUT" "$keyb64" "open never prints key bytes"
t 0 "open --json" "$CRUMB" open --json --keys "$K" "$TOK"
has "$OUT" '"status":"valid"' "open --json status"
has "$OUT" '"user":"alice"' "open --json user"
has "$OUT" '"cart":"3"' "open --json data"
has "$OUT" '"bin":{"hex":"00ff"}' "open --json binary data"
has "$OUT" '"factors":["password","totp"]' "open --json factors"
t 0 "open reads the token from stdin" sh -c "echo '$TOK' | '$CRUMB' open --keys '$K' -"
has "$OUT" "user:        alice" "open from stdin"
t 0 "verify a good token" "$CRUMB" verify --keys "$K" "$TOK"
checks=$((checks + 1)); [ ! -s "$OUT" ] || fail "verify printed something on success"
t 0 "verify from stdin" sh -c "echo '$TOK' | '$CRUMB' verify --keys '$K'"
t 0 "seal --set-cookie" "$CRUMB" seal --keys "$K" --cookie __Host-s --set-cookie --user u
has "$OUT" "__Host-s=" "Set-Cookie line has the name"
has "$OUT" "HttpOnly" "Set-Cookie line has HttpOnly"

# JSON on stdin
t 0 "seal from JSON on stdin" sh -c "printf '%s' '{\"user\":\"bob\",\"ttl\":600,\"data\":{\"k\":\"v\",\"h\":{\"hex\":\"0a\"}},\"auth\":{\"state\":\"in-progress\",\"factors\":[\"password\"],\"remaining\":[\"totp\"],\"attempts\":1}}' | '$CRUMB' seal --keys '$K' -"
JTOK=$(cat "$OUT")
t 0 "open the JSON-sealed token" "$CRUMB" open --keys "$K" "$JTOK"
has "$OUT" "user:        bob" "JSON seal user"
has "$OUT" "k = v" "JSON seal data"
has "$OUT" 'h = \x0a' "JSON seal hex data"
has "$OUT" "in-progress factors=password remaining=totp attempts=1" "JSON seal auth"
t 0 "flags override JSON" sh -c "echo '{\"user\":\"bob\"}' | '$CRUMB' seal --keys '$K' --user carol --stdin"
t 0 "open the overridden token" "$CRUMB" open --keys "$K" "$(cat "$OUT")"
has "$OUT" "user:        carol" "flag overrides JSON user"
t 2 "seal rejects malformed JSON" sh -c "echo '{\"user\":' | '$CRUMB' seal --keys '$K' -"
has "$ERR" "JSON" "malformed JSON message"
t 2 "seal rejects duplicate JSON keys" sh -c "echo '{\"user\":\"a\",\"user\":\"b\"}' | '$CRUMB' seal --keys '$K' -"
t 2 "seal rejects unknown JSON fields" sh -c "echo '{\"usr\":\"a\"}' | '$CRUMB' seal --keys '$K' -"
t 2 "seal rejects bad --data" "$CRUMB" seal --keys "$K" --data novalue
t 2 "seal rejects unknown option" "$CRUMB" seal --keys "$K" --frob
t 2 "seal rejects bad --auth" "$CRUMB" seal --keys "$K" --auth admin
t 2 "seal rejects bad --ttl" "$CRUMB" seal --keys "$K" --ttl -5
t 2 "seal rejects unknown suite" "$CRUMB" seal --keys "$K" --suite rot13
t 3 "seal without a readable key file" "$CRUMB" seal --keys "$T/absent"

# suites
t 0 "seal with aes-256-gcm" "$CRUMB" seal --keys "$K" --suite aes-256-gcm --user g
GTOK=$(cat "$OUT")
t 0 "open an aes-256-gcm token" "$CRUMB" open --keys "$K" "$GTOK"
has "$OUT" "suite:       2 (aes-256-gcm)" "aes-gcm suite shown"
t 0 "seal with hmac-sha256" "$CRUMB" seal --keys "$K" --suite hmac-sha256 --user h
t 0 "open an hmac-sha256 token" "$CRUMB" open --keys "$K" "$(cat "$OUT")"
has "$OUT" "suite:       3 (hmac-sha256)" "hmac suite shown"

# binding and tampering
t 1 "open with another cookie name fails" "$CRUMB" open --keys "$K" --cookie other "$TOK"
has "$ERR" "token rejected" "wrong cookie message"
t 2 "open reads session cookies only (--purpose csrf is a usage error)" "$CRUMB" open --keys "$K" --purpose csrf "$TOK"
t 1 "open with another audience fails" "$CRUMB" open --keys "$K" --audience api "$TOK"
t 1 "open with another key file fails" "$CRUMB" open --keys "$T/k-force" "$TOK"
last=$(printf '%s' "$TOK" | tail -c 1)
if [ "$last" = A ]; then repl=B; else repl=A; fi
BAD=$(printf '%s' "$TOK" | sed "s/.\$/$repl/")
t 1 "open a tampered token fails" "$CRUMB" open --keys "$K" "$BAD"
t 1 "verify a tampered token fails" "$CRUMB" verify --keys "$K" "$BAD"
t 1 "verify garbage fails" "$CRUMB" verify --keys "$K" 'not a token!'
t 1 "verify --quiet prints nothing" "$CRUMB" verify -q --keys "$K" "$BAD"
checks=$((checks + 1)); [ ! -s "$ERR" ] || fail "verify --quiet printed to stderr"
t 2 "open without a token" sh -c "'$CRUMB' open --keys '$K' </dev/null"
t 2 "open with two tokens" "$CRUMB" open --keys "$K" a b

# expiry (injected clock)
t 0 "seal at a fixed time" "$CRUMB" seal --keys "$K" --now "$NOW" --ttl 3600 --idle 600 --user old
ETOK=$(cat "$OUT")
t 0 "verify within the idle window" "$CRUMB" verify --keys "$K" --now $((NOW + 300)) "$ETOK"
t 1 "verify after the idle timeout" "$CRUMB" verify --keys "$K" --now $((NOW + 900)) "$ETOK"
has "$ERR" "idle" "idle expiry message"
t 1 "open after the absolute lifetime" "$CRUMB" open --keys "$K" --now $((NOW + 7200)) "$ETOK"
has "$OUT" "status:      expired" "open shows expired"
has "$OUT" "user:        old" "open still prints fields of an expired token"
t 1 "verify before issue (future)" "$CRUMB" verify --keys "$K" --now $((NOW - 3600)) "$ETOK"
t 0 "skew tolerance" "$CRUMB" verify --keys "$K" --now $((NOW + 620)) --skew 60 "$ETOK"

# inspect
t 0 "inspect" "$CRUMB" inspect "$TOK"
has "$OUT" "key id:      1" "inspect key id"
has "$OUT" "version:     1" "inspect version"
t 0 "inspect --json" "$CRUMB" inspect --json "$GTOK"
has "$OUT" '"suite":2' "inspect --json suite"
t 1 "inspect garbage" "$CRUMB" inspect '!!!'
t 0 "inspect from stdin" sh -c "echo '$TOK' | '$CRUMB' inspect"

# keys from the environment
t 0 "key export --env" "$CRUMB" key export --env --keys "$K"
ENVKEYS=$(cat "$OUT")
t 0 "verify with --keys-env" env CRUMB_TEST_KEYS="$ENVKEYS" "$CRUMB" verify --keys-env CRUMB_TEST_KEYS "$TOK"
t 3 "--keys-env with an unset variable" env -u CRUMB_TEST_KEYS "$CRUMB" verify --keys-env CRUMB_TEST_KEYS "$TOK"
t 3 "--keys-env with a malformed value" env CRUMB_TEST_KEYS=junk "$CRUMB" verify --keys-env CRUMB_TEST_KEYS "$TOK"
t 0 "key export (key-file form)" "$CRUMB" key export --keys "$K"
has "$OUT" "crumb-keys v1" "key export prints the key file"

# ---- open agrees with the library's session decoder (issue 14) -----------
# tests/test_inspect makes the tokens (mk) and gives crumb_session_load's own
# verdict on them (judge); crumb open must agree on every case.
HLP=${CRUMB_BUILD:-build}/tests/test_inspect
case "$HLP" in /*) ;; *) HLP=$(pwd)/$HLP ;; esac
agree() { # agree CASE WANT_RC WANT_STATUS [--header]
    checks=$((checks + 1))
    input=$("$HLP" mk "$K" "$1") || { fail "$1: test_inspect mk failed"; return; }
    if [ "${4:-}" = --header ]; then hdr=$input; else hdr="session=$input"; fi
    lib=$("$HLP" judge "$K" "$hdr")
    t "$2" "open $1" "$CRUMB" open --keys "$K" --now $NOW --json ${4:-} "$input"
    has "$OUT" "\"status\":\"$3\"" "open $1: status"
    if [ "${lib%% *}" = 0 ]; then
        same "$2" 0 "open $1: the library accepts it"
    else
        has "$ERR" "${lib#* }" "open $1: same error as the library (${lib#* })"
    fi
}
if [ ! -x "$HLP" ]; then
    fail "$HLP not built (make check-build)"
else
    agree ref 1 reference
    has "$ERR" "reference token" "open ref: says it is a reference"
    agree ratio 1 rejected
    has "$OUT" '"reason":"inflate-limit"' "open ratio: the inflate ratio cap"
    agree corrupt 1 rejected
    has "$OUT" '"reason":"payload-malformed"' "open corrupt: corrupt DEFLATE is a payload error"
    agree edge 1 expired
    has "$OUT" '"user":"alice"' "open edge: fields of the expired token"
    agree edge1 0 valid
    agree overflow 0 valid
    agree chunked 0 valid --header
    has "$OUT" '"chunks":2' "open chunked: two cookies"
    H=$("$HLP" mk "$K" device)
    t 0 "open --device opens the device cookie" "$CRUMB" open --keys "$K" --now $NOW --device --header "$H"
    has "$OUT" "device id:" "open --device prints the device id"
    t 0 "open --header reads the session next to the device cookie" "$CRUMB" open --keys "$K" --now $NOW --header "$H"
    t 1 "open --header without our cookie" "$CRUMB" open --keys "$K" --now $NOW --header "other=1"
    has "$OUT" "status:      none" "open --header without our cookie: none"
fi
t 1 "open an empty token is a rejection" "$CRUMB" open --keys "$K" ""
has "$OUT" "status:      rejected" "open empty token: rejected"
t 1 "open an empty line on stdin is a rejection" sh -c "printf '\\n' | '$CRUMB' open --keys '$K' -"
# JSON keys: a non-UTF-8 key and a real key "hex:ff" stay apart
XK=$(printf '\377')
t 0 "seal a non-UTF-8 data key" "$CRUMB" seal --keys "$K" --data "$XK=x" --data "hex:ff=y"
XT=$(cat "$OUT")
t 0 "open --json with a non-UTF-8 key" "$CRUMB" open --keys "$K" --json "$XT"
has "$OUT" '"data":{"hex:ff":"y"}' "open --json keeps the real key hex:ff in data"
has "$OUT" '"data_hex_keys":{"ff":"x"}' "open --json puts the non-UTF-8 key in data_hex_keys"

# ---- rotation end to end -------------------------------------------------
R=$T/rot
t 0 "rotation: keygen" "$CRUMB" keygen "$R"
t 0 "rotation: seal under key 1" "$CRUMB" seal --keys "$R" --user rot --data a=1
TOK1=$(cat "$OUT")
t 0 "rotation: key add" "$CRUMB" key add --keys "$R"
has "$OUT" "key 2 added as decrypt-only" "key add message"
t 0 "rotation: list after add" "$CRUMB" key list --keys "$R"
has "$OUT" "2 decrypt-only" "new key staged decrypt-only"
has "$OUT" "1 primary" "old key still primary"
t 0 "rotation: seal still uses key 1" "$CRUMB" seal --keys "$R" --user x
t 0 "rotation: inspect" "$CRUMB" inspect "$(cat "$OUT")"
has "$OUT" "key id:      1" "staged key not used for sealing"
t 0 "rotation: promote 2" "$CRUMB" key promote 2 --keys "$R"
t 0 "rotation: list after promote" "$CRUMB" key list --keys "$R"
has "$OUT" "1 decrypt-only" "old primary demoted"
has "$OUT" "2 primary" "key 2 primary"
t 0 "rotation: old token still opens" "$CRUMB" open --keys "$R" "$TOK1"
has "$OUT" "reseal:      yes" "open says re-seal"
has "$OUT" "a = 1" "old token data intact"
t 0 "rotation: open --json reseal" "$CRUMB" open --json --keys "$R" "$TOK1"
has "$OUT" '"reseal":true' "open --json says re-seal"
t 0 "rotation: new seal" "$CRUMB" seal --keys "$R" --user rot
TOK2=$(cat "$OUT")
t 0 "rotation: inspect new token" "$CRUMB" inspect "$TOK2"
has "$OUT" "key id:      2" "new tokens use key 2"
t 2 "rotation: revoke the primary needs --force" "$CRUMB" key revoke 2 --keys "$R"
t 2 "rotation: retire the primary needs --force" "$CRUMB" key retire 2 --keys "$R"
t 0 "rotation: revoke key 1" "$CRUMB" key revoke 1 --keys "$R"
t 1 "rotation: token under revoked key fails" "$CRUMB" open --keys "$R" "$TOK1"
has "$ERR" "revoked-key" "open names the revoked key reason"
t 1 "rotation: verify under revoked key fails" "$CRUMB" verify --keys "$R" "$TOK1"
t 0 "rotation: new token still opens" "$CRUMB" verify --keys "$R" "$TOK2"
t 2 "rotation: remove the primary needs --force" "$CRUMB" key remove 2 --keys "$R"
t 0 "rotation: remove revoked key 1" "$CRUMB" key remove 1 --keys "$R"
t 0 "rotation: list after remove" "$CRUMB" key list --keys "$R"
lacks "$OUT" "1 " "key 1 removed"
t 1 "rotation: token under removed key fails" "$CRUMB" verify --keys "$R" "$TOK1"
t 0 "rotation: retire with --force" "$CRUMB" key retire 2 --force --keys "$R"
t 3 "rotation: seal without a primary fails" "$CRUMB" seal --keys "$R"
has "$ERR" "promote" "no-primary message suggests promote"
t 0 "rotation: key add --primary" "$CRUMB" key add --primary --keys "$R"
has "$OUT" "key 3 added as primary" "key add --primary"
t 2 "key promote unknown id" "$CRUMB" key promote 99 --keys "$R"
t 2 "key promote bad id" "$CRUMB" key promote x --keys "$R"
t 2 "key add --id taken" "$CRUMB" key add --id 3 --keys "$R"
t 2 "key changes refuse --keys-env" env CRUMB_TEST_KEYS="$ENVKEYS" "$CRUMB" key add --keys-env CRUMB_TEST_KEYS
# concurrent edits take turns (directory lock): no add is lost
P=$T/par
t 0 "parallel: keygen" "$CRUMB" keygen "$P"
for i in 1 2 3 4 5 6; do "$CRUMB" key add --keys "$P" >/dev/null 2>&1 & done
wait
t 0 "parallel: list" "$CRUMB" key list --keys "$P"
same "$(grep -c decrypt-only "$OUT")" "6" "six parallel key adds all kept"
perm=$(ls -l "$R" | cut -c1-10)
same "$perm" "-rw-------" "key file mode after edits"
leftovers=$(ls "$T" | grep -c '\.tmp\.' || true)
same "$leftovers" "0" "no temp files left behind by key edits"

# ---- store administration (file store) ------------------------------------
S=$T/store
ST() { "$CRUMB" store --file "$S" --now "$NOW" "$@"; }
DEV=00112233445566778899aabbccddeeff
FAM=ffeeddccbbaa99887766554433221100
t 0 "store health (creates the store)" ST health
has "$OUT" "ok" "store health output"
perm=$(ls -ld "$S" | cut -c1-10)
same "$perm" "drwx------" "store directory mode"
t 0 "store record-session" ST record-session alice --expires $((NOW + 3600)) --device "$DEV" --family "$FAM" --label "Firefox on Linux"
H=$(cat "$OUT")
same "${#H}" "64" "record-session prints a 64-digit handle"
t 0 "store record-session (second)" ST record-session alice --expires $((NOW + 3600))
H2=$(cat "$OUT")
t 0 "store record-device" ST record-device alice "$DEV" --label "Firefox on Linux" --ip 192.0.2.0/24
t 0 "store sessions" ST sessions alice
has "$OUT" "2 sessions" "sessions count"
has "$OUT" "$H" "sessions lists the handle"
has "$OUT" "Firefox on Linux" "sessions shows the label"
t 0 "store sessions --json --limit 1" ST sessions alice --json --limit 1
has "$OUT" '"total":2' "sessions --json total"
t 0 "store sessions of an unknown user" ST sessions nobody
has "$OUT" "0 sessions" "unknown user has no sessions"
t 0 "store devices --json" ST devices alice --json
has "$OUT" "\"device\":\"$DEV\"" "devices lists the device"
has "$OUT" '"ip_prefix":"192.0.2.0/24"' "devices shows the ip prefix"
t 0 "store trust" ST trust alice "$DEV" trusted
t 0 "store devices after trust" ST devices alice
has "$OUT" "trusted" "device trusted"
t 2 "store trust with a bad level" ST trust alice "$DEV" best
t 4 "store trust of an unknown device" ST trust alice "$FAM" seen
t 0 "store check: nothing revoked" ST check --session "$H" --family "$FAM" --user alice --device "$DEV" --issued-at $((NOW - 10))
has "$OUT" "allowed" "check allowed"
t 0 "store revoke session" ST revoke session "$H"
t 1 "store check: revoked session" ST check --session "$H"
has "$OUT" "rule: session" "check names the session rule"
t 0 "store check: other session unaffected" ST check --session "$H2"
t 0 "store revoke family" ST revoke family "$FAM"
t 1 "store check: revoked family" ST check --family "$FAM"
has "$OUT" "rule: family" "check names the family rule"
t 0 "store revoke device" ST revoke device alice "$DEV"
t 1 "store check: revoked device" ST check --user alice --device "$DEV" --issued-at "$NOW"
t 0 "store devices after revoke" ST devices alice
has "$OUT" "revoked" "device shows revoked"
t 0 "store check: bob before user revocation" ST check --user bob --issued-at $((NOW - 10))
t 0 "store revoke user" ST revoke user bob
t 1 "store check: bob after user revocation" ST check --user bob --issued-at $((NOW - 10))
has "$OUT" "rule: user" "check names the user rule"
t 0 "store check: bob's newer session" ST check --user bob --issued-at $((NOW + 10))
# a huge --keep saturates to "for good" (it overflowed: UB the ASan/UBSan CLI run catches)
t 0 "store revoke family --keep INT64_MAX" ST revoke family 0123456789abcdef0123456789abcdef --keep 9223372036854775807
t 1 "store check: that family stays revoked" ST check --family 0123456789abcdef0123456789abcdef
t 0 "store not-before" ST not-before $((NOW - 100))
t 1 "store check: global not-before" ST check --issued-at $((NOW - 200))
has "$OUT" "rule: global" "check names the global rule"
t 0 "store check --json" ST check --json --issued-at "$NOW"
has "$OUT" '"allowed":true' "check --json"
t 0 "store forget-device" ST forget-device alice "$DEV"
t 4 "store forget-device again" ST forget-device alice "$DEV"
t 0 "store stats" ST stats
has "$OUT" "revocations" "stats output"
t 0 "store stats --json" ST stats --json
has "$OUT" '"corrupt":0' "stats --json"
t 0 "store sweep (later: index entries expired)" "$CRUMB" store --file "$S" --now $((NOW + 7200)) sweep
has "$OUT" "index_entries    2" "sweep counts expired index entries"
t 0 "store sweep --json" ST sweep --json
has "$OUT" '"temp_files":0' "sweep --json"
t 0 "store fsck on a clean store" ST fsck
has "$OUT" "no corrupt records" "fsck clean"
# damage one user record and let fsck find it
t 0 "store record-device for fsck" ST record-device carol "$DEV"
ufile=$(find "$S/u" -type f | head -n 1)
if [ -n "$ufile" ]; then
    printf 'XXXXXXXX' | dd of="$ufile" bs=1 seek=48 conv=notrunc 2>/dev/null
    t 4 "store fsck finds a corrupt record" ST fsck
    has "$OUT" "corrupt          1" "fsck counts the corrupt record"
    has "$ERR" "corrupt record" "fsck reports corruption on stderr"
    has "$ERR" "fail closed" "fsck says how a corrupt record behaves"
    bad=0 baduser=
    for u in alice bob carol; do
        ST devices "$u" >/dev/null 2>&1 || { bad=$((bad + 1)); baduser=$u; }
    done
    same "$bad" "1" "exactly one user's reads fail on the corrupt record"
    t 0 "store revoke user overwrites the corrupt record" ST revoke user "${baduser:-carol}"
    t 0 "store fsck clean after the revoke" ST fsck
    has "$OUT" "no corrupt records" "fsck clean after the revoke"
    # fsck --repair: a damaged global record becomes "not before now"
    t 0 "store not-before for fsck --repair" ST not-before $((NOW - 100))
    printf 'X' | dd of="$S/global" bs=1 seek=46 conv=notrunc 2>/dev/null
    t 4 "store check fails closed on a damaged global record" ST check --issued-at "$NOW"
    t 0 "store fsck --repair" ST fsck --repair
    has "$OUT" "repaired         1" "fsck --repair counts the repaired record"
    t 1 "store check after repair: issued before the repair is refused" ST check --issued-at $((NOW - 1))
    t 0 "store fsck clean after --repair" ST fsck
else
    fail "no user record file found under $S/u (store layout changed?)"
fi
t 2 "store without a backend" "$CRUMB" store sessions alice
t 2 "store without a command" "$CRUMB" store --file "$S"
t 2 "store unknown command" ST frob
t 2 "store revoke what" ST revoke
t 2 "store revoke session bad handle" ST revoke session xyz
t 2 "store record-session without --expires" ST record-session alice
t 2 "store sessions without a user" ST sessions
t 2 "store sweep has no --repair" ST sweep --repair
mkdir "$T/open-store" && chmod 755 "$T/open-store"
t 4 "store refuses a world-readable directory" "$CRUMB" store --file "$T/open-store" health

# ---- store administration (Redis, when built in and redis-server exists) ---
"$CRUMB" store --redis "unix://$T/none.sock" health >"$OUT" 2>"$ERR"
if grep -q "no Redis store" "$ERR"; then
    echo "cli.sh: skipping Redis checks (crumb built without Redis)"
elif ! command -v redis-server >/dev/null 2>&1; then
    echo "cli.sh: skipping Redis checks (no redis-server)"
else
    redis-server --port 0 --unixsocket "$T/redis.sock" --dir "$T" --save '' \
        --appendonly yes >"$T/redis.log" 2>&1 & # AOF: health checks persistence
    RPID=$!
    i=0
    while [ ! -S "$T/redis.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    RS() { "$CRUMB" store --redis "unix://$T/redis.sock" --now "$NOW" "$@"; }
    t 0 "redis: health" RS health
    t 0 "redis: record-session" RS record-session alice --expires $((NOW + 3600)) --label phone
    RH=$(cat "$OUT")
    t 0 "redis: sessions" RS sessions alice
    has "$OUT" "$RH" "redis: sessions lists the handle"
    t 0 "redis: revoke session" RS revoke session "$RH"
    t 1 "redis: check revoked session" RS check --session "$RH"
    t 0 "redis: revoke user" RS revoke user alice
    t 1 "redis: check revoked user" RS check --user alice --issued-at $((NOW - 1))
    t 0 "redis: revoke family --keep INT64_MAX saturates" RS revoke family 0123456789abcdef0123456789abcdef --keep 9223372036854775807
    t 1 "redis: that family stays revoked" RS check --family 0123456789abcdef0123456789abcdef
    t 0 "redis: stats" RS stats
    t 0 "redis: sweep" RS sweep
    kill "$RPID" 2>/dev/null
    wait "$RPID" 2>/dev/null
    RPID=
    t 4 "redis: unreachable server is a store error" RS health
fi

echo "cli.sh: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
