/*
 * suite_mbedtls.c - HKDF-SHA-256 (subkey derivation) from mbedTLS, once per
 * codec or store. AES-256-GCM is in aesgcm.c, HMAC-SHA-256 in hmac.c.
 */
#include "internal.h"

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>

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
