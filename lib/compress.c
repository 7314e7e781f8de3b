/*
 * compress.c - optional raw-deflate compression of the payload (zlib, with
 * its allocations routed through crumb__malloc), the capped inflate used
 * only after authentication, and the 0x80-then-zeros bucket padding.
 * Nothing here runs unless the configuration turns compression/padding on.
 */
#include "internal.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

/* zlib allocator hook: count * size bytes through crumb__malloc. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size != 0 && items > (uInt)-1 / size)
        return Z_NULL;
    return crumb__malloc((size_t)items * size);
}

/* zlib free hook. */
static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    crumb__free(p);
}

/* see internal.h */
crumb_err crumb__deflate(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    *out_len = 0;
    if (n > UINT_MAX || cap > UINT_MAX)
        return CRUMB_E_TOO_LARGE;
    /* raw deflate (-15), memLevel 8: payloads are at most 64 KiB */
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return CRUMB_E_NOMEM;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t produced = cap - z.avail_out;
    deflateEnd(&z);
    if (rc == Z_STREAM_END) {
        *out_len = produced;
        return CRUMB_OK;
    }
    return rc == Z_MEM_ERROR ? CRUMB_E_NOMEM : CRUMB_E_TOO_LARGE;
}

/* see internal.h */
crumb_err crumb__inflate(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in, size_t n,
                         unsigned max_ratio)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    *out_len = 0;
    if (n == 0)
        return CRUMB_E_PAYLOAD;
    size_t limit = cap;
    if (max_ratio && n <= SIZE_MAX / max_ratio && n * max_ratio < limit)
        limit = n * max_ratio;
    if (limit > UINT_MAX)
        limit = UINT_MAX;
    if (n > UINT_MAX)
        return CRUMB_E_INFLATE;
    if (inflateInit2(&z, -15) != Z_OK)
        return CRUMB_E_NOMEM;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)limit;
    int rc = inflate(&z, Z_FINISH);
    size_t produced = limit - z.avail_out;
    size_t left_in = z.avail_in;
    inflateEnd(&z);
    if (rc == Z_STREAM_END) {
        if (left_in != 0)
            return CRUMB_E_PAYLOAD; /* trailing bytes after the stream */
        *out_len = produced;
        return CRUMB_OK;
    }
    if (rc == Z_MEM_ERROR)
        return CRUMB_E_NOMEM;
    if (rc == Z_BUF_ERROR && produced == limit)
        return CRUMB_E_INFLATE; /* more output than the cap or ratio allows */
    return CRUMB_E_PAYLOAD;     /* corrupt or truncated stream */
}

/* see internal.h */
size_t crumb__padded_len(size_t len, size_t block)
{
    return (len / block + 1) * block;
}

/* see internal.h */
void crumb__pad(uint8_t *buf, size_t len, size_t padded_len)
{
    buf[len] = 0x80;
    memset(buf + len + 1, 0, padded_len - len - 1);
}

/* see internal.h */
size_t crumb__unpad(const uint8_t *buf, size_t len)
{
    size_t i = len;
    while (i > 0 && buf[i - 1] == 0)
        i--;
    if (i == 0 || buf[i - 1] != 0x80)
        return (size_t)-1;
    return i - 1;
}
