/*
 * record.c - the device and session-index-entry codec shared by the file
 * and Redis stores (record.h): one encoder and one strict decoder each, so
 * both stores write the same bytes for the same entry and reject the same
 * malformed input.
 */
#include "record.h"

#include <string.h>

/* Write the length byte and bytes of s (at most max bytes are written). */
static uint8_t *put_str(uint8_t *p, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    *p++ = (uint8_t)n;
    memcpy(p, s, n);
    return p + n;
}

/* Read a length-prefixed string of at most max bytes into dst (cap
 * max + 1, zero-filled); NULL if too long, past end, or a NUL inside. */
static const uint8_t *get_str(const uint8_t *p, const uint8_t *end, char *dst, size_t max)
{
    if (p >= end || *p > max || (size_t)(end - p - 1) < *p)
        return NULL;
    size_t n = *p++;
    if (memchr(p, 0, n) != NULL)
        return NULL;
    memcpy(dst, p, n);
    memset(dst + n, 0, max + 1 - n);
    return p + n;
}

/* see record.h */
uint8_t *crumb__rec_dev_put(uint8_t *p, const stm_dev *d)
{
    memcpy(p, d->d.device.b, 16);
    memcpy(p + 16, d->d.fingerprint, 32);
    int fam = memcmp(d->d.family.b, stm_zero_id, CRUMB_STORE_IDBYTES) != 0;
    p[48] = (uint8_t)((unsigned)d->d.trust | (fam ? CRUMB__REC_DEV_FAMILY : 0u));
    stm_put64(p + 49, (uint64_t)d->d.first_seen);
    stm_put64(p + 57, (uint64_t)d->d.last_seen);
    stm_put64(p + 65, (uint64_t)d->d.trust_changed_at);
    stm_put64(p + 73, (uint64_t)d->written_at);
    p = put_str(p + CRUMB__REC_DEV_FIXED, d->d.label, CRUMB_STORE_LABEL_MAX);
    p = put_str(p, d->d.ip_prefix, CRUMB_STORE_IP_MAX);
    if (fam) {
        memcpy(p, d->d.family.b, CRUMB_STORE_IDBYTES);
        p += CRUMB_STORE_IDBYTES;
    }
    return p;
}

/* see record.h */
const uint8_t *crumb__rec_dev_get(stm_dev *d, const uint8_t *p, const uint8_t *end)
{
    memset(d, 0, sizeof *d);
    if (p > end || (size_t)(end - p) < CRUMB__REC_DEV_FIXED ||
        (p[48] & ~CRUMB__REC_DEV_FAMILY) > CRUMB_TRUST_REVOKED)
        return NULL;
    int fam = (p[48] & CRUMB__REC_DEV_FAMILY) != 0;
    memcpy(d->d.device.b, p, 16);
    memcpy(d->d.fingerprint, p + 16, 32);
    d->d.trust = (int)(p[48] & 0x7fu);
    d->d.first_seen = (int64_t)stm_get64(p + 49);
    d->d.last_seen = (int64_t)stm_get64(p + 57);
    d->d.trust_changed_at = (int64_t)stm_get64(p + 65);
    d->written_at = (int64_t)stm_get64(p + 73);
    p = get_str(p + CRUMB__REC_DEV_FIXED, end, d->d.label, CRUMB_STORE_LABEL_MAX);
    p = p ? get_str(p, end, d->d.ip_prefix, CRUMB_STORE_IP_MAX) : NULL;
    if (p == NULL || !fam)
        return p;
    if ((size_t)(end - p) < CRUMB_STORE_IDBYTES)
        return NULL;
    memcpy(d->d.family.b, p, CRUMB_STORE_IDBYTES);
    /* an all-zero family is never written with the flag: malformed */
    return memcmp(d->d.family.b, stm_zero_id, CRUMB_STORE_IDBYTES) != 0 ? p + CRUMB_STORE_IDBYTES
                                                                        : NULL;
}

/* see record.h */
uint8_t *crumb__rec_idx_put(uint8_t *p, const crumb_store_session_info *x)
{
    memcpy(p, x->session.b, 32);
    memcpy(p + 32, x->family.b, 16);
    memcpy(p + 48, x->device.b, 16);
    stm_put64(p + 64, (uint64_t)x->created);
    stm_put64(p + 72, (uint64_t)x->last_seen);
    stm_put64(p + 80, (uint64_t)x->expires_at);
    return put_str(p + CRUMB__REC_IDX_FIXED, x->label, CRUMB_STORE_LABEL_MAX);
}

/* see record.h */
const uint8_t *crumb__rec_idx_get(crumb_store_session_info *x, const uint8_t *p,
                                  const uint8_t *end)
{
    memset(x, 0, sizeof *x);
    if (p > end || (size_t)(end - p) < CRUMB__REC_IDX_FIXED)
        return NULL;
    memcpy(x->session.b, p, 32);
    memcpy(x->family.b, p + 32, 16);
    memcpy(x->device.b, p + 48, 16);
    x->created = (int64_t)stm_get64(p + 64);
    x->last_seen = (int64_t)stm_get64(p + 72);
    x->expires_at = (int64_t)stm_get64(p + 80);
    return get_str(p + CRUMB__REC_IDX_FIXED, end, x->label, CRUMB_STORE_LABEL_MAX);
}
