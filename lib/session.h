/*
 * session.h - private layout of the application context and the session
 * object, and the helpers shared by the session layer: ctx.c, expiry.c,
 * chunk.c, store_glue.c, session.c and account.c (bottom to top; none
 * calls up). The codec layer needs only internal.h. Never installed.
 */
#ifndef CRUMB_SESSION_H
#define CRUMB_SESSION_H

#include "internal.h"

#include "crumb_store.h"

/* ==== Context and session ============================================== */

struct crumb_ctx {
    crumb_codec *codec;
    crumb_ctx_config cfg;      /* resolved: defaults filled in, strings below */
    crumb_cookie_attrs attrs;  /* cookie attributes (strings point below) */
    crumb__cookie_fmt fmt;     /* attrs formatted once for the session's lines */
    char *name, *path, *domain, *audience; /* owned copies */
    size_t name_len;
    size_t max_token;          /* longest token accepted from a request */
    /* store modes (store_glue.c) */
    crumb_codec *dev_codec;    /* seals the long-lived device cookie */
    uint8_t store_secret[32];  /* key of the session-id hash the store sees */
    crumb__hmac_pre store_mac; /* its HMAC state, computed once (wiped on free) */
    int sid_sip;               /* 1: session ids are named by SipHash (the store's
                                  names are ephemeral, and libsodium is built in) */
    uint8_t sid_sip_key[64];   /* the four SipHash keys (from store_secret; wiped) */
    uint8_t record_key[32];    /* seals server-mode records (from store_secret) */
    crumb__hmac_pre fp_mac;    /* issue 16: keys client fingerprints, prepared once
                                  (fingerprint.c; wiped on free) */
};

/* The store modes' per-request state (store_glue.c), s->g. */
struct crumb__glue {
    uint8_t loaded_sid[CRUMB_SID_BYTES]; /* session id the request came with */
    uint8_t loaded_family[CRUMB_SID_BYTES]; /* family the request came with */
    uint32_t loaded_gen;       /* generation the request came with */
    int stale_gen;             /* previous generation inside the grace window */
    int has_record;            /* server record exists (rec_version valid) */
    int record_missing;        /* reference token whose record is gone */
    uint64_t rec_version;
    uint8_t dev_id[16];        /* the session's device: from the authenticated
                                  payload, else the device cookie, else new */
    uint8_t cookie_dev[16];    /* device id the request's device cookie named */
    char dev_tok[128];         /* the device cookie, until opened */
    size_t dev_tok_len;
    int dev_tok_pending;       /* dev_tok not opened yet */
    int dev_bound;             /* the payload's device was looked for */
    uint8_t key_sid[CRUMB_SID_BYTES]; /* the id last hashed to a store key */
    crumb_store_key key;       /* its store key (secret: wiped at free) */
    int key_valid;
    int has_dev, dev_new;
    int has_cookie_dev;        /* cookie_dev is valid */
    int dev_checked;           /* dev_id checked against the store for p.user */
    char *dev_line;            /* Set-Cookie line of a new device cookie
                                  (CRUMB__DEV_LINE_MAX plus name, Path and Domain bytes, allocated on
                                  first use, freed with the session) */
    uint8_t dev_fp[32];        /* keyed fingerprint of set_client's User-Agent
                                  and IP prefix (store_glue.c) */
    int has_dev_fp;            /* dev_fp is set */
    uint8_t indexed_sid[CRUMB_SID_BYTES]; /* the session index entry known to be
                                  stored: this id ... */
    int64_t indexed_exp;       /* ... with this expires_at (valid if indexed) */
    int indexed;               /* set by check and index_put, cleared at logout */
};

struct crumb_session {
    crumb_ctx *ctx;
    crumb_payload p;           /* fields; p.data points at data below */
    uint8_t *data;             /* canonical encoded entries: small, or owned */
    size_t data_cap;
    uint8_t small[256];        /* data of a typical session: no allocation */
    int64_t now;               /* clock at load */
    int fresh;                 /* no valid cookie came with the request */
    int dirty;                 /* changed since load */
    int migrated;              /* app schema migrated on load */
    int reseal;                /* opened under a decrypt-only key */
    int logged_out;
    crumb_err unjudged;        /* load could not judge the request's cookie (store
                                  unreachable; out of memory): save refuses */
    int had_cookie;            /* the request carried our (main) cookie */
    uint32_t req_chunks;       /* bit k: request carried chunk name.k (k >= 1) */
    size_t cookie_size;        /* single-line size needed by the last seal */
    char *out;                 /* save output: lines back to back */
    const char *lines[2 * CRUMB_CHUNKS_MAX + 3];
    int new_family;            /* login: a new family, advanced from 0 on save */
    int login;                 /* the user changed in this request */
    struct crumb__client {     /* crumb_session_set_client's description */
        char ua_label[64];
        char ip_prefix[48];
    } client;
    /* store modes only (NULL in the stateless mode): the per-request store
     * state store_glue.c keeps; session.c reads stale_gen and
     * record_missing. A separate block, so the stateless object stays small. */
    struct crumb__glue *g;
    /* issue 16: this request's client fingerprint (auth.c, auth_state.c) */
    struct crumb__fpstate {
        uint8_t cur[32];           /* fingerprint of the described client */
        int have;                  /* cur is valid */
        int status;                /* crumb_fp_status */
    } fp;
};

#define CRUMB__DEVICE_SUFFIX ".d" /* the device cookie is <name>.d */
#define CRUMB__DEV_LINE_MAX 512u  /* room of the device cookie's line besides
                                     the context's name, Path and Domain */

/* ==== ctx.c ============================================================= */

/* Log a reason through the context's codec callback (info may be NULL). */
void crumb__ctx_log(const crumb_ctx *ctx, crumb_reason reason, crumb_err err,
                    const crumb_open_info *info);

/* Random bytes from the context's configured source (or the OS).
 * @return CRUMB_OK, CRUMB_E_RANDOM */
crumb_err crumb__ctx_random(const crumb_ctx *ctx, uint8_t *buf, size_t n);


/* A codec for this context's suites, audience and hooks, bound to
 * cookie_name and purpose (the session codec, and the device codec). */
crumb_err crumb__ctx_codec(const crumb_ctx *ctx, const crumb_keyring *kr, const char *cookie_name,
                           const char *purpose, crumb_codec **out);

/* ==== chunk.c: the session cookie on the wire ========================== */

/* Our cookies in a request, from one pass over its Cookie header: slot
 * k < CRUMB_CHUNKS_MAX is the cookie (k = 0) or its chunk name.k, slot
 * CRUMB__SLOT_DEVICE the device cookie name.d; the first occurrence of each
 * wins (the most specific path). Values point into the header. */
#define CRUMB__SLOT_DEVICE CRUMB_CHUNKS_MAX
typedef struct crumb__req_cookies {
    const char *val[CRUMB_CHUNKS_MAX + 1];
    size_t vlen[CRUMB_CHUNKS_MAX + 1];
    uint32_t seen; /* bit k: slot k came */
} crumb__req_cookies;

/* Parse hdr (NULL allowed) once into rq. */
void crumb__chunk_scan(const crumb_ctx *ctx, const char *hdr, crumb__req_cookies *rq);

/* Our cookie's value (k = 0) and chunk values in a request. */
typedef struct crumb__chunks {
    const char *val[CRUMB_CHUNKS_MAX];
    size_t vlen[CRUMB_CHUNKS_MAX];
    size_t n;     /* parts of the token (0: no cookie) */
    size_t skip;  /* length of the "N." head prefix */
    size_t total; /* token characters */
} crumb__chunks;

/* Our cookie and its chunks among the request's cookies; sets
 * s->had_cookie and s->req_chunks. CRUMB_OK with ch->n == 0 when there is
 * no cookie.
 * @return CRUMB_OK, CRUMB_E_COOKIE (chunks without head, bad count, partial
 *         set), CRUMB_E_TOO_LARGE (over max_cookie_bytes or max_token) */
crumb_err crumb__chunk_find(crumb_session *s, const crumb__req_cookies *rq, crumb__chunks *ch);

/* Join the parts into tok (room for ch->total); returns the length. */
size_t crumb__chunk_join(const crumb__chunks *ch, char *tok);

/* Length of "name=; <attrs>" for max_age: the line minus value and
 * suffix. 0 on an invalid configuration. */
size_t crumb__chunk_base_len(const crumb_ctx *ctx, int64_t max_age, int64_t now);

/* Smallest chunk count (2..max_chunks) whose lines carry tok_len
 * characters, each part's capacity in caps; 0 if none. */
size_t crumb__chunk_plan(const crumb_ctx *ctx, size_t base, size_t tok_len,
                         size_t caps[CRUMB_CHUNKS_MAX]);

/* The Set-Cookie lines of tok (n parts of caps; tok has 3 writable bytes
 * before it for the chunk head), then deletions of the request's chunks
 * the token no longer uses. Output in s->lines / *count. */
crumb_err crumb__chunk_emit(crumb_session *s, size_t *count, char *tok, size_t tok_len, size_t n,
                            const size_t caps[CRUMB_CHUNKS_MAX], int64_t max_age, int64_t now);

/* Deletion lines for the main cookie (if del_main) and every chunk the
 * request carried. */
crumb_err crumb__chunk_delete_all(crumb_session *s, size_t *count, int del_main);

/* ==== expiry.c: every time rule, saturating ============================ */

/* Times of a session issued at now: expires after absolute_lifetime, idle
 * deadline after idle_timeout (never past the expiry). */
void crumb__expiry_start(const crumb_ctx *ctx, crumb_payload *p, int64_t now);

/* Authenticated-time checks on load (future issue time, absolute and idle
 * expiry with clock_skew), logging the reason.
 * @return CRUMB_OK, CRUMB_E_FUTURE, CRUMB_E_EXPIRED */
crumb_err crumb__expiry_check(const crumb_ctx *ctx, const crumb_payload *p, int64_t now,
                              const crumb_open_info *info);

/* The session's end: expires_at, capped by issued_at + absolute_lifetime. */
int64_t crumb__expiry_end(const crumb_ctx *ctx, const crumb_payload *p);

/* 1 if idle renewal is due (at most once per renew_throttle). */
int crumb__expiry_renew_due(const crumb_ctx *ctx, const crumb_payload *p, int64_t now);

/* Slide the idle deadline to now + idle_timeout (capped at the expiry). */
void crumb__expiry_touch(const crumb_ctx *ctx, crumb_payload *p, int64_t now);

/* Max-Age of the session cookie: -1 (browser session), else 0..400 days. */
int64_t crumb__expiry_max_age(const crumb_ctx *ctx, const crumb_payload *p, int64_t now);

/* Latest time anything this context issues up to now can still be
 * accepted: now + max_future + absolute_lifetime + clock_skew, saturating.
 * Every revocation lasts until then. */
int64_t crumb__live_until(const crumb_ctx *ctx, int64_t now);

/* 1 if then is in [now - max_age, now]. */
int crumb__expiry_within(int64_t then, int64_t now, int64_t max_age);

/* ==== store_glue.c (store modes only) ================================== */

/* Keyed hash of a session id under the store secret: the only form in
 * which a store sees it. */
void crumb__glue_session_key(const crumb_ctx *ctx, const uint8_t sid[CRUMB_SID_BYTES],
                             crumb_store_key *key);

/* Report a store failure to the log callback and pass the code through. */
crumb_err crumb__glue_fail(const crumb_session *s, crumb_err rc);

/* The device cookie among the request's cookies (if valid), after the
 * session cookie's load (opened: it loaded a session into s->p). Its id is
 * read now, or, when the payload names the session's device, only when
 * save or a refused session needs it.
 * @see crumb__glue_refused, crumb__glue_before_save */
void crumb__glue_load_device(crumb_session *s, const crumb__req_cookies *rq, int opened);

/* Server record behind a reference token: fetch and decode it into out
 * (out->data points into *rec, which the caller frees after wiping the
 * first *rec_cap bytes: all that holds the record). */
crumb_err crumb__glue_fetch(crumb_session *s, const crumb_payload *ref, crumb_payload *out,
                             uint8_t **rec, size_t *rec_cap);

/* After a refused session: no record or generation is kept, and the
 * device is the device cookie's again. */
void crumb__glue_refused(crumb_session *s);

/* Per-request revocation and replay checks on an opened session.
 * @return CRUMB_OK, CRUMB_E_REVOKED, CRUMB_E_REPLAY, store errors */
crumb_err crumb__glue_check(crumb_session *s);

/* Before sealing: advance the family after a rotation (CRUMB_E_CONFLICT if
 * a parallel request won), assign a device id. */
crumb_err crumb__glue_before_save(crumb_session *s, int64_t now);

/* Write the encoded payload as this session's record (compare-and-swap). */
crumb_err crumb__glue_put_record(crumb_session *s, const uint8_t *rec, size_t len, int64_t now);

/* After sealing: session index, device sighting, and a new device
 * cookie's line appended to s->lines (*count). */
crumb_err crumb__glue_after_save(crumb_session *s, int64_t now, size_t *count);

/* Store side of logging out (revoke this id, drop record and index).
 * @return CRUMB_OK or the store error (the copied cookie may still work) */
crumb_err crumb__glue_logout(crumb_session *s);

#endif /* CRUMB_SESSION_H */
