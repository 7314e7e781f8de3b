/*
 * suite_mbedtls.c - primitives from mbedTLS: AES-256-GCM (suite 2),
 * HKDF-SHA-256 (subkey derivation), and HMAC-SHA-256 (suite 3) in builds
 * without libsodium.
 */
#include "internal.h"

#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <string.h>

/* Run one GCM operation (encrypt when tag_out, else decrypt/verify). */
static int gcm_run(uint8_t *out, uint8_t *tag_out, const uint8_t *tag_in, const uint8_t *in,
                   size_t n, const uint8_t *aad, size_t aad_len, const uint8_t *iv,
                   size_t iv_len, const uint8_t key[32])
{
    mbedtls_gcm_context g;
    int rc;
    if (iv_len != CRUMB__GCM_IVBYTES)
        return -1;
    mbedtls_gcm_init(&g);
    rc = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 256);
    if (rc == 0 && tag_out)
        rc = mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, n, iv, iv_len, aad, aad_len, in,
                                       out, 16, tag_out);
    else if (rc == 0)
        rc = mbedtls_gcm_auth_decrypt(&g, n, iv, iv_len, aad, aad_len, tag_in, 16, in, out);
    mbedtls_gcm_free(&g);
    return rc == 0 ? 0 : -1;
}

/* see internal.h */
int crumb__aesgcm_seal(uint8_t *out, uint8_t tag[16], const uint8_t *in, size_t n,
                       const uint8_t *aad, size_t aad_len, const uint8_t *iv, size_t iv_len,
                       const uint8_t key[32])
{
    return gcm_run(out, tag, NULL, in, n, aad, aad_len, iv, iv_len, key);
}

/* see internal.h */
int crumb__aesgcm_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t tag[16],
                       const uint8_t *aad, size_t aad_len, const uint8_t *iv, size_t iv_len,
                       const uint8_t key[32])
{
    return gcm_run(out, NULL, tag, in, n, aad, aad_len, iv, iv_len, key);
}

#if !CRUMB_HAVE_SODIUM
/* The precomputed key: SHA-256 contexts that have absorbed key^ipad and
 * key^opad (stack/inline contexts: no md API, no allocation). */
struct hmac_pair {
    mbedtls_sha256_context in, out;
};
_Static_assert(sizeof(struct hmac_pair) <= sizeof(crumb__hmac_pre),
               "crumb__hmac_pre too small for two mbedTLS SHA-256 contexts");

/* see internal.h */
int crumb__hmac_pre_init(crumb__hmac_pre *p, const uint8_t *key, size_t key_len)
{
    struct hmac_pair *h = (struct hmac_pair *)(void *)p->b;
    uint8_t k[64] = {0}, pad[64];
    int rc = 0;
    if (key_len > 64)
        rc = mbedtls_sha256_ret(key, key_len, k, 0);
    else if (key_len)
        memcpy(k, key, key_len);
    mbedtls_sha256_init(&h->in);
    mbedtls_sha256_init(&h->out);
    for (size_t i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x36);
    if (rc == 0)
        rc = mbedtls_sha256_starts_ret(&h->in, 0) || mbedtls_sha256_update_ret(&h->in, pad, 64);
    for (size_t i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x5c);
    if (rc == 0)
        rc = mbedtls_sha256_starts_ret(&h->out, 0) || mbedtls_sha256_update_ret(&h->out, pad, 64);
    crumb_wipe(k, sizeof k);
    crumb_wipe(pad, sizeof pad);
    return rc == 0 ? 0 : -1;
}

/* see internal.h */
int crumb__hmac_pre_mac(uint8_t out[32], const crumb__hmac_pre *p, const uint8_t *p1, size_t n1,
                        const uint8_t *p2, size_t n2)
{
    const struct hmac_pair *h = (const struct hmac_pair *)(const void *)p->b;
    mbedtls_sha256_context c;
    uint8_t inner[32];
    int rc;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_clone(&c, &h->in);
    rc = n1 ? mbedtls_sha256_update_ret(&c, p1, n1) : 0;
    if (rc == 0 && p2 && n2)
        rc = mbedtls_sha256_update_ret(&c, p2, n2);
    if (rc == 0)
        rc = mbedtls_sha256_finish_ret(&c, inner);
    mbedtls_sha256_clone(&c, &h->out);
    if (rc == 0)
        rc = mbedtls_sha256_update_ret(&c, inner, 32) || mbedtls_sha256_finish_ret(&c, out);
    mbedtls_sha256_free(&c);
    crumb_wipe(inner, sizeof inner);
    return rc == 0 ? 0 : -1;
}

/* see internal.h (with libsodium, suite_sodium.c provides this) */
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
#endif

/* see internal.h */
int crumb__hkdf_sha256(uint8_t *okm, size_t okm_len, const uint8_t *ikm, size_t ikm_len,
                       const uint8_t *salt, size_t salt_len, const uint8_t *info,
                       size_t info_len)
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return mbedtls_hkdf(md, salt, salt_len, ikm, ikm_len, info, info_len, okm, okm_len) == 0
               ? 0
               : -1;
}

/* see internal.h */
int crumb__hkdf_expand_sha256(uint8_t *okm, size_t okm_len, const uint8_t prk[32],
                              const uint8_t *info, size_t info_len)
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return mbedtls_hkdf_expand(md, prk, 32, info, info_len, okm, okm_len) == 0 ? 0 : -1;
}
