/*
 * sha256.c - SHA-256 compression (FIPS 180-4) and HMAC-SHA-256, also from
 * precomputed inner/outer chaining values (crumb__hmac_pre): a MAC costs
 * the message's blocks plus one outer block, no allocation, no library
 * state copies. Portable C, eight rounds per loop step; on x86 the SHA
 * extensions, or a vector message schedule with BMI2 rounds (AVX2),
 * chosen at run time.
 */
#include "internal.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

struct pre {
    uint32_t in[8], out[8]; /* states after key^ipad resp. key^opad */
};
_Static_assert(sizeof(struct pre) <= sizeof(crumb__hmac_pre), "crumb__hmac_pre too small");

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))
#define S0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define s0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define s1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define RND(a, b, c, d, e, f, g, h, i)                                                    \
    do {                                                                                  \
        uint32_t t1 = h + S1(e) + CH(e, f, g) + K[i] + w[i];                              \
        d += t1;                                                                          \
        h = t1 + S0(a) + MAJ(a, b, c);                                                    \
    } while (0)

/* Compress one 64-byte block into st: plain C here; compress_avx2 below
 * (vector message schedule, BMI2 rounds) where the CPU has it. */
#define DEFINE_COMPRESS(name, attr)                                                       \
    attr static void name(uint32_t st[8], const uint8_t *p)                              \
    {                                                                                     \
        uint32_t w[64];                                                                   \
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5],        \
                 g = st[6], h = st[7];                                                    \
        for (int i = 0; i < 16; i++)                                                      \
            w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |              \
                   (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];                            \
        for (int i = 16; i < 64; i++)                                                     \
            w[i] = s1(w[i - 2]) + w[i - 7] + s0(w[i - 15]) + w[i - 16];                   \
        for (int i = 0; i < 64; i += 8) {                                                 \
            RND(a, b, c, d, e, f, g, h, i);                                               \
            RND(h, a, b, c, d, e, f, g, i + 1);                                           \
            RND(g, h, a, b, c, d, e, f, i + 2);                                           \
            RND(f, g, h, a, b, c, d, e, i + 3);                                           \
            RND(e, f, g, h, a, b, c, d, i + 4);                                           \
            RND(d, e, f, g, h, a, b, c, i + 5);                                           \
            RND(c, d, e, f, g, h, a, b, i + 6);                                           \
            RND(b, c, d, e, f, g, h, a, i + 7);                                           \
        }                                                                                 \
        st[0] += a, st[1] += b, st[2] += c, st[3] += d;                                   \
        st[4] += e, st[5] += f, st[6] += g, st[7] += h;                                   \
    }

DEFINE_COMPRESS(compress_c, )
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>

/* sigma0 / sigma1 of four message words at once. */
#define VROR(x, n) _mm_or_si128(_mm_srli_epi32(x, n), _mm_slli_epi32(x, 32 - (n)))
#define VS0(x) _mm_xor_si128(_mm_xor_si128(VROR(x, 7), VROR(x, 18)), _mm_srli_epi32(x, 3))
#define VS1(x) _mm_xor_si128(_mm_xor_si128(VROR(x, 17), VROR(x, 19)), _mm_srli_epi32(x, 10))

/* The message schedule four words at a time (AVX2's three-operand SSE
 * forms), stored with K added: x0..x3 hold W[t-16 .. t-1]; returns
 * W[t .. t+3]. W[t+2], W[t+3] need W[t], W[t+1], hence two halves. */
__attribute__((target("avx2,bmi,bmi2"))) static inline __m128i
sched4(__m128i x0, __m128i x1, __m128i x2, __m128i x3)
{
    __m128i t = _mm_add_epi32(_mm_add_epi32(x0, VS0(_mm_alignr_epi8(x1, x0, 4))),
                              _mm_alignr_epi8(x3, x2, 4));
    __m128i lo = VS1(_mm_shuffle_epi32(x3, 0xee)); /* W[t-2], W[t-1] in lanes 0, 1 */
    t = _mm_add_epi32(t, _mm_move_epi64(lo));
    __m128i hi = VS1(_mm_shuffle_epi32(t, 0x44)); /* W[t], W[t+1] in lanes 2, 3 */
    return _mm_add_epi32(t, _mm_and_si128(hi, _mm_setr_epi32(0, 0, -1, -1)));
}

/* Rounds with W + K precomputed in wk. */
#define RNDK(a, b, c, d, e, f, g, h, i)                                                   \
    do {                                                                                  \
        uint32_t t1 = h + S1(e) + CH(e, f, g) + wk[i];                                    \
        d += t1;                                                                          \
        h = t1 + S0(a) + MAJ(a, b, c);                                                    \
    } while (0)

/* compress with the vector schedule and BMI2 rounds (Haswell and later). */
__attribute__((target("avx2,bmi,bmi2"))) static void compress_avx2(uint32_t st[8],
                                                                   const uint8_t *p)
{
    const __m128i bswap = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    uint32_t wk[64];
    __m128i x[4];
    for (int i = 0; i < 4; i++) {
        x[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)),
                                bswap);
        __m128i k = _mm_loadu_si128((const __m128i *)(const void *)(K + 4 * i));
        _mm_storeu_si128((__m128i *)(void *)(wk + 4 * i), _mm_add_epi32(x[i], k));
    }
    for (int i = 4; i < 16; i++) {
        __m128i n = sched4(x[0], x[1], x[2], x[3]);
        x[0] = x[1], x[1] = x[2], x[2] = x[3], x[3] = n;
        __m128i k = _mm_loadu_si128((const __m128i *)(const void *)(K + 4 * i));
        _mm_storeu_si128((__m128i *)(void *)(wk + 4 * i), _mm_add_epi32(n, k));
    }
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6],
             h = st[7];
    for (int i = 0; i < 64; i += 8) {
        RNDK(a, b, c, d, e, f, g, h, i);
        RNDK(h, a, b, c, d, e, f, g, i + 1);
        RNDK(g, h, a, b, c, d, e, f, i + 2);
        RNDK(f, g, h, a, b, c, d, e, i + 3);
        RNDK(e, f, g, h, a, b, c, d, i + 4);
        RNDK(d, e, f, g, h, a, b, c, i + 5);
        RNDK(c, d, e, f, g, h, a, b, i + 6);
        RNDK(b, c, d, e, f, g, h, a, i + 7);
    }
    st[0] += a, st[1] += b, st[2] += c, st[3] += d;
    st[4] += e, st[5] += f, st[6] += g, st[7] += h;
}

/* SHA extensions (SHA-NI): four rounds per sha256rnds2 pair, the schedule by
 * sha256msg1/msg2; the state kept as ABEF / CDGH as the instructions want.
 * Callgrind's CPU has no SHA-NI, so its figures show compress_avx2. */
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_shani(uint32_t st[8],
                                                                       const uint8_t *p)
{
    const __m128i bswap = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)st), 0xb1);
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)(st + 4)),
                                   0x1b);
    __m128i s0 = _mm_alignr_epi8(t, s1, 8); /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xf0);      /* CDGH */
    __m128i abef = s0, cdgh = s1, w[4];
    for (int i = 0; i < 16; i++) {
        __m128i m;
        if (i < 4) {
            m = w[i] = _mm_shuffle_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), bswap);
        } else {
            m = _mm_add_epi32(_mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]),
                              _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
            m = w[i & 3] = _mm_sha256msg2_epu32(m, w[(i + 3) & 3]);
        }
        m = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)(const void *)(K + 4 * i)));
        s1 = _mm_sha256rnds2_epu32(s1, s0, m);
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0e));
    }
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
    t = _mm_shuffle_epi32(s0, 0x1b);  /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xb1); /* DCHG */
    _mm_storeu_si128((__m128i *)(void *)st, _mm_blend_epi16(t, s1, 0xf0));       /* DCBA */
    _mm_storeu_si128((__m128i *)(void *)(st + 4), _mm_alignr_epi8(s1, t, 8)); /* HGFE */
}

/* 1 if the CPU has the SHA extensions (cpuid leaf 7, EBX bit 29), asked
 * once; 0 otherwise. */
static int have_shani(void)
{
    static atomic_int known = -1;
    int v = atomic_load_explicit(&known, memory_order_relaxed);
    if (v < 0) {
        unsigned a, b = 0, c, d;
        v = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1) &&
            __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
        atomic_store_explicit(&known, v, memory_order_relaxed);
    }
    return v;
}

/* see internal.h */
int crumb__sha256_portable;

/* Compress with the best code this CPU runs (crumb__sha256_portable: 1 =
 * plain C, 2 = no SHA extensions). */
static void compress(uint32_t st[8], const uint8_t *p)
{
    int cap = crumb__sha256_portable;
    if (cap != 1 && cap != 2 && have_shani())
        compress_shani(st, p);
    else if (cap != 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2"))
        compress_avx2(st, p);
    else
        compress_c(st, p);
}
#else
int crumb__sha256_portable;
#define compress compress_c
#endif

/* Streaming over the parts of one message: a partial block and a count. */
struct feed {
    uint32_t st[8];
    uint8_t buf[64];
    size_t fill;
    uint64_t total;
};

/* Absorb n bytes of p. */
static void feed(struct feed *f, const uint8_t *p, size_t n)
{
    f->total += n;
    if (f->fill) {
        size_t k = 64 - f->fill < n ? 64 - f->fill : n;
        memcpy(f->buf + f->fill, p, k);
        f->fill += k, p += k, n -= k;
        if (f->fill < 64)
            return;
        compress(f->st, f->buf);
        f->fill = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        compress(f->st, p);
    memcpy(f->buf, p, n);
    f->fill = n;
}

/* Pad, compress the last block(s) and write the big-endian digest. */
static void finish(struct feed *f, uint8_t out[32])
{
    uint64_t bits = f->total * 8;
    f->buf[f->fill++] = 0x80;
    if (f->fill > 56) {
        memset(f->buf + f->fill, 0, 64 - f->fill);
        compress(f->st, f->buf);
        f->fill = 0;
    }
    memset(f->buf + f->fill, 0, 56 - f->fill);
    for (int i = 0; i < 8; i++)
        f->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(f->st, f->buf);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(f->st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(f->st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(f->st[i] >> 8);
        out[4 * i + 3] = (uint8_t)f->st[i];
    }
}

/* see internal.h */
int crumb__hmac_pre_init(crumb__hmac_pre *p, const uint8_t *key, size_t key_len)
{
    struct pre *h = (struct pre *)(void *)p->b;
    struct feed f;
    uint8_t k[64] = {0}, pad[64];
    if (key_len > 64) {
        memcpy(f.st, IV, sizeof IV);
        f.fill = 0, f.total = 0;
        feed(&f, key, key_len);
        finish(&f, k);
    } else if (key_len) {
        memcpy(k, key, key_len);
    }
    memcpy(h->in, IV, sizeof IV);
    memcpy(h->out, IV, sizeof IV);
    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x36);
    compress(h->in, pad);
    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x5c);
    compress(h->out, pad);
    crumb_wipe(k, sizeof k);
    crumb_wipe(pad, sizeof pad);
    crumb_wipe(&f, sizeof f);
    return 0;
}

/* see internal.h */
int crumb__hmac_pre_mac(uint8_t out[32], const crumb__hmac_pre *p, const uint8_t *p1, size_t n1,
                        const uint8_t *p2, size_t n2)
{
    const struct pre *h = (const struct pre *)(const void *)p->b;
    struct feed f;
    uint8_t inner[32];
    memcpy(f.st, h->in, sizeof f.st);
    f.fill = 0, f.total = 64;
    if (n1)
        feed(&f, p1, n1);
    if (p2 && n2)
        feed(&f, p2, n2);
    finish(&f, inner);
    memcpy(f.st, h->out, sizeof f.st);
    f.fill = 0, f.total = 64;
    feed(&f, inner, 32);
    finish(&f, out);
    crumb_wipe(inner, sizeof inner);
    crumb_wipe(&f, sizeof f);
    return 0;
}

/* see internal.h */
int crumb__hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *p1,
                       size_t n1, const uint8_t *p2, size_t n2)
{
    crumb__hmac_pre p;
    crumb__hmac_pre_init(&p, key, key_len);
    crumb__hmac_pre_mac(out, &p, p1, n1, p2, n2);
    crumb_wipe(&p, sizeof p);
    return 0;
}
