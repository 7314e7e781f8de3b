/*
 * b64_ref.h - a deliberately plain byte-at-a-time strict base64url codec
 * (RFC 4648 section 5, no padding, zero trailing bits), the reference that
 * fuzz/fuzz_b64diff.c and tests/test_base64url.c hold lib/base64url.c to.
 */
#ifndef CRUMB_B64_REF_H
#define CRUMB_B64_REF_H

#include <stddef.h>
#include <stdint.h>

/* Value of one alphabet character, or -1. */
static int b64ref_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decode n chars into out (room for n * 3 / 4 bytes); the byte count, or
 * -1 for anything that is not canonical unpadded base64url. */
static long b64ref_decode(uint8_t *out, const char *in, size_t n)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    long o = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = b64ref_val((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
        acc &= (1u << bits) - 1;
    }
    return acc == 0 ? o : -1; /* leftover bits must be zero */
}

/* Encode n bytes into out (exactly the unpadded length); returns it. */
static size_t b64ref_encode(char *out, const uint8_t *in, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = a[(acc >> bits) & 63];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits)
        out[o++] = a[(acc << (6 - bits)) & 63];
    return o;
}

#endif
