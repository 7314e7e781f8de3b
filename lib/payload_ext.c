/*
 * payload_ext.c - the payload v2 extension block (docs/FORMAT.md, "Payload v2"):
 * a count, then typed, length-prefixed fields in ascending type order
 * (client fingerprint, per-session lifetime, factor progress, workflow
 * step). Strict reader: unknown types, bad lengths, non-canonical refused.
 */
#include "ext.h"

#include <string.h>

enum { T_FINGERPRINT = 1, T_LIFETIME = 2, T_PROGRESS = 3, T_WORKFLOW = 4 };

/* Write big-endian k bytes of v at w; return the end. */
static uint8_t *put(uint8_t *w, uint64_t v, size_t k)
{
    for (size_t i = k; i-- > 0; v >>= 8)
        w[i] = (uint8_t)v;
    return w + k;
}

/* Read big-endian k bytes at q. */
static uint64_t get(const uint8_t *q, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++)
        v = (v << 8) | q[i];
    return v;
}

/* int64 from its two's-complement bits. */
static int64_t to_i64(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static int has_lifetime(const crumb_payload_ext *x)
{
    return x->lifetime != 0 || x->idle != 0;
}

static int has_progress(const crumb_payload_ext *x)
{
    return x->method_len || x->done_count || x->left_count || x->last_attempt;
}

/* Value length of the field of type t. */
static size_t field_len(const crumb_payload_ext *x, int t)
{
    switch (t) {
    case T_FINGERPRINT: return CRUMB_FINGERPRINT_BYTES;
    case T_LIFETIME: return 16;
    case T_PROGRESS: return 3 + x->method_len + x->done_count + x->left_count + 8;
    default: return 8; /* T_WORKFLOW */
    }
}

/* 1 if p carries the field of type t. */
static int present(const crumb_payload_ext *x, int t)
{
    switch (t) {
    case T_FINGERPRINT: return x->has_fingerprint != 0;
    case T_LIFETIME: return has_lifetime(x);
    case T_PROGRESS: return has_progress(x);
    default: return x->steps != 0;
    }
}

/* see ext.h */
size_t crumb__pext_size(const crumb_payload *p)
{
    size_t n = 0;
    int any = 0;
    for (int t = T_FINGERPRINT; t <= T_WORKFLOW; t++)
        if (present(&p->ext, t)) {
            n += 3 + field_len(&p->ext, t);
            any = 1;
        }
    return any || p->auth.state == CRUMB_AUTH_IDENTIFYING ? n + 1 : 0;
}

/* OR of the factor bits in list; -1 on a bit >= 32 or a repeat within seen. */
static int64_t factor_mask(const uint8_t *list, size_t n, uint32_t *seen)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i] >= 32 || (*seen & (1u << list[i])))
            return -1;
        *seen |= 1u << list[i];
        m |= 1u << list[i];
    }
    return m;
}

/* 0 if the factor progress is well formed and matches the auth bitmasks. */
static int progress_ok(const crumb_payload *p)
{
    const crumb_payload_ext *x = &p->ext;
    if (!has_progress(x))
        return 0;
    uint32_t seen = 0;
    if (x->method_len > CRUMB_METHOD_MAX || memchr(x->method, 0, x->method_len) ||
        x->done_count > CRUMB_FACTOR_SEQ_MAX || x->left_count > CRUMB_FACTOR_SEQ_MAX)
        return -1;
    int64_t done = factor_mask(x->done, x->done_count, &seen);
    int64_t left = factor_mask(x->left, x->left_count, &seen);
    if (done < 0 || left < 0 || (uint32_t)done != p->auth.factors)
        return -1;
    if (p->auth.state == CRUMB_AUTH_IN_PROGRESS)
        return (uint32_t)left == p->auth.remaining ? 0 : -1;
    return p->auth.state == CRUMB_AUTH_AUTHENTICATED && x->left_count == 0 ? 0 : -1;
}

/* see ext.h */
int crumb__pext_valid(const crumb_payload *p)
{
    const crumb_payload_ext *x = &p->ext;
    if ((x->has_fingerprint != 0 && x->has_fingerprint != 1) || x->lifetime < 0)
        return -1;
    if (x->steps && (p->auth.state != CRUMB_AUTH_PENDING || x->step >= x->steps))
        return -1;
    if (!x->steps && x->step)
        return -1;
    if (p->auth.state == CRUMB_AUTH_IDENTIFYING && (!p->user_len || p->auth.factors ||
                                                    p->auth.remaining || p->auth.time))
        return -1;
    return progress_ok(p);
}

/* Write the value of field t at w; return the end. */
static uint8_t *write_value(const crumb_payload_ext *x, int t, uint8_t *w)
{
    switch (t) {
    case T_FINGERPRINT:
        memcpy(w, x->fingerprint, CRUMB_FINGERPRINT_BYTES);
        return w + CRUMB_FINGERPRINT_BYTES;
    case T_LIFETIME:
        w = put(w, (uint64_t)x->lifetime, 8);
        return put(w, (uint64_t)x->idle, 8);
    case T_PROGRESS:
        *w++ = (uint8_t)x->method_len;
        memcpy(w, x->method, x->method_len), w += x->method_len;
        *w++ = (uint8_t)x->done_count;
        memcpy(w, x->done, x->done_count), w += x->done_count;
        *w++ = (uint8_t)x->left_count;
        memcpy(w, x->left, x->left_count), w += x->left_count;
        return put(w, (uint64_t)x->last_attempt, 8);
    default:
        w = put(w, x->step, 4);
        return put(w, x->steps, 4);
    }
}

/* see ext.h */
uint8_t *crumb__pext_write(const crumb_payload *p, uint8_t *w)
{
    uint8_t *count = w++;
    *count = 0;
    for (int t = T_FINGERPRINT; t <= T_WORKFLOW; t++) {
        if (!present(&p->ext, t))
            continue;
        (*count)++;
        *w++ = (uint8_t)t;
        w = put(w, field_len(&p->ext, t), 2);
        w = write_value(&p->ext, t, w);
    }
    return w;
}

/* Read a u8-counted list of at most max bytes from v[*o..len) into dst. */
static int read_list(const uint8_t *v, size_t len, size_t *o, uint8_t *dst, size_t max,
                     size_t *n)
{
    if (*o >= len)
        return -1;
    size_t k = v[(*o)++];
    if (k > max || len - *o < k)
        return -1;
    memcpy(dst, v + *o, k);
    *o += k;
    *n = k;
    return 0;
}

/* Decode the value of field t (len bytes at v) into x. 0, or -1. */
static int read_value(crumb_payload_ext *x, int t, const uint8_t *v, size_t len)
{
    size_t o = 0;
    switch (t) {
    case T_FINGERPRINT:
        if (len != CRUMB_FINGERPRINT_BYTES)
            return -1;
        memcpy(x->fingerprint, v, len);
        x->has_fingerprint = 1;
        return 0;
    case T_LIFETIME:
        if (len != 16)
            return -1;
        x->lifetime = to_i64(get(v, 8));
        x->idle = to_i64(get(v + 8, 8));
        return has_lifetime(x) ? 0 : -1;
    case T_PROGRESS:
        if (read_list(v, len, &o, (uint8_t *)x->method, CRUMB_METHOD_MAX, &x->method_len) ||
            read_list(v, len, &o, x->done, CRUMB_FACTOR_SEQ_MAX, &x->done_count) ||
            read_list(v, len, &o, x->left, CRUMB_FACTOR_SEQ_MAX, &x->left_count) ||
            len - o != 8)
            return -1;
        x->method[x->method_len] = '\0';
        x->last_attempt = to_i64(get(v + o, 8));
        return has_progress(x) ? 0 : -1;
    case T_WORKFLOW:
        if (len != 8)
            return -1;
        x->step = (uint32_t)get(v, 4);
        x->steps = (uint32_t)get(v + 4, 4);
        return x->steps ? 0 : -1;
    default:
        return -1; /* unknown type: refused */
    }
}

/* see ext.h */
int crumb__pext_read(crumb_payload *p, const uint8_t *in, size_t n, size_t *off)
{
    size_t o = *off;
    if (o >= n)
        return -1;
    size_t count = in[o++];
    int prev = 0;
    for (size_t i = 0; i < count; i++) {
        if (n - o < 3)
            return -1;
        int t = in[o];
        size_t len = (size_t)get(in + o + 1, 2);
        o += 3;
        if (t <= prev || n - o < len || read_value(&p->ext, t, in + o, len))
            return -1;
        prev = t;
        o += len;
    }
    if (crumb__pext_size(p) == 0 || crumb__pext_valid(p))
        return -1; /* v2 that needed no v2, or inconsistent */
    *off = o;
    return 0;
}
