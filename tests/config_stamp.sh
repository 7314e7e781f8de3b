#!/bin/sh
# config_stamp.sh - a build directory reused with another configuration is
# rebuilt (issue 14: `make` with REDIS=off then `make check` with Redis
# mixed objects of both). Builds one object in a temp BUILD dir with
# REDIS=off, then REDIS=on (must recompile), then REDIS=on again (must
# not), then OPT changed (must recompile); checks build/config.stamp
# records the flags. Cheap: one source file per step.
cd "$(dirname "$0")/.." || exit 2
# run from `make check CRYPTO=...`, the parent's command-line variables
# would reach these makes through MAKEFLAGS and override the steps' own
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL
# and make exports its command-line variables to the environment as well
unset CRYPTO REDIS OPT SAN CFLAGS LDFLAGS BUILD
T=$(mktemp -d "${TMPDIR:-/tmp}/crumb-stamp.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
O=$T/obj/lib/version.o
fails=0
step() { # step DESC WANT(compile|none) MAKE-ARGS...
    desc=$1 want=$2; shift 2
    make --no-print-directory BUILD="$T" "$@" "$O" >"$T/log" 2>&1 ||
        { echo "FAIL $desc: make failed"; cat "$T/log"; fails=$((fails + 1)); return; }
    if grep -q -- "-c lib/version.c" "$T/log"; then got=compile; else got=none; fi
    if [ "$got" = "$want" ]; then echo "ok   $desc ($got)"; else
        echo "FAIL $desc: $got, want $want"; fails=$((fails + 1)); fi
}
step "first build, REDIS=off" compile REDIS=off
grep -q -- "-DCRUMB_HAVE_REDIS=0" "$T/config.stamp" || { echo "FAIL stamp lacks REDIS=0"; fails=$((fails + 1)); }
step "same build dir, REDIS=on" compile REDIS=on HIREDIS_CFLAGS= HIREDIS_LIBS=-lhiredis
grep -q -- "-DCRUMB_HAVE_REDIS=1" "$T/config.stamp" || { echo "FAIL stamp lacks REDIS=1"; fails=$((fails + 1)); }
step "REDIS=on again" none REDIS=on HIREDIS_CFLAGS= HIREDIS_LIBS=-lhiredis
step "OPT changed" compile REDIS=on HIREDIS_CFLAGS= HIREDIS_LIBS=-lhiredis OPT=-O0
step "CRYPTO changed" compile REDIS=on HIREDIS_CFLAGS= HIREDIS_LIBS=-lhiredis OPT=-O0 CRYPTO=mbedtls
step "CRYPTO back to both" compile REDIS=on HIREDIS_CFLAGS= HIREDIS_LIBS=-lhiredis OPT=-O0 CRYPTO=both
grep -q -- "-D_FILE_OFFSET_BITS=64" "$T/config.stamp" || { echo "FAIL no -D_FILE_OFFSET_BITS=64"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "config_stamp.sh: ok" && exit 0
echo "config_stamp.sh: $fails failed"; exit 1
