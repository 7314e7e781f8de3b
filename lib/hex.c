/*
 * hex.c - lowercase hex text of byte strings: store file names, Redis key
 * names, session and device handles. Not constant time: what goes through
 * here is an identifier or a keyed hash, never a secret.
 */
#include "internal.h"

#include <string.h>

/* see internal.h */
void crumb__hex(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* see internal.h */
int crumb__hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Value of a lowercase hex digit, or -1: handles have one spelling. */
static int lowval(int c)
{
    return c >= 'A' && c <= 'F' ? -1 : crumb__hexval(c);
}

/* see internal.h */
int crumb__unhex(uint8_t *out, size_t n, const char *s)
{
    if (s == NULL || strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = lowval(s[2 * i]), lo = lowval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
