/*
 * redis_internal.h - private to stores/ and fuzz/: the binary blobs the
 * Redis store keeps as hash values (docs/REDIS.md, "Key layout"): one per
 * device in a user's "dv:" hash and one per session in the "ix:" hash.
 * Built with or without hiredis (stores/redis_blob.c), so
 * fuzz/fuzz_redisblob.c reaches the decoders in every build.
 */
#ifndef CRUMB_STORE_REDIS_INTERNAL_H
#define CRUMB_STORE_REDIS_INTERNAL_H

#include "model.h"
#include "record.h"

#define CRUMB__RD_DEV_VERSION 1
#define CRUMB__RD_IDX_VERSION 1
/* device: version, id 16, fingerprint 32, trust, 4 x int64, then label and
 * IP prefix, each a length byte and that many bytes */
#define CRUMB__RD_DEV_FIXED (1 + CRUMB__REC_DEV_FIXED)
#define CRUMB__RD_DEV_MAX (1 + CRUMB__REC_DEV_MAX)
/* index entry: version, session 32, family 16, device 16, 3 x int64, label
 * length byte, label zero-padded to CRUMB_STORE_LABEL_MAX (fixed size) */
#define CRUMB__RD_IDX_BYTES (1 + CRUMB__REC_IDX_MAX)

/* Encode d into out (CRUMB__RD_DEV_MAX bytes); returns the length used. */
size_t crumb__rd_dev_encode(uint8_t *out, const stm_dev *d);

/* Decode a device blob strictly (lengths in range and exact, trust known,
 * no NUL inside the label or IP prefix); 0 on success, -1 if malformed.
 * A blob that decodes re-encodes to the same bytes. */
int crumb__rd_dev_decode(stm_dev *d, const uint8_t *in, size_t n);

/* Encode an index entry into out (CRUMB__RD_IDX_BYTES bytes). */
void crumb__rd_idx_encode(uint8_t *out, const crumb_store_session_info *x);

/* Decode an index entry strictly (exact size, label length in range, no NUL
 * inside the label, zero padding); 0 on success, -1 if malformed. A blob
 * that decodes re-encodes to the same bytes. */
int crumb__rd_idx_decode(crumb_store_session_info *x, const uint8_t *in, size_t n);

#endif /* CRUMB_STORE_REDIS_INTERNAL_H */
