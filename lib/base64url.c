/*
 * base64url.c - RFC 4648 section 5 base64url without padding, strict:
 * only A-Z a-z 0-9 - _, no '=', length % 4 != 1, zero trailing bits.
 * AVX2 and SSSE3 paths (32/16 characters per step, chosen at run time), a portable
 * table-driven path (4 characters per step), both branchless inside the
 * loop with one error accumulator tested once at the end. No allocation.
 * Tokens are public ciphertext, so the tables need not be constant-time.
 */
#include "internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define B64_SSSE3 1
#include <immintrin.h>
#else
#define B64_SSSE3 0
#endif

static const char b64_enc[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decode tables, one per position in a group of four, each value already
 * shifted to its place in the 24-bit group; anything outside the alphabet
 * maps to 0xff000000, so (d0|d1|d2|d3) >> 24 != 0 flags a bad group. */
#define V(c)                                                                          \
    ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                           \
     : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                     \
     : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                      \
     : (c) == '-'               ? 62                                                  \
     : (c) == '_'               ? 63                                                  \
                                : -1)
#define E(c, sh) (V(c) < 0 ? 0xff000000u : (uint32_t)V(c) << (sh))
#define R4(c, sh) E(c, sh), E((c) + 1, sh), E((c) + 2, sh), E((c) + 3, sh)
#define R16(c, sh) R4(c, sh), R4((c) + 4, sh), R4((c) + 8, sh), R4((c) + 12, sh)
#define R64(c, sh) R16(c, sh), R16((c) + 16, sh), R16((c) + 32, sh), R16((c) + 48, sh)
#define R256(sh) R64(0, sh), R64(64, sh), R64(128, sh), R64(192, sh)
static const uint32_t d0[256] = {R256(18)}, d1[256] = {R256(12)}, d2[256] = {R256(6)},
                      d3[256] = {R256(0)};
#undef R256
#undef R64
#undef R16
#undef R4
#undef E
#undef V

/* see internal.h */
size_t crumb__b64_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* ==== SSSE3 ============================================================= */
#if B64_SSSE3
/* Encode whole 12-byte groups while 16 input bytes are readable; returns
 * the input bytes consumed (a multiple of 12). Reads 16 bytes, uses 12,
 * writes 16 characters: safe in place (see crumb__b64_encode). */
__attribute__((target("ssse3"))) static size_t enc_ssse3(char *out, const uint8_t *in,
                                                           size_t n)
{
    const __m128i spread = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
    const __m128i shift = _mm_setr_epi8(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -17, 32, 65,
                                        0, 0);
    size_t i = 0;
    for (; i + 16 <= n; i += 12, out += 16) {
        __m128i x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(in + i)),
                                     spread);
        __m128i a = _mm_mulhi_epu16(_mm_and_si128(x, _mm_set1_epi32(0x0fc0fc00)),
                                    _mm_set1_epi32(0x04000040));
        __m128i b = _mm_mullo_epi16(_mm_and_si128(x, _mm_set1_epi32(0x003f03f0)),
                                    _mm_set1_epi32(0x01000010));
        __m128i idx = _mm_or_si128(a, b); /* 16 six-bit values */
        /* class: 0 for 26..51, 1..12 for 52..63, 13 for 0..25 */
        __m128i cls = _mm_subs_epu8(idx, _mm_set1_epi8(51));
        cls = _mm_or_si128(cls, _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), idx),
                                              _mm_set1_epi8(13)));
        x = _mm_add_epi8(idx, _mm_shuffle_epi8(shift, cls));
        _mm_storeu_si128((__m128i *)(void *)out, x);
    }
    return i;
}

/* Decode 16-character blocks while the output has 16 writable bytes
 * (n - i >= 24); returns the characters consumed (a multiple of 16) and
 * ORs into *bad a value with bit 24 set if any of them is outside the alphabet.
 * Classes by high nibble: bit 0 = 0x2_, 1 = 0x3_, 2 = 0x4_/0x6_, 3 = 0x5_,
 * 4 = 0x7_, 5 = any other; lut_lo[low nibble] holds the classes in which
 * that low nibble is NOT an alphabet character. */
__attribute__((target("ssse3"))) static size_t dec_ssse3(uint8_t *o, const unsigned char *s,
                                                           size_t n, uint32_t *bad)
{
    const __m128i lut_lo = _mm_setr_epi8(0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
                                         0x21, 0x23, 0x3b, 0x3b, 0x3a, 0x3b, 0x33);
    const __m128i lut_hi = _mm_setr_epi8(0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0x20,
                                         0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20);
    const __m128i lut_sh = _mm_setr_epi8(0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i pack = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    const __m128i m0f = _mm_set1_epi8(0x0f);
    __m128i err = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 24 <= n; i += 16, o += 12) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi32(x, 4), m0f);
        __m128i lo = _mm_and_si128(x, m0f);
        err = _mm_or_si128(err, _mm_and_si128(_mm_shuffle_epi8(lut_lo, lo),
                                              _mm_shuffle_epi8(lut_hi, hi)));
        __m128i sh = _mm_shuffle_epi8(lut_sh, hi); /* '_' is 0x5f: -32, not -65 */
        sh = _mm_add_epi8(sh, _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
                                            _mm_set1_epi8(33)));
        x = _mm_maddubs_epi16(_mm_add_epi8(x, sh), _mm_set1_epi32(0x01400140));
        x = _mm_madd_epi16(x, _mm_set1_epi32(0x00011000));
        _mm_storeu_si128((__m128i *)(void *)o, _mm_shuffle_epi8(x, pack));
    }
    int clean = _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) == 0xffff;
    *bad |= (uint32_t)!clean << 24;
    return i;
}

/* AVX2 twins of the two loops above: 24 bytes -> 32 characters and back,
 * the same lookups in both 128-bit lanes. enc_avx2 reads in[i .. i + 28)
 * (two overlapping 16-byte loads) and writes 32 characters at 32k; in place
 * 8k <= n / 3 holds while 24k + 28 <= n. dec_avx2 writes 32 bytes, so it
 * stops while fewer than 44 characters (32 output bytes) remain. */
__attribute__((target("avx2"))) static size_t enc_avx2(char *out, const uint8_t *in, size_t n)
{
    const __m256i spread = _mm256_broadcastsi128_si256(
        _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1));
    const __m256i shift = _mm256_broadcastsi128_si256(_mm_setr_epi8(
        71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -17, 32, 65, 0, 0));
    size_t i = 0;
    for (; i + 28 <= n; i += 24, out += 32) {
        __m256i x = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(in + i))),
            _mm_loadu_si128((const __m128i *)(const void *)(in + i + 12)), 1);
        x = _mm256_shuffle_epi8(x, spread);
        __m256i a = _mm256_mulhi_epu16(_mm256_and_si256(x, _mm256_set1_epi32(0x0fc0fc00)),
                                       _mm256_set1_epi32(0x04000040));
        __m256i b = _mm256_mullo_epi16(_mm256_and_si256(x, _mm256_set1_epi32(0x003f03f0)),
                                       _mm256_set1_epi32(0x01000010));
        __m256i idx = _mm256_or_si256(a, b);
        __m256i cls = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
        cls = _mm256_or_si256(cls, _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx),
                                                    _mm256_set1_epi8(13)));
        x = _mm256_add_epi8(idx, _mm256_shuffle_epi8(shift, cls));
        _mm256_storeu_si256((__m256i *)(void *)out, x);
    }
    return i;
}

/* see enc_avx2; same classes and tables as dec_ssse3. */
__attribute__((target("avx2"))) static size_t dec_avx2(uint8_t *o, const unsigned char *s,
                                                         size_t n, uint32_t *bad)
{
    const __m256i lut_lo = _mm256_broadcastsi128_si256(_mm_setr_epi8(
        0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x23, 0x3b, 0x3b, 0x3a,
        0x3b, 0x33));
    const __m256i lut_hi = _mm256_broadcastsi128_si256(_mm_setr_epi8(
        0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
        0x20, 0x20));
    const __m256i lut_sh = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0));
    const __m256i pack = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
    const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    const __m256i m0f = _mm256_set1_epi8(0x0f);
    __m256i err = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 44 <= n; i += 32, o += 24) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi32(x, 4), m0f);
        __m256i lo = _mm256_and_si256(x, m0f);
        err = _mm256_or_si256(err, _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo),
                                                    _mm256_shuffle_epi8(lut_hi, hi)));
        __m256i sh = _mm256_shuffle_epi8(lut_sh, hi);
        sh = _mm256_add_epi8(sh, _mm256_and_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('_')),
                                                  _mm256_set1_epi8(33)));
        x = _mm256_maddubs_epi16(_mm256_add_epi8(x, sh), _mm256_set1_epi32(0x01400140));
        x = _mm256_madd_epi16(x, _mm256_set1_epi32(0x00011000));
        x = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(x, pack), join);
        _mm256_storeu_si256((__m256i *)(void *)o, x);
    }
    *bad |= (uint32_t)!_mm256_testz_si256(err, err) << 24;
    return i;
}

/* SIMD level of this CPU: 2 = AVX2, 1 = SSSE3, 0 = none, capped by
 * crumb__b64_portable for tests (libgcc/compiler-rt reads cpuid once at load time; this is a few
 * loads and tests). */
static int simd_level(void)
{
    if (crumb__b64_portable == 1)
        return 0;
    if (crumb__b64_portable != 2 && __builtin_cpu_supports("avx2"))
        return 2;
    return __builtin_cpu_supports("ssse3") ? 1 : 0;
}
#endif

/* see internal.h */
int crumb__b64_portable;

/* ==== Public and internal entry points ================================== */

/* see internal.h: each group reads its input bytes before writing, which
 * makes the in-place layout used by crumb_seal safe (the SSSE3 loop writes
 * 16 characters at 16k after reading bytes up to 12k + 16 from
 * in >= out + n / 3, and 16k + 16 <= n / 3 + 12k + 12 while 12k + 16 <= n). */
void crumb__b64_encode(char *out, const uint8_t *in, size_t n)
{
    size_t i = 0;
#if B64_SSSE3
    int lv = n >= 16 ? simd_level() : 0;
    if (lv == 2)
        i = enc_avx2(out, in, n);
    if (lv)
        i += enc_ssse3(out + i / 3 * 4, in + i, n - i);
    out += i / 3 * 4;
#endif
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[0] = b64_enc[v >> 18];
        out[1] = b64_enc[(v >> 12) & 63];
        out[2] = b64_enc[(v >> 6) & 63];
        out[3] = b64_enc[v & 63];
        out += 4;
    }
    if (n - i == 1) {
        out[0] = b64_enc[in[i] >> 2];
        out[1] = b64_enc[(in[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[0] = b64_enc[v >> 10];
        out[1] = b64_enc[(v >> 4) & 63];
        out[2] = b64_enc[(v << 2) & 63];
    }
}

/* Portable decode of the 2- or 3-character tail at s (m chars); ORs a flag
 * into *bad for a character outside the alphabet or nonzero trailing bits.
 * Returns the bytes written (m - 1). */
static size_t dec_tail(uint8_t *o, const unsigned char *s, size_t m, uint32_t *bad)
{
    if (m == 2) {
        uint32_t v = d0[s[0]] | d1[s[1]];
        *bad |= v | (v & 0x0f000u) << 12; /* the last 4 bits must be zero */
        o[0] = (uint8_t)(v >> 16);
        return 1;
    }
    uint32_t v = d0[s[0]] | d1[s[1]] | d2[s[2]];
    *bad |= v | (v & 0x000c0u) << 18; /* the last 2 bits must be zero */
    o[0] = (uint8_t)(v >> 16);
    o[1] = (uint8_t)(v >> 8);
    return 2;
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
#if B64_SSSE3
    int lv = n >= 24 ? simd_level() : 0;
    if (lv == 2)
        i = dec_avx2(o, s, n, &bad);
    if (lv)
        i += dec_ssse3(o + i / 4 * 3, s + i, n - i, &bad);
    o += i / 4 * 3;
#endif
    for (; i + 4 <= n; i += 4) {
        uint32_t v = d0[s[i]] | d1[s[i + 1]] | d2[s[i + 2]] | d3[s[i + 3]];
        bad |= v;
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)(v >> 8);
        o[2] = (uint8_t)v;
        o += 3;
    }
    if (n - i >= 2)
        o += dec_tail(o, s + i, n - i, &bad);
    if (bad >> 24) /* the top byte of some group, or the SSSE3 flag */
        return (size_t)-1;
    return (size_t)(o - out);
}

/* see internal.h */
crumb_err crumb__b64_encode_checked(char *out, size_t cap, const uint8_t *in, size_t n)
{
    if (cap < crumb__b64_encoded_len(n))
        return CRUMB_E_BUFSIZE;
    crumb__b64_encode(out, in, n);
    return CRUMB_OK;
}

/* see internal.h */
crumb_err crumb__b64_decode_checked(uint8_t *out, size_t cap, size_t *out_len, const char *in,
                                    size_t n)
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
