#!/bin/sh
# layers.sh - the house rule "data flows one way" checked on the built
# objects: which lib/ file calls which (from nm's defined and undefined
# symbols) must form no cycle, and the codec-layer files must not include
# the session layer's private header lib/session.h. Run after `make`;
# CRUMB_BUILD=<dir> selects another build directory.
cd "$(dirname "$0")/.." || exit 2
B=${CRUMB_BUILD:-build}
ls "$B"/obj/lib/*.o >/dev/null 2>&1 || { echo "layers.sh: no objects in $B/obj/lib"; exit 1; }
fail=0

# codec layer: below the session layer, never includes its private header
for f in alloc error random hex base64url suite_sodium suite_mbedtls hmac aesgcm keyring \
         codec payload payload_ext compress cookie cgi; do
    [ -f "lib/$f.c" ] || continue
    if grep -q '#include "session.h"' "lib/$f.c"; then
        echo "FAIL: lib/$f.c (codec layer) includes session.h"; fail=1
    fi
done

# file -> file edges: A uses a global symbol that B defines
edges=$(mktemp)
defs=$(mktemp)
trap 'rm -f "$edges" "$defs"' EXIT
for o in "$B"/obj/lib/*.o; do
    n=$(basename "$o" .o)
    nm -g --defined-only "$o" | awk -v n="$n" '$2 ~ /^[TDBR]$/ {print $3, n}'
done | sort >"$defs"
for o in "$B"/obj/lib/*.o; do
    n=$(basename "$o" .o)
    nm -u "$o" | awk '{print $2}' | sort | join - "$defs" | awk -v n="$n" '$2 != n {print n, $2}'
done | sort -u >"$edges"
[ -s "$edges" ] || { echo "FAIL: no call edges found between lib/ objects"; exit 1; }

# a cycle exists iff tsort (topological sort) complains
if ! tsort "$edges" >/dev/null 2>"$edges.err"; then
    echo "FAIL: call cycle between lib/ files:"; sed 's/^/    /' "$edges.err"; fail=1
fi
rm -f "$edges.err"
echo "layers.sh: $(wc -l <"$edges") call edges between $(ls "$B"/obj/lib/*.o | wc -l) lib/ files"
[ "$fail" -eq 0 ] && echo "layers.sh: ok"
exit "$fail"
