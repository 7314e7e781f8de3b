/*
 * fuzz_common.h - fixed setup shared by the libFuzzer harnesses and the seed
 * generator: test keys, a deterministic random source, a fixed clock, and
 * the codec and context configurations the harnesses use. Nothing here is
 * secret: these keys exist only to let the fuzzer reach past the tag.
 */
#ifndef CRUMB_FUZZ_COMMON_H
#define CRUMB_FUZZ_COMMON_H

#include "crumb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NOW INT64_C(1700000000) /* the fixed clock of every harness */
#define FUZZ_COOKIE "sid"            /* cookie name of the fuzz contexts */
#define FUZZ_NSUITES 3

/* Abort with a message: a harness-level invariant failed (a finding). */
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__,     \
                    #cond);                                                               \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* Setup failure (not a finding about the input): abort loudly. */
#define FUZZ_SETUP(expr)                                                                  \
    do {                                                                                  \
        if ((expr) != CRUMB_OK) {                                                         \
            fprintf(stderr, "%s:%d: fuzz setup failed: %s\n", __FILE__, __LINE__, #expr); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* Fixed clock. */
static inline int64_t fuzz_clock(void *ctx)
{
    (void)ctx;
    return FUZZ_NOW;
}

/* Deterministic "random": a counter-driven xorshift, so a reproducer
 * replays identically. Reset by fuzz_random_reset() at the start of each
 * input so no state is carried between inputs. */
static uint64_t fuzz_rng_state;

static inline void fuzz_random_reset(void)
{
    fuzz_rng_state = UINT64_C(0x9e3779b97f4a7c15);
}

static inline int fuzz_random(void *ctx, uint8_t *buf, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        fuzz_rng_state ^= fuzz_rng_state << 13;
        fuzz_rng_state ^= fuzz_rng_state >> 7;
        fuzz_rng_state ^= fuzz_rng_state << 17;
        buf[i] = (uint8_t)(fuzz_rng_state >> 32);
    }
    return 0;
}

/* The path hash fuzz_filestore decodes every record under (file store
 * records carry the keyed hash of their path, not a MAC). */
static inline void fuzz_fs_hash(uint8_t h[32])
{
    for (int i = 0; i < 32; i++)
        h[i] = (uint8_t)(0xa0 ^ (i * 7));
}

/* The test key ring: id 1 decrypt-only, id 2 primary, id 3 revoked. */
static inline crumb_keyring *fuzz_keyring(void)
{
    crumb_keyring *kr = NULL;
    uint8_t key[CRUMB_KEYBYTES];
    FUZZ_SETUP(crumb_keyring_new(&kr));
    for (uint32_t id = 1; id <= 3; id++) {
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)(id * 0x11u + i);
        int state = id == 1 ? CRUMB_KEY_DECRYPT_ONLY
                            : id == 2 ? CRUMB_KEY_PRIMARY : CRUMB_KEY_REVOKED;
        FUZZ_SETUP(crumb_keyring_add(kr, id, state, key));
    }
    return kr;
}

/* A codec for suite s (1..3) accepting every available suite. */
static inline crumb_codec *fuzz_codec(const crumb_keyring *kr, int suite)
{
    crumb_codec *c = NULL;
    unsigned accept = 0;
    for (int s = 1; s <= FUZZ_NSUITES; s++)
        if (crumb_suite_available(s))
            accept |= CRUMB_SUITE_BIT(s);
    crumb_codec_config cfg = {
        .cookie_name = FUZZ_COOKIE,
        .purpose = "fuzz",
        .audience = "fuzz.example",
        .accept_suites = accept,
        .seal_suite = suite,
        .random = fuzz_random,
        .clock = fuzz_clock,
    };
    FUZZ_SETUP(crumb_codec_new(&c, kr, &cfg));
    return c;
}

/* The session context configuration of the cookie harnesses: stateless,
 * compression on, chunking up to CRUMB_CHUNKS_MAX, padding per pad_block. */
static inline crumb_ctx *fuzz_ctx(const crumb_keyring *kr, int suite, size_t pad_block)
{
    crumb_ctx *ctx = NULL;
    unsigned accept = 0;
    for (int s = 1; s <= FUZZ_NSUITES; s++)
        if (crumb_suite_available(s))
            accept |= CRUMB_SUITE_BIT(s);
    crumb_ctx_config cfg = {
        .cookie_name = FUZZ_COOKIE,
        .accept_suites = accept,
        .seal_suite = suite,
        .compress = CRUMB_COMPRESS_ON,
        .pad_block = pad_block,
        .size_policy = CRUMB_SIZE_CHUNK,
        .max_chunks = CRUMB_CHUNKS_MAX,
        .app_schema = 2,
        .random = fuzz_random,
        .clock = fuzz_clock,
    };
    FUZZ_SETUP(crumb_ctx_new(&ctx, kr, &cfg));
    return ctx;
}

#endif /* CRUMB_FUZZ_COMMON_H */
