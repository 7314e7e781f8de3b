/*
 * internal.h - declarations shared inside libcrumb (never installed).
 * Internal non-static symbols use the crumb__ prefix; they are hidden from
 * the shared library by -fvisibility=hidden but visible to tests that link
 * the static archive.
 */
#ifndef CRUMB_INTERNAL_H
#define CRUMB_INTERNAL_H

#include "crumb.h"

#include <stddef.h>
#include <stdint.h>

/* The public structs' enum fields replaced int fields in 0.x; on the
 * platforms we build for an enum is int-sized, so the layouts did not move.
 * Fail the build where that does not hold (e.g. -fshort-enums). */
_Static_assert(sizeof(crumb_mode) == sizeof(int) && sizeof(crumb_compress) == sizeof(int) &&
                   sizeof(crumb_size_policy) == sizeof(int) &&
                   sizeof(crumb_fp_policy) == sizeof(int) &&
                   sizeof(crumb_samesite) == sizeof(int) &&
                   sizeof(crumb_auth_state) == sizeof(int) &&
                   sizeof(crumb_key_state) == sizeof(int) &&
                   sizeof(crumb_reason) == sizeof(int) && sizeof(crumb_err) == sizeof(int),
               "public enums must stay int-sized (ABI of the 0.x structs)");

/* ==== Saturating time arithmetic ======================================== */

/* a + b clamped to the int64 range: every "now + lifetime" in the library
 * goes through this, so a huge configured lifetime, a negative clock or a
 * far-future token never overflows (signed overflow is undefined). */
static inline int64_t crumb__sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* a - b clamped to the int64 range. */
static inline int64_t crumb__sat_sub(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* ==== Allocator (alloc.c) =============================================== */

/* Every heap allocation in the library goes through these, so tests can make
 * the Nth call fail. */
void *crumb__malloc(size_t n);
void *crumb__calloc(size_t count, size_t n);
void *crumb__realloc(void *p, size_t n);
void crumb__free(void *p);

/* Test hook: make the nth allocation from now fail (1 = the next one), and
 * every later one too if sticky; n = 0 disables. Returns how many
 * allocations were made since the last call. Not thread-safe by design: set
 * it before starting threads. */
long crumb__alloc_fail_at(long n, int sticky);

/* A zeroed block of n bytes for an object made and
 * dropped once per request (the session): the block this thread last gave
 * to crumb__park_free, if it was of size n (already zero: it was wiped),
 * else a fresh calloc. Counted by the test hook like any allocation. */
void *crumb__park_calloc(size_t n);
/* Wipe p (n bytes, from crumb__park_calloc) and keep it for this thread's
 * next crumb__park_calloc if the thread keeps none yet, else free it. A
 * thread's kept block is freed when the thread exits. */
void crumb__park_free(void *p, size_t n);

/* Locked, non-dumpable memory for keys (mmap + mlock + MADV_DONTDUMP where
 * available). Zero-filled. crumb__secure_free wipes before releasing. */
void *crumb__secure_alloc(size_t n);
void crumb__secure_free(void *p, size_t n);

/* ==== Random (random.c) ================================================= */

/* Fill buf from the OS CSPRNG: draws up to 64 bytes come from a per-thread
 * 512-byte buffer refilled from the OS (discarded after fork, wiped as it is
 * used and at thread exit), larger ones straight from the OS. 0 or -1. */
int crumb__random_os(void *ctx, uint8_t *buf, size_t n);

/* ==== Primitive wrappers (suite_sodium.c, aesgcm.c, hmac.c, suite_mbedtls.c) */
/* All return 0 on success, -1 on failure (bad tag, bad sizes, unavailable).
 * Buffers may be identical (in place) where noted. */

#define CRUMB__XCHACHA_NONCEBYTES 24u
#define CRUMB__GCM_IVBYTES 12u
#define CRUMB__AEAD_TAGBYTES 16u
#define CRUMB__HMAC_BYTES 32u

/* 1 if XChaCha20-Poly1305 is compiled in (libsodium build). */
int crumb__xchacha_available(void);

/* 1 if SipHash-2-4 is compiled in (libsodium build). */
int crumb__siphash_available(void);

/* The keyed names of docs/STORE.md: four SipHash-2-4 (64-bit output,
 * libsodium's crypto_shorthash_siphash24) of in, out bytes 8i..8i+7 under
 * key bytes 16i..16i+15 (a key from crumb__names_key). 0, or -1 without
 * libsodium. */
int crumb__sip4(uint8_t out[32], const uint8_t *in, size_t n, const uint8_t key[64]);

/* XChaCha20-Poly1305 (IETF), detached tag. out may equal in. */
int crumb__xchacha_seal(uint8_t *out, uint8_t tag[16], const uint8_t *in, size_t n,
                        const uint8_t *aad, size_t aad_len, const uint8_t nonce[24],
                        const uint8_t key[32]);
int crumb__xchacha_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t tag[16],
                        const uint8_t *aad, size_t aad_len, const uint8_t nonce[24],
                        const uint8_t key[32]);

/* AES-256-GCM with a 96-bit IV and a 16-byte tag, detached (aesgcm.c):
 * libsodium's where it runs (crumb__aesgcm_sodium_runs), else mbedTLS's GCM
 * module, which allocates its cipher context. out may equal in. iv_len is
 * checked (only 12 accepted). A failed open may leave out zeroed. */
int crumb__aesgcm_seal(uint8_t *out, uint8_t tag[16], const uint8_t *in, size_t n,
                       const uint8_t *aad, size_t aad_len, const uint8_t *iv, size_t iv_len,
                       const uint8_t key[32]);
int crumb__aesgcm_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t tag[16],
                       const uint8_t *aad, size_t aad_len, const uint8_t *iv, size_t iv_len,
                       const uint8_t key[32]);

/* 1 if libsodium is built in and its AES-256-GCM runs on this CPU (AES-NI
 * and PCLMUL), whatever crumb__gcm_mbedtls says. */
int crumb__aesgcm_sodium_runs(void);

/* Test hook: nonzero = AES-GCM through mbedTLS's GCM module even where
 * libsodium's runs (tests compare the two). Set it before threads start. */
extern int crumb__gcm_mbedtls;

/* Lowercase hex of n bytes into out (2n chars and a NUL). lib/hex.c */
void crumb__hex(char *out, const uint8_t *in, size_t n);

/* Value of one hex digit (either case), or -1. */
int crumb__hexval(int c);

/* Parse s, exactly 2n lowercase hex digits, into out; 0, or -1 (NULL, wrong
 * length, anything else). */
int crumb__unhex(uint8_t *out, size_t n, const char *s);

/* HMAC-SHA-256 over the concatenation of up to two parts (p2 may be NULL),
 * any key length (hmac.c). 0, or -1. */
int crumb__hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *p1,
                       size_t n1, const uint8_t *p2, size_t n2);

/* HMAC-SHA-256 with the key prepared once (crumb__hmac_pre_init): the
 * library's state after the key's ipad and opad blocks (hmac.c: libsodium's
 * crypto_auth_hmacsha256_state, or two mbedTLS SHA-256 contexts in a build
 * without libsodium), copied per MAC, so a MAC costs the message's blocks
 * plus one outer block. Opaque. Holds key material: wipe it with the key. */
typedef struct {
    _Alignas(16) unsigned char b[256];
} crumb__hmac_pre;

/* Precompute p for key (any length); 0, or -1. */
int crumb__hmac_pre_init(crumb__hmac_pre *p, const uint8_t *key, size_t key_len);

/* HMAC-SHA-256 of p1 || p2 (p2 may be NULL) under p's key, no allocation;
 * the same bytes as crumb__hmac_sha256. 0, or -1 (also for a p never
 * prepared, or wiped). */
int crumb__hmac_pre_mac(uint8_t out[32], const crumb__hmac_pre *p, const uint8_t *p1, size_t n1,
                        const uint8_t *p2, size_t n2);

/* Test hook: nonzero = keys prepared from now on use mbedTLS's SHA-256
 * even where libsodium is built in (a prepared key remembers its library;
 * tests compare the two). Set it before threads start. */
extern int crumb__hmac_mbedtls;

/* HKDF-SHA-256 (RFC 5869): extract then expand. salt may be NULL/0. */
int crumb__hkdf_sha256(uint8_t *okm, size_t okm_len, const uint8_t *ikm, size_t ikm_len,
                       const uint8_t *salt, size_t salt_len, const uint8_t *info,
                       size_t info_len);

/* HKDF-Expand only, PRK of 32 bytes. */
int crumb__hkdf_expand_sha256(uint8_t *okm, size_t okm_len, const uint8_t prk[32],
                              const uint8_t *info, size_t info_len);

/* ==== Codec log and dates (codec.c, cookie.c) ======================== */

/**
 * Report an event to the codec's log callback, if any (used by the session
 * and store layers so every reason reaches one callback). Does nothing
 * without a callback.
 * @param[in] c       the codec
 * @param[in] reason  why
 * @param[in] err     the code the caller of the API receives
 * @param[in] key_id  key id from the token header, 0 if unknown
 * @param[in] suite   suite from the token header, 0 if unknown
 */
void crumb__codec_log(const crumb_codec *c, crumb_reason reason, crumb_err err,
                      uint32_t key_id, uint8_t suite);

/**
 * Format t (seconds since the epoch, proleptic Gregorian, years 0..9999) as
 * an IMF-fixdate (RFC 9110 section 5.6.7), 29 chars plus a NUL.
 * @param[out] out  30 bytes (untouched on failure)
 * @param[in]  t    seconds since the epoch
 * @return CRUMB_OK, CRUMB_E_INVALID (year outside 0..9999)
 */
crumb_err crumb__imf_fixdate(char out[30], int64_t t) CRUMB_WUR;

/* ==== Key ring (keyring.c) ============================================= */

/* HKDF-SHA-256 of key id's master key with info = label (salt "libcrumb
 * v1"): secrets for purposes other than tokens. 0, or -1 if id is absent. */
int crumb__keyring_derive(const crumb_keyring *kr, uint32_t id, const char *label,
                          uint8_t out[32]);

/* ==== base64url core (base64url.c) ===================================== */

/**
 * Characters needed to encode n bytes (unpadded base64url).
 * @param[in] n  input bytes
 * @return the encoded length.
 */
size_t crumb__b64_encoded_len(size_t n);

/**
 * Encode; writes exactly crumb__b64_encoded_len(n) chars (no NUL).
 * @param[out] out  output characters
 * @param[in]  cap  capacity of out
 * @param[in]  in   input bytes
 * @param[in]  n    input length
 * @return CRUMB_OK, CRUMB_E_BUFSIZE
 */
crumb_err crumb__b64_encode_checked(char *out, size_t cap, const uint8_t *in, size_t n);

/**
 * Strict decode: alphabet A-Z a-z 0-9 - _, no padding, len % 4 != 1, zero
 * trailing bits.
 * @param[out] out      output bytes (wiped if the input is refused)
 * @param[in]  cap      capacity of out
 * @param[out] out_len  optional (NULL allowed): bytes decoded, or needed on
 *                      CRUMB_E_BUFSIZE
 * @param[in]  in       input characters
 * @param[in]  n        input length
 * @return CRUMB_OK, CRUMB_E_INVALID (n % 4 == 1: checked first; a bad
 *         character or non-zero trailing bits), CRUMB_E_BUFSIZE
 */
crumb_err crumb__b64_decode_checked(uint8_t *out, size_t cap, size_t *out_len,
                                    const char *in, size_t n) CRUMB_WUR;

/* Encode n bytes at in to out (exactly crumb__b64_encoded_len(n) chars).
 * in may lie inside out as long as it starts at or after
 * out + crumb__b64_encoded_len(n) - n (the seal path encodes in place). */
void crumb__b64_encode(char *out, const uint8_t *in, size_t n);

/* Strict decode of n chars into out (room for n*3/4 bytes). Returns the
 * decoded length, or (size_t)-1 if the input is not canonical base64url. */
size_t crumb__b64_decode(uint8_t *out, const char *in, size_t n);

/* 0: the best SIMD path this CPU has; 1: portable code only; 2: SSSE3 at
 * most (tests and the differential fuzz harness cycle through all three). */
extern int crumb__b64_portable;

/* ==== payload.c (codec layer) ========================================== */

/* Order of data keys: memcmp order, a proper prefix sorts first. */
int crumb__key_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* 0 if data (len bytes) holds exactly count well-formed entries with
 * strictly ascending, NUL-free keys; -1 otherwise. */
int crumb__data_check(const uint8_t *data, size_t len, size_t count);

/* crumb_payload_decode into a payload that is already all zero (a fresh
 * session object): the same checks and results, without clearing p first. */
crumb_err crumb__payload_decode_zeroed(crumb_payload *p, const uint8_t *in, size_t n);

/* ==== compress.c ======================================================== */

/* Raw-deflate in (n bytes) into out. zlib allocates through crumb__malloc.
 * @return CRUMB_OK, CRUMB_E_TOO_LARGE (does not fit in cap: not worth it),
 *         CRUMB_E_NOMEM */
crumb_err crumb__deflate(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in, size_t n);

/* Inflate a raw-deflate stream into out, stopping at cap bytes of output or
 * at n * max_ratio, whichever is smaller.
 * @return CRUMB_OK, CRUMB_E_INFLATE (cap or ratio hit), CRUMB_E_PAYLOAD
 *         (corrupt, truncated or trailing data), CRUMB_E_NOMEM */
crumb_err crumb__inflate(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in, size_t n,
                         unsigned max_ratio);

/* Length after padding len bytes to a multiple of block (block > 0): always
 * at least one byte of padding (0x80 then zeros). */
size_t crumb__padded_len(size_t len, size_t block);

/* Pad buf (len bytes, room for padded_len) in place. */
void crumb__pad(uint8_t *buf, size_t len, size_t padded_len);

/* Strip the padding: returns the unpadded length, or (size_t)-1 if the
 * padding is malformed. */
size_t crumb__unpad(const uint8_t *buf, size_t len);

/* ==== cookie.c ========================================================== */

/* 1 if s[0..n) is an RFC 7230 token (non-empty). */
int crumb__is_token(const char *s, size_t n);

/* One Cookie header pair hdr[start..end) (no ';' inside), trimmed and split
 * at its first '=' as crumb_cookie_next does; 0 if it is empty. */
int crumb__cookie_pair(const char *hdr, size_t start, size_t end, crumb_cookie_pair *out);

/* ==== Store secret (store_secret.c) ==================================== */

#define CRUMB__RECORD_OVERHEAD 42u /* version, algorithm, 24-byte nonce, 16-byte tag */

/* Derive the record-sealing key from a context's store secret. */
int crumb__record_key(uint8_t out[32], const uint8_t store_secret[32]);

/* The key of crumb__sip4 names under secret for one use (info, e.g.
 * "crumb-sid-siphash24-v1"): the 64 bytes of HKDF-SHA-256(secret, info). */
int crumb__names_key(uint8_t out[64], const uint8_t secret[32], const char *info);

/* Seal a server-mode record: out (cap >= n + CRUMB__RECORD_OVERHEAD)
 * receives version | algorithm | nonce | ciphertext | tag, with the store
 * key (the keyed session-id hash, 32 bytes) as associated data. rnd fills
 * the nonce. @return CRUMB_OK, CRUMB_E_BUFSIZE, CRUMB_E_RANDOM,
 * CRUMB_E_UNAVAILABLE */
crumb_err crumb__record_seal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in,
                             size_t n, const uint8_t key[32], const uint8_t id[32],
                             int (*rnd)(void *, uint8_t *, size_t), void *rnd_ctx);

/* Open a record sealed by crumb__record_seal under the same id; out needs
 * n - CRUMB__RECORD_OVERHEAD bytes and may be in (in place). @return CRUMB_OK, CRUMB_E_CORRUPT (any
 * failure: truncated, unknown algorithm, bad tag, other id) */
crumb_err crumb__record_open(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in,
                             size_t n, const uint8_t key[32], const uint8_t id[32]);

/* ==== cookie.c: the session layer's Set-Cookie lines ===================== */

/* The constant parts of a context's Set-Cookie lines, formatted once:
 * name, "; Path=..; Domain=.." and "; Secure; HttpOnly; SameSite=..". */
typedef struct crumb__cookie_fmt {
    const char *name;          /* the attributes' name (not owned) */
    size_t name_len;
    char *pre;                 /* "; Path=/[; Domain=d]" (owned) */
    size_t pre_len;
    char post[40];             /* "[; Secure][; HttpOnly][; SameSite=X]" */
    size_t post_len;
} crumb__cookie_fmt;

/* Check attributes a (crumb_cookie_check) and format them into f.
 * @return CRUMB_OK, CRUMB_E_INVALID, CRUMB_E_NOMEM */
crumb_err crumb__cookie_fmt_init(crumb__cookie_fmt *f, const crumb_cookie_attrs *a);
void crumb__cookie_fmt_free(crumb__cookie_fmt *f);

/* 1 if t is a time crumb__imf_fixdate formats (years 0000..9999). */
int crumb__imf_in_range(int64_t t);

/* Length of the line "name<sfx>=<value>; Path=..[; Max-Age=N; Expires=D]..."
 * (the time attributes when max_age >= 0), without the NUL. */
size_t crumb__cookie_line_len(const crumb__cookie_fmt *f, size_t sfx_len, size_t vlen,
                              int64_t max_age);

/* Write that line and a NUL at out, the same bytes crumb_set_cookie writes
 * (crumb_delete_cookie's: value "", max_age 0, expires 0), without
 * re-checking what the caller vouches for: sfx is a token of at most 3
 * characters and value cookie-octets (a base64url token).
 * @return CRUMB_OK, CRUMB_E_BUFSIZE (cap too small), CRUMB_E_INVALID
 *         (expires outside years 0000..9999) */
crumb_err crumb__cookie_line(char *out, size_t cap, size_t *out_len, const crumb__cookie_fmt *f,
                             const char *sfx, size_t sfx_len, const char *value, size_t vlen,
                             int64_t max_age, int64_t expires);

/* ==== payload.c ========================================================== */

/* Encoded size of a valid payload p (crumb_payload_encode's out_len when
 * it succeeds), without checking p. */
size_t crumb__payload_size(const crumb_payload *p);

/* crumb_payload_encode for a payload whose data region the caller keeps
 * canonical (the session API): every check but the walk over the data. */
crumb_err crumb__payload_encode_canonical(const crumb_payload *p, uint8_t *out, size_t cap,
                                          size_t *out_len);

#endif /* CRUMB_INTERNAL_H */
