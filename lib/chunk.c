/*
 * chunk.c - the session cookie on the wire: our cookies in a request's Cookie
 * header (one parse: name, name.1.., name.d), joined into one token; plan how a
 * token too long for one cookie splits; write the Set-Cookie lines, and the
 * deletions of stale chunks (also chunks that came without their head).
 */
#include "session.h"

#include <string.h>

/* Parse a canonical decimal in [lo, hi] from s[0..n); -1 if not one. */
static int parse_small(const char *s, size_t n, int lo, int hi)
{
    int v = 0;
    if (n == 0 || n > 2 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

/* ==== Request side ====================================================== */

/* Slot of a cookie name in crumb__req_cookies, or -1 if not ours. */
static int slot_of(const crumb_ctx *ctx, const char *name, size_t len)
{
    size_t nl = ctx->name_len;
    if (len < nl || memcmp(name, ctx->name, nl) != 0)
        return -1;
    if (len == nl)
        return 0;
    if (name[nl] != '.')
        return -1;
    if (len == nl + 2 && name[nl + 1] == CRUMB__DEVICE_SUFFIX[1])
        return CRUMB__SLOT_DEVICE;
    return parse_small(name + nl + 1, len - nl - 1, 1, CRUMB_CHUNKS_MAX - 1);
}

/* see session.h */
void crumb__chunk_scan(const crumb_ctx *ctx, const char *hdr, crumb__req_cookies *rq)
{
    crumb_cookie_pair cp;
    rq->seen = 0;
    const char *p = hdr;
    while (p && *p) {
        const char *semi = strchrnul(p, ';'); /* one pass: no strlen first */
        int ok = crumb__cookie_pair(p, 0, (size_t)(semi - p), &cp);
        p = *semi ? semi + 1 : NULL;
        if (!ok)
            continue;
        int k = slot_of(ctx, cp.name, cp.name_len);
        if (k < 0 || (rq->seen & (1u << k)))
            continue;
        rq->seen |= 1u << k;
        rq->val[k] = cp.value;
        rq->vlen[k] = cp.value_len;
    }
}

/* Note which of our cookies came (for the deletions on save). */
static void collect(crumb_session *s, const crumb__req_cookies *rq)
{
    s->had_cookie = (rq->seen & 1u) != 0;
    s->req_chunks |= rq->seen & ((1u << CRUMB_CHUNKS_MAX) - 2u);
}

/* Fail with code, logging reason. */
static crumb_err refuse(const crumb_session *s, crumb_reason reason, crumb_err code)
{
    crumb__ctx_log(s->ctx, reason, code, NULL);
    return code;
}

/* see session.h */
crumb_err crumb__chunk_find(crumb_session *s, const crumb__req_cookies *rq, crumb__chunks *ch)
{
    const crumb_ctx_config *c = &s->ctx->cfg;
    collect(s, rq);
    ch->n = 0;
    if (!s->had_cookie)
        return s->req_chunks ? refuse(s, CRUMB_R_BAD_CHUNKS, CRUMB_E_COOKIE) : CRUMB_OK;
    /* an unchunked value is the token; "N.<part0>" announces N parts. The
     * count has at most 2 digits, so only the first 3 bytes are searched:
     * a '.' further on is not base64url, and crumb_open refuses it. */
    ch->n = 1;
    ch->skip = 0;
    ch->total = rq->vlen[0];
    const char *dot = NULL;
    for (size_t i = 0; !dot && i < 3 && i < rq->vlen[0]; i++)
        dot = rq->val[0][i] == '.' ? rq->val[0] + i : NULL;
    if (dot) {
        int cnt = parse_small(rq->val[0], (size_t)(dot - rq->val[0]), 2, (int)c->max_chunks);
        if (cnt < 0)
            return refuse(s, CRUMB_R_BAD_CHUNKS, CRUMB_E_COOKIE);
        ch->n = (size_t)cnt;
        ch->skip = (size_t)(dot - rq->val[0]) + 1;
        ch->total -= ch->skip;
    }
    for (size_t k = 1; k < ch->n; k++)
        if (!(rq->seen & (1u << k)))
            return refuse(s, CRUMB_R_BAD_CHUNKS, CRUMB_E_COOKIE); /* partial set */
    for (size_t k = 0; k < ch->n; k++) {
        ch->val[k] = rq->val[k];
        ch->vlen[k] = rq->vlen[k];
        if (ch->vlen[k] > c->max_cookie_bytes)
            return refuse(s, CRUMB_R_TOO_LARGE, CRUMB_E_TOO_LARGE);
        ch->total += k ? ch->vlen[k] : 0;
    }
    if (ch->total > s->ctx->max_token)
        return refuse(s, CRUMB_R_TOO_LARGE, CRUMB_E_TOO_LARGE);
    return CRUMB_OK;
}

/* see session.h */
size_t crumb__chunk_join(const crumb__chunks *ch, char *tok)
{
    size_t off = ch->vlen[0] - ch->skip;
    memcpy(tok, ch->val[0] + ch->skip, off);
    for (size_t k = 1; k < ch->n; k++) {
        memcpy(tok + off, ch->val[k], ch->vlen[k]);
        off += ch->vlen[k];
    }
    return off;
}

/* ==== Response side ===================================================== */

/* see session.h */
size_t crumb__chunk_base_len(const crumb_ctx *ctx, int64_t max_age, int64_t now)
{
    /* as crumb_set_cookie: a saturated Expires is refused */
    if (max_age >= 0 && !crumb__imf_in_range(crumb__sat_add(now, max_age)))
        return 0;
    return crumb__cookie_line_len(&ctx->fmt, 0, 0, max_age);
}

/* Number of decimal digits of k (k < 100). */
static size_t digits(size_t k)
{
    return k >= 10 ? 2 : 1;
}

/* see session.h */
size_t crumb__chunk_plan(const crumb_ctx *ctx, size_t base, size_t tok_len,
                         size_t caps[CRUMB_CHUNKS_MAX])
{
    size_t max = ctx->cfg.max_cookie_bytes;
    for (size_t n = 2; n <= ctx->cfg.max_chunks; n++) {
        size_t total = 0, ok = 1;
        for (size_t k = 0; k < n; k++) {
            size_t over = base + (k == 0 ? digits(n) + 1 : 1 + digits(k));
            if (over >= max) {
                ok = 0;
                break;
            }
            caps[k] = max - over;
            total += caps[k];
        }
        if (ok && total >= tok_len)
            return n;
    }
    return 0;
}

/* Where the next line goes in the session's output block. */
typedef struct out_cursor {
    char *w, *end;
    size_t *count;
} out_cursor;

/* Append one line (a deletion if value is NULL) for chunk k (0 = main). */
static crumb_err add_line(crumb_session *s, out_cursor *o, size_t k, const char *value,
                          size_t vlen, int64_t max_age, int64_t now)
{
    char sfx[3];
    size_t got = 0, sl = 0;
    if (k) {
        sfx[sl++] = '.';
        if (k >= 10)
            sfx[sl++] = (char)('0' + k / 10);
        sfx[sl++] = (char)('0' + k % 10);
    }
    size_t room = (size_t)(o->end - o->w);
    crumb_err rc = value ? crumb__cookie_line(o->w, room, &got, &s->ctx->fmt, sfx, sl, value, vlen,
                                              max_age, crumb__sat_add(now, max_age))
                         : crumb__cookie_line(o->w, room, &got, &s->ctx->fmt, sfx, sl, "", 0, 0, 0);
    if (rc != CRUMB_OK)
        return rc == CRUMB_E_BUFSIZE ? CRUMB_E_INTERNAL : rc;
    s->lines[(*o->count)++] = o->w;
    o->w += got + 1;
    return CRUMB_OK;
}

/* Number of bits set in v. */
static size_t popcount(uint32_t v)
{
    size_t n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* Allocate the output block: set_bytes for the set-lines, and the
 * deletions (the main cookie and each chunk the request carried). */
static crumb_err out_alloc(crumb_session *s, size_t set_bytes, out_cursor *o)
{
    size_t del = crumb__cookie_line_len(&s->ctx->fmt, 3, 0, 0) + 1;
    size_t n = set_bytes + (1 + popcount(s->req_chunks)) * del;
    crumb__free(s->out);
    s->out = crumb__malloc(n);
    if (!s->out)
        return CRUMB_E_NOMEM;
    o->w = s->out;
    o->end = s->out + n;
    return CRUMB_OK;
}

/* Deletion lines: the main cookie if del_main, and every chunk k >= first
 * the request carried. */
static crumb_err add_deletions(crumb_session *s, out_cursor *o, int del_main, size_t first)
{
    crumb_err rc = CRUMB_OK;
    if (del_main)
        rc = add_line(s, o, 0, NULL, 0, 0, 0);
    uint32_t left = s->req_chunks & ~((1u << (first ? first : 1)) - 1u);
    for (size_t k = 1; rc == CRUMB_OK && left; k++) { /* in order, set bits only */
        if (left & (1u << k)) {
            left &= ~(1u << k);
            rc = add_line(s, o, k, NULL, 0, 0, 0);
        }
    }
    return rc;
}

/* see session.h */
crumb_err crumb__chunk_delete_all(crumb_session *s, size_t *count, int del_main)
{
    out_cursor o = {.count = count};
    crumb_err rc = out_alloc(s, 0, &o);
    if (rc == CRUMB_OK)
        rc = add_deletions(s, &o, del_main, 1);
    if (rc != CRUMB_OK) {
        *count = 0;
        return rc;
    }
    s->had_cookie = 0;
    s->req_chunks = 0;
    return CRUMB_OK;
}

/* see session.h */
crumb_err crumb__chunk_emit(crumb_session *s, size_t *count, char *tok, size_t tok_len, size_t n,
                            const size_t caps[CRUMB_CHUNKS_MAX], int64_t max_age, int64_t now)
{
    out_cursor o = {.count = count};
    /* each line: the attributes, a suffix or head of at most 3, its part, a NUL */
    size_t line = crumb__cookie_line_len(&s->ctx->fmt, 3, 3, max_age) + 1;
    crumb_err rc = out_alloc(s, n * line + tok_len, &o);
    if (rc == CRUMB_OK && n == 1)
        rc = add_line(s, &o, 0, tok, tok_len, max_age, now);
    if (rc == CRUMB_OK && n > 1) {
        /* head: "N." + first part, written into the room before the token */
        char *head = tok - 1 - digits(n);
        head[0] = (char)('0' + (n >= 10 ? n / 10 : n));
        if (n >= 10)
            head[1] = (char)('0' + n % 10);
        head[digits(n)] = '.';
        size_t off = 0;
        for (size_t k = 0; rc == CRUMB_OK && k < n; k++) {
            size_t part = tok_len - off < caps[k] ? tok_len - off : caps[k];
            rc = k ? add_line(s, &o, k, tok + off, part, max_age, now)
                   : add_line(s, &o, 0, head, part + digits(n) + 1, max_age, now);
            off += part;
        }
    }
    if (rc == CRUMB_OK)
        rc = add_deletions(s, &o, 0, n); /* chunks the shorter token no longer uses */
    if (rc != CRUMB_OK)
        return rc;
    s->req_chunks = 0;
    for (size_t k = 1; k < n; k++)
        s->req_chunks |= 1u << k;
    s->had_cookie = 1;
    return CRUMB_OK;
}
