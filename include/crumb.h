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
 *    NULL. A constructor's output comes first: crumb_ctx_new(&ctx, ...),
 *    crumb_session_load(&s, ctx, cookie_header), crumb_cgi_load(&s, ctx).
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

/**
 * Message for an error code.
 * @param[in] err  a crumb_err (any int is accepted)
 * @return a static, human-readable message; "unknown error code" for a
 *         number outside the enum. Never NULL.
 * @note the string is static: never free it.
 */
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
    CRUMB_R_RESEAL = 21,          /* 21 - opened under a decrypt-only key */
    CRUMB_R_FINGERPRINT = 22      /* 22 - client fingerprint differs from the bound one */
} crumb_reason;

#define CRUMB_REASON_LAST CRUMB_R_FINGERPRINT

/**
 * Name of a log reason ("bad-tag", "expired-idle", ...).
 * @param[in] reason  a crumb_reason (any int is accepted)
 * @return a static name; "unknown-reason" outside the enum. Never NULL.
 * @note the string is static: never free it.
 */
CRUMB_EXPORT const char *crumb_reason_str(int reason);

/* What the log callback receives. Never contains key or token bytes. */
typedef struct crumb_event {
    crumb_reason reason; /* why */
    crumb_err err;       /* the code the caller receives */
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
    crumb_key_state state;
} crumb_key_info;

/**
 * Create an empty key ring in locked, non-dumpable memory.
 * @param[out] out  the new key ring (NULL on failure); free with
 *                  crumb_keyring_free
 * @return CRUMB_OK, CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_keyring_new(crumb_keyring **out) CRUMB_WUR;

/**
 * Add a key. Ids are 1..2^32-1 and unique. Adding a PRIMARY key when the
 * ring already has one demotes the old primary to DECRYPT_ONLY. The key
 * bytes are copied into the ring.
 * @param[in] kr     the ring
 * @param[in] id     key id, 1..2^32-1, not yet in the ring
 * @param[in] state  a crumb_key_state
 * @param[in] key    CRUMB_KEYBYTES key bytes
 * @return CRUMB_OK, CRUMB_E_INVALID (id 0, bad state), CRUMB_E_EXISTS (id
 *         taken), CRUMB_E_LIMIT (ring holds CRUMB_KEYRING_MAX keys)
 */
CRUMB_EXPORT crumb_err crumb_keyring_add(crumb_keyring *kr, uint32_t id, crumb_key_state state,
                                         const uint8_t key[32]) CRUMB_WUR;

/**
 * Change a key's state (PRIMARY demotes the previous primary).
 * @param[in] kr     the ring
 * @param[in] id     key id
 * @param[in] state  a crumb_key_state
 * @return CRUMB_OK, CRUMB_E_INVALID (bad state; checked first),
 *         CRUMB_E_NOTFOUND (no such id)
 */
CRUMB_EXPORT crumb_err crumb_keyring_set_state(crumb_keyring *kr, uint32_t id,
                                               crumb_key_state state) CRUMB_WUR;

/**
 * Remove a key and wipe it.
 * @param[in] kr  the ring
 * @param[in] id  key id
 * @return CRUMB_OK, CRUMB_E_NOTFOUND
 */
CRUMB_EXPORT crumb_err crumb_keyring_remove(crumb_keyring *kr, uint32_t id) CRUMB_WUR;

/**
 * Parse key-file text (format in docs/FORMAT.md, "Key files") into a new
 * ring. The text is not retained. A second primary, a duplicate id or more
 * than CRUMB_KEYRING_MAX keys is a malformed file.
 * @param[out] out   the new ring (NULL on failure); free with
 *                   crumb_keyring_free
 * @param[in]  text  the file's bytes (need not be NUL-terminated)
 * @param[in]  len   bytes in text (over 64 KiB is CRUMB_E_KEYFILE)
 * @param[out] line  if not NULL, the 1-based line of the first error (0 when
 *                   the error is not on a line: file too large)
 * @return CRUMB_OK, CRUMB_E_KEYFILE, CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_keyring_parse(crumb_keyring **out, const char *text, size_t len,
                                           size_t *line) CRUMB_WUR;

/**
 * Load a key file. Refuses files readable by group or others, symlinks and
 * non-regular files.
 * @param[out] out   the new ring (NULL on failure); free with
 *                   crumb_keyring_free
 * @param[in]  path  the key file
 * @return CRUMB_OK, CRUMB_E_NOTFOUND (no such file), CRUMB_E_IO (open, stat
 *         or read failed, a symlink or not a regular file),
 *         CRUMB_E_INVALID (file permissions too open), CRUMB_E_KEYFILE
 *         (malformed, over 64 KiB, or grew while read), CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_keyring_load_file(crumb_keyring **out, const char *path) CRUMB_WUR;

/**
 * Load keys from an environment variable (format in docs/FORMAT.md):
 * entries "<id>:<state>:<key>" separated by ','.
 * @param[out] out  the new ring (NULL on failure); free with
 *                  crumb_keyring_free
 * @param[in]  var  the variable's name
 * @return CRUMB_OK, CRUMB_E_NOTFOUND (variable unset), CRUMB_E_KEYFILE
 *         (malformed, empty, or over 64 KiB), CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_keyring_load_env(crumb_keyring **out, const char *var) CRUMB_WUR;

/**
 * Serialise the ring in key-file format (this output contains secrets: wipe
 * it after use). No NUL is written.
 * @param[in]  kr       the ring
 * @param[out] out      output characters
 * @param[in]  cap      capacity of out
 * @param[out] out_len  bytes written, or bytes needed on CRUMB_E_BUFSIZE
 * @return CRUMB_OK, CRUMB_E_BUFSIZE
 */
CRUMB_EXPORT crumb_err crumb_keyring_format(const crumb_keyring *kr, char *out, size_t cap,
                                            size_t *out_len) CRUMB_WUR;

/**
 * List keys (ids and states, never key bytes) in ascending id order.
 * @param[in]  kr   the ring
 * @param[out] out  up to cap entries
 * @param[in]  cap  capacity of out (0 to count only)
 * @return the number of keys in the ring (may exceed cap: only cap are
 *         written).
 */
CRUMB_EXPORT size_t crumb_keyring_list(const crumb_keyring *kr, crumb_key_info *out, size_t cap);

/**
 * Wipe and release a ring.
 * @param[in] kr  the ring (NULL allowed)
 */
CRUMB_EXPORT void crumb_keyring_free(crumb_keyring *kr);

/**
 * Fill key with CRUMB_KEYBYTES bytes straight from the OS random source.
 * @param[out] key  the new key
 * @return CRUMB_OK, CRUMB_E_RANDOM
 */
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

/**
 * Whether a suite is compiled into this build (suite 1 needs libsodium).
 * @param[in] suite  a CRUMB_SUITE_* number
 * @return 1 if available, else 0 (also for an unknown number).
 */
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
 * @param[out] out  the new codec (NULL on failure); free with
 *                  crumb_codec_free
 * @param[in]  kr   keys (not referenced after return)
 * @param[in]  cfg  settings; its strings are not referenced after return
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL kr or cfg, missing or oversized
 *         names, unknown seal suite or accept bits, accept_suites without
 *         the seal suite), CRUMB_E_UNAVAILABLE (an accepted suite is not
 *         compiled in), CRUMB_E_NOMEM, CRUMB_E_INTERNAL (key derivation
 *         failed)
 */
CRUMB_EXPORT crumb_err crumb_codec_new(crumb_codec **out, const crumb_keyring *kr,
                                       const crumb_codec_config *cfg) CRUMB_WUR;

/**
 * Wipe and release a codec.
 * @param[in] c  the codec (NULL allowed)
 */
CRUMB_EXPORT void crumb_codec_free(crumb_codec *c);

/**
 * The codec's clock.
 * @param[in] c  the codec
 * @return seconds since the epoch: the config clock, or time(NULL).
 */
CRUMB_EXPORT int64_t crumb_codec_now(const crumb_codec *c);

/**
 * Exact length in characters of the token crumb_seal produces for a
 * plaintext of pt_len bytes with the codec's seal suite.
 * @param[in] c       the codec
 * @param[in] pt_len  plaintext bytes
 * @return the token length (no NUL).
 */
CRUMB_EXPORT size_t crumb_token_len(const crumb_codec *c, size_t pt_len);

/**
 * Length of the binary token behind tok_len base64url characters; a
 * plaintext buffer of this size always suffices for crumb_open.
 * @param[in] tok_len  token characters
 * @return the buffer size crumb_open needs for that token.
 */
CRUMB_EXPORT size_t crumb_open_bufsize(size_t tok_len);

/**
 * Seal a plaintext into a base64url token (no NUL written). Allocates
 * nothing itself, except under suite 2 when libsodium's AES-GCM cannot run
 * (built without libsodium, or no AES-NI/PCLMUL): mbedTLS's GCM then
 * allocates a cipher context per call (its failure is CRUMB_E_INTERNAL).
 * Checks run in this order: flags, size, buffer, key.
 * @param[in]  c        the codec
 * @param[out] tok      output characters
 * @param[in]  cap      capacity of tok
 * @param[out] tok_len  characters written (or needed on CRUMB_E_BUFSIZE)
 * @param[in]  pt       plaintext
 * @param[in]  pt_len   plaintext bytes, at most CRUMB_PAYLOAD_MAX
 * @param[in]  flags    CRUMB_FLAG_* to record in the header (authenticated)
 * @return CRUMB_OK, CRUMB_E_INVALID (unknown flags), CRUMB_E_TOO_LARGE
 *         (pt_len > CRUMB_PAYLOAD_MAX), CRUMB_E_BUFSIZE, CRUMB_E_NOKEY (no
 *         primary key), CRUMB_E_RANDOM (nonce draw failed),
 *         CRUMB_E_INTERNAL (the cipher failed)
 */
CRUMB_EXPORT crumb_err crumb_seal(const crumb_codec *c, char *tok, size_t cap, size_t *tok_len,
                                  const uint8_t *pt, size_t pt_len, unsigned flags) CRUMB_WUR;

/**
 * Authenticate and decrypt a token. Allocates nothing itself, except for a
 * suite-2 token when libsodium's AES-GCM cannot run (as crumb_seal: mbedTLS's
 * GCM allocates a cipher context; its failure is CRUMB_E_AUTH, reason
 * CRUMB_R_BAD_TAG). Any failure to authenticate is CRUMB_E_AUTH; the
 * reason goes to the log callback.
 * @param[in]  c        the codec
 * @param[out] pt       plaintext; needs crumb_open_bufsize(tok_len) bytes
 *                      (wiped when the tag does not verify)
 * @param[in]  cap      capacity of pt
 * @param[out] pt_len   plaintext length (0 on failure; the size needed on
 *                      CRUMB_E_BUFSIZE)
 * @param[in]  tok      token characters
 * @param[in]  tok_len  token length
 * @param[out] info     optional (NULL allowed): key id, suite, flags, reseal
 * @return CRUMB_OK, CRUMB_E_AUTH (also for a token longer than any valid
 *         token, reason CRUMB_R_TOO_LARGE: that check comes first),
 *         CRUMB_E_BUFSIZE (checked before the token is decoded)
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
 * @param[in]  tok      token characters
 * @param[in]  tok_len  token length
 * @param[out] hdr      the header fields (zeroed first; may be partly
 *                       filled on failure)
 * @return CRUMB_OK, CRUMB_E_AUTH (not a well-formed v1 token: bad base64url,
 *         unknown version or suite, too short or too long)
 */
CRUMB_EXPORT crumb_err crumb_token_inspect(const char *tok, size_t tok_len,
                                           crumb_token_header *hdr) CRUMB_WUR;

/* ==== Utilities ========================================================= */

/**
 * Constant-time equality of two n-byte buffers.
 * @param[in] a  first buffer
 * @param[in] b  second buffer
 * @param[in] n  bytes to compare
 * @return 1 if equal, else 0.
 */
CRUMB_EXPORT int crumb_ct_equal(const void *a, const void *b, size_t n);

/**
 * Wipe n bytes in a way the compiler does not remove.
 * @param[out] p  the buffer (NULL allowed with any n)
 * @param[in]  n  bytes
 */
CRUMB_EXPORT void crumb_wipe(void *p, size_t n);

/**
 * Library version string (run-time twin of CRUMB_VERSION_STRING).
 * @return "MAJOR.MINOR.PATCH" of the linked library.
 * @note the string is static: never free it.
 */
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
    CRUMB_AUTH_PENDING = 3,       /* 3 - in a workflow (signup, password reset, ...) */
    CRUMB_AUTH_IDENTIFYING = 4    /* 4 - user (and tenant) known, no factor verified yet;
                                     payload v2 only */
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
    crumb_auth_state state;
    uint32_t factors;    /* IN_PROGRESS: completed; AUTHENTICATED: used */
    uint32_t remaining;  /* IN_PROGRESS: factors still required */
    uint32_t attempts;   /* IN_PROGRESS: failed attempts so far */
    uint32_t workflow;   /* PENDING: CRUMB_WORKFLOW_* or application value */
    int64_t time;        /* AUTHENTICATED: authentication time;
                            IN_PROGRESS / PENDING: when it started */
} crumb_auth;

/* ---- Payload v2 fields (docs/FORMAT.md, "Payload v2") --------------------
 * All zero means "none": a payload whose v2 fields are all zero (and whose
 * auth state is not IDENTIFYING) is written as v1, byte for byte as before. */
#define CRUMB_PAYLOAD_VERSION_MAX 2u /* newest payload version this library reads */
#define CRUMB_FINGERPRINT_BYTES 32u  /* keyed client fingerprint (HMAC-SHA-256) */
#define CRUMB_METHOD_MAX 63u         /* authentication method name, bytes */
#define CRUMB_FACTOR_SEQ_MAX 8u      /* factors in one authentication flow */

typedef struct crumb_payload_ext {
    int has_fingerprint;       /* 1 = the session is bound to a client */
    uint8_t fingerprint[CRUMB_FINGERPRINT_BYTES];
    int64_t lifetime;          /* per-session lifetime (seconds; 0 = context's) */
    int64_t idle;              /* per-session idle timeout (0 = context's, < 0 = none) */
    size_t method_len;         /* authentication method, e.g. "password+totp" */
    char method[CRUMB_METHOD_MAX + 1];
    size_t done_count;         /* factors verified, in completion order, as */
    uint8_t done[CRUMB_FACTOR_SEQ_MAX]; /* bit numbers (CRUMB_FACTOR_TOTP -> 1) */
    size_t left_count;         /* IN_PROGRESS: factors still to verify, in order */
    uint8_t left[CRUMB_FACTOR_SEQ_MAX];
    int64_t last_attempt;      /* IN_PROGRESS/AUTHENTICATED: last failed attempt (0 = none) */
    uint32_t step, steps;      /* PENDING: current step (0-based) of steps (0 = none) */
} crumb_payload_ext;

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
    crumb_payload_ext ext;     /* payload v2 fields (all zero in a v1 payload) */
    uint64_t reserved[8];      /* zero. Room to grow: a later field takes its
                                  bytes from here, so sizeof(crumb_payload)
                                  and the offsets above stay as they are */
} crumb_payload;

/**
 * Encode a payload: version 1 (CRUMB_PAYLOAD_VERSION), or version 2 when a
 * field of p->ext is set or the auth state is IDENTIFYING (p->version is
 * not read). The data region must be canonical (as maintained by the
 * session API, or empty).
 * @param[in]  p        the payload
 * @param[out] out      output bytes (NULL allowed with cap 0 to size)
 * @param[in]  cap      capacity of out
 * @param[out] out_len  bytes written, or bytes needed on CRUMB_E_BUFSIZE
 *                      (0 on the other errors)
 * @return CRUMB_OK, CRUMB_E_INVALID (id too long, unknown auth state,
 *         malformed data region, v2 fields inconsistent with the auth
 *         state: see docs/FORMAT.md), CRUMB_E_TOO_LARGE (more than
 *         CRUMB_PAYLOAD_MAX bytes), CRUMB_E_BUFSIZE
 */
CRUMB_EXPORT crumb_err crumb_payload_encode(const crumb_payload *p, uint8_t *out, size_t cap,
                                            size_t *out_len) CRUMB_WUR;

/**
 * Decode a payload (version 1 or 2) strictly: every length is
 * bounds-checked; trailing bytes, unknown auth states, duplicate or
 * unsorted data keys, times out of order (issued_at or idle_at after
 * expires_at) and breaches of the v2 rules of docs/FORMAT.md are rejected.
 * @param[out] p   the payload (all zero on failure, except p->version on
 *                  CRUMB_E_VERSION)
 * @param[in]  in  encoded bytes
 * @param[in]  n   their length
 * @return CRUMB_OK, CRUMB_E_PAYLOAD (malformed or truncated),
 *         CRUMB_E_VERSION (payload format newer than
 *         CRUMB_PAYLOAD_VERSION_MAX)
 * @note p->data points into in (borrowed, not copied): in must outlive
 *       every use of p->data.
 */
CRUMB_EXPORT crumb_err crumb_payload_decode(crumb_payload *p, const uint8_t *in,
                                            size_t n) CRUMB_WUR;

/**
 * Iterate over an encoded data region (p->data, p->data_len).
 * @param[in]     data      the region
 * @param[in]     data_len  its length
 * @param[in,out] pos       start at 0
 * @param[out]    key       the entry's key (not NUL-terminated)
 * @param[out]    klen      key length
 * @param[out]    val       the entry's value
 * @param[out]    vlen      value length
 * @return 1 with the entry in key/klen/val/vlen, 0 at the end or on a
 *         malformed region.
 * @note key and val point into data.
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
 * @param[in]     hdr  the header value (NULL allowed: no pairs)
 * @param[in]     len  its length
 * @param[in,out] pos  start at 0
 * @param[out]    out  the next pair
 * @return 1 with the next pair in out, 0 at the end.
 * @note out's pointers point into hdr.
 */
CRUMB_EXPORT int crumb_cookie_next(const char *hdr, size_t len, size_t *pos,
                                   crumb_cookie_pair *out);

/**
 * Find the first pair named name (exact, case-sensitive).
 * @param[in]  hdr        the header value (NULL allowed: not found)
 * @param[in]  len        its length
 * @param[in]  name       cookie name (NUL-terminated)
 * @param[out] value      the value (set only on CRUMB_OK)
 * @param[out] value_len  its length
 * @return CRUMB_OK, CRUMB_E_NOTFOUND
 * @note *value points into hdr (not NUL-terminated).
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
    crumb_samesite same_site;
} crumb_cookie_attrs;

/**
 * Check attributes: name is a token of at most CRUMB_NAME_MAX - 3 chars;
 * path/domain hold no ';' or controls, path starts with '/', domain is not
 * empty; same_site is a crumb_samesite; "__Secure-" needs Secure; "__Host-"
 * needs Secure, Path=/ and no Domain (prefixes matched case-insensitively);
 * SameSite=None needs Secure.
 * @param[in] a  the attributes (NULL is CRUMB_E_INVALID)
 * @return CRUMB_OK, CRUMB_E_INVALID
 */
CRUMB_EXPORT crumb_err crumb_cookie_check(const crumb_cookie_attrs *a) CRUMB_WUR;

/**
 * Build one Set-Cookie header value (without "Set-Cookie: ", NUL-terminated):
 * "name[suffix]=value; Path=..; Domain=..; Max-Age=N; Expires=<IMF-fixdate>;
 * Secure; HttpOnly; SameSite=..". max_age < 0 omits Max-Age and Expires (a
 * browser-session cookie); max_age 0 with now 0 gives a deletion line.
 * Expires is now + max_age (saturating).
 * @param[out] out        output characters
 * @param[in]  cap        capacity of out
 * @param[out] out_len    length without the NUL, or bytes needed (with the
 *                        NUL) on CRUMB_E_BUFSIZE
 * @param[in]  a          attributes (checked as by crumb_cookie_check)
 * @param[in]  suffix     NULL, or a token of at most 3 chars appended to the
 *                        name (chunks: ".1")
 * @param[in]  value      the cookie value
 * @param[in]  value_len  its length
 * @param[in]  max_age    seconds; < 0 = browser-session cookie
 * @param[in]  now        seconds since the epoch, for Expires
 * @return CRUMB_OK, CRUMB_E_BUFSIZE, CRUMB_E_INVALID (attributes refused by
 *         crumb_cookie_check, value not cookie-octets, bad suffix, Expires
 *         outside the years 0..9999)
 */
CRUMB_EXPORT crumb_err crumb_set_cookie(char *out, size_t cap, size_t *out_len,
                                        const crumb_cookie_attrs *a, const char *suffix,
                                        const char *value, size_t value_len, int64_t max_age,
                                        int64_t now) CRUMB_WUR;

/**
 * Build the deletion line for a cookie (empty value, Max-Age=0, Expires in
 * 1970, same Path/Domain/Secure/prefix attributes so the browser matches it).
 * @param[out] out      output characters
 * @param[in]  cap      capacity of out
 * @param[out] out_len  as crumb_set_cookie
 * @param[in]  a        attributes
 * @param[in]  suffix   as crumb_set_cookie
 * @return CRUMB_OK, CRUMB_E_BUFSIZE, CRUMB_E_INVALID (attributes refused by
 *         crumb_cookie_check, bad suffix)
 */
CRUMB_EXPORT crumb_err crumb_delete_cookie(char *out, size_t cap, size_t *out_len,
                                           const crumb_cookie_attrs *a,
                                           const char *suffix) CRUMB_WUR;

/* ==== Session context (one per application, created at init) =========== */

typedef struct crumb_ctx crumb_ctx;
typedef struct crumb_session crumb_session;

/* Modes (crumb_ctx_config.mode); all three are implemented. The store modes
 * need crumb_ctx_config.store and .store_secret; docs/SECURITY.md has the
 * threat model of each (what holds against which attacker). */
typedef enum crumb_mode {
    CRUMB_MODE_STATELESS = 0,       /* 0 - the token carries the session */
    CRUMB_MODE_STATELESS_STORE = 1, /* 1 - the token, checked against the store */
    CRUMB_MODE_SERVER = 2           /* 2 - the token names a store record */
} crumb_mode;

/* Compression (crumb_ctx_config.compress). Off by default: see
 * docs/SECURITY.md before turning it on. */
typedef enum crumb_compress {
    CRUMB_COMPRESS_OFF = 0, /* 0 - default */
    CRUMB_COMPRESS_ON = 1   /* 1 - deflate payloads of compress_threshold bytes or more */
} crumb_compress;

/* What save does when the Set-Cookie line would exceed max_cookie_bytes. */
typedef enum crumb_size_policy {
    CRUMB_SIZE_ERROR = 0,    /* 0 - fail with CRUMB_E_TOO_LARGE (default) */
    CRUMB_SIZE_COMPRESS = 1, /* 1 - deflate, then fail if still too large */
    CRUMB_SIZE_CHUNK = 2,    /* 2 - split into name, name.1, ... name.(N-1) */
    CRUMB_SIZE_STORE = 3     /* 3 - spill the data to the store (modes work) */
} crumb_size_policy;

/* Client-binding policy (crumb_ctx_config.fingerprint; the inputs and the
 * check are described with crumb_session_check_client). */
typedef enum crumb_fp_policy {
    CRUMB_FP_OFF = 0,    /* 0 - no binding (default) */
    CRUMB_FP_REFUSE = 1, /* 1 - a mismatch replaces the session */
    CRUMB_FP_REPORT = 2  /* 2 - a mismatch is reported, the session kept */
} crumb_fp_policy;

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
    crumb_samesite same_site; /* default Lax */
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
    crumb_compress compress;  /* [CRUMB_COMPRESS_OFF] */
    size_t compress_threshold;/* [256] bytes of payload before deflate is tried */
    size_t pad_block;         /* 0 = no padding; else pad plaintext to a multiple */
    crumb_size_policy size_policy; /* [CRUMB_SIZE_ERROR] */
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
    crumb_mode mode;          /* [CRUMB_MODE_STATELESS] */
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
    /* client binding and per-session lifetime (appended; 0 = off/default) */
    crumb_fp_policy fingerprint; /* [CRUMB_FP_OFF], CRUMB_FP_REFUSE, CRUMB_FP_REPORT */
    unsigned fingerprint_inputs; /* CRUMB_FP_USER_AGENT | CRUMB_FP_IP_PREFIX, or
                                 CRUMB_FP_APP alone; [CRUMB_FP_USER_AGENT] */
    const uint8_t *fingerprint_key; /* 32 bytes keying the fingerprint; NULL =
                                 derived from store_secret (then required) */
    int64_t session_lifetime; /* [absolute_lifetime] lifetime of a new session;
                                 crumb_session_set_lifetime overrides it per
                                 session, never beyond absolute_lifetime */
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
 * others can read is refused, and so are symlinks and non-regular files.
 * @param[out] out   the 32-byte secret
 * @param[in]  path  the file
 * @return CRUMB_OK, CRUMB_E_NOTFOUND, CRUMB_E_IO (open, stat or read failed,
 *         a symlink or not a regular file), CRUMB_E_INVALID (NULL argument,
 *         file readable by others), CRUMB_E_KEYFILE (malformed)
 */
CRUMB_EXPORT crumb_err crumb_store_secret_load_file(uint8_t out[32], const char *path) CRUMB_WUR;

/**
 * Create the application context: validates the config (cookie prefix
 * rules, lifetimes, size policy, mode, store and store secret in the store
 * modes) and builds the codec (purpose "session"; in the store modes also
 * the device-cookie codec). Thread-safe after creation; does not reference
 * kr or cfg's strings and store secret after returning (they are copied);
 * cfg->store is referenced, not owned.
 * @param[out] out  the new context (NULL on failure); free with
 *                  crumb_ctx_free after every session
 * @param[in]  kr   keys
 * @param[in]  cfg  the configuration (zero fields = defaults)
 * @return CRUMB_OK, CRUMB_E_INVALID, CRUMB_E_UNAVAILABLE (an accepted suite
 *         is not compiled in), CRUMB_E_NOMEM, CRUMB_E_INTERNAL (key
 *         derivation failed)
 */
CRUMB_EXPORT crumb_err crumb_ctx_new(crumb_ctx **out, const crumb_keyring *kr,
                                     const crumb_ctx_config *cfg) CRUMB_WUR;

/**
 * Release a context. Sessions must be freed first.
 * @param[in] ctx  the context (NULL allowed)
 */
CRUMB_EXPORT void crumb_ctx_free(crumb_ctx *ctx);

/**
 * The context's session codec (for crumb_codec_now).
 * @param[in] ctx  the context
 * @return the codec.
 * @note owned by the context: valid until crumb_ctx_free; never free it.
 */
CRUMB_EXPORT const crumb_codec *crumb_ctx_codec(const crumb_ctx *ctx);

/* ==== Session API ======================================================= */

/**
 * Load the session from a request Cookie header. On every return *out is a
 * usable session except when it could not be created: then *out is NULL and
 * the code is CRUMB_E_INVALID (NULL ctx or out), CRUMB_E_NOMEM or
 * CRUMB_E_RANDOM (check *out, not the code). Otherwise *out is the loaded
 * session on CRUMB_OK, else a fresh anonymous one, and the code says why the
 * cookie was refused (the reason also goes to the log callback). Time checks
 * run only after the token authenticates.
 * Store modes add CRUMB_E_REVOKED (revoked, logged out, its device revoked,
 * or its server record gone), CRUMB_E_REPLAY (an older generation: the
 * family is now revoked), CRUMB_E_CORRUPT (a server record that does not
 * open under the store secret, or the store's own), and the store's errors
 * when it could not be asked (CRUMB_E_BACKEND, CRUMB_E_TIMEOUT, CRUMB_E_IO,
 * CRUMB_E_NOSPC, CRUMB_E_NOMEM, CRUMB_E_UNSUPPORTED): then the session is
 * fresh but save refuses with that same code, so a store outage never
 * overwrites a cookie that may be valid (answer 503 and try again). The
 * same holds in every mode for CRUMB_E_NOMEM with a session handed back:
 * the cookie could not be judged, so save refuses with CRUMB_E_NOMEM.
 * @param[out] out            the session; free with crumb_session_free
 * @param[in]  ctx            the context
 * @param[in]  cookie_header  the request's Cookie header (NULL or "" = none)
 * @return CRUMB_OK (loaded, or no cookie: fresh), CRUMB_E_AUTH,
 *         CRUMB_E_EXPIRED, CRUMB_E_FUTURE, CRUMB_E_VERSION (payload format
 *         or application schema newer), CRUMB_E_PAYLOAD, CRUMB_E_INFLATE,
 *         CRUMB_E_COOKIE (bad chunk set), CRUMB_E_TOO_LARGE, CRUMB_E_NOMEM,
 *         any code the migrate hook returns; store modes: CRUMB_E_REVOKED,
 *         CRUMB_E_REPLAY, CRUMB_E_CORRUPT, CRUMB_E_BACKEND, CRUMB_E_TIMEOUT,
 *         CRUMB_E_IO, CRUMB_E_NOSPC, CRUMB_E_UNSUPPORTED, CRUMB_E_INVALID
 *         (the store refused an argument); with *out = NULL:
 *         CRUMB_E_INVALID, CRUMB_E_NOMEM, CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_load(crumb_session **out, crumb_ctx *ctx,
                                          const char *cookie_header) CRUMB_WUR;

/**
 * Produce the Set-Cookie header values to send back (without "Set-Cookie: ").
 * Seals only when needed: the session changed, idle renewal is due (at most
 * once per renew_throttle), the schema was migrated, or the token was opened
 * under a decrypt-only key. Also deletes stale chunk cookies and, after
 * logout or for a refused cookie, the cookie itself. *count may be 0.
 * Store modes: CRUMB_E_CONFLICT (nothing written, no lines) when a
 * parallel request rotated the session or signed in first and this one
 * changed it: its changes are lost and the winner's cookie stands (retry
 * the action); the store's error when load could not reach the store.
 * @param[in]  s      the session
 * @param[out] lines  array of *count NUL-terminated lines
 * @param[out] count  number of lines (0 on every error)
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL argument, a payload or cookie
 *         attribute the encoder refuses), CRUMB_E_TOO_LARGE (see
 *         crumb_session_cookie_size), CRUMB_E_NOKEY, CRUMB_E_RANDOM,
 *         CRUMB_E_NOMEM, CRUMB_E_INTERNAL; store modes: CRUMB_E_CONFLICT,
 *         CRUMB_E_REVOKED (rotating a revoked family), CRUMB_E_NOTFOUND (the
 *         server record vanished under a server-mode save),
 *         CRUMB_E_UNAVAILABLE (sealing the server record failed),
 *         CRUMB_E_BUFSIZE (device cookie line over 512 bytes: very long
 *         Path/Domain), and the store's CRUMB_E_IO, CRUMB_E_NOSPC,
 *         CRUMB_E_CORRUPT, CRUMB_E_TIMEOUT, CRUMB_E_BACKEND,
 *         CRUMB_E_UNSUPPORTED, CRUMB_E_INVALID
 * @note lines and the strings are owned by the session: valid until the
 *       next save or crumb_session_free.
 */
CRUMB_EXPORT crumb_err crumb_session_save(crumb_session *s, const char *const **lines,
                                          size_t *count) CRUMB_WUR;

/**
 * Size in bytes of the single Set-Cookie value the last save needed (set
 * also when it failed with CRUMB_E_TOO_LARGE).
 * @param[in] s  the session
 * @return the size; 0 before any seal (or for a NULL s).
 */
CRUMB_EXPORT size_t crumb_session_cookie_size(const crumb_session *s);

/**
 * Rotate: new random session id, generation + 1, same family, times
 * restarted (call on privilege changes). Signing in (crumb_session_set_user
 * with a different user) goes further: new session id and a new family.
 * Marks the session for re-issue.
 * @param[in] s  the session
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL s), CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_rotate(crumb_session *s) CRUMB_WUR;

/**
 * Log out: clear the session; the next save returns deletion lines. In the
 * store modes the session id is revoked for as long as any copy of the
 * cookie could be valid. The session is cleared whatever the result.
 * @param[in] s  the session
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL s), CRUMB_E_RANDOM; store modes:
 *         the store error (the revocation was not recorded: a copied cookie
 *         may still work; tell the user, or retry): CRUMB_E_NOMEM,
 *         CRUMB_E_IO, CRUMB_E_NOSPC, CRUMB_E_CORRUPT, CRUMB_E_TIMEOUT,
 *         CRUMB_E_BACKEND, CRUMB_E_UNSUPPORTED, CRUMB_E_INVALID; also the
 *         outage code load returned, when load could not reach the store
 */
CRUMB_EXPORT crumb_err crumb_session_logout(crumb_session *s) CRUMB_WUR;

/**
 * Release a session; wipes its contents.
 * @param[in] s  the session (NULL allowed)
 */
CRUMB_EXPORT void crumb_session_free(crumb_session *s);

/**
 * Read-only view of every field (times, ids, auth, data).
 * @param[in] s  the session
 * @return the session's payload (NULL for a NULL s).
 * @note owned by the session: valid until the session is modified or
 *       freed.
 */
CRUMB_EXPORT const crumb_payload *crumb_session_payload(const crumb_session *s);

/**
 * Whether this session was created by this load (no valid cookie).
 * @param[in] s  the session
 * @return 1 if new (or s is NULL), else 0.
 */
CRUMB_EXPORT int crumb_session_is_new(const crumb_session *s);

/**
 * Set (or clear with id NULL / len 0) the user, tenant or device id; the
 * bytes are copied. Setting a user id different from the current one is a
 * login: the session gets a new id and a new rotation family (fixation
 * defence; in the store modes the device is re-checked and a revoked one
 * replaced on save).
 * In the store modes the library keeps its own device id (32 hex digits)
 * in the device field and checks revocation against it; an application
 * that sets another device id there takes that binding away (device
 * revocation then follows the device cookie the client sends).
 * The auth state follows the user: a different user resets it to
 * IDENTIFYING (factor progress, workflow step and client binding cleared);
 * clearing the user makes it ANONYMOUS and clears the tenant.
 * @param[in] s    the session
 * @param[in] id   the id bytes (NULL = clear)
 * @param[in] len  their length, 0..CRUMB_ID_MAX
 * @return CRUMB_OK, CRUMB_E_LIMIT (len > CRUMB_ID_MAX), CRUMB_E_INVALID (NULL
 *         s, a NUL byte inside the id), CRUMB_E_RANDOM (set_user only: the
 *         login's new ids)
 */
CRUMB_EXPORT crumb_err crumb_session_set_user(crumb_session *s, const char *id, size_t len) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_set_tenant(crumb_session *s, const char *id, size_t len) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_set_device(crumb_session *s, const char *id, size_t len) CRUMB_WUR;

/**
 * Replace the authentication state. ANONYMOUS clears the user and tenant;
 * IDENTIFYING needs a user; AUTHENTICATED binds the session to the client
 * when the fingerprint guard is on and the client was described (see
 * crumb_session_check_client). Factor progress that no longer matches the
 * bitmasks, and a workflow step outside PENDING, are dropped.
 * @param[in] s  the session
 * @param[in] a  the new state
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL s or a, unknown state;
 *         IDENTIFYING without a user)
 */
CRUMB_EXPORT crumb_err crumb_session_set_auth(crumb_session *s, const crumb_auth *a) CRUMB_WUR;

/**
 * Whether the login is recent: "re-authenticate if the login is older than
 * 10 minutes" is !crumb_session_auth_fresh(s, 600).
 * @param[in] s        the session
 * @param[in] max_age  seconds
 * @return 1 if the session is AUTHENTICATED and its authentication time is
 *         at most max_age seconds ago (and not in the future) by the context
 *         clock, else 0.
 */
CRUMB_EXPORT int crumb_session_auth_fresh(const crumb_session *s, int64_t max_age);

/**
 * Set an application data entry (key: 1..CRUMB_DATA_KEY_MAX bytes, NUL-
 * terminated; value: 0..CRUMB_DATA_VALUE_MAX bytes). Both are copied.
 * @param[in] s    the session
 * @param[in] key  the key
 * @param[in] val  the value (NULL allowed when len is 0)
 * @param[in] len  value length
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL s, empty or NULL key, NULL val with
 *         len > 0), CRUMB_E_LIMIT (key, value, entry count or total payload
 *         over its limit), CRUMB_E_NOMEM
 */
CRUMB_EXPORT crumb_err crumb_session_set(crumb_session *s, const char *key, const void *val,
                                         size_t len) CRUMB_WUR;

/**
 * Get an entry.
 * @param[in]  s    the session
 * @param[in]  key  the key (NUL-terminated)
 * @param[out] val  the value (set only on CRUMB_OK)
 * @param[out] len  its length
 * @return CRUMB_OK, CRUMB_E_NOTFOUND (also for an empty or NULL key),
 *         CRUMB_E_INVALID (NULL s, val or len)
 * @note *val points into the session: valid until the next modification
 *       or free.
 */
CRUMB_EXPORT crumb_err crumb_session_get(const crumb_session *s, const char *key,
                                         const uint8_t **val, size_t *len) CRUMB_WUR;

/**
 * Delete an entry (its bytes are wiped).
 * @param[in] s    the session
 * @param[in] key  the key (NUL-terminated)
 * @return CRUMB_OK, CRUMB_E_NOTFOUND (also for an empty or NULL key),
 *         CRUMB_E_INVALID (NULL s)
 */
CRUMB_EXPORT crumb_err crumb_session_del(crumb_session *s, const char *key);

/**
 * Iterate entries in key order. Do not modify the session while iterating.
 * @param[in]     s     the session
 * @param[in,out] pos   start at 0
 * @param[out]    key   the entry's key (not NUL-terminated)
 * @param[out]    klen  key length
 * @param[out]    val   the value
 * @param[out]    vlen  value length
 * @return 1 with the next entry, 0 at the end (or for a NULL s or pos).
 * @note key and val point into the session: valid until the next
 *       modification or free.
 */
CRUMB_EXPORT int crumb_session_next(const crumb_session *s, size_t *pos, const char **key,
                                    size_t *klen, const uint8_t **val, size_t *vlen);

/* ==== CGI helpers ======================================================= */

/**
 * crumb_session_load with the HTTP_COOKIE environment variable, then
 * crumb_session_check_client with HTTP_USER_AGENT and REMOTE_ADDR (so the
 * fingerprint guard runs). An application using CRUMB_FP_APP calls
 * crumb_session_check_client itself.
 * @param[out] out  as crumb_session_load
 * @param[in]  ctx  the context
 * @return as crumb_session_load: CRUMB_OK, CRUMB_E_AUTH (also: the
 *         fingerprint guard refused the client), CRUMB_E_EXPIRED,
 *         CRUMB_E_FUTURE, CRUMB_E_VERSION, CRUMB_E_PAYLOAD, CRUMB_E_INFLATE,
 *         CRUMB_E_COOKIE, CRUMB_E_TOO_LARGE, CRUMB_E_NOMEM, the migrate
 *         hook's code, CRUMB_E_REVOKED, CRUMB_E_REPLAY, CRUMB_E_CORRUPT,
 *         CRUMB_E_BACKEND, CRUMB_E_TIMEOUT, CRUMB_E_IO, CRUMB_E_NOSPC,
 *         CRUMB_E_UNSUPPORTED, CRUMB_E_INVALID, CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_cgi_load(crumb_session **out, crumb_ctx *ctx) CRUMB_WUR;

/**
 * crumb_session_save, then write each line as "Set-Cookie: <line>\r\n" to
 * out (before the blank line that ends the CGI headers).
 * @param[in] s    the session
 * @param[in] out  the stream
 * @return as crumb_session_save (CRUMB_OK, CRUMB_E_INVALID, CRUMB_E_TOO_LARGE,
 *         CRUMB_E_NOKEY, CRUMB_E_RANDOM, CRUMB_E_NOMEM, CRUMB_E_INTERNAL,
 *         CRUMB_E_CONFLICT, CRUMB_E_REVOKED, CRUMB_E_NOTFOUND,
 *         CRUMB_E_UNAVAILABLE, CRUMB_E_BUFSIZE, CRUMB_E_IO, CRUMB_E_NOSPC,
 *         CRUMB_E_CORRUPT, CRUMB_E_TIMEOUT, CRUMB_E_BACKEND,
 *         CRUMB_E_UNSUPPORTED), plus CRUMB_E_INVALID (NULL out) and
 *         CRUMB_E_IO (write failed)
 */
CRUMB_EXPORT crumb_err crumb_cgi_save(crumb_session *s, FILE *out) CRUMB_WUR;

/* ==== Session API: devices, "where you are logged in", revocation ======= */
/* These need a store (CRUMB_MODE_STATELESS_STORE or CRUMB_MODE_SERVER); in
 * CRUMB_MODE_STATELESS they return CRUMB_E_UNSUPPORTED (crumb_session_set_client
 * excepted: it works in every mode). Handles are hex
 * strings that name a session or device to the application without
 * revealing a session id (a session handle is the keyed hash of the id). */

#define CRUMB_HANDLE_LEN 64u /* hex characters in a handle (plus NUL) */

/**
 * Describe the client for device tracking: the User-Agent gives the device
 * label ("Firefox on Linux"), the remote address a coarse prefix (/24 for
 * IPv4, /48 for IPv6). Call after load, before save. Only the label and
 * prefix are kept. Unlike the rest of this section it works (and does
 * nothing useful) in CRUMB_MODE_STATELESS.
 * @param[in] s           the session
 * @param[in] user_agent  the User-Agent header (NULL allowed)
 * @param[in] remote_ip   the client address (NULL allowed)
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL s)
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

/* Most devices crumb_session_devices(_active) report (the newest). */
#define CRUMB_DEVICE_LIST_MAX 64

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
 * List the signed-in user's sessions / devices, newest first. Sessions a
 * revocation already ended are left out.
 * @param[in]  s    the session
 * @param[out] out  up to cap entries
 * @param[in]  cap  capacity of out
 * @param[out] n    entries available (may exceed cap: only cap are
 *                  written). crumb_session_list looks at the 16 newest
 *                  index entries only, so its n is at most 16; the device
 *                  lists at the CRUMB_DEVICE_LIST_MAX newest devices.
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL s), CRUMB_E_UNSUPPORTED (no
 *         store, or the store lacks the method), CRUMB_E_NOSESSION
 *         (anonymous session), and the store's CRUMB_E_NOMEM, CRUMB_E_IO,
 *         CRUMB_E_NOSPC, CRUMB_E_CORRUPT, CRUMB_E_TIMEOUT, CRUMB_E_BACKEND,
 *         CRUMB_E_INVALID
 */
CRUMB_EXPORT crumb_err crumb_session_list(crumb_session *s, crumb_session_entry *out, size_t cap,
                                          size_t *n) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_devices(crumb_session *s, crumb_device_entry *out,
                                             size_t cap, size_t *n) CRUMB_WUR;
/**
 * As crumb_session_devices, but only the devices that are not revoked (the
 * store filters them).
 * @param[in]  s    the session
 * @param[out] out  up to cap entries
 * @param[in]  cap  capacity of out
 * @param[out] n    entries available (at most CRUMB_DEVICE_LIST_MAX)
 * @return as crumb_session_devices; CRUMB_E_UNSUPPORTED also when the
 *         store's method table predates active-device listing
 */
CRUMB_EXPORT crumb_err crumb_session_devices_active(crumb_session *s, crumb_device_entry *out,
                                                    size_t cap, size_t *n) CRUMB_WUR;

/**
 * End one of the user's sessions or devices (a device's sessions all end).
 * Only entries of the signed-in user (and tenant) can be named; a session
 * must be among the user's 64 newest index entries. Like every revocation
 * the session layer writes, it is kept until now + max_future +
 * absolute_lifetime + clock_skew: nothing it covers can outlive it.
 * @param[in] s       the session of the signed-in user
 * @param[in] handle  a handle from crumb_session_list / crumb_session_devices
 * @return CRUMB_OK, CRUMB_E_NOTFOUND (revoke_session: not the user's
 *         session; revoke_device: the store has no trust record for the
 *         device, the revocation itself is recorded), CRUMB_E_INVALID (NULL
 *         s, malformed handle), CRUMB_E_UNSUPPORTED, CRUMB_E_NOSESSION, and
 *         the store's CRUMB_E_NOMEM, CRUMB_E_IO, CRUMB_E_NOSPC,
 *         CRUMB_E_CORRUPT, CRUMB_E_TIMEOUT, CRUMB_E_BACKEND, CRUMB_E_INVALID
 */
CRUMB_EXPORT crumb_err crumb_session_revoke_session(crumb_session *s, const char *handle) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_revoke_device(crumb_session *s, const char *handle) CRUMB_WUR;

/**
 * "Log out other devices": revoke every session of this user issued before
 * now except this one. "Log out everywhere": all of them, this one too
 * (as crumb_session_logout; save then emits the deletion line).
 * @param[in] s  the session of the signed-in user
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL s), CRUMB_E_UNSUPPORTED,
 *         CRUMB_E_NOSESSION, the store's CRUMB_E_NOMEM, CRUMB_E_IO,
 *         CRUMB_E_NOSPC, CRUMB_E_CORRUPT, CRUMB_E_TIMEOUT, CRUMB_E_BACKEND,
 *         CRUMB_E_INVALID; logout_everywhere also CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_logout_others(crumb_session *s) CRUMB_WUR;
CRUMB_EXPORT crumb_err crumb_session_logout_everywhere(crumb_session *s) CRUMB_WUR;

/* ==== Session API: client binding, authentication flow, lifetime ======= */
/* Client binding (docs/SECURITY.md, "Client fingerprint"): when the session
 * becomes AUTHENTICATED after the client was described in the same request,
 * it records a keyed fingerprint (HMAC-SHA-256 under fingerprint_key) of
 * the inputs the config names; each later request describes its client
 * again and the fingerprint is compared (constant time). A mismatch is
 * logged with CRUMB_R_FINGERPRINT and, with CRUMB_FP_REFUSE, the session is
 * replaced by a fresh anonymous one; with CRUMB_FP_REPORT it is kept and
 * crumb_session_fingerprint reports the mismatch. Under CRUMB_FP_REFUSE,
 * crumb_session_save of a bound session whose client was not checked in
 * this request fails closed with CRUMB_E_AUTH (crumb_cgi_load checks). */

/* Policies: crumb_fp_policy (CRUMB_FP_OFF, _REFUSE, _REPORT) above. Inputs: */
#define CRUMB_FP_USER_AGENT 0x1u /* the User-Agent string, verbatim */
#define CRUMB_FP_IP_PREFIX 0x2u  /* the /24 (IPv4) or /48 (IPv6) prefix */
#define CRUMB_FP_APP 0x4u        /* the application's own value only */

/* Results of the fingerprint check (crumb_session_fingerprint). */
typedef enum crumb_fp_status {
    CRUMB_FP_UNCHECKED = 0, /* 0 - guard off, or no client described yet */
    CRUMB_FP_UNBOUND = 1,   /* 1 - the session is not bound to a client */
    CRUMB_FP_MATCH = 2,     /* 2 - same client as at authentication */
    CRUMB_FP_MISMATCH = 3   /* 3 - different client: refused or reported */
} crumb_fp_status;

/**
 * Describe the client and run the fingerprint check (call once per request,
 * after load). Also does what crumb_session_set_client does.
 * @param[in] user_agent  User-Agent header (NULL = "")
 * @param[in] remote_ip   client address (NULL = "")
 * @param[in] app         the application's value for CRUMB_FP_APP (NULL
 *                        allowed otherwise)
 * @param[in] app_len     its length in bytes (at most 4096)
 * @param[in] s           the session (after load)
 * @return CRUMB_OK (match, unbound, guard off, or a reported mismatch),
 *         CRUMB_E_AUTH (CRUMB_FP_REFUSE and a mismatch: the session is now
 *         a fresh anonymous one), CRUMB_E_INVALID (NULL s, CRUMB_FP_APP
 *         without a value, app_len over 4096), CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_check_client(crumb_session *s, const char *user_agent,
                                                  const char *remote_ip, const void *app,
                                                  size_t app_len) CRUMB_WUR;

/**
 * The fingerprint check's result for this request.
 * @param[in] s  the session
 * @return a crumb_fp_status: CRUMB_FP_UNCHECKED (guard off, no client
 *         described yet, or s NULL), CRUMB_FP_UNBOUND, CRUMB_FP_MATCH,
 *         CRUMB_FP_MISMATCH
 */
CRUMB_EXPORT int crumb_session_fingerprint(const crumb_session *s);

/**
 * Username-first sign-in: the user (and tenant) are known, nothing is
 * verified yet (CRUMB_AUTH_IDENTIFYING). A different user is a login
 * (new session id and family, as crumb_session_set_user); factor progress
 * and the client binding are cleared.
 * @param[in] s           the session
 * @param[in] user        the user id bytes (not empty)
 * @param[in] user_len    their length, 1..CRUMB_ID_MAX
 * @param[in] tenant      the tenant id bytes (NULL = none)
 * @param[in] tenant_len  their length, 0..CRUMB_ID_MAX
 * @return CRUMB_OK, CRUMB_E_INVALID (NULL or empty user), CRUMB_E_LIMIT,
 *         CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_identify(crumb_session *s, const char *user, size_t user_len,
                                              const char *tenant, size_t tenant_len) CRUMB_WUR;

/**
 * Start a multi-factor flow for the identified user (CRUMB_AUTH_IN_PROGRESS):
 * method names it ("password+totp"), factors lists the CRUMB_FACTOR_* bits
 * to verify, in order, each once.
 * @param[in] s        the session (user known)
 * @param[in] method   name of the method, NUL-terminated
 * @param[in] factors  the CRUMB_FACTOR_* bits to verify, in order
 * @param[in] n        how many (1..CRUMB_FACTOR_SEQ_MAX)
 * @return CRUMB_OK, CRUMB_E_NOSESSION (no user), CRUMB_E_INVALID (NULL,
 *         n == 0, a value that is not one bit, a repeated factor),
 *         CRUMB_E_LIMIT (n > CRUMB_FACTOR_SEQ_MAX, method over
 *         CRUMB_METHOD_MAX)
 */
CRUMB_EXPORT crumb_err crumb_session_begin_auth(crumb_session *s, const char *method,
                                                const uint32_t *factors, size_t n) CRUMB_WUR;

/**
 * Record a verified factor: it moves from the remaining list to the
 * completed list (order kept). When none remain the session becomes
 * AUTHENTICATED (time = now), is rotated (new session id) and is bound to
 * the client if the guard is on and the client was described.
 * @param[in]  s         the session (IN_PROGRESS)
 * @param[in]  factor    the CRUMB_FACTOR_* bit just verified
 * @param[out] complete  optional: 1 if authentication completed
 * @return CRUMB_OK, CRUMB_E_INVALID (not IN_PROGRESS, factor not remaining),
 *         CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_session_factor_done(crumb_session *s, uint32_t factor,
                                                 int *complete) CRUMB_WUR;

/**
 * Record a failed attempt (counter + 1, saturating; time of the attempt).
 * @param[in] s  the session (IN_PROGRESS)
 * @return CRUMB_OK, CRUMB_E_INVALID (not IN_PROGRESS)
 */
CRUMB_EXPORT crumb_err crumb_session_factor_failed(crumb_session *s) CRUMB_WUR;

/**
 * Enter (or advance) a post-authentication workflow (CRUMB_AUTH_PENDING):
 * step (0-based) of steps. The user must be known.
 * @param[in] s         the session (user known)
 * @param[in] workflow  the application's workflow number
 * @param[in] step      the current step, 0-based
 * @param[in] steps     how many steps the workflow has
 * @return CRUMB_OK, CRUMB_E_NOSESSION (no user), CRUMB_E_INVALID (steps == 0,
 *         step >= steps)
 */
CRUMB_EXPORT crumb_err crumb_session_set_workflow(crumb_session *s, uint32_t workflow,
                                                  uint32_t step, uint32_t steps) CRUMB_WUR;

/**
 * Per-session lifetime ("remember me"): the session now ends lifetime
 * seconds after it was issued, at most the context's absolute_lifetime (a
 * longer value is capped), and its cookie gets a Max-Age even when the
 * context uses browser_session. idle: 0 keeps the context's idle timeout,
 * > 0 replaces it, < 0 turns it off for this session. Rotation and login
 * keep the override; logout drops it.
 * @param[in] s         the session
 * @param[in] lifetime  seconds from issue (> 0; capped at absolute_lifetime)
 * @param[in] idle      idle timeout: 0 = the context's, > 0 = this, < 0 = off
 * @return CRUMB_OK, CRUMB_E_INVALID (lifetime <= 0)
 */
CRUMB_EXPORT crumb_err crumb_session_set_lifetime(crumb_session *s, int64_t lifetime,
                                                  int64_t idle) CRUMB_WUR;

#ifdef __cplusplus
}
#endif
#endif /* CRUMB_H */
