/*
 * inspect.c - crumb_inspect.h: judge a session cookie, a Cookie header or
 * the device cookie with the session layer's own decoder
 * (crumb_session_load in a stateless context), so diagnostics tools such
 * as `crumb open` cannot drift from what applications accept.
 */
#include "crumb_inspect.h"
#include "session.h" /* crumb__ctx_codec: the device codec exactly as modes.c builds it */

#include <stdio.h>
#include <string.h>

/* As modes.c: the device cookie is "<name>.d", purpose "device", a sealed
 * 16-byte device id, and values longer than 128 characters are not ours. */
#define DEVICE_SUFFIX ".d"
#define DEVICE_PURPOSE "device"
#define DEVICE_VALUE_MAX 128u
#define DEVICE_ID_BYTES 16u

/* What the log and migrate hooks saw during one load. */
typedef struct probe {
    int reason;       /* last reason other than RESEAL */
    int reseal;
    int migrated;     /* the migrate hook ran: schema is the token's */
    uint32_t schema;
} probe;

/* Log hook: remember the reason the library gave. */
static void on_log(void *ctx, const crumb_event *ev)
{
    probe *p = ctx;
    if (ev->reason == CRUMB_R_RESEAL)
        p->reseal = 1;
    else
        p->reason = ev->reason;
}

/* Migrate hook: records the token's schema (app_schema is set to the
 * maximum, so every older schema "migrates" and none is refused). */
static crumb_err on_migrate(void *ctx, crumb_session *s, uint32_t from_schema)
{
    probe *p = ctx;
    (void)s;
    p->migrated = 1;
    p->schema = from_schema;
    return CRUMB_OK;
}

/* A stateless context with cfg's settings and our hooks. lax = 1 lifts
 * every time limit (to read the fields of an expired token). */
static crumb_err make_ctx(crumb_ctx **ctx, const crumb_keyring *kr, const crumb_ctx_config *cfg,
                          probe *pr, int lax, size_t min_cookie_bytes)
{
    crumb_ctx_config c = *cfg;
    c.mode = CRUMB_MODE_STATELESS;
    c.store = NULL;
    c.store_secret = NULL;
    if (c.size_policy == CRUMB_SIZE_STORE)
        c.size_policy = CRUMB_SIZE_ERROR; /* saving is not our business */
    c.log = on_log;
    c.log_ctx = pr;
    c.migrate = on_migrate;
    c.migrate_ctx = pr;
    c.app_schema = UINT32_MAX;
    if (min_cookie_bytes > (c.max_cookie_bytes ? c.max_cookie_bytes : CRUMB_COOKIE_LINE_MAX))
        c.max_cookie_bytes = min_cookie_bytes;
    if (lax) {
        c.clock_skew = INT64_MAX;
        c.max_future = INT64_MAX;
        c.absolute_lifetime = INT64_MAX;
        c.idle_timeout = -1;
    }
    memset(pr, 0, sizeof *pr);
    return crumb_ctx_new(ctx, kr, &c);
}

/* The head cookie's value in hdr: chunk count and the public token header
 * (version, suite, flags, key id: read, not trusted). */
static int read_head(crumb_inspect_result *out, const char *hdr, const char *name)
{
    const char *val;
    size_t vlen, skip = 0;
    uint8_t h[9];
    size_t hl = 0;
    if (!hdr || crumb_cookie_find(hdr, strlen(hdr), name, &val, &vlen) != CRUMB_OK)
        return 0;
    out->chunks = 1;
    const char *dot = memchr(val, '.', vlen);
    if (dot && dot - val <= 2 && dot > val) {
        unsigned n = 0;
        for (const char *q = val; q < dot; q++)
            n = n * 10 + (unsigned)(*q >= '0' && *q <= '9' ? *q - '0' : 100);
        out->chunks = n;
        skip = (size_t)(dot - val) + 1;
    }
    if (vlen - skip >= 12 && crumb__b64_decode_checked(h, sizeof h, &hl, val + skip, 12) == CRUMB_OK &&
        hl == sizeof h) {
        out->version = h[0];
        out->suite = h[1];
        out->flags = h[2];
        out->key_id = (uint32_t)h[3] << 24 | (uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6];
    }
    return 1;
}

/* Copy the session's fields into out (data into out->priv). */
static crumb_err take_payload(crumb_inspect_result *out, const crumb_session *s, const probe *pr)
{
    const crumb_payload *p = crumb_session_payload(s);
    uint8_t *d = crumb__malloc(p->data_len ? p->data_len : 1);
    if (!d)
        return CRUMB_E_NOMEM;
    if (p->data_len)
        memcpy(d, p->data, p->data_len);
    out->payload = *p;
    out->payload.data = d;
    out->payload.app_schema = pr->migrated ? pr->schema : p->app_schema;
    out->priv = d;
    out->have_payload = 1;
    return CRUMB_OK;
}

/* One crumb_session_load: its context and session (both freed by done). */
typedef struct loaded {
    crumb_ctx *ctx;
    crumb_session *s;
    crumb_err verdict;
} loaded;

/* Load hdr; returns a setup error (then nothing is held) or CRUMB_OK with
 * the verdict in l->verdict and a usable l->s. */
static crumb_err load(loaded *l, const crumb_keyring *kr, const crumb_ctx_config *cfg,
                      const char *hdr, probe *pr, int lax, size_t min_cookie)
{
    memset(l, 0, sizeof *l);
    crumb_err rc = make_ctx(&l->ctx, kr, cfg, pr, lax, min_cookie);
    if (rc != CRUMB_OK)
        return rc;
    l->verdict = crumb_session_load(&l->s, l->ctx, hdr);
    if (l->s)
        return CRUMB_OK;
    crumb_ctx_free(l->ctx);
    l->ctx = NULL;
    return l->verdict;
}

/* Release what load holds (the session before its context). */
static void done(loaded *l)
{
    crumb_session_free(l->s);
    crumb_ctx_free(l->ctx);
    memset(l, 0, sizeof *l);
}

/* The session cookie (see crumb_inspect_cookie_header). */
static crumb_err inspect_session(crumb_inspect_result *out, const crumb_keyring *kr,
                                 const crumb_ctx_config *cfg, const char *hdr, size_t min_cookie)
{
    probe pr;
    loaded l;
    crumb_err rc = load(&l, kr, cfg, hdr, &pr, 0, min_cookie);
    if (rc != CRUMB_OK)
        return rc;
    crumb_err v = l.verdict;
    out->err = v;
    out->reason = v == CRUMB_OK ? CRUMB_R_NONE : pr.reason;
    out->reseal = pr.reseal;
    out->kind = read_head(out, hdr, cfg->cookie_name) ? CRUMB_INSPECT_SESSION : CRUMB_INSPECT_NONE;
    if (v == CRUMB_OK && crumb_session_is_new(l.s)) {
        out->kind = CRUMB_INSPECT_NONE;
        out->err = CRUMB_E_NOSESSION;
    } else if (v == CRUMB_OK) {
        rc = take_payload(out, l.s, &pr);
    } else if (v == CRUMB_E_AUTH && pr.reason == CRUMB_R_BAD_FLAGS &&
               (out->flags & CRUMB_FLAG_REFERENCE) && !(out->flags & ~CRUMB_FLAGS_KNOWN)) {
        /* the codec refuses unknown flag bits; known bits failing is the
         * session layer refusing an authentic reference token */
        out->kind = CRUMB_INSPECT_REFERENCE;
    }
    done(&l);
    if (rc == CRUMB_OK && (v == CRUMB_E_EXPIRED || v == CRUMB_E_FUTURE)) {
        probe p2; /* the same token with every time limit lifted: its fields */
        rc = load(&l, kr, cfg, hdr, &p2, 1, min_cookie);
        if (rc == CRUMB_OK) {
            if (l.verdict == CRUMB_OK && !crumb_session_is_new(l.s))
                rc = take_payload(out, l.s, &p2);
            done(&l);
        }
    }
    return rc;
}

/* The device cookie: opened as modes.c opens it. */
static crumb_err inspect_device(crumb_inspect_result *out, const crumb_keyring *kr,
                                const crumb_ctx_config *cfg, const char *hdr, size_t min_cookie)
{
    probe pr;
    crumb_ctx *ctx = NULL;
    crumb_codec *codec = NULL;
    char name[CRUMB_NAME_MAX + 4];
    const char *val;
    size_t vlen, ptl = 0;
    uint8_t pt[DEVICE_VALUE_MAX]; /* >= crumb_open_bufsize(DEVICE_VALUE_MAX) for every suite */
    crumb_open_info info = {0};
    crumb_err rc = make_ctx(&ctx, kr, cfg, &pr, 0, min_cookie);
    if (rc != CRUMB_OK)
        return rc;
    snprintf(name, sizeof name, "%s%s", cfg->cookie_name, DEVICE_SUFFIX);
    rc = crumb__ctx_codec(ctx, kr, name, DEVICE_PURPOSE, &codec);
    crumb_ctx_free(ctx);
    if (rc != CRUMB_OK)
        return rc;
    out->err = CRUMB_E_NOSESSION;
    if (hdr && crumb_cookie_find(hdr, strlen(hdr), name, &val, &vlen) == CRUMB_OK) {
        read_head(out, hdr, name);
        out->kind = CRUMB_INSPECT_DEVICE;
        if (vlen > DEVICE_VALUE_MAX) {
            out->err = CRUMB_E_TOO_LARGE;
            pr.reason = CRUMB_R_TOO_LARGE;
        } else {
            out->err = crumb_open(codec, pt, sizeof pt, &ptl, val, vlen, &info);
            if (out->err == CRUMB_OK && ptl != DEVICE_ID_BYTES) {
                out->err = CRUMB_E_PAYLOAD;
                pr.reason = CRUMB_R_PAYLOAD;
            }
        }
        if (out->err == CRUMB_OK)
            memcpy(out->device_id, pt, DEVICE_ID_BYTES);
        out->reason = out->err == CRUMB_OK ? CRUMB_R_NONE : pr.reason;
        out->reseal = info.reseal;
    }
    crumb_wipe(pt, sizeof pt);
    crumb_codec_free(codec);
    return CRUMB_OK;
}

/* see crumb_inspect.h */
crumb_err crumb_inspect_cookie_header(crumb_inspect_result *out, const crumb_keyring *kr,
                                      const crumb_ctx_config *cfg, const char *cookie_header,
                                      int device)
{
    if (!out)
        return CRUMB_E_INVALID;
    memset(out, 0, sizeof *out);
    if (!kr || !cfg || !cfg->cookie_name)
        return CRUMB_E_INVALID;
    crumb_err rc = device ? inspect_device(out, kr, cfg, cookie_header, 0)
                          : inspect_session(out, kr, cfg, cookie_header, 0);
    if (rc != CRUMB_OK)
        crumb_inspect_clear(out);
    return rc;
}

/* see crumb_inspect.h */
crumb_err crumb_inspect_token(crumb_inspect_result *out, const crumb_keyring *kr,
                              const crumb_ctx_config *cfg, const char *tok, size_t tok_len,
                              int device)
{
    if (!out)
        return CRUMB_E_INVALID;
    memset(out, 0, sizeof *out);
    if (!kr || !cfg || !cfg->cookie_name || (!tok && tok_len))
        return CRUMB_E_INVALID;
    size_t nl = strlen(cfg->cookie_name);
    if (nl > CRUMB_NAME_MAX)
        return CRUMB_E_INVALID;
    /* never more than one byte past the largest cookie the library reads:
     * a longer token is refused as too large all the same */
    size_t vl = tok_len > CRUMB_PAYLOAD_MAX ? CRUMB_PAYLOAD_MAX + 1 : tok_len;
    char *hdr = crumb__malloc(nl + 3 + vl + 1);
    if (!hdr)
        return CRUMB_E_NOMEM;
    memcpy(hdr, cfg->cookie_name, nl);
    size_t o = nl;
    if (device) {
        memcpy(hdr + o, DEVICE_SUFFIX, 2);
        o += 2;
    }
    hdr[o++] = '=';
    if (vl)
        memcpy(hdr + o, tok, vl);
    hdr[o + vl] = '\0';
    size_t min_cookie = vl > CRUMB_PAYLOAD_MAX ? CRUMB_PAYLOAD_MAX : vl;
    crumb_err rc = device ? inspect_device(out, kr, cfg, hdr, min_cookie)
                          : inspect_session(out, kr, cfg, hdr, min_cookie);
    crumb_wipe(hdr, o + vl);
    crumb__free(hdr);
    if (rc != CRUMB_OK)
        crumb_inspect_clear(out);
    return rc;
}

/* see crumb_inspect.h */
void crumb_inspect_clear(crumb_inspect_result *r)
{
    if (!r)
        return;
    if (r->priv) {
        crumb_wipe(r->priv, r->payload.data_len);
        crumb__free(r->priv);
    }
    crumb_wipe(r, sizeof *r);
}
