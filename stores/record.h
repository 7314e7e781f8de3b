/*
 * record.h - private to stores/ and fuzz/: one byte codec for a device and
 * for a session index entry, shared by the file store (inside its user
 * record) and the Redis store (one blob per hash field). Little-endian;
 * strings as a length byte and that many bytes (no NUL inside).
 */
#ifndef CRUMB_STORE_RECORD_H
#define CRUMB_STORE_RECORD_H

#include "model.h"

/* Device body: id 16, fingerprint 32, trust 1, first_seen, last_seen,
 * trust_changed_at, written_at (4 x int64), label, IP prefix, then, if the
 * trust byte has bit 7 (CRUMB__REC_DEV_FAMILY) set, the 16-byte family that
 * last sighted it (records written before families were bound lack both). */
#define CRUMB__REC_DEV_FIXED (16 + 32 + 1 + 32)
#define CRUMB__REC_DEV_FAMILY 0x80u
#define CRUMB__REC_DEV_MAX                                                           \
    (CRUMB__REC_DEV_FIXED + 2 + CRUMB_STORE_LABEL_MAX + CRUMB_STORE_IP_MAX + CRUMB_STORE_IDBYTES)

/* Index entry body: session 32, family 16, device 16, created, last_seen,
 * expires_at (3 x int64), label. */
#define CRUMB__REC_IDX_FIXED (32 + 16 + 16 + 24)
#define CRUMB__REC_IDX_MAX (CRUMB__REC_IDX_FIXED + 1 + CRUMB_STORE_LABEL_MAX)

/* Write d at p (room for CRUMB__REC_DEV_MAX bytes); returns the end. */
uint8_t *crumb__rec_dev_put(uint8_t *p, const stm_dev *d);

/* Read a device from p..end into d (zeroed first). Strict: trust known,
 * string lengths within the fields (label <= 63, IP <= 47) and the input,
 * no NUL inside. Returns the byte after it, or NULL if malformed. */
const uint8_t *crumb__rec_dev_get(stm_dev *d, const uint8_t *p, const uint8_t *end);

/* Write x at p (room for CRUMB__REC_IDX_MAX bytes); returns the end. */
uint8_t *crumb__rec_idx_put(uint8_t *p, const crumb_store_session_info *x);

/* Read an index entry from p..end into x (zeroed first); strict as above.
 * Returns the byte after it, or NULL if malformed. */
const uint8_t *crumb__rec_idx_get(crumb_store_session_info *x, const uint8_t *p,
                                  const uint8_t *end);

#endif /* CRUMB_STORE_RECORD_H */
