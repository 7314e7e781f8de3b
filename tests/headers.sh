#!/bin/sh
# headers.sh - the public headers compile cleanly, alone and together, as
# C99, C11 and C++ (C++11 and C++17) with -Wall -Wextra -pedantic -Werror:
# the README promises C99 or later for applications and C++ use through
# extern "C". Also checks the version macros agree with each other and that
# the run-time twins report the header's version. Run from the repo root.
cd "$(dirname "$0")/.." || exit 2
B=${CRUMB_BUILD:-build}
CC=${CC:-cc}
CXX=${CXX:-g++}
W="-Wall -Wextra -pedantic -Werror"
T=$(mktemp -d "${TMPDIR:-/tmp}/crumb-headers.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
fails=0
try() { # try LABEL COMPILER ARGS...
    label=$1; shift
    if "$@" >"$T/out" 2>&1; then
        echo "ok   $label"
    else
        echo "FAIL $label: $*"; sed 's/^/    /' "$T/out" | head -n 20
        fails=$((fails + 1))
    fi
}
for h in $(cd include && ls *.h) all; do
    if [ $h = all ]; then
        (cd include && ls -r *.h) | sed 's/.*/#include <&>/' >"$T/$h.c"
    else
        printf '#include <%s>\n' "$h" >"$T/$h.c"
    fi
    printf 'int main(void) { return CRUMB_VERSION_NUMBER < 0; }\n' >>"$T/$h.c"
    cp "$T/$h.c" "$T/$h.cc"
    for std in c99 c11; do
        try "$h as $std" "$CC" -std=$std $W -Iinclude -c "$T/$h.c" -o "$T/o.o"
    done
    if command -v "$CXX" >/dev/null 2>&1; then
        for std in c++11 c++17; do
            try "$h as $std" "$CXX" -std=$std $W -Iinclude -c "$T/$h.cc" -o "$T/o.o"
        done
    else
        echo "FAIL: no C++ compiler ($CXX)"; fails=$((fails + 1))
    fi
done

# What a C++ user writes against the enum-typed fields and parameters (0.x:
# mode, compress, size_policy, fingerprint, same_site, auth and key states,
# event reason/err): enumerators assign without casts, and each enum is
# int-sized in both languages (the struct layouts did not move from int).
cat >"$T/enums.cc" <<'CC'
#include <crumb.h>
static_assert(sizeof(crumb_mode) == sizeof(int) && sizeof(crumb_size_policy) == sizeof(int) &&
              sizeof(crumb_compress) == sizeof(int) && sizeof(crumb_fp_policy) == sizeof(int) &&
              sizeof(crumb_samesite) == sizeof(int) && sizeof(crumb_auth_state) == sizeof(int) &&
              sizeof(crumb_key_state) == sizeof(int), "int-sized enums");
int main()
{
    crumb_ctx_config cfg = crumb_ctx_config();
    cfg.mode = CRUMB_MODE_SERVER;
    cfg.compress = CRUMB_COMPRESS_ON;
    cfg.size_policy = CRUMB_SIZE_CHUNK;
    cfg.fingerprint = CRUMB_FP_REFUSE;
    cfg.same_site = CRUMB_SAMESITE_STRICT;
    cfg.mode = static_cast<crumb_mode>(2); /* from a config file: an explicit cast */
    crumb_auth a = crumb_auth();
    a.state = CRUMB_AUTH_AUTHENTICATED;
    crumb_key_info k = crumb_key_info();
    k.state = CRUMB_KEY_PRIMARY;
    crumb_event ev = crumb_event();
    ev.reason = CRUMB_R_TOO_LARGE;
    ev.err = CRUMB_E_AUTH;
    return cfg.mode == CRUMB_MODE_SERVER && a.state == CRUMB_AUTH_AUTHENTICATED &&
                   k.state == CRUMB_KEY_PRIMARY && ev.err == CRUMB_E_AUTH ? 0 : 1;
}
CC
if command -v "$CXX" >/dev/null 2>&1; then
    try "enum fields from C++" "$CXX" -std=c++11 $W -Iinclude "$T/enums.cc" -o "$T/enums"
    [ -x "$T/enums" ] && { "$T/enums" && echo "ok   enum fields run" ||
        { echo "FAIL enum program"; fails=$((fails + 1)); }; }
fi

# version: the number is built from the three parts, the string matches
# them, the Makefile's SONAME/.pc version comes from them, and the linked
# library reports the same.
cat >"$T/v.c" <<'C'
#include <crumb.h>
#include <stdio.h>
#include <string.h>
#define S_(x) #x
#define S(x) S_(x)
int main(void)
{
    const char *want = S(CRUMB_VERSION_MAJOR) "." S(CRUMB_VERSION_MINOR) "." S(CRUMB_VERSION_PATCH);
    int bad = 0;
    if (strcmp(want, CRUMB_VERSION_STRING) != 0) { printf("string %s != %s\n", CRUMB_VERSION_STRING, want); bad = 1; }
    if (CRUMB_VERSION_NUMBER != CRUMB_VERSION_MAJOR * 10000 + CRUMB_VERSION_MINOR * 100 + CRUMB_VERSION_PATCH) bad = 1;
    if (CRUMB_VERSION_MINOR > 99 || CRUMB_VERSION_PATCH > 99) { printf("minor/patch > 99\n"); bad = 1; }
    if (strcmp(crumb_version(), CRUMB_VERSION_STRING) != 0) { printf("crumb_version() %s\n", crumb_version()); bad = 1; }
    if (crumb_version_number() != CRUMB_VERSION_NUMBER) { printf("crumb_version_number() %d\n", crumb_version_number()); bad = 1; }
    printf("%s\n", CRUMB_VERSION_STRING);
    return bad;
}
C
if [ -f "$B/libcrumb.so" ]; then
    try "version macros and run-time twins" "$CC" -std=c99 $W -Iinclude "$T/v.c" -o "$T/v" "-L$B" -lcrumb "-Wl,-rpath,$PWD/$B"
    v=$("$T/v") || { echo "FAIL version program: $v"; fails=$((fails + 1)); }
    mk=$(make -s --no-print-directory -f Makefile -f - print-version <<'MK' 2>/dev/null
print-version: ; @echo $(VERSION) $(SONAME)
MK
)
    [ "$mk" = "$v libcrumb.so.${v%%.*}" ] && echo "ok   Makefile VERSION/SONAME = $mk" ||
        { echo "FAIL Makefile says \"$mk\", crumb.h says $v"; fails=$((fails + 1)); }
    [ -e "$B/libcrumb.so.$v" ] && echo "ok   $B/libcrumb.so.$v exists" ||
        { echo "FAIL $B/libcrumb.so.$v missing"; fails=$((fails + 1)); }
else
    echo "FAIL $B/libcrumb.so missing (run make first)"; fails=$((fails + 1))
fi
[ $fails -eq 0 ] && echo "headers.sh: ok" && exit 0
echo "headers.sh: $fails failed"; exit 1
