/*
 * payload.c - session payload v1: the compact binary encoding sealed inside
 * the token (docs/FORMAT.md, "Session payload v1"). Big-endian fixed-width
 * integers, length-prefixed ids, typed auth state, sorted key/value entries.
 * Strict decoder: every length is bounds-checked, nothing is allocated.
 */
#include "internal.h"
#include "ext.h" /* payload v2 extension (issue 16) */

#include <string.h>

/* Fixed part: version, 3 times, sid, family, generation, schema. */
#define FIXED_BYTES (1u + 3u * 8u + 2u * CRUMB_SID_BYTES + 4u + 4u)

/* A bounded reader over an input buffer. */
typedef struct rd {
    const uint8_t *p;
    size_t n, off;
    int bad;
} rd;

/* Return a pointer to the next k bytes and advance, or NULL (and mark bad). */
static const uint8_t *rd_take(rd *r, size_t k)
{
    if (r->bad || r->n - r->off < k) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->off;
    r->off += k;
    return q;
}

/* Big-endian integer of k (1, 2, 4 or 8) bytes at q: whole-word loads the
 * compiler turns into one load and a byte swap. */
static uint64_t be_load(const uint8_t *q, size_t k)
{
    uint64_t v = 0;
    switch (k) {
    case 8:
        v = (uint64_t)q[0] << 56 | (uint64_t)q[1] << 48 | (uint64_t)q[2] << 40 |
            (uint64_t)q[3] << 32 | (uint64_t)q[4] << 24 | (uint64_t)q[5] << 16 |
            (uint64_t)q[6] << 8 | q[7];
        break;
    case 4: v = (uint64_t)q[0] << 24 | (uint64_t)q[1] << 16 | (uint64_t)q[2] << 8 | q[3]; break;
    case 2: v = (uint64_t)q[0] << 8 | q[1]; break;
    default:
        for (size_t i = 0; i < k; i++)
            v = (v << 8) | q[i];
    }
    return v;
}

/* Read a big-endian unsigned integer of k (1..8) bytes; 0 when bad. */
static uint64_t rd_uint(rd *r, size_t k)
{
    const uint8_t *q = rd_take(r, k);
    return q ? be_load(q, k) : 0;
}

/* A big-endian two's-complement int64 from its 64 bits. */
static int64_t to_i64(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

/* Read a big-endian two's-complement int64. */
static int64_t rd_i64(rd *r)
{
    return to_i64(rd_uint(r, 8));
}

/* Read a u8-length-prefixed id into dst (CRUMB_ID_MAX + 1 bytes). */
static void rd_id(rd *r, char *dst, size_t *len)
{
    size_t k = (size_t)rd_uint(r, 1);
    const uint8_t *q = rd_take(r, k);
    *len = q ? k : 0;
    if (*len)
        memcpy(dst, q, k);
    dst[*len] = '\0';
}

/* Write big-endian k bytes of v at out: the fixed widths as shifts the
 * compiler turns into one byte swap and one store. */
static void put_uint(uint8_t *out, uint64_t v, size_t k)
{
    switch (k) {
    case 8:
        out[0] = (uint8_t)(v >> 56), out[1] = (uint8_t)(v >> 48), out[2] = (uint8_t)(v >> 40);
        out[3] = (uint8_t)(v >> 32), out[4] = (uint8_t)(v >> 24), out[5] = (uint8_t)(v >> 16);
        out[6] = (uint8_t)(v >> 8), out[7] = (uint8_t)v;
        break;
    case 4:
        out[0] = (uint8_t)(v >> 24), out[1] = (uint8_t)(v >> 16), out[2] = (uint8_t)(v >> 8);
        out[3] = (uint8_t)v;
        break;
    default:
        for (size_t i = k; i-- > 0; v >>= 8)
            out[i] = (uint8_t)v;
    }
}


/* Encoded size of the auth fields for a state, or 0 for an unknown state. */
static size_t auth_bytes(int state)
{
    switch (state) {
    case CRUMB_AUTH_ANONYMOUS: return 1;
    case CRUMB_AUTH_IN_PROGRESS: return 1 + 4 + 4 + 4 + 8;
    case CRUMB_AUTH_AUTHENTICATED: return 1 + 4 + 8;
    case CRUMB_AUTH_PENDING: return 1 + 4 + 8;
    case CRUMB_AUTH_IDENTIFYING: return 1; /* v2 only */
    default: return 0;
    }
}

/* Encoded size without the v2 block. */
static size_t v1_size(const crumb_payload *p)
{
    return FIXED_BYTES + 3 + p->user_len + p->tenant_len + p->device_len +
           auth_bytes(p->auth.state) + 2 + p->data_len;
}

/* see internal.h */
size_t crumb__payload_size(const crumb_payload *p)
{
    return v1_size(p) + crumb__pext_size(p);
}

/* see internal.h */
int crumb__key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++) /* keys are short: no call */
        if (a[i] != b[i])
            return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* see internal.h: one walk over the entries (the same rules as
 * crumb_payload_data_next: key length 1..255, u16 value length, in bounds),
 * keys sorted, unique and free of NUL. */
int crumb__data_check(const uint8_t *data, size_t len, size_t count)
{
    size_t pos = 0, seen = 0, plen = 0;
    const char *prev = NULL;
    if (count > CRUMB_DATA_ENTRIES_MAX)
        return -1;
    while (pos < len) {
        size_t kl = data[pos];
        if (kl == 0 || len - pos - 1 < kl + 2)
            return -1;
        const char *key = (const char *)data + pos + 1;
        size_t vl = (size_t)data[pos + 1 + kl] << 8 | data[pos + 2 + kl];
        if (len - pos - 3 - kl < vl)
            return -1;
        if (prev && crumb__key_cmp(prev, plen, key, kl) >= 0)
            return -1; /* unsorted or duplicate */
        for (size_t i = 0; i < kl; i++)
            if (key[i] == '\0')
                return -1;
        prev = key;
        plen = kl;
        pos += 3 + kl + vl;
        seen++;
    }
    return seen == count ? 0 : -1;
}

/* see crumb.h */
int crumb_payload_data_next(const uint8_t *data, size_t data_len, size_t *pos, const char **key,
                            size_t *klen, const uint8_t **val, size_t *vlen)
{
    rd r = {data, data_len, *pos, 0};
    if (r.off >= data_len)
        return 0;
    size_t kl = (size_t)rd_uint(&r, 1);
    const uint8_t *k = rd_take(&r, kl);
    size_t vl = (size_t)rd_uint(&r, 2);
    const uint8_t *v = rd_take(&r, vl);
    if (r.bad || kl == 0)
        return 0;
    *key = (const char *)k;
    *klen = kl;
    *val = v;
    *vlen = vl;
    *pos = r.off;
    return 1;
}

/* see crumb.h */
crumb_err crumb_payload_encode(const crumb_payload *p, uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (!(p->data_len && !p->data) && crumb__data_check(p->data, p->data_len, p->data_count))
        return CRUMB_E_INVALID;
    return crumb__payload_encode_canonical(p, out, cap, out_len);
}

/* see internal.h */
crumb_err crumb__payload_encode_canonical(const crumb_payload *p, uint8_t *out, size_t cap,
                                          size_t *out_len)
{
    *out_len = 0;
    size_t ab = auth_bytes(p->auth.state);
    if (ab == 0 || p->user_len > CRUMB_ID_MAX || p->tenant_len > CRUMB_ID_MAX ||
        p->device_len > CRUMB_ID_MAX || p->data_count > CRUMB_DATA_ENTRIES_MAX ||
        (p->data_len && !p->data) || crumb__pext_valid(p))
        return CRUMB_E_INVALID;
    size_t xb = crumb__pext_size(p); /* v2 block; 0 = plain v1 */
    if (p->data_len > CRUMB_PAYLOAD_MAX)
        return CRUMB_E_TOO_LARGE;
    size_t need = v1_size(p) + xb;
    if (need > CRUMB_PAYLOAD_MAX)
        return CRUMB_E_TOO_LARGE;
    *out_len = need;
    if (cap < need)
        return CRUMB_E_BUFSIZE;

    uint8_t *w = out;
    *w++ = xb ? 2 : CRUMB_PAYLOAD_VERSION;
    put_uint(w, (uint64_t)p->issued_at, 8), w += 8;
    put_uint(w, (uint64_t)p->expires_at, 8), w += 8;
    put_uint(w, (uint64_t)p->idle_at, 8), w += 8;
    memcpy(w, p->sid, CRUMB_SID_BYTES), w += CRUMB_SID_BYTES;
    memcpy(w, p->family, CRUMB_SID_BYTES), w += CRUMB_SID_BYTES;
    put_uint(w, p->generation, 4), w += 4;
    put_uint(w, p->app_schema, 4), w += 4;
    const char *ids[3] = {p->user, p->tenant, p->device};
    size_t lens[3] = {p->user_len, p->tenant_len, p->device_len};
    for (int i = 0; i < 3; i++) {
        *w++ = (uint8_t)lens[i];
        memcpy(w, ids[i], lens[i]), w += lens[i];
    }
    *w++ = (uint8_t)p->auth.state;
    switch (p->auth.state) {
    case CRUMB_AUTH_IN_PROGRESS:
        put_uint(w, p->auth.factors, 4), w += 4;
        put_uint(w, p->auth.remaining, 4), w += 4;
        put_uint(w, p->auth.attempts, 4), w += 4;
        put_uint(w, (uint64_t)p->auth.time, 8), w += 8;
        break;
    case CRUMB_AUTH_AUTHENTICATED:
        put_uint(w, p->auth.factors, 4), w += 4;
        put_uint(w, (uint64_t)p->auth.time, 8), w += 8;
        break;
    case CRUMB_AUTH_PENDING:
        put_uint(w, p->auth.workflow, 4), w += 4;
        put_uint(w, (uint64_t)p->auth.time, 8), w += 8;
        break;
    default:
        break;
    }
    if (xb) /* issue 16: payload v2 extension */
        w = crumb__pext_write(p, w);
    put_uint(w, p->data_count, 2), w += 2;
    if (p->data_len)
        memcpy(w, p->data, p->data_len);
    return CRUMB_OK;
}

/* Read the typed auth state into a (zeroed); an unknown state, or one the
 * payload version does not have, marks r bad. */
static void rd_auth(rd *r, crumb_auth *a, uint32_t version)
{
    a->state = (int)rd_uint(r, 1);
    switch (a->state) {
    case CRUMB_AUTH_ANONYMOUS:
        break;
    case CRUMB_AUTH_IN_PROGRESS:
        a->factors = (uint32_t)rd_uint(r, 4);
        a->remaining = (uint32_t)rd_uint(r, 4);
        a->attempts = (uint32_t)rd_uint(r, 4);
        a->time = rd_i64(r);
        break;
    case CRUMB_AUTH_AUTHENTICATED:
        a->factors = (uint32_t)rd_uint(r, 4);
        a->time = rd_i64(r);
        break;
    case CRUMB_AUTH_PENDING:
        a->workflow = (uint32_t)rd_uint(r, 4);
        a->time = rd_i64(r);
        break;
    case CRUMB_AUTH_IDENTIFYING:
        r->bad |= version < 2; /* v2 only */
        break;
    default:
        r->bad = 1;
        break;
    }
}

/* see crumb.h */
crumb_err crumb_payload_decode(crumb_payload *p, const uint8_t *in, size_t n)
{
    memset(p, 0, sizeof *p);
    return crumb__payload_decode_zeroed(p, in, n);
}

/* see internal.h */
crumb_err crumb__payload_decode_zeroed(crumb_payload *p, const uint8_t *in, size_t n)
{
    rd r = {in, n, 0, 0};
    if (n < 1)
        return CRUMB_E_PAYLOAD;
    p->version = in[0];
    if (p->version > CRUMB_PAYLOAD_VERSION_MAX)
        return CRUMB_E_VERSION;
    if (p->version < CRUMB_PAYLOAD_VERSION)
        return CRUMB_E_PAYLOAD;
    if (n < FIXED_BYTES) {
        memset(p, 0, sizeof *p);
        return CRUMB_E_PAYLOAD;
    }
    const uint8_t *q = in + 1; /* the fixed part, at fixed offsets */
    p->issued_at = to_i64(be_load(q, 8));
    p->expires_at = to_i64(be_load(q + 8, 8));
    p->idle_at = to_i64(be_load(q + 16, 8));
    memcpy(p->sid, q + 24, CRUMB_SID_BYTES);
    memcpy(p->family, q + 24 + CRUMB_SID_BYTES, CRUMB_SID_BYTES);
    q += 24 + 2 * CRUMB_SID_BYTES;
    p->generation = (uint32_t)be_load(q, 4);
    p->app_schema = (uint32_t)be_load(q + 4, 4);
    r.off = FIXED_BYTES;
    rd_id(&r, p->user, &p->user_len);
    rd_id(&r, p->tenant, &p->tenant_len);
    rd_id(&r, p->device, &p->device_len);
    rd_auth(&r, &p->auth, p->version);
    if (p->version >= 2 && !r.bad && crumb__pext_read(p, in, n, &r.off)) /* issue 16 */
        r.bad = 1;
    p->data_count = (size_t)rd_uint(&r, 2);
    if (r.bad || p->issued_at > p->expires_at || p->idle_at > p->expires_at) {
        memset(p, 0, sizeof *p);
        return CRUMB_E_PAYLOAD;
    }
    p->data = in + r.off;
    p->data_len = n - r.off;
    if (crumb__data_check(p->data, p->data_len, p->data_count)) {
        memset(p, 0, sizeof *p);
        return CRUMB_E_PAYLOAD;
    }
    return CRUMB_OK;
}
