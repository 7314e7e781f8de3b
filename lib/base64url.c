/*
 * base64url.c - RFC 4648 section 5 base64url without padding, strict:
 * only A-Z a-z 0-9 - _, no '=', length % 4 != 1, zero trailing bits.
 * Table driven, one pass, no allocation. Tokens are public ciphertext, so
 * the tables need not be constant-time.
 */
#include "internal.h"

static const char b64_enc[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet characters, 0xff for everything else. */
static const uint8_t b64_dec[256] = {
#define X 0xff
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x00 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x10 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  /* 0x20 '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  /* 0x30 0-9 */
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* 0x40 A-O */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  63, /* 0x50 P-Z _ */
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* 0x60 a-o */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  /* 0x70 p-z */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};

/* see crumb.h */
size_t crumb_b64_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* see internal.h: each group reads its input bytes before writing, which
 * makes the in-place layout used by crumb_seal safe. */
void crumb__b64_encode(char *out, const uint8_t *in, size_t n)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[0] = b64_enc[v >> 18];
        out[1] = b64_enc[(v >> 12) & 63];
        out[2] = b64_enc[(v >> 6) & 63];
        out[3] = b64_enc[v & 63];
        out += 4;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[0] = b64_enc[v >> 18];
        out[1] = b64_enc[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[0] = b64_enc[v >> 18];
        out[1] = b64_enc[(v >> 12) & 63];
        out[2] = b64_enc[(v >> 6) & 63];
    }
}

/* see internal.h */
size_t crumb__b64_decode(uint8_t *out, const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    uint8_t *o = out;
    uint32_t bad = 0;
    size_t i = 0;

    if (n % 4 == 1)
        return (size_t)-1;
    for (; i + 4 <= n; i += 4) {
        uint32_t a = b64_dec[s[i]], b = b64_dec[s[i + 1]];
        uint32_t c = b64_dec[s[i + 2]], d = b64_dec[s[i + 3]];
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        bad |= a | b | c | d;
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)(v >> 8);
        o[2] = (uint8_t)v;
        o += 3;
    }
    if (n - i == 2) {
        uint32_t a = b64_dec[s[i]], b = b64_dec[s[i + 1]];
        bad |= a | b | ((b & 15) ? 0x80 : 0); /* trailing bits must be zero */
        *o++ = (uint8_t)(a << 2 | b >> 4);
    } else if (n - i == 3) {
        uint32_t a = b64_dec[s[i]], b = b64_dec[s[i + 1]], c = b64_dec[s[i + 2]];
        bad |= a | b | c | ((c & 3) ? 0x80 : 0);
        *o++ = (uint8_t)(a << 2 | b >> 4);
        *o++ = (uint8_t)(b << 4 | c >> 2);
    }
    if (bad & 0x80)
        return (size_t)-1;
    return (size_t)(o - out);
}

/* see crumb.h */
crumb_err crumb_b64_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
    if (cap < crumb_b64_encoded_len(n))
        return CRUMB_E_BUFSIZE;
    crumb__b64_encode(out, in, n);
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_b64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t n)
{
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (n % 4 == 1)
        return CRUMB_E_INVALID;
    if (out_len)
        *out_len = need;
    if (cap < need)
        return CRUMB_E_BUFSIZE;
    size_t got = crumb__b64_decode(out, in, n);
    if (got == (size_t)-1) {
        crumb_wipe(out, need);
        return CRUMB_E_INVALID;
    }
    return CRUMB_OK;
}
