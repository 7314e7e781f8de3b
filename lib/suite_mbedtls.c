/*
 * suite_mbedtls.c - primitives from mbedTLS: AES-256-GCM (suite 2),
 * HKDF-SHA-256 (subkey derivation), and HMAC-SHA-256 (suite 3) in builds
 * without libsodium.
 */
#include "internal.h"

#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>

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
/* see internal.h (with libsodium, suite_sodium.c provides this; here it
 * is sha256.c's precomputed HMAC, no md API and no allocation) */
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
