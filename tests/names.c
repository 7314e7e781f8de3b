/*
 * names.c - the documented names a store sees (names.h), from libsodium's
 * SipHash-2-4 and the library's KAT-checked HMAC and HKDF.
 */
#include "names.h"

#include "internal.h"

#include <stdio.h>
#include <string.h>

#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#endif

/* Four SipHash-2-4 of p under the 64 bytes of HKDF(secret, info). */
static int sip4(uint8_t out[32], const uint8_t secret[32], const char *info, const uint8_t *p,
                size_t n)
{
#if CRUMB_HAVE_SODIUM
    uint8_t k[64];
    if (crumb__hkdf_sha256(k, sizeof k, secret, 32, NULL, 0, (const uint8_t *)info,
                           strlen(info)) != 0)
        return -1;
    for (int i = 0; i < 4; i++)
        if (crypto_shorthash_siphash24(out + 8 * i, p, n, k + 16 * i) != 0)
            return -1;
    return 0;
#else
    (void)out, (void)secret, (void)info, (void)p, (void)n;
    return -1;
#endif
}

/* see names.h */
int names_session_key(crumb_store *st, const uint8_t secret[32],
                      const uint8_t sid[CRUMB_SID_BYTES], crumb_store_key *out)
{
    if (crumb_store_naming_get(st) == CRUMB_STORE_NAMING_EPHEMERAL && CRUMB_HAVE_SODIUM)
        return sip4(out->b, secret, "crumb-sid-siphash24-v1", sid, CRUMB_SID_BYTES);
    return crumb__hmac_sha256(out->b, secret, 32, (const uint8_t *)"sid", 3, sid,
                              CRUMB_SID_BYTES);
}

/* see names.h */
unsigned names_file_version(void)
{
    return CRUMB_HAVE_SODIUM ? 2u : 1u;
}

/* see names.h */
int names_file(uint8_t out[32], const uint8_t secret[32], unsigned version, const uint8_t *p,
               size_t n)
{
    if (version == 2)
        return sip4(out, secret, "crumb-file-names-siphash24-v1", p, n);
    return version == 1 ? crumb__hmac_sha256(out, secret, 32, p, n, NULL, 0) : -1;
}

/* see names.h */
int names_file_identity(const char *dir, uint8_t b[64])
{
    char p[256];
    snprintf(p, sizeof p, "%s/identity", dir);
    FILE *f = fopen(p, "rb");
    size_t n = f ? fread(b, 1, 64, f) : 0;
    if (f)
        fclose(f);
    return n == 64;
}

/* see names.h */
int names_file_set_version(const char *dir, const uint8_t secret[32], uint8_t v)
{
    uint8_t b[64];
    char p[256], tmp[264];
    if (!names_file_identity(dir, b))
        return -1;
    b[4] = v;
    if (crumb__hmac_sha256(b + 32, secret, 32, b, 32, NULL, 0) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/identity", dir);
    snprintf(tmp, sizeof tmp, "%s.new", p);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(b, 1, sizeof b, f) == sizeof b;
    if (f)
        ok &= fclose(f) == 0;
    return ok && rename(tmp, p) == 0 ? 0 : -1;
}
