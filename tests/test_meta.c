/*
 * test_meta.c - meta-tests that keep the error and reason tables honest:
 * every code has a distinct message, out-of-range codes give the fallback,
 * enum numbers never move, and include/crumb.h's "N - meaning" comments and
 * *_LAST macros agree with the enums.
 */
#include "check.h"
#include "internal.h"

#include <limits.h>

/* Every code in 0..last maps to a distinct, non-empty string that differs
 * from the fallback given for out-of-range codes. */
static void check_table(const char *what, const char *(*fn)(int), int last,
                        const char *expect_fallback)
{
    const char *fallback = fn(last + 1);
    CHECK(fallback != NULL);
    if (!fallback)
        return;
    if (expect_fallback && strcmp(fallback, expect_fallback) != 0) {
        CHECK(0 && "fallback message changed");
        fprintf(stderr, "    %s(%d) = \"%s\", expected \"%s\"\n", what, last + 1, fallback,
                expect_fallback);
    }
    CHECK(strcmp(fn(-1), fallback) == 0);
    CHECK(strcmp(fn(INT_MAX), fallback) == 0);
    CHECK(strcmp(fn(INT_MIN), fallback) == 0);
    CHECK(strcmp(fn(last + 100), fallback) == 0);
    for (int i = 0; i <= last; i++) {
        const char *m = fn(i);
        int mark = check_failures;
        CHECK(m != NULL);
        if (!m)
            continue;
        CHECK(m[0] != '\0');
        CHECK(strcmp(m, fallback) != 0);
        for (int k = 0; k < i; k++)
            if (fn(k) && strcmp(fn(k), m) == 0) {
                CHECK(0 && "two codes share a message");
                fprintf(stderr, "    %s(%d) and %s(%d) are both \"%s\"\n", what, k, what, i, m);
            }
        if (check_failures != mark)
            fprintf(stderr, "    ^ %s(%d) = \"%s\"\n", what, i, m);
    }
}

static void test_strerror(void)
{
    CHECK(CRUMB_ERR_LAST >= 28);
    check_table("crumb_strerror", crumb_strerror, CRUMB_ERR_LAST, "unknown error code");
}

static void test_reason_str(void)
{
    CHECK(CRUMB_REASON_LAST >= 21);
    check_table("crumb_reason_str", crumb_reason_str, CRUMB_REASON_LAST, NULL);
    CHECK(strstr(crumb_reason_str(CRUMB_REASON_LAST + 1), "unknown") != NULL);
}

/* The published numbers. Codes are only ever appended: none of these may
 * change. */
static void test_fixed_numbers(void)
{
    CHECK_INT(CRUMB_OK, 0);
    CHECK_INT(CRUMB_E_INVALID, 1);
    CHECK_INT(CRUMB_E_BUFSIZE, 2);
    CHECK_INT(CRUMB_E_NOMEM, 3);
    CHECK_INT(CRUMB_E_AUTH, 4);
    CHECK_INT(CRUMB_E_EXPIRED, 5);
    CHECK_INT(CRUMB_E_TOO_LARGE, 6);
    CHECK_INT(CRUMB_E_UNAVAILABLE, 7);
    CHECK_INT(CRUMB_E_NOKEY, 8);
    CHECK_INT(CRUMB_E_KEYFILE, 9);
    CHECK_INT(CRUMB_E_IO, 10);
    CHECK_INT(CRUMB_E_NOSPC, 11);
    CHECK_INT(CRUMB_E_NOTFOUND, 12);
    CHECK_INT(CRUMB_E_EXISTS, 13);
    CHECK_INT(CRUMB_E_CONFLICT, 14);
    CHECK_INT(CRUMB_E_CORRUPT, 15);
    CHECK_INT(CRUMB_E_REVOKED, 16);
    CHECK_INT(CRUMB_E_REPLAY, 17);
    CHECK_INT(CRUMB_E_TIMEOUT, 18);
    CHECK_INT(CRUMB_E_BACKEND, 19);
    CHECK_INT(CRUMB_E_PAYLOAD, 20);
    CHECK_INT(CRUMB_E_VERSION, 21);
    CHECK_INT(CRUMB_E_INFLATE, 22);
    CHECK_INT(CRUMB_E_COOKIE, 23);
    CHECK_INT(CRUMB_E_NOSESSION, 24);
    CHECK_INT(CRUMB_E_LIMIT, 25);
    CHECK_INT(CRUMB_E_UNSUPPORTED, 26);
    CHECK_INT(CRUMB_E_RANDOM, 27);
    CHECK_INT(CRUMB_E_INTERNAL, 28);

    CHECK_INT(CRUMB_R_NONE, 0);
    CHECK_INT(CRUMB_R_BAD_ENCODING, 1);
    CHECK_INT(CRUMB_R_TRUNCATED, 2);
    CHECK_INT(CRUMB_R_BAD_VERSION, 3);
    CHECK_INT(CRUMB_R_SUITE_DISABLED, 4);
    CHECK_INT(CRUMB_R_SUITE_UNAVAILABLE, 5);
    CHECK_INT(CRUMB_R_BAD_FLAGS, 6);
    CHECK_INT(CRUMB_R_UNKNOWN_KEY, 7);
    CHECK_INT(CRUMB_R_REVOKED_KEY, 8);
    CHECK_INT(CRUMB_R_BAD_TAG, 9);
    CHECK_INT(CRUMB_R_TOO_LARGE, 10);
    CHECK_INT(CRUMB_R_EXPIRED_ABSOLUTE, 11);
    CHECK_INT(CRUMB_R_EXPIRED_IDLE, 12);
    CHECK_INT(CRUMB_R_FUTURE, 13);
    CHECK_INT(CRUMB_R_REVOKED, 14);
    CHECK_INT(CRUMB_R_REPLAY, 15);
    CHECK_INT(CRUMB_R_INFLATE_LIMIT, 16);
    CHECK_INT(CRUMB_R_BAD_CHUNKS, 17);
    CHECK_INT(CRUMB_R_PAYLOAD, 18);
    CHECK_INT(CRUMB_R_PAYLOAD_VERSION, 19);
    CHECK_INT(CRUMB_R_STORE, 20);
    CHECK_INT(CRUMB_R_RESEAL, 21);
    CHECK_INT(CRUMB_R_FINGERPRINT, 22);

    CHECK_INT(CRUMB_VERSION_MAJOR, 0);
    CHECK(strcmp(crumb_version(), CRUMB_VERSION_STRING) == 0);
}

/* Scan include/crumb.h: each "PREFIX<name> = N, ... N - meaning" enum line
 * must carry its own number in the comment, numbers must run first..last
 * with no gap, and the count must match the *_LAST macro. */
static void scan_header_enum(const char *prefix, int first, int last)
{
    const char *dir = getenv("CRUMB_SRCDIR");
    char path[1024], line[512];
    FILE *f;
    int next = first;
    snprintf(path, sizeof path, "%s/include/crumb.h", dir && *dir ? dir : ".");
    f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "    cannot open %s (run from the repo root or set CRUMB_SRCDIR)\n",
                path);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        const char *p = line, *eq, *com;
        int val, cval;
        while (*p == ' ')
            p++;
        if (strncmp(p, prefix, strlen(prefix)) != 0 || !(eq = strchr(p, '=')) ||
            !(com = strstr(p, "/*")) || eq > com)
            continue;
        if (sscanf(eq + 1, "%d", &val) != 1 || sscanf(com + 2, "%d", &cval) != 1) {
            CHECK(0 && "enum line without '= N' and '/* N - ...'");
            fprintf(stderr, "    %s", line);
            continue;
        }
        if (val != next || cval != val) {
            CHECK(0 && "enum value out of sequence or comment number differs");
            fprintf(stderr, "    expected %d: %s", next, line);
        }
        next = val + 1;
    }
    fclose(f);
    if (next != last + 1) {
        CHECK(0 && "enum entries in crumb.h do not end at the *_LAST macro");
        fprintf(stderr, "    %s*: entries end at %d, LAST = %d\n", prefix, next - 1, last);
    }
}

static void test_header_comments(void)
{
    scan_header_enum("CRUMB_E_", 1, CRUMB_ERR_LAST); /* CRUMB_OK = 0 precedes them */
    scan_header_enum("CRUMB_R_", 0, CRUMB_REASON_LAST);
}

int main(void)
{
    test_strerror();
    test_reason_str();
    test_fixed_numbers();
    test_header_comments();
    return check_done("test_meta");
}
