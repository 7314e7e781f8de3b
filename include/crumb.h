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

#define CRUMB_VERSION_MAJOR 0
#define CRUMB_VERSION_MINOR 1
#define CRUMB_VERSION_STRING "0.1.0"

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
    CRUMB_E_INTERNAL = 28      /* 28 - internal error (a bug: please report) */
} crumb_err;

#define CRUMB_ERR_LAST CRUMB_E_INTERNAL

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
CRUMB_EXPORT void crumb_codec_log(const crumb_codec *c, int reason, int err, uint32_t key_id,
                                  uint8_t suite);

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
 * @return CRUMB_OK, CRUMB_E_AUTH, CRUMB_E_BUFSIZE (pt_len receives the size
 *         needed), CRUMB_E_TOO_LARGE (token longer than any valid token)
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
/* (sections appended by the session-model and modes work) */

#ifdef __cplusplus
}
#endif
#endif /* CRUMB_H */
