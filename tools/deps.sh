#!/bin/sh
# deps.sh - make sure the Debian packages libcrumb builds and tests with are
# installed. As root it installs what is missing; otherwise it prints the
# exact command to run and fails.
PKGS="build-essential pkg-config libsodium-dev libmbedtls-dev zlib1g-dev
      libmicrohttpd-dev lighttpd curl clang libclang-rt-dev valgrind
      libhiredis-dev redis-server python3 python3-nacl python3-cryptography"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
    exit $?
fi
echo "deps: missing packages:$missing" >&2
echo "deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
exit 1
