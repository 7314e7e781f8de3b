/*
 * test_hex.c - lib/hex.c against a plain reference: crumb__unhex over every
 * pair of bytes (only lowercase hex is accepted), wrong lengths and NULL;
 * crumb__hex round trips.
 */
#include "check.h"
#include "internal.h"

/* Reference: lowercase hex digit value or -1. */
static int ref_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Every two-character string (bytes 1..255 each) decodes as the reference
 * says, and in each position of a longer handle. */
static void test_all_pairs(void)
{
    int bad = 0;
    for (int a = 1; a < 256; a++) {
        for (int b = 1; b < 256; b++) {
            char s[7] = {'0', '0', (char)a, (char)b, 'f', 'f', 0};
            uint8_t out[3] = {0};
            int want_ok = ref_val(a) >= 0 && ref_val(b) >= 0;
            int rc = crumb__unhex(out, 3, s);
            if (want_ok ? rc != 0 || out[0] != 0 || out[2] != 0xff ||
                              out[1] != (uint8_t)(ref_val(a) << 4 | ref_val(b))
                        : rc != -1)
                bad++;
        }
    }
    CHECK_INT(bad, 0);
}

static void test_lengths(void)
{
    uint8_t out[4];
    CHECK_INT(crumb__unhex(out, 2, "abc"), -1);   /* short */
    CHECK_INT(crumb__unhex(out, 2, "abcde"), -1); /* long */
    CHECK_INT(crumb__unhex(out, 2, NULL), -1);
    CHECK_INT(crumb__unhex(out, 0, ""), 0);
    CHECK_INT(crumb__unhex(out, 2, "ab\0d"), -1); /* NUL inside */
}

static void test_round_trip(void)
{
    (void)check_seed();
    for (int i = 0; i < 2000; i++) {
        uint8_t in[32], back[32];
        char txt[65];
        size_t n = (size_t)(check_rand() % 33);
        for (size_t k = 0; k < n; k++)
            in[k] = (uint8_t)check_rand();
        crumb__hex(txt, in, n);
        CHECK_INT(strlen(txt), 2 * n);
        CHECK_INT(crumb__unhex(back, n, txt), 0);
        CHECK_MEM(back, in, n);
    }
}

int main(void)
{
    test_all_pairs();
    test_lengths();
    test_round_trip();
    return check_done("test_hex");
}
