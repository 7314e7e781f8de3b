#!/bin/sh
# store_header.sh - include/crumb_store.h (and crumb.h) compile warning-free
# as C99, C11 and C++11 (-pedantic -Werror), with the inline wrappers used.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/h.c" <<'SRC'
#include "crumb_store.h"
int main(void)
{
    crumb_store_stats st;
    crumb_store_check_res r;
    crumb_store_check_req q;
    memset(&q, 0, sizeof q);
    crumb_err a = crumb_store_stats_get(NULL, &st), b = crumb_store_check(NULL, &q, &r);
    crumb_err c = crumb_store_health(NULL, 0);
    return a == b && b == c && crumb_store__table_size(1) > 0 ? 0 : 1;
}
SRC
cp "$tmp/h.c" "$tmp/h.cc"
rc=0
for std in c99 c11; do
    ${CC:-cc} -std=$std -Wall -Wextra -Wconversion -Wshadow -pedantic -Werror -Iinclude \
        -c "$tmp/h.c" -o "$tmp/h.o" || { echo "FAIL: crumb_store.h as $std"; rc=1; }
done
if command -v ${CXX:-g++} >/dev/null; then
    ${CXX:-g++} -std=c++11 -Wall -Wextra -pedantic -Werror -Iinclude -c "$tmp/h.cc" \
        -o "$tmp/h.o" || { echo "FAIL: crumb_store.h as C++11"; rc=1; }
fi
[ $rc = 0 ] && echo "crumb_store.h: C99, C11, C++11 clean"
exit $rc
