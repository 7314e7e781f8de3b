#!/bin/sh
# symbols.sh - symbol hygiene of the built library (run from the repo root
# after `make`; CRUMB_BUILD=<dir> selects another build directory):
#  1. the shared library exports only crumb_* symbols, never crumb__*;
#  2. every function or object declared CRUMB_EXPORT in include/*.h is
#     exported, and every exported symbol is declared CRUMB_EXPORT;
#  3. the static archive defines no global symbol without the crumb_ prefix;
#  4. the shared library's SONAME is libcrumb.so.0;
#  5. helpers made internal in 0.x (issue 14) stay unexported under their
#     old public names (crumb_codec_log, crumb_imf_fixdate, crumb_b64_*).
# Prints each offender and exits 1 if there is any.
cd "$(dirname "$0")/.." || exit 2
B=${CRUMB_BUILD:-build}
SO=$B/libcrumb.so
AR=$B/libcrumb.a
fail=0
tmp=${TMPDIR:-/tmp}/crumb-symbols.$$
mkdir "$tmp" || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

bad() { # bad MESSAGE: report one failed check
    echo "symbols.sh: FAIL: $1"
    fail=1
}

list() { # list FILE MESSAGE: if FILE is not empty, fail with MESSAGE and print FILE
    if [ -s "$1" ]; then
        bad "$2"
        sed 's/^/    /' "$1"
    fi
}

for f in "$SO" "$AR"; do
    [ -e "$f" ] || { echo "symbols.sh: FAIL: $f missing (run make first)"; exit 1; }
done

# -- 1. exported dynamic symbols -------------------------------------------
nm -D --defined-only "$SO" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' |
    sort -u >"$tmp/exported"
[ -s "$tmp/exported" ] || bad "nm -D lists no defined symbols in $SO"
grep -v '^crumb_' "$tmp/exported" >"$tmp/x"
list "$tmp/x" "exported without the crumb_ prefix:"
grep '^crumb__' "$tmp/exported" >"$tmp/x"
list "$tmp/x" "internal crumb__ symbols exported:"

# -- 2. declared CRUMB_EXPORT vs exported -----------------------------------
# Strip comments and preprocessor lines, join everything, split at
# CRUMB_EXPORT; a declaration's name is the last identifier before its first
# '(' (function) or before ';' / '[' / '=' (object).
cat include/*.h | awk '
    { text = text "\n" $0 }
    END {
        out = ""
        while ((i = index(text, "/*")) > 0) {
            out = out substr(text, 1, i - 1)
            rest = substr(text, i + 2)
            j = index(rest, "*/")
            if (j == 0) { text = ""; break }
            text = substr(rest, j + 2)
        }
        text = out text
        n = split(text, lines, "\n")
        joined = ""
        for (k = 1; k <= n; k++) {
            l = lines[k]
            sub(/\/\/.*/, "", l)
            if (l ~ /^[ \t]*#/) continue
            joined = joined " " l
        }
        m = split(joined, parts, "CRUMB_EXPORT")
        for (k = 2; k <= m; k++) {
            d = parts[k]
            p = index(d, "("); s = index(d, ";")
            if (p > 0 && (s == 0 || p < s)) d = substr(d, 1, p - 1)
            else if (s > 0) { d = substr(d, 1, s - 1); sub(/[[=].*/, "", d) }
            sub(/[ \t]+$/, "", d)
            if (match(d, /[A-Za-z_][A-Za-z0-9_]*$/)) print substr(d, RSTART)
            else print "?unparsed:" substr(parts[k], 1, 40)
        }
    }' | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || bad "found no CRUMB_EXPORT declarations in include/*.h"
grep -v '^crumb_' "$tmp/declared" >"$tmp/x"
list "$tmp/x" "CRUMB_EXPORT declarations without the crumb_ prefix (or unparsed):"
comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/x"
list "$tmp/x" "declared CRUMB_EXPORT in include/*.h but not exported by $SO:"
comm -13 "$tmp/declared" "$tmp/exported" >"$tmp/x"
list "$tmp/x" "exported by $SO but not declared CRUMB_EXPORT in include/*.h:"

# -- 3. static archive globals ----------------------------------------------
# Defined global symbols (upper-case type letters); static helpers are local
# (lower-case) and so not listed.
nm -g --defined-only "$AR" | awk 'NF >= 3 && $2 ~ /^[A-Z]$/ { print $3 }' |
    sort -u >"$tmp/aglobals"
[ -s "$tmp/aglobals" ] || bad "nm lists no global symbols in $AR"
grep -v '^crumb_' "$tmp/aglobals" >"$tmp/x"
list "$tmp/x" "global symbols in $AR without the crumb_ prefix:"

# -- 5. former public helpers, now crumb__* in lib/internal.h ----------------
grep -hE '^crumb_(codec_log|imf_fixdate|b64_.*)$' "$tmp/exported" "$tmp/declared" | sort -u >"$tmp/x"
list "$tmp/x" "internal helpers exported or declared CRUMB_EXPORT again:"

# -- 4. SONAME ---------------------------------------------------------------
soname=$(readelf -d "$SO" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = libcrumb.so.0 ] || bad "SONAME of $SO is '$soname', expected libcrumb.so.0"

echo "symbols.sh: $(wc -l <"$tmp/exported") exported, $(wc -l <"$tmp/declared") declared," \
    "$(wc -l <"$tmp/aglobals") archive globals, SONAME $soname"
[ "$fail" -eq 0 ] && echo "symbols.sh: ok"
exit "$fail"
