/*
 * check.h - the test harness every test program uses: CHECK macros that
 * print file:line and both values (hex for buffers), a seeded PRNG whose
 * seed is printed and can be replayed with CRUMB_SEED=<n>, and a summary.
 */
#ifndef CRUMB_CHECK_H
#define CRUMB_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check_failures;
static int check_count;

static inline void check_hex(const char *label, const void *p, size_t n)
{
    const unsigned char *b = p;
    fprintf(stderr, "    %s (%zu bytes): ", label, n);
    for (size_t i = 0; i < n && i < 96; i++)
        fprintf(stderr, "%02x", b[i]);
    fprintf(stderr, "%s\n", n > 96 ? "..." : "");
}

#define CHECK(cond)                                                                  \
    do {                                                                             \
        check_count++;                                                               \
        if (!(cond)) {                                                               \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                            \
    } while (0)

#define CHECK_INT(a, b)                                                              \
    do {                                                                             \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);              \
        check_count++;                                                               \
        if (check_a_ != check_b_) {                                                  \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,       \
                    __LINE__, #a, #b, check_a_, check_b_);                           \
        }                                                                            \
    } while (0)

#define CHECK_MEM(a, b, n)                                                           \
    do {                                                                             \
        check_count++;                                                               \
        if (memcmp((a), (b), (n)) != 0) {                                            \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed\n", __FILE__, __LINE__, #a, #b);  \
            check_hex(#a, (a), (n));                                                 \
            check_hex(#b, (b), (n));                                                 \
        }                                                                            \
    } while (0)

/* CHECK_OK(expr): expr must return CRUMB_OK (0); prints the message if not. */
#define CHECK_OK(expr)                                                               \
    do {                                                                             \
        int check_rc_ = (int)(expr);                                                 \
        check_count++;                                                               \
        if (check_rc_ != 0) {                                                        \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: %s returned %d (%s)\n", __FILE__, __LINE__, #expr, \
                    check_rc_, crumb_strerror(check_rc_));                           \
        }                                                                            \
    } while (0)

/* ---- seeded PRNG (splitmix64); not for secrets ---- */
static uint64_t check_rng_state;

static inline uint64_t check_seed(void)
{
    const char *s = getenv("CRUMB_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)clock();
    check_rng_state = seed;
    printf("seed: CRUMB_SEED=%" PRIu64 "\n", seed);
    return seed;
}

static inline uint64_t check_rand(void)
{
    uint64_t z = (check_rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void check_fill(void *p, size_t n)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)check_rand();
}

/* Print the summary and return the exit status for main. */
static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
