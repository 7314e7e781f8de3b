#!/bin/sh
# install.sh - `make install PREFIX=<tmp>` then the README's example built
# the README's way, with pkg-config against the installed copy only (the
# crumb.pc must point at <tmp>, not /usr/local), run through the rpath and
# through LD_LIBRARY_PATH; man pages installed; the store conformance suite
# installed to share/libcrumb and, built as a third party would (crumb_store(3)),
# passes on the installed memory store and fails on a store that forgets
# what it was told; `make uninstall` removes
# every file. Installs from the existing build (-o all: never rebuilds, so
# a `make check BUILD=x CRYPTO=...` build dir is not rebuilt with defaults).
set -u
cd "$(dirname "$0")/.." || exit 2
B=${CRUMB_BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/crumb-install.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
P=$T/prefix
fail() { echo "install.sh: FAIL: $*"; exit 1; }
[ -f "$B/libcrumb.so" ] || fail "$B/libcrumb.so missing (run make first)"
make -s --no-print-directory -o all BUILD="$B" PREFIX="$P" install >"$T/log" 2>&1 ||
    { cat "$T/log"; fail "make install"; }
for f in lib/libcrumb.a lib/libcrumb.so.0 lib/libcrumb.so lib/pkgconfig/crumb.pc \
         include/crumb.h include/crumb_store.h bin/crumb share/man/man3/crumb.3 \
         share/man/man1/crumb.1 share/libcrumb/store_conformance.c \
         share/libcrumb/store_conformance.h; do
    [ -e "$P/$f" ] || fail "$P/$f not installed"
done
grep -qx "prefix=$P" "$P/lib/pkgconfig/crumb.pc" || { cat "$P/lib/pkgconfig/crumb.pc"; fail "crumb.pc prefix is not $P"; }
PKG_CONFIG_PATH=$P/lib/pkgconfig
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs crumb) || fail "pkg-config --cflags --libs crumb"
case " $flags " in *" -L$P/lib "*) ;; *) fail "pkg-config gives \"$flags\", no -L$P/lib" ;; esac

awk '/^```c$/{f=1;next} /^```$/{f=0} f' README.md > "$T/app.c"
grep -q crumb_cgi_load "$T/app.c" || fail "README example not found"
sed -i "s|/etc/myapp/keys|$T/keys|; s|/var/lib/myapp/sessions|$T/sessions|" "$T/app.c"
# the README's line, plus the rpath it recommends for a non-system prefix
# shellcheck disable=SC2086
cc -o "$T/app" "$T/app.c" $flags -Wl,-rpath,"$P/lib" || fail "README build line with pkg-config"
# shellcheck disable=SC2086
cc -o "$T/app-norpath" "$T/app.c" $flags || fail "build without rpath"
"$P/bin/crumb" keygen "$T/keys" >/dev/null 2>&1 || fail "installed crumb keygen"
ldd "$T/app" | grep -q "libcrumb.so.0 => $P/lib/" || { ldd "$T/app"; fail "app does not load $P/lib/libcrumb.so.0"; }
out=$(env -i HTTP_COOKIE= "$T/app") || fail "app (rpath) exited non-zero"
cookie=$(printf '%s\n' "$out" | sed -n 's/^Set-Cookie: \(__Host-sid=[^;]*\).*/\1/p' | tr -d '\r')
printf '%s\n' "$out" | grep -q "visit 1" || fail "first visit is not 1"
out=$(env -i HTTP_COOKIE="$cookie" LD_LIBRARY_PATH="$P/lib" "$T/app-norpath") ||
    fail "app (LD_LIBRARY_PATH) exited non-zero"
printf '%s\n' "$out" | grep -q "visit 2" || fail "second visit is not 2"

# the conformance suite, the crumb_store(3) way: a fresh store per call
cat >"$T/conf.c" <<'EOF2'
#include <stdio.h>
#include <string.h>
#include "crumb_store.h"
#include "store_conformance.h"

static crumb_store_methods broken; /* memory store whose revoke_all forgets */
static crumb_err forget(crumb_store *s, int64_t before, int64_t now)
{
    (void)s, (void)before, (void)now;
    return CRUMB_OK;
}
static crumb_store *open_fresh(void *ctx)
{
    crumb_store *s = NULL;
    if (crumb_store_memory_open(&s, NULL) != CRUMB_OK)
        return NULL;
    if (ctx != NULL) {
        broken = *s->methods;
        broken.revoke_all = forget;
        s->methods = &broken;
    }
    return s;
}
int main(int argc, char **argv)
{
    int failed = crumb_store_conformance(open_fresh, argc > 1 ? argv : NULL);
    printf("failed checks: %d\n", failed);
    return failed != 0;
}
EOF2
S=$P/share/libcrumb
# shellcheck disable=SC2086
cc -std=c11 -o "$T/conf" -I"$S" "$T/conf.c" "$S/store_conformance.c" $flags \
    -Wl,-rpath,"$P/lib" || fail "conformance suite build against the installed copy"
"$T/conf" >"$T/conf.log" 2>&1 || { tail -20 "$T/conf.log"; fail "installed conformance suite fails on the memory store"; }
"$T/conf" broken >"$T/conf.log" 2>&1 && fail "installed conformance suite passes a store whose revoke_all forgets"

make -s --no-print-directory -o all BUILD="$B" PREFIX="$P" uninstall >"$T/log" 2>&1 ||
    { cat "$T/log"; fail "make uninstall"; }
left=$(find "$P" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "install.sh: installed to a temp prefix, README example built with pkg-config ran (rpath and LD_LIBRARY_PATH), installed conformance suite passed the memory store and failed a broken one, uninstalled"
