/*
 * suite_sodium.c - suite 1 primitive: XChaCha20-Poly1305 (IETF) through
 * libsodium, detached tags (AES-256-GCM is in aesgcm.c, HMAC-SHA-256 in
 * hmac.c), and four SipHash-2-4, the keyed names of session ids in stores
 * whose names never outlive the process and of version-2 file store
 * records. Built without libsodium
 * (CRYPTO=mbedtls) every wrapper reports failure and the *_available()
 * functions return 0.
 */
#include "internal.h"

#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#include <string.h>

/* see internal.h */
int crumb__xchacha_available(void)
{
    return sodium_init() >= 0;
}

/* see internal.h */
int crumb__xchacha_seal(uint8_t *out, uint8_t tag[16], const uint8_t *in, size_t n,
                        const uint8_t *aad, size_t aad_len, const uint8_t nonce[24],
                        const uint8_t key[32])
{
    return crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out, tag, NULL, in, n, aad,
                                                               aad_len, NULL, nonce, key);
}

/* see internal.h */
int crumb__xchacha_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t tag[16],
                        const uint8_t *aad, size_t aad_len, const uint8_t nonce[24],
                        const uint8_t key[32])
{
    return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out, NULL, in, n, tag, aad,
                                                               aad_len, nonce, key);
}

/* see internal.h */
int crumb__siphash_available(void)
{
    return sodium_init() >= 0;
}

/* see internal.h */
int crumb__sip4(uint8_t out[32], const uint8_t *in, size_t n, const uint8_t key[64])
{
    int rc = 0;
    for (size_t i = 0; i < 4; i++)
        rc |= crypto_shorthash_siphash24(out + 8 * i, in, n, key + 16 * i);
    return rc ? -1 : 0;
}

#else /* !CRUMB_HAVE_SODIUM */

/* see internal.h */
int crumb__xchacha_available(void)
{
    return 0;
}

/* see internal.h */
int crumb__xchacha_seal(uint8_t *out, uint8_t tag[16], const uint8_t *in, size_t n,
                        const uint8_t *aad, size_t aad_len, const uint8_t nonce[24],
                        const uint8_t key[32])
{
    (void)out, (void)tag, (void)in, (void)n, (void)aad, (void)aad_len, (void)nonce, (void)key;
    return -1;
}

/* see internal.h */
int crumb__xchacha_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t tag[16],
                        const uint8_t *aad, size_t aad_len, const uint8_t nonce[24],
                        const uint8_t key[32])
{
    (void)out, (void)tag, (void)in, (void)n, (void)aad, (void)aad_len, (void)nonce, (void)key;
    return -1;
}

/* see internal.h */
int crumb__siphash_available(void)
{
    return 0;
}

/* see internal.h */
int crumb__sip4(uint8_t out[32], const uint8_t *in, size_t n, const uint8_t key[64])
{
    (void)out, (void)in, (void)n, (void)key;
    return -1;
}

#endif
