/*
 * redis_blob.c - the Redis store's device and index-entry blobs (see
 * redis_internal.h): a version byte before the shared record codec
 * (record.c); index entries zero-padded to a fixed size. No hiredis here:
 * pure byte codecs, strict on decode,
 * so whatever another writer left in Redis is CRUMB_E_CORRUPT to the store
 * (never an over-read) and only canonical blobs are accepted.
 */
#include "redis_internal.h"

#include <string.h>

/* see redis_internal.h */
size_t crumb__rd_dev_encode(uint8_t *out, const stm_dev *d)
{
    out[0] = CRUMB__RD_DEV_VERSION;
    return (size_t)(crumb__rec_dev_put(out + 1, d) - out);
}

/* see redis_internal.h */
int crumb__rd_dev_decode(stm_dev *d, const uint8_t *in, size_t n)
{
    memset(d, 0, sizeof *d);
    if (n < 1 || in[0] != CRUMB__RD_DEV_VERSION)
        return -1;
    return crumb__rec_dev_get(d, in + 1, in + n) == in + n ? 0 : -1;
}

/* see redis_internal.h */
void crumb__rd_idx_encode(uint8_t *out, const crumb_store_session_info *x)
{
    memset(out, 0, CRUMB__RD_IDX_BYTES); /* the label's padding is zero */
    out[0] = CRUMB__RD_IDX_VERSION;
    (void)crumb__rec_idx_put(out + 1, x);
}

/* see redis_internal.h */
int crumb__rd_idx_decode(crumb_store_session_info *x, const uint8_t *in, size_t n)
{
    memset(x, 0, sizeof *x);
    if (n != CRUMB__RD_IDX_BYTES || in[0] != CRUMB__RD_IDX_VERSION)
        return -1;
    const uint8_t *p = crumb__rec_idx_get(x, in + 1, in + n);
    if (p == NULL)
        return -1;
    for (; p < in + n; p++) /* the padding is zero */
        if (*p != 0)
            return -1;
    return 0;
}
