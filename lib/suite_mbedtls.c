/*
 * suite_mbedtls.c - primitives from mbedTLS: AES-256-GCM (suite 2: its AES
 * with our PCLMUL GHASH where the CPU has it, no allocation; else its GCM),
 * and HKDF-SHA-256 (subkey derivation).
 */
#include "internal.h"

#include <mbedtls/aes.h>
#include <mbedtls/gcm.h>
#include <string.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>

/* Run one GCM operation through mbedTLS's GCM module (encrypt when
 * tag_out, else decrypt/verify): the portable path. mbedtls_gcm_setkey
 * allocates its cipher context (mbedTLS 2.28 has no other way in). */
static int gcm_mbed(uint8_t *out, uint8_t *tag_out, const uint8_t *tag_in, const uint8_t *in,
                    size_t n, const uint8_t *aad, size_t aad_len, const uint8_t *iv,
                    size_t iv_len, const uint8_t key[32])
{
    mbedtls_gcm_context g;
    int rc;
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
int crumb__gcm_portable;

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define GCM_CLMUL 1
#include <immintrin.h>

/* GHASH multiply in the bit-reflected domain (inputs byte-swapped), the
 * carry-less multiply and reduction of Intel's "Carry-Less Multiplication
 * Instruction and its Usage for Computing the GCM Mode" (rev. 2.02,
 * Figure 5 / Algorithm 5): returns a * b mod the GCM polynomial. */
__attribute__((target("pclmul,ssse3"))) static __m128i gfmul(__m128i a, __m128i b)
{
    __m128i lo = _mm_clmulepi64_si128(a, b, 0x00), hi = _mm_clmulepi64_si128(a, b, 0x11);
    __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10),
                                _mm_clmulepi64_si128(a, b, 0x01));
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    /* shift the 256-bit product left by one bit */
    __m128i c1 = _mm_srli_epi32(lo, 31), c2 = _mm_srli_epi32(hi, 31);
    lo = _mm_slli_epi32(lo, 1);
    hi = _mm_slli_epi32(hi, 1);
    __m128i c3 = _mm_srli_si128(c1, 12);
    hi = _mm_or_si128(_mm_or_si128(hi, _mm_slli_si128(c2, 4)), c3);
    lo = _mm_or_si128(lo, _mm_slli_si128(c1, 4));
    /* reduce modulo x^128 + x^7 + x^2 + x + 1 */
    __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
                              _mm_slli_epi32(lo, 25));
    __m128i t2 = _mm_srli_si128(t, 4);
    lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
    __m128i u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
                              _mm_srli_epi32(lo, 7));
    lo = _mm_xor_si128(lo, _mm_xor_si128(u, t2));
    return _mm_xor_si128(hi, lo);
}

/* Absorb n bytes (the last block zero-padded) into the GHASH state y. */
__attribute__((target("pclmul,ssse3"))) static __m128i ghash(__m128i y, __m128i h,
                                                              const uint8_t *p, size_t n)
{
    const __m128i bswap = _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (; n >= 16; p += 16, n -= 16)
        y = gfmul(_mm_xor_si128(y, _mm_shuffle_epi8(
                                       _mm_loadu_si128((const __m128i *)(const void *)p), bswap)),
                  h);
    if (n) {
        uint8_t last[16] = {0};
        memcpy(last, p, n);
        y = gfmul(_mm_xor_si128(y, _mm_shuffle_epi8(
                                       _mm_loadu_si128((const __m128i *)(const void *)last),
                                       bswap)),
                  h);
    }
    return y;
}

/* CTR-encrypt n bytes from in to out (may be equal) from counter block
 * ctr (IV || 2 for the first data block), with mbedTLS's AES (AES-NI when
 * the CPU has it). */
static int ctr_crypt(mbedtls_aes_context *aes, uint8_t ctr[16], uint8_t *out, const uint8_t *in,
                     size_t n)
{
    uint8_t ks[16];
    while (n > 0) {
        if (mbedtls_aes_crypt_ecb(aes, MBEDTLS_AES_ENCRYPT, ctr, ks) != 0)
            return -1;
        size_t k = n < 16 ? n : 16;
        if (k == 16) { /* a whole block: two 64-bit XORs */
            uint64_t a[2], b[2];
            memcpy(a, in, 16);
            memcpy(b, ks, 16);
            a[0] ^= b[0], a[1] ^= b[1];
            memcpy(out, a, 16);
        } else {
            for (size_t i = 0; i < k; i++)
                out[i] = (uint8_t)(in[i] ^ ks[i]);
        }
        out += k, in += k, n -= k;
        for (int i = 15; i >= 12 && ++ctr[i] == 0; i--)
            ;
    }
    crumb_wipe(ks, sizeof ks);
    return 0;
}

/* GHASH of aad and ct with the lengths block, xored with E(K, J0): the tag. */
__attribute__((target("pclmul,ssse3"))) static int gcm_tag(mbedtls_aes_context *aes,
                                                            uint8_t tag[16], const uint8_t j0[16],
                                                            const uint8_t *aad, size_t aad_len,
                                                            const uint8_t *ct, size_t n)
{
    const __m128i bswap = _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    uint8_t hb[16] = {0}, lens[16], ek[16];
    if (mbedtls_aes_crypt_ecb(aes, MBEDTLS_AES_ENCRYPT, hb, hb) != 0 ||
        mbedtls_aes_crypt_ecb(aes, MBEDTLS_AES_ENCRYPT, j0, ek) != 0)
        return -1;
    __m128i h = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)hb), bswap);
    __m128i y = ghash(_mm_setzero_si128(), h, aad, aad_len);
    y = ghash(y, h, ct, n);
    for (int i = 0; i < 8; i++) {
        lens[i] = (uint8_t)((uint64_t)aad_len * 8 >> (56 - 8 * i));
        lens[8 + i] = (uint8_t)((uint64_t)n * 8 >> (56 - 8 * i));
    }
    y = ghash(y, h, lens, 16);
    y = _mm_xor_si128(_mm_shuffle_epi8(y, bswap),
                      _mm_loadu_si128((const __m128i *)(const void *)ek));
    _mm_storeu_si128((__m128i *)(void *)tag, y);
    crumb_wipe(hb, sizeof hb);
    crumb_wipe(ek, sizeof ek);
    return 0;
}

/* AES-256-GCM with a 12-byte IV on a stack AES context (no allocation):
 * encrypt then tag, or check the tag (constant time) then decrypt. */
static int gcm_clmul(uint8_t *out, uint8_t *tag_out, const uint8_t *tag_in, const uint8_t *in,
                     size_t n, const uint8_t *aad, size_t aad_len, const uint8_t *iv,
                     const uint8_t key[32])
{
    mbedtls_aes_context aes;
    uint8_t j0[16], ctr[16], tag[16];
    int rc;
    memcpy(j0, iv, 12);
    j0[12] = j0[13] = j0[14] = 0, j0[15] = 1;
    memcpy(ctr, j0, 16);
    ctr[15] = 2;
    mbedtls_aes_init(&aes);
    rc = mbedtls_aes_setkey_enc(&aes, key, 256);
    if (rc == 0 && tag_out) {
        rc = ctr_crypt(&aes, ctr, out, in, n);
        if (rc == 0)
            rc = gcm_tag(&aes, tag_out, j0, aad, aad_len, out, n);
    } else if (rc == 0) {
        rc = gcm_tag(&aes, tag, j0, aad, aad_len, in, n);
        if (rc == 0 && !crumb_ct_equal(tag, tag_in, 16))
            rc = -1;
        if (rc == 0)
            rc = ctr_crypt(&aes, ctr, out, in, n);
    }
    mbedtls_aes_free(&aes);
    crumb_wipe(tag, sizeof tag);
    return rc == 0 ? 0 : -1;
}
#else
#define GCM_CLMUL 0
#endif

/* Run one GCM operation: the PCLMUL path where the CPU has it, else
 * mbedTLS's GCM module. */
static int gcm_run(uint8_t *out, uint8_t *tag_out, const uint8_t *tag_in, const uint8_t *in,
                   size_t n, const uint8_t *aad, size_t aad_len, const uint8_t *iv,
                   size_t iv_len, const uint8_t key[32])
{
    if (iv_len != CRUMB__GCM_IVBYTES)
        return -1;
#if GCM_CLMUL
    if (!crumb__gcm_portable && __builtin_cpu_supports("pclmul") &&
        __builtin_cpu_supports("ssse3"))
        return gcm_clmul(out, tag_out, tag_in, in, n, aad, aad_len, iv, key);
#endif
    return gcm_mbed(out, tag_out, tag_in, in, n, aad, aad_len, iv, iv_len, key);
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
