/*
 * session.c - the application context (codec + cookie attributes + policy)
 * and the session API: load a session from a request Cookie header (chunk
 * reassembly, open, unpad, inflate, payload decode, expiry checks, schema
 * migration) and save it back as Set-Cookie lines (size policy, chunking,
 * stale-chunk deletion, renewal throttle). The store modes' per-request
 * work (revocation, replay, records, devices) is in modes.c.
 */
#include "session.h"

#include <string.h>

#define DATA_MAX (CRUMB_PAYLOAD_MAX - 1024u) /* room left for the fixed fields */

/* ==== Small helpers ===================================================== */


#define log_reason crumb__ctx_log

/* Wipe and free a buffer of n bytes (NULL allowed). */
static void wipe_free(void *p, size_t n)
{
    if (p) {
        crumb_wipe(p, n);
        crumb__free(p);
    }
}

/* ==== Session state ===================================================== */

/* Turn s into a fresh anonymous session (keeps the request cookie facts). */
static crumb_err make_fresh(crumb_session *s)
{
    const crumb_ctx_config *c = &s->ctx->cfg;
    crumb_wipe(&s->p, sizeof s->p);
    if (s->data)
        crumb_wipe(s->data, s->data_cap);
    s->p.version = CRUMB_PAYLOAD_VERSION;
    crumb__expiry_start(s->ctx, &s->p, s->now);
    s->p.app_schema = c->app_schema;
    s->p.data = s->data;
    s->fresh = 1;
    s->dirty = s->migrated = s->reseal = 0;
    crumb_err rc = crumb__ctx_random(s->ctx, s->p.sid, CRUMB_SID_BYTES);
    return rc ? rc : crumb__ctx_random(s->ctx, s->p.family, CRUMB_SID_BYTES);
}

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

/* Copy a decoded payload into s (data into s's own buffer). */
static crumb_err adopt(crumb_session *s, const crumb_payload *p)
{
    if (p->data_len > s->data_cap) {
        uint8_t *d = crumb__malloc(p->data_len);
        if (!d)
            return CRUMB_E_NOMEM;
        wipe_free(s->data, s->data_cap);
        s->data = d;
        s->data_cap = p->data_len;
    }
    s->p = *p;
    if (p->data_len)
        memcpy(s->data, p->data, p->data_len);
    s->p.data = s->data;
    return CRUMB_OK;
}

/* Find our cookie (and its chunks) in the header, authenticate, decode and
 * check it; on success s holds the session. Records which of our cookies
 * the request carried so save can delete stale ones. */
static crumb_err load_cookie(crumb_session *s, const char *hdr)
{
    crumb_ctx *ctx = s->ctx;
    const crumb_ctx_config *c = &ctx->cfg;
    size_t len = hdr ? strlen(hdr) : 0, pos = 0, nl = ctx->name_len;
    const char *val[CRUMB_CHUNKS_MAX] = {0};
    size_t vlen[CRUMB_CHUNKS_MAX] = {0};
    crumb_cookie_pair cp;

    while (crumb_cookie_next(hdr, len, &pos, &cp)) {
        if (cp.name_len < nl || memcmp(cp.name, ctx->name, nl) != 0)
            continue;
        int k = 0;
        if (cp.name_len > nl) {
            if (cp.name[nl] != '.')
                continue;
            k = parse_small(cp.name + nl + 1, cp.name_len - nl - 1, 1, CRUMB_CHUNKS_MAX - 1);
            if (k < 0)
                continue;
            s->req_chunks |= 1u << k;
        } else {
            s->had_cookie = 1;
        }
        if (!val[k]) { /* first occurrence wins (the most specific path) */
            val[k] = cp.value;
            vlen[k] = cp.value_len;
        }
    }
    if (!s->had_cookie) {
        if (!s->req_chunks)
            return CRUMB_OK;
        log_reason(ctx, CRUMB_R_BAD_CHUNKS, CRUMB_E_COOKIE, NULL);
        return CRUMB_E_COOKIE; /* chunks without their head */
    }

    /* Reassemble: an unchunked value is the token; "N.<part0>" announces N. */
    size_t total = vlen[0], n = 1, skip = 0;
    const char *dot = memchr(val[0], '.', vlen[0]);
    if (dot) {
        int cnt = parse_small(val[0], (size_t)(dot - val[0]), 2, (int)c->max_chunks);
        if (cnt < 0) {
            log_reason(ctx, CRUMB_R_BAD_CHUNKS, CRUMB_E_COOKIE, NULL);
            return CRUMB_E_COOKIE;
        }
        n = (size_t)cnt;
        skip = (size_t)(dot - val[0]) + 1;
        total -= skip;
        for (size_t k = 1; k < n; k++) {
            if (!val[k]) {
                log_reason(ctx, CRUMB_R_BAD_CHUNKS, CRUMB_E_COOKIE, NULL);
                return CRUMB_E_COOKIE; /* partial set */
            }
            if (vlen[k] > c->max_cookie_bytes)
                break;
            total += vlen[k];
        }
    }
    if (total > ctx->max_token || vlen[0] > c->max_cookie_bytes) {
        log_reason(ctx, CRUMB_R_TOO_LARGE, CRUMB_E_TOO_LARGE, NULL);
        return CRUMB_E_TOO_LARGE;
    }
    for (size_t k = 1; k < n; k++) {
        if (vlen[k] > c->max_cookie_bytes) {
            log_reason(ctx, CRUMB_R_TOO_LARGE, CRUMB_E_TOO_LARGE, NULL);
            return CRUMB_E_TOO_LARGE;
        }
    }

    /* One block, sized from the configuration (never from the request):
     * token chars | plaintext. The inflate buffer is taken only for a
     * deflated token. */
    size_t ptcap = crumb_open_bufsize(ctx->max_token);
    size_t blk = ctx->max_token + ptcap;
    char *buf = crumb__malloc(blk);
    if (!buf)
        return CRUMB_E_NOMEM;
    char *tok = buf;
    uint8_t *pt = (uint8_t *)buf + ctx->max_token;
    uint8_t *inf = NULL;
    size_t off = 0;
    memcpy(tok, val[0] + skip, vlen[0] - skip);
    off = vlen[0] - skip;
    for (size_t k = 1; k < n; k++) {
        memcpy(tok + off, val[k], vlen[k]);
        off += vlen[k];
    }

    crumb_open_info info = {0};
    size_t pt_len = 0;
    crumb_payload p;
    crumb_err rc = crumb_open(ctx->codec, pt, ptcap, &pt_len, tok, off, &info);
    int is_ref = rc == CRUMB_OK && (info.flags & CRUMB_FLAG_REFERENCE);
    if (is_ref && c->mode == CRUMB_MODE_STATELESS) {
        /* a server-reference token is meaningless to a stateless context */
        log_reason(ctx, CRUMB_R_BAD_FLAGS, CRUMB_E_AUTH, &info);
        rc = CRUMB_E_AUTH;
    }
    const uint8_t *body = pt;
    if (rc == CRUMB_OK && (info.flags & CRUMB_FLAG_PADDED)) {
        pt_len = crumb__unpad(pt, pt_len);
        if (pt_len == (size_t)-1) {
            log_reason(ctx, CRUMB_R_PAYLOAD, CRUMB_E_PAYLOAD, &info);
            rc = CRUMB_E_PAYLOAD;
        }
    }
    if (rc == CRUMB_OK && (info.flags & CRUMB_FLAG_DEFLATE)) {
        size_t out_len = 0;
        inf = crumb__malloc(c->inflate_max);
        rc = inf ? crumb__inflate(inf, c->inflate_max, &out_len, pt, pt_len, c->inflate_ratio)
                 : CRUMB_E_NOMEM;
        if (rc == CRUMB_OK) {
            body = inf;
            pt_len = out_len;
        } else {
            log_reason(ctx, rc == CRUMB_E_INFLATE ? CRUMB_R_INFLATE_LIMIT : CRUMB_R_PAYLOAD, rc,
                       &info);
        }
    }
    if (rc == CRUMB_OK) {
        rc = crumb_payload_decode(&p, body, pt_len);
        if (rc != CRUMB_OK)
            log_reason(ctx, rc == CRUMB_E_VERSION ? CRUMB_R_PAYLOAD_VERSION : CRUMB_R_PAYLOAD, rc,
                       &info);
    }
    if (rc == CRUMB_OK)
        rc = crumb__expiry_check(ctx, &p, s->now, &info);
    uint8_t *rec = NULL;
    size_t rec_cap = 0;
    if (rc == CRUMB_OK && is_ref) { /* the data lives in the store */
        crumb_payload ref = p;
        rc = crumb__modes_fetch(s, &ref, &p, &rec, &rec_cap);
        if (rc == CRUMB_E_NOTFOUND) { /* decided after the replay check */
            p = ref;
            s->record_missing = 1;
            rc = CRUMB_OK;
        }
        crumb_wipe(&ref, sizeof ref);
    }
    if (rc == CRUMB_OK && p.app_schema > c->app_schema) {
        log_reason(ctx, CRUMB_R_PAYLOAD_VERSION, CRUMB_E_VERSION, &info);
        rc = CRUMB_E_VERSION; /* written by a newer application */
    }
    if (rc == CRUMB_OK)
        rc = adopt(s, &p);
    crumb_wipe(&p, sizeof p);
    wipe_free(buf, blk);
    wipe_free(inf, inf ? c->inflate_max : 0);
    wipe_free(rec, rec_cap);
    if (rc != CRUMB_OK)
        return rc;

    s->fresh = 0;
    s->reseal = info.reseal;
    if (s->p.app_schema < c->app_schema) {
        uint32_t from = s->p.app_schema;
        if (c->migrate && (rc = c->migrate(c->migrate_ctx, s, from)) != CRUMB_OK)
            return rc;
        s->p.app_schema = c->app_schema;
        s->migrated = 1;
    }
    return CRUMB_OK;
}

/* 1 if rc means the store could not be asked (as opposed to a verdict). */
static int is_outage(crumb_err rc)
{
    return rc == CRUMB_E_BACKEND || rc == CRUMB_E_TIMEOUT || rc == CRUMB_E_IO ||
           rc == CRUMB_E_NOSPC || rc == CRUMB_E_NOMEM || rc == CRUMB_E_UNSUPPORTED;
}

/* see crumb.h */
crumb_err crumb_session_load(crumb_ctx *ctx, const char *cookie_header, crumb_session **out)
{
    if (!out)
        return CRUMB_E_INVALID;
    *out = NULL;
    if (!ctx)
        return CRUMB_E_INVALID;
    crumb_session *s = crumb__calloc(1, sizeof *s);
    if (!s)
        return CRUMB_E_NOMEM;
    s->ctx = ctx;
    s->now = crumb_codec_now(ctx->codec);
    s->fresh = 1;
    int store_mode = ctx->cfg.mode != CRUMB_MODE_STATELESS;
    if (store_mode)
        crumb__modes_load_device(s, cookie_header);
    crumb_err rc = load_cookie(s, cookie_header);
    if (rc == CRUMB_OK && !s->fresh && store_mode) {
        /* after authentication and the time checks: ask the store */
        rc = crumb__modes_check(s);
        if (rc == CRUMB_OK && s->record_missing) {
            /* logged out, swept, or an old id after its grace window */
            crumb_codec_log(ctx->codec, CRUMB_R_REVOKED, CRUMB_E_REVOKED, 0, 0);
            rc = CRUMB_E_REVOKED;
        }
    }
    if (rc != CRUMB_OK && store_mode) {
        s->has_record = 0;
        s->stale_gen = 0;
        s->loaded_gen = 0;
        crumb__modes_reset_device(s);
        if (is_outage(rc))
            s->store_down = rc; /* save refuses: never overwrite the cookie */
    }
    if (rc != CRUMB_OK || s->fresh) {
        crumb_err frc = make_fresh(s);
        if (frc != CRUMB_OK) {
            crumb_session_free(s);
            return frc;
        }
    }
    *out = s;
    return rc;
}

/* ==== Save ============================================================== */

/* Length of "name=; <attrs>" for the given max-age: the line minus value
 * and name suffix. 0 on an invalid configuration. */
static size_t base_line_len(const crumb_ctx *ctx, int64_t max_age, int64_t now)
{
    size_t need = 0;
    char dummy[1];
    crumb_err rc = crumb_set_cookie(dummy, 0, &need, &ctx->attrs, NULL, "", 0, max_age, now);
    return rc == CRUMB_E_BUFSIZE ? need - 1 : 0;
}

/* Number of decimal digits of k (k < 100). */
static size_t digits(size_t k)
{
    return k >= 10 ? 2 : 1;
}

/* Smallest chunk count N (2..max) whose lines can carry tok_len chars; 0 if
 * none. caps[k] receives each chunk's capacity. */
static size_t plan_chunks(const crumb_ctx *ctx, size_t base, size_t tok_len,
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

/* Append one line to the session's output (buf has room by construction). */
static crumb_err add_line(crumb_session *s, size_t *count, char **w, char *end, int del,
                          size_t chunk, const char *value, size_t vlen, int64_t max_age,
                          int64_t now)
{
    char suffix[4] = "";
    size_t got = 0;
    if (chunk) {
        suffix[0] = '.';
        if (chunk >= 10) {
            suffix[1] = (char)('0' + chunk / 10);
            suffix[2] = (char)('0' + chunk % 10);
        } else {
            suffix[1] = (char)('0' + chunk);
        }
    }
    const char *sfx = chunk ? suffix : NULL;
    crumb_err rc = del ? crumb_delete_cookie(*w, (size_t)(end - *w), &got, &s->ctx->attrs, sfx)
                       : crumb_set_cookie(*w, (size_t)(end - *w), &got, &s->ctx->attrs, sfx,
                                          value, vlen, max_age, now);
    if (rc != CRUMB_OK)
        return rc == CRUMB_E_BUFSIZE ? CRUMB_E_INTERNAL : rc;
    s->lines[(*count)++] = *w;
    *w += got + 1;
    return CRUMB_OK;
}

/* Allocate the output block for up to nset set-lines and the deletions. */
static crumb_err out_alloc(crumb_session *s, size_t nset, char **w, char **end)
{
    size_t del = base_line_len(s->ctx, 0, 0) + 4 + 1;
    size_t n = nset * (s->ctx->cfg.max_cookie_bytes + 1) + (CRUMB_CHUNKS_MAX + 1) * del;
    crumb__free(s->out);
    s->out = crumb__malloc(n);
    if (!s->out)
        return CRUMB_E_NOMEM;
    *w = s->out;
    *end = s->out + n;
    return CRUMB_OK;
}

/* Deletion lines: the main cookie if del_main, and every chunk k >= first
 * the request carried. */
static crumb_err add_deletions(crumb_session *s, size_t *count, char **w, char *end,
                               int del_main, size_t first)
{
    crumb_err rc = CRUMB_OK;
    if (del_main)
        rc = add_line(s, count, w, end, 1, 0, NULL, 0, 0, 0);
    for (size_t k = first ? first : 1; rc == CRUMB_OK && k < CRUMB_CHUNKS_MAX; k++)
        if (s->req_chunks & (1u << k))
            rc = add_line(s, count, w, end, 1, k, NULL, 0, 0, 0);
    return rc;
}

/* Deflate buf[0..*len) into tmp if that makes it smaller; swap on success. */
static crumb_err try_deflate(uint8_t **buf, uint8_t **tmp, size_t *len, unsigned *flags)
{
    size_t out_len = 0;
    if (*len < 2)
        return CRUMB_OK;
    crumb_err rc = crumb__deflate(*tmp, *len - 1, &out_len, *buf, *len);
    if (rc == CRUMB_E_TOO_LARGE)
        return CRUMB_OK; /* incompressible: keep it plain */
    if (rc != CRUMB_OK)
        return rc;
    uint8_t *t = *buf;
    *buf = *tmp;
    *tmp = t;
    *len = out_len;
    *flags |= CRUMB_FLAG_DEFLATE;
    return CRUMB_OK;
}

/* Store the encoded payload pt[0..*len) as the session record and replace
 * it with the reference payload (everything but the application data). */
static crumb_err spill(crumb_session *s, uint8_t *pt, size_t room, size_t *len, unsigned *flags,
                       int64_t now)
{
    crumb_err rc = crumb__modes_put_record(s, pt, *len, now);
    if (rc != CRUMB_OK)
        return rc;
    crumb_payload ref = s->p;
    ref.data = NULL;
    ref.data_len = 0;
    ref.data_count = 0;
    *flags = CRUMB_FLAG_REFERENCE;
    rc = crumb_payload_encode(&ref, pt, room, len);
    crumb_wipe(&ref, sizeof ref);
    return rc;
}

/* Encode, compress, pad and seal; fills the output lines. */
static crumb_err seal_lines(crumb_session *s, int64_t now, size_t *count)
{
    crumb_ctx *ctx = s->ctx;
    const crumb_ctx_config *c = &ctx->cfg;
    size_t need = 0;
    crumb_err rc = crumb_payload_encode(&s->p, NULL, 0, &need);
    if (rc != CRUMB_E_BUFSIZE)
        return rc == CRUMB_OK ? CRUMB_E_INTERNAL : rc;
    size_t room = need + c->pad_block + 1;
    uint8_t *blk = crumb__malloc(2 * room);
    if (!blk)
        return CRUMB_E_NOMEM;
    uint8_t *pt = blk, *tmp = blk + room;
    char *tok = NULL;
    size_t tok_cap = 0, len = 0;
    unsigned flags = 0;
    rc = crumb_payload_encode(&s->p, pt, room, &len);
    if (rc == CRUMB_OK && c->mode == CRUMB_MODE_SERVER)
        rc = spill(s, pt, room, &len, &flags, now);
    if (rc == CRUMB_OK && c->compress == CRUMB_COMPRESS_ON && len >= c->compress_threshold &&
        !(flags & CRUMB_FLAG_REFERENCE))
        rc = try_deflate(&pt, &tmp, &len, &flags);

    /* the cookie lives as long as the session can: never past the absolute
     * lifetime, whatever expires_at says (it may come from an older, longer
     * configuration) */
    int64_t max_age = crumb__expiry_max_age(ctx, &s->p, now);
    size_t base = base_line_len(ctx, max_age, now), tok_len = 0, n = 1;
    size_t caps[CRUMB_CHUNKS_MAX];
    for (int pass = 0; rc == CRUMB_OK; pass++) {
        size_t plen = len;
        if (c->pad_block)
            plen = crumb__padded_len(len, c->pad_block);
        tok_len = crumb_token_len(ctx->codec, plen);
        s->cookie_size = base + tok_len;
        if (base == 0)
            rc = CRUMB_E_INVALID;
        else if (s->cookie_size <= c->max_cookie_bytes)
            break;
        else if (c->size_policy == CRUMB_SIZE_COMPRESS && pass == 0 &&
                 !(flags & CRUMB_FLAG_DEFLATE)) {
            rc = try_deflate(&pt, &tmp, &len, &flags);
            continue;
        } else if (c->size_policy == CRUMB_SIZE_CHUNK) {
            n = plan_chunks(ctx, base, tok_len, caps);
            if (n == 0)
                rc = CRUMB_E_TOO_LARGE;
            break;
        } else if (c->size_policy == CRUMB_SIZE_STORE && c->mode != CRUMB_MODE_STATELESS &&
                   !(flags & CRUMB_FLAG_REFERENCE)) {
            /* spill: the data moves to the store, the cookie carries a reference */
            flags = 0;
            rc = crumb_payload_encode(&s->p, pt, room, &len);
            if (rc == CRUMB_OK)
                rc = spill(s, pt, room, &len, &flags, now);
            continue;
        } else {
            rc = CRUMB_E_TOO_LARGE;
        }
    }
    if (rc == CRUMB_E_TOO_LARGE)
        log_reason(ctx, CRUMB_R_TOO_LARGE, rc, NULL);
    if (rc == CRUMB_OK && c->pad_block) {
        size_t plen = crumb__padded_len(len, c->pad_block);
        crumb__pad(pt, len, plen);
        len = plen;
        flags |= CRUMB_FLAG_PADDED;
    }
    if (rc == CRUMB_OK) {
        tok_cap = tok_len + 4; /* "NN." prefix of a chunked head */
        tok = crumb__malloc(tok_cap);
        if (!tok)
            rc = CRUMB_E_NOMEM;
    }
    size_t got = 0;
    if (rc == CRUMB_OK)
        rc = crumb_seal(ctx->codec, tok + 3, tok_cap - 3, &got, pt, len, flags);
    if (rc == CRUMB_OK && got != tok_len)
        rc = CRUMB_E_INTERNAL;
    char *w = NULL, *end = NULL;
    if (rc == CRUMB_OK)
        rc = out_alloc(s, n, &w, &end);
    if (rc == CRUMB_OK && n == 1) {
        rc = add_line(s, count, &w, end, 0, 0, tok + 3, tok_len, max_age, now);
    } else if (rc == CRUMB_OK) {
        /* head: "N." + first part, written just before the token */
        char *head = tok + 3 - 1 - digits(n);
        head[0] = (char)('0' + (n >= 10 ? n / 10 : n));
        if (n >= 10)
            head[1] = (char)('0' + n % 10);
        head[digits(n)] = '.';
        size_t off = 0;
        for (size_t k = 0; rc == CRUMB_OK && k < n; k++) {
            size_t part = tok_len - off < caps[k] ? tok_len - off : caps[k];
            if (k == 0)
                rc = add_line(s, count, &w, end, 0, 0, head, part + digits(n) + 1, max_age, now);
            else
                rc = add_line(s, count, &w, end, 0, k, tok + 3 + off, part, max_age, now);
            off += part;
        }
    }
    if (rc == CRUMB_OK)
        rc = add_deletions(s, count, &w, end, 0, n);
    if (rc == CRUMB_OK) {
        s->req_chunks = 0;
        for (size_t k = 1; k < n; k++)
            s->req_chunks |= 1u << k;
        s->had_cookie = 1;
    }
    wipe_free(blk, 2 * room);
    wipe_free(tok, tok_cap);
    return rc;
}

/* see crumb.h */
crumb_err crumb_session_save(crumb_session *s, const char *const **lines, size_t *count)
{
    if (!s || !lines || !count)
        return CRUMB_E_INVALID;
    *lines = s->lines;
    *count = 0;
    crumb_ctx *ctx = s->ctx;
    const crumb_ctx_config *c = &ctx->cfg;
    int store_mode = c->mode != CRUMB_MODE_STATELESS;
    if (s->store_down)
        return s->store_down; /* the request's cookie may be valid: keep it */
    if (store_mode && s->stale_gen && !s->logged_out && !s->new_family)
        /* raced a rotation: the winner's cookie stands; changes are lost */
        return s->dirty || s->migrated ? CRUMB_E_CONFLICT : CRUMB_OK;

    int64_t now = crumb_codec_now(ctx->codec);
    char *w, *end;
    crumb_err rc;
    if (s->logged_out || (s->fresh && !s->dirty)) {
        if (!s->logged_out && !s->had_cookie && !s->req_chunks)
            return CRUMB_OK; /* nothing to say */
        if ((rc = out_alloc(s, 0, &w, &end)) != CRUMB_OK)
            return rc;
        rc = add_deletions(s, count, &w, end, s->logged_out || s->had_cookie, 1);
        if (rc == CRUMB_OK) {
            s->had_cookie = 0;
            s->req_chunks = 0;
            s->logged_out = 0;
        } else {
            *count = 0;
        }
        return rc;
    }
    int renew = crumb__expiry_renew_due(ctx, &s->p, now);
    if (!(s->dirty || s->migrated || s->reseal || renew))
        return CRUMB_OK;
    if (store_mode && (rc = crumb__modes_before_save(s, now)) != CRUMB_OK)
        return rc;

    int64_t idle_saved = s->p.idle_at;
    crumb__expiry_touch(ctx, &s->p, now);
    rc = seal_lines(s, now, count);
    if (rc == CRUMB_OK && store_mode)
        rc = crumb__modes_after_save(s, now);
    if (rc != CRUMB_OK) {
        s->p.idle_at = idle_saved;
        *count = 0;
        return rc;
    }
    if (s->dev_line_ready) {
        s->lines[(*count)++] = s->dev_line;
        s->dev_line_ready = 0;
    }
    s->login = 0;
    s->dirty = s->migrated = s->reseal = s->fresh = 0;
    return CRUMB_OK;
}

/* see crumb.h */
size_t crumb_session_cookie_size(const crumb_session *s)
{
    return s->cookie_size;
}

/* A rotation (login, privilege change) issues a new session: its times
 * restart, so revocations that predate it ("log out others") do not catch
 * it. */
static void restart_times(crumb_session *s)
{
    crumb__expiry_start(s->ctx, &s->p, crumb_codec_now(s->ctx->codec));
    s->dirty = 1;
}

/* see crumb.h */
crumb_err crumb_session_rotate(crumb_session *s)
{
    crumb_err rc = crumb__ctx_random(s->ctx, s->p.sid, CRUMB_SID_BYTES);
    if (rc != CRUMB_OK)
        return rc;
    s->p.generation++;
    restart_times(s);
    return CRUMB_OK;
}

/* A login (the user changes): a new session id in a new family, so the
 * pre-login cookie (possibly planted: fixation) shares nothing with the
 * signed-in session, and replaying it cannot revoke it. */
static crumb_err start_login(crumb_session *s)
{
    crumb_err rc = crumb__ctx_random(s->ctx, s->p.sid, CRUMB_SID_BYTES);
    if (rc == CRUMB_OK)
        rc = crumb__ctx_random(s->ctx, s->p.family, CRUMB_SID_BYTES);
    if (rc != CRUMB_OK)
        return rc;
    s->p.generation = 1;
    restart_times(s);
    s->new_family = s->login = 1;
    s->dev_checked = 0; /* the device is checked for the new user on save */
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_logout(crumb_session *s)
{
    crumb_err rc = CRUMB_OK;
    if (!s)
        return CRUMB_E_INVALID;
    if (s->ctx->cfg.mode != CRUMB_MODE_STATELESS)
        rc = crumb__modes_logout(s);
    crumb_err frc = make_fresh(s); /* a failed id draw leaves zero ids; never sealed */
    s->logged_out = 1;
    s->new_family = s->login = 0;
    return rc != CRUMB_OK ? rc : frc;
}

/* see crumb.h */
void crumb_session_free(crumb_session *s)
{
    if (!s)
        return;
    wipe_free(s->data, s->data_cap);
    crumb__free(s->out);
    crumb_wipe(s, sizeof *s);
    crumb__free(s);
}

/* see crumb.h */
const crumb_payload *crumb_session_payload(const crumb_session *s)
{
    return &s->p;
}

/* see crumb.h */
int crumb_session_is_new(const crumb_session *s)
{
    return s->fresh;
}

/* ==== Fields ============================================================ */

/* Set one of the id fields. An id with a NUL inside is refused: stores
 * take ids as C strings, so "alice\0x" would act as "alice". */
static crumb_err set_id(crumb_session *s, char *dst, size_t *dst_len, const char *id, size_t len)
{
    if (!id)
        len = 0;
    if (len > CRUMB_ID_MAX)
        return CRUMB_E_LIMIT;
    if (len && memchr(id, 0, len))
        return CRUMB_E_INVALID;
    if (len)
        memcpy(dst, id, len);
    dst[len] = '\0';
    *dst_len = len;
    s->dirty = 1;
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_set_user(crumb_session *s, const char *id, size_t len)
{
    size_t n = id ? len : 0;
    int changes = n && (n != s->p.user_len || memcmp(id, s->p.user, n) != 0);
    crumb_err rc = set_id(s, s->p.user, &s->p.user_len, id, len);
    return rc == CRUMB_OK && changes ? start_login(s) : rc;
}

/* see crumb.h */
crumb_err crumb_session_set_tenant(crumb_session *s, const char *id, size_t len)
{
    return set_id(s, s->p.tenant, &s->p.tenant_len, id, len);
}

/* see crumb.h */
crumb_err crumb_session_set_device(crumb_session *s, const char *id, size_t len)
{
    return set_id(s, s->p.device, &s->p.device_len, id, len);
}

/* see crumb.h */
crumb_err crumb_session_set_auth(crumb_session *s, const crumb_auth *a)
{
    crumb_auth n = {0};
    n.state = a->state;
    switch (a->state) {
    case CRUMB_AUTH_ANONYMOUS:
        break;
    case CRUMB_AUTH_IN_PROGRESS:
        n.factors = a->factors;
        n.remaining = a->remaining;
        n.attempts = a->attempts;
        n.time = a->time;
        break;
    case CRUMB_AUTH_AUTHENTICATED:
        n.factors = a->factors;
        n.time = a->time;
        break;
    case CRUMB_AUTH_PENDING:
        n.workflow = a->workflow;
        n.time = a->time;
        break;
    default:
        return CRUMB_E_INVALID;
    }
    s->p.auth = n;
    s->dirty = 1;
    return CRUMB_OK;
}

/* see crumb.h */
int crumb_session_auth_fresh(const crumb_session *s, int64_t max_age)
{
    int64_t now = crumb_codec_now(s->ctx->codec);
    return s->p.auth.state == CRUMB_AUTH_AUTHENTICATED &&
           crumb__expiry_within(s->p.auth.time, now, max_age);
}

/* ==== Application data ================================================== */

/* Locate key: returns 1 and the entry's [start, end) if present, else 0 and
 * the insertion offset in *start. */
static int data_find(const crumb_session *s, const char *key, size_t klen, size_t *start,
                     size_t *end)
{
    size_t pos = 0, at = 0, kl, vl;
    const char *k;
    const uint8_t *v;
    while (crumb_payload_data_next(s->data, s->p.data_len, &pos, &k, &kl, &v, &vl)) {
        int cmp = crumb__key_cmp(k, kl, key, klen);
        if (cmp == 0) {
            *start = at;
            *end = pos;
            return 1;
        }
        if (cmp > 0)
            break;
        at = pos;
    }
    *start = at;
    *end = at;
    return 0;
}

/* see crumb.h */
crumb_err crumb_session_set(crumb_session *s, const char *key, const void *val, size_t len)
{
    size_t klen = key ? strlen(key) : 0, start, end;
    if (klen == 0 || (len && !val))
        return CRUMB_E_INVALID;
    if (klen > CRUMB_DATA_KEY_MAX || len > CRUMB_DATA_VALUE_MAX)
        return CRUMB_E_LIMIT;
    int found = data_find(s, key, klen, &start, &end);
    size_t entry = 1 + klen + 2 + len;
    size_t new_len = s->p.data_len - (end - start) + entry;
    if (new_len > DATA_MAX || (!found && s->p.data_count >= CRUMB_DATA_ENTRIES_MAX))
        return CRUMB_E_LIMIT;
    if (new_len > s->data_cap) {
        size_t cap = s->data_cap ? s->data_cap : 256;
        while (cap < new_len)
            cap *= 2;
        uint8_t *d = crumb__malloc(cap);
        if (!d)
            return CRUMB_E_NOMEM;
        if (s->p.data_len)
            memcpy(d, s->data, s->p.data_len);
        wipe_free(s->data, s->data_cap);
        s->data = d;
        s->data_cap = cap;
        s->p.data = d;
    }
    memmove(s->data + start + entry, s->data + end, s->p.data_len - end);
    uint8_t *w = s->data + start;
    *w++ = (uint8_t)klen;
    memcpy(w, key, klen), w += klen;
    *w++ = (uint8_t)(len >> 8);
    *w++ = (uint8_t)len;
    if (len)
        memcpy(w, val, len);
    s->p.data_len = new_len;
    if (!found)
        s->p.data_count++;
    s->dirty = 1;
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_get(const crumb_session *s, const char *key, const uint8_t **val,
                            size_t *len)
{
    size_t klen = key ? strlen(key) : 0, start, end, pos, kl;
    const char *k;
    if (klen == 0 || !data_find(s, key, klen, &start, &end))
        return CRUMB_E_NOTFOUND;
    pos = start;
    crumb_payload_data_next(s->data, s->p.data_len, &pos, &k, &kl, val, len);
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_del(crumb_session *s, const char *key)
{
    size_t klen = key ? strlen(key) : 0, start, end;
    if (klen == 0 || !data_find(s, key, klen, &start, &end))
        return CRUMB_E_NOTFOUND;
    crumb_wipe(s->data + start, end - start);
    memmove(s->data + start, s->data + end, s->p.data_len - end);
    s->p.data_len -= end - start;
    s->p.data_count--;
    s->dirty = 1;
    return CRUMB_OK;
}

/* see crumb.h */
int crumb_session_next(const crumb_session *s, size_t *pos, const char **key, size_t *klen,
                       const uint8_t **val, size_t *vlen)
{
    return crumb_payload_data_next(s->data, s->p.data_len, pos, key, klen, val, vlen);
}
