#!/bin/sh
# kat.sh - checks tests/vectors/crumb_v1_kat.json (tokens) and
# tests/vectors/crumb_payload_kat.json (payloads v1/v2) with the independent Python
# decoder tests/kat_decode.py (written from docs/FORMAT.md alone).
# Run from the repository root. Needs python3 with the modules `cryptography`
# and `nacl` (Debian: python3-cryptography python3-nacl). If they are
# missing this test FAILS; it never skips.
cd "$(dirname "$0")/.." || exit 2

pkgs="python3 python3-cryptography python3-nacl"
check='import cryptography.hazmat.primitives.ciphers.aead, nacl.bindings'

# `python3` from PATH first; fall back to the system interpreter (a
# pyenv/venv python3 on PATH may lack the Debian-packaged modules).
py=""
for cand in python3 /usr/bin/python3; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c "$check" >/dev/null 2>&1; then py=$cand; break; fi
done
if [ -z "$py" ]; then
    if ! command -v python3 >/dev/null 2>&1 && [ ! -x /usr/bin/python3 ]; then
        echo "FAIL kat.sh: python3 not found; install: apt-get install $pkgs" >&2
    else
        echo "FAIL kat.sh: python3 lacks the modules cryptography and/or nacl;" \
             "install the Debian packages: apt-get install $pkgs" >&2
    fi
    exit 1
fi
"$py" tests/kat_decode.py tests/vectors/crumb_v1_kat.json || exit 1
# session payloads v1 and v2 (docs/FORMAT.md section 7, "Payload v2")
exec "$py" tests/kat_decode.py tests/vectors/crumb_payload_kat.json
