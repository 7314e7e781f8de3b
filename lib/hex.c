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

/* One more than each byte's value as a lowercase hex digit; 0 if it is
 * not one (handles have one spelling: 'A'..'F' are refused). */
static const uint8_t lowval1[256] = {
    ['0'] = 1,   ['1'] = 2,   ['2'] = 3,   ['3'] = 4,   ['4'] = 5,   ['5'] = 6,
    ['6'] = 7,   ['7'] = 8,   ['8'] = 9,   ['9'] = 10,  ['a'] = 11,  ['b'] = 12,
    ['c'] = 13,  ['d'] = 14,  ['e'] = 15,  ['f'] = 16,
};

/* see internal.h */
int crumb__unhex(uint8_t *out, size_t n, const char *s)
{
    if (s == NULL || strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned h = lowval1[(unsigned char)s[2 * i]], l = lowval1[(unsigned char)s[2 * i + 1]];
        if (!h || !l)
            return -1;
        out[i] = (uint8_t)((h - 1) << 4 | (l - 1));
    }
    return 0;
}
