/*
 * crumb.h - libcrumb application API: errors, keys, token codec, session
 * payload, cookies, CGI helpers and the session API.
 *
 * Conventions (apply to every function below unless its doc says otherwise):
 *  - Ownership: the caller owns every buffer it passes in. Output buffers come
 *    with an explicit capacity; a buffer that is too small yields
 *    CRUMB_E_BUFSIZE and, where the function has a size out-parameter, the
 *    size that would have been needed is stored there.
 *  - Objects (crumb_keyring, crumb_codec, ...) are opaque, created by a
 *    *_new/_load function and released by the matching *_free, which accepts
 *    NULL.
 *  - NULL is allowed only where a parameter's doc says so. Programmer misuse
 *    that cannot be reported (NULL object to a void function) aborts.
 *  - Thread safety: a codec and a keyring are immutable after creation and may
 *    be used from any number of threads at once. Session objects are not
 *    shared between threads.
 *  - Every function that can fail returns a crumb_err (0 = CRUMB_OK).
 *  - Nothing secret (keys, token bytes, payload) is ever passed to the log
 *    callback or put in an error message.
 */
#ifndef CRUMB_H
#define CRUMB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CRUMB_EXPORT __attribute__((visibility("default")))
#define CRUMB_WUR __attribute__((warn_unused_result))
#else
#define CRUMB_EXPORT
#define CRUMB_WUR
#endif

/* ==== Version ============================================================ */

/* The single source of the version: the Makefile reads these three lines
 * (SONAME libcrumb.so.MAJOR, crumb.pc Version). CRUMB_VERSION_NUMBER is one
 * comparable integer, MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 = 100), for
 * `#if CRUMB_VERSION_NUMBER >= 100`. Requires C99 or C++98 or later. */
#define CRUMB_VERSION_MAJOR 0
#define CRUMB_VERSION_MINOR 1
#define CRUMB_VERSION_PATCH 0
#define CRUMB_VERSION_NUMBER \
    (CRUMB_VERSION_MAJOR * 10000 + CRUMB_VERSION_MINOR * 100 + CRUMB_VERSION_PATCH)
#define CRUMB_VERSION_STRING "0.1.0"

/**
 * Run-time twin of CRUMB_VERSION_NUMBER (crumb_version() is the twin of
 * CRUMB_VERSION_STRING): the version of the library actually linked, which
 * may differ from the header the program was compiled against.
 * @return MAJOR * 10000 + MINOR * 100 + PATCH of the linked library.
 */
CRUMB_EXPORT int crumb_version_number(void);

/* ==== Errors ============================================================ */

/* Error codes. The numbers never change; new codes are appended. */
typedef enum crumb_err {
    CRUMB_OK = 0,              /* 0 - success */
    CRUMB_E_INVALID = 1,       /* 1 - invalid argument or configuration */
    CRUMB_E_BUFSIZE = 2,       /* 2 - output buffer too small */
    CRUMB_E_NOMEM = 3,         /* 3 - out of memory */
    CRUMB_E_AUTH = 4,          /* 4 - token rejected (any authentication failure) */
    CRUMB_E_EXPIRED = 5,       /* 5 - session expired */
    CRUMB_E_TOO_LARGE = 6,     /* 6 - cookie or payload exceeds the size limit */
    CRUMB_E_UNAVAILABLE = 7,   /* 7 - suite or feature not compiled in */
    CRUMB_E_NOKEY = 8,         /* 8 - no primary key to seal with */
    CRUMB_E_KEYFILE = 9,       /* 9 - key file or key variable malformed */
    CRUMB_E_IO = 10,           /* 10 - I/O error */
    CRUMB_E_NOSPC = 11,        /* 11 - no space left on device */
    CRUMB_E_NOTFOUND = 12,     /* 12 - not found */
    CRUMB_E_EXISTS = 13,       /* 13 - already exists */
    CRUMB_E_CONFLICT = 14,     /* 14 - concurrent update (version mismatch) */
    CRUMB_E_CORRUPT = 15,      /* 15 - stored data failed verification */
    CRUMB_E_REVOKED = 16,      /* 16 - session revoked */
    CRUMB_E_REPLAY = 17,       /* 17 - replayed session token; family revoked */
    CRUMB_E_TIMEOUT = 18,      /* 18 - store operation timed out */
    CRUMB_E_BACKEND = 19,      /* 19 - store backend unavailable */
    CRUMB_E_PAYLOAD = 20,      /* 20 - session payload malformed */
    CRUMB_E_VERSION = 21,      /* 21 - format version newer than this library */
    CRUMB_E_INFLATE = 22,      /* 22 - decompression limit exceeded */
    CRUMB_E_COOKIE = 23,       /* 23 - cookie header or chunk set invalid */
    CRUMB_E_NOSESSION = 24,    /* 24 - no session cookie in the request */
    CRUMB_E_LIMIT = 25,        /* 25 - a documented limit was exceeded */
    CRUMB_E_UNSUPPORTED = 26,  /* 26 - operation not supported by this store */
    CRUMB_E_RANDOM = 27,       /* 27 - random number generator failed */
    CRUMB_E_INTERNAL = 28,     /* 28 - internal error (a bug: please report) */
    CRUMB_E_FUTURE = 29        /* 29 - session timestamp too far in the future (clocks?) */
} crumb_err;

#define CRUMB_ERR_LAST CRUMB_E_FUTURE

/* Return a static, human-readable message for an error code (never NULL). */
CRUMB_EXPORT const char *crumb_strerror(int err);

/* Structured reasons passed to the log callback. The caller of an API only
 * sees the coarse crumb_err (e.g. CRUMB_E_AUTH); the reason says why.
 * The numbers never change; new reasons are appended. */
typedef enum crumb_reason {
    CRUMB_R_NONE = 0,             /* 0 - no reason */
    CRUMB_R_BAD_ENCODING = 1,     /* 1 - token is not strict base64url */
    CRUMB_R_TRUNCATED = 2,        /* 2 - token shorter than its header and tag */
    CRUMB_R_BAD_VERSION = 3,      /* 3 - unknown token format version */
    CRUMB_R_SUITE_DISABLED = 4,   /* 4 - suite not accepted by this config */
    CRUMB_R_SUITE_UNAVAILABLE = 5,/* 5 - suite not compiled into this build */
    CRUMB_R_BAD_FLAGS = 6,        /* 6 - reserved flag bits set */
    CRUMB_R_UNKNOWN_KEY = 7,      /* 7 - key id not in the key ring */
    CRUMB_R_REVOKED_KEY = 8,      /* 8 - key id is revoked */
    CRUMB_R_BAD_TAG = 9,          /* 9 - authentication tag mismatch */
    CRUMB_R_TOO_LARGE = 10,       /* 10 - token or cookie over the size limit */
    CRUMB_R_EXPIRED_ABSOLUTE = 11,/* 11 - absolute lifetime passed */
    CRUMB_R_EXPIRED_IDLE = 12,    /* 12 - idle deadline passed */
    CRUMB_R_FUTURE = 13,          /* 13 - timestamp too far in the future */
    CRUMB_R_REVOKED = 14,         /* 14 - session/family/user/device revoked */
    CRUMB_R_REPLAY = 15,          /* 15 - old generation replayed */
    CRUMB_R_INFLATE_LIMIT = 16,   /* 16 - inflate output or ratio cap hit */
    CRUMB_R_BAD_CHUNKS = 17,      /* 17 - mixed or partial chunk set */
    CRUMB_R_PAYLOAD = 18,         /* 18 - payload failed to decode */
    CRUMB_R_PAYLOAD_VERSION = 19, /* 19 - payload format newer than supported */
    CRUMB_R_STORE = 20,           /* 20 - the store reported an error */
    CRUMB_R_RESEAL = 21           /* 21 - opened under a decrypt-only key */
} crumb_reason;

#define CRUMB_REASON_LAST CRUMB_R_RESEAL

/* Return a static name for a reason code (never NULL). */
CRUMB_EXPORT const char *crumb_reason_str(int reason);

/* What the log callback receives. Never contains key or token bytes. */
typedef struct crumb_event {
    int reason;          /* a crumb_reason */
    int err;             /* the crumb_err the caller receives */
    uint32_t key_id;     /* key id from the token header, 0 if unknown */
    uint8_t suite;       /* suite from the token header, 0 if unknown */
    int64_t when;        /* clock value at the event (seconds) */
} crumb_event;

/* Optional log callback; may be called from any thread using the codec. */
typedef void crumb_log_fn(void *ctx, const crumb_event *ev);

/* Random source: fill buf with n unpredictable bytes; return 0 on success.
 * The default uses the OS (libsodium's randombytes or getrandom). Tests
 * inject a deterministic one to produce known-answer vectors. */
typedef int crumb_random_fn(void *ctx, uint8_t *buf, size_t n);

/* Clock: seconds since the Unix epoch. Default: time(NULL). */
typedef int64_t crumb_clock_fn(void *ctx);

/* ==== Key ring ========================================================== */

#define CRUMB_KEYBYTES 32u
#define CRUMB_KEYRING_MAX 32u

/* Key states. */
typedef enum crumb_key_state {
    CRUMB_KEY_PRIMARY = 1,       /* seals and opens; exactly one per ring */
    CRUMB_KEY_DECRYPT_ONLY = 2,  /* opens; caller is told to re-seal */
    CRUMB_KEY_REVOKED = 3        /* refused */
} crumb_key_state;

typedef struct crumb_keyring crumb_keyring;

/* Summary of one key (never the key bytes). */
typedef struct crumb_key_info {
    uint32_t id;
    int state; /* crumb_key_state */
} crumb_key_info;

/**
 * Create an empty key ring in locked, non-dumpable memory.
 * @param[out] out  the new key ring
 * @return CRUMB_OK, CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_keyring_new(crumb_keyring **out) CRUMB_WUR;

/**
 * Add a key. Ids are 1..2^32-1 and unique. Adding a PRIMARY key when the
 * ring already has one demotes the old primary to DECRYPT_ONLY.
 * @return CRUMB_OK, CRUMB_E_INVALID (id 0, bad state), CRUMB_E_EXISTS (id
 *         taken), CRUMB_E_LIMIT (ring full)
 */
CRUMB_EXPORT crumb_err crumb_keyring_add(crumb_keyring *kr, uint32_t id, int state,
                                         const uint8_t key[32]) CRUMB_WUR;

/**
 * Change a key's state (PRIMARY demotes the previous primary).
 * @return CRUMB_OK, CRUMB_E_NOTFOUND, CRUMB_E_INVALID
 */
CRUMB_EXPORT crumb_err crumb_keyring_set_state(crumb_keyring *kr, uint32_t id, int state) CRUMB_WUR;

/**
 * Remove a key and wipe it.
 * @return CRUMB_OK, CRUMB_E_NOTFOUND
 */
CRUMB_EXPORT crumb_err crumb_keyring_remove(crumb_keyring *kr, uint32_t id) CRUMB_WUR;

/**
 * Parse key-file text (format in docs/FORMAT.md, "Key files") into a new
 * ring. The text is not retained.
 * @param[out] out   the new ring
 * @param[out] line  if not NULL, the 1-based line of the first error
 * @return CRUMB_OK, CRUMB_E_KEYFILE, CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_keyring_parse(crumb_keyring **out, const char *text, size_t len,
                                           size_t *line) CRUMB_WUR;

/**
 * Load a key file. Refuses files readable by group or others.
 * @return as crumb_keyring_parse, plus CRUMB_E_IO, CRUMB_E_NOTFOUND,
 *         CRUMB_E_INVALID (file permissions too open)
 */
CRUMB_EXPORT crumb_err crumb_keyring_load_file(crumb_keyring **out, const char *path) CRUMB_WUR;

/**
 * Load keys from an environment variable (format in docs/FORMAT.md).
 * @return as crumb_keyring_parse, plus CRUMB_E_NOTFOUND (variable unset)
 */
CRUMB_EXPORT crumb_err crumb_keyring_load_env(crumb_keyring **out, const char *var) CRUMB_WUR;

/**
 * Serialise the ring in key-file format (this output contains secrets).
 * @param[out] out_len  bytes written, or bytes needed on CRUMB_E_BUFSIZE
 * @return CRUMB_OK, CRUMB_E_BUFSIZE
 */
CRUMB_EXPORT crumb_err crumb_keyring_format(const crumb_keyring *kr, char *out, size_t cap,
                                            size_t *out_len) CRUMB_WUR;

/**
 * List keys (ids and states, never key bytes) in ascending id order.
 * @return the number of keys in the ring (may exceed cap).
 */
CRUMB_EXPORT size_t crumb_keyring_list(const crumb_keyring *kr, crumb_key_info *out, size_t cap);

/* Wipe and release a ring (NULL allowed). */
CRUMB_EXPORT void crumb_keyring_free(crumb_keyring *kr);

/* Fill key with 32 random bytes. @return CRUMB_OK, CRUMB_E_RANDOM */
CRUMB_EXPORT crumb_err crumb_key_generate(uint8_t key[32]) CRUMB_WUR;

/* ==== Token codec ======================================================= */

/* Suites (token byte 1). */
#define CRUMB_SUITE_XCHACHA20POLY1305 1
#define CRUMB_SUITE_AES256GCM 2
#define CRUMB_SUITE_HMACSHA256 3
#define CRUMB_SUITE_BIT(s) (1u << (s))

/* Token header flags (token byte 2). Other bits are reserved and rejected. */
#define CRUMB_FLAG_DEFLATE 0x01u   /* payload is raw-deflate compressed */
#define CRUMB_FLAG_REFERENCE 0x02u /* server-mode reference token */
#define CRUMB_FLAG_PADDED 0x04u    /* payload padded to a size bucket */
#define CRUMB_FLAGS_KNOWN 0x07u

#define CRUMB_TOKEN_VERSION 1
#define CRUMB_HEADER_BYTES 7u      /* version, suite, flags, key id */
#define CRUMB_NAME_MAX 255u        /* cookie name, purpose and audience */
#define CRUMB_PAYLOAD_MAX 65536u   /* largest plaintext the codec seals */

/* 1 if the suite is compiled into this build (suite 1 needs libsodium). */
CRUMB_EXPORT int crumb_suite_available(int suite);

typedef struct crumb_codec crumb_codec;

typedef struct crumb_codec_config {
    const char *cookie_name;     /* required, bound into the AAD */
    const char *purpose;         /* required, e.g. "session"; selects subkeys */
    const char *audience;        /* optional (NULL = ""), bound into the AAD */
    unsigned accept_suites;      /* CRUMB_SUITE_BIT() mask; 0 = seal_suite only */
    int seal_suite;              /* suite used by crumb_seal; 0 = XChaCha20 (or AES-GCM
                                    when built without libsodium) */
    crumb_log_fn *log;           /* optional */
    void *log_ctx;
    crumb_random_fn *random;     /* optional; NULL = OS random */
    void *random_ctx;
    crumb_clock_fn *clock;       /* optional; NULL = time(NULL) */
    void *clock_ctx;
} crumb_codec_config;

/* What crumb_open learned besides the plaintext. */
typedef struct crumb_open_info {
    uint32_t key_id;  /* key that opened the token */
    uint8_t suite;    /* suite of the token */
    uint8_t flags;    /* CRUMB_FLAG_* from the header */
    int reseal;       /* 1 if opened under a DECRYPT_ONLY key: seal it again */
} crumb_open_info;

/**
 * Create a codec bound to a cookie name, purpose and audience. Derives the
 * per-purpose subkeys of every key in kr now (HKDF-SHA-256), so seal and
 * open do no key derivation (except suite 2's per-token subkey). The codec
 * does not reference kr afterwards; rebuild it after changing the ring.
 * @return CRUMB_OK, CRUMB_E_INVALID (missing/oversized names, unknown suite),
 *         CRUMB_E_UNAVAILABLE (suite not compiled in), CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_codec_new(crumb_codec **out, const crumb_keyring *kr,
                                       const crumb_codec_config *cfg) CRUMB_WUR;

/* Wipe and release a codec (NULL allowed). */
CRUMB_EXPORT void crumb_codec_free(crumb_codec *c);

/* The codec's clock (config clock or time(NULL)). */
CRUMB_EXPORT int64_t crumb_codec_now(const crumb_codec *c);

/* Report an event to the codec's log callback, if any (used by the session
 * and store layers so every reason reaches one callback). */
CRUMB_EXPORT void crumb_codec_log(const crumb_codec *c, crumb_reason reason, crumb_err err,
                                  uint32_t key_id, uint8_t suite);

/* Exact length in characters of the token for a plaintext of pt_len bytes
 * sealed with the codec's seal suite. */
CRUMB_EXPORT size_t crumb_token_len(const crumb_codec *c, size_t pt_len);

/* Length of the binary token behind tok_len base64url characters; a
 * plaintext buffer of this size always suffices for crumb_open. */
CRUMB_EXPORT size_t crumb_open_bufsize(size_t tok_len);

/**
 * Seal a plaintext into a base64url token (no NUL written). No allocation.
 * @param[out] tok      output characters
 * @param[in]  cap      capacity of tok
 * @param[out] tok_len  characters written (or needed on CRUMB_E_BUFSIZE)
 * @param[in]  flags    CRUMB_FLAG_* to record in the header (authenticated)
 * @return CRUMB_OK, CRUMB_E_BUFSIZE, CRUMB_E_NOKEY, CRUMB_E_TOO_LARGE
 *         (pt_len > CRUMB_PAYLOAD_MAX), CRUMB_E_INVALID (unknown flags),
 *         CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_seal(const crumb_codec *c, char *tok, size_t cap, size_t *tok_len,
                                  const uint8_t *pt, size_t pt_len, unsigned flags) CRUMB_WUR;

/**
 * Authenticate and decrypt a token. No allocation. Any failure to
 * authenticate is CRUMB_E_AUTH; the reason goes to the log callback.
 * @param[out] pt      plaintext; needs crumb_open_bufsize(tok_len) bytes
 * @param[out] pt_len  plaintext length
 * @param[out] info    optional (NULL allowed): key id, suite, flags, reseal
 * @return CRUMB_OK, CRUMB_E_AUTH (also for a token longer than any valid
 *         token: reason CRUMB_R_TOO_LARGE), CRUMB_E_BUFSIZE (pt_len receives
 *         the size needed; checked before anything else)
 */
CRUMB_EXPORT crumb_err crumb_open(const crumb_codec *c, uint8_t *pt, size_t cap, size_t *pt_len,
                                  const char *tok, size_t tok_len,
                                  crumb_open_info *info) CRUMB_WUR;

/* Public header fields, readable without a key (for `crumb inspect`). */
typedef struct crumb_token_header {
    uint8_t version, suite, flags;
    uint32_t key_id;
    size_t nonce_len, body_len, tag_len, total_len;
} crumb_token_header;

/**
 * Decode a token's header without a key. Nothing here is authenticated.
 * @return CRUMB_OK, CRUMB_E_AUTH (not a well-formed v1 token)
 */
CRUMB_EXPORT crumb_err crumb_token_inspect(const char *tok, size_t tok_len,
                                           crumb_token_header *hdr) CRUMB_WUR;

/* ==== base64url (RFC 4648 section 5, no padding, strict) ================ */

/* Characters needed to encode n bytes. */
CRUMB_EXPORT size_t crumb_b64_encoded_len(size_t n);

/* Encode; writes exactly crumb_b64_encoded_len(n) chars (no NUL).
 * @return CRUMB_OK, CRUMB_E_BUFSIZE */
CRUMB_EXPORT crumb_err crumb_b64_encode(char *out, size_t cap, const uint8_t *in, size_t n);

/* Strict decode: alphabet A-Z a-z 0-9 - _, no padding, len % 4 != 1, zero
 * trailing bits. @return CRUMB_OK, CRUMB_E_BUFSIZE, CRUMB_E_INVALID */
CRUMB_EXPORT crumb_err crumb_b64_decode(uint8_t *out, size_t cap, size_t *out_len,
                                        const char *in, size_t n) CRUMB_WUR;

/* ==== Utilities ========================================================= */

/* Constant-time equality of two n-byte buffers: 1 if equal, else 0. */
CRUMB_EXPORT int crumb_ct_equal(const void *a, const void *b, size_t n);

/* Wipe n bytes in a way the compiler does not remove. */
CRUMB_EXPORT void crumb_wipe(void *p, size_t n);

/* Library version string. */
CRUMB_EXPORT const char *crumb_version(void);

/* ==== Session payload, cookies, CGI, session API ======================== */
/* ==== Session payload v1 (docs/FORMAT.md, "Session payload v1") ======== */

/* Forward declaration; the store interface is include/crumb_store.h. */
struct crumb_store;

#define CRUMB_PAYLOAD_VERSION 1u   /* payload format version this library writes */
#define CRUMB_SID_BYTES 16u        /* session id and family id (128 bits, random) */
#define CRUMB_ID_MAX 255u          /* user, tenant and device id: 0..255 bytes */
#define CRUMB_DATA_KEY_MAX 255u    /* application data key: 1..255 bytes, no NUL */
#define CRUMB_DATA_VALUE_MAX 65535u/* application data value: 0..65535 bytes */
#define CRUMB_DATA_ENTRIES_MAX 1024u /* application data entries per session */

/* Authentication state kinds (crumb_auth.state). */
typedef enum crumb_auth_state {
    CRUMB_AUTH_ANONYMOUS = 0,     /* 0 - nobody logged in */
    CRUMB_AUTH_IN_PROGRESS = 1,   /* 1 - login started: factors done/remaining, attempts */
    CRUMB_AUTH_AUTHENTICATED = 2, /* 2 - logged in: auth_time, factors used */
    CRUMB_AUTH_PENDING = 3        /* 3 - in a workflow (signup, password reset, ...) */
} crumb_auth_state;

/* Authentication factor bits (crumb_auth.factors / .remaining). Bits 16..31
 * are free for the application. */
#define CRUMB_FACTOR_PASSWORD 0x0001u
#define CRUMB_FACTOR_TOTP 0x0002u
#define CRUMB_FACTOR_WEBAUTHN 0x0004u
#define CRUMB_FACTOR_EMAIL 0x0008u
#define CRUMB_FACTOR_SMS 0x0010u
#define CRUMB_FACTOR_RECOVERY 0x0020u
#define CRUMB_FACTOR_SSO 0x0040u

/* Workflows (crumb_auth.workflow for CRUMB_AUTH_PENDING). Values from 256 up
 * are free for the application. */
#define CRUMB_WORKFLOW_SIGNUP 1u
#define CRUMB_WORKFLOW_PASSWORD_RESET 2u
#define CRUMB_WORKFLOW_EMAIL_VERIFY 3u
#define CRUMB_WORKFLOW_INVITE 4u

/* Typed authentication state. Only the fields of the current state are
 * encoded; the others read back as 0. */
typedef struct crumb_auth {
    int state;           /* crumb_auth_state */
    uint32_t factors;    /* IN_PROGRESS: completed; AUTHENTICATED: used */
    uint32_t remaining;  /* IN_PROGRESS: factors still required */
    uint32_t attempts;   /* IN_PROGRESS: failed attempts so far */
    uint32_t workflow;   /* PENDING: CRUMB_WORKFLOW_* or application value */
    int64_t time;        /* AUTHENTICATED: authentication time;
                            IN_PROGRESS / PENDING: when it started */
} crumb_auth;

/* A decoded payload. Ids are byte strings (length 0 = absent), also
 * NUL-terminated for convenience. data points at the application data
 * entries in their encoded form (see FORMAT.md); after crumb_payload_decode
 * it points into the caller's input buffer (borrowed, not copied). */
typedef struct crumb_payload {
    uint32_t version;          /* payload format version (CRUMB_PAYLOAD_VERSION) */
    int64_t issued_at;         /* seconds since the epoch */
    int64_t expires_at;        /* absolute expiry */
    int64_t idle_at;           /* idle deadline (<= expires_at) */
    uint8_t sid[CRUMB_SID_BYTES];
    uint8_t family[CRUMB_SID_BYTES];
    uint32_t generation;       /* rotation count within the family */
    uint32_t app_schema;       /* application schema version */
    size_t user_len, tenant_len, device_len;
    char user[CRUMB_ID_MAX + 1];
    char tenant[CRUMB_ID_MAX + 1];
    char device[CRUMB_ID_MAX + 1];
    crumb_auth auth;
    size_t data_count;         /* number of application data entries */
    const uint8_t *data;       /* encoded entries (data_len bytes) */
    size_t data_len;
} crumb_payload;

/**
 * Encode a payload (version CRUMB_PAYLOAD_VERSION). The data region must be
 * canonical (as maintained by the session API, or empty).
 * @param[out] out_len  bytes written, or bytes needed on CRUMB_E_BUFSIZE
 * @return CRUMB_OK, CRUMB_E_BUFSIZE, CRUMB_E_INVALID (id too long, unknown
 *         auth state, malformed data region), CRUMB_E_TOO_LARGE (more than
 *         CRUMB_PAYLOAD_MAX bytes)
 */
CRUMB_EXPORT crumb_err crumb_payload_encode(const crumb_payload *p, uint8_t *out, size_t cap,
                                            size_t *out_len) CRUMB_WUR;

/**
 * Decode a payload strictly: every length is bounds-checked, trailing bytes,
 * unknown auth states, duplicate or unsorted data keys are rejected.
 * @note p->data points into in; in must outlive its use.
 * @return CRUMB_OK, CRUMB_E_PAYLOAD (malformed or truncated),
 *         CRUMB_E_VERSION (payload format newer than this library)
 */
CRUMB_EXPORT crumb_err crumb_payload_decode(crumb_payload *p, const uint8_t *in,
                                            size_t n) CRUMB_WUR;

/**
 * Iterate over an encoded data region (p->data, p->data_len).
 * @param[in,out] pos  start at 0
 * @return 1 with the entry in key/klen/val/vlen, 0 at the end or on a
 *         malformed region. key is not NUL-terminated.
 */
CRUMB_EXPORT int crumb_payload_data_next(const uint8_t *data, size_t data_len, size_t *pos,
                                         const char **key, size_t *klen,
                                         const uint8_t **val, size_t *vlen);

/* ==== Cookie headers ==================================================== */

#define CRUMB_COOKIE_LINE_MAX 4096u /* default limit for one Set-Cookie value */
#define CRUMB_CHUNKS_MAX 16u        /* most cookies one token may be split into */
#define CRUMB_IMF_FIXDATE_LEN 29u   /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* SameSite values. None forces Secure. */
typedef enum crumb_samesite {
    CRUMB_SAMESITE_LAX = 0,    /* default */
    CRUMB_SAMESITE_STRICT = 1,
    CRUMB_SAMESITE_NONE = 2,
    CRUMB_SAMESITE_OMIT = 3    /* send no SameSite attribute */
} crumb_samesite;

/* One name=value pair of a request Cookie header (pointers into it). */
typedef struct crumb_cookie_pair {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} crumb_cookie_pair;

/**
 * Iterate over the pairs of a request Cookie header as browsers send it
 * (RFC 6265 section 5.4): split on ';', then on the first '='; SP and HTAB
 * around names and values are trimmed; empty pairs are skipped; quotes are
 * kept as part of the value; a pair without '=' has an empty name. Any byte
 * (including non-ASCII) is accepted; nothing is allocated.
 * @param[in,out] pos  start at 0
 * @return 1 with the next pair in out, 0 at the end.
 */
CRUMB_EXPORT int crumb_cookie_next(const char *hdr, size_t len, size_t *pos,
                                   crumb_cookie_pair *out);

/**
 * Find the first pair named name (exact, case-sensitive).
 * @return CRUMB_OK, CRUMB_E_NOTFOUND
 */
CRUMB_EXPORT crumb_err crumb_cookie_find(const char *hdr, size_t len, const char *name,
                                         const char **value, size_t *value_len);

/* Attributes of a Set-Cookie line. */
typedef struct crumb_cookie_attrs {
    const char *name;     /* required: an RFC 7230 token, at most CRUMB_NAME_MAX - 3 */
    const char *path;     /* NULL = "/" */
    const char *domain;   /* NULL = host-only (no Domain attribute) */
    int secure;           /* 1 = Secure (forced by SameSite=None and the prefixes) */
    int http_only;        /* 1 = HttpOnly */
    int same_site;        /* crumb_samesite */
} crumb_cookie_attrs;

/**
 * Check attributes: name is a token; path/domain hold no ';' or controls;
 * "__Secure-" needs Secure; "__Host-" needs Secure, Path=/ and no Domain
 * (prefixes matched case-insensitively); SameSite=None needs Secure.
 * @return CRUMB_OK, CRUMB_E_INVALID
 */
CRUMB_EXPORT crumb_err crumb_cookie_check(const crumb_cookie_attrs *a) CRUMB_WUR;

/**
 * Build one Set-Cookie header value (without "Set-Cookie: ", NUL-terminated):
 * "name[suffix]=value; Path=..; Domain=..; Max-Age=N; Expires=<IMF-fixdate>;
 * Secure; HttpOnly; SameSite=..". max_age < 0 omits Max-Age and Expires (a
 * browser-session cookie); max_age 0 with now 0 gives a deletion line.
 * Expires is now + max_age. suffix may be NULL (used for chunks ".1").
 * @param[out] out_len  length without the NUL, or bytes needed (with the
 *                      NUL) on CRUMB_E_BUFSIZE
 * @return CRUMB_OK, CRUMB_E_BUFSIZE, CRUMB_E_INVALID (attributes refused by
 *         crumb_cookie_check, or value not cookie-octets)
 */
CRUMB_EXPORT crumb_err crumb_set_cookie(char *out, size_t cap, size_t *out_len,
                                        const crumb_cookie_attrs *a, const char *suffix,
                                        const char *value, size_t value_len, int64_t max_age,
                                        int64_t now) CRUMB_WUR;

/**
 * Build the deletion line for a cookie (empty value, Max-Age=0, Expires in
 * 1970, same Path/Domain/Secure/prefix attributes so the browser matches it).
 * @return as crumb_set_cookie
 */
CRUMB_EXPORT crumb_err crumb_delete_cookie(char *out, size_t cap, size_t *out_len,
                                           const crumb_cookie_attrs *a,
                                           const char *suffix) CRUMB_WUR;

/**
 * Format t (seconds since the epoch, proleptic Gregorian, years 0..9999) as
 * an IMF-fixdate (RFC 9110 section 5.6.7), 29 chars plus a NUL.
 * @return CRUMB_OK, CRUMB_E_INVALID (year outside 0..9999)
 */
CRUMB_EXPORT crumb_err crumb_imf_fixdate(char out[30], int64_t t) CRUMB_WUR;

/* ==== Session context (one per application, created at init) =========== */

typedef struct crumb_ctx crumb_ctx;
typedef struct crumb_session crumb_session;

/* Modes (crumb_ctx_config.mode); all three are implemented. The store modes
 * need crumb_ctx_config.store and .store_secret; docs/SECURITY.md has the
 * threat model of each (what holds against which attacker). */
#define CRUMB_MODE_STATELESS 0
#define CRUMB_MODE_STATELESS_STORE 1
#define CRUMB_MODE_SERVER 2

/* Compression (crumb_ctx_config.compress). Off by default: see
 * docs/SECURITY.md before turning it on. */
#define CRUMB_COMPRESS_OFF 0
#define CRUMB_COMPRESS_ON 1 /* deflate payloads of compress_threshold bytes or more */

/* What save does when the Set-Cookie line would exceed max_cookie_bytes. */
#define CRUMB_SIZE_ERROR 0    /* fail with CRUMB_E_TOO_LARGE (default) */
#define CRUMB_SIZE_COMPRESS 1 /* deflate, then fail if still too large */
#define CRUMB_SIZE_CHUNK 2    /* split into name, name.1, ... name.(N-1) */
#define CRUMB_SIZE_STORE 3    /* spill the data to the store (modes work) */

/* Application schema migration, called by crumb_session_load when a
 * session's app schema version is older than the configured one. Edit the
 * session through the session API. Return CRUMB_OK to keep the session (it
 * is re-issued on save), anything else to discard it (load then returns
 * that code with a fresh session). */
typedef crumb_err crumb_migrate_fn(void *ctx, crumb_session *s, uint32_t from_schema);

/* Context configuration. All-zero is a valid start: zero means "default". */
typedef struct crumb_ctx_config {
    /* cookie */
    const char *cookie_name;  /* required; "__Host-" prefix recommended */
    const char *path;         /* NULL = "/" */
    const char *domain;       /* NULL = host-only */
    int insecure;             /* 1 = omit Secure (plain-HTTP development only) */
    int script_readable;      /* 1 = omit HttpOnly */
    int same_site;            /* crumb_samesite; default Lax */
    int browser_session;      /* 1 = no Max-Age/Expires (cookie dies with the browser) */
    /* codec */
    const char *audience;     /* optional, bound into every token */
    unsigned accept_suites;   /* as crumb_codec_config */
    int seal_suite;           /* as crumb_codec_config */
    /* lifetimes, seconds (0 = default, in brackets) */
    int64_t absolute_lifetime;/* [86400] hard limit from issue */
    int64_t idle_timeout;     /* [1800] sliding; < 0 disables */
    int64_t renew_throttle;   /* [60] re-seal for idle renewal at most this often;
                                 must be below idle_timeout */
    int64_t clock_skew;       /* [30] tolerance on expiry checks; < 0 = none */
    int64_t max_future;       /* [= clock_skew] issued_at may be this far ahead */
    /* size */
    int compress;             /* CRUMB_COMPRESS_* */
    size_t compress_threshold;/* [256] bytes of payload before deflate is tried */
    size_t pad_block;         /* 0 = no padding; else pad plaintext to a multiple */
    int size_policy;          /* CRUMB_SIZE_* */
    size_t max_cookie_bytes;  /* [4096] limit for one Set-Cookie value */
    unsigned max_chunks;      /* [4] 2..CRUMB_CHUNKS_MAX for CRUMB_SIZE_CHUNK */
    size_t inflate_max;       /* [CRUMB_PAYLOAD_MAX] inflate output cap */
    unsigned inflate_ratio;   /* [64] max inflated/deflated size ratio */
    /* application */
    uint32_t app_schema;      /* current application schema version */
    crumb_migrate_fn *migrate;/* optional */
    void *migrate_ctx;
    /* hooks (as crumb_codec_config) */
    crumb_log_fn *log;
    void *log_ctx;
    crumb_random_fn *random;
    void *random_ctx;
    crumb_clock_fn *clock;
    void *clock_ctx;
    /* mode */
    int mode;                 /* CRUMB_MODE_* */
    struct crumb_store *store;/* required for the store modes; not owned */
    int64_t rotation_grace;   /* [10] seconds a token one generation behind
                                 is still served after a rotation */
    const uint8_t *store_secret; /* 32 bytes, required by the store modes
                                 (CRUMB_E_INVALID without): keys the session-id
                                 hashes the store sees and seals server-mode
                                 records. Independent of the key ring, so key
                                 rotation never changes it; keep it as long as
                                 the store's data (crumb_store_secret_load_file,
                                 `crumb keygen --store-secret FILE`). */
    int replay_keeps_devices; /* [0] a detected replay revokes the family AND the
                                 devices bound to it (seed 004); 1 = the family only */
    int device_reidentify;    /* [0] 1 = when a signed-in request has no device
                                 cookie, reuse the user's device row whose keyed
                                 fingerprint (crumb_session_set_client's User-Agent
                                 and IP prefix) matches, unless that device is
                                 REVOKED, instead of a new row. A convenience, not
                                 authentication: docs/STORE.md */
} crumb_ctx_config;

/**
 * Read a store secret file (as `crumb keygen --store-secret FILE` writes
 * it): one line of 64 hex digits. Like key files, a file that group or
 * others can read is refused.
 * @param[out] out   the 32-byte secret
 * @return CRUMB_OK, CRUMB_E_NOTFOUND, CRUMB_E_IO, CRUMB_E_INVALID (NULL
 *         argument, file readable by others), CRUMB_E_KEYFILE (malformed)
 */
CRUMB_EXPORT crumb_err crumb_store_secret_load_file(uint8_t out[32], const char *path) CRUMB_WUR;

/**
 * Create the application context: validates the config (cookie prefix
 * rules, lifetimes, size policy) and builds the codec (purpose "session").
 * Thread-safe after creation; does not reference kr or cfg's strings after
 * returning (they are copied).
 * @return CRUMB_OK, CRUMB_E_INVALID, CRUMB_E_UNAVAILABLE, CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_ctx_new(crumb_ctx **out, const crumb_keyring *kr,
                                     const crumb_ctx_config *cfg) CRUMB_WUR;

/* Release a context (NULL allowed). Sessions must be freed first. */
CRUMB_EXPORT void crumb_ctx_free(crumb_ctx *ctx);

/* The context's codec (for crumb_codec_now / crumb_codec_log). */
CRUMB_EXPORT const crumb_codec *crumb_ctx_codec(const crumb_ctx *ctx);

/* ==== Session API ======================================================= */

/**
 * Load the session from a request Cookie header (NULL or "" allowed). On
 * every return except CRUMB_E_INVALID, CRUMB_E_NOMEM, CRUMB_E_RANDOM and
 * CRUMB_E_UNSUPPORTED, *out is a usable session: the loaded one on CRUMB_OK,
 * otherwise a fresh anonymous one, and the code says why the cookie was
 * refused (the reason also goes to the log callback). Time checks run only
 * after the token authenticates.
 * Store modes add CRUMB_E_REVOKED (revoked, logged out, its device revoked,
 * or its server record gone), CRUMB_E_REPLAY (an older generation: the
 * family is now revoked), CRUMB_E_CORRUPT (a server record that does not
 * open under the store secret), and the store's own errors
 * (CRUMB_E_BACKEND, CRUMB_E_TIMEOUT, CRUMB_E_IO, ...) when it could not be
 * asked: then the session is fresh but save refuses with that same code,
 * so a store outage never overwrites a cookie that may be valid (answer
 * 503 and try again).
 * @return CRUMB_OK (loaded, or no cookie: fresh), CRUMB_E_AUTH,
 *         CRUMB_E_EXPIRED, CRUMB_E_FUTURE, CRUMB_E_VERSION, CRUMB_E_PAYLOAD,
 *         CRUMB_E_INFLATE, CRUMB_E_COOKIE (bad chunk set), CRUMB_E_TOO_LARGE,
 *         an error from the migrate hook, the store-mode codes above;
 *         CRUMB_E_INVALID, CRUMB_E_NOMEM, CRUMB_E_RANDOM,
 *         CRUMB_E_UNSUPPORTED (mode) with *out = NULL
 */
CRUMB_EXPORT crumb_err crumb_session_load(crumb_ctx *ctx, const char *cookie_header,
                                          crumb_session **out) CRUMB_WUR;

/**
 * Produce the Set-Cookie header values to send back (without "Set-Cookie: ").
 * Seals only when needed: the session changed, idle renewal is due (at most
 * once per renew_throttle), the schema was migrated, or the token was opened
 * under a decrypt-only key. Also deletes stale chunk cookies and, after
 * logout or for a refused cookie, the cookie itself. *count may be 0.
 * @param[out] lines  array of *count NUL-terminated lines, owned by the
 *                    session, valid until the next save or free
 * Store modes: CRUMB_E_CONFLICT (nothing written, no lines) when a
 * parallel request rotated the session or signed in first and this one
 * changed it: its changes are lost and the winner's cookie stands (retry
 * the action); the store's error when load could not reach the store.
 * @return CRUMB_OK, CRUMB_E_TOO_LARGE (see crumb_session_cookie_size),
 *         CRUMB_E_NOKEY, CRUMB_E_RANDOM, CRUMB_E_NOMEM, CRUMB_E_UNSUPPORTED,
 *         CRUMB_E_CONFLICT, CRUMB_E_REVOKED (rotating a revoked family),
 *         store errors
 */
CRUMB_EXPORT crumb_err crumb_session_save(crumb_session *s, const char *const **lines,
                                          size_t *count) CRUMB_WUR;

/* Size in bytes of the single Set-Cookie value the last save needed (set
 * also when it failed with CRUMB_E_TOO_LARGE); 0 before any seal. */
CRUMB_EXPORT size_t crumb_session_cookie_size(const crumb_session *s);

/**
 * Rotate: new random session id, generation + 1, same family (call on
 * privilege changes). Signing in (crumb_session_set_user with a different
 * user) goes further: new session id and a new family. Marks the session
 * for re-issue.
 * @return CRUMB_OK, CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_rotate(crumb_session *s) CRUMB_WUR;

/**
 * Log out: clear the session; the next save returns deletion lines. In the
 * store modes the session id is revoked for as long as any copy of the
 * cookie could be valid. The session is cleared whatever the result.
 * @return CRUMB_OK, CRUMB_E_INVALID, CRUMB_E_RANDOM, or the store error
 *         (the revocation was not recorded: a copied cookie may still work;
 *         tell the user, or retry)
 */
CRUMB_EXPORT crumb_err crumb_session_logout(crumb_session *s) CRUMB_WUR;

/* Release a session (NULL allowed); wipes its contents. */
CRUMB_EXPORT void crumb_session_free(crumb_session *s);

/* Read-only view of every field (times, ids, auth, data). Valid until the
 * session is modified or freed. */
CRUMB_EXPORT const crumb_payload *crumb_session_payload(const crumb_session *s);

/* 1 if this session was created by this load (no valid cookie), else 0. */
CRUMB_EXPORT int crumb_session_is_new(const crumb_session *s);

/**
 * Set (or clear with id NULL / len 0) the user, tenant or device id.
 * Setting a user id different from the current one is a login: the session
 * gets a new id and a new rotation family (fixation defence; in the store
 * modes the device is re-checked and a revoked one replaced on save).
 * In the store modes the library keeps its own device id (32 hex digits)
 * in the device field and checks revocation against it; an application
 * that sets another device id there takes that binding away (device
 * revocation then follows the device cookie the client sends).
 * @return CRUMB_OK, CRUMB_E_LIMIT (len > CRUMB_ID_MAX), CRUMB_E_INVALID (a
 *         NUL byte inside the id), CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_set_user(crumb_session *s, const char *id, size_t len) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_set_tenant(crumb_session *s, const char *id, size_t len) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_set_device(crumb_session *s, const char *id, size_t len) CRUMB_WUR;

/**
 * Replace the authentication state.
 * @return CRUMB_OK, CRUMB_E_INVALID (unknown state)
 */
CRUMB_EXPORT crumb_err crumb_session_set_auth(crumb_session *s, const crumb_auth *a) CRUMB_WUR;

/* 1 if the session is AUTHENTICATED and its authentication time is at most
 * max_age seconds ago (by the context clock), else 0: "re-authenticate if
 * the login is older than 10 minutes" is !crumb_session_auth_fresh(s, 600). */
CRUMB_EXPORT int crumb_session_auth_fresh(const crumb_session *s, int64_t max_age);

/**
 * Set an application data entry (key: 1..CRUMB_DATA_KEY_MAX bytes, NUL-
 * terminated; value: 0..CRUMB_DATA_VALUE_MAX bytes).
 * @return CRUMB_OK, CRUMB_E_INVALID (empty key), CRUMB_E_LIMIT (key, value,
 *         entry count or total payload over its limit), CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_session_set(crumb_session *s, const char *key, const void *val,
                                         size_t len) CRUMB_WUR;

/**
 * Get an entry. @note *val points into the session; valid until the next
 * modification or free.
 * @return CRUMB_OK, CRUMB_E_NOTFOUND
 */
CRUMB_EXPORT crumb_err crumb_session_get(const crumb_session *s, const char *key,
                                         const uint8_t **val, size_t *len) CRUMB_WUR;

/* Delete an entry. @return CRUMB_OK, CRUMB_E_NOTFOUND */
CRUMB_EXPORT crumb_err crumb_session_del(crumb_session *s, const char *key);

/* Iterate entries in key order (pos starts at 0; returns 0 at the end). Do
 * not modify the session while iterating. key is not NUL-terminated. */
CRUMB_EXPORT int crumb_session_next(const crumb_session *s, size_t *pos, const char **key,
                                    size_t *klen, const uint8_t **val, size_t *vlen);

/* ==== CGI helpers ======================================================= */

/* crumb_session_load with the HTTP_COOKIE environment variable. */
CRUMB_EXPORT crumb_err crumb_cgi_load(crumb_ctx *ctx, crumb_session **out) CRUMB_WUR;

/**
 * crumb_session_save, then write each line as "Set-Cookie: <line>\r\n" to
 * out (before the blank line that ends the CGI headers).
 * @return as crumb_session_save, plus CRUMB_E_IO (write failed)
 */
CRUMB_EXPORT crumb_err crumb_cgi_save(crumb_session *s, FILE *out) CRUMB_WUR;

/* ==== Session API: devices, "where you are logged in", revocation ======= */
/* These need a store (CRUMB_MODE_STATELESS_STORE or CRUMB_MODE_SERVER); in
 * CRUMB_MODE_STATELESS they return CRUMB_E_UNSUPPORTED. Handles are hex
 * strings that name a session or device to the application without
 * revealing a session id (a session handle is the keyed hash of the id). */

#define CRUMB_HANDLE_LEN 64u /* hex characters in a handle (plus NUL) */

/**
 * Describe the client for device tracking: the User-Agent gives the device
 * label ("Firefox on Linux"), the remote address a coarse prefix (/24 for
 * IPv4, /48 for IPv6). Call after load, before save. Strings are copied.
 * @return CRUMB_OK, CRUMB_E_INVALID
 */
CRUMB_EXPORT crumb_err crumb_session_set_client(crumb_session *s, const char *user_agent,
                                                const char *remote_ip) CRUMB_WUR;

/* One of the user's sessions. */
typedef struct crumb_session_entry {
    char handle[CRUMB_HANDLE_LEN + 1]; /* for crumb_session_revoke_session */
    char device[CRUMB_HANDLE_LEN + 1]; /* device handle, "" if none */
    char label[64];
    int64_t created, last_seen;
    int current; /* 1 = the session of this request */
} crumb_session_entry;

/* One of the user's devices. */
typedef struct crumb_device_entry {
    char handle[CRUMB_HANDLE_LEN + 1]; /* for crumb_session_revoke_device */
    char label[64];
    char ip_prefix[48];
    int trust; /* CRUMB_TRUST_* (crumb_store.h): 0 unknown, 1 seen, 2 trusted, 3 revoked */
    int64_t first_seen, last_seen;
    int current; /* 1 = the device of this request */
} crumb_device_entry;

/**
 * List the signed-in user's sessions / devices, newest first.
 * @param[out] n  entries available (may exceed cap: only cap are written)
 * @return CRUMB_OK, CRUMB_E_UNSUPPORTED (no store), CRUMB_E_NOSESSION (anonymous
 *         session), store errors
 */
CRUMB_EXPORT crumb_err crumb_session_list(crumb_session *s, crumb_session_entry *out, size_t cap,
                                          size_t *n) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_devices(crumb_session *s, crumb_device_entry *out,
                                             size_t cap, size_t *n) CRUMB_WUR;
/* As crumb_session_devices, but only the devices that are not revoked (the
 * store filters them; CRUMB_E_UNSUPPORTED if the store predates that). */
CRUMB_EXPORT crumb_err crumb_session_devices_active(crumb_session *s, crumb_device_entry *out,
                                                    size_t cap, size_t *n) CRUMB_WUR;

/**
 * End one of the user's sessions or devices (a device's sessions all end).
 * Only entries of the signed-in user (and tenant) can be named. Like every
 * revocation the session layer writes, it is kept until now + max_future +
 * absolute_lifetime + clock_skew: nothing it covers can outlive it.
 * @return CRUMB_OK, CRUMB_E_NOTFOUND, CRUMB_E_INVALID (malformed handle),
 *         CRUMB_E_UNSUPPORTED, CRUMB_E_NOSESSION, store errors
 */
CRUMB_EXPORT crumb_err crumb_session_revoke_session(crumb_session *s, const char *handle) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_revoke_device(crumb_session *s, const char *handle) CRUMB_WUR;

/**
 * "Log out other devices": revoke every session of this user issued before
 * now except this one. "Log out everywhere": all of them, this one too
 * (save then emits the deletion line).
 * @return CRUMB_OK, CRUMB_E_UNSUPPORTED, CRUMB_E_NOSESSION, store errors
 */
CRUMB_EXPORT crumb_err crumb_session_logout_others(crumb_session *s) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_logout_everywhere(crumb_session *s) CRUMB_WUR;

#ifdef __cplusplus
}
#endif
#endif /* CRUMB_H */
