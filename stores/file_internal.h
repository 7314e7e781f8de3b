/*
 * file_internal.h - private to stores/ and fuzz/: the file store's record
 * codec (docs/STORE.md, "Record format") on memory. crumb__fs_record_decode
 * runs the very checks and body decoders the store runs on every record file
 * it reads (stores/file.c reads the file whole, then calls the same code),
 * so fuzz/fuzz_filestore.c reaches them without a directory or file I/O.
 */
#ifndef CRUMB_STORE_FILE_INTERNAL_H
#define CRUMB_STORE_FILE_INTERNAL_H

#include "model.h"

/* Record types (byte 5 of a record; the store picks the type by directory):
 * 'S' session, 'R' session revocation, 'F' family, 'U' user, 'G' global. */
enum {
    CRUMB__FS_SESSION = 'S',
    CRUMB__FS_REVOKE = 'R',
    CRUMB__FS_FAMILY = 'F',
    CRUMB__FS_USER = 'U',
    CRUMB__FS_GLOBAL = 'G'
};

#define CRUMB__FS_HDR 44u    /* magic 4, format 1, type 1, reserved 2, len 4, hash 32 */
#define CRUMB__FS_TRAILER 4u /* CRC-32 of everything before it */

/* A decoded record; which fields mean something depends on type. */
typedef struct crumb__fs_record {
    int type;              /* CRUMB__FS_SESSION .. CRUMB__FS_GLOBAL */
    uint64_t version;      /* S: record version; F: generation */
    int64_t until;         /* S: expires_at; R, F: until; G: not-before */
    int64_t advanced_at;   /* F */
    int64_t revoked_until; /* F */
    const uint8_t *data;   /* S: the session data, inside the decoded image */
    size_t data_len;       /* S */
    stm_user user;         /* U: owned (crumb__fs_record_free) */
} crumb__fs_record;

/* Verify the record image img[0..n) as a record of type `type` stored under
 * path hash h (size bound of the type, magic, type byte, reserved bytes,
 * length field, CRC-32, hash, format; fixed-size bodies exact), then decode
 * its body strictly into *r (zeroed first).
 * @return CRUMB_OK; CRUMB_E_CORRUPT (any mismatch or malformed body);
 *   CRUMB_E_VERSION (a newer format); CRUMB_E_INVALID (unknown type, NULL
 *   h); CRUMB_E_NOMEM. On failure *r holds nothing to free.
 * @note r->data points into img; r->user is owned by r. */
crumb_err crumb__fs_record_decode(crumb__fs_record *r, int type, const uint8_t h[32],
                                  const uint8_t *img, size_t n);

/* Encode r as the record image the store writes under path hash h: *img is
 * allocated (crumb__free; it may hold session data: wipe it), *n its size.
 * @return CRUMB_OK; CRUMB_E_INVALID (unknown type, data over
 *   CRUMB_STORE_DATA_MAX); CRUMB_E_NOMEM. */
crumb_err crumb__fs_record_encode(const crumb__fs_record *r, const uint8_t h[32], uint8_t **img,
                                  size_t *n);

/* Release what r owns and zero it (NULL allowed). */
void crumb__fs_record_free(crumb__fs_record *r);

/* ---- the pieces the store itself uses (file_record.c) ---- */

/* 1 if a record image of n bytes is within the size bounds of type. */
int crumb__fs_size_ok(int type, uint64_t n);

/* Verify the image buf[0..n) (as crumb__fs_record_decode does) and locate
 * its body. CRUMB_E_CORRUPT, CRUMB_E_VERSION. */
crumb_err crumb__fs_verify_image(const uint8_t *buf, size_t n, int type, const uint8_t h[32],
                                 const uint8_t **body, size_t *blen);

/* Build the image of (type, h, body) into *out (allocated; the caller wipes
 * it if it holds session data, and frees it). CRUMB_E_NOMEM. */
crumb_err crumb__fs_image(int type, const uint8_t h[32], const uint8_t *body, size_t blen,
                          uint8_t **out, size_t *n);

/* Session body: version, expires_at, data. CRUMB_E_CORRUPT. */
crumb_err crumb__fs_sess_decode(const uint8_t *b, size_t n, uint64_t *ver, int64_t *exp);

/* Encode a session body (version, expiry, then the len data bytes) into
 * *out, 16 + len bytes allocated (the caller wipes and frees it).
 * CRUMB_E_NOMEM. */
crumb_err crumb__fs_sess_encode(uint8_t **out, uint64_t ver, int64_t exp, const uint8_t *data,
                                size_t len);

/* User body codec (strict decode: CRUMB_E_CORRUPT, CRUMB_E_NOMEM; encode
 * allocates *out: CRUMB_E_NOMEM). */
crumb_err crumb__fs_user_decode(stm_user *u, const uint8_t *p, size_t n);
crumb_err crumb__fs_user_encode(const stm_user *u, uint8_t **out, size_t *n);

/* Family body (32 bytes) <-> r->version (generation), advanced_at, until,
 * revoked_until. */
void crumb__fs_fam_decode(crumb__fs_record *r, const uint8_t b[32]);
void crumb__fs_fam_encode(uint8_t b[32], const crumb__fs_record *r);

/* The identity record (DIR/identity, 64 bytes): "CRID", format 1, three
 * zero bytes, a random 16-byte store id, created_at (8), then HMAC-SHA-256
 * under the store secret of the 32 bytes before it. */
#define CRUMB__FS_ID_BYTES 64u

#endif /* CRUMB_STORE_FILE_INTERNAL_H */
