/*
 * hmac.c - HMAC-SHA-256 from the libraries, also from a key prepared once
 * (crumb__hmac_pre): libsodium's crypto_auth_hmacsha256 state, or without
 * libsodium two mbedTLS SHA-256 contexts after the ipad/opad block, copied
 * per MAC. No allocation, and no SHA-256 of our own.
 */
#include "internal.h"

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <string.h>
#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#endif

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define sha256_starts mbedtls_sha256_starts
#define sha256_update mbedtls_sha256_update
#define sha256_finish mbedtls_sha256_finish
#define sha256_once mbedtls_sha256
#else
#define sha256_starts mbedtls_sha256_starts_ret
#define sha256_update mbedtls_sha256_update_ret
#define sha256_finish mbedtls_sha256_finish_ret
#define sha256_once mbedtls_sha256_ret
#endif

/* The prepared key behind crumb__hmac_pre: which library holds it, and its
 * state. */
struct pre {
    int impl; /* IMPL_SODIUM or IMPL_MBEDTLS: the library that made it */
    union {
#if CRUMB_HAVE_SODIUM
        crypto_auth_hmacsha256_state sodium;
#endif
        struct {
            mbedtls_sha256_context in, out; /* after key^ipad resp. key^opad */
        } mbed;
    } u;
};
enum { IMPL_SODIUM = 1, IMPL_MBEDTLS = 2 };
_Static_assert(sizeof(struct pre) <= sizeof(crumb__hmac_pre), "crumb__hmac_pre too small");
_Static_assert(_Alignof(struct pre) <= _Alignof(crumb__hmac_pre), "crumb__hmac_pre misaligned");

/* see internal.h */
int crumb__hmac_mbedtls;

/* ==== mbedTLS: SHA-256 contexts cloned per MAC ========================== */

/* Start ctx and absorb one 64-byte block: key (<= 64 bytes, zero-padded)
 * xor pad. 0, or -1. */
static int mbed_pad(mbedtls_sha256_context *ctx, const uint8_t k[64], uint8_t pad)
{
    uint8_t b[64];
    for (int i = 0; i < 64; i++)
        b[i] = (uint8_t)(k[i] ^ pad);
    mbedtls_sha256_init(ctx);
    int rc = sha256_starts(ctx, 0) != 0 || sha256_update(ctx, b, 64) != 0 ? -1 : 0;
    crumb_wipe(b, sizeof b);
    return rc;
}

/* Prepare h from key (a key over 64 bytes is hashed first, RFC 2104). */
static int mbed_init(struct pre *h, const uint8_t *key, size_t key_len)
{
    uint8_t k[64] = {0};
    int rc = 0;
    if (key_len > 64)
        rc = sha256_once(key, key_len, k, 0) != 0 ? -1 : 0;
    else if (key_len)
        memcpy(k, key, key_len);
    if (rc == 0)
        rc = mbed_pad(&h->u.mbed.in, k, 0x36) | mbed_pad(&h->u.mbed.out, k, 0x5c);
    crumb_wipe(k, sizeof k);
    return rc;
}

/* HMAC of p1 || p2 from h: clone the inner context, absorb, finish; clone
 * the outer one, absorb the inner digest, finish. */
static int mbed_mac(uint8_t out[32], const struct pre *h, const uint8_t *p1, size_t n1,
                    const uint8_t *p2, size_t n2)
{
    mbedtls_sha256_context c;
    uint8_t inner[32];
    int rc = 0;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_clone(&c, &h->u.mbed.in);
    if (n1)
        rc |= sha256_update(&c, p1, n1);
    if (p2 && n2)
        rc |= sha256_update(&c, p2, n2);
    rc |= sha256_finish(&c, inner);
    mbedtls_sha256_clone(&c, &h->u.mbed.out);
    rc |= sha256_update(&c, inner, 32);
    rc |= sha256_finish(&c, out);
    mbedtls_sha256_free(&c); /* zeroizes */
    crumb_wipe(inner, sizeof inner);
    return rc == 0 ? 0 : -1;
}

/* ==== The interface ===================================================== */

/* see internal.h */
int crumb__hmac_pre_init(crumb__hmac_pre *p, const uint8_t *key, size_t key_len)
{
    struct pre *h = (struct pre *)(void *)p->b;
    memset(p, 0, sizeof *p);
#if CRUMB_HAVE_SODIUM
    if (!crumb__hmac_mbedtls) {
        h->impl = IMPL_SODIUM;
        return crypto_auth_hmacsha256_init(&h->u.sodium, key, key_len) == 0 ? 0 : -1;
    }
#endif
    h->impl = IMPL_MBEDTLS;
    if (mbed_init(h, key, key_len) == 0)
        return 0;
    crumb_wipe(p, sizeof *p);
    return -1;
}

/* see internal.h */
int crumb__hmac_pre_mac(uint8_t out[32], const crumb__hmac_pre *p, const uint8_t *p1, size_t n1,
                        const uint8_t *p2, size_t n2)
{
    const struct pre *h = (const struct pre *)(const void *)p->b;
#if CRUMB_HAVE_SODIUM
    if (h->impl == IMPL_SODIUM) {
        crypto_auth_hmacsha256_state s = h->u.sodium;
        if (n1)
            crypto_auth_hmacsha256_update(&s, p1, n1);
        if (p2 && n2)
            crypto_auth_hmacsha256_update(&s, p2, n2);
        crypto_auth_hmacsha256_final(&s, out);
        sodium_memzero(&s, sizeof s);
        return 0;
    }
#endif
    if (h->impl == IMPL_MBEDTLS)
        return mbed_mac(out, h, p1, n1, p2, n2);
    return -1; /* not prepared (or wiped): fail closed */
}

/* see internal.h */
int crumb__hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *p1,
                       size_t n1, const uint8_t *p2, size_t n2)
{
    crumb__hmac_pre p;
    int rc = crumb__hmac_pre_init(&p, key, key_len);
    if (rc == 0)
        rc = crumb__hmac_pre_mac(out, &p, p1, n1, p2, n2);
    crumb_wipe(&p, sizeof p);
    return rc;
}
