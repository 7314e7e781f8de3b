#!/bin/sh
# attack_keys.sh - issue 12 finding 3 at the operator's level: the store
# secret that `crumb keygen FILE` writes as FILE.store (0600, 64 hex digits)
# survives the documented key rotation (key add / promote / retire / revoke /
# remove) and even `keygen --force FILE`; `keygen --store-secret PATH` never
# replaces a secret without --force. A rotation that changed it would
# un-revoke every ended session (tests/test_attack_session.c
# attack_key_rotation shows that at the API level).
cd "$(dirname "$0")/.." || exit 2
CRUMB=${CRUMB:-build/crumb}
case "$CRUMB" in /*) ;; *) CRUMB=$(pwd)/$CRUMB ;; esac
[ -x "$CRUMB" ] || { echo "attack_keys.sh: $CRUMB not built" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/crumb-keys.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
unset CRUMB_KEYFILE
fails=0
fail() { fails=$((fails + 1)); echo "attack_keys.sh: FAIL: $*"; }
run() { "$@" >"$T/out" 2>&1 || fail "exit $?: $* ($(head -c 300 "$T/out"))"; }

K=$T/keys
run "$CRUMB" keygen "$K"
[ -f "$K.store" ] || fail "keygen did not write $K.store"
[ "$(ls -l "$K.store" | cut -c1-10)" = "-rw-------" ] || fail "store secret not 0600"
grep -Eq '^[0-9a-f]{64}$' "$K.store" || fail "store secret is not 64 hex digits"
sum=$(cksum <"$K.store")

# the rotation of docs/CLI.md, then some
run "$CRUMB" key add --keys "$K"
run "$CRUMB" key promote 2 --keys "$K"
run "$CRUMB" key revoke 1 --keys "$K"
run "$CRUMB" key remove 1 --keys "$K"
[ "$(cksum <"$K.store")" = "$sum" ] || fail "key rotation changed the store secret"
run "$CRUMB" keygen --force "$K"
[ "$(cksum <"$K.store")" = "$sum" ] || fail "keygen --force replaced the store secret"
grep -q "kept the existing store secret" "$T/out" || fail "keygen --force does not say it kept it"

# --store-secret: refuses to overwrite, --force replaces
S=$T/other.secret
run "$CRUMB" keygen --store-secret "$S"
s1=$(cksum <"$S")
"$CRUMB" keygen --store-secret "$S" >"$T/out" 2>&1 && fail "--store-secret overwrote a secret"
[ "$(cksum <"$S")" = "$s1" ] || fail "a refused --store-secret changed the file"
run "$CRUMB" keygen --store-secret "$S" --force
[ "$(cksum <"$S")" != "$s1" ] || fail "--store-secret --force did not replace it"
[ "$(ls "$T" | grep -c '\.tmp\.' || true)" = 0 ] || fail "temp files left behind"

[ $fails = 0 ] && echo "attack_keys.sh: ok"
[ $fails = 0 ]
