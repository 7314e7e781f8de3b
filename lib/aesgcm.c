/*
 * aesgcm.c - AES-256-GCM (suite 2, store records) from the libraries:
 * libsodium's crypto_aead_aes256gcm where it is built in and the CPU has
 * AES-NI and PCLMUL (no allocation), else mbedTLS's GCM module (its
 * mbedtls_gcm_setkey allocates a cipher context: the library's, accepted).
 */
#include "internal.h"

#include <mbedtls/gcm.h>
#include <stdatomic.h>
#include <string.h>
#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#endif

/* see internal.h */
int crumb__gcm_mbedtls;

/* One GCM operation through mbedTLS's GCM module (encrypt when tag_out,
 * else decrypt and verify; mbedTLS checks the tag in constant time and
 * wipes out on a mismatch). 0, or -1. */
static int gcm_mbed(uint8_t *out, uint8_t *tag_out, const uint8_t *tag_in, const uint8_t *in,
                    size_t n, const uint8_t *aad, size_t aad_len, const uint8_t *iv,
                    const uint8_t key[32])
{
    mbedtls_gcm_context g;
    int rc;
    mbedtls_gcm_init(&g);
    rc = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 256);
    if (rc == 0 && tag_out)
        rc = mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, n, iv, CRUMB__GCM_IVBYTES, aad,
                                       aad_len, in, out, 16, tag_out);
    else if (rc == 0)
        rc = mbedtls_gcm_auth_decrypt(&g, n, iv, CRUMB__GCM_IVBYTES, aad, aad_len, tag_in, 16,
                                      in, out);
    mbedtls_gcm_free(&g);
    return rc == 0 ? 0 : -1;
}

#if CRUMB_HAVE_SODIUM
/* 1 if libsodium's AES-256-GCM runs on this CPU (sodium_init first: it
 * reads the CPU features), asked once. */
static int sodium_gcm_runs(void)
{
    static atomic_int known = -1;
    int v = atomic_load_explicit(&known, memory_order_relaxed);
    if (v < 0) {
        v = sodium_init() >= 0 && crypto_aead_aes256gcm_is_available();
        atomic_store_explicit(&known, v, memory_order_relaxed);
    }
    return v;
}

/* 1 if this call goes through libsodium. */
static int sodium_gcm(void)
{
    return !crumb__gcm_mbedtls && sodium_gcm_runs();
}
#endif

/* see internal.h */
int crumb__aesgcm_sodium_runs(void)
{
#if CRUMB_HAVE_SODIUM
    return sodium_gcm_runs();
#else
    return 0;
#endif
}

/* see internal.h */
int crumb__aesgcm_seal(uint8_t *out, uint8_t tag[16], const uint8_t *in, size_t n,
                       const uint8_t *aad, size_t aad_len, const uint8_t *iv, size_t iv_len,
                       const uint8_t key[32])
{
    if (iv_len != CRUMB__GCM_IVBYTES)
        return -1;
#if CRUMB_HAVE_SODIUM
    if (sodium_gcm())
        return crypto_aead_aes256gcm_encrypt_detached(out, tag, NULL, in, n, aad, aad_len, NULL,
                                                      iv, key) == 0
                   ? 0
                   : -1;
#endif
    return gcm_mbed(out, tag, NULL, in, n, aad, aad_len, iv, key);
}

/* see internal.h */
int crumb__aesgcm_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t tag[16],
                       const uint8_t *aad, size_t aad_len, const uint8_t *iv, size_t iv_len,
                       const uint8_t key[32])
{
    if (iv_len != CRUMB__GCM_IVBYTES)
        return -1;
#if CRUMB_HAVE_SODIUM
    if (sodium_gcm())
        return crypto_aead_aes256gcm_decrypt_detached(out, NULL, in, n, tag, aad, aad_len, iv,
                                                      key) == 0
                   ? 0
                   : -1;
#endif
    return gcm_mbed(out, NULL, tag, in, n, aad, aad_len, iv, key);
}
