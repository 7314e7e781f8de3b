/*
 * session.c - the session API: load a session from a request Cookie header (chunk
 * reassembly, open, unpad, inflate, payload decode, expiry checks, schema
 * migration) and save it back as Set-Cookie lines (size policy, chunking,
 * stale-chunk deletion, renewal throttle), as named stages. Below it:
 * ctx.c, expiry.c, chunk.c and store_glue.c (the store modes' per-request
 * work); above it: account.c.
 */
#include "session.h"
#include "ext.h" /* issue 16: auth-state rules */

#include <stddef.h>
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

/* Replace s's data buffer with d (cap bytes), wiping the old one (and
 * freeing it unless it is s->small). */
static void set_data_buf(crumb_session *s, uint8_t *d, size_t cap)
{
    if (s->data == s->small)
        crumb_wipe(s->small, sizeof s->small);
    else
        wipe_free(s->data, s->data_cap);
    s->data = d;
    s->data_cap = cap;
}

/* Start a fresh anonymous session in s, whose payload and data are all
 * zero: new times and ids (one draw for both). */
static crumb_err start_fresh(crumb_session *s)
{
    const crumb_ctx_config *c = &s->ctx->cfg;
    _Static_assert(offsetof(crumb_payload, family) ==
                       offsetof(crumb_payload, sid) + CRUMB_SID_BYTES,
                   "sid and family are adjacent: drawn together");
    s->p.version = CRUMB_PAYLOAD_VERSION;
    crumb__expiry_start(s->ctx, &s->p, s->now);
    s->p.app_schema = c->app_schema;
    s->p.data = s->data;
    s->fresh = 1;
    s->dirty = s->migrated = s->reseal = 0;
    /* sid and family in one draw, through a pointer to the whole payload */
    uint8_t *ids = (uint8_t *)&s->p + offsetof(crumb_payload, sid);
    return crumb__ctx_random(s->ctx, ids, 2 * CRUMB_SID_BYTES);
}

/* Turn s into a fresh anonymous session (keeps the request cookie facts). */
static crumb_err make_fresh(crumb_session *s)
{
    crumb_wipe(&s->p, sizeof s->p);
    if (s->data)
        crumb_wipe(s->data, s->data_cap);
    return start_fresh(s);
}

/* Move the decoded payload's data (pointing into the request's plaintext)
 * into s's own buffer. */
static crumb_err adopt_data(crumb_session *s)
{
    size_t n = s->p.data_len;
    if (n > s->data_cap) {
        uint8_t *d = crumb__malloc(n);
        if (!d)
            return CRUMB_E_NOMEM;
        set_data_buf(s, d, n);
    }
    if (n)
        memcpy(s->data, s->p.data, n);
    s->p.data = s->data;
    return CRUMB_OK;
}

/* A one-cookie token opens in place (no copy) into a plaintext buffer on
 * the stack when it fits; a chunked or longer one is joined into a heap
 * block sized from the configuration. */
#define PT_STACK 4096u

/* Buffers of one load. The payload decodes straight into s->p (make_fresh
 * resets it if the load fails). */
typedef struct load_state {
    uint8_t *pt;   /* plaintext: the caller's stack buffer or in blk */
    size_t pt_cap; /* bytes of pt crumb_open may have written (wiped) */
    char *blk;     /* joined token | plaintext (chunked or large tokens) */
    size_t blk_len;
    uint8_t *inf;  /* inflate output (deflated tokens only) */
    size_t inf_len; /* bytes of inf that may hold plaintext (wiped) */
    uint8_t *rec;  /* server record (reference tokens only) */
    size_t rec_cap;
    crumb_open_info info;
} load_state;

/* Wipe what held plaintext and free what a load took (the token
 * characters are public: not wiped). */
static void load_state_free(load_state *ls)
{
    crumb_wipe(ls->pt, ls->pt_cap);
    crumb__free(ls->blk);
    wipe_free(ls->inf, ls->inf_len);
    wipe_free(ls->rec, ls->rec_cap);
}

/* Stage "unwrap": remove the padding and inflate a deflated payload (only
 * ever on authenticated bytes). On return body and len hold the payload encoding. */
static crumb_err stage_unwrap(crumb_session *s, load_state *ls, const uint8_t **body,
                              size_t *len)
{
    const crumb_ctx *ctx = s->ctx;
    const crumb_ctx_config *c = &ctx->cfg;
    if (ls->info.flags & CRUMB_FLAG_PADDED) {
        *len = crumb__unpad(*body, *len);
        if (*len == (size_t)-1) {
            log_reason(ctx, CRUMB_R_PAYLOAD, CRUMB_E_PAYLOAD, &ls->info);
            return CRUMB_E_PAYLOAD;
        }
    }
    if (!(ls->info.flags & CRUMB_FLAG_DEFLATE))
        return CRUMB_OK;
    size_t out_len = 0;
    ls->inf = crumb__malloc(c->inflate_max);
    ls->inf_len = ls->inf ? c->inflate_max : 0; /* a failed inflate may leave any of it */
    crumb_err rc = ls->inf ? crumb__inflate(ls->inf, c->inflate_max, &out_len, *body, *len,
                                            c->inflate_ratio)
                           : CRUMB_E_NOMEM;
    if (rc == CRUMB_OK)
        ls->inf_len = out_len;
    if (rc != CRUMB_OK) {
        log_reason(ctx, rc == CRUMB_E_INFLATE ? CRUMB_R_INFLATE_LIMIT : CRUMB_R_PAYLOAD, rc,
                   &ls->info);
        return rc;
    }
    *body = ls->inf;
    *len = out_len;
    return CRUMB_OK;
}

/* Stage "open": authenticate the token, in place in the header when it
 * is one cookie whose plaintext fits stack_pt, else joined into a block
 * sized from the configuration (never from the request). */
static crumb_err stage_open(crumb_session *s, load_state *ls, const crumb__chunks *ch,
                            uint8_t *stack_pt, const uint8_t **body, size_t *len)
{
    const crumb_ctx *ctx = s->ctx;
    const char *tok = ch->val[0] + ch->skip;
    size_t tok_len = ch->total;
    ls->pt_cap = crumb_open_bufsize(tok_len);
    ls->pt = stack_pt;
    if (ch->n > 1 || ls->pt_cap > PT_STACK) {
        size_t ptcap = crumb_open_bufsize(ctx->max_token);
        ls->blk_len = ctx->max_token + ptcap;
        ls->blk = crumb__malloc(ls->blk_len);
        if (!ls->blk)
            return CRUMB_E_NOMEM;
        ls->pt = (uint8_t *)ls->blk + ctx->max_token;
        tok_len = crumb__chunk_join(ch, ls->blk);
        tok = ls->blk;
    }
    crumb_err rc = crumb_open(ctx->codec, ls->pt, ls->pt_cap, len, tok, tok_len, &ls->info);
    if (rc != CRUMB_OK)
        return rc;
    if ((ls->info.flags & CRUMB_FLAG_REFERENCE) && ctx->cfg.mode == CRUMB_MODE_STATELESS) {
        /* a server-reference token is meaningless to a stateless context */
        log_reason(ctx, CRUMB_R_BAD_FLAGS, CRUMB_E_AUTH, &ls->info);
        return CRUMB_E_AUTH;
    }
    *body = ls->pt;
    return stage_unwrap(s, ls, body, len);
}

/* Stage "decode": the payload, its authenticated times, the server record
 * behind a reference token, and the application schema. */
static crumb_err stage_decode(crumb_session *s, load_state *ls, const uint8_t *body, size_t len)
{
    const crumb_ctx *ctx = s->ctx;
    crumb_err rc = crumb__payload_decode_zeroed(&s->p, body, len); /* s->p is fresh */
    if (rc != CRUMB_OK) {
        log_reason(ctx, rc == CRUMB_E_VERSION ? CRUMB_R_PAYLOAD_VERSION : CRUMB_R_PAYLOAD, rc,
                   &ls->info);
        return rc;
    }
    rc = crumb__expiry_check(ctx, &s->p, s->now, &ls->info);
    if (rc == CRUMB_OK && (ls->info.flags & CRUMB_FLAG_REFERENCE)) {
        crumb_payload ref = s->p; /* the data lives in the store */
        rc = crumb__glue_fetch(s, &ref, &s->p, &ls->rec, &ls->rec_cap);
        if (rc == CRUMB_E_NOTFOUND) { /* decided after the replay check */
            s->p = ref;
            s->g->record_missing = 1;
            rc = CRUMB_OK;
        }
        crumb_wipe(&ref, sizeof ref);
    }
    if (rc == CRUMB_OK && s->p.app_schema > ctx->cfg.app_schema) {
        log_reason(ctx, CRUMB_R_PAYLOAD_VERSION, CRUMB_E_VERSION, &ls->info);
        rc = CRUMB_E_VERSION; /* written by a newer application */
    }
    return rc;
}

/* Stage "migrate": an older application schema goes through the hook. */
static crumb_err stage_migrate(crumb_session *s)
{
    const crumb_ctx_config *c = &s->ctx->cfg;
    if (s->p.app_schema >= c->app_schema)
        return CRUMB_OK;
    crumb_err rc = c->migrate ? c->migrate(c->migrate_ctx, s, s->p.app_schema) : CRUMB_OK;
    if (rc != CRUMB_OK)
        return rc;
    s->p.app_schema = c->app_schema;
    s->migrated = 1;
    return CRUMB_OK;
}

/* The cookie half of a load: find, open, decode, adopt, migrate. On
 * success s holds the session (or stays fresh: no cookie); either way s
 * records which of our cookies came, so save can delete stale ones. */
static crumb_err load_cookie(crumb_session *s, const crumb__req_cookies *rq)
{
    crumb__chunks ch;
    load_state ls = {0};
    uint8_t stack_pt[PT_STACK];
    const uint8_t *body = NULL;
    size_t len = 0;
    crumb_err rc = crumb__chunk_find(s, rq, &ch);
    if (rc != CRUMB_OK || !s->had_cookie)
        return rc;
    rc = stage_open(s, &ls, &ch, stack_pt, &body, &len);
    if (rc == CRUMB_OK)
        rc = stage_decode(s, &ls, body, len);
    if (rc == CRUMB_OK)
        rc = adopt_data(s);
    load_state_free(&ls);
    if (rc != CRUMB_OK)
        return rc;
    s->fresh = 0;
    s->reseal = ls.info.reseal;
    return stage_migrate(s);
}

/* 1 if rc means the store could not be asked (as opposed to a verdict). */
static int is_outage(crumb_err rc)
{
    return rc == CRUMB_E_BACKEND || rc == CRUMB_E_TIMEOUT || rc == CRUMB_E_IO ||
           rc == CRUMB_E_NOSPC || rc == CRUMB_E_NOMEM || rc == CRUMB_E_UNSUPPORTED;
}

/* see crumb.h */
crumb_err crumb_session_load(crumb_session **out, crumb_ctx *ctx, const char *cookie_header)
{
    if (!out)
        return CRUMB_E_INVALID;
    *out = NULL;
    if (!ctx)
        return CRUMB_E_INVALID;
    crumb_session *s = crumb__park_calloc(sizeof *s);
    if (!s)
        return CRUMB_E_NOMEM;
    s->ctx = ctx;
    s->data = s->small;
    s->data_cap = sizeof s->small;
    s->now = crumb_codec_now(ctx->codec);
    s->fresh = 1;
    int store_mode = ctx->cfg.mode != CRUMB_MODE_STATELESS;
    if (store_mode && !(s->g = crumb__calloc(1, sizeof *s->g))) {
        crumb__park_free(s, sizeof *s);
        return CRUMB_E_NOMEM;
    }
    crumb__req_cookies rq;
    crumb__chunk_scan(ctx, cookie_header, &rq); /* the header's one parse */
    crumb_err rc = load_cookie(s, &rq);
    if (store_mode)
        crumb__glue_load_device(s, &rq, rc == CRUMB_OK && !s->fresh);
    if (rc == CRUMB_OK && !s->fresh && store_mode) {
        /* after authentication and the time checks: ask the store */
        rc = crumb__glue_check(s);
        if (rc == CRUMB_OK && s->g->record_missing) {
            /* logged out, swept, or an old id after its grace window */
            crumb__codec_log(ctx->codec, CRUMB_R_REVOKED, CRUMB_E_REVOKED, 0, 0);
            rc = CRUMB_E_REVOKED;
        }
    }
    if (rc != CRUMB_OK && store_mode)
        crumb__glue_refused(s);
    /* the request's cookie could not be judged (store unreachable, out of
     * memory): save refuses, so the fresh session never replaces it */
    if (is_outage(rc) && (store_mode || rc == CRUMB_E_NOMEM))
        s->unjudged = rc;
    if (rc != CRUMB_OK || s->fresh) {
        /* without our cookie nothing was decoded: s is still all zero */
        crumb_err frc = s->had_cookie ? make_fresh(s) : start_fresh(s);
        if (frc != CRUMB_OK) {
            crumb_session_free(s);
            return frc;
        }
    }
    *out = s;
    return rc;
}

/* ==== Save: encode, size, seal, emit ==================================== */

/* Work of one seal: the payload block (pt, and tmp for deflate), the token. */
typedef struct seal_state {
    uint8_t *blk, *pt, *tmp;
    size_t room, len;          /* room of pt and tmp each; bytes in pt */
    unsigned flags;            /* CRUMB_FLAG_* of the token */
    char *tok;                 /* token, 3 bytes in: room for a "NN." chunk head */
    size_t tok_cap, tok_len;
    size_t n, caps[CRUMB_CHUNKS_MAX]; /* cookies the token takes, and their sizes */
    int64_t max_age;
    uint8_t *stack_blk;        /* seal_lines' buffers for a typical session */
    char *stack_tok;           /* (no allocation): STACK_BLK, STACK_TOK bytes */
} seal_state;

#define STACK_BLK 1024u
#define STACK_TOK 2048u

/* Deflate pt into tmp if that makes it smaller; swap on success. */
static crumb_err try_deflate(seal_state *ss)
{
    size_t out_len = 0;
    if (ss->len < 2)
        return CRUMB_OK;
    crumb_err rc = crumb__deflate(ss->tmp, ss->len - 1, &out_len, ss->pt, ss->len);
    if (rc == CRUMB_E_TOO_LARGE)
        return CRUMB_OK; /* incompressible: keep it plain */
    if (rc != CRUMB_OK)
        return rc;
    uint8_t *t = ss->pt;
    ss->pt = ss->tmp;
    ss->tmp = t;
    ss->len = out_len;
    ss->flags |= CRUMB_FLAG_DEFLATE;
    return CRUMB_OK;
}

/* Store the full payload as the session record and replace pt with the
 * reference payload (everything but the application data). */
static crumb_err spill(crumb_session *s, seal_state *ss, int64_t now)
{
    ss->flags = 0;
    crumb_err rc = crumb__payload_encode_canonical(&s->p, ss->pt, ss->room, &ss->len);
    if (rc == CRUMB_OK)
        rc = crumb__glue_put_record(s, ss->pt, ss->len, now);
    if (rc != CRUMB_OK)
        return rc;
    crumb_payload ref = s->p;
    ref.data = NULL;
    ref.data_len = 0;
    ref.data_count = 0;
    ss->flags = CRUMB_FLAG_REFERENCE;
    rc = crumb__payload_encode_canonical(&ref, ss->pt, ss->room, &ss->len);
    crumb_wipe(&ref, sizeof ref);
    return rc;
}

/* Stage "encode": the payload (server mode: the record, and a reference
 * in the cookie), deflated when compression is on and it is worth it. */
static crumb_err stage_encode(crumb_session *s, seal_state *ss, int64_t now)
{
    const crumb_ctx_config *c = &s->ctx->cfg;
    /* sized without validation: the encode below checks (and refuses) */
    size_t need = crumb__payload_size(&s->p);
    crumb_err rc;
    if (need > CRUMB_PAYLOAD_MAX)
        need = CRUMB_PAYLOAD_MAX; /* encode fails with its own code */
    ss->room = need + c->pad_block + 1;
    ss->blk = 2 * ss->room <= STACK_BLK ? ss->stack_blk : crumb__malloc(2 * ss->room);
    if (!ss->blk)
        return CRUMB_E_NOMEM;
    ss->pt = ss->blk;
    ss->tmp = ss->blk + ss->room;
    if (c->mode == CRUMB_MODE_SERVER)
        return spill(s, ss, now);
    rc = crumb__payload_encode_canonical(&s->p, ss->pt, ss->room, &ss->len);
    if (rc == CRUMB_OK && c->compress == CRUMB_COMPRESS_ON && ss->len >= c->compress_threshold)
        rc = try_deflate(ss);
    return rc;
}

/* Stage "size": make the token fit the size policy (compress, chunk or
 * spill to the store), or CRUMB_E_TOO_LARGE. */
static crumb_err stage_size(crumb_session *s, seal_state *ss, int64_t now)
{
    const crumb_ctx *ctx = s->ctx;
    const crumb_ctx_config *c = &ctx->cfg;
    size_t base = crumb__chunk_base_len(ctx, ss->max_age, now);
    crumb_err rc = base ? CRUMB_OK : CRUMB_E_INVALID;
    ss->n = 1;
    for (int pass = 0; rc == CRUMB_OK; pass++) {
        size_t plen = c->pad_block ? crumb__padded_len(ss->len, c->pad_block) : ss->len;
        ss->tok_len = crumb_token_len(ctx->codec, plen);
        s->cookie_size = base + ss->tok_len;
        if (s->cookie_size <= c->max_cookie_bytes)
            break;
        if (c->size_policy == CRUMB_SIZE_COMPRESS && pass == 0 &&
            !(ss->flags & CRUMB_FLAG_DEFLATE)) {
            rc = try_deflate(ss);
        } else if (c->size_policy == CRUMB_SIZE_CHUNK) {
            ss->n = crumb__chunk_plan(ctx, base, ss->tok_len, ss->caps);
            rc = ss->n ? CRUMB_OK : CRUMB_E_TOO_LARGE;
            break;
        } else if (c->size_policy == CRUMB_SIZE_STORE && c->mode != CRUMB_MODE_STATELESS &&
                   !(ss->flags & CRUMB_FLAG_REFERENCE)) {
            rc = spill(s, ss, now); /* the data moves to the store */
        } else {
            rc = CRUMB_E_TOO_LARGE;
        }
    }
    if (rc == CRUMB_E_TOO_LARGE)
        log_reason(ctx, CRUMB_R_TOO_LARGE, rc, NULL);
    return rc;
}

/* Stage "seal": pad, then seal into a token buffer with room for a chunk
 * head in front. */
static crumb_err stage_seal(crumb_session *s, seal_state *ss)
{
    size_t pad = s->ctx->cfg.pad_block, got = 0;
    if (pad) {
        size_t plen = crumb__padded_len(ss->len, pad);
        crumb__pad(ss->pt, ss->len, plen);
        ss->len = plen;
        ss->flags |= CRUMB_FLAG_PADDED;
    }
    ss->tok_cap = ss->tok_len + 4; /* "NN." prefix of a chunked head */
    ss->tok = ss->tok_cap <= STACK_TOK ? ss->stack_tok : crumb__malloc(ss->tok_cap);
    if (!ss->tok)
        return CRUMB_E_NOMEM;
    crumb_err rc = crumb_seal(s->ctx->codec, ss->tok + 3, ss->tok_cap - 3, &got, ss->pt, ss->len,
                              ss->flags);
    return rc == CRUMB_OK && got != ss->tok_len ? CRUMB_E_INTERNAL : rc;
}

/* Encode, size, seal and emit the session's Set-Cookie lines. */
static crumb_err seal_lines(crumb_session *s, int64_t now, size_t *count)
{
    uint8_t stack_blk[STACK_BLK];
    char stack_tok[STACK_TOK];
    seal_state ss = {.stack_blk = stack_blk, .stack_tok = stack_tok};
    /* the cookie lives as long as the session can (expiry.c) */
    ss.max_age = crumb__expiry_max_age(s->ctx, &s->p, now);
    crumb_err rc = stage_encode(s, &ss, now);
    if (rc == CRUMB_OK)
        rc = stage_size(s, &ss, now);
    if (rc == CRUMB_OK)
        rc = stage_seal(s, &ss);
    if (rc == CRUMB_OK)
        rc = crumb__chunk_emit(s, count, ss.tok + 3, ss.tok_len, ss.n, ss.caps, ss.max_age, now);
    crumb_wipe(ss.blk, 2 * ss.room);
    if (ss.blk != ss.stack_blk)
        crumb__free(ss.blk);
    if (ss.tok != ss.stack_tok)
        crumb__free(ss.tok); /* public ciphertext: no wipe */
    return rc;
}

/* A save that seals: store work before (family, device), the cookie,
 * store work after (record index, sighting, device cookie line). */
static crumb_err save_sealed(crumb_session *s, size_t *count, int store_mode, int64_t now)
{
    crumb_err rc = store_mode ? crumb__glue_before_save(s, now) : CRUMB_OK;
    if (rc != CRUMB_OK)
        return rc;
    int64_t idle_saved = s->p.idle_at;
    crumb__expiry_touch(s->ctx, &s->p, now);
    rc = seal_lines(s, now, count);
    if (rc == CRUMB_OK && store_mode)
        rc = crumb__glue_after_save(s, now, count); /* may add the device line */
    if (rc != CRUMB_OK) {
        s->p.idle_at = idle_saved;
        *count = 0;
        return rc;
    }
    s->login = 0;
    s->dirty = s->migrated = s->reseal = s->fresh = 0;
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_save(crumb_session *s, const char *const **lines, size_t *count)
{
    if (!s || !lines || !count)
        return CRUMB_E_INVALID;
    *lines = s->lines;
    *count = 0;
    crumb_ctx *ctx = s->ctx;
    int store_mode = ctx->cfg.mode != CRUMB_MODE_STATELESS;
    if (s->unjudged)
        return s->unjudged; /* the request's cookie may be valid: keep it */
    if (crumb__auth_unchecked(s)) /* issue 16: bound, client never checked */
        return CRUMB_E_AUTH;
    if (store_mode && s->g->stale_gen && !s->logged_out && !s->new_family)
        /* raced a rotation: the winner's cookie stands; changes are lost */
        return s->dirty || s->migrated ? CRUMB_E_CONFLICT : CRUMB_OK;
    if (s->logged_out || (s->fresh && !s->dirty)) {
        if (!s->logged_out && !s->had_cookie && !s->req_chunks)
            return CRUMB_OK; /* nothing to say */
        crumb_err rc = crumb__chunk_delete_all(s, count, s->logged_out || s->had_cookie);
        if (rc == CRUMB_OK)
            s->logged_out = 0;
        return rc;
    }
    int64_t now = crumb_codec_now(ctx->codec);
    if (!(s->dirty || s->migrated || s->reseal || crumb__expiry_renew_due(ctx, &s->p, now)))
        return CRUMB_OK;
    return save_sealed(s, count, store_mode, now);
}

/* see crumb.h */
size_t crumb_session_cookie_size(const crumb_session *s)
{
    if (!s)
        return 0;
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
    if (!s)
        return CRUMB_E_INVALID;
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
    s->new_family = s->login = 1; /* save checks the device for the new user */
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_logout(crumb_session *s)
{
    crumb_err rc = CRUMB_OK;
    if (!s)
        return CRUMB_E_INVALID;
    if (s->ctx->cfg.mode != CRUMB_MODE_STATELESS)
        rc = crumb__glue_logout(s);
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
    if (s->data != s->small)
        wipe_free(s->data, s->data_cap); /* small goes with the wipe of s */
    crumb__free(s->out);
    if (s->g) {
        crumb__free(s->g->dev_line);
        crumb_wipe(s->g, sizeof *s->g); /* holds the store key */
        crumb__free(s->g);
    }
    crumb__park_free(s, sizeof *s); /* wiped */
}

/* see crumb.h */
const crumb_payload *crumb_session_payload(const crumb_session *s)
{
    return s ? &s->p : NULL;
}

/* see crumb.h */
int crumb_session_is_new(const crumb_session *s)
{
    if (!s)
        return 1;
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
    if (!s)
        return CRUMB_E_INVALID;
    size_t n = id ? len : 0;
    int changes = n && (n != s->p.user_len || memcmp(id, s->p.user, n) != 0);
    crumb_err rc = set_id(s, s->p.user, &s->p.user_len, id, len);
    if (rc == CRUMB_OK) /* issue 16: a new user resets the auth state */
        crumb__auth_on_user(s, changes);
    return rc == CRUMB_OK && changes ? start_login(s) : rc;
}

/* see crumb.h */
crumb_err crumb_session_set_tenant(crumb_session *s, const char *id, size_t len)
{
    if (!s)
        return CRUMB_E_INVALID;
    return set_id(s, s->p.tenant, &s->p.tenant_len, id, len);
}

/* see crumb.h */
crumb_err crumb_session_set_device(crumb_session *s, const char *id, size_t len)
{
    if (!s)
        return CRUMB_E_INVALID;
    return set_id(s, s->p.device, &s->p.device_len, id, len);
}

/* see crumb.h */
crumb_err crumb_session_set_auth(crumb_session *s, const crumb_auth *a)
{
    if (!s || !a)
        return CRUMB_E_INVALID;
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
    case CRUMB_AUTH_IDENTIFYING: /* issue 16: needs a user */
        if (!s->p.user_len)
            return CRUMB_E_INVALID;
        break;
    default:
        return CRUMB_E_INVALID;
    }
    s->p.auth = n;
    s->dirty = 1;
    crumb__auth_on_set(s); /* issue 16: progress, user and binding follow */
    return CRUMB_OK;
}

/* see crumb.h */
int crumb_session_auth_fresh(const crumb_session *s, int64_t max_age)
{
    if (!s)
        return 0;
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
    /* the session's data is canonical (checked on decode, kept so by
     * set and del): walk it without re-checking bounds entry by entry */
    const uint8_t *d = s->data;
    size_t at = 0, len = s->p.data_len;
    while (at < len) {
        size_t kl = d[at];
        size_t pos = at + 3 + kl + ((size_t)d[at + 1 + kl] << 8 | d[at + 2 + kl]);
        int cmp = crumb__key_cmp((const char *)d + at + 1, kl, key, klen);
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
    if (!s || klen == 0 || (len && !val))
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
        set_data_buf(s, d, cap);
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
    if (!s || !val || !len)
        return CRUMB_E_INVALID;
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
    if (!s)
        return CRUMB_E_INVALID;
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
    if (!s || !pos)
        return 0;
    return crumb_payload_data_next(s->data, s->p.data_len, pos, key, klen, val, vlen);
}

/* ==== issue 16: refuse the loaded session (fingerprint mismatch) ======== */

/* see ext.h: the session becomes a fresh anonymous one, as for a refused
 * cookie (save deletes or replaces the cookie the request carried). */
crumb_err crumb__session_refuse(crumb_session *s)
{
    if (s->ctx->cfg.mode != CRUMB_MODE_STATELESS)
        crumb__glue_refused(s);
    crumb_err rc = make_fresh(s);
    if (rc != CRUMB_OK)
        s->logged_out = 1; /* no ids drawn: save only deletes the cookie */
    return rc;
}
