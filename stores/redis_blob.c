/*
 * redis_blob.c - the Redis store's device and index-entry blobs (see
 * redis_internal.h). No hiredis here: pure byte codecs, strict on decode,
 * so whatever another writer left in Redis is CRUMB_E_CORRUPT to the store
 * (never an over-read) and only canonical blobs are accepted.
 */
#include "redis_internal.h"

#include <string.h>

/* Signed times through the model's little-endian helpers. */
static void put64(uint8_t *p, int64_t v)
{
    stm_put64(p, (uint64_t)v);
}

static int64_t get64(const uint8_t *p)
{
    return (int64_t)stm_get64(p);
}

/* Copy a length-prefixed string of ll bytes (no NUL inside) into dst,
 * which was zeroed; -1 if a NUL is inside. */
static int take_str(char *dst, const uint8_t *src, size_t ll)
{
    if (memchr(src, 0, ll) != NULL)
        return -1;
    memcpy(dst, src, ll);
    return 0;
}

/* see redis_internal.h */
size_t crumb__rd_dev_encode(uint8_t *out, const stm_dev *d)
{
    size_t p = 0;
    out[p++] = CRUMB__RD_DEV_VERSION;
    memcpy(out + p, d->d.device.b, 16), p += 16;
    memcpy(out + p, d->d.fingerprint, 32), p += 32;
    out[p++] = (uint8_t)d->d.trust;
    put64(out + p, d->d.first_seen), p += 8;
    put64(out + p, d->d.last_seen), p += 8;
    put64(out + p, d->d.trust_changed_at), p += 8;
    put64(out + p, d->written_at), p += 8;
    size_t ll = strnlen(d->d.label, CRUMB_STORE_LABEL_MAX);
    out[p++] = (uint8_t)ll;
    memcpy(out + p, d->d.label, ll), p += ll;
    size_t il = strnlen(d->d.ip_prefix, CRUMB_STORE_IP_MAX);
    out[p++] = (uint8_t)il;
    memcpy(out + p, d->d.ip_prefix, il), p += il;
    return p;
}

/* see redis_internal.h */
int crumb__rd_dev_decode(stm_dev *d, const uint8_t *in, size_t n)
{
    memset(d, 0, sizeof *d);
    if (n < CRUMB__RD_DEV_FIXED + 2 || in[0] != CRUMB__RD_DEV_VERSION ||
        in[49] > CRUMB_TRUST_REVOKED)
        return -1;
    size_t p = 1;
    memcpy(d->d.device.b, in + p, 16), p += 16;
    memcpy(d->d.fingerprint, in + p, 32), p += 32;
    d->d.trust = in[p++];
    d->d.first_seen = get64(in + p), p += 8;
    d->d.last_seen = get64(in + p), p += 8;
    d->d.trust_changed_at = get64(in + p), p += 8;
    d->written_at = get64(in + p), p += 8;
    size_t ll = in[p++];
    if (ll > CRUMB_STORE_LABEL_MAX || p + ll + 1 > n || take_str(d->d.label, in + p, ll) != 0)
        return -1;
    p += ll;
    size_t il = in[p++];
    if (il > CRUMB_STORE_IP_MAX || p + il != n || take_str(d->d.ip_prefix, in + p, il) != 0)
        return -1;
    return 0;
}

/* see redis_internal.h */
void crumb__rd_idx_encode(uint8_t *out, const crumb_store_session_info *x)
{
    size_t p = 0;
    memset(out, 0, CRUMB__RD_IDX_BYTES);
    out[p++] = CRUMB__RD_IDX_VERSION;
    memcpy(out + p, x->session.b, 32), p += 32;
    memcpy(out + p, x->family.b, 16), p += 16;
    memcpy(out + p, x->device.b, 16), p += 16;
    put64(out + p, x->created), p += 8;
    put64(out + p, x->last_seen), p += 8;
    put64(out + p, x->expires_at), p += 8;
    size_t ll = strnlen(x->label, CRUMB_STORE_LABEL_MAX);
    out[p++] = (uint8_t)ll;
    memcpy(out + p, x->label, ll);
}

/* see redis_internal.h */
int crumb__rd_idx_decode(crumb_store_session_info *x, const uint8_t *in, size_t n)
{
    memset(x, 0, sizeof *x);
    if (n != CRUMB__RD_IDX_BYTES || in[0] != CRUMB__RD_IDX_VERSION)
        return -1;
    size_t p = 1;
    memcpy(x->session.b, in + p, 32), p += 32;
    memcpy(x->family.b, in + p, 16), p += 16;
    memcpy(x->device.b, in + p, 16), p += 16;
    x->created = get64(in + p), p += 8;
    x->last_seen = get64(in + p), p += 8;
    x->expires_at = get64(in + p), p += 8;
    size_t ll = in[p++];
    if (ll > CRUMB_STORE_LABEL_MAX || take_str(x->label, in + p, ll) != 0)
        return -1;
    for (size_t i = p + ll; i < n; i++) /* the padding is zero */
        if (in[i] != 0)
            return -1;
    return 0;
}
