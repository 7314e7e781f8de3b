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

#endif /* CRUMB_STORE_FILE_INTERNAL_H */
