/*
 * error.c - crumb_strerror, crumb_reason_str, version string and the small
 * utilities (constant-time compare, wipe). Each switch has no default so
 * -Wswitch flags a forgotten code.
 */
#include "internal.h"

#include <string.h>

/* see crumb.h */
const char *crumb_strerror(int err)
{
    switch ((crumb_err)err) {
    case CRUMB_OK: return "success";
    case CRUMB_E_INVALID: return "invalid argument or configuration";
    case CRUMB_E_BUFSIZE: return "output buffer too small";
    case CRUMB_E_NOMEM: return "out of memory";
    case CRUMB_E_AUTH: return "token rejected";
    case CRUMB_E_EXPIRED: return "session expired";
    case CRUMB_E_TOO_LARGE: return "cookie or payload exceeds the size limit";
    case CRUMB_E_UNAVAILABLE: return "suite or feature not available in this build";
    case CRUMB_E_NOKEY: return "no primary key to seal with";
    case CRUMB_E_KEYFILE: return "key file or key variable malformed";
    case CRUMB_E_IO: return "I/O error";
    case CRUMB_E_NOSPC: return "no space left on device";
    case CRUMB_E_NOTFOUND: return "not found";
    case CRUMB_E_EXISTS: return "already exists";
    case CRUMB_E_CONFLICT: return "concurrent update (version mismatch)";
    case CRUMB_E_CORRUPT: return "stored data failed verification";
    case CRUMB_E_REVOKED: return "session revoked";
    case CRUMB_E_REPLAY: return "replayed session token";
    case CRUMB_E_TIMEOUT: return "store operation timed out";
    case CRUMB_E_BACKEND: return "store backend unavailable";
    case CRUMB_E_PAYLOAD: return "session payload malformed";
    case CRUMB_E_VERSION: return "format version newer than this library";
    case CRUMB_E_INFLATE: return "decompression limit exceeded";
    case CRUMB_E_COOKIE: return "cookie header or chunk set invalid";
    case CRUMB_E_NOSESSION: return "no session cookie in the request";
    case CRUMB_E_LIMIT: return "limit exceeded";
    case CRUMB_E_UNSUPPORTED: return "operation not supported by this store";
    case CRUMB_E_RANDOM: return "random number generator failed";
    case CRUMB_E_INTERNAL: return "internal error";
    case CRUMB_E_FUTURE: return "session timestamp too far in the future";
    }
    return "unknown error code";
}

/* see crumb.h */
const char *crumb_reason_str(int reason)
{
    switch ((crumb_reason)reason) {
    case CRUMB_R_NONE: return "none";
    case CRUMB_R_BAD_ENCODING: return "bad-encoding";
    case CRUMB_R_TRUNCATED: return "truncated";
    case CRUMB_R_BAD_VERSION: return "bad-version";
    case CRUMB_R_SUITE_DISABLED: return "suite-disabled";
    case CRUMB_R_SUITE_UNAVAILABLE: return "suite-unavailable";
    case CRUMB_R_BAD_FLAGS: return "bad-flags";
    case CRUMB_R_UNKNOWN_KEY: return "unknown-key-id";
    case CRUMB_R_REVOKED_KEY: return "revoked-key";
    case CRUMB_R_BAD_TAG: return "bad-tag";
    case CRUMB_R_TOO_LARGE: return "too-large";
    case CRUMB_R_EXPIRED_ABSOLUTE: return "expired-absolute";
    case CRUMB_R_EXPIRED_IDLE: return "expired-idle";
    case CRUMB_R_FUTURE: return "future-timestamp";
    case CRUMB_R_REVOKED: return "revoked";
    case CRUMB_R_REPLAY: return "replay-detected";
    case CRUMB_R_INFLATE_LIMIT: return "inflate-limit";
    case CRUMB_R_BAD_CHUNKS: return "bad-chunk-set";
    case CRUMB_R_PAYLOAD: return "payload-malformed";
    case CRUMB_R_PAYLOAD_VERSION: return "payload-version";
    case CRUMB_R_STORE: return "store-error";
    case CRUMB_R_RESEAL: return "reseal-decrypt-only-key";
    case CRUMB_R_FINGERPRINT: return "client-fingerprint-mismatch";
    }
    return "unknown-reason";
}

/* see crumb.h */
const char *crumb_version(void)
{
    return CRUMB_VERSION_STRING;
}

/* see crumb.h */
int crumb_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(x[i] ^ y[i]);
    return (1 & ((d - 1) >> 8));
}

/* see crumb.h */
void crumb_wipe(void *p, size_t n)
{
    if (p == NULL || n == 0)
        return;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
    explicit_bzero(p, n);
#else
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
#endif
}
